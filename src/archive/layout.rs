//! Where things live in an archive.
//!
//! ```text
//! events/date=2026-01-31/cloud=aws/tenant=123456789012/part-<ulid>.parquet
//! _ingest/<sha256 of the source file>.json      one record per ingested source (idempotency)
//! _ingest/changes/<ulid>.<kind>.<state>.json    file-set changes: what readers may see (see changes.rs)
//! _ingest/lock                                   one writer (ingest or compaction) at a time
//! _ingest/format.json                            the archive's format version (see format.rs)
//! _ingest/digests/<account>/<region>/<day>/…     what each CloudTrail digest said (see digests.rs)
//! _ingest/cloudtrail/<account>/<region>/<day>/…  one key per CloudTrail log file, for its digests
//! _index/date=2026-01-31/<change id>.parquet    the day's file index (see file_index/)
//! _sealed/key, _sealed/records/…                 verbatim records that held secrets (see seal.rs)
//! _sealed/quarantine/<date>/<source name> + .reason   inputs that could not be read, byte for byte
//! ```
//! Date first: an investigation is bounded in time, so a window becomes a few prefixes.

use chrono::{DateTime, Utc};

use crate::sources::{Cloud, Event};

pub const EVENTS: &str = "events";
pub const INGEST: &str = "_ingest";
pub const CHANGES: &str = "_ingest/changes";
/// The quarantine holds inputs byte for byte, secrets and all: it is sealed.
pub const QUARANTINE: &str = "_sealed/quarantine";
/// Where archives of format 1 kept it (moved by the migration to format 2).
pub const OLD_QUARANTINE: &str = "_quarantine";
pub const INDEX: &str = "_index";

/// The partition an event is stored in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionKey {
    /// The UTC day of the event's own time (never of its delivery).
    pub date: String,
    pub cloud: Cloud,
    pub tenant: String,
}

impl PartitionKey {
    pub fn of(event: &Event) -> Self {
        PartitionKey {
            date: utc_day(event.event_time),
            cloud: event.cloud,
            tenant: path_safe(&event.tenant),
        }
    }

    /// The partition's folder, relative to the archive root.
    pub fn dir(&self) -> String {
        format!(
            "{EVENTS}/date={}/cloud={}/tenant={}",
            self.date, self.cloud, self.tenant
        )
    }
}

/// A new part file's name: ULIDs sort by creation time, so a partition lists oldest first.
pub fn part_name() -> String {
    format!("part-{}.parquet", ulid::Ulid::new())
}

/// `YYYY-MM-DD` of a UTC time in microseconds.
pub fn utc_day(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "invalid".into())
}

/// A tenant id as a path segment. Account, project and subscription ids never need changing;
/// anything outside `[A-Za-z0-9._:@-]` would be mangled by object-store paths, so it becomes `_`.
pub fn path_safe(tenant: &str) -> String {
    let cleaned: String = tenant
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._:@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        "unknown".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_is_named_by_the_events_own_utc_day() {
        let t = chrono::DateTime::parse_from_rfc3339("2024-05-02T23:59:59.999999-01:00")
            .unwrap()
            .timestamp_micros();
        assert_eq!(utc_day(t), "2024-05-03");
        assert_eq!(path_safe("123456789012"), "123456789012");
        assert_eq!(path_safe("google.com:my-proj"), "google.com:my-proj");
        assert_eq!(path_safe("a/b c"), "a_b_c");
        assert_eq!(path_safe(".."), "unknown");
    }
}
