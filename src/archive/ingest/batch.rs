//! A batch of a run: the events, sources and rejected records gathered since the last commit,
//! written as one Parquet file per partition with its sealed records, linked into the chain and
//! committed through the ledger.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use futures::StreamExt;

use object_store::{ObjectStoreExt, PutPayload};

use super::super::chain::{Append, Entry, LinkKind};
use super::super::changes::{self, Change, ChangeKind};
use super::super::layout::{PartitionKey, part_name, path_safe, utc_day};
use super::super::ledger::SourceRecord;
use super::super::quarantine::rejected_path;
use super::super::seal::{self, SealedRecord};
use super::super::{ArchiveError, file_index, writer};
use super::{IngestProgress, Marking, Run};
use crate::sources::Event;

#[derive(Default)]
pub(super) struct Batch {
    pub(super) events: Vec<Event>,
    pub(super) raw_bytes: usize,
    pub(super) sources: Vec<SourceRecord>,
    /// `(source sha256, source file name, JSON lines)` of rejected records.
    pub(super) rejected: Vec<(String, String, String)>,
    /// Some file of the batch is not recorded in the ledger (its rejected records still are kept).
    pub(super) unrecorded: bool,
    /// The verbatim text of the batch's events whose secrets were replaced.
    pub(super) sealed: Vec<SealedRecord>,
    /// Markers of the batch's sources by location, written once their ledger records are.
    pub(super) marks: Vec<Marking>,
}

impl Run<'_> {
    /// Writes the batch and commits it: pending record, files, ledger records, done.
    pub(super) async fn flush(&mut self, progress: &dyn IngestProgress) -> Result<(), ArchiveError> {
        let mut batch = std::mem::take(&mut self.batch);
        // A file none of whose records could be taken stays out of the ledger (read again with
        // the right --cloud, it is not "already ingested"), so every run reads it again: its
        // rejected records are kept once, not once per run.
        if batch.unrecorded && !batch.rejected.is_empty() {
            let recorded: HashSet<&str> = batch.sources.iter().map(|s| s.sha256.as_str()).collect();
            let mut kept = Vec::new();
            for (sha, name, lines) in std::mem::take(&mut batch.rejected) {
                if recorded.contains(sha.as_str()) || self.held().await?.rejected(&sha).is_none() {
                    kept.push((sha, name, lines));
                }
            }
            batch.rejected = kept;
        }
        if batch.sources.is_empty() && batch.rejected.is_empty() {
            return Ok(());
        }
        progress.writing(batch.events.len());
        let mut partitions: BTreeMap<PartitionKey, Vec<Event>> = BTreeMap::new();
        for event in batch.events {
            partitions.entry(PartitionKey::of(&event)).or_default().push(event);
        }
        let planned: Vec<(String, Vec<Event>)> = partitions
            .into_iter()
            .map(|(key, events)| (format!("{}/{}", key.dir(), part_name()), events))
            .collect();
        let id = ulid::Ulid::new().to_string();
        // The verbatim records, beside their partitions in the sealed tier.
        let mut sealed: BTreeMap<String, Vec<SealedRecord>> = BTreeMap::new();
        for record in std::mem::take(&mut batch.sealed) {
            let dir = format!(
                "events/date={}/cloud={}/tenant={}",
                utc_day(record.event_time),
                record.cloud,
                path_safe(&record.tenant)
            );
            sealed.entry(seal::records_path(&dir, &id)).or_default().push(record);
        }
        // The batch's index objects, one per day, are announced with its files (a rolled-back
        // batch takes them away too).
        let days: BTreeSet<&str> = planned.iter().filter_map(|(p, _)| file_index::day_of(p)).collect();
        let index_keys: Vec<String> = days.iter().map(|day| file_index::key(day, &id)).collect();
        self.days.extend(days.iter().map(|d| d.to_string()));
        let pending = Change {
            id: id.clone(),
            kind: ChangeKind::Ingest,
            sources: batch.sources.iter().map(|s| s.sha256.clone()).collect(),
            replaces: Vec::new(),
            adds: planned
                .iter()
                .map(|(p, _)| p.clone())
                .chain(
                    batch
                        .rejected
                        .iter()
                        .map(|(sha, name, _)| rejected_path(sha, name, &id)),
                )
                .chain(index_keys)
                .chain(sealed.keys().cloned())
                .collect(),
        };
        self.ledger.begin(&pending).await?;
        let store_err = |e| ArchiveError::store(&self.location.display, e);
        // Partitions are encoded on every core at once, and written in order as they finish.
        let mut encoded = futures::stream::iter(planned)
            .map(|(path, mut events)| async move {
                let label = path.clone();
                let encoded = tokio::task::spawn_blocking(move || {
                    writer::encode(&mut events, &label).map(|e| {
                        let entry = Entry::of(&label, &e.bytes);
                        (e, entry)
                    })
                })
                .await
                .expect("encoding Parquet does not panic");
                (path, encoded)
            })
            .buffered(self.parallelism);
        let mut summaries = Vec::new();
        let mut added = Vec::new();
        while let Some((path, encoded)) = encoded.next().await {
            let (encoded, entry) = encoded?;
            added.push(entry);
            // One put of the whole file: it appears complete or not at all.
            self.location
                .store
                .put(&self.location.path(&path), PutPayload::from(encoded.bytes))
                .await
                .map_err(store_err)?;
            summaries.push(encoded.summary);
            self.summary.parts_written += 1;
        }
        added.extend(file_index::write(self.location, &id, summaries).await?);
        for (path, records) in sealed {
            let bytes = seal::encode(&records, &path)?;
            added.push(Entry::of(&path, &bytes));
            self.location
                .store
                .put(&self.location.path(&path), PutPayload::from(bytes))
                .await
                .map_err(|e| seal::sealed_error(self.location, e))?;
            self.summary.records_sealed += records.len() as u64;
        }
        for (sha, name, lines) in batch.rejected {
            let path = rejected_path(&sha, &name, &id);
            self.location
                .store
                .put(&self.location.path(&path), PutPayload::from(lines.into_bytes()))
                .await
                .map_err(store_err)?;
        }
        // In the chain before the ledger records: a batch whose sources are all recorded is
        // committed by recovery, so its link must exist by then.
        let link = Append {
            change: Some(id.clone()),
            records: changes::record_hash(&pending),
            added,
            ..Append::default()
        };
        self.chain.append(self.location, LinkKind::Ingest, link).await?;
        for mut source in batch.sources {
            source.batch = id.clone();
            self.ledger.record(&source).await?;
        }
        // After every ledger record of the batch: recovery commits such a batch, so a marker
        // never stands for content that was rolled back.
        for mark in batch.marks {
            self.mark(&mark).await;
        }
        self.ledger.commit(&pending).await?;
        self.lock.renew().await
    }
}
