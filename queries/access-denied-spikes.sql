-- name: access-denied-spikes
-- title: AccessDenied spikes by principal
-- description: Principals refused many times within one hour (AccessDenied, UnauthorizedOperation,
-- description: PERMISSION_DENIED, Forbidden): a stolen credential probing what it may do.
-- param: min_failures integer = 10 | refusals within one hour that make a spike
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
-- Spikes are found with a plain count of distinct refusals per hour and principal first; the
-- distinct actions are then counted for the few spikes only (see reconnaissance-bursts).
WITH refusals AS (
  SELECT date_bin(INTERVAL '1 hour', event_time, TIMESTAMP '1970-01-01T00:00:00Z') AS hour,
         cloud, tenant, principal, event_id, action, event_time
  FROM events
  WHERE event_time >= $since AND event_time < $until
    AND outcome = 'failure'
    AND (error_code IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Client.UnauthorizedOperation',
         'UnauthorizedAccess', 'AuthorizationError', 'PERMISSION_DENIED', 'UNAUTHENTICATED', 'Forbidden', 'AuthorizationFailed')
         OR error_code LIKE '%AccessDenied%' OR error_code LIKE '%Unauthorized%')
), spikes AS (
  SELECT hour, cloud, tenant, principal, count(*) AS denied
  FROM (SELECT DISTINCT hour, cloud, tenant, principal, event_id FROM refusals) AS each_refusal
  GROUP BY 1, 2, 3, 4
  HAVING count(*) >= $min_failures
)
SELECT s.hour, s.cloud, s.tenant, s.principal, s.denied,
       count(DISTINCT r.action) AS actions,
       min(r.event_time) AS first_denied,
       max(r.event_time) AS last_denied
FROM spikes AS s
JOIN refusals AS r ON r.hour = s.hour AND r.cloud = s.cloud AND r.tenant = s.tenant
                  AND r.principal = s.principal
GROUP BY 1, 2, 3, 4, 5
ORDER BY denied DESC, hour, principal, cloud, tenant
