//! The interactive workbench: state, actions and drawing. Every query goes through the engine
//! on a background task, so a key press is never blocked by a query and `Esc` cancels one.

mod app;
pub mod draw;
mod editor;
pub mod headless;
mod jobs;
pub mod keys;
mod pane;
mod prompt;
mod rules;
mod screens;
mod terminal;
mod view;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, KeyEventKind};

pub use app::{App, Effect};
pub use jobs::Message;

use crate::engine::reports::Report;
use crate::engine::{Session, TimeWindow};

/// What the workbench opens with.
pub struct Setup {
    pub archive: String,
    pub window: TimeWindow,
    pub archive_end: Option<i64>,
    pub reports: Vec<Report>,
    pub keys: Vec<keys::Binding>,
    /// Where the SQL history is kept.
    pub history: Option<std::path::PathBuf>,
    /// Where anything written to standard error goes while the screen is ours.
    pub log: Option<std::path::PathBuf>,
    /// The user's folders of Sigma rules and suppression file (the config file's).
    pub rule_dirs: Vec<std::path::PathBuf>,
    pub suppressions: Option<std::path::PathBuf>,
}

/// Opens the workbench on an archive until the user quits. The terminal is restored however
/// this ends: a normal exit, an error, a panic, or a suspend with `Ctrl+Z`.
pub async fn run(session: Session, setup: Setup) -> std::io::Result<()> {
    let (tell, mut told) = tokio::sync::mpsc::unbounded_channel();
    // What the journal has to say goes to the status bar (standard error is the log file here).
    if let Some(journal) = session.journal() {
        let notices = tell.clone();
        journal.set_notices(Arc::new(move |m| {
            let _ = notices.send(jobs::Message::Notice(format!("journal: {m}")));
        }));
    }
    let editor = editor::Editor::new(session.function_names(), setup.history.clone());
    let mut jobs =
        jobs::Jobs::new(Arc::new(session), tell).with_rule_files(setup.rule_dirs.clone(), setup.suppressions.clone());
    let opened = setup.archive.clone();
    let mut app = App::new(setup.archive, setup.window, setup.archive_end, editor, setup.reports)
        .with_keys(keys::KeyTable::new(setup.keys));
    let first = app.load();
    carry_out(first, &mut app, &mut jobs);
    // Key presses are read on a thread of their own: reading blocks.
    let (key_tx, mut keys_rx) = tokio::sync::mpsc::unbounded_channel();
    let paused = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader_paused = paused.clone();
    std::thread::spawn(move || {
        loop {
            if reader_paused.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            // Polling lets the reader stand aside while the terminal is handed back (Ctrl+Z).
            match crossterm::event::poll(Duration::from_millis(100)) {
                Ok(true) => match crossterm::event::read() {
                    Ok(event) => {
                        if key_tx.send(event).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                },
                Ok(false) => {}
                Err(_) => break,
            }
        }
    });
    let mut screen = terminal::Screen::open(setup.log.as_deref())?;
    // Standard error is the log file now: a line for each session says what was opened.
    crate::note!(
        "trailscope: workbench opened on {} at {}",
        opened,
        chrono::Utc::now().to_rfc3339()
    );
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    // Ended from outside (a closed SSH session, `kill`): the terminal is restored and the running
    // queries are recorded as interrupted, as on `q`.
    let mut ended = ended();
    let mut hits = draw::Hits::default();
    let result = loop {
        let running = jobs.running();
        app.running = !running.is_empty();
        match screen.terminal.draw(|frame| hits = draw::draw(frame, &app, &running)) {
            Ok(_) => app.laid_out(&hits),
            Err(e) => break Err(e),
        }
        tokio::select! {
            Some(event) = keys_rx.recv() => {
                app.running = !jobs.running().is_empty();
                let effects = handle(event, &mut app, &hits);
                if carry_out_screen(effects, &mut app, &mut jobs, &mut screen, &paused).is_err() {
                    break Err(std::io::Error::other("the terminal could not be resumed"));
                }
            }
            Some(message) = told.recv() => {
                let effects = take(message, &mut app, &mut jobs);
                carry_out(effects, &mut app, &mut jobs);
            }
            _ = tick.tick() => {}
            signal = &mut ended => {
                crate::engine::interrupted(signal);
                app.quit = true;
            }
        }
        // A burst of keys or results is applied before one redraw.
        while let Ok(event) = keys_rx.try_recv() {
            app.running = !jobs.running().is_empty();
            let effects = handle(event, &mut app, &hits);
            let _ = carry_out_screen(effects, &mut app, &mut jobs, &mut screen, &paused);
        }
        while let Ok(message) = told.try_recv() {
            let effects = take(message, &mut app, &mut jobs);
            carry_out(effects, &mut app, &mut jobs);
        }
        if app.quit {
            break Ok(());
        }
    };
    screen.close();
    jobs.stop_all().await;
    result
}

/// SIGTERM or SIGHUP, by name (Ctrl+C is a key to the workbench).
fn ended() -> std::pin::Pin<Box<dyn std::future::Future<Output = &'static str> + Send>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut hup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) {
            return Box::pin(async move {
                tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = hup.recv() => "SIGHUP",
                }
            });
        }
    }
    Box::pin(std::future::pending())
}

/// Turns a terminal event into effects.
fn handle(event: Event, app: &mut App, hits: &draw::Hits) -> Vec<Effect> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => app.key(key),
        Event::Mouse(mouse) => app.mouse(mouse, hits),
        _ => vec![],
    }
}

fn take(message: Message, app: &mut App, jobs: &mut jobs::Jobs) -> Vec<Effect> {
    if let Message::Exported { .. } = message {
        jobs.export_done();
    }
    app.receive(message)
}

/// Starts what the app asked for and stops the queries of views it let go.
fn carry_out(effects: Vec<Effect>, app: &mut App, jobs: &mut jobs::Jobs) {
    for effect in effects {
        match effect {
            Effect::Start {
                feed,
                request,
                skip,
                first,
            } => jobs.start(feed, request, skip, first),
            Effect::More { feed, n } => jobs.more(feed, n),
            Effect::Export { query, window, path } => jobs.export(query, window, path),
            Effect::Copy(text) => terminal::copy(&text),
            Effect::Cancel => {
                let stopped = jobs.cancel_running();
                app.cancelled(&stopped);
            }
            // The terminal's to hand back: see `carry_out_screen`.
            Effect::Suspend => {}
        }
    }
    jobs.retain(&app.live_feeds());
}

fn carry_out_screen(
    effects: Vec<Effect>,
    app: &mut App,
    jobs: &mut jobs::Jobs,
    screen: &mut terminal::Screen,
    paused: &std::sync::atomic::AtomicBool,
) -> std::io::Result<()> {
    let suspend = effects.iter().any(|e| matches!(e, Effect::Suspend));
    carry_out(effects, app, jobs);
    if suspend {
        paused.store(true, std::sync::atomic::Ordering::Relaxed);
        // Let the reader finish its current poll before the shell gets the terminal.
        std::thread::sleep(Duration::from_millis(120));
        let resumed = screen.suspend();
        paused.store(false, std::sync::atomic::Ordering::Relaxed);
        resumed?;
    }
    Ok(())
}

/// A cell as a test writes it: a whole number, a time, else text.
#[cfg(test)]
pub(crate) fn cell(text: &str) -> crate::engine::Value {
    use crate::engine::Value;
    if let Ok(n) = text.parse::<i64>() {
        return Value::Int(n);
    }
    if text.len() >= 20
        && text.as_bytes().get(10) == Some(&b'T')
        && let Ok(t) = crate::sources::parse_time(text)
    {
        return Value::Time(t);
    }
    Value::Text(text.to_string())
}
