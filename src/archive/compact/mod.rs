//! Compaction: a partition's small files rewritten as few well-sized ones, without duplicates.
//!
//! Sources arrive as thousands of five-minute files and every ingest batch adds a file per
//! partition, so a busy partition ends up as many small files (each opened by every query that
//! reads its day). Compaction reads a partition's committed files, drops duplicate deliveries,
//! sorts by time and writes files of up to [`TARGET_FILE_BYTES`] with the ingest writer. The new
//! files replace the old ones in one change (see `changes`): readers see the old files or the new
//! ones, never both, never neither. It runs under the ingest lock, so ingest and compaction never
//! write at once, and it first finishes or undoes whatever a killed run left.
//!
//! Compaction also migrates an archive to the current format (see `format`): files written
//! before secrets were sealed are mapped again from their raw records, sealed as ingest seals
//! them (the verbatim records going to the sealed tier in the same change), and events that
//! ingest would now refuse (dated impossibly, or ambiguous) move to the sealed quarantine. The
//! format is recorded once every partition is done, so a killed migration resumes.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{AsArray, BooleanArray, RecordBatch, UInt32Array};
use arrow::compute::{SortColumn, concat_batches, filter_record_batch, lexsort_to_indices, take_record_batch};
use arrow::datatypes::TimestampMicrosecondType;
use object_store::{ObjectMeta, ObjectStoreExt, PutPayload};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

mod migrate;

use migrate::{Rejected, Upgrade, by_name, categorise, migrate, move_old_quarantine, predates_schema};

use super::chain::{Append, Chain, Entry, GenesisSummary, LinkKind, Signer};
use super::changes::{self, Change, ChangeKind, RETAIN, visible_files};
use super::layout::{EVENTS, part_name};
use super::ledger::{Ledger, Recovery};
use super::lock::IngestLock;
use super::quarantine::{RejectedRecord, rejected_path};
use super::schema::file_schema;
use super::seal::{self, SealedRecord};
use super::{ArchiveError, Location, file_index, format, writer};
use crate::sources::Cloud;

/// The largest file compaction writes (a partition larger than this becomes several files).
pub const TARGET_FILE_BYTES: u64 = 256 << 20;

/// A partition is merged in memory (all its rows, sorted, to find every duplicate), which takes
/// several times its Parquet size: larger partitions are left alone, and named in the summary.
pub const MAX_PARTITION_BYTES: u64 = 1 << 30;

#[derive(Clone, Debug)]
pub struct CompactOptions {
    /// Only the days from `.0` to `.1` (`YYYY-MM-DD`, both included); all days when `None`.
    pub days: Option<(String, String)>,
    /// Read and count, write nothing.
    pub dry_run: bool,
    /// How long replaced files and change records are kept (see [`changes::RETAIN`]). Zero
    /// deletes them at once: only for an archive nobody reads meanwhile (tests, a fresh import).
    pub retain: Duration,
    /// The key the integrity chain's links are signed with, if the platform team keeps one.
    pub signing_key: Option<Arc<Signer>>,
}

impl Default for CompactOptions {
    fn default() -> Self {
        CompactOptions {
            days: None,
            dry_run: false,
            retain: RETAIN,
            signing_key: None,
        }
    }
}

/// What a compaction reports as it goes.
pub trait CompactProgress: Send + Sync {
    fn partitions(&self, _total: usize) {}
    fn partition_done(&self, _dir: &str) {}
}

impl CompactProgress for super::Quiet {}

/// What a compaction did (or, in a dry run, would do).
#[derive(Clone, Debug, Default)]
pub struct CompactSummary {
    pub dry_run: bool,
    /// Partitions in the days asked for.
    pub partitions_examined: usize,
    /// Partitions rewritten: those with more than one file.
    pub partitions_rewritten: usize,
    /// Files of the rewritten partitions, before and after.
    pub files_before: usize,
    pub files_after: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Events in the rewritten partitions after compaction.
    pub events_kept: u64,
    /// Copies of an event dropped (an event delivered three times counts two).
    pub duplicates_removed: u64,
    /// Replaced files still in place (hidden from readers), removed by a run after `retain`.
    pub replaced_files_kept: usize,
    /// Partitions left alone because merging them would not fit in memory (over
    /// [`MAX_PARTITION_BYTES`]), with their size.
    pub partitions_too_large: Vec<(String, u64)>,
    /// Files that had no entry in their day's file index (written by an older version) and were
    /// read to make one.
    pub files_indexed: usize,
    /// The archive's format before and after (a migration when they differ).
    pub format_before: u32,
    pub format_after: u32,
    /// Events of older files whose secrets were sealed now.
    pub events_sealed: u64,
    /// Events of older files that ingest would now refuse, moved to the sealed quarantine, with
    /// why.
    pub events_quarantined: BTreeMap<String, u64>,
    /// Objects of the old quarantine (`_quarantine/`) moved into the sealed tier.
    pub quarantine_moved: usize,
    /// What an archive of an older format held when it was brought into the integrity chain.
    pub genesis: Option<GenesisSummary>,
    /// What an interrupted earlier run left, finished or undone first.
    pub recovered: Recovery,
}

/// Compacts the archive at `location`.
pub async fn compact(
    location: &Location,
    options: &CompactOptions,
    progress: &dyn CompactProgress,
) -> Result<CompactSummary, ArchiveError> {
    let mut lock = IngestLock::acquire(location).await?;
    // Whatever happens, the lock goes: a failed compaction leaves at most a pending change,
    // which the next run undoes or finishes.
    let outcome = match Chain::open(location, options.signing_key.clone(), !options.dry_run).await {
        Ok(mut chain) => compact_locked(location, options, progress, &mut lock, &mut chain).await,
        Err(e) => Err(e),
    };
    let released = lock.release().await;
    let summary = outcome?;
    released?;
    Ok(summary)
}

/// Everything a compaction does while it holds the lock.
async fn compact_locked(
    location: &Location,
    options: &CompactOptions,
    progress: &dyn CompactProgress,
    lock: &mut IngestLock<'_>,
    chain: &mut Chain,
) -> Result<CompactSummary, ArchiveError> {
    let ledger = Ledger::new(location);
    let mut summary = CompactSummary {
        dry_run: options.dry_run,
        ..CompactSummary::default()
    };
    if !options.dry_run {
        summary.recovered = ledger.recover(options.retain, chain).await?;
    }
    let version = format::read(location).await?.unwrap_or(format::CURRENT);
    summary.format_before = version;
    summary.format_after = version;
    // An archive of an older format is brought into the chain first, as it stands, so that
    // everything the migration below rewrites is linked. (Never for an archive of this format: a
    // chain deleted from it must be found by `verify`, not adopted again.)
    if version >= format::CHAINED {
        chain.start();
    } else if !options.dry_run && !chain.active() {
        summary.genesis = Some(chain.genesis(location).await?);
        // An archive sealed already is now wholly in the chain: recorded at once, so that an
        // older trailscope elsewhere no longer writes to it (without links).
        if version >= 2 {
            format::write(location, format::CURRENT).await?;
        }
        lock.renew().await?;
    }
    // A migration from before sealing reads every partition; the key seals what it finds.
    let migrating = version < 2;
    let key = if options.dry_run {
        None
    } else {
        Some(seal::key_for_writing(location).await?)
    };
    let upgrade = Upgrade {
        key,
        not_after: chrono::Utc::now().timestamp_micros() + super::ingest::LATEST_AHEAD,
    };
    // A migration reads every day: before sealing, to map each file again; before facts, to
    // count each file that has none (the index merge below).
    let days = if version < format::CURRENT {
        None
    } else {
        options.days.as_ref()
    };
    let partitions = partitions(location, days).await?;
    summary.partitions_examined = partitions.len();
    let days: BTreeSet<String> = partitions
        .keys()
        .filter_map(|dir| file_index::day_of(dir).map(str::to_string))
        .collect();
    // A partition of one file was written by one ingest run, which dropped the duplicates it saw;
    // it is rewritten only if its file predates a column.
    let mut crowded: Vec<(String, Vec<ObjectMeta>)> = Vec::new();
    for (dir, files) in partitions {
        if files.len() > 1 || predates_schema(location, &files[0]).await? {
            crowded.push((dir, files));
        }
    }
    crowded.retain(|(dir, files)| {
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        if bytes > MAX_PARTITION_BYTES {
            summary.partitions_too_large.push((dir.clone(), bytes));
        }
        bytes <= MAX_PARTITION_BYTES
    });
    progress.partitions(crowded.len());
    let mut renewed = std::time::Instant::now();
    for (dir, files) in crowded {
        let rewritten = rewrite(location, chain, &dir, &files, options, &upgrade).await?;
        summary.partitions_rewritten += 1;
        summary.events_sealed += rewritten.sealed;
        for (why, n) in rewritten.quarantined {
            *summary.events_quarantined.entry(why).or_default() += n;
        }
        summary.files_before += files.len();
        summary.bytes_before += files.iter().map(|f| f.size).sum::<u64>();
        summary.files_after += rewritten.files;
        summary.bytes_after += rewritten.bytes;
        summary.events_kept += rewritten.events;
        summary.duplicates_removed += rewritten.duplicates;
        // The lock says the holder is at work; once a minute is plenty (its lease is 15 minutes).
        if !options.dry_run && renewed.elapsed() > Duration::from_secs(60) {
            lock.renew().await?;
            renewed = std::time::Instant::now();
        }
        progress.partition_done(&dir);
    }
    if !options.dry_run {
        // Each day's index becomes one object covering every file, older files included.
        for day in days {
            let merged = file_index::merge_days(location, chain, &[day], true, 1).await?;
            summary.files_indexed += merged.files_summarized;
            if renewed.elapsed() > Duration::from_secs(60) {
                lock.renew().await?;
                renewed = std::time::Instant::now();
            }
        }
    }
    if !options.dry_run && !options.retain.is_zero() {
        summary.replaced_files_kept = summary.files_before;
    } else if !options.dry_run {
        // Nothing to wait for: the files just replaced go now.
        ledger.recover(options.retain, chain).await?;
    }
    let rewritten_all = !migrating || summary.partitions_too_large.is_empty();
    if version < format::CURRENT && !options.dry_run && rewritten_all {
        if migrating {
            summary.quarantine_moved = move_old_quarantine(location).await?;
        }
        format::write(location, format::CURRENT).await?;
        summary.format_after = format::CURRENT;
    }
    Ok(summary)
}

/// The committed files of each partition of the days asked for, by partition folder.
async fn partitions(
    location: &Location,
    days: Option<&(String, String)>,
) -> Result<BTreeMap<String, Vec<ObjectMeta>>, ArchiveError> {
    let prefixes: Vec<String> = location
        .folders(EVENTS)
        .await?
        .iter()
        .filter_map(|f| f.strip_prefix("date=").map(str::to_string))
        .filter(|day| days.is_none_or(|(from, to)| day >= from && day <= to))
        .map(|day| format!("{EVENTS}/date={day}"))
        .collect();
    let root = format!("{}/", location.root);
    let mut partitions: BTreeMap<String, Vec<ObjectMeta>> = BTreeMap::new();
    for file in visible_files(location, &prefixes).await? {
        let path = file.location.as_ref();
        let relative = path.strip_prefix(&root).unwrap_or(path);
        let Some((dir, _)) = relative.rsplit_once('/') else {
            continue;
        };
        partitions.entry(dir.to_string()).or_default().push(file);
    }
    Ok(partitions)
}

struct Rewritten {
    files: usize,
    bytes: u64,
    events: u64,
    duplicates: u64,
    sealed: u64,
    quarantined: BTreeMap<String, u64>,
}

/// Reads a partition's files, drops duplicates, and (unless a dry run) replaces the files with
/// well-sized new ones in one committed change.
async fn rewrite(
    location: &Location,
    chain: &mut Chain,
    dir: &str,
    files: &[ObjectMeta],
    options: &CompactOptions,
    upgrade: &Upgrade,
) -> Result<Rewritten, ArchiveError> {
    let store_err = |e| ArchiveError::store(&location.display, e);
    let mut contents = Vec::with_capacity(files.len());
    for file in files {
        let bytes = location
            .store
            .get(&file.location)
            .await
            .map_err(store_err)?
            .bytes()
            .await
            .map_err(store_err)?;
        // Never rewrite a file that is not as the chain recorded it: the new file's link would
        // vouch for whatever was changed.
        if !options.dry_run {
            let root = format!("{}/", location.root);
            let path = file.location.as_ref();
            let relative = path.strip_prefix(&root).unwrap_or(path);
            if !chain.vouches(location, relative, &bytes).await? {
                return Err(ArchiveError::Chain {
                    path: relative.to_string(),
                    message: "it is not as the integrity chain recorded it, so compaction does not build on it: run `trailscope verify`".into(),
                });
            }
        }
        contents.push((file.location.to_string(), bytes));
    }
    let bytes_before: u64 = files.iter().map(|f| f.size).sum();
    let label = dir.to_string();
    let up = Upgrade {
        key: upgrade.key.clone(),
        not_after: upgrade.not_after,
    };
    let Merged {
        rows: merged,
        duplicates,
        sealed,
        rejected,
        ids_reused,
    } = tokio::task::spawn_blocking(move || merge(contents, &label, &up))
        .await
        .expect("merging Parquet does not panic")?;
    let mut quarantined: BTreeMap<String, u64> = BTreeMap::new();
    for (_, _, why, _) in &rejected {
        *quarantined
            .entry(crate::secrets::mask_text(why).into_owned())
            .or_default() += 1;
    }
    let events = merged.num_rows() as u64;
    // Files of about equal size, each a contiguous stretch of time, none larger than the target.
    let count = bytes_before.div_ceil(TARGET_FILE_BYTES).max(1) as usize;
    let per_file = merged.num_rows().div_ceil(count).max(1);
    let mut outputs = Vec::new();
    let mut offset = 0;
    while offset < merged.num_rows() {
        let len = per_file.min(merged.num_rows() - offset);
        outputs.push((format!("{dir}/{}", part_name()), merged.slice(offset, len)));
        offset += len;
    }
    if options.dry_run {
        // The size is not known without writing; the input's is the best guess.
        return Ok(Rewritten {
            files: outputs.len(),
            bytes: bytes_before,
            events,
            duplicates,
            sealed: sealed.len() as u64,
            quarantined,
        });
    }
    let root = format!("{}/", location.root);
    let change = Change {
        id: ulid::Ulid::new().to_string(),
        kind: ChangeKind::Compact,
        sources: Vec::new(),
        adds: outputs.iter().map(|(p, _)| p.clone()).collect(),
        replaces: files
            .iter()
            .map(|f| {
                let path = f.location.as_ref();
                path.strip_prefix(&root).unwrap_or(path).to_string()
            })
            .collect(),
    };
    let mut change = change;
    if let Some(day) = file_index::day_of(dir) {
        change.adds.push(file_index::key(day, &change.id));
    }
    let sealed_path = (!sealed.is_empty()).then(|| seal::records_path(dir, &change.id));
    change.adds.extend(sealed_path.clone());
    let rejected_file = (!rejected.is_empty()).then(|| {
        use sha2::Digest;
        let sha = crate::secrets::hex(&sha2::Sha256::digest(dir.as_bytes()));
        rejected_path(&sha, "migration", &change.id)
    });
    change.adds.extend(rejected_file.clone());
    let ledger = Ledger::new(location);
    changes::write(location, &change, changes::ChangeState::Pending).await?;
    let mut bytes_after = 0;
    let mut summaries = Vec::with_capacity(outputs.len());
    let mut added = Vec::with_capacity(outputs.len() + 2);
    for (path, batch) in outputs {
        let label = path.clone();
        let (encoded, entry) = tokio::task::spawn_blocking(move || {
            writer::encode_sorted(&batch, &label).map(|e| {
                let entry = Entry::of(&label, &e.bytes);
                (e, entry)
            })
        })
        .await
        .expect("encoding Parquet does not panic")?;
        added.push(entry);
        bytes_after += encoded.bytes.len() as u64;
        // One put of the whole file: it appears complete or not at all (and hidden until commit).
        location
            .store
            .put(&location.path(&path), PutPayload::from(encoded.bytes))
            .await
            .map_err(store_err)?;
        let mut entry = encoded.summary;
        // The files of this change hold no event twice between them: their facts add up.
        if let Some(facts) = &mut entry.facts {
            facts.group = change.id.clone();
        }
        if ids_reused && change.adds.iter().filter(|a| a.starts_with(EVENTS)).count() > 1 {
            entry.facts = None;
        }
        summaries.push(entry);
    }
    added.extend(file_index::write(location, &change.id, summaries).await?);
    if let Some(path) = &sealed_path {
        let bytes = seal::encode(&sealed, path)?;
        added.push(Entry::of(path, &bytes));
        location
            .store
            .put(&location.path(path), PutPayload::from(bytes))
            .await
            .map_err(|e| seal::sealed_error(location, e))?;
    }
    if let Some(path) = &rejected_file {
        let mut lines = String::new();
        for (source, index, why, text) in &rejected {
            let line = RejectedRecord {
                source_object: source,
                source_index: *index,
                reason: why,
                record: text,
                record_base64: None,
            };
            lines.push_str(&serde_json::to_string(&line).expect("a rejected record serialises"));
            lines.push('\n');
        }
        location
            .store
            .put(&location.path(path), PutPayload::from(lines.into_bytes()))
            .await
            .map_err(|e| seal::sealed_error(location, e))?;
    }
    let link = Append {
        change: Some(change.id.clone()),
        records: changes::record_hash(&change),
        added,
        removed: change.replaces.clone(),
        undoes: None,
    };
    chain.append(location, LinkKind::Compact, link).await?;
    ledger.commit(&change).await?;
    Ok(Rewritten {
        files: change.adds.iter().filter(|a| a.starts_with(EVENTS)).count(),
        bytes: bytes_after,
        events,
        duplicates,
        sealed: sealed.len() as u64,
        quarantined,
    })
}

/// What merging a partition gives: its rows, the copies dropped, and what migrating older files
/// sealed and set apart.
struct Merged {
    rows: RecordBatch,
    duplicates: u64,
    sealed: Vec<SealedRecord>,
    rejected: Vec<Rejected>,
    /// An event id is kept at two times (distinct GCP entries sharing an `insertId`).
    ids_reused: bool,
}

/// All rows of the files, sorted by time, each event once; and how many copies were dropped.
///
/// Duplicates are rows of the same event id (the partition fixes cloud and tenant); for GCP the
/// time is part of the identity too, because Cloud Logging reuses an `insertId` across distinct
/// entries with different timestamps (ingest uses the same rule). The copy kept is the first in
/// the order (event_time, event_id, file, source_object, source_index), files in the order they
/// were written (their names are ULIDs): the earliest copy, and among copies of the same time, the
/// one ingested first — so an event keeps the provenance of its first delivery, whatever a
/// re-sent file is called, and the same choice is made whatever order the files were listed in.
fn merge(
    mut contents: Vec<(String, bytes::Bytes)>,
    partition: &str,
    upgrade: &Upgrade,
) -> Result<Merged, ArchiveError> {
    let schema = file_schema();
    let cloud: Option<Cloud> = partition
        .split('/')
        .find_map(|s| s.strip_prefix("cloud="))
        .and_then(|c| c.parse().ok());
    let (mut sealed, mut rejected) = (Vec::new(), Vec::new());
    let file_name = |path: &str| path.rsplit('/').next().unwrap_or(path).to_string();
    contents.sort_by_key(|(path, _)| file_name(path));
    let mut batches = Vec::new();
    let mut written_order = Vec::new();
    for (rank, (path, bytes)) in contents.into_iter().enumerate() {
        let read_err = |source| ArchiveError::Encode {
            partition: path.clone(),
            source,
        };
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .map_err(read_err)?
            .with_batch_size(64 * 1024)
            .build()
            .map_err(read_err)?;
        for batch in reader {
            let batch = batch?;
            // A file without `sealed_id` predates sealing: its rows are mapped and sealed again.
            // One without `category` predates it: each row's category is read from its record.
            let batch = match (batch.column_by_name("sealed_id"), cloud) {
                (None, Some(cloud)) => migrate(&batch, cloud, upgrade, &mut sealed, &mut rejected)?,
                (Some(_), Some(cloud)) if batch.column_by_name("category").is_none() => categorise(&batch, cloud)?,
                _ => by_name(&batch, &schema)?,
            };
            written_order.extend(std::iter::repeat_n(rank as u32, batch.num_rows()));
            batches.push(batch);
        }
    }
    let all = concat_batches(&schema, &batches)?;
    drop(batches);
    let column = |name: &str| {
        all.column(schema.index_of(name).expect("a column of the schema"))
            .clone()
    };
    let sort = |name: &str| SortColumn {
        values: column(name),
        options: None,
    };
    let order = lexsort_to_indices(
        &[
            sort("event_time"),
            sort("event_id"),
            SortColumn {
                values: std::sync::Arc::new(UInt32Array::from(written_order)),
                options: None,
            },
            sort("source_object"),
            sort("source_index"),
        ],
        None,
    )?;
    let sorted = take_record_batch(&all, &order)?;
    drop(all);
    let gcp = partition.contains("/cloud=gcp/");
    let ids = sorted.column(schema.index_of("event_id").expect("event_id")).clone();
    let ids = ids.as_string::<i32>();
    let times = sorted
        .column(schema.index_of("event_time").expect("event_time"))
        .clone();
    let times = times.as_primitive::<TimestampMicrosecondType>();
    let mut seen: HashSet<(&str, Option<i64>)> = HashSet::with_capacity(sorted.num_rows());
    let keep: BooleanArray = (0..sorted.num_rows())
        .map(|i| Some(seen.insert((ids.value(i), gcp.then(|| times.value(i))))))
        .collect();
    let duplicates = keep.false_count() as u64;
    let kept = filter_record_batch(&sorted, &keep)?;
    // An id kept at two times (GCP) may land in two of the files the partition is split into,
    // where neither file's facts see it twice: such files have no facts (see `file_index::facts`).
    let ids_reused = gcp && {
        let ids = kept
            .column(schema.index_of("event_id").expect("event_id"))
            .as_string::<i32>();
        let distinct: HashSet<&str> = ids.iter().flatten().collect();
        distinct.len() < kept.num_rows()
    };
    Ok(Merged {
        rows: kept,
        duplicates,
        sealed,
        rejected,
        ids_reused,
    })
}
