//! Collection coverage: per cloud and tenant, which days delivered events, the gaps between them,
//! how late events reached the archive, and the findings an auditor acts on — a gap, a tenant
//! that stopped delivering, a tenant that is expected but never delivered.
//!
//! Event counts come from one query through the [`Session`] (journaled like any other); delays
//! come from the ingest ledger (`_ingest/<sha256>.json`), whose records name each source's
//! event-time bounds and tenants. The tenants expected are the archive owners'
//! (`_policy/coverage.json`, so every auditor gets the same list) and the user's config.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampMicrosecondType};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;
use serde::Serialize;

mod policy;

pub use policy::{DEFAULT_STALE_AFTER, POLICY, Policy, read_policy, write_policy};

use super::views::{Counted, FactsView, Query, Scope, timestamp};
use super::window::{DAY, TimeWindow, format_time, parse_duration};
use super::{EngineError, Session};
use crate::archive::layout::{INGEST, path_safe};
use crate::archive::ledger::SourceRecord;
use crate::archive::{ArchiveError, Location};

/// A tenant of a cloud, as the archive's folders name it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TenantId {
    pub cloud: String,
    pub tenant: String,
}

impl TenantId {
    /// `aws/123456789012`: the cloud, a slash, the tenant (made path-safe as ingest names its
    /// folder, so that it compares with what the archive holds).
    pub fn parse(text: &str) -> Result<TenantId, String> {
        let text = text.trim();
        let (cloud, tenant) = text
            .split_once('/')
            .ok_or_else(|| format!("'{text}' should read CLOUD/TENANT, e.g. aws/123456789012"))?;
        let cloud = cloud.trim().to_ascii_lowercase();
        if !["aws", "gcp", "azure"].contains(&cloud.as_str()) {
            return Err(format!("'{text}': the cloud must be aws, gcp or azure"));
        }
        let tenant = tenant.trim();
        if tenant.is_empty() {
            return Err(format!("'{text}' names no tenant after the cloud"));
        }
        Ok(TenantId {
            cloud,
            tenant: path_safe(tenant),
        })
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.cloud, self.tenant)
    }
}

/// What a coverage run is asked.
#[derive(Clone, Debug)]
pub struct CoverageOptions {
    /// Days to cover, included; the whole archive when absent.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// How long a tenant may be silent before the window's newest event (microseconds).
    pub stale_after: i64,
    /// The tenants that must deliver, each with who expects it (`policy`, `config`, a file).
    pub expected: BTreeMap<TenantId, BTreeSet<String>>,
}

/// The span a text such as `3d` means, for the config's and the policy's `stale_after`.
pub fn parse_stale_after(text: &str) -> Result<i64, EngineError> {
    parse_duration(text.trim())
        .filter(|d| *d > 0)
        .ok_or_else(|| EngineError::Usage(format!("stale_after '{text}' is not a span like 3d or 36h")))
}

/// Days without events between two days with events, both ends included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
}

/// One tenant's collection.
#[derive(Clone, Debug, Serialize)]
pub struct TenantCoverage {
    pub cloud: String,
    pub tenant: String,
    /// RFC 3339, UTC.
    pub first_event: String,
    pub last_event: String,
    pub events: u64,
    /// Days with at least one event, and the days from the first to the last of them.
    pub days_with_events: u64,
    pub span_days: u64,
    /// Events per day, over the days with events.
    pub per_day_min: u64,
    pub per_day_mean: f64,
    pub per_day_max: u64,
    pub gaps: Vec<Gap>,
    /// Who expects this tenant (empty: nobody said).
    pub expected_by: Vec<String>,
    pub delivery: Option<Delivery>,
    #[serde(skip)]
    last_micros: i64,
}

/// How late a tenant's events reached the archive: for each source file of the tenant, the time
/// from its newest event to its ingest (`ingested_at` in the ledger).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Delivery {
    /// Source files measured.
    pub sources: u64,
    /// Seconds.
    pub median_delay: i64,
    pub max_delay: i64,
    /// RFC 3339.
    pub last_ingest: String,
    /// For CloudTrail delivery files: what their digests say (none for other clouds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digests: Option<DigestCounts>,
}

/// A tenant's CloudTrail delivery files by what AWS's digests say of them (see `archive::digests`).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct DigestCounts {
    /// Listed by a digest with the hash of their content.
    pub validated: u64,
    /// Listed with another hash: changed after delivery (an integrity failure; `verify` names it).
    pub contradicted: u64,
    /// Their hour's digest is in the archive and does not list them.
    pub not_listed: u64,
    /// No digest of their account, region and hour in the archive.
    pub no_digest: u64,
    /// Ingested before trailscope recorded the hash a digest lists: cannot be checked.
    pub not_validated: u64,
}

/// Something an auditor must act on.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// Days without events between days with events.
    Gap {
        cloud: String,
        tenant: String,
        from: NaiveDate,
        to: NaiveDate,
        days: i64,
    },
    /// The tenant's last event is well before the newest event of the window.
    Stopped {
        cloud: String,
        tenant: String,
        last_event: String,
        /// Whole hours between its last event and the window's newest.
        silent_hours: i64,
    },
    /// Expected, but no event in the archive (or in the window asked).
    NeverDelivered {
        cloud: String,
        tenant: String,
        expected_by: Vec<String>,
    },
}

/// The answer.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    pub archive: String,
    /// The days covered (the days asked, else the archive's first and last day with events).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The newest event in the window: tenants are measured against it.
    pub newest_event: Option<String>,
    /// How long a tenant may be silent before it counts as stopped.
    pub stale_after: String,
    pub tenants: Vec<TenantCoverage>,
    pub findings: Vec<Finding>,
    /// The newest `ingested_at` of any source, and the ledger records read.
    pub last_ingest: Option<String>,
    pub sources: u64,
    /// Ledger records without event times (written by an older trailscope): not in the delays.
    /// CloudTrail digest files, which hold no events, are not among them.
    pub sources_unmeasured: u64,
}

/// The per-day counts, as the engine runs them: one row per cloud, tenant and day.
pub fn daily_query(from: Option<NaiveDate>, to: Option<NaiveDate>, archive_end: Option<i64>) -> Query {
    let start = from.map_or(crate::archive::ingest::EARLIEST_EVENT, day_start);
    // The archive's end leaves out events dated in the future (a broken clock), as views do.
    let end = to.map_or_else(|| archive_end.map_or(i64::MAX / 2, |t| t + 1), |d| day_start(d) + DAY);
    Query {
        title: "Coverage: events per cloud, tenant and day".into(),
        sql: "SELECT cloud, tenant, date,\n       count(DISTINCT event_id) AS events,\n       \
              min(event_time) AS first_event, max(event_time) AS last_event\n\
              FROM events\nWHERE event_time >= $from AND event_time < $to\n\
              GROUP BY cloud, tenant, date\nORDER BY cloud, tenant, date"
            .into(),
        params: vec![("from".into(), timestamp(start)), ("to".into(), timestamp(end))],
        // Whole days from the file index's facts, as the views take them.
        facts: Some(FactsView::new(
            Counted::Coverage,
            Scope::new(TimeWindow {
                from: start,
                to: end,
                chosen: String::new(),
            }),
        )),
    }
}

fn day_start(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_micros()
}

/// One row of the daily query.
struct Day {
    id: TenantId,
    day: NaiveDate,
    events: u64,
    first: i64,
    last: i64,
}

/// Measures the archive's coverage.
pub async fn measure(session: &Session, options: &CoverageOptions) -> Result<Coverage, EngineError> {
    let archive_end = session.archive_end().await?;
    let query = daily_query(options.from, options.to, archive_end);
    let batches: Vec<RecordBatch> = session
        .run(&query)
        .await?
        .try_collect()
        .await
        .map_err(EngineError::from_datafusion)?;
    let mut days = Vec::new();
    for batch in &batches {
        days.extend(rows(batch)?);
    }
    let ledger = read_ledger(session.location()).await?;
    Ok(assess(session.location().display.clone(), days, &ledger, options))
}

/// The daily query's rows, whatever string and timestamp types DataFusion chose.
fn rows(batch: &RecordBatch) -> Result<Vec<Day>, EngineError> {
    let text = |i: usize| -> Result<Vec<String>, EngineError> {
        let c = datafusion::arrow::compute::cast(batch.column(i), &DataType::Utf8).map_err(arrow_err)?;
        let c = c.as_string::<i32>();
        Ok((0..c.len()).map(|r| c.value(r).to_string()).collect())
    };
    let micros = |i: usize| -> Result<Vec<i64>, EngineError> {
        let c = datafusion::arrow::compute::cast(batch.column(i), &DataType::Timestamp(TimeUnit::Microsecond, None))
            .map_err(arrow_err)?;
        let c = c.as_primitive::<TimestampMicrosecondType>();
        Ok((0..c.len()).map(|r| c.value(r)).collect())
    };
    let (clouds, tenants, dates) = (text(0)?, text(1)?, text(2)?);
    let counts = datafusion::arrow::compute::cast(batch.column(3), &DataType::Int64).map_err(arrow_err)?;
    let counts = counts.as_primitive::<Int64Type>();
    let (firsts, lasts) = (micros(4)?, micros(5)?);
    let mut out = Vec::with_capacity(batch.num_rows());
    for r in 0..batch.num_rows() {
        let Ok(day) = NaiveDate::parse_from_str(&dates[r], "%Y-%m-%d") else {
            continue;
        };
        out.push(Day {
            id: TenantId {
                cloud: clouds[r].clone(),
                tenant: tenants[r].clone(),
            },
            day,
            events: counts.value(r).max(0) as u64,
            first: firsts[r],
            last: lasts[r],
        });
    }
    Ok(out)
}

fn arrow_err(e: datafusion::arrow::error::ArrowError) -> EngineError {
    EngineError::Execution(e.to_string())
}

/// Every ingest ledger record (`_ingest/<sha256>.json`), read a few at a time. A record that
/// cannot be read is passed over: coverage is about events, and the ledger only adds delays.
pub async fn read_ledger(location: &Location) -> Result<Vec<SourceRecord>, ArchiveError> {
    // Only the records: `_ingest/seen/` beside them holds a marker per source object read.
    let listed = location.list_here(INGEST).await?;
    let prefix = location.path(INGEST).to_string();
    let records: Vec<_> = listed
        .into_iter()
        .filter(|m| {
            let key = m.location.as_ref();
            let name = key.strip_prefix(&prefix).unwrap_or(key).trim_start_matches('/');
            name.len() == 64 + 5 && name.ends_with(".json") && name[..64].bytes().all(|b| b.is_ascii_hexdigit())
        })
        .collect();
    let read: Vec<Option<SourceRecord>> = futures::stream::iter(records)
        .map(|meta| async move {
            let got = location.store.get(&meta.location).await.ok()?;
            let bytes = got.bytes().await.ok()?;
            serde_json::from_slice(&bytes).ok()
        })
        .buffer_unordered(16)
        .collect()
        .await;
    Ok(read.into_iter().flatten().collect())
}

/// The coverage of the daily counts and ledger records: pure, so it is tested without an archive.
fn assess(archive: String, days: Vec<Day>, ledger: &[SourceRecord], options: &CoverageOptions) -> Coverage {
    let mut by_tenant: BTreeMap<TenantId, Vec<Day>> = BTreeMap::new();
    for d in days {
        by_tenant.entry(d.id.clone()).or_default().push(d);
    }
    let newest = by_tenant.values().flatten().map(|d| d.last).max();
    let window = (options.from.map(day_start), options.to.map(|d| day_start(d) + DAY));
    let delivery = deliveries(ledger, window);
    let mut tenants = Vec::new();
    let mut findings = Vec::new();
    for (id, mut list) in by_tenant {
        list.sort_by_key(|d| d.day);
        let first = list.iter().map(|d| d.first).min().unwrap_or_default();
        let last = list.iter().map(|d| d.last).max().unwrap_or_default();
        let events: u64 = list.iter().map(|d| d.events).sum();
        let (first_day, last_day) = (list[0].day, list[list.len() - 1].day);
        let mut gaps = Vec::new();
        for pair in list.windows(2) {
            let missing = (pair[1].day - pair[0].day).num_days() - 1;
            if missing > 0 {
                gaps.push(Gap {
                    from: pair[0].day + chrono::Days::new(1),
                    to: pair[1].day - chrono::Days::new(1),
                    days: missing,
                });
            }
        }
        for g in &gaps {
            findings.push(Finding::Gap {
                cloud: id.cloud.clone(),
                tenant: id.tenant.clone(),
                from: g.from,
                to: g.to,
                days: g.days,
            });
        }
        if let Some(newest) = newest
            && newest - last > options.stale_after
        {
            findings.push(Finding::Stopped {
                cloud: id.cloud.clone(),
                tenant: id.tenant.clone(),
                last_event: format_time(last),
                silent_hours: (newest - last) / 3_600_000_000,
            });
        }
        tenants.push(TenantCoverage {
            cloud: id.cloud.clone(),
            tenant: id.tenant.clone(),
            first_event: format_time(first),
            last_event: format_time(last),
            events,
            days_with_events: list.len() as u64,
            span_days: (last_day - first_day).num_days() as u64 + 1,
            per_day_min: list.iter().map(|d| d.events).min().unwrap_or_default(),
            per_day_mean: events as f64 / list.len() as f64,
            per_day_max: list.iter().map(|d| d.events).max().unwrap_or_default(),
            gaps,
            expected_by: options
                .expected
                .get(&id)
                .map(|by| by.iter().cloned().collect())
                .unwrap_or_default(),
            delivery: delivery.get(&id.to_string()).cloned(),
            last_micros: last,
        });
    }
    for (id, by) in &options.expected {
        if !tenants.iter().any(|t| t.cloud == id.cloud && t.tenant == id.tenant) {
            findings.push(Finding::NeverDelivered {
                cloud: id.cloud.clone(),
                tenant: id.tenant.clone(),
                expected_by: by.iter().cloned().collect(),
            });
        }
    }
    let first_day = tenants.iter().filter_map(|t| day_of(&t.first_event)).min();
    let last_day = tenants.iter().map(|t| t.last_micros).max().map(|t| {
        chrono::DateTime::from_timestamp_micros(t)
            .expect("an event's time")
            .date_naive()
    });
    // Sources that gave events but have no event times: written by an older trailscope (a digest
    // or a file of skipped records has none to measure).
    let unmeasured = ledger.iter().filter(|r| r.last_event.is_none() && r.events > 0).count() as u64;
    Coverage {
        archive,
        from: options.from.or(first_day),
        to: options.to.or(last_day),
        newest_event: newest.map(format_time),
        stale_after: super::window::format_span(options.stale_after),
        tenants,
        findings,
        last_ingest: ledger
            .iter()
            .filter_map(|r| parse_time(&r.ingested_at))
            .max()
            .map(format_time),
        sources: ledger.len() as u64,
        sources_unmeasured: unmeasured,
    }
}

fn day_of(time: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(time.get(..10)?, "%Y-%m-%d").ok()
}

fn parse_time(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// Per `cloud/tenant`, the delays of the sources whose newest event falls in the window.
fn deliveries(ledger: &[SourceRecord], window: (Option<i64>, Option<i64>)) -> BTreeMap<String, Delivery> {
    let mut delays: BTreeMap<&str, (Vec<i64>, i64)> = BTreeMap::new();
    let mut digests: BTreeMap<&str, DigestCounts> = BTreeMap::new();
    for record in ledger {
        let (Some(last), Some(ingested)) = (
            record.last_event.as_deref().and_then(parse_time),
            parse_time(&record.ingested_at),
        ) else {
            continue;
        };
        if window.0.is_some_and(|from| last < from) || window.1.is_some_and(|to| last >= to) {
            continue;
        }
        for tenant in &record.tenants {
            if tenant.starts_with("aws/") {
                use crate::archive::digests::DigestState;
                let counts = digests.entry(tenant.as_str()).or_default();
                match (&record.cloudtrail, &record.content_sha256) {
                    (Some(log), _) => match log.state {
                        DigestState::Validated { .. } => counts.validated += 1,
                        DigestState::Mismatch { .. } => counts.contradicted += 1,
                        DigestState::NotListed => counts.not_listed += 1,
                        DigestState::Uncovered => counts.no_digest += 1,
                    },
                    (None, None) => counts.not_validated += 1,
                    // Read since digests are, but not a CloudTrail delivery file (an export).
                    (None, Some(_)) => {}
                }
            }
            let entry = delays.entry(tenant.as_str()).or_insert((Vec::new(), i64::MIN));
            // A clock ahead of the ingest host's makes a negative delay: it counts as none.
            entry.0.push((ingested - last).max(0) / 1_000_000);
            entry.1 = entry.1.max(ingested);
        }
    }
    delays
        .into_iter()
        .map(|(tenant, (mut d, last_ingest))| {
            d.sort_unstable();
            let delivery = Delivery {
                sources: d.len() as u64,
                median_delay: d[d.len() / 2],
                max_delay: d[d.len() - 1],
                last_ingest: format_time(last_ingest),
                digests: digests.get(tenant).filter(|c| **c != DigestCounts::default()).cloned(),
            };
            (tenant.to_string(), delivery)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(id: &str, date: &str, events: u64) -> Day {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        Day {
            id: TenantId::parse(id).unwrap(),
            day: d,
            events,
            first: day_start(d) + 3_600_000_000,
            last: day_start(d) + 20 * 3_600_000_000,
        }
    }

    fn options(expected: &[&str]) -> CoverageOptions {
        CoverageOptions {
            from: None,
            to: None,
            stale_after: 3 * DAY,
            expected: expected
                .iter()
                .map(|e| (TenantId::parse(e).unwrap(), BTreeSet::from(["config".to_string()])))
                .collect(),
        }
    }

    #[test]
    fn a_gap_a_silent_tenant_and_an_absent_one_are_each_found_once() {
        let mut days = Vec::new();
        for d in 1..=10 {
            days.push(day("aws/111122223333", &format!("2026-10-{d:02}"), 10 + d));
            if d != 4 && d != 5 {
                days.push(day("gcp/acme-web", &format!("2026-10-{d:02}"), 5));
            }
            if d <= 6 {
                days.push(day("azure/sub-1", &format!("2026-10-{d:02}"), 2));
            }
        }
        let coverage = assess(
            "here".into(),
            days,
            &[],
            &options(&["aws/111122223333", "gcp/acme-missing"]),
        );
        assert_eq!(
            coverage.findings,
            vec![
                Finding::Stopped {
                    cloud: "azure".into(),
                    tenant: "sub-1".into(),
                    last_event: "2026-10-06T20:00:00Z".into(),
                    silent_hours: 96
                },
                Finding::Gap {
                    cloud: "gcp".into(),
                    tenant: "acme-web".into(),
                    from: NaiveDate::from_ymd_opt(2026, 10, 4).unwrap(),
                    to: NaiveDate::from_ymd_opt(2026, 10, 5).unwrap(),
                    days: 2
                },
                Finding::NeverDelivered {
                    cloud: "gcp".into(),
                    tenant: "acme-missing".into(),
                    expected_by: vec!["config".into()]
                },
            ]
        );
        let aws = &coverage.tenants[0];
        assert_eq!((aws.per_day_min, aws.per_day_max, aws.events), (11, 20, 155));
        assert_eq!((aws.days_with_events, aws.span_days), (10, 10));
        assert_eq!(aws.expected_by, vec!["config".to_string()]);
        let gcp = coverage.tenants.iter().find(|t| t.cloud == "gcp").unwrap();
        assert_eq!((gcp.days_with_events, gcp.span_days), (8, 10));
    }

    #[test]
    fn delays_are_measured_from_each_sources_newest_event_to_its_ingest() {
        let record = |last: &str, ingested: &str| SourceRecord {
            last_event: Some(last.into()),
            ingested_at: ingested.into(),
            tenants: vec!["aws/111122223333".into()],
            ..Default::default()
        };
        let ledger = vec![
            record("2026-10-01T10:00:00Z", "2026-10-01T10:05:00Z"),
            record("2026-10-02T10:00:00Z", "2026-10-02T11:00:00Z"),
            record("2026-10-03T10:00:00Z", "2026-10-03T10:15:00+00:00"),
            // Written by an older trailscope: no event times, not measured.
            SourceRecord {
                ingested_at: "2026-10-04T00:00:00Z".into(),
                events: 5,
                ..Default::default()
            },
            // A digest, or a file of skipped records: nothing to measure, and not missed.
            SourceRecord {
                ingested_at: "2026-10-04T00:00:00Z".into(),
                ..Default::default()
            },
            // A CloudTrail digest file: no events, nothing to measure, not unmeasured either.
            SourceRecord {
                ingested_at: "2026-10-04T00:00:00Z".into(),
                skipped: 1,
                digest: Some("_ingest/digests/111122223333/us-east-1/2026-10-03/d.json".into()),
                ..Default::default()
            },
        ];
        let d = deliveries(&ledger, (None, None));
        assert_eq!(
            d["aws/111122223333"],
            Delivery {
                sources: 3,
                median_delay: 900,
                max_delay: 3600,
                last_ingest: "2026-10-03T10:15:00Z".into(),
                // Ingested before the hash a digest lists was recorded.
                digests: Some(DigestCounts {
                    not_validated: 3,
                    ..Default::default()
                }),
            }
        );
        let coverage = assess("here".into(), vec![], &ledger, &options(&[]));
        assert_eq!((coverage.sources, coverage.sources_unmeasured), (6, 1));
    }

    #[test]
    fn an_aws_tenants_files_are_counted_by_what_their_digests_say() {
        use crate::archive::digests::{CloudTrailLog, DigestState};
        let record = |state: Option<DigestState>, hashed: bool, tenant: &str| SourceRecord {
            last_event: Some("2026-10-01T10:00:00Z".into()),
            ingested_at: "2026-10-01T10:05:00Z".into(),
            tenants: vec![tenant.into()],
            content_sha256: hashed.then(|| "ab".repeat(32)),
            cloudtrail: state.map(|state| CloudTrailLog {
                account: "111122223333".into(),
                region: "us-east-1".into(),
                delivered: None,
                state,
            }),
            ..Default::default()
        };
        let ledger = vec![
            record(
                Some(DigestState::Validated { digest: "d".into() }),
                true,
                "aws/111122223333",
            ),
            record(
                Some(DigestState::Validated { digest: "d".into() }),
                true,
                "aws/111122223333",
            ),
            record(
                Some(DigestState::Mismatch {
                    digest: "d".into(),
                    expected: "x".into(),
                    found: "y".into(),
                }),
                true,
                "aws/111122223333",
            ),
            record(Some(DigestState::NotListed), true, "aws/111122223333"),
            record(Some(DigestState::Uncovered), true, "aws/111122223333"),
            // An export read since digests are: not a delivery file, not counted.
            record(None, true, "aws/111122223333"),
            // Other clouds have no digests.
            record(None, true, "gcp/p"),
        ];
        let d = deliveries(&ledger, (None, None));
        assert_eq!(
            d["aws/111122223333"].digests,
            Some(DigestCounts {
                validated: 2,
                contradicted: 1,
                not_listed: 1,
                no_digest: 1,
                not_validated: 0,
            })
        );
        assert_eq!(d["gcp/p"].digests, None);
    }

    #[test]
    fn expected_tenants_are_cloud_slash_tenant() {
        assert_eq!(
            TenantId::parse(" AWS/123456789012 ").unwrap().to_string(),
            "aws/123456789012"
        );
        assert!(TenantId::parse("123456789012").is_err());
        assert!(TenantId::parse("oracle/x").is_err());
        assert!(TenantId::parse("gcp/").is_err());
        assert_eq!(TenantId::parse("gcp/a b").unwrap().tenant, "a_b");
        assert!(parse_stale_after("3d").is_ok() && parse_stale_after("soon").is_err());
    }

    #[test]
    fn old_ledger_records_without_event_times_still_read() {
        let old = r#"{"sha256":"ab","source":"s","size":1,"ingested_at":"2026-10-01T00:00:00Z","batch":"b","events":3,"skipped":0,"rejected":0,"duplicates":0}"#;
        let record: SourceRecord = serde_json::from_str(old).unwrap();
        assert_eq!((record.events, record.last_event, record.tenants.len()), (3, None, 0));
    }
}
