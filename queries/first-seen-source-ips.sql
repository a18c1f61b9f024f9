-- name: first-seen-source-ips
-- title: Source IPs used for the first time
-- description: Addresses a principal called from in the period that it never used in the baseline:
-- description: a leaked credential used from somewhere new. Only principals active in the baseline are
-- description: compared; AWS services (whose source is a service name) are left out.
-- param: since timestamp = archive_end() - interval '1 day' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
-- param: baseline_since timestamp = archive_end() - interval '31 days' | start of the baseline (it ends where the period starts)
WITH baseline AS (
  SELECT DISTINCT principal, source_ip
  FROM events
  WHERE event_time >= $baseline_since AND event_time < $since AND source_ip IS NOT NULL
), known AS (
  SELECT DISTINCT principal FROM baseline
)
SELECT e.principal, e.source_ip,
       count(DISTINCT e.event_id) AS events,
       count(DISTINCT e.action) AS actions,
       min(e.event_time) AS first_seen,
       max(e.event_time) AS last_seen
FROM events e
JOIN known k ON e.principal = k.principal
LEFT JOIN baseline b ON e.principal = b.principal AND e.source_ip = b.source_ip
WHERE e.event_time >= $since AND e.event_time < $until
  AND e.source_ip IS NOT NULL
  AND b.source_ip IS NULL
  AND coalesce(e.principal_type, '') <> 'AWSService'
GROUP BY e.principal, e.source_ip
ORDER BY first_seen, e.principal, e.source_ip
