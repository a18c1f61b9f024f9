//! The screens: what is looked at (the timeline, a principal, an event, the SQL editor…). Each
//! module owns one screen's panes, the queries it asks for, how it takes keys and rows, its
//! hints and its drawing; this file is the one place that matches on the kind of screen, so the
//! compiler checks that a new screen is handled everywhere.

mod detail;
mod detections;
mod event;
mod frequency;
mod hits;
mod lists;
mod matches;
mod reports;
mod sql;
mod timeline;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

pub use self::detections::Detections;
pub use self::event::Record;
pub use self::frequency::Counting;
pub use self::hits::HitsOf;
pub use self::reports::ReportRun;
pub use self::timeline::Timeline;
use super::app::{App, Effect};
use super::draw::Hits;
use super::jobs::Request;
use super::keys::Action;
use super::pane::Pane;
use super::rules::Found;
use super::view::View;
use crate::engine::{Scope, Subject};

#[derive(Clone, Debug)]
pub enum Screen {
    Timeline(Timeline),
    Principals,
    Resources,
    Principal(String),
    Resource(String),
    SourceIp(String),
    Event(Record),
    Sql,
    Reports,
    Report(ReportRun),
    /// The values of a column.
    Frequency(Counting),
    /// What a name typed after `:principal` or `:resource` may mean.
    Matches(Subject, String),
    /// The rules with hits in the window.
    Detections(Detections),
    /// One rule's hits.
    Hits(HitsOf),
}

/// The tabs across the top (keys `1`–`6`): every screen belongs to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Timeline,
    Principals,
    Resources,
    Sql,
    Reports,
    Detections,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Timeline,
        Tab::Principals,
        Tab::Resources,
        Tab::Sql,
        Tab::Reports,
        Tab::Detections,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Timeline => "Timeline",
            Tab::Principals => "Principals",
            Tab::Resources => "Resources",
            Tab::Sql => "SQL",
            Tab::Reports => "Reports",
            Tab::Detections => "Detections",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).expect("every tab is in ALL")
    }

    /// The screen the tab opens on.
    pub fn screen(self) -> Screen {
        match self {
            Tab::Timeline => Screen::Timeline(Timeline::default()),
            Tab::Principals => Screen::Principals,
            Tab::Resources => Screen::Resources,
            Tab::Sql => Screen::Sql,
            Tab::Reports => Screen::Reports,
            Tab::Detections => Screen::Detections(Detections::default()),
        }
    }
}

impl Screen {
    pub fn tab(&self) -> Tab {
        match self {
            Screen::Timeline(_) | Screen::Event(_) | Screen::SourceIp(_) | Screen::Frequency(_) => Tab::Timeline,
            Screen::Principals | Screen::Principal(_) | Screen::Matches(Subject::Principal, _) => Tab::Principals,
            Screen::Resources | Screen::Resource(_) | Screen::Matches(..) => Tab::Resources,
            Screen::Sql => Tab::Sql,
            Screen::Reports | Screen::Report(_) => Tab::Reports,
            Screen::Detections(_) | Screen::Hits(_) => Tab::Detections,
        }
    }

    /// How the breadcrumb names it.
    pub fn crumb(&self) -> String {
        match self {
            Screen::Timeline(_)
            | Screen::Principals
            | Screen::Resources
            | Screen::Sql
            | Screen::Reports
            | Screen::Detections(_) => self.tab().label().to_string(),
            Screen::Principal(p) => format!("principal {}", crate::text::cut(p, 32)),
            Screen::Resource(r) => format!("resource {}", crate::text::cut(r, 32)),
            Screen::SourceIp(ip) => format!("source IP {ip}"),
            Screen::Event(record) => record.crumb(),
            Screen::Frequency(c) => format!("values of {}", c.column),
            Screen::Report(run) => format!("report {}", run.report.name),
            Screen::Matches(s, name) => format!("{} '{name}'?", s.column()),
            Screen::Hits(h) => h.crumb(),
        }
    }

    /// What a width the user gives a column is kept under: the same screen opened again (under
    /// another filter, another principal) keeps it.
    pub fn name(&self) -> &'static str {
        match self {
            Screen::Timeline(_) => "timeline",
            Screen::Principals => "principals",
            Screen::Resources => "resources",
            Screen::Principal(_) => "principal",
            Screen::Resource(_) => "resource",
            Screen::SourceIp(_) => "source_ip",
            Screen::Event(_) => "event",
            Screen::Sql => "sql",
            Screen::Reports => "reports",
            Screen::Report(_) => "report",
            Screen::Frequency(_) => "frequency",
            Screen::Matches(..) => "matches",
            Screen::Detections(_) => "detections",
            Screen::Hits(_) => "hits",
        }
    }

    /// The panes it opens with, and the one focused first.
    pub fn panes(&self) -> (Vec<Pane>, usize) {
        match self {
            Screen::Timeline(_) => timeline::panes(),
            Screen::Principals => lists::busiest("Principals"),
            Screen::Resources => lists::busiest("Resources"),
            Screen::Principal(_) => detail::principal_panes(),
            Screen::Resource(_) => detail::resource_panes(),
            Screen::SourceIp(_) => lists::source_ip_panes(),
            Screen::Event(_) => event::panes(),
            Screen::Sql => sql::panes(),
            Screen::Reports => reports::list_panes(),
            Screen::Report(run) => reports::run_panes(run),
            Screen::Frequency(c) => frequency::panes(c),
            Screen::Matches(s, name) => matches::panes(*s, name),
            Screen::Detections(_) => detections::panes(),
            Screen::Hits(h) => hits::panes(h),
        }
    }

    /// Whether its first pane is a chart (drawn as a histogram; its keys move between buckets).
    pub fn has_chart(&self) -> bool {
        match self {
            Screen::Timeline(_) | Screen::Principal(_) | Screen::Resource(_) => true,
            Screen::Principals
            | Screen::Resources
            | Screen::SourceIp(_)
            | Screen::Event(_)
            | Screen::Sql
            | Screen::Reports
            | Screen::Report(_)
            | Screen::Frequency(_)
            | Screen::Matches(..)
            | Screen::Detections(_)
            | Screen::Hits(_) => false,
        }
    }

    /// Whether Tab visits the chart (a detail's activity is a picture, not a place to go).
    pub fn chart_is_visited(&self) -> bool {
        matches!(self, Screen::Timeline(_))
    }

    /// The queries that fill the panes when it opens, by pane.
    pub fn requests(&self, scope: &Scope) -> Vec<(usize, Request)> {
        match self {
            Screen::Timeline(_) => timeline::requests(scope),
            Screen::Principals => lists::principals(scope),
            Screen::Resources => lists::resources(scope),
            Screen::Principal(p) => detail::principal_requests(scope, p),
            Screen::Resource(r) => detail::resource_requests(scope, r),
            Screen::SourceIp(ip) => lists::source_ip(scope, ip),
            Screen::Event(record) => event::requests(record),
            Screen::Sql | Screen::Reports => vec![],
            Screen::Report(run) => reports::run_requests(run),
            Screen::Frequency(c) => frequency::requests(scope, c),
            Screen::Matches(s, name) => matches::requests(scope, *s, name),
            Screen::Detections(_) => detections::requests(scope),
            Screen::Hits(h) => hits::requests(scope, h),
        }
    }

    /// The screen a new window or filter opens: the same, except where it would mean nothing
    /// (an event has no window; the SQL and reports are the user's own words).
    pub fn rescoped(&self) -> Screen {
        match self {
            Screen::Event(_) | Screen::Sql | Screen::Reports | Screen::Report(_) => Tab::Timeline.screen(),
            Screen::Timeline(_) => Tab::Timeline.screen(),
            Screen::Principals
            | Screen::Resources
            | Screen::Principal(_)
            | Screen::Resource(_)
            | Screen::SourceIp(_)
            | Screen::Frequency(_)
            | Screen::Matches(..) => self.clone(),
            // What was found under the old window or filters is found again under the new: the
            // rules run again (a rule's hits were found in the old window).
            Screen::Detections(_) | Screen::Hits(_) => Tab::Detections.screen(),
        }
    }

    /// The screen a value pinned on it (`f`/`F`) opens: the same, asked again under the pin.
    pub fn pinned(&self) -> Screen {
        match self {
            // A rule's hits are events: a pin narrows them as it narrows any table of events.
            Screen::Detections(_) => self.rescoped(),
            _ => self.clone(),
        }
    }
}

impl Screen {
    /// The screen a zoom opens, keeping `centre` in the middle.
    pub fn zoomed(&self, centre: i64) -> Screen {
        match self.rescoped() {
            Screen::Timeline(_) => Screen::Timeline(Timeline::around(centre, None)),
            other => other,
        }
    }
}

/// What a screen does beyond showing its panes as tables. Each screen's module implements what
/// it needs; the rest is a table's behaviour. `Screen::behaviour` is the one match that picks it.
trait Behaviour: Sync {
    /// Takes an action before the workbench does; `None` leaves it to the workbench.
    fn act(&self, _app: &mut App, _action: Action) -> Option<Vec<Effect>> {
        None
    }
    /// Enter; `None` opens the selected row's event, principal, resource or address.
    fn open(&self, _app: &mut App) -> Option<Vec<Effect>> {
        None
    }
    /// Rows arrived in `pane` of the view at `at` in the stack (`first`: its first rows).
    fn received(&self, _app: &mut App, _at: usize, _pane: usize, _first: bool) -> Vec<Effect> {
        vec![]
    }
    /// What the screen fills in itself once its queries started.
    fn opened(&self, _app: &mut App) {}
    /// A key it takes before the key table (the SQL editor's typing).
    fn typed(&self, _app: &mut App, _key: KeyEvent) -> Option<Vec<Effect>> {
        None
    }
    /// A report's values were refused.
    fn refused(&self, _app: &mut App, _at: usize, _param: &str, _message: &str) {}
    /// What a run of detection rules found, for the view at `at` in the stack.
    fn detected(&self, _app: &mut App, _at: usize, _found: std::sync::Arc<Found>) {}
    fn draw(&self, frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
        super::draw::draw_table(frame, area, app, app.view().pane(), true, hits);
    }
    /// Its own hints, before the workbench's: (key, what it does).
    fn hints(&self, _app: &App) -> Vec<(String, &'static str)> {
        vec![]
    }
    /// A status line of its own (else the focused table's).
    fn status(&self, _app: &App, _width: usize) -> Option<Line<'static>> {
        None
    }
    /// The text `y` copies, when it has its own idea of it.
    fn copied(&self, _view: &View) -> Option<Option<String>> {
        None
    }
    /// The time a zoom keeps in the middle.
    fn zoom_centre(&self, _view: &View) -> Option<i64> {
        None
    }
}

/// A screen that is its table (the lists, a report's result, a frequency table).
struct Table;
impl Behaviour for Table {}

impl Screen {
    fn behaviour(&self) -> &'static dyn Behaviour {
        match self {
            Screen::Timeline(_) => &timeline::TimelineScreen,
            Screen::Principal(_) | Screen::Resource(_) => &detail::DetailScreen,
            Screen::Event(_) => &event::EventScreen,
            Screen::Sql => &sql::SqlScreen,
            Screen::Reports => &reports::ReportsScreen,
            Screen::Report(_) => &reports::ReportRunScreen,
            Screen::Frequency(_) => &frequency::FrequencyScreen,
            Screen::Matches(..) => &matches::MatchesScreen,
            Screen::Detections(_) => &detections::DetectionsScreen,
            Screen::Hits(_) => &hits::HitsScreen,
            Screen::Principals | Screen::Resources | Screen::SourceIp(_) => &Table,
        }
    }
}

pub fn opened(app: &mut App) {
    app.view().screen.behaviour().opened(app)
}

pub fn typed(app: &mut App, key: KeyEvent) -> Option<Vec<Effect>> {
    app.view().screen.behaviour().typed(app, key)
}

pub fn refused(app: &mut App, at: usize, param: &str, message: &str) {
    app.stack[at].screen.behaviour().refused(app, at, param, message)
}

pub fn detected(app: &mut App, at: usize, found: std::sync::Arc<Found>) {
    app.stack[at].screen.behaviour().detected(app, at, found)
}

/// Runs a report with the values given (from its form).
pub fn run_report(app: &mut App, report: crate::engine::reports::Report, given: Vec<(String, String)>) -> Vec<Effect> {
    reports::run(app, report, given)
}

pub fn act(app: &mut App, action: Action) -> Option<Vec<Effect>> {
    app.view().screen.behaviour().act(app, action)
}

pub fn open(app: &mut App) -> Option<Vec<Effect>> {
    app.view().screen.behaviour().open(app)
}

pub fn received(app: &mut App, at: usize, pane: usize, first: bool) -> Vec<Effect> {
    app.stack[at].screen.behaviour().received(app, at, pane, first)
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
    app.view().screen.behaviour().draw(frame, area, app, hits)
}

pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    app.view().screen.behaviour().hints(app)
}

pub fn status(app: &App, width: usize) -> Option<Line<'static>> {
    app.view().screen.behaviour().status(app, width)
}

pub fn copied(view: &View) -> Option<Option<String>> {
    view.screen.behaviour().copied(view)
}

/// The time a zoom keeps in the middle: the timeline's selected bucket, else the window's middle.
pub fn zoom_centre(view: &View) -> i64 {
    view.screen
        .behaviour()
        .zoom_centre(view)
        .unwrap_or(view.scope.window.from + view.scope.window.span() / 2)
}
