//! The engine: an archive opened as a DataFusion session, read-only SQL, streamed results.

mod error;
pub mod output;
pub mod readonly;
mod session;

pub use error::EngineError;
pub use output::Format;
pub use session::Session;
