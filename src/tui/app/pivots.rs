//! Pivots: from the selected row or value to another view — its principal, resource, event,
//! the same window around it, a pinned value, a column's values.

use super::*;

impl App {
    pub(super) fn open(&mut self) -> Vec<Effect> {
        let view = self.view();
        let scope = view.scope.clone();
        match &view.kind {
            Kind::Timeline if view.focus == 0 => {
                let Some(start) = self.selected_bucket() else {
                    return vec![];
                };
                let bucket = scope.window.bucket();
                let mut scope = scope;
                scope.window = TimeWindow {
                    from: start,
                    to: start + bucket.micros,
                    chosen: format!("one {} bucket", bucket.label()),
                };
                return self.push(View::new(Kind::Timeline, scope));
            }
            Kind::Reports => {
                let Some(name) = view.pane().value("report").map(String::from) else {
                    return vec![];
                };
                if let Some(r) = self.reports.iter().find(|r| r.name == name) {
                    if r.params.is_empty() {
                        return self.run_report(r.clone(), vec![]);
                    }
                    self.form = Some(Form::new(r.clone()));
                }
                return vec![];
            }
            Kind::Frequency(column) => {
                // A value of the column becomes a filter of the view the table was opened from.
                let column = column.clone();
                let Some(value) = view.pane().value(&column).map(String::from) else {
                    return vec![];
                };
                self.stack.pop();
                return self.with_pin(Pin {
                    column,
                    value,
                    negate: false,
                });
            }
            Kind::Matches(subject, _) => {
                let subject = *subject;
                let Some(value) = view.value("candidate") else {
                    return vec![];
                };
                let kind = match subject {
                    Subject::Principal => Kind::Principal(value),
                    Subject::Resource => Kind::Resource(value),
                    Subject::SourceIp => Kind::SourceIp(value),
                };
                return self.replace(View::new(kind, scope));
            }
            Kind::Event(_) => {
                let v = self.view();
                if let Some(line) = v.json.get(v.json_row) {
                    self.value = Some((line.path.clone(), json_value(&line.text)));
                }
                return vec![];
            }
            _ => {}
        }
        let pane = view.pane();
        if let Some(id) = pane.value("event_id").filter(|v| !v.is_empty()) {
            let id = id.to_string();
            return self.push(View::new(Kind::Event(id), scope));
        }
        let first = pane.order.first().map(|&i| pane.columns[i].as_str());
        let kind = match (first, pane.cell()) {
            (Some("principal"), _) => pane.value("principal").map(|v| Kind::Principal(v.into())),
            (Some("resource"), _) => pane.value("resource").map(|v| Kind::Resource(v.into())),
            (Some("source_ip"), _) => pane.value("source_ip").map(|v| Kind::SourceIp(v.into())),
            _ => None,
        };
        match kind {
            Some(kind) => self.push(View::new(kind, scope)),
            // A value that is nothing to open is shown whole: a table cuts long ones.
            None => match (pane.column(), pane.cell()) {
                (Some(column), Some(cell)) if !cell.is_empty() => {
                    self.value = Some((column.to_string(), cell.to_string()));
                    vec![]
                }
                _ => {
                    self.tell("nothing to open here: p, r, i pivot on a row's principal, resource, IP");
                    vec![]
                }
            },
        }
    }

    pub(super) fn pivot(&mut self, column: &str, kind: impl Fn(String) -> Kind) -> Vec<Effect> {
        match self.view().value(column) {
            Some(v) => {
                let scope = self.scope().clone();
                self.push(View::new(kind(v), scope))
            }
            None => {
                self.warn(format!("this row has no {column}"));
                vec![]
            }
        }
    }

    /// `t`: the timeline around the event's time, with the window's span kept.
    pub(super) fn centre(&mut self) -> Vec<Effect> {
        let Some(at) = self
            .view()
            .value("event_time")
            .and_then(|t| crate::sources::parse_time(&t).ok())
        else {
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
        let event = self.view().value("event_id");
        let mut view = View::new(Kind::Timeline, scope);
        view.centre_on = Some(at);
        view.select_event = event;
        self.push(view)
    }

    pub(super) fn pin(&mut self, negate: bool) -> Vec<Effect> {
        if let Kind::Event(_) = self.view().kind {
            self.warn("pick the value in a table to filter by it");
            return vec![];
        }
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
    pub(super) fn with_pin(&mut self, pin: Pin) -> Vec<Effect> {
        match self.scope().clone().with_pin(pin) {
            Ok(scope) => {
                let kind = self.view().kind.clone();
                self.push(View::new(kind, scope))
            }
            Err(e) => {
                self.warn(e.to_string());
                vec![]
            }
        }
    }

    pub(super) fn with_scope(&mut self, scope: Scope) -> Vec<Effect> {
        let kind = self.view().kind.clone();
        let kind = match kind {
            Kind::Sql | Kind::Reports | Kind::Report(_) | Kind::Event(_) => Kind::Timeline,
            k => k,
        };
        self.push(View::new(kind, scope))
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
        let has_time = pane.columns.iter().any(|c| c == "event_time");
        let title = format!("Values of {column} in {}", pane.title);
        let scope = self.scope().clone();
        let mut view = View::new(Kind::Frequency(column), scope);
        view.panes[0].title = title;
        view.counted = Some(Counted { query: table, has_time });
        self.push(view)
    }
}
