use std::time::Duration;

use super::*;
use crate::engine::Subject;

pub(crate) fn app() -> App {
    App::new(
        "test".into(),
        TimeWindow {
            from: 0,
            to: 120 * 60_000_000,
            chosen: String::new(),
        },
        Some(120 * 60_000_000 - 1),
        Editor::new(vec![], None),
        crate::engine::reports::ReportLibrary::builtin()
            .all()
            .cloned()
            .collect(),
    )
}

fn rows_for(app: &mut App, feed: u64, columns: &[&str], rows: &[&[&str]]) -> Vec<Effect> {
    app.receive(Message::Rows {
        feed,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        skip: 0,
        rows: rows
            .iter()
            .map(|r| r.iter().map(|c| crate::tui::cell(c)).collect())
            .collect(),
        complete: true,
        elapsed: Duration::ZERO,
        query: None,
        read: None,
    })
}

fn started(effects: &[Effect]) -> Vec<(u64, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Start {
                feed,
                request: Request::Query(q),
                ..
            } => Some((*feed, q.sql.clone())),
            _ => None,
        })
        .collect()
}

const EVENT_COLUMNS: &[&str] = &["event_time", "principal", "action", "resource", "source_ip", "event_id"];

/// The timeline loaded with three buckets and the busiest one's events.
pub(crate) fn loaded() -> App {
    let mut app = app();
    let feeds = started(&app.load());
    let next = rows_for(
        &mut app,
        feeds[0].0,
        &["bucket", "events", "successes", "failures"],
        &[
            &["1970-01-01T00:00:00Z", "2", "2", "0"],
            &["1970-01-01T00:01:00Z", "9", "3", "6"],
            &["1970-01-01T00:02:00Z", "1", "1", "0"],
        ],
    );
    let events = started(&next);
    assert!(
        events[0].1.contains("$bucket_start"),
        "the busiest bucket's events are asked for"
    );
    rows_for(
        &mut app,
        events[0].0,
        EVENT_COLUMNS,
        &[&[
            "1970-01-01T00:01:10Z",
            "arn:aws:iam::111122223333:user/ci",
            "CreateFunction",
            "arn:aws:lambda:eu-west-1:111122223333:function:invoice-sync",
            "203.0.113.66",
            "ev-1",
        ]],
    );
    app
}

#[test]
fn the_timeline_opens_on_its_busiest_bucket_and_arrows_move_between_buckets() {
    let mut app = loaded();
    assert_eq!(app.view().panes[0].row, 1);
    assert_eq!(app.view().panes[1].rows.len(), 1);
    let moved = app.update(Action::Right);
    assert_eq!(app.view().panes[0].row, 2);
    assert_eq!(started(&moved).len(), 1, "the new bucket's events are asked for");
    assert!(
        app.update(Action::Right).is_empty(),
        "the cursor stops at the last bucket"
    );
}

#[test]
fn rows_that_arrive_for_a_superseded_request_are_dropped() {
    let mut app = loaded();
    let old = app.view().panes[1].feed;
    let new = started(&app.update(Action::Right))[0].0;
    assert_ne!(old, new);
    assert!(
        !app.live_feeds().contains(&old),
        "the old feed is let go (its query stops)"
    );
    rows_for(
        &mut app,
        old,
        EVENT_COLUMNS,
        &[&["1970-01-01T00:01:59Z", "late", "", "", "", "ev-old"]],
    );
    assert!(
        app.view().panes[1].rows.is_empty(),
        "late rows of the old bucket are not shown"
    );
    rows_for(
        &mut app,
        new,
        EVENT_COLUMNS,
        &[&["1970-01-01T00:02:01Z", "p", "a", "", "", "ev-new"]],
    );
    assert_eq!(app.view().panes[1].text("event_id").as_deref(), Some("ev-new"));
}

#[test]
fn enter_narrows_to_the_bucket_esc_comes_back_and_zoom_keeps_the_centre() {
    let mut app = loaded();
    let before = app.scope().window.clone();
    let loads = started(&app.update(Action::Open));
    assert_eq!(app.scope().window.from, 60_000_000);
    assert_eq!(app.scope().window.span(), before.bucket().micros);
    assert_eq!(loads.len(), 1);
    assert_eq!(app.stack.len(), 2);
    app.update(Action::Back);
    assert_eq!(app.scope().window, before);
    app.update(Action::ZoomIn);
    assert_eq!(app.scope().window.span(), before.span() / 2);
    let centre = 60_000_000 + before.bucket().micros / 2;
    assert_eq!(app.scope().window.from + app.scope().window.span() / 2, centre);
    assert_eq!(app.stack.len(), 1, "a zoom changes the view, it is not a pivot");
}

#[test]
fn pivots_go_from_an_event_to_its_principal_and_resource_and_back() {
    let mut app = loaded();
    app.update(Action::Down);
    assert_eq!(app.view().focus, 1, "down from the chart goes into the events");
    let opened = started(&app.update(Action::Open));
    assert!(matches!(&app.view().screen, Screen::Event(r) if r.id == "ev-1"));
    assert!(opened[0].1.contains("event_id = $event_id"));
    rows_for(
        &mut app,
        opened[0].0,
        &["event_id", "principal", "resource", "raw"],
        &[&[
            "ev-1",
            "arn:aws:iam::111122223333:user/ci",
            "fn",
            r#"{"eventName":"CreateFunction","requestParameters":{"functionName":"fn"}}"#,
        ]],
    );
    let record = |app: &App| match &app.view().screen {
        Screen::Event(r) => r.clone(),
        _ => panic!("not an event"),
    };
    assert_eq!(record(&app).lines.len(), 6, "{:?}", record(&app).lines);
    app.update(Action::Down);
    app.update(Action::Down);
    app.update(Action::Down);
    assert_eq!(
        record(&app).lines[record(&app).row].path,
        "requestParameters.functionName"
    );
    app.update(Action::Principal);
    assert!(matches!(&app.view().screen, Screen::Principal(p) if p == "arn:aws:iam::111122223333:user/ci"));
    app.update(Action::Back);
    app.update(Action::Resource);
    assert!(matches!(&app.view().screen, Screen::Resource(r) if r == "fn"));
    app.update(Action::Back);
    app.update(Action::Back);
    assert!(matches!(app.view().screen, Screen::Timeline(_)));
    assert_eq!(app.stack.len(), 1);
}

#[test]
fn filters_are_one_context_every_screen_inherits_and_esc_removes() {
    let mut app = loaded();
    app.update(Action::Down);
    app.update(Action::ColRight);
    assert_eq!(app.view().pane().column(), Some("principal"));
    let effects = started(&app.update(Action::FilterOut));
    assert!(
        effects[0].1.contains("principal IS NULL OR principal <> $pin_0"),
        "{}",
        effects[0].1
    );
    assert_eq!(app.scope().pins().len(), 1);
    let effects = started(&app.update(Action::Screen(2)));
    assert!(
        effects[0].1.contains("$pin_0"),
        "the resources screen inherits the filter"
    );
    app.update(Action::Back);
    app.update(Action::Back);
    assert!(app.scope().pins().is_empty());
    // A computed column is no filter.
    app.update(Action::Screen(1));
    let feed = app.view().pane().feed;
    rows_for(&mut app, feed, &["principal", "events"], &[&["a", "3"]]);
    app.update(Action::ColRight);
    app.update(Action::FilterIn);
    assert!(
        app.message.as_ref().unwrap().0.contains("computed"),
        "{:?}",
        app.message
    );
}

#[test]
fn a_frequency_table_counts_the_column_and_enter_filters_to_a_value() {
    let mut app = loaded();
    app.update(Action::Down);
    app.update(Action::ColRight);
    app.update(Action::ColRight);
    let effects = started(&app.update(Action::Frequency));
    assert!(matches!(&app.view().screen, Screen::Frequency(c) if c.column == "action"));
    assert!(effects[0].1.contains("GROUP BY \"action\""), "{}", effects[0].1);
    assert!(
        effects[0].1.contains("min(event_time) AS first_seen"),
        "the events have a time: each value's first and last are given"
    );
    assert!(
        effects[0].1.contains("$bucket_start"),
        "the values of the table, not of the window"
    );
    rows_for(
        &mut app,
        effects[0].0,
        &["action", "events"],
        &[&["CreateFunction", "9"]],
    );
    app.update(Action::Open);
    assert!(matches!(app.view().screen, Screen::Timeline(_)));
    assert_eq!(app.scope().pins()[0].to_string(), "action = CreateFunction");
    app.update(Action::Back);
    assert!(app.scope().pins().is_empty(), "Esc takes the filter off");
}

#[test]
fn a_frequency_table_of_a_result_without_event_time_gives_no_first_and_last_seen() {
    let mut app = loaded();
    let feeds = started(&app.update(Action::Screen(1)));
    assert!(
        feeds[0].1.contains("min(event_time)"),
        "the principals' own query reads event_time"
    );
    rows_for(
        &mut app,
        feeds[0].0,
        &["principal", "events", "first_seen", "last_seen", "failures"],
        &[&["alice", "3", "1970-01-01T00:00:00Z", "1970-01-01T00:02:00Z", "0"]],
    );
    let effects = started(&app.update(Action::Frequency));
    assert!(effects[0].1.contains("GROUP BY \"principal\""), "{}", effects[0].1);
    let outer = effects[0].1.split("FROM (").next().unwrap();
    assert!(
        !outer.contains("event_time"),
        "the result has no event_time: {}",
        effects[0].1
    );
}

#[test]
fn sorting_runs_the_query_again_ordered_and_export_asks_for_a_file() {
    let mut app = loaded();
    app.update(Action::Down);
    let effects = started(&app.update(Action::Sort));
    assert!(
        effects[0].1.ends_with("ORDER BY \"event_time\" ASC NULLS LAST"),
        "{}",
        effects[0].1
    );
    let effects = started(&app.update(Action::Sort));
    assert!(effects[0].1.ends_with("DESC NULLS LAST"), "again reverses");
    app.update(Action::Export);
    let prompt = app.prompt.clone().unwrap();
    assert!(prompt.input.text.starts_with("trailscope-timeline-") && prompt.input.text.ends_with(".csv"));
}

/// The window an export from the current pane records, through the export prompt.
fn exported_window(app: &mut App) -> Option<TimeWindow> {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    app.update(Action::Export);
    let effects = app.type_line(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    match effects.into_iter().next() {
        Some(Effect::Export { window, .. }) => window,
        other => panic!("an export: {other:?}"),
    }
}

#[test]
fn an_export_records_the_window_only_when_its_query_is_bound_to_it() {
    let mut app = loaded();
    app.update(Action::Down);
    assert_eq!(exported_window(&mut app), Some(app.scope().window.clone()));
    app.update(Action::Screen(3));
    let ran = started(&app.update(Action::Run));
    app.editing = false;
    rows_for(&mut app, ran[0].0, &["outcome", "n"], &[&["success", "9"]]);
    assert_eq!(exported_window(&mut app), None, "typed SQL chooses its own rows");
}

#[test]
fn commands_open_views_and_change_the_window() {
    let mut app = loaded();
    app.command("principal ci");
    assert!(matches!(&app.view().screen, Screen::Matches(Subject::Principal, n) if n == "ci"));
    let feed = app.view().pane().feed;
    let effects = rows_for(
        &mut app,
        feed,
        &["candidate", "events"],
        &[&["arn:aws:iam::1:user/ci", "4"]],
    );
    assert!(
        matches!(&app.view().screen, Screen::Principal(p) if p == "arn:aws:iam::1:user/ci"),
        "one match opens"
    );
    assert_eq!(started(&effects).len(), 5);
    app.command("from 1970-01-01T00:30:00Z");
    assert_eq!(app.scope().window.from, 30 * 60_000_000);
    assert_eq!(app.scope().window.to, 120 * 60_000_000);
    app.command("last 10m");
    assert_eq!(app.scope().window.span(), 10 * 60_000_000);
    app.command("nonsense");
    assert!(app.message.as_ref().unwrap().1);
    app.command("where outcome = 'failure'");
    assert_eq!(app.scope().filter(), Some("outcome = 'failure'"));
    // A condition naming no column is refused, and the filter stays as it was.
    let effects = app.command("where nosuchcol = 1");
    assert!(started(&effects).is_empty());
    let (said, problem) = app.message.clone().unwrap();
    assert!(problem && said.contains("names nosuchcol"), "{said}");
    assert_eq!(app.scope().filter(), Some("outcome = 'failure'"));
}

#[test]
fn an_access_key_typed_as_a_principal_shows_its_events_and_zoom_stops_at_the_newest_event() {
    let mut app = loaded();
    let effects = started(&app.command("principal AKIA2CIDEPLOYER7QX4M"));
    assert!(matches!(app.view().screen, Screen::Timeline(_)));
    assert_eq!(
        app.scope().pins()[0].to_string(),
        "access_key_id = AKIA2CIDEPLOYER7QX4M"
    );
    assert!(effects[0].1.contains("access_key_id = $pin_0"));
    // The window never runs past the archive's newest event when zooming out.
    app.update(Action::ZoomOut);
    let end = crate::engine::window::anchor(app.archive_end);
    assert_eq!(app.scope().window.to, end);
    assert_eq!(app.scope().window.span(), 240 * 60_000_000);
}

#[test]
fn enter_on_a_line_of_a_record_shows_its_whole_value() {
    let mut app = loaded();
    app.update(Action::Down);
    let opened = started(&app.update(Action::Open));
    let long = "x".repeat(500);
    let raw = format!(r#"{{"errorMessage":"{long} \"quoted\""}}"#);
    rows_for(&mut app, opened[0].0, &["event_id", "raw"], &[&["ev-1", &raw]]);
    app.update(Action::Down);
    app.update(Action::Open);
    let (path, value) = app.value.clone().unwrap();
    assert_eq!(path, "errorMessage");
    assert_eq!(value, format!("{long} \"quoted\""), "the string's text, unescaped");
    assert!(app.update(Action::Down).is_empty());
    assert!(app.value.is_none(), "any key closes it");
}

#[test]
fn enter_on_a_cell_that_opens_nothing_shows_it_whole() {
    let mut app = loaded();
    app.update(Action::Screen(3));
    let ran = started(&app.update(Action::Run));
    assert_eq!(ran.len(), 1, "the offered statement runs");
    app.editing = false;
    let plan = format!("ProjectionExec: {}   DataSourceExec", "x".repeat(300));
    rows_for(&mut app, ran[0].0, &["plan_type", "plan"], &[&["physical_plan", &plan]]);
    app.update(Action::ColRight);
    app.update(Action::Open);
    assert_eq!(app.value, Some(("plan".to_string(), plan)));
}

#[test]
fn the_reports_screen_lists_reports_and_a_form_runs_one() {
    let mut app = app();
    app.update(Action::Screen(4));
    assert!(app.view().pane().known_rows() >= 20);
    let with_params = app.reports.iter().position(|r| !r.params.is_empty()).unwrap();
    app.view_mut().pane_mut().go_to(with_params);
    app.update(Action::Open);
    assert!(app.form.is_some());
    let effects = app.fill(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::F(5),
        crossterm::event::KeyModifiers::NONE,
    ));
    assert!(matches!(
        effects[0],
        Effect::Start {
            request: Request::Report(..),
            ..
        }
    ));
    assert!(matches!(app.view().screen, Screen::Report(_)));
}

#[test]
fn a_form_with_a_required_value_left_empty_stays_open_and_says_which() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
    let mut app = app();
    app.update(Action::Screen(4));
    let at = app.reports.iter().position(|r| r.name == "principal-activity").unwrap();
    app.view_mut().pane_mut().go_to(at);
    app.update(Action::Open);
    assert!(app.fill(key(KeyCode::F(5))).is_empty(), "nothing runs");
    assert!(app.form.is_some(), "the form stays open");
    let message = &app.message.as_ref().unwrap().0;
    assert!(message.starts_with("principal needs a value"), "{message}");
    assert!(!message.contains("--param"), "{message}");
    for c in "alice".chars() {
        app.fill(key(KeyCode::Char(c)));
    }
    let effects = app.fill(key(KeyCode::F(5)));
    assert!(matches!(
        &effects[0],
        Effect::Start {
            request: Request::Report(_, given),
            ..
        } if given == &[("principal".to_string(), "alice".to_string())]
    ));
}
