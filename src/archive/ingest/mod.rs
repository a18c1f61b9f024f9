//! Raw source files → the archive, with nothing lost and nothing doubled.
//!
//! Files are read and parsed two at a time (both cores), but their results are taken in the
//! order the files were listed, so a run is deterministic. Every record's secrets are sealed
//! (see `seal`) while it is parsed. Events gather into a batch that is written as one Parquet
//! file per partition, with its sealed records beside, and committed through the [`Ledger`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::Arc;

use futures::StreamExt;

mod batch;
mod fetch;
mod parse;

use batch::Batch;
use parse::{Contents, Reading, SealedFile, cloudtrail_log, parse};

use super::chain::{Chain, Signer};
use super::changes::RETAIN;
use super::digests::{Arrival, Validation};
use super::inputs::{Input, Inputs};
use super::ledger::{Ledger, SourceRecord};
use super::lock::IngestLock;
use super::quarantine::{Held, RejectedRecord, quarantine_file};
use super::seal;
use super::summary::IngestSummary;
use super::{ArchiveError, Location, file_index, format};
use crate::secrets::{FingerprintKey, mask_text};
use crate::sources::aws::digest::PublicKeys;
use crate::sources::{CloudChoice, Event, Mapped};

/// How an ingest runs.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    pub cloud: CloudChoice,
    /// A batch is written once its records' raw text passes this many bytes…
    pub batch_bytes: usize,
    /// …or it holds this many events.
    pub batch_events: usize,
    /// Files parsed at once.
    pub parallelism: usize,
    /// Sources fetched at once (GETs in flight).
    pub fetches: usize,
    /// The most bytes of fetched sources held at once, waiting to be parsed.
    pub fetch_bytes: usize,
    /// The most a source file may hold once decompressed (a gzip of a few megabytes can expand
    /// to gigabytes): a larger one is quarantined with the reason.
    pub max_decompressed: u64,
    /// The key the integrity chain's links are signed with, if the platform team keeps one.
    pub signing_key: Option<Arc<Signer>>,
    /// AWS's public keys for CloudTrail digests (`aws cloudtrail list-public-keys`): with them,
    /// the signature of each digest read from an object store is checked.
    pub cloudtrail_public_keys: Option<PublicKeys>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            cloud: CloudChoice::Auto,
            batch_bytes: 256 << 20,
            batch_events: 1_000_000,
            parallelism: std::thread::available_parallelism().map_or(2, |n| n.get()),
            fetches: 16,
            fetch_bytes: 256 << 20,
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
            signing_key: None,
            cloudtrail_public_keys: None,
        }
    }
}

pub use crate::sources::document::DEFAULT_MAX_DECOMPRESSED;

/// The earliest event time ingest takes (1990-01-01): the clouds' audit logs begin decades
/// later, so an earlier one is a broken clock or a forged record.
pub const EARLIEST_EVENT: i64 = 631_152_000_000_000;

/// How far after the ingest an event may be dated (clocks drift a little; a day is plenty).
pub const LATEST_AHEAD: i64 = 86_400_000_000;

/// What an ingest reports as it goes.
pub trait IngestProgress: Send + Sync {
    fn file_done(&self, _name: &str, _bytes: u64) {}
    fn writing(&self, _events: usize) {}
}

/// Reports nothing.
pub struct Quiet;
impl IngestProgress for Quiet {}

/// Ingests `inputs` into the archive at `location`.
pub async fn ingest(
    location: &Location,
    inputs: Inputs,
    options: &IngestOptions,
    progress: &dyn IngestProgress,
) -> Result<IngestSummary, ArchiveError> {
    let lock = IngestLock::acquire(location).await?;
    let chain = match Chain::open(location, options.signing_key.clone(), true).await {
        Ok(chain) => chain,
        Err(e) => {
            lock.release().await?;
            return Err(e);
        }
    };
    let mut run = Run {
        chain,
        lock,
        parallelism: options.parallelism.max(1),
        forced: options.cloud != CloudChoice::Auto,
        location,
        ledger: Ledger::new(location),
        summary: IngestSummary::default(),
        batch: Batch::default(),
        seen: Seen::default(),
        days: BTreeSet::new(),
        held: None,
        key: None,
        validation: Validation::new(location, options.cloudtrail_public_keys.clone()),
        marks_later: Vec::new(),
    };
    // Whatever happens, the lock goes: a run that failed leaves at most a pending batch, which
    // the next run (of any host) undoes.
    let outcome = run.all(inputs, options, progress).await;
    let released = run.lock.release().await;
    outcome?;
    released?;
    Ok(run.summary)
}

/// Events already taken in this run, by a 128-bit hash of `(cloud, tenant, event_id, time)`:
/// a duplicate delivery repeats all four; distinct GCP entries may share an `insertId`.
#[derive(Default)]
struct Seen {
    keys: HashSet<u128>,
    hasher: std::collections::hash_map::RandomState,
    hasher2: std::collections::hash_map::RandomState,
}

impl Seen {
    fn first_time(&mut self, e: &Event) -> bool {
        let key = (e.cloud, &e.tenant, &e.event_id, e.event_time);
        let a = self.hasher.hash_one(key) as u128;
        let b = self.hasher2.hash_one(key) as u128;
        self.keys.insert(a << 64 | b)
    }
}

struct Run<'a> {
    location: &'a Location,
    /// This run's hold on the archive, renewed as batches commit.
    lock: IngestLock<'a>,
    /// Files parsed, or partitions encoded, at once.
    parallelism: usize,
    /// The cloud was forced with --cloud (rather than told by each record).
    forced: bool,
    ledger: Ledger<'a>,
    summary: IngestSummary,
    batch: Batch,
    seen: Seen,
    /// Days this run wrote files to.
    days: BTreeSet<String>,
    /// What the quarantine held when first needed.
    held: Option<Held>,
    /// The archive's fingerprint key, once the run holds the lock.
    key: Option<Arc<FingerprintKey>>,
    /// The integrity chain, each batch's link appended before it commits.
    chain: Chain,
    /// What CloudTrail digests say of this run's files.
    validation: Validation<'a>,
    /// Markers of sources whose content came with another source of this run.
    marks_later: Vec<Marking>,
}

impl<'a> Run<'a> {
    /// Everything a run does while it holds the lock: recovery, then the inputs, batch by batch.
    async fn all(
        &mut self,
        inputs: Inputs,
        options: &IngestOptions,
        progress: &dyn IngestProgress,
    ) -> Result<(), ArchiveError> {
        self.summary.recovered = self.ledger.recover(RETAIN, &mut self.chain).await?;
        self.summary.files_skipped = inputs.passed_over;
        let mut listing = inputs.listing;
        self.summary.objects_listed = listing.objects;
        self.summary.bytes_listed = listing.bytes;
        self.summary.objects_unchanged = listing.unchanged;
        self.summary.bytes_unchanged = listing.unchanged_bytes;
        self.summary.listed_from = listing.listed_from.clone();

        // A new archive is written in this version's format from its first event on; an older
        // archive keeps its version (new files are sealed all the same) until `compact`
        // migrates the rest.
        let version = match format::read(self.location).await? {
            Some(version) => version,
            None => {
                format::write(self.location, format::CURRENT).await?;
                format::CURRENT
            }
        };
        // An archive of an older format has no chain until `compact` brings it in.
        if version >= format::CHAINED {
            self.chain.start();
        }
        let key = Arc::new(seal::key_for_writing(self.location).await?);
        self.key = Some(key.clone());
        let reading = Reading {
            choice: options.cloud,
            key,
            not_after: chrono::Utc::now().timestamp_micros() + LATEST_AHEAD,
            max_decompressed: options.max_decompressed,
        };
        // Many GETs in flight, a few parsers: a store's latency, not the cores, bounds a fetch.
        // Each source takes its share of the byte budget in listing order before its GET, so the
        // first in line always holds its share and the pipeline cannot stall.
        let total_kib = (options.fetch_bytes / 1024).clamp(1, u32::MAX as usize >> 4) as u32;
        let budget = Arc::new(tokio::sync::Semaphore::new(total_kib as usize));
        let location = self.location;
        let max_bytes = reading.max_decompressed;
        let parsed = futures::stream::iter(inputs.files)
            .then(|input| {
                let budget = budget.clone();
                async move {
                    let permit = fetch::permit(&budget, total_kib, input.size).await;
                    (input, permit)
                }
            })
            .map(|(input, permit)| fetch::fetch(location, input, max_bytes, permit))
            .buffered(options.fetches.max(1))
            .map(|got| {
                let reading = reading.clone();
                async move {
                    let mut got = got?;
                    if got.blob.as_ref().is_some_and(|b| b.nothing_new()) {
                        return Ok((got, None));
                    }
                    let bytes = std::mem::replace(&mut got.bytes, Err(ArchiveError::TooLarge(String::new())));
                    let key = got.blob.as_ref().map(|b| b.key.clone());
                    let input = got.input.clone();
                    let work = tokio::task::spawn_blocking(move || parse(input, bytes, key, &reading));
                    let (_, parsed) = work.await.expect("parsing a source file does not panic");
                    Ok::<_, ArchiveError>((got, Some(parsed)))
                }
            })
            .buffered(options.parallelism.max(1));
        let mut parsed = std::pin::pin!(parsed);
        let mut seen_content: HashMap<String, String> = HashMap::new();
        while let Some(item) = parsed.next().await {
            let (got, read) = item?;
            let input = got.input.clone();
            progress.file_done(&input.name, input.size);
            let Some(read) = read else {
                // An append blob that gained no complete record: what it says is already in.
                self.summary.objects_unchanged += 1;
                self.summary.bytes_unchanged += got.meta.as_ref().map_or(0, |m| m.size);
                if let Some(mark) = marking(&got, "") {
                    self.mark(&mark).await;
                }
                continue;
            };
            let (bytes, sha, records, other_cloud, contents) = match read {
                Err(e) => {
                    // Not read (a failed GET, too large): listed again by the next run.
                    if let Some((source, folder, day)) = input.place.as_ref().and_then(|p| p.dated.as_ref()) {
                        for collected in listing.collected.iter_mut().filter(|c| &c.source == source) {
                            collected.hold(folder, *day);
                        }
                    }
                    self.summary.files_quarantined.push((input.name.clone(), e.to_string()));
                    continue;
                }
                Ok(read) => read,
            };
            let mark = marking(&got, &sha);
            if let Some(blob) = &got.blob {
                if blob.rewritten {
                    self.summary.blobs_rewritten.push(input.name.clone());
                } else if blob.from > 0 {
                    self.summary.blobs_continued += 1;
                }
            }
            if let Some(first) = seen_content.get(&sha) {
                self.summary
                    .files_already_ingested
                    .push(format!("{} (same content as {first})", input.name));
                self.marks_later.extend(mark);
                continue;
            }
            seen_content.insert(sha.clone(), input.name.clone());
            if self.ledger.get(&sha).await?.is_some() {
                self.summary.files_already_ingested.push(input.name.clone());
                // Its content is in the ledger: the marker can say so now.
                if let Some(mark) = mark {
                    self.mark(&mark).await;
                }
                continue;
            }
            if other_cloud {
                self.summary.files_not_of_forced_cloud.push(input.name.clone());
            }
            match records {
                Err(reason) => match self.held().await?.copy(&sha) {
                    Some(copy) => {
                        let reason = format!("{} (kept in quarantine already, as {copy})", mask_text(&reason));
                        self.summary.files_quarantined.push((input.name.clone(), reason));
                    }
                    None => {
                        quarantine_file(self.location, &sha, &input.name, input.file_name(), bytes, &reason).await?;
                        let reason = mask_text(&reason).into_owned();
                        self.summary.files_quarantined.push((input.name.clone(), reason));
                    }
                },
                Ok(records) => {
                    let log = cloudtrail_log(&input, &records);
                    let is_digest = matches!(contents.digest, Some(Ok(_)));
                    self.take(&input, sha.clone(), records, is_digest);
                    if let Some(source) = self.batch.sources.last_mut().filter(|s| s.sha256 == sha) {
                        source.appended = got.blob.as_ref().and_then(|b| b.appended());
                        self.batch.marks.extend(mark);
                    }
                    self.validate(&input, &sha, contents, log, got.signature.clone())
                        .await?;
                }
            }
            if self.batch.raw_bytes >= options.batch_bytes || self.batch.events.len() >= options.batch_events {
                self.flush(progress).await?;
            }
        }
        self.flush(progress).await?;
        // Sources whose content an earlier source of this run carried: in the ledger now.
        for mark in std::mem::take(&mut self.marks_later) {
            self.mark(&mark).await;
        }
        // Everything listed is in: the next run lists date folders from these days on.
        for collected in &listing.collected {
            collected.write(self.location).await?;
        }
        let validation = std::mem::replace(&mut self.validation, Validation::new(self.location, None));
        self.summary.digests = validation.finish();
        // Days that gathered many index objects (one per batch) get one again.
        let days: Vec<String> = std::mem::take(&mut self.days).into_iter().collect();
        // The events are committed: a failure to tidy the index (queries are right without it) is
        // reported, not made the run's failure, and the lock is released all the same.
        if let Err(e) = file_index::merge_days(self.location, &mut self.chain, &days, false, file_index::MERGE_AT).await
        {
            self.summary.index_not_merged = Some(e.to_string());
        }
        Ok(())
    }

    /// Writes a marker. One that cannot be written (a store refusing its key, a failed PUT) is
    /// a warning: without it the object is only read again by the next run, and found in the
    /// content ledger then.
    async fn mark(&mut self, mark: &Marking) {
        if let Err(e) = mark.write(self.location).await {
            let why = mask_text(&e.to_string()).into_owned();
            self.summary.markers_not_written.push((mark.mark.source.clone(), why));
        }
    }

    async fn held(&mut self) -> Result<&Held, ArchiveError> {
        if self.held.is_none() {
            self.held = Some(Held::list(self.location).await?);
        }
        Ok(self.held.as_ref().expect("just listed"))
    }

    /// What CloudTrail digests say of a file just taken (a log file or a digest), kept with its
    /// ledger record in the batch.
    async fn validate(
        &mut self,
        input: &Input,
        sha: &str,
        contents: Contents,
        log: Option<(String, String, i64)>,
        signature: Option<(String, Option<String>)>,
    ) -> Result<(), ArchiveError> {
        let Some(content_sha) = contents.sha256 else {
            return Ok(());
        };
        let Some(at) = self.batch.sources.iter().rposition(|s| s.sha256 == sha) else {
            return Ok(());
        };
        self.batch.sources[at].content_sha256 = Some(content_sha.clone());
        match (contents.digest, log) {
            (Some(Ok(digest)), _) => {
                let key = self
                    .validation
                    .digest_arrived(
                        &input.name,
                        sha,
                        &content_sha,
                        digest,
                        signature,
                        &self.ledger,
                        &mut self.batch.sources,
                    )
                    .await?;
                self.batch.sources[at].digest = Some(key);
            }
            (Some(Err(why)), _) => {
                let why = mask_text(&why).into_owned();
                self.validation
                    .report
                    .digests_unreadable
                    .push((input.name.clone(), why));
            }
            (None, Some((account, region, newest_event))) => {
                let arrival = Arrival {
                    name: &input.name,
                    sha256: sha,
                    content_sha256: &content_sha,
                    account,
                    region,
                    newest_event,
                };
                self.batch.sources[at].cloudtrail = Some(self.validation.log_arrived(arrival).await?);
            }
            (None, None) => {}
        }
        Ok(())
    }

    fn take(&mut self, input: &Input, sha: String, file: SealedFile, is_digest: bool) {
        let SealedFile {
            records: file,
            mut sealed,
        } = file;
        let undecodable: HashMap<u32, Vec<u8>> = file.undecodable.into_iter().collect();
        let mut record = SourceRecord {
            sha256: sha.clone(),
            source: input.name.clone(),
            size: input.size,
            ingested_at: chrono::Utc::now().to_rfc3339(),
            batch: String::new(),
            events: 0,
            skipped: 0,
            rejected: 0,
            duplicates: 0,
            content_sha256: None,
            cloudtrail: None,
            digest: None,
            ..Default::default()
        };
        let taken_from = self.batch.events.len();
        let mut rejected_lines = String::new();
        let mut skip_reasons = BTreeMap::new();
        for (index, mapped, text) in file.records {
            match mapped {
                Mapped::Event(event) => {
                    if self.seen.first_time(&event) {
                        record.events += 1;
                        if let Some(verbatim) = sealed.remove(&index) {
                            self.batch.raw_bytes += verbatim.record.len();
                            self.batch.sealed.push(verbatim);
                        }
                        self.batch.raw_bytes += event.raw.len();
                        *self
                            .summary
                            .events_written
                            .entry((event.cloud.to_string(), event.tenant.clone()))
                            .or_default() += 1;
                        self.batch.events.push(*event);
                    } else {
                        record.duplicates += 1;
                        self.summary.duplicates_dropped += 1;
                    }
                }
                Mapped::Skipped(reason) => {
                    record.skipped += 1;
                    *skip_reasons.entry(reason).or_insert(0u64) += 1;
                }
                Mapped::Rejected(reason) => {
                    record.rejected += 1;
                    let line = RejectedRecord {
                        source_object: &input.name,
                        source_index: index,
                        reason: &reason,
                        record: &text,
                        record_base64: undecodable.get(&index).map(|b| {
                            use base64::Engine;
                            base64::engine::general_purpose::STANDARD.encode(b)
                        }),
                    };
                    rejected_lines.push_str(&serde_json::to_string(&line).expect("a rejected record serialises"));
                    rejected_lines.push('\n');
                    // The summary is shown: a reason that echoes a value must not echo a secret.
                    let shown = mask_text(&reason).into_owned();
                    *self.summary.records_rejected.entry(shown).or_default() += 1;
                }
            }
        }
        record.saw(&self.batch.events[taken_from..]);
        let only_skipped = record.skipped > 0 && record.events == 0 && record.rejected == 0 && record.duplicates == 0;
        if is_digest {
            // Read as a digest: counted with the digests, not as a file skipped.
        } else if only_skipped && skip_reasons.len() == 1 {
            let reason = skip_reasons.keys().next().cloned().unwrap_or_default();
            self.summary.files_skipped.push((input.name.clone(), reason));
        } else {
            self.summary.files_read += 1;
            for (reason, n) in skip_reasons {
                *self.summary.records_skipped.entry(reason).or_default() += n;
            }
        }
        if !rejected_lines.is_empty() {
            self.batch
                .rejected
                .push((sha.clone(), input.file_name().to_string(), rejected_lines));
        }
        // Only a file that gave events, or that was recognised for what it is (a digest, entries
        // that are not audit logs), is done with. A file whose records were all rejected, or that
        // a forced --cloud read as nothing, stays unrecorded: read again with the right choice,
        // it is not "already ingested".
        let done = is_digest || record.events > 0 || record.duplicates > 0 || (!self.forced && record.rejected == 0);
        if done {
            self.batch.sources.push(record);
        } else {
            self.batch.unrecorded = true;
        }
    }
}

/// A marker to write for a source read from a store the archive tracks by location.
struct Marking {
    path: object_store::path::Path,
    mark: crate::archive::seen::Mark,
    earlier: Vec<(u64, object_store::path::Path)>,
}

impl Marking {
    async fn write(&self, location: &Location) -> Result<(), ArchiveError> {
        crate::archive::seen::write(location, &self.path, &self.mark, &self.earlier).await
    }
}

/// The marker of a source as listed (its size, ETag and version), its content under `sha` in
/// the ledger; none for a local file. An object that changed between its listing and its GET is
/// read again by the next run (its listing no longer matches), which finds its content in the
/// ledger: the safe way round.
fn marking(got: &fetch::Got, sha: &str) -> Option<Marking> {
    let place = got.input.place.as_ref()?;
    let listed = &place.listed;
    let (read_to, read_sha256) = match &got.blob {
        Some(blob) => (blob.end, blob.read_sha256.clone()),
        None => (got.meta.as_ref().map_or(listed.size, |m| m.size), sha.to_string()),
    };
    Some(Marking {
        path: place.mirror.marker(listed),
        mark: crate::archive::seen::Mark {
            source: got.input.name.clone(),
            size: listed.size,
            e_tag: listed.e_tag.clone(),
            version: listed.version.clone(),
            sha256: got.blob.as_ref().map_or(sha.to_string(), |b| b.key.clone()),
            read_to,
            read_sha256,
        },
        earlier: place.earlier.clone(),
    })
}
