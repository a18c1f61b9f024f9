//! Each screen's body: the timeline, a principal or resource, an event's record, the SQL editor
//! and its result, the reports list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Tabs};

use super::chart::{draw_chart, draw_histogram};
use super::table::{draw_pane, fit, middle, slice_line, thousands, time_text};
use super::{BOLD, DIM, REVERSED};
use crate::tui::app::App;
use crate::tui::pane::{Load, Pane};
use crate::tui::view::{Kind, short_title};

pub fn draw_timeline(frame: &mut Frame<'_>, area: Rect, app: &App) {
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
    draw_chart(frame, chart, view, &view.panes[0], focused, app.local_time);
    let pane = &view.panes[0];
    let busiest = pane.rows.iter().filter_map(|r| r[1].parse::<u64>().ok()).max();
    let text = match (&pane.load, pane.selected()) {
        (_, Some(row)) => format!(
            " {} bucket from {}: {} events, {} failed{}",
            view.scope.window.bucket().label(),
            time_text(crate::sources::parse_time(&row[0]).unwrap_or(0), app.local_time),
            row[1],
            row[3],
            if row[1].parse::<u64>().ok() == busiest && pane.known_rows() > 1 {
                " (the busiest)"
            } else {
                ""
            }
        ),
        (Load::Ready, None) => " no events in this window: - zooms out, :from and :last change it".into(),
        _ => String::new(),
    };
    frame.render_widget(Paragraph::new(Line::styled(text, BOLD)), label);
    draw_pane(frame, events, &view.panes[1], !focused, app);
}

/// A principal or a resource: its activity chart, then its sections as tabs.
pub fn draw_detail(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let view = app.view();
    let chart_height = if area.height >= 18 { 7 } else { 5 };
    let [chart, tabs, table] = Layout::vertical([
        Constraint::Length(chart_height),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let name = match &view.kind {
        Kind::Principal(p) | Kind::Resource(p) => p.as_str(),
        _ => "",
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(DIM)
        .title(Line::from(vec![
            Span::raw(" "),
            Span::styled(middle(name, (area.width as usize).saturating_sub(30)), BOLD),
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
            (Load::Ready, true) => format!(" {}", thousands(p.known_rows())),
            (Load::Ready, false) => format!(" {}+", thousands(p.known_rows())),
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
    draw_pane(frame, table, view.pane(), true, app);
}

pub fn draw_event(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let view = app.view();
    let pane = &view.panes[0];
    let block = Block::new().borders(Borders::ALL).title(Line::from(vec![
        Span::raw(" "),
        Span::styled(view.kind.crumb(), BOLD),
        Span::raw(" · p r i t pivot · Enter shows a value · y copies "),
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
    let top = view
        .json_row
        .saturating_sub(height.saturating_sub(1) / 2)
        .min(view.json.len().saturating_sub(height));
    let lines: Vec<Line<'_>> = view
        .json
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, l)| {
            let indent = (2 * l.depth).min(inner.width as usize / 2);
            let mut spans = vec![Span::raw(" ".repeat(indent))];
            spans.extend(json_spans(&fit(&l.text, inner.width as usize - indent)));
            let line = Line::from(spans);
            if i == view.json_row {
                line.patch_style(REVERSED)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A laid-out JSON line in colour: keys bold, strings green, numbers magenta, literals yellow.
pub fn json_spans(text: &str) -> Vec<Span<'static>> {
    let (key, value) = match text.strip_prefix('"').and_then(|_| text.find("\": ")) {
        Some(at) => (Some(&text[..at + 1]), &text[at + 3..]),
        None => (None, text),
    };
    let mut spans = Vec::new();
    if let Some(k) = key {
        spans.push(Span::styled(
            k.to_string(),
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::raw(": "));
    }
    let bare = value.trim_end_matches(',');
    let style = if bare.starts_with('"') {
        Style::new().fg(Color::Green)
    } else if bare.parse::<f64>().is_ok() {
        Style::new().fg(Color::Magenta)
    } else if matches!(bare, "true" | "false" | "null") {
        Style::new().fg(Color::Yellow)
    } else {
        Style::new()
    };
    spans.push(Span::styled(value.to_string(), style));
    spans
}

pub fn draw_sql(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let view = app.view();
    let editor_height = (app.editor.lines().len() as u16 + 2).clamp(5, (area.height / 2).max(5));
    let [edit, result] = Layout::vertical([Constraint::Length(editor_height), Constraint::Fill(1)]).areas(area);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(if app.editing { BOLD } else { DIM })
        .title(if app.editing && app.editor.offered() {
            " SQL · type a new statement, or ←/→ to edit this one · F5 runs "
        } else if app.editing {
            " SQL · F5 runs · Tab completes · Ctrl+P/N history · Ctrl+L clears "
        } else {
            " SQL · Tab edits "
        });
    let inner = block.inner(edit);
    frame.render_widget(block, edit);
    let height = inner.height as usize;
    let (row, col) = app.editor.cursor();
    // Drawing cannot scroll the editor: it shows the window that holds the cursor.
    let top = match app.editor.offered() {
        true => 0,
        false => app.editor.top.min(row).max((row + 1).saturating_sub(height)),
    };
    // Sideways, the same: the columns that hold the cursor; a line cut at the edge ends in "…".
    let width = inner.width as usize;
    // The offered text is shown from its start: typing replaces it, the cursor's place matters less.
    let left = match app.editor.offered() {
        true => 0,
        false => (col + 1).saturating_sub(width),
    };
    let lines: Vec<Line<'static>> = app
        .editor
        .highlighted()
        .into_iter()
        .skip(top)
        .take(height)
        .map(|l| slice_line(l, left, width))
        .map(|l| match app.editor.offered() {
            true => l.patch_style(DIM),
            false => l,
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    if app.editing && app.prompt.is_none() && app.form.is_none() && !app.help {
        let x = inner.x + ((col - left) as u16).min(inner.width.saturating_sub(1));
        let y = inner.y + ((row - top) as u16).min(inner.height.saturating_sub(1));
        frame.set_cursor_position((x, y));
        if let Some(c) = &app.editor.completion {
            let width = c.items.iter().map(|i| i.len()).max().unwrap_or(8) as u16 + 2;
            let shown = c.items.len().min(8) as u16;
            let popup = Rect {
                x: x.min(area.right().saturating_sub(width)),
                y: (inner.y + (row - top) as u16 + 1).min(area.bottom().saturating_sub(shown + 2)),
                width: width.min(area.width),
                height: shown + 2,
            };
            let first = c.selected.saturating_sub(shown as usize - 1);
            let items: Vec<Line<'_>> = c
                .items
                .iter()
                .enumerate()
                .skip(first)
                .take(shown as usize)
                .map(|(i, item)| {
                    let line = Line::from(item.as_str());
                    if i == c.selected {
                        line.patch_style(REVERSED)
                    } else {
                        line
                    }
                })
                .collect();
            frame.render_widget(Clear, popup);
            frame.render_widget(Paragraph::new(items).block(Block::new().borders(Borders::ALL)), popup);
        }
    }
    if view.pane().load == Load::Idle {
        frame.render_widget(
            Paragraph::new(" A query over the table events (Tab completes its columns); F5 runs it.")
                .block(Block::new().borders(Borders::ALL).title(" Result ")),
            result,
        );
    } else {
        draw_pane(frame, result, view.pane(), !app.editing, app);
    }
}

pub fn draw_reports(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let view = app.view();
    let [list, about] = Layout::vertical([Constraint::Fill(1), Constraint::Length(6)]).areas(area);
    draw_pane(frame, list, view.pane(), true, app);
    let name = view.pane().value("report").unwrap_or("");
    if let Some(r) = app.reports.iter().find(|r| r.name == name) {
        let params: Vec<String> = r
            .params
            .iter()
            .map(|p| format!("{} ({})", p.name, p.kind.name()))
            .collect();
        let text = if params.is_empty() {
            r.description.clone()
        } else {
            format!("{}\nParameters: {}", r.description, params.join(", "))
        };
        frame.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }).block(
                Block::new()
                    .borders(Borders::ALL)
                    .border_style(DIM)
                    .title(" Enter runs it "),
            ),
            about,
        );
    }
}
