-- name: resource-activity
-- title: Everything done to one resource
-- description: Every event on one resource (its ARN, GCP resource name or Azure resource id, exactly as
-- description: in the resource column), changes first (attempted ones too; data events such as S3 object writes
-- description: are no changes), then reads, each oldest first.
-- param: resource text | the resource, exactly as in the resource column
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, source_identity, action, read_only, outcome, error_code, source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND resource = $resource
ORDER BY CASE WHEN read_only = false AND coalesce(category, '') NOT IN ('data', 'data_access') THEN 0 ELSE 1 END, event_time, event_id
