//! The ingest side of digests: a log file judged on arrival, a digest kept, linked and checked,
//! and the log files it concerns judged again.

use std::collections::{BTreeMap, HashMap};

use object_store::{ObjectStoreExt, PutPayload};

use super::super::layout::utc_day;
use super::super::ledger::{Ledger, SourceRecord};
use super::super::{ArchiveError, Location};
use super::{
    CloudTrailLog, DIGESTS, DigestFailure, DigestRecord, DigestState, FailureKind, HOUR, LOGS, Link, Listed, LogBody,
    LogKey, SignatureCheck, check_signature, judge, link, read_digests, read_log_body, segment,
};
use crate::sources::aws::digest::{Digest, PublicKeys, delivery_name, stem};

/// What this run's digests found, for the ingest summary.
#[derive(Clone, Debug, Default)]
pub struct DigestReport {
    pub digests_read: usize,
    /// Digest files that could not be read as digests, with why.
    pub digests_unreadable: Vec<(String, String)>,
    pub validated: usize,
    pub not_listed: usize,
    pub uncovered: usize,
    pub previous_missing: usize,
    pub signatures_valid: usize,
    pub signatures_unavailable: usize,
    pub signatures_unchecked: usize,
    /// Sources that contradict a digest, broken links, failed signatures.
    pub failures: Vec<DigestFailure>,
}

impl DigestReport {
    pub fn failed(&self) -> bool {
        !self.failures.is_empty()
    }
}

/// Digests by `(account, region, day of their end)`.
type DigestCache = HashMap<(String, String, String), Vec<DigestRecord>>;

/// One ingest run's view of the digests: what it loaded, what it judged.
pub(crate) struct Validation<'a> {
    location: &'a Location,
    keys: Option<PublicKeys>,
    digests: DigestCache,
    logs: HashMap<(String, String, String), Vec<LogKey>>,
    /// The latest state of each log file this run judged, by ledger key, with its name.
    judged: BTreeMap<String, (String, DigestState)>,
    /// This run's digests whose previous digest is not in the archive (yet).
    previous_missing: std::collections::BTreeSet<String>,
    pub report: DigestReport,
}

/// A CloudTrail log file on arrival.
pub(crate) struct Arrival<'a> {
    pub name: &'a str,
    pub sha256: &'a str,
    pub content_sha256: &'a str,
    pub account: String,
    pub region: String,
    /// The newest event's time: a renamed file's day.
    pub newest_event: i64,
}

impl<'a> Validation<'a> {
    pub fn new(location: &'a Location, keys: Option<PublicKeys>) -> Self {
        Validation {
            location,
            keys,
            digests: HashMap::new(),
            logs: HashMap::new(),
            judged: BTreeMap::new(),
            previous_missing: Default::default(),
            report: DigestReport::default(),
        }
    }

    fn err(&self) -> impl Fn(object_store::Error) -> ArchiveError + '_ {
        |e| ArchiveError::store(&self.location.display, e)
    }

    async fn load_digests(&mut self, account: &str, region: &str, day: &str) -> Result<(), ArchiveError> {
        let at = (account.to_string(), region.to_string(), day.to_string());
        if self.digests.contains_key(&at) {
            return Ok(());
        }
        let listed = self
            .location
            .list(&format!("{DIGESTS}/{account}/{region}/{day}"))
            .await?;
        let records = read_digests(self.location, listed.into_iter().map(|m| m.location).collect()).await?;
        self.digests.insert(at, records);
        Ok(())
    }

    async fn load_logs(&mut self, account: &str, region: &str, day: &str) -> Result<(), ArchiveError> {
        let at = (account.to_string(), region.to_string(), day.to_string());
        if self.logs.contains_key(&at) {
            return Ok(());
        }
        let listed = self.location.list(&format!("{LOGS}/{account}/{region}/{day}")).await?;
        let logs = listed
            .iter()
            .filter_map(|m| LogKey::parse(m.location.as_ref()))
            .collect();
        self.logs.insert(at, logs);
        Ok(())
    }

    /// Loads the digests of an account and region kept for these days (once per run).
    async fn load_days(&mut self, account: &str, region: &str, days: &[String]) -> Result<(), ArchiveError> {
        for day in days {
            self.load_digests(account, region, day).await?;
        }
        Ok(())
    }

    /// Judges a CloudTrail log file on arrival and indexes it, so that a digest arriving later
    /// finds it. Returns what goes into its ledger record.
    pub async fn log_arrived(&mut self, log: Arrival<'_>) -> Result<CloudTrailLog, ArchiveError> {
        let named = delivery_name(log.name);
        let (account, region) = match &named {
            Some(n) => (segment(&n.account), segment(&n.region)),
            None => (segment(&log.account), segment(&log.region)),
        };
        let delivered = named.as_ref().map(|n| n.delivered);
        let day = utc_day(delivered.unwrap_or(log.newest_event));
        let name_part = match &named {
            Some(_) => segment(stem(log.name).splitn(4, '_').nth(3).unwrap_or_default()),
            None => "unnamed".into(),
        };
        let path = self.location.path(&format!(
            "{LOGS}/{account}/{region}/{day}/{name_part}.{}.json",
            log.content_sha256
        ));
        // As a listing gives it (the store's full path), so that it compares with those listed.
        let key = LogKey::parse(path.as_ref()).expect("a key made here parses");
        self.load_days(&account, &region, &key.days()).await?;
        let state = judge(&key, &cached(&self.digests, &account, &region, &key.days()));
        let body = serde_json::to_vec(&LogBody {
            source: log.name.to_string(),
            sha256: log.sha256.to_string(),
        })
        .expect("a name serialises");
        self.location
            .store
            .put(&path, PutPayload::from(body))
            .await
            .map_err(self.err())?;
        self.load_logs(&account, &region, &day).await?;
        let cached = self
            .logs
            .get_mut(&(account.clone(), region.clone(), day))
            .expect("just loaded");
        if !cached.contains(&key) {
            cached.push(key);
        }
        self.judged
            .insert(log.sha256.to_string(), (log.name.to_string(), state.clone()));
        Ok(CloudTrailLog {
            account,
            region,
            delivered: delivered.map(|t| {
                chrono::DateTime::from_timestamp_micros(t)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default()
            }),
            state,
        })
    }

    /// Keeps a digest, checks its link and signature, and judges again the log files it
    /// concerns: those of this run's batch in `batch`, the others in their ledger records.
    /// Returns the key of the digest's record.
    #[allow(clippy::too_many_arguments)]
    pub async fn digest_arrived(
        &mut self,
        name: &str,
        sha256: &str,
        content_sha256: &str,
        digest: Digest,
        signature: Option<(String, Option<String>)>,
        ledger: &Ledger<'_>,
        batch: &mut [SourceRecord],
    ) -> Result<String, ArchiveError> {
        self.report.digests_read += 1;
        let mut record = DigestRecord {
            source: name.to_string(),
            sha256: sha256.to_string(),
            content_sha256: content_sha256.to_string(),
            account: digest.account.clone(),
            region: digest.region.clone(),
            start: digest.start.clone(),
            end: digest.end.clone(),
            bucket: digest.bucket.clone(),
            object: digest.object.clone(),
            fingerprint: digest.fingerprint.clone(),
            previous_object: digest.previous_object.clone(),
            previous_hash: digest.previous_hash.clone(),
            previous_signature: digest.previous_signature.clone(),
            signature: signature.as_ref().map(|(s, _)| s.clone()),
            signature_algorithm: signature.and_then(|(_, a)| a),
            signature_check: SignatureCheck::Unavailable,
            logs: digest
                .logs
                .iter()
                .map(|l| Listed {
                    stem: stem(&l.object).to_string(),
                    hash: l.hash.clone(),
                })
                .collect(),
        };
        record.signature_check = check_signature(&record, self.keys.as_ref());
        match &record.signature_check {
            SignatureCheck::Valid => self.report.signatures_valid += 1,
            SignatureCheck::Failed { reason } => self.report.failures.push(DigestFailure {
                kind: FailureKind::Signature,
                source: name.to_string(),
                digest: record.object.clone(),
                expected: "a valid SHA256withRSA signature".into(),
                found: reason.clone(),
            }),
            SignatureCheck::Unavailable => self.report.signatures_unavailable += 1,
            SignatureCheck::Unchecked => self.report.signatures_unchecked += 1,
        }
        let key = record.key();
        let bytes = serde_json::to_vec_pretty(&record).expect("a digest record serialises");
        self.location
            .store
            .put(&self.location.path(&key), PutPayload::from(bytes))
            .await
            .map_err(self.err())?;

        let (account, region) = (segment(&record.account), segment(&record.region));
        let (start, end) = record.window().unwrap_or((0, 0));
        let end_day = utc_day(end);
        self.load_digests(&account, &region, &end_day).await?;
        let kept = self
            .digests
            .get_mut(&(account.clone(), region.clone(), end_day))
            .expect("just loaded");
        kept.retain(|d| d.key() != key);
        kept.push(record.clone());

        // Its link to the previous digest, and the next digest's link to it.
        let around = {
            let mut days = vec![
                utc_day(start - HOUR),
                utc_day(start),
                utc_day(end),
                utc_day(end + 2 * HOUR),
            ];
            days.dedup();
            days
        };
        self.load_days(&account, &region, &around).await?;
        let neighbours = cached(&self.digests, &account, &region, &around);
        let own_stem = stem(&record.object);
        for d in neighbours
            .iter()
            .filter(|d| d.key() == key || d.previous_object.as_deref().is_some_and(|p| stem(p) == own_stem))
        {
            match link(d, &neighbours) {
                Link::Broken { expected, found } => self.report.failures.push(DigestFailure {
                    kind: FailureKind::ChainBreak,
                    source: d.previous_object.clone().unwrap_or_default(),
                    digest: d.object.clone(),
                    expected,
                    found,
                }),
                Link::PreviousMissing if d.key() == key => {
                    self.previous_missing.insert(key.clone());
                }
                // A digest of this run whose previous digest has now arrived.
                Link::First | Link::Linked => {
                    self.previous_missing.remove(&d.key());
                }
                Link::PreviousMissing => {}
            }
        }

        // The log files it concerns: those of its hour, and those it names.
        let mut days: Vec<String> = vec![utc_day(start), utc_day(end)];
        // Only names near its hour: a digest listing files of ten thousand days (a forged one)
        // must not make ten thousand listings.
        days.extend(
            record
                .logs
                .iter()
                .filter_map(|l| delivery_name(&l.stem))
                .filter(|n| start - 24 * HOUR <= n.delivered && n.delivered <= end + 24 * HOUR)
                .map(|n| utc_day(n.delivered)),
        );
        days.sort();
        days.dedup();
        let listed_hashes: std::collections::HashSet<&str> = record.logs.iter().map(|l| l.hash.as_str()).collect();
        let listed_stems: std::collections::HashSet<&str> = record.logs.iter().map(|l| l.stem.as_str()).collect();
        let mut concerned = Vec::new();
        for day in &days {
            self.load_logs(&account, &region, day).await?;
            for log in &self.logs[&(account.clone(), region.clone(), day.clone())] {
                let in_hour = log.delivered.is_some_and(|t| start <= t && t <= end);
                let named = log.stem.as_deref().is_some_and(|s| listed_stems.contains(s));
                if in_hour || named || listed_hashes.contains(log.content.as_str()) {
                    concerned.push(log.clone());
                }
            }
        }
        for log in concerned {
            self.load_days(&account, &region, &log.days()).await?;
            let state = judge(&log, &cached(&self.digests, &account, &region, &log.days()));
            let Some(body) = read_log_body(self.location, &log).await? else {
                continue;
            };
            if let Some(source) = batch.iter_mut().find(|s| s.sha256 == body.sha256) {
                if let Some(ct) = source.cloudtrail.as_mut() {
                    ct.state = state.clone();
                }
                self.judged.insert(body.sha256, (source.source.clone(), state));
            } else if let Some(mut source) = ledger.get(&body.sha256).await? {
                let changed = source.cloudtrail.as_ref().is_some_and(|ct| ct.state != state);
                if let Some(ct) = source.cloudtrail.as_mut().filter(|_| changed) {
                    ct.state = state.clone();
                    ledger.record(&source).await?;
                }
                self.judged.insert(body.sha256, (source.source.clone(), state));
            }
        }
        Ok(key)
    }

    /// Counts the states of the log files this run judged, and names those that contradict.
    pub fn finish(mut self) -> DigestReport {
        self.report.previous_missing = self.previous_missing.len();
        for (name, state) in self.judged.into_values() {
            match state {
                DigestState::Validated { .. } => self.report.validated += 1,
                DigestState::Mismatch {
                    digest,
                    expected,
                    found,
                } => self.report.failures.push(DigestFailure {
                    kind: FailureKind::Mismatch,
                    source: name,
                    digest,
                    expected,
                    found,
                }),
                DigestState::NotListed => self.report.not_listed += 1,
                DigestState::Uncovered => self.report.uncovered += 1,
            }
        }
        self.report
    }
}

/// The digests of an account and region for these days, once loaded (a function of the cache
/// alone, so that the run's other fields stay free to change meanwhile).
fn cached<'m>(digests: &'m DigestCache, account: &str, region: &str, days: &[String]) -> Vec<&'m DigestRecord> {
    days.iter()
        .filter_map(|day| digests.get(&(account.to_string(), region.to_string(), day.clone())))
        .flatten()
        .collect()
}
