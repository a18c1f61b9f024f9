//! The terminal while the workbench owns it: raw mode, the alternate screen, the mouse, and
//! standard error sent to a log file (a library's message must never land on the screen). All
//! of it is undone on exit, on a panic, and around a `Ctrl+Z` suspend.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, KeyboardEnhancementFlags, PopKeyboardEnhancementFlags,
    PushKeyboardEnhancementFlags,
};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

use crate::terminal_text::is_hostile;

pub struct Screen {
    pub terminal: Terminal<SafeBackend>,
    enhanced: bool,
    stderr: Option<StderrRedirect>,
}

impl Screen {
    pub fn open(log: Option<&Path>) -> std::io::Result<Screen> {
        let stderr = log.and_then(StderrRedirect::to);
        // ratatui's own set-up (raw mode, the alternate screen, a panic hook that restores the
        // terminal), drawn through the guard below.
        drop(ratatui::try_init()?);
        let terminal = Terminal::new(SafeBackend(CrosstermBackend::new(std::io::stdout())))?;
        // Ctrl+Enter is only told apart from Enter by terminals that speak the keyboard protocol.
        let enhanced = matches!(crossterm::terminal::supports_keyboard_enhancement(), Ok(true));
        enter(enhanced)?;
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            leave(enhanced);
            ratatui::restore();
            StderrRedirect::restore_raw();
            hook(info);
        }));
        Ok(Screen {
            terminal,
            enhanced,
            stderr,
        })
    }

    /// Hands the terminal back to the shell until the user resumes the process (`fg`).
    pub fn suspend(&mut self) -> std::io::Result<()> {
        leave(self.enhanced);
        ratatui::restore();
        #[cfg(unix)]
        // SAFETY: raising a signal on our own process; SIGTSTP's default action stops it until SIGCONT.
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
        enable_raw_mode()?;
        execute!(std::io::stdout(), EnterAlternateScreen)?;
        enter(self.enhanced)?;
        self.terminal.clear()
    }

    pub fn close(self) {
        let Screen {
            terminal,
            enhanced,
            stderr,
        } = self;
        leave(enhanced);
        ratatui::restore();
        // The terminal's own clean-up says on standard error what failed (its cursor, when the
        // terminal is gone: a closed SSH session). That must still go to the log: printing to a
        // terminal that is gone would panic, and abort before the journal records the end.
        drop(terminal);
        if let Some(r) = stderr {
            r.restore();
        }
    }
}

fn enter(enhanced: bool) -> std::io::Result<()> {
    execute!(std::io::stdout(), EnableMouseCapture)?;
    if enhanced {
        execute!(
            std::io::stdout(),
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
    }
    Ok(())
}

fn leave(enhanced: bool) {
    if enhanced {
        let _ = execute!(std::io::stdout(), PopKeyboardEnhancementFlags);
    }
    let _ = execute!(std::io::stdout(), DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
}

/// The last guard between the workbench and the terminal: text is made visible where it is made
/// (`terminal_text::escape`), and whatever hostile character a cell still holds (a control,
/// a bidi override, an invisible character) is dropped here, so that none reaches the terminal.
pub struct SafeBackend(CrosstermBackend<std::io::Stdout>);

impl Backend for SafeBackend {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let cleaned: Vec<(u16, u16, Cell)> = content
            .map(|(x, y, cell)| {
                if cell.symbol().chars().any(is_hostile) {
                    let mut safe = cell.clone();
                    let kept: String = cell.symbol().chars().filter(|c| !is_hostile(*c)).collect();
                    safe.set_symbol(if kept.is_empty() { " " } else { &kept });
                    (x, y, safe)
                } else {
                    (x, y, cell.clone())
                }
            })
            .collect();
        self.0.draw(cleaned.iter().map(|(x, y, c)| (*x, *y, c)))
    }
    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.0.append_lines(n)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.0.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.0.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.0.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.0.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        Backend::clear(&mut self.0)
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.0.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.0.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.0.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Backend::flush(&mut self.0)
    }
}

/// Copies text to the clipboard of the terminal the user sits at (OSC 52), which works over
/// SSH and inside tmux (with `set-clipboard on`). What is copied is what was shown: hostile
/// characters as their visible escapes, so that a paste into a shell runs nothing hidden.
pub fn copy(text: &str) {
    let text = crate::terminal_text::escape(text);
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}

/// Standard error pointed at a file, and the original kept to put back.
struct StderrRedirect {
    #[cfg(unix)]
    saved: i32,
}

#[cfg(unix)]
static SAVED_STDERR: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

impl StderrRedirect {
    #[cfg(unix)]
    fn to(path: &Path) -> Option<StderrRedirect> {
        use std::os::fd::AsRawFd;
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path).ok()?;
        // SAFETY: dup/dup2 on the process's own descriptors; the file stays open through fd 2.
        unsafe {
            let saved = libc::dup(2);
            if saved < 0 || libc::dup2(file.as_raw_fd(), 2) < 0 {
                return None;
            }
            SAVED_STDERR.store(saved, std::sync::atomic::Ordering::SeqCst);
            Some(StderrRedirect { saved })
        }
    }

    #[cfg(not(unix))]
    fn to(_: &Path) -> Option<StderrRedirect> {
        None
    }

    fn restore(self) {
        #[cfg(unix)]
        // SAFETY: puts back the descriptor saved by `to`.
        unsafe {
            libc::dup2(self.saved, 2);
            libc::close(self.saved);
            SAVED_STDERR.store(-1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// From the panic hook: the panic's message goes to the terminal, not the log.
    fn restore_raw() {
        #[cfg(unix)]
        {
            let saved = SAVED_STDERR.swap(-1, std::sync::atomic::Ordering::SeqCst);
            if saved >= 0 {
                // SAFETY: as in `restore`.
                unsafe {
                    libc::dup2(saved, 2);
                }
            }
        }
    }
}
