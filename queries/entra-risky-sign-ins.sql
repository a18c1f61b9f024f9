-- name: entra-risky-sign-ins
-- title: Risky Entra ID sign-ins
-- description: Sign-ins that Entra ID Protection judged risky (medium or high risk during the sign-in or
-- description: found later by its offline detections, or a user at risk or confirmed compromised), whether
-- description: they succeeded or not, and whether the risk was remediated since.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
-- param: level text = 'medium' | the lowest risk level listed: low, medium or high
SELECT event_time, tenant, principal, action, outcome, error_code, source_ip, region,
       risk_during_sign_in, risk_aggregated, risk_state, application, event_id
FROM (
  SELECT *,
         coalesce(json_get_str(raw, 'properties', 'riskLevelDuringSignIn'), json_get_str(raw, 'riskLevelDuringSignIn')) AS risk_during_sign_in,
         coalesce(json_get_str(raw, 'properties', 'riskLevelAggregated'), json_get_str(raw, 'riskLevelAggregated')) AS risk_aggregated,
         coalesce(json_get_str(raw, 'properties', 'riskState'), json_get_str(raw, 'riskState')) AS risk_state,
         coalesce(json_get_str(raw, 'properties', 'appDisplayName'), json_get_str(raw, 'appDisplayName')) AS application
  FROM events
  WHERE event_time >= $since AND event_time < $until
    AND cloud = 'azure' AND category = 'entra_signin'
) AS sign_ins
WHERE greatest(CASE risk_during_sign_in WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END,
               CASE risk_aggregated WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)
      >= CASE lower($level) WHEN 'high' THEN 3 WHEN 'low' THEN 1 ELSE 2 END
   OR risk_state IN ('atRisk', 'confirmedCompromised')
ORDER BY event_time, event_id
