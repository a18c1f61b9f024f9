//! Reading one source file: decompressed once, parsed, each event checked for its time and
//! sealed, and what CloudTrail digests need of it (the hash of its content, or the digest it is).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::EARLIEST_EVENT;
use crate::archive::ArchiveError;
use crate::archive::inputs::Input;
use crate::archive::seal::{self, SealedRecord};
use crate::secrets::{FingerprintKey, hex};
use crate::sources::aws::DIGEST_SKIPPED;
use crate::sources::aws::digest::{self as ct_digest, Digest as CloudTrailDigest};
use crate::sources::document::{DocumentError, decompress};
use crate::sources::{Cloud, CloudChoice, FileRecords, Mapped, read_decompressed};

/// A file's bytes, their SHA-256, its records or why the file cannot be read, whether a
/// forced --cloud read as nothing what are events of another cloud, and what digests need of it.
pub(super) type Parsed = Result<(Bytes, String, Result<SealedFile, String>, bool, Contents), ArchiveError>;

/// What CloudTrail digests need of a file: the SHA-256 of its uncompressed content, and, for a
/// digest file, what it says (or why it cannot be read as one).
#[derive(Default)]
pub(super) struct Contents {
    pub(super) sha256: Option<String>,
    pub(super) digest: Option<Result<CloudTrailDigest, String>>,
}

/// A file's records with their secrets sealed: each event as `events/` may hold it, and the
/// verbatim text of those whose secrets were replaced, by their position in the file.
pub(super) struct SealedFile {
    pub(super) records: FileRecords,
    pub(super) sealed: HashMap<u32, SealedRecord>,
}

/// What a parse needs besides the file: how to read it, the key to seal it with, and the
/// latest event time it may hold.
#[derive(Clone)]
pub(super) struct Reading {
    pub(super) choice: CloudChoice,
    pub(super) key: Arc<FingerprintKey>,
    pub(super) not_after: i64,
    pub(super) max_decompressed: u64,
}

/// `key`: the content ledger key when it is not the bytes' SHA-256 (a part of an append blob).
pub(super) fn parse(
    input: Input,
    bytes: Result<Bytes, ArchiveError>,
    key: Option<String>,
    reading: &Reading,
) -> (Input, Parsed) {
    let choice = reading.choice;
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => return (input, Err(e)),
    };
    let sha = key.unwrap_or_else(|| hex(&Sha256::digest(&bytes)));
    // Decompressed once: its hash is what a CloudTrail digest lists, and it is what is read.
    let plain = decompress(&bytes, reading.max_decompressed);
    let mut contents = Contents {
        sha256: plain.as_ref().ok().map(|p| hex(&Sha256::digest(p))),
        digest: None,
    };
    let records = plain
        .as_ref()
        .map_err(|e| e.clone())
        .and_then(|plain| read_decompressed(plain, &input.name, choice))
        .map_err(|e: DocumentError| e.to_string())
        .and_then(|records| {
            // A file none of whose records has a known shape is not a log we understand.
            let unknown = records
                .records
                .iter()
                .all(|(_, m, _)| matches!(m, Mapped::Rejected(r) if r.starts_with("not a record of a known shape")));
            if unknown && !records.records.is_empty() {
                Err("no record has a known shape (CloudTrail, GCP LogEntry, Azure Activity Log, Entra ID audit or sign-in log)".to_string())
            } else {
                Ok(records)
            }
        });
    // Under a forced --cloud, a file read as nothing whose records are, by their own fields, events
    // of another cloud: most likely the wrong choice, and said so.
    let other_cloud = match (&records, choice) {
        (Ok(read), CloudChoice::Only(forced)) if read.events().next().is_none() && !read.records.is_empty() => plain
            .as_ref()
            .ok()
            .and_then(|plain| read_decompressed(plain, &input.name, CloudChoice::Auto).ok())
            .is_some_and(|auto| auto.events().next().is_some_and(|e| e.cloud != forced)),
        _ => false,
    };
    if let (Ok(read), Ok(plain)) = (&records, &plain)
        && let [(_, Mapped::Skipped(why), _)] = read.records.as_slice()
        && why == DIGEST_SKIPPED
    {
        contents.digest = Some(ct_digest::parse(plain));
    }
    let records = records.map(|r| seal_file(r, reading));
    (input, Ok((bytes, sha, records, other_cloud, contents)))
}

/// Each event of a file checked for its time and sealed: an event dated impossibly early or
/// later than a day after this ingest, or whose secrets sit where its identity is, becomes a
/// rejected record (kept in the sealed quarantine with its verbatim text).
pub(super) fn seal_file(mut file: FileRecords, reading: &Reading) -> SealedFile {
    let mut sealed = HashMap::new();
    for (index, mapped, text) in file.records.iter_mut() {
        let Mapped::Event(event) = mapped else { continue };
        let t = event.event_time;
        let refused = if t < EARLIEST_EVENT {
            Some(format!(
                "event time {} is before 1990: a broken clock or a forged record",
                crate::engine::window::format_time(t)
            ))
        } else if t > reading.not_after {
            Some(format!(
                "event time {} is more than a day after this ingest: a broken clock or a forged record",
                crate::engine::window::format_time(t)
            ))
        } else {
            None
        };
        if let Some(why) = refused {
            *text = std::mem::take(&mut event.raw);
            *mapped = Mapped::Rejected(why);
            continue;
        }
        // Most records hold nothing the catalogue knows: one quick scan passes them as they are.
        if !crate::secrets::catalogue::may_hold_secret(&event.raw) {
            continue;
        }
        let Mapped::Event(taken) = std::mem::replace(mapped, Mapped::Skipped(String::new())) else {
            unreachable!("matched as an event above")
        };
        *mapped = match seal::seal(*taken, &reading.key) {
            Ok((masked, record)) => {
                if let Some(record) = record {
                    sealed.insert(*index, record);
                }
                Mapped::Event(Box::new(masked))
            }
            Err((why, verbatim)) => {
                *text = verbatim.raw;
                Mapped::Rejected(why)
            }
        };
    }
    SealedFile { records: file, sealed }
}

/// A CloudTrail log file's account, region and newest event time, when the file is one: it has
/// CloudTrail's delivery name, or the `{"Records": [...]}` layout of a delivery file, and holds
/// CloudTrail events (the event-history export and Logstash lines are not what digests list).
pub(super) fn cloudtrail_log(input: &Input, records: &SealedFile) -> Option<(String, String, i64)> {
    let mut events = records.records.events().filter(|e| e.cloud == Cloud::Aws);
    let first = events.next()?;
    let delivery = records.records.layout == crate::sources::document::Layout::Wrapped("Records")
        || ct_digest::delivery_name(&input.name).is_some();
    let newest = events.map(|e| e.event_time).fold(first.event_time, i64::max);
    delivery.then(|| {
        let region = first.region.clone().unwrap_or_else(|| "unknown".into());
        (first.tenant.clone(), region, newest)
    })
}
