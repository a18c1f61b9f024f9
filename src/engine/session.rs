//! An archive opened for SQL: one DataFusion session with `events` registered over `events/`.
//!
//! The session is made here and only here, so that another DataFusion engine of the same
//! version (Ballista) can later take its place without touching views, reports or the TUI.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use futures::TryStreamExt;

use super::{EngineError, readonly};
use crate::archive::layout::EVENTS;
use crate::archive::schema::{PARTITIONS, file_schema};
use crate::archive::{ArchiveError, Location};

/// The archive's `events` table, ready for read-only SQL.
pub struct Session {
    ctx: SessionContext,
    location: Location,
}

impl Session {
    /// Opens the archive for queries. An archive without events is an error that says how to
    /// fill it, not an empty table that silently answers nothing.
    pub async fn open(location: Location) -> Result<Self, EngineError> {
        let events = location.path(EVENTS);
        let any = location
            .store
            .list(Some(&events))
            .try_next()
            .await
            .map_err(|e| ArchiveError::store(&location.display, e))?;
        if any.is_none() {
            return Err(EngineError::EmptyArchive(location.display.clone()));
        }
        let config = SessionConfig::new().with_information_schema(true);
        let mut ctx = SessionContext::new_with_config(config);
        ctx.register_object_store(&location.store_url, location.store.clone());
        datafusion_functions_json::register_all(&mut ctx).map_err(EngineError::from_datafusion)?;

        let partitions = PARTITIONS.iter().map(|p| (p.to_string(), DataType::Utf8)).collect();
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(partitions);
        let url = ListingTableUrl::parse(location.table_url(EVENTS)).map_err(EngineError::from_datafusion)?;
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(file_schema());
        let table = ListingTable::try_new(config).map_err(EngineError::from_datafusion)?;
        ctx.register_table("events", Arc::new(table))
            .map_err(EngineError::from_datafusion)?;
        Ok(Session { ctx, location })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Runs one read-only statement and streams its result.
    pub async fn query(&self, sql: &str) -> Result<SendableRecordBatchStream, EngineError> {
        readonly::check(sql)?;
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let frame = self
            .ctx
            .sql_with_options(sql, options)
            .await
            .map_err(EngineError::from_datafusion)?;
        frame.execute_stream().await.map_err(EngineError::from_datafusion)
    }
}
