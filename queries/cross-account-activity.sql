-- name: cross-account-activity
-- title: Cross-account activity
-- description: AWS calls that cross an account boundary: a caller from another account acting in
-- description: this one, or a role assumed into another account. AWS services are left out.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, tenant,
       principal,
       split_part(principal, ':', 5) AS caller_account,
       action, resource,
       CASE WHEN action LIKE 'AssumeRole%' THEN split_part(resource, ':', 5) ELSE tenant END AS target_account,
       outcome, source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND cloud = 'aws'
  AND principal LIKE 'arn:aws%'
  AND (split_part(principal, ':', 5) <> tenant
       OR (action LIKE 'AssumeRole%' AND resource LIKE 'arn:aws%' AND split_part(resource, ':', 5) <> tenant))
ORDER BY event_time, event_id
