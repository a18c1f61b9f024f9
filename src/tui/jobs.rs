//! Queries on background tasks. A pane's rows come from a *feed*: a task that runs the query,
//! sends the first rows, then holds the stream open and reads more only when asked. Dropping a
//! feed aborts its task, which drops the stream and stops the query for real. Each feed has a
//! number; rows that arrive for a number no pane holds any more are stale and dropped.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::pane::KEEP_ROWS;
use super::rules::{Detection, Found, Rules, RulesCell, RulesSource};
use crate::engine::cells::values;
use crate::engine::reports::Report;
use crate::engine::{Pruning, Query, Session, TimeWindow, Value};

/// What a feed runs: a ready query, a report whose parameters are bound first (binding
/// evaluates their defaults, which is a query too), or detection rules (the engine plans their
/// scan; what they found comes back whole, as `Message::Detected`).
#[derive(Clone, Debug)]
pub enum Request {
    Query(Query),
    Report(Box<Report>, Vec<(String, String)>),
    Detect(Detection),
}

impl Request {
    fn title(&self) -> String {
        match self {
            Request::Query(q) => q.title.clone(),
            Request::Report(r, _) => r.title.clone(),
            Request::Detect(d) => d.title(),
        }
    }
}

/// What the tasks tell the loop.
#[derive(Debug)]
pub enum Message {
    Rows {
        feed: u64,
        columns: Vec<String>,
        /// The row number of the first row.
        skip: usize,
        rows: Vec<Vec<Value>>,
        complete: bool,
        elapsed: Duration,
        /// The query as run (a report's, with its values bound); sent with the first rows.
        query: Option<Query>,
        /// What the query read and skipped: so far, then once the whole result was read.
        read: Option<Read>,
    },
    Failed {
        feed: u64,
        message: String,
        /// The report parameter whose value was refused before its query ran.
        refused: Option<String>,
    },
    Exported {
        path: PathBuf,
        outcome: Result<u64, String>,
        elapsed: Duration,
    },
    /// Something the user must know that no pane asked for (a query the journal could not
    /// record in the archive).
    Notice(String),
    /// What a run of detection rules found.
    Detected {
        feed: u64,
        found: Arc<Found>,
        elapsed: Duration,
        read: Option<Read>,
    },
}

/// What a query read and skipped, as the engine counted it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Read {
    /// Days the file index's facts answered (their files were not read).
    pub facts_days: Option<usize>,
    pub pruning: Option<Pruning>,
    /// The counts are of the scans so far: the query has not ended.
    pub so_far: bool,
    /// Store requests made while the query ran (all the workbench's, with others running).
    pub requests: u64,
}

struct Feed {
    title: String,
    more: UnboundedSender<usize>,
    busy: Arc<AtomicBool>,
    /// Rows read so far; `None` for a detection, whose scan the engine reads to the end itself.
    rows: Option<Arc<AtomicU64>>,
    started: Instant,
    handle: JoinHandle<()>,
}

struct Export {
    path: PathBuf,
    rows: Arc<AtomicU64>,
    started: Instant,
    handle: JoinHandle<()>,
}

/// Something running, for the status bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Running {
    pub what: String,
    pub elapsed: Duration,
    /// Rows read so far, when the task counts them.
    pub rows: Option<u64>,
}

pub struct Jobs {
    session: Arc<Session>,
    tell: UnboundedSender<Message>,
    feeds: HashMap<u64, Feed>,
    export: Option<Export>,
    /// The detection rules, loaded by the first detection run.
    rules: RulesCell,
}

impl Jobs {
    pub fn new(session: Arc<Session>, tell: UnboundedSender<Message>) -> Self {
        Jobs {
            session,
            tell,
            feeds: HashMap::new(),
            export: None,
            rules: RulesCell::default(),
        }
    }

    /// Runs detections with these rules rather than the config file's.
    pub fn with_rules(self, rules: Rules) -> Self {
        let source = RulesSource::default();
        let _ = source.loaded.set(Ok(Arc::new(rules)));
        Jobs {
            rules: Arc::new(source),
            ..self
        }
    }

    /// Runs detections with the built-in rules, these folders' and this suppression file.
    pub fn with_rule_files(self, dirs: Vec<std::path::PathBuf>, suppressions: Option<std::path::PathBuf>) -> Self {
        Jobs {
            rules: Arc::new(RulesSource {
                dirs,
                suppressions,
                ..RulesSource::default()
            }),
            ..self
        }
    }

    /// Starts feed `id`: runs the request, skips `skip` rows, sends the next `first` rows.
    pub fn start(&mut self, id: u64, request: Request, skip: usize, first: usize) {
        let (more_tx, more_rx) = unbounded_channel();
        let busy = Arc::new(AtomicBool::new(true));
        let title = request.title();
        let (handle, rows) = match request {
            Request::Detect(detection) => {
                let task = super::rules::feed(
                    self.session.clone(),
                    id,
                    detection,
                    self.rules.clone(),
                    self.tell.clone(),
                    busy.clone(),
                );
                (tokio::spawn(task), None)
            }
            request => {
                let rows = Arc::new(AtomicU64::new(0));
                let task = feed(
                    self.session.clone(),
                    id,
                    request,
                    skip,
                    first,
                    more_rx,
                    self.tell.clone(),
                    busy.clone(),
                    rows.clone(),
                );
                (tokio::spawn(task), Some(rows))
            }
        };
        let feed = Feed {
            title,
            more: more_tx,
            busy,
            rows,
            started: Instant::now(),
            handle,
        };
        if let Some(old) = self.feeds.insert(id, feed) {
            old.handle.abort();
        }
    }

    /// Asks feed `id` for `n` more rows.
    pub fn more(&mut self, id: u64, n: usize) {
        if let Some(f) = self.feeds.get_mut(&id) {
            f.busy.store(true, Ordering::Relaxed);
            f.started = Instant::now();
            let _ = f.more.send(n);
        }
    }

    /// Ends feed `id` and its query.
    pub fn drop_feed(&mut self, id: u64) {
        if let Some(f) = self.feeds.remove(&id) {
            f.handle.abort();
        }
    }

    /// Stops every query and export, and waits until each has let go of its result (so that
    /// the journal has recorded how each ended) before the workbench closes.
    pub async fn stop_all(&mut self) {
        let mut handles: Vec<JoinHandle<()>> = self.feeds.drain().map(|(_, f)| f.handle).collect();
        handles.extend(self.export.take().map(|e| e.handle));
        for handle in &handles {
            handle.abort();
        }
        for handle in handles {
            let _ = handle.await;
        }
    }

    /// Keeps only the feeds of `live` (the panes still held); the others stop.
    pub fn retain(&mut self, live: &[u64]) {
        let gone: Vec<u64> = self.feeds.keys().filter(|k| !live.contains(k)).copied().collect();
        for id in gone {
            self.drop_feed(id);
        }
    }

    /// Stops every query that is reading now (idle feeds keep their place); returns how many,
    /// and the feeds stopped.
    pub fn cancel_running(&mut self) -> Vec<u64> {
        let busy: Vec<u64> = self
            .feeds
            .iter()
            .filter(|(_, f)| f.busy.load(Ordering::Relaxed))
            .map(|(id, _)| *id)
            .collect();
        for id in &busy {
            self.drop_feed(*id);
        }
        if let Some(e) = self.export.take() {
            e.handle.abort();
        }
        busy
    }

    pub fn export(&mut self, query: Query, window: Option<TimeWindow>, path: PathBuf) {
        let rows = Arc::new(AtomicU64::new(0));
        let (session, tell, counted, target) = (self.session.clone(), self.tell.clone(), rows.clone(), path.clone());
        let started = Instant::now();
        let handle = tokio::spawn(async move {
            let outcome = crate::engine::export::export(&session, &query, window.as_ref(), &target, counted)
                .await
                .map_err(|e| e.to_string());
            let _ = tell.send(Message::Exported {
                path: target,
                outcome,
                elapsed: started.elapsed(),
            });
        });
        if let Some(old) = self.export.replace(Export {
            path,
            rows,
            started,
            handle,
        }) {
            old.handle.abort();
        }
    }

    pub fn export_done(&mut self) {
        self.export = None;
    }

    /// What runs now.
    pub fn running(&self) -> Vec<Running> {
        let mut out: Vec<Running> = self
            .feeds
            .values()
            .filter(|f| f.busy.load(Ordering::Relaxed))
            .map(|f| Running {
                what: f.title.clone(),
                elapsed: f.started.elapsed(),
                rows: f.rows.as_ref().map(|r| r.load(Ordering::Relaxed)),
            })
            .collect();
        if let Some(e) = &self.export {
            out.push(Running {
                what: format!("export to {}", e.path.display()),
                elapsed: e.started.elapsed(),
                rows: Some(e.rows.load(Ordering::Relaxed)),
            });
        }
        out.sort_by(|a, b| b.elapsed.cmp(&a.elapsed));
        out
    }
}

/// A stream's rows, read on demand: the batch being read and where in it.
struct Reader {
    stream: crate::engine::ResultStream,
    batch: Option<(RecordBatch, usize)>,
    read: Arc<AtomicU64>,
}

impl Reader {
    /// Up to `n` rows (fewer at the end, which returns `true`); `skip` rows are passed over
    /// without being formatted.
    async fn take(&mut self, mut skip: usize, n: usize) -> Result<(Vec<Vec<Value>>, bool), String> {
        let mut out = Vec::new();
        while out.len() < n {
            let (batch, at) = match self.batch.take() {
                Some(b) if b.1 < b.0.num_rows() => b,
                _ => match self.stream.next().await {
                    Some(Ok(b)) => {
                        self.read.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
                        (b, 0)
                    }
                    Some(Err(e)) => return Err(crate::engine::EngineError::from_datafusion(e).to_string()),
                    None => return Ok((out, true)),
                },
            };
            let left = batch.num_rows() - at;
            if skip >= left {
                skip -= left;
                continue;
            }
            let from = at + skip;
            skip = 0;
            let k = (batch.num_rows() - from).min(n - out.len());
            out.extend(values(&batch.slice(from, k)).map_err(|e| e.to_string())?);
            self.batch = Some((batch, from + k));
        }
        Ok((out, false))
    }
}

impl Reader {
    /// The rest of the stream's last `n` rows, and how many rows before them were passed over
    /// (never formatted, never held).
    async fn tail(&mut self, n: usize) -> Result<(usize, Vec<Vec<Value>>), String> {
        let mut kept: std::collections::VecDeque<RecordBatch> = std::collections::VecDeque::new();
        let (mut held, mut passed) = (0usize, 0usize);
        if let Some((b, at)) = self.batch.take()
            && at < b.num_rows()
        {
            held += b.num_rows() - at;
            kept.push_back(b.slice(at, b.num_rows() - at));
        }
        while let Some(batch) = self.stream.next().await {
            let b = batch.map_err(|e| crate::engine::EngineError::from_datafusion(e).to_string())?;
            self.read.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
            held += b.num_rows();
            kept.push_back(b);
            while held - kept.front().map_or(0, |f| f.num_rows()) >= n && kept.len() > 1 {
                let f = kept.pop_front().expect("not empty");
                held -= f.num_rows();
                passed += f.num_rows();
            }
        }
        let mut rows = Vec::new();
        for b in &kept {
            rows.extend(values(b).map_err(|e| e.to_string())?);
        }
        let extra = rows.len().saturating_sub(n);
        rows.drain(..extra);
        Ok((passed + extra, rows))
    }
}

#[allow(clippy::too_many_arguments)]
async fn feed(
    session: Arc<Session>,
    id: u64,
    request: Request,
    skip: usize,
    first: usize,
    mut more: UnboundedReceiver<usize>,
    tell: UnboundedSender<Message>,
    busy: Arc<AtomicBool>,
    read: Arc<AtomicU64>,
) {
    let started = Instant::now();
    let requests_before = crate::archive::requests::snapshot();
    // Requests are counted for the process: with other panes' queries running, the count is of
    // all the store requests made while this one ran.
    let finished = |stream: &crate::engine::ResultStream| {
        let read = Read {
            facts_days: stream.facts().map(|f| f.days),
            pruning: stream.pruning(),
            so_far: false,
            requests: crate::archive::requests::snapshot().since(&requests_before).total(),
        };
        (read != Read::default()).then_some(read)
    };
    let so_far = |stream: &crate::engine::ResultStream| {
        stream.pruning_so_far().map(|p| Read {
            pruning: Some(p),
            so_far: true,
            ..Read::default()
        })
    };
    let refuse = |message: String, refused: Option<String>| {
        busy.store(false, Ordering::Relaxed);
        let _ = tell.send(Message::Failed {
            feed: id,
            message,
            refused,
        });
    };
    let fail = |message: String| refuse(message, None);
    let (query, report) = match request {
        Request::Query(q) => (q, None),
        Request::Detect(_) => unreachable!("a detection runs in a task of its own"),
        Request::Report(report, given) => match report.bind(&session, &given).await {
            Ok(q) => (q, Some(report)),
            Err(crate::engine::EngineError::Param(e)) => return refuse(e.to_string(), Some(e.param().to_string())),
            Err(e) => return fail(e.to_string()),
        },
    };
    // A report's run is journaled as that report (its file, when it is a user's).
    let run = match &report {
        Some(report) => session.run_report(&query, report).await,
        None => session.run(&query).await,
    };
    let stream = match run {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let schema = datafusion::execution::RecordBatchStream::schema(&stream);
    let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut reader = Reader {
        stream,
        batch: None,
        read,
    };
    let (mut at, mut want, mut skip, mut query) = (skip, first, skip, Some(query));
    loop {
        let (rows, complete) = match reader.take(skip, want).await {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        skip = 0;
        let n = rows.len();
        busy.store(false, Ordering::Relaxed);
        let sent = tell.send(Message::Rows {
            feed: id,
            columns: columns.clone(),
            skip: at,
            rows,
            complete,
            elapsed: started.elapsed(),
            query: query.take(),
            read: if complete {
                finished(&reader.stream)
            } else {
                so_far(&reader.stream)
            },
        });
        at += n;
        if complete || sent.is_err() {
            return;
        }
        match more.recv().await {
            // `G`: to the end, keeping only the last rows a pane holds.
            Some(usize::MAX) => {
                let (passed, rows) = match reader.tail(KEEP_ROWS).await {
                    Ok(r) => r,
                    Err(e) => return fail(e),
                };
                busy.store(false, Ordering::Relaxed);
                let _ = tell.send(Message::Rows {
                    feed: id,
                    columns: columns.clone(),
                    skip: at + passed,
                    rows,
                    complete: true,
                    elapsed: started.elapsed(),
                    query: None,
                    read: finished(&reader.stream),
                });
                return;
            }
            Some(n) => want = n,
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest, inputs::resolve};
    use crate::engine::SessionOptions;
    use crate::tui::pane::{CHUNK_ROWS, Need, Pane};

    /// The incident fixture in a new archive, opened.
    async fn session(dir: &std::path::Path) -> Session {
        let archive = dir.join("archive");
        let location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reports");
        let inputs = resolve(&[fixture.to_string()], &StoreOptions::default()).await.unwrap();
        ingest(&location, inputs, &IngestOptions::default(), &Quiet)
            .await
            .unwrap();
        let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
        Session::open(
            location,
            SessionOptions {
                redact: true,
                journal: None,
                facts: true,
                engine: Default::default(),
            },
        )
        .await
        .unwrap()
    }

    /// The next rows message for `pane`, taken into it.
    async fn next(told: &mut UnboundedReceiver<Message>, pane: &mut Pane) {
        match told.recv().await.unwrap() {
            Message::Rows {
                columns,
                skip,
                rows,
                complete,
                ..
            } => pane.take(columns, skip, rows, complete),
            Message::Failed { message, .. } => panic!("{message}"),
            Message::Exported { .. } => panic!("no export was asked for"),
            Message::Notice(text) => panic!("{text}"),
            Message::Detected { .. } => panic!("no detection was asked for"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scrolling_a_result_of_a_million_rows_reads_it_as_it_goes_in_flat_memory() {
        let dir = tempfile::tempdir().unwrap();
        let (tell, mut told) = unbounded_channel();
        let mut jobs = Jobs::new(Arc::new(session(dir.path()).await), tell);
        // 122 events × 10,000: 1,220,000 rows, each numbered by its position.
        let query = Query {
            title: "big".into(),
            sql: "SELECT row_number() OVER () - 1 AS n FROM events CROSS JOIN range(0, 10000) ORDER BY n".into(),
            params: vec![],
            facts: None,
        };
        let mut pane = Pane::new("big");
        pane.restart(1, Some(query.clone()));
        jobs.start(1, Request::Query(query), 0, CHUNK_ROWS);
        next(&mut told, &mut pane).await;
        assert_eq!(pane.known_rows(), CHUNK_ROWS);
        // Page down through 20,000 rows: more is asked for as the cursor nears the end.
        for _ in 0..1000 {
            if let Need::More(n) = pane.move_by(20) {
                jobs.more(1, n);
                next(&mut told, &mut pane).await;
            }
            assert!(pane.rows.len() <= crate::tui::pane::KEEP_ROWS + CHUNK_ROWS);
        }
        assert_eq!(pane.row, 20_000);
        assert_eq!(
            pane.cell(),
            Some(&Value::Int(20000)),
            "the row under the cursor is the result's 20,001st"
        );
        // `G`: to the end, passing over what lies between without keeping it.
        assert_eq!(pane.to_end(), Need::More(usize::MAX));
        jobs.more(1, usize::MAX);
        next(&mut told, &mut pane).await;
        assert!(pane.complete);
        assert_eq!(pane.known_rows(), 1_220_000);
        assert_eq!(pane.row, 1_219_999);
        assert_eq!(pane.cell(), Some(&Value::Int(1219999)));
        assert!(pane.rows.len() <= crate::tui::pane::KEEP_ROWS);
        // Above the window, the query runs again from where it is needed.
        assert_eq!(pane.go_to(10), Need::Restart(0));
    }
}
