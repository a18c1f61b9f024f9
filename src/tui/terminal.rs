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
use ratatui::DefaultTerminal;

pub struct Screen {
    pub terminal: DefaultTerminal,
    enhanced: bool,
    stderr: Option<StderrRedirect>,
}

impl Screen {
    pub fn open(log: Option<&Path>) -> std::io::Result<Screen> {
        let stderr = log.and_then(StderrRedirect::to);
        let terminal = ratatui::try_init()?;
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

    pub fn close(mut self) {
        leave(self.enhanced);
        ratatui::restore();
        if let Some(r) = self.stderr.take() {
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

/// Copies text to the clipboard of the terminal the user sits at (OSC 52), which works over
/// SSH and inside tmux (with `set-clipboard on`).
pub fn copy(text: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
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
