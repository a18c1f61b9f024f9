//! The `events` table: the archive's listing table, plus one piece of knowledge DataFusion does
//! not have — `date` is the UTC day of `event_time`. A filter on `event_time` therefore implies a
//! filter on `date`, which prunes whole day folders before any file is opened: the cost of a
//! query follows its time window, not the archive's age.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::listing::helpers::{expr_applicable_for_cols, filter_partitioned_file};
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    Between, BinaryExpr, Cast, Expr, Operator, TableProviderFilterPushDown, TryCast, col, lit,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::metrics::{MetricBuilder, MetricValue};

use super::file_pruning::Wanted;
use super::pruning::FileNames;
use super::remote_files::{RemoteReaders, SmallFiles};
use crate::archive::Location;
use crate::archive::changes::visible_files;
use crate::archive::file_index;
use crate::archive::layout::{EVENTS, utc_day};
use crate::archive::schema::{PARTITIONS, file_schema};

/// Counters a scan of `events` carries beside Parquet's: day folders listed, and in the archive;
/// files the file index ruled out, and files it had no entry for when it was asked.
pub const DAYS_LISTED: &str = "days_listed";
pub const DAYS: &str = "days_in_archive";
pub const FILES_RULED_OUT: &str = "files_ruled_out_by_index";
pub const FILES_UNINDEXED: &str = "files_not_in_index";

/// Files of an archive in object storage read at once, at least. Measured over the demo's month
/// (1,104 files) with 20 ms added to each request, on two busy cores: 2 at once (one per core)
/// 15.7 s, 16 at once 2.1 s, 32 at once 1.4 s, 64 at once 1.9 s.
const REMOTE_FILES_AT_ONCE: usize = 32;

/// The files a scan reads, and what choosing them took.
struct Chosen {
    files: Vec<PartitionedFile>,
    days_listed: usize,
    days: usize,
    ruled_out: Vec<String>,
    unindexed: Vec<String>,
}

/// The archive's events: the committed Parquet files of the days a query's filters allow, read as
/// one snapshot (see `archive::changes`), so no query sees a half-written batch or a partition
/// in the middle of its compaction.
#[derive(Debug)]
pub struct EventsTable {
    location: Location,
    /// The files' columns, then the partition columns (from the path).
    schema: SchemaRef,
    partitions: Vec<FieldRef>,
    /// The last query's listing, by the query's start and the days listed: a query that scans
    /// `events` twice (a union, a join of the table with itself) reads one snapshot, even when a
    /// change commits between its two scans.
    /// Held while a listing runs: the scans of one query are planned at once, and the second
    /// waits for the first's listing rather than making its own.
    snapshot: tokio::sync::Mutex<Option<Snapshot>>,
    /// For an archive in object storage: its small files, read whole once (see `remote_files`).
    small_files: Option<Arc<SmallFiles>>,
    /// Planned by a cluster's scheduler for a client: a store it cannot read is said as the
    /// cluster's failure, not the client's.
    on_cluster: bool,
}

type Snapshot = (
    Option<chrono::DateTime<chrono::Utc>>,
    Vec<String>,
    Arc<Vec<object_store::ObjectMeta>>,
);

impl EventsTable {
    pub fn new(location: Location) -> Self {
        let partitions: Vec<FieldRef> = PARTITIONS
            .iter()
            .map(|p| Arc::new(Field::new(*p, DataType::Utf8, false)))
            .collect();
        let file = file_schema();
        let mut fields: Vec<FieldRef> = file.fields().iter().cloned().collect();
        fields.extend(partitions.iter().cloned());
        EventsTable {
            schema: Arc::new(Schema::new(fields)),
            partitions,
            snapshot: Default::default(),
            small_files: location.local_dir.is_none().then(Default::default),
            location,
            on_cluster: false,
        }
    }

    /// The table as a cluster's scheduler plans it for a client.
    pub fn on_cluster(mut self) -> Self {
        self.on_cluster = true;
        self
    }

    /// A failure to list the archive, as this process says it.
    fn unlisted(&self, e: crate::archive::ArchiveError) -> DataFusionError {
        match self.on_cluster {
            true => DataFusionError::Execution(format!("{}{e}", super::cluster::STORE_UNREACHABLE)),
            false => DataFusionError::External(Box::new(e)),
        }
    }

    /// The URL of the archive whose events these are (see [`Location::url`]), and what tells its
    /// store from another of the same URL (see [`Location::namespace`]).
    pub fn archive(&self) -> (String, String) {
        (self.location.url(), self.location.namespace().to_string())
    }

    /// The visible files of `days`, listed once per query.
    async fn visible(
        &self,
        started: Option<chrono::DateTime<chrono::Utc>>,
        days: &[String],
    ) -> Result<Arc<Vec<object_store::ObjectMeta>>> {
        let mut snapshot = self.snapshot.lock().await;
        if let Some((at, listed, files)) = &*snapshot
            && started.is_some()
            && *at == started
            && listed == days
        {
            return Ok(files.clone());
        }
        let files = Arc::new(
            visible_files(&self.location, days)
                .await
                .map_err(|e| self.unlisted(e))?,
        );
        *snapshot = Some((started, days.to_vec(), files.clone()));
        Ok(files)
    }

    /// The visible files of the days `filters` allow, with their partition values, kept only if
    /// the partition columns pass the filters that are about them alone, and if the file index
    /// does not rule them out.
    async fn files(
        &self,
        filters: &[Expr],
        wanted: Option<&Wanted>,
        started: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Chosen> {
        let names: Vec<&str> = PARTITIONS.to_vec();
        let on_partitions: Vec<Expr> = filters
            .iter()
            .filter(|f| expr_applicable_for_cols(&names, f))
            .cloned()
            .collect();
        // The day folders, from one listing of `events/` by delimiter (a folder per day): only the
        // days the window allows are then listed.
        let folders = self.location.folders(EVENTS).await.map_err(|e| self.unlisted(e))?;
        let all_days = folders.iter().filter(|f| f.starts_with("date=")).count();
        let day_names = allowed_days(&folders, filters)?;
        let days: Vec<String> = day_names.iter().map(|day| format!("{EVENTS}/date={day}")).collect();
        // The index is read while the files are listed. It only saves reading: if it cannot be
        // listed, every file is read (and counted as not in the index).
        let index = async {
            match wanted {
                Some(w) => Some(
                    file_index::read(&self.location, &day_names, &w.columns())
                        .await
                        .unwrap_or_default(),
                ),
                None => None,
            }
        };
        let (files, index) = futures::join!(self.visible(started, &days), index);
        let files = files?;
        let schema = DFSchema::from_unqualified_fields(
            self.partitions
                .iter()
                .map(|f| f.as_ref().clone())
                .collect::<Vec<_>>()
                .into(),
            Default::default(),
        )?;
        let mut kept = Vec::with_capacity(files.len());
        let (mut ruled_out, mut unindexed) = (Vec::new(), Vec::new());
        for meta in files.iter().cloned() {
            let Some(values) = partition_values(meta.location.as_ref()) else {
                continue;
            };
            let mut file: PartitionedFile = meta.into();
            file.partition_values = values.into_iter().map(|v| ScalarValue::Utf8(Some(v))).collect();
            let Some(file) = filter_partitioned_file(file, &on_partitions, &schema)? else {
                continue;
            };
            if let (Some(index), Some(wanted)) = (&index, wanted) {
                let name = &file.object_meta.location;
                match index.get(name) {
                    Some(entry) if !wanted.admits(entry) => {
                        ruled_out.push(name.to_string());
                        continue;
                    }
                    Some(_) => {}
                    None => unindexed.push(name.to_string()),
                }
            }
            kept.push(file);
        }
        // A stable order (by path: day, cloud, tenant, then creation) keeps plans repeatable.
        kept.sort_by(|a, b| a.object_meta.location.cmp(&b.object_meta.location));
        Ok(Chosen {
            files: kept,
            days_listed: days.len(),
            days: all_days,
            ruled_out,
            unindexed,
        })
    }
}

/// The days (`YYYY-MM-DD`) of the `date=D` folders among `folders` that the filters about
/// `date` alone allow.
pub(super) fn allowed_days(folders: &[String], filters: &[Expr]) -> Result<Vec<String>> {
    let on_date: Vec<Expr> = filters
        .iter()
        .filter(|f| expr_applicable_for_cols(&["date"], f))
        .cloned()
        .collect();
    let date_schema = DFSchema::from_unqualified_fields(
        vec![Field::new("date", DataType::Utf8, false)].into(),
        Default::default(),
    )?;
    let mut days = Vec::new();
    for folder in folders {
        let Some(day) = folder.strip_prefix("date=") else {
            continue;
        };
        let mut probe = PartitionedFile::new(folder.clone(), 0);
        probe.partition_values = vec![ScalarValue::Utf8(Some(day.to_string()))];
        if filter_partitioned_file(probe, &on_date, &date_schema)?.is_some() {
            days.push(day.to_string());
        }
    }
    Ok(days)
}

/// `date`, `cloud` and `tenant` of `…/events/date=D/cloud=C/tenant=T/part-….parquet`.
pub(super) fn partition_values(path: &str) -> Option<Vec<String>> {
    let mut segments: Vec<&str> = path.rsplit('/').skip(1).take(PARTITIONS.len()).collect();
    segments.reverse();
    if segments.len() != PARTITIONS.len() {
        return None;
    }
    segments
        .iter()
        .zip(PARTITIONS)
        .map(|(segment, name)| {
            segment
                .strip_prefix(name)
                .and_then(|s| s.strip_prefix('='))
                .map(str::to_string)
        })
        .collect()
}

#[async_trait]
impl TableProvider for EventsTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        // A filter on the partition columns alone is applied exactly to each file's path; the
        // rest prune row groups and pages inside the files and are applied again to the rows.
        Ok(filters
            .iter()
            .map(|f| {
                if expr_applicable_for_cols(PARTITIONS.as_ref(), f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let bounds: Vec<(Operator, i64)> = filters.iter().flat_map(time_bounds).collect();
        let wanted = Wanted::of(filters, &bounds);
        let filters = with_date_bounds(filters);
        let Chosen {
            files,
            days_listed,
            days,
            ruled_out,
            unindexed,
        } = self
            .files(
                &filters,
                wanted.as_ref(),
                state.execution_props().query_execution_start_time,
            )
            .await?;
        if files.is_empty() && ruled_out.is_empty() {
            let schema = match projection {
                Some(p) => Arc::new(self.schema.project(p)?),
                None => self.schema.clone(),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        // No per-file statistics are gathered at planning (DataFusion's listing table reads every
        // footer for them): measured on 3,330 small files, a needle query took 1.5 s with them and
        // 0.9 s without. Row-group statistics still prune, from the footer the scan reads anyway.
        // Every file ruled out: still a scan (of nothing), so that what was skipped is reported.
        // In object storage a file costs a round trip before its first byte: many are read at
        // once, in as many groups (each group's files are read one after another).
        let groups_wanted = match self.small_files {
            Some(_) => state.config().target_partitions().max(REMOTE_FILES_AT_ONCE),
            None => state.config().target_partitions().max(1),
        };
        let groups = match files.is_empty() {
            true => vec![FileGroup::new(Vec::new())],
            false => FileGroup::new(files).split_files(groups_wanted),
        };
        let mut options = state.table_options().parquet.clone();
        // A needle's few files are filtered while they are decoded: the rows' other columns (the
        // raw record above all) are decoded only where the value is. Measured on a month's needle
        // for one event (`SELECT *`): 120 ms → 70 ms. So is a scan that reads `raw` with other
        // filters (the reports that look into the record of the few events of some actions): the
        // cheap columns are filtered first, and `raw` is decoded only for the rows that pass them
        // (the demo's month, release, busy machine: network-exposure-changes 2.0 s → 0.7 s,
        // snapshot-and-image-sharing 1.8 s → 1.1 s). Other scans of many rows are left as they
        // are: there it costs 7–11 %.
        let raw = self.schema.index_of("raw").ok();
        let reads_raw = raw.is_some_and(|raw| projection.is_none_or(|p| p.contains(&raw)))
            || filters.iter().any(|f| f.column_refs().iter().any(|c| c.name == "raw"));
        // A window (time, day, cloud, tenant) keeps most rows of the files it reads: only a
        // filter on what the events are can be selective.
        let window = ["raw", "event_time", "date", "cloud", "tenant"];
        let a_filter_spares_raw = filters.iter().any(|f| {
            let columns = f.column_refs();
            columns.iter().all(|c| c.name != "raw") && columns.iter().any(|c| !window.contains(&c.name.as_str()))
        });
        if wanted.as_ref().is_some_and(Wanted::pins_values) {
            options.global.pushdown_filters = true;
        } else if reads_raw && a_filter_spares_raw {
            options.global.pushdown_filters = true;
            options.global.reorder_filters = true;
        }
        let format = ParquetFormat::default().with_options(options);
        let source = format.file_source(
            TableSchema::builder(file_schema())
                .with_table_partition_cols(self.partitions.clone())
                .build(),
        );
        // Carried with the scan's own counters, so that what a query skipped is read in one place.
        let counters = source.metrics();
        MetricBuilder::new(counters)
            .global_counter(DAYS_LISTED)
            .add(days_listed);
        MetricBuilder::new(counters).global_counter(DAYS).add(days);
        // By name, not a count: a query that scans `events` twice must not count a file twice.
        for (name, files) in [(FILES_RULED_OUT, ruled_out), (FILES_UNINDEXED, unindexed)] {
            MetricBuilder::new(counters).build(MetricValue::Custom {
                name: name.into(),
                value: Arc::new(FileNames::new(files)),
            });
        }
        let url = ObjectStoreUrl::parse(self.location.store_url.as_str())?;
        let config = FileScanConfigBuilder::new(url, source)
            .with_file_groups(groups)
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        let Some(small_files) = &self.small_files else {
            return format.create_physical_plan(state, config).await;
        };
        // As `ParquetFormat::create_physical_plan` makes it, with readers that take small files
        // whole.
        let mut source = config
            .file_source()
            .downcast_ref::<ParquetSource>()
            .cloned()
            .ok_or_else(|| DataFusionError::Internal("the events table scans Parquet".into()))?
            .with_parquet_file_reader_factory(Arc::new(RemoteReaders::new(
                self.location.store.clone(),
                small_files.clone(),
                state.runtime_env().cache_manager.get_file_metadata_cache(),
            )));
        if let Some(hint) = format.metadata_size_hint() {
            source = source.with_metadata_size_hint(hint);
        }
        let config = FileScanConfigBuilder::from(config)
            .with_source(Arc::new(source))
            .build();
        Ok(DataSourceExec::from_data_source(config))
    }
}

/// The filters, plus `date >= 'D1'` / `date <= 'D2'` for every bound on `event_time` among them.
/// Days compare as text, so a bound outside the years 0–9999 (written `+10000-01-01`) is held
/// to them: a window that ends after 9999 still includes 9999-12-31.
pub fn with_date_bounds(filters: &[Expr]) -> Vec<Expr> {
    const FIRST: i64 = -62_167_219_200_000_000; // 0000-01-01T00:00:00Z
    const LAST: i64 = 253_402_300_799_999_999; // 9999-12-31T23:59:59.999999Z
    let mut out = filters.to_vec();
    for filter in filters {
        for (op, micros) in time_bounds(filter) {
            out.push(col("date").binary_op(op, lit(utc_day(micros.clamp(FIRST, LAST)))));
        }
    }
    out
}

trait BinaryOp {
    fn binary_op(self, op: Operator, other: Expr) -> Expr;
}

impl BinaryOp for Expr {
    fn binary_op(self, op: Operator, other: Expr) -> Expr {
        Expr::BinaryExpr(BinaryExpr::new(Box::new(self), op, Box::new(other)))
    }
}

/// Bounds on `event_time` in one filter, as `(operator on date, time)`: `GtEq` for a lower
/// bound, `LtEq` for an upper one. Conjunctions are searched; anything else is left alone.
fn time_bounds(filter: &Expr) -> Vec<(Operator, i64)> {
    match filter {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => {
            let mut both = time_bounds(left);
            both.extend(time_bounds(right));
            both
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (op, value) = match (is_event_time(left), is_event_time(right)) {
                (true, false) => (*op, right.as_ref()),
                (false, true) => match op.swap() {
                    Some(swapped) => (swapped, left.as_ref()),
                    None => return vec![],
                },
                _ => return vec![],
            };
            let Some(t) = micros(value) else { return vec![] };
            match op {
                Operator::Gt | Operator::GtEq => vec![(Operator::GtEq, t)],
                Operator::Lt | Operator::LtEq => vec![(Operator::LtEq, t)],
                Operator::Eq => vec![(Operator::GtEq, t), (Operator::LtEq, t)],
                _ => vec![],
            }
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) if is_event_time(expr) => match (micros(low), micros(high)) {
            (Some(lo), Some(hi)) => vec![(Operator::GtEq, lo), (Operator::LtEq, hi)],
            _ => vec![],
        },
        _ => vec![],
    }
}

/// `event_time` itself, or cast to a timestamp type that keeps its instant. A cast to a date or
/// to text is not (it is taken in a time zone that may move the day), nor one to a coarser unit
/// (it truncates, so `<=` on it admits later instants), nor one that gives a zone-less value a
/// zone other than UTC (it moves the instant).
fn is_event_time(e: &Expr) -> bool {
    instant_zoned(e, &|e| matches!(e, Expr::Column(c) if c.name == "event_time"), true).is_some()
}

/// Whether `e` is `base` cast only to timestamps that keep its instant: `Some(zoned)` if so.
fn instant_zoned(e: &Expr, base: &dyn Fn(&Expr) -> bool, base_zoned: bool) -> Option<bool> {
    if base(e) {
        return Some(base_zoned);
    }
    let (inner, to) = match e {
        Expr::Cast(c) => (&c.expr, c.field.data_type()),
        Expr::TryCast(c) => (&c.expr, c.field.data_type()),
        _ => return None,
    };
    let DataType::Timestamp(unit, zone) = to else {
        return None;
    };
    if !matches!(unit, TimeUnit::Microsecond | TimeUnit::Nanosecond) {
        return None;
    }
    let zoned = instant_zoned(inner, base, base_zoned)?;
    let utc = |z: &str| matches!(z, "UTC" | "+00:00" | "Z");
    match zone {
        Some(z) if !zoned && !utc(z) => None,
        _ => Some(zone.is_some()),
    }
}

/// A timestamp literal as UTC microseconds.
fn micros(e: &Expr) -> Option<i64> {
    let literal = |e: &Expr| matches!(e, Expr::Literal(..));
    let mut value = e;
    while let Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) = value {
        value = expr;
    }
    let Expr::Literal(scalar, _) = value else { return None };
    let zoned = match scalar {
        ScalarValue::TimestampMicrosecond(_, z)
        | ScalarValue::TimestampNanosecond(_, z)
        | ScalarValue::TimestampMillisecond(_, z)
        | ScalarValue::TimestampSecond(_, z) => z.is_some(),
        _ => return None,
    };
    instant_zoned(e, &literal, zoned)?;
    match scalar {
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(v.div_euclid(1000)),
        ScalarValue::TimestampMillisecond(Some(v), _) => v.checked_mul(1000),
        ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1_000_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Expr {
        lit(ScalarValue::TimestampMicrosecond(
            Some(crate::sources::parse_time(s).unwrap()),
            Some("UTC".into()),
        ))
    }

    #[test]
    fn a_bound_on_event_time_adds_the_days_it_implies() {
        let filter = col("event_time")
            .gt_eq(ts("2024-05-01T10:00:00Z"))
            .and(col("event_time").lt(ts("2024-05-03T00:00:00Z")));
        let out = with_date_bounds(std::slice::from_ref(&filter));
        assert_eq!(out.len(), 3);
        assert_eq!(out[1], col("date").binary_op(Operator::GtEq, lit("2024-05-01")));
        assert_eq!(out[2], col("date").binary_op(Operator::LtEq, lit("2024-05-03")));
        let flipped = ts("2024-05-01T00:00:00Z").lt(col("event_time"));
        assert_eq!(
            with_date_bounds(&[flipped])[1],
            col("date").binary_op(Operator::GtEq, lit("2024-05-01"))
        );
    }

    #[test]
    fn a_cast_to_a_date_or_text_is_not_a_bound_on_the_instant() {
        use datafusion::logical_expr::cast;
        let local_day =
            Expr::Cast(Cast::new(Box::new(col("event_time")), DataType::Date32)).gt_eq(ts("2022-02-08T00:00:00Z"));
        assert_eq!(
            with_date_bounds(std::slice::from_ref(&local_day)).len(),
            1,
            "no date bound added"
        );
        let other_unit =
            cast(col("event_time"), DataType::Timestamp(TimeUnit::Nanosecond, None)).gt_eq(ts("2022-02-08T00:00:00Z"));
        assert_eq!(
            with_date_bounds(&[other_unit]).len(),
            2,
            "a timestamp cast keeps the instant"
        );
    }

    #[test]
    fn a_cast_that_truncates_or_moves_the_instant_is_not_a_bound() {
        use datafusion::logical_expr::cast;
        let to = |unit, zone: Option<&str>| DataType::Timestamp(unit, zone.map(Into::into));
        let bound = |e: Expr| with_date_bounds(&[e.lt_eq(ts("2022-02-08T00:00:00Z"))]).len() == 2;
        assert!(!bound(cast(col("event_time"), to(TimeUnit::Second, Some("UTC")))));
        assert!(!bound(cast(col("event_time"), to(TimeUnit::Millisecond, None))));
        let naive = cast(col("event_time"), to(TimeUnit::Microsecond, None));
        assert!(bound(naive.clone()), "the zone dropped, the value is still UTC");
        assert!(bound(cast(naive.clone(), to(TimeUnit::Nanosecond, Some("UTC")))));
        assert!(
            !bound(cast(naive, to(TimeUnit::Microsecond, Some("+02:00")))),
            "read as local time elsewhere, the instant moves"
        );
        assert!(bound(cast(
            col("event_time"),
            to(TimeUnit::Microsecond, Some("+02:00"))
        )));
    }

    #[test]
    fn other_filters_are_left_alone() {
        let filters = [
            col("principal").eq(lit("x")),
            col("event_time")
                .gt_eq(ts("2024-05-01T00:00:00Z"))
                .or(col("cloud").eq(lit("aws"))),
        ];
        assert_eq!(with_date_bounds(&filters), filters.to_vec());
    }
}
