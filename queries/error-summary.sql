-- name: error-summary
-- title: Failures by error and action
-- description: Every kind of failure in the period, most frequent first: which errors, on which
-- description: actions, for how many principals and tenants.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT cloud, error_code, action,
       count(DISTINCT event_id) AS failures,
       count(DISTINCT principal) AS principals,
       count(DISTINCT tenant) AS tenants,
       min(event_time) AS first_seen,
       max(event_time) AS last_seen
FROM events
WHERE event_time >= $since AND event_time < $until
  AND outcome = 'failure'
GROUP BY cloud, error_code, action
ORDER BY failures DESC, cloud, error_code, action
