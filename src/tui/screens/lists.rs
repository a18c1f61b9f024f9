//! The plain tables: the busiest principals and resources of the window, and the events from one
//! source IP address.

use crate::engine::Subject;
use crate::engine::views::{self, Scope};
use crate::tui::jobs::Request;
use crate::tui::pane::Pane;

/// A table of the busiest principals or resources; the title says it lists only the busiest (a
/// week can hold millions).
pub fn busiest(what: &str) -> (Vec<Pane>, usize) {
    let title = format!("{what}: the {} with the most events", views::BUSIEST);
    (vec![Pane::new(title)], 0)
}

pub fn principals(scope: &Scope) -> Vec<(usize, Request)> {
    vec![(0, Request::Query(views::principals(scope)))]
}

pub fn resources(scope: &Scope) -> Vec<(usize, Request)> {
    vec![(0, Request::Query(views::resources(scope)))]
}

pub fn source_ip_panes() -> (Vec<Pane>, usize) {
    let mut pane = Pane::new("Events from the address");
    pane.hidden_at_first.push("source_ip");
    (vec![pane], 0)
}

pub fn source_ip(scope: &Scope, ip: &str) -> Vec<(usize, Request)> {
    vec![(0, Request::Query(views::events_of(scope, Subject::SourceIp, ip)))]
}
