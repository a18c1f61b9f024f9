//! Queries on background tasks. Each screen has at most one query running: a newer request
//! replaces the pending one (its task is aborted, which drops its stream), and a result that
//! arrives for a superseded request is dropped by its generation number.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::results::{ResultSet, WINDOW_ROWS, read};
use crate::engine::{Query, Session};

/// What a query's result is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Timeline,
    BucketEvents,
    Principals,
    Resources,
}

#[derive(Debug)]
pub struct JobDone {
    pub target: Target,
    pub generation: u64,
    pub elapsed: Duration,
    pub outcome: Result<ResultSet, String>,
}

pub struct Jobs {
    session: Arc<Session>,
    done: UnboundedSender<JobDone>,
    running: HashMap<Target, (u64, Instant, JoinHandle<()>)>,
}

impl Jobs {
    pub fn new(session: Arc<Session>, done: UnboundedSender<JobDone>) -> Self {
        Jobs {
            session,
            done,
            running: HashMap::new(),
        }
    }

    /// Starts `query` for `target`, replacing what was running for it.
    pub fn start(&mut self, target: Target, generation: u64, query: Query) {
        self.cancel(target);
        let session = self.session.clone();
        let done = self.done.clone();
        let started = Instant::now();
        let handle = tokio::spawn(async move {
            let outcome = match session.run(&query).await {
                Ok(stream) => read(stream, WINDOW_ROWS).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let _ = done.send(JobDone {
                target,
                generation,
                elapsed: started.elapsed(),
                outcome,
            });
        });
        self.running.insert(target, (generation, started, handle));
    }

    /// Stops the query of `target` for real: its task ends and its stream is dropped.
    pub fn cancel(&mut self, target: Target) -> bool {
        match self.running.remove(&target) {
            Some((_, _, handle)) => {
                handle.abort();
                true
            }
            None => false,
        }
    }

    pub fn cancel_all(&mut self) -> usize {
        let targets: Vec<Target> = self.running.keys().copied().collect();
        targets.into_iter().filter(|t| self.cancel(*t)).count()
    }

    /// Forgets a finished job; false when the result is for a superseded request.
    pub fn finished(&mut self, done: &JobDone) -> bool {
        match self.running.get(&done.target) {
            Some((generation, _, _)) if *generation == done.generation => {
                self.running.remove(&done.target);
                true
            }
            _ => false,
        }
    }

    /// What is running, and for how long.
    pub fn running(&self) -> Vec<(Target, Duration)> {
        self.running
            .iter()
            .map(|(t, (_, started, _))| (*t, started.elapsed()))
            .collect()
    }
}
