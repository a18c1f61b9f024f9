//! One event: its original record laid out line by line, a cursor on a line; Enter shows a long
//! value whole, `y` copies it, and the pivot keys go to its principal, resource, address, time.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::engine::pretty::{JsonKind, JsonLine, json_lines};
use crate::engine::views;
use crate::tui::app::{App, Effect};
use crate::tui::draw::{BOLD, DIM, REVERSED};
use crate::tui::jobs::Request;
use crate::tui::keys::Action;
use crate::tui::pane::{Load, Pane};
use crate::tui::view::View;

use super::Screen;

/// The event's record laid out, and the line under the cursor.
#[derive(Clone, Debug)]
pub struct Record {
    pub id: String,
    pub lines: Vec<JsonLine>,
    pub row: usize,
}

impl Record {
    pub fn new(id: impl Into<String>) -> Self {
        Record {
            id: id.into(),
            lines: Vec::new(),
            row: 0,
        }
    }

    pub fn crumb(&self) -> String {
        let n = self.id.chars().count();
        if n > 14 {
            format!("event …{}", self.id.chars().skip(n - 12).collect::<String>())
        } else {
            format!("event {}", self.id)
        }
    }

    /// The value on the cursor's line, as text: a string unquoted and unescaped, anything else
    /// as written.
    pub fn selected_value(&self) -> Option<String> {
        let line = self.lines.get(self.row)?;
        Some(
            line.value
                .as_ref()
                .map_or_else(|| line.text.clone(), |v| v.text.clone()),
        )
    }

    fn move_by(&mut self, delta: isize) {
        let n = self.lines.len();
        self.row = (self.row as isize + delta).clamp(0, n.saturating_sub(1) as isize) as usize;
    }
}

pub fn panes() -> (Vec<Pane>, usize) {
    (vec![Pane::new("Deliveries of the event")], 0)
}

pub fn requests(record: &Record) -> Vec<(usize, Request)> {
    vec![(0, Request::Query(views::event(&record.id)))]
}

fn record(app: &mut App) -> &mut Record {
    match &mut app.view_mut().screen {
        Screen::Event(record) => record,
        _ => unreachable!("the event screen's keys go to an event"),
    }
}

pub fn act(app: &mut App, action: Action) -> Option<Vec<Effect>> {
    match action {
        Action::Up => record(app).move_by(-1),
        Action::Down => record(app).move_by(1),
        Action::PageUp => record(app).move_by(-20),
        Action::PageDown => record(app).move_by(20),
        Action::HalfUp => record(app).move_by(-10),
        Action::HalfDown => record(app).move_by(10),
        Action::First => record(app).row = 0,
        Action::Last => {
            let r = record(app);
            r.row = r.lines.len().saturating_sub(1);
        }
        Action::FilterIn | Action::FilterOut => app.warn("pick the value in a table to filter by it"),
        Action::Run => {
            record(app).lines.clear();
            return None;
        }
        _ => return None,
    }
    Some(vec![])
}

/// Enter: the line's value shown whole.
pub fn open(app: &mut App) -> Vec<Effect> {
    let r = record(app);
    if let (Some(line), Some(value)) = (r.lines.get(r.row), r.selected_value()) {
        app.value = Some((line.path.clone(), value));
    }
    vec![]
}

/// The record is laid out when its row arrives.
pub fn received(view: &mut View) {
    let raw = view.panes[0].text("raw").unwrap_or_default();
    let ready = view.panes[0].load == Load::Ready;
    if let Screen::Event(record) = &mut view.screen
        && record.lines.is_empty()
        && ready
    {
        record.lines = json_lines(&raw);
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, record: &Record) {
    let view = app.view();
    let pane = &view.panes[0];
    let keys = &app.keys;
    let block = Block::new().borders(Borders::ALL).title(Line::from(vec![
        Span::raw(" "),
        Span::styled(record.crumb(), BOLD),
        Span::raw(format!(
            " · {} {} {} {} pivot · {} shows a value · {} copies ",
            keys.label(Action::Principal),
            keys.label(Action::Resource),
            keys.label(Action::SourceIp),
            keys.label(Action::Centre),
            keys.label(Action::Open),
            keys.label(Action::Copy)
        )),
    ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match &pane.load {
        Load::Failed(e) => {
            frame.render_widget(Paragraph::new(e.as_str()).style(Style::new().fg(Color::Red)), inner);
            return;
        }
        Load::Ready if pane.known_rows() == 0 => {
            frame.render_widget(Paragraph::new("no event has this id"), inner);
            return;
        }
        Load::Ready => {}
        _ => {
            frame.render_widget(Paragraph::new("loading…"), inner);
            return;
        }
    }
    let height = inner.height as usize;
    let top = record
        .row
        .saturating_sub(height.saturating_sub(1) / 2)
        .min(record.lines.len().saturating_sub(height));
    let lines: Vec<Line<'_>> = record
        .lines
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, l)| {
            let indent = (2 * l.depth).min(inner.width as usize / 2);
            let mut spans = vec![Span::raw(" ".repeat(indent))];
            spans.extend(json_spans(l, inner.width as usize - indent));
            let line = Line::from(spans);
            if i == record.row {
                line.patch_style(REVERSED)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A laid-out JSON line in colour, cut to `width`: keys bold, strings green, numbers magenta,
/// literals yellow.
fn json_spans(line: &JsonLine, width: usize) -> Vec<Span<'static>> {
    let text = crate::text::cut(&line.text, width);
    let key: String = text.chars().take(line.key_len).collect();
    let value: String = text.chars().skip(line.key_len).collect();
    let mut spans = Vec::new();
    if !key.is_empty() {
        spans.push(Span::styled(
            key,
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ));
    }
    let style = match line.value.as_ref().map(|v| v.kind) {
        Some(JsonKind::String) => Style::new().fg(Color::Green),
        Some(JsonKind::Number) => Style::new().fg(Color::Magenta),
        Some(JsonKind::Literal) => Style::new().fg(Color::Yellow),
        None => Style::new(),
    };
    spans.push(Span::styled(value, style));
    spans
}

/// The line's path in the record, and a word when it is longer than the screen.
pub fn status(app: &App, record: &Record, width: usize) -> Line<'static> {
    let Some(line) = record.lines.get(record.row) else {
        return Line::from("");
    };
    let path = if line.path.is_empty() {
        "(the record)"
    } else {
        line.path.as_str()
    };
    let mut spans = vec![Span::styled(" path ", BOLD), Span::raw(path.to_string())];
    let n = line.text.chars().count();
    // The record's box is two columns narrower than the screen.
    if 2 * line.depth + n + 2 > width {
        spans.push(Span::styled(
            format!(
                "  ({} characters: {} copies the value)",
                crate::text::thousands(n as u64),
                app.keys.label(Action::Copy)
            ),
            DIM,
        ));
    }
    Line::from(spans)
}

pub struct EventScreen;

impl super::Behaviour for EventScreen {
    fn act(&self, app: &mut App, action: Action) -> Option<Vec<Effect>> {
        act(app, action)
    }

    fn open(&self, app: &mut App) -> Option<Vec<Effect>> {
        Some(open(app))
    }

    fn received(&self, app: &mut App, at: usize, _pane: usize, _first: bool) -> Vec<Effect> {
        received(&mut app.stack[at]);
        vec![]
    }

    fn draw(&self, frame: &mut Frame<'_>, area: Rect, app: &App, _hits: &mut crate::tui::draw::Hits) {
        if let Screen::Event(record) = &app.view().screen {
            draw(frame, area, app, record)
        }
    }

    fn status(&self, app: &App, width: usize) -> Option<Line<'static>> {
        match &app.view().screen {
            Screen::Event(record) => Some(status(app, record, width)),
            _ => None,
        }
    }

    fn copied(&self, view: &View) -> Option<Option<String>> {
        match &view.screen {
            Screen::Event(record) => Some(record.selected_value()),
            _ => None,
        }
    }
}
