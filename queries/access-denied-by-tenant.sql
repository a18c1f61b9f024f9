-- name: access-denied-by-tenant
-- title: AccessDenied spikes by tenant
-- description: Accounts, projects and subscriptions that saw many refusals within one hour, whoever
-- description: was refused: which tenants saw AccessDenied spikes last night?
-- param: min_failures integer = 20 | refusals within one hour that make a spike
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT date_bin(INTERVAL '1 hour', event_time, TIMESTAMP '1970-01-01T00:00:00Z') AS hour,
       cloud, tenant,
       count(DISTINCT event_id) AS denied,
       count(DISTINCT principal) AS principals,
       count(DISTINCT action) AS actions
FROM events
WHERE event_time >= $since AND event_time < $until
  AND outcome = 'failure'
  AND (error_code IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Client.UnauthorizedOperation',
       'UnauthorizedAccess', 'AuthorizationError', 'PERMISSION_DENIED', 'UNAUTHENTICATED', 'Forbidden', 'AuthorizationFailed')
       OR error_code LIKE '%AccessDenied%' OR error_code LIKE '%Unauthorized%')
GROUP BY 1, 2, 3
HAVING count(DISTINCT event_id) >= $min_failures
ORDER BY denied DESC, hour, tenant
