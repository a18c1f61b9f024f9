-- name: principal-activity
-- title: Everything one principal did
-- description: Every event of one principal (its ARN, e-mail, UPN or object id, exactly as in the
-- description: principal column), oldest first.
-- param: principal text | the principal, exactly as in the principal column
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, action, resource, outcome, error_code, source_ip, user_agent, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND principal = $principal
ORDER BY event_time, event_id
