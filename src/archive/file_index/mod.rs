//! The file index: for each Parquet file of a day, its time range and a bloom filter of each
//! column looked up by exact value, kept in a few small objects per day.
//!
//! A needle query ("everything access key AKIA… did this month") would otherwise open every
//! file's footer and bloom filters in its window — 1,800 files for a month of a busy archive,
//! most of the query's time. With the index it reads one or two objects per day and opens only
//! the files that may hold the value.
//!
//! ```text
//! _index/date=2026-01-31/<change id>.parquet   one row per file the change wrote
//! ```
//! Each ingest batch and each compaction writes the index object of the files it adds, before it
//! commits, named by its change id; compaction then merges a day's objects into one. The index
//! only ever rules files *out*: a reader uses an entry only for a file it lists as visible, and
//! a visible file without an entry (written by an older version, or by a run killed between
//! its files and their index) is read as if there were no index. So a missing, stale or
//! unreadable index object costs time, never an event.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, TimestampMicrosecondType};

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt, PutPayload};
use parquet::bloom_filter::Sbbf;

use super::layout::INDEX;
use super::{ArchiveError, Location};

pub mod facts;
mod merge;
mod object;
pub use facts::Facts;
pub use merge::{MERGE_AT, Merged, merge_days, summarize};
use object::{Reading, read_object};
pub use object::{decode, encode};

/// The columns the index keeps a bloom filter of: those the files carry bloom filters for,
/// `assumed_principal`, so that the few files of a month holding role assumptions are found, and
/// `sealed_id`, so that `--reveal` opens only the files that hold a record with a sealed
/// original (`sealed_id IS NOT NULL` rules out every other file).
pub const INDEXED: [&str; 7] = [
    "event_id",
    "principal",
    "resource",
    "access_key_id",
    "source_ip",
    "assumed_principal",
    "sealed_id",
];

/// The false-positive rate of each filter: a false positive costs opening one file (ten of a
/// month's 1,800 files at 1 %). At 0.1 % a filter is also twice the size of the file's own
/// (1 %, sized alike): its false positives are not the same values', so the file's filters rule
/// out most of what the index lets through, from the footer alone.
const FPP: f64 = 0.001;

/// The key of the index object a change writes for `day`.
pub fn key(day: &str, change_id: &str) -> String {
    format!("{INDEX}/date={day}/{change_id}.parquet")
}

/// One file's entry.
#[derive(Clone, Debug)]
pub struct FileSummary {
    /// The file, relative to the archive root.
    pub file: String,
    pub rows: u64,
    /// The earliest and latest `event_time` (UTC microseconds); `None` for a file of no rows.
    pub time: Option<(i64, i64)>,
    /// A filter per [`INDEXED`] column.
    pub blooms: Vec<Bloom>,
    /// The file's events counted for the views (`None`: written by an older version, or not
    /// read).
    pub facts: Option<Facts>,
}

impl FileSummary {
    /// The UTC day the file belongs to (from its `date=` folder).
    pub fn day(&self) -> Option<&str> {
        day_of(&self.file)
    }

    /// Whether the file may hold a row whose `INDEXED[column]` is `value` (false: it surely
    /// holds none).
    pub fn may_hold(&self, column: usize, value: &str) -> bool {
        match self.blooms.get(column) {
            Some(Bloom::Empty) => false,
            Some(Bloom::Filter(bloom)) => bloom.check(value),
            Some(Bloom::NotRead) | None => true,
        }
    }

    /// Whether the file may hold a row with any value in `INDEXED[column]`.
    pub fn may_hold_any(&self, column: usize) -> bool {
        !matches!(self.blooms.get(column), Some(Bloom::Empty))
    }

    /// Whether the file may hold a row whose time is within `[from, to]` (either end open).
    pub fn may_overlap(&self, from: Option<i64>, to: Option<i64>) -> bool {
        match self.time {
            None => false,
            Some((min, max)) => from.is_none_or(|f| max >= f) && to.is_none_or(|t| min <= t),
        }
    }
}

/// What the index knows of the values of one column in one file.
#[derive(Clone, Debug)]
pub enum Bloom {
    /// The file has no value in the column (all NULL).
    Empty,
    Filter(Sbbf),
    /// Left out when the index was read (the query does not ask about the column).
    NotRead,
}

/// The `date=` value of a path under `events/`.
pub fn day_of(path: &str) -> Option<&str> {
    path.split('/').find_map(|s| s.strip_prefix("date="))
}

/// Builds one file's entry from its rows, batch by batch.
pub struct Summarizer {
    file: String,
    rows: u64,
    /// Filters are sized for this many distinct values, then folded down to the ones seen.
    capacity: u64,
    time: Option<(i64, i64)>,
    blooms: Vec<Option<Sbbf>>,
    facts: facts::FactsBuilder,
}

impl Summarizer {
    /// `rows`: how many rows the file has (an upper bound of each column's distinct values).
    pub fn new(file: impl Into<String>, rows: usize) -> Self {
        Summarizer {
            file: file.into(),
            rows: 0,
            capacity: rows.max(1) as u64,
            time: None,
            blooms: (0..INDEXED.len()).map(|_| None).collect(),
            facts: Default::default(),
        }
    }

    /// Takes in a batch holding `event_time` and the indexed columns (others are ignored).
    pub fn add(&mut self, batch: &RecordBatch) -> Result<(), ArchiveError> {
        let missing = |name: &str| {
            ArchiveError::Arrow(arrow::error::ArrowError::SchemaError(format!(
                "the file index needs the column {name}"
            )))
        };
        self.rows += batch.num_rows() as u64;
        self.facts.add(batch);
        let times = batch
            .column_by_name("event_time")
            .ok_or_else(|| missing("event_time"))?;
        let times = times
            .as_primitive_opt::<TimestampMicrosecondType>()
            .ok_or_else(|| missing("event_time (as microseconds)"))?;
        for t in times.iter().flatten() {
            self.time = Some(match self.time {
                None => (t, t),
                Some((min, max)) => (min.min(t), max.max(t)),
            });
        }
        for (slot, name) in self.blooms.iter_mut().zip(INDEXED) {
            // A file written before the column existed reads it as empty.
            let Some(column) = batch.column_by_name(name) else {
                continue;
            };
            let values = text_values(column).ok_or_else(|| missing(name))?;
            for value in values.into_iter().flatten() {
                slot.get_or_insert_with(|| Sbbf::new_with_ndv_fpp(self.capacity, FPP).expect("the rate is in (0, 1)"))
                    .insert(value);
            }
        }
        Ok(())
    }

    pub fn finish(self) -> FileSummary {
        let blooms = self
            .blooms
            .into_iter()
            .map(|bloom| match bloom {
                Some(mut bloom) => {
                    bloom.fold_to_target_fpp(FPP);
                    Bloom::Filter(bloom)
                }
                None => Bloom::Empty,
            })
            .collect();
        // A file is a group of its own until a compaction says otherwise (see `facts`).
        let group = self.file.rsplit('/').next().unwrap_or(&self.file).to_string();
        FileSummary {
            facts: self.facts.finish(group),
            file: self.file,
            rows: self.rows,
            time: self.time,
            blooms,
        }
    }
}

/// The values of a text column, whichever of arrow's string layouts it is read as.
pub(crate) fn text_values(column: &ArrayRef) -> Option<Vec<Option<&str>>> {
    match column.data_type() {
        DataType::Utf8 => Some(column.as_string::<i32>().iter().collect()),
        DataType::LargeUtf8 => Some(column.as_string::<i64>().iter().collect()),
        DataType::Utf8View => Some(column.as_string_view().iter().collect()),
        _ => None,
    }
}

/// The index objects of a change's files, one per day they are in, encoded: their keys and bytes.
pub async fn encode_by_day(
    change_id: &str,
    summaries: Vec<FileSummary>,
) -> Result<Vec<(String, Vec<u8>)>, ArchiveError> {
    let mut by_day: HashMap<String, Vec<FileSummary>> = HashMap::new();
    for s in summaries {
        if let Some(day) = s.day() {
            by_day.entry(day.to_string()).or_default().push(s);
        }
    }
    let mut out = Vec::new();
    for (day, summaries) in by_day {
        let bytes = tokio::task::spawn_blocking(move || encode(&summaries))
            .await
            .expect("encoding the file index does not panic")?;
        out.push((key(&day, change_id), bytes));
    }
    out.sort();
    Ok(out)
}

/// Writes the index object of a change's files, one per day they are in.
pub async fn write(
    location: &Location,
    change_id: &str,
    summaries: Vec<FileSummary>,
) -> Result<Vec<crate::archive::chain::Entry>, ArchiveError> {
    let mut by_day: HashMap<String, Vec<FileSummary>> = HashMap::new();
    for s in summaries {
        if let Some(day) = s.day() {
            by_day.entry(day.to_string()).or_default().push(s);
        }
    }
    let mut keys = Vec::new();
    for (day, summaries) in by_day {
        let key = key(&day, change_id);
        let bytes = tokio::task::spawn_blocking(move || encode(&summaries))
            .await
            .expect("encoding the file index does not panic")?;
        let entry = crate::archive::chain::Entry::of(&key, &bytes);
        location
            .store
            .put(&location.path(&key), PutPayload::from(bytes))
            .await
            .map_err(|e| ArchiveError::store(&location.display, e))?;
        keys.push(entry);
    }
    keys.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(keys)
}

/// The index objects of a day.
async fn objects(location: &Location, day: &str) -> Result<Vec<ObjectMeta>, ArchiveError> {
    let mut found = location.list(&format!("{INDEX}/date={day}")).await?;
    found.retain(|m| m.location.as_ref().ends_with(".parquet"));
    // Oldest change first, so a later entry for the same file wins.
    found.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(found)
}

/// The entries of `days`, by file path as the store names it (`location.path(file)`), with the
/// filters of the `INDEXED` columns numbered in `columns`.
///
/// An object that vanished between listing and reading (merged by a compaction) or that cannot
/// be decoded is skipped: its files are then read as unindexed.
pub async fn read(
    location: &Location,
    days: &[String],
    columns: &[usize],
) -> Result<HashMap<Path, FileSummary>, ArchiveError> {
    read_days(location, days, columns, &[]).await
}

/// The entries of `days` with their facts of the `kinds` asked for (and no filter), by file path
/// as the store names it.
pub async fn read_facts(
    location: &Location,
    days: &[String],
    kinds: &'static [&'static str],
) -> Result<HashMap<Path, FileSummary>, ArchiveError> {
    read_days(location, days, &[], kinds).await
}

async fn read_days(
    location: &Location,
    days: &[String],
    columns: &[usize],
    facts: &'static [&'static str],
) -> Result<HashMap<Path, FileSummary>, ArchiveError> {
    let lists: Vec<_> = days.iter().map(|d| objects(location, d)).collect();
    let listed: Vec<Vec<ObjectMeta>> = futures::stream::iter(lists).buffered(8).try_collect().await?;
    let listed: Vec<ObjectMeta> = listed.into_iter().flatten().collect();
    let decoded = read_objects(location, &listed, columns, facts).await;
    Ok(decoded
        .into_iter()
        .flatten()
        .flatten()
        .map(|s| (location.path(&s.file), s))
        .collect())
}

/// Each object's entries, in the order given, or `None` for one that cannot be read. Each object
/// is read on a task of its own: decoding is spread over the cores.
async fn read_objects(
    location: &Location,
    objects: &[ObjectMeta],
    columns: &[usize],
    facts: &'static [&'static str],
) -> Vec<Option<Vec<FileSummary>>> {
    let reading = Arc::new(Reading {
        columns: columns.to_vec(),
        facts,
    });
    let reads: Vec<_> = objects
        .iter()
        .map(|meta| tokio::spawn(read_object(location.store.clone(), meta.clone(), reading.clone())))
        .collect();
    let mut decoded = Vec::with_capacity(reads.len());
    for read in reads {
        decoded.push(read.await.expect("reading the file index does not panic"));
    }
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::Schema;
    use bytes::Bytes;

    fn batch(times: &[i64], principals: &[Option<&str>]) -> RecordBatch {
        let schema = super::super::schema::file_schema();
        let n = times.len();
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| -> ArrayRef {
                match f.name().as_str() {
                    "event_time" => Arc::new(TimestampMicrosecondArray::from(times.to_vec()).with_timezone("UTC")),
                    "principal" => Arc::new(StringArray::from(principals.to_vec())),
                    _ => arrow::array::new_null_array(f.data_type(), n),
                }
            })
            .collect();
        RecordBatch::try_new(
            Arc::new(Schema::new(
                schema
                    .fields()
                    .iter()
                    .map(|f| f.as_ref().clone().with_nullable(true))
                    .collect::<Vec<_>>(),
            )),
            columns,
        )
        .unwrap()
    }

    #[test]
    fn an_entry_rules_out_values_and_times_a_file_does_not_hold() {
        let mut s = Summarizer::new("events/date=2026-01-02/cloud=aws/tenant=1/part-x.parquet", 3);
        s.add(&batch(&[30, 10], &[Some("alice"), None])).unwrap();
        s.add(&batch(&[20], &[Some("bob")])).unwrap();
        let entry = s.finish();
        assert_eq!(entry.day(), Some("2026-01-02"));
        assert_eq!((entry.rows, entry.time), (3, Some((10, 30))));
        let principal = INDEXED.iter().position(|c| *c == "principal").unwrap();
        assert!(entry.may_hold(principal, "alice") && entry.may_hold(principal, "bob"));
        assert!(!entry.may_hold(principal, "mallory"));
        // A column with no value at all holds nothing.
        let ip = INDEXED.iter().position(|c| *c == "source_ip").unwrap();
        assert!(!entry.may_hold(ip, "10.0.0.1"));
        assert!(entry.may_hold_any(principal) && !entry.may_hold_any(ip));
        assert!(entry.may_overlap(Some(30), None) && entry.may_overlap(None, Some(10)));
        assert!(!entry.may_overlap(Some(31), None) && !entry.may_overlap(Some(0), Some(9)));

        // Through an index object and back, the answers are the same.
        let bytes = Bytes::from(encode(std::slice::from_ref(&entry)).unwrap());
        let back = decode(bytes.clone(), &[principal, ip], &[]).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(
            (back[0].file.as_str(), back[0].rows, back[0].time),
            (entry.file.as_str(), 3, Some((10, 30)))
        );
        assert!(back[0].may_hold(principal, "alice") && !back[0].may_hold(principal, "mallory"));
        assert!(!back[0].may_hold(ip, "10.0.0.1"));
        // A filter left out when reading rules nothing out.
        let partly = decode(bytes, &[ip], &[]).unwrap();
        assert!(partly[0].may_hold(principal, "mallory") && !partly[0].may_hold(ip, "10.0.0.1"));
    }

    #[test]
    fn a_damaged_filter_rules_nothing_out() {
        let principal = INDEXED.iter().position(|c| *c == "principal").unwrap();
        let mut entry = Summarizer::new("events/date=2026-01-02/cloud=aws/tenant=1/part-x.parquet", 1);
        entry.add(&batch(&[10], &[Some("alice")])).unwrap();
        let mut entry = entry.finish();
        // Shorter than one block: no block to check.
        entry.blooms[principal] = Bloom::Filter(Sbbf::new(&[0u8; 8]));
        let back = decode(Bytes::from(encode(&[entry]).unwrap()), &[principal], &[]).unwrap();
        assert!(back[0].may_hold(principal, "alice") && back[0].may_hold(principal, "mallory"));
    }

    #[test]
    fn an_object_of_another_format_is_not_read_as_an_index() {
        assert!(decode(Bytes::from_static(b"not parquet"), &[0], &[]).is_none());
        let plain = super::super::writer::encode(&mut [], "p").unwrap();
        assert!(decode(Bytes::from(plain.bytes), &[0], &[]).is_none());
    }
}
