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
                read,
            } => {
                let Some((v, p)) = self.find(feed) else { return vec![] };
                let pane = &mut self.stack[v].panes[p];
                let first = pane.rows.is_empty() && pane.load == Load::Running;
                pane.take(columns, skip, rows, complete);
                pane.elapsed = Some(elapsed);
                if read.is_some() {
                    pane.read = read;
                }
                if let Some(q) = query.filter(|_| pane.query.is_none()) {
                    pane.query = Some(q);
                }
                screens::received(self, v, p, first)
            }
            Message::Failed { feed, message, refused } => {
                if let Some((v, p)) = self.find(feed) {
                    self.stack[v].panes[p].fail(super::shown(&message));
                    if let Some(param) = refused {
                        screens::refused(self, v, &param, &message);
                    }
                }
                vec![]
            }
            Message::Notice(text) => {
                self.warn(text);
                vec![]
            }
            Message::Detected {
                feed,
                found,
                elapsed,
                read,
            } => {
                let Some((v, p)) = self.find(feed) else { return vec![] };
                let pane = &mut self.stack[v].panes[p];
                pane.elapsed = Some(elapsed);
                pane.read = read;
                screens::detected(self, v, found);
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
        let again = self.keys.label(Action::Run);
        for &feed in feeds {
            if let Some((v, p)) = self.find(feed) {
                let pane = &mut self.stack[v].panes[p];
                if pane.load == Load::Running {
                    pane.fail(format!("cancelled ({again} runs it again)"));
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
