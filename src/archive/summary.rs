//! What an ingest did, for the user and for tests.

use std::collections::BTreeMap;

use super::digests::DigestReport;
use super::ledger::Recovery;

#[derive(Clone, Debug, Default)]
pub struct IngestSummary {
    /// Source files whose records were read (some may have been rejected).
    pub files_read: usize,
    /// Files not read at all, with why (a CloudTrail digest, a README in a log folder).
    pub files_skipped: Vec<(String, String)>,
    /// Objects found by listing object-store sources, and their bytes.
    pub objects_listed: usize,
    pub bytes_listed: u64,
    /// Objects passed over without a read: the archive read them as they are (same location,
    /// size, ETag and version).
    pub objects_unchanged: usize,
    pub bytes_unchanged: u64,
    /// The earliest day date layouts were listed from, in how many date folders, and why.
    pub listed_from: Option<(String, usize, String)>,
    /// Append blobs (Azure `PT1H.json`) that grew, read from where the last run stopped.
    pub blobs_continued: usize,
    /// Append blobs whose part read before had changed: read whole, as new sources.
    pub blobs_rewritten: Vec<String>,
    /// Files whose content the archive already holds.
    pub files_already_ingested: Vec<String>,
    /// Files a forced `--cloud` read as nothing of that cloud's (left unrecorded, so that they can
    /// be read again without it).
    pub files_not_of_forced_cloud: Vec<String>,
    /// Files copied to `_sealed/quarantine/` because they could not be read, with why.
    pub files_quarantined: Vec<(String, String)>,
    /// Events written, per `(cloud, tenant)`.
    pub events_written: BTreeMap<(String, String), u64>,
    /// Records that are not audit events, per reason.
    pub records_skipped: BTreeMap<String, u64>,
    /// Records kept in quarantine, per reason (values in reasons are kept: they help find the record).
    pub records_rejected: BTreeMap<String, u64>,
    /// Events seen twice in this run (same cloud, tenant, id and time), written once.
    pub duplicates_dropped: u64,
    /// Parquet files written.
    pub parts_written: usize,
    /// Events whose secrets were replaced by markers, their verbatim text sealed.
    pub records_sealed: u64,
    /// Why the days' file-index objects could not be merged into one (the next ingest or
    /// `compact` does it; queries read them as they are).
    pub index_not_merged: Option<String>,
    /// Sources read whose collection marker could not be written, and why: the next run reads
    /// them again (and finds their content in the ledger).
    pub markers_not_written: Vec<(String, String)>,
    /// Half-written batches of an earlier, interrupted run that were undone first.
    pub recovered: Recovery,
    /// What CloudTrail digests said of this run's files, and of the files its digests concern.
    pub digests: DigestReport,
}

impl IngestSummary {
    pub fn events_total(&self) -> u64 {
        self.events_written.values().sum()
    }

    pub fn rejected_total(&self) -> u64 {
        self.records_rejected.values().sum()
    }

    /// True when some input could not be taken in (or, under a forced `--cloud`, was read as
    /// nothing): the command exits with code 3.
    /// True when a source contradicts its CloudTrail digest, a digest its predecessor, or a
    /// signature fails: the command exits with code 4 (which wins over 3).
    pub fn has_integrity_failure(&self) -> bool {
        self.digests.failed()
    }

    pub fn has_rejections(&self) -> bool {
        !self.files_quarantined.is_empty() || self.rejected_total() > 0 || !self.files_not_of_forced_cloud.is_empty()
    }
}
