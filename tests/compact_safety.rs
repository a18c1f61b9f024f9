//! A query at any moment of a compaction, or after a kill at any write, sees each partition whole:
//! its old files or its new one, never both, never neither; a half-written ingest batch is invisible.
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
use std::sync::Arc;
use std::sync::atomic::Ordering;

use datafusion::arrow::array::RecordBatch;
use futures::TryStreamExt;
use trailscope::archive::inputs::resolve;
use trailscope::archive::{CompactOptions, IngestOptions, Location, Quiet, StoreOptions, compact, ingest};
use trailscope::engine::{Session, SessionOptions};

use common::compaction::*;

async fn chain_problems(archive: &std::path::Path) -> Vec<trailscope::archive::chain::verify::Problem> {
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    trailscope::archive::chain::verify::verify(&location, &Default::default(), &Quiet)
        .await
        .unwrap()
        .problems
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
        // The chain accounts for every object, whatever was cut short, but for the index: a
        // compaction cut between its index object and its link leaves one the chain does not
        // know (hidden from nobody: the next run undoes it), a merge cut between its link and its
        // object one it misses (the next run rolls the link back).
        let problems = chain_problems(&archive).await;
        assert!(
            problems.iter().all(|p| p.object.starts_with("_index/")
                && (p.what.contains("no link of the chain adds it") || p.what.starts_with("missing"))),
            "verify after a kill at write {budget}: {problems:?}"
        );

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
        let problems = chain_problems(&archive).await;
        assert!(
            problems.is_empty(),
            "verify after a kill at write {budget} and a rerun: {problems:?}"
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
    // Every run gets the same fingerprint key, so that markers and sealed ids compare equal.
    let same_key = |archive: &std::path::Path| {
        std::fs::create_dir_all(archive.join("_sealed")).unwrap();
        std::fs::write(archive.join("_sealed/key"), "7".repeat(64)).unwrap();
    };
    same_key(&clean_dir);
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
    let mut rolled_back = false;
    for budget in 1..writes {
        let archive = dir.path().join(format!("killed-{budget}"));
        same_key(&archive);
        let (result, _) = ingest_with(archive.clone(), budget).await;
        assert!(result.is_err());
        // A run after the kill finishes or undoes the batch, in the chain too (a batch linked but
        // never committed is rolled back there).
        if archive.is_dir() {
            let rerun = dir.path().join(format!("rerun-{budget}"));
            copy_dir(&archive, &rerun);
            let (again, _) = ingest_with(rerun.clone(), usize::MAX).await;
            again.unwrap_or_else(|e| panic!("the run after a kill at write {budget} failed: {e}"));
            let problems = chain_problems(&rerun).await;
            assert!(
                problems.is_empty(),
                "verify after a kill at write {budget} and a rerun: {problems:?}"
            );
            rolled_back |= walkdir::WalkDir::new(rerun.join("_chain"))
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .any(|e| {
                    std::fs::read_to_string(e.path())
                        .unwrap()
                        .contains(r#""kind":"rollback""#)
                });
            std::fs::remove_dir_all(&rerun).unwrap();
        }
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
    assert!(rolled_back, "some kill came after a batch's link and before its commit");
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
            facts: true,
            engine: Default::default(),
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
