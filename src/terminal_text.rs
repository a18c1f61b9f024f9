//! Text on its way to a terminal. Every byte of an audit record was written by whoever made the
//! call, attacker included: a user agent holding `ESC ] 0 ;` renames the window, `ESC [ 2 J`
//! clears it, OSC 52 fills the clipboard, a right-to-left override makes `exe.txt` read as
//! `txt.exe`. Whatever trailscope shows on a terminal (tables, messages, errors, the workbench,
//! what `y` copies) passes through [`escape`] or [`escape_lines`], which show such characters as
//! visible escapes (`\x1b`, `\u{202e}`). Files and pipes of data (CSV, JSON lines, Parquet)
//! keep their exact bytes; [`TerminalWriter`] escapes them only when they go to a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Whether a character must not reach a terminal as it is: C0 and C1 controls, DEL, bidi
/// controls, zero-width and other invisible characters, line and paragraph separators.
pub fn is_hostile(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // Soft hyphen, combining grapheme joiner, Arabic letter mark, Hangul fillers, Mongolian
        // vowel separator: invisible, used to make two names look alike.
        | '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}' | '\u{180e}'
        // Zero-width space, non-joiner, joiner; left-to-right and right-to-left marks.
        | '\u{200b}'..='\u{200f}'
        // Line and paragraph separators; bidi embeddings and overrides.
        | '\u{2028}'..='\u{202e}'
        // Word joiner, invisible operators, bidi isolates, deprecated format characters.
        | '\u{2060}'..='\u{206f}'
        | '\u{3164}' | '\u{feff}' | '\u{ffa0}' | '\u{fff9}'..='\u{fffb}'
        // Tag characters: invisible copies of ASCII.
        | '\u{e0000}'..='\u{e007f}')
}

/// One line of text made safe for a terminal: every hostile character (line breaks and tabs
/// too) shown as a visible escape. Text without any comes back borrowed.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_keeping(text, false)
}

/// Several lines of text made safe for a terminal: as [`escape`], but line breaks (`\n`) are
/// kept as line breaks.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_keeping(text, true)
}

fn escape_keeping(text: &str, newlines: bool) -> Cow<'_, str> {
    let safe = |c: char| !is_hostile(c) || (newlines && c == '\n');
    // Most text is printable ASCII: one pass over its bytes decides.
    if text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) || (newlines && b == b'\n'))
        || text.chars().all(safe)
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if safe(c) {
            out.push(c);
        } else {
            push_escape(&mut out, c);
        }
    }
    Cow::Owned(out)
}

fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// A writer for a terminal: bytes pass through [`escape_lines`] (line breaks kept) on their
/// way, and bytes that are not UTF-8 show as `\xNN`. Writes may split a character anywhere:
/// an unfinished one waits for the next write.
pub struct TerminalWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> TerminalWriter<W> {
    pub fn new(inner: W) -> Self {
        TerminalWriter {
            inner,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, bytes: &[u8], last: bool) -> io::Result<usize> {
        let mut rest = bytes;
        let mut out = String::new();
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    out.push_str(&escape_lines(text));
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    out.push_str(&escape_lines(std::str::from_utf8(good).expect("checked")));
                    match e.error_len() {
                        Some(n) => {
                            for b in &bad[..n] {
                                let _ = write!(out, "\\x{b:02x}");
                            }
                            rest = &bad[n..];
                        }
                        // A character cut by the end of this write.
                        None if !last => {
                            rest = bad;
                            break;
                        }
                        None => {
                            for b in bad {
                                let _ = write!(out, "\\x{b:02x}");
                            }
                            rest = &[];
                            break;
                        }
                    }
                }
            }
        }
        self.inner.write_all(out.as_bytes())?;
        Ok(rest.len())
    }
}

impl<W: Write> Write for TerminalWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(buf);
        let left = self.emit(&bytes, false)?;
        self.pending = bytes[bytes.len() - left..].to_vec();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let bytes = std::mem::take(&mut self.pending);
            self.emit(&bytes, true)?;
        }
        self.inner.flush()
    }
}

/// A message as a terminal may show it, from the command line or the workbench alike: it may
/// quote a value (an error about a cell, a file name), so recognised secrets are masked and
/// hostile characters escaped.
pub fn message(text: &str) -> String {
    escape_lines(&crate::secrets::mask_text(text)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_invisible_characters_become_visible_escapes() {
        assert_eq!(
            escape("\u{1b}]0;pwned\u{7}\u{1b}[2Jcurl\tx\ny\u{9b}31m"),
            "\\x1b]0;pwned\\x07\\x1b[2Jcurl\\tx\\ny\\u{9b}31m"
        );
        assert_eq!(escape("invoice\u{202e}fdp.exe"), "invoice\\u{202e}fdp.exe");
        assert_eq!(escape("ad\u{200b}min\u{feff}"), "ad\\u{200b}min\\u{feff}");
        assert_eq!(escape("a\u{7f}b\u{e0041}"), "a\\x7fb\\u{e0041}");
        assert!(matches!(escape("plain ünïcødé ✓"), Cow::Borrowed(_)));
        assert_eq!(escape_lines("two\nlines\r\n"), "two\nlines\\r\n");
    }

    #[test]
    fn a_terminal_writer_escapes_across_split_writes_and_shows_bad_bytes() {
        let mut out = Vec::new();
        {
            let mut w = TerminalWriter::new(&mut out);
            let text = "é\u{1b}[2J\n".as_bytes();
            // Split inside the two bytes of é.
            w.write_all(&text[..1]).unwrap();
            w.write_all(&text[1..]).unwrap();
            w.write_all(b"\xff ok").unwrap();
            w.flush().unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "é\\x1b[2J\n\\xff ok");
    }
}
