//! A run killed at any point, then run again, ends with exactly the events of a clean run.
//!
//! The kill is simulated by a store that stops accepting writes after N of them: nothing after
//! that write happens, as if the process had died there. Every N from the first write to the
//! last is tried.

mod common;

use common::store::Watched;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use datafusion::arrow::array::{Array, AsArray};
use futures::StreamExt;
use trailscope::archive::inputs::resolve;
use trailscope::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest};
use trailscope::engine::Session;

fn options() -> IngestOptions {
    // Small batches: a kill can land between batches as well as inside one.
    IngestOptions {
        batch_events: 4,
        parallelism: 2,
        ..IngestOptions::default()
    }
}

fn sources() -> Vec<String> {
    ["aws", "gcp", "azure", "bad"]
        .iter()
        .map(|d| common::fixture(d).display().to_string())
        .collect()
}

async fn run(archive: &std::path::Path, budget: usize) -> (Result<(), String>, usize) {
    let mut location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let dying = Arc::new(Watched::dying_after(location.store.clone(), budget));
    location.store = dying.clone();
    let inputs = resolve(&sources(), &StoreOptions::default()).await.unwrap();
    let result = ingest(&location, inputs, &options(), &Quiet)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    (result, dying.writes.load(Ordering::SeqCst))
}

/// Every event's identity and origin, sorted, counting repeats.
async fn events(archive: &std::path::Path) -> Vec<String> {
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let session = Session::open(
        location,
        trailscope::engine::SessionOptions {
            redact: false,
            journal: None,
            facts: true,
            engine: Default::default(),
        },
    )
    .await
    .unwrap();
    let stream = session
        .sql("SELECT event_id || ' ' || source_object || ' ' || source_index FROM events")
        .await
        .unwrap();
    let batches: Vec<_> = stream.collect::<Vec<_>>().await;
    let mut out: Vec<String> = Vec::new();
    for batch in batches {
        let batch = batch.unwrap();
        let column = batch.column(0);
        let column = datafusion::arrow::compute::cast(column, &datafusion::arrow::datatypes::DataType::Utf8).unwrap();
        let strings = column.as_string::<i32>();
        out.extend((0..strings.len()).map(|i| strings.value(i).to_string()));
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_at_any_write_and_run_again_ends_with_exactly_the_events_of_a_clean_run() {
    let clean_dir = tempfile::tempdir().unwrap();
    let (result, writes) = run(clean_dir.path(), usize::MAX).await;
    result.unwrap();
    let clean = events(clean_dir.path()).await;
    assert_eq!(clean.len(), 25, "the fixtures hold 25 events");
    assert!(
        writes > 20,
        "a clean run writes many objects ({writes}), so the kill lands in many places"
    );

    for budget in 0..writes {
        let dir = tempfile::tempdir().unwrap();
        let (killed, _) = run(dir.path(), budget).await;
        assert!(killed.is_err(), "a run with {budget} of {writes} writes cannot finish");
        let (again, _) = run(dir.path(), usize::MAX).await;
        again.unwrap_or_else(|e| panic!("the run after a kill at write {budget} failed: {e}"));
        assert_eq!(
            events(dir.path()).await,
            clean,
            "after a kill at write {budget} of {writes}"
        );
        // And a third run has nothing left to do.
        let (third, third_writes) = run(dir.path(), usize::MAX).await;
        third.unwrap();
        assert!(
            third_writes <= 8,
            "a third run only takes the lock and reads its inputs again ({third_writes} writes)"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undoing_a_killed_batch_through_a_failing_store_fails_rather_than_leave_its_files_behind() {
    let clean_dir = tempfile::tempdir().unwrap();
    run(clean_dir.path(), usize::MAX).await.0.unwrap();
    let clean = events(clean_dir.path()).await;

    // Killed after the batch's change record and its first file (and what comes before them:
    // the lock, the format record, the fingerprint key, what digests need).
    let parts = |dir: &std::path::Path| walk(&dir.join("events")).len();
    let mut killed = None;
    for budget in 1..64 {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(dir.path(), budget).await.0.is_err());
        if parts(dir.path()) == 1 {
            killed = Some(dir);
            break;
        }
    }
    let dir = killed.expect("some kill leaves exactly one file of the unfinished batch");

    // The next run cannot tell whether that file is there: it stops, and retires nothing.
    let mut location = Location::create(dir.path().to_str().unwrap(), &StoreOptions::default()).unwrap();
    let flaky = Arc::new(Watched::new(location.store.clone()));
    flaky.failing_heads.store(true, Ordering::SeqCst);
    location.store = flaky.clone();
    let inputs = resolve(&sources(), &StoreOptions::default()).await.unwrap();
    let failed = ingest(&location, inputs, &options(), &Quiet).await;
    assert!(failed.is_err(), "the undo could not be done, so the run must not go on");
    assert!(
        !dir.path().join("_ingest/lock").exists(),
        "a run that fails lets go of the lock (another host would wait out its lease)"
    );
    assert!(
        events(dir.path()).await.is_empty(),
        "the unfinished batch is still hidden"
    );

    // Once the store answers again, the run ends as a clean one.
    run(dir.path(), usize::MAX).await.0.unwrap();
    assert_eq!(events(dir.path()).await, clean);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_into_a_bucket_that_is_not_there_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut location = Location::create(dir.path().to_str().unwrap(), &StoreOptions::default()).unwrap();
    let missing = Arc::new(Watched::new(location.store.clone()));
    missing.no_bucket.store(true, Ordering::SeqCst);
    location.store = missing;
    let inputs = resolve(&sources(), &StoreOptions::default()).await.unwrap();
    let message = ingest(&location, inputs, &options(), &Quiet)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("does not exist") && message.contains(&location.display) && !message.contains("lock"),
        "{message}"
    );
}
