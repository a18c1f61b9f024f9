//! The client's side: a session whose plans go to the scheduler, the checks made before the
//! first one does, the cancelling of a job whose results nobody reads any more, and cluster
//! errors said as what to do about them.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::extension::{SessionConfigExt, SessionStateExt};
use ballista_core::serde::protobuf::CancelJobParams;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use datafusion::error::DataFusionError;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::protobuf::LogicalPlanNode;
use tokio::task::JoinHandle;

use super::codec::LogicalCodec;
use super::{ClusterError, STORE_UNREACHABLE, Scheduler, VERSION_MISMATCH};

/// A cluster found ready: its scheduler answered as Ballista of our release, with executors.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub scheduler: Scheduler,
    /// Executors registered when the session opened.
    pub executors: usize,
}

impl Cluster {
    /// Asks the scheduler whether it is a Ballista scheduler of this release with executors
    /// (its `/readyz`, on the gRPC port): a session says what is wrong before its first query,
    /// rather than waiting on a job no executor will take.
    pub async fn check(scheduler: &Scheduler) -> Result<Cluster, ClusterError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ClusterError::Process(e.to_string()))?;
        let url = format!("{}/readyz", scheduler.http());
        let response = client.get(&url).send().await.map_err(|e| ClusterError::Unreachable {
            scheduler: scheduler.to_string(),
            reason: reason(&e),
        })?;
        let server = response
            .headers()
            .get(reqwest::header::SERVER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let Some(found) = server.strip_prefix("ballista/") else {
            return Err(ClusterError::NotAScheduler {
                scheduler: scheduler.to_string(),
                reason: match server.is_empty() {
                    true => "it does not say it is Ballista: another service on that port, or a scheduler older than Ballista 55".into(),
                    false => format!("its server is '{server}'"),
                },
            });
        };
        if major(found) != major(super::ballista_version()) {
            return Err(ClusterError::Version {
                scheduler: scheduler.to_string(),
                found: format!("Ballista {found}"),
                wanted: super::ballista_version().to_string(),
            });
        }
        let ready = response.status().is_success();
        let body = response.text().await.unwrap_or_default();
        // "ready: 2 executors registered", "not ready: 0/1 executors registered"
        let executors = body
            .split_whitespace()
            .nth(if ready { 1 } else { 2 })
            .and_then(|n| n.split('/').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        if !ready || executors == 0 {
            return Err(ClusterError::NoExecutors {
                scheduler: scheduler.to_string(),
            });
        }
        Ok(Cluster {
            scheduler: scheduler.clone(),
            executors,
        })
    }

    /// A session context whose plans run on this cluster: `config` and `runtime` as a local
    /// session has them, with trailscope's codec for the plans it sends. Functions, tables and
    /// stores are registered on it afterwards, as on a local one.
    pub fn context(&self, config: SessionConfig, runtime: Arc<RuntimeEnv>) -> Result<SessionContext, DataFusionError> {
        let mut config = config
            .upgrade_for_ballista()
            .with_ballista_logical_extension_codec(Arc::new(LogicalCodec::default()))
            .with_ballista_job_name("trailscope")
            // As Ballista's own clients have it: a plan's stages split into up to 16 tasks, so
            // that every executor's slots take part.
            .with_target_partitions(16);
        // The client asks for the job's state (every 50 ms) rather than waiting to be told: it
        // has the job's id as soon as the scheduler takes it, so a query given up on is
        // cancelled on the cluster at any point.
        config.options_mut().set("ballista.client.pull", "true")?;
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .build()
            .upgrade_for_ballista(self.scheduler.http())?;
        Ok(SessionContext::new_with_state(state))
    }

    /// A query's error, said in words of the cluster where it came from the cluster: what the
    /// cluster's processes said crosses to the client as text, so it is told by its words.
    pub fn said(&self, e: &DataFusionError) -> Option<ClusterError> {
        if let Some(said) = as_cluster_error(e) {
            return Some(said.clone());
        }
        let text = e.to_string();
        if let Some(said) = after(&text, VERSION_MISMATCH) {
            return Some(ClusterError::OtherVersion(said));
        }
        if let Some(said) = after(&text, STORE_UNREACHABLE) {
            return Some(ClusterError::Store(said));
        }
        if [
            "Object Store error",
            "ObjectStore",
            "Generic S3 error",
            "Generic GCS error",
            "Generic MicrosoftAzure error",
        ]
        .iter()
        .any(|m| text.contains(m))
        {
            return Some(ClusterError::Store(clean(&text)));
        }
        // An executor's address is named by Ballista's own message: it is kept.
        if text.contains("executor") && (text.contains("connect") || text.contains("transport error")) {
            return Some(ClusterError::Executor(clean(&text)));
        }
        if text.contains("transport error") || text.contains("Connection refused") || text.contains("tcp connect") {
            return Some(ClusterError::Unreachable {
                scheduler: self.scheduler.to_string(),
                reason: "the connection failed while the query ran".into(),
            });
        }
        (text.contains("Job ") || text.contains("ExecuteQueryFailureResult"))
            .then(|| ClusterError::Failed(clean(&text)))
    }
}

/// The cluster's error a stream carries (see [`ClusterError::into_datafusion`]).
pub fn as_cluster_error(e: &DataFusionError) -> Option<&ClusterError> {
    match e.find_root() {
        DataFusionError::External(inner) => inner.downcast_ref::<ClusterError>(),
        _ => None,
    }
}

impl ClusterError {
    /// The error as a stream of results carries it, still typed.
    pub fn into_datafusion(self) -> DataFusionError {
        DataFusionError::External(Box::new(self))
    }
}

/// What follows `marker` in a relayed error, up to where the relays' quoting of it ends
/// (`…Plan(\"<marker>what was said\")) }`).
fn after(text: &str, marker: &str) -> Option<String> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let end = ["\\\"", "\")"]
        .iter()
        .filter_map(|q| rest.find(q))
        .min()
        .unwrap_or(rest.len());
    Some(rest[..end].trim().to_string())
}

/// The version's major number (`55` of `55.0.0`).
fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

/// A connection error's innermost cause ("Connection refused (os error 111)").
fn reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}

/// A cluster's error without the layers its relays added ("Job X failed: Error planning job X:
/// DataFusion error: Execution(\"…\")").
fn clean(text: &str) -> String {
    let mut text = text.trim();
    loop {
        let before = text;
        for prefix in [
            "Execution error: ",
            "External error: ",
            "Internal error: ",
            "Error during planning: ",
        ] {
            text = text.strip_prefix(prefix).unwrap_or(text);
        }
        if let Some(rest) = text.strip_prefix("Job ").and_then(|r| r.split_once(" failed: ")) {
            text = rest.1;
        }
        if let Some(rest) = text
            .strip_prefix("Error planning job ")
            .and_then(|r| r.split_once(": "))
        {
            text = rest.1;
        }
        if let Some(rest) = text.strip_prefix("DataFusion error: ") {
            text = rest;
        }
        if let Some(rest) = text
            .strip_prefix("Fail to execute query due to ExecuteQueryFailureResult { failure: Some(")
            .and_then(|r| r.strip_suffix(") }"))
        {
            text = rest;
        }
        for wrapper in [
            "Execution(\"",
            "Plan(\"",
            "Internal(\"",
            "PlanParsingFailure(\"",
            "PlanningFailure(\"",
            "ExecutionFailure(\"",
        ] {
            if let Some(inner) = text.strip_prefix(wrapper).and_then(|t| t.strip_suffix("\")")) {
                text = inner;
            }
        }
        if text == before {
            break;
        }
    }
    text.replace("\\\"", "\"")
}

/// Cancels its query's job on the cluster when dropped before the results were all read: a
/// cancelled query stops using the cluster, not only the client.
pub struct CancelOnDrop {
    plan: Arc<dyn ExecutionPlan>,
    scheduler: Scheduler,
    finished: bool,
}

impl CancelOnDrop {
    pub fn new(plan: Arc<dyn ExecutionPlan>, scheduler: Scheduler) -> Self {
        CancelOnDrop {
            plan,
            scheduler,
            finished: false,
        }
    }

    /// The results were all read: nothing to cancel.
    pub fn finished(&mut self) {
        self.finished = true;
    }

    /// The job's id on the cluster, once the scheduler has given one. The job is the plan's
    /// `DistributedQueryExec`, at its top or under what wraps it (`EXPLAIN ANALYZE`).
    pub fn job(&self) -> Option<String> {
        fn find(plan: &Arc<dyn ExecutionPlan>) -> Option<String> {
            match plan.downcast_ref::<DistributedQueryExec<LogicalPlanNode>>() {
                Some(query) => query.job_id().map(|id| id.to_string()),
                None => plan.children().into_iter().find_map(find),
            }
        }
        find(&self.plan)
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let Some(job) = self.job() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let url = self.scheduler.http();
        let cancel = runtime.spawn(async move {
            let ask = async {
                let mut client = SchedulerGrpcClient::connect(url).await.ok()?;
                client.cancel_job(CancelJobParams { job_id: job }).await.ok()
            };
            let _ = tokio::time::timeout(Duration::from_secs(5), ask).await;
        });
        let mut pending = cancels().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.retain(|c| !c.is_finished());
        pending.push(cancel);
    }
}

fn cancels() -> &'static Mutex<Vec<JoinHandle<()>>> {
    static CANCELS: OnceLock<Mutex<Vec<JoinHandle<()>>>> = OnceLock::new();
    CANCELS.get_or_init(Default::default)
}

/// Waits (at most 5 s each) for the cancellations sent to clusters: a process that ends right
/// after a query was interrupted still stops its job.
pub async fn cancels_settled() {
    let pending: Vec<_> = std::mem::take(&mut *cancels().lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    for cancel in pending {
        let _ = cancel.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_error_is_said_without_the_quoting_around_it() {
        let text = format!(
            "Execution error: Fail to execute query due to ExecuteQueryFailureResult {{ failure: Some(PlanParsingFailure(\"Error during planning: {VERSION_MISMATCH}the plan was written by trailscope 0.0.9\")) }}"
        );
        assert_eq!(
            after(&text, VERSION_MISMATCH).unwrap(),
            "the plan was written by trailscope 0.0.9"
        );
        let relayed = format!("Job 1 failed: Execution(\\\"{STORE_UNREACHABLE}cannot reach s3://a\\\")");
        assert_eq!(after(&relayed, STORE_UNREACHABLE).unwrap(), "cannot reach s3://a");
        assert_eq!(after("nothing", STORE_UNREACHABLE), None);
    }

    #[test]
    fn a_refused_plan_is_said_without_its_relays() {
        let text = "Execution error: Fail to execute query due to ExecuteQueryFailureResult { failure: Some(PlanParsingFailure(\"the plan was written by trailscope 0.0.9\")) }";
        assert_eq!(clean(text), "the plan was written by trailscope 0.0.9");
    }

    #[test]
    fn a_job_failure_is_said_without_its_relays() {
        let text = "Execution error: Job Xq1 failed: Error planning job Xq1: DataFusion error: Plan(\"trailscope version mismatch: the plan was written by trailscope 0.2.0\")";
        assert_eq!(
            clean(text),
            "trailscope version mismatch: the plan was written by trailscope 0.2.0"
        );
    }
}
