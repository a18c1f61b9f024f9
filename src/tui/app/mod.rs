//! The workbench's state and how actions change it. Nothing here draws or runs a query: an
//! action returns effects (queries to start, rows to ask for, an export, a copy, a cancel), which
//! the loop carries out. What differs from screen to screen is asked of `screens`.

mod input;
mod pivots;
mod results;

use std::collections::HashMap;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use crate::engine::reports::Report;
use crate::engine::views::{self, Pin};
use crate::engine::{Query, Scope, TimeWindow};

use super::draw::Hits;
use super::jobs::{Message, Request};
use super::keys::{Action, KeyTable};
use super::pane::{CHUNK_ROWS, KEEP_ROWS, Load, Need, Pane};
use super::prompt::{Form, LineInput, Prompt, Purpose};
use super::screens::{self, Screen, Tab};
use super::view::View;
use crate::tui::editor::Editor;

/// Charts hold every bucket (at most ~130).
pub const CHART_ROWS: usize = 10_000;

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
    /// Stop every query that is reading now (and an export); the app is told which stopped.
    Cancel,
    /// Hand the terminal back to the shell until `fg`.
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
    /// The values last given to each report's form, by report name.
    pub filled: HashMap<String, Vec<(String, String)>>,
    pub prompt: Option<Prompt>,
    pub form: Option<Form>,
    /// The keys' help, open, scrolled this many lines down.
    pub help: Option<usize>,
    pub local_time: bool,
    /// A line for the status bar, and whether it reports a problem.
    pub message: Option<(String, bool)>,
    next_feed: u64,
    pub quit: bool,
    /// A value shown whole in a popup (a long line of a record): its path and text.
    pub value: Option<(String, String)>,
    pub keys: KeyTable,
    /// Whether a query or an export runs now (Esc then cancels rather than goes back).
    pub running: bool,
    /// How many rows the focused table showed when last drawn (a page, for the cursor keys).
    pub page: usize,
    /// What the focused table was last drawn as: its columns' widths, for `{`/`}`.
    pub drawn_widths: Vec<(String, usize)>,
    /// Widths the user gave columns, by screen and column: kept for every view of the screen.
    pub widths: HashMap<(&'static str, String), usize>,
}

impl App {
    pub fn new(
        archive: String,
        window: TimeWindow,
        archive_end: Option<i64>,
        editor: Editor,
        reports: Vec<Report>,
    ) -> Self {
        App {
            archive,
            archive_end,
            stack: vec![View::new(Tab::Timeline.screen(), Scope::new(window))],
            editor,
            editing: true,
            reports,
            filled: HashMap::new(),
            prompt: None,
            form: None,
            help: None,
            local_time: false,
            message: None,
            next_feed: 0,
            quit: false,
            value: None,
            keys: KeyTable::default(),
            running: false,
            page: 20,
            drawn_widths: Vec::new(),
            widths: HashMap::new(),
        }
    }

    /// The key table (the config file's rebindings applied).
    pub fn with_keys(mut self, keys: KeyTable) -> Self {
        self.keys = keys;
        self
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

    pub(in crate::tui) fn feed_id(&mut self) -> u64 {
        self.next_feed += 1;
        self.next_feed
    }

    /// The feeds any view on the stack still reads from; the others can stop.
    pub fn live_feeds(&self) -> Vec<u64> {
        self.stack.iter().flat_map(|v| v.feeds()).collect()
    }

    pub(in crate::tui) fn tell(&mut self, text: impl Into<String>) {
        self.message = Some((shown(&text.into()), false));
    }

    pub(in crate::tui) fn warn(&mut self, text: impl Into<String>) {
        self.message = Some((shown(&text.into()), true));
    }

    /// What the last drawing laid out, for the keys that depend on it (a page, a click).
    /// The table's scroll (its first row and column drawn) is kept as drawn, so that the next
    /// key moves from what the user sees.
    pub fn laid_out(&mut self, hits: &Hits) {
        if let Some(page) = hits.page {
            self.page = page.max(1);
        }
        if let Some(table) = &hits.table {
            self.drawn_widths = table.columns.iter().map(|c| (c.name.clone(), c.width)).collect();
            let pane = self.view_mut().pane_mut();
            pane.top = table.first_row;
            pane.first_col = table.first_col;
        }
        if let Some(top) = self.help {
            self.help = Some(top.min(hits.help_max));
        }
    }

    /// Starts the queries of the view on top.
    pub fn load(&mut self) -> Vec<Effect> {
        let requests = self.view().screen.requests(self.scope());
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
                Request::Report(..) | Request::Detect(_) => None,
            };
            self.view_mut().panes[pane].restart(feed, query);
            effects.push(Effect::Start {
                feed,
                request,
                skip: 0,
                first,
            });
        }
        screens::opened(self);
        effects
    }

    /// Opens a view on top of the stack (a pivot: `Esc` comes back).
    pub(in crate::tui) fn push(&mut self, view: View) -> Vec<Effect> {
        self.stack.push(view);
        self.load()
    }

    /// Replaces the view on top (a change of the same view, like a zoom).
    pub(in crate::tui) fn replace(&mut self, view: View) -> Vec<Effect> {
        self.stack.pop();
        self.push(view)
    }

    fn back(&mut self) -> Vec<Effect> {
        if self.stack.len() > 1 {
            self.stack.pop();
        } else {
            let quit = self.keys.label(Action::Quit);
            self.tell(format!("this is where the investigation started ({quit} quits)"));
        }
        vec![]
    }

    /// A key pressed. What is being typed takes keys first: the line at the foot, a report's
    /// form, the SQL editor; Ctrl+C, and Esc while something runs, cancel wherever the keys go.
    pub fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.prompt.is_some() {
            return self.type_line(key);
        }
        if self.form.is_some() {
            return self.fill(key);
        }
        let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c || (key.code == KeyCode::Esc && self.running) {
            return vec![Effect::Cancel];
        }
        if let Some(effects) = screens::typed(self, key) {
            return effects;
        }
        match self.keys.action(key) {
            Some(action) => self.update(action),
            // Any key closes the help and a value's popup.
            None if self.help.is_some() || self.value.is_some() => {
                self.help = None;
                self.value = None;
                vec![]
            }
            None => vec![],
        }
    }

    /// A mouse event, over what the last drawing laid out.
    pub fn mouse(&mut self, event: MouseEvent, hits: &Hits) -> Vec<Effect> {
        match event.kind {
            MouseEventKind::ScrollDown => (0..3).flat_map(|_| self.update(Action::Down)).collect(),
            MouseEventKind::ScrollUp => (0..3).flat_map(|_| self.update(Action::Up)).collect(),
            MouseEventKind::Down(_) => {
                if let Some(tab) = hits.tab_at(event.column, event.row) {
                    return self.update(Action::Screen(tab.index()));
                }
                self.click(hits, event.column, event.row)
            }
            _ => vec![],
        }
    }

    /// Applies an action.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        self.message = None;
        if self.value.take().is_some() && action != Action::Copy {
            // Any key closes the value's popup (y copies it first).
            return vec![];
        }
        if let Some(top) = self.help {
            // The help scrolls; any other key closes it.
            match action {
                Action::Down | Action::PageDown | Action::HalfDown => self.help = Some(top + 10),
                Action::Up | Action::PageUp | Action::HalfUp => self.help = Some(top.saturating_sub(10)),
                _ => self.help = None,
            }
            return vec![];
        }
        if action == Action::Back && self.running {
            return vec![Effect::Cancel];
        }
        if let Some(effects) = screens::act(self, action) {
            return effects;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = Some(0),
            Action::Screen(n) => return self.screen(n),
            Action::Back => return self.back(),
            Action::Cancel => return vec![Effect::Cancel],
            Action::Suspend => return vec![Effect::Suspend],
            Action::Up => return self.move_rows(-1),
            Action::Down => return self.move_rows(1),
            Action::PageUp => return self.move_rows(-(self.page as isize)),
            Action::PageDown => return self.move_rows(self.page as isize),
            Action::HalfUp => return self.move_rows(-(self.page as isize / 2).max(1)),
            Action::HalfDown => return self.move_rows((self.page as isize / 2).max(1)),
            Action::First => return self.move_rows(isize::MIN / 2),
            Action::Last => return self.last(),
            Action::Left | Action::ColLeft => self.view_mut().pane_mut().move_col(-1),
            Action::Right | Action::ColRight => self.view_mut().pane_mut().move_col(1),
            Action::HideColumn => {
                if let Some(c) = self.view_mut().pane_mut().hide_col() {
                    let all = self.keys.label(Action::ShowColumns);
                    self.tell(format!("column {c} hidden ({all} shows every column)"));
                }
            }
            Action::ShowColumns => self.view_mut().pane_mut().show_all_cols(),
            Action::MoveColumnLeft => self.view_mut().pane_mut().shift_col(-1),
            Action::MoveColumnRight => self.view_mut().pane_mut().shift_col(1),
            Action::Wider => self.resize_column(4),
            Action::Narrower => self.resize_column(-4),
            Action::Focus => self.view_mut().focus_next(),
            Action::Open => return self.open(),
            Action::Run => return self.run(),
            Action::ZoomIn => return self.zoom(0.5),
            Action::ZoomOut => return self.zoom(2.0),
            Action::Principal => return self.pivot("principal", Screen::Principal),
            Action::Resource => return self.pivot("resource", Screen::Resource),
            Action::SourceIp => return self.pivot("source_ip", Screen::SourceIp),
            Action::Centre => return self.centre(),
            Action::FilterIn => return self.pin(false),
            Action::FilterOut => return self.pin(true),
            Action::Where => self.ask(Purpose::Where, ""),
            Action::Frequency => return self.frequency(),
            Action::Copy => return self.copy(),
            Action::LocalTime => {
                self.local_time = !self.local_time;
                let key = self.keys.label(Action::LocalTime);
                self.tell(if self.local_time {
                    format!("times in local time, offset written ({key}: UTC)")
                } else {
                    format!("times in UTC ({key}: local time)")
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

    /// A screen key: the tab's screen under the filters in force (one context for every
    /// screen). A screen opened by a screen key is replaced by the next, not stacked on.
    fn screen(&mut self, n: usize) -> Vec<Effect> {
        let Some(&tab) = Tab::ALL.get(n) else { return vec![] };
        let target = tab.screen();
        if self.view().screen.name() == target.name() {
            return vec![];
        }
        if tab == Tab::Sql {
            self.editing = true;
        }
        let scope = self.scope().clone();
        if self.view().switched {
            // Back to the screen the switching began on, when that is the one asked for.
            let below = &self.stack[self.stack.len() - 2];
            if below.screen.name() == target.name() && below.scope == scope {
                self.stack.pop();
                return vec![];
            }
        }
        let mut view = View::new(target, scope);
        view.switched = true;
        if self.view().switched {
            self.replace(view)
        } else {
            self.push(view)
        }
    }

    pub(in crate::tui) fn ask(&mut self, purpose: Purpose, text: &str) {
        self.prompt = Some(Prompt {
            purpose,
            input: LineInput::with(text),
        });
    }

    fn move_rows(&mut self, delta: isize) -> Vec<Effect> {
        let page = self.page;
        let pane = self.view_mut().pane_mut();
        let need = pane.move_by(delta);
        pane.keep_in_view(page);
        self.need(need)
    }

    fn last(&mut self) -> Vec<Effect> {
        let page = self.page;
        let pane = self.view_mut().pane_mut();
        if pane.complete {
            let need = pane.go_to(usize::MAX);
            pane.keep_in_view(page);
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
                let Some(query) = shown_query(pane) else { return vec![] };
                let (row, top) = (pane.row, pane.top);
                pane.restart(feed, None);
                pane.row = row;
                pane.top = top;
                vec![Effect::Start {
                    feed,
                    request: Request::Query(query),
                    skip,
                    first: KEEP_ROWS,
                }]
            }
        }
    }

    /// A click on a cell of the focused table selects its row and column.
    fn click(&mut self, hits: &Hits, column: u16, row: u16) -> Vec<Effect> {
        let Some(table) = &hits.table else { return vec![] };
        let area = table.area;
        let inside = column >= area.x && column < area.x + area.width && row >= area.y && row < area.y + area.height;
        if !inside {
            return vec![];
        }
        let target = table.first_row + (row - area.y) as usize;
        let at_column = table
            .columns
            .iter()
            .find(|c| column >= c.x && column < c.x + c.width as u16);
        let page = self.page;
        let pane = self.view_mut().pane_mut();
        if let Some(c) = at_column {
            pane.col = c.position;
        }
        pane.top = table.first_row;
        let need = pane.go_to(target);
        pane.keep_in_view(page);
        self.need(need)
    }

    /// `{` and `}`: the selected column narrower or wider, kept for the screen.
    fn resize_column(&mut self, delta: isize) {
        let Some(column) = self.view().pane().column().map(String::from) else {
            return;
        };
        let key = (self.view().screen.name(), column.clone());
        let drawn = self.drawn_widths.iter().find(|(c, _)| *c == column).map(|(_, w)| *w);
        let now = self.widths.get(&key).copied().or(drawn).unwrap_or(12);
        let width = (now as isize + delta).clamp(3, 400) as usize;
        self.widths.insert(key, width);
        self.tell(format!("column {column} {width} wide on this screen"));
    }

    fn copy(&mut self) -> Vec<Effect> {
        let text = match screens::copied(self.view()) {
            Some(own) => own,
            None => self.view().pane().cell().map(|c| c.to_string()),
        };
        match text {
            Some(t) => {
                self.tell(format!("copied {} characters", t.chars().count()));
                vec![Effect::Copy(t)]
            }
            None => vec![],
        }
    }

    /// `s`: sorts by the selected column over the whole result; again reverses. Numbers sort
    /// the largest first (the most failures), text and times from the start.
    fn sort(&mut self) -> Vec<Effect> {
        let pane = self.view().pane();
        let (Some(column), Some(query)) = (pane.column().map(String::from), pane.query.clone()) else {
            self.warn("nothing to sort here");
            return vec![];
        };
        let numbers = pane
            .position(&column)
            .is_some_and(|c| pane.rows.iter().any(|r| r[c].is_number()));
        let descending = match &pane.sort {
            Some((c, desc)) if *c == column => !desc,
            _ => numbers,
        };
        self.sorted_by(column, descending, query)
    }

    pub(in crate::tui) fn sorted_by(&mut self, column: String, descending: bool, query: Query) -> Vec<Effect> {
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
            let key = self.keys.label(Action::Search);
            self.tell(format!("{key} searches the table"));
            return;
        };
        match pane.find(&text, back) {
            Some(row) => {
                let page = self.page;
                let pane = self.view_mut().pane_mut();
                pane.go_to(row);
                pane.keep_in_view(page);
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
            .screen
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
        // The folder a name without one lands in is said, not left to guess.
        if let Ok(dir) = std::env::current_dir() {
            self.tell(format!("a file name without a folder is written in {}", dir.display()));
        }
    }

    /// A window's start moved so that the window does not run past the archive's newest event
    /// (half a chart of nothing tells nothing).
    pub(in crate::tui) fn within_archive(&self, from: i64, span: i64) -> i64 {
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
        let centre = screens::zoom_centre(self.view());
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
        let screen = self.view().screen.zoomed(centre);
        let mut view = View::new(screen, scope);
        view.switched = self.view().switched;
        self.replace(view)
    }

    /// F5: runs the view again.
    fn run(&mut self) -> Vec<Effect> {
        self.load()
    }
}

/// A message as the status bar may show it: it may quote a value (an error about a cell), so
/// secrets are masked and hostile characters escaped.
pub(in crate::tui) fn shown(text: &str) -> String {
    crate::terminal_text::message(text)
}

/// The query behind a pane's rows, in the order they are shown.
fn shown_query(pane: &Pane) -> Option<Query> {
    let query = pane.query.clone()?;
    Some(match &pane.sort {
        Some((c, desc)) => views::sorted(&query, c, *desc),
        None => query,
    })
}

#[cfg(test)]
mod detection_tests;
#[cfg(test)]
mod tests;
