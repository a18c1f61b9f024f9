-- name: failed-console-logins
-- title: Failed console sign-ins
-- description: AWS console sign-ins that were refused (wrong password, unknown user, MFA failure).
-- description: CloudTrail writes no error code for these: the failure is in the response.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, tenant, principal, source_ip, error_message, user_agent, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND cloud = 'aws'
  AND action IN ('ConsoleLogin', 'CheckMfa')
  AND outcome = 'failure'
ORDER BY event_time, event_id
