//! A principal or a resource from its side: its activity over the window (a chart), then its
//! sections as tabs — for a principal its events, the resources it touched, where it called
//! from, its failures; for a resource its changes first (who deployed and configured it), then
//! who touched it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Tabs};

use crate::engine::views::{self, Scope};
use crate::tui::draw::{BOLD, DIM, Hits, REVERSED, draw_histogram, draw_table};
use crate::tui::jobs::Request;
use crate::tui::pane::{Load, Pane};

use super::Screen;

fn with_panes(titles: &[&str], subject: &'static str) -> (Vec<Pane>, usize) {
    let panes = titles
        .iter()
        .map(|t| {
            let mut pane = Pane::new(*t);
            // A column that holds the view's own subject on every row says nothing.
            pane.hidden_at_first.push(subject);
            pane
        })
        .collect();
    // It opens on its events, not on the activity chart above them.
    (panes, 1)
}

pub fn principal_panes() -> (Vec<Pane>, usize) {
    with_panes(
        &[
            "Activity",
            "Events",
            "Resources it touched",
            "Source IPs and user agents",
            "Failures",
        ],
        "principal",
    )
}

pub fn resource_panes() -> (Vec<Pane>, usize) {
    with_panes(&["Activity", "Changes, then reads", "Who touched it"], "resource")
}

pub fn principal_requests(scope: &Scope, principal: &str) -> Vec<(usize, Request)> {
    let v = views::principal(scope, principal);
    [v.activity, v.events, v.resources, v.sources, v.failures]
        .into_iter()
        .enumerate()
        .map(|(i, q)| (i, Request::Query(q)))
        .collect()
}

pub fn resource_requests(scope: &Scope, resource: &str) -> Vec<(usize, Request)> {
    let v = views::resource(scope, resource);
    [v.activity, v.changes, v.principals]
        .into_iter()
        .enumerate()
        .map(|(i, q)| (i, Request::Query(q)))
        .collect()
}

/// Section names as tabs on a screen too narrow for the whole names (80 columns).
const SHORT_TITLES: [(&str, &str); 4] = [
    ("Resources it touched", "Resources"),
    ("Source IPs and user agents", "IPs, agents"),
    ("Changes, then reads", "Changes"),
    ("Who touched it", "Who"),
];

fn short_title(title: &str) -> &str {
    SHORT_TITLES
        .iter()
        .find(|(long, _)| *long == title)
        .map_or(title, |(_, short)| short)
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &crate::tui::app::App, name: &str, hits: &mut Hits) {
    let view = app.view();
    let chart_height = if area.height >= 18 { 7 } else { 5 };
    let [chart, tabs, table] = Layout::vertical([
        Constraint::Length(chart_height),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(DIM)
        .title(Line::from(vec![
            Span::raw(" "),
            Span::styled(crate::text::cut(name, (area.width as usize).saturating_sub(30)), BOLD),
            Span::raw(format!(" per {} ", view.scope.window.bucket().label())),
        ]));
    let inner = block.inner(chart);
    frame.render_widget(block, chart);
    match &view.panes[0].load {
        Load::Ready => draw_histogram(frame, inner, &view.panes[0], &view.scope.window),
        Load::Failed(e) => frame.render_widget(Paragraph::new(e.as_str()).style(Style::new().fg(Color::Red)), inner),
        _ => frame.render_widget(Paragraph::new("loading…"), inner),
    }
    let label = |p: &Pane, short: bool| {
        let n = match (&p.load, p.complete) {
            (Load::Ready, true) => format!(" {}", crate::text::thousands(p.known_rows() as u64)),
            (Load::Ready, false) => format!(" {}+", crate::text::thousands(p.known_rows() as u64)),
            _ => String::new(),
        };
        let title = if short { short_title(&p.title) } else { &p.title };
        format!("{title}{n}")
    };
    // Each tab is padded by a space either side and divided from the next by one column.
    let fits = view.panes[1..]
        .iter()
        .map(|p| label(p, false).chars().count() + 3)
        .sum::<usize>()
        <= tabs.width as usize + 1;
    let titles: Vec<Line<'_>> = view.panes[1..].iter().map(|p| Line::from(label(p, !fits))).collect();
    frame.render_widget(
        Tabs::new(titles)
            .select(view.focus.saturating_sub(1))
            .highlight_style(REVERSED)
            .divider("│"),
        tabs,
    );
    draw_table(frame, table, app, view.pane(), true, hits);
}

pub struct DetailScreen;

impl super::Behaviour for DetailScreen {
    fn draw(&self, frame: &mut Frame<'_>, area: Rect, app: &crate::tui::app::App, hits: &mut Hits) {
        if let Screen::Principal(name) | Screen::Resource(name) = &app.view().screen {
            draw(frame, area, app, name, hits)
        }
    }
}
