//! The archive: its layout, schema, writer, ingest ledger, quarantine, compaction, and the record
//! of file-set changes that decides which files a reader sees.
//!
//! Everything trailscope shows is read from here, so everything written here is accounted for:
//! each source file is ingested once (by content), each record becomes an event, a skip or a
//! quarantined rejection, and a file becomes visible only when it is complete and its whole
//! change (an ingest batch, a partition's compaction) has committed.

pub mod chain;
pub mod changes;
pub mod compact;
mod credentials;
pub mod digests;
mod error;
pub mod file_index;
pub mod format;
pub mod ingest;
pub mod inputs;
pub mod layout;
pub mod ledger;
pub mod location;
pub mod lock;
pub mod quarantine;
pub mod requests;
pub mod schema;
pub mod seal;
pub mod seen;
mod stores;
mod summary;
pub mod verified;
pub mod writer;

pub use compact::{CompactOptions, CompactProgress, CompactSummary, compact};
pub use error::ArchiveError;
pub use ingest::{IngestOptions, IngestProgress, Quiet, ingest};
pub use location::{Location, StoreOptions};
pub use summary::IngestSummary;
