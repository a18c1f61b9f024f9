//! A result table, and the helpers that fit times and styled lines to a width.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::{BOLD, ColumnHit, DIM, Hits, REVERSED, TableHit};
use crate::engine::Value;
use crate::engine::window::format_time;
use crate::text::columns::{self, Column};
use crate::tui::app::App;
use crate::tui::keys::Action;
use crate::tui::pane::{Load, Pane};

/// A result table: the cursor's row and cell highlighted, the cursor's column marked in its
/// header, columns sized by what they mean (time, principal, action and resource first; empty
/// ones collapsed; a width the user set kept) and scrolled sideways to keep the cursor's column
/// in view. Where the focused table landed goes into `hits`.
pub fn draw_table(frame: &mut Frame<'_>, area: Rect, app: &App, pane: &Pane, focused: bool, hits: &mut Hits) {
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
        let filtered = format!(
            "no rows match the filters in this window: {} removes the last filter, :clear all of them",
            app.keys.label(Action::Back)
        );
        let text = match &pane.empty_hint {
            Some(hint) => hint.as_str(),
            None if app.scope().is_filtered() => filtered.as_str(),
            None => "no rows",
        };
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(block),
            area,
        );
        return;
    }
    let inner_width = area.width.saturating_sub(2) as usize;
    let visible_rows = (area.height.saturating_sub(3) as usize).max(1);
    // The first row drawn: where the pane scrolled to, moved only as far as keeps the cursor's
    // row on screen (and within the rows held).
    let mut top = pane.top.max(pane.offset);
    if pane.row < top {
        top = pane.row;
    } else if pane.row >= top + visible_rows {
        top = pane.row + 1 - visible_rows;
    }
    let from = top.saturating_sub(pane.offset);
    let drawn: Vec<Vec<String>> = pane
        .rows
        .iter()
        .skip(from)
        .take(visible_rows)
        .map(|r| r.iter().map(|c| cell_text(c, local)).collect())
        .collect();
    // Widths are measured on a screenful either side too, so that they hold while scrolling.
    let sample: Vec<&Vec<Value>> = pane
        .rows
        .iter()
        .skip(from.saturating_sub(visible_rows))
        .take(visible_rows * 3)
        .collect();
    let set = |name: &str| app.widths.get(&(app.view().screen.name(), name.to_string())).copied();
    let specs: Vec<(usize, bool, bool)> = pane
        .order
        .iter()
        .map(|&i| {
            let name = &pane.columns[i];
            let natural = sample
                .iter()
                .map(|r| cell_text(&r[i], local).chars().count())
                .chain([name.chars().count() + 2])
                .max()
                .unwrap_or(1)
                .max(1);
            let exact = sample.iter().all(|r| r[i].is_empty() || r[i].is_exact());
            let empty = sample.iter().all(|r| r[i].is_empty());
            match set(name) {
                Some(w) => (w, true, false),
                None => (natural, exact, empty),
            }
        })
        .collect();
    let fitted_from = |start: usize| {
        let columns: Vec<Column<'_>> = (start..pane.order.len())
            .map(|p| Column {
                name: &pane.columns[pane.order[p]],
                natural: specs[p].0,
                fixed: specs[p].1,
                empty: specs[p].2,
                wanted: p == pane.col,
            })
            .collect();
        columns::fit_scrolled(&columns, inner_width, 1).widths
    };
    // Scroll sideways so the cursor's column is in view.
    let mut start = pane.first_col.min(pane.col);
    let mut widths = fitted_from(start);
    while pane.col >= start + widths.len() && start < pane.col {
        start += 1;
        widths = fitted_from(start);
    }
    let shown: Vec<usize> = (start..start + widths.len()).collect();
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
    let width_of = |p: usize| widths[p - start];
    let header = Row::new(shown.iter().map(|&p| {
        let name = &pane.columns[pane.order[p]];
        let mark = match &pane.sort {
            Some((c, true)) if c == name => " ↓",
            Some((c, false)) if c == name => " ↑",
            _ => "",
        };
        let cell = Cell::from(crate::text::cut(&format!("{name}{mark}"), width_of(p)));
        // The cursor's column is marked in its header, whatever row is selected.
        if p == pane.col && focused {
            cell.style(REVERSED)
        } else {
            cell
        }
    }))
    .style(BOLD.add_modifier(Modifier::UNDERLINED));
    let at = pane.row - top;
    let table_rows = drawn.iter().enumerate().map(|(r, row)| {
        Row::new(shown.iter().map(|&p| {
            let cell = Cell::from(crate::text::cut(&row[pane.order[p]], width_of(p)));
            if r == at && p == pane.col && focused {
                cell.style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED))
            } else {
                cell
            }
        }))
    });
    let table = Table::new(
        table_rows,
        shown.iter().map(|&p| Constraint::Length(width_of(p) as u16)),
    )
    .header(header)
    .block(block)
    .column_spacing(1)
    .row_highlight_style(if focused {
        REVERSED
    } else {
        DIM.add_modifier(Modifier::REVERSED)
    });
    let mut state = TableState::default().with_selected((at < drawn.len()).then_some(at));
    frame.render_stateful_widget(table, area, &mut state);
    if focused {
        // Where each row and column landed, for a click to pick one.
        let body = Rect {
            x: area.x + 1,
            y: area.y + 2,
            width: area.width.saturating_sub(2),
            height: area.height.saturating_sub(3),
        };
        let mut x = body.x;
        let columns = shown
            .iter()
            .map(|&p| {
                let hit = ColumnHit {
                    name: pane.columns[pane.order[p]].clone(),
                    position: p,
                    x,
                    width: width_of(p),
                };
                x += width_of(p) as u16 + 1;
                hit
            })
            .collect();
        hits.table = Some(TableHit {
            area: body,
            first_row: top,
            first_col: start,
            columns,
        });
    }
    hits.page = Some(visible_rows);
}

/// A cell as shown: a time in UTC or local time (its offset written), a number as it is.
pub fn cell_text(value: &Value, local: bool) -> String {
    match value {
        Value::Time(t) => time_text(*t, local),
        other => other.to_string(),
    }
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
