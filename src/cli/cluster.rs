//! `trailscope cluster scheduler|executor`: the processes of a Ballista cluster that runs
//! trailscope's queries (see `engine::cluster`).

use std::process::ExitCode;

use super::{Failure, exit};
use crate::cli::args::ClusterCommand;
use crate::engine::cluster::process::{self, ExecutorSetup, SchedulerSetup};
use crate::engine::cluster::{ClusterError, Engine};

pub async fn run(command: ClusterCommand) -> Result<ExitCode, Failure> {
    Logger::install();
    let failed = |e: ClusterError| Failure {
        message: e.to_string(),
        code: exit::FAILURE,
    };
    match command {
        ClusterCommand::Scheduler { bind, advertise } => {
            if bind.ip().is_unspecified() && advertise.is_none() {
                return Err(Failure::usage(format!(
                    "the scheduler binds every address ({bind}): say which one executors reach it at with --advertise HOST"
                )));
            }
            crate::note!(
                "trailscope {} cluster scheduler (Ballista {}) listening on {bind}; clients use --engine ballista://{bind}",
                env!("CARGO_PKG_VERSION"),
                crate::engine::cluster::ballista_version(),
            );
            warn_if_open(&bind.ip());
            process::scheduler(SchedulerSetup { bind, advertise })
                .await
                .map_err(failed)?;
        }
        ClusterCommand::Executor {
            scheduler,
            bind,
            advertise,
            slots,
            work_dir,
        } => {
            let Engine::Ballista(scheduler) = Engine::parse(&format!("ballista://{scheduler}"))
                .map_err(|e| Failure::usage(e.to_string().replace("ballista://", "")))?
            else {
                unreachable!("a ballista:// address parses as one");
            };
            if bind.ip().is_unspecified() && advertise.is_none() {
                return Err(Failure::usage(format!(
                    "the executor binds every address ({bind}): say which one the scheduler and clients reach it at with --advertise HOST"
                )));
            }
            crate::note!(
                "trailscope {} cluster executor on {bind} (tasks on port {}), registering with the scheduler at {scheduler}",
                env!("CARGO_PKG_VERSION"),
                bind.port().saturating_add(1),
            );
            warn_if_open(&bind.ip());
            process::executor(ExecutorSetup {
                scheduler,
                bind,
                advertise,
                slots: slots.map(usize::from),
                work_dir,
            })
            .await
            .map_err(failed)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Ballista's endpoints take any caller: binding beyond loopback is said every time.
fn warn_if_open(ip: &std::net::IpAddr) {
    if !ip.is_loopback() {
        crate::note!(
            "trailscope: warning: {ip} is reachable from other hosts, and the cluster's endpoints do not authenticate callers: keep it on a network only its clients reach"
        );
    }
}

/// A cluster's error as the command line says it: with the command or flag that mends it.
pub fn said(e: &ClusterError) -> String {
    match e {
        ClusterError::NoExecutors { scheduler } => format!(
            "{e} (`trailscope cluster executor --scheduler {scheduler}`), or run on this machine with --engine local"
        ),
        ClusterError::Unreachable { .. } => {
            format!("{e}: is `trailscope cluster scheduler` running there? (--engine local runs on this machine)")
        }
        ClusterError::Reveal => format!("{e}: drop --reveal, or reveal on this machine with --engine local"),
        ClusterError::Format { .. } => format!("{e}; `trailscope compact` migrates it"),
        _ => e.to_string(),
    }
}

/// Ballista's own messages on standard error: warnings and errors, or as much as
/// `TRAILSCOPE_LOG` asks (`info`, `debug`).
struct Logger {
    level: log::LevelFilter,
}

impl Logger {
    fn install() {
        let level = match std::env::var("TRAILSCOPE_LOG")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "trace" => log::LevelFilter::Trace,
            "debug" => log::LevelFilter::Debug,
            "info" => log::LevelFilter::Info,
            "error" => log::LevelFilter::Error,
            _ => log::LevelFilter::Warn,
        };
        if log::set_logger(Box::leak(Box::new(Logger { level }))).is_ok() {
            log::set_max_level(level);
        }
    }
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            crate::note!(
                "{} {} {}: {}",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                record.level(),
                record.target(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}
