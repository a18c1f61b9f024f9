//! Keeping a day's index to one or a few objects: ingest merges a day's objects once it has
//! gathered `MERGE_AT`, compaction merges every day it examines into one and indexes the files
//! an older version wrote (reading each such file once).

use std::collections::{BTreeSet, HashMap};

use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{FileSummary, INDEXED, Summarizer, day_of, objects, read_objects};
use crate::archive::chain::{Append, Chain, LinkKind};
use crate::archive::changes;
use crate::archive::layout::EVENTS;
use crate::archive::{ArchiveError, Location};

/// The entry of a file already in the archive, from its rows (for files without one).
pub async fn summarize(location: &Location, file: &str) -> Result<FileSummary, ArchiveError> {
    let bytes = location
        .store
        .get(&location.path(file))
        .await
        .map_err(|e| ArchiveError::store(&location.display, e))?
        .bytes()
        .await
        .map_err(|e| ArchiveError::store(&location.display, e))?;
    let file = file.to_string();
    tokio::task::spawn_blocking(move || {
        let read_err = |source| ArchiveError::Encode {
            partition: file.clone(),
            source,
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(read_err)?;
        let rows = builder.metadata().file_metadata().num_rows().max(0) as usize;
        let wanted: Vec<usize> = builder
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| INDEXED.contains(&f.name().as_str()) || super::facts::READS.contains(&f.name().as_str()))
            .map(|(i, _)| i)
            .collect();
        let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), wanted);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(64 * 1024)
            .build()
            .map_err(read_err)?;
        let mut summarizer = Summarizer::new(file.clone(), rows);
        for batch in reader {
            summarizer.add(&batch?)?;
        }
        Ok(summarizer.finish())
    })
    .await
    .expect("reading Parquet does not panic")
}

/// What merging days' indexes did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// Files that had no entry and were read to make one.
    pub files_summarized: usize,
    /// Index objects replaced by merged ones.
    pub objects_replaced: usize,
}

/// How many index objects a day may gather from ingest batches before ingest merges them (each
/// is a request for every query of that day).
pub const MERGE_AT: usize = 8;

/// Makes each of `days`' index one object, with an entry for each of the day's visible files
/// (reading the files that have none when `read_missing`, else leaving them out), when the day
/// has at least `min_objects` objects or lacks entries. Runs under the ingest lock (no other writer
/// adds objects meanwhile); a reader that lists an object just before it is deleted finds it
/// gone and reads those files as unindexed.
pub async fn merge_days(
    location: &Location,
    chain: &mut Chain,
    days: &[String],
    read_missing: bool,
    min_objects: usize,
) -> Result<Merged, ArchiveError> {
    let prefixes: Vec<String> = days.iter().map(|d| format!("{EVENTS}/date={d}")).collect();
    let root = format!("{}/", location.root);
    let mut visible: HashMap<String, BTreeSet<String>> = HashMap::new();
    for file in changes::visible_files(location, &prefixes).await? {
        let path = file.location.as_ref();
        let relative = path.strip_prefix(&root).unwrap_or(path).to_string();
        if let Some(day) = day_of(&relative) {
            visible.entry(day.to_string()).or_default().insert(relative);
        }
    }
    let mut merged = Merged::default();
    let none = BTreeSet::new();
    for day in days {
        let visible = visible.get(day).unwrap_or(&none);
        let mut existing = objects(location, day).await?;
        if !read_missing && existing.len() < min_objects {
            continue;
        }
        // Only objects the chain holds as written are merged (and deleted): one planted or
        // altered stays where `verify` names it, and its entries are not carried on.
        if chain.active() {
            let expected = chain.expected(location).await?;
            existing.retain(|m| {
                let path = m.location.as_ref();
                let relative = path.strip_prefix(&root).unwrap_or(path);
                expected.get(relative).is_some_and(|e| e.size == m.size)
            });
        }
        // Each object on its own, oldest first (a later entry for a file wins): one that cannot be
        // read (damaged, or a store error) is not replaced, unless every visible file is summarized
        // again (compaction) — its entries would go with it.
        let all: Vec<usize> = (0..INDEXED.len()).collect();
        let decoded = read_objects(location, &existing, &all, &super::facts::KINDS).await;
        let mut entries: HashMap<Path, FileSummary> = HashMap::new();
        let mut readable = Vec::with_capacity(existing.len());
        for (meta, decoded) in existing.iter().zip(decoded) {
            if let Some(list) = decoded {
                readable.push(meta);
                entries.extend(list.into_iter().map(|s| (location.path(&s.file), s)));
            }
        }
        let mut summaries = Vec::with_capacity(visible.len());
        let mut unsummarized = Vec::new();
        for file in visible {
            match entries.remove(&location.path(file)) {
                // An entry from before facts were kept is made again, with them, by compaction.
                Some(entry) if entry.facts.is_none() && read_missing => unsummarized.push(file.clone()),
                Some(entry) => summaries.push(entry),
                None if read_missing => unsummarized.push(file.clone()),
                None => {}
            }
        }
        // Files without an entry are read four at a time: each is a whole download.
        let summarized = unsummarized.len();
        let mut reads = futures::stream::iter(unsummarized)
            .map(|file| async move { summarize(location, &file).await })
            .buffered(4);
        while let Some(entry) = reads.next().await {
            summaries.push(entry?);
        }
        let replaced: Vec<&ObjectMeta> = match read_missing {
            true => existing.iter().collect(),
            false => readable,
        };
        // Entries left are of files no longer visible (replaced or rolled back).
        let exact = existing.len() == 1 && entries.is_empty() && summarized == 0;
        if exact || replaced.len() < min_objects && summarized == 0 || replaced.is_empty() && summaries.is_empty() {
            continue;
        }
        let objects = match summaries.is_empty() {
            true => Vec::new(),
            false => super::encode_by_day(&ulid::Ulid::new().to_string(), summaries).await?,
        };
        let added = objects
            .iter()
            .map(|(key, bytes)| crate::archive::chain::Entry::of(key, bytes))
            .collect();
        // The merged object is in the chain, and the replaced ones out of it, before it is
        // written and they go (a merge cut short between its link and its object is rolled back
        // by the next writer's recovery: see `Chain::repair_tail`).
        let removed = replaced
            .iter()
            .map(|m| {
                let path = m.location.as_ref();
                path.strip_prefix(&root).unwrap_or(path).to_string()
            })
            .collect();
        let link = Append {
            added,
            removed,
            ..Append::default()
        };
        chain.append(location, LinkKind::Index, link).await?;
        for (key, bytes) in objects {
            location
                .store
                .put(&location.path(&key), object_store::PutPayload::from(bytes))
                .await
                .map_err(|e| ArchiveError::store(&location.display, e))?;
        }
        for old in &replaced {
            changes::delete(location, &old.location).await?;
        }
        merged.files_summarized += summarized;
        merged.objects_replaced += replaced.len();
    }
    Ok(merged)
}
