use clap::{Args, Parser, Subcommand};

use crate::engine::Format;
use crate::sources::CloudChoice;

/// trailscope: investigate cloud audit logs (AWS CloudTrail, Google Cloud Audit Logs, Azure
/// Activity Log) with SQL over a Parquet archive, without a server.
#[derive(Debug, Parser)]
#[command(name = "trailscope", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// The archive: a folder, file:///…, s3://bucket/prefix, gs://bucket/prefix or
    /// az://container/prefix. Credentials and endpoints come from the cloud's usual
    /// environment variables (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, AWS_REGION, …).
    #[arg(long, global = true, env = "TRAILSCOPE_ARCHIVE", value_name = "URL")]
    pub archive: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "Examples:
  trailscope ingest --archive ./archive ~/logs/cloudtrail/
  trailscope query --archive ./archive \"SELECT principal, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC\"
  trailscope schema";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read raw audit-log files, folders (recursively) or object-store prefixes into the archive.
    #[command(after_help = "Examples:
  trailscope ingest --archive ./archive ~/Downloads/AWSLogs/ gcp-audit.json azure/PT1H.json
  AWS_ENDPOINT_URL=http://127.0.0.1:9000 trailscope ingest --archive s3://audit/archive s3://raw-logs/AWSLogs/

Each source file is read once: ingesting it again does nothing. Files that cannot be read are
copied to _quarantine/ with the reason, records that cannot be placed in time go to a
.rejected.jsonl file there, and the command exits with code 3; the rest is ingested.")]
    Ingest(IngestArgs),

    /// Run one read-only SQL statement over the `events` table.
    #[command(after_help = "Examples:
  trailscope query \"SELECT action, count(*) AS n FROM events WHERE outcome = 'failure' GROUP BY action ORDER BY n DESC\"
  trailscope query --format csv \"SELECT * FROM events WHERE date >= '2024-05-01'\" > may.csv
  echo \"SELECT count(*) FROM events\" | trailscope query -

Only queries run: statements that would write or change anything are refused (exit code 2).
Filter on `date` (YYYY-MM-DD) to read only the days you need.")]
    Query(QueryArgs),

    /// Print the `events` table's columns, their types and what each means.
    Schema,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Which cloud the sources are from; `auto` tells each record by its fields.
    #[arg(long, default_value = "auto", value_parser = parse_cloud, value_name = "auto|aws|gcp|azure")]
    pub cloud: CloudChoice,

    /// Files, folders or object-store URLs (s3://bucket/prefix) to read. `.gz` is read as is.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
}

fn parse_cloud(s: &str) -> Result<CloudChoice, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// How to print the result.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,

    /// The SQL statement; `-` reads it from standard input.
    #[arg(value_name = "SQL")]
    pub sql: String,
}
