//! Drawing: a pure function of the state. Nothing here changes the state or runs a query.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Tabs};

use super::app::{App, Pane, SCREENS};
use super::jobs::Target;
use super::keys::Binding;
use super::results::ResultSet;
use crate::engine::window::format_time;

pub fn draw(frame: &mut Frame<'_>, app: &App, running: &[(Target, Duration)], keys: &[Binding]) {
    let [title, tabs, main, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let window = &app.scope.window;
    let when = format!("   {} – {} UTC", format_time(window.from), format_time(window.to));
    // The window always shows whole; a long archive name gives way, cut in its middle.
    let room = (title.width as usize).saturating_sub(" trailscope  ".len() + when.chars().count());
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                " trailscope ",
                Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            ),
            Span::raw(format!(" {}{when}", middle(&app.archive, room))),
        ])),
        title,
    );
    let titles: Vec<Line<'_>> = SCREENS
        .iter()
        .enumerate()
        .map(|(i, s)| Line::from(format!(" {} {s} ", i + 1)))
        .collect();
    frame.render_widget(
        Tabs::new(titles)
            .select(app.screen)
            .highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .divider("│"),
        tabs,
    );
    match app.screen {
        0 => draw_timeline(frame, main, app),
        1 => draw_pane(frame, main, &app.principals, "Principals"),
        _ => draw_pane(frame, main, &app.resources, "Resources"),
    }
    frame.render_widget(Paragraph::new(status_line(app, running)), status);
    // Whole hints only, as many as fit; `?` lists them all.
    let mut hint: Vec<Span<'_>> = Vec::new();
    let mut used = 0;
    for k in keys.iter().filter(|k| k.hint) {
        let n = k.label.chars().count() + k.help.chars().count() + 3;
        if used + n > hints.width as usize {
            break;
        }
        used += n;
        hint.push(Span::styled(
            format!(" {}", k.label),
            Style::new().add_modifier(Modifier::BOLD),
        ));
        hint.push(Span::raw(format!(" {} ", k.help)));
    }
    frame.render_widget(Paragraph::new(Line::from(hint)), hints);
    if app.help {
        draw_help(frame, keys);
    }
}

fn status_line(app: &App, running: &[(Target, Duration)]) -> Line<'static> {
    if let Some((target, elapsed)) = running.first() {
        return Line::from(Span::styled(
            format!(
                " running {target:?} query… {:.1} s (Esc cancels)",
                elapsed.as_secs_f64()
            ),
            Style::new().fg(Color::Yellow),
        ));
    }
    if !app.status.is_empty() {
        return Line::from(format!(" {}", app.status));
    }
    let pane = match app.screen {
        0 => &app.timeline,
        1 => &app.principals,
        _ => &app.resources,
    };
    match (&pane.result, pane.elapsed) {
        (Some(Ok(set)), Some(t)) => {
            let more = if set.more { "+ (more not loaded)" } else { "" };
            Line::from(format!(" {}{more} rows in {:.2} s", set.rows.len(), t.as_secs_f64()))
        }
        (Some(Err(e)), _) => Line::from(Span::styled(format!(" {e}"), Style::new().fg(Color::Red))),
        _ => Line::from(""),
    }
}

fn draw_timeline(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let [chart, label, events] =
        Layout::vertical([Constraint::Length(10), Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(format!(" Events per {} ", app.scope.window.bucket().label()));
    let inner = block.inner(chart);
    frame.render_widget(block, chart);
    match &app.timeline.result {
        Some(Ok(set)) => draw_histogram(frame, inner, set, app.timeline.selected, &app.scope.window),
        Some(Err(e)) => frame.render_widget(Paragraph::new(e.as_str()).style(Style::new().fg(Color::Red)), inner),
        None => frame.render_widget(Paragraph::new("loading…"), inner),
    }
    if let Some(Ok(set)) = &app.timeline.result {
        if let Some(row) = set.rows.get(app.timeline.selected) {
            let text = format!(" bucket {}: {} events, {} failures", row[0], row[1], row[3]);
            frame.render_widget(Paragraph::new(text), label);
        } else {
            frame.render_widget(Paragraph::new(" no events in this window"), label);
        }
    }
    draw_pane(frame, events, &app.bucket_events, "Events of the bucket");
}

/// The window's buckets across the width, each where its time falls (gaps stay visible); a
/// bucket's height is its events, its failures drawn in red at its foot.
fn draw_histogram(
    frame: &mut Frame<'_>,
    area: Rect,
    set: &ResultSet,
    selected: usize,
    window: &crate::engine::TimeWindow,
) {
    if set.rows.is_empty() || area.height == 0 || area.width == 0 {
        return;
    }
    let bucket = window.bucket().micros;
    let slots = ((window.span() + bucket - 1) / bucket).max(1) as usize;
    let width = area.width as usize;
    // Each bucket takes `cols` columns when there is room; otherwise buckets share columns.
    let cols = (width / slots).max(1);
    let column_of = |start: i64| -> usize {
        let k = (start.max(window.from) - window.from).div_euclid(bucket).max(0) as usize;
        if cols > 1 { k * cols } else { k * width / slots }
    };
    let max = set
        .rows
        .iter()
        .map(|r| r[1].parse::<u64>().unwrap_or(0))
        .max()
        .unwrap_or(1)
        .max(1);
    let buf = frame.buffer_mut();
    for (i, row) in set.rows.iter().enumerate() {
        let Ok(start) = crate::sources::parse_time(&row[0]) else {
            continue;
        };
        let (total, failed): (u64, u64) = (row[1].parse().unwrap_or(0), row[3].parse().unwrap_or(0));
        let h = ((total as f64 / max as f64) * area.height as f64).ceil() as u16;
        // Failures are drawn to scale: a normal trickle of refusals stays out of sight, a burst shows.
        let hf = ((failed as f64 / max as f64) * area.height as f64).round() as u16;
        let x0 = column_of(start);
        for x in x0..(x0 + cols.max(1)).min(width) {
            for y in 0..h.max(u16::from(i == selected)).min(area.height) {
                let failure = y < hf;
                let mut style = Style::new().fg(if failure { Color::Red } else { Color::Green });
                if i == selected {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                let cell = &mut buf[(area.x + x as u16, area.y + area.height - 1 - y)];
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

fn draw_pane(frame: &mut Frame<'_>, area: Rect, pane: &Pane, title: &str) {
    let block = Block::new().borders(Borders::ALL).title(format!(" {title} "));
    match &pane.result {
        None => frame.render_widget(Paragraph::new("loading…").block(block), area),
        Some(Err(e)) => frame.render_widget(
            Paragraph::new(e.as_str())
                .style(Style::new().fg(Color::Red))
                .block(block),
            area,
        ),
        Some(Ok(set)) => {
            let inner_width = area.width.saturating_sub(2) as usize;
            let mut widths = column_widths(set, inner_width);
            // Columns that do not fit whole are left out (and said so), never squeezed unreadable.
            let mut used = 0;
            let shown = widths
                .iter()
                .take_while(|w| {
                    used += **w as usize + 1;
                    used <= inner_width + 1
                })
                .count()
                .max(1);
            let hidden = widths.len() - shown;
            widths.truncate(shown);
            let block = if hidden > 0 {
                block.title_bottom(format!(
                    " {hidden} more column{} → ",
                    if hidden == 1 { "" } else { "s" }
                ))
            } else {
                block
            };
            let header = Row::new(
                set.columns
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| Cell::from(fit(c, *w as usize))),
            )
            .style(Style::new().add_modifier(Modifier::BOLD));
            let rows = set
                .rows
                .iter()
                .map(|r| Row::new(r.iter().zip(&widths).map(|(c, w)| Cell::from(fit(c, *w as usize)))));
            let table = Table::new(rows, widths.iter().map(|w| Constraint::Length(*w)))
                .header(header)
                .block(block)
                .column_spacing(1)
                .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
            let mut state = TableState::default().with_selected(Some(pane.selected));
            frame.render_stateful_widget(table, area, &mut state);
        }
    }
}

/// Widths that fit the content, the widest text giving way until the row fits; times and
/// numbers keep their width (a cut one is no use).
fn column_widths(set: &ResultSet, total: usize) -> Vec<u16> {
    let sample = || set.rows.iter().take(200);
    let keep: Vec<bool> = (0..set.columns.len())
        .map(|i| {
            sample().all(|r| {
                let v = &r[i];
                v.is_empty() || v.parse::<f64>().is_ok() || crate::sources::parse_time(v).is_ok()
            })
        })
        .collect();
    let mut widths: Vec<usize> = (0..set.columns.len())
        .map(|i| {
            set.rows
                .iter()
                .take(200)
                .map(|r| r[i].chars().count())
                .chain([set.columns[i].chars().count()])
                .max()
                .unwrap_or(1)
                .max(1)
        })
        .collect();
    while widths.iter().sum::<usize>() + widths.len().saturating_sub(1) > total {
        let (at, w) = widths
            .iter()
            .enumerate()
            .filter(|(i, _)| !keep[*i])
            .max_by_key(|(_, w)| **w)
            .map(|(i, w)| (i, *w))
            .unwrap_or((0, 0));
        if w <= 10 {
            break;
        }
        widths[at] = w - 1;
    }
    widths.into_iter().map(|w| w as u16).collect()
}

/// Text cut in its middle to `width` characters (both ends of a path tell).
fn middle(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(1);
    let head: String = text.chars().take(keep / 2).collect();
    let tail: String = text.chars().skip(n - (keep - keep / 2)).collect();
    format!("{head}…{tail}")
}

/// A cell cut to `width` with an ellipsis when it does not fit.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

fn draw_help(frame: &mut Frame<'_>, keys: &[Binding]) {
    let area = frame.area();
    let height = (keys.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.width.saturating_sub(50) / 2,
        y: area.height.saturating_sub(height) / 2,
        width: 50.min(area.width),
        height,
    };
    let lines: Vec<Line<'_>> = keys
        .iter()
        .map(|k| Line::from(format!(" {:<8} {}", k.label, k.help)))
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::new().borders(Borders::ALL).title(" Keys (? closes) ")),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::engine::TimeWindow;
    use crate::tui::jobs::JobDone;

    fn set(columns: &[&str], rows: &[&[&str]]) -> ResultSet {
        ResultSet {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect(),
            more: false,
        }
    }

    fn app() -> App {
        let hour = 3_600_000_000;
        let mut app = App::new(
            "/archives/incident".into(),
            TimeWindow {
                from: 0,
                to: 4 * hour,
                chosen: String::new(),
            },
        );
        let timeline = set(
            &["bucket", "events", "successes", "failures"],
            &[
                &["1970-01-01T00:00:00Z", "40", "40", "0"],
                &["1970-01-01T01:00:00Z", "80", "20", "60"],
                &["1970-01-01T02:00:00Z", "10", "10", "0"],
            ],
        );
        app.finished(JobDone {
            target: Target::Timeline,
            generation: 0,
            elapsed: Duration::from_millis(120),
            outcome: Ok(timeline),
        });
        let events = set(
            &["event_time", "principal", "action", "outcome"],
            &[&[
                "1970-01-01T01:02:03Z",
                "arn:aws:iam::356789012345:user/ci-deployer",
                "ListUsers",
                "failure",
            ]],
        );
        app.finished(JobDone {
            target: Target::BucketEvents,
            generation: 0,
            elapsed: Duration::from_millis(30),
            outcome: Ok(events),
        });
        app
    }

    fn screen(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|f| draw(f, app, &[], &crate::tui::keys::bindings()))
            .unwrap();
        terminal
    }

    #[test]
    fn the_timeline_shows_its_buckets_the_selected_one_and_its_events() {
        let app = app();
        assert_eq!(app.timeline.selected, 1, "it opens on the busiest bucket");
        let terminal = screen(&app, 80, 24);
        insta::assert_snapshot!(terminal.backend());
        // Failures are drawn in red, the selected bucket reversed.
        let buffer = terminal.backend().buffer();
        let red = (0..buffer.area.height)
            .flat_map(|y| (0..buffer.area.width).map(move |x| (x, y)))
            .filter(|&(x, y)| buffer[(x, y)].fg == Color::Red)
            .count();
        assert!(red > 0, "the failed bucket shows red");
    }

    #[test]
    fn the_help_lists_every_key_of_the_key_table() {
        let mut app = app();
        app.help = true;
        let terminal = screen(&app, 80, 30);
        let text = terminal.backend().to_string();
        for b in crate::tui::keys::bindings() {
            assert!(text.contains(b.help), "{} is in the help", b.help);
        }
    }
}
