//! The SQL editor: a text area (editing, undo, word motions come from `ratatui-textarea`), SQL
//! highlighting from DataFusion's own tokenizer, completion of the table, its columns and every
//! function, and a history kept across runs in the state folder.

use std::io::Write;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui_textarea::{CursorMove, TextArea};

/// The editor's first text: a question that runs on any archive.
const STARTER: &str = "SELECT action, count(*) AS events\nFROM events\nWHERE event_time >= archive_end() - INTERVAL '1 day'\nGROUP BY action\nORDER BY events DESC";

/// How many past statements are kept.
const HISTORY: usize = 500;

pub struct Completion {
    /// The characters before the cursor being completed.
    pub prefix: String,
    pub items: Vec<String>,
    pub selected: usize,
}

pub struct Editor {
    text: TextArea<'static>,
    history: Vec<String>,
    history_file: Option<PathBuf>,
    /// Where in the history Ctrl+P/Ctrl+N are; `None` when editing new text.
    browsing: Option<usize>,
    words: Vec<String>,
    pub completion: Option<Completion>,
    /// The first line drawn.
    pub top: usize,
    /// The text the editor opened on is untouched: typing replaces it, a motion edits it.
    offered: bool,
}

/// What a key did in the editor.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Edited,
    Run,
    Leave,
}

impl Editor {
    pub fn new(functions: Vec<String>, history_file: Option<PathBuf>) -> Self {
        let history: Vec<String> = history_file
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|text| {
                text.lines()
                    .filter_map(|l| serde_json::from_str::<String>(l).ok())
                    .collect()
            })
            .unwrap_or_default();
        let first = history.last().cloned().unwrap_or_else(|| STARTER.to_string());
        let mut words: Vec<String> = crate::archive::schema::COLUMNS
            .iter()
            .map(|c| c.name.to_string())
            .chain(["events".to_string()])
            .chain(functions)
            .collect();
        words.sort();
        words.dedup();
        let mut editor = Editor {
            text: TextArea::default(),
            history,
            history_file,
            browsing: None,
            words,
            completion: None,
            top: 0,
            offered: false,
        };
        editor.set_text(&first);
        editor.offered = true;
        editor
    }

    pub fn text(&self) -> String {
        self.text.lines().join("\n")
    }

    pub fn set_text(&mut self, text: &str) {
        self.text = TextArea::new(text.lines().map(String::from).collect());
        self.text.move_cursor(CursorMove::Bottom);
        self.text.move_cursor(CursorMove::End);
    }

    pub fn cursor(&self) -> (usize, usize) {
        let c = self.text.cursor();
        (c.0, c.1)
    }

    pub fn lines(&self) -> &[String] {
        self.text.lines()
    }

    /// Whether the text is the one the editor opened on, untouched (drawn as such).
    pub fn offered(&self) -> bool {
        self.offered
    }

    /// The statement that just ran is offered as the opening text was: typing starts a new
    /// one, a motion edits it.
    pub fn offer(&mut self) {
        self.offered = true;
        self.completion = None;
    }

    /// Applies a key.
    pub fn input(&mut self, key: KeyEvent) -> Outcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.offered && key.code != KeyCode::Esc {
            // The opening text (the last statement, or a starter) is offered, not imposed: a
            // first character starts a new statement in its place.
            self.offered = false;
            let plain = !ctrl && !key.modifiers.contains(KeyModifiers::ALT);
            if plain && matches!(key.code, KeyCode::Char(_)) {
                self.set_text("");
            }
        }
        if let Some(c) = &mut self.completion {
            match key.code {
                KeyCode::Tab | KeyCode::Down => {
                    c.selected = (c.selected + 1) % c.items.len();
                    return Outcome::Edited;
                }
                KeyCode::BackTab | KeyCode::Up => {
                    c.selected = (c.selected + c.items.len() - 1) % c.items.len();
                    return Outcome::Edited;
                }
                KeyCode::Enter => {
                    let (prefix, word) = (c.prefix.clone(), c.items[c.selected].clone());
                    self.completion = None;
                    self.insert_completion(&prefix, &word);
                    return Outcome::Edited;
                }
                KeyCode::Esc => {
                    self.completion = None;
                    return Outcome::Edited;
                }
                _ => self.completion = None,
            }
        }
        match (key.code, ctrl) {
            (KeyCode::F(5), _) | (KeyCode::Enter, true) => return Outcome::Run,
            (KeyCode::Enter, false) if key.modifiers.contains(KeyModifiers::ALT) => return Outcome::Run,
            (KeyCode::Esc, _) => return Outcome::Leave,
            (KeyCode::Tab, false) => {
                self.complete();
                return Outcome::Edited;
            }
            (KeyCode::Char('p'), true) => {
                self.browse(-1);
                return Outcome::Edited;
            }
            (KeyCode::Char('n'), true) => {
                self.browse(1);
                return Outcome::Edited;
            }
            (KeyCode::Char('l'), true) => {
                self.set_text("");
                self.browsing = None;
                return Outcome::Edited;
            }
            _ => {}
        }
        self.text.input(key);
        Outcome::Edited
    }

    /// The word being typed (letters, digits, `_`) before the cursor.
    fn prefix(&self) -> String {
        let (row, col) = self.cursor();
        let line: Vec<char> = self.text.lines()[row].chars().collect();
        let start = (0..col.min(line.len()))
            .rev()
            .take_while(|&i| line[i].is_alphanumeric() || line[i] == '_')
            .last()
            .unwrap_or(col);
        line[start..col.min(line.len())].iter().collect()
    }

    /// Completes the word before the cursor: one match is inserted, several are offered.
    pub fn complete(&mut self) {
        let prefix = self.prefix();
        if prefix.is_empty() {
            self.text.insert_str("    ");
            return;
        }
        let lower = prefix.to_lowercase();
        let mut items: Vec<String> = self
            .words
            .iter()
            .filter(|w| w.to_lowercase().starts_with(&lower) && w.len() > prefix.len())
            .cloned()
            .collect();
        // The table's columns first: `so` means `source_ip` far more often than `soundex`.
        items.sort_by_key(|w| !is_column(w));
        items.truncate(50);
        match items.len() {
            0 => {}
            1 => self.insert_completion(&prefix, &items[0]),
            _ => {
                // What all of them share is typed at once, as a shell does; the rest is offered.
                let common = items.iter().skip(1).fold(items[0].clone(), |common, w| {
                    common
                        .chars()
                        .zip(w.chars())
                        .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
                        .map(|(a, _)| a)
                        .collect()
                });
                let prefix = if common.chars().count() > prefix.chars().count() {
                    self.insert_completion(&prefix, &common);
                    common
                } else {
                    prefix
                };
                self.completion = Some(Completion {
                    prefix,
                    items,
                    selected: 0,
                })
            }
        }
    }

    fn insert_completion(&mut self, prefix: &str, word: &str) {
        self.text.delete_str(0);
        for _ in 0..prefix.chars().count() {
            self.text.delete_char();
        }
        self.text.insert_str(word);
    }

    /// Steps through past statements (`-1` older, `1` newer).
    fn browse(&mut self, step: isize) {
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        let at = match (self.browsing, step < 0) {
            (None, true) => last,
            (None, false) => return,
            (Some(i), true) => i.saturating_sub(1),
            (Some(i), false) if i >= last => {
                self.browsing = None;
                self.set_text("");
                return;
            }
            (Some(i), false) => i + 1,
        };
        self.browsing = Some(at);
        let text = self.history[at].clone();
        self.set_text(&text);
    }

    /// Keeps a statement that was run, in memory and in the history file.
    pub fn remember(&mut self, sql: &str) {
        self.browsing = None;
        if self.history.last().map(String::as_str) == Some(sql) || sql.trim().is_empty() {
            return;
        }
        self.history.push(sql.to_string());
        if self.history.len() > HISTORY {
            self.history.remove(0);
        }
        if let Some(path) = &self.history_file {
            // The history is a convenience: a read-only state folder must not stop a query.
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
                let _ = writeln!(f, "{}", serde_json::to_string(sql).unwrap_or_default());
            }
        }
    }

    /// The text's lines, highlighted.
    pub fn highlighted(&self) -> Vec<Line<'static>> {
        highlight(&self.text())
    }

    /// Keeps the cursor's line within `height` lines from `top`.
    pub fn scroll_to_cursor(&mut self, height: usize) {
        let row = self.cursor().0;
        if row < self.top {
            self.top = row;
        } else if height > 0 && row >= self.top + height {
            self.top = row + 1 - height;
        }
    }
}

fn is_column(word: &str) -> bool {
    word == "events" || crate::archive::schema::COLUMNS.iter().any(|c| c.name == word)
}

/// SQL text as styled lines: keywords, strings, numbers, comments and `$parameters` each their
/// own colour (readable on a light and a dark background).
pub fn highlight(text: &str) -> Vec<Line<'static>> {
    let lines: Vec<Vec<char>> = text.split('\n').map(|l| l.chars().collect()).collect();
    let mut styles: Vec<Vec<Style>> = lines.iter().map(|l| vec![Style::new(); l.len()]).collect();
    if let Ok(tokens) = Tokenizer::new(&GenericDialect {}, text).tokenize_with_location() {
        for t in tokens {
            let style = match &t.token {
                Token::Word(w) if w.keyword != Keyword::NoKeyword && w.quote_style.is_none() => {
                    Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD)
                }
                Token::SingleQuotedString(_) | Token::DoubleQuotedString(_) | Token::EscapedStringLiteral(_) => {
                    Style::new().fg(Color::Green)
                }
                Token::Number(..) => Style::new().fg(Color::Magenta),
                Token::Placeholder(_) => Style::new().fg(Color::Yellow),
                Token::Whitespace(w)
                    if w.to_string().trim_start().starts_with("--") || w.to_string().starts_with("/*") =>
                {
                    Style::new().add_modifier(Modifier::DIM | Modifier::ITALIC)
                }
                _ => continue,
            };
            let (start, end) = (t.span.start, t.span.end);
            // Locations are 1-based lines and columns; a token may span lines (a comment).
            for line in start.line..=end.line {
                let Some(row) = styles.get_mut(line as usize - 1) else {
                    continue;
                };
                let from = if line == start.line {
                    start.column as usize - 1
                } else {
                    0
                };
                let to = if line == end.line {
                    (end.column as usize).saturating_sub(1)
                } else {
                    row.len()
                };
                for s in row.iter_mut().take(to.min(lines[line as usize - 1].len())).skip(from) {
                    *s = style;
                }
            }
        }
    }
    lines
        .iter()
        .zip(styles)
        .map(|(chars, styles)| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            let mut run = String::new();
            let mut current = Style::new();
            for (c, s) in chars.iter().zip(styles) {
                if s != current && !run.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut run), current));
                }
                current = s;
                run.push(*c);
            }
            if !run.is_empty() {
                spans.push(Span::styled(run, current));
            }
            Line::from(spans)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(editor: &mut Editor, text: &str) {
        for c in text.chars() {
            editor.input(press(KeyCode::Char(c)));
        }
    }

    #[test]
    fn completion_inserts_one_match_and_offers_several() {
        let mut e = Editor::new(vec!["json_get_str".into(), "json_get_int".into()], None);
        e.set_text("SELECT princ");
        e.input(press(KeyCode::Tab));
        assert_eq!(e.text(), "SELECT principal", "the part the matches share");
        assert_eq!(
            e.completion.as_ref().unwrap().items,
            vec!["principal", "principal_type"]
        );
        e.input(press(KeyCode::Esc));
        typed(&mut e, "_t");
        e.input(press(KeyCode::Tab));
        assert_eq!(e.text(), "SELECT principal_type");
        e.set_text("SELECT principal");
        typed(&mut e, ", json_get_s");
        e.input(press(KeyCode::Tab));
        assert_eq!(e.text(), "SELECT principal, json_get_str");
        typed(&mut e, ", json_g");
        e.input(press(KeyCode::Tab));
        let c = e.completion.as_ref().expect("two functions match");
        assert_eq!(c.items, vec!["json_get_int", "json_get_str"]);
        e.input(press(KeyCode::Tab));
        e.input(press(KeyCode::Enter));
        assert_eq!(e.text(), "SELECT principal, json_get_str, json_get_str");
        typed(&mut e, " FROM ev");
        e.input(press(KeyCode::Tab));
        assert!(e.text().ends_with("FROM event"), "{}", e.text());
        assert!(
            e.completion.as_ref().unwrap().items.contains(&"events".to_string()),
            "the table is offered"
        );
    }

    #[test]
    fn history_persists_across_editors_and_is_browsed_with_ctrl_p_and_ctrl_n() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state").join("sql-history.jsonl");
        let mut e = Editor::new(vec![], Some(file.clone()));
        e.remember("SELECT 1");
        e.remember("SELECT 'two\nlines'");
        e.remember("SELECT 'two\nlines'");
        let mut again = Editor::new(vec![], Some(file));
        assert_eq!(again.text(), "SELECT 'two\nlines'", "opens on the last statement");
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        again.input(ctrl('p'));
        again.input(ctrl('p'));
        assert_eq!(again.text(), "SELECT 1");
        again.input(ctrl('n'));
        assert_eq!(again.text(), "SELECT 'two\nlines'");
        assert_eq!(again.cursor(), (1, 6), "the cursor is at the end, to type on");
        again.input(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL));
        assert_eq!(again.text(), "", "Ctrl+L clears");
        assert_eq!(again.input(press(KeyCode::F(5))), Outcome::Run);
        assert_eq!(again.input(press(KeyCode::Esc)), Outcome::Leave);
    }

    #[test]
    fn the_opening_text_is_replaced_by_typing_and_kept_by_a_motion() {
        let mut typed = Editor::new(vec![], None);
        assert!(typed.offered() && typed.text() == STARTER);
        for c in "SELECT 2".chars() {
            typed.input(press(KeyCode::Char(c)));
        }
        assert_eq!(
            typed.text(),
            "SELECT 2",
            "a new statement, not the starter with more on its end"
        );
        assert!(!typed.offered());
        let mut moved = Editor::new(vec![], None);
        moved.input(press(KeyCode::Left));
        moved.input(press(KeyCode::Char('X')));
        assert!(moved.text().starts_with("SELECT action") && moved.text().ends_with("DESXC"));
        let mut run = Editor::new(vec![], None);
        assert_eq!(run.input(press(KeyCode::F(5))), Outcome::Run);
        assert_eq!(run.text(), STARTER, "F5 runs it as it is");
    }

    #[test]
    fn highlighting_colours_keywords_strings_numbers_and_parameters() {
        let lines = highlight("SELECT 'x', 42, $from -- why\nFROM events");
        let style_of = |line: usize, text: &str| {
            lines[line]
                .spans
                .iter()
                .find(|s| s.content.contains(text))
                .map(|s| s.style)
                .unwrap()
        };
        assert_eq!(style_of(0, "SELECT").fg, Some(Color::Blue));
        assert_eq!(style_of(0, "'x'").fg, Some(Color::Green));
        assert_eq!(style_of(0, "42").fg, Some(Color::Magenta));
        assert_eq!(style_of(0, "$from").fg, Some(Color::Yellow));
        assert!(style_of(0, "why").add_modifier.contains(Modifier::DIM));
        assert_eq!(style_of(1, "FROM").fg, Some(Color::Blue));
        assert_eq!(style_of(1, "events").fg, None);
    }
}
