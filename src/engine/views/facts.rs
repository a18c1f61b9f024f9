//! The principals, resources and timeline views answered from the file index's facts for the
//! window's whole days, and from `events` for the rest: the same columns, the same rows, with
//! the facts' table in place of most of the files.
//!
//! Counts add up across days and files (no event is in two of them: see `engine::facts`);
//! distinct values do not, so the facts list each principal's and resource's values, and the
//! values are counted here, once, over the facts and the events read together.

use super::{BUSIEST, CHANGED, Counted, EVENTS, FactsView, Query, buckets};
use datafusion::common::ScalarValue;

/// An hour in microseconds: the facts' finest bucket.
pub(super) const HOUR: i64 = 3_600_000_000;

/// `view` with `days` (whole days of its window) answered from the facts' table `table`.
pub fn from_facts(view: &FactsView, days: &[String], table: &str) -> Query {
    let scope = &view.scope;
    let mut params = scope.params();
    let names: Vec<String> = (0..days.len()).map(|i| format!("$covered_{i}")).collect();
    params.extend(
        days.iter()
            .enumerate()
            .map(|(i, d)| (format!("covered_{i}"), ScalarValue::Utf8(Some(d.clone())))),
    );
    // The events of the days the facts do not answer: the day folders of the others are not
    // even listed.
    let not_covered = format!("\n  AND date NOT IN ({})", names.join(", "));
    let clause = format!("{}{not_covered}", scope.clause());
    let (title, sql) = match view.view {
        Counted::Principals => (
            format!("Principals (the {BUSIEST} with the most events)"),
            principals(&clause, table),
        ),
        Counted::Resources => (
            format!("Resources (the {BUSIEST} with the most events)"),
            resources(&clause, table),
        ),
        Counted::Coverage => (
            "Coverage: events per cloud, tenant and day".into(),
            coverage(&clause, table),
        ),
        Counted::Timeline => {
            let bucket = scope.window.bucket();
            let width = bucket.micros;
            let scanned = buckets(scope, bucket, &not_covered);
            (
                format!("Timeline ({} buckets)", bucket.label()),
                format!(
                    "SELECT bucket,\n\
                     \x20      sum(events) AS events,\n\
                     \x20      sum(successes) AS successes,\n\
                     \x20      sum(failures) AS failures\n\
                     FROM (\n\
                     \x20 SELECT arrow_cast(arrow_cast(hour, 'Int64') - ((arrow_cast(hour, 'Int64') % {width}) + {width}) % {width}, 'Timestamp(µs, \"UTC\")') AS bucket,\n\
                     \x20        events, successes, failures\n\
                     \x20 FROM {table}\n\
                     \x20 WHERE fact = 'hour'\n\
                     \x20 UNION ALL\n\
                     \x20 {}\n\
                     ) AS counted\n\
                     GROUP BY bucket\n\
                     ORDER BY bucket",
                    scanned.replace('\n', "\n  ")
                ),
            )
        }
    };
    Query {
        title,
        sql: format!("{}{sql}{}", view.before, view.after),
        params,
        facts: None,
    }
}

fn coverage(clause: &str, table: &str) -> String {
    let clause = clause.replace('\n', "\n  ");
    format!(
        "SELECT cloud, tenant, date,\n\
         \x20      sum(events) AS events,\n\
         \x20      min(first_seen) AS first_event,\n\
         \x20      max(last_seen) AS last_event\n\
         FROM (\n\
         \x20 SELECT cloud, tenant, date, events, arrow_cast(NULL, 'Timestamp(µs, \"UTC\")') AS first_seen,\n\
         \x20        arrow_cast(NULL, 'Timestamp(µs, \"UTC\")') AS last_seen\n\
         \x20 FROM {table} WHERE fact = 'hour'\n\
         \x20 UNION ALL\n\
         \x20 SELECT cloud, tenant, date, 0, first_seen, last_seen FROM {table} WHERE fact = 'principal'\n\
         \x20 UNION ALL\n\
         \x20 SELECT cloud, tenant, date, {EVENTS}, min(event_time), max(event_time)\n\
         \x20 FROM events\n\
         \x20 WHERE {clause}\n\
         \x20 GROUP BY cloud, tenant, date\n\
         ) AS counted\n\
         GROUP BY cloud, tenant, date\n\
         ORDER BY cloud, tenant, date"
    )
}

// The busiest are chosen by their rows first (facts' `n`, the files' count(*)), as the views
// over the files choose them; only theirs are then counted distinctly, on the files' side too.

fn principals(clause: &str, table: &str) -> String {
    let clause = clause.replace('\n', "\n  ");
    format!(
        "WITH scanned AS (\n\
         \x20 SELECT principal, event_id, event_time, action, resource, source_ip, tenant, outcome\n\
         \x20 FROM events\n\
         \x20 WHERE {clause}\n\
         ),\n\
         busiest AS (\n\
         \x20 SELECT principal, sum(n) AS n\n\
         \x20 FROM (\n\
         \x20   SELECT subject AS principal, n FROM {table} WHERE fact = 'principal'\n\
         \x20   UNION ALL\n\
         \x20   SELECT principal, count(*) FROM scanned GROUP BY principal\n\
         \x20 ) AS counted\n\
         \x20 GROUP BY principal ORDER BY n DESC, principal LIMIT {BUSIEST}\n\
         ),\n\
         totals AS (\n\
         \x20 SELECT principal, sum(events) AS events, sum(failures) AS failures,\n\
         \x20        min(first_seen) AS first_seen, max(last_seen) AS last_seen\n\
         \x20 FROM (\n\
         \x20   SELECT subject AS principal, events, failures, first_seen, last_seen\n\
         \x20   FROM {table} WHERE fact = 'principal' AND subject IN (SELECT principal FROM busiest)\n\
         \x20   UNION ALL\n\
         \x20   SELECT principal, {EVENTS}, {EVENTS} FILTER (WHERE outcome = 'failure'),\n\
         \x20          min(event_time), max(event_time)\n\
         \x20   FROM scanned WHERE principal IN (SELECT principal FROM busiest) GROUP BY principal\n\
         \x20 ) AS counted\n\
         \x20 GROUP BY principal\n\
         ),\n\
         facets AS (\n\
         \x20 SELECT subject AS principal, facet, value FROM {table}\n\
         \x20 WHERE fact = 'principal_facet' AND subject IN (SELECT principal FROM busiest)\n\
         \x20 UNION ALL\n\
         \x20 SELECT subject, 'tenant', tenant FROM {table}\n\
         \x20 WHERE fact = 'principal' AND subject IN (SELECT principal FROM busiest)\n\
         \x20 UNION ALL\n\
         \x20 SELECT s.principal, f.facet,\n\
         \x20        CASE f.facet WHEN 'action' THEN s.action WHEN 'resource' THEN s.resource\n\
         \x20                     WHEN 'source_ip' THEN s.source_ip ELSE s.tenant END\n\
         \x20 FROM scanned AS s CROSS JOIN (VALUES ('action'), ('resource'), ('source_ip'), ('tenant')) AS f(facet)\n\
         \x20 WHERE s.principal IN (SELECT principal FROM busiest)\n\
         )\n\
         SELECT t.principal,\n\
         \x20      t.events,\n\
         \x20      t.first_seen,\n\
         \x20      t.last_seen,\n\
         \x20      count(DISTINCT f.value) FILTER (WHERE f.facet = 'action') AS actions,\n\
         \x20      count(DISTINCT f.value) FILTER (WHERE f.facet = 'resource') AS resources,\n\
         \x20      count(DISTINCT f.value) FILTER (WHERE f.facet = 'source_ip') AS source_ips,\n\
         \x20      count(DISTINCT f.value) FILTER (WHERE f.facet = 'tenant') AS tenants,\n\
         \x20      t.failures\n\
         FROM totals AS t LEFT JOIN facets AS f ON f.principal = t.principal\n\
         GROUP BY t.principal, t.events, t.first_seen, t.last_seen, t.failures\n\
         ORDER BY events DESC, principal"
    )
}

fn resources(clause: &str, table: &str) -> String {
    let clause = clause.replace('\n', "\n  ");
    format!(
        "WITH scanned AS (\n\
         \x20 SELECT resource, resource_type, event_id, event_time, principal, action, read_only, outcome, category\n\
         \x20 FROM events\n\
         \x20 WHERE {clause}\n\
         \x20   AND resource IS NOT NULL\n\
         ),\n\
         busiest AS (\n\
         \x20 SELECT resource, sum(n) AS n\n\
         \x20 FROM (\n\
         \x20   SELECT subject AS resource, n FROM {table} WHERE fact = 'resource'\n\
         \x20   UNION ALL\n\
         \x20   SELECT resource, count(*) FROM scanned GROUP BY resource\n\
         \x20 ) AS counted\n\
         \x20 GROUP BY resource ORDER BY n DESC, resource LIMIT {BUSIEST}\n\
         ),\n\
         totals AS (\n\
         \x20 SELECT resource, min(resource_type) AS resource_type, sum(events) AS events,\n\
         \x20        sum(changes) AS changes, sum(failures) AS failures,\n\
         \x20        min(first_seen) AS first_seen, max(last_seen) AS last_seen\n\
         \x20 FROM (\n\
         \x20   SELECT subject AS resource, resource_type, events, changes, failures, first_seen, last_seen\n\
         \x20   FROM {table} WHERE fact = 'resource' AND subject IN (SELECT resource FROM busiest)\n\
         \x20   UNION ALL\n\
         \x20   SELECT resource, min(resource_type), {EVENTS},\n\
         \x20          {EVENTS} FILTER (WHERE {CHANGED}),\n\
         \x20          {EVENTS} FILTER (WHERE outcome = 'failure'),\n\
         \x20          min(event_time), max(event_time)\n\
         \x20   FROM scanned WHERE resource IN (SELECT resource FROM busiest) GROUP BY resource\n\
         \x20 ) AS counted\n\
         \x20 GROUP BY resource\n\
         ),\n\
         facets AS (\n\
         \x20 SELECT subject AS resource, facet, value FROM {table}\n\
         \x20 WHERE fact = 'resource_facet' AND subject IN (SELECT resource FROM busiest)\n\
         \x20 UNION ALL\n\
         \x20 SELECT s.resource, f.facet, CASE f.facet WHEN 'principal' THEN s.principal ELSE s.action END\n\
         \x20 FROM scanned AS s CROSS JOIN (VALUES ('principal'), ('action')) AS f(facet)\n\
         \x20 WHERE s.resource IN (SELECT resource FROM busiest)\n\
         )\n\
         SELECT t.resource,\n\
         \x20      t.resource_type,\n\
         \x20      t.events,\n\
         \x20      t.changes,\n\
         \x20      t.first_seen,\n\
         \x20      t.last_seen,\n\
         \x20      count(DISTINCT f.value) FILTER (WHERE f.facet = 'principal') AS principals,\n\
         \x20      count(DISTINCT f.value) FILTER (WHERE f.facet = 'action') AS actions,\n\
         \x20      t.failures\n\
         FROM totals AS t LEFT JOIN facets AS f ON f.resource = t.resource\n\
         GROUP BY t.resource, t.resource_type, t.events, t.changes, t.first_seen, t.last_seen, t.failures\n\
         ORDER BY events DESC, resource"
    )
}
