//! `--reveal`: `events` as it would be without markers, its sealed rows read again from the
//! sealed tier. The archive's `events/` holds no recognised secret; a record that held one has a
//! `sealed_id`, and its verbatim text is under `_sealed/records/`. Revealed, `events` is
//!
//! ```sql
//! SELECT * FROM events WHERE sealed_id IS NULL
//! UNION ALL
//! SELECT <s.x if found, else e.x> FROM events e LEFT JOIN sealed s USING (sealed_id, date, cloud, tenant)
//! WHERE e.sealed_id IS NOT NULL
//! ```
//! where `sealed` maps each verbatim record again with the same code ingest used, so every
//! column is what it would have been. The join keeps exactly the rows `events` shows (a
//! duplicate twice, a record of a batch that never committed not at all, a row whose original is
//! missing as it is).

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::JoinType;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, TableProviderFilterPushDown, col};
use datafusion::physical_plan::ExecutionPlan;
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;

use super::table::{EventsTable, allowed_days, partition_values, with_date_bounds};
use crate::archive::Location;
use crate::archive::seal::{self, RECORDS};
use crate::archive::writer;
use crate::sources::{Cloud, CloudChoice, Mapped, Origin, map_record};

/// The sealed tier's records, mapped again into `events`' columns.
#[derive(Debug)]
pub struct SealedTable {
    location: Location,
    schema: SchemaRef,
}

impl SealedTable {
    pub fn new(location: Location) -> Self {
        let schema = EventsTable::new(location.clone()).schema();
        SealedTable { location, schema }
    }

    /// Every sealed record of the days the filters allow, as rows of `events`.
    async fn rows(&self, filters: &[Expr]) -> Result<Vec<RecordBatch>> {
        let denied = |e| DataFusionError::External(Box::new(e));
        let folders = self.location.folders(RECORDS).await.map_err(denied)?;
        let days = allowed_days(&folders, &with_date_bounds(filters))?;
        let mut objects = Vec::new();
        for day in days {
            let listed = self
                .location
                .list(&format!("{RECORDS}/date={day}"))
                .await
                .map_err(denied)?;
            objects.extend(listed.into_iter().filter(|o| o.location.as_ref().ends_with(".parquet")));
        }
        let location = &self.location;
        let files: Vec<(String, bytes::Bytes)> = futures::stream::iter(objects)
            .map(|object| async move {
                let got = location
                    .store
                    .get(&object.location)
                    .await
                    .map_err(|e| seal::sealed_error(location, e))?;
                let bytes = got.bytes().await.map_err(|e| seal::sealed_error(location, e))?;
                Ok::<_, crate::archive::ArchiveError>((object.location.to_string(), bytes))
            })
            .buffered(8)
            .try_collect()
            .await
            .map_err(denied)?;
        // One row per original and partition: the same record sealed twice (delivered twice, a
        // batch undone and ingested again) is one original.
        let mut seen = HashSet::new();
        let mut batches = Vec::new();
        for (path, bytes) in files {
            let Some(partition) = partition_values(&path) else {
                continue;
            };
            let records = seal::decode(bytes, &path).map_err(denied)?;
            let mut events = Vec::with_capacity(records.len());
            for record in records {
                if !seen.insert((record.sealed_id.clone(), partition.clone())) {
                    continue;
                }
                let cloud: Cloud = record.cloud.parse().map_err(|_| {
                    DataFusionError::Execution(format!("the sealed record in {path} names no known cloud"))
                })?;
                let origin = Origin {
                    source_object: &record.source_object,
                    source_index: record.source_index,
                };
                match map_record(&record.record, CloudChoice::Only(cloud), origin) {
                    Mapped::Event(mut event) => {
                        event.sealed_id = Some(record.sealed_id);
                        events.push(*event);
                    }
                    Mapped::Rejected(why) | Mapped::Skipped(why) => {
                        return Err(DataFusionError::Execution(format!(
                            "the sealed record of event {} in {path} no longer reads as an event: {why}",
                            record.event_id
                        )));
                    }
                }
            }
            if events.is_empty() {
                continue;
            }
            let mut columns = writer::columns(&events);
            for value in partition {
                columns.push(Arc::new(StringArray::from(vec![value; events.len()])) as ArrayRef);
            }
            batches.push(RecordBatch::try_new(self.schema.clone(), columns)?);
        }
        Ok(batches)
    }
}

#[async_trait]
impl TableProvider for SealedTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        // Time bounds choose the days read; every filter is applied again to the rows.
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batches = self.rows(filters).await?;
        MemorySourceConfig::try_new_exec(&[batches], self.schema.clone(), projection.cloned())
            .map(|exec| exec as Arc<dyn ExecutionPlan>)
    }
}

/// `events` revealed: the rows without a sealed original as they are, and the sealed ones as
/// their verbatim records map. A sealed row whose original is missing (a sealed object lost, a
/// record the parser no longer reads the same way) stays as it is, masked, rather than vanish.
pub fn revealed(location: &Location) -> Result<Arc<dyn TableProvider>> {
    use datafusion::catalog::default_table_source::provider_as_source;
    use datafusion::logical_expr::{ExprSchemable, when};
    // One table for both scans, so that they read one snapshot of the archive's files.
    let table = Arc::new(EventsTable::new(location.clone()));
    let events = || provider_as_source(table.clone());
    let sealed = provider_as_source(Arc::new(SealedTable::new(location.clone())));
    let schema = table.schema();
    let plain = LogicalPlanBuilder::scan("events", events(), None)?
        .filter(col("sealed_id").is_null())?
        .build()?;
    let keys = ["sealed_id", "date", "cloud", "tenant"];
    // Where the row is and came from is the row's own (copies of one record delivered twice
    // share their sealed original); its time cannot hold a secret (ingest refuses such a record).
    let own = [
        "sealed_id",
        "date",
        "cloud",
        "tenant",
        "event_time",
        "source_object",
        "source_index",
    ];
    let live = LogicalPlanBuilder::scan("live", events(), None)?
        .filter(col("sealed_id").is_not_null())?
        .build()?;
    let joined = LogicalPlanBuilder::from(live).join(
        LogicalPlanBuilder::scan("sealed", sealed, None)?.build()?,
        JoinType::Left,
        (
            keys.iter().map(|k| format!("live.{k}")).collect::<Vec<_>>(),
            keys.iter().map(|k| format!("sealed.{k}")).collect::<Vec<_>>(),
        ),
        None,
    )?;
    let found = col("sealed.sealed_id").is_not_null();
    let columns: Vec<Expr> = schema
        .fields()
        .iter()
        .map(|f| {
            let n = f.name();
            let mine = col(format!("live.{n}"));
            if own.contains(&n.as_str()) {
                return Ok(mine.alias(n));
            }
            let theirs = col(format!("sealed.{n}"));
            Ok(when(found.clone(), theirs)
                .otherwise(mine)?
                .cast_to(f.data_type(), joined.schema())?
                .alias(n))
        })
        .collect::<Result<_>>()?;
    let sealed_rows = joined.project(columns)?.build()?;
    let all = LogicalPlanBuilder::from(plain).union(sealed_rows)?.build()?;
    Ok(Arc::new(datafusion::catalog::view::ViewTable::new(all, None)))
}
