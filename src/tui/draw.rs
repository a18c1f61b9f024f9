//! Drawing: a pure function of the state. Nothing here changes the state or runs a query.
//! Colours are the terminal's named ones plus bold/reverse, readable on light and dark themes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Tabs};

use super::app::{App, SCREENS};
use super::jobs::Running;
use super::keys::{Action, Binding};
use super::pane::{Load, Pane};
use super::view::{Kind, View};
use crate::engine::TimeWindow;
use crate::engine::window::format_time;

const BOLD: Style = Style::new().add_modifier(Modifier::BOLD);
const REVERSED: Style = Style::new().add_modifier(Modifier::REVERSED);
const DIM: Style = Style::new().add_modifier(Modifier::DIM);

pub fn draw(frame: &mut Frame<'_>, app: &App, running: &[Running], keys: &[Binding]) {
    let view = app.view();
    let has_filters = !view.scope.pins().is_empty() || view.scope.filter().is_some();
    let [title, tabs, crumbs, filters, main, status, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(u16::from(has_filters)),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_title(frame, title, app);
    let titles: Vec<Line<'_>> = SCREENS
        .iter()
        .enumerate()
        .map(|(i, s)| Line::from(format!("{} {s}", i + 1)))
        .collect();
    frame.render_widget(
        Tabs::new(titles)
            .select(view.kind.screen())
            .highlight_style(REVERSED.add_modifier(Modifier::BOLD))
            .divider("│"),
        tabs,
    );
    draw_crumbs(frame, crumbs, app);
    if has_filters {
        draw_filters(frame, filters, view);
    }
    match &view.kind {
        Kind::Timeline => draw_timeline(frame, main, app),
        Kind::Principal(_) | Kind::Resource(_) => draw_detail(frame, main, app),
        Kind::Event(_) => draw_event(frame, main, app),
        Kind::Sql => draw_sql(frame, main, app),
        Kind::Reports => draw_reports(frame, main, app),
        _ => draw_pane(frame, main, view.pane(), true, app),
    }
    frame.render_widget(
        Paragraph::new(fit_line(
            status_line(app, running, status.width as usize),
            status.width as usize,
        )),
        status,
    );
    match &app.prompt {
        Some(p) => {
            let label = p.purpose.label();
            // The text scrolls so that the cursor stays on screen.
            let room = (foot.width as usize).saturating_sub(label.chars().count() + 1).max(1);
            let left = (p.input.cursor + 1).saturating_sub(room);
            let shown: String = p.input.text.chars().skip(left).take(room).collect();
            let line = Line::from(vec![Span::styled(label, BOLD), Span::raw(shown)]);
            frame.render_widget(Paragraph::new(line), foot);
            let x = foot.x + (label.chars().count() + p.input.cursor - left) as u16;
            frame.set_cursor_position((x.min(foot.right().saturating_sub(1)), foot.y));
        }
        None => frame.render_widget(Paragraph::new(hints(app, keys, foot.width as usize)), foot),
    }
    if let Some(form) = &app.form {
        draw_form(frame, form);
    }
    if let Some((path, text)) = &app.value {
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
            Paragraph::new(text.as_str())
                .wrap(ratatui::widgets::Wrap { trim: false })
                .block(Block::new().borders(Borders::ALL).title(format!(
                    " {} · y copies · any key closes ",
                    fit(path, width as usize / 2)
                ))),
            popup,
        );
    }
    if app.help {
        draw_help(frame, keys);
    }
}

fn draw_title(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let window = &app.scope().window;
    let when = format!(
        "  {} – {}  ",
        time_text(window.from, app.local_time),
        time_text(window.to, app.local_time)
    );
    // The window always shows whole; a long archive name gives way, cut in its middle.
    let room = (area.width as usize).saturating_sub(" trailscope  ".len() + when.chars().count());
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" trailscope ", REVERSED.add_modifier(Modifier::BOLD)),
            Span::raw(format!(" {:room$}", middle(&app.archive, room))),
            Span::styled(when, BOLD),
        ])),
        area,
    );
}

fn draw_crumbs(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let crumbs: Vec<String> = app
        .stack
        .iter()
        .enumerate()
        // A filter or a zoom of the same view shows only what changed.
        .map(|(i, v)| {
            let added = (i > 0).then(|| added_filter(&app.stack[i - 1], v)).flatten();
            match added {
                Some(f) if app.stack[i - 1].kind == v.kind => f,
                Some(f) => format!("{} ({f})", v.kind.crumb()),
                None => v.kind.crumb(),
            }
        })
        .collect();
    let mut text = crumbs.join(" › ");
    let width = area.width as usize - 1;
    if text.chars().count() > width {
        let n = text.chars().count();
        text = format!("…{}", text.chars().skip(n + 1 - width).collect::<String>());
        text = text.replacen("……", "…", 1).replacen("… …", "…", 1);
    }
    frame.render_widget(
        Paragraph::new(Line::styled(format!(" {text}"), DIM.add_modifier(Modifier::BOLD))),
        area,
    );
}

/// What `next` narrows `previous` by, if anything.
fn added_filter(previous: &View, next: &View) -> Option<String> {
    if let Some(pin) = next.scope.pins().iter().find(|p| !previous.scope.pins().contains(p)) {
        return Some(pin.to_string());
    }
    if next.scope.filter() != previous.scope.filter() {
        return Some("where".into());
    }
    (next.scope.window != previous.scope.window).then(|| next.scope.window.chosen.clone())
}

fn draw_filters(frame: &mut Frame<'_>, area: Rect, view: &View) {
    let mut spans = vec![Span::styled(" filters ", BOLD)];
    for pin in view.scope.pins() {
        spans.push(Span::styled(format!(" {pin} "), REVERSED));
        spans.push(Span::raw(" "));
    }
    if let Some(f) = view.scope.filter() {
        spans.push(Span::styled(format!(" {f} "), REVERSED));
    }
    spans.push(Span::styled("  (Esc removes the last)", DIM));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn status_line(app: &App, running: &[Running], width: usize) -> Line<'static> {
    if let Some(r) = running.first() {
        let others = if running.len() > 1 {
            format!(" (+{} more)", running.len() - 1)
        } else {
            String::new()
        };
        return Line::from(Span::styled(
            format!(
                " ⟳ {}{others} · {:.1} s · {} rows read · Esc cancels",
                r.what,
                r.elapsed.as_secs_f64(),
                thousands(r.rows as usize)
            ),
            Style::new().fg(Color::Yellow),
        ));
    }
    if let Some((text, problem)) = &app.message {
        let style = if *problem {
            Style::new().fg(Color::Red)
        } else {
            Style::new()
        };
        return Line::from(Span::styled(format!(" {text}"), style));
    }
    let view = app.view();
    if let Kind::Event(_) = view.kind {
        let Some(line) = view.json.get(view.json_row) else {
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
                format!("  ({} characters: y copies the value)", thousands(n)),
                DIM,
            ));
        }
        return Line::from(spans);
    }
    let pane = view.focused();
    match &pane.load {
        Load::Failed(e) => Line::from(Span::styled(format!(" {e}"), Style::new().fg(Color::Red))),
        Load::Ready => {
            let total = if pane.complete {
                thousands(pane.known_rows())
            } else {
                format!("{}+", thousands(pane.known_rows()))
            };
            let what = if view.is_chart(view.focus) { "bucket" } else { "row" };
            let mut text = if pane.known_rows() == 0 {
                format!(" no {what}s")
            } else {
                format!(" {what} {} of {total}", thousands(pane.row + 1))
            };
            if let Some(t) = pane.elapsed {
                text.push_str(&format!(" · {:.2} s", t.as_secs_f64()));
            }
            if let Some((c, desc)) = &pane.sort {
                text.push_str(&format!(" · sorted by {c} {}", if *desc { "↓" } else { "↑" }));
            }
            if let Some(p) = &pane.pruning {
                text.push_str(&format!(" · {p}"));
            }
            Line::from(text)
        }
        _ => Line::from(""),
    }
}

/// The footer: whole hints only, as many as fit; `?` lists them all.
fn hints(app: &App, keys: &[Binding], width: usize) -> Line<'static> {
    let fixed: Vec<(String, &str)> = if app.view().kind == Kind::Sql && app.editing {
        vec![
            ("F5".into(), "run"),
            ("Tab".into(), "complete"),
            ("Ctrl+P/N".into(), "history"),
            ("Ctrl+L".into(), "clear"),
            ("Esc".into(), "to the result"),
        ]
    } else if app.form.is_some() {
        vec![
            ("Enter/F5".into(), "run"),
            ("Tab".into(), "next field"),
            ("Esc".into(), "cancel"),
        ]
    } else {
        let screens = keys.iter().filter(|k| matches!(k.action, Action::Screen(_))).count();
        let mut v = vec![("1-5".to_string(), "screens")];
        v.truncate(usize::from(screens == 5));
        v.extend(keys.iter().filter(|k| k.hint).map(|k| (k.label.clone(), k.help)));
        v
    };
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (label, help) in fixed {
        let n = label.chars().count() + help.chars().count() + 3;
        if used + n > width {
            break;
        }
        used += n;
        spans.push(Span::styled(format!(" {label}"), BOLD));
        spans.push(Span::styled(format!(" {help} "), DIM));
    }
    Line::from(spans)
}

fn draw_timeline(frame: &mut Frame<'_>, area: Rect, app: &App) {
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

/// A histogram pane: the window's buckets across the width, each where its time falls (gaps
/// stay visible); failures in red at the foot of each bar.
fn draw_chart(frame: &mut Frame<'_>, area: Rect, view: &View, pane: &Pane, focused: bool, local: bool) {
    let window = &view.scope.window;
    let title = format!(
        " Events per {} {}",
        window.bucket().label(),
        if focused {
            "(←/→ bucket, Enter narrows, +/- zoom) "
        } else {
            ""
        }
    );
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

fn draw_histogram(frame: &mut Frame<'_>, area: Rect, pane: &Pane, window: &TimeWindow) {
    if pane.rows.is_empty() || area.height == 0 || area.width == 0 {
        return;
    }
    let bucket = window.bucket().micros;
    let slots = ((window.span() + bucket - 1) / bucket).max(1) as usize;
    let width = area.width as usize;
    // Each bucket takes `cols` whole columns when there is room (the chart is then `slots × cols`
    // wide, without uneven gaps); otherwise buckets share columns and the tallest is drawn.
    let cols = (width / slots).max(1);
    let column_of = |start: i64| -> usize {
        let k = (start.max(window.from) - window.from).div_euclid(bucket).max(0) as usize;
        if slots <= width { k * cols } else { k * width / slots }
    };
    let max = pane
        .rows
        .iter()
        .map(|r| r[1].parse::<u64>().unwrap_or(0))
        .max()
        .unwrap_or(1)
        .max(1);
    let scale = |n: u64| n as f64 / max as f64 * area.height as f64;
    let mut drawn = vec![0u16; width];
    let selected_start = pane.selected().and_then(|r| crate::sources::parse_time(&r[0]).ok());
    let buf = frame.buffer_mut();
    for row in pane.rows.iter() {
        let Ok(start) = crate::sources::parse_time(&row[0]) else {
            continue;
        };
        let (total, failed): (u64, u64) = (row[1].parse().unwrap_or(0), row[3].parse().unwrap_or(0));
        let h = scale(total).ceil() as u16;
        // Failures to scale: a normal trickle of refusals stays out of sight while a burst shows,
        // and a bucket of failures only is red to its top.
        let hf = if failed >= total {
            h
        } else {
            (scale(failed).round() as u16).min(h)
        };
        let selected = selected_start == Some(start);
        let x0 = column_of(start);
        for x in x0..(x0 + cols).min(width) {
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

/// A principal or a resource: its activity chart, then its sections as tabs.
fn draw_detail(frame: &mut Frame<'_>, area: Rect, app: &App) {
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
    let titles: Vec<Line<'_>> = view.panes[1..]
        .iter()
        .map(|p| {
            let n = match (&p.load, p.complete) {
                (Load::Ready, true) => format!(" {}", thousands(p.known_rows())),
                (Load::Ready, false) => format!(" {}+", thousands(p.known_rows())),
                _ => String::new(),
            };
            Line::from(format!("{}{n}", p.title))
        })
        .collect();
    frame.render_widget(
        Tabs::new(titles)
            .select(view.focus.saturating_sub(1))
            .highlight_style(REVERSED)
            .divider("│"),
        tabs,
    );
    draw_pane(frame, table, view.pane(), true, app);
}

fn draw_event(frame: &mut Frame<'_>, area: Rect, app: &App) {
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
fn json_spans(text: &str) -> Vec<Span<'static>> {
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

fn draw_sql(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let view = app.view();
    let editor_height = (app.editor.lines().len() as u16 + 2).clamp(5, (area.height / 2).max(5));
    let [edit, result] = Layout::vertical([Constraint::Length(editor_height), Constraint::Fill(1)]).areas(area);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(if app.editing { BOLD } else { DIM })
        .title(if app.editing {
            " SQL · F5 runs · Tab completes · Ctrl+P/N history · Ctrl+L clears "
        } else {
            " SQL · Tab edits "
        });
    let inner = block.inner(edit);
    frame.render_widget(block, edit);
    let height = inner.height as usize;
    let (row, col) = app.editor.cursor();
    // Drawing cannot scroll the editor: it shows the window that holds the cursor.
    let top = app.editor.top.min(row).max((row + 1).saturating_sub(height));
    // Sideways, the same: the columns that hold the cursor; a line cut at the edge ends in "…".
    let width = inner.width as usize;
    let left = (col + 1).saturating_sub(width);
    let lines: Vec<Line<'static>> = app
        .editor
        .highlighted()
        .into_iter()
        .skip(top)
        .take(height)
        .map(|l| slice_line(l, left, width))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    if app.editing && app.prompt.is_none() && app.form.is_none() && !app.help {
        let x = inner.x + ((col - left) as u16).min(inner.width.saturating_sub(1));
        frame.set_cursor_position((x, inner.y + (row - top) as u16));
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

fn draw_reports(frame: &mut Frame<'_>, area: Rect, app: &App) {
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

fn draw_form(frame: &mut Frame<'_>, form: &super::prompt::Form) {
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
    let (natural, least) = column_widths(&pane.columns, &pane.order, &rows, inner_width);
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
fn column_widths(columns: &[String], order: &[usize], rows: &[Vec<String>], total: usize) -> (Vec<usize>, Vec<usize>) {
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
fn cell_text(text: &str, local: bool) -> String {
    if local && text.len() >= 20 && text.as_bytes().get(10) == Some(&b'T') {
        if let Ok(t) = crate::sources::parse_time(text) {
            return time_text(t, true);
        }
    }
    text.to_string()
}

/// A time in UTC (`…Z`) or in local time with its offset.
fn time_text(micros: i64, local: bool) -> String {
    if local {
        if let Some(t) = chrono::DateTime::from_timestamp_micros(micros) {
            return t
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string();
        }
    }
    format_time(micros)
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
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

/// The part of a line from character `from`, `width` wide, with "…" where it is cut.
fn slice_line(line: Line<'static>, from: usize, width: usize) -> Line<'static> {
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
    if from > 0 && total > from {
        if let Some(first) = line.spans.first_mut() {
            let rest: String = first.content.chars().skip(1).collect();
            first.content = format!("…{rest}").into();
        }
    }
    line
}

/// A line cut to `width` characters with an ellipsis, its styles kept.
fn fit_line(line: Line<'static>, width: usize) -> Line<'static> {
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
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else if width >= 16 && (text.contains('/') || text.starts_with("arn:")) && !text.contains(' ') {
        middle(text, width)
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

/// Every key, grouped by action, in as many columns as the screen holds.
fn draw_help(frame: &mut Frame<'_>, keys: &[Binding]) {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::tui::app::Effect;
    use crate::tui::editor::Editor;
    use crate::tui::jobs::{Message, Request};
    use crate::tui::keys::{self, Action};

    const HOUR: i64 = 3_600_000_000;
    const PRINCIPAL: &str = "arn:aws:iam::356789012345:user/ci-deployer";
    const FUNCTION: &str = "arn:aws:lambda:eu-west-1:356789012345:function:invoice-sync";

    fn app() -> App {
        let window = TimeWindow {
            from: 0,
            to: 4 * HOUR,
            chosen: String::new(),
        };
        let editor = Editor::new(vec!["json_get_str".into(), "json_get_int".into()], None);
        let reports = crate::engine::reports::ReportLibrary::builtin()
            .all()
            .cloned()
            .collect();
        App::new("/archives/incident".into(), window, Some(4 * HOUR - 1), editor, reports)
    }

    /// Answers every query the effects started, with rows chosen by what the query asks.
    fn answer(app: &mut App, effects: Vec<Effect>) {
        let mut queue = effects;
        while let Some(effect) = queue.pop() {
            let Effect::Start { feed, request, .. } = effect else {
                continue;
            };
            let (columns, rows): (Vec<&str>, Vec<Vec<String>>) = match &request {
                Request::Query(q) if q.sql.contains("date_bin") => (
                    vec!["bucket", "events", "successes", "failures"],
                    vec![
                        row(&["1970-01-01T00:00:00Z", "40", "40", "0"]),
                        row(&["1970-01-01T01:00:00Z", "80", "20", "60"]),
                        row(&["1970-01-01T02:00:00Z", "10", "10", "0"]),
                    ],
                ),
                Request::Query(q) if q.sql.starts_with("SELECT * FROM (") => (
                    vec!["principal", "events", "first_seen", "last_seen", "failures"],
                    vec![
                        row(&[
                            "alice@acme.example",
                            "50",
                            "1970-01-01T00:00:00Z",
                            "1970-01-01T03:00:00Z",
                            "0",
                        ]),
                        row(&[PRINCIPAL, "80", "1970-01-01T00:10:00Z", "1970-01-01T02:50:00Z", "60"]),
                    ],
                ),
                Request::Query(q) if q.sql.starts_with("SELECT *") => (
                    vec!["event_time", "event_id", "principal", "resource", "source_ip", "raw"],
                    vec![row(&[
                        "1970-01-01T01:02:03Z",
                        "ev-1",
                        PRINCIPAL,
                        FUNCTION,
                        "203.0.113.66",
                        r#"{"eventName":"CreateFunction20150331","requestParameters":{"functionName":"invoice-sync","environment":{"variables":{"DB_PASSWORD":"********"}}},"sourceIPAddress":"203.0.113.66","readOnly":false}"#,
                    ])],
                ),
                Request::Query(q) if q.sql.contains("AS candidate") => {
                    (vec!["candidate", "events"], vec![row(&[PRINCIPAL, "80"])])
                }
                Request::Query(q) if q.title.starts_with("Principals") => (
                    vec!["principal", "events", "first_seen", "last_seen", "failures"],
                    vec![
                        row(&[PRINCIPAL, "80", "1970-01-01T00:10:00Z", "1970-01-01T02:50:00Z", "60"]),
                        row(&[
                            "alice@acme.example",
                            "50",
                            "1970-01-01T00:00:00Z",
                            "1970-01-01T03:00:00Z",
                            "0",
                        ]),
                    ],
                ),
                Request::Query(q) if q.title.starts_with("Values of") => (
                    vec!["action", "rows", "first_seen", "last_seen"],
                    vec![
                        row(&["ListUsers", "60", "1970-01-01T01:00:00Z", "1970-01-01T01:59:00Z"]),
                        row(&[
                            "CreateFunction20150331",
                            "1",
                            "1970-01-01T01:02:03Z",
                            "1970-01-01T01:02:03Z",
                        ]),
                    ],
                ),
                _ => (
                    vec![
                        "event_time",
                        "principal",
                        "action",
                        "resource",
                        "outcome",
                        "source_ip",
                        "event_id",
                    ],
                    vec![
                        row(&[
                            "1970-01-01T01:02:03Z",
                            PRINCIPAL,
                            "CreateFunction20150331",
                            FUNCTION,
                            "success",
                            "203.0.113.66",
                            "ev-1",
                        ]),
                        row(&[
                            "1970-01-01T01:05:00Z",
                            PRINCIPAL,
                            "ListUsers",
                            "",
                            "failure",
                            "203.0.113.66",
                            "ev-2",
                        ]),
                    ],
                ),
            };
            let more = app.receive(Message::Rows {
                feed,
                columns: columns.into_iter().map(String::from).collect(),
                skip: 0,
                rows,
                complete: true,
                elapsed: Duration::from_millis(120),
                query: None,
                pruning: Some("read 1 of 3 files in 1 of 1 days".into()),
            });
            queue.extend(more);
        }
    }

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    fn act(app: &mut App, action: Action) {
        let effects = app.update(action);
        answer(app, effects);
    }

    fn screen(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| draw(f, app, &[], &keys::bindings())).unwrap();
        terminal
    }

    fn opened() -> App {
        let mut app = app();
        let effects = app.load();
        answer(&mut app, effects);
        app
    }

    #[test]
    fn timeline() {
        let app = opened();
        let terminal = screen(&app, 80, 24);
        insta::assert_snapshot!(terminal.backend());
        // Failures are drawn in red, the selected bucket reversed.
        let buffer = terminal.backend().buffer();
        let red = buffer.content().iter().filter(|c| c.fg == Color::Red).count();
        assert!(red > 0, "the failed bucket shows red");
    }

    #[test]
    fn event_record_and_its_path() {
        let mut app = opened();
        act(&mut app, Action::Down);
        act(&mut app, Action::Open);
        for _ in 0..4 {
            act(&mut app, Action::Down);
        }
        insta::assert_snapshot!(screen(&app, 80, 24).backend());
    }

    #[test]
    fn principal_after_a_pivot_with_a_filter() {
        let mut app = opened();
        act(&mut app, Action::Down);
        act(&mut app, Action::ColRight);
        act(&mut app, Action::ColRight);
        act(&mut app, Action::FilterOut);
        act(&mut app, Action::Principal);
        insta::assert_snapshot!(screen(&app, 80, 24).backend());
    }

    #[test]
    fn resource_with_its_changes() {
        let mut app = opened();
        act(&mut app, Action::Down);
        act(&mut app, Action::Resource);
        insta::assert_snapshot!(screen(&app, 80, 24).backend());
    }

    #[test]
    fn principals_table_sorted() {
        let mut app = opened();
        act(&mut app, Action::Screen(1));
        act(&mut app, Action::ColRight);
        act(&mut app, Action::Sort);
        insta::assert_snapshot!(screen(&app, 80, 24).backend());
    }

    #[test]
    fn a_status_too_long_for_the_screen_ends_in_an_ellipsis() {
        let line = Line::from(vec![
            Span::styled("row 1 of 9", BOLD),
            Span::raw(" · read 6 of 296 files"),
        ]);
        let cut = fit_line(line.clone(), 16);
        assert_eq!(cut.to_string(), "row 1 of 9 · re…");
        assert_eq!(cut.spans[0].style, BOLD);
        assert_eq!(fit_line(line, 80).to_string(), "row 1 of 9 · read 6 of 296 files");
    }

    #[test]
    fn a_running_query_says_what_runs_for_how_long_and_how_many_rows_it_read() {
        let app = opened();
        let running = [Running {
            what: "Principals (the 1000 with the most events)".into(),
            elapsed: Duration::from_millis(2500),
            rows: 1_234_567,
        }];
        let mut terminal = Terminal::new(TestBackend::new(100, 24)).unwrap();
        terminal.draw(|f| draw(f, &app, &running, &keys::bindings())).unwrap();
        let text = terminal.backend().to_string();
        assert!(
            text.contains("⟳ Principals (the 1000 with the most events) · 2.5 s · 1,234,567 rows read · Esc cancels"),
            "{text}"
        );
    }

    #[test]
    fn a_name_that_means_several_principals_lists_them() {
        let mut app = opened();
        let effects = app.command("principal ci");
        let Some(Effect::Start { feed, .. }) = effects.into_iter().next() else {
            panic!("a query starts")
        };
        app.receive(Message::Rows {
            feed,
            columns: vec!["candidate".into(), "events".into()],
            skip: 0,
            rows: vec![row(&[PRINCIPAL, "80"]), row(&["ci-bot@acme.example", "3"])],
            complete: true,
            elapsed: Duration::from_millis(40),
            query: None,
            pruning: None,
        });
        assert_eq!(
            app.view().kind,
            crate::tui::view::Kind::Matches(crate::engine::Subject::Principal, "ci".into())
        );
        insta::assert_snapshot!(screen(&app, 80, 12).backend());
    }

    #[test]
    fn a_click_on_a_row_selects_it() {
        let mut app = opened();
        act(&mut app, Action::Screen(1));
        screen(&app, 80, 24);
        // Title, tabs, breadcrumb, the table's border and header: the second row is on line 6.
        app.click(5, 6);
        assert_eq!(app.view().pane().row, 1);
        assert_eq!(app.view().pane().value("principal"), Some("alice@acme.example"));
        app.click(5, 1);
        assert_eq!(app.view().pane().row, 1, "a click outside the rows changes nothing");
    }

    #[test]
    fn frequency_table() {
        let mut app = opened();
        act(&mut app, Action::Down);
        act(&mut app, Action::ColRight);
        act(&mut app, Action::ColRight);
        act(&mut app, Action::Frequency);
        insta::assert_snapshot!(screen(&app, 80, 24).backend());
    }

    #[test]
    fn sql_editor_with_completion() {
        let mut app = opened();
        act(&mut app, Action::Screen(3));
        app.editor.set_text("SELECT json_g");
        let effects = app.edit(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        assert!(effects.is_empty());
        let terminal = screen(&app, 80, 24);
        insta::assert_snapshot!(terminal.backend());
        let text = terminal.backend().to_string();
        assert!(text.contains("json_get_int") && text.contains("json_get_str"));
    }

    #[test]
    fn reports_and_the_form_of_one() {
        let mut app = opened();
        act(&mut app, Action::Screen(4));
        insta::assert_snapshot!("reports", screen(&app, 80, 24).backend());
        act(&mut app, Action::Down);
        act(&mut app, Action::Open);
        assert!(app.form.is_some());
        insta::assert_snapshot!("report_form", screen(&app, 80, 24).backend());
    }

    #[test]
    fn export_prompt() {
        let mut app = opened();
        act(&mut app, Action::Down);
        act(&mut app, Action::Export);
        let text = screen(&app, 100, 24).backend().to_string();
        assert!(text.contains("export to (.csv/.jsonl/.parquet)"), "{text}");
        assert!(text.contains("trailscope-timeline-"), "{text}");
    }

    #[test]
    fn help_lists_every_key_of_the_key_table() {
        let mut app = opened();
        act(&mut app, Action::Help);
        let terminal = screen(&app, 80, 24);
        insta::assert_snapshot!(terminal.backend());
        let text = terminal.backend().to_string();
        assert!(text.contains("1–5") && text.contains("screens"));
        for b in keys::bindings()
            .iter()
            .filter(|b| !matches!(b.action, Action::Screen(_)))
        {
            assert!(text.contains(&b.label), "'{}' is in the help at 80×24", b.label);
        }
        for help in [
            "filter: SQL condition",
            "copy value (OSC 52)",
            "suspend (fg resumes)",
            "zoom the window in",
        ] {
            assert!(text.contains(help), "'{help}' is whole in the help at 80×24");
        }
    }

    #[test]
    fn local_time_writes_the_offset() {
        let mut app = opened();
        act(&mut app, Action::LocalTime);
        let text = screen(&app, 100, 24).backend().to_string();
        let offset = chrono::DateTime::from_timestamp(0, 0)
            .unwrap()
            .with_timezone(&chrono::Local)
            .format("%:z")
            .to_string();
        assert!(
            text.contains(&format!("T00:00:00{offset}")) || text.contains(&offset),
            "{text}"
        );
        assert!(!text.contains("1970-01-01T00:00:00Z"), "no UTC time is left: {text}");
    }
}
