//! The workbench's state and how actions change it. Nothing here draws or runs a query: an
//! action returns the queries it needs, which the loop hands to the job runner.

use std::time::Duration;

use super::jobs::{JobDone, Target};
use super::keys::Action;
use super::results::ResultSet;
use crate::engine::{Query, Scope, TimeWindow, views};

pub const SCREENS: [&str; 3] = ["Timeline", "Principals", "Resources"];

/// One screen's result and where the cursor is in it.
#[derive(Clone, Debug, Default)]
pub struct Pane {
    pub result: Option<Result<ResultSet, String>>,
    pub selected: usize,
    pub elapsed: Option<Duration>,
}

impl Pane {
    fn rows(&self) -> usize {
        match &self.result {
            Some(Ok(r)) => r.rows.len(),
            _ => 0,
        }
    }

    fn move_by(&mut self, delta: isize) {
        let n = self.rows();
        if n == 0 {
            return;
        }
        self.selected = (self.selected as isize + delta).clamp(0, n as isize - 1) as usize;
    }
}

pub struct App {
    pub archive: String,
    pub screen: usize,
    pub scope: Scope,
    /// The windows narrowed from, to step back out.
    pub history: Vec<TimeWindow>,
    pub generation: u64,
    pub timeline: Pane,
    pub bucket_events: Pane,
    pub principals: Pane,
    pub resources: Pane,
    pub status: String,
    pub help: bool,
    pub quit: bool,
}

impl App {
    pub fn new(archive: String, window: TimeWindow) -> Self {
        App {
            archive,
            screen: 0,
            scope: Scope::new(window),
            history: Vec::new(),
            generation: 0,
            timeline: Pane::default(),
            bucket_events: Pane::default(),
            principals: Pane::default(),
            resources: Pane::default(),
            status: String::new(),
            help: false,
            quit: false,
        }
    }

    /// The queries the current screen needs, under a new generation.
    pub fn load(&mut self) -> Vec<(Target, u64, Query)> {
        self.generation += 1;
        let g = self.generation;
        match self.screen {
            0 => vec![(Target::Timeline, g, views::timeline(&self.scope))],
            1 => vec![(Target::Principals, g, views::principals(&self.scope))],
            _ => vec![(Target::Resources, g, views::resources(&self.scope))],
        }
    }

    /// The start of the selected timeline bucket.
    pub fn selected_bucket(&self) -> Option<i64> {
        let Some(Ok(set)) = &self.timeline.result else {
            return None;
        };
        let at = set.column("bucket")?;
        let row = set.rows.get(self.timeline.selected)?;
        crate::sources::parse_time(&row[at]).ok()
    }

    fn bucket_query(&mut self) -> Vec<(Target, u64, Query)> {
        match self.selected_bucket() {
            Some(start) => {
                self.generation += 1;
                vec![(
                    Target::BucketEvents,
                    self.generation,
                    views::bucket_events(&self.scope, start),
                )]
            }
            None => vec![],
        }
    }

    fn pane(&mut self) -> &mut Pane {
        match self.screen {
            0 => &mut self.timeline,
            1 => &mut self.principals,
            _ => &mut self.resources,
        }
    }

    /// Applies an action; returns the queries to start. `Cancel` is the loop's to carry out.
    pub fn update(&mut self, action: Action) -> Vec<(Target, u64, Query)> {
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = !self.help,
            Action::Screen(n) if n < SCREENS.len() => {
                self.screen = n;
                let pane = self.pane();
                if pane.result.is_none() {
                    return self.load();
                }
            }
            Action::Screen(_) => {}
            Action::Refresh => return self.load(),
            Action::Left | Action::Right if self.screen == 0 => {
                self.timeline.move_by(if action == Action::Left { -1 } else { 1 });
                return self.bucket_query();
            }
            Action::Up | Action::Left => self.pane().move_by(-1),
            Action::Down | Action::Right => {
                self.pane().move_by(1);
            }
            Action::PageUp => self.pane().move_by(-20),
            Action::PageDown => self.pane().move_by(20),
            Action::First => self.pane().selected = 0,
            Action::Last => {
                let pane = self.pane();
                pane.selected = pane.rows().saturating_sub(1);
            }
            Action::Narrow if self.screen == 0 => {
                let bucket = self.scope.window.bucket();
                if let Some(start) = self.selected_bucket() {
                    self.history.push(self.scope.window.clone());
                    self.scope.window = TimeWindow {
                        from: start,
                        to: start + bucket.micros,
                        chosen: "narrowed to a bucket".into(),
                    };
                    self.timeline = Pane::default();
                    self.bucket_events = Pane::default();
                    return self.load();
                }
            }
            Action::ZoomOut => {
                if let Some(previous) = self.history.pop() {
                    self.scope.window = previous;
                    self.timeline = Pane::default();
                    self.bucket_events = Pane::default();
                    self.principals = Pane::default();
                    self.resources = Pane::default();
                    return self.load();
                }
            }
            Action::Narrow | Action::Cancel => {}
        }
        vec![]
    }

    /// Takes a finished query's result; the timeline's first result also loads its busiest
    /// bucket's events.
    pub fn finished(&mut self, done: JobDone) -> Vec<(Target, u64, Query)> {
        let pane = match done.target {
            Target::Timeline => &mut self.timeline,
            Target::BucketEvents => &mut self.bucket_events,
            Target::Principals => &mut self.principals,
            Target::Resources => &mut self.resources,
        };
        pane.elapsed = Some(done.elapsed);
        pane.result = Some(done.outcome);
        pane.selected = 0;
        if done.target == Target::Timeline {
            if let Some(Ok(set)) = &self.timeline.result {
                // Open on the busiest bucket: where something happened.
                let events = set.column("events");
                let busiest = (0..set.rows.len())
                    .max_by_key(|&i| events.and_then(|c| set.rows[i][c].parse::<u64>().ok()).unwrap_or(0));
                self.timeline.selected = busiest.unwrap_or(0);
            }
            return self.bucket_query();
        }
        vec![]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        App::new(
            "test".into(),
            TimeWindow {
                from: 0,
                to: 120 * 60_000_000,
                chosen: String::new(),
            },
        )
    }

    fn timeline(rows: &[(&str, &str)]) -> ResultSet {
        ResultSet {
            columns: vec!["bucket".into(), "events".into(), "successes".into(), "failures".into()],
            rows: rows
                .iter()
                .map(|(b, n)| vec![b.to_string(), n.to_string(), n.to_string(), "0".into()])
                .collect(),
            more: false,
        }
    }

    #[test]
    fn the_timeline_opens_on_its_busiest_bucket_and_arrows_move_between_buckets() {
        let mut app = app();
        let loads = app.load();
        assert_eq!(loads[0].0, Target::Timeline);
        let done = JobDone {
            target: Target::Timeline,
            generation: 1,
            elapsed: Duration::ZERO,
            outcome: Ok(timeline(&[
                ("1970-01-01T00:00:00Z", "2"),
                ("1970-01-01T00:01:00Z", "9"),
                ("1970-01-01T00:02:00Z", "1"),
            ])),
        };
        let next = app.finished(done);
        assert_eq!(app.timeline.selected, 1);
        assert_eq!(next[0].0, Target::BucketEvents);
        assert!(next[0].2.params.iter().any(|(n, _)| n == "bucket_start"));
        let moved = app.update(Action::Right);
        assert_eq!(app.timeline.selected, 2);
        assert_eq!(moved.len(), 1, "the new bucket's events are asked for");
        app.update(Action::Right);
        assert_eq!(app.timeline.selected, 2, "the cursor stops at the last bucket");
    }

    #[test]
    fn enter_narrows_to_the_bucket_and_minus_steps_back() {
        let mut app = app();
        app.load();
        app.finished(JobDone {
            target: Target::Timeline,
            generation: 1,
            elapsed: Duration::ZERO,
            outcome: Ok(timeline(&[("1970-01-01T00:01:00Z", "3")])),
        });
        let before = app.scope.window.clone();
        let loads = app.update(Action::Narrow);
        assert_eq!(app.scope.window.from, 60_000_000);
        assert_eq!(app.scope.window.span(), before.bucket().micros);
        assert_eq!(loads[0].0, Target::Timeline);
        app.update(Action::ZoomOut);
        assert_eq!(app.scope.window, before);
    }

    #[test]
    fn switching_screens_loads_each_once() {
        let mut app = app();
        assert_eq!(app.update(Action::Screen(1))[0].0, Target::Principals);
        app.principals.result = Some(Ok(ResultSet::default()));
        app.update(Action::Screen(0));
        assert!(app.update(Action::Screen(1)).is_empty(), "already loaded");
        app.update(Action::Quit);
        assert!(app.quit);
    }
}
