//! One-line inputs at the foot of the screen (`:` commands, `/` search, `\` filters, the export's
//! file name) and the small form of a report's parameters.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::reports::Report;

/// A line being typed, with its cursor (in characters).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineInput {
    pub text: String,
    pub cursor: usize,
}

/// What a key did to a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Edit {
    Typing,
    Done,
    Abandon,
}

impl LineInput {
    pub fn with(text: &str) -> Self {
        LineInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    fn byte(&self, char_at: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_at)
            .map_or(self.text.len(), |(i, _)| i)
    }

    pub fn key(&mut self, key: KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter => return Edit::Done,
            KeyCode::Esc => return Edit::Abandon,
            KeyCode::Char('c') if ctrl => return Edit::Abandon,
            KeyCode::Char('u') if ctrl => {
                let at = self.byte(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.text.chars().count(),
            KeyCode::Char(c) => {
                let at = self.byte(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Delete if self.cursor < self.text.chars().count() => {
                let at = self.byte(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.text.chars().count()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.chars().count(),
            _ => {}
        }
        Edit::Typing
    }
}

/// What the line at the foot is for.
#[derive(Clone, Debug, PartialEq)]
pub enum Purpose {
    Command,
    Search,
    Where,
    /// The export's file name; `confirmed` once the user was told the file exists.
    Export {
        confirmed: bool,
    },
}

impl Purpose {
    pub fn label(&self) -> String {
        match self {
            Purpose::Command => ":".into(),
            Purpose::Search => "/".into(),
            Purpose::Where => "where ".into(),
            Purpose::Export { confirmed: false } => "export to (.csv/.jsonl/.parquet): ".into(),
            Purpose::Export { confirmed: true } => "exists — Enter replaces it: ".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub purpose: Purpose,
    pub input: LineInput,
}

/// A report's parameters being filled in: one line each, empty meaning the default.
#[derive(Clone, Debug)]
pub struct Form {
    pub report: Report,
    pub values: Vec<LineInput>,
    pub field: usize,
    /// Why the values were refused (a required one left empty, one the report cannot take).
    pub error: Option<String>,
}

/// What a key did to the form.
#[derive(Debug, PartialEq, Eq)]
pub enum FormOutcome {
    Editing,
    Run,
    Abandon,
}

impl Form {
    pub fn new(report: Report) -> Self {
        Form::filled(report, &[], None)
    }

    /// The form with the values given before (by parameter name), and why they were refused.
    pub fn filled(report: Report, given: &[(String, String)], error: Option<String>) -> Self {
        let values = report
            .params
            .iter()
            .map(|p| {
                let value = given.iter().find(|(n, _)| *n == p.name).map_or("", |(_, v)| v.as_str());
                LineInput::with(value)
            })
            .collect();
        Form {
            report,
            values,
            field: 0,
            error,
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> FormOutcome {
        match key.code {
            KeyCode::Tab | KeyCode::Down => {
                self.field = (self.field + 1) % self.values.len().max(1);
                FormOutcome::Editing
            }
            KeyCode::BackTab | KeyCode::Up => {
                self.field = (self.field + self.values.len().max(1) - 1) % self.values.len().max(1);
                FormOutcome::Editing
            }
            _ => match self.values.get_mut(self.field).map(|v| v.key(key)) {
                Some(Edit::Done) | None if key.code == KeyCode::Enter => FormOutcome::Run,
                Some(Edit::Abandon) => FormOutcome::Abandon,
                None if key.code == KeyCode::Esc => FormOutcome::Abandon,
                _ => FormOutcome::Editing,
            },
        }
    }

    /// The first parameter without a default left empty, by its place in the form.
    pub fn missing(&self) -> Option<usize> {
        self.report
            .params
            .iter()
            .zip(&self.values)
            .position(|(p, v)| p.default.is_none() && v.text.trim().is_empty())
    }

    /// The values typed, by parameter name; the others take their defaults.
    pub fn given(&self) -> Vec<(String, String)> {
        self.report
            .params
            .iter()
            .zip(&self.values)
            .filter(|(_, v)| !v.text.trim().is_empty())
            .map(|(p, v)| (p.name.clone(), v.text.trim().to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn a_line_edits_in_the_middle_and_ends_on_enter_or_esc() {
        let mut l = LineInput::with("prinipal");
        for _ in 0..4 {
            l.key(press(KeyCode::Left));
        }
        l.key(press(KeyCode::Char('c')));
        assert_eq!(l.text, "principal");
        l.key(press(KeyCode::End));
        l.key(press(KeyCode::Backspace));
        assert_eq!(l.text, "principa");
        assert_eq!(l.key(press(KeyCode::Enter)), Edit::Done);
        assert_eq!(l.key(press(KeyCode::Esc)), Edit::Abandon);
    }

    #[test]
    fn the_form_gives_only_the_values_typed() {
        let library = crate::engine::reports::ReportLibrary::builtin();
        let report = library.all().find(|r| r.params.len() >= 2).unwrap().clone();
        let mut form = Form::new(report.clone());
        form.key(press(KeyCode::Tab));
        for c in "42".chars() {
            form.key(press(KeyCode::Char(c)));
        }
        assert_eq!(form.given(), vec![(report.params[1].name.clone(), "42".to_string())]);
        assert_eq!(form.key(press(KeyCode::Enter)), FormOutcome::Run);
        assert_eq!(form.key(press(KeyCode::Esc)), FormOutcome::Abandon);
    }
}
