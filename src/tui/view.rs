//! One step of an investigation: a screen, under which filters, and its panes. Views stack up as
//! the user pivots; `Esc` pops one. What differs from screen to screen is in `screens`.

use crate::engine::{Scope, Value};

use super::pane::Pane;
use super::screens::Screen;

pub struct View {
    pub screen: Screen,
    pub scope: Scope,
    pub panes: Vec<Pane>,
    pub focus: usize,
    /// Opened by a screen key (`1`–`5`) over another view: another screen key replaces it, so
    /// switching screens does not stack up views for `Esc` to walk back through.
    pub switched: bool,
}

impl View {
    pub fn new(screen: Screen, scope: Scope) -> Self {
        let (panes, focus) = screen.panes();
        View {
            screen,
            scope,
            panes,
            focus,
            switched: false,
        }
    }

    /// The pane that is a chart, if any.
    pub fn is_chart(&self, pane: usize) -> bool {
        pane == 0 && self.screen.has_chart()
    }

    /// The table keys act on: the focused one, or under a focused chart, the table below it
    /// (columns, filters and counts are of a table, never of the chart's buckets).
    fn table_at(&self) -> usize {
        let at = self.focus.min(self.panes.len() - 1);
        if self.is_chart(at) && self.panes.len() > 1 {
            1
        } else {
            at
        }
    }

    pub fn pane(&self) -> &Pane {
        &self.panes[self.table_at()]
    }

    pub fn pane_mut(&mut self) -> &mut Pane {
        let at = self.table_at();
        &mut self.panes[at]
    }

    /// The focused pane, a chart included.
    pub fn focused(&self) -> &Pane {
        &self.panes[self.focus.min(self.panes.len() - 1)]
    }

    /// Tab: the next pane; a chart only when the screen visits it.
    pub fn focus_next(&mut self) {
        let n = self.panes.len();
        self.focus = (self.focus + 1) % n;
        if self.focus == 0 && n > 1 && self.screen.has_chart() && !self.screen.chart_is_visited() {
            self.focus = 1;
        }
    }

    /// The value of `column` in the row the user points at: the focused pane's selected row,
    /// else (on the timeline's chart) the bucket's events' selected row.
    pub fn value(&self, column: &str) -> Option<&Value> {
        self.pane().value(column).filter(|v| !v.is_empty()).or_else(|| {
            self.panes
                .iter()
                .find_map(|p| p.value(column).filter(|v| !v.is_empty()))
        })
    }

    /// `value` as text (how a time or a number is written).
    pub fn text(&self, column: &str) -> Option<String> {
        self.value(column).map(Value::to_string)
    }

    /// Feeds this view reads from.
    pub fn feeds(&self) -> impl Iterator<Item = u64> + '_ {
        self.panes.iter().map(|p| p.feed).filter(|f| *f != 0)
    }
}
