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
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use futures::{Stream, StreamExt};

use super::cluster::{CancelOnDrop, Cluster, ClusterError, Engine};
use super::facts::FactsUsed;
use super::journal::{ArchiveJournal, End, Journal, JournaledReport, Start};
use super::table::EventsTable;
use super::views::Query;
use super::{EngineError, readonly, redact};
use crate::archive::Location;
use crate::archive::layout::EVENTS;

/// How a session treats what leaves it.
#[derive(Clone, Debug)]
pub struct SessionOptions {
    /// Keep leaked secrets hidden (on unless the user asks to reveal them): an archive of this
    /// format holds none outside its sealed tier; one of format 1 is masked as it is read.
    pub redact: bool,
    /// Where every query is recorded (the archive's journal is added when the archive opens);
    /// `None` records nothing, for embedders and tests that are not about the journal.
    pub journal: Option<Journal>,
    /// Answer the principals, resources and timeline views from the file index's facts where
    /// they cover the window's days (off: every view reads the files, as a check of the facts).
    pub facts: bool,
    /// Where queries run: here, or on a Ballista cluster.
    pub engine: Engine,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            redact: true,
            journal: Some(Journal::local(Journal::default_path())),
            facts: true,
            engine: Engine::Local,
        }
    }
}

/// The archive's `events` table, ready for read-only SQL.
pub struct Session {
    ctx: SessionContext,
    /// For a session on a cluster: a context of this process, for what the facts answer.
    local: Option<SessionContext>,
    location: Location,
    options: SessionOptions,
    /// The archive's format version (1: written before secrets were sealed at ingest).
    format: u32,
    /// Results are masked on their way out (secrets hidden in an archive of format 1).
    masks_results: bool,
    /// Who the store's credentials say this reader is, for the journal.
    identity: String,
    /// The newest event's time, found once when first needed (`archive_end()`, default windows).
    end: Arc<OnceLock<Option<i64>>>,
    /// The cluster queries run on, when not here.
    cluster: Option<Cluster>,
}

impl Session {
    /// Opens the archive for queries. An archive without events is an error that says how to
    /// fill it, not an empty table that silently answers nothing.
    pub async fn open(location: Location, options: SessionOptions) -> Result<Self, EngineError> {
        if !location.holds_any(EVENTS).await? {
            return Err(EngineError::EmptyArchive(location.display.clone()));
        }
        let format = crate::archive::format::read(&location).await?.unwrap_or(1);
        let cluster = match &options.engine {
            Engine::Local => None,
            // Checked before anything is sent: the cluster never sees a session that would reveal
            // secrets, nor an archive whose secrets are masked only as it is read.
            Engine::Ballista(_) if !options.redact => return Err(ClusterError::Reveal.into()),
            Engine::Ballista(_) if format < 2 => return Err(ClusterError::Format { format }.into()),
            Engine::Ballista(scheduler) => Some(Cluster::check(scheduler).await?),
        };
        let mut config = SessionConfig::new().with_information_schema(true);
        // Planning does not read every file's footer for table statistics: on a 30-day archive
        // of 1,830 files that alone took 0.4 s of a 0.8 s needle query (`EXPLAIN` 0.44 s → 0.07 s).
        // Files are still pruned by their footers when the scan opens them.
        config.options_mut().execution.collect_statistics = false;
        // DataFusion 55's aggregate dynamic filter gives wrong answers: in `SELECT max(date)
        // FILTER (WHERE cloud = 'gcp'), max(date) FROM events` the filtered max comes back NULL,
        // pruned away by the bound the unfiltered max pushes into the scan. Off until it is fixed
        // (tested in tests/demo.rs).
        config.options_mut().optimizer.enable_aggregate_dynamic_filter_pushdown = false;
        // In object storage the events table reads many files at once in as many groups (see
        // `table`); left to itself the optimizer would merge them back into one group per core,
        // each reading its files one round trip after another.
        if location.local_dir.is_none() {
            config.options_mut().optimizer.repartition_file_scans = false;
        }
        // A bounded memory pool: a query over a large window spills sorts and aggregations to
        // disk, or fails with a clear error, rather than taking the machine's memory.
        let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
            .with_memory_limit(memory_limit(), 1.0)
            .build_arc()
            .map_err(EngineError::from_datafusion)?;
        if cluster.is_some() {
            // Ballista 55's adaptive planner swaps a hash join's inputs after its dynamic filter
            // was built, which fails the job's stage updates and leaves it running forever.
            config.options_mut().optimizer.enable_join_dynamic_filter_pushdown = false;
        }
        let end = Arc::new(OnceLock::new());
        let masks_results = options.redact && format < 2;
        let ctx = context(
            &location,
            config.clone(),
            runtime.clone(),
            cluster.as_ref(),
            &options,
            masks_results,
            &end,
        )
        .await?;
        // A cluster session answers from the file index's facts here: they are the client's to
        // read (a month's facts are megabytes, too many to send with each plan), and a query they
        // answer reads at most the days they do not cover.
        let local = match &cluster {
            Some(_) => Some(context(&location, config, runtime, None, &options, masks_results, &end).await?),
            None => None,
        };
        let mut options = options;
        if let Some(journal) = options.journal.take() {
            options.journal = Some(journal.with_archive(ArchiveJournal::open(&location).await?));
        }
        let identity = location.identity().await;
        Ok(Session {
            ctx,
            local,
            location,
            options,
            format,
            masks_results,
            identity,
            end,
            cluster,
        })
    }

    /// Where this session's queries run (`local`, `ballista://HOST:PORT`).
    pub fn engine(&self) -> &Engine {
        &self.options.engine
    }

    /// The cluster this session's queries run on, as it was found when the session opened.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_ref()
    }

    /// A DataFusion error as this session says it: in words of the cluster where the query ran
    /// there (`here`: it ran in this process).
    fn error(&self, e: datafusion::error::DataFusionError, here: bool) -> EngineError {
        match self.cluster.as_ref().filter(|_| !here).and_then(|c| c.said(&e)) {
            Some(said) => said.into(),
            None => EngineError::from_datafusion(e),
        }
    }

    /// Where this session records its queries.
    pub fn journal(&self) -> Option<&Journal> {
        self.options.journal.as_ref()
    }

    /// The archive's format version (1: written before secrets were sealed at ingest, so they
    /// are masked as results are read until `compact` migrates it).
    pub fn format(&self) -> u32 {
        self.format
    }

    /// Whether results are masked as they are read (an archive of format 1 not revealed).
    pub fn masks_results(&self) -> bool {
        self.masks_results
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
            facts: None,
        })
        .await
    }

    /// Runs a query with its bound values and streams its result.
    pub async fn run(&self, query: &Query) -> Result<ResultStream, EngineError> {
        self.run_as(query, None).await
    }

    /// Runs a saved report's bound query (from [`Report::bind`]) and streams its result; the
    /// journal records which report it was, and the file a user's report was read from.
    ///
    /// [`Report::bind`]: super::reports::Report::bind
    pub async fn run_report(
        &self,
        query: &Query,
        report: &super::reports::Report,
    ) -> Result<ResultStream, EngineError> {
        self.run_as(query, Some(&JournaledReport::of(report))).await
    }

    async fn run_as(&self, query: &Query, report: Option<&JournaledReport>) -> Result<ResultStream, EngineError> {
        if let Err(refused) = readonly::check(&query.sql) {
            // A refused attempt is access too: it is recorded.
            // Refused here: it never reaches a cluster.
            let start = self.start(query, "query", report, true);
            self.record_start(&start).await?;
            self.unended(&start).finish(0, format!("refused: {refused}"));
            return Err(refused);
        }
        self.prepare(&query.sql).await?;
        // A revealed session reads the files: facts hold masked values only.
        let facts = self.options.facts && self.options.redact && !self.masks_results;
        let answered = match &query.facts {
            Some(view) if facts => super::facts::answer(self.here(), &self.location, query, view).await,
            _ => None,
        };
        match answered {
            // The plan holds the facts it reads; their table goes with `answered`, once the
            // query is planned or dropped.
            Some(answered) => self.execute(&answered.query, report, true).await.map(|mut s| {
                s.facts = Some(answered.used);
                s
            }),
            None => self.execute(query, report, false).await,
        }
    }

    /// The context that runs queries in this process (a cluster session's local one).
    fn here(&self) -> &SessionContext {
        self.local.as_ref().unwrap_or(&self.ctx)
    }

    /// The journal's record of a query about to run. What the journal keeps of SQL and values
    /// is masked: a query may quote a secret (a search for it), and the journal is read by others.
    fn start(&self, query: &Query, kind: &str, report: Option<&JournaledReport>, here: bool) -> Start {
        let masked = |t: &str| crate::secrets::mask_text(t).into_owned();
        Start {
            id: ulid::Ulid::new().to_string(),
            time: chrono::Utc::now().to_rfc3339(),
            user: crate::identity::local_user(),
            identity: self.identity.clone(),
            host: crate::identity::host(),
            archive: self.location.display.clone(),
            sql: masked(&query.sql),
            params: query
                .params
                .iter()
                .map(|(k, v)| (k.clone(), masked(&super::views::display_value(v))))
                .collect::<BTreeMap<_, _>>(),
            kind: kind.to_string(),
            report: report.cloned(),
            revealed: !self.options.redact,
            engine: match &self.options.engine {
                Engine::Ballista(_) if !here => self.options.engine.to_string(),
                _ => String::new(),
            },
        }
    }

    /// Records a query's start; a query that must be recorded in the archive and cannot be does
    /// not run.
    async fn record_start(&self, start: &Start) -> Result<(), EngineError> {
        match &self.options.journal {
            Some(journal) => journal.start(start).await.map_err(|e| EngineError::NotJournaled(e.0)),
            None => Ok(()),
        }
    }

    /// The query whose start was just recorded, until its end is.
    fn unended(&self, start: &Start) -> Unended {
        Unended {
            journal: self.options.journal.clone().map(|j| (j, start.id.clone())),
            revealed: start.revealed,
        }
    }

    /// Plans and starts a checked query, journaled; `here`: in this process even in a cluster
    /// session.
    async fn execute(
        &self,
        query: &Query,
        report: Option<&JournaledReport>,
        here: bool,
    ) -> Result<ResultStream, EngineError> {
        let cluster = self.cluster.as_ref().filter(|_| !here);
        let ctx = if here { self.here() } else { &self.ctx };
        let start = self.start(query, "query", report, here);
        self.record_start(&start).await?;
        // From here on the query's end is recorded however it ends, even if this future is
        // dropped while the query is planned (Ctrl+C, the workbench moving on).
        let mut unended = self.unended(&start);
        let planned = async {
            let options = SQLOptions::new()
                .with_allow_ddl(false)
                .with_allow_dml(false)
                .with_allow_statements(false);
            let mut frame = ctx.sql_with_options(&query.sql, options).await?;
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
                cancel: cluster.map(|c| CancelOnDrop::new(plan.clone(), c.scheduler.clone())),
                cluster: cluster.cloned(),
                plan,
                finished: false,
                redact: self.masks_results,
                unended,
                rows: 0,
                failed: None,
                facts: None,
            }),
            Err(e) => {
                let error = self.error(e, here);
                unended.finish(0, format!("failed: {error}"));
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

    /// The value of one SQL expression (a report parameter's default). It is journaled like a
    /// query: a default is SQL too, and could read the archive.
    pub async fn scalar(&self, sql: &str) -> Result<ScalarValue, EngineError> {
        let start = self.start(
            &Query {
                title: String::new(),
                sql: sql.to_string(),
                params: Vec::new(),
                facts: None,
            },
            "parameter default",
            None,
            true,
        );
        self.record_start(&start).await?;
        let mut unended = self.unended(&start);
        let value = self.evaluate(sql).await;
        match &value {
            Ok(_) => unended.finish(1, "completed".into()),
            Err(e) => unended.finish(0, format!("failed: {e}")),
        }
        value
    }

    async fn evaluate(&self, sql: &str) -> Result<ScalarValue, EngineError> {
        readonly::check(sql)?;
        self.prepare(sql).await?;
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        // A default is a value to fill in a form (`archive_end() - INTERVAL '7 days'`): it is
        // worked out here, not sent to a cluster as a job.
        let frame = self
            .here()
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
        // An event dated after tomorrow is a broken clock or a forged record (ingest refuses
        // them; an archive of format 1 may hold some): the data's end is the newest real one.
        let tomorrow = crate::archive::layout::utc_day(chrono::Utc::now().timestamp_micros() + 86_400_000_000);
        days.retain(|d| *d <= tomorrow);
        // The newest day that holds an event: a day folder can be empty (a rolled-back batch).
        let mut end = None;
        // Read from the archive's files directly (not through a masking or revealing view): it is
        // trailscope's own bookkeeping, one column no secret is in, and reads nothing sealed.
        let table: Arc<dyn datafusion::catalog::TableProvider> = Arc::new(EventsTable::new(self.location.clone()));
        for day in days.into_iter().rev().take(31) {
            // The file index knows each file's newest event: when it covers every file of the
            // day, the end is read from it (one object) rather than from the day's files (one
            // request each: 1,000 at 20 ms for an organisation's day in object storage).
            if let Some(indexed) = self.indexed_end(&day).await {
                end = indexed;
                if end.is_some() {
                    break;
                }
                continue;
            }
            use datafusion::functions_aggregate::expr_fn::max;
            use datafusion::logical_expr::{col, lit};
            // Bookkeeping of this process (one day's newest time), not a query sent to a cluster.
            let batches: Vec<RecordBatch> = self
                .here()
                .read_table(table.clone())
                .and_then(|f| f.filter(col("date").eq(lit(day))))
                .and_then(|f| f.aggregate(vec![], vec![max(col("event_time"))]))
                .map_err(EngineError::from_datafusion)?
                .collect()
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

    /// The newest event of `day` by the file index, if it has an entry for every visible file of
    /// the day (`Some(None)`: they hold no rows); `None` when it cannot tell.
    async fn indexed_end(&self, day: &str) -> Option<Option<i64>> {
        let folders = [format!("{EVENTS}/date={day}")];
        let days = [day.to_string()];
        let (files, index) = futures::join!(
            crate::archive::changes::visible_files(&self.location, &folders),
            crate::archive::file_index::read(&self.location, &days, &[]),
        );
        let (files, index) = (files.ok()?, index.ok()?);
        let mut newest = None;
        for file in &files {
            let entry = index.get(&file.location)?;
            newest = newest.max(entry.time.map(|(_, last)| last));
        }
        Some(newest)
    }
}

/// A context of `config` and `runtime` with `events` and trailscope's functions, running its
/// plans here or on `cluster`.
async fn context(
    location: &Location,
    config: SessionConfig,
    runtime: Arc<datafusion::execution::runtime_env::RuntimeEnv>,
    cluster: Option<&Cluster>,
    options: &SessionOptions,
    masks_results: bool,
    end: &Arc<OnceLock<Option<i64>>>,
) -> Result<SessionContext, EngineError> {
    let mut ctx = match cluster {
        None => SessionContext::new_with_config_rt(config, runtime),
        Some(cluster) => cluster.context(config, runtime).map_err(EngineError::from_datafusion)?,
    };
    ctx.register_object_store(&location.store_url, location.store.clone());
    datafusion_functions_json::register_all(&mut ctx).map_err(EngineError::from_datafusion)?;

    let events: Arc<dyn datafusion::catalog::TableProvider> = Arc::new(EventsTable::new(location.clone()));
    let events = if masks_results {
        // These two rules move leaf expressions (json_get_str(raw, …)) below projections and,
        // in DataFusion 55, let other uses of `raw` bypass the masking projection. Without them
        // no SQL can read an unmasked column.
        ctx.remove_optimizer_rule("extract_leaf_expressions");
        ctx.remove_optimizer_rule("push_down_leaf_projections");
        masked(events)?
    } else if !options.redact && crate::archive::seal::holds_records(location).await? {
        // As above: the view's join names `source_index` twice, which these rules, pushing
        // `json_get_str(raw, …)` below the view's projection, would make ambiguous.
        ctx.remove_optimizer_rule("extract_leaf_expressions");
        ctx.remove_optimizer_rule("push_down_leaf_projections");
        super::sealed::revealed(location).map_err(EngineError::from_datafusion)?
    } else {
        events
    };
    ctx.register_table("events", events)
        .map_err(EngineError::from_datafusion)?;
    ctx.register_udf(super::functions::archive_end(end.clone()));
    for f in super::detect::udf::functions() {
        ctx.register_udf(f.as_ref().clone());
    }
    Ok(ctx)
}

/// The query memory pool: a third of the machine's memory, at least 1 GiB, at most 16 GiB.
pub(crate) fn memory_limit() -> usize {
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

/// `events` of an archive of format 1 as every query sees it when secrets are to stay hidden:
/// the same table with every text column masked before any SQL reads it, so no function
/// (`json_get_str`, `substr`, a cast whose error prints the value) can take a secret out. The
/// unmasked table is not in the catalog: no name reaches it.
fn masked(
    events: Arc<dyn datafusion::catalog::TableProvider>,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>, EngineError> {
    use datafusion::logical_expr::{LogicalPlanBuilder, col};
    let function = |name: &str| super::functions::shared_by_name(name).expect("one of ours");
    let (mask_record, mask_text) = (
        function(super::functions::MASK_RECORD),
        function(super::functions::MASK_TEXT),
    );
    let schema = events.schema();
    let source = datafusion::catalog::default_table_source::provider_as_source(events);
    let scan = LogicalPlanBuilder::scan("events", source, None).map_err(EngineError::from_datafusion)?;
    let columns: Vec<datafusion::logical_expr::Expr> = schema
        .fields()
        .iter()
        .map(|f| {
            let c = col(f.name().as_str());
            match (f.name().as_str(), f.data_type()) {
                ("raw", _) => mask_record.call(vec![c]).alias(f.name()),
                // Partitions come from paths, which hold no record's text.
                ("date" | "cloud" | "tenant", _) => c,
                (_, DataType::Utf8) => mask_text.call(vec![c]).alias(f.name()),
                _ => c,
            }
        })
        .collect();
    let plan = scan
        .project(columns)
        .and_then(|b| b.build())
        .map_err(EngineError::from_datafusion)?;
    Ok(Arc::new(datafusion::catalog::view::ViewTable::new(plan, None)))
}

/// A query's result as it arrives: secrets masked (unless revealed), rows counted, and the
/// query recorded in the journal when the stream ends or is dropped.
pub struct ResultStream {
    inner: SendableRecordBatchStream,
    /// The running plan, whose scans count what they pruned.
    plan: Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    /// For a query on a cluster: its job there, cancelled if the stream is dropped unfinished.
    cancel: Option<CancelOnDrop>,
    /// The cluster the query runs on, if not here (its errors are said in its words).
    cluster: Option<Cluster>,
    /// The stream has ended (so the scans' counts are final).
    finished: bool,
    redact: bool,
    /// Where the query's end is recorded.
    unended: Unended,
    rows: u64,
    failed: Option<String>,
    /// What the file index's facts answered, when they did.
    facts: Option<FactsUsed>,
}

impl ResultStream {
    /// The cluster the query runs on (`None`: here).
    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_ref()
    }

    /// The query's job on its cluster, once the scheduler has taken it (`None` on the local
    /// engine).
    pub fn cluster_job(&self) -> Option<String> {
        self.cancel.as_ref().and_then(CancelOnDrop::job)
    }

    /// What the file index's facts answered, when they did.
    pub fn facts(&self) -> Option<FactsUsed> {
        self.facts
    }

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

    /// Records how the query ended, once: a failure to record is said (on the journal's
    /// notices), never made the query's failure.
    fn record(&mut self, outcome: String) {
        self.unended.finish(self.rows, outcome);
    }

    /// Ends the query early for a reason of the reader's (the output was closed, Ctrl+C), and
    /// records that reason instead of "cancelled".
    pub fn interrupt(mut self, why: &str) {
        self.record(format!("interrupted: {why}"));
    }
}

impl Stream for ResultStream {
    type Item = DfResult<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.poll_next_unpin(cx);
        match &polled {
            Poll::Ready(Some(Ok(batch))) => {
                self.rows += batch.num_rows() as u64;
                if self.redact {
                    let masked = redact::mask_batch(batch);
                    return Poll::Ready(Some(Ok(masked)));
                }
            }
            Poll::Ready(Some(Err(e))) => {
                if let Some(said) = self.cluster.as_ref().and_then(|c| c.said(e)) {
                    self.failed = Some(said.to_string());
                    return Poll::Ready(Some(Err(said.into_datafusion())));
                }
                self.failed = Some(e.to_string())
            }
            Poll::Ready(None) => {
                self.finished = true;
                if let Some(cancel) = &mut self.cancel {
                    cancel.finished();
                }
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
        let outcome = match (self.failed.take(), INTERRUPTED.get()) {
            (Some(e), _) => format!("failed: {e}"),
            (None, Some(signal)) => format!("interrupted: {signal}"),
            (None, None) => "cancelled".to_string(),
        };
        self.record(outcome);
    }
}

/// A query whose start is in the journal and whose end is not yet: its end is recorded once,
/// by `finish`, or when it is dropped (cancelled, or interrupted by a signal).
struct Unended {
    journal: Option<(Journal, String)>,
    /// The query read revealed secrets: an error it met may quote one, so only its class is
    /// recorded (the journal is read by others).
    revealed: bool,
}

impl Unended {
    fn finish(&mut self, rows: u64, outcome: String) {
        if let Some((journal, id)) = self.journal.take() {
            let outcome = match outcome.split_once(": ") {
                Some((class, _)) if self.revealed && class == "failed" => {
                    "failed (the message is not recorded: the query read revealed secrets)".to_string()
                }
                _ => crate::secrets::mask_text(&outcome).into_owned(),
            };
            journal.end(End {
                id,
                ended: chrono::Utc::now().to_rfc3339(),
                rows,
                outcome,
            });
        }
    }
}

impl Drop for Unended {
    fn drop(&mut self) {
        let outcome = match INTERRUPTED.get() {
            Some(signal) => format!("interrupted: {signal}"),
            None => "cancelled".to_string(),
        };
        self.finish(0, outcome);
    }
}

/// The signal that is ending the process, once one has.
static INTERRUPTED: OnceLock<&'static str> = OnceLock::new();

/// Says that the process is being ended by `signal` (Ctrl+C, SIGTERM): queries dropped from now
/// on record that they were interrupted by it, not cancelled by the user.
pub fn interrupted(signal: &'static str) {
    let _ = INTERRUPTED.set(signal);
}
