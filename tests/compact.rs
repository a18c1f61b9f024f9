//! `trailscope compact`: a partition's small files become one, duplicate deliveries go, nothing
//! else changes; files written by an older trailscope are brought up to date.

mod common;

use datafusion::arrow::array::RecordBatch;
use futures::TryStreamExt;
use trailscope::archive::{CompactOptions, Location, StoreOptions};
use trailscope::engine::{Session, SessionOptions};

use common::compaction::*;

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
