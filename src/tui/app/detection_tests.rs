//! The Detections screen's state: keys in, effects out, what each view holds; the runs' answers
//! made up from what the rules find in the demo's incident.

use std::sync::Arc;
use std::time::Duration;

use super::tests::loaded;
use super::*;
use crate::tui::rules::{Detection, Found, incident};

const TRAIL_RULE: &str = "4db60cc0-36fb-42b7-9b58-a5b53019fb74";
const ROLE: &str = "arn:aws:sts::210987654321:assumed-role/DeployAdmin/ci-deployer-8841";

/// The detection runs the effects started: (feed, what is run).
fn detections(effects: &[Effect]) -> Vec<(u64, Detection)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Start {
                feed,
                request: Request::Detect(d),
                ..
            } => Some((*feed, d.clone())),
            _ => None,
        })
        .collect()
}

fn queries(effects: &[Effect]) -> Vec<Query> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Start {
                request: Request::Query(q),
                ..
            } => Some(q.clone()),
            _ => None,
        })
        .collect()
}

fn found(app: &mut App, feed: u64, found: Found) -> Vec<Effect> {
    app.receive(Message::Detected {
        feed,
        found: Arc::new(found),
        elapsed: Duration::from_millis(2_750),
        read: None,
    })
}

fn column(app: &App, name: &str) -> Vec<String> {
    let pane = app.view().pane();
    let at = pane.position(name).unwrap_or_else(|| panic!("no column {name}"));
    pane.rows.iter().map(|r| r[at].to_string()).collect()
}

/// The Detections screen opened over the timeline, its run answered.
fn listed() -> App {
    let mut app = loaded();
    let timeline_scope = app.scope().clone();
    let runs = detections(&app.update(Action::Screen(5)));
    assert_eq!(runs.len(), 1, "one run of the rules");
    let (feed, run) = &runs[0];
    assert!(run.rule.is_none(), "every rule runs");
    assert_eq!(run.scope, timeline_scope, "over the window and filters in force");
    assert_eq!(app.view().pane().load, Load::Running);
    found(&mut app, *feed, incident());
    app
}

#[test]
fn the_detections_screen_lists_the_rules_with_hits_most_severe_first_and_enter_lists_a_rules_hits() {
    let mut app = listed();
    assert!(matches!(&app.view().screen, Screen::Detections(d) if d.found.is_some()));
    assert_eq!(
        column(&app, "rule"),
        [
            "AWS VPC Flow Logs Deleted",
            "AWS CloudTrail Important Change",
            "AWS STS AssumeRole Misuse"
        ]
    );
    assert_eq!(column(&app, "level"), ["high", "medium", "low"]);
    assert_eq!(column(&app, "hits"), ["1", "1", "2"]);
    assert_eq!(
        column(&app, "first_seen")[2],
        "2026-10-30T17:59:52Z",
        "a rule's first and last hit"
    );
    assert_eq!(column(&app, "last_seen")[2], "2026-10-30T23:53:39Z");

    app.update(Action::Down);
    let effects = app.update(Action::Open);
    assert!(effects.is_empty(), "the hits come from the run: nothing is read again");
    assert_eq!(app.view().screen.crumb(), "hits of AWS CloudTrail Important Change");
    let pane = app.view().pane();
    let shown: Vec<&str> = pane.order.iter().map(|&i| pane.columns[i].as_str()).collect();
    assert_eq!(
        shown,
        [
            "event_time",
            "principal",
            "action",
            "resource",
            "tenant",
            "event_id",
            "source_ip"
        ],
        "an event table; the rule's own columns and an empty detail hidden"
    );
    assert_eq!(pane.text("action").as_deref(), Some("StopLogging"));
    assert_eq!(pane.known_rows(), 1);

    // Enter on a hit opens its event, as on any table of events.
    let loads = queries(&app.update(Action::Open));
    assert!(matches!(&app.view().screen, Screen::Event(r) if r.id == "60ef23ef-ed40-4e59-b716-30ac94c5f362"));
    assert_eq!(loads.len(), 1, "the event's record is read");
    // Esc walks back: to the hits, then to the rules, the cursor where it was.
    app.update(Action::Back);
    assert!(matches!(&app.view().screen, Screen::Hits(_)));
    app.update(Action::Back);
    assert!(matches!(&app.view().screen, Screen::Detections(_)));
    assert_eq!(app.view().pane().row, 1);
    assert_eq!(
        app.view().pane().text("rule").as_deref(),
        Some("AWS CloudTrail Important Change")
    );
}

#[test]
fn from_a_rules_hits_the_pivots_open_the_principal_and_a_filter_runs_the_rule_again_under_it() {
    let mut app = listed();
    app.update(Action::Down);
    app.update(Action::Open);
    // `p`: the hit's principal.
    let loads = queries(&app.update(Action::Principal));
    assert!(matches!(&app.view().screen, Screen::Principal(p) if p == ROLE));
    assert!(!loads.is_empty());
    app.update(Action::Back);
    // `f` on the principal: the rule alone runs again, with the principal pinned.
    app.update(Action::Right);
    assert_eq!(app.view().pane().column(), Some("principal"));
    let runs = detections(&app.update(Action::FilterIn));
    assert_eq!(runs.len(), 1);
    let (feed, run) = &runs[0];
    assert_eq!(run.rule.as_ref().map(|r| r.id.as_str()), Some(TRAIL_RULE));
    assert_eq!(run.scope.pins().len(), 1);
    assert_eq!(run.scope.pins()[0].to_string(), format!("principal = {ROLE}"));
    assert!(matches!(&app.view().screen, Screen::Hits(h) if h.found.is_none()));
    found(&mut app, *feed, incident());
    assert_eq!(
        column(&app, "action"),
        ["StopLogging"],
        "only the rule's hits are listed"
    );
    // A value the hits have but events do not is no filter.
    app.update(Action::ShowColumns);
    app.view_mut().pane_mut().col = 0;
    assert_eq!(app.view().pane().column(), Some("level"));
    assert!(app.update(Action::FilterIn).is_empty());
    let (message, problem) = app.message.clone().unwrap();
    assert!(problem && message.contains("not a column of events"), "{message}");
}

#[test]
fn esc_cancels_a_run_of_the_rules_f5_runs_them_again_and_a_new_window_too() {
    let mut app = loaded();
    let feed = detections(&app.update(Action::Screen(5)))[0].0;
    app.running = true;
    assert!(matches!(app.update(Action::Back).as_slice(), [Effect::Cancel]));
    app.cancelled(&[feed]);
    app.running = false;
    assert!(matches!(&app.view().pane().load, Load::Failed(m) if m.starts_with("cancelled")));
    let again = detections(&app.update(Action::Run));
    assert_eq!(again.len(), 1, "F5 runs the rules again");
    found(&mut app, again[0].0, incident());
    // Zooming out runs every rule over the wider window.
    let runs = detections(&app.update(Action::ZoomOut));
    assert_eq!(runs.len(), 1);
    assert!(runs[0].1.rule.is_none());
    assert_eq!(runs[0].1.scope.window.span(), 2 * 120 * 60_000_000);
    assert!(matches!(&app.view().screen, Screen::Detections(d) if d.found.is_none()));
}

#[test]
fn the_hits_of_a_run_that_ended_for_a_view_let_go_are_dropped() {
    let mut app = loaded();
    let feed = detections(&app.update(Action::Screen(5)))[0].0;
    app.update(Action::Screen(0));
    assert!(!app.live_feeds().contains(&feed), "the run stops with its view");
    found(&mut app, feed, incident());
    assert!(matches!(&app.view().screen, Screen::Timeline(_)));
    assert!(app.stack.iter().all(|v| !matches!(v.screen, Screen::Detections(_))));
}
