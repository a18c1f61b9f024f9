//! The file index: ingest keeps each day's index to a few objects, and compaction indexes the
//! files an older version wrote, so that needles find what a full scan finds.

mod common;

use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::StreamExt;
use trailscope::archive::file_index;
use trailscope::archive::inputs::resolve;
use trailscope::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest};
use trailscope::engine::{Session, SessionOptions};

use common::compaction::*;

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
            facts: true,
            engine: Default::default(),
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
