-- name: entra-app-credentials
-- title: New Entra ID app credentials, consents and permissions
-- description: Secrets and certificates added to applications and service principals, consents to
-- description: applications, permission grants and new owners: how an attacker gives an app a way in.
-- description: The resource is the app's id where the record names it, as the app's sign-ins and Azure calls do
-- description: (for a permission granted, the app that gets it). An update of an application's certificates
-- description: and secrets is listed whether it added or removed one: its KeyDescription says which.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, tenant, principal, action, resource, resource_type, outcome, source_ip,
       coalesce(json_get_str(raw, 'properties', 'targetResources', 0, 'displayName'),
                json_get_str(raw, 'targetResources', 0, 'displayName')) AS app_name,
       event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND cloud = 'azure' AND category = 'entra_audit'
  AND (action IN ('Add service principal credentials', 'Consent to application', 'Add delegated permission grant',
                  'Add app role assignment to service principal', 'Add owner to application',
                  'Add owner to service principal', 'Add application', 'Add service principal',
                  'Add OAuth2PermissionGrant', 'Update external secrets')
       OR action LIKE 'Update application%Certificates and secrets management%')
ORDER BY event_time, event_id
