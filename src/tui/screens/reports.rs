//! The saved reports: the list (known without a query), each one's description and parameters,
//! and a report's result. A report with parameters opens a form first; its values are kept for
//! the next run, and a value the report cannot take brings the form back with the reason.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::engine::Value;
use crate::engine::reports::Report;
use crate::tui::app::{App, Effect};
use crate::tui::draw::{DIM, Hits, draw_table};
use crate::tui::jobs::Request;
use crate::tui::keys::Action;
use crate::tui::pane::{Load, Pane};
use crate::tui::prompt::Form;
use crate::tui::view::View;

use super::Screen;

/// A report run: the report and the values its form was given.
#[derive(Clone, Debug)]
pub struct ReportRun {
    pub report: Report,
    pub given: Vec<(String, String)>,
}

pub fn list_panes() -> (Vec<Pane>, usize) {
    (vec![Pane::new("Reports")], 0)
}

/// The list of reports, filled without a query.
pub fn fill_list(app: &mut App) {
    let rows = app
        .reports
        .iter()
        .map(|r| {
            let params: Vec<String> = r.params.iter().map(|p| p.name.clone()).collect();
            let title = match r.replaces_builtin {
                true => format!("{} (yours: replaces the built-in)", r.title),
                false => r.title.clone(),
            };
            vec![
                Value::Text(r.name.clone()),
                Value::Text(title),
                Value::Text(params.join(", ")),
            ]
        })
        .collect();
    let pane = &mut app.view_mut().panes[0];
    pane.load = Load::Running;
    pane.take(
        vec!["report".into(), "title".into(), "parameters".into()],
        0,
        rows,
        true,
    );
}

pub fn run_panes(run: &ReportRun) -> (Vec<Pane>, usize) {
    (vec![Pane::new(run.report.title.clone())], 0)
}

pub fn run_requests(run: &ReportRun) -> Vec<(usize, Request)> {
    vec![(0, Request::Report(Box::new(run.report.clone()), run.given.clone()))]
}

/// Enter on the list: runs the report, or opens its form with the values last given.
pub fn open(app: &mut App) -> Vec<Effect> {
    let Some(name) = app.view().pane().text("report") else {
        return vec![];
    };
    let Some(report) = app.reports.iter().find(|r| r.name == name).cloned() else {
        return vec![];
    };
    if report.params.is_empty() {
        return run(app, report, vec![]);
    }
    let filled = app.filled.get(&report.name).cloned().unwrap_or_default();
    app.form = Some(Form::filled(report, &filled, None));
    vec![]
}

/// Runs `report` with `given` values, in a view of its own.
pub fn run(app: &mut App, report: Report, given: Vec<(String, String)>) -> Vec<Effect> {
    if report.replaces_builtin {
        app.tell(format!(
            "{} is your own report: it replaces the built-in report of that name",
            report.name
        ));
    }
    app.filled.insert(report.name.clone(), given.clone());
    let scope = app.scope().clone();
    // Run again from its form after a refusal: the refused run gives way.
    let refused = matches!(&app.view().screen, Screen::Report(run) if run.report.name == report.name)
        && matches!(app.view().panes[0].load, Load::Failed(_));
    let view = View::new(Screen::Report(ReportRun { report, given }), scope);
    match refused {
        true => app.replace(view),
        false => app.push(view),
    }
}

/// The report's values were refused: its form opens again over the result, with what was typed
/// and why, on the value refused.
pub fn refused(app: &mut App, at: usize, param: &str, message: &str) {
    if let Screen::Report(run) = &app.stack[at].screen {
        let run = run.clone();
        let mut form = Form::filled(run.report, &run.given, Some(crate::tui::app::shown(message)));
        form.field = form.report.params.iter().position(|p| p.name == param).unwrap_or(0);
        app.form = Some(form);
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
    let view = app.view();
    let [list, about] = Layout::vertical([Constraint::Fill(1), Constraint::Length(6)]).areas(area);
    draw_table(frame, list, app, view.pane(), true, hits);
    let name = view.pane().text("report").unwrap_or_default();
    if let Some(r) = app.reports.iter().find(|r| r.name == name) {
        let params: Vec<String> = r
            .params
            .iter()
            .map(|p| format!("{} ({})", p.name, p.kind.name()))
            .collect();
        let mut text = r.description.clone();
        if !params.is_empty() {
            text.push_str(&format!("\nParameters: {}", params.join(", ")));
        }
        let mut style = Style::new();
        if r.replaces_builtin {
            // An auditor must know the report that runs is not the one trailscope ships.
            text = format!(
                "Your own report, from {}: it replaces the built-in of this name.\n{text}",
                r.origin
            );
            style = style.fg(Color::Yellow);
        }
        frame.render_widget(
            Paragraph::new(text)
                .style(style)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(
                    Block::new()
                        .borders(Borders::ALL)
                        .border_style(DIM)
                        .title(format!(" {} runs it ", app.keys.label(Action::Open))),
                ),
            about,
        );
    }
}

/// The list of reports.
pub struct ReportsScreen;

impl super::Behaviour for ReportsScreen {
    fn opened(&self, app: &mut App) {
        fill_list(app)
    }

    fn open(&self, app: &mut App) -> Option<Vec<Effect>> {
        Some(open(app))
    }

    fn draw(&self, frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
        draw(frame, area, app, hits)
    }
}

/// A report's result.
pub struct ReportRunScreen;

impl super::Behaviour for ReportRunScreen {
    fn refused(&self, app: &mut App, at: usize, param: &str, message: &str) {
        refused(app, at, param, message)
    }
}
