//! The command line: argument parsing and printing only.

mod args;
mod ingest;
mod query;
mod schema;

use std::process::ExitCode;

pub use args::{Cli, Command};

use crate::archive::StoreOptions;

/// Exit codes (see DESIGN.md): 0 success, 2 usage or SQL error, 3 some inputs rejected,
/// 4 integrity failure, 1 anything else.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const REJECTED: u8 = 3;
}

/// An error at the edge: one sentence for the user and the exit code it means.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: exit::USAGE,
        }
    }
}

impl From<crate::engine::EngineError> for Failure {
    fn from(e: crate::engine::EngineError) -> Self {
        let code = if e.is_usage() { exit::USAGE } else { exit::FAILURE };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

impl From<crate::archive::ArchiveError> for Failure {
    fn from(e: crate::archive::ArchiveError) -> Self {
        let code = match e {
            crate::archive::ArchiveError::BadLocation { .. } | crate::archive::ArchiveError::MissingSource(_) => {
                exit::USAGE
            }
            _ => exit::FAILURE,
        };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let options = StoreOptions::default();
    match cli.command {
        Command::Ingest(args) => ingest::run(cli.archive.as_deref(), args, &options).await,
        Command::Query(args) => query::run(cli.archive.as_deref(), args, &options).await,
        Command::Schema => Ok(schema::run()),
    }
}

/// The archive a reading command uses.
fn archive_to_read(archive: Option<&str>) -> Result<&str, Failure> {
    archive
        .ok_or_else(|| Failure::usage("no archive is configured: pass --archive PATH_OR_URL or set TRAILSCOPE_ARCHIVE"))
}
