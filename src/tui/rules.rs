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

/// The rules, loaded when first run (most sessions never open the Detections screen).
pub type RulesCell = Arc<OnceLock<Result<Arc<Rules>, String>>>;

impl Rules {
    /// SigmaHQ's rules alone: what a test runs, whatever the user's config file says.
    pub fn builtin() -> Rules {
        Rules {
            set: Arc::new(RuleSet::builtin()),
            suppressions: Suppressions::default(),
        }
    }

    /// The built-in rules, the config file's folders of rules and its suppressions. The
    /// workbench is not told of `--config` (its setup comes from the command line, which does
    /// not pass it), so the file is the default one or `$TRAILSCOPE_CONFIG`. A folder or a
    /// suppression file that cannot be read fails the run, as it fails `trailscope detect`:
    /// running fewer rules than the user asked for without saying so would hide hits.
    pub fn from_config() -> Result<Rules, String> {
        let config = crate::config::Config::load(None).map_err(|e| e.to_string())?;
        let mut set = RuleSet::builtin();
        for dir in &config.rule_dirs {
            set.add_dir(dir).map_err(|e| e.to_string())?;
        }
        let suppressions = match &config.suppressions {
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
        let loaded =
            tokio::task::spawn_blocking(move || rules.get_or_init(|| Rules::from_config().map(Arc::new)).clone())
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
