//! The workbench's investigation views, each a function that returns its SQL and the values
//! bound to it. The TUI and `trailscope view` call these same functions; nothing else writes
//! view SQL. Values (times, names, ids) are always parameters; the only text spliced in is the
//! user's own `--where` filter (checked to be one SQL expression) and the bucket width, which
//! comes from the engine's fixed ladder.

use datafusion::common::ScalarValue;

use super::EngineError;
use super::window::Bucket;

mod facts;
mod scope;
pub use facts::from_facts;
use scope::text;
pub use scope::{Pin, Scope, display_value, is_event_column, timestamp};

/// A query ready to run: a title, its SQL as shown to the user, and its bound values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    pub title: String,
    pub sql: String,
    pub params: Vec<(String, ScalarValue)>,
    /// The view this query is, when the file index's facts can answer it (the session then
    /// reads the facts for the window's whole days, and the files only for the rest).
    pub facts: Option<FactsView>,
}

/// A view the file index's facts answer: which, over which scope, inside what SQL (a sort or
/// a frequency table of the view's result).
#[derive(Clone, Debug, PartialEq)]
pub struct FactsView {
    pub view: Counted,
    pub scope: Scope,
    before: String,
    after: String,
}

impl FactsView {
    /// `view` over `scope`, as it is (no SQL around it).
    pub fn new(view: Counted, scope: Scope) -> Self {
        FactsView {
            view,
            scope,
            before: String::new(),
            after: String::new(),
        }
    }
}

/// The views facts answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Timeline,
    Principals,
    Resources,
    /// `coverage`'s events per cloud, tenant and day.
    Coverage,
}

fn query(title: impl Into<String>, sql: String, params: Vec<(String, ScalarValue)>) -> Query {
    Query {
        title: title.into(),
        sql,
        params,
        facts: None,
    }
}

/// `query`, answered from facts where they allow: a view of whole events, not narrowed by a
/// filter (facts count every event of a file, not those a condition picks).
fn countable(mut query: Query, view: Counted, scope: &Scope) -> Query {
    if !scope.is_filtered() {
        query.facts = Some(FactsView::new(view, scope.clone()));
    }
    query
}

/// Counts are of distinct events: the same event delivered twice is one event.
const EVENTS: &str = "count(DISTINCT event_id)";

/// A change, as the views count them: a call that changed something and succeeded, to the
/// cloud's configuration. Data events (S3 object writes, GCP data-access writes) are left out:
/// where they are recorded they outnumber every other change many times over and would hide them.
/// (Files written before `category` count theirs until `compact` brings them up to date.)
pub(super) const CHANGED: &str =
    "read_only = false AND outcome = 'success' AND coalesce(category, '') NOT IN ('data', 'data_access')";

/// The principals and resources tables list this many, the busiest first: a window of an
/// organisation's archive can hold millions of S3 objects or role sessions, and their distinct
/// counts would not fit in memory. The busiest are found with a plain count first.
pub const BUSIEST: usize = 1000;

/// Each event once per bucket first, then counted: the same result as `count(DISTINCT event_id)`
/// per bucket, without carrying a hash set of ids per bucket from the partial to the final
/// aggregate (on 10 million events over 30 days: 4.7 s and 3 GB before, 2.4 s and 1.2 GB after).
/// Buckets are whole multiples of their width since 1970, counted in microseconds (as
/// `event_time` is): `date_bin` computes in nanoseconds, which end in 2262, so one event dated
/// later would fail the whole timeline.
fn histogram(scope: &Scope, bucket: Bucket, extra: &str) -> String {
    format!("{}\nORDER BY bucket", buckets(scope, bucket, extra))
}

/// The histogram's rows, in no order.
fn buckets(scope: &Scope, bucket: Bucket, extra: &str) -> String {
    format!(
        "SELECT bucket,\n\
         \x20      count(*) AS events,\n\
         \x20      count(*) FILTER (WHERE succeeded) AS successes,\n\
         \x20      count(*) FILTER (WHERE failed) AS failures\n\
         FROM (\n\
         \x20 SELECT arrow_cast(arrow_cast(event_time, 'Int64') - ((arrow_cast(event_time, 'Int64') % {width}) + {width}) % {width}, 'Timestamp(µs, \"UTC\")') AS bucket,\n\
         \x20        event_id,\n\
         \x20        bool_or(outcome = 'success') AS succeeded,\n\
         \x20        bool_or(outcome = 'failure') AS failed\n\
         \x20 FROM events\n\
         \x20 WHERE {clause}{extra}\n\
         \x20 GROUP BY 1, 2\n\
         ) AS once\n\
         GROUP BY bucket",
        width = bucket.micros,
        clause = scope.clause().replace('\n', "\n  "),
        extra = extra.replace('\n', "\n  "),
    )
}

/// Event counts per time bucket, split by outcome. The bucket width keeps 40–120 buckets.
pub fn timeline(scope: &Scope) -> Query {
    let bucket = scope.window.bucket();
    let q = query(
        format!("Timeline ({} buckets)", bucket.label()),
        histogram(scope, bucket, ""),
        scope.params(),
    );
    // Facts count by the hour: a bucket of whole hours is made of them.
    match bucket.micros % facts::HOUR == 0 {
        true => countable(q, Counted::Timeline, scope),
        false => q,
    }
}

/// The columns an event list shows: who did what to what first, where it happened after.
const EVENT_COLUMNS: &str =
    "event_time, principal, action, resource, outcome, error_code, source_ip, cloud, tenant, event_id";

/// The events of one timeline bucket, oldest first.
pub fn bucket_events(scope: &Scope, bucket_start: i64) -> Query {
    let bucket = scope.window.bucket();
    let mut params = scope.params();
    params.push(("bucket_start".into(), timestamp(bucket_start)));
    params.push(("bucket_end".into(), timestamp(bucket_start + bucket.micros)));
    let sql = format!(
        "SELECT {EVENT_COLUMNS}\nFROM events\nWHERE {}\n  AND event_time >= $bucket_start AND event_time < $bucket_end\nORDER BY event_time, event_id",
        scope.clause()
    );
    query("Events of the bucket", sql, params)
}

/// One row per principal.
pub fn principals(scope: &Scope) -> Query {
    let clause = scope.clause();
    let sql = format!(
        "WITH busiest AS (\n\
         \x20 SELECT principal, count(*) AS n FROM events\n\
         \x20 WHERE {clause}\n\
         \x20 GROUP BY principal ORDER BY n DESC, principal LIMIT {BUSIEST}\n\
         )\n\
         SELECT principal,\n\
         \x20      {EVENTS} AS events,\n\
         \x20      min(event_time) AS first_seen,\n\
         \x20      max(event_time) AS last_seen,\n\
         \x20      count(DISTINCT action) AS actions,\n\
         \x20      count(DISTINCT resource) AS resources,\n\
         \x20      count(DISTINCT source_ip) AS source_ips,\n\
         \x20      count(DISTINCT tenant) AS tenants,\n\
         \x20      {EVENTS} FILTER (WHERE outcome = 'failure') AS failures\n\
         FROM events\n\
         WHERE {clause}\n\
         \x20 AND principal IN (SELECT principal FROM busiest)\n\
         GROUP BY principal\n\
         ORDER BY events DESC, principal"
    );
    countable(
        query(
            format!("Principals (the {BUSIEST} with the most events)"),
            sql,
            scope.params(),
        ),
        Counted::Principals,
        scope,
    )
}

/// One row per resource.
pub fn resources(scope: &Scope) -> Query {
    let clause = scope.clause();
    let sql = format!(
        "WITH busiest AS (\n\
         \x20 SELECT resource, count(*) AS n FROM events\n\
         \x20 WHERE {clause}\n\
         \x20   AND resource IS NOT NULL\n\
         \x20 GROUP BY resource ORDER BY n DESC, resource LIMIT {BUSIEST}\n\
         )\n\
         SELECT resource,\n\
         \x20      min(resource_type) AS resource_type,\n\
         \x20      {EVENTS} AS events,\n\
         \x20      {EVENTS} FILTER (WHERE {CHANGED}) AS changes,\n\
         \x20      min(event_time) AS first_seen,\n\
         \x20      max(event_time) AS last_seen,\n\
         \x20      count(DISTINCT principal) AS principals,\n\
         \x20      count(DISTINCT action) AS actions,\n\
         \x20      {EVENTS} FILTER (WHERE outcome = 'failure') AS failures\n\
         FROM events\n\
         WHERE {clause}\n\
         \x20 AND resource IN (SELECT resource FROM busiest)\n\
         GROUP BY resource\n\
         ORDER BY events DESC, resource"
    );
    countable(
        query(
            format!("Resources (the {BUSIEST} with the most events)"),
            sql,
            scope.params(),
        ),
        Counted::Resources,
        scope,
    )
}

/// Which column a pivot is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Principal,
    Resource,
    SourceIp,
}

impl Subject {
    pub fn column(self) -> &'static str {
        match self {
            Subject::Principal => "principal",
            Subject::Resource => "resource",
            Subject::SourceIp => "source_ip",
        }
    }
}

/// The values of one column with how often and when they occur, the most frequent first.
pub fn frequency(scope: &Scope, column: &str) -> Result<Query, EngineError> {
    if !is_event_column(column) {
        return Err(EngineError::Usage(format!(
            "'{column}' is computed by this view, not a column of events: it has no frequency table"
        )));
    }
    let sql = format!(
        "SELECT {column},\n\
         \x20      {EVENTS} AS events,\n\
         \x20      min(event_time) AS first_seen,\n\
         \x20      max(event_time) AS last_seen\n\
         FROM events\n\
         WHERE {clause}\n\
         GROUP BY {column}\n\
         ORDER BY events DESC, {column}\n\
         LIMIT {BUSIEST}",
        clause = scope.clause()
    );
    Ok(query(format!("Values of {column}"), sql, scope.params()))
}

/// A result's column name as a SQL identifier (it may hold spaces or capitals: `count(*)`).
fn quote_identifier(column: &str) -> String {
    format!("\"{}\"", column.replace('"', "\"\""))
}

/// The values of one column of `query`'s whole result, the most frequent first, with when they
/// were first and last seen when the result has `event_time`: "which actions are in this list?".
pub fn frequency_in(query: &Query, column: &str, has_time: bool) -> Query {
    let quoted = quote_identifier(column);
    let seen = if has_time {
        ",\n       min(event_time) AS first_seen,\n       max(event_time) AS last_seen"
    } else {
        ""
    };
    wrapped(
        query,
        format!("Values of {column}"),
        format!("SELECT {quoted},\n       count(*) AS rows{seen}\nFROM (\n"),
        format!("\n) AS result\nGROUP BY {quoted}\nORDER BY rows DESC, {quoted}\nLIMIT {BUSIEST}"),
    )
}

/// `query` inside other SQL, answered from facts as `query` is.
fn wrapped(query: &Query, title: String, before: String, after: String) -> Query {
    Query {
        title,
        sql: format!("{before}{}{after}", query.sql),
        params: query.params.clone(),
        facts: query.facts.as_ref().map(|f| FactsView {
            before: format!("{before}{}", f.before),
            after: format!("{}{after}", f.after),
            ..f.clone()
        }),
    }
}

/// `query`'s whole result sorted by one of its columns (not just the rows a screen loaded).
pub fn sorted(query: &Query, column: &str, descending: bool) -> Query {
    let quoted = quote_identifier(column);
    wrapped(
        query,
        query.title.clone(),
        "SELECT * FROM (\n".into(),
        format!(
            "\n) AS result\nORDER BY {quoted} {} NULLS LAST",
            if descending { "DESC" } else { "ASC" }
        ),
    )
}

/// The values of `subject` that `name` may mean: the value itself, or values that end with it
/// after a separator (`billing-export` for `…:function:billing-export` or `…/functions/billing-export`),
/// or an e-mail whose local part it is.
pub fn candidates(scope: &Scope, subject: Subject, name: &str) -> Query {
    let c = subject.column();
    let mut params = scope.params();
    params.push(("name".into(), text(name)));
    let sql = format!(
        "SELECT {c} AS candidate, {EVENTS} AS events\n\
         FROM events\n\
         WHERE {clause}\n\
         \x20 AND ({c} = $name\n\
         \x20      OR ends_with({c}, '/' || $name)\n\
         \x20      OR ends_with({c}, ':' || $name)\n\
         \x20      OR starts_with({c}, $name || '@'))\n\
         GROUP BY {c}\n\
         ORDER BY events DESC, candidate\n\
         LIMIT 50",
        clause = scope.clause()
    );
    query(format!("{}s matching '{name}'", c), sql, params)
}

fn about(scope: &Scope, subject: Subject, value: &str) -> (String, Vec<(String, ScalarValue)>) {
    let mut params = scope.params();
    params.push(("subject".into(), text(value)));
    (
        format!("{}\n  AND {} = $subject", scope.clause(), subject.column()),
        params,
    )
}

/// A principal's view, section by section.
#[derive(Clone, Debug)]
pub struct PrincipalView {
    /// Its events over time (a histogram).
    pub activity: Query,
    pub resources: Query,
    /// The source IPs and user agents it called from.
    pub sources: Query,
    pub failures: Query,
    /// Every event, oldest first.
    pub events: Query,
}

impl PrincipalView {
    /// The sections that summarise (all but the event list), in the order they are shown.
    pub fn summaries(&self) -> [&Query; 4] {
        [&self.activity, &self.resources, &self.sources, &self.failures]
    }
}

/// A principal's activity: over time, the resources it touched, where it came from, its failures.
pub fn principal(scope: &Scope, principal: &str) -> PrincipalView {
    let (clause, params) = about(scope, Subject::Principal, principal);
    let bucket = scope.window.bucket();
    PrincipalView {
        activity: query(
            format!("Activity ({} buckets)", bucket.label()),
            histogram(scope, bucket, "\n  AND principal = $subject"),
            params.clone(),
        ),
        resources: query(
            "Resources it touched",
            format!(
                "SELECT resource,\n\
                 \x20      {EVENTS} AS events,\n\
                 \x20      {EVENTS} FILTER (WHERE {CHANGED}) AS changes,\n\
                 \x20      min(event_time) AS first_seen,\n\
                 \x20      max(event_time) AS last_seen,\n\
                 \x20      array_to_string(array_sort(array_agg(DISTINCT action)), ', ') AS actions\n\
                 FROM events\n\
                 WHERE {clause}\n\
                 \x20 AND resource IS NOT NULL\n\
                 GROUP BY resource\n\
                 ORDER BY changes DESC, events DESC, resource"
            ),
            params.clone(),
        ),
        sources: query(
            "Source IPs and user agents",
            format!(
                "SELECT source_ip, user_agent,\n\
                 \x20      {EVENTS} AS events,\n\
                 \x20      min(event_time) AS first_seen,\n\
                 \x20      max(event_time) AS last_seen\n\
                 FROM events\n\
                 WHERE {clause}\n\
                 GROUP BY source_ip, user_agent\n\
                 ORDER BY events DESC, source_ip, user_agent"
            ),
            params.clone(),
        ),
        failures: query(
            "Failures",
            format!(
                "SELECT event_time, action, resource, error_code, error_message, source_ip, event_id\n\
                 FROM events\n\
                 WHERE {clause}\n\
                 \x20 AND outcome = 'failure'\n\
                 ORDER BY event_time, event_id"
            ),
            params,
        ),
        events: events_of(scope, Subject::Principal, principal),
    }
}

/// Every event of a principal or a resource, oldest first.
pub fn events_of(scope: &Scope, subject: Subject, value: &str) -> Query {
    let (clause, params) = about(scope, subject, value);
    query(
        "Events",
        format!("SELECT {EVENT_COLUMNS}\nFROM events\nWHERE {clause}\nORDER BY event_time, event_id"),
        params,
    )
}

/// A resource from its side: its changes first (who deployed and configured it), then who
/// touched it and how, then its activity over time.
pub fn resource(scope: &Scope, resource: &str) -> ResourceView {
    let (clause, params) = about(scope, Subject::Resource, resource);
    let bucket = scope.window.bucket();
    ResourceView {
        changes: query(
            "Changes, then reads",
            format!(
                "SELECT event_time, principal, source_identity, action, outcome, error_code, source_ip, event_id\n\
                 FROM events\n\
                 WHERE {clause}\n\
                 ORDER BY CASE WHEN read_only = false AND coalesce(category, '') NOT IN ('data', 'data_access') THEN 0 ELSE 1 END, event_time, event_id"
            ),
            params.clone(),
        ),
        principals: query(
            "Who touched it",
            format!(
                "SELECT principal,\n\
                 \x20      {EVENTS} AS events,\n\
                 \x20      {EVENTS} FILTER (WHERE {CHANGED}) AS changes,\n\
                 \x20      min(event_time) AS first_seen,\n\
                 \x20      max(event_time) AS last_seen,\n\
                 \x20      array_to_string(array_sort(array_agg(DISTINCT action)), ', ') AS actions\n\
                 FROM events\n\
                 WHERE {clause}\n\
                 GROUP BY principal\n\
                 ORDER BY changes DESC, events DESC, principal"
            ),
            params.clone(),
        ),
        activity: query(
            format!("Activity ({} buckets)", bucket.label()),
            histogram(scope, bucket, "\n  AND resource = $subject"),
            params,
        ),
        events: events_of(scope, Subject::Resource, resource),
    }
}

/// A resource's view, section by section.
#[derive(Clone, Debug)]
pub struct ResourceView {
    /// Its changes first, then the reads, oldest first within each.
    pub changes: Query,
    /// Who touched it, and how.
    pub principals: Query,
    /// Its events over time (a histogram).
    pub activity: Query,
    /// Every event, oldest first.
    pub events: Query,
}

impl ResourceView {
    /// The sections that summarise (all but the event list), in the order they are shown.
    pub fn summaries(&self) -> [&Query; 3] {
        [&self.changes, &self.principals, &self.activity]
    }
}

/// The events of the window with these ids, oldest first (a detection's hits, as events every
/// pivot works from). The ids are bound, and an `IN` list of `event_id` is what the file index
/// rules files out by.
pub fn events_with_ids(scope: &Scope, title: &str, ids: &[String]) -> Query {
    let mut params = scope.params();
    let mut names = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        names.push(format!("$id_{i}"));
        params.push((format!("id_{i}"), text(id)));
    }
    let list = match names.is_empty() {
        true => "false".to_string(),
        false => format!("event_id IN ({})", names.join(", ")),
    };
    let sql = format!(
        "SELECT {EVENT_COLUMNS}\nFROM events\nWHERE {}\n  AND {list}\nORDER BY event_time, event_id",
        scope.clause()
    );
    query(title, sql, params)
}

/// One event, whole, whatever its time.
pub fn event(event_id: &str) -> Query {
    query(
        format!("Event {event_id}"),
        "SELECT *\nFROM events\nWHERE event_id = $event_id\nORDER BY event_time, source_object, source_index".into(),
        vec![("event_id".into(), text(event_id))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::window::TimeWindow;

    fn scope() -> Scope {
        Scope::new(TimeWindow {
            from: 0,
            to: super::super::window::DAY,
            chosen: String::new(),
        })
    }

    #[test]
    fn events_with_ids_binds_each_id_and_the_file_index_can_use_the_list() {
        let q = events_with_ids(&scope(), "Hits", &["a'b".to_string(), "c".to_string()]);
        assert!(q.sql.contains("event_id IN ($id_0, $id_1)"), "{}", q.sql);
        assert!(!q.sql.contains("a'b"));
        assert!(q.params.iter().any(|(n, v)| n == "id_0" && display_value(v) == "a'b"));
        assert!(events_with_ids(&scope(), "None", &[]).sql.contains("AND false"));
    }

    #[test]
    fn a_user_filter_is_one_expression_and_nothing_more() {
        let s = scope()
            .with_filter("outcome = 'failure' AND cloud IN ('aws', 'gcp')")
            .unwrap();
        assert_eq!(s.filter(), Some("outcome = 'failure' AND cloud IN ('aws', 'gcp')"));
        for bad in [
            "1 = 1; DROP TABLE events",
            "x = 1) OR (1 = 1",
            "",
            "SELECT 1 FROM events",
            "a = 1 -- c\n b",
        ] {
            assert!(matches!(scope().with_filter(bad), Err(EngineError::Usage(_))), "{bad}");
        }
        // A comment cannot hide the rest of the view's SQL: the expression is re-rendered.
        assert_eq!(
            scope().with_filter("outcome = 'x' -- note").unwrap().filter(),
            Some("outcome = 'x'")
        );
    }

    #[test]
    fn a_filter_may_name_only_columns_of_events() {
        let ok = "events.cloud = 'aws' AND json_get_str(raw, 'eventName') = 'X' \
                  AND event_time > now() - INTERVAL '1 day' AND date >= '2024-01-01' AND read_only IS NOT TRUE";
        assert!(scope().with_filter(ok).is_ok());
        for (bad, named) in [
            ("nosuchcol = 1", "names nosuchcol,"),
            ("outcome = \"failure\"", "names failure,"),
            ("events.nosuch IS NULL AND cloud = 'aws'", "names nosuch,"),
        ] {
            match scope().with_filter(bad) {
                Err(EngineError::Usage(m)) => assert!(m.contains(named), "{m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn values_are_bound_as_parameters_never_spliced() {
        let name = "x' OR '1'='1";
        for q in [
            candidates(&scope(), Subject::Principal, name),
            events_of(&scope(), Subject::Resource, name),
            event(name),
        ] {
            assert!(!q.sql.contains(name), "{}", q.sql);
            assert!(q.params.iter().any(|(_, v)| *v == text(name)));
        }
        let (p, r) = (principal(&scope(), name), resource(&scope(), name));
        for q in p.summaries().into_iter().chain(r.summaries()) {
            assert!(!q.sql.contains(name), "{}", q.sql);
        }
    }
}
