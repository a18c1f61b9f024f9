//! One rule's hits as a table of events: the events of the window whose ids the run of the rules
//! found (a correlation's: every event of its bursts), read by a query as any event table is.
//! So streaming, `s`, `c`, `e`, Enter, the pivots (`p`/`r`/`i`/`t`) and `f`/`F` work as on any
//! table of events; a correlation's detail (what it counted) is the line above the table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::engine::Scope;
use crate::engine::output::printable;
use crate::engine::views;
use crate::tui::app::App;
use crate::tui::draw::{DIM, Hits, draw_table};
use crate::tui::jobs::Request;
use crate::tui::keys::Action;
use crate::tui::pane::Pane;
use crate::tui::rules::{Found, RuleName};

/// The rule whose hits are listed, and what its run found: the ids of the events, and a
/// correlation's details.
#[derive(Clone, Debug)]
pub struct HitsOf {
    pub rule: RuleName,
    /// The events' ids, each once, in the order the run found them.
    pub ids: Vec<String>,
    /// What a correlation counted, per hit (none for a rule of single events).
    pub details: Vec<String>,
}

impl HitsOf {
    /// The hits of the rule at `rule` (its index in the set) in what a run found: the
    /// non-suppressed hits' events (a correlation's, every event of its bursts).
    pub fn of(found: &Found, rule: usize) -> HitsOf {
        let mut ids: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut details = Vec::new();
        for hit in found.hits.iter().filter(|h| h.rule == rule) {
            let events = match hit.events.is_empty() {
                true => std::slice::from_ref(&hit.event_id),
                false => hit.events.as_slice(),
            };
            for id in events {
                if seen.insert(id.clone()) {
                    ids.push(id.clone());
                }
            }
            if !hit.detail.is_empty() {
                details.push(printable(&hit.detail));
            }
        }
        HitsOf {
            rule: found.name(rule),
            ids,
            details,
        }
    }

    pub fn crumb(&self) -> String {
        format!("hits of {}", crate::text::cut(&printable(&self.rule.title), 32))
    }

    fn title(&self) -> String {
        format!("Hits of {}", printable(&self.rule.title))
    }
}

pub fn panes(h: &HitsOf) -> (Vec<Pane>, usize) {
    let mut pane = Pane::new(h.title());
    pane.empty_hint = Some("none of the rule's hits is in this window under these filters".into());
    (vec![pane], 0)
}

pub fn requests(scope: &Scope, h: &HitsOf) -> Vec<(usize, Request)> {
    vec![(0, Request::Query(views::events_with_ids(scope, &h.title(), &h.ids)))]
}

/// A correlation's details, as one line (what is wider than the screen is cut by the edge).
fn details(h: &HitsOf) -> Line<'static> {
    let mut spans = vec![Span::styled(" counted: ", DIM)];
    spans.push(Span::raw(h.details.join("; ")));
    Line::from(spans)
}

pub struct HitsScreen;

impl super::Behaviour for HitsScreen {
    fn draw(&self, frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
        let super::Screen::Hits(h) = &app.view().screen else {
            return;
        };
        let head = match h.details.is_empty() {
            true => 0,
            false => 1,
        };
        let [top, table] = Layout::vertical([Constraint::Length(head), Constraint::Fill(1)]).areas(area);
        if head > 0 {
            frame.render_widget(Paragraph::new(details(h)), top);
        }
        draw_table(frame, table, app, app.view().pane(), true, hits);
    }

    fn hints(&self, app: &App) -> Vec<(String, &'static str)> {
        vec![(app.keys.label(Action::Back), "the rules")]
    }
}
