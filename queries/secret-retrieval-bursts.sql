-- name: secret-retrieval-bursts
-- title: Secret retrieval bursts
-- description: Principals that read many secrets within one hour: AWS Secrets Manager and SSM
-- description: parameters, GCP Secret Manager. Successful reads only.
-- param: min_reads integer = 10 | secret reads within one hour that make a burst
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT date_bin(INTERVAL '1 hour', event_time, TIMESTAMP '1970-01-01T00:00:00Z') AS hour,
       cloud, tenant, principal,
       count(DISTINCT event_id) AS reads,
       count(DISTINCT resource) AS secrets,
       min(event_time) AS first_read,
       max(event_time) AS last_read
FROM events
WHERE event_time >= $since AND event_time < $until
  AND outcome = 'success'
  AND action IN ('GetSecretValue', 'BatchGetSecretValue', 'GetParameter', 'GetParameters', 'GetParametersByPath',
                 'google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion')
GROUP BY 1, 2, 3, 4
HAVING count(DISTINCT event_id) >= $min_reads
ORDER BY reads DESC, hour, principal
