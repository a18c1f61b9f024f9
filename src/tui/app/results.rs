//! What the tasks send back: rows, counts and errors, put into the pane whose feed asked.

use super::*;

impl App {
    /// Takes what a task sent. Rows for a feed no view holds are stale and dropped.
    pub fn receive(&mut self, message: Message) -> Vec<Effect> {
        match message {
            Message::Rows {
                feed,
                columns,
                skip,
                rows,
                complete,
                elapsed,
                query,
                pruning,
            } => {
                let Some((v, p)) = self.find(feed) else { return vec![] };
                let on_top = v + 1 == self.stack.len();
                let view = &mut self.stack[v];
                let pane = &mut view.panes[p];
                let first = pane.rows.is_empty() && pane.load == Load::Running;
                pane.take(columns, skip, rows, complete);
                pane.elapsed = Some(elapsed);
                if pruning.is_some() {
                    pane.pruning = pruning;
                }
                if let Some(q) = query.filter(|_| pane.query.is_none()) {
                    pane.query = Some(q);
                }
                view.refresh_json();
                // The timeline opens on its busiest bucket (or the one asked for), and loads its events.
                if first && p == 0 && matches!(view.kind, Kind::Timeline) && on_top {
                    let chart = &mut view.panes[0];
                    let events = chart.columns.iter().position(|c| c == "events");
                    let at = |r: &Vec<String>| crate::sources::parse_time(&r[0]).unwrap_or(i64::MIN);
                    let pick = match view.centre_on {
                        Some(t) => chart.rows.iter().rposition(|r| at(r) <= t),
                        None => (0..chart.rows.len())
                            .max_by_key(|&i| events.and_then(|c| chart.rows[i][c].parse::<u64>().ok()).unwrap_or(0)),
                    };
                    chart.row = pick.unwrap_or(0);
                    if chart.rows.is_empty() {
                        view.panes[1].load = Load::Ready;
                        view.panes[1].complete = true;
                    }
                    return self.bucket_events();
                }
                // `t` selects the event it centred on, and focuses the events.
                if first
                    && p == 1
                    && matches!(view.kind, Kind::Timeline)
                    && let Some(id) = view.select_event.take()
                {
                    let at = view.panes[1].columns.iter().position(|c| c == "event_id");
                    if let Some(row) = at.and_then(|c| view.panes[1].rows.iter().position(|r| r[c] == id)) {
                        view.panes[1].row = row + view.panes[1].offset;
                        view.focus = 1;
                    }
                }
                if first && p == 0 {
                    // `:principal name` that means exactly one principal opens it.
                    if let Kind::Matches(..) = view.kind
                        && pane_is_single(&view.panes[0])
                        && on_top
                    {
                        return self.open();
                    }
                }
                vec![]
            }
            Message::Failed { feed, message } => {
                if let Some((v, p)) = self.find(feed) {
                    self.stack[v].panes[p].fail(super::shown(&message));
                }
                vec![]
            }
            Message::Notice(text) => {
                self.warn(text);
                vec![]
            }
            Message::Exported { path, outcome, elapsed } => {
                match outcome {
                    Ok(rows) => self.tell(format!(
                        "exported {rows} row{} to {} in {:.1} s (provenance: {})",
                        if rows == 1 { "" } else { "s" },
                        path.display(),
                        elapsed.as_secs_f64(),
                        crate::engine::export::provenance_path(&path).display()
                    )),
                    Err(e) => self.warn(format!("the export failed: {e}")),
                }
                vec![]
            }
        }
    }

    pub(super) fn find(&self, feed: u64) -> Option<(usize, usize)> {
        self.stack
            .iter()
            .enumerate()
            .find_map(|(v, view)| view.panes.iter().position(|p| p.feed == feed).map(|p| (v, p)))
    }

    /// The feeds stopped by a cancel: their panes say so.
    pub fn cancelled(&mut self, feeds: &[u64]) {
        for &feed in feeds {
            if let Some((v, p)) = self.find(feed) {
                let pane = &mut self.stack[v].panes[p];
                if pane.load == Load::Running {
                    pane.fail("cancelled (F5 runs it again)".into());
                } else {
                    // Rows were shown; the rest of the result was not read.
                    pane.complete = true;
                    pane.asking = false;
                }
            }
        }
        if !feeds.is_empty() {
            self.tell(format!(
                "cancelled {} quer{}",
                feeds.len(),
                if feeds.len() == 1 { "y" } else { "ies" }
            ));
        }
    }
}
