//! The one way text of the command line reaches a terminal: [`say!`] for what a command prints
//! on standard output, [`note!`] for messages on standard error. Both show control, bidi and
//! zero-width characters as visible escapes (a file name, an S3 key, a reason may be anyone's);
//! messages also hide recognised secrets (an error may quote a value), while what a command
//! prints is what its query returned (secrets only with `--reveal`). Results in CSV, JSON lines
//! or Parquet are data, written by `print::emit`: exact bytes to files and pipes, escaped on a
//! terminal.

use std::io::Write;

use crate::terminal_text::escape_lines;

/// Prints a line of text on standard output, made safe.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::out::say(&format!($($arg)*)) };
}

/// Prints a message on standard error, made safe.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => { $crate::cli::out::note(&format!($($arg)*)) };
}

/// A message as it may be shown: secrets masked, hostile characters escaped.
pub fn shown(text: &str) -> String {
    crate::terminal_text::message(text)
}

pub fn say(text: &str) {
    write_line(&escape_lines(text));
}

/// A line of data (JSON) on standard output: its exact bytes to a file or a pipe, escaped on a
/// terminal.
pub fn data(text: &str) {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        write_line(&escape_lines(text));
    } else {
        write_line(text);
    }
}

fn write_line(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}")
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        // What is left to print goes nowhere; the process ends once the journal is written.
        PIPE_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The reader of standard output went away.
static PIPE_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn pipe_closed() -> bool {
    PIPE_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", shown(text));
}

/// Ends the process as a reader that closed the pipe would end it (`trailscope … | head`):
/// quietly, by SIGPIPE, as every Unix tool does. Anything to record (the journal) is recorded
/// before this is called.
pub fn closed_pipe() -> ! {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default action and raising it; nothing runs after.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    std::process::exit(141)
}
