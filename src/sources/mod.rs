//! Raw audit-log formats in, normalized [`Event`]s out.
//!
//! Each cloud has a module that maps one record into the `events` schema; [`document`] splits a
//! file's bytes into records, keeping each record's original text byte for byte. Nothing here
//! knows about Parquet or storage.

pub mod aws;
pub mod azure;
mod cloud;
pub mod document;
mod event;
mod file;
pub mod gcp;
mod json;
mod record;

pub use cloud::{Cloud, CloudChoice};
pub use event::{Event, Outcome};
pub use file::{FileRecords, read_decompressed, read_file, read_file_within};
pub use json::{TimeError, parse_time};
pub use record::{Mapped, Origin, detect, map_record};
