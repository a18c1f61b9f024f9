-- name: console-logins-without-mfa
-- title: Console sign-ins without MFA
-- description: Successful AWS console sign-ins of IAM users and root that did not use MFA.
-- description: Federated sign-ins (SSO roles) are left out: their MFA happens at the identity provider.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, tenant, principal, principal_type, source_ip, user_agent, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND cloud = 'aws'
  AND action = 'ConsoleLogin'
  AND outcome = 'success'
  AND json_get_str(raw, 'additionalEventData', 'MFAUsed') = 'No'
  AND principal_type IN ('IAMUser', 'Root')
ORDER BY event_time, event_id
