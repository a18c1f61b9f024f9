//! The values of one column with how often they occur: of a table's whole result (`c` on a
//! table), or of the window's events. Enter filters the view it came from to the chosen value.

use crate::engine::Query;
use crate::engine::views::{self, Pin, Scope};
use crate::tui::app::{App, Effect};
use crate::tui::jobs::Request;
use crate::tui::pane::Pane;

use super::Screen;

/// What a frequency table counts.
#[derive(Clone, Debug)]
pub struct Counting {
    pub column: String,
    /// The table whose values are counted (its query as shown, sorted or not); `None` counts
    /// the window's events.
    pub table: Option<Query>,
    /// The table's title, for the frequency table's own.
    pub of: Option<String>,
    /// The table has an `event_time` column, so each value's first and last time can be given.
    pub has_time: bool,
}

pub fn panes(c: &Counting) -> (Vec<Pane>, usize) {
    let title = match &c.of {
        Some(of) => format!("Values of {} in {of}", c.column),
        None => format!("Values of {}", c.column),
    };
    (vec![Pane::new(title)], 0)
}

pub fn requests(scope: &Scope, c: &Counting) -> Vec<(usize, Request)> {
    match &c.table {
        Some(table) => {
            let has_time = c.column != "event_time" && c.has_time;
            vec![(0, Request::Query(views::frequency_in(table, &c.column, has_time)))]
        }
        None => match views::frequency(scope, &c.column) {
            Ok(query) => vec![(0, Request::Query(query))],
            Err(_) => vec![],
        },
    }
}

/// Enter: the value becomes a filter of the view the table was opened from.
pub fn open(app: &mut App) -> Vec<Effect> {
    let view = app.view();
    let Screen::Frequency(c) = &view.screen else {
        return vec![];
    };
    let column = c.column.clone();
    let Some(value) = view.pane().text(&column) else {
        return vec![];
    };
    app.stack.pop();
    app.with_pin(Pin {
        column,
        value,
        negate: false,
    })
}

pub struct FrequencyScreen;

impl super::Behaviour for FrequencyScreen {
    fn open(&self, app: &mut App) -> Option<Vec<Effect>> {
        Some(open(app))
    }
}
