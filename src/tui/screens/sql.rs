//! The SQL screen: an editor over the table `events` and the result of what it ran. The editor
//! keeps the keys (edit, run, edit again); Esc goes to the result. A statement that ran is
//! offered again, as the opening text is: typing starts a new one, a motion edits it, and while
//! it is offered the screen keys (`1`–`5`) still switch screens.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::engine::Query;
use crate::tui::app::{App, Effect};
use crate::tui::draw::{BOLD, DIM, Hits, REVERSED, draw_table, slice_line};
use crate::tui::editor::Outcome;
use crate::tui::jobs::Request;
use crate::tui::keys::Action;
use crate::tui::pane::{CHUNK_ROWS, Load, Pane};

pub fn panes() -> (Vec<Pane>, usize) {
    (vec![Pane::new("Result")], 0)
}

pub fn act(app: &mut App, action: Action) -> Option<Vec<Effect>> {
    match action {
        Action::Focus => {
            app.editing = true;
            Some(vec![])
        }
        Action::Run => Some(run(app)),
        _ => None,
    }
}

/// A key while the editor has the keys.
pub fn edit(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    app.message = None;
    let action = app.keys.action(key);
    if app.editor.offered()
        && let Some(Action::Screen(n)) = action
    {
        // An offered statement is not being typed: a screen key switches screens.
        return app.update(Action::Screen(n));
    }
    if action == Some(Action::Run) {
        return run(app);
    }
    match app.editor.input(key) {
        Outcome::Edited => vec![],
        Outcome::Leave => {
            app.editing = false;
            vec![]
        }
        Outcome::Run => run(app),
    }
}

/// Its rows arrived: the statement that ran is offered (a failed one stays to be mended).
pub fn received(app: &mut App, first: bool) {
    if first && matches!(app.view().pane().load, Load::Ready) {
        app.editor.offer();
    }
}

/// Runs the statement in the editor into the result pane.
fn run(app: &mut App) -> Vec<Effect> {
    let sql = app.editor.text();
    if sql.trim().is_empty() {
        app.warn("type a query first");
        return vec![];
    }
    app.editor.remember(&sql);
    let query = Query {
        title: "SQL".into(),
        sql,
        params: vec![],
        facts: None,
    };
    let feed = app.feed_id();
    let pane = app.view_mut().pane_mut();
    pane.restart(feed, Some(query.clone()));
    pane.sort = None;
    pane.row = 0;
    vec![Effect::Start {
        feed,
        request: Request::Query(query),
        skip: 0,
        first: CHUNK_ROWS,
    }]
}

pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let keys = &app.keys;
    if !app.editing {
        return vec![(keys.label(Action::Focus), "edit")];
    }
    vec![
        (keys.label(Action::Run), "run"),
        ("Tab".into(), "complete"),
        ("Ctrl+P/N".into(), "history"),
        ("Ctrl+L".into(), "clear"),
        ("Esc".into(), "to the result"),
    ]
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
    let view = app.view();
    let keys = &app.keys;
    let editor = &app.editor;
    let editor_height = (editor.lines().len() as u16 + 2).clamp(5, (area.height / 2).max(5));
    let [edit, result] = Layout::vertical([Constraint::Length(editor_height), Constraint::Fill(1)]).areas(area);
    let title = if app.editing && editor.offered() {
        format!(
            " SQL · type a new statement, or ←/→ to edit this one · {} runs ",
            keys.label(Action::Run)
        )
    } else if app.editing {
        format!(
            " SQL · {} runs · Tab completes · Ctrl+P/N history · Ctrl+L clears ",
            keys.label(Action::Run)
        )
    } else {
        format!(" SQL · {} edits ", keys.label(Action::Focus))
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(if app.editing { BOLD } else { DIM })
        .title(title);
    let inner = block.inner(edit);
    frame.render_widget(block, edit);
    let height = (inner.height as usize).max(1);
    let (row, col) = editor.cursor();
    // Drawing cannot scroll the editor: it shows the window that holds the cursor.
    let top = match editor.offered() {
        true => 0,
        false => editor.top.min(row).max((row + 1).saturating_sub(height)),
    };
    // Sideways, the same: the columns that hold the cursor; a line cut at the edge ends in "…".
    let width = inner.width as usize;
    // The offered text is shown from its start: typing replaces it, the cursor's place matters less.
    let left = match editor.offered() {
        true => 0,
        false => (col + 1).saturating_sub(width),
    };
    let lines: Vec<Line<'static>> = editor
        .highlighted()
        .into_iter()
        .skip(top)
        .take(height)
        .map(|l| slice_line(l, left, width))
        .map(|l| match editor.offered() {
            true => l.patch_style(DIM),
            false => l,
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    if view.pane().load == Load::Idle {
        frame.render_widget(
            Paragraph::new(format!(
                " A query over the table events (Tab completes its columns); {} runs it.",
                keys.label(Action::Run)
            ))
            .block(Block::new().borders(Borders::ALL).title(" Result ")),
            result,
        );
    } else {
        draw_table(frame, result, app, view.pane(), !app.editing, hits);
    }
    if app.editing && app.prompt.is_none() && app.form.is_none() && app.help.is_none() {
        let x = inner.x + ((col - left) as u16).min(inner.width.saturating_sub(1));
        let y = inner.y + ((row - top) as u16).min(inner.height.saturating_sub(1));
        frame.set_cursor_position((x, y));
        // The completions open over everything below the cursor: drawn last.
        if let Some(c) = &editor.completion {
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
}

pub struct SqlScreen;

impl super::Behaviour for SqlScreen {
    fn act(&self, app: &mut App, action: Action) -> Option<Vec<Effect>> {
        act(app, action)
    }

    fn typed(&self, app: &mut App, key: KeyEvent) -> Option<Vec<Effect>> {
        (app.editing && app.help.is_none()).then(|| edit(app, key))
    }

    fn received(&self, app: &mut App, at: usize, _pane: usize, first: bool) -> Vec<Effect> {
        if at + 1 == app.stack.len() {
            received(app, first);
        }
        vec![]
    }

    fn draw(&self, frame: &mut Frame<'_>, area: Rect, app: &App, hits: &mut Hits) {
        draw(frame, area, app, hits)
    }

    fn hints(&self, app: &App) -> Vec<(String, &'static str)> {
        hints(app)
    }
}
