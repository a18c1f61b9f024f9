//! Keys that go to something being typed — the SQL editor, a report's form, the line at the foot —
//! and what a finished line means: a `:` command, a search, a SQL condition, an export's file.

use std::path::PathBuf;

use super::{App, Effect, shown_query};
use crate::engine::views::Pin;
use crate::engine::{Subject, TimeSpec, TimeWindow};
use crate::tui::keys::Action;
use crate::tui::prompt::{Edit, FormOutcome, Purpose};
use crate::tui::screens::{self, Record, Screen, Tab};
use crate::tui::view::View;

impl App {
    /// A key while the report form is open.
    pub fn fill(&mut self, key: crossterm::event::KeyEvent) -> Vec<Effect> {
        let run_key = self.keys.action(key) == Some(Action::Run);
        let Some(form) = &mut self.form else { return vec![] };
        let outcome = if run_key { FormOutcome::Run } else { form.key(key) };
        match outcome {
            FormOutcome::Editing => vec![],
            FormOutcome::Abandon => {
                // What was typed is kept for the next time the form opens.
                let form = self.form.take().expect("the form is open");
                self.filled.insert(form.report.name.clone(), form.given());
                vec![]
            }
            FormOutcome::Run => {
                if let Some(at) = form.missing() {
                    form.field = at;
                    let p = &form.report.params[at];
                    let message = format!("{} needs a value: {}", p.name, p.description);
                    form.error = Some(message.clone());
                    self.warn(message);
                    return vec![];
                }
                let form = self.form.take().expect("the form is open");
                let given = form.given();
                screens::run_report(self, form.report, given)
            }
        }
    }

    /// A key while the line at the foot is open.
    pub fn type_line(&mut self, key: crossterm::event::KeyEvent) -> Vec<Effect> {
        let Some(prompt) = &mut self.prompt else { return vec![] };
        match prompt.input.key(key) {
            Edit::Typing => {
                if prompt.purpose == (Purpose::Export { confirmed: true }) {
                    prompt.purpose = Purpose::Export { confirmed: false };
                }
                vec![]
            }
            Edit::Abandon => {
                self.prompt = None;
                vec![]
            }
            Edit::Done => {
                let prompt = self.prompt.take().expect("the prompt is open");
                let text = prompt.input.text.trim().to_string();
                if text.is_empty() {
                    return vec![];
                }
                match prompt.purpose {
                    Purpose::Command => self.command(&text),
                    Purpose::Search => {
                        self.view_mut().pane_mut().search = Some(text);
                        self.search_again(false);
                        vec![]
                    }
                    Purpose::Where => self.add_where(&text),
                    Purpose::Export { confirmed } => self.export_to(&text, confirmed),
                }
            }
        }
    }

    fn add_where(&mut self, condition: &str) -> Vec<Effect> {
        let combined = match self.scope().filter() {
            Some(old) => format!("({old}) AND ({condition})"),
            None => condition.to_string(),
        };
        match self.scope().clone().with_filter(&combined) {
            Ok(scope) => self.with_scope(scope),
            Err(e) => {
                self.warn(e.to_string());
                vec![]
            }
        }
    }

    fn export_to(&mut self, file: &str, confirmed: bool) -> Vec<Effect> {
        // Said and written as a whole path: the user should not have to guess the folder.
        let path = std::env::current_dir()
            .map(|d| d.join(file))
            .unwrap_or_else(|_| PathBuf::from(file));
        if path.exists() && !confirmed {
            self.ask(Purpose::Export { confirmed: true }, file);
            return vec![];
        }
        let pane = self.view().pane();
        let Some(query) = shown_query(pane) else {
            self.warn("nothing to export here");
            return vec![];
        };
        self.tell(format!("exporting to {}…", path.display()));
        // The window is the rows' only when the query is bound to it (a view's `$from`/`$to`);
        // SQL typed on the SQL screen, or a report, says its own range in its text and values.
        let bound = ["from", "to"].iter().all(|p| query.params.iter().any(|(n, _)| n == p));
        vec![Effect::Export {
            query,
            window: bound.then(|| self.scope().window.clone()),
            path,
        }]
    }

    /// The `:` command line.
    pub fn command(&mut self, line: &str) -> Vec<Effect> {
        let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        let scope = self.scope().clone();
        let needs = |what: &str| format!(":{verb} needs {what}");
        match verb {
            "q" | "quit" => self.quit = true,
            "principal" | "p" | "resource" | "r" | "ip" if rest.is_empty() => self.warn(needs("a name")),
            // An access key id is not a principal: its events are.
            "principal" | "p" if looks_like_access_key(rest) => {
                self.tell(format!("{rest} is an access key: its events (the access-key-activity report tells more)"));
                let pin = Pin {
                    column: "access_key_id".into(),
                    value: rest.into(),
                    negate: false,
                };
                return match scope.with_pin(pin) {
                    Ok(scope) => self.push(View::new(Tab::Timeline.screen(), scope)),
                    Err(e) => {
                        self.warn(e.to_string());
                        vec![]
                    }
                };
            }
            "principal" | "p" => {
                let screen = Screen::Matches(Subject::Principal, rest.into());
                return self.push(View::new(screen, scope));
            }
            "resource" | "r" => {
                let screen = Screen::Matches(Subject::Resource, rest.into());
                return self.push(View::new(screen, scope));
            }
            "ip" => return self.push(View::new(Screen::SourceIp(rest.into()), scope)),
            "event" if !rest.is_empty() => return self.push(View::new(Screen::Event(Record::new(rest)), scope)),
            "from" | "to" | "last" => return self.set_window(verb, rest),
            "where" if !rest.is_empty() => return self.add_where(rest),
            "export" if !rest.is_empty() => return self.export_to(rest, false),
            "clear" => return self.clear_filters(),
            "sort" if !rest.is_empty() => {
                let (column, order) = rest.split_once(' ').unwrap_or((rest, ""));
                let pane = self.view_mut().pane_mut();
                match (pane.order.iter().position(|&i| pane.columns[i] == column), pane.query.clone()) {
                    (Some(at), Some(query)) => {
                        pane.col = at;
                        return self.sorted_by(column.to_string(), order.trim() == "desc", query);
                    }
                    (Some(_), None) => self.warn("nothing to sort here"),
                    (None, _) => self.warn(format!("this table has no column {column}")),
                }
            }
            "help" => self.help = Some(0),
            _ => self.warn(format!(
                "unknown command :{line} — try :principal NAME, :resource NAME, :ip ADDR, :event ID, :from TIME, :to TIME, :last 24h, :where COND, :clear, :sort COL [desc], :export FILE, :q"
            )),
        }
        vec![]
    }

    fn set_window(&mut self, verb: &str, text: &str) -> Vec<Effect> {
        let spec: TimeSpec = match text.parse() {
            Ok(s) => s,
            Err(e) => {
                self.warn(e.to_string());
                return vec![];
            }
        };
        let current = self.scope().window.clone();
        let resolved = match verb {
            "from" => TimeWindow::resolve(Some(spec), None, self.archive_end, current.span()).map(|mut w| {
                // The end stays where it was when it is still after the new start.
                if w.from < current.to {
                    w.to = current.to;
                }
                w
            }),
            "to" => TimeWindow::resolve(None, Some(spec), self.archive_end, current.span()),
            _ => match spec {
                TimeSpec::Before(span) => TimeWindow::resolve(None, None, self.archive_end, span),
                _ => Err(crate::engine::EngineError::Usage(
                    ":last takes a span like 24h or 7d".into(),
                )),
            },
        };
        match resolved {
            Ok(mut window) => {
                window.chosen = format!("{verb} {text}");
                let mut scope = self.scope().clone();
                scope.window = window;
                self.with_scope(scope)
            }
            Err(e) => {
                self.warn(e.to_string());
                vec![]
            }
        }
    }
}

/// `AKIA…`/`ASIA…` and 16 more capitals or digits: an AWS access key id.
fn looks_like_access_key(text: &str) -> bool {
    text.len() == 20
        && (text.starts_with("AKIA") || text.starts_with("ASIA"))
        && text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}
