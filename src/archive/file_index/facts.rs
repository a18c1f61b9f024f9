//! A file's events counted as the principals, resources and timeline views count them, kept in
//! the file's index entry: over a month of an organisation's archive those views then read one
//! index object per day instead of every file (30,000 of them for 1,000 tenants).
//!
//! The counts are exact for the file: events are distinct event ids, as the views count them,
//! and each distinct value (an action, a resource, a source address) is listed, so that a
//! reader adding files up counts a value seen in two files once. Adding files up is exact when
//! no event is in two of them — true of the files of one partition written by one change (an
//! ingest batch writes one file per partition; a compaction drops every duplicate of the
//! partition before it splits it): each entry names its `group` so a reader can tell.
//!
//! | `fact` | one row per | columns |
//! | --- | --- | --- |
//! | `principal` | principal | `n` (rows), `events`, `failures`, `first_seen`, `last_seen` |
//! | `principal_facet` | principal and one of its actions, resources or source addresses | `facet`, `value` |
//! | `resource` | resource | `resource_type` (the least), `n`, `events`, `changes`, `failures`, `first_seen`, `last_seen` |
//! | `resource_facet` | resource and one of its principals or actions | `facet`, `value` |
//! | `hour` | hour with events | `hour`, `events`, `successes`, `failures` |

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType};

use super::text_values;

pub const PRINCIPAL: &str = "principal";
pub const PRINCIPAL_FACET: &str = "principal_facet";
pub const RESOURCE: &str = "resource";
pub const RESOURCE_FACET: &str = "resource_facet";
pub const HOUR: &str = "hour";
/// Every kind, in the order an index object keeps them.
pub const KINDS: [&str; 5] = [HOUR, PRINCIPAL, PRINCIPAL_FACET, RESOURCE, RESOURCE_FACET];

/// The columns of the events a file's facts are counted from.
pub const READS: [&str; 10] = [
    "event_time",
    "event_id",
    "principal",
    "action",
    "resource",
    "resource_type",
    "source_ip",
    "outcome",
    "read_only",
    "category",
];

const HOUR_MICROS: i64 = 3_600_000_000;

/// A file's facts and the group of files they may be added to exactly.
#[derive(Clone, Debug)]
pub struct Facts {
    /// Files of one partition with the same group hold no event twice between them.
    pub group: String,
    /// Rows of [`schema`].
    pub rows: RecordBatch,
}

fn time_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The facts' columns, as kept in the index object beside the entries' (all nullable there).
pub fn schema() -> SchemaRef {
    // Asked for by every batch and index column read: made once.
    static SCHEMA: std::sync::LazyLock<SchemaRef> = std::sync::LazyLock::new(make_schema);
    SCHEMA.clone()
}

fn make_schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let count = |name: &str| Field::new(name, DataType::Int64, true);
    let time = |name: &str| Field::new(name, time_type(), true);
    Arc::new(Schema::new(vec![
        text("fact"),
        text("subject"),
        text("facet"),
        text("value"),
        text("resource_type"),
        count("n"),
        count("events"),
        count("changes"),
        count("successes"),
        count("failures"),
        time("first_seen"),
        time("last_seen"),
        time("hour"),
    ]))
}

/// One principal's or resource's events in the file, by the ordinal of their event id.
#[derive(Default)]
struct Counts {
    rows: i64,
    events: HashSet<u32>,
    failures: HashSet<u32>,
    changes: HashSet<u32>,
    first: i64,
    last: i64,
    resource_type: Option<String>,
    /// Its distinct values, by facet (`PRINCIPAL_FACETS` or `RESOURCE_FACETS`).
    facets: [HashSet<String>; 3],
}

const PRINCIPAL_FACETS: [&str; 3] = ["action", "resource", "source_ip"];
const RESOURCE_FACETS: [&str; 2] = ["principal", "action"];

/// `key`'s counts, made on first sight (the key is copied only then).
fn counts<'a>(map: &'a mut HashMap<String, Counts>, key: &str) -> &'a mut Counts {
    if !map.contains_key(key) {
        map.insert(key.to_string(), Counts::default());
    }
    map.get_mut(key).expect("just made")
}

impl Counts {
    fn add(&mut self, id: u32, time: i64, failed: bool, changed: bool) {
        if self.rows == 0 || time < self.first {
            self.first = time;
        }
        if self.rows == 0 || time > self.last {
            self.last = time;
        }
        self.rows += 1;
        self.events.insert(id);
        if failed {
            self.failures.insert(id);
        }
        if changed {
            self.changes.insert(id);
        }
    }

    fn facet(&mut self, facet: usize, value: Option<&str>) {
        if let Some(value) = value
            && !self.facets[facet].contains(value)
        {
            self.facets[facet].insert(value.to_string());
        }
    }
}

/// Counts a file's rows batch by batch.
#[derive(Default)]
pub struct FactsBuilder {
    /// Each event id once, numbered (the sets below hold numbers, not copies of the ids), with
    /// its time.
    ids: HashMap<String, (u32, i64)>,
    principals: HashMap<String, Counts>,
    resources: HashMap<String, Counts>,
    /// Per hour, per event: whether a copy succeeded, whether one failed.
    hours: HashMap<i64, HashMap<u32, (bool, bool)>>,
    /// A batch lacked a column the facts need (a file an older version wrote, read in part),
    /// or an id came at two times (GCP reuses an `insertId` for distinct entries): the views
    /// count events by id alone, which the facts of files added up cannot match, so the file
    /// has no facts and is read by the views as before.
    incomplete: bool,
}

impl FactsBuilder {
    pub fn add(&mut self, batch: &RecordBatch) {
        if self.incomplete || batch.num_rows() == 0 {
            return;
        }
        let text = |name: &str| batch.column_by_name(name).and_then(text_values);
        let times = batch
            .column_by_name("event_time")
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>());
        let read_only = batch
            .column_by_name("read_only")
            .and_then(|c| c.as_boolean_opt())
            .cloned();
        let (
            Some(times),
            Some(ids),
            Some(principals),
            Some(actions),
            Some(resources),
            Some(types),
            Some(ips),
            Some(outcomes),
            Some(read_only),
        ) = (
            times,
            text("event_id"),
            text("principal"),
            text("action"),
            text("resource"),
            text("resource_type"),
            text("source_ip"),
            text("outcome"),
            read_only,
        )
        else {
            self.incomplete = true;
            return;
        };
        let read_only: &BooleanArray = &read_only;
        // Data events are no changes (see `engine::views::CHANGED`); a batch without the column
        // (written before it) has none told apart.
        let categories = text("category").unwrap_or_else(|| vec![None; batch.num_rows()]);
        for i in 0..batch.num_rows() {
            // The views count events by id and time; a row without either counts nowhere.
            let (Some(id), true) = (ids[i], times.is_valid(i)) else {
                continue;
            };
            let time = times.value(i);
            let id = match self.ids.get(id) {
                Some((n, at)) if *at == time => *n,
                Some(_) => {
                    self.incomplete = true;
                    return;
                }
                None => {
                    let n = self.ids.len() as u32;
                    self.ids.insert(id.to_string(), (n, time));
                    n
                }
            };
            let succeeded = outcomes[i] == Some("success");
            let failed = outcomes[i] == Some("failure");
            let data = matches!(categories[i], Some("data" | "data_access"));
            let changed = read_only.is_valid(i) && !read_only.value(i) && succeeded && !data;
            if let Some(principal) = principals[i] {
                let c = counts(&mut self.principals, principal);
                c.add(id, time, failed, false);
                for (facet, value) in [actions[i], resources[i], ips[i]].into_iter().enumerate() {
                    c.facet(facet, value);
                }
            }
            if let Some(resource) = resources[i] {
                let c = counts(&mut self.resources, resource);
                c.add(id, time, failed, changed);
                if let Some(t) = types[i]
                    && c.resource_type.as_deref().is_none_or(|least| t < least)
                {
                    c.resource_type = Some(t.to_string());
                }
                for (facet, value) in [principals[i], actions[i]].into_iter().enumerate() {
                    c.facet(facet, value);
                }
            }
            let hour = time.div_euclid(HOUR_MICROS) * HOUR_MICROS;
            let seen = self.hours.entry(hour).or_default().entry(id).or_default();
            seen.0 |= succeeded;
            seen.1 |= failed;
        }
    }

    /// The facts, or `None` when a batch lacked a column they need or an id came twice at two
    /// times.
    pub fn finish(self, group: String) -> Option<Facts> {
        if self.incomplete {
            return None;
        }
        let mut rows = Rows::default();
        let mut principals: Vec<_> = self.principals.into_iter().collect();
        principals.sort_by(|a, b| a.0.cmp(&b.0));
        for (principal, c) in &principals {
            rows.counts(PRINCIPAL, principal, c);
        }
        for (principal, c) in &principals {
            rows.facets(PRINCIPAL_FACET, principal, &PRINCIPAL_FACETS, c);
        }
        let mut resources: Vec<_> = self.resources.into_iter().collect();
        resources.sort_by(|a, b| a.0.cmp(&b.0));
        for (resource, c) in &resources {
            rows.counts(RESOURCE, resource, c);
        }
        for (resource, c) in &resources {
            rows.facets(RESOURCE_FACET, resource, &RESOURCE_FACETS, c);
        }
        let mut hours: Vec<_> = self.hours.into_iter().collect();
        hours.sort_by_key(|(hour, _)| *hour);
        for (hour, events) in &hours {
            let successes = events.values().filter(|(s, _)| *s).count();
            let failures = events.values().filter(|(_, f)| *f).count();
            rows.hour(*hour, events.len(), successes, failures);
        }
        Some(Facts {
            group,
            rows: rows.finish(),
        })
    }
}

/// The facts' columns as they are built.
#[derive(Default)]
struct Rows {
    fact: StringBuilder,
    subject: StringBuilder,
    facet: StringBuilder,
    value: StringBuilder,
    resource_type: StringBuilder,
    n: Int64Builder,
    events: Int64Builder,
    changes: Int64Builder,
    successes: Int64Builder,
    failures: Int64Builder,
    first_seen: TimestampMicrosecondBuilder,
    last_seen: TimestampMicrosecondBuilder,
    hour: TimestampMicrosecondBuilder,
}

impl Rows {
    fn counts(&mut self, fact: &str, subject: &str, c: &Counts) {
        self.fact.append_value(fact);
        self.subject.append_value(subject);
        self.facet.append_null();
        self.value.append_null();
        self.resource_type.append_option(c.resource_type.as_deref());
        self.n.append_value(c.rows);
        self.events.append_value(c.events.len() as i64);
        self.changes
            .append_option((fact == RESOURCE).then_some(c.changes.len() as i64));
        self.successes.append_null();
        self.failures.append_value(c.failures.len() as i64);
        self.first_seen.append_value(c.first);
        self.last_seen.append_value(c.last);
        self.hour.append_null();
    }

    /// A row per distinct value of each facet, in order.
    fn facets(&mut self, fact: &str, subject: &str, names: &[&str], c: &Counts) {
        for (name, values) in names.iter().zip(&c.facets) {
            let mut values: Vec<&String> = values.iter().collect();
            values.sort();
            for value in values {
                self.facet(fact, subject, name, value);
            }
        }
    }

    fn facet(&mut self, fact: &str, subject: &str, facet: &str, value: &str) {
        self.fact.append_value(fact);
        self.subject.append_value(subject);
        self.facet.append_value(facet);
        self.value.append_value(value);
        self.resource_type.append_null();
        for c in [
            &mut self.n,
            &mut self.events,
            &mut self.changes,
            &mut self.successes,
            &mut self.failures,
        ] {
            c.append_null();
        }
        for t in [&mut self.first_seen, &mut self.last_seen, &mut self.hour] {
            t.append_null();
        }
    }

    fn hour(&mut self, hour: i64, events: usize, successes: usize, failures: usize) {
        self.fact.append_value(HOUR);
        for t in [
            &mut self.subject,
            &mut self.facet,
            &mut self.value,
            &mut self.resource_type,
        ] {
            t.append_null();
        }
        self.n.append_value(events as i64);
        self.events.append_value(events as i64);
        self.changes.append_null();
        self.successes.append_value(successes as i64);
        self.failures.append_value(failures as i64);
        self.first_seen.append_null();
        self.last_seen.append_null();
        self.hour.append_value(hour);
    }

    fn finish(mut self) -> RecordBatch {
        let utc = |mut b: TimestampMicrosecondBuilder| -> ArrayRef { Arc::new(b.finish().with_timezone("UTC")) };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.fact.finish()),
            Arc::new(self.subject.finish()),
            Arc::new(self.facet.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.resource_type.finish()),
            Arc::new(self.n.finish()),
            Arc::new(self.events.finish()),
            Arc::new(self.changes.finish()),
            Arc::new(self.successes.finish()),
            Arc::new(self.failures.finish()),
            utc(self.first_seen),
            utc(self.last_seen),
            utc(self.hour),
        ];
        RecordBatch::try_new(schema(), columns).expect("the facts' columns match their schema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, TimestampMicrosecondArray};

    fn events(rows: &[(&str, i64, &str, &str, Option<&str>, &str, bool)]) -> RecordBatch {
        let text = |f: &dyn Fn(&(&str, i64, &str, &str, Option<&str>, &str, bool)) -> Option<String>| -> ArrayRef {
            Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
        };
        let schema = Schema::new(
            READS
                .iter()
                .map(|n| {
                    let t = match *n {
                        "event_time" => time_type(),
                        "read_only" => DataType::Boolean,
                        _ => DataType::Utf8,
                    };
                    Field::new(*n, t, true)
                })
                .collect::<Vec<_>>(),
        );
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(
                    TimestampMicrosecondArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>()).with_timezone("UTC"),
                ),
                text(&|r| Some(r.0.to_string())),
                text(&|r| Some(r.2.to_string())),
                text(&|r| Some(r.3.to_string())),
                text(&|r| r.4.map(str::to_string)),
                text(&|r| r.4.map(|_| "bucket".to_string())),
                text(&|_| Some("10.0.0.1".to_string())),
                text(&|r| Some(r.5.to_string())),
                Arc::new(BooleanArray::from(rows.iter().map(|r| r.6).collect::<Vec<_>>())),
                // An object (`s3obj:`) is acted on by data events.
                text(&|r| {
                    Some(
                        if r.4.is_some_and(|x| x.starts_with("s3obj:")) {
                            "data"
                        } else {
                            "management"
                        }
                        .to_string(),
                    )
                }),
            ],
        )
        .unwrap()
    }

    #[test]
    fn an_event_delivered_twice_counts_once_and_each_value_is_listed_once() {
        let mut b = FactsBuilder::default();
        let h = HOUR_MICROS;
        b.add(&events(&[
            ("e1", 10, "alice", "PutObject", Some("s3:a"), "success", false),
            ("e2", h + 5, "alice", "GetObject", Some("s3:a"), "failure", true),
        ]));
        // The first event again, in a later batch.
        b.add(&events(&[(
            "e1",
            10,
            "alice",
            "PutObject",
            Some("s3:a"),
            "success",
            false,
        )]));
        let facts = b.finish("g".into()).unwrap();
        let rows = &facts.rows;
        let fact = rows.column(0).as_string::<i32>();
        let n = rows.column(5).as_primitive::<arrow::datatypes::Int64Type>();
        let events_ = rows.column(6).as_primitive::<arrow::datatypes::Int64Type>();
        let changes = rows.column(7).as_primitive::<arrow::datatypes::Int64Type>();
        let failures = rows.column(9).as_primitive::<arrow::datatypes::Int64Type>();
        let kinds: Vec<&str> = (0..rows.num_rows()).map(|i| fact.value(i)).collect();
        assert_eq!(
            kinds,
            [
                PRINCIPAL,
                PRINCIPAL_FACET,
                PRINCIPAL_FACET,
                PRINCIPAL_FACET,
                PRINCIPAL_FACET,
                RESOURCE,
                RESOURCE_FACET,
                RESOURCE_FACET,
                RESOURCE_FACET,
                HOUR,
                HOUR
            ]
        );
        // alice: three rows, two events, one failed.
        assert_eq!((n.value(0), events_.value(0), failures.value(0)), (3, 2, 1));
        // s3:a: one change (the successful write), counted once for its two copies.
        assert_eq!((events_.value(5), changes.value(5), failures.value(5)), (2, 1, 1));
        assert_eq!(rows.column(4).as_string::<i32>().value(5), "bucket");
        // Hours: one event each.
        assert_eq!((events_.value(9), events_.value(10)), (1, 1));
    }

    #[test]
    fn a_data_event_that_writes_is_no_change() {
        let mut b = FactsBuilder::default();
        b.add(&events(&[
            ("e1", 10, "alice", "PutObject", Some("s3obj:a/k"), "success", false),
            ("e2", 20, "alice", "PutBucketPolicy", Some("s3:a"), "success", false),
        ]));
        let facts = b.finish("g".into()).unwrap();
        let rows = &facts.rows;
        let fact = rows.column(0).as_string::<i32>();
        let subject = rows.column(1).as_string::<i32>();
        let changes = rows.column(7).as_primitive::<arrow::datatypes::Int64Type>();
        let changes_of = |resource: &str| {
            (0..rows.num_rows())
                .find(|&i| fact.value(i) == RESOURCE && subject.value(i) == resource)
                .map(|i| changes.value(i))
        };
        assert_eq!(changes_of("s3obj:a/k"), Some(0));
        assert_eq!(changes_of("s3:a"), Some(1));
    }

    #[test]
    fn an_id_at_two_times_leaves_the_file_without_facts() {
        // GCP reuses an insertId for distinct entries: the views, counting ids, would see one.
        let mut b = FactsBuilder::default();
        b.add(&events(&[
            ("e1", 10, "alice", "PutObject", None, "success", false),
            ("e1", 20, "alice", "PutObject", None, "success", false),
        ]));
        assert!(b.finish("g".into()).is_none());
    }

    #[test]
    fn a_file_without_a_needed_column_has_no_facts() {
        let mut b = FactsBuilder::default();
        let batch = events(&[("e1", 10, "alice", "PutObject", None, "success", true)]);
        let without = batch.project(&[0, 1, 2]).unwrap();
        b.add(&without);
        assert!(b.finish("g".into()).is_none());
    }
}
