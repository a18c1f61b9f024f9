//! The screens: what is looked at (the timeline, a principal, an event, the SQL editor…). Each
//! module owns one screen's panes, the queries it asks for, how it takes keys and rows, its
//! hints and its drawing; this file is the one place that matches on the kind of screen, so the
//! compiler checks that a new screen is handled everywhere.

mod detail;
mod event;
mod frequency;
mod lists;
mod matches;
mod reports;
mod sql;
mod timeline;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

pub use self::event::Record;
pub use self::frequency::Counting;
pub use self::reports::ReportRun;
pub use self::timeline::Timeline;
use super::app::{App, Effect};
use super::draw::Hits;
use super::jobs::Request;
use super::keys::Action;
use super::pane::Pane;
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
}

/// The tabs across the top (keys `1`–`5`): every screen belongs to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Timeline,
    Principals,
    Resources,
    Sql,
    Reports,
}

impl Tab {
    pub const ALL: [Tab; 5] = [Tab::Timeline, Tab::Principals, Tab::Resources, Tab::Sql, Tab::Reports];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Timeline => "Timeline",
            Tab::Principals => "Principals",
            Tab::Resources => "Resources",
            Tab::Sql => "SQL",
            Tab::Reports => "Reports",
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
        }
    }

    /// How the breadcrumb names it.
    pub fn crumb(&self) -> String {
        match self {
            Screen::Timeline(_) | Screen::Principals | Screen::Resources | Screen::Sql | Screen::Reports => {
                self.tab().label().to_string()
            }
            Screen::Principal(p) => format!("principal {}", crate::text::cut(p, 32)),
            Screen::Resource(r) => format!("resource {}", crate::text::cut(r, 32)),
            Screen::SourceIp(ip) => format!("source IP {ip}"),
            Screen::Event(record) => record.crumb(),
            Screen::Frequency(c) => format!("values of {}", c.column),
            Screen::Report(run) => format!("report {}", run.report.name),
            Screen::Matches(s, name) => format!("{} '{name}'?", s.column()),
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
            | Screen::Matches(..) => false,
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

/// What a screen fills in itself once its queries started (the reports list needs none).
pub fn opened(app: &mut App) {
    match &app.view().screen {
        Screen::Reports => reports::fill_list(app),
        Screen::Timeline(_)
        | Screen::Principals
        | Screen::Resources
        | Screen::Principal(_)
        | Screen::Resource(_)
        | Screen::SourceIp(_)
        | Screen::Event(_)
        | Screen::Sql
        | Screen::Report(_)
        | Screen::Frequency(_)
        | Screen::Matches(..) => {}
    }
}

/// A key the screen takes before the key table: the SQL editor's typing.
pub fn typed(app: &mut App, key: KeyEvent) -> Option<Vec<Effect>> {
    match &app.view().screen {
        Screen::Sql if app.editing && app.help.is_none() => Some(sql::edit(app, key)),
        Screen::Sql
        | Screen::Timeline(_)
        | Screen::Principals
        | Screen::Resources
        | Screen::Principal(_)
        | Screen::Resource(_)
        | Screen::SourceIp(_)
        | Screen::Event(_)
        | Screen::Reports
        | Screen::Report(_)
        | Screen::Frequency(_)
        | Screen::Matches(..) => None,
    }
}

/// A report's values were refused: its form opens again, with them and the reason.
pub fn refused(app: &mut App, at: usize, param: &str, message: &str) {
    match &app.stack[at].screen {
        Screen::Report(_) => reports::refused(app, at, param, message),
        Screen::Timeline(_)
        | Screen::Principals
        | Screen::Resources
        | Screen::Principal(_)
        | Screen::Resource(_)
        | Screen::SourceIp(_)
        | Screen::Event(_)
        | Screen::Sql
        | Screen::Reports
        | Screen::Frequency(_)
        | Screen::Matches(..) => {}
    }
}

/// Runs a report with the values given (from its form).
pub fn run_report(app: &mut App, report: crate::engine::reports::Report, given: Vec<(String, String)>) -> Vec<Effect> {
    reports::run(app, report, given)
}

/// The screen on top takes the action first; `None` leaves it to the workbench's own handling.
pub fn act(app: &mut App, action: Action) -> Option<Vec<Effect>> {
    match &app.view().screen {
        Screen::Timeline(_) => timeline::act(app, action),
        Screen::Event(_) => event::act(app, action),
        Screen::Sql => sql::act(app, action),
        Screen::Principals
        | Screen::Resources
        | Screen::Principal(_)
        | Screen::Resource(_)
        | Screen::SourceIp(_)
        | Screen::Reports
        | Screen::Report(_)
        | Screen::Frequency(_)
        | Screen::Matches(..) => None,
    }
}

/// Enter: what the screen opens from its selection; `None` opens the selected row's event,
/// principal, resource or address, as on any table.
pub fn open(app: &mut App) -> Option<Vec<Effect>> {
    match &app.view().screen {
        Screen::Timeline(_) => timeline::open(app),
        Screen::Reports => Some(reports::open(app)),
        Screen::Frequency(_) => Some(frequency::open(app)),
        Screen::Matches(..) => Some(matches::open(app)),
        Screen::Event(_) => Some(event::open(app)),
        Screen::Principals
        | Screen::Resources
        | Screen::Principal(_)
        | Screen::Resource(_)
        | Screen::SourceIp(_)
        | Screen::Sql
        | Screen::Report(_) => None,
    }
}

/// Rows arrived in pane `pane` of the view at `at` in the stack (`first`: its first rows).
pub fn received(app: &mut App, at: usize, pane: usize, first: bool) -> Vec<Effect> {
    let on_top = at + 1 == app.stack.len();
    match &app.stack[at].screen {
        Screen::Timeline(_) if on_top => timeline::received(app, pane, first),
        Screen::Event(_) => {
            event::received(&mut app.stack[at]);
            vec![]
        }
        Screen::Matches(..) if on_top && first => matches::received(app),
        Screen::Sql if on_top => {
            sql::received(app, first);
            vec![]
        }
        Screen::Timeline(_)
        | Screen::Matches(..)
        | Screen::Principals
        | Screen::Resources
        | Screen::Principal(_)
        | Screen::Resource(_)
        | Screen::SourceIp(_)
        | Screen::Sql
        | Screen::Reports
        | Screen::Report(_)
        | Screen::Frequency(_) => vec![],
    }
}

/// Draws the screen's body into `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
    let view = app.view();
    match &view.screen {
        Screen::Timeline(_) => timeline::draw(frame, area, app, hits),
        Screen::Principal(name) | Screen::Resource(name) => detail::draw(frame, area, app, name, hits),
        Screen::Event(record) => event::draw(frame, area, app, record),
        Screen::Sql => sql::draw(frame, area, app, hits),
        Screen::Reports => reports::draw(frame, area, app, hits),
        Screen::Principals
        | Screen::Resources
        | Screen::SourceIp(_)
        | Screen::Report(_)
        | Screen::Frequency(_)
        | Screen::Matches(..) => super::draw::draw_table(frame, area, app, view.pane(), true, hits),
    }
}

/// The screen's own hints, before the workbench's: (key, what it does). The chart, a record
/// and the reports list name their keys in their own titles.
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    match &app.view().screen {
        Screen::Sql => sql::hints(app),
        Screen::Timeline(_)
        | Screen::Event(_)
        | Screen::Reports
        | Screen::Principals
        | Screen::Resources
        | Screen::Principal(_)
        | Screen::Resource(_)
        | Screen::SourceIp(_)
        | Screen::Report(_)
        | Screen::Frequency(_)
        | Screen::Matches(..) => vec![],
    }
}

/// A status line the screen writes itself (else the focused table's).
pub fn status(app: &App, width: usize) -> Option<Line<'static>> {
    match &app.view().screen {
        Screen::Event(record) => Some(event::status(app, record, width)),
        Screen::Timeline(_)
        | Screen::Principals
        | Screen::Resources
        | Screen::Principal(_)
        | Screen::Resource(_)
        | Screen::SourceIp(_)
        | Screen::Sql
        | Screen::Reports
        | Screen::Report(_)
        | Screen::Frequency(_)
        | Screen::Matches(..) => None,
    }
}

/// The text `y` copies, when the screen has its own idea of it.
pub fn copied(view: &View) -> Option<Option<String>> {
    match &view.screen {
        Screen::Event(record) => Some(record.selected_value()),
        Screen::Timeline(_)
        | Screen::Principals
        | Screen::Resources
        | Screen::Principal(_)
        | Screen::Resource(_)
        | Screen::SourceIp(_)
        | Screen::Sql
        | Screen::Reports
        | Screen::Report(_)
        | Screen::Frequency(_)
        | Screen::Matches(..) => None,
    }
}

/// The time a zoom keeps in the middle: the timeline's selected bucket, else the window's middle.
pub fn zoom_centre(view: &View) -> i64 {
    match &view.screen {
        Screen::Timeline(_) => timeline::selected_centre(view),
        Screen::Principals
        | Screen::Resources
        | Screen::Principal(_)
        | Screen::Resource(_)
        | Screen::SourceIp(_)
        | Screen::Event(_)
        | Screen::Sql
        | Screen::Reports
        | Screen::Report(_)
        | Screen::Frequency(_)
        | Screen::Matches(..) => None,
    }
    .unwrap_or(view.scope.window.from + view.scope.window.span() / 2)
}
