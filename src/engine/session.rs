//! An archive opened for SQL: one DataFusion session with `events` registered over `events/`.
//!
//! The session is made here and only here, so that another DataFusion engine of the same
//! version (Ballista) can later take its place without touching views, reports or the TUI.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::Result as DfResult;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use futures::{Stream, StreamExt, TryStreamExt};

use super::journal::{Journal, JournalEntry, current_user};
use super::table::EventsTable;
use super::views::Query;
use super::{EngineError, readonly, redact};
use crate::archive::Location;
use crate::archive::layout::EVENTS;

/// How a session treats what leaves it.
#[derive(Clone, Debug)]
pub struct SessionOptions {
    /// Mask leaked secrets in every result (on unless the user asks to reveal them).
    pub redact: bool,
    /// Where every query is recorded; `None` records nothing.
    pub journal: Option<Journal>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            redact: true,
            journal: Journal::default_path().map(Journal::at),
        }
    }
}

/// The archive's `events` table, ready for read-only SQL.
pub struct Session {
    ctx: SessionContext,
    location: Location,
    options: SessionOptions,
    /// The newest event's time, found once when first needed (`archive_end()`, default windows).
    end: Arc<OnceLock<Option<i64>>>,
}

impl Session {
    /// Opens the archive for queries. An archive without events is an error that says how to
    /// fill it, not an empty table that silently answers nothing.
    pub async fn open(location: Location, options: SessionOptions) -> Result<Self, EngineError> {
        if !location.holds_any(EVENTS).await? {
            return Err(EngineError::EmptyArchive(location.display.clone()));
        }
        let mut config = SessionConfig::new().with_information_schema(true);
        // Planning does not read every file's footer for table statistics: on a 30-day archive
        // of 1,830 files that alone took 0.4 s of a 0.8 s needle query (`EXPLAIN` 0.44 s → 0.07 s).
        // Files are still pruned by their footers when the scan opens them.
        config.options_mut().execution.collect_statistics = false;
        // A bounded memory pool: a query over a large window spills sorts and aggregations to
        // disk, or fails with a clear error, rather than taking the machine's memory.
        let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
            .with_memory_limit(memory_limit(), 1.0)
            .build_arc()
            .map_err(EngineError::from_datafusion)?;
        let mut ctx = SessionContext::new_with_config_rt(config, runtime);
        ctx.register_object_store(&location.store_url, location.store.clone());
        datafusion_functions_json::register_all(&mut ctx).map_err(EngineError::from_datafusion)?;

        let events: Arc<dyn datafusion::catalog::TableProvider> = Arc::new(EventsTable::new(location.clone()));
        let events = if options.redact {
            // These two rules move leaf expressions (json_get_str(raw, …)) below projections and,
            // in DataFusion 55, let other uses of `raw` bypass the masking projection. Without them
            // no SQL can read an unmasked `raw`.
            ctx.remove_optimizer_rule("extract_leaf_expressions");
            ctx.remove_optimizer_rule("push_down_leaf_projections");
            masked(events)?
        } else {
            events
        };
        ctx.register_table("events", events)
            .map_err(EngineError::from_datafusion)?;
        let end = Arc::new(OnceLock::new());
        ctx.register_udf(archive_end_udf(end.clone()));
        Ok(Session {
            ctx,
            location,
            options,
            end,
        })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Whether leaked secrets are masked in this session's results.
    pub fn redacts(&self) -> bool {
        self.options.redact
    }

    /// Every function SQL can call here (built-in, JSON and ours), sorted: the editor completes them.
    pub fn function_names(&self) -> Vec<String> {
        let state = self.ctx.state();
        let mut names: Vec<String> = state
            .scalar_functions()
            .keys()
            .chain(state.aggregate_functions().keys())
            .chain(state.window_functions().keys())
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Runs one read-only statement typed by the user and streams its result.
    pub async fn sql(&self, sql: &str) -> Result<ResultStream, EngineError> {
        self.run(&Query {
            title: String::new(),
            sql: sql.to_string(),
            params: Vec::new(),
        })
        .await
    }

    /// Runs a query with its bound values and streams its result.
    pub async fn run(&self, query: &Query) -> Result<ResultStream, EngineError> {
        if let Err(refused) = readonly::check(&query.sql) {
            // A refused attempt is access too: it is recorded.
            if let Some(journal) = &self.options.journal {
                let mut entry = self.entry(query);
                entry.outcome = format!("refused: {refused}");
                let _ = journal.append(&entry);
            }
            return Err(refused);
        }
        self.prepare(&query.sql).await?;
        self.execute(query, true).await
    }

    fn entry(&self, query: &Query) -> JournalEntry {
        JournalEntry {
            time: chrono::Utc::now().to_rfc3339(),
            user: current_user(),
            archive: self.location.display.clone(),
            sql: query.sql.clone(),
            params: query
                .params
                .iter()
                .map(|(k, v)| (k.clone(), super::views::display_value(v)))
                .collect::<BTreeMap<_, _>>(),
            rows: 0,
            outcome: String::new(),
            revealed: !self.options.redact,
        }
    }

    /// Plans and starts a checked query; `journaled` is false only for trailscope's own
    /// bookkeeping (the newest event's time), which reads no event for the user.
    async fn execute(&self, query: &Query, journaled: bool) -> Result<ResultStream, EngineError> {
        let mut entry = self.entry(query);
        let journal = if journaled { self.options.journal.clone() } else { None };
        let planned = async {
            let options = SQLOptions::new()
                .with_allow_ddl(false)
                .with_allow_dml(false)
                .with_allow_statements(false);
            let mut frame = self.ctx.sql_with_options(&query.sql, options).await?;
            if !query.params.is_empty() {
                frame = frame.with_param_values(query.params.clone())?;
            }
            let task = frame.task_ctx();
            let plan = frame.create_physical_plan().await?;
            let stream = datafusion::physical_plan::execute_stream(plan.clone(), Arc::new(task))?;
            Ok((plan, stream))
        };
        match planned.await {
            Ok((plan, stream)) => Ok(ResultStream {
                inner: stream,
                plan,
                finished: false,
                redact: self.options.redact,
                journal,
                entry: Some(entry),
                failed: None,
            }),
            Err(e) => {
                let error = EngineError::from_datafusion(e);
                if let Some(journal) = &journal {
                    entry.outcome = format!("failed: {error}");
                    // The journal must not turn a query error into a different one.
                    let _ = journal.append(&entry);
                }
                Err(error)
            }
        }
    }

    /// Finds what the SQL's `archive_end()` needs before it runs.
    async fn prepare(&self, sql: &str) -> Result<(), EngineError> {
        if sql.to_ascii_lowercase().contains("archive_end") {
            self.archive_end().await?;
        }
        Ok(())
    }

    /// The value of one SQL expression (a report parameter's default), not journaled: it reads
    /// nothing of the archive but, at most, the newest event's time.
    pub async fn scalar(&self, sql: &str) -> Result<ScalarValue, EngineError> {
        readonly::check(sql)?;
        self.prepare(sql).await?;
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let frame = self
            .ctx
            .sql_with_options(sql, options)
            .await
            .map_err(EngineError::from_datafusion)?;
        let batches = frame.collect().await.map_err(EngineError::from_datafusion)?;
        let batch = batches
            .iter()
            .find(|b| b.num_rows() > 0)
            .ok_or_else(|| EngineError::Sql(format!("{sql} returned no value")))?;
        ScalarValue::try_from_array(batch.column(0), 0).map_err(EngineError::from_datafusion)
    }

    /// The archive's first day with a visible file (`YYYY-MM-DD`), from listings alone.
    pub async fn first_day(&self) -> Result<Option<String>, EngineError> {
        let folders = self.location.folders(EVENTS).await?;
        // A day folder can be empty (a rolled-back batch's): the first few are looked into.
        for folder in folders.iter().filter(|f| f.starts_with("date=")).take(31) {
            let files = crate::archive::changes::visible_files(&self.location, &[format!("{EVENTS}/{folder}")]).await?;
            if !files.is_empty() {
                return Ok(folder.strip_prefix("date=").map(str::to_string));
            }
        }
        Ok(None)
    }

    /// The newest event's time, found by reading only the newest day's folder.
    pub async fn archive_end(&self) -> Result<Option<i64>, EngineError> {
        if let Some(end) = self.end.get() {
            return Ok(*end);
        }
        let mut days: Vec<String> = self
            .location
            .folders(EVENTS)
            .await?
            .iter()
            .filter_map(|f| f.strip_prefix("date=").map(str::to_string))
            .collect();
        days.sort();
        // The newest day that holds an event: a day folder can be empty (a rolled-back batch).
        let mut end = None;
        for day in days.into_iter().rev().take(31) {
            let query = Query {
                title: "The archive's newest event".into(),
                sql: "SELECT max(event_time) FROM events WHERE date = $day".into(),
                params: vec![("day".into(), ScalarValue::Utf8(Some(day)))],
            };
            let batches: Vec<RecordBatch> = self
                .execute(&query, false)
                .await?
                .try_collect()
                .await
                .map_err(EngineError::from_datafusion)?;
            let value = batches
                .first()
                .filter(|b| b.num_rows() > 0)
                .map(|b| b.column(0).clone());
            end = value.and_then(|column| {
                let times =
                    datafusion::arrow::compute::cast(&column, &DataType::Timestamp(TimeUnit::Microsecond, None))
                        .ok()?;
                let times = times
                    .as_any()
                    .downcast_ref::<datafusion::arrow::array::TimestampMicrosecondArray>()?;
                (!times.is_null(0)).then(|| times.value(0))
            });
            if end.is_some() {
                break;
            }
        }
        let _ = self.end.set(end);
        Ok(end)
    }
}

/// The query memory pool: a third of the machine's memory, at least 1 GiB, at most 16 GiB.
fn memory_limit() -> usize {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .map(|v| v.trim().trim_end_matches(" kB").trim().to_string())
            })
        })
        .and_then(|kb| kb.parse::<usize>().ok())
        .map_or(8 << 30, |kb| kb * 1024);
    (total / 3).clamp(1 << 30, 16 << 30)
}

/// `events` as every query sees it when secrets are to stay hidden: the same table with `raw` and
/// `error_message` masked before any SQL reads them, so no function (`json_get_str`, `substr`)
/// can take a secret out. The unmasked table is not in the catalog: no name reaches it.
fn masked(
    events: Arc<dyn datafusion::catalog::TableProvider>,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>, EngineError> {
    use datafusion::logical_expr::{LogicalPlanBuilder, col};
    let mask = Arc::new(create_udf(
        "mask_secrets",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            Ok(ColumnarValue::Array(redact::mask_column(&arrays[0])))
        }),
    ));
    let schema = events.schema();
    let source = datafusion::catalog::default_table_source::provider_as_source(events);
    let scan = LogicalPlanBuilder::scan("events", source, None).map_err(EngineError::from_datafusion)?;
    let columns: Vec<datafusion::logical_expr::Expr> = schema
        .fields()
        .iter()
        .map(|f| {
            let c = col(f.name().as_str());
            if matches!(f.name().as_str(), "raw" | "error_message") {
                mask.call(vec![c]).alias(f.name())
            } else {
                c
            }
        })
        .collect();
    let plan = scan
        .project(columns)
        .and_then(|b| b.build())
        .map_err(EngineError::from_datafusion)?;
    Ok(Arc::new(datafusion::catalog::view::ViewTable::new(plan, None)))
}

/// `archive_end()`: the newest event's time in the archive (the wall clock's now for an
/// archive without events), so that report defaults follow the data, not the calendar.
fn archive_end_udf(end: Arc<OnceLock<Option<i64>>>) -> datafusion::logical_expr::ScalarUDF {
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let fun = Arc::new(move |_: &[ColumnarValue]| {
        let t = end
            .get()
            .copied()
            .flatten()
            .unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
        Ok(ColumnarValue::Scalar(ScalarValue::TimestampMicrosecond(
            Some(t),
            Some("UTC".into()),
        )))
    });
    create_udf("archive_end", vec![], utc, Volatility::Stable, fun)
}

/// A query's result as it arrives: secrets masked (unless revealed), rows counted, and the
/// query recorded in the journal when the stream ends or is dropped.
pub struct ResultStream {
    inner: SendableRecordBatchStream,
    /// The running plan, whose scans count what they pruned.
    plan: Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    /// The stream has ended (so the scans' counts are final).
    finished: bool,
    redact: bool,
    journal: Option<Journal>,
    entry: Option<JournalEntry>,
    failed: Option<String>,
}

impl ResultStream {
    /// Files and row groups the query read and skipped, once the stream has ended (`None`
    /// before, or when the query read no Parquet). A walk of the plan's counters: no I/O.
    pub fn pruning(&self) -> Option<super::Pruning> {
        if !self.finished {
            return None;
        }
        super::Pruning::of(&self.plan)
    }

    /// The same counters while the stream is still being read: what the scans did so far
    /// (exact once the query is past its scans, as an aggregate is before its first row).
    pub fn pruning_so_far(&self) -> Option<super::Pruning> {
        super::Pruning::of(&self.plan)
    }

    fn record(&mut self, outcome: String) {
        if let (Some(journal), Some(mut entry)) = (&self.journal, self.entry.take()) {
            entry.outcome = outcome;
            // A full disk must not hide the result the user asked for; it is reported instead.
            if let Err(e) = journal.append(&entry) {
                eprintln!(
                    "trailscope: could not record the query in the access journal {}: {e}",
                    journal.path().display()
                );
            }
        }
    }
}

impl Stream for ResultStream {
    type Item = DfResult<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.poll_next_unpin(cx);
        match &polled {
            Poll::Ready(Some(Ok(batch))) => {
                let rows = batch.num_rows() as u64;
                if let Some(entry) = self.entry.as_mut() {
                    entry.rows += rows;
                }
                if self.redact {
                    let masked = redact::mask_batch(batch);
                    return Poll::Ready(Some(Ok(masked)));
                }
            }
            Poll::Ready(Some(Err(e))) => self.failed = Some(e.to_string()),
            Poll::Ready(None) => {
                self.finished = true;
                let outcome = self
                    .failed
                    .take()
                    .map_or_else(|| "completed".to_string(), |e| format!("failed: {e}"));
                self.record(outcome);
            }
            Poll::Pending => {}
        }
        polled
    }
}

impl RecordBatchStream for ResultStream {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}

impl Drop for ResultStream {
    fn drop(&mut self) {
        let outcome = self
            .failed
            .take()
            .map_or_else(|| "cancelled".to_string(), |e| format!("failed: {e}"));
        self.record(outcome);
    }
}
