-- name: root-activity
-- title: Root user activity
-- description: Every call made with an AWS account's root user. Root should be locked away
-- description: behind break-glass procedures: each row needs a reason.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, tenant, action, resource, outcome, source_ip, user_agent, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND cloud = 'aws'
  AND principal_type = 'Root'
ORDER BY event_time, event_id
