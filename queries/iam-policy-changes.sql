-- name: iam-policy-changes
-- title: Permission changes
-- description: Who granted or took away permissions: AWS IAM policy attachments, inline policies,
-- description: policy versions, trust policies and group membership; GCP IAM policies set on any
-- description: resource; Azure role assignments and role definitions. Refused attempts are listed too.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, action, resource, outcome, error_code, source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND (
    (cloud = 'aws' AND service = 'iam.amazonaws.com' AND action IN ('AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy',
        'DetachUserPolicy', 'DetachRolePolicy', 'DetachGroupPolicy', 'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy',
        'DeleteUserPolicy', 'DeleteRolePolicy', 'DeleteGroupPolicy', 'CreatePolicy', 'CreatePolicyVersion', 'DeletePolicy',
        'SetDefaultPolicyVersion', 'UpdateAssumeRolePolicy', 'AddUserToGroup', 'RemoveUserFromGroup', 'PutUserPermissionsBoundary',
        'PutRolePermissionsBoundary'))
    OR (cloud = 'gcp' AND (action = 'SetIamPolicy' OR action LIKE '%.SetIamPolicy' OR action LIKE '%.setIamPolicy'
        OR action = 'storage.setIamPermissions'))
    OR (cloud = 'azure' AND lower(action) IN ('microsoft.authorization/roleassignments/write', 'microsoft.authorization/roleassignments/delete',
        'microsoft.authorization/roledefinitions/write', 'microsoft.authorization/roledefinitions/delete'))
  )
  AND NOT (cloud = 'azure' AND lower(coalesce(json_get_str(raw, 'status', 'value'), json_get_str(raw, 'resultType'), '')) IN ('started', 'start', 'accepted', 'accept'))
ORDER BY event_time, event_id
