//! Drawing: a pure function of the state. Nothing here changes the state or runs a query.
//! Colours are the terminal's named ones plus bold/reverse, readable on light and dark themes.
//! This file lays out the frame and its fixed lines (title, tabs, breadcrumb, filters, status,
//! hints); `screens` draws each screen's body, `table` and `chart` the two kinds of pane,
//! `popups` what opens over them.

mod chart;
mod popups;
mod screens;
mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

use self::popups::{draw_form, draw_help, draw_value};
use self::screens::{draw_detail, draw_event, draw_reports, draw_sql, draw_timeline};
pub use self::table::draw_pane;
pub(crate) use self::table::thousands;
use self::table::{fit_line, middle, time_text};
use super::app::{App, SCREENS};
use super::jobs::Running;
use super::keys::{Action, Binding};
use super::pane::Load;
use super::view::{Kind, View};

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
        draw_value(frame, path, text);
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
        return Line::from(Span::styled(format!(" {}", one_line(text)), style));
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
        Load::Failed(e) => Line::from(Span::styled(format!(" {}", one_line(e)), Style::new().fg(Color::Red))),
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
                // The counts matter more than the reasons: on a narrow screen the parentheses go.
                let whole = format!("{text} · {p}");
                text = if whole.chars().count() < width {
                    whole
                } else {
                    format!("{text} · {}", without_parentheses(p))
                };
            }
            Line::from(text)
        }
        _ => Line::from(""),
    }
}

/// A message of several lines (DataFusion's errors have some) as one, its lines kept apart.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `text` without its parenthesised asides (and the space before each).
fn without_parentheses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => {
                if depth == 0 && out.ends_with(' ') {
                    out.pop();
                }
                depth += 1;
            }
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
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

#[cfg(test)]
mod tests;
