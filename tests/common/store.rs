//! An object store that watches another: it records what is read and listed, counts writes, can
//! die after a number of writes (as a killed process would, mid-run), and can fail `head`s (as a
//! flaky network would).

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult,
};

#[derive(Debug)]
pub struct Watched {
    inner: Arc<dyn ObjectStore>,
    /// Writes (puts, copies, deletes) allowed before every further one fails.
    budget: usize,
    pub writes: Arc<AtomicUsize>,
    pub read: Arc<Mutex<Vec<String>>>,
    pub listed: Arc<Mutex<Vec<String>>>,
    /// While set, every `head` fails with an error other than "not found".
    pub failing_heads: Arc<AtomicBool>,
    /// Reads and listings under this store path are refused, as a bucket policy refuses them.
    pub denied: Arc<Mutex<Option<String>>>,
    /// While set, every put answers "not found", as S3 does for a bucket that is not there.
    pub no_bucket: Arc<AtomicBool>,
}

impl Watched {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self::dying_after(inner, usize::MAX)
    }

    pub fn dying_after(inner: Arc<dyn ObjectStore>, budget: usize) -> Self {
        Watched {
            inner,
            budget,
            writes: Arc::default(),
            read: Arc::default(),
            listed: Arc::default(),
            failing_heads: Arc::default(),
            denied: Arc::default(),
            no_bucket: Arc::default(),
        }
    }

    fn write(&self) -> object_store::Result<()> {
        spend(&self.writes, self.budget)
    }

    fn refuses(&self, path: Option<&Path>) -> Option<object_store::Error> {
        let denied = self.denied.lock().unwrap().clone()?;
        let path = path?;
        path.as_ref()
            .starts_with(&denied)
            .then(|| object_store::Error::PermissionDenied {
                path: path.to_string(),
                source: "AccessDenied".into(),
            })
    }
}

fn spend(writes: &AtomicUsize, budget: usize) -> object_store::Result<()> {
    if writes.fetch_add(1, Ordering::SeqCst) >= budget {
        Err(object_store::Error::Generic {
            store: "watched",
            source: "the process was killed here".into(),
        })
    } else {
        Ok(())
    }
}

impl fmt::Display for Watched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Watched({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for Watched {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.write()?;
        if self.no_bucket.load(Ordering::SeqCst) {
            return Err(object_store::Error::NotFound {
                path: location.to_string(),
                source: "NoSuchBucket".into(),
            });
        }
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.write()?;
        self.inner.put_multipart_opts(location, opts).await
    }
    async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        if options.head && self.failing_heads.load(Ordering::SeqCst) {
            return Err(object_store::Error::Generic {
                store: "watched",
                source: "the connection was reset".into(),
            });
        }
        if let Some(e) = self.refuses(Some(location)) {
            return Err(e);
        }
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
        // Each delete is a write; once the budget is spent the rest fail.
        let (writes, budget) = (self.writes.clone(), self.budget);
        let gated = locations.map(move |p| spend(&writes, budget).and(p));
        self.inner.delete_stream(gated.boxed())
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        if let Some(e) = self.refuses(prefix) {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
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
        self.write()?;
        self.inner.copy_opts(from, to, options).await
    }
}
