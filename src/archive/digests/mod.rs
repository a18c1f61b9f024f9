//! CloudTrail digests in the archive: which ingested log files a digest vouches for, which it
//! contradicts, and whether the digests chain and are signed.
//!
//! ```text
//! _ingest/digests/<account>/<region>/<day of its end>/<its end, 20240610T110000Z>.<content sha256>.json
//!     what a digest file said (its list, its link to the previous digest, its signature)
//! _ingest/cloudtrail/<account>/<region>/<delivery day>/<time_id of its name|unnamed>.<content sha256>.json
//!     one small object per CloudTrail log file ingested (its name and ledger key inside): its
//!     key is all a digest needs to judge it, so a summary reads one only to name a failing file
//! ```
//! Keys stay short (under 200 bytes with a short archive prefix): some S3-compatible stores keep
//! a key's metadata in a file named after the whole key.
//! Keys are made from content only, so a re-run writes the same objects again (a digest or log
//! ingested twice is a no-op: the ledger skips it before it gets here). Both are written before
//! the batch that records their source commits: a run killed in between leaves them for the next
//! run, which ingests the same source again and writes the same keys (until then a summary
//! counts that file). The same content ingested once gzipped and once not (two ledger records)
//! shares one index key, which names the later.
//!
//! A log file's state is judged on arrival with the digests already in the archive, and judged
//! again when a digest that concerns it arrives; it is kept in its ledger record
//! ([`super::ledger::SourceRecord::cloudtrail`]). [`summary`] judges every log again from the
//! keys above, so it agrees with the ledger without reading it.

mod arrival;

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;
use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};

pub use arrival::DigestReport;
pub(crate) use arrival::{Arrival, Validation};

use super::layout::utc_day;
use super::{ArchiveError, Location};
use crate::sources::aws::digest::{self, PublicKeys, SignedFields, delivery_name, stem};

pub const DIGESTS: &str = "_ingest/digests";
pub const LOGS: &str = "_ingest/cloudtrail";

/// An hour, in microseconds: a digest lists the log files delivered in the hour before its end.
const HOUR: i64 = 3_600_000_000;

/// What the archive knows of a CloudTrail log file (kept in its ledger record).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CloudTrailLog {
    pub account: String,
    pub region: String,
    /// The delivery time its CloudTrail name gives (RFC 3339); none for a renamed file.
    pub delivered: Option<String>,
    pub state: DigestState,
}

/// What the digests say of one log file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DigestState {
    /// A digest lists it with the SHA-256 of its content.
    Validated { digest: String },
    /// A digest lists its name with another hash: it was changed after CloudTrail delivered it.
    Mismatch {
        digest: String,
        expected: String,
        found: String,
    },
    /// A digest of its account, region and hour is in the archive, and none lists it.
    NotListed,
    /// No digest of its account and region covers its hour (or, renamed, it cannot be placed in one).
    Uncovered,
}

/// Whether a digest's signature was checked, and how that went.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SignatureCheck {
    Valid,
    Failed {
        reason: String,
    },
    /// The digest came from a folder: its signature stayed in the S3 object's metadata.
    Unavailable,
    /// The signature is kept, but no public keys were given to check it.
    Unchecked,
}

/// What the archive keeps of one digest file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DigestRecord {
    /// The digest file's name as ingested, and its ledger key.
    pub source: String,
    pub sha256: String,
    /// Hex SHA-256 of its uncompressed content (what the next digest's previousDigestHashValue names).
    pub content_sha256: String,
    pub account: String,
    pub region: String,
    pub start: String,
    pub end: String,
    pub bucket: String,
    pub object: String,
    pub fingerprint: String,
    pub previous_object: Option<String>,
    pub previous_hash: Option<String>,
    pub previous_signature: Option<String>,
    /// Hex signature and its algorithm, from the S3 object's metadata.
    pub signature: Option<String>,
    pub signature_algorithm: Option<String>,
    pub signature_check: SignatureCheck,
    pub logs: Vec<Listed>,
}

/// One log file a digest lists: its name's stem and the hex SHA-256 of its uncompressed content.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Listed {
    pub stem: String,
    pub hash: String,
}

impl DigestRecord {
    fn signed_fields(&self) -> SignedFields<'_> {
        SignedFields {
            end: &self.end,
            bucket: &self.bucket,
            object: &self.object,
            fingerprint: &self.fingerprint,
            previous_signature: self.previous_signature.as_deref(),
        }
    }

    fn key(&self) -> String {
        let end = digest::time(&self.end);
        let day = end.map_or_else(|| "undated".into(), utc_day);
        let at = end
            .and_then(chrono::DateTime::from_timestamp_micros)
            .map_or_else(|| "undated".into(), |t| t.format("%Y%m%dT%H%M%SZ").to_string());
        format!(
            "{DIGESTS}/{}/{}/{day}/{at}.{}.json",
            segment(&self.account),
            segment(&self.region),
            self.content_sha256
        )
    }

    fn window(&self) -> Option<(i64, i64)> {
        // Names carry minutes; a start at 10:00:31 still covers a file named 10:00.
        Some((
            digest::time(&self.start)? / 60_000_000 * 60_000_000,
            digest::time(&self.end)?,
        ))
    }
}

/// Checks a digest's signature with `keys`, from what the archive keeps of it.
pub fn check_signature(record: &DigestRecord, keys: Option<&PublicKeys>) -> SignatureCheck {
    let Some(signature) = &record.signature else {
        return SignatureCheck::Unavailable;
    };
    let Some(keys) = keys.filter(|k| !k.is_empty()) else {
        return SignatureCheck::Unchecked;
    };
    match keys.verify(
        &record.signed_fields(),
        &record.content_sha256,
        signature,
        record.signature_algorithm.as_deref(),
    ) {
        Ok(()) => SignatureCheck::Valid,
        Err(problem) => SignatureCheck::Failed {
            reason: problem.to_string(),
        },
    }
}

/// A key segment made of a value from a file: nothing that separates segments or key parts.
fn segment(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_@:".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() { "unknown".into() } else { cleaned }
}

/// A CloudTrail log file as its index key tells it.
#[derive(Clone, Debug, PartialEq)]
struct LogKey {
    account: String,
    region: String,
    day: String,
    /// Its name's stem, when it has CloudTrail's name.
    stem: Option<String>,
    delivered: Option<i64>,
    content: String,
    /// Its path in the store (as listed: with the archive's prefix).
    key: String,
}

impl LogKey {
    fn parse(key: &str) -> Option<LogKey> {
        let parts: Vec<&str> = key.rsplitn(5, '/').collect();
        let [file, day, region, account, _] = parts.as_slice() else {
            return None;
        };
        let mut fields = file.strip_suffix(".json")?.split('.');
        let (name, content) = (fields.next()?, fields.next()?);
        // The name is kept without the account and region its folders already say.
        let stem = (name != "unnamed").then(|| format!("{account}_CloudTrail_{region}_{name}"));
        Some(LogKey {
            account: account.to_string(),
            region: region.to_string(),
            day: day.to_string(),
            delivered: stem.as_deref().and_then(delivery_name).map(|d| d.delivered),
            stem,
            content: content.to_string(),
            key: key.to_string(),
        })
    }

    fn days(&self) -> Vec<String> {
        days_around(self.delivered, &self.day)
    }
}

/// The days whose digests may list a file delivered at `t`: its own and the next hour's.
fn days_around(t: Option<i64>, day: &str) -> Vec<String> {
    match t {
        Some(t) => {
            let mut days = vec![utc_day(t), utc_day(t + 2 * HOUR)];
            days.dedup();
            days
        }
        None => vec![day.to_string()],
    }
}

/// What digests say of a log file, given the digests of its account and region.
fn judge(log: &LogKey, digests: &[&DigestRecord]) -> DigestState {
    Listing::new(digests).judge(log)
}

/// The entries of some digests, by name and by hash, and the hours they cover: a summary
/// judges every log file of a trail against a year of digests (8,760 of them) with lookups,
/// not scans.
struct Listing<'a> {
    by_stem: HashMap<&'a str, Vec<(&'a DigestRecord, &'a str)>>,
    /// The first digest listing each hash.
    by_hash: HashMap<&'a str, &'a DigestRecord>,
    /// `(start, end)` of each digest, by start.
    windows: Vec<(i64, i64)>,
    longest: i64,
}

impl<'a> Listing<'a> {
    fn new(digests: &[&'a DigestRecord]) -> Self {
        let mut listing = Listing {
            by_stem: HashMap::new(),
            by_hash: HashMap::new(),
            windows: digests.iter().filter_map(|d| d.window()).collect(),
            longest: 0,
        };
        for d in digests {
            for listed in &d.logs {
                listing.by_stem.entry(&listed.stem).or_default().push((d, &listed.hash));
                listing.by_hash.entry(&listed.hash).or_insert(d);
            }
        }
        listing.windows.sort_unstable();
        listing.longest = listing.windows.iter().map(|(s, e)| e - s).max().unwrap_or(0);
        listing
    }

    fn judge(&self, log: &LogKey) -> DigestState {
        let named = log.stem.as_deref().and_then(|s| self.by_stem.get(s)).map(Vec::as_slice);
        if let Some((d, expected)) = named.unwrap_or_default().iter().find(|(_, h)| *h != log.content) {
            return DigestState::Mismatch {
                digest: d.object.clone(),
                expected: expected.to_string(),
                found: log.content.clone(),
            };
        }
        if let Some(d) = self.by_hash.get(log.content.as_str()) {
            return DigestState::Validated {
                digest: d.object.clone(),
            };
        }
        if log.delivered.is_some_and(|t| self.covers(t)) {
            DigestState::NotListed
        } else {
            DigestState::Uncovered
        }
    }

    /// Whether a digest's hour holds `t`: only windows starting at most the longest window
    /// before `t` can.
    fn covers(&self, t: i64) -> bool {
        let after = self.windows.partition_point(|(s, _)| *s <= t);
        self.windows[..after]
            .iter()
            .rev()
            .take_while(|(s, _)| *s >= t - self.longest)
            .any(|(_, e)| t <= *e)
    }
}

/// How a digest links to the one before it, among the digests of its account and region.
#[derive(Clone, Debug, PartialEq)]
enum Link {
    /// The first of its chain (or after a gap: CloudTrail starts a new chain).
    First,
    Linked,
    Broken {
        expected: String,
        found: String,
    },
    PreviousMissing,
}

fn link(d: &DigestRecord, digests: &[&DigestRecord]) -> Link {
    let (Some(previous), Some(expected)) = (&d.previous_object, &d.previous_hash) else {
        return Link::First;
    };
    let previous = stem(previous);
    let found: Vec<&str> = digests
        .iter()
        .filter(|p| stem(&p.object) == previous)
        .map(|p| p.content_sha256.as_str())
        .collect();
    if found.is_empty() {
        Link::PreviousMissing
    } else if found.contains(&expected.as_str()) {
        Link::Linked
    } else {
        Link::Broken {
            expected: expected.clone(),
            found: found[0].to_string(),
        }
    }
}

/// One thing the digests contradict.
#[derive(Clone, Debug, PartialEq)]
pub struct DigestFailure {
    pub kind: FailureKind,
    /// The log file (or, for a chain break or a signature, the digest) named.
    pub source: String,
    /// The digest that says otherwise (its S3 object).
    pub digest: String,
    pub expected: String,
    pub found: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// A log file listed with another hash.
    Mismatch,
    /// A digest whose previousDigestHashValue is not the content of the previous digest kept.
    ChainBreak,
    /// A digest whose signature does not verify.
    Signature,
}

/// Counts for one trail's account and region.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrailDigests {
    pub validated: u64,
    pub mismatched: u64,
    pub not_listed: u64,
    pub uncovered: u64,
    pub digests: u64,
    pub chain_breaks: u64,
    pub previous_missing: u64,
    pub signatures_valid: u64,
    pub signatures_failed: u64,
    pub signatures_unavailable: u64,
    pub signatures_unchecked: u64,
    pub failures: Vec<DigestFailure>,
}

/// What the archive's digests say, per `(account, region)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DigestSummary {
    pub trails: BTreeMap<(String, String), TrailDigests>,
}

impl DigestSummary {
    /// Some log contradicts its digest, the chain is broken, or a signature fails.
    pub fn failed(&self) -> bool {
        self.trails.values().any(|t| !t.failures.is_empty())
    }

    pub fn failures(&self) -> impl Iterator<Item = &DigestFailure> {
        self.trails.values().flat_map(|t| t.failures.iter())
    }
}

/// What the archive's digests say of its CloudTrail log files, judged again from the keys of
/// `_ingest/cloudtrail/` and the digest records (signatures as checked at ingest).
///
/// Cost: two listings (`_ingest/digests/`, `_ingest/cloudtrail/`: one request per 1,000 keys) and
/// one read per digest kept (CloudTrail writes one per account, region and hour: 24 a day), eight
/// at a time, plus one small read per failing log file to name it. No ledger record is read.
pub async fn summary(location: &Location) -> Result<DigestSummary, ArchiveError> {
    summary_checking(location, None).await
}

/// [`summary`], checking every kept signature again with `keys` (for `verify`).
pub async fn summary_checking(location: &Location, keys: Option<&PublicKeys>) -> Result<DigestSummary, ArchiveError> {
    let records = read_all_digests(location).await?;
    let mut by_trail: BTreeMap<(String, String), Vec<&DigestRecord>> = BTreeMap::new();
    for d in &records {
        by_trail
            .entry((segment(&d.account), segment(&d.region)))
            .or_default()
            .push(d);
    }
    let mut logs: BTreeMap<(String, String), Vec<LogKey>> = BTreeMap::new();
    for meta in location.list(LOGS).await? {
        if let Some(log) = LogKey::parse(meta.location.as_ref()) {
            logs.entry((log.account.clone(), log.region.clone()))
                .or_default()
                .push(log);
        }
    }
    let mut summary = DigestSummary::default();
    let none = Vec::new();
    for trail in by_trail.keys().chain(logs.keys()) {
        if summary.trails.contains_key(trail) {
            continue;
        }
        let digests = by_trail.get(trail).unwrap_or(&none);
        let mut counts = TrailDigests::default();
        for d in digests {
            counts.digests += 1;
            match link(d, digests) {
                Link::Broken { expected, found } => {
                    counts.chain_breaks += 1;
                    counts.failures.push(DigestFailure {
                        kind: FailureKind::ChainBreak,
                        source: d.previous_object.clone().unwrap_or_default(),
                        digest: d.object.clone(),
                        expected,
                        found,
                    });
                }
                Link::PreviousMissing => counts.previous_missing += 1,
                Link::First | Link::Linked => {}
            }
            let check = match keys {
                Some(keys) => check_signature(d, Some(keys)),
                None => d.signature_check.clone(),
            };
            match check {
                SignatureCheck::Valid => counts.signatures_valid += 1,
                SignatureCheck::Failed { reason } => {
                    counts.signatures_failed += 1;
                    counts.failures.push(DigestFailure {
                        kind: FailureKind::Signature,
                        source: d.source.clone(),
                        digest: d.object.clone(),
                        expected: "a valid SHA256withRSA signature".into(),
                        found: reason,
                    });
                }
                SignatureCheck::Unavailable => counts.signatures_unavailable += 1,
                SignatureCheck::Unchecked => counts.signatures_unchecked += 1,
            }
        }
        let listing = Listing::new(digests);
        for log in logs.get(trail).map(Vec::as_slice).unwrap_or_default() {
            match listing.judge(log) {
                DigestState::Validated { .. } => counts.validated += 1,
                DigestState::Mismatch {
                    digest,
                    expected,
                    found,
                } => {
                    counts.mismatched += 1;
                    counts.failures.push(DigestFailure {
                        kind: FailureKind::Mismatch,
                        source: log_source(location, log).await,
                        digest,
                        expected,
                        found,
                    });
                }
                DigestState::NotListed => counts.not_listed += 1,
                DigestState::Uncovered => counts.uncovered += 1,
            }
        }
        summary.trails.insert(trail.clone(), counts);
    }
    Ok(summary)
}

/// The name a log file was ingested under (kept in its index object).
async fn log_source(location: &Location, log: &LogKey) -> String {
    match read_log_body(location, log).await {
        Ok(Some(body)) => body.source,
        _ => format!("the CloudTrail log file {}", log.key),
    }
}

#[derive(Serialize, Deserialize)]
struct LogBody {
    /// The name it was ingested under, and its ledger key.
    source: String,
    sha256: String,
}

async fn read_log_body(location: &Location, log: &LogKey) -> Result<Option<LogBody>, ArchiveError> {
    match location
        .store
        .get(&object_store::path::Path::from(log.key.as_str()))
        .await
    {
        Ok(got) => {
            let bytes = got
                .bytes()
                .await
                .map_err(|e| ArchiveError::store(&location.display, e))?;
            Ok(serde_json::from_slice(&bytes).ok())
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(ArchiveError::store(&location.display, e)),
    }
}

async fn read_all_digests(location: &Location) -> Result<Vec<DigestRecord>, ArchiveError> {
    let listed = location.list(DIGESTS).await?;
    read_digests(location, listed.into_iter().map(|m| m.location).collect()).await
}

async fn read_digests(
    location: &Location,
    paths: Vec<object_store::path::Path>,
) -> Result<Vec<DigestRecord>, ArchiveError> {
    let reads = futures::stream::iter(paths.into_iter().filter(|p| p.as_ref().ends_with(".json")))
        .map(|path| async move {
            let err = |e| ArchiveError::store(&location.display, e);
            let bytes = location
                .store
                .get(&path)
                .await
                .map_err(err)?
                .bytes()
                .await
                .map_err(err)?;
            serde_json::from_slice::<DigestRecord>(&bytes).map_err(|e| ArchiveError::Ledger {
                path: path.to_string(),
                message: e.to_string(),
            })
        })
        .buffer_unordered(8);
    let mut records: Vec<DigestRecord> = reads.collect::<Vec<_>>().await.into_iter().collect::<Result<_, _>>()?;
    records.sort_by(|a, b| a.end.cmp(&b.end).then(a.object.cmp(&b.object)));
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(end: &str, previous: Option<(&str, &str)>, logs: &[(&str, &str)]) -> DigestRecord {
        let end_time = digest::time(end).unwrap();
        let start = chrono::DateTime::from_timestamp_micros(end_time - HOUR).unwrap();
        DigestRecord {
            source: "d.json".into(),
            sha256: "s".into(),
            content_sha256: format!("content-of-{end}"),
            account: "111122223333".into(),
            region: "us-east-1".into(),
            start: start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            end: end.into(),
            bucket: "b".into(),
            object: format!("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/02/d_{end}.json.gz"),
            fingerprint: "f".into(),
            previous_object: previous.map(|(o, _)| o.to_string()),
            previous_hash: previous.map(|(_, h)| h.to_string()),
            previous_signature: previous.map(|_| "00".to_string()),
            signature: None,
            signature_algorithm: None,
            signature_check: SignatureCheck::Unavailable,
            logs: logs
                .iter()
                .map(|(stem, hash)| Listed {
                    stem: stem.to_string(),
                    hash: hash.to_string(),
                })
                .collect(),
        }
    }

    fn log(time_id: &str, content: &str) -> LogKey {
        LogKey::parse(&format!(
            "archive/{LOGS}/111122223333/us-east-1/2024-05-02/{time_id}.{content}.json"
        ))
        .unwrap()
    }

    #[test]
    fn a_log_key_gives_back_the_name_and_delivery_time_it_was_made_from() {
        let key = log("20240502T0915Z_k3Jx0aQ", "abc");
        assert_eq!(
            key.stem.as_deref(),
            Some("111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ")
        );
        assert_eq!(
            key.delivered,
            delivery_name(key.stem.as_deref().unwrap()).map(|d| d.delivered)
        );
        assert_eq!(key.content, "abc");
        let renamed = log("unnamed", "abc");
        assert_eq!((renamed.stem, renamed.delivered), (None, None));
    }

    #[test]
    fn a_log_is_judged_by_name_first_then_by_hash_then_by_the_hour_its_digests_cover() {
        let name = "111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ";
        let d = digest("2024-05-02T10:00:00Z", None, &[(name, "good")]);
        let digests = [&d];
        assert!(matches!(
            judge(&log("20240502T0915Z_k3Jx0aQ", "good"), &digests),
            DigestState::Validated { .. }
        ));
        assert_eq!(
            judge(&log("20240502T0915Z_k3Jx0aQ", "bad"), &digests),
            DigestState::Mismatch {
                digest: d.object.clone(),
                expected: "good".into(),
                found: "bad".into()
            }
        );
        // Renamed, its content still listed: validated; not listed, it cannot be placed in an hour.
        assert!(matches!(
            judge(&log("unnamed", "good"), &digests),
            DigestState::Validated { .. }
        ));
        assert_eq!(judge(&log("unnamed", "other"), &digests), DigestState::Uncovered);
        assert_eq!(
            judge(&log("20240502T0930Z_other", "x"), &digests),
            DigestState::NotListed
        );
        assert_eq!(
            judge(&log("20240502T1130Z_later", "x"), &digests),
            DigestState::Uncovered
        );
        assert_eq!(judge(&log("20240502T0930Z_other", "x"), &[]), DigestState::Uncovered);
    }

    #[test]
    fn a_digest_links_to_the_previous_one_kept_breaks_on_another_hash_and_misses_one_not_kept() {
        let first = digest("2024-05-02T10:00:00Z", None, &[]);
        let good = digest(
            "2024-05-02T11:00:00Z",
            Some((&first.object, &first.content_sha256)),
            &[],
        );
        let bad = digest("2024-05-02T11:00:00Z", Some((&first.object, "forged")), &[]);
        assert_eq!(link(&first, &[&first]), Link::First);
        assert_eq!(link(&good, &[&first, &good]), Link::Linked);
        assert_eq!(
            link(&bad, &[&first, &bad]),
            Link::Broken {
                expected: "forged".into(),
                found: first.content_sha256.clone()
            }
        );
        assert_eq!(link(&good, &[&good]), Link::PreviousMissing);
    }
}
