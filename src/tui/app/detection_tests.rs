//! The Detections screen's state: keys in, effects out, what each view holds; the runs' answers
//! made up from what the rules find in the demo's incident.

use std::sync::Arc;
use std::time::Duration;

use super::tests::loaded;
use super::*;
use crate::engine::Value;
use crate::tui::rules::{Detection, Found, incident};
use crate::tui::screens::HitsOf;

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
    hits_opened(&mut app);
    assert_eq!(app.view().screen.crumb(), "hits of AWS CloudTrail Important Change");
    let pane = app.view().pane();
    assert_eq!(pane.title, "Hits of AWS CloudTrail Important Change");
    let shown: Vec<&str> = pane.order.iter().map(|&i| pane.columns[i].as_str()).collect();
    assert_eq!(shown, HIT_COLUMNS, "an event table, as any other");
    assert_eq!(pane.text("action").as_deref(), Some("StopLogging"));
    assert_eq!(pane.known_rows(), 1);

    // Enter on a hit opens its event, as on any table of events.
    let loads = queries(&app.update(Action::Open));
    assert!(matches!(&app.view().screen, Screen::Event(r) if r.id == "60ef23ef-ed40-4e59-b716-30ac94c5f362"));
    assert_eq!(loads.len(), 1, "the event's record is read");
    // Esc walks back: to the hits, then to the rules, the cursor where it was.
    app.update(Action::Back);
    assert!(matches!(&app.view().screen, Screen::Hits(_)));
    // `s` sorts the hits by running their query again ordered, as on any table of events.
    app.view_mut().pane_mut().col = 2;
    let sorted = queries(&app.update(Action::Sort));
    assert_eq!(sorted.len(), 1);
    assert!(sorted[0].sql.contains("event_id IN ($id_0)"), "{}", sorted[0].sql);
    assert!(
        sorted[0].sql.ends_with("ORDER BY \"action\" ASC NULLS LAST"),
        "{}",
        sorted[0].sql
    );
    app.update(Action::Back);
    assert!(matches!(&app.view().screen, Screen::Detections(_)));
    assert_eq!(app.view().pane().row, 1);
    assert_eq!(
        app.view().pane().text("rule").as_deref(),
        Some("AWS CloudTrail Important Change")
    );
}

/// The columns of a table of events, as the engine's query gives them.
const HIT_COLUMNS: [&str; 10] = [
    "event_time",
    "principal",
    "action",
    "resource",
    "outcome",
    "error_code",
    "source_ip",
    "cloud",
    "tenant",
    "event_id",
];

/// Enter on the selected rule: its hits' events asked by id, and the rows answered (the
/// incident's hits, as the events table holds them).
fn hits_opened(app: &mut App) -> Query {
    let selected = app.view().pane().text("rule").expect("a rule on the cursor");
    let asked = queries(&app.update(Action::Open));
    assert_eq!(asked.len(), 1, "the hits' events are read by one query");
    let query = asked[0].clone();
    assert_eq!(query.title, format!("Hits of {selected}"));
    assert!(query.sql.contains("event_id IN ("), "{}", query.sql);
    let Screen::Hits(h) = &app.view().screen else {
        panic!("the hits")
    };
    let found = incident();
    let rows: Vec<Vec<Value>> = found
        .hits
        .iter()
        .filter(|hit| h.ids.contains(&hit.event_id))
        .map(|hit| {
            let text = |s: &str| crate::tui::cell(s);
            vec![
                Value::Time(hit.time),
                text(&hit.principal),
                text(&hit.action),
                text(hit.resource.as_deref().unwrap_or_default()),
                text("success"),
                Value::Null,
                text(hit.source_ip.as_deref().unwrap_or_default()),
                text(&hit.cloud),
                text(&hit.tenant),
                text(&hit.event_id),
            ]
        })
        .collect();
    let feed = app.view().pane().feed;
    app.receive(Message::Rows {
        feed,
        columns: HIT_COLUMNS.map(String::from).to_vec(),
        skip: 0,
        rows,
        complete: true,
        elapsed: Duration::from_millis(40),
        query: None,
        read: None,
    });
    query
}

#[test]
fn a_rules_hits_are_the_events_with_the_ids_the_run_found_and_c_counts_their_values() {
    let mut app = listed();
    app.update(Action::Down);
    app.update(Action::Down);
    let query = hits_opened(&mut app);
    // The two hits' ids are bound, the window's clause kept.
    assert!(query.sql.contains("event_id IN ($id_0, $id_1)"), "{}", query.sql);
    let ids: Vec<String> = ["id_0", "id_1"]
        .iter()
        .map(|n| {
            let (_, v) = query.params.iter().find(|(p, _)| p == n).expect("bound");
            crate::engine::views::display_value(v)
        })
        .collect();
    assert_eq!(
        ids,
        [
            "2ce7fae2-ad7e-45a8-ac45-3466b6833bfb",
            "8a00ac9c-1ed6-4bf2-9716-f01578dd63aa"
        ]
    );
    assert_eq!(column(&app, "action"), ["GetObject", "GetObjectTagging"]);
    // `c` on the action counts the hits' actions: the hits' query is what is counted.
    app.view_mut().pane_mut().col = 2;
    assert_eq!(app.view().pane().column(), Some("action"));
    let counted = queries(&app.update(Action::Frequency));
    assert!(
        matches!(&app.view().screen, Screen::Frequency(c) if c.column == "action"
        && c.table.as_ref().is_some_and(|t| t.sql.contains("event_id IN ($id_0, $id_1)")))
    );
    assert_eq!(counted.len(), 1);
    assert!(
        counted[0].sql.contains("event_id IN ($id_0, $id_1)"),
        "{}",
        counted[0].sql
    );
    app.update(Action::Back);
    // `e` asks where to export the hits, as for any table.
    app.update(Action::Export);
    assert!(app.prompt.as_ref().is_some_and(|p| p.input.text.ends_with(".csv")));
}

#[test]
fn a_correlations_hits_are_every_event_of_its_bursts_and_its_detail_is_kept() {
    let mut found = incident();
    let assume = found.hits[2].rule;
    found.hits[2].detail = "3 events of one principal".into();
    found.hits[2].events = vec!["a".into(), "b".into(), "2ce7fae2-ad7e-45a8-ac45-3466b6833bfb".into()];
    let hits = HitsOf::of(&found, assume);
    assert_eq!(
        hits.ids,
        [
            "a",
            "b",
            "2ce7fae2-ad7e-45a8-ac45-3466b6833bfb",
            "8a00ac9c-1ed6-4bf2-9716-f01578dd63aa"
        ],
        "a burst's events, then a single hit's event, each once"
    );
    assert_eq!(hits.details, ["3 events of one principal"]);
}

#[test]
fn from_a_rules_hits_the_pivots_open_the_principal_and_a_filter_narrows_the_hits() {
    let mut app = listed();
    app.update(Action::Down);
    hits_opened(&mut app);
    // `p`: the hit's principal.
    let loads = queries(&app.update(Action::Principal));
    assert!(matches!(&app.view().screen, Screen::Principal(p) if p == ROLE));
    assert!(!loads.is_empty());
    app.update(Action::Back);
    // `f` on the principal: the same hits' events asked again, with the principal pinned.
    app.update(Action::Right);
    assert_eq!(app.view().pane().column(), Some("principal"));
    let asked = queries(&app.update(Action::FilterIn));
    assert_eq!(asked.len(), 1);
    assert!(
        detections(&app.update(Action::Run)).is_empty(),
        "F5 reads the hits again, no rule runs"
    );
    assert!(asked[0].sql.contains("event_id IN ($id_0)"), "{}", asked[0].sql);
    assert!(matches!(&app.view().screen, Screen::Hits(h) if h.rule.id == TRAIL_RULE));
    assert_eq!(app.scope().pins().len(), 1);
    assert_eq!(app.scope().pins()[0].to_string(), format!("principal = {ROLE}"));
    // Another window runs the rules again over it: the list of rules, not the old hits.
    let runs = detections(&app.update(Action::ZoomOut));
    assert_eq!(runs.len(), 1);
    assert!(runs[0].1.rule.is_none());
    assert!(matches!(&app.view().screen, Screen::Detections(_)));
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
