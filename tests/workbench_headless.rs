//! The workbench without a terminal: the real App, Jobs and Session over the incident fixture,
//! driven by the keys a user presses, every query run for real, the screen read as text. Each
//! test is something a new user tripped on.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use trailscope::archive::inputs::resolve;
use trailscope::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest};
use trailscope::engine::reports::ReportLibrary;
use trailscope::engine::{Session, SessionOptions, TimeWindow};
use trailscope::tui::headless::Headless;

async fn session(dir: &std::path::Path) -> Session {
    let archive = dir.join("archive");
    let location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let fixture = common::fixture("reports").display().to_string();
    let inputs = resolve(&[fixture], &StoreOptions::default()).await.unwrap();
    ingest(&location, inputs, &IngestOptions::default(), &Quiet)
        .await
        .unwrap();
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let options = SessionOptions {
        redact: true,
        journal: None,
        facts: true,
        engine: Default::default(),
    };
    Session::open(location, options).await.unwrap()
}

/// The workbench on the fixture's three weeks, on a screen of `width` × `height`, settled.
async fn workbench(dir: &std::path::Path, width: u16, height: u16) -> Headless {
    let at = |t: &str| trailscope::sources::parse_time(t).unwrap();
    let window = TimeWindow {
        from: at("2024-05-20T00:00:00Z"),
        to: at("2024-06-11T00:00:00Z"),
        chosen: "the fixture".into(),
    };
    let reports = ReportLibrary::builtin().all().cloned().collect();
    let mut h = Headless::open(session(dir).await, window, reports, (width, height));
    h.settle().await;
    h.screen();
    h
}

async fn command(h: &mut Headless, line: &str) {
    h.type_text(":");
    h.type_text(line);
    h.press(KeyCode::Enter);
    h.settle().await;
    h.screen();
}

fn crumbs(screen: &str) -> String {
    screen.lines().nth(2).unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_screens_does_not_stack_views_for_esc_to_walk_back_through() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = workbench(dir.path(), 120, 40).await;
    for key in ['2', '3', '5', '2'] {
        h.type_text(&key.to_string());
        h.settle().await;
    }
    let screen = h.screen();
    assert_eq!(crumbs(&screen), "Timeline › Principals", "{screen}");
    h.press(KeyCode::Esc);
    let screen = h.screen();
    assert_eq!(
        crumbs(&screen),
        "Timeline",
        "one Esc goes back to where the switching began"
    );
    // Back to the screen the switching began on: no second timeline on top of the first.
    h.type_text("2");
    h.settle().await;
    h.type_text("1");
    h.settle().await;
    assert_eq!(crumbs(&h.screen()), "Timeline");
    // From a principal, its tab's key opens the list of principals.
    h.type_text("2");
    h.settle().await;
    h.screen();
    h.press(KeyCode::Enter);
    h.settle().await;
    h.type_text("2");
    h.settle().await;
    let screen = h.screen();
    assert!(crumbs(&screen).ends_with("› Principals"), "{screen}");
    assert!(screen.contains("Principals: the 1000 with the most events"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_goes_back_to_before_the_filters_and_an_empty_table_blames_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = workbench(dir.path(), 120, 40).await;
    command(&mut h, "where cloud = 'gcp'").await;
    command(&mut h, "where outcome = 'nothing-has-this'").await;
    let screen = h.screen();
    assert!(
        crumbs(&screen).contains("where cloud = 'gcp'"),
        "a filter is named: {screen}"
    );
    assert!(
        screen.contains("no events match the filters"),
        "an empty result blames the filters, not the window: {screen}"
    );
    command(&mut h, "clear").await;
    let screen = h.screen();
    assert_eq!(crumbs(&screen), "Timeline", "{screen}");
    assert!(!screen.contains(" filters "), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_f5_typing_starts_a_new_statement_and_a_screen_key_switches_screens() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = workbench(dir.path(), 120, 40).await;
    h.type_text("4");
    h.key(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL));
    h.type_text("SELECT count(*) AS n FROM events");
    h.press(KeyCode::F(5));
    h.settle().await;
    let screen = h.screen();
    assert!(screen.contains("122"), "the statement ran: {screen}");
    // The statement that ran is offered: a letter starts a new one in its place.
    h.type_text("SELECT 7 AS seven");
    h.press(KeyCode::F(5));
    h.settle().await;
    let screen = h.screen();
    assert!(
        screen.contains("seven") && !screen.contains("FROM events SELECT"),
        "{screen}"
    );
    // Offered again: `1` is a screen key, not text.
    h.type_text("1");
    h.settle().await;
    let screen = h.screen();
    assert!(crumbs(&screen).ends_with("Timeline"), "{screen}");
    assert!(screen.contains("Events per"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_report_value_brings_the_form_back_with_what_was_typed_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = workbench(dir.path(), 120, 40).await;
    h.type_text("5");
    h.type_text("/principal-activity");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    h.type_text("alice@acme.example");
    h.press(KeyCode::Tab);
    h.type_text("not-a-time");
    h.press(KeyCode::Enter);
    h.settle().await;
    let screen = h.screen();
    assert!(screen.contains("Parameters"), "the form is open again: {screen}");
    assert!(
        screen.contains("alice@acme.example") && screen.contains("not-a-time"),
        "with what was typed: {screen}"
    );
    assert!(screen.contains("since"), "and why, naming the parameter: {screen}");
    assert!(!screen.contains("--param"), "in the workbench's words: {screen}");
    // Mended and run: the refused run gives way to the new one, and Esc goes to the list.
    h.key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    h.type_text("2024-05-01");
    h.press(KeyCode::Enter);
    h.settle().await;
    let screen = h.screen();
    assert!(!screen.contains("Parameters"), "{screen}");
    h.press(KeyCode::Esc);
    let screen = h.screen();
    assert_eq!(crumbs(&screen), "Timeline › Reports", "{screen}");
    // The report again: the form remembers what was given.
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(
        screen.contains("alice@acme.example") && screen.contains("2024-05-01"),
        "{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t_centres_the_event_in_its_bucket_and_the_first_sort_of_counts_is_largest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = workbench(dir.path(), 100, 20).await;
    // The busiest bucket's last event, below the first page of the bucket's events.
    h.press(KeyCode::Down);
    h.type_text("G");
    h.settle().await;
    h.screen();
    let (row, page) = (h.app().view().pane().row, h.app().page);
    assert!(row >= page, "the bucket has more events than a page ({row} < {page})");
    h.type_text("t");
    h.settle().await;
    h.screen();
    let pane = h.app().view().pane();
    assert_eq!(pane.row, row, "the same event is selected");
    assert_eq!(pane.row - pane.top, h.app().page / 2, "in the middle of the table");
    // Principals: the first `s` on the failures sorts the most failures first.
    h.type_text("2");
    h.settle().await;
    h.screen();
    while h.app().view().pane().column() != Some("failures") {
        h.type_text("l");
    }
    h.type_text("s");
    h.settle().await;
    let screen = h.screen();
    assert!(screen.contains("sorted by failures ↓"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_on_a_small_screen_scrolls_to_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = workbench(dir.path(), 80, 24).await;
    h.type_text("?");
    let first = h.screen();
    assert!(first.contains("Keys"), "{first}");
    for _ in 0..3 {
        h.press(KeyCode::Down);
    }
    let scrolled = h.screen();
    for command in [":principal N", ":where C", ":clear", ":export FILE"] {
        assert!(
            scrolled.contains(command),
            "{command} is reached by scrolling: {scrolled}"
        );
    }
    // Scrolled as far as it goes, one key up scrolls back at once.
    for _ in 0..10 {
        h.press(KeyCode::Down);
        h.screen();
    }
    let bottom = h.screen();
    h.press(KeyCode::Up);
    assert_ne!(h.screen(), bottom, "the help scrolls back up at the first key");
    h.press(KeyCode::Char('x'));
    assert!(!h.screen().contains("Keys —"), "another key closes it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_widened_column_stays_wide_for_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = workbench(dir.path(), 120, 40).await;
    h.press(KeyCode::Down);
    h.type_text("l");
    assert_eq!(h.app().view().pane().column(), Some("principal"));
    h.screen();
    let width = |h: &Headless| h.app().drawn_widths.iter().find(|(c, _)| c == "principal").unwrap().1;
    let before = width(&h);
    // Three presses before a redraw add up (a held key).
    h.type_text("{{{");
    let narrowed = h.app().widths.values().copied().next().unwrap();
    assert_eq!(narrowed, before - 12);
    // The next bucket is another view of the same screen: the width holds.
    h.press(KeyCode::Right);
    h.settle().await;
    h.screen();
    assert_eq!(width(&h), narrowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_scrolled_sideways_stays_put_while_its_cursor_is_in_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = workbench(dir.path(), 80, 24).await;
    h.press(KeyCode::Down);
    let header = |screen: &str| {
        let line = screen
            .lines()
            .find(|l| {
                l.contains("│event_time")
                    || l.contains("│principal")
                    || l.contains("│action")
                    || l.contains("│resource")
                    || l.contains("│outcome")
                    || l.contains("│error_code")
                    || l.contains("│source_ip")
                    || l.contains("│cloud")
                    || l.contains("│tenant")
                    || l.contains("│event_id")
            })
            .unwrap()
            .to_string();
        line.trim_start_matches('│')
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    for _ in 0..7 {
        h.type_text("l");
        h.screen();
    }
    let scrolled = h.screen();
    let first = header(&scrolled);
    assert_ne!(first, "event_time", "scrolled sideways: {scrolled}");
    // One column back, still in view: the same columns stay on screen.
    h.type_text("h");
    assert_eq!(header(&h.screen()), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_timeline_any_key_up_from_the_first_event_goes_back_to_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = workbench(dir.path(), 100, 30).await;
    for key in [KeyCode::Up, KeyCode::PageUp, KeyCode::Home] {
        h.press(KeyCode::Down);
        assert_eq!(h.app().view().focus, 1, "down from the chart goes into the events");
        h.press(key);
        assert_eq!(
            h.app().view().focus,
            0,
            "{key:?} from the first event goes to the chart"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detections_list_the_incidents_rules_and_a_rules_hits_open_their_events_and_pivots() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = workbench(dir.path(), 140, 40).await;
    h.type_text("6");
    h.settle().await;
    let screen = h.screen();
    assert_eq!(crumbs(&screen), "Timeline › Detections", "{screen}");
    assert!(screen.contains("rules ran:"), "{screen}");
    assert!(
        screen.contains("not run: `trailscope detect --list` says why"),
        "{screen}"
    );
    let list: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("│high") || l.starts_with("│medium") || l.starts_with("│low"))
        .collect();
    let first_medium = list.iter().position(|l| l.starts_with("│medium")).unwrap();
    assert!(
        list[..first_medium].iter().all(|l| l.starts_with("│high")) && list.last().unwrap().starts_with("│low"),
        "the most severe first: {screen}"
    );
    // The trail stopped by the intruder's role: its rule, then its hit, then its event.
    h.type_text("/Important Change");
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(
        screen.contains("Detects disabling, deleting and updating of a Trail"),
        "{screen}"
    );
    assert!(
        screen.contains("4db60cc0-36fb-42b7-9b58-a5b53019fb74"),
        "the rule's id: {screen}"
    );
    h.press(KeyCode::Enter);
    h.settle().await;
    let screen = h.screen();
    assert!(
        crumbs(&screen).ends_with("hits of AWS CloudTrail Important Change"),
        "{screen}"
    );
    let hit = screen
        .lines()
        .find(|l| l.contains("StopLogging"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(hit.contains("2024-06-10T11:00:00Z"), "{hit}");
    h.press(KeyCode::Enter);
    h.settle().await;
    let screen = h.screen();
    assert!(
        screen.contains(r#""eventName": "StopLogging""#),
        "the event's record: {screen}"
    );
    h.press(KeyCode::Esc);
    // Its principal, as from any event.
    h.type_text("p");
    h.settle().await;
    let screen = h.screen();
    assert!(
        crumbs(&screen).contains("› principal")
            && screen.contains("arn:aws:sts::444455556666:assumed-role/CrossAccountAdmin/ci-deployer per"),
        "the hit's principal opens: {screen}"
    );
    h.press(KeyCode::Esc);
    // The hits are a table of events: `c` on the action counts the hits' actions.
    h.type_text("ll");
    assert_eq!(h.app().view().pane().column(), Some("action"));
    h.type_text("c");
    h.settle().await;
    let screen = h.screen();
    assert!(
        screen.contains("Values of action in Hits of AWS CloudTrail Important Change"),
        "{screen}"
    );
    let counted = screen
        .lines()
        .find(|l| l.contains("StopLogging"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(counted.contains(" 1 "), "the one hit: {counted}");
    h.press(KeyCode::Esc);
    // Its principal left out: no hit is left.
    h.type_text("h");
    assert_eq!(h.app().view().pane().column(), Some("principal"));
    h.type_text("F");
    h.settle().await;
    let screen = h.screen();
    assert!(screen.contains("principal ≠ arn:aws:sts::444455556666"), "{screen}");
    assert!(
        screen.contains("none of the rule's hits is in this window under these filters"),
        "{screen}"
    );
    // Esc removes the filter, then goes back to the rules.
    h.press(KeyCode::Esc);
    h.press(KeyCode::Esc);
    let screen = h.screen();
    assert_eq!(crumbs(&screen), "Timeline › Detections", "{screen}");
    h.stop().await;
}
