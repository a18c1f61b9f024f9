//! A histogram pane: a window's buckets placed by their time, failures in red at each bar's foot.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::table::time_text;
use super::{BOLD, DIM};
use crate::engine::TimeWindow;
use crate::tui::pane::{Load, Pane};

/// A histogram pane: the window's buckets across the width, each where its time falls (gaps
/// stay visible); failures in red at the foot of each bar.
/// `keys` (its keys, said in its title) when it is focused.
pub fn draw_chart(
    frame: &mut Frame<'_>,
    area: Rect,
    window: &TimeWindow,
    pane: &Pane,
    keys: Option<&str>,
    local: bool,
) {
    let focused = keys.is_some();
    let title = format!(" Events per {} {}", window.bucket().label(), keys.unwrap_or(""));
    let block = Block::new()
        .borders(Borders::ALL)
        .title(title)
        .border_style(if focused { BOLD } else { DIM });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match &pane.load {
        Load::Failed(e) => frame.render_widget(Paragraph::new(e.as_str()).style(Style::new().fg(Color::Red)), inner),
        Load::Ready => {
            let [bars, axis] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
            draw_histogram(frame, bars, pane, window);
            let (from, to) = (time_text(window.from, local), time_text(window.to, local));
            let gap = (axis.width as usize).saturating_sub(from.chars().count() + to.chars().count());
            frame.render_widget(
                Paragraph::new(Line::styled(format!("{from}{:gap$}{to}", ""), DIM)),
                axis,
            );
        }
        _ => frame.render_widget(Paragraph::new("loading…"), inner),
    }
}

pub fn draw_histogram(frame: &mut Frame<'_>, area: Rect, pane: &Pane, window: &TimeWindow) {
    if pane.rows.is_empty() || area.height == 0 || area.width == 0 {
        return;
    }
    let bucket = window.bucket().micros;
    let slots = ((window.span() + bucket - 1) / bucket).max(1) as usize;
    let width = area.width as usize;
    // Bucket k spans columns [k·width/slots, (k+1)·width/slots): the chart fills the width the
    // time axis below it labels (bars of unequal width by one column, rather than a chart that
    // stops short of its axis's end, as if logging had stopped). With more buckets than columns,
    // buckets share a column and the tallest is drawn.
    let columns_of = |start: i64| -> std::ops::Range<usize> {
        let k = (start.max(window.from) - window.from).div_euclid(bucket).max(0) as usize;
        let x0 = (k * width / slots).min(width - 1);
        x0..((k + 1) * width / slots).clamp(x0 + 1, width)
    };
    let (at, events, failures) = (
        pane.position("bucket"),
        pane.position("events"),
        pane.position("failures"),
    );
    let count = |r: &[crate::engine::Value], c: Option<usize>| c.and_then(|c| r[c].as_count()).unwrap_or(0);
    let max = pane.rows.iter().map(|r| count(r, events)).max().unwrap_or(1).max(1);
    let scale = |n: u64| n as f64 / max as f64 * area.height as f64;
    let mut drawn = vec![0u16; width];
    let start_of = |r: &[crate::engine::Value]| at.and_then(|c| r[c].as_time());
    let selected_start = pane.selected().and_then(|r| start_of(r));
    let buf = frame.buffer_mut();
    for row in pane.rows.iter() {
        let Some(start) = start_of(row) else {
            continue;
        };
        let (total, failed) = (count(row, events), count(row, failures));
        let h = scale(total).ceil() as u16;
        // Failures to scale: a normal trickle of refusals stays out of sight while a burst shows,
        // and a bucket of failures only is red to its top.
        let hf = if failed >= total {
            h
        } else {
            (scale(failed).round() as u16).min(h)
        };
        let selected = selected_start == Some(start);
        for x in columns_of(start) {
            let height = h.max(u16::from(selected)).min(area.height);
            if height <= drawn[x] && !selected {
                continue;
            }
            drawn[x] = drawn[x].max(height);
            for y in 0..area.height {
                let cell = &mut buf[(area.x + x as u16, area.y + area.height - 1 - y)];
                if y >= height {
                    // A shorter bucket drawn before in this column is cleared above its own top.
                    if selected {
                        cell.set_symbol(" ").set_style(Style::new());
                    }
                    continue;
                }
                let failure = y < hf;
                let mut style = Style::new().fg(if failure { Color::Red } else { Color::Green });
                if selected {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                cell.set_symbol(if failure {
                    "▓"
                } else if y < h {
                    "█"
                } else {
                    "▁"
                })
                .set_style(style);
            }
        }
    }
}
