//! One table on screen: a window of a result's rows (never the whole result), the cursor, and
//! how the columns are shown (order, hidden, scrolled sideways).

use std::time::Duration;

use crate::engine::{Query, Value};

use super::jobs::Read;

/// How many rows a pane keeps: the screen plus a wide margin either side. Older rows are dropped
/// as the cursor moves down, so a million-row result scrolls in flat memory.
pub const KEEP_ROWS: usize = 3_000;
/// How many rows are asked for at a time.
pub const CHUNK_ROWS: usize = 500;
/// The cursor this close to the last loaded row asks for more.
const MARGIN: usize = 200;

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Load {
    #[default]
    Idle,
    Running,
    Failed(String),
    Ready,
}

#[derive(Clone, Debug, Default)]
pub struct Pane {
    pub title: String,
    /// The query behind the rows (for sorting, exporting, and the provenance of an export).
    pub query: Option<Query>,
    /// The feed the rows come from; chunks of other feeds are stale and dropped.
    pub feed: u64,
    pub load: Load,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// The result's row number of `rows[0]`.
    pub offset: usize,
    /// The stream has ended: the result has `offset + rows.len()` rows.
    pub complete: bool,
    /// More rows were asked for and have not come yet.
    pub asking: bool,
    /// Selected row, as a row number of the whole result.
    pub row: usize,
    /// Selected column, as a position in `order`.
    pub col: usize,
    /// The first column drawn (sideways scrolling).
    pub first_col: usize,
    /// The columns shown, in the order shown (indexes into `columns`).
    pub order: Vec<usize>,
    /// Sorted by (column, descending), done in SQL over the whole result.
    pub sort: Option<(String, bool)>,
    pub search: Option<String>,
    pub elapsed: Option<Duration>,
    /// What the query read and skipped, when the engine says.
    pub read: Option<Read>,
    /// The first row drawn, as a row number of the whole result: the table scrolls only when
    /// the cursor leaves the rows on screen (kept here, since drawing changes nothing).
    pub top: usize,
    /// `G` on an unfinished result: the cursor goes to the last row once it is read.
    pub going_to_end: bool,
    /// Columns not shown at first (the principal in a principal's own events); `X` shows them.
    pub hidden_at_first: Vec<&'static str>,
    /// What to say instead of "no rows".
    pub empty_hint: Option<String>,
}

/// What a pane asks of its feed after the cursor moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Nothing,
    /// `n` more rows from the stream.
    More(usize),
    /// The rows before the loaded window: the query runs again, skipping to this row.
    Restart(usize),
}

impl Pane {
    pub fn new(title: impl Into<String>) -> Self {
        Pane {
            title: title.into(),
            ..Default::default()
        }
    }

    /// Starts over on a new feed: the old rows go, the layout the user chose stays if the
    /// columns are the same. A new query replaces the one behind the rows; `None` keeps it (the
    /// same question read again, sorted or from another row).
    pub fn restart(&mut self, feed: u64, query: Option<Query>) {
        self.feed = feed;
        if query.is_some() {
            self.query = query;
        }
        self.load = Load::Running;
        self.rows.clear();
        self.offset = 0;
        self.complete = false;
        self.asking = false;
        self.elapsed = None;
        self.read = None;
        self.top = 0;
        self.going_to_end = false;
    }

    /// Takes a chunk of rows from the feed. `skip` is the row number of its first row.
    pub fn take(&mut self, columns: Vec<String>, skip: usize, rows: Vec<Vec<Value>>, complete: bool) {
        if self.columns != columns {
            self.order = (0..columns.len())
                .filter(|&i| !self.hidden_at_first.contains(&columns[i].as_str()))
                .collect();
            self.col = 0;
            self.first_col = 0;
            self.columns = columns;
        }
        if self.rows.is_empty() || skip != self.known_rows() {
            // Rows read past (to reach the end) leave a gap: the window starts over there.
            self.rows.clear();
            self.offset = skip;
        }
        self.rows.extend(rows);
        self.complete = complete;
        self.asking = false;
        self.load = Load::Ready;
        if self.going_to_end && complete {
            self.going_to_end = false;
            self.row = self.known_rows().saturating_sub(1);
        }
        if self.rows.len() > KEEP_ROWS {
            // Drop what lies far above the cursor.
            let keep_from = self.row.saturating_sub(MARGIN * 2).max(self.offset);
            let drop = (keep_from - self.offset).min(self.rows.len() - KEEP_ROWS);
            self.rows.drain(..drop);
            self.offset += drop;
        }
        self.clamp();
    }

    pub fn fail(&mut self, message: String) {
        self.load = Load::Failed(message);
        self.asking = false;
    }

    /// Rows known so far (all of them once `complete`).
    pub fn known_rows(&self) -> usize {
        self.offset + self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.complete && self.known_rows() == 0
    }

    fn clamp(&mut self) {
        if self.complete {
            self.row = self.row.min(self.known_rows().saturating_sub(1));
        }
        self.col = self.col.min(self.order.len().saturating_sub(1));
    }

    /// The selected row, when loaded.
    pub fn selected(&self) -> Option<&Vec<Value>> {
        self.row.checked_sub(self.offset).and_then(|i| self.rows.get(i))
    }

    /// Where `column` is in the rows.
    pub fn position(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }

    /// The value of `column` in the selected row.
    pub fn value(&self, column: &str) -> Option<&Value> {
        let at = self.position(column)?;
        self.selected().map(|r| &r[at])
    }

    /// The value of `column` in the selected row as text (a text column's, or how a time or
    /// number is written), `None` when empty.
    pub fn text(&self, column: &str) -> Option<String> {
        self.value(column).filter(|v| !v.is_empty()).map(Value::to_string)
    }

    /// The selected column's name.
    pub fn column(&self) -> Option<&str> {
        self.order.get(self.col).map(|&i| self.columns[i].as_str())
    }

    /// The value under the cursor.
    pub fn cell(&self) -> Option<&Value> {
        let i = *self.order.get(self.col)?;
        self.selected().map(|r| &r[i])
    }

    /// Keeps the cursor's row among the `page` rows on screen, scrolling as little as it can.
    pub fn keep_in_view(&mut self, page: usize) {
        let page = page.max(1);
        if self.row < self.top {
            self.top = self.row;
        } else if self.row >= self.top + page {
            self.top = self.row + 1 - page;
        }
    }

    /// Scrolls so that the cursor's row is in the middle of the `page` rows on screen.
    pub fn centre(&mut self, page: usize) {
        self.top = self.row.saturating_sub(page / 2);
    }

    /// Moves the cursor by `delta` rows; says what to ask the feed for.
    pub fn move_by(&mut self, delta: isize) -> Need {
        let target = (self.row as isize + delta).max(0) as usize;
        self.go_to(target)
    }

    pub fn go_to(&mut self, target: usize) -> Need {
        self.row = if self.complete {
            target.min(self.known_rows().saturating_sub(1))
        } else {
            target
        };
        if self.row < self.offset {
            return Need::Restart(self.row.saturating_sub(KEEP_ROWS / 2));
        }
        if !self.complete && self.row >= self.known_rows() {
            // Beyond what is loaded: stay on the last loaded row until the rows come.
            let want = self.row + MARGIN - self.known_rows();
            self.row = self.known_rows().saturating_sub(1).max(self.offset);
            return self.ask(want.max(CHUNK_ROWS));
        }
        if !self.complete && self.row + MARGIN >= self.known_rows() {
            return self.ask(CHUNK_ROWS);
        }
        Need::Nothing
    }

    /// Reads on to the end of the result, formatting only the last rows.
    pub fn to_end(&mut self) -> Need {
        if self.asking || self.complete || self.load != Load::Ready {
            return Need::Nothing;
        }
        self.going_to_end = true;
        self.asking = true;
        Need::More(usize::MAX)
    }

    fn ask(&mut self, n: usize) -> Need {
        if self.asking || self.complete || self.load != Load::Ready {
            return Need::Nothing;
        }
        self.asking = true;
        Need::More(n)
    }

    /// Moves the column cursor, scrolling sideways when it leaves the screen (the drawing keeps
    /// `first_col` in view).
    pub fn move_col(&mut self, delta: isize) {
        let n = self.order.len();
        if n == 0 {
            return;
        }
        self.col = (self.col as isize + delta).clamp(0, n as isize - 1) as usize;
        if self.col < self.first_col {
            self.first_col = self.col;
        }
    }

    /// Hides the selected column (one is always left).
    pub fn hide_col(&mut self) -> Option<String> {
        if self.order.len() <= 1 {
            return None;
        }
        let gone = self.order.remove(self.col);
        self.clamp();
        self.first_col = self.first_col.min(self.col);
        Some(self.columns[gone].clone())
    }

    pub fn show_all_cols(&mut self) {
        self.order = (0..self.columns.len()).collect();
    }

    /// Moves the selected column one place left or right.
    pub fn shift_col(&mut self, delta: isize) {
        let to = self.col as isize + delta;
        if to < 0 || to as usize >= self.order.len() {
            return;
        }
        self.order.swap(self.col, to as usize);
        self.col = to as usize;
        self.first_col = self.first_col.min(self.col);
    }

    /// The next loaded row (after the cursor, or before it going `back`) with a cell containing
    /// `text`, case-insensitively.
    pub fn find(&self, text: &str, back: bool) -> Option<usize> {
        let needle = text.to_lowercase();
        let hit = |r: &Vec<Value>| r.iter().any(|c| c.to_string().to_lowercase().contains(&needle));
        let at = self.row.saturating_sub(self.offset);
        if back {
            (0..at.min(self.rows.len())).rev().find(|&i| hit(&self.rows[i]))
        } else {
            (at + 1..self.rows.len()).find(|&i| hit(&self.rows[i]))
        }
        .map(|i| i + self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(from: usize, n: usize) -> Vec<Vec<Value>> {
        (from..from + n)
            .map(|i| vec![Value::Int(i as i64), Value::Text(format!("r{i}"))])
            .collect()
    }

    fn loaded() -> Pane {
        let mut p = Pane::new("t");
        p.restart(1, None);
        p.take(vec!["n".into(), "name".into()], 0, rows(0, CHUNK_ROWS), false);
        p
    }

    #[test]
    fn moving_near_the_end_asks_for_more_once_and_memory_stays_bounded() {
        let mut p = loaded();
        assert_eq!(p.move_by(10), Need::Nothing);
        assert_eq!(p.move_by(300), Need::More(CHUNK_ROWS));
        assert_eq!(p.move_by(1), Need::Nothing, "already asking");
        let mut next = CHUNK_ROWS;
        for _ in 0..20 {
            p.take(p.columns.clone(), next, rows(next, CHUNK_ROWS), false);
            next += CHUNK_ROWS;
            p.go_to(next - 100);
            assert!(p.rows.len() <= KEEP_ROWS + CHUNK_ROWS, "{}", p.rows.len());
        }
        assert!(p.offset > 0, "the rows far above were dropped");
        assert_eq!(p.selected().unwrap()[0], Value::Int((next - 100) as i64));
        assert_eq!(p.go_to(0), Need::Restart(0), "going back above the window runs again");
    }

    #[test]
    fn a_complete_result_keeps_the_cursor_on_its_rows() {
        let mut p = Pane::new("t");
        p.restart(1, None);
        p.take(
            vec!["n".into()],
            0,
            rows(0, 3).into_iter().map(|r| vec![r[0].clone()]).collect(),
            true,
        );
        assert_eq!(p.move_by(10), Need::Nothing);
        assert_eq!(p.row, 2);
        assert_eq!(p.cell(), Some(&Value::Int(2)));
    }

    #[test]
    fn columns_hide_reorder_and_search() {
        let mut p = loaded();
        p.move_col(1);
        assert_eq!(p.column(), Some("name"));
        p.shift_col(-1);
        assert_eq!(p.order, vec![1, 0]);
        assert_eq!(p.column(), Some("name"));
        assert_eq!(p.hide_col(), Some("name".into()));
        assert_eq!(p.column(), Some("n"));
        assert_eq!(p.hide_col(), None, "the last column stays");
        p.show_all_cols();
        assert_eq!(p.order.len(), 2);
        assert_eq!(p.find("R42", false), Some(42));
        p.go_to(42);
        assert_eq!(p.find("r4", true), Some(41));
        assert_eq!(p.find("r3", true), Some(39));
    }
}
