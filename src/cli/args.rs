use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::engine::Format;
use crate::sources::CloudChoice;

/// trailscope: investigate cloud audit logs (AWS CloudTrail, Google Cloud Audit Logs, Azure
/// Activity Log, Entra ID audit and sign-in logs) with SQL over a Parquet archive, without a server.
#[derive(Debug, Parser)]
#[command(name = "trailscope", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// The archive: a name from the config file, a folder, file:///…, s3://bucket/prefix,
    /// gs://bucket/prefix or az://container/prefix. Credentials and endpoints come from the
    /// cloud's usual environment variables (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, AWS_REGION, …).
    #[arg(long, global = true, env = "TRAILSCOPE_ARCHIVE", value_name = "URL")]
    pub archive: Option<String>,

    /// Where reading commands (query, view, report run, coverage, concept, the workbench) run
    /// their queries: `local` (this process, the default) or `ballista://HOST:PORT`, the
    /// scheduler of a trailscope cluster (see `trailscope cluster --help`). Also `engine =` in
    /// the config file.
    #[arg(
        long,
        global = true,
        env = "TRAILSCOPE_ENGINE",
        value_name = "local|ballista://HOST:PORT"
    )]
    pub engine: Option<String>,

    /// The config file (default: ~/.config/trailscope/config.toml, or $TRAILSCOPE_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Without a command, the interactive workbench opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

const EXAMPLES: &str = "Examples:
  trailscope ingest --archive ./archive ~/logs/AWSLogs/
  trailscope view resource billing-export --archive ./archive
  trailscope report run console-logins-without-mfa --archive ./archive \\
      --format csv --output nomfa.csv
  trailscope query --archive ./archive \\
      \"SELECT principal, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC\"";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the interactive workbench (the same as `trailscope` alone).
    #[command(after_help = "Example:
  trailscope tui --archive ./archive

Keys: 1-6 switch screens (timeline, principals, resources, SQL, reports, detections); ←/→ move between \
timeline buckets; Enter opens a row or narrows the window to a bucket, +/- zoom; ↑/↓ move in \
tables; p/r open a row's principal or resource; f/F filter on a value; c counts a column's values; \
e exports the whole result; Esc goes back; Ctrl-C cancels running queries; ? lists every key; \
q quits. With no archive configured it opens the demo archive (built on first use).")]
    Tui,

    /// Read raw audit-log files, folders (recursively) or object-store prefixes into the archive.
    #[command(after_help = "Examples:
  trailscope ingest --archive ./archive \\
      ~/Downloads/AWSLogs/ gcp-audit.json azure/PT1H.json
  AWS_ENDPOINT_URL=http://127.0.0.1:9000 \\
      trailscope ingest --archive s3://audit/archive s3://raw-logs/AWSLogs/

Each source file is read once: ingesting it again does nothing. Files that cannot be read are \
copied to _sealed/quarantine/ with the reason, records that cannot be placed in time go to a \
.rejected.jsonl file there, and the command exits with code 3; the rest is ingested. CloudTrail \
digest files are read too: each log file is checked against the digest that lists it, and one \
that contradicts its digest (changed after delivery) is ingested, named, and the exit code is 4.

From an object store, ingest collects incrementally: an object read before with the same size, \
ETag and version is passed over without a GET (the archive keeps a marker per object under \
_ingest/seen/), date folders are listed only from --since, and an Azure PT1H.json that grew is \
read from where the last run stopped. Run it on a schedule (see the README).")]
    Ingest(IngestArgs),

    /// Merge each partition's small files into well-sized ones and drop duplicate events, atomically.
    #[command(after_help = "Examples:
  trailscope compact --archive ./archive --dry-run
  trailscope compact --archive ./archive --date 2024-06-10
  trailscope compact --archive s3://audit/archive \\
      --from 2024-06-01 --to 2024-06-30

A partition (one day, cloud and tenant) with more than one file is rewritten as files of up to \
256 MB, sorted by time, with the copies of an event delivered twice dropped (same cloud, tenant \
and event id; the copy ingested first is kept). Queries running meanwhile see the old files or the new \
ones, never both: the replaced files stay hidden for an hour (--retain), for queries already \
reading them, and the next ingest or compact after that deletes them. Ingest and compaction take turns (one \
lock per archive); a compaction that is killed is finished or undone by the next run.

It also brings an archive written by an older trailscope up to date. An archive of format 2 is brought \
into the integrity chain (one genesis link lists every object as it stands; see verify). One of format 1 (written \
before secrets were sealed at ingest) is migrated whole, whatever --date says: every file is \
rewritten from its raw records, with secrets replaced by markers and the verbatim records sealed \
in _sealed/, events ingest would now refuse (dated before 1990 or in the future, ambiguous) moved \
to the sealed quarantine, and the old _quarantine/ moved into _sealed/; the format is recorded \
last, so a killed migration resumes. Each day's file index becomes one object with an entry for \
every file (files without one are read to make it).")]
    Compact(CompactArgs),

    /// Run Sigma detection rules over the archive (SigmaHQ's cloud rules, built in, and yours) and
    /// list the hits; exit code 5 when there are some.
    #[command(after_help = "Examples:
  trailscope detect --from 24h
  trailscope detect --rules ~/detections --level high --new --format csv
  trailscope detect --rule 4db60cc0-36fb-42b7-9b58-a5b53019fb74 --explain
  trailscope detect --list

The built-in rules are SigmaHQ's for CloudTrail, GCP audit logs, the Azure Activity Log and \
Entra ID's audit and sign-in logs (Detection Rule License 1.1: each rule's author and id are kept, \
`--list` shows where it comes from). A rule that uses something trailscope cannot run (a field no \
record has, a modifier it does not know) is never skipped silently: the run says how many, and \
--list says why for each. All rules run in one scan of the window: the columns first, the stored \
record only for the events some rule's columns admit. Correlation rules (event_count, \
value_count) count the hits of the rules they name. --new lists only hits no earlier run on this \
archive listed (remembered in your state folder); a suppression file (--suppress, or \
`suppressions` in the config file) silences known-benign hits by rule and value: \
[[suppress]] rule = \"<rule id or *>\" field = \"principal\" value = \"…\" reason = \"…\". Exit \
codes: 0 no hits, 5 hits, 2 a rule or flag that cannot be used, 1 anything else.")]
    Detect(DetectArgs),

    /// Check that the archive holds exactly what its integrity chain says: nothing missing,
    /// altered or added outside it.
    #[command(after_help = "Examples:
  trailscope verify --archive s3://audit/archive
  trailscope verify --quick --from 2024-06-01 --to 2024-06-30
  trailscope verify --public-key chain-signing.pub.pem

Every ingest batch, compaction, index merge and migration appends a link to _chain/ before it \
commits: the objects it added and removed under events/, _index/ and _sealed/records/, with \
size and SHA-256, and the SHA-256 of the link before. verify walks the links, replays them into \
the objects the store should hold, and compares: an object missing, altered (size, or SHA-256 \
unless --quick) or not accounted for by any link, a link missing or altered, or a change record \
edited, is named with what was expected, and the exit code is 4. --quick checks sizes and the \
chain without reading the objects. With --public-key every link must carry a valid Ed25519 \
signature of that key (the one ingest and compact sign with, --signing-key). Not covered: the \
access journal (_journal/), the quarantine (_sealed/quarantine/), the ingest ledger and lock \
(_ingest/), policies (_policy/) and the fingerprint key. Each run is recorded in _verify/ \
(concept cites the last).")]
    Verify(VerifyArgs),

    /// Write a new Ed25519 key for signing the integrity chain, and print its public key.
    #[command(after_help = "Example:
  trailscope signing-key ~/secure/chain-signing.pem > chain-signing.pub.pem
  trailscope ingest --signing-key ~/secure/chain-signing.pem --archive s3://audit/archive raw/
  trailscope verify --public-key chain-signing.pub.pem --archive s3://audit/archive

The private key (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes it) is written with \
permissions for its owner only and never overwrites a file; keep it where the archive's writers \
run but away from whoever else can write the bucket. Once a link is signed, every later writer \
must sign (TRAILSCOPE_SIGNING_KEY or --signing-key).")]
    SigningKey(SigningKeyArgs),

    /// Run one read-only SQL statement over the `events` table.
    #[command(after_help = "Examples:
  trailscope query \\
      \"SELECT action, count(*) AS n FROM events WHERE outcome = 'failure' \\
        GROUP BY action ORDER BY n DESC\"
  trailscope query --format csv --output may.csv \\
      \"SELECT * FROM events WHERE date >= '2024-05-01'\"
  echo \"SELECT count(*) FROM events\" | trailscope query -

Only queries run: statements that would write or change anything are refused (exit code 2). \
A condition on event_time reads only the days it covers. json_get_str(raw, 'requestParameters', \
'functionName') and kin read inside the original record.")]
    Query(QueryArgs),

    /// The workbench's investigation views, headless: timeline, principals, resources, one
    /// principal, one resource, one event.
    #[command(after_help = "Examples:
  trailscope view timeline --from 24h
  trailscope view principals --where \"outcome = 'failure'\"
  trailscope view principal ci-bot         # an ARN's or e-mail's end will do
  trailscope view resource billing-export  # who deployed and configured it?
  trailscope view principal ci-bot --section failures --format csv
  trailscope view event 0b7c8d8e-2f3a-4c1d-9e6b-6a2f1b3c4d01

Without --from/--to a view covers the last 7 days of the archive's data, ending at its newest \
event (not at now), and says which window it used. Times: 2024-05-01, 2024-05-01T13:00 (UTC \
when no zone is given), 2024-05-01T13:00:00+02:00, a span back from the newest event (90m, 24h, \
7d, 2w), or now.")]
    View(ViewArgs),

    /// Saved SQL reports (built in, and from the report folders of the config file).
    #[command(
        subcommand,
        after_help = "Examples:
  trailscope report list
  trailscope report show logging-tampering
  trailscope report run access-denied-spikes --param min_failures=5 \\
      --format csv --output denied.csv"
    )]
    Report(ReportCommand),

    /// Print the archive's access journal: every query run over it, by whom, when, how it ended.
    #[command(after_help = "Examples:
  trailscope journal --archive s3://audit/prod --from 2026-12-01
  trailscope journal --user ana --json
  trailscope journal --local --last 20  # your own, of every archive
  trailscope journal --require          # owners: refuse unrecorded queries

Each query is recorded in the archive (_journal/, one object when it starts and one when it ends, \
never overwritten) and in your state folder. Entries name the operating system's account and \
the identity the store's credentials resolve to (an access key id, a service account). A query \
with a start but no end was killed. --require writes _policy/journal.json: from then on a \
reader who cannot write _journal/ cannot query; without it, such a reader is warned on every \
query and the entry stays local.")]
    Journal(JournalArgs),

    /// Per cloud and tenant: what was collected, the days without events, how late events
    /// arrived, and tenants that stopped or never delivered. Exit code 5 when something is found.
    #[command(after_help = "Examples:
  trailscope coverage --archive s3://audit/prod
  trailscope coverage --from 2026-10-01 --to 2026-10-31 --format json
  trailscope coverage --stale-after 36h || echo \"collection needs attention\"
  trailscope coverage --write-policy   # owners: expected tenants for all

For each cloud and tenant: its first and last event; events per day as days with events (of the \
days from its first to its last), mean, min and max events over the days with events; the gaps \
(days without events between days with events, as day ranges); the delay from a source file's \
newest event to its ingest (the ingest ledger's ingested_at), median and max over the tenant's \
source files; and its last ingest. Counts are of distinct event ids per day. A tenant's logs are counted together: \
the events table does not record which of a cloud's logs (GCP admin activity or data access, \
CloudTrail management or data events) an event came from.

Findings: a gap; a tenant whose last event is more than --stale-after (default 3d) before the \
newest event of the window (it stopped delivering); a tenant that is expected but has no event. \
Expected tenants are the union of the archive's _policy/coverage.json (written by its owners, so \
every auditor checks the same list) and the config file's [coverage] expected and expected_file. \
Exit code 5 when there is a finding, 0 when there is none: run it on a schedule.")]
    Coverage(CoverageArgs),

    /// Write the centralised audit-log concept as Markdown, from the archive and the config.
    #[command(after_help = "Examples:
  trailscope concept --archive s3://audit/prod --output audit-log-concept.md
  trailscope concept | less

What is collected (clouds, tenants, events, days), where and in which layout, retention as it \
stands, integrity (the last verify run), how access is guarded (masked events, the sealed tier, \
the access journal and what the store's permissions must enforce), how to investigate, and the \
saved reports. Generated each time from the archive, so it is true of the archive as it is.")]
    Concept(ConceptArgs),

    /// Turn a secret found elsewhere into the marker the archive shows in its place.
    #[command(after_help = "Examples:
  trailscope fingerprint                       # reads the secret from standard input
  pbpaste | trailscope fingerprint --archive s3://audit/prod

Secrets that leaked into audit records are replaced at ingest by a marker such as \
[MASKED:aws-session-token:3f9a1c2e5b7d9f01]: their kind and a fingerprint keyed with the \
archive's key (in _sealed/key). The same secret has the same fingerprint everywhere, so the \
marker finds every record it leaked into. Reading the key needs access to the sealed tier; the \
secret is read from standard input, never from the command line (where shell history and the \
process list would keep it).")]
    Fingerprint,

    /// Generate a deterministic multi-cloud demo archive with a planted incident.
    #[command(after_help = "Examples:
  trailscope demo          # 200,000 events over 30 days, in your data folder
  trailscope demo --archive ./big --events 10000000 --seed 7
  # an organisation: 600 AWS accounts, 200 GCP projects, 100 Azure subscriptions
  trailscope demo --archive ./org --tenants 600,200,100 --days 365

The raw logs are generated in each cloud's native format (CloudTrail delivery files, a GCP sink's \
JSON lines, Azure's PT1H.json) and ingested through the ordinary ingest path. The same seed and \
size give the same events. Reading commands use the demo archive when no archive is configured.")]
    Demo(DemoArgs),

    /// Run a scheduler or an executor of a Ballista cluster that runs trailscope's queries.
    #[command(
        subcommand,
        after_help = "Example, three processes on one host:
  trailscope cluster scheduler &
  trailscope cluster executor --scheduler 127.0.0.1:50050 --bind 127.0.0.1:50051 &
  trailscope cluster executor --scheduler 127.0.0.1:50050 --bind 127.0.0.1:50053 &
  trailscope view principals --engine ballista://127.0.0.1:50050 --archive s3://audit/prod

The client checks, plans and journals every query as a local session does, and sends the plan \
to the scheduler; the scheduler lists the archive's files and the executors read them, each with \
the store credentials of its own environment (AWS_*, GOOGLE_*, AZURE_*, profiles, instance \
roles): give them read access to the archive only. Ballista's endpoints do not authenticate \
callers: both bind to loopback unless told otherwise, and a cluster on several hosts belongs on \
a network only its clients reach (see the README). Secrets are never revealed through a cluster."
    )]
    Cluster(ClusterCommand),

    /// Print the `events` table's columns, their types and what each means.
    #[command(after_help = "Example:
  trailscope schema")]
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Run a scheduler: it takes queries from clients, lists the archive's files, and hands
    /// their parts to executors.
    Scheduler {
        /// Where its endpoint listens (gRPC for clients and executors, and /readyz).
        #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
        bind: std::net::SocketAddr,
        /// The name or address executors reach it at (needed when it binds 0.0.0.0).
        #[arg(long, value_name = "HOST")]
        advertise: Option<String>,
    },
    /// Run an executor: it registers with the scheduler and reads the archive's files.
    Executor {
        /// The scheduler to register with.
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50050")]
        scheduler: String,
        /// Where its Arrow Flight endpoint listens (clients fetch results there); its task
        /// endpoint listens on the next port.
        #[arg(long, default_value = "127.0.0.1:50051", value_name = "HOST:PORT")]
        bind: std::net::SocketAddr,
        /// The name or address the scheduler and clients reach it at (needed when it binds
        /// 0.0.0.0).
        #[arg(long, value_name = "HOST")]
        advertise: Option<String>,
        /// Tasks it runs at once (default: one per core).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        slots: Option<u16>,
        /// Where it writes shuffle files (default: a temporary folder, removed when it stops).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Which cloud the sources are from; `auto` tells each record by its fields. A file this
    /// reads as nothing though it holds another cloud's events is named, and the exit code is 3.
    #[arg(long, default_value = "auto", value_parser = parse_cloud, value_name = "auto|aws|gcp|azure")]
    pub cloud: CloudChoice,

    /// AWS's public keys for CloudTrail digests, as `aws cloudtrail list-public-keys --region R`
    /// prints them (JSON); repeat for each region. With them, the signature of every digest read
    /// from an object store is checked; without, digests still vouch for log files by hash.
    #[arg(long, value_name = "FILE")]
    pub cloudtrail_public_keys: Vec<std::path::PathBuf>,

    /// Files, folders or object-store URLs (s3://bucket/prefix) to read. `.gz` is read as is.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,

    /// Sign the integrity chain's links with this Ed25519 key (PKCS#8 PEM).
    #[arg(long, env = "TRAILSCOPE_SIGNING_KEY", value_name = "FILE")]
    pub signing_key: Option<PathBuf>,

    /// In an object store, list date layouts (`…/CloudTrail/<region>/YYYY/MM/DD/`, a GCS sink's
    /// `YYYY/MM/DD/`, Azure's `y=YYYY/m=MM/d=DD/`) from this day on: YYYY-MM-DD (UTC), or 7d for
    /// seven days before today. `all` lists everything. Default: from the last day an earlier
    /// ingest found in each date folder, minus 2 days for late deliveries (a folder never
    /// collected is listed whole). Local folders are always walked whole.
    #[arg(long, value_name = "DAY|Nd|all", value_parser = parse_since)]
    pub since: Option<crate::archive::inputs::Since>,
}

fn parse_since(s: &str) -> Result<crate::archive::inputs::Since, String> {
    use crate::archive::inputs::Since;
    let s = s.trim();
    if s.eq_ignore_ascii_case("all") {
        return Ok(Since::All);
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Since::Day(day));
    }
    if let Some(span) = crate::engine::window::parse_duration(s)
        && span >= 0
    {
        let at = chrono::Utc::now().timestamp_micros() - span;
        if let Some(t) = chrono::DateTime::from_timestamp_micros(at) {
            return Ok(Since::Day(t.date_naive()));
        }
    }
    Err(format!(
        "'{s}' is not a day: write 2024-05-01 (UTC), a span back from today like 3d or 2w, or all"
    ))
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check sizes and the chain only, without reading the objects.
    #[arg(long)]
    pub quick: bool,
    /// Only the objects of this day (YYYY-MM-DD, UTC); the chain is always walked whole.
    #[arg(long, value_name = "DAY", conflicts_with_all = ["from", "to"])]
    pub date: Option<String>,
    /// The first day whose objects are checked (YYYY-MM-DD, included).
    #[arg(long, value_name = "DAY")]
    pub from: Option<String>,
    /// The last day whose objects are checked (YYYY-MM-DD, included).
    #[arg(long, value_name = "DAY")]
    pub to: Option<String>,
    /// Every link must be signed by this Ed25519 public key (PEM, or 32 bytes in hex or base64);
    /// repeat it for the keys of earlier years after a rotation.
    #[arg(long, value_name = "FILE")]
    pub public_key: Vec<PathBuf>,
    /// AWS's public keys for CloudTrail digests (what `aws cloudtrail list-public-keys` prints):
    /// every digest signature kept from an ingest over S3 is checked again with them.
    #[arg(long, value_name = "FILE")]
    pub cloudtrail_public_keys: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SigningKeyArgs {
    /// Where to write the private key (it must not exist yet).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompactArgs {
    /// Only this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DAY", conflicts_with_all = ["from", "to"])]
    pub date: Option<String>,
    /// The first day to compact (YYYY-MM-DD, included).
    #[arg(long, value_name = "DAY")]
    pub from: Option<String>,
    /// The last day to compact (YYYY-MM-DD, included).
    #[arg(long, value_name = "DAY")]
    pub to: Option<String>,
    /// Read and count what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Sign the integrity chain's links with this Ed25519 key (PKCS#8 PEM).
    #[arg(long, env = "TRAILSCOPE_SIGNING_KEY", value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    /// How long replaced files stay (hidden) for queries already reading them: `0s` deletes them
    /// at once, for an archive nobody reads meanwhile (a first import, before it is shared).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_retain)]
    pub retain: std::time::Duration,
}

fn parse_retain(s: &str) -> Result<std::time::Duration, String> {
    crate::engine::window::parse_duration(s)
        .filter(|micros| *micros >= 0)
        .map(|micros| std::time::Duration::from_micros(micros as u64))
        .ok_or_else(|| format!("'{s}' is not a duration such as 0s, 30m, 1h or 2d"))
}

fn parse_cloud(s: &str) -> Result<CloudChoice, String> {
    s.parse()
}

/// The formats `--format` names: the engine's [`Format`], with the words `--help` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A readable table, sized to the terminal (columns that do not fit are named under it).
    Table,
    /// Comma-separated values with a header row (cells a spreadsheet would run are neutralised).
    Csv,
    /// One JSON object per line.
    Json,
    /// Apache Parquet (needs --output, or a redirect).
    Parquet,
}

impl From<OutputFormat> for Format {
    fn from(format: OutputFormat) -> Format {
        match format {
            OutputFormat::Table => Format::Table,
            OutputFormat::Csv => Format::Csv,
            OutputFormat::Json => Format::Json,
            OutputFormat::Parquet => Format::Parquet,
        }
    }
}

/// Where and how a result goes.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// How to write the result (default: from --output's extension — .csv, .jsonl, .parquet,
    /// .txt — else table).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Write the result to this file (complete or not at all) instead of the terminal.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Show secrets that leaked into the records (masked by default).
    #[arg(long)]
    pub reveal: bool,

    /// After the result, say on standard error how many files and row groups were read and how
    /// many were skipped (by row-group statistics, bloom filters and the page index), and the
    /// requests made to an object store, by kind.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub output: OutputArgs,

    /// The SQL statement; `-` reads it from standard input.
    #[arg(value_name = "SQL")]
    pub sql: String,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// A folder (searched recursively) or file of your own Sigma rules; may be repeated.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// Run only your rules (--rules and the config file's rule_dirs), not the built-in ones.
    #[arg(long)]
    pub no_builtin: bool,

    /// Run only this rule (its id, name or title).
    #[arg(long, value_name = "ID")]
    pub rule: Option<String>,

    /// Print the SQL the rules run as (with its bound values) instead of running it.
    #[arg(long)]
    pub explain: bool,

    /// List the rules instead of running them: level, id, title, and why a rule is not run.
    #[arg(long, conflicts_with_all = ["explain", "new"])]
    pub list: bool,

    /// Run only rules of this level or above: informational, low, medium, high, critical.
    #[arg(long, value_name = "LEVEL", default_value = "informational")]
    pub level: String,

    /// List only hits that no earlier run on this archive listed.
    #[arg(long)]
    pub new: bool,

    /// A suppression file (TOML) of known-benign hits; see below.
    #[arg(long, value_name = "FILE")]
    pub suppress: Option<PathBuf>,

    #[command(flatten)]
    pub window: WindowArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// The time window and filter every view is narrowed to.
#[derive(Debug, Args, Clone)]
pub struct WindowArgs {
    /// Start of the window (included): 2024-05-01, 2024-05-01T13:00 (UTC), RFC 3339, a span back
    /// from the archive's newest event (90m, 24h, 7d, 2w) or now. Default: 7 days before --to.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,

    /// End of the window (excluded), written as --from. Default: just after the archive's newest
    /// event (not now: an archive of last year's incident opens on that incident).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,

    /// An extra SQL condition on events, e.g. "cloud = 'aws' AND outcome = 'failure'".
    #[arg(long = "where", value_name = "SQL")]
    pub filter: Option<String>,

    /// Print each view's SQL and bound values (to standard error) before its result.
    #[arg(long)]
    pub show_sql: bool,
}

#[derive(Debug, Args)]
pub struct ViewArgs {
    #[command(subcommand)]
    pub view: View,
}

#[derive(Debug, Subcommand)]
pub enum View {
    /// Event counts per time bucket, split by outcome; with --bucket, that bucket's events.
    #[command(after_help = "Examples:
  trailscope view timeline --from 24h
  trailscope view timeline --from 2024-06-10 --to 2024-06-11 \\
      --bucket 2024-06-10T10:00:00Z")]
    Timeline {
        /// The start of a bucket (as printed in the `bucket` column): list its events.
        #[arg(long, value_name = "TIME")]
        bucket: Option<String>,
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// One row per principal: events, first/last seen, distinct actions, resources, IPs, tenants, failures.
    #[command(after_help = "Example:
  trailscope view principals --from 7d --where \"outcome = 'failure'\"")]
    Principals {
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// One principal: activity over time, resources touched, IPs and user agents, failures.
    #[command(after_help = "Examples:
  trailscope view principal ci-bot
  trailscope view principal arn:aws:iam::111122223333:user/ci-bot \\
      --section events --format csv --output ci-bot.csv")]
    Principal {
        /// The principal, whole or by a name that ends it (user name, role session, e-mail).
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// Only this part (needed for csv, json and parquet).
        #[arg(long, value_enum)]
        section: Option<PrincipalSection>,
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// One row per resource: events, changes, first/last seen, principals, actions, failures.
    #[command(after_help = "Example:
  trailscope view resources --where \"resource_type = 'AWS::Lambda::Function'\"")]
    Resources {
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// One resource: its changes first (who deployed and configured it), who touched it, activity.
    #[command(after_help = "Examples:
  trailscope view resource billing-export
  trailscope view resource billing-export --section changes --format csv")]
    Resource {
        /// The resource, whole or by a name that ends it (a function name for its ARN).
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// Only this part (needed for csv, json and parquet).
        #[arg(long, value_enum)]
        section: Option<ResourceSection>,
        #[command(flatten)]
        window: WindowArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// One event with its full original record, whatever its time.
    #[command(after_help = "Example:
  trailscope view event 0b7c8d8e-2f3a-4c1d-9e6b-6a2f1b3c4d01 --reveal")]
    Event {
        /// The event's id (CloudTrail eventID, GCP insertId, Azure eventDataId).
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[command(flatten)]
        output: OutputArgs,
        /// Print the event's SQL and bound values (to standard error) first.
        #[arg(long)]
        show_sql: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrincipalSection {
    Activity,
    Resources,
    Sources,
    Failures,
    Events,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResourceSection {
    Changes,
    Principals,
    Activity,
    Events,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// List the reports with their titles.
    #[command(after_help = "Example:
  trailscope report list")]
    List,
    /// Show a report: what it finds, its parameters and its SQL.
    #[command(after_help = "Example:
  trailscope report show first-seen-source-ips")]
    Show {
        /// The report's name, as `report list` prints it.
        name: String,
    },
    /// Run a report.
    #[command(after_help = "Examples:
  trailscope report run logging-tampering
  trailscope report run access-key-activity --param access_key=AKIAEXAMPLE \\
      --param since=2024-06-01 --output key.csv")]
    Run {
        /// The report's name, as `report list` prints it.
        name: String,
        /// A parameter's value, NAME=VALUE (repeat for several; `report show NAME` lists them).
        /// Times: 2024-05-01, 2024-05-01T13:00 (UTC), RFC 3339, a span back from the archive's newest
        /// event (24h, 7d) or now.
        #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
        /// The same as --param since=TIME, as for views.
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// The same as --param until=TIME (excluded), as for views.
        #[arg(long, value_name = "TIME")]
        to: Option<String>,
        /// Print the SQL and bound values (to standard error) first.
        #[arg(long)]
        show_sql: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .ok_or_else(|| format!("'{s}' should be NAME=VALUE"))
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// About how many events to generate (the incident adds a few dozen).
    #[arg(long, default_value_t = 200_000)]
    pub events: u64,
    /// Days of history, ending 2026-10-31.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// The seed of the background traffic.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Also keep the generated raw logs (CloudTrail, GCP, Azure native files) in this folder,
    /// e.g. to time `trailscope ingest` on them again.
    #[arg(long, value_name = "DIR")]
    pub keep_raw: Option<PathBuf>,
    /// An organisation-scale demo: this many AWS accounts, GCP projects and Azure subscriptions
    /// (e.g. 600,200,100), the demo's named ones included, the others' ids following from the
    /// seed. A few busy tenants carry most events and a long tail is quiet (weights fall as
    /// 1/rank); some quiet ones are silent for days. The incident stays in. Without it, the
    /// demo's own 24, 8 and 5.
    #[arg(long, value_name = "AWS,GCP,AZURE")]
    pub tenants: Option<crate::demo::Tenants>,
}

#[derive(Debug, Args)]
pub struct JournalArgs {
    /// Only the last N queries.
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    /// Print the entries as JSON lines (start and end of each query).
    #[arg(long)]
    pub json: bool,
    /// Only the queries of this operating-system account (or of this store identity).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Only queries started on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DAY")]
    pub from: Option<String>,
    /// Only queries started on or before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DAY")]
    pub to: Option<String>,
    /// Read your own journal in your state folder (every archive) instead of the archive's.
    #[arg(long, conflicts_with_all = ["require", "optional"])]
    pub local: bool,
    /// Record in the archive that queries without a journal entry there are refused (for the
    /// archive's owners: needs permission to write _policy/).
    #[arg(long, conflicts_with = "optional")]
    pub require: bool,
    /// Record in the archive that queries may run when their entry cannot be written there
    /// (the reader is warned and the entry stays local).
    #[arg(long)]
    pub optional: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// The first day to cover (YYYY-MM-DD, UTC, included). Default: the archive's first.
    #[arg(long, value_name = "DAY")]
    pub from: Option<String>,
    /// The last day to cover (YYYY-MM-DD, UTC, included). Default: the archive's last.
    #[arg(long, value_name = "DAY")]
    pub to: Option<String>,
    /// How the report is written: a table for people, JSON for programs.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// How long a tenant may be silent before the window's newest event until it counts as
    /// stopped (90m, 36h, 3d). Default: the archive's policy, else the config's, else 3d.
    #[arg(long, value_name = "SPAN")]
    pub stale_after: Option<String>,
    /// Write the config's expected tenants (and stale_after) into the archive as
    /// _policy/coverage.json, for every reader (the archive's owners: needs write access to _policy/).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub write_policy: bool,
}

#[derive(Debug, Args)]
pub struct ConceptArgs {
    /// Write the Markdown to this file (complete or not at all) instead of standard output.
    #[arg(long, short, value_name = "FILE.md")]
    pub output: Option<PathBuf>,
}
