//! One rule's hits as an event table: when, who, what, to what, where, the event's id and a
//! correlation's detail. Enter opens the event, and the pivots work from its columns as from any
//! table of events (`p`/`r`/`i` open its principal, resource, address, `t` the timeline around
//! it); a filter (`f`/`F`, `\`, `:where`) or another window runs the rule again under it.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;

use crate::engine::output::printable;
use crate::engine::{Scope, Value, cells, detect};
use crate::tui::app::{App, Effect};
use crate::tui::jobs::Request;
use crate::tui::keys::Action;
use crate::tui::pane::{Load, Pane};
use crate::tui::rules::{Detection, Found, RuleName};
use crate::tui::view::View;

use super::Screen;

/// The rule whose hits are listed, and what a run found, when the hits came from the list of
/// rules (else the rule runs again, under the view's filters).
#[derive(Clone, Debug)]
pub struct HitsOf {
    pub rule: RuleName,
    pub found: Option<Arc<Found>>,
}

impl HitsOf {
    /// The same rule, to be run again (another window, another filter).
    pub fn again(&self) -> HitsOf {
        HitsOf {
            rule: self.rule.clone(),
            found: None,
        }
    }

    pub fn crumb(&self) -> String {
        format!("hits of {}", crate::text::cut(&printable(&self.rule.title), 32))
    }
}

/// Columns the table does not show at first: the rule's (it is the screen's) and the cloud's
/// (the tenant says it). `X` shows them.
const HIDDEN: [&str; 4] = ["level", "rule", "rule_id", "cloud"];

pub fn panes(h: &HitsOf) -> (Vec<Pane>, usize) {
    let mut pane = Pane::new(format!("Hits of {}", printable(&h.rule.title)));
    pane.hidden_at_first.extend(HIDDEN);
    pane.empty_hint = Some("the rule has no hit in this window under these filters".into());
    (vec![pane], 0)
}

pub fn requests(scope: &Scope, h: &HitsOf) -> Vec<(usize, Request)> {
    if h.found.is_some() {
        return vec![];
    }
    let detection = Detection {
        scope: scope.clone(),
        rule: Some(h.rule.clone()),
    };
    vec![(0, Request::Detect(detection))]
}

/// The hits of `rule` in `found` as rows: the engine's table of hits, its time named as events
/// name it (so that `t` and a filter on it work as on any event), with the source address added
/// (for `i`).
fn rows(found: &Found, rule: &RuleName) -> Result<(Vec<String>, Vec<Vec<Value>>), String> {
    let hits = match found.set.rules.iter().position(|r| r.id == rule.id) {
        Some(at) => found.hits_of(at),
        None => vec![],
    };
    let table: RecordBatch = detect::table(&found.set, &hits);
    let mut rows = cells::values(&table).map_err(|e| e.to_string())?;
    for (row, hit) in rows.iter_mut().zip(&hits) {
        row.push(match &hit.source_ip {
            Some(ip) => Value::Text(printable(ip)),
            None => Value::Null,
        });
    }
    let mut columns: Vec<String> = table
        .schema()
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            "time" => "event_time".to_string(),
            other => other.to_string(),
        })
        .collect();
    columns.push("source_ip".into());
    Ok((columns, rows))
}

fn fill(view: &mut View, found: &Found) {
    let Screen::Hits(h) = &view.screen else { return };
    let pane = &mut view.panes[0];
    pane.load = Load::Running;
    match rows(found, &h.rule) {
        Ok((columns, rows)) => {
            // Only a correlation's hits have a detail (what it counted): a column of nothing
            // would take the room of one that tells something.
            let detail = columns.iter().position(|c| c == "detail");
            if detail.is_some_and(|d| rows.iter().all(|r| r[d].is_empty())) {
                pane.hidden_at_first.push("detail");
            }
            pane.take(columns, 0, rows, true)
        }
        Err(e) => pane.fail(crate::tui::app::shown(&e)),
    }
}

/// The hits given by the list of rules, shown at once.
pub fn opened(app: &mut App) {
    let view = app.view_mut();
    if let Screen::Hits(HitsOf { found: Some(found), .. }) = &view.screen {
        let found = found.clone();
        fill(view, &found);
    }
}

pub struct HitsScreen;

impl super::Behaviour for HitsScreen {
    fn act(&self, app: &mut App, action: Action) -> Option<Vec<Effect>> {
        let said = match action {
            // F5 runs the rule again rather than showing what the list found.
            Action::Run => {
                if let Screen::Hits(h) = &mut app.view_mut().screen {
                    h.found = None;
                }
                return None;
            }
            // The hits are what the engine's run found, not a query's rows.
            Action::Sort => "the hits are listed by time (what a run found, not a query's result)",
            Action::Frequency => {
                "the hits are not a query's result to count: f or F filters the rule's hits by a value"
            }
            Action::Export => "the hits export from the command line: trailscope detect --rule ID --format csv",
            _ => return None,
        };
        app.tell(said);
        Some(vec![])
    }

    fn opened(&self, app: &mut App) {
        opened(app)
    }

    fn detected(&self, app: &mut App, at: usize, found: Arc<Found>) {
        fill(&mut app.stack[at], &found)
    }

    fn hints(&self, app: &App) -> Vec<(String, &'static str)> {
        vec![(app.keys.label(Action::Back), "the rules")]
    }
}
