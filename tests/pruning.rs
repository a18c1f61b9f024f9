//! A time window reads only the days it covers: the cost of a query follows its window, not the
//! archive's age. A store that records every read shows which files a query opened.

mod common;

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult,
};
use trailscope::archive::inputs::resolve;
use trailscope::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest};
use trailscope::engine::{Session, SessionOptions};

/// Records the path of every object read and every prefix listed.
#[derive(Debug)]
struct Recording {
    inner: Arc<dyn ObjectStore>,
    read: Arc<Mutex<Vec<String>>>,
    listed: Arc<Mutex<Vec<String>>>,
}

impl fmt::Display for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recording({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for Recording {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }
    async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        self.read.lock().unwrap().push(location.to_string());
        self.inner.get_opts(location, options).await
    }
    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> object_store::Result<Vec<Bytes>> {
        self.read.lock().unwrap().push(location.to_string());
        self.inner.get_ranges(location, ranges).await
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.listed
            .lock()
            .unwrap()
            .push(prefix.map(|p| p.to_string()).unwrap_or_default());
        self.inner.list(prefix)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.listed
            .lock()
            .unwrap()
            .push(prefix.map(|p| p.to_string()).unwrap_or_default());
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_condition_on_event_time_opens_only_the_days_it_covers() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
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
    let days = std::fs::read_dir(archive.join("events")).unwrap().count();
    assert!(days >= 5, "the fixture spans {days} days");

    let read = Arc::new(Mutex::new(Vec::new()));
    let listed = Arc::new(Mutex::new(Vec::new()));
    let mut recorded = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    recorded.store = Arc::new(Recording {
        inner: recorded.store.clone(),
        read: read.clone(),
        listed: listed.clone(),
    });
    let session = Session::open(
        recorded,
        SessionOptions {
            redact: true,
            journal: None,
        },
    )
    .await
    .unwrap();

    let count = |sql: &'static str| {
        let session = &session;
        async move {
            let batches: Vec<_> = session.sql(sql).await.unwrap().try_collect().await.unwrap();
            let column = batches[0]
                .column(0)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Int64Array>()
                .unwrap()
                .value(0);
            column
        }
    };
    read.lock().unwrap().clear();
    listed.lock().unwrap().clear();
    let n = count("SELECT count(*) FROM events WHERE event_time >= TIMESTAMP '2024-06-10T09:00:00Z' AND event_time < TIMESTAMP '2024-06-10T12:00:00Z'").await;
    assert_eq!(n, 75, "as the timeline counts them: 3 + 4 + 37 + 24 + 7");
    let files = read.lock().unwrap().clone();
    assert!(!files.is_empty());
    assert!(
        files.iter().all(|f| f.contains("/events/date=2024-06-10/")),
        "only the day in the window was opened: {files:?}"
    );
    let lists = listed.lock().unwrap().clone();
    assert!(
        lists
            .iter()
            .all(|p| !p.contains("date=") || p.contains("date=2024-06-10")),
        "no other day was listed: {lists:?}"
    );

    // The same question without a time condition opens every day: the difference is the pruning.
    read.lock().unwrap().clear();
    count("SELECT count(*) FROM events WHERE action = 'DescribeInstances'").await;
    let all: std::collections::BTreeSet<String> = read
        .lock()
        .unwrap()
        .iter()
        .filter_map(|f| {
            f.split("/events/")
                .nth(1)
                .map(|r| r.split('/').next().unwrap().to_string())
        })
        .collect();
    assert_eq!(all.len(), days, "{all:?}");
}
