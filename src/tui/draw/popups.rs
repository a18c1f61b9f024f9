//! What opens over a screen: a report's parameter form, a value shown whole, the keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::table::fit;
use super::{BOLD, DIM, REVERSED};
use crate::tui::keys::{Action, Binding};
use crate::tui::prompt::Form;

pub fn draw_form(frame: &mut Frame<'_>, form: &Form) {
    let area = frame.area();
    let width = area.width.saturating_sub(4).min(76);
    let height = (form.report.params.len() as u16 * 2 + 4).min(area.height);
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
    let block = Block::new()
        .borders(Borders::ALL)
        .title(" Parameters — empty takes the default · Enter/F5 runs · Esc cancels ");
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
    if let Some((x, y)) = cursor {
        frame.set_cursor_position((
            inner.x + (x as u16).min(inner.width.saturating_sub(1)),
            inner.y + y as u16,
        ));
    }
}

/// A value shown whole (a long line of a record), wrapped.
pub fn draw_value(frame: &mut Frame<'_>, path: &str, text: &str) {
    let area = frame.area();
    let width = area.width.saturating_sub(4).min(100);
    let lines = (text.chars().count() / (width as usize - 2).max(1) + text.matches('\n').count() + 1) as u16;
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
                " {} · y copies · any key closes ",
                fit(path, width as usize / 2)
            )),
        ),
        popup,
    );
}

/// Every key, grouped by action, in as many columns as the screen holds.
pub fn draw_help(frame: &mut Frame<'_>, keys: &[Binding]) {
    let mut entries: Vec<(String, &str, Option<Action>)> = vec![("1–5".into(), "screens", None)];
    for k in keys.iter().filter(|k| !matches!(k.action, Action::Screen(_))) {
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
    let area = frame.area();
    let col_width = 38u16;
    let columns = (area.width.saturating_sub(2) / col_width).max(1) as usize;
    // The `:` commands too, when the screen has room for them (an unknown command lists them).
    let commands: [(&str, &'static str); 9] = [
        (":principal N", "open a principal"),
        (":resource N", "open a resource"),
        (":ip ADDR", "events from an IP"),
        (":event ID", "one event"),
        (":from / :to T", "window start / end"),
        (":last 24h", "the last 24 hours"),
        (":where C", "filter: SQL condition"),
        (":clear", "drop every filter"),
        (":export FILE", "export the table"),
    ];
    if entries.len() + commands.len() <= columns * area.height.saturating_sub(2) as usize {
        entries.extend(commands.iter().map(|(l, h)| (l.to_string(), *h, None)));
    }
    let per_column = entries.len().div_ceil(columns);
    let height = (per_column as u16 + 2).min(area.height);
    let width = (col_width * columns as u16 + 2).min(area.width);
    let popup = Rect {
        x: (area.width - width) / 2,
        y: area.height.saturating_sub(height) / 2,
        width,
        height,
    };
    let label_width = 14;
    let help_width = col_width as usize - label_width - 2;
    let lines: Vec<Line<'_>> = (0..per_column)
        .map(|r| {
            let mut spans = Vec::new();
            for c in 0..columns {
                if let Some((label, help, _)) = entries.get(c * per_column + r) {
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
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::new().borders(Borders::ALL).title(" Keys — any key closes ")),
        popup,
    );
}
