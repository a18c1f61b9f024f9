//! The timeline: events per bucket over the window (a chart), and the selected bucket's events.
//! It opens on its busiest bucket, or on the time it was asked to centre on (`t`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::engine::views::{self, Scope};
use crate::engine::{TimeWindow, Value};
use crate::tui::app::{App, Effect};
use crate::tui::draw::{BOLD, Hits, draw_chart, draw_table, time_text};
use crate::tui::jobs::Request;
use crate::tui::keys::Action;
use crate::tui::pane::{CHUNK_ROWS, Load, Pane};
use crate::tui::view::View;

use super::Screen;

/// How far into a bucket's events `t` reads to find its event.
const FIND_ROWS: usize = 20_000;

/// What a timeline opened by a pivot was asked to show first.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// The time whose bucket is selected once the chart is loaded (`t`, a zoom).
    pub centre_on: Option<i64>,
    /// The event selected once the bucket's events arrive (`t`).
    pub select_event: Option<String>,
}

impl Timeline {
    pub fn around(at: i64, event: Option<String>) -> Self {
        Timeline {
            centre_on: Some(at),
            select_event: event,
        }
    }
}

pub fn panes() -> (Vec<Pane>, usize) {
    (vec![Pane::new("Timeline"), Pane::new("Events of the bucket")], 0)
}

pub fn requests(scope: &Scope) -> Vec<(usize, Request)> {
    vec![(0, Request::Query(views::timeline(scope)))]
}

/// The selected bucket's start.
pub fn selected_bucket(view: &View) -> Option<i64> {
    view.panes[0].value("bucket").and_then(Value::as_time)
}

pub fn selected_centre(view: &View) -> Option<i64> {
    selected_bucket(view).map(|start| start + view.scope.window.bucket().micros / 2)
}

fn count(pane: &Pane, row: &[Value], column: &str) -> u64 {
    pane.position(column).and_then(|c| row[c].as_count()).unwrap_or(0)
}

pub fn act(app: &mut App, action: Action) -> Option<Vec<Effect>> {
    let on_chart = app.view().focus == 0;
    Some(match action {
        Action::First | Action::Last if on_chart => {
            let chart = &app.view().panes[0];
            let to = if action == Action::First {
                0
            } else {
                chart.known_rows() as isize - 1
            };
            move_bucket(app, to - chart.row as isize)
        }
        Action::Left | Action::Right => move_bucket(app, if action == Action::Left { -1 } else { 1 }),
        // Down from the chart goes into the bucket's events, and up from their first row back.
        Action::Down | Action::PageDown | Action::HalfDown if on_chart => {
            app.view_mut().focus = 1;
            vec![]
        }
        Action::Up | Action::PageUp | Action::HalfUp if on_chart => vec![],
        Action::Up | Action::PageUp | Action::HalfUp | Action::First if app.view().panes[1].row == 0 => {
            app.view_mut().focus = 0;
            vec![]
        }
        _ => return None,
    })
}

fn move_bucket(app: &mut App, delta: isize) -> Vec<Effect> {
    let chart = &mut app.view_mut().panes[0];
    let before = chart.row;
    chart.move_by(delta);
    if chart.row == before {
        return vec![];
    }
    bucket_events(app)
}

/// Asks for the selected bucket's events.
fn bucket_events(app: &mut App) -> Vec<Effect> {
    let Some(start) = selected_bucket(app.view()) else {
        return vec![];
    };
    let query = views::bucket_events(app.scope(), start);
    let feed = app.feed_id();
    let pane = &mut app.view_mut().panes[1];
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

/// Enter on the chart: the window narrowed to the selected bucket.
pub fn open(app: &mut App) -> Option<Vec<Effect>> {
    let view = app.view();
    if view.focus != 0 {
        return None;
    }
    let start = selected_bucket(view)?;
    let bucket = view.scope.window.bucket();
    let mut scope = view.scope.clone();
    scope.window = TimeWindow {
        from: start,
        to: start + bucket.micros,
        chosen: format!("one {} bucket", bucket.label()),
    };
    Some(app.push(View::new(Screen::Timeline(Timeline::default()), scope)))
}

pub fn received(app: &mut App, pane: usize, first: bool) -> Vec<Effect> {
    let page = app.page;
    let view = app.view_mut();
    let Screen::Timeline(timeline) = &mut view.screen else {
        return vec![];
    };
    if first && pane == 0 {
        // The chart opens on its busiest bucket (or the one asked for) and loads its events.
        let centre_on = timeline.centre_on;
        let chart = &mut view.panes[0];
        let at = chart.position("bucket");
        let start = |r: &Vec<Value>| at.and_then(|c| r[c].as_time()).unwrap_or(i64::MIN);
        let pick = match centre_on {
            Some(t) => chart.rows.iter().rposition(|r| start(r) <= t),
            None => (0..chart.rows.len()).max_by_key(|&i| count(chart, &chart.rows[i], "events")),
        };
        chart.row = pick.unwrap_or(0);
        if chart.rows.is_empty() {
            view.panes[1].load = Load::Ready;
            view.panes[1].complete = true;
        }
        return bucket_events(app);
    }
    if pane == 1
        && let Some(id) = timeline.select_event.take()
    {
        // `t` selects the event it centred on, in the middle of the table, and focuses it; in a
        // busy bucket it may come after the first rows: they are read on until it does.
        let events = &mut view.panes[1];
        let at = events.position("event_id");
        let found = at.and_then(|c| events.rows.iter().position(|r| r[c].as_text() == Some(id.as_str())));
        match found {
            Some(row) => {
                events.row = row + events.offset;
                events.centre(page);
                view.focus = 1;
            }
            None if !events.complete && events.known_rows() < FIND_ROWS => {
                timeline.select_event = Some(id);
                events.asking = true;
                let feed = events.feed;
                return vec![Effect::More { feed, n: CHUNK_ROWS }];
            }
            None => app.warn(format!("the event {id} is not among this bucket's events")),
        }
    }
    vec![]
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
    let view = app.view();
    let chart_height = if area.height >= 20 {
        10
    } else {
        (area.height / 2).max(4)
    };
    let [chart, label, events] = Layout::vertical([
        Constraint::Length(chart_height),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let focused = view.focus == 0;
    let keys = &app.keys;
    let help = format!(
        "({}/{} bucket, {} narrows, {}/{} zoom) ",
        keys.label(Action::Left),
        keys.label(Action::Right),
        keys.label(Action::Open),
        keys.label(Action::ZoomIn),
        keys.label(Action::ZoomOut)
    );
    draw_chart(
        frame,
        chart,
        &view.scope.window,
        &view.panes[0],
        focused.then_some(help.as_str()),
        app.local_time,
    );
    let pane = &view.panes[0];
    let busiest = pane.rows.iter().map(|r| count(pane, r, "events")).max();
    let text = match (&pane.load, pane.selected()) {
        (_, Some(row)) => {
            let events = count(pane, row, "events");
            let start = pane.position("bucket").and_then(|c| row[c].as_time()).unwrap_or(0);
            format!(
                " {} bucket from {}: {} events, {} failed{}",
                view.scope.window.bucket().label(),
                time_text(start, app.local_time),
                crate::text::thousands(events),
                crate::text::thousands(count(pane, row, "failures")),
                if Some(events) == busiest && pane.known_rows() > 1 {
                    " (the busiest)"
                } else {
                    ""
                }
            )
        }
        (Load::Ready, None) if view.scope.is_filtered() => format!(
            " no events match the filters in this window: {} removes the last filter",
            keys.label(Action::Back)
        ),
        (Load::Ready, None) => format!(
            " no events in this window: {} zooms out, :from and :last change it",
            keys.label(Action::ZoomOut)
        ),
        _ => String::new(),
    };
    frame.render_widget(Paragraph::new(Line::styled(text, BOLD)), label);
    draw_table(frame, events, app, &view.panes[1], !focused, hits);
}

pub struct TimelineScreen;

impl super::Behaviour for TimelineScreen {
    fn act(&self, app: &mut App, action: Action) -> Option<Vec<Effect>> {
        act(app, action)
    }

    fn open(&self, app: &mut App) -> Option<Vec<Effect>> {
        open(app)
    }

    fn received(&self, app: &mut App, at: usize, pane: usize, first: bool) -> Vec<Effect> {
        match at + 1 == app.stack.len() {
            true => received(app, pane, first),
            false => vec![],
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
        draw(frame, area, app, hits)
    }

    fn zoom_centre(&self, view: &View) -> Option<i64> {
        selected_centre(view)
    }
}
