-- name: access-denied-spikes
-- title: AccessDenied spikes by principal
-- description: Principals refused many times within one hour (AccessDenied, UnauthorizedOperation,
-- description: PERMISSION_DENIED, Forbidden): a stolen credential probing what it may do.
-- param: min_failures integer = 10 | refusals within one hour that make a spike
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT date_bin(INTERVAL '1 hour', event_time, TIMESTAMP '1970-01-01T00:00:00Z') AS hour,
       cloud, tenant, principal,
       count(DISTINCT event_id) AS denied,
       count(DISTINCT action) AS actions,
       min(event_time) AS first_denied,
       max(event_time) AS last_denied
FROM events
WHERE event_time >= $since AND event_time < $until
  AND outcome = 'failure'
  AND (error_code IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Client.UnauthorizedOperation',
       'UnauthorizedAccess', 'AuthorizationError', 'PERMISSION_DENIED', 'UNAUTHENTICATED', 'Forbidden', 'AuthorizationFailed')
       OR error_code LIKE '%AccessDenied%' OR error_code LIKE '%Unauthorized%')
GROUP BY 1, 2, 3, 4
HAVING count(DISTINCT event_id) >= $min_failures
ORDER BY denied DESC, hour, principal
