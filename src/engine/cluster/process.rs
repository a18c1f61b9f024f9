//! The scheduler and executor processes, as Ballista runs them, with trailscope's codecs,
//! functions and stores: `trailscope cluster scheduler` and `trailscope cluster executor`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::SessionConfig;

use super::codec::{LogicalCodec, PhysicalCodec};
use super::stores::ArchiveStores;
use super::{ClusterError, Scheduler};
use crate::engine::functions;

/// How a scheduler is started.
#[derive(Clone, Debug)]
pub struct SchedulerSetup {
    /// Where its gRPC (and health) endpoint listens.
    pub bind: SocketAddr,
    /// The host name or address executors reach it at (default: the bind address).
    pub advertise: Option<String>,
}

/// How an executor is started.
#[derive(Clone, Debug)]
pub struct ExecutorSetup {
    pub scheduler: Scheduler,
    /// Where its Arrow Flight endpoint listens (results and shuffles are fetched there); its
    /// gRPC endpoint (tasks) listens on the next port.
    pub bind: SocketAddr,
    /// The host name or address the scheduler and clients reach it at (default: the bind
    /// address, or this host's name when it binds every address).
    pub advertise: Option<String>,
    /// Tasks it runs at once (default: one per core).
    pub slots: Option<usize>,
    /// Where shuffle files are written (default: a temporary folder removed at exit).
    pub work_dir: Option<PathBuf>,
}

/// Runs a scheduler until the process ends.
pub async fn scheduler(setup: SchedulerSetup) -> Result<(), ClusterError> {
    let config = SchedulerConfig {
        bind_host: setup.bind.ip().to_string(),
        bind_port: setup.bind.port(),
        external_host: setup.advertise.clone().unwrap_or_else(|| setup.bind.ip().to_string()),
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        override_session_builder: Some(Arc::new(|config: SessionConfig| {
            Ok(SessionStateBuilder::new()
                .with_default_features()
                .with_config(config)
                .with_runtime_env(runtime(&SessionConfig::new())?)
                .with_optimizer_rules(ballista_core::optimizer::ballista_default_optimizer_rules())
                .with_scalar_functions(ballista_core::extension::ballista_scalar_functions())
                .with_aggregate_functions(ballista_core::extension::ballista_aggregate_functions())
                .with_window_functions(ballista_core::extension::ballista_window_functions())
                .build())
        })),
        ..Default::default()
    };
    let failed = |e: ballista_core::error::BallistaError| ClusterError::Process(format!("the scheduler stopped: {e}"));
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(failed)?;
    start_server(cluster, setup.bind, Arc::new(config))
        .await
        .map_err(failed)
}

/// Runs an executor until the process ends.
pub async fn executor(setup: ExecutorSetup) -> Result<(), ClusterError> {
    // A folder of its own unless told where: held (and removed at exit) by `_temporary`.
    let (work_dir, _temporary) = match &setup.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| ClusterError::Process(format!("cannot make the work folder {}: {e}", dir.display())))?;
            (dir.clone(), None)
        }
        None => {
            let held = tempfile::Builder::new()
                .prefix("trailscope-executor-")
                .tempdir()
                .map_err(|e| ClusterError::Process(format!("cannot make a work folder: {e}")))?;
            (held.path().to_path_buf(), Some(held))
        }
    };
    let mut registry = BallistaFunctionRegistry::default();
    let state = datafusion::execution::SessionStateBuilder::new()
        .with_default_features()
        .build();
    for function in state.scalar_functions().values().cloned().chain(functions::shared()) {
        registry.scalar_functions.insert(function.name().to_string(), function);
    }
    for function in state.aggregate_functions().values() {
        registry
            .aggregate_functions
            .entry(function.name().to_string())
            .or_insert_with(|| function.clone());
    }
    let grpc_port = setup.bind.port().checked_add(1).ok_or_else(|| {
        ClusterError::Process("the executor's port must leave the next one free for its gRPC endpoint".into())
    })?;
    let advertise = setup.advertise.clone().or_else(|| {
        let ip = setup.bind.ip();
        (!ip.is_unspecified()).then(|| ip.to_string())
    });
    let config = ExecutorProcessConfig {
        bind_host: setup.bind.ip().to_string(),
        external_host: advertise,
        port: setup.bind.port(),
        grpc_port,
        scheduler_host: setup.scheduler.host.clone(),
        scheduler_port: setup.scheduler.port,
        // Keeps trying while the scheduler starts.
        scheduler_connect_timeout_seconds: 30,
        vcores: setup.slots.unwrap_or(0),
        work_dir: Some(work_dir.display().to_string()),
        // Shuffle files of finished jobs are removed an hour after they end.
        job_data_ttl_seconds: 3600,
        job_data_clean_up_interval_seconds: 600,
        executor_heartbeat_interval_seconds: 10,
        override_function_registry: Some(Arc::new(registry)),
        override_runtime_producer: Some(Arc::new(|config: &SessionConfig| runtime(config))),
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        ..Default::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| ClusterError::Process(format!("the executor stopped: {e}")))
}

/// A cluster process's runtime: archives' stores opened from their URLs with this process's
/// credentials. (An executor gives each task a memory pool of its own, a share of the host's
/// memory, in place of the runtime's.)
fn runtime(_config: &SessionConfig) -> datafusion::error::Result<Arc<RuntimeEnv>> {
    RuntimeEnvBuilder::new()
        .with_object_store_registry(Arc::new(ArchiveStores::default()))
        .build_arc()
}
