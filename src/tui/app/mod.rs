//! The workbench's state and how actions change it. Nothing here draws or runs a query: an
//! action returns effects (queries to start, rows to ask for, an export, a copy), which the loop
//! carries out.

mod input;
mod pivots;
mod results;

use std::path::PathBuf;

use crate::engine::reports::Report;
use crate::engine::views::{self, Pin};
use crate::engine::{Query, Scope, Subject, TimeWindow};

use super::jobs::{Message, Request};
use super::keys::Action;
use super::pane::{CHUNK_ROWS, KEEP_ROWS, Load, Need, Pane};
use super::prompt::{Form, LineInput, Prompt, Purpose};
use super::view::{Counted, Kind, View};
use crate::tui::editor::Editor;

pub const SCREENS: [&str; 5] = ["Timeline", "Principals", "Resources", "SQL", "Reports"];

/// Charts hold every bucket (at most ~130).
const CHART_ROWS: usize = 10_000;

/// What the loop is asked to do.
#[derive(Debug)]
pub enum Effect {
    Start {
        feed: u64,
        request: Request,
        skip: usize,
        first: usize,
    },
    More {
        feed: u64,
        n: usize,
    },
    Export {
        query: Query,
        /// The window the rows were chosen by, when the query is bound to it.
        window: Option<TimeWindow>,
        path: PathBuf,
    },
    Copy(String),
    Suspend,
}

pub struct App {
    pub archive: String,
    /// The newest event's time: relative times (`:from 24h`) count back from it.
    pub archive_end: Option<i64>,
    pub stack: Vec<View>,
    pub editor: Editor,
    /// The SQL editor has the keys (else its result table has them).
    pub editing: bool,
    pub reports: Vec<Report>,
    pub prompt: Option<Prompt>,
    pub form: Option<Form>,
    pub help: bool,
    pub local_time: bool,
    /// A line for the status bar, and whether it reports a problem.
    pub message: Option<(String, bool)>,
    next_feed: u64,
    pub quit: bool,
    /// Where the drawing put the focused table's rows, and the row number of the first: a
    /// click picks a row from it. (Drawing records it; nothing else is written while drawing.)
    pub table_area: std::cell::Cell<Option<(ratatui::layout::Rect, usize)>>,
    /// A value shown whole in a popup (a long line of a record): its path and text.
    pub value: Option<(String, String)>,
}

impl App {
    pub fn new(
        archive: String,
        window: TimeWindow,
        archive_end: Option<i64>,
        editor: Editor,
        reports: Vec<Report>,
    ) -> Self {
        let reports_list = reports;
        App {
            archive,
            archive_end,
            stack: vec![View::new(Kind::Timeline, Scope::new(window))],
            editor,
            editing: true,
            reports: reports_list,
            prompt: None,
            form: None,
            help: false,
            local_time: false,
            message: None,
            next_feed: 0,
            quit: false,
            table_area: std::cell::Cell::new(None),
            value: None,
        }
    }

    pub fn view(&self) -> &View {
        self.stack.last().expect("the stack is never empty")
    }

    pub fn view_mut(&mut self) -> &mut View {
        self.stack.last_mut().expect("the stack is never empty")
    }

    pub fn scope(&self) -> &Scope {
        &self.view().scope
    }

    fn feed_id(&mut self) -> u64 {
        self.next_feed += 1;
        self.next_feed
    }

    /// The feeds any view on the stack still reads from; the others can stop.
    pub fn live_feeds(&self) -> Vec<u64> {
        self.stack.iter().flat_map(|v| v.feeds()).collect()
    }

    fn tell(&mut self, text: impl Into<String>) {
        self.message = Some((shown(&text.into()), false));
    }

    fn warn(&mut self, text: impl Into<String>) {
        self.message = Some((shown(&text.into()), true));
    }

    /// Starts the queries of the view on top.
    pub fn load(&mut self) -> Vec<Effect> {
        let requests = self.view().requests();
        let mut effects = Vec::new();
        for (pane, request) in requests {
            let feed = self.feed_id();
            let first = if self.view().is_chart(pane) {
                CHART_ROWS
            } else {
                CHUNK_ROWS
            };
            let query = match &request {
                Request::Query(q) => Some(q.clone()),
                Request::Report(..) => None,
            };
            self.view_mut().panes[pane].restart(feed, query);
            effects.push(Effect::Start {
                feed,
                request,
                skip: 0,
                first,
            });
        }
        if let Kind::Reports = self.view().kind {
            self.fill_reports();
        }
        effects
    }

    /// The reports list is known without a query.
    fn fill_reports(&mut self) {
        let rows = self
            .reports
            .iter()
            .map(|r| {
                let params: Vec<String> = r.params.iter().map(|p| p.name.clone()).collect();
                vec![r.name.clone(), r.title.clone(), params.join(", ")]
            })
            .collect();
        let pane = &mut self.view_mut().panes[0];
        pane.load = Load::Running;
        pane.take(
            vec!["report".into(), "title".into(), "parameters".into()],
            0,
            rows,
            true,
        );
    }

    /// Opens a view on top of the stack (a pivot: `Esc` comes back).
    fn push(&mut self, view: View) -> Vec<Effect> {
        self.stack.push(view);
        self.load()
    }

    /// Replaces the view on top (a change of the same view, like a zoom).
    fn replace(&mut self, view: View) -> Vec<Effect> {
        self.stack.pop();
        self.push(view)
    }

    fn back(&mut self) -> Vec<Effect> {
        if self.stack.len() > 1 {
            self.stack.pop();
        } else {
            self.tell("this is where the investigation started (q quits)");
        }
        vec![]
    }

    /// Applies an action.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        self.message = None;
        if self.value.take().is_some() && action != Action::Copy {
            // Any key closes the value's popup (y copies it first).
            return vec![];
        }
        if self.help {
            // Any key closes the help.
            self.help = false;
            if action == Action::Help || action == Action::Back {
                return vec![];
            }
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = true,
            Action::Screen(n) => return self.screen(n),
            Action::Back => return self.back(),
            Action::Cancel => {}
            Action::Suspend => return vec![Effect::Suspend],
            Action::Up => return self.move_rows(-1),
            Action::Down => return self.move_rows(1),
            Action::PageUp => return self.move_rows(-20),
            Action::PageDown => return self.move_rows(20),
            Action::HalfUp => return self.move_rows(-10),
            Action::HalfDown => return self.move_rows(10),
            Action::First | Action::Last if matches!(self.view().kind, Kind::Timeline) && self.view().focus == 0 => {
                let n = self.view().panes[0].known_rows() as isize;
                let to = if action == Action::First { 0 } else { n - 1 };
                return self.move_bucket(to - self.view().panes[0].row as isize);
            }
            Action::First => return self.move_rows(isize::MIN / 2),
            Action::Last => return self.last(),
            Action::Left | Action::Right if matches!(self.view().kind, Kind::Timeline) => {
                return self.move_bucket(if action == Action::Left { -1 } else { 1 });
            }
            Action::Left | Action::ColLeft => self.view_mut().pane_mut().move_col(-1),
            Action::Right | Action::ColRight => self.view_mut().pane_mut().move_col(1),
            Action::HideColumn => {
                if let Some(c) = self.view_mut().pane_mut().hide_col() {
                    self.tell(format!("column {c} hidden (X shows every column)"));
                }
            }
            Action::ShowColumns => self.view_mut().pane_mut().show_all_cols(),
            Action::MoveColumnLeft => self.view_mut().pane_mut().shift_col(-1),
            Action::MoveColumnRight => self.view_mut().pane_mut().shift_col(1),
            Action::Focus => {
                if self.view().kind == Kind::Sql {
                    self.editing = true;
                } else {
                    self.view_mut().focus_next();
                }
            }
            Action::Open => return self.open(),
            Action::Run => return self.run(),
            Action::ZoomIn => return self.zoom(0.5),
            Action::ZoomOut => return self.zoom(2.0),
            Action::Principal => return self.pivot("principal", Kind::Principal),
            Action::Resource => return self.pivot("resource", Kind::Resource),
            Action::SourceIp => return self.pivot("source_ip", Kind::SourceIp),
            Action::Centre => return self.centre(),
            Action::FilterIn => return self.pin(false),
            Action::FilterOut => return self.pin(true),
            Action::Where => self.ask(Purpose::Where, ""),
            Action::Frequency => return self.frequency(),
            Action::Copy => return self.copy(),
            Action::LocalTime => {
                self.local_time = !self.local_time;
                self.tell(if self.local_time {
                    "times in local time, offset written (z: UTC)"
                } else {
                    "times in UTC (z: local time)"
                });
            }
            Action::Sort => return self.sort(),
            Action::Search => self.ask(Purpose::Search, ""),
            Action::SearchNext | Action::SearchPrevious => self.search_again(action == Action::SearchPrevious),
            Action::Export => self.start_export(),
            Action::Command => self.ask(Purpose::Command, ""),
        }
        vec![]
    }

    fn screen(&mut self, n: usize) -> Vec<Effect> {
        let kind = match n {
            0 => Kind::Timeline,
            1 => Kind::Principals,
            2 => Kind::Resources,
            3 => Kind::Sql,
            4 => Kind::Reports,
            _ => return vec![],
        };
        if self.view().kind == kind {
            return vec![];
        }
        if kind == Kind::Sql {
            self.editing = true;
        }
        // The screen opens under the filters in force: they are one context for every screen.
        let scope = self.scope().clone();
        self.push(View::new(kind, scope))
    }

    fn ask(&mut self, purpose: Purpose, text: &str) {
        self.prompt = Some(Prompt {
            purpose,
            input: LineInput::with(text),
        });
    }

    fn move_rows(&mut self, delta: isize) -> Vec<Effect> {
        if let Kind::Event(_) = self.view().kind {
            let v = self.view_mut();
            let n = v.json.len();
            v.json_row = (v.json_row as isize + delta).clamp(0, n.saturating_sub(1) as isize) as usize;
            return vec![];
        }
        let view = self.view_mut();
        // On the timeline, going down from the chart goes into the bucket's events, and back up.
        if matches!(view.kind, Kind::Timeline) {
            if view.focus == 0 && delta > 0 {
                view.focus = 1;
                return vec![];
            }
            if view.focus == 1 && delta < 0 && view.panes[1].row == 0 {
                view.focus = 0;
                return vec![];
            }
            if view.focus == 0 {
                return vec![];
            }
        }
        let need = view.pane_mut().move_by(delta);
        self.need(need)
    }

    fn last(&mut self) -> Vec<Effect> {
        if let Kind::Event(_) = self.view().kind {
            let v = self.view_mut();
            v.json_row = v.json.len().saturating_sub(1);
            return vec![];
        }
        let pane = self.view_mut().pane_mut();
        if pane.complete {
            let need = pane.go_to(usize::MAX);
            return self.need(need);
        }
        // The end of an unfinished result: read on to it, keeping only the last rows.
        let need = pane.to_end();
        self.tell("reading to the end of the result…");
        self.need(need)
    }

    /// Carries out what a pane needs after its cursor moved.
    fn need(&mut self, need: Need) -> Vec<Effect> {
        match need {
            Need::Nothing => vec![],
            Need::More(n) => vec![Effect::More {
                feed: self.view().pane().feed,
                n,
            }],
            Need::Restart(skip) => {
                let feed = self.feed_id();
                let pane = self.view_mut().pane_mut();
                let Some(query) = pane.query.clone() else { return vec![] };
                let query = match &pane.sort {
                    Some((c, desc)) => views::sorted(&query, c, *desc),
                    None => query,
                };
                let row = pane.row;
                pane.restart(feed, None);
                pane.row = row;
                vec![Effect::Start {
                    feed,
                    request: Request::Query(query),
                    skip,
                    first: KEEP_ROWS,
                }]
            }
        }
    }

    /// A click at a screen position: on a row of the focused table, selects it.
    pub fn click(&mut self, column: u16, row: u16) -> Vec<Effect> {
        let Some((area, first)) = self.table_area.get() else {
            return vec![];
        };
        let inside = column >= area.x && column < area.x + area.width && row >= area.y && row < area.y + area.height;
        if !inside {
            return vec![];
        }
        let target = first + (row - area.y) as usize;
        let need = self.view_mut().pane_mut().go_to(target);
        self.need(need)
    }

    /// The timeline's selected bucket start.
    pub fn selected_bucket(&self) -> Option<i64> {
        let chart = &self.view().panes[0];
        chart.value("bucket").and_then(|b| crate::sources::parse_time(b).ok())
    }

    fn move_bucket(&mut self, delta: isize) -> Vec<Effect> {
        let chart = &mut self.view_mut().panes[0];
        let before = chart.row;
        chart.move_by(delta);
        if chart.row == before {
            return vec![];
        }
        self.bucket_events()
    }

    /// Asks for the selected bucket's events.
    fn bucket_events(&mut self) -> Vec<Effect> {
        let Some(start) = self.selected_bucket() else {
            return vec![];
        };
        let query = views::bucket_events(self.scope(), start);
        let feed = self.feed_id();
        let pane = &mut self.view_mut().panes[1];
        pane.restart(feed, Some(query.clone()));
        pane.row = 0;
        pane.sort = None;
        vec![Effect::Start {
            feed,
            request: Request::Query(query),
            skip: 0,
            first: CHUNK_ROWS,
        }]
    }

    fn copy(&mut self) -> Vec<Effect> {
        let text = if let Kind::Event(_) = self.view().kind {
            let v = self.view();
            v.json.get(v.json_row).map(|l| json_value(&l.text))
        } else {
            self.view().pane().cell().map(String::from)
        };
        match text {
            Some(t) => {
                self.tell(format!("copied {} characters", t.chars().count()));
                vec![Effect::Copy(t)]
            }
            None => vec![],
        }
    }

    fn sort(&mut self) -> Vec<Effect> {
        let pane = self.view().pane();
        let (Some(column), Some(query)) = (pane.column().map(String::from), pane.query.clone()) else {
            self.warn("nothing to sort here");
            return vec![];
        };
        let descending = matches!(&pane.sort, Some((c, false)) if *c == column);
        let feed = self.feed_id();
        let pane = self.view_mut().pane_mut();
        pane.sort = Some((column.clone(), descending));
        pane.restart(feed, None);
        pane.row = 0;
        vec![Effect::Start {
            feed,
            request: Request::Query(views::sorted(&query, &column, descending)),
            skip: 0,
            first: CHUNK_ROWS,
        }]
    }

    fn search_again(&mut self, back: bool) {
        let pane = self.view().pane();
        let Some(text) = pane.search.clone() else {
            self.tell("/ searches the table");
            return;
        };
        match pane.find(&text, back) {
            Some(row) => {
                self.view_mut().pane_mut().go_to(row);
            }
            None => self.warn(format!(
                "'{text}' is not in the loaded rows {}",
                if back { "above" } else { "below" }
            )),
        }
    }

    fn start_export(&mut self) {
        let pane = self.view().pane();
        if pane.query.is_none() {
            self.warn("nothing to export here: export from a table of results");
            return;
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let name = self
            .view()
            .kind
            .crumb()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect::<String>();
        let name: String = name.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-");
        self.ask(
            Purpose::Export { confirmed: false },
            &format!("trailscope-{name}-{stamp}.csv"),
        );
    }

    /// A window's start moved so that the window does not run past the archive's newest event
    /// (half a chart of nothing tells nothing).
    fn within_archive(&self, from: i64, span: i64) -> i64 {
        match self.archive_end {
            Some(end) => {
                let anchor = crate::engine::window::anchor(Some(end));
                if from + span > anchor { anchor - span } else { from }
            }
            None => from,
        }
    }

    fn zoom(&mut self, factor: f64) -> Vec<Effect> {
        let mut scope = self.scope().clone();
        let w = &scope.window;
        let centre = match (&self.view().kind, self.selected_bucket()) {
            (Kind::Timeline, Some(start)) => start + w.bucket().micros / 2,
            _ => w.from + w.span() / 2,
        };
        let span = ((w.span() as f64 * factor) as i64).max(60_000_000);
        let from = self.within_archive(centre - span / 2, span);
        scope.window = TimeWindow {
            from,
            to: from + span,
            chosen: if factor < 1.0 {
                "zoomed in".into()
            } else {
                "zoomed out".into()
            },
        };
        let kind = match self.view().kind.clone() {
            Kind::Event(_) | Kind::Sql | Kind::Reports | Kind::Report(_) => Kind::Timeline,
            k => k,
        };
        let mut view = View::new(kind, scope);
        view.centre_on = Some(centre);
        self.replace(view)
    }

    /// F5 / Ctrl+Enter: runs the SQL, or runs the view again.
    fn run(&mut self) -> Vec<Effect> {
        if self.view().kind == Kind::Sql {
            let sql = self.editor.text();
            if sql.trim().is_empty() {
                self.warn("type a query first");
                return vec![];
            }
            self.editor.remember(&sql);
            let query = Query {
                title: "SQL".into(),
                sql,
                params: vec![],
                facts: None,
            };
            let feed = self.feed_id();
            let pane = self.view_mut().pane_mut();
            pane.restart(feed, Some(query.clone()));
            pane.sort = None;
            pane.row = 0;
            return vec![Effect::Start {
                feed,
                request: Request::Query(query),
                skip: 0,
                first: CHUNK_ROWS,
            }];
        }
        self.view_mut().json.clear();
        self.load()
    }

    fn run_report(&mut self, report: Report, given: Vec<(String, String)>) -> Vec<Effect> {
        let scope = self.scope().clone();
        let mut view = View::new(Kind::Report(report.name.clone()), scope);
        view.panes[0].title = report.title.clone();
        view.report = Some(report);
        view.given = given;
        self.push(view)
    }
}

/// A message as the status bar may show it: it may quote a value (an error about a cell), so
/// secrets are masked and hostile characters escaped.
pub(super) fn shown(text: &str) -> String {
    crate::terminal_text::escape_lines(&crate::secrets::mask_text(text)).into_owned()
}

/// The value a laid-out JSON line holds, as text: a string unquoted and unescaped, anything else
/// as written.
fn json_value(line: &str) -> String {
    let value = match line.strip_prefix('"').and_then(|_| line.find("\": ")) {
        Some(at) => &line[at + 3..],
        None => line,
    };
    let value = value.trim_end_matches(',');
    let decoded = serde_json::from_str::<String>(value).unwrap_or_else(|_| value.to_string());
    // Decoded, a JSON escape is the character again: shown (and copied) as its visible escape.
    crate::terminal_text::escape(&decoded).into_owned()
}

/// The query behind a pane's rows, in the order they are shown.
fn shown_query(pane: &Pane) -> Option<Query> {
    let query = pane.query.clone()?;
    Some(match &pane.sort {
        Some((c, desc)) => views::sorted(&query, c, *desc),
        None => query,
    })
}

fn pane_is_single(pane: &Pane) -> bool {
    pane.complete && pane.known_rows() == 1
}

#[cfg(test)]
mod tests;
