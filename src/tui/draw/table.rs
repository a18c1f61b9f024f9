//! A result table, and the text helpers that fit cells, times and lines to a width.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::{BOLD, DIM, REVERSED};
use crate::engine::window::format_time;
use crate::tui::app::App;
use crate::tui::pane::{Load, Pane};

/// A result table: the cursor's row and cell highlighted, columns sized to their content and
/// scrolled sideways to keep the cursor's column in view.
pub fn draw_pane(frame: &mut Frame<'_>, area: Rect, pane: &Pane, focused: bool, app: &App) {
    let local = app.local_time;
    let mut block = Block::new()
        .borders(Borders::ALL)
        .border_style(if focused { Style::new() } else { DIM })
        .title(format!(" {} ", pane.title));
    match &pane.load {
        Load::Idle | Load::Running if pane.rows.is_empty() => {
            frame.render_widget(Paragraph::new("loading…").block(block), area);
            return;
        }
        Load::Failed(e) => {
            frame.render_widget(
                Paragraph::new(e.as_str())
                    .wrap(ratatui::widgets::Wrap { trim: false })
                    .style(Style::new().fg(Color::Red))
                    .block(block),
                area,
            );
            return;
        }
        _ => {}
    }
    if pane.known_rows() == 0 && pane.complete {
        let text = pane.empty_hint.as_deref().unwrap_or("no rows");
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(block),
            area,
        );
        return;
    }
    let inner_width = area.width.saturating_sub(2) as usize;
    let visible_rows = area.height.saturating_sub(3) as usize;
    // The rows drawn: the cursor's screenful, never the whole window.
    let at = pane.row.saturating_sub(pane.offset);
    let from = at.saturating_sub(visible_rows);
    let rows: Vec<Vec<String>> = pane
        .rows
        .iter()
        .skip(from)
        .take(visible_rows * 2 + 1)
        .map(|r| r.iter().map(|c| cell_text(c, local)).collect())
        .collect();
    let (natural, mut least) = column_widths(&pane.columns, &pane.order, &rows, inner_width);
    // The cursor's column gets up to a third of the width: identifiers that differ only in their middle
    // (role sessions, resource paths) would otherwise look the same.
    if let Some(l) = least.get_mut(pane.col) {
        *l = natural[pane.col].min((inner_width / 3).max(*l));
    }
    // Scroll sideways so the cursor's column is in view; as many columns as fit at their least.
    let fits = |start: usize| {
        let mut used = 0;
        (start..pane.order.len())
            .take_while(|&i| {
                used += least[i] + 1;
                used <= inner_width + 1
            })
            .count()
            .max(1)
    };
    let mut start = pane.first_col.min(pane.col);
    while pane.col >= start + fits(start) {
        start += 1;
    }
    let shown: Vec<usize> = (start..start + fits(start)).collect();
    // The room left goes to the shown columns that were cut, the least cut first (two missing
    // characters hide more than a long ARN's middle).
    let mut widths = least.clone();
    let mut room = (inner_width + 1).saturating_sub(shown.iter().map(|&i| least[i] + 1).sum::<usize>());
    while room > 0 {
        let Some(&i) = shown
            .iter()
            .filter(|&&i| widths[i] < natural[i])
            .min_by_key(|&&i| natural[i] - widths[i])
        else {
            break;
        };
        widths[i] += 1;
        room -= 1;
    }
    let hidden_right = pane.order.len() - (start + shown.len());
    if start > 0 || hidden_right > 0 {
        block = block.title_bottom(format!(
            " columns {}–{} of {}{} ",
            start + 1,
            start + shown.len(),
            pane.order.len(),
            if hidden_right > 0 { " →" } else { "" }
        ));
    }
    let header = Row::new(shown.iter().map(|&i| {
        let name = &pane.columns[pane.order[i]];
        let mark = match &pane.sort {
            Some((c, desc)) if c == name => {
                if *desc {
                    " ↓"
                } else {
                    " ↑"
                }
            }
            _ => "",
        };
        Cell::from(fit(&format!("{name}{mark}"), widths[i]))
    }))
    .style(BOLD.add_modifier(Modifier::UNDERLINED));
    let cursor_col = pane.col;
    let table_rows = rows.iter().enumerate().map(|(r, row)| {
        let selected_row = from + r == at;
        Row::new(shown.iter().map(|&i| {
            let text = fit(&row[pane.order[i]], widths[i]);
            let cell = Cell::from(text);
            if selected_row && i == cursor_col && focused {
                cell.style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED))
            } else {
                cell
            }
        }))
    });
    let table = Table::new(table_rows, shown.iter().map(|&i| Constraint::Length(widths[i] as u16)))
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(if focused {
            REVERSED
        } else {
            DIM.add_modifier(Modifier::REVERSED)
        });
    let mut state = TableState::default().with_selected(Some(at - from));
    frame.render_stateful_widget(table, area, &mut state);
    if focused {
        // Where each row landed, for a mouse click to pick one.
        let body = Rect {
            x: area.x + 1,
            y: area.y + 2,
            width: area.width.saturating_sub(2),
            height: area.height.saturating_sub(3),
        };
        app.table_area.set(Some((body, pane.offset + from + state.offset())));
    }
}

/// Each column's natural width (its longest cell, by position in `order`) and the least it is
/// given: times and numbers keep theirs (a cut one is no use), text may be cut to 20.
pub fn column_widths(
    columns: &[String],
    order: &[usize],
    rows: &[Vec<String>],
    total: usize,
) -> (Vec<usize>, Vec<usize>) {
    let natural: Vec<usize> = order
        .iter()
        .map(|&i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([columns[i].chars().count() + 2])
                .max()
                .unwrap_or(1)
                .clamp(1, total.max(4))
        })
        .collect();
    let least = order
        .iter()
        .zip(&natural)
        .map(|(&i, &n)| {
            let fixed = rows.iter().all(|r| {
                let v = &r[i];
                v.is_empty() || v.parse::<f64>().is_ok() || crate::sources::parse_time(v).is_ok()
            });
            if fixed { n } else { n.min(20) }
        })
        .collect();
    (natural, least)
}

/// A cell as shown: a time in local time when asked (its offset written), else as it is.
pub fn cell_text(text: &str, local: bool) -> String {
    if local
        && text.len() >= 20
        && text.as_bytes().get(10) == Some(&b'T')
        && let Ok(t) = crate::sources::parse_time(text)
    {
        return time_text(t, true);
    }
    text.to_string()
}

/// A time in UTC (`…Z`) or in local time with its offset.
pub fn time_text(micros: i64, local: bool) -> String {
    if local && let Some(t) = chrono::DateTime::from_timestamp_micros(micros) {
        // The fraction is kept as in UTC: events a fraction of a second apart stay apart.
        let format = if micros % 1_000_000 == 0 {
            "%Y-%m-%dT%H:%M:%S%:z"
        } else {
            "%Y-%m-%dT%H:%M:%S%.6f%:z"
        };
        return t.with_timezone(&chrono::Local).format(format).to_string();
    }
    format_time(micros)
}

pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Text cut in its middle to `width` characters (both ends of a path tell).
pub fn middle(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(1);
    let head: String = text.chars().take(keep / 2).collect();
    let tail: String = text.chars().skip(n - (keep - keep / 2)).collect();
    format!("{head}…{tail}")
}

/// The part of a line from character `from`, `width` wide, with "…" where it is cut.
pub fn slice_line(line: Line<'static>, from: usize, width: usize) -> Line<'static> {
    let total = line.width();
    let mut spans = Vec::new();
    let mut at = 0;
    for span in line.spans {
        let text: String = span
            .content
            .chars()
            .enumerate()
            .filter(|(i, _)| at + i >= from)
            .map(|(_, c)| c)
            .collect();
        at += span.content.chars().count();
        if !text.is_empty() {
            spans.push(Span::styled(text, span.style));
        }
    }
    let mut line = fit_line(Line::from(spans), width);
    if from > 0
        && total > from
        && let Some(first) = line.spans.first_mut()
    {
        let rest: String = first.content.chars().skip(1).collect();
        first.content = format!("…{rest}").into();
    }
    line
}

/// A line cut to `width` characters with an ellipsis, its styles kept.
pub fn fit_line(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let mut left = width.saturating_sub(1);
    let mut spans = Vec::new();
    for span in line.spans {
        let n = span.content.chars().count();
        if n <= left {
            left -= n;
            spans.push(span);
            continue;
        }
        let kept: String = span.content.chars().take(left).collect();
        spans.push(Span::styled(format!("{kept}…"), span.style));
        return Line::from(spans);
    }
    Line::from(spans)
}

/// A cell cut to `width` with an ellipsis when it does not fit; ARNs and paths are cut in their
/// middle, since their ends tell them apart (`arn:aws:iam::1234…/role/deployer`).
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else if width >= 16 && (text.contains('/') || text.starts_with("arn:")) && !text.contains(' ') {
        middle(text, width)
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}
