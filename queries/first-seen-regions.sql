-- name: first-seen-regions
-- title: Regions used for the first time
-- description: Regions a tenant used in the period that it did not use in the baseline before it:
-- description: attackers like quiet regions. Only tenants active in the baseline are compared.
-- param: since timestamp = archive_end() - interval '1 day' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
-- param: baseline_since timestamp = archive_end() - interval '31 days' | start of the baseline (it ends where the period starts)
WITH baseline AS (
  SELECT DISTINCT cloud, tenant, region
  FROM events
  WHERE event_time >= $baseline_since AND event_time < $since AND region IS NOT NULL
), known_tenants AS (
  SELECT DISTINCT cloud, tenant FROM baseline
)
SELECT e.cloud, e.tenant, e.region,
       count(DISTINCT e.event_id) AS events,
       count(DISTINCT e.principal) AS principals,
       min(e.event_time) AS first_seen
FROM events e
JOIN known_tenants k ON e.cloud = k.cloud AND e.tenant = k.tenant
LEFT JOIN baseline b ON e.cloud = b.cloud AND e.tenant = b.tenant AND e.region = b.region
WHERE e.event_time >= $since AND e.event_time < $until
  AND e.region IS NOT NULL
  AND b.region IS NULL
GROUP BY e.cloud, e.tenant, e.region
ORDER BY first_seen, e.cloud, e.tenant, e.region
