//! The Detections screen: every rule run over the window in one scan on a background task, then
//! one row per rule with hits, the most severe first, and what the selected rule is (its id,
//! author, source, description, false positives). Enter opens the rule's hits.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::engine::output::printable;
use crate::engine::{Scope, Value};
use crate::terminal_text::escape_lines;
use crate::text::thousands;
use crate::tui::app::{App, Effect};
use crate::tui::draw::{BOLD, DIM, Hits, draw_table};
use crate::tui::jobs::Request;
use crate::tui::keys::Action;
use crate::tui::pane::{Load, Pane};
use crate::tui::rules::{Detection, Found};
use crate::tui::view::View;

use super::{HitsOf, Screen};

/// What the last run over the view's scope found (`None` until it ends).
#[derive(Clone, Debug, Default)]
pub struct Detections {
    pub found: Option<Arc<Found>>,
}

pub fn panes() -> (Vec<Pane>, usize) {
    let mut pane = Pane::new("Rules with hits, the most severe first");
    pane.empty_hint = Some("no rule has a hit in this window: :last 30d (or :from) widens it".into());
    (vec![pane], 0)
}

pub fn requests(scope: &Scope) -> Vec<(usize, Request)> {
    let detection = Detection {
        scope: scope.clone(),
        rule: None,
    };
    vec![(0, Request::Detect(detection))]
}

/// One row per rule with hits: its level, title, count and the first and last time it hit.
fn rows(found: &Found) -> (Vec<String>, Vec<Vec<Value>>) {
    let columns = ["level", "rule", "hits", "first_seen", "last_seen"];
    let rows = found
        .groups
        .iter()
        .map(|&(rule, count)| {
            let r = &found.set.rules[rule];
            let (first, last) = found.span(rule).unwrap_or_default();
            // To the second: a summary's times need no more, and the room goes to the title.
            let second = |t: i64| Value::Time(t - t.rem_euclid(1_000_000));
            vec![
                Value::Text(r.level.name().into()),
                // A rule may come from the user's own files: its words are shown as any text is.
                Value::Text(printable(&r.title)),
                Value::Int(count as i64),
                second(first),
                second(last),
            ]
        })
        .collect();
    (columns.map(String::from).to_vec(), rows)
}

/// The run's findings kept with the view, and its rows shown.
pub fn detected(view: &mut View, found: Arc<Found>) {
    let (columns, rows) = rows(&found);
    view.panes[0].take(columns, 0, rows, true);
    if let Screen::Detections(d) = &mut view.screen {
        d.found = Some(found);
    }
}

/// The rule on the cursor's row: its index in the set.
fn selected(view: &View) -> Option<(Arc<Found>, usize)> {
    let Screen::Detections(Detections { found: Some(found) }) = &view.screen else {
        return None;
    };
    let &(rule, _) = found.groups.get(view.panes[0].row)?;
    Some((found.clone(), rule))
}

/// Enter: the rule's hits, the events with the ids the run found, read as any events are.
pub fn open(app: &mut App) -> Vec<Effect> {
    let Some((found, rule)) = selected(app.view()) else {
        return vec![];
    };
    let hits = HitsOf::of(&found, rule);
    let scope = app.scope().clone();
    app.push(View::new(Screen::Hits(hits), scope))
}

/// What the run covered: the rules run, the hits, and the rules that could not run (said
/// shorter where the whole does not fit in `width`).
fn summary(app: &App, width: usize) -> Line<'static> {
    let view = app.view();
    let found = match &view.screen {
        Screen::Detections(Detections { found: Some(found) }) => found,
        _ if view.panes[0].load == Load::Running => {
            return Line::styled(" running every rule over the window…", BOLD);
        }
        _ => return Line::raw(""),
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{} {}", thousands(n as u64), if n == 1 { one } else { many });
    let mut text = format!(
        " {} ran: {} of {}",
        plural(found.ran, "rule", "rules"),
        plural(found.hits.len(), "hit", "hits"),
        plural(found.groups.len(), "rule", "rules"),
    );
    if found.suppressed > 0 {
        text.push_str(&format!(", {} suppressed", thousands(found.suppressed as u64)));
    }
    let mut spans = vec![Span::styled(text.clone(), BOLD)];
    if found.not_run() > 0 {
        let n = thousands(found.not_run() as u64);
        let whole = format!(" · {n} not run: `trailscope detect --list` says why");
        let said = match text.chars().count() + whole.chars().count() <= width {
            true => whole,
            false => format!(" · {n} not run (detect --list)"),
        };
        spans.push(Span::styled(said, DIM));
    }
    Line::from(spans)
}

/// The selected rule: who wrote it, where it comes from, what it finds and what else it may.
fn about(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let Some((found, rule)) = selected(app.view()) else {
        return;
    };
    let r = &found.set.rules[rule];
    let mut lines = vec![Line::from(vec![
        Span::styled("id ", DIM),
        Span::raw(printable(&r.id)),
        Span::styled(" · level ", DIM),
        Span::raw(r.level.name()),
        Span::styled(" · by ", DIM),
        Span::raw(printable(&r.author)),
        Span::styled(" · from ", DIM),
        Span::raw(printable(&r.origin)),
    ])];
    lines.extend(
        escape_lines(r.description.trim())
            .lines()
            .map(|l| Line::raw(l.to_string())),
    );
    if !r.falsepositives.is_empty() {
        let said: Vec<String> = r.falsepositives.iter().map(|f| printable(f)).collect();
        lines.push(Line::from(vec![
            Span::styled("False positives: ", DIM),
            Span::raw(said.join("; ")),
        ]));
    }
    let title = format!(
        " {} · {} lists its hits ",
        printable(&r.title),
        app.keys.label(Action::Open)
    );
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::new().borders(Borders::ALL).border_style(DIM).title(title)),
        area,
    );
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
    // The rule's box only when there is a rule to tell of, and never most of a small screen.
    let about_height = match selected(app.view()) {
        Some(_) => (area.height / 3).clamp(3, 7),
        None => 0,
    };
    let [head, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(about_height),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(summary(app, head.width as usize)), head);
    draw_table(frame, list, app, app.view().pane(), true, hits);
    about(frame, detail, app);
}

/// The list of rules with hits.
pub struct DetectionsScreen;

impl super::Behaviour for DetectionsScreen {
    fn act(&self, app: &mut App, action: Action) -> Option<Vec<Effect>> {
        // The list is what the run found, not a query's rows: nothing to sort, count or export
        // by SQL. Said rather than "nothing to … here".
        let said = match action {
            Action::Sort => "the rules are listed the most severe first (a list of what was found, not a query)",
            Action::Frequency => "the list counts the hits per rule already: Enter lists a rule's hits",
            Action::Export => "the hits export from the command line: trailscope detect --format csv",
            _ => return None,
        };
        app.tell(said);
        Some(vec![])
    }

    fn open(&self, app: &mut App) -> Option<Vec<Effect>> {
        Some(open(app))
    }

    fn detected(&self, app: &mut App, at: usize, found: Arc<Found>) {
        detected(&mut app.stack[at], found)
    }

    fn draw(&self, frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
        draw(frame, area, app, hits)
    }

    fn hints(&self, app: &App) -> Vec<(String, &'static str)> {
        vec![(app.keys.label(Action::Open), "its hits")]
    }
}
