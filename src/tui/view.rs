//! One step of an investigation: what is looked at (the timeline, a principal, an event…), under
//! which filters, and its panes. Views stack up as the user pivots; `Esc` pops one.

use crate::engine::pretty::{JsonLine, json_lines};
use crate::engine::reports::Report;
use crate::engine::{Scope, Subject, views};

use super::jobs::Request;
use super::pane::{Load, Pane};

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Timeline,
    Principals,
    Resources,
    Sql,
    Reports,
    Principal(String),
    Resource(String),
    SourceIp(String),
    Event(String),
    /// The values of a column.
    Frequency(String),
    /// A report's result.
    Report(String),
    /// What a name typed after `:principal` or `:resource` may mean.
    Matches(Subject, String),
}

impl Kind {
    /// The tab it belongs to (the screens `1`–`5`).
    pub fn screen(&self) -> usize {
        match self {
            Kind::Timeline | Kind::Event(_) | Kind::SourceIp(_) | Kind::Frequency(_) => 0,
            Kind::Principals | Kind::Principal(_) => 1,
            Kind::Resources | Kind::Resource(_) => 2,
            Kind::Matches(Subject::Principal, _) => 1,
            Kind::Matches(..) => 2,
            Kind::Sql => 3,
            Kind::Reports | Kind::Report(_) => 4,
        }
    }

    /// How the breadcrumb names it.
    pub fn crumb(&self) -> String {
        match self {
            Kind::Timeline => "Timeline".into(),
            Kind::Principals => "Principals".into(),
            Kind::Resources => "Resources".into(),
            Kind::Sql => "SQL".into(),
            Kind::Reports => "Reports".into(),
            Kind::Principal(p) => format!("principal {}", short(p)),
            Kind::Resource(r) => format!("resource {}", short(r)),
            Kind::SourceIp(ip) => format!("source IP {ip}"),
            Kind::Event(id) if id.chars().count() > 14 => {
                format!(
                    "event …{}",
                    id.chars().skip(id.chars().count() - 12).collect::<String>()
                )
            }
            Kind::Event(id) => format!("event {id}"),
            Kind::Frequency(c) => format!("values of {c}"),
            Kind::Report(name) => format!("report {name}"),
            Kind::Matches(s, name) => format!("{} '{name}'?", s.column()),
        }
    }
}

/// The end of a long name (the part that tells: `…/role/deployer`).
pub fn short(name: &str) -> String {
    let n = name.chars().count();
    if n <= 32 {
        name.to_string()
    } else {
        let tail: String = name.chars().skip(n - 31).collect();
        format!("…{tail}")
    }
}

pub struct View {
    pub kind: Kind,
    pub scope: Scope,
    pub panes: Vec<Pane>,
    pub focus: usize,
    /// The time the timeline should select once loaded (`t` on an event).
    pub centre_on: Option<i64>,
    /// The event view's record laid out, and the line under the cursor.
    pub json: Vec<JsonLine>,
    pub json_row: usize,
    /// Shown under a report's result: the report it ran.
    pub report: Option<Report>,
    /// What a report's form was filled with.
    pub given: Vec<(String, String)>,
    /// A frequency table of a table's rows: the table's query (else it counts the whole window).
    pub counted: Option<Counted>,
    /// The event to select once the timeline's bucket events arrive (`t`).
    pub select_event: Option<String>,
}

/// The result a frequency table counts the values of.
#[derive(Clone, Debug)]
pub struct Counted {
    pub query: crate::engine::Query,
    /// The result has an `event_time` column, so each value's first and last time can be given.
    pub has_time: bool,
}

/// Section names as tabs on a screen too narrow for the whole names (80 columns).
const SHORT_TITLES: [(&str, &str); 4] = [
    ("Resources it touched", "Resources"),
    ("Source IPs and user agents", "IPs, agents"),
    ("Changes, then reads", "Changes"),
    ("Who touched it", "Who"),
];

/// A section's name short enough for a tab on a narrow screen.
pub fn short_title(title: &str) -> &str {
    SHORT_TITLES
        .iter()
        .find(|(long, _)| *long == title)
        .map_or(title, |(_, short)| short)
}

impl View {
    pub fn new(kind: Kind, scope: Scope) -> Self {
        let titles: Vec<&str> = match &kind {
            Kind::Timeline => vec!["Timeline", "Events of the bucket"],
            Kind::Principals | Kind::Resources => {
                // They list the busiest only: the title says so (a week can hold millions).
                let what = if kind == Kind::Principals {
                    "Principals"
                } else {
                    "Resources"
                };
                let title = format!("{what}: the {} with the most events", crate::engine::views::BUSIEST);
                return View::with_panes(kind.clone(), scope, vec![Pane::new(title)]);
            }
            Kind::Sql => vec!["Result"],
            Kind::Reports => vec!["Reports"],
            Kind::Principal(_) => vec![
                "Activity",
                "Events",
                "Resources it touched",
                "Source IPs and user agents",
                "Failures",
            ],
            Kind::Resource(_) => vec!["Activity", "Changes, then reads", "Who touched it"],
            Kind::SourceIp(_) => vec!["Events from the address"],
            Kind::Event(_) => vec!["Deliveries of the event"],
            Kind::Frequency(c) => {
                return View::with_panes(kind.clone(), scope, vec![Pane::new(format!("Values of {c}"))]);
            }
            Kind::Report(_) => vec!["Report"],
            Kind::Matches(subject, name) => {
                let title = format!("{}s matching '{name}' — Enter opens one", subject.column());
                let mut pane = Pane::new(title);
                pane.empty_hint = Some(format!(
                    "no {} is '{name}' or ends with it in this window: widen the window (- or :from), or search every column with \\ (e.g. user_agent LIKE '%{name}%')",
                    subject.column()
                ));
                return View::with_panes(kind.clone(), scope, vec![pane]);
            }
        };
        View::with_panes(kind, scope, titles.into_iter().map(Pane::new).collect())
    }

    fn with_panes(kind: Kind, scope: Scope, mut panes: Vec<Pane>) -> Self {
        // A column that holds the view's own subject on every row says nothing.
        let same = match &kind {
            Kind::Principal(_) => Some("principal"),
            Kind::Resource(_) => Some("resource"),
            Kind::SourceIp(_) => Some("source_ip"),
            _ => None,
        };
        for p in panes.iter_mut().filter(|_| same.is_some()) {
            p.hidden_at_first.extend(same);
        }
        // Detail views open on their events, not on the activity chart above them.
        let focus = usize::from(matches!(kind, Kind::Principal(_) | Kind::Resource(_)));
        View {
            kind,
            scope,
            panes,
            focus,
            centre_on: None,
            json: Vec::new(),
            json_row: 0,
            report: None,
            given: Vec::new(),
            counted: None,
            select_event: None,
        }
    }

    /// The panes that are charts (drawn as a histogram, not a table).
    pub fn is_chart(&self, pane: usize) -> bool {
        pane == 0 && matches!(self.kind, Kind::Timeline | Kind::Principal(_) | Kind::Resource(_))
    }

    /// The queries that fill the view's panes when it opens, by pane. The timeline's events wait
    /// for its chart (they are of the selected bucket).
    pub fn requests(&self) -> Vec<(usize, Request)> {
        let s = &self.scope;
        let q = |query| Request::Query(query);
        match &self.kind {
            Kind::Timeline => vec![(0, q(views::timeline(s)))],
            Kind::Principals => vec![(0, q(views::principals(s)))],
            Kind::Resources => vec![(0, q(views::resources(s)))],
            Kind::Sql | Kind::Reports => vec![],
            Kind::Principal(p) => {
                let mut sections = views::principal(s, p).into_iter();
                let activity = sections.next().expect("the principal view has its activity first");
                let mut out = vec![(0, q(activity)), (1, q(views::events_of(s, Subject::Principal, p)))];
                out.extend(sections.enumerate().map(|(i, query)| (i + 2, q(query))));
                out
            }
            Kind::Resource(r) => {
                let sections = views::resource(s, r);
                let [changes, who, activity]: [_; 3] =
                    sections.try_into().expect("the resource view has three sections");
                vec![(0, q(activity)), (1, q(changes)), (2, q(who))]
            }
            Kind::SourceIp(ip) => vec![(0, q(views::events_of(s, Subject::SourceIp, ip)))],
            Kind::Event(id) => vec![(0, q(views::event(id)))],
            Kind::Frequency(c) => match &self.counted {
                Some(counted) => {
                    let has_time = c != "event_time" && counted.has_time;
                    vec![(0, q(views::frequency_in(&counted.query, c, has_time)))]
                }
                None => match views::frequency(s, c) {
                    Ok(query) => vec![(0, q(query))],
                    Err(_) => vec![],
                },
            },
            Kind::Report(_) => match &self.report {
                Some(r) => vec![(0, Request::Report(Box::new(r.clone()), self.given.clone()))],
                None => vec![],
            },
            Kind::Matches(subject, name) => vec![(0, q(views::candidates(s, *subject, name)))],
        }
    }

    /// The table keys act on: the focused one, or under a focused chart, the table below it
    /// (columns, filters and counts are of a table, never of the chart's buckets).
    fn table_at(&self) -> usize {
        let at = self.focus.min(self.panes.len() - 1);
        if self.is_chart(at) && self.panes.len() > 1 {
            1
        } else {
            at
        }
    }

    pub fn pane(&self) -> &Pane {
        &self.panes[self.table_at()]
    }

    pub fn pane_mut(&mut self) -> &mut Pane {
        let at = self.table_at();
        &mut self.panes[at]
    }

    /// The focused pane, a chart included.
    pub fn focused(&self) -> &Pane {
        &self.panes[self.focus.min(self.panes.len() - 1)]
    }

    /// Tab: the next pane; the activity chart of a principal or resource is not one to visit.
    pub fn focus_next(&mut self) {
        let n = self.panes.len();
        let skip_chart = matches!(self.kind, Kind::Principal(_) | Kind::Resource(_));
        self.focus = (self.focus + 1) % n;
        if skip_chart && self.focus == 0 && n > 1 {
            self.focus = 1;
        }
    }

    /// The value of `column` in the row the user points at: the focused pane's selected row,
    /// else (on the timeline's chart) the bucket's events' selected row.
    pub fn value(&self, column: &str) -> Option<String> {
        self.pane()
            .value(column)
            .or_else(|| self.panes.iter().find_map(|p| p.value(column)))
            .filter(|v| !v.is_empty())
            .map(String::from)
    }

    /// The event view lays out its record's `raw` text when its row arrives.
    pub fn refresh_json(&mut self) {
        if let Kind::Event(_) = self.kind {
            let raw = self.panes[0].value("raw").unwrap_or_default().to_string();
            if self.json.is_empty() && self.panes[0].load == Load::Ready {
                self.json = json_lines(&raw);
            }
        }
    }

    /// Feeds this view reads from.
    pub fn feeds(&self) -> impl Iterator<Item = u64> + '_ {
        self.panes.iter().map(|p| p.feed).filter(|f| *f != 0)
    }
}
