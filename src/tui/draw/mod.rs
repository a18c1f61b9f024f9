//! Drawing: a pure function of the state. Nothing here changes the state or runs a query; what
//! the loop needs to know of the layout (where the tabs and the focused table's rows landed) is
//! returned as `Hits`. Colours are the terminal's named ones plus bold/reverse, readable on light
//! and dark themes. This file lays out the frame and its fixed lines (title, tabs, breadcrumb,
//! filters, status, hints); each screen draws its body (`screens`), with `table` and `chart`
//! for the two kinds of pane and `popups` for what opens over them.

mod chart;
mod popups;
mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

pub use self::chart::{draw_chart, draw_histogram};
use self::popups::{draw_form, draw_help, draw_value};
use self::table::fit_line;
pub use self::table::{cell_text, draw_table, slice_line, time_text};
use super::app::App;
use super::jobs::{Read, Running};
use super::keys::Action;
use super::pane::Load;
use super::screens::{self, Tab};
use super::view::View;

pub const BOLD: Style = Style::new().add_modifier(Modifier::BOLD);
pub const REVERSED: Style = Style::new().add_modifier(Modifier::REVERSED);
pub const DIM: Style = Style::new().add_modifier(Modifier::DIM);

/// Where things landed on screen, for the mouse and the keys that move by a page.
#[derive(Clone, Debug, Default)]
pub struct Hits {
    /// Each tab's columns on the tabs row.
    pub tabs: Vec<(u16, u16, Tab)>,
    pub tabs_row: u16,
    /// The focused table.
    pub table: Option<TableHit>,
    /// The rows a page of the last table drawn holds, focused or not (the timeline's events are
    /// drawn unfocused while its chart has the keys).
    pub page: Option<usize>,
    /// How far the keys' help can scroll.
    pub help_max: usize,
}

/// Where the focused table's rows and columns landed.
#[derive(Clone, Debug)]
pub struct TableHit {
    /// The rows' area (below the header).
    pub area: Rect,
    /// The result's row number of the first row drawn.
    pub first_row: usize,
    /// The first column drawn, as a place in `Pane::order` (sideways scrolling).
    pub first_col: usize,
    pub columns: Vec<ColumnHit>,
}

#[derive(Clone, Debug)]
pub struct ColumnHit {
    pub name: String,
    /// Its place among the shown columns (`Pane::order`).
    pub position: usize,
    pub x: u16,
    pub width: usize,
}

impl Hits {
    pub fn tab_at(&self, x: u16, y: u16) -> Option<Tab> {
        (y == self.tabs_row)
            .then(|| {
                self.tabs
                    .iter()
                    .find(|(from, to, _)| x >= *from && x < *to)
                    .map(|t| t.2)
            })
            .flatten()
    }
}

pub fn draw(frame: &mut Frame<'_>, app: &App, running: &[Running]) -> Hits {
    let mut hits = Hits::default();
    let view = app.view();
    let has_filters = view.scope.is_filtered();
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
    draw_tabs(frame, tabs, view, &mut hits);
    draw_crumbs(frame, crumbs, app);
    if has_filters {
        draw_filters(frame, filters, app);
    }
    screens::draw(frame, main, app, &mut hits);
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
            let x = foot.x + (label.chars().count() + p.input.cursor - left) as u16;
            let line = Line::from(vec![Span::styled(label, BOLD), Span::raw(shown)]);
            frame.render_widget(Paragraph::new(line), foot);
            frame.set_cursor_position((x.min(foot.right().saturating_sub(1)), foot.y));
        }
        None => frame.render_widget(Paragraph::new(hints(app, foot.width as usize)), foot),
    }
    if let Some(form) = &app.form {
        draw_form(frame, form, &app.keys);
    }
    if let Some((path, text)) = &app.value {
        draw_value(frame, path, text, &app.keys);
    }
    if let Some(top) = app.help {
        hits.help_max = draw_help(frame, &app.keys, top);
    }
    hits
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
            Span::raw(format!(" {:room$}", crate::text::middle(&app.archive, room))),
            Span::styled(when, BOLD),
        ])),
        area,
    );
}

fn draw_tabs(frame: &mut Frame<'_>, area: Rect, view: &View, hits: &mut Hits) {
    let titles: Vec<String> = Tab::ALL
        .iter()
        .map(|t| format!("{} {}", t.index() + 1, t.label()))
        .collect();
    // Each title is padded by a space either side and divided from the next by one column.
    let mut x = area.x;
    for (title, tab) in titles.iter().zip(Tab::ALL) {
        let w = title.chars().count() as u16 + 2;
        hits.tabs.push((x, x + w, tab));
        x += w + 1;
    }
    hits.tabs_row = area.y;
    frame.render_widget(
        Tabs::new(titles.into_iter().map(Line::from).collect::<Vec<_>>())
            .select(view.screen.tab().index())
            .highlight_style(REVERSED.add_modifier(Modifier::BOLD))
            .divider("│"),
        area,
    );
}

fn draw_crumbs(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let crumbs: Vec<String> = app
        .stack
        .iter()
        .enumerate()
        // A filter or a zoom of the same screen shows only what changed.
        .map(|(i, v)| {
            let added = (i > 0).then(|| added_filter(&app.stack[i - 1], v)).flatten();
            match added {
                Some(f) if app.stack[i - 1].screen.crumb() == v.screen.crumb() => f,
                Some(f) => format!("{} ({f})", v.screen.crumb()),
                None => v.screen.crumb(),
            }
        })
        .collect();
    let mut text = crumbs.join(" › ");
    let width = (area.width as usize).saturating_sub(1);
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
        return Some(match next.scope.filter() {
            Some(f) => format!("where {}", crate::text::cut(f, 28)),
            None => "no filters".into(),
        });
    }
    (next.scope.window != previous.scope.window).then(|| next.scope.window.chosen.clone())
}

fn draw_filters(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let scope = &app.view().scope;
    let mut spans = vec![Span::styled(" filters ", BOLD)];
    for pin in scope.pins() {
        spans.push(Span::styled(format!(" {pin} "), REVERSED));
        spans.push(Span::raw(" "));
    }
    if let Some(f) = scope.filter() {
        spans.push(Span::styled(format!(" {f} "), REVERSED));
    }
    spans.push(Span::styled(
        format!("  ({} removes the last, :clear all)", app.keys.label(Action::Back)),
        DIM,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn status_line(app: &App, running: &[Running], width: usize) -> Line<'static> {
    if let Some(r) = running.first() {
        let others = if running.len() > 1 {
            format!(" (+{} more)", running.len() - 1)
        } else {
            String::new()
        };
        let rows = match r.rows {
            Some(n) => format!(" · {} rows read", crate::text::thousands(n)),
            None => String::new(),
        };
        return Line::from(Span::styled(
            format!(
                " ⟳ {}{others} · {:.1} s{rows} · {} cancels",
                r.what,
                r.elapsed.as_secs_f64(),
                app.keys.label(Action::Back)
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
    if let Some(line) = screens::status(app, width) {
        return line;
    }
    let view = app.view();
    let pane = view.focused();
    match &pane.load {
        Load::Failed(e) => Line::from(Span::styled(format!(" {}", one_line(e)), Style::new().fg(Color::Red))),
        Load::Ready => {
            let known = crate::text::thousands(pane.known_rows() as u64);
            let total = if pane.complete { known } else { format!("{known}+") };
            let what = if view.is_chart(view.focus) { "bucket" } else { "row" };
            let mut text = if pane.known_rows() == 0 {
                format!(" no {what}s")
            } else {
                format!(" {what} {} of {total}", crate::text::thousands(pane.row as u64 + 1))
            };
            if let Some(t) = pane.elapsed {
                text.push_str(&format!(" · {:.2} s", t.as_secs_f64()));
            }
            if let Some((c, desc)) = &pane.sort {
                text.push_str(&format!(" · sorted by {c} {}", if *desc { "↓" } else { "↑" }));
            }
            if let Some(read) = &pane.read {
                // The counts matter more than the reasons: on a narrow screen the reasons go.
                let whole = format!("{text}{}", read_text(read, false));
                text = if whole.chars().count() < width {
                    whole
                } else {
                    format!("{text}{}", read_text(read, true))
                };
            }
            Line::from(text)
        }
        _ => Line::from(""),
    }
}

/// What a query read, for the status line: ` · 3 days from facts · read 1 of 3 files… · 12
/// store requests`; `brief` leaves out the reasons.
fn read_text(read: &Read, brief: bool) -> String {
    let mut text = String::new();
    if let Some(days) = read.facts_days {
        text.push_str(&format!(" · {days} days from facts"));
    }
    if let Some(p) = &read.pruning {
        let so_far = if read.so_far { "so far " } else { "" };
        match brief {
            true => text.push_str(&format!(" · {so_far}{p:#}")),
            false => text.push_str(&format!(" · {so_far}{p}")),
        }
    }
    if read.requests > 0 {
        text.push_str(&format!(" · {} store requests", crate::text::thousands(read.requests)));
    }
    text
}

/// A message of several lines (DataFusion's errors have some) as one, its lines kept apart.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The footer: whole hints only, as many as fit — the screen's own first, then the key table's;
/// `?` lists them all.
fn hints(app: &App, width: usize) -> Line<'static> {
    let keys = &app.keys;
    let mut all: Vec<(String, &str)> = if app.form.is_some() {
        vec![
            (format!("Enter/{}", keys.label(Action::Run)), "run"),
            ("Tab".into(), "next field"),
            ("Esc".into(), "cancel"),
        ]
    } else {
        screens::hints(app)
    };
    let editing_sql = app.form.is_none() && app.editing && app.view().screen.tab() == Tab::Sql;
    if app.form.is_none() && !editing_sql {
        let screens: Vec<String> = (0..Tab::ALL.len()).map(|n| keys.label(Action::Screen(n))).collect();
        if screens.iter().enumerate().all(|(i, l)| *l == (i + 1).to_string()) {
            all.push((format!("1-{}", Tab::ALL.len()), "screens"));
        }
        let shown: Vec<String> = all.iter().map(|(l, _)| l.clone()).collect();
        all.extend(
            keys.bindings()
                .iter()
                .filter(|k| k.hint && !shown.contains(&k.label))
                .map(|k| (k.label.clone(), k.help)),
        );
    }
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (label, help) in all {
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
