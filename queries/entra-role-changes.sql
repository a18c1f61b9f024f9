-- name: entra-role-changes
-- title: Entra ID directory role changes
-- description: Members added to or removed from Entra ID directory roles (Global Administrator and kin),
-- description: directly, as eligible, or by a PIM activation; the role's name as the record gives it.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, tenant, principal, action,
       regexp_match(raw, 'Role\.DisplayName"[^}]*?"newValue"\s*:\s*"\\"([^"\\]+)')[1] AS role,
       resource AS member, outcome, source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND cloud = 'azure' AND category = 'entra_audit'
  AND (action LIKE 'Add %member to role%' OR action LIKE 'Remove %member from role%'
       OR action LIKE 'Add scoped member to role%' OR action LIKE 'Remove scoped member from role%')
ORDER BY event_time, event_id
