-- name: coverage
-- title: Collection coverage per tenant
-- description: Per cloud and tenant: its first and last event, the days with events out of the days
-- description: from its first to its last (fewer means gaps), its events, and how many days before the
-- description: archive's newest event it last delivered. `trailscope coverage` names the gaps and the
-- description: tenants that are expected but never delivered.
-- param: since timestamp = archive_end() - interval '90 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT cloud, tenant,
       min(event_time) AS first_event,
       max(event_time) AS last_event,
       count(DISTINCT date) AS days_with_events,
       CAST(max(date) AS DATE) - CAST(min(date) AS DATE) + 1 AS days_in_span,
       count(DISTINCT event_id) AS events,
       round((to_unixtime(archive_end()) - to_unixtime(max(event_time))) / 86400.0, 1) AS days_silent
FROM events
WHERE event_time >= $since AND event_time < $until
GROUP BY cloud, tenant
ORDER BY days_silent DESC, cloud, tenant
