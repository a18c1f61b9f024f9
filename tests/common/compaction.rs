//! Compaction's test set-up: an archive of every cloud with duplicate deliveries, its events
//! read back whole, its files counted, and compaction run against a store that dies after N writes.

use super::store::Watched;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::TryStreamExt;
use trailscope::archive::changes::visible_files;
use trailscope::archive::file_index;
use trailscope::archive::inputs::resolve;
use trailscope::archive::{
    CompactOptions, CompactSummary, IngestOptions, Location, Quiet, StoreOptions, compact, ingest,
};
use trailscope::engine::{Session, SessionOptions};

/// Raw logs of every cloud, and copies of two of them (one byte longer, so ingested again):
/// their events arrive twice, as duplicate deliveries do.
pub async fn build_archive(archive: &Path, scratch: &Path) {
    let copies = scratch.join("redelivered");
    std::fs::create_dir_all(&copies).unwrap();
    for original in [
        "reports/111122223333_CloudTrail_us-east-1_20240610T1200Z_inc1dent.json",
        "aws/111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json",
    ] {
        let mut bytes = std::fs::read(super::fixture(original)).unwrap();
        bytes.push(b'\n');
        // Under another name: a re-sent copy, not CloudTrail's delivery file, which its digest
        // would find changed.
        let name = Path::new(original).file_name().unwrap().to_string_lossy();
        std::fs::write(copies.join(format!("resent-{name}")), bytes).unwrap();
    }
    let location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    // One batch per source file: a partition gets a file from each source that has its events.
    let options = IngestOptions {
        batch_events: 1,
        ..IngestOptions::default()
    };
    // The first delivery is read from a copy of the fixtures beside the redelivered files, so
    // the re-sent files' paths sort first wherever the project is checked out ("redelivered" <
    // "sources"): the copy compaction keeps is chosen by ingest order, not by name.
    let first = scratch.join("sources");
    for sources in [vec!["aws", "gcp", "azure", "reports"], vec![]] {
        let mut paths: Vec<String> = sources
            .iter()
            .map(|d| {
                copy_dir(&super::fixture(d), &first.join(d));
                first.join(d).display().to_string()
            })
            .collect();
        if paths.is_empty() {
            paths.push(copies.display().to_string());
        }
        let inputs = resolve(&paths, &StoreOptions::default()).await.unwrap();
        ingest(&location, inputs, &options, &Quiet).await.unwrap();
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// An archive as trailscope wrote it before format 2: every record verbatim in `raw`, files
/// without the `sealed_id` and `assumed_principal` columns, no format record, no sealed tier. The
/// events are those a fresh ingest of `sources` (files or folders) takes.
pub fn write_format_1_archive(archive: &Path, sources: &[std::path::PathBuf]) {
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use trailscope::archive::layout::{PartitionKey, part_name};
    use trailscope::archive::writer;
    use trailscope::sources::{CloudChoice, Event, Mapped, read_file};
    let mut partitions: BTreeMap<PartitionKey, Vec<Event>> = BTreeMap::new();
    for source in sources {
        for entry in walkdir::WalkDir::new(source).sort_by_file_name() {
            let entry = entry.unwrap();
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path().canonicalize().unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let Ok(read) = read_file(&bytes, &path.display().to_string(), CloudChoice::Auto) else {
                continue;
            };
            for (_, mapped, _) in read.records {
                if let Mapped::Event(e) = mapped {
                    partitions.entry(PartitionKey::of(&e)).or_default().push(*e);
                }
            }
        }
    }
    for (key, mut events) in partitions {
        let encoded = writer::encode(&mut events, "format 1").unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(encoded.bytes)).unwrap();
        let keep: Vec<usize> = reader
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| !["sealed_id", "assumed_principal"].contains(&f.name().as_str()))
            .map(|(i, _)| i)
            .collect();
        let batches: Vec<RecordBatch> = reader
            .build()
            .unwrap()
            .map(|b| b.unwrap().project(&keep).unwrap())
            .collect();
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, batches[0].schema(), None).unwrap();
        for batch in &batches {
            writer.write(batch).unwrap();
        }
        writer.close().unwrap();
        let dir = archive.join(key.dir());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(part_name()), out).unwrap();
    }
}

/// Every event, every column, as text, sorted; by partition (`date|cloud|tenant`); revealed.
pub async fn events(archive: &Path) -> BTreeMap<String, Vec<String>> {
    events_as(archive, false).await
}

/// The same, as a reader sees them: revealed, or with secrets hidden (`redact`).
pub async fn events_as(archive: &Path, redact: bool) -> BTreeMap<String, Vec<String>> {
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let session = Session::open(
        location,
        SessionOptions {
            redact,
            journal: None,
            facts: true,
            engine: Default::default(),
        },
    )
    .await
    .unwrap();
    let batches: Vec<RecordBatch> = session
        .sql("SELECT * FROM events")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let options = FormatOptions::default().with_null("∅");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for batch in &batches {
        let schema = batch.schema();
        let column = |name: &str| schema.index_of(name).unwrap();
        let formatters: Vec<ArrayFormatter<'_>> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            let cell = |i: usize| formatters[i].value(row).to_string();
            let partition = format!(
                "{}|{}|{}",
                cell(column("date")),
                cell(column("cloud")),
                cell(column("tenant"))
            );
            let text: Vec<String> = (0..formatters.len()).map(cell).collect();
            out.entry(partition).or_default().push(text.join("|"));
        }
    }
    for rows in out.values_mut() {
        rows.sort();
    }
    out
}

pub fn count(events: &BTreeMap<String, Vec<String>>) -> usize {
    events.values().map(Vec::len).sum()
}

/// Parquet files on disk, and those a reader may see.
pub async fn files(archive: &Path) -> (usize, usize) {
    let on_disk = walkdir::WalkDir::new(archive.join("events"))
        .into_iter()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "parquet"))
        .count();
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let visible = visible_files(&location, &["events".to_string()]).await.unwrap().len();
    (on_disk, visible)
}

/// Parquet files per partition (`date|cloud|tenant`), as written (before any compaction).
pub fn files_per_partition(archive: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(archive.join("events")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|x| x != "parquet") {
            continue;
        }
        let parts: Vec<String> = entry
            .path()
            .parent()
            .unwrap()
            .iter()
            .rev()
            .take(3)
            .map(|s| s.to_string_lossy().split_once('=').unwrap().1.to_string())
            .collect();
        *out.entry(format!("{}|{}|{}", parts[2], parts[1], parts[0]))
            .or_default() += 1;
    }
    out
}

pub fn at_once() -> CompactOptions {
    // Replaced files go at once: no query is running in these tests.
    CompactOptions {
        retain: Duration::ZERO,
        ..CompactOptions::default()
    }
}

pub async fn run(archive: &Path, options: &CompactOptions, budget: usize) -> (Result<CompactSummary, String>, usize) {
    let mut location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let dying = Arc::new(Watched::dying_after(location.store.clone(), budget));
    location.store = dying.clone();
    let result = compact(&location, options, &Quiet).await.map_err(|e| e.to_string());
    (result, dying.writes.load(Ordering::SeqCst))
}

/// What compaction must make of `before`: per partition, each event once — the copy that sorts
/// first by (event_time, event_id, ingest run, source_object, source_index); `build_archive`
/// ingests the redelivered copies in the second run.
pub fn deduplicated(before: &BTreeMap<String, Vec<String>>, header: &[String]) -> BTreeMap<String, Vec<String>> {
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (time, id, object, index) = (
        at("event_time"),
        at("event_id"),
        at("source_object"),
        at("source_index"),
    );
    before
        .iter()
        .map(|(partition, rows)| {
            let mut sorted: Vec<Vec<&str>> = rows.iter().map(|r| r.split('|').collect()).collect();
            sorted.sort_by_key(|r| {
                (
                    r[time].to_string(),
                    r[id].to_string(),
                    r[object].contains("/redelivered/"),
                    r[object].to_string(),
                    r[index].parse::<u32>().unwrap(),
                )
            });
            let mut seen = std::collections::HashSet::new();
            let mut kept: Vec<String> = sorted
                .into_iter()
                .filter(|r| seen.insert(r[id].to_string()))
                .map(|r| r.join("|"))
                .collect();
            kept.sort();
            (partition.clone(), kept)
        })
        .collect()
}

pub async fn header(archive: &Path) -> Vec<String> {
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let session = Session::open(
        location,
        SessionOptions {
            redact: false,
            journal: None,
            facts: true,
            engine: Default::default(),
        },
    )
    .await
    .unwrap();
    let stream = session.sql("SELECT * FROM events LIMIT 0").await.unwrap();
    datafusion::execution::RecordBatchStream::schema(&stream)
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

/// Checks every file-index entry of a visible file against the file's own rows: each value of
/// each indexed column is one the entry may hold, each time within its range (an entry that
/// ruled out a file holding a value would lose events). Returns the visible files with an
/// entry, and without one.
pub async fn index_is_sound(archive: &Path) -> (usize, usize) {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::TimestampMicrosecondType;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let visible = visible_files(&location, &["events".to_string()]).await.unwrap();
    let days: Vec<String> = std::fs::read_dir(archive.join("events"))
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy()[5..].to_string())
        .collect();
    let all: Vec<usize> = (0..file_index::INDEXED.len()).collect();
    let index = file_index::read(&location, &days, &all).await.unwrap();
    let (mut indexed, mut unindexed) = (0, 0);
    for meta in visible {
        let Some(entry) = index.get(&meta.location) else {
            unindexed += 1;
            continue;
        };
        indexed += 1;
        let file = std::fs::File::open(format!("/{}", meta.location)).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
        let mut rows = 0;
        for batch in reader {
            let batch = batch.unwrap();
            rows += batch.num_rows() as u64;
            let times = batch.column_by_name("event_time").unwrap();
            for t in times.as_primitive::<TimestampMicrosecondType>().iter().flatten() {
                assert!(
                    entry.may_overlap(Some(t), Some(t)),
                    "{}: time {t} outside its entry",
                    meta.location
                );
            }
            for (column, name) in file_index::INDEXED.iter().enumerate() {
                let values = batch.column_by_name(name).unwrap().as_string::<i32>();
                for (row, value) in values.iter().enumerate() {
                    if let Some(value) = value {
                        assert!(
                            entry.may_hold(column, value),
                            "{}: {name} = {value} (row {row}) is ruled out by its entry",
                            meta.location
                        );
                    }
                }
            }
        }
        assert_eq!(entry.rows, rows, "{}", meta.location);
    }
    (indexed, unindexed)
}
