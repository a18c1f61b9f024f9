//! Pivots: from the selected row or value to another view — its principal, resource, event,
//! the same window around it, a pinned value, a column's values.

use super::*;
use crate::tui::screens::Counting;

impl App {
    /// Enter: what the screen opens from its selection, else the selected row's event, or the
    /// principal, resource or address the table lists, else the value shown whole.
    pub(super) fn open(&mut self) -> Vec<Effect> {
        if let Some(effects) = screens::open(self) {
            return effects;
        }
        let view = self.view();
        let scope = view.scope.clone();
        let pane = view.pane();
        if let Some(id) = pane.text("event_id") {
            return self.push(View::new(Screen::Event(screens::Record::new(id)), scope));
        }
        let first = pane.order.first().map(|&i| pane.columns[i].as_str());
        let screen = match first {
            Some("principal") => pane.text("principal").map(Screen::Principal),
            Some("resource") => pane.text("resource").map(Screen::Resource),
            Some("source_ip") => pane.text("source_ip").map(Screen::SourceIp),
            _ => None,
        };
        match screen {
            Some(screen) => self.push(View::new(screen, scope)),
            // A value that is nothing to open is shown whole: a table cuts long ones.
            None => match (pane.column(), pane.cell()) {
                (Some(column), Some(cell)) if !cell.is_empty() => {
                    self.value = Some((column.to_string(), cell.to_string()));
                    vec![]
                }
                _ => {
                    let k = &self.keys;
                    let text = format!(
                        "nothing to open here: {}, {}, {} pivot on a row's principal, resource, IP",
                        k.label(Action::Principal),
                        k.label(Action::Resource),
                        k.label(Action::SourceIp)
                    );
                    self.tell(text);
                    vec![]
                }
            },
        }
    }

    pub(super) fn pivot(&mut self, column: &str, screen: impl Fn(String) -> Screen) -> Vec<Effect> {
        match self.view().text(column) {
            Some(v) => {
                let scope = self.scope().clone();
                self.push(View::new(screen(v), scope))
            }
            None => {
                self.warn(format!("this row has no {column}"));
                vec![]
            }
        }
    }

    /// `t`: the timeline around the event's time, with the window's span kept.
    pub(super) fn centre(&mut self) -> Vec<Effect> {
        let Some(at) = self.view().value("event_time").and_then(|v| v.as_time()) else {
            self.warn("this row has no event_time");
            return vec![];
        };
        let mut scope = self.scope().clone();
        let span = scope.window.span();
        let from = self.within_archive(at - span / 2, span);
        scope.window = TimeWindow {
            from,
            to: from + span,
            chosen: "around an event".into(),
        };
        let event = self.view().text("event_id");
        self.push(View::new(Screen::Timeline(screens::Timeline::around(at, event)), scope))
    }

    /// `f`/`F`: the view again, with the selected value as a filter (or its exclusion).
    pub(super) fn pin(&mut self, negate: bool) -> Vec<Effect> {
        let pane = self.view().pane();
        let (Some(column), Some(value)) = (pane.column(), pane.cell()) else {
            return vec![];
        };
        let pin = Pin {
            column: column.to_string(),
            value: value.to_string(),
            negate,
        };
        self.with_pin(pin)
    }

    /// The view on top again, with one more filter.
    pub(in crate::tui) fn with_pin(&mut self, pin: Pin) -> Vec<Effect> {
        match self.scope().clone().with_pin(pin) {
            Ok(scope) => {
                let screen = self.view().screen.pinned();
                self.push(View::new(screen, scope))
            }
            Err(e) => {
                self.warn(e.to_string());
                vec![]
            }
        }
    }

    /// The view on top under another window or filter (the timeline where the screen has none).
    pub(super) fn with_scope(&mut self, scope: Scope) -> Vec<Effect> {
        let screen = self.view().screen.rescoped();
        self.push(View::new(screen, scope))
    }

    /// `:clear`: back to before the first filter — the views since go, and the screen on top
    /// opens again unfiltered if it is not the one there.
    pub(super) fn clear_filters(&mut self) -> Vec<Effect> {
        if !self.scope().is_filtered() {
            self.tell("no filter to clear");
            return vec![];
        }
        let window = self.scope().window.clone();
        let screen = self.view().screen.rescoped();
        let unfiltered = self
            .stack
            .iter()
            .rposition(|v| !v.scope.is_filtered() && v.scope.window == window);
        match unfiltered {
            Some(at) => {
                self.stack.truncate(at + 1);
                if self.view().screen.crumb() == screen.crumb() {
                    return vec![];
                }
                self.push(View::new(screen, Scope::new(window)))
            }
            None => self.replace(View::new(screen, Scope::new(window))),
        }
    }

    /// `c`: the values of the column in the table's whole result (not only its loaded rows).
    pub(super) fn frequency(&mut self) -> Vec<Effect> {
        let pane = self.view().pane();
        let Some(column) = pane.column().map(String::from) else {
            return vec![];
        };
        let Some(table) = shown_query(pane) else {
            self.warn("nothing to count here");
            return vec![];
        };
        let counting = Counting {
            column,
            table: Some(table),
            of: Some(pane.title.clone()),
            has_time: pane.position("event_time").is_some(),
        };
        let scope = self.scope().clone();
        self.push(View::new(Screen::Frequency(counting), scope))
    }
}
