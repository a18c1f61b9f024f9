//! What a name typed after `:principal` or `:resource` may mean: the values that are it or end
//! with it. One match opens at once; Enter opens the one chosen.

use crate::engine::Subject;
use crate::engine::views::{self, Scope};
use crate::tui::app::{App, Effect};
use crate::tui::jobs::Request;
use crate::tui::pane::Pane;
use crate::tui::view::View;

use super::Screen;

pub fn panes(subject: Subject, name: &str) -> (Vec<Pane>, usize) {
    let title = format!("{}s matching '{name}' — Enter opens one", subject.column());
    let mut pane = Pane::new(title);
    pane.empty_hint = Some(format!(
        "no {} is '{name}' or ends with it in this window: widen the window (:from, :last), or search every column with :where (e.g. user_agent LIKE '%{name}%')",
        subject.column()
    ));
    (vec![pane], 0)
}

pub fn requests(scope: &Scope, subject: Subject, name: &str) -> Vec<(usize, Request)> {
    vec![(0, Request::Query(views::candidates(scope, subject, name)))]
}

/// Enter: the chosen value opens in place of the list.
pub fn open(app: &mut App) -> Vec<Effect> {
    let view = app.view();
    let Screen::Matches(subject, _) = &view.screen else {
        return vec![];
    };
    let Some(value) = view.pane().text("candidate") else {
        return vec![];
    };
    let screen = match subject {
        Subject::Principal => Screen::Principal(value),
        Subject::Resource => Screen::Resource(value),
        Subject::SourceIp => Screen::SourceIp(value),
    };
    let scope = view.scope.clone();
    app.replace(View::new(screen, scope))
}

/// A name that means exactly one value opens it.
pub fn received(app: &mut App) -> Vec<Effect> {
    let pane = &app.view().panes[0];
    if pane.complete && pane.known_rows() == 1 {
        return open(app);
    }
    vec![]
}

pub struct MatchesScreen;

impl super::Behaviour for MatchesScreen {
    fn open(&self, app: &mut App) -> Option<Vec<Effect>> {
        Some(open(app))
    }

    fn received(&self, app: &mut App, at: usize, _pane: usize, first: bool) -> Vec<Effect> {
        match first && at + 1 == app.stack.len() {
            true => received(app),
            false => vec![],
        }
    }
}
