-- name: access-key-activity
-- title: Everything one access key did
-- description: Every call made with one credential (an AWS access key id, or a GCP service account key),
-- description: with where it came from: the first question after a key leaks.
-- param: access_key text | the access key id (AKIA…, ASIA…) or GCP key name
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, action, resource, outcome, error_code, source_ip, user_agent, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND access_key_id = $access_key
ORDER BY event_time, event_id
