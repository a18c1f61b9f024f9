//! Pruning you can see: after a query, the engine says how many files and row groups it read and
//! what it skipped — a needle on one principal is answered by the file index and the bloom
//! filters, a time window by the day folders — and `--verbose` prints it.

mod common;

use common::{stderr, trailscope};

use futures::StreamExt;
use trailscope::archive::inputs::resolve;
use trailscope::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest, writer};
use trailscope::engine::{Pruning, Session, SessionOptions};

/// The reports fixture in row groups of 4 events, so one file holds many row groups.
async fn archive(dir: &std::path::Path) -> std::path::PathBuf {
    writer::set_row_group_rows_for_tests(4);
    let archive = dir.join("archive");
    let location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let inputs = resolve(
        &[common::fixture("reports").display().to_string()],
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    ingest(&location, inputs, &IngestOptions::default(), &Quiet)
        .await
        .unwrap();
    archive
}

async fn pruning_of(session: &Session, sql: &str) -> (usize, Pruning) {
    let mut stream = session.sql(sql).await.unwrap();
    assert_eq!(stream.pruning(), None, "nothing is known before the query has run");
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        rows += batch.unwrap().num_rows();
    }
    (rows, stream.pruning().expect("known once the stream has ended"))
}

const NEEDLE: &str = "arn:aws:iam::111122223333:user/bob";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_needle_is_found_by_the_bloom_filters_and_a_window_by_its_days() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(dir.path()).await;
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let session = Session::open(
        location,
        SessionOptions {
            redact: true,
            journal: None,
            facts: true,
            engine: Default::default(),
        },
    )
    .await
    .unwrap();

    let (_, everything) = pruning_of(&session, "SELECT count(*) FROM events WHERE outcome <> 'nothing'").await;
    let (rows, needle) = pruning_of(
        &session,
        &format!("SELECT event_time, action FROM events WHERE principal = '{NEEDLE}'"),
    )
    .await;
    assert_eq!(rows, 1);
    // The file index rules out the files that cannot hold the principal, unopened; inside the
    // one left, the row groups' bloom filters find the one row group that does.
    assert_eq!(
        needle.files, everything.files,
        "no time window: every day's files are considered"
    );
    assert_eq!(needle.files_read, 1, "{needle}");
    assert_eq!(needle.files_ruled_out, needle.files - 1, "{needle}");
    assert_eq!(needle.files_unindexed, 0, "{needle}");
    assert_eq!(needle.row_groups_read(), Some(1), "{needle}");
    assert!(needle.row_groups_pruned_bloom_filter > 0, "{needle}");

    // A query that scans `events` twice counts each file once: read if either scan read it,
    // ruled out only if neither opened it.
    let twice = format!(
        "SELECT event_time FROM events WHERE principal = '{NEEDLE}' \
         UNION ALL SELECT event_time FROM events WHERE principal = '{NEEDLE}'"
    );
    let (rows, both) = pruning_of(&session, &twice).await;
    assert_eq!(rows, 2);
    assert_eq!(both, needle, "{both} against {needle}");
    let (_, mixed) = pruning_of(
        &session,
        &format!(
            "SELECT event_id FROM events WHERE principal = '{NEEDLE}' \
             UNION ALL SELECT event_id FROM events WHERE outcome <> 'nothing'"
        ),
    )
    .await;
    assert_eq!(
        (mixed.files, mixed.files_read, mixed.files_ruled_out),
        (everything.files, everything.files_read, 0),
        "{mixed} against {everything}"
    );

    // A column that must have a value: the files without any (no role assumed there) are ruled
    // out, and the rows are those a scan finds.
    let (sessions, present) = pruning_of(
        &session,
        "SELECT event_id FROM events WHERE assumed_principal IS NOT NULL",
    )
    .await;
    let (scanned, _) = pruning_of(
        &session,
        "SELECT event_id FROM events WHERE length(assumed_principal) >= 0",
    )
    .await;
    assert!(sessions > 0 && sessions == scanned, "{sessions} / {scanned}");
    assert!(present.files_ruled_out > present.files / 2, "{present}");

    // An index that cannot be listed only costs reading: the needle is found all the same.
    let day_index = archive.join("_index/date=2024-06-10");
    let moved = archive.join("index-aside");
    std::fs::rename(&day_index, &moved).unwrap();
    // A link to itself: listing it fails ("too many levels of symbolic links").
    std::os::unix::fs::symlink(&day_index, &day_index).unwrap();
    let (rows, unlisted) = pruning_of(
        &session,
        &format!("SELECT event_time, action FROM events WHERE principal = '{NEEDLE}'"),
    )
    .await;
    assert_eq!(rows, 1);
    assert_eq!(unlisted.files_ruled_out, 0, "{unlisted}");
    assert_eq!(unlisted.files_unindexed, unlisted.files, "{unlisted}");
    std::fs::remove_file(&day_index).unwrap();
    std::fs::rename(&moved, &day_index).unwrap();

    // Without the index (an archive written by an older version), every file is opened and its
    // row groups' statistics and bloom filters find the same row.
    std::fs::remove_dir_all(archive.join("_index")).unwrap();
    let (rows, unindexed) = pruning_of(
        &session,
        &format!("SELECT event_time, action FROM events WHERE principal = '{NEEDLE}'"),
    )
    .await;
    assert_eq!(rows, 1);
    assert_eq!(
        (unindexed.files_ruled_out, unindexed.files_unindexed),
        (0, everything.files),
        "{unindexed}"
    );
    let total = unindexed
        .row_groups
        .expect("the condition was tested against every row group");
    assert!(total >= 20, "the fixture spans {total} row groups");
    assert_eq!(unindexed.row_groups_read(), Some(1), "{unindexed}");
    assert_eq!(unindexed.files_read, 1, "{unindexed}");
    assert!(unindexed.to_string().contains("not in the file index"), "{unindexed}");

    let (rows, window) = pruning_of(
        &session,
        "SELECT * FROM events WHERE event_time >= TIMESTAMP '2024-06-10T09:00:00Z' AND event_time < TIMESTAMP '2024-06-10T12:00:00Z'",
    )
    .await;
    assert_eq!(rows, 75);
    assert!(
        window.files < everything.files,
        "the other days' files are never opened: {window} against {everything}"
    );
    assert!(window.row_groups_pruned_statistics > 0, "{window}");
    assert_eq!((window.days_listed, window.days), (1, everything.days), "{window}");
    assert!(window.days >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_prints_what_was_read_and_skipped_after_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(dir.path()).await;
    let archive = archive.to_str().unwrap();
    let sql = format!("SELECT action FROM events WHERE principal = '{NEEDLE}'");
    let out = trailscope(&["query", "--archive", archive, "-v", &sql], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("pruning: read 1 of ") && said.contains("bloom filter pruned"),
        "{said}"
    );

    let out = trailscope(
        &[
            "view",
            "timeline",
            "--archive",
            archive,
            "--from",
            "2024-06-10T09:00:00Z",
            "--to",
            "2024-06-10T12:00:00Z",
            "--verbose",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("pruning: read "), "{}", stderr(&out));

    let quiet = trailscope(&["query", "--archive", archive, &sql], &[]);
    assert!(!stderr(&quiet).contains("pruning"), "only when asked");
}
