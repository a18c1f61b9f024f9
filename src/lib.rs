//! trailscope: cloud audit logs in a Parquet archive, investigated with SQL.
//!
//! Data flows one way: [`sources`] (raw formats) → [`archive`] (normalise, write, ledger) →
//! object store → [`engine`] (DataFusion, read-only SQL) → the command line and the workbench.

pub mod archive;
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod identity;
pub mod secrets;
pub mod sources;
pub mod terminal_text;
pub mod text;
pub mod tui;
