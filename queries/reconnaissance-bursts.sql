-- name: reconnaissance-bursts
-- title: Reconnaissance bursts
-- description: Principals that called many different read-only actions within ten minutes: listing
-- description: users, roles, buckets, instances and secrets is how a new intruder learns the place.
-- param: min_actions integer = 12 | distinct read-only actions within ten minutes that make a burst
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT date_bin(INTERVAL '10 minutes', event_time, TIMESTAMP '1970-01-01T00:00:00Z') AS window_start,
       cloud, tenant, principal,
       count(DISTINCT action) AS distinct_actions,
       count(DISTINCT service) AS services,
       count(DISTINCT event_id) AS events,
       count(DISTINCT event_id) FILTER (WHERE outcome = 'failure') AS failures
FROM events
WHERE event_time >= $since AND event_time < $until
  AND read_only = true
GROUP BY 1, 2, 3, 4
HAVING count(DISTINCT action) >= $min_actions
ORDER BY distinct_actions DESC, window_start, principal
