-- name: ip-activity
-- title: Everything from one source IP
-- description: Every event whose caller came from one address, whoever they were, oldest first.
-- param: ip text | the source IP address
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, action, resource, outcome, error_code, user_agent, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND source_ip = $ip
ORDER BY event_time, event_id
