-- name: entra-role-changes
-- title: Entra ID directory role changes
-- description: Directory roles (Global Administrator and kin) given or taken away: members added or removed
-- description: directly, as eligible, by a PIM activation or outside PIM; role definitions and PIM role settings
-- description: changed (an activation's MFA or approval dropped). Requests that were denied, canceled or are
-- description: still pending are left out. The role as the record names it; the member (user, app or group).
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, tenant, principal, action,
       coalesce(regexp_match(raw, 'Role\.DisplayName"[^}]*?"newValue"\s*:\s*"\\"([^"\\]+)')[1],
                regexp_match(raw, 'Role\.DisplayName"[^}]*?"oldValue"\s*:\s*"\\"([^"\\]+)')[1],
                CASE WHEN coalesce(json_get_str(raw, 'properties', 'targetResources', 0, 'type'),
                                   json_get_str(raw, 'targetResources', 0, 'type')) = 'Role'
                     THEN coalesce(json_get_str(raw, 'properties', 'targetResources', 0, 'displayName'),
                                   json_get_str(raw, 'targetResources', 0, 'displayName')) END) AS role,
       resource AS member, outcome, source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND cloud = 'azure' AND category = 'entra_audit'
  AND (action LIKE 'Add %member to role%' OR action LIKE 'Remove %member from role%'
       OR action IN ('Add role assignment to role definition', 'Remove role assignment from role definition',
                     'Add EligibleRoleAssignement to RoleDefinition', 'Remove EligibleRoleAssignement from RoleDefinition',
                     'Remove permanent direct role assignment', 'Remove permanent eligible role assignment',
                     'Add role definition', 'Update role definition', 'Delete role definition',
                     'Update role setting in PIM', 'Process role update request')
       OR action LIKE 'Update % member in PIM%')
  AND action NOT LIKE '%request denied%' AND action NOT LIKE '%canceled%' AND action NOT LIKE '%requested%'
ORDER BY event_time, event_id
