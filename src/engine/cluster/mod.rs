//! The archive's queries on an Apache DataFusion Ballista cluster: DataFusion's own distributed
//! engine, of the same version as ours. The client plans as a local session does (read-only
//! checks, the journal, masking of what comes back all stay at the client); the scheduler reads
//! the archive's listing and splits the plan into stages; executors read the files.
//!
//! Ballista's endpoints do not authenticate callers: a scheduler and its executors bind to
//! loopback unless told otherwise, and belong on a network only their clients reach.

mod client;
pub mod codec;
pub mod process;
mod stores;

use std::fmt;

pub use client::{CancelOnDrop, Cluster, as_cluster_error, cancels_settled};

/// Marks an error a cluster returns when its trailscope is another version than the client's
/// (errors cross from the cluster's processes as text).
const VERSION_MISMATCH: &str = "trailscope version mismatch: ";
/// Marks an error of a cluster's process that could not open or list the archive's store.
pub(crate) const STORE_UNREACHABLE: &str = "the archive's store cannot be read here: ";

/// Where a session's queries run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// In this process.
    #[default]
    Local,
    /// On the Ballista cluster whose scheduler is at this address.
    Ballista(Scheduler),
}

/// A Ballista scheduler's address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheduler {
    pub host: String,
    pub port: u16,
}

/// Ballista's scheduler port when none is given.
pub const DEFAULT_PORT: u16 = 50050;

impl Engine {
    /// `local`, or `ballista://HOST[:PORT]`.
    pub fn parse(text: &str) -> Result<Engine, ClusterError> {
        let text = text.trim();
        if text.is_empty() || text == "local" {
            return Ok(Engine::Local);
        }
        let bad = |why: &str| ClusterError::BadEngine {
            given: text.to_string(),
            why: why.to_string(),
        };
        let rest = text
            .strip_prefix("ballista://")
            .ok_or_else(|| bad("it is neither `local` nor `ballista://HOST:PORT`"))?;
        let url = url::Url::parse(&format!("http://{rest}")).map_err(|e| bad(&e.to_string()))?;
        if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
            return Err(bad("it has more than a host and a port"));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("it names no host"))?;
        Ok(Engine::Ballista(Scheduler {
            host: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port: url.port().unwrap_or(DEFAULT_PORT),
        }))
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Engine::Local => f.write_str("local"),
            Engine::Ballista(s) => write!(f, "ballista://{s}"),
        }
    }
}

impl fmt::Display for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.host.contains(':') {
            true => write!(f, "[{}]:{}", self.host, self.port),
            false => write!(f, "{}:{}", self.host, self.port),
        }
    }
}

impl Scheduler {
    /// The scheduler's gRPC and HTTP endpoint.
    fn http(&self) -> String {
        format!("http://{self}")
    }
}

/// What stands between a session and its cluster, in words of the cluster.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("the engine '{given}' cannot be used: {why} (use local or ballista://HOST:PORT)")]
    BadEngine { given: String, why: String },
    #[error("cannot reach the Ballista scheduler at {scheduler}: {reason}")]
    Unreachable { scheduler: String, reason: String },
    #[error("{scheduler} answers, but not as a Ballista scheduler does ({reason})")]
    NotAScheduler { scheduler: String, reason: String },
    #[error(
        "the cluster at {scheduler} runs {found}, and this trailscope needs Ballista {wanted}: run the same trailscope release on the cluster and here"
    )]
    Version {
        scheduler: String,
        found: String,
        wanted: String,
    },
    #[error("the cluster at {scheduler} has no executor: start at least one for it")]
    NoExecutors { scheduler: String },
    #[error("secrets are not revealed through a cluster: its executors never read the sealed tier")]
    Reveal,
    #[error(
        "the archive is in format {format}, whose secrets are masked as it is read, which a cluster does not do: migrate it first (compact)"
    )]
    Format { format: u32 },
    /// The cluster runs another trailscope version than the client.
    #[error("the cluster refused the plan: {0}; run the same trailscope release on the cluster and here")]
    OtherVersion(String),
    /// The cluster's scheduler or an executor could not read the archive's store.
    #[error("the cluster cannot read the archive's store (its processes read it with their own credentials): {0}")]
    Store(String),
    /// The client could not fetch results from an executor.
    #[error("an executor of the cluster cannot be reached from here: {0}")]
    Executor(String),
    /// A cluster's process could not start or stopped.
    #[error("{0}")]
    Process(String),
    /// The job failed on the cluster.
    #[error("the query failed on the cluster: {0}")]
    Failed(String),
}

/// The Ballista release this trailscope is built with.
pub fn ballista_version() -> &'static str {
    ballista_core::BALLISTA_VERSION
}
