-- name: entra-sign-ins-without-mfa
-- title: Entra ID sign-ins without MFA
-- description: Successful interactive user sign-ins that satisfied single-factor authentication only.
-- description: Non-interactive sign-ins (token refreshes) are left out: they inherit the interactive one's.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, tenant, principal, source_ip, region, application, client_app,
       conditional_access, user_agent, event_id
FROM (
  SELECT *,
         coalesce(json_get_str(raw, 'properties', 'authenticationRequirement'), json_get_str(raw, 'authenticationRequirement')) AS requirement,
         coalesce(json_get_str(raw, 'properties', 'appDisplayName'), json_get_str(raw, 'appDisplayName')) AS application,
         coalesce(json_get_str(raw, 'properties', 'clientAppUsed'), json_get_str(raw, 'clientAppUsed')) AS client_app,
         coalesce(json_get_str(raw, 'properties', 'conditionalAccessStatus'), json_get_str(raw, 'conditionalAccessStatus')) AS conditional_access
  FROM events
  WHERE event_time >= $since AND event_time < $until
    AND cloud = 'azure' AND category = 'entra_signin'
    AND action = 'UserSignIn' AND outcome = 'success'
) AS sign_ins
WHERE requirement = 'singleFactorAuthentication'
ORDER BY event_time, event_id
