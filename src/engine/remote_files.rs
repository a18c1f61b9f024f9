//! Reading the Parquet files of an archive in object storage with as few requests as possible.
//!
//! Each request to a store costs 10–50 ms however small it is, and most files of an archive are
//! small: one tenant's day, tens of kilobytes. DataFusion's reader asks for a file's footer, then
//! its page index, then its column chunks: two to four requests per file, each a round trip, and
//! again for a second scan of the same file in the same query. A small file is therefore read
//! whole, in one request, and kept for the session (up to a bound), so its footer, page index and
//! columns all come from memory: a month's principals view over 1,104 files went from 4,575 GETs
//! to one per file. A large file (after compaction) is read as DataFusion reads it, ranges only.
//!
//! Archive files never change under their name (a new batch or a compaction writes new names),
//! so a file kept in memory is the file; the key still carries its size and time.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::{
    CachedParquetFileReaderFactory, ParquetFileMetrics, ParquetFileReaderFactory,
};
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};

/// Files up to this size are read whole. One request of a few megabytes costs about what the
/// two or three smaller ones it replaces cost in latency alone, and a needle usually wants most
/// of a small file's row groups anyway.
pub const WHOLE_BELOW: u64 = 4 << 20;

/// How much of the files read whole a session keeps.
const KEEP_BYTES: u64 = 512 << 20;

/// Files as they are being read, or were read.
type Reading = Shared<BoxFuture<'static, Result<Bytes, Arc<object_store::Error>>>>;

/// The small files a session has read, shared by all its scans; the oldest go first.
#[derive(Debug, Default)]
pub struct SmallFiles {
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    files: HashMap<Key, Reading>,
    order: VecDeque<(Key, u64)>,
    bytes: u64,
}

type Key = (String, u64, i64);

fn key(meta: &ObjectMeta) -> Key {
    (
        meta.location.to_string(),
        meta.size,
        meta.last_modified.timestamp_micros(),
    )
}

impl SmallFiles {
    /// The whole file, read once however many readers ask at the same time.
    fn read(&self, store: &Arc<dyn ObjectStore>, meta: &ObjectMeta) -> Reading {
        let mut held = self.held.lock().expect("the lock is never poisoned");
        let key = key(meta);
        if let Some(reading) = held.files.get(&key) {
            return reading.clone();
        }
        let (store, path) = (store.clone(), meta.location.clone());
        let reading: Reading = async move {
            let got = store.get(&path).await.map_err(Arc::new)?;
            got.bytes().await.map_err(Arc::new)
        }
        .boxed()
        .shared();
        held.files.insert(key.clone(), reading.clone());
        held.order.push_back((key, meta.size));
        held.bytes += meta.size;
        while held.bytes > KEEP_BYTES && held.order.len() > 1 {
            let (old, size) = held.order.pop_front().expect("more than one is held");
            held.files.remove(&old);
            held.bytes -= size;
        }
        reading
    }
}

impl SmallFiles {
    fn forget(&self, key: &Key) {
        let mut held = self.held.lock().expect("the lock is never poisoned");
        if held.files.remove(key).is_some()
            && let Some(at) = held.order.iter().position(|(k, _)| k == key)
        {
            let (_, size) = held.order.remove(at).expect("just found");
            held.bytes -= size;
        }
    }
}

/// Readers for the files of a remote archive: small ones whole, from `SmallFiles`; large ones as
/// DataFusion reads them, their footers kept in the session's metadata cache.
#[derive(Debug)]
pub struct RemoteReaders {
    store: Arc<dyn ObjectStore>,
    small: Arc<SmallFiles>,
    large: CachedParquetFileReaderFactory,
}

impl RemoteReaders {
    pub fn new(store: Arc<dyn ObjectStore>, small: Arc<SmallFiles>, footers: Arc<FileMetadataCache>) -> Self {
        RemoteReaders {
            large: CachedParquetFileReaderFactory::new(store.clone(), footers),
            store,
            small,
        }
    }
}

impl ParquetFileReaderFactory for RemoteReaders {
    fn create_reader(
        &self,
        partition_index: usize,
        file: PartitionedFile,
        metadata_size_hint: Option<usize>,
        metrics: &ExecutionPlanMetricsSet,
    ) -> datafusion::error::Result<Box<dyn AsyncFileReader + Send>> {
        if file.object_meta.size > WHOLE_BELOW {
            return self
                .large
                .create_reader(partition_index, file, metadata_size_hint, metrics);
        }
        let metrics = ParquetFileMetrics::new(partition_index, file.object_meta.location.as_ref(), metrics);
        Ok(Box::new(WholeFile {
            reading: self.small.read(&self.store, &file.object_meta),
            small: self.small.clone(),
            key: key(&file.object_meta),
            metrics,
        }))
    }
}

/// A small file, read whole.
struct WholeFile {
    reading: Reading,
    small: Arc<SmallFiles>,
    key: Key,
    metrics: ParquetFileMetrics,
}

impl WholeFile {
    async fn bytes(&self) -> parquet::errors::Result<Bytes> {
        self.reading.clone().await.map_err(|e| {
            // A failed read is not kept: the next query asks the store again.
            self.small.forget(&self.key);
            ParquetError::External(Box::new(SharedError(e)))
        })
    }
}

/// A store error shared by every reader that waited for the same file.
#[derive(Debug)]
struct SharedError(Arc<object_store::Error>);

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedError {}

fn slice(all: &Bytes, range: &Range<u64>) -> parquet::errors::Result<Bytes> {
    let (start, end) = (range.start as usize, range.end as usize);
    if start > end || end > all.len() {
        return Err(ParquetError::EOF(format!(
            "a read of bytes {start}..{end} of a file of {} bytes",
            all.len()
        )));
    }
    Ok(all.slice(start..end))
}

impl AsyncFileReader for WholeFile {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        self.metrics.bytes_scanned.add((range.end - range.start) as usize);
        async move { slice(&self.bytes().await?, &range) }.boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
        self.metrics.bytes_scanned.add(total as usize);
        async move {
            let all = self.bytes().await?;
            ranges.iter().map(|r| slice(&all, r)).collect()
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        // The page index costs nothing more to read here: it is in memory with the footer.
        let (columns, offsets) = options.map_or((PageIndexPolicy::Optional, PageIndexPolicy::Optional), |o| {
            (o.column_index_policy(), o.offset_index_policy())
        });
        async move {
            let all = self.bytes().await?;
            let metadata = ParquetMetaDataReader::new()
                .with_column_index_policy(columns)
                .with_offset_index_policy(offsets)
                .parse_and_finish(&all)?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}
