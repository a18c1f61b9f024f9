//! The detection rules the workbench runs (SigmaHQ's built in, the config file's `rule_dirs`,
//! with its `suppressions` applied as `trailscope detect` applies them), a run of them over a
//! view's scope on a background task, and what the run found. The engine plans and runs the
//! scan; this module only loads the rules once and carries the hits to the screens.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio::sync::mpsc::UnboundedSender;

use super::jobs::{Message, Read};
use crate::engine::detect::triage::Suppressions;
use crate::engine::detect::{self, Hit, Level, RuleSet};
use crate::engine::{Pruning, Scope, Session};

/// The rules and what silences some of their hits, loaded once for the workbench.
#[derive(Debug)]
pub struct Rules {
    pub set: Arc<RuleSet>,
    suppressions: Suppressions,
}

/// The rules, loaded when first run (most sessions never open the Detections screen), from the
/// config's folders and suppression file.
#[derive(Debug, Default)]
pub struct RulesSource {
    pub loaded: OnceLock<Result<Arc<Rules>, String>>,
    pub dirs: Vec<std::path::PathBuf>,
    pub suppressions: Option<std::path::PathBuf>,
}

pub type RulesCell = Arc<RulesSource>;

impl Rules {
    /// SigmaHQ's rules alone: what a test runs, whatever the user's config file says.
    pub fn builtin() -> Rules {
        Rules {
            set: Arc::new(RuleSet::builtin()),
            suppressions: Suppressions::default(),
        }
    }

    /// The built-in rules, the config file's folders of rules (`rule_dirs`) and its
    /// suppressions, as the command line read them (`--config` included). A folder or a
    /// suppression file that cannot be read fails the run, as it fails `trailscope detect`:
    /// running fewer rules than the user asked for without saying so would hide hits.
    pub fn from_config(dirs: &[std::path::PathBuf], suppressions: Option<&std::path::Path>) -> Result<Rules, String> {
        let mut set = RuleSet::builtin();
        for dir in dirs {
            set.add_dir(dir).map_err(|e| e.to_string())?;
        }
        let suppressions = match suppressions {
            Some(path) => Suppressions::load(path)?,
            None => Suppressions::default(),
        };
        Ok(Rules {
            set: Arc::new(set),
            suppressions,
        })
    }

    /// Runs the rules of `detection` over its scope: one scan, the engine's.
    pub async fn run(&self, session: &Session, detection: &Detection) -> Result<(Found, Option<Pruning>), String> {
        let only = detection.rule.as_ref().map(|r| r.id.as_str());
        let chosen = detect::choose(&self.set, Level::Informational, only).map_err(|e| e.to_string())?;
        let plan = detect::plan(&self.set, &chosen, &detection.scope);
        let findings = detect::run(session, &self.set, &plan)
            .await
            .map_err(|e| e.to_string())?;
        let (silenced, hits): (Vec<Hit>, Vec<Hit>) = findings
            .hits
            .into_iter()
            .partition(|h| self.suppressions.silencing(&self.set, h).is_some());
        let found = Found::new(self.set.clone(), hits, chosen.len(), silenced.len());
        Ok((found, findings.pruning))
    }
}

/// Which rules a run is of: all of them, or one (its hits under other filters).
#[derive(Clone, Debug)]
pub struct Detection {
    pub scope: Scope,
    pub rule: Option<RuleName>,
}

/// A rule as a screen names it: its id (what the engine finds it by) and its title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleName {
    pub id: String,
    pub title: String,
}

impl Detection {
    pub fn title(&self) -> String {
        match &self.rule {
            // A rule's title may come from the user's own files: shown as any text is.
            Some(r) => format!("detect: {}", crate::engine::output::printable(&r.title)),
            None => "detect: every rule".into(),
        }
    }
}

/// What a run found: the hits not suppressed, and their count per rule.
#[derive(Debug)]
pub struct Found {
    pub set: Arc<RuleSet>,
    pub hits: Vec<Hit>,
    /// How many rules ran.
    pub ran: usize,
    pub suppressed: usize,
    /// Per rule with hits, (its index in the set, its hits), most severe first.
    pub groups: Vec<(usize, usize)>,
}

impl Found {
    pub fn new(set: Arc<RuleSet>, hits: Vec<Hit>, ran: usize, suppressed: usize) -> Found {
        let groups = detect::by_rule(&set, &hits);
        Found {
            set,
            hits,
            ran,
            suppressed,
            groups,
        }
    }

    /// The rules that cannot be run (`trailscope detect --list` says why).
    pub fn not_run(&self) -> usize {
        self.set.refused.len()
    }

    /// The hits of the rule at `rule` in the set, in the engine's order (by time).
    pub fn hits_of(&self, rule: usize) -> Vec<Hit> {
        self.hits.iter().filter(|h| h.rule == rule).cloned().collect()
    }

    /// The first and the last time the rule at `rule` hit.
    pub fn span(&self, rule: usize) -> Option<(i64, i64)> {
        let times = self.hits.iter().filter(|h| h.rule == rule).map(|h| h.time);
        let (first, last) = times.fold((i64::MAX, i64::MIN), |(f, l), t| (f.min(t), l.max(t)));
        (first <= last).then_some((first, last))
    }

    pub fn name(&self, rule: usize) -> RuleName {
        let r = &self.set.rules[rule];
        RuleName {
            id: r.id.clone(),
            title: r.title.clone(),
        }
    }
}

/// A feed's task for a detection: loads the rules (once), runs them and sends what they found.
/// Aborting the task drops the engine's stream, which stops the scan.
pub(super) async fn feed(
    session: Arc<Session>,
    id: u64,
    detection: Detection,
    rules: RulesCell,
    tell: UnboundedSender<Message>,
    busy: Arc<AtomicBool>,
) {
    let started = Instant::now();
    let requests_before = crate::archive::requests::snapshot();
    let outcome = async {
        // Reading the user's folders of rules is file work: off the tasks that draw.
        let loaded = tokio::task::spawn_blocking(move || {
            rules
                .loaded
                .get_or_init(|| Rules::from_config(&rules.dirs, rules.suppressions.as_deref()).map(Arc::new))
                .clone()
        })
        .await
        .map_err(|e| e.to_string())??;
        loaded.run(&session, &detection).await
    }
    .await;
    busy.store(false, Ordering::Relaxed);
    let message = match outcome {
        Ok((found, pruning)) => Message::Detected {
            feed: id,
            found: Arc::new(found),
            elapsed: started.elapsed(),
            read: read(pruning, requests_before),
        },
        Err(message) => Message::Failed {
            feed: id,
            message,
            refused: None,
        },
    };
    let _ = tell.send(message);
}

fn read(pruning: Option<Pruning>, before: crate::archive::requests::Snapshot) -> Option<Read> {
    let read = Read {
        pruning,
        requests: crate::archive::requests::snapshot().since(&before).total(),
        ..Read::default()
    };
    (read != Read::default()).then_some(read)
}

/// Some of what every rule finds in the last 6 hours of the demo archive (`trailscope demo`),
/// as `trailscope detect` reports it: its intruder deletes a VPC's flow logs and stops the trail
/// from a role it assumed, amid the ordinary role sessions of a rule of low level.
#[cfg(test)]
pub(crate) fn incident() -> Found {
    let set = Arc::new(RuleSet::builtin());
    let rule = |id: &str| set.rules.iter().position(|r| r.id == id).expect("a built-in rule");
    let hit = |rule: usize, [time, principal, action, resource, id, ip]: [&str; 6]| Hit {
        rule,
        time: crate::sources::parse_time(time).expect("a time"),
        cloud: "aws".into(),
        tenant: principal.split(':').nth(4).unwrap_or_default().into(),
        principal: principal.into(),
        action: action.into(),
        resource: Some(resource.into()),
        source_ip: Some(ip.into()),
        event_id: id.into(),
        detail: String::new(),
        events: vec![],
    };
    let intruder = "arn:aws:sts::210987654321:assumed-role/DeployAdmin/ci-deployer-8841";
    let (flow_logs, trail, assume) = (
        rule("e386b9b5-af12-450e-afff-761730fb8a98"),
        rule("4db60cc0-36fb-42b7-9b58-a5b53019fb74"),
        rule("905d389b-b853-46d0-9d3d-dea0d3a3cd49"),
    );
    let hits = vec![
        hit(
            flow_logs,
            [
                "2026-10-30T22:59:06Z",
                intruder,
                "DeleteFlowLogs",
                "arn:aws:ec2:us-east-1:210987654321:vpc-flow-log/fl-0c1d2e3f4a5b6c7d8",
                "98172e01-73c2-445d-897a-5e48b9a95072",
                "203.0.113.66",
            ],
        ),
        hit(
            trail,
            [
                "2026-10-30T22:58:36Z",
                intruder,
                "StopLogging",
                "arn:aws:cloudtrail:us-east-1:210987654321:trail/org-trail",
                "60ef23ef-ed40-4e59-b716-30ac94c5f362",
                "203.0.113.66",
            ],
        ),
        hit(
            assume,
            [
                "2026-10-30T17:59:52Z",
                "arn:aws:sts::230456789011:assumed-role/backup-agent/i-0000000000007bed2",
                "GetObject",
                "arn:aws:s3:::acme-assets-2304/tmp/2026/nab3a6ziup.json",
                "2ce7fae2-ad7e-45a8-ac45-3466b6833bfb",
                "10.1.13.10",
            ],
        ),
        hit(
            assume,
            [
                "2026-10-30T23:53:39Z",
                "arn:aws:sts::907123456780:assumed-role/etl-pipeline/i-0000000000005cfd0",
                "GetObjectTagging",
                "arn:aws:s3:::acme-uploads-9071/reports/2024/bbgra8uk4y.json",
                "8a00ac9c-1ed6-4bf2-9716-f01578dd63aa",
                "10.0.12.11",
            ],
        ),
    ];
    Found::new(set.clone(), hits, set.rules.len(), 0)
}
