//! The interactive workbench: state, actions and drawing. Every query goes through the engine
//! on a background task, so a key press is never blocked by a query and `Esc` cancels one.

mod app;
pub mod draw;
mod jobs;
pub mod keys;
mod results;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, KeyEventKind};

pub use app::App;
pub use jobs::{JobDone, Target};
pub use results::ResultSet;

use crate::engine::{Session, TimeWindow};

/// Opens the workbench on an archive until the user quits. The terminal is restored however
/// this ends (`ratatui::init` also restores it on a panic).
pub async fn run(session: Session, archive: String, window: TimeWindow) -> std::io::Result<()> {
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut jobs = jobs::Jobs::new(Arc::new(session), done_tx);
    let mut app = App::new(archive, window);
    let table = keys::bindings();
    for (target, generation, query) in app.load() {
        jobs.start(target, generation, query);
    }
    // Key presses are read on a thread of their own: reading blocks.
    let (key_tx, mut key_rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        while let Ok(event) = crossterm::event::read() {
            if key_tx.send(event).is_err() {
                break;
            }
        }
    });
    let mut terminal = ratatui::init();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let result = loop {
        if let Err(e) = terminal.draw(|frame| draw::draw(frame, &app, &jobs.running(), &table)) {
            break Err(e);
        }
        tokio::select! {
            Some(event) = key_rx.recv() => handle(event, &mut app, &mut jobs, &table),
            Some(done) = done_rx.recv() => take(done, &mut app, &mut jobs),
            _ = tick.tick() => {}
        }
        // A burst of keys or results is applied before one redraw.
        while let Ok(event) = key_rx.try_recv() {
            handle(event, &mut app, &mut jobs, &table);
        }
        while let Ok(done) = done_rx.try_recv() {
            take(done, &mut app, &mut jobs);
        }
        if app.quit {
            break Ok(());
        }
    };
    jobs.cancel_all();
    ratatui::restore();
    result
}

fn handle(event: Event, app: &mut App, jobs: &mut jobs::Jobs, table: &[keys::Binding]) {
    let Event::Key(key) = event else { return };
    if key.kind != KeyEventKind::Press {
        return;
    }
    let Some(action) = keys::action(key, table) else { return };
    app.status.clear();
    if action == keys::Action::Cancel {
        let n = jobs.cancel_all();
        app.status = if n > 0 {
            format!("cancelled {n} running quer{}", if n == 1 { "y" } else { "ies" })
        } else {
            String::new()
        };
        return;
    }
    for (target, generation, query) in app.update(action) {
        jobs.start(target, generation, query);
    }
}

fn take(done: JobDone, app: &mut App, jobs: &mut jobs::Jobs) {
    if !jobs.finished(&done) {
        return;
    }
    for (target, generation, query) in app.finished(done) {
        jobs.start(target, generation, query);
    }
}
