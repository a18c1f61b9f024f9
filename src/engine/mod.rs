//! The engine: an archive opened as a DataFusion session, read-only SQL, the investigation
//! views, saved reports, and results streamed out with secrets masked.

pub mod cells;
pub mod cluster;
pub mod coverage;
pub mod detect;
mod error;
pub mod export;
mod facts;
mod file_pruning;
mod functions;
pub mod journal;
pub mod output;
pub mod pretty;
mod pruning;
pub mod readonly;
pub mod redact;
mod remote_files;
pub mod reports;
mod sealed;
mod session;
mod table;
pub mod views;
pub mod window;

pub use cells::Value;
pub use error::EngineError;
pub use facts::FactsUsed;
pub use output::Format;
pub use pruning::Pruning;
pub use session::{ResultStream, Session, SessionOptions, interrupted};
pub use views::{Query, Scope, Subject};
pub use window::{TimeSpec, TimeWindow};
