//! The days of a window whose files' facts (see `archive::file_index::facts`) answer the
//! principals, resources and timeline views exactly, and those facts as a table.
//!
//! A day is answered from facts when every visible file of it has an index entry with facts,
//! and the files of each partition were written by one change (their facts add up: no event is
//! in two of them). A partition that gathered a second ingest batch since its last compaction
//! may hold an event twice, so its day is read from the files instead, until compaction merges
//! it. A day the window cuts is answered from facts only when each of its files' events lie
//! inside the window (the index keeps each file's time range), else it is read from the files.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::EngineError;
use super::views::{Counted, FactsView, Query};
use super::window::{DAY, TimeWindow};
use crate::archive::Location;
use crate::archive::changes::visible_files;
use crate::archive::file_index::{self, facts};
use crate::archive::layout::{EVENTS, utc_day};
use datafusion::prelude::SessionContext;

/// The facts of the days a window can take from the file index.
#[derive(Debug, Default)]
pub struct Covered {
    /// The days answered from facts, oldest first.
    pub days: Vec<String>,
    /// The files those days hold (none of them is read).
    pub files: usize,
    /// The facts of those files: `date`, `cloud`, `tenant`, then the facts' own columns.
    pub batches: Vec<RecordBatch>,
}

/// The table the facts are queried as.
pub fn schema() -> SchemaRef {
    let mut fields: Vec<Field> = ["date", "cloud", "tenant"]
        .iter()
        .map(|n| Field::new(*n, DataType::Utf8, false))
        .collect();
    fields.extend(facts::schema().fields().iter().map(|f| f.as_ref().clone()));
    Arc::new(Schema::new(fields))
}

/// The first and last UTC day `window` touches (`YYYY-MM-DD`, so that they compare as text).
fn days_touched(window: &TimeWindow) -> Option<(String, String)> {
    (window.from < window.to).then(|| (utc_day(window.from), utc_day(window.to - 1)))
}

/// Whether `day` lies wholly inside `window`.
fn whole(day: &str, window: &TimeWindow) -> bool {
    let Ok(date) = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") else {
        return false;
    };
    let start = date
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_micros();
    window.from <= start && start + DAY <= window.to
}

/// The kinds of facts a view counts with.
pub fn kinds(view: Counted) -> &'static [&'static str] {
    match view {
        Counted::Timeline => &[facts::HOUR],
        Counted::Principals => &[facts::PRINCIPAL, facts::PRINCIPAL_FACET],
        Counted::Resources => &[facts::RESOURCE, facts::RESOURCE_FACET],
        // Events from the hours, the first and last from the principals (every event has one).
        Counted::Coverage => &[facts::HOUR, facts::PRINCIPAL],
    }
}

/// The days of `window` that facts answer, and their facts of the `kinds` asked for.
pub async fn covered(
    location: &Location,
    window: &TimeWindow,
    kinds: &'static [&'static str],
) -> Result<Covered, EngineError> {
    let Some((first, last)) = days_touched(window) else {
        return Ok(Covered::default());
    };
    // Only days the archive has (a day without a folder has no events: nothing to read).
    let present: Vec<String> = location
        .folders(EVENTS)
        .await?
        .into_iter()
        .filter_map(|f| f.strip_prefix("date=").map(str::to_string))
        .filter(|d| d.len() == first.len() && *d >= first && *d <= last)
        .collect();
    if present.is_empty() {
        return Ok(Covered::default());
    }
    let prefixes: Vec<String> = present.iter().map(|d| format!("{EVENTS}/date={d}")).collect();
    let (files, entries) = futures::join!(
        visible_files(location, &prefixes),
        file_index::read_facts(location, &present, kinds)
    );
    let (files, entries) = (files?, entries?);
    // Each day's files by partition.
    let mut days: BTreeMap<&str, BTreeMap<(String, String), Vec<&object_store::ObjectMeta>>> = BTreeMap::new();
    for day in &present {
        days.insert(day, BTreeMap::new());
    }
    for meta in &files {
        let Some([day, cloud, tenant]) = partition(meta.location.as_ref()) else {
            continue;
        };
        if let Some(partitions) = days.get_mut(day.as_str()) {
            partitions.entry((cloud, tenant)).or_default().push(meta);
        }
    }
    let mut covered = Covered::default();
    let table = schema();
    for (day, partitions) in days {
        let mut batches = Vec::new();
        let mut exact = true;
        // A day the window cuts counts too when all its events are inside the window (the
        // window ends at the archive's newest event, and that day's files end before it).
        let whole = whole(day, window);
        let inside = |e: &&file_index::FileSummary| {
            whole || e.time.is_none_or(|(min, max)| window.from <= min && max < window.to)
        };
        'partitions: for ((cloud, tenant), files) in &partitions {
            let mut groups = BTreeSet::new();
            for meta in files {
                match entries
                    .get(&meta.location)
                    .filter(inside)
                    .and_then(|e| e.facts.as_ref())
                {
                    Some(f) => {
                        groups.insert(f.group.as_str());
                        if f.rows.num_rows() > 0 {
                            batches.push(with_partition(&table, &f.rows, day, cloud, tenant)?);
                        }
                    }
                    None => {
                        exact = false;
                        break 'partitions;
                    }
                }
            }
            if groups.len() > 1 {
                exact = false;
                break;
            }
        }
        if exact {
            covered.days.push(day.to_string());
            covered.files += partitions.values().map(Vec::len).sum::<usize>();
            covered.batches.extend(batches);
        }
    }
    Ok(covered)
}

/// A view answered from facts: the query to run, what the facts answered, and the table of
/// facts it reads, registered in the session until this is dropped.
pub(super) struct Answered<'a> {
    pub query: Query,
    pub used: FactsUsed,
    _table: Registered<'a>,
}

/// `query` (the view `view`) with the days of its window that facts answer taken from them,
/// their facts registered as a table of the query's own (queries running at once each read
/// their own), or `None` when facts answer no day of it. Facts only ever save reading: when
/// they cannot be read, the view reads the files.
pub(super) async fn answer<'a>(
    ctx: &'a SessionContext,
    location: &Location,
    query: &Query,
    view: &FactsView,
) -> Option<Answered<'a>> {
    let covered = covered(location, &view.scope.window, kinds(view.view)).await.ok()?;
    if covered.days.is_empty() {
        return None;
    }
    let schema = schema();
    // A few large batches, one partition per core: many small ones cost more than their rows.
    // Each chunk's small batches go as soon as they are copied into its large one.
    let parts = std::thread::available_parallelism().map_or(2, |n| n.get()).max(1);
    let chunk = covered.batches.len().div_ceil(parts).max(1);
    let mut batches = covered.batches.into_iter();
    let mut partitions = Vec::with_capacity(parts);
    loop {
        let part: Vec<_> = batches.by_ref().take(chunk).collect();
        if part.is_empty() {
            break;
        }
        partitions.push(vec![datafusion::arrow::compute::concat_batches(&schema, &part).ok()?]);
    }
    if partitions.is_empty() {
        partitions.push(vec![]);
    }
    let table = datafusion::datasource::MemTable::try_new(schema, partitions).ok()?;
    let name = format!("facts_{}", ulid::Ulid::new().to_string().to_lowercase());
    ctx.register_table(name.as_str(), Arc::new(table)).ok()?;
    let table = Registered { ctx, name };
    let mut answered = super::views::from_facts(view, &covered.days, &table.name);
    answered.title = query.title.clone();
    Some(Answered {
        query: answered,
        used: FactsUsed {
            days: covered.days.len(),
            files: covered.files,
        },
        _table: table,
    })
}

/// A per-query table, deregistered when its query is planned or dropped.
struct Registered<'a> {
    ctx: &'a SessionContext,
    name: String,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        let _ = self.ctx.deregister_table(self.name.as_str());
    }
}

/// Days of a view's window answered from the file index's facts, and the files of those days
/// the view did not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactsUsed {
    pub days: usize,
    pub files: usize,
}

impl std::fmt::Display for FactsUsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = if self.days == 1 { "" } else { "s" };
        write!(
            f,
            "{} day{plural} answered from the file index's facts, their {} file(s) not read",
            self.days,
            crate::text::thousands(self.files as u64)
        )
    }
}

/// `date`, `cloud` and `tenant` of a file's path.
fn partition(path: &str) -> Option<[String; 3]> {
    let mut segments = path.rsplit('/').skip(1);
    let tenant = segments.next()?.strip_prefix("tenant=")?;
    let cloud = segments.next()?.strip_prefix("cloud=")?;
    let day = segments.next()?.strip_prefix("date=")?;
    Some([day.to_string(), cloud.to_string(), tenant.to_string()])
}

fn with_partition(
    schema: &SchemaRef,
    rows: &RecordBatch,
    day: &str,
    cloud: &str,
    tenant: &str,
) -> Result<RecordBatch, EngineError> {
    let n = rows.num_rows();
    let constant = |v: &str| -> ArrayRef { Arc::new(StringArray::from_iter_values(std::iter::repeat_n(v, n))) };
    let mut columns = vec![constant(day), constant(cloud), constant(tenant)];
    columns.extend(rows.columns().iter().cloned());
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| EngineError::Sql(format!("the file index's facts: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(from: &str, to: &str) -> TimeWindow {
        let t = |s: &str| crate::sources::parse_time(s).unwrap();
        TimeWindow::resolve(
            Some(super::super::TimeSpec::At(t(from))),
            Some(super::super::TimeSpec::At(t(to))),
            None,
            DAY,
        )
        .unwrap()
    }

    #[test]
    fn the_days_a_window_touches_and_those_it_holds_whole() {
        let days = |from, to| days_touched(&window(from, to));
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(
            days("2026-01-01T06:00:00Z", "2026-01-04T00:00:00Z"),
            pair("2026-01-01", "2026-01-03")
        );
        assert_eq!(
            days("2026-01-01T00:00:00Z", "2026-01-01T23:59:59Z"),
            pair("2026-01-01", "2026-01-01")
        );
        assert_eq!(
            days("1969-12-31T00:00:00Z", "1970-01-01T00:00:00Z"),
            pair("1969-12-31", "1969-12-31")
        );
        let w = window("2026-01-01T06:00:00Z", "2026-01-04T00:00:00Z");
        assert!(!whole("2026-01-01", &w) && whole("2026-01-02", &w) && whole("2026-01-03", &w));
        assert!(!whole("2026-01-04", &w) && !whole("not a day", &w));
    }

    #[test]
    fn a_files_partition_comes_from_its_path() {
        assert_eq!(
            partition("root/events/date=2026-01-02/cloud=aws/tenant=123/part-x.parquet"),
            Some(["2026-01-02".into(), "aws".into(), "123".into()])
        );
        assert_eq!(partition("root/events/part-x.parquet"), None);
    }
}
