//! The ingest ledger: which source files are in the archive (by content), so that a re-run is a
//! no-op; and the recovery that finishes or undoes whatever a killed ingest or compaction left.
//!
//! A batch commits in this order: its pending change record (see `changes`), its part files and
//! rejected-record files, then one ledger record per source, then its committed change record.
//! A pending batch whose sources are all in the ledger only missed its last put: recovery commits
//! it. Any other pending change never committed: recovery marks it aborted, then deletes the
//! files it lists and the ledger records it wrote, so the next run ingests those sources afresh.

use std::time::Duration;

use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use super::chain::{Append, Chain, LinkKind};
use super::changes::{self, Change, ChangeKind, ChangeState};
use super::layout::INGEST;
use super::{ArchiveError, Location};

/// What the archive knows of one ingested source file.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
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
    /// The earliest and latest time of the events taken from it (RFC 3339, UTC): with
    /// `ingested_at`, how late its events reached the archive (`coverage`). Records written by an
    /// older trailscope have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event: Option<String>,
    /// The `cloud/tenant` partitions its events went to (the tenant as its folder names it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenants: Vec<String>,
    /// Hex SHA-256 of the file's *uncompressed* content (what a CloudTrail digest lists);
    /// absent from records written before digests were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_sha256: Option<String>,
    /// For a CloudTrail log file: its account and region and what the archive's digests say of
    /// it, kept up to date as digests arrive (absent: ingested before digests were read, so
    /// "not validated").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudtrail: Option<super::digests::CloudTrailLog>,
    /// For a CloudTrail digest file: the key of what the archive keeps of it (`_ingest/digests/…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// For a part of an append blob (Azure's `PT1H.json`) read after an earlier part: which bytes.
    /// Its key is then not the SHA-256 of those bytes but names the part (see `ingest::fetch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appended: Option<Appended>,
}

/// The bytes `[from, to)` of an append blob, and the SHA-256 of `[0, to)`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Appended {
    pub from: u64,
    pub to: u64,
    pub read_sha256: String,
}

impl SourceRecord {
    /// Notes the time bounds and tenants of the events taken from this source.
    pub fn saw(&mut self, events: &[crate::sources::Event]) {
        let times = events.iter().map(|e| e.event_time);
        let (Some(first), Some(last)) = (times.clone().min(), times.max()) else {
            return;
        };
        self.first_event = Some(crate::engine::window::format_time(first));
        self.last_event = Some(crate::engine::window::format_time(last));
        // A file is nearly always one tenant's: names are made once per tenant, not per event.
        let mut seen: Vec<(crate::sources::Cloud, &str)> = Vec::new();
        for e in events {
            if !seen.iter().any(|(c, t)| *c == e.cloud && *t == e.tenant) {
                seen.push((e.cloud, &e.tenant));
            }
        }
        let mut tenants: Vec<String> = seen
            .into_iter()
            .map(|(cloud, tenant)| format!("{cloud}/{}", super::layout::path_safe(tenant)))
            .collect();
        tenants.sort();
        tenants.dedup();
        self.tenants = tenants;
    }
}

/// What recovery found and undid.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recovery {
    /// Changes that never committed, undone.
    pub batches_rolled_back: usize,
    /// Their files, deleted.
    pub files_removed: usize,
    /// Ingest batches that had written everything but their commit, committed.
    pub batches_committed: usize,
    /// Files replaced by a compaction more than `retain` ago, deleted.
    pub replaced_files_removed: usize,
    /// Change records older than `retain`, retired.
    pub changes_retired: usize,
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

    /// Announces a batch: from now on its files are hidden from readers until it commits.
    pub async fn begin(&self, batch: &Change) -> Result<(), ArchiveError> {
        changes::write(self.location, batch, ChangeState::Pending).await
    }

    /// Commits a change (one put makes all its files visible), then drops its pending key.
    pub async fn commit(&self, change: &Change) -> Result<(), ArchiveError> {
        changes::write(self.location, change, ChangeState::Committed).await?;
        changes::delete(self.location, &self.location.path(&change.key(ChangeState::Pending))).await
    }

    /// Finishes or undoes every change a killed run left, and retires what is older than `retain`
    /// (see [`changes::RETAIN`]: readers rely on records staying that long). Runs under the lock.
    /// A change undone whose link the chain already holds is rolled back in the chain first.
    pub async fn recover(&self, retain: Duration, chain: &mut Chain) -> Result<Recovery, ArchiveError> {
        let mut recovery = Recovery::default();
        chain.repair_tail(self.location).await?;
        let now = chrono::Utc::now();
        let old = |key: &changes::ChangeKey| (now - key.written).to_std().unwrap_or_default() >= retain;
        for (_, keys) in changes::list_keys(self.location).await? {
            let pending = keys.iter().find(|k| k.state == ChangeState::Pending);
            match changes::state_of(&keys) {
                Some(ChangeState::Pending) => {
                    let key = pending.expect("a pending change has its key");
                    let change = changes::read(self.location, &key.path).await?;
                    // A batch in the chain is linked before its ledger records: without its link it
                    // never got that far (a batch of rejected records alone has no records).
                    let mut done = change.kind == ChangeKind::Ingest
                        && (!chain.active() || chain.last_is_for(&change.id).is_some());
                    for sha in &change.sources {
                        done &= self.get(sha).await?.is_some_and(|r| r.batch == change.id);
                    }
                    if done {
                        self.commit(&change).await?;
                        recovery.batches_committed += 1;
                    } else {
                        if let Some(seq) = chain.last_is_for(&change.id) {
                            let rollback = Append {
                                change: Some(change.id.clone()),
                                undoes: Some(seq),
                                ..Append::default()
                            };
                            chain.append(self.location, LinkKind::Rollback, rollback).await?;
                        }
                        changes::write(self.location, &change, ChangeState::Aborted).await?;
                        recovery.files_removed += self.undo(&change).await?;
                        changes::delete(self.location, &key.path).await?;
                        recovery.batches_rolled_back += 1;
                    }
                }
                Some(ChangeState::Aborted) => {
                    if let Some(key) = pending {
                        // Killed while undoing: undo the rest.
                        let change = changes::read(self.location, &key.path).await?;
                        recovery.files_removed += self.undo(&change).await?;
                        changes::delete(self.location, &key.path).await?;
                    }
                    for key in keys.iter().filter(|k| k.state == ChangeState::Aborted && old(k)) {
                        changes::delete(self.location, &key.path).await?;
                        recovery.changes_retired += 1;
                    }
                }
                Some(ChangeState::Committed) => {
                    if let Some(key) = pending {
                        changes::delete(self.location, &key.path).await?;
                    }
                    for key in keys.iter().filter(|k| k.state == ChangeState::Committed && old(k)) {
                        if key.kind == ChangeKind::Compact {
                            let change = changes::read(self.location, &key.path).await?;
                            for file in &change.replaces {
                                let path = self.location.path(file);
                                if self.exists(&path).await? {
                                    self.delete(&path).await?;
                                    recovery.replaced_files_removed += 1;
                                }
                            }
                        }
                        changes::delete(self.location, &key.path).await?;
                        recovery.changes_retired += 1;
                    }
                }
                None => {}
            }
        }
        Ok(recovery)
    }

    /// Deletes what an uncommitted change wrote: its files and its ledger records.
    async fn undo(&self, change: &Change) -> Result<usize, ArchiveError> {
        let mut removed = 0;
        for file in &change.adds {
            let path = self.location.path(file);
            // The sealed tier may be write-once (an object lock): what an undone batch sealed
            // then stays, unreferenced, and a later run seals the records again.
            let sealed = file.starts_with(super::seal::SEALED);
            match self.exists(&path).await {
                Ok(true) => match self.delete(&path).await {
                    Ok(()) => removed += 1,
                    Err(_) if sealed => {}
                    Err(e) => return Err(e),
                },
                Ok(false) => {}
                Err(_) if sealed => {}
                Err(e) => return Err(e),
            }
        }
        for sha in &change.sources {
            if self.get(sha).await?.is_some_and(|r| r.batch == change.id) {
                self.delete(&self.record_path(sha)).await?;
            }
        }
        Ok(removed)
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

    /// Whether an object is there; an error other than "not found" is an error, not a no (a
    /// file of an undone batch left behind would become visible once its change is retired).
    async fn exists(&self, path: &object_store::path::Path) -> Result<bool, ArchiveError> {
        match self.location.store.head(path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.err(e)),
        }
    }

    async fn delete(&self, path: &object_store::path::Path) -> Result<(), ArchiveError> {
        match self.location.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err(e)),
        }
    }
}
