//! The command line: argument parsing and printing only. Every query goes through `engine`.

mod args;
mod cluster;
mod compact;
mod concept;
mod coverage;
mod demo;
mod detect;
mod fingerprint;
mod ingest;
mod journal;
pub mod out;
mod print;
mod query;
mod report;
mod schema;
mod verify;
mod view;

use std::process::ExitCode;

pub use args::{Cli, Command};

use crate::archive::{Location, StoreOptions};
use crate::config::Config;
use crate::engine::{Session, SessionOptions};

/// Exit codes (see DESIGN.md): 0 success (and, for `coverage`, nothing found), 2 usage or SQL
/// error, 3 some inputs rejected, 4 integrity failure, 5 findings, 1 anything else.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const REJECTED: u8 = 3;
    /// `verify` found the archive changed, or a source contradicts its CloudTrail digest.
    pub const INTEGRITY: u8 = 4;
    /// `coverage` found gaps or tenants that never delivered.
    pub const FINDINGS: u8 = 5;
    /// Ended by Ctrl+C (or SIGTERM, SIGHUP): 128 + SIGINT, as shells report it.
    pub const INTERRUPTED: u8 = 130;
    /// Not an exit code: the reader of the output went away, and the process ends by SIGPIPE.
    pub const CLOSED_PIPE: u8 = 141;
}

/// An error at the edge: one sentence for the user and the exit code it means.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: exit::USAGE,
        }
    }
}

impl From<crate::engine::EngineError> for Failure {
    fn from(e: crate::engine::EngineError) -> Self {
        let code = if matches!(e, crate::engine::EngineError::OutputClosed) {
            exit::CLOSED_PIPE
        } else if e.is_usage() {
            exit::USAGE
        } else {
            exit::FAILURE
        };
        Failure {
            message: said(&e),
            code,
        }
    }
}

/// An engine error as the command line says it: where the engine speaks of what is missing,
/// the command line names the command or flag that gives it.
fn said(e: &crate::engine::EngineError) -> String {
    use crate::engine::EngineError as E;
    match e {
        E::EmptyArchive(archive) => format!(
            "the archive at {archive} holds no events yet: add some with `trailscope ingest --archive {archive} SOURCE…`"
        ),
        E::EmptyWindow(window) if window.end_after_the_data => {
            format!("{}: give --to too, or an earlier --from", window.bounds())
        }
        E::Param(param) => report::said(param, |_| None),
        E::Cluster(c) => cluster::said(c),
        _ => e.to_string(),
    }
}

impl From<crate::archive::ArchiveError> for Failure {
    fn from(e: crate::archive::ArchiveError) -> Self {
        let code = match e {
            crate::archive::ArchiveError::BadLocation { .. } | crate::archive::ArchiveError::MissingSource(_) => {
                exit::USAGE
            }
            _ => exit::FAILURE,
        };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

impl From<crate::config::ConfigError> for Failure {
    fn from(e: crate::config::ConfigError) -> Self {
        Failure::usage(e.to_string())
    }
}

/// What every command knows: the config and the archive asked for.
pub struct Context {
    pub config: Config,
    archive: Option<String>,
    /// `--engine`, or TRAILSCOPE_ENGINE: where reading commands run their queries.
    engine: Option<String>,
    pub store: StoreOptions,
    /// The journals of the sessions opened, flushed before the process ends.
    journals: std::sync::Mutex<Vec<crate::engine::journal::Journal>>,
}

impl Context {
    /// The archive to write to: never guessed.
    pub fn archive_to_write(&self) -> Result<&str, Failure> {
        self.archive().ok_or_else(|| {
            Failure::usage("this command writes, so it needs to be told where: pass --archive PATH_OR_URL or set TRAILSCOPE_ARCHIVE")
        })
    }

    /// The archive to read: --archive, TRAILSCOPE_ARCHIVE, the config file's, else the demo
    /// archive (built on first use).
    pub async fn archive_to_read(&self) -> Result<String, Failure> {
        if let Some(chosen) = self.archive() {
            return Ok(chosen.to_string());
        }
        let Some(demo) = crate::demo::default_location() else {
            return Err(Failure::usage(
                "no archive is configured: pass --archive PATH_OR_URL, set TRAILSCOPE_ARCHIVE, or name one in the config file",
            ));
        };
        demo::ensure(&demo).await?;
        Ok(demo.display().to_string())
    }

    pub fn archive(&self) -> Option<&str> {
        let chosen = self.archive.as_deref().or(self.config.archive.as_deref())?;
        Some(self.config.resolve_archive(chosen))
    }

    /// Opens the archive for queries; `reveal` shows leaked secrets. What the journal has to
    /// say (an entry it could not write) is said on standard error.
    pub async fn session(&self, reveal: bool) -> Result<Session, Failure> {
        let engine = self.engine()?;
        let location = Location::open(&self.archive_to_read().await?, &self.store)?;
        let journal = crate::engine::journal::Journal::local(crate::engine::journal::Journal::default_path())
            .with_notices(std::sync::Arc::new(|m| crate::note!("trailscope: {m}")));
        let options = SessionOptions {
            redact: !reveal && self.config.redact.unwrap_or(true),
            journal: Some(journal),
            // Off only to measure or check the facts against the files they count.
            facts: std::env::var_os("TRAILSCOPE_NO_FACTS").is_none(),
            engine,
        };
        let session = Session::open(location, options).await?;
        if let Some(journal) = session.journal() {
            self.journals.lock().expect("not poisoned").push(journal.clone());
        }
        if session.masks_results() {
            crate::note!(
                "note: the archive is in format {} (written before secrets were sealed at ingest): results are masked as they are read; `trailscope compact` migrates it",
                session.format()
            );
        }
        Ok(session)
    }

    /// Where queries run: --engine (or TRAILSCOPE_ENGINE), else the config file's, else here.
    fn engine(&self) -> Result<crate::engine::cluster::Engine, Failure> {
        let chosen = self
            .engine
            .as_deref()
            .or(self.config.engine.as_deref())
            .unwrap_or("local");
        crate::engine::cluster::Engine::parse(chosen).map_err(|e| Failure::usage(e.to_string()))
    }

    /// Waits for the journal records still being written; says so if some could not be.
    async fn flush_journals(&self) {
        let journals: Vec<_> = std::mem::take(&mut *self.journals.lock().expect("not poisoned"));
        for journal in journals {
            let left = journal.flush().await;
            if left > 0 {
                crate::note!(
                    "trailscope: {left} access journal record(s) were still being written to the archive after 10 s, and are lost"
                );
            }
        }
    }
}

/// Opens the workbench on the archive a reading command would use.
async fn workbench(cx: &Context) -> Result<ExitCode, Failure> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Failure::usage(
            "the workbench needs a terminal; for scripts use `trailscope view`, `report run` or `query`",
        ));
    }
    let session = cx.session(false).await?;
    let span = match cx.config.window.as_deref() {
        Some(w) => crate::engine::window::parse_duration(w)
            .ok_or_else(|| Failure::usage(format!("the config file's window '{w}' is not a span like 7d or 24h")))?,
        None => 7 * crate::engine::window::DAY,
    };
    let archive_end = session.archive_end().await?;
    let window = crate::engine::TimeWindow::resolve(None, None, archive_end, span)?;
    let keys = crate::tui::keys::configured(&cx.config.keys).map_err(Failure::usage)?;
    let state = crate::engine::journal::Journal::default_path().and_then(|p| p.parent().map(|d| d.to_path_buf()));
    let setup = crate::tui::Setup {
        // The header says where queries run when it is not here.
        archive: match session.engine() {
            crate::engine::cluster::Engine::Local => session.location().display.clone(),
            cluster => format!("{} on {cluster}", session.location().display),
        },
        window,
        archive_end,
        reports: report::library(cx).all().cloned().collect(),
        keys,
        history: state.as_ref().map(|d| d.join("sql-history.jsonl")),
        log: state.as_ref().map(|d| d.join("workbench.log")),
        rule_dirs: cx.config.rule_dirs.clone(),
        suppressions: cx.config.suppressions.clone(),
    };
    crate::tui::run(session, setup).await.map_err(|e| Failure {
        message: format!("the terminal failed: {e}"),
        code: exit::FAILURE,
    })?;
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on standard error, drawn only when it is a terminal.
fn progress_bar(total: u64, template: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(indicatif::ProgressStyle::with_template(template).expect("a valid template"));
    bar
}

/// Runs a parsed command line. Ctrl+C, SIGTERM and SIGHUP end it with what it was doing
/// dropped (a query stops, and its journal entry says it was interrupted); either way the
/// journal's records are written before the process ends.
pub async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let config = Config::load(cli.config.as_deref())?;
    let cx = Context {
        config,
        archive: cli.archive,
        engine: cli.engine,
        store: StoreOptions::default(),
        journals: Default::default(),
    };
    let chosen = cli.command.unwrap_or(Command::Tui);
    // The workbench handles its own ends (Ctrl+C is a key there; SIGTERM restores the terminal).
    let outcome = if matches!(chosen, Command::Tui) {
        command(&cx, chosen).await
    } else {
        tokio::select! {
        outcome = command(&cx, chosen) => outcome,
        signal = interruption() => {
            Err(Failure {
                message: format!("interrupted ({signal})"),
                code: exit::INTERRUPTED,
            })
        }
        }
    };
    cx.flush_journals().await;
    crate::engine::cluster::cancels_settled().await;
    if out::pipe_closed() {
        return Err(Failure {
            message: String::new(),
            code: exit::CLOSED_PIPE,
        });
    }
    outcome
}

/// The first of Ctrl+C, SIGTERM and SIGHUP, by name; queries dropped from then on record it.
async fn interruption() -> &'static str {
    let signal = first_signal().await;
    crate::engine::interrupted(signal);
    signal
}

async fn first_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) else {
            let _ = tokio::signal::ctrl_c().await;
            return "Ctrl+C";
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "Ctrl+C",
            _ = term.recv() => "SIGTERM",
            _ = hup.recv() => "SIGHUP",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl+C"
    }
}

async fn command(cx: &Context, command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Tui => workbench(cx).await,
        Command::Ingest(args) => ingest::run(cx, args).await,
        Command::Compact(args) => compact::run(cx, args).await,
        Command::Verify(args) => verify::run(cx, args).await,
        Command::SigningKey(args) => verify::new_key(args),
        Command::Query(args) => query::run(cx, args).await,
        Command::View(args) => view::run(cx, args.view).await,
        Command::Report(command) => report::run(cx, command).await,
        Command::Journal(args) => journal::run(cx, args).await,
        Command::Fingerprint => fingerprint::run(cx).await,
        Command::Demo(args) => demo::run(cx, args).await,
        Command::Schema => Ok(schema::run()),
        Command::Coverage(args) => coverage::run(cx, args).await,
        Command::Detect(args) => detect::run(cx, args).await,
        Command::Concept(args) => concept::run(cx, args).await,
        Command::Cluster(command) => cluster::run(command).await,
    }
}
