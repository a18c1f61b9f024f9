//! What opens over a screen: a report's parameter form, a value shown whole, the keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use ratatui::style::{Color, Style};

use super::{BOLD, DIM, REVERSED};
use crate::text::cut as fit;
use crate::tui::keys::{Action, KeyTable};
use crate::tui::prompt::Form;
use crate::tui::screens::Tab;

pub fn draw_form(frame: &mut Frame<'_>, form: &Form, keys: &KeyTable) {
    let area = frame.area();
    let width = area.width.saturating_sub(4).min(76);
    let error_lines = form
        .error
        .as_ref()
        .map_or(0, |e| e.chars().count() as u16 / width.saturating_sub(2).max(1) + 2);
    let height = (form.report.params.len() as u16 * 2 + 4 + error_lines).min(area.height);
    let popup = Rect {
        x: (area.width - width) / 2,
        y: area.height.saturating_sub(height) / 2,
        width,
        height,
    };
    let mut lines = vec![Line::styled(form.report.title.clone(), BOLD)];
    let mut cursor = None;
    for (i, (p, v)) in form.report.params.iter().zip(&form.values).enumerate() {
        let label = format!("{} ({}): ", p.name, p.kind.name());
        let focused = i == form.field;
        let value = if v.text.is_empty() {
            Span::styled(
                match &p.default {
                    Some(d) => format!("default {d}"),
                    None => "required".to_string(),
                },
                DIM,
            )
        } else {
            Span::raw(v.text.clone())
        };
        if focused {
            cursor = Some((label.chars().count() + v.cursor, lines.len()));
        }
        lines.push(Line::from(vec![
            Span::styled(label, if focused { REVERSED } else { BOLD }),
            value,
        ]));
        lines.push(Line::styled(format!("  {}", p.description), DIM));
    }
    if let Some(e) = &form.error {
        lines.push(Line::raw(""));
        lines.push(Line::styled(e.clone(), Style::new().fg(Color::Red)));
    }
    let block = Block::new().borders(Borders::ALL).title(format!(
        " Parameters — empty takes the default · Enter/{} runs · Esc cancels ",
        keys.label(Action::Run)
    ));
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block),
        popup,
    );
    if let Some((x, y)) = cursor {
        frame.set_cursor_position((
            inner.x + (x as u16).min(inner.width.saturating_sub(1)),
            inner.y + y as u16,
        ));
    }
}

/// A value shown whole (a long line of a record), wrapped.
pub fn draw_value(frame: &mut Frame<'_>, path: &str, text: &str, keys: &KeyTable) {
    let area = frame.area();
    let width = area.width.saturating_sub(4).min(100);
    let lines =
        (text.chars().count() / (width as usize).saturating_sub(2).max(1) + text.matches('\n').count() + 1) as u16;
    let height = (lines + 2).min(area.height.saturating_sub(2));
    let popup = Rect {
        x: (area.width - width) / 2,
        y: area.height.saturating_sub(height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: false }).block(
            Block::new().borders(Borders::ALL).title(format!(
                " {} · {} copies · any key closes ",
                fit(path, width as usize / 2),
                keys.label(Action::Copy)
            )),
        ),
        popup,
    );
}

const PAIRS: [(Action, Action, &str); 5] = [
    (Action::PageUp, Action::PageDown, "page up / down"),
    (Action::HalfUp, Action::HalfDown, "half a page up / down"),
    (Action::SearchNext, Action::SearchPrevious, "next / previous match"),
    (Action::MoveColumnLeft, Action::MoveColumnRight, "move the column"),
    (Action::Wider, Action::Narrower, "widen / narrow column"),
];

/// Every key, grouped by action, then the `:` commands, in as many columns as the screen
/// holds; it scrolls (from line `top`) when they do not fit.
pub fn draw_help(frame: &mut Frame<'_>, keys: &KeyTable, top: usize) -> usize {
    let mut entries: Vec<(String, &str, Option<Action>)> = Vec::new();
    let screens: Vec<String> = (0..Tab::ALL.len()).map(|n| keys.label(Action::Screen(n))).collect();
    let default = screens.iter().enumerate().all(|(i, l)| *l == (i + 1).to_string());
    let all = match default {
        true => format!("1–{}", Tab::ALL.len()),
        false => screens.join("/"),
    };
    entries.push((all, "screens", None));
    for k in keys
        .bindings()
        .iter()
        .filter(|k| !matches!(k.action, Action::Screen(_)))
    {
        if k.key == crossterm::event::KeyCode::Null {
            continue;
        }
        match entries.iter_mut().find(|(_, _, a)| *a == Some(k.action)) {
            Some((label, _, _)) => {
                label.push('/');
                label.push_str(&k.label);
            }
            None => entries.push((k.label.clone(), k.help, Some(k.action))),
        }
    }
    // Actions that go in pairs share a line: the keys fit one screen at 80×24.
    for (first, second, help) in PAIRS {
        let at = |a| entries.iter().position(|(_, _, e)| *e == Some(a));
        if let (Some(i), Some(j)) = (at(first), at(second)) {
            let other = entries.remove(j).0;
            let i = if j < i { i - 1 } else { i };
            entries[i].0 = format!("{}/{other}", entries[i].0);
            entries[i].1 = help;
        }
    }
    let commands: [(&str, &'static str); 12] = [
        (":principal N", "open a principal"),
        (":resource N", "open a resource"),
        (":ip ADDR", "events from an IP"),
        (":event ID", "one event"),
        (":from / :to T", "window start / end"),
        (":last 24h", "the last 24 hours"),
        (":where C", "filter: SQL condition"),
        (":clear", "drop every filter"),
        (":sort C [desc]", "sort by a column"),
        (":export FILE", "export the table"),
        (":help", "this list"),
        (":q", "quit"),
    ];
    entries.extend(commands.iter().map(|(l, h)| (l.to_string(), *h, None)));
    let area = frame.area();
    let col_width = 38u16;
    let columns = (area.width.saturating_sub(2) / col_width).max(1) as usize;
    // Row by row, so that scrolling down reads on in the same order.
    let per_column = entries.len().div_ceil(columns);
    let room = area.height.saturating_sub(2) as usize;
    let scrolls = per_column > room;
    // A line at the foot says how to scroll, when there is more.
    let rows = if scrolls { room.saturating_sub(1) } else { per_column };
    let most = per_column.saturating_sub(rows);
    let top = top.min(most);
    let height = (rows as u16 + 2 + u16::from(scrolls)).min(area.height);
    let width = (col_width * columns as u16 + 2).min(area.width);
    let popup = Rect {
        x: (area.width - width) / 2,
        y: area.height.saturating_sub(height) / 2,
        width,
        height,
    };
    let label_width = 14;
    let help_width = col_width as usize - label_width - 2;
    let mut lines: Vec<Line<'_>> = (top..(top + rows).min(per_column))
        .map(|r| {
            let mut spans = Vec::new();
            for c in 0..columns {
                if let Some((label, help, _)) = entries.get(r * columns + c) {
                    spans.push(Span::styled(
                        format!(" {:<label_width$}", fit(label, label_width)),
                        BOLD,
                    ));
                    spans.push(Span::raw(format!("{:<w$} ", fit(help, help_width), w = help_width)));
                }
            }
            Line::from(spans)
        })
        .collect();
    if scrolls {
        lines.push(Line::styled(
            format!(
                " lines {}–{} of {} · {}/{} scroll",
                top + 1,
                (top + rows).min(per_column),
                per_column,
                keys.label(Action::Up),
                keys.label(Action::Down)
            ),
            DIM,
        ));
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::new()
                .borders(Borders::ALL)
                .title(" Keys — any other key closes "),
        ),
        popup,
    );
    most
}
