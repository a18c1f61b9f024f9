-- name: secret-retrieval-bursts
-- title: Secret retrieval bursts
-- description: Principals that read many secrets within one hour: AWS Secrets Manager and SSM
-- description: parameters, GCP Secret Manager. Successful reads only.
-- param: min_reads integer = 10 | secret reads within one hour that make a burst
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
-- Bursts are found with a plain count of distinct reads per hour and principal first; the
-- distinct secrets are then counted for the few bursts only (see reconnaissance-bursts).
WITH secret_reads AS (
  SELECT date_bin(INTERVAL '1 hour', event_time, TIMESTAMP '1970-01-01T00:00:00Z') AS hour,
         cloud, tenant, principal, event_id, resource, event_time
  FROM events
  WHERE event_time >= $since AND event_time < $until
    AND outcome = 'success'
    AND action IN ('GetSecretValue', 'BatchGetSecretValue', 'GetParameter', 'GetParameters', 'GetParametersByPath',
                   'google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion')
), bursts AS (
  SELECT hour, cloud, tenant, principal, count(*) AS reads
  FROM (SELECT DISTINCT hour, cloud, tenant, principal, event_id FROM secret_reads) AS each_read
  GROUP BY 1, 2, 3, 4
  HAVING count(*) >= $min_reads
)
SELECT b.hour, b.cloud, b.tenant, b.principal, b.reads,
       count(DISTINCT r.resource) AS secrets,
       min(r.event_time) AS first_read,
       max(r.event_time) AS last_read
FROM bursts AS b
JOIN secret_reads AS r ON r.hour = b.hour AND r.cloud = b.cloud AND r.tenant = b.tenant
                      AND r.principal = b.principal
GROUP BY 1, 2, 3, 4, 5
ORDER BY reads DESC, hour, principal, cloud, tenant
