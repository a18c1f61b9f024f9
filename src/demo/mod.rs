//! The demo archive: a multi-cloud organisation's audit logs, generated in each cloud's native
//! format (CloudTrail delivery files and their digests, with S3 data events; a GCP sink's JSON
//! lines; Azure's Activity Log and Entra ID's sign-in and audit logs as diagnostic settings export
//! them, `PT1H.json`) and ingested through the ordinary ingest path, with an incident planted in
//! ordinary background traffic. The same seed and size give the same events.

mod cast;
mod catalog;
mod digests;
mod entra;
mod incident;
mod noise;
mod org;
mod records;
mod rng;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use cast::{
    ATTACKER_IP, AZURE_SUBSCRIPTION, CI_ACCOUNT, CI_KEY, CI_USER, ENTRA_ADMIN, ENTRA_TENANT, FUNCTION, GCP_DEPLOYER,
    GCP_PROJECT, PROD_ACCOUNT, UNKNOWN_APP, UNKNOWN_APP_KEY, UNKNOWN_APP_NAME, UNKNOWN_APP_OBJECT,
};
pub use incident::{BACKDOOR_USER, OUTSIDE_ACCOUNT, PAYMENTS_STORAGE, ROLE, SESSION};
pub use org::{MAX_TENANTS, Tenants};
use rng::Rng;

use crate::archive::inputs::{Inputs, resolve};
use crate::archive::{ArchiveError, IngestOptions, IngestProgress, IngestSummary, Location, StoreOptions, ingest};
use crate::sources::Cloud;

/// The demo's last instant: its data ends here, whatever today is.
pub const END: &str = "2026-10-31T00:00:00Z";
/// When the incident starts: the demo's last evening.
pub const INCIDENT: &str = "2026-10-30T22:14:00Z";

/// The collection's own findings, for `trailscope coverage` (with `--days 7` or more): the AWS
/// account whose trail stopped delivering five days before the end…
pub const STOPPED_TENANT: &str = "907123456789";
pub const STOPPED_AT: &str = "2026-10-26T00:00:00Z";
/// …the GCP project whose sink delivered nothing for one day…
pub const GAP_TENANT: &str = "acme-ml";
pub const GAP_DAY: &str = "2026-10-27";
/// …and the account the owners expect (`_policy/coverage.json`) that never delivered.
pub const NEVER_DELIVERED: &str = "444455556666";
/// The CloudTrail digests' finding: the delivery file of this account, region and day is missing
/// from its hour's digest, as a file that someone other than CloudTrail put into the bucket would
/// be (every other delivery file is listed with its hash).
pub const UNLISTED_TENANT: &str = "118273645503";
pub const UNLISTED_REGION: &str = "us-east-1";
pub const UNLISTED_DAY: &str = "2026-10-28";

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub events: u64,
    pub days: u32,
    pub seed: u64,
    /// Write the raw logs into this folder and keep them (benchmarks ingest them again),
    /// instead of a staging folder removed after the run.
    pub keep_raw: Option<PathBuf>,
    /// The organisation-scale demo: this many tenants of each cloud, the named ones included,
    /// with a skew of activity. `None`: the named tenants only, as the README's walkthrough has.
    pub tenants: Option<Tenants>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            events: 200_000,
            days: 30,
            seed: 7,
            keep_raw: None,
            tenants: None,
        }
    }
}

/// What a generator run reports as it goes.
pub trait DemoProgress: IngestProgress {
    fn generated(&self, _events: u64, _total: u64) {}
    /// The raw files are written; their ingest starts.
    fn staged(&self, _files: usize) {}
}

impl DemoProgress for crate::archive::Quiet {}

#[derive(Debug)]
pub struct DemoSummary {
    pub generated: u64,
    /// Log files written, and of them the CloudTrail digests.
    pub files: usize,
    pub digests: usize,
    pub generate_seconds: f64,
    pub ingest_seconds: f64,
    pub ingest: IngestSummary,
}

const HOUR: i64 = 3_600_000_000;

/// Which log a background record is drawn for: Entra ID's logs are the Azure tenant's, beside
/// its subscriptions' Activity Logs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Aws,
    Gcp,
    Azure,
    Entra,
}

/// Shares of the draws (an Azure operation writes two records or three, the others one).
const SOURCES: [(Source, u32); 4] = [
    (Source::Aws, 66),
    (Source::Gcp, 19),
    (Source::Azure, 8),
    (Source::Entra, 7),
];

/// Each delivered file covers a day: few, well-filled files, as a trail or sink that batches.
const BLOCK_HOURS: i64 = 24;

/// Hour-of-day weights: office hours are busy, nights are not (UTC, a Europe-and-US company).
const RHYTHM: [u32; 24] = [
    2, 2, 1, 1, 1, 2, 3, 6, 10, 12, 12, 11, 10, 11, 12, 12, 11, 9, 7, 5, 4, 3, 3, 2,
];

/// Writes the demo's raw logs under `staging` (native formats, gzip as the clouds deliver them,
/// and CloudTrail's digests of its delivery files) and returns the number of events written, of
/// files written, and of those the digests.
pub fn generate(
    staging: &Path,
    options: &DemoOptions,
    progress: &dyn DemoProgress,
) -> std::io::Result<(u64, usize, usize)> {
    let end = crate::sources::parse_time(END).expect("a valid constant");
    let start = end - options.days as i64 * 24 * HOUR;
    let incident_at = crate::sources::parse_time(INCIDENT).expect("a valid constant");
    let mut root = Rng::new(options.seed);
    let mut planted = incident::records(&mut root.fork(1), incident_at);
    let mut rng = root.fork(2);
    let org = options.tenants.map(|t| org::Org::new(t, options.seed));
    // Weights of every hour: the rhythm of the day, quieter weekends.
    let hours: Vec<u32> = (0..options.days as i64 * 24)
        .map(|h| {
            let t = chrono::DateTime::from_timestamp_micros(start + h * HOUR).expect("valid");
            let weekend = matches!(
                chrono::Datelike::weekday(&t),
                chrono::Weekday::Sat | chrono::Weekday::Sun
            );
            RHYTHM[chrono::Timelike::hour(&t) as usize] * if weekend { 1 } else { 3 }
        })
        .collect();
    let total_weight: u64 = hours.iter().map(|w| *w as u64).sum();
    let mut written = 0u64;
    let mut files = 0usize;
    let mut carry = 0.0f64;
    let mut trail = digests::Digests::default();
    for block in 0..(hours.len() as i64 + BLOCK_HOURS - 1) / BLOCK_HOURS {
        let block_start = start + block * BLOCK_HOURS * HOUR;
        // Records are kept as text: a day of a large demo must fit in memory.
        let mut buckets: BTreeMap<PathBuf, Vec<(i64, String)>> = BTreeMap::new();
        for h in block * BLOCK_HOURS..((block + 1) * BLOCK_HOURS).min(hours.len() as i64) {
            let exact = options.events as f64 * hours[h as usize] as f64 / total_weight as f64 + carry;
            let n = exact.floor() as u64;
            carry = exact - n as f64;
            // Records, not operations, are counted: an Azure operation writes two.
            let mut made = 0;
            while made < n {
                let time = start + h * HOUR + rng.below(HOUR as u64) as i64;
                let source = *rng.weighted(&SOURCES);
                let cloud = match source {
                    Source::Aws => Cloud::Aws,
                    Source::Gcp => Cloud::Gcp,
                    Source::Azure | Source::Entra => Cloud::Azure,
                };
                // The organisation has one directory, whatever its number of subscriptions.
                let drawn = org
                    .as_ref()
                    .filter(|_| source != Source::Entra)
                    .map(|o| o.draw(cloud, &mut rng));
                if drawn.is_some_and(|t| t.silent_on(((time - start) / (24 * HOUR)) as u32)) {
                    made += 1;
                    continue;
                }
                let (tenant, records) = match source {
                    Source::Aws => {
                        let (t, r) = noise::aws(&mut rng, time, drawn);
                        (t, vec![r])
                    }
                    Source::Gcp => {
                        let (t, r) = noise::gcp(&mut rng, time, drawn);
                        (t, vec![r])
                    }
                    Source::Azure => noise::azure(&mut rng, time, drawn),
                    Source::Entra => (ENTRA_TENANT.to_string(), vec![entra::background(&mut rng, time)]),
                };
                made += records.len() as u64;
                // Dropped after they were drawn, so every other event stays what it was.
                if silenced(cloud, &tenant, time) {
                    continue;
                }
                for r in records {
                    let path = file_for(cloud, &tenant, block_start, &r);
                    buckets.entry(path).or_default().push((time, r.to_string()));
                }
            }
        }
        let block_end = block_start + BLOCK_HOURS * HOUR;
        for (cloud, tenant, record) in planted.extract_if(.., |(_, _, r)| in_block(r, block_start, block_end)) {
            let time = record_time(&record).unwrap_or(block_start);
            let path = file_for(cloud, &tenant, block_start, &record);
            buckets.entry(path).or_default().push((time, record.to_string()));
        }
        let mut delivered = Vec::new();
        for (path, mut records) in buckets {
            records.sort_by_key(|(t, _)| *t);
            written += records.len() as u64;
            let (oldest, newest) = (records[0].0, records[records.len() - 1].0);
            let hash = write_file(
                &staging.join(&path),
                &path,
                records.into_iter().map(|(_, r)| r).collect(),
            )?;
            files += 1;
            if let Some(hash) = hash {
                let object = path.to_string_lossy().replace('\\', "/");
                let name = crate::sources::aws::digest::delivery_name(&object).expect("the demo names its files");
                delivered.push(digests::Delivery {
                    account: name.account,
                    region: name.region,
                    delivered: name.delivered,
                    object,
                    hash,
                    oldest,
                    newest,
                });
            }
        }
        // CloudTrail writes each hour's digest after the hour's deliveries.
        trail.write(staging, delivered)?;
        progress.generated(written, options.events);
    }
    Ok((written, files + trail.written, trail.written))
}

/// Whether the demo's collection lost this event (see [`STOPPED_TENANT`], [`GAP_TENANT`]).
fn silenced(cloud: Cloud, tenant: &str, time: i64) -> bool {
    let at = |t: &str| crate::sources::parse_time(t).expect("a valid constant");
    match cloud {
        Cloud::Aws => tenant == STOPPED_TENANT && time >= at(STOPPED_AT),
        Cloud::Gcp => tenant == GAP_TENANT && crate::archive::layout::utc_day(time) == GAP_DAY,
        Cloud::Azure => false,
    }
}

/// The owners' list of the tenants that must deliver: every tenant of the demo's organisation,
/// and one account whose trail was never connected.
pub fn coverage_policy(options: &DemoOptions) -> crate::engine::coverage::Policy {
    let mut expected: Vec<String> = match options.tenants {
        None => cast::AWS_ACCOUNTS
            .iter()
            .map(|(a, _)| format!("aws/{a}"))
            .chain(cast::GCP_PROJECTS.iter().map(|p| format!("gcp/{p}")))
            .chain(cast::AZURE_SUBSCRIPTIONS.iter().map(|s| format!("azure/{s}")))
            .chain([format!("azure/{ENTRA_TENANT}")])
            .collect(),
        Some(tenants) => {
            let org = org::Org::new(tenants, options.seed);
            [(Cloud::Aws, "aws"), (Cloud::Gcp, "gcp"), (Cloud::Azure, "azure")]
                .into_iter()
                .flat_map(|(cloud, name)| {
                    org.tenants(cloud)
                        .iter()
                        .map(move |t| format!("{name}/{}", t.id))
                        .collect::<Vec<_>>()
                })
                .chain([format!("azure/{ENTRA_TENANT}")])
                .collect()
        }
    };
    expected.push(format!("aws/{NEVER_DELIVERED}"));
    expected.sort();
    crate::engine::coverage::Policy {
        expected,
        stale_after: None,
        set_by: "trailscope demo".into(),
        set_at: END.into(),
    }
}

fn record_time(record: &Value) -> Option<i64> {
    ["eventTime", "timestamp", "time"]
        .iter()
        .find_map(|k| record.get(k).and_then(Value::as_str))
        .and_then(|s| crate::sources::parse_time(s).ok())
}

fn in_block(record: &Value, from: i64, to: i64) -> bool {
    record_time(record).is_some_and(|t| t >= from && t < to)
}

/// Where a record is delivered, as each cloud lays out its exports.
fn file_for(cloud: Cloud, tenant: &str, block_start: i64, record: &Value) -> PathBuf {
    let t = chrono::DateTime::from_timestamp_micros(block_start).expect("valid");
    match cloud {
        Cloud::Aws => {
            let region = record.get("awsRegion").and_then(Value::as_str).unwrap_or("us-east-1");
            PathBuf::from(format!(
                "AWSLogs/{tenant}/CloudTrail/{region}/{}/{tenant}_CloudTrail_{region}_{}Z_demo.json.gz",
                t.format("%Y/%m/%d"),
                t.format("%Y%m%dT%H%M")
            ))
        }
        Cloud::Gcp => {
            let log = record
                .get("logName")
                .and_then(Value::as_str)
                .unwrap_or("")
                .rsplit("%2F")
                .next()
                .unwrap_or("activity")
                .to_string();
            let end = t + chrono::Duration::hours(BLOCK_HOURS) - chrono::Duration::seconds(1);
            PathBuf::from(format!(
                "gcp-audit-sink/cloudaudit.googleapis.com/{log}/{}/{}_{}_S0.json",
                t.format("%Y/%m/%d"),
                t.format("%H:%M:%S"),
                end.format("%H:%M:%S")
            ))
        }
        // Entra ID's diagnostic settings write each log to its own container, by tenant.
        Cloud::Azure => match record
            .get("category")
            .and_then(Value::as_str)
            .and_then(entra::container)
        {
            Some(container) => PathBuf::from(format!(
                "{container}/tenantId={tenant}/y={}/m={}/d={}/h={}/m=00/PT1H.json",
                t.format("%Y"),
                t.format("%m"),
                t.format("%d"),
                t.format("%H")
            )),
            None => PathBuf::from(format!(
                "insights-activity-logs/resourceId=/SUBSCRIPTIONS/{}/y={}/m={}/d={}/h={}/m=00/PT1H.json",
                tenant.to_ascii_uppercase(),
                t.format("%Y"),
                t.format("%m"),
                t.format("%d"),
                t.format("%H")
            )),
        },
    }
}

/// Writes one delivery file; for a CloudTrail file, returns the hex SHA-256 of its uncompressed
/// content (what its digest lists).
fn write_file(path: &Path, relative: &Path, records: Vec<String>) -> std::io::Result<Option<String>> {
    std::fs::create_dir_all(path.parent().expect("a file has a folder"))?;
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    if relative.starts_with("AWSLogs") {
        // CloudTrail delivers one gzipped {"Records": [...]} document per file.
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut hash = <sha2::Sha256 as sha2::Digest>::new();
        let mut put = |bytes: &[u8]| {
            sha2::Digest::update(&mut hash, bytes);
            gz.write_all(bytes)
        };
        put(b"{\"Records\":[")?;
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                put(b",")?;
            }
            put(r.as_bytes())?;
        }
        put(b"]}")?;
        gz.finish()?.flush()?;
        return Ok(Some(digests::hex(&sha2::Digest::finalize(hash))));
    } else {
        // The GCP sink and Azure's diagnostic export write JSON lines.
        let mut file = file;
        for r in records {
            file.write_all(r.as_bytes())?;
            file.write_all(b"\n")?;
        }
        file.flush()?;
    }
    Ok(None)
}

/// Generates the demo's raw logs in a staging folder and ingests them into `location`.
pub async fn build(
    location: &Location,
    options: &DemoOptions,
    progress: &dyn DemoProgress,
) -> Result<DemoSummary, ArchiveError> {
    let staging = match &options.keep_raw {
        Some(dir) => {
            // Files of an earlier run would be ingested too: the folder must be new or empty.
            if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
                return Err(ArchiveError::ReadSource {
                    path: dir.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "the folder for the raw logs is not empty",
                    ),
                });
            }
            Staging::Kept(std::path::absolute(dir).unwrap_or_else(|_| dir.clone()))
        }
        None => Staging::Temporary(
            tempfile::Builder::new()
                .prefix("trailscope-demo-")
                .tempdir()
                .map_err(|e| ArchiveError::ReadSource {
                    path: std::env::temp_dir(),
                    source: e,
                })?,
        ),
    };
    let started = std::time::Instant::now();
    let (generated, files, digests) = {
        let dir = staging.path().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| ArchiveError::ReadSource {
            path: dir.clone(),
            source: e,
        })?;
        let options = options.clone();
        generate(&dir, &options, progress).map_err(|e| ArchiveError::ReadSource { path: dir, source: e })?
    };
    let generate_seconds = started.elapsed().as_secs_f64();
    progress.staged(files);
    let started = std::time::Instant::now();
    let mut inputs: Inputs = resolve(&[staging.path().display().to_string()], &StoreOptions::default()).await?;
    // Name each file as the demo's, not by the staging folder's random name: the same seed
    // gives the same rows.
    let prefix = staging
        .path()
        .canonicalize()
        .unwrap_or_else(|_| staging.path().to_path_buf())
        .display()
        .to_string();
    for input in &mut inputs.files {
        if let Some(rest) = input.name.strip_prefix(&prefix) {
            input.name = format!("demo://seed-{}{rest}", options.seed);
        }
    }
    // In the order a bucket lists them (byte order: `CloudTrail-Digest/` before `CloudTrail/`), so
    // each log file finds its digest already kept, as it would ingesting from S3.
    inputs.files.sort_by(|a, b| a.name.cmp(&b.name));
    let summary = ingest(location, inputs, &IngestOptions::default(), progress).await?;
    crate::engine::coverage::write_policy(location, &coverage_policy(options)).await?;
    Ok(DemoSummary {
        generated,
        files,
        digests,
        generate_seconds,
        ingest_seconds: started.elapsed().as_secs_f64(),
        ingest: summary,
    })
}

/// Where the raw logs are written: a folder removed after the run, or the user's own, kept.
enum Staging {
    Temporary(tempfile::TempDir),
    Kept(PathBuf),
}

impl Staging {
    fn path(&self) -> &Path {
        match self {
            Staging::Temporary(dir) => dir.path(),
            Staging::Kept(dir) => dir,
        }
    }
}

/// Where the demo archive lives when no archive is configured: `$TRAILSCOPE_DATA_DIR/demo`, else
/// the platform's data folder.
pub fn default_location() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TRAILSCOPE_DATA_DIR") {
        return Some(PathBuf::from(dir).join("demo"));
    }
    directories::ProjectDirs::from("", "", "trailscope").map(|d| d.data_dir().join("demo"))
}
