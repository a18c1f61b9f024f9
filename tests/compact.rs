//! `trailscope compact`: a partition's small files become one, duplicate deliveries go, nothing
//! else changes — and a query at any moment of a compaction, or after a kill at any write, sees
//! each partition whole: its old files or its new one, never both, never neither.
//!
//! A kill is simulated by a store that refuses every write (put or delete) after the first N;
//! the archive is then exactly as a process killed at that point would leave it, which is also
//! what a query running at that moment of the compaction would find.

mod common;

use common::store::Watched;

use std::fmt;
use std::ops::Range;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use object_store::path::Path as StorePath;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult,
};

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
async fn build_archive(archive: &Path, scratch: &Path) {
    let copies = scratch.join("redelivered");
    std::fs::create_dir_all(&copies).unwrap();
    for original in [
        "reports/111122223333_CloudTrail_us-east-1_20240610T1200Z_inc1dent.json",
        "aws/111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json",
    ] {
        let mut bytes = std::fs::read(common::fixture(original)).unwrap();
        bytes.push(b'\n');
        let name = Path::new(original).file_name().unwrap();
        std::fs::write(copies.join(name), bytes).unwrap();
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
                copy_dir(&common::fixture(d), &first.join(d));
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

fn copy_dir(from: &Path, to: &Path) {
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

/// Every event, every column, as text, sorted; by partition (`date|cloud|tenant`).
async fn events(archive: &Path) -> BTreeMap<String, Vec<String>> {
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let session = Session::open(
        location,
        SessionOptions {
            redact: false,
            journal: None,
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

fn count(events: &BTreeMap<String, Vec<String>>) -> usize {
    events.values().map(Vec::len).sum()
}

/// Parquet files on disk, and those a reader may see.
async fn files(archive: &Path) -> (usize, usize) {
    let on_disk = walkdir::WalkDir::new(archive.join("events"))
        .into_iter()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "parquet"))
        .count();
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let visible = visible_files(&location, &["events".to_string()]).await.unwrap().len();
    (on_disk, visible)
}

/// Parquet files per partition (`date|cloud|tenant`), as written (before any compaction).
fn files_per_partition(archive: &Path) -> BTreeMap<String, usize> {
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

fn at_once() -> CompactOptions {
    // Replaced files go at once: no query is running in these tests.
    CompactOptions {
        retain: Duration::ZERO,
        ..CompactOptions::default()
    }
}

async fn run(archive: &Path, options: &CompactOptions, budget: usize) -> (Result<CompactSummary, String>, usize) {
    let mut location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let dying = Arc::new(Watched::dying_after(location.store.clone(), budget));
    location.store = dying.clone();
    let result = compact(&location, options, &Quiet).await.map_err(|e| e.to_string());
    (result, dying.writes.load(Ordering::SeqCst))
}

/// What compaction must make of `before`: per partition, each event once — the copy that sorts
/// first by (event_time, event_id, ingest run, source_object, source_index); `build_archive`
/// ingests the redelivered copies in the second run.
fn deduplicated(before: &BTreeMap<String, Vec<String>>, header: &[String]) -> BTreeMap<String, Vec<String>> {
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

async fn header(archive: &Path) -> Vec<String> {
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let session = Session::open(
        location,
        SessionOptions {
            redact: false,
            journal: None,
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
async fn index_is_sound(archive: &Path) -> (usize, usize) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_merges_each_partitions_files_into_one_and_drops_exactly_the_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    build_archive(&archive, dir.path()).await;
    let before = events(&archive).await;
    let expected = deduplicated(&before, &header(&archive).await);
    let duplicates = count(&before) - count(&expected);
    assert!(duplicates >= 10, "the fixture redelivers {duplicates} events");
    let (files_before, _) = files(&archive).await;
    let crowded = files_per_partition(&archive);
    let untouched: usize = before
        .iter()
        .filter(|(p, _)| crowded.get(*p).copied().unwrap_or(0) <= 1)
        .map(|(_, rows)| rows.len())
        .sum();

    let (summary, _) = run(&archive, &CompactOptions::default(), usize::MAX).await;
    let summary = summary.unwrap();
    assert_eq!(
        summary.duplicates_removed as usize, duplicates,
        "each removed copy is counted"
    );
    assert_eq!(summary.events_kept as usize + untouched, count(&expected));
    assert_eq!(
        summary.partitions_rewritten,
        crowded.values().filter(|n| **n > 1).count()
    );
    let after = events(&archive).await;
    assert_eq!(after, expected, "every other event is unchanged, column for column");
    // The copies ingested later are the ones dropped, though their source files' paths sort first
    // ("…/redelivered/…" before "…/sources/…"): an event keeps the provenance of its first
    // delivery.
    let redelivered = after.values().flatten().filter(|r| r.contains("/redelivered/")).count();
    assert_eq!(redelivered, 0, "no kept event names the re-sent file");
    assert!(summary.partitions_rewritten >= 3, "{summary:?}");
    assert_eq!(
        summary.files_after, summary.partitions_rewritten,
        "one file per partition"
    );
    let (on_disk, visible) = files(&archive).await;
    assert_eq!(visible, files_before - summary.files_before + summary.files_after);
    assert_eq!(
        on_disk,
        files_before + summary.files_after,
        "the replaced files stay (hidden) for queries already reading them"
    );

    // A second run has nothing left to merge, and (with nothing to wait for) deletes the old files.
    let (again, _) = run(&archive, &at_once(), usize::MAX).await;
    let again = again.unwrap();
    assert_eq!((again.partitions_rewritten, again.duplicates_removed), (0, 0));
    assert_eq!(again.recovered.replaced_files_removed, summary.files_before);
    let (on_disk, visible) = files(&archive).await;
    assert_eq!(on_disk, visible);
    assert_eq!(events(&archive).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_indexes_the_files_an_older_version_wrote_and_needles_find_what_a_full_scan_finds() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    build_archive(&archive, dir.path()).await;
    let (indexed, unindexed) = index_is_sound(&archive).await;
    assert!(
        indexed > 10 && unindexed == 0,
        "ingest indexes what it writes: {indexed}, {unindexed}"
    );
    // One object per batch and day, merged by the run once a day has gathered many.
    let objects: Vec<usize> = std::fs::read_dir(archive.join("_index"))
        .unwrap()
        .map(|day| std::fs::read_dir(day.unwrap().path()).unwrap().count())
        .collect();
    assert!(objects.iter().all(|n| *n < file_index::MERGE_AT), "{objects:?}");
    // As an archive written before the index existed.
    std::fs::remove_dir_all(archive.join("_index")).unwrap();
    assert_eq!(index_is_sound(&archive).await.0, 0);

    let (summary, _) = run(&archive, &at_once(), usize::MAX).await;
    let summary = summary.unwrap();
    let (_, visible) = files(&archive).await;
    assert_eq!(
        summary.files_indexed,
        visible - summary.files_after,
        "the files compaction did not rewrite are read to index them: {summary:?}"
    );
    assert_eq!(index_is_sound(&archive).await, (visible, 0));
    for day in std::fs::read_dir(archive.join("events")).unwrap() {
        let day = day.unwrap().file_name();
        let objects = std::fs::read_dir(archive.join("_index").join(&day)).unwrap().count();
        assert_eq!(objects, 1, "{day:?}: one index object per day");
    }

    // Every value of every indexed column: the index answers as a scan of every file does.
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let session = Session::open(
        location,
        SessionOptions {
            redact: false,
            journal: None,
        },
    )
    .await
    .unwrap();
    let rows = |sql: String| {
        let session = &session;
        async move {
            let mut stream = session.sql(&sql).await.unwrap();
            let mut text = Vec::new();
            while let Some(batch) = stream.next().await {
                let batch = batch.unwrap();
                let formatters: Vec<ArrayFormatter<'_>> = batch
                    .columns()
                    .iter()
                    .map(|c| ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default()).unwrap())
                    .collect();
                for row in 0..batch.num_rows() {
                    text.push(
                        formatters
                            .iter()
                            .map(|f| f.value(row).to_string())
                            .collect::<Vec<_>>()
                            .join("|"),
                    );
                }
            }
            (text, stream.pruning())
        }
    };
    let mut ruled_out = 0;
    for column in file_index::INDEXED {
        let (values, _) = rows(format!(
            "SELECT DISTINCT {column} FROM events WHERE {column} IS NOT NULL ORDER BY 1"
        ))
        .await;
        assert!(!values.is_empty(), "the fixture has {column} values");
        for value in values {
            let literal = value.replace('\'', "''");
            let order = "ORDER BY event_time, event_id, source_object, source_index";
            let (found, pruning) = rows(format!("SELECT * FROM events WHERE {column} = '{literal}' {order}")).await;
            let (scanned, _) = rows(format!(
                "SELECT * FROM events WHERE concat({column}, '') = '{literal}' {order}"
            ))
            .await;
            assert!(!found.is_empty());
            assert_eq!(found, scanned, "{column} = {value}");
            let pruning = pruning.unwrap();
            assert_eq!(pruning.files_unindexed, 0, "{pruning}");
            ruled_out += pruning.files_ruled_out;
        }
    }
    assert!(ruled_out > 100, "the index rules files out ({ruled_out})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_upgrades_files_written_before_a_column_existed() {
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current");
    build_archive(&current, dir.path()).await;
    let older = dir.path().join("older");
    copy_dir(&current, &older);
    // The older archive: every file without `assumed_principal`, and no file index.
    std::fs::remove_dir_all(older.join("_index")).unwrap();
    let mut rewritten = 0;
    for entry in walkdir::WalkDir::new(older.join("events")) {
        let path = entry.unwrap().into_path();
        if path.extension().is_none_or(|x| x != "parquet") {
            continue;
        }
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap()).unwrap();
        let keep: Vec<usize> = reader
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name() != "assumed_principal")
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
        std::fs::write(&path, out).unwrap();
        rewritten += 1;
    }
    assert!(rewritten > 10);
    let sessions = |archive: std::path::PathBuf| async move {
        let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
        let session = Session::open(
            location,
            SessionOptions {
                redact: false,
                journal: None,
            },
        )
        .await
        .unwrap();
        let batches: Vec<RecordBatch> = session
            .sql("SELECT event_id, assumed_principal FROM events WHERE assumed_principal IS NOT NULL ORDER BY 1")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        batches.iter().map(RecordBatch::num_rows).sum::<usize>()
    };
    assert!(sessions(current.clone()).await > 0, "the fixture assumes roles");
    assert_eq!(
        sessions(older.clone()).await,
        0,
        "an older file reads the column as empty"
    );

    // Compaction rewrites every partition whose files lack the column, even a single file, and
    // fills the column from the raw records: the same archive as compacting the current one.
    let (summary, _) = run(&older, &at_once(), usize::MAX).await;
    let summary = summary.unwrap();
    assert_eq!(summary.partitions_rewritten, summary.partitions_examined, "{summary:?}");
    run(&current, &at_once(), usize::MAX).await.0.unwrap();
    assert_eq!(events(&older).await, events(&current).await);
    assert_eq!(index_is_sound(&older).await.1, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compact_command_says_what_it_merged_removed_and_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    build_archive(&archive, dir.path()).await;
    std::fs::remove_dir_all(archive.join("_index")).unwrap();
    let path = archive.to_str().unwrap();
    let line = |text: &str, label: &str| -> String {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no '{label}' in {text}"))
            .to_string()
    };
    let dry = common::trailscope(&["compact", "--archive", path, "--dry-run"], &[]);
    assert!(dry.status.success(), "{}", common::stderr(&dry));
    let said = common::stdout(&dry) + &common::stderr(&dry);
    assert!(said.contains("dry run: nothing was written"), "{said}");
    assert!(!archive.join("_index").exists(), "a dry run writes no index");

    let out = common::trailscope(&["compact", "--archive", path], &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let said = common::stdout(&out) + &common::stderr(&out);
    let indexed: usize = line(&said, "files indexed")
        .split_whitespace()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    let (_, visible) = files(&archive).await;
    assert_eq!(index_is_sound(&archive).await, (visible, 0));
    assert!(
        indexed > 0 && indexed < visible,
        "the untouched partitions' files: {said}"
    );
    assert!(line(&said, "duplicates removed").ends_with(char::is_numeric), "{said}");

    // A day without events is said to be one, with the days there are.
    let days: Vec<String> = std::fs::read_dir(archive.join("events"))
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().replace("date=", ""))
        .collect();
    let (first, last) = (days.iter().min().unwrap(), days.iter().max().unwrap());
    let out = common::trailscope(&["compact", "--archive", path, "--date", "1999-01-01"], &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let said = common::stdout(&out);
    assert!(
        said.contains(&format!(
            "no events on the days asked for: the archive's {} day(s) run from {first} to {last}",
            days.len()
        )),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_runs_keep_each_days_index_to_a_few_objects() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let original = common::fixture("aws/111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json");
    // The same events redelivered (other bytes, so not "already ingested"): a file per run.
    let deliver = |run: usize| {
        let (dir, original, location) = (dir.path().to_path_buf(), original.clone(), location.clone());
        async move {
            let copy = dir.join(format!("delivery-{run}"));
            std::fs::create_dir_all(&copy).unwrap();
            let mut bytes = std::fs::read(&original).unwrap();
            bytes.extend(std::iter::repeat_n(b'\n', run + 1));
            std::fs::write(copy.join(original.file_name().unwrap()), bytes).unwrap();
            let inputs = resolve(&[copy.display().to_string()], &StoreOptions::default())
                .await
                .unwrap();
            let summary = ingest(&location, inputs, &IngestOptions::default(), &Quiet)
                .await
                .unwrap();
            assert_eq!(summary.index_not_merged, None);
        }
    };
    let day = archive.join("_index/date=2024-05-02");
    let mut most = 0;
    for run in 0..2 * file_index::MERGE_AT {
        deliver(run).await;
        let objects = std::fs::read_dir(&day).unwrap().count();
        assert!(objects < file_index::MERGE_AT, "after run {run}: {objects} objects");
        most = most.max(objects);
    }
    assert_eq!(
        most,
        file_index::MERGE_AT - 1,
        "a day gathers objects until it is merged"
    );
    let (indexed, unindexed) = index_is_sound(&archive).await;
    assert_eq!((indexed, unindexed), (files(&archive).await.1, 0));
    assert!(indexed >= 2 * file_index::MERGE_AT);

    // An object that cannot be read is never merged away (the entries in it would go with it),
    // and the others are merged all the same.
    let damaged = std::fs::read_dir(&day).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&damaged, b"damaged").unwrap();
    for run in 2 * file_index::MERGE_AT..4 * file_index::MERGE_AT {
        deliver(run).await;
        assert!(damaged.exists(), "after run {run}");
        let objects = std::fs::read_dir(&day).unwrap().count();
        assert!(objects <= file_index::MERGE_AT, "after run {run}: {objects} objects");
    }
    let (indexed, unindexed) = index_is_sound(&archive).await;
    assert!(
        unindexed > 0,
        "the damaged object's files have no entry: read, not ruled out"
    );
    assert_eq!(indexed + unindexed, files(&archive).await.1);
    // `compact` summarizes those files again.
    let (summary, _) = run(&archive, &at_once(), usize::MAX).await;
    summary.unwrap();
    let (indexed, unindexed) = index_is_sound(&archive).await;
    assert_eq!((indexed, unindexed), (files(&archive).await.1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_at_any_step_and_a_rerun_after_a_kill_at_any_write_see_each_partition_whole() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template");
    build_archive(&template, dir.path()).await;
    let before = events(&template).await;
    let after = deduplicated(&before, &header(&template).await);

    let clean = dir.path().join("clean");
    copy_dir(&template, &clean);
    let (summary, writes) = run(&clean, &at_once(), usize::MAX).await;
    summary.unwrap();
    assert_eq!(events(&clean).await, after);
    let clean_files = files(&clean).await;
    assert_eq!(clean_files.0, clean_files.1, "no file is left behind");
    assert!(writes > 20, "a compaction writes and deletes many objects ({writes})");

    let mut mixed = 0;
    for budget in 0..writes {
        let archive = dir.path().join(format!("killed-{budget}"));
        copy_dir(&template, &archive);
        let (killed, _) = run(&archive, &at_once(), budget).await;
        assert!(killed.is_err(), "a run with {budget} of {writes} writes cannot finish");

        // What a query sees at this point: each partition exactly as before or exactly as after.
        let seen = events(&archive).await;
        assert_eq!(
            seen.keys().collect::<Vec<_>>(),
            before.keys().collect::<Vec<_>>(),
            "no partition vanishes (kill at write {budget})"
        );
        for (partition, rows) in &seen {
            assert!(
                rows == &before[partition] || rows == &after[partition],
                "partition {partition} after a kill at write {budget} of {writes} is neither its old nor its new self"
            );
        }
        if seen != before && seen != after {
            mixed += 1;
        }
        index_is_sound(&archive).await;

        // And the next run ends exactly where a clean run does.
        let (again, _) = run(&archive, &at_once(), usize::MAX).await;
        again.unwrap_or_else(|e| panic!("the run after a kill at write {budget} failed: {e}"));
        assert_eq!(
            events(&archive).await,
            after,
            "after a kill at write {budget} of {writes}"
        );
        assert_eq!(
            files(&archive).await,
            clean_files,
            "after a kill at write {budget}: no file left behind"
        );
        assert_eq!(
            index_is_sound(&archive).await,
            (clean_files.1, 0),
            "after a kill at write {budget}: every file is in the index"
        );
        std::fs::remove_dir_all(&archive).unwrap();
    }
    assert!(
        mixed > 0,
        "some kills land between partitions (some compacted, some not)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_written_ingest_batch_is_invisible() {
    let sources: Vec<String> = ["aws", "gcp", "azure", "reports"]
        .iter()
        .map(|d| common::fixture(d).display().to_string())
        .collect();
    let options = IngestOptions {
        batch_events: 1,
        ..IngestOptions::default()
    };
    let ingest_with = |archive: std::path::PathBuf, budget: usize| {
        let sources = sources.clone();
        let options = options.clone();
        async move {
            let mut location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
            let dying = Arc::new(Watched::dying_after(location.store.clone(), budget));
            location.store = dying.clone();
            let inputs = resolve(&sources, &StoreOptions::default()).await.unwrap();
            let result = ingest(&location, inputs, &options, &Quiet).await.map(|_| ());
            (result, dying.writes.load(Ordering::SeqCst))
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let clean_dir = dir.path().join("clean");
    let (result, writes) = ingest_with(clean_dir.clone(), usize::MAX).await;
    result.unwrap();
    // Each source's events, as a clean run stores them.
    let by_source = |events: &BTreeMap<String, Vec<String>>, header: &[String]| {
        let object = header.iter().position(|h| h == "source_object").unwrap();
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in events.values().flatten() {
            let source = row.split('|').nth(object).unwrap().to_string();
            out.entry(source).or_default().push(row.clone());
        }
        for rows in out.values_mut() {
            rows.sort();
        }
        out
    };
    let header = header(&clean_dir).await;
    let clean = by_source(&events(&clean_dir).await, &header);
    assert!(clean.len() >= 8, "{} sources", clean.len());

    let mut hidden_seen = false;
    for budget in 1..writes {
        let archive = dir.path().join(format!("killed-{budget}"));
        let (result, _) = ingest_with(archive.clone(), budget).await;
        assert!(result.is_err());
        if !archive.join("events").is_dir() {
            continue;
        }
        let (on_disk, visible) = files(&archive).await;
        hidden_seen |= on_disk > visible;
        if visible == 0 {
            continue;
        }
        // Every source seen is seen whole: a batch shows all its files or none.
        for (source, rows) in by_source(&events(&archive).await, &header) {
            assert_eq!(rows, clean[&source], "{source} after a kill at write {budget}");
        }
        std::fs::remove_dir_all(&archive).unwrap();
    }
    assert!(hidden_seen, "some kill left a batch's files on disk, hidden");
}

/// A store that, the first time a day folder is listed, first lets something else happen: what a
/// reader would see if a writer ran between its reading of the change records and its listing.
struct Meddling {
    inner: Arc<dyn ObjectStore>,
    meddle: Mutex<Option<BoxFuture<'static, ()>>>,
}

impl fmt::Debug for Meddling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Meddling({})", self.inner)
    }
}

impl fmt::Display for Meddling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Meddling({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for Meddling {
    async fn put_opts(
        &self,
        location: &StorePath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &StorePath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }
    async fn get_opts(&self, location: &StorePath, options: GetOptions) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }
    async fn get_ranges(&self, location: &StorePath, ranges: &[Range<u64>]) -> object_store::Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<StorePath>>,
    ) -> BoxStream<'static, object_store::Result<StorePath>> {
        self.inner.delete_stream(locations)
    }
    fn list(&self, prefix: Option<&StorePath>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let is_day = prefix.is_some_and(|p| p.as_ref().contains("/events/date="));
        let meddle = if is_day {
            self.meddle.lock().unwrap().take()
        } else {
            None
        };
        match meddle {
            Some(meddle) => {
                let (inner, prefix) = (self.inner.clone(), prefix.cloned());
                futures::stream::once(meddle)
                    .flat_map(move |()| inner.list(prefix.as_ref()))
                    .boxed()
            }
            None => self.inner.list(prefix),
        }
    }
    async fn list_with_delimiter(&self, prefix: Option<&StorePath>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(&self, from: &StorePath, to: &StorePath, options: CopyOptions) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compaction_that_commits_while_a_query_lists_its_files_is_seen_whole() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    build_archive(&archive, dir.path()).await;
    let before = events(&archive).await;
    let after = deduplicated(&before, &header(&archive).await);

    // The whole compaction runs after the query has read the change records, before it lists.
    let writer_archive = archive.clone();
    let compaction: BoxFuture<'static, ()> = Box::pin(async move {
        let location = Location::open(writer_archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
        let summary = compact(&location, &CompactOptions::default(), &Quiet).await.unwrap();
        assert!(summary.partitions_rewritten > 0);
    });
    let mut location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let meddling = Arc::new(Meddling {
        inner: location.store.clone(),
        meddle: Mutex::new(Some(compaction)),
    });
    location.store = meddling.clone();
    let session = Session::open(
        location,
        SessionOptions {
            redact: false,
            journal: None,
        },
    )
    .await
    .unwrap();
    let batches: Vec<RecordBatch> = session
        .sql("SELECT event_id, source_object, source_index FROM events")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(
        meddling.meddle.lock().unwrap().is_none(),
        "the compaction ran during the listing"
    );
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, count(&after), "the new files only: not both, not neither");
    assert_eq!(events(&archive).await, after);
}
