-- name: identity-lifecycle
-- title: Identities created and deleted
-- description: New or removed identities that can act in the cloud: AWS IAM users, roles and groups;
-- description: GCP service accounts; Azure managed identities.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, action, resource, outcome, source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND (
    (cloud = 'aws' AND service = 'iam.amazonaws.com' AND action IN ('CreateUser', 'DeleteUser', 'CreateRole', 'DeleteRole',
        'CreateGroup', 'DeleteGroup', 'CreateSAMLProvider', 'CreateOpenIDConnectProvider'))
    OR (cloud = 'gcp' AND action IN ('google.iam.admin.v1.CreateServiceAccount', 'google.iam.admin.v1.DeleteServiceAccount',
        'google.iam.admin.v1.UndeleteServiceAccount', 'google.iam.admin.v1.EnableServiceAccount'))
    OR (cloud = 'azure' AND lower(action) IN ('microsoft.managedidentity/userassignedidentities/write',
        'microsoft.managedidentity/userassignedidentities/delete'))
  )
  AND NOT (cloud = 'azure' AND lower(coalesce(json_get_str(raw, 'status', 'value'), json_get_str(raw, 'resultType'), '')) IN ('started', 'start', 'accepted', 'accept'))
ORDER BY event_time, event_id
