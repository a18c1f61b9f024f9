//! The ingest ledger: which source files are in the archive (by content), and which batch is
//! being written, so that a re-run is a no-op and a killed run can be undone.
//!
//! A batch commits in this order: its pending record, its part files and rejected-record files,
//! then one ledger record per source, then the pending record is removed. A pending record whose
//! sources are not all in the ledger marks a batch that never committed: recovery deletes the
//! files it lists and the ledger records it wrote, so the next run ingests those sources afresh.

use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use super::layout::{INGEST, PENDING};
use super::{ArchiveError, Location};

/// What the archive knows of one ingested source file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SourceRecord {
    pub sha256: String,
    pub source: String,
    pub size: u64,
    pub ingested_at: String,
    pub batch: String,
    pub events: u64,
    pub skipped: u64,
    pub rejected: u64,
    pub duplicates: u64,
}

/// A batch on its way into the archive.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PendingBatch {
    pub batch: String,
    /// SHA-256 of each source in the batch.
    pub sources: Vec<String>,
    /// Files the batch writes, relative to the archive root.
    pub files: Vec<String>,
}

/// What recovery found and undid.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recovery {
    pub batches_rolled_back: usize,
    pub files_removed: usize,
}

pub struct Ledger<'a> {
    location: &'a Location,
}

impl<'a> Ledger<'a> {
    pub fn new(location: &'a Location) -> Self {
        Ledger { location }
    }

    fn err(&self, e: object_store::Error) -> ArchiveError {
        ArchiveError::store(&self.location.display, e)
    }

    fn record_path(&self, sha: &str) -> object_store::path::Path {
        self.location.path(&format!("{INGEST}/{sha}.json"))
    }

    pub async fn get(&self, sha: &str) -> Result<Option<SourceRecord>, ArchiveError> {
        let path = self.record_path(sha);
        match self.location.store.get(&path).await {
            Ok(found) => {
                let bytes = found.bytes().await.map_err(|e| self.err(e))?;
                let record = serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Ledger {
                    path: path.to_string(),
                    message: e.to_string(),
                })?;
                Ok(Some(record))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err(e)),
        }
    }

    pub async fn record(&self, record: &SourceRecord) -> Result<(), ArchiveError> {
        self.put_json(self.record_path(&record.sha256), record).await
    }

    pub async fn begin(&self, batch: &PendingBatch) -> Result<(), ArchiveError> {
        self.put_json(self.location.path(&format!("{PENDING}/{}.json", batch.batch)), batch)
            .await
    }

    pub async fn finish(&self, batch: &PendingBatch) -> Result<(), ArchiveError> {
        self.delete(&self.location.path(&format!("{PENDING}/{}.json", batch.batch)))
            .await
    }

    /// Undoes every batch that a killed run left half-written.
    pub async fn recover(&self) -> Result<Recovery, ArchiveError> {
        use futures::TryStreamExt;
        let prefix = self.location.path(PENDING);
        let pending: Vec<_> = self
            .location
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| self.err(e))?;
        let mut recovery = Recovery::default();
        for meta in pending {
            let bytes = self
                .location
                .store
                .get(&meta.location)
                .await
                .map_err(|e| self.err(e))?
                .bytes()
                .await
                .map_err(|e| self.err(e))?;
            let batch: PendingBatch = serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Ledger {
                path: meta.location.to_string(),
                message: e.to_string(),
            })?;
            let mut committed = true;
            for sha in &batch.sources {
                committed &= self.get(sha).await?.is_some_and(|r| r.batch == batch.batch);
            }
            if !committed {
                for file in &batch.files {
                    let path = self.location.path(file);
                    if self.location.store.head(&path).await.is_ok() {
                        self.delete(&path).await?;
                        recovery.files_removed += 1;
                    }
                }
                for sha in &batch.sources {
                    if self.get(sha).await?.is_some_and(|r| r.batch == batch.batch) {
                        self.delete(&self.record_path(sha)).await?;
                    }
                }
                recovery.batches_rolled_back += 1;
            }
            self.delete(&meta.location).await?;
        }
        Ok(recovery)
    }

    async fn put_json<T: Serialize>(&self, path: object_store::path::Path, value: &T) -> Result<(), ArchiveError> {
        let bytes = serde_json::to_vec_pretty(value).expect("ledger records serialise");
        self.location
            .store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn delete(&self, path: &object_store::path::Path) -> Result<(), ArchiveError> {
        match self.location.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err(e)),
        }
    }
}
