//! The workbench without a terminal: the real `App`, `Jobs` and `Session` together, driven by
//! keys, every query run for real, the screen drawn on demand into text. The tier of tests
//! between the App's own (answers made up) and the pseudo-terminal's (a real terminal).

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::app::App;
use super::draw::{self, Hits};
use super::editor::Editor;
use super::jobs::{Jobs, Message};
use super::rules::Rules;
use crate::engine::reports::Report;
use crate::engine::{Session, TimeWindow};

pub struct Headless {
    app: App,
    jobs: Jobs,
    told: UnboundedReceiver<Message>,
    hits: Hits,
    size: (u16, u16),
}

impl Headless {
    /// The workbench on `session`'s archive, on a screen of `width` × `height`, its first
    /// queries started.
    pub fn open(session: Session, window: TimeWindow, reports: Vec<Report>, size: (u16, u16)) -> Self {
        let (tell, told) = unbounded_channel();
        let end = Some(window.to - 1);
        let editor = Editor::new(session.function_names(), None);
        // Detections run SigmaHQ's rules alone: a test must not depend on the user's config file.
        let jobs = Jobs::new(Arc::new(session), tell).with_rules(Rules::builtin());
        let app = App::new("archive".into(), window, end, editor, reports);
        let mut headless = Headless {
            app,
            jobs,
            told,
            hits: Hits::default(),
            size,
        };
        let first = headless.app.load();
        headless.carry_out(first);
        headless
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = (width, height);
    }

    fn carry_out(&mut self, effects: Vec<super::Effect>) {
        super::carry_out(effects, &mut self.app, &mut self.jobs);
    }

    /// A key pressed, as the terminal would send it.
    pub fn press(&mut self, code: KeyCode) {
        self.key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    pub fn key(&mut self, key: KeyEvent) {
        self.app.running = !self.jobs.running().is_empty();
        let effects = self.app.key(key);
        self.carry_out(effects);
    }

    /// Each character of `text` typed.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let modifiers = match c.is_ascii_uppercase() {
                true => KeyModifiers::SHIFT,
                false => KeyModifiers::NONE,
            };
            self.key(KeyEvent::new(KeyCode::Char(c), modifiers));
        }
    }

    /// Waits until no query runs and every result has been taken in (at most `limit`).
    pub async fn settle(&mut self) {
        let limit = Duration::from_secs(120);
        let started = std::time::Instant::now();
        loop {
            while let Ok(message) = self.told.try_recv() {
                let effects = super::take(message, &mut self.app, &mut self.jobs);
                self.carry_out(effects);
            }
            if self.jobs.running().is_empty() {
                return;
            }
            assert!(
                started.elapsed() < limit,
                "the workbench's queries did not end in {limit:?}"
            );
            if let Ok(Some(message)) = tokio::time::timeout(Duration::from_millis(50), self.told.recv()).await {
                let effects = super::take(message, &mut self.app, &mut self.jobs);
                self.carry_out(effects);
            }
        }
    }

    /// The screen as drawn now, a line of text per row; what was laid out is kept for the keys
    /// that depend on it, as the terminal's loop does.
    pub fn screen(&mut self) -> String {
        let (w, h) = self.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("a test backend");
        let running = self.jobs.running();
        let mut hits = Hits::default();
        terminal
            .draw(|frame| hits = draw::draw(frame, &self.app, &running))
            .expect("drawing into memory");
        self.app.laid_out(&hits);
        self.hits = hits;
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Stops every query, and waits until each has let go of its result.
    pub async fn stop(mut self) {
        self.jobs.stop_all().await;
    }
}
