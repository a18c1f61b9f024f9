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
async fn an_archive_of_format_1_reads_masked_and_compaction_migrates_it_to_what_an_ingest_writes_now() {
    use trailscope::archive::format;
    let dir = tempfile::tempdir().unwrap();
    let sources: Vec<std::path::PathBuf> = ["aws", "gcp", "azure", "reports"]
        .iter()
        .map(|d| common::fixture(d))
        .collect();
    // The same sources ingested by this version, and written as trailscope wrote them before.
    let current = dir.path().join("current");
    let location = Location::create(current.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let paths: Vec<String> = sources.iter().map(|p| p.display().to_string()).collect();
    let inputs = trailscope::archive::inputs::resolve(&paths, &StoreOptions::default())
        .await
        .unwrap();
    trailscope::archive::ingest(&location, inputs, &Default::default(), &trailscope::archive::Quiet)
        .await
        .unwrap();
    let older = dir.path().join("older");
    write_format_1_archive(&older, &sources);
    let older_location = Location::open(older.to_str().unwrap(), &StoreOptions::default()).unwrap();
    assert_eq!(format::read(&older_location).await.unwrap(), Some(1));

    // Format 1 still reads: its secrets are verbatim in its files, and masked in every result.
    let token = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";
    let session = Session::open(
        older_location.clone(),
        SessionOptions {
            redact: true,
            journal: None,
            facts: true,
            engine: Default::default(),
        },
    )
    .await
    .unwrap();
    assert!(session.masks_results());
    let text = |batches: Vec<RecordBatch>| {
        datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string()
    };
    let raw: Vec<RecordBatch> = session
        .sql("SELECT raw, json_get_str(raw, 'responseElements', 'credentials', 'sessionToken') FROM events WHERE event_id = 'aws-assume-cross'")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let shown = text(raw);
    assert!(
        !shown.contains(token) && shown.contains("[MASKED:aws-session-token]"),
        "{shown}"
    );
    let revealed = events(&older).await;
    assert!(
        revealed.values().flatten().any(|r| r.contains(token)),
        "revealed, a format-1 archive reads its records as they are"
    );

    // With the current archive's key, fingerprints compare; compaction migrates the older one.
    std::fs::create_dir_all(older.join("_sealed")).unwrap();
    std::fs::copy(current.join("_sealed/key"), older.join("_sealed/key")).unwrap();
    let (summary, _) = run(&older, &at_once(), usize::MAX).await;
    let summary = summary.unwrap();
    assert_eq!(
        (summary.format_before, summary.format_after),
        (1, format::CURRENT),
        "{summary:?}"
    );
    assert_eq!(
        summary.genesis.as_ref().map(|g| g.objects),
        Some(summary.files_before as u64),
        "the files as they were are brought into the chain first: {summary:?}"
    );
    assert!(summary.events_sealed >= 1, "{summary:?}");
    assert_eq!(summary.partitions_rewritten, summary.partitions_examined, "{summary:?}");
    assert_eq!(format::read(&older_location).await.unwrap(), Some(format::CURRENT));
    run(&current, &at_once(), usize::MAX).await.0.unwrap();
    assert_eq!(
        events(&older).await,
        events(&current).await,
        "revealed, column for column"
    );
    assert_eq!(
        events_as(&older, true).await,
        events_as(&current, true).await,
        "as every reader sees them"
    );
    assert!(
        !events_as(&older, true)
            .await
            .values()
            .flatten()
            .any(|r| r.contains(token)),
        "no secret is left in events/"
    );
    assert_eq!(index_is_sound(&older).await.1, 0);
    // And everything the migration rewrote is accounted for by the chain.
    let verified =
        trailscope::archive::chain::verify::verify(&older_location, &Default::default(), &trailscope::archive::Quiet)
            .await
            .unwrap();
    assert!(verified.passed(), "{:?}", verified.problems);
    assert!(verified.objects > summary.files_after as u64, "{verified:?}");
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

    let out = common::trailscope(&["compact", "--archive", path, "--retain", "0s"], &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // Nothing kept for readers: the replaced files are gone at once.
    let (on_disk, visible) = files(&archive).await;
    assert_eq!(on_disk, visible);
    let said = common::stdout(&out) + &common::stderr(&out);
    let indexed: usize = line(&said, "files indexed")
        .split_whitespace()
        .last()
        .unwrap()
        .parse()
        .unwrap();
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
