use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::table::fit_line;
use super::*;
use crate::engine::TimeWindow;
use crate::engine::{Pruning, Value};
use crate::tui::app::Effect;
use crate::tui::editor::Editor;
use crate::tui::jobs::{Message, Read, Request};
use crate::tui::keys::{self, Action};

const HOUR: i64 = 3_600_000_000;
const PRINCIPAL: &str = "arn:aws:iam::356789012345:user/ci-deployer";
const FUNCTION: &str = "arn:aws:lambda:eu-west-1:356789012345:function:invoice-sync";

fn app() -> App {
    let window = TimeWindow {
        from: 0,
        to: 4 * HOUR,
        chosen: String::new(),
    };
    let editor = Editor::new(vec!["json_get_str".into(), "json_get_int".into()], None);
    let reports = crate::engine::reports::ReportLibrary::builtin()
        .all()
        .cloned()
        .collect();
    App::new("/archives/incident".into(), window, Some(4 * HOUR - 1), editor, reports)
}

/// Answers every query the effects started, with rows chosen by what the query asks.
fn answer(app: &mut App, effects: Vec<Effect>) {
    let mut queue = effects;
    while let Some(effect) = queue.pop() {
        let Effect::Start { feed, request, .. } = effect else {
            continue;
        };
        if let Request::Detect(_) = request {
            let found = std::sync::Arc::new(crate::tui::rules::incident());
            let read = Some(Read {
                pruning: Some(Pruning {
                    files: 37,
                    files_read: 36,
                    days: 1,
                    days_listed: 1,
                    ..Pruning::default()
                }),
                ..Read::default()
            });
            let elapsed = Duration::from_millis(2_750);
            queue.extend(app.receive(Message::Detected {
                feed,
                found,
                elapsed,
                read,
            }));
            continue;
        }
        let (columns, rows): (Vec<&str>, Vec<Vec<Value>>) = match &request {
            Request::Query(q) if q.sql.contains(") AS bucket,") => (
                vec!["bucket", "events", "successes", "failures"],
                vec![
                    row(&["1970-01-01T00:00:00Z", "40", "40", "0"]),
                    row(&["1970-01-01T01:00:00Z", "80", "20", "60"]),
                    row(&["1970-01-01T02:00:00Z", "10", "10", "0"]),
                ],
            ),
            Request::Query(q) if q.sql.starts_with("SELECT * FROM (") => (
                vec!["principal", "events", "first_seen", "last_seen", "failures"],
                vec![
                    row(&[
                        "alice@acme.example",
                        "50",
                        "1970-01-01T00:00:00Z",
                        "1970-01-01T03:00:00Z",
                        "0",
                    ]),
                    row(&[PRINCIPAL, "80", "1970-01-01T00:10:00Z", "1970-01-01T02:50:00Z", "60"]),
                ],
            ),
            Request::Query(q) if q.sql.starts_with("SELECT *") => (
                vec!["event_time", "event_id", "principal", "resource", "source_ip", "raw"],
                vec![row(&[
                    "1970-01-01T01:02:03Z",
                    "ev-1",
                    PRINCIPAL,
                    FUNCTION,
                    "203.0.113.66",
                    r#"{"eventName":"CreateFunction20150331","requestParameters":{"functionName":"invoice-sync","environment":{"variables":{"DB_PASSWORD":"********"}}},"sourceIPAddress":"203.0.113.66","readOnly":false}"#,
                ])],
            ),
            Request::Query(q) if q.sql.contains("AS candidate") => {
                (vec!["candidate", "events"], vec![row(&[PRINCIPAL, "80"])])
            }
            Request::Query(q) if q.title.starts_with("Principals") => (
                vec!["principal", "events", "first_seen", "last_seen", "failures"],
                vec![
                    row(&[PRINCIPAL, "80", "1970-01-01T00:10:00Z", "1970-01-01T02:50:00Z", "60"]),
                    row(&[
                        "alice@acme.example",
                        "50",
                        "1970-01-01T00:00:00Z",
                        "1970-01-01T03:00:00Z",
                        "0",
                    ]),
                ],
            ),
            Request::Query(q) if q.title.starts_with("Values of") => (
                vec!["action", "rows", "first_seen", "last_seen"],
                vec![
                    row(&["ListUsers", "60", "1970-01-01T01:00:00Z", "1970-01-01T01:59:00Z"]),
                    row(&[
                        "CreateFunction20150331",
                        "1",
                        "1970-01-01T01:02:03Z",
                        "1970-01-01T01:02:03Z",
                    ]),
                ],
            ),
            // A rule's hits: the events with the ids its run found.
            Request::Query(q) if q.title.starts_with("Hits of") => (
                vec![
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
                ],
                vec![row(&[
                    "2026-10-30T22:58:36Z",
                    "arn:aws:sts::210987654321:assumed-role/DeployAdmin/ci-deployer-8841",
                    "StopLogging",
                    "arn:aws:cloudtrail:us-east-1:210987654321:trail/org-trail",
                    "success",
                    "",
                    "203.0.113.66",
                    "aws",
                    "210987654321",
                    "60ef23ef-ed40-4e59-b716-30ac94c5f362",
                ])],
            ),
            _ => (
                vec![
                    "event_time",
                    "principal",
                    "action",
                    "resource",
                    "outcome",
                    "source_ip",
                    "event_id",
                ],
                vec![
                    row(&[
                        "1970-01-01T01:02:03Z",
                        PRINCIPAL,
                        "CreateFunction20150331",
                        FUNCTION,
                        "success",
                        "203.0.113.66",
                        "ev-1",
                    ]),
                    row(&[
                        "1970-01-01T01:05:00Z",
                        PRINCIPAL,
                        "ListUsers",
                        "",
                        "failure",
                        "203.0.113.66",
                        "ev-2",
                    ]),
                ],
            ),
        };
        let more = app.receive(Message::Rows {
            feed,
            columns: columns.into_iter().map(String::from).collect(),
            skip: 0,
            rows,
            complete: true,
            elapsed: Duration::from_millis(120),
            query: None,
            read: Some(Read {
                pruning: Some(Pruning {
                    files: 3,
                    files_read: 1,
                    days: 1,
                    days_listed: 1,
                    ..Pruning::default()
                }),
                ..Read::default()
            }),
        });
        queue.extend(more);
    }
}

fn row(cells: &[&str]) -> Vec<Value> {
    cells.iter().map(|c| crate::tui::cell(c)).collect()
}

fn act(app: &mut App, action: Action) {
    let effects = app.update(action);
    answer(app, effects);
}

fn screen(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| drop(draw(f, app, &[]))).unwrap();
    terminal
}

/// The first line of the screen at `width` columns that holds `text`.
fn line_with(app: &App, width: u16, text: &str) -> String {
    let terminal = screen(app, width, 24);
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect::<String>())
        .find(|line| line.contains(text))
        .unwrap_or_else(|| panic!("no line holds {text}"))
}

fn opened() -> App {
    let mut app = app();
    let effects = app.load();
    answer(&mut app, effects);
    app
}

#[test]
fn timeline() {
    let app = opened();
    let terminal = screen(&app, 80, 24);
    insta::assert_snapshot!(terminal.backend());
    // Failures are drawn in red, the selected bucket reversed.
    let buffer = terminal.backend().buffer();
    let red = buffer.content().iter().filter(|c| c.fg == Color::Red).count();
    assert!(red > 0, "the failed bucket shows red");
}

#[test]
fn event_record_and_its_path() {
    let mut app = opened();
    act(&mut app, Action::Down);
    act(&mut app, Action::Open);
    for _ in 0..4 {
        act(&mut app, Action::Down);
    }
    insta::assert_snapshot!(screen(&app, 80, 24).backend());
}

#[test]
fn principal_after_a_pivot_with_a_filter() {
    let mut app = opened();
    act(&mut app, Action::Down);
    act(&mut app, Action::ColRight);
    act(&mut app, Action::ColRight);
    act(&mut app, Action::FilterOut);
    act(&mut app, Action::Principal);
    insta::assert_snapshot!(screen(&app, 80, 24).backend());
}

#[test]
fn a_principals_sections_take_short_names_when_the_whole_names_do_not_fit() {
    let mut app = opened();
    act(&mut app, Action::Down);
    act(&mut app, Action::Principal);
    let tabs = |width| line_with(&app, width, "Events");
    let wide = tabs(100);
    assert!(wide.contains("Source IPs and user agents"), "{wide}");
    let narrow = tabs(64);
    assert!(
        narrow.contains("Resources ") && narrow.contains("IPs, agents") && narrow.contains("Failures"),
        "every section is named whole: {narrow}"
    );
}

#[test]
fn resource_with_its_changes() {
    let mut app = opened();
    act(&mut app, Action::Down);
    act(&mut app, Action::Resource);
    insta::assert_snapshot!(screen(&app, 80, 24).backend());
}

#[test]
fn principals_table_sorted() {
    let mut app = opened();
    act(&mut app, Action::Screen(1));
    act(&mut app, Action::ColRight);
    act(&mut app, Action::Sort);
    insta::assert_snapshot!(screen(&app, 80, 24).backend());
}

#[test]
fn on_a_narrow_screen_the_status_keeps_the_pruning_counts_and_drops_the_reasons() {
    let mut app = opened();
    let focus = app.view().focus;
    app.view_mut().panes[focus].read = Some(Read {
        pruning: Some(Pruning {
            files: 71,
            files_read: 3,
            days: 30,
            days_listed: 2,
            files_ruled_out: 30,
            files_unindexed: 2,
            row_groups: Some(11),
            row_groups_pruned_statistics: 7,
            ..Pruning::default()
        }),
        ..Read::default()
    });
    let status = |width| line_with(&app, width, "read 3 of 71");
    let narrow = status(80);
    assert!(
        narrow.contains("read 3 of 71 files in 2 of 30 days, 4 of 11 row groups") && !narrow.contains('('),
        "{narrow}"
    );
    let wide = status(200);
    assert!(wide.contains("(file index ruled out 30;"), "{wide}");
}

#[test]
fn a_status_too_long_for_the_screen_ends_in_an_ellipsis() {
    let line = Line::from(vec![
        Span::styled("row 1 of 9", BOLD),
        Span::raw(" · read 6 of 296 files"),
    ]);
    let cut = fit_line(line.clone(), 16);
    assert_eq!(cut.to_string(), "row 1 of 9 · re…");
    assert_eq!(cut.spans[0].style, BOLD);
    assert_eq!(fit_line(line, 80).to_string(), "row 1 of 9 · read 6 of 296 files");
}

#[test]
fn a_running_query_says_what_runs_for_how_long_and_how_many_rows_it_read() {
    let app = opened();
    let running = [Running {
        what: "Principals (the 1000 with the most events)".into(),
        elapsed: Duration::from_millis(2500),
        rows: Some(1_234_567),
    }];
    let mut terminal = Terminal::new(TestBackend::new(100, 24)).unwrap();
    terminal.draw(|f| drop(draw(f, &app, &running))).unwrap();
    let text = terminal.backend().to_string();
    assert!(
        text.contains("⟳ Principals (the 1000 with the most events) · 2.5 s · 1,234,567 rows read · Esc cancels"),
        "{text}"
    );
}

#[test]
fn a_name_that_means_several_principals_lists_them() {
    let mut app = opened();
    let effects = app.command("principal ci");
    let Some(Effect::Start { feed, .. }) = effects.into_iter().next() else {
        panic!("a query starts")
    };
    app.receive(Message::Rows {
        feed,
        columns: vec!["candidate".into(), "events".into()],
        skip: 0,
        rows: vec![row(&[PRINCIPAL, "80"]), row(&["ci-bot@acme.example", "3"])],
        complete: true,
        elapsed: Duration::from_millis(40),
        query: None,
        read: None,
    });
    assert!(matches!(
        &app.view().screen,
        crate::tui::screens::Screen::Matches(crate::engine::Subject::Principal, n) if n == "ci"
    ));
    insta::assert_snapshot!(screen(&app, 80, 12).backend());
}

#[test]
fn a_click_on_a_row_selects_it() {
    let mut app = opened();
    act(&mut app, Action::Screen(1));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut hits = Hits::default();
    terminal.draw(|f| hits = draw(f, &app, &[])).unwrap();
    let click = |column, row| crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // Title, tabs, breadcrumb, the table's border and header: the second row is on line 6.
    app.mouse(click(5, 6), &hits);
    assert_eq!(app.view().pane().row, 1);
    assert_eq!(
        app.view().pane().text("principal").as_deref(),
        Some("alice@acme.example")
    );
    app.mouse(click(5, 2), &hits);
    assert_eq!(app.view().pane().row, 1, "a click outside the rows changes nothing");
}

#[test]
fn frequency_table() {
    let mut app = opened();
    act(&mut app, Action::Down);
    act(&mut app, Action::ColRight);
    act(&mut app, Action::ColRight);
    act(&mut app, Action::Frequency);
    insta::assert_snapshot!(screen(&app, 80, 24).backend());
}

#[test]
fn sql_editor_with_completion() {
    let mut app = opened();
    act(&mut app, Action::Screen(3));
    app.editor.set_text("SELECT json_g");
    let effects = app.key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    assert!(effects.is_empty());
    let terminal = screen(&app, 80, 24);
    insta::assert_snapshot!(terminal.backend());
    let text = terminal.backend().to_string();
    assert!(text.contains("json_get_int") && text.contains("json_get_str"));
}

#[test]
fn reports_and_the_form_of_one() {
    let mut app = opened();
    act(&mut app, Action::Screen(4));
    insta::assert_snapshot!("reports", screen(&app, 80, 24).backend());
    act(&mut app, Action::Down);
    act(&mut app, Action::Open);
    assert!(app.form.is_some());
    insta::assert_snapshot!("report_form", screen(&app, 80, 24).backend());
}

#[test]
fn detections_with_hits_and_the_hits_of_one() {
    let mut app = opened();
    act(&mut app, Action::Screen(5));
    act(&mut app, Action::Down);
    let terminal = screen(&app, 100, 24);
    insta::assert_snapshot!("detections_with_hits", terminal.backend());
    let text = terminal.backend().to_string();
    assert!(
        text.contains("7 not run: `trailscope detect --list` says why"),
        "the rules that did not run are counted, and where to learn why: {text}"
    );
    let narrow = screen(&app, 80, 24).backend().to_string();
    assert!(narrow.contains("7 not run (detect --list)"), "said shorter: {narrow}");
    act(&mut app, Action::Open);
    insta::assert_snapshot!("detection_hits", screen(&app, 100, 24).backend());
}

#[test]
fn export_prompt() {
    let mut app = opened();
    act(&mut app, Action::Down);
    act(&mut app, Action::Export);
    let text = screen(&app, 100, 24).backend().to_string();
    assert!(text.contains("export to (.csv/.jsonl/.parquet)"), "{text}");
    assert!(text.contains("is written in /"), "the folder is named: {text}");
    assert!(text.contains("trailscope-timeline-"), "{text}");
}

#[test]
fn help_lists_every_key_of_the_key_table() {
    let mut app = opened();
    act(&mut app, Action::Help);
    let terminal = screen(&app, 80, 24);
    insta::assert_snapshot!(terminal.backend());
    let text = terminal.backend().to_string();
    assert!(text.contains("1–6") && text.contains("screens"));
    for b in keys::bindings()
        .iter()
        .filter(|b| !matches!(b.action, Action::Screen(_)))
    {
        assert!(text.contains(&b.label), "'{}' is in the help at 80×24", b.label);
    }
    for help in [
        "filter: SQL condition",
        "copy value (OSC 52)",
        "suspend (fg resumes)",
        "zoom the window in",
    ] {
        assert!(text.contains(help), "'{help}' is whole in the help at 80×24");
    }
}

#[test]
fn local_time_keeps_the_fraction_of_a_second() {
    let at = 1_716_000_001_174_266;
    let local = super::table::time_text(at, true);
    assert!(
        local.contains(":01.174266+") || local.contains(":01.174266-"),
        "{local}"
    );
    assert!(!super::table::time_text(1_716_000_001_000_000, true).contains('.'));
}

#[test]
fn local_time_writes_the_offset() {
    let mut app = opened();
    act(&mut app, Action::LocalTime);
    let text = screen(&app, 100, 24).backend().to_string();
    let offset = chrono::DateTime::from_timestamp(0, 0)
        .unwrap()
        .with_timezone(&chrono::Local)
        .format("%:z")
        .to_string();
    assert!(
        text.contains(&format!("T00:00:00{offset}")) || text.contains(&offset),
        "{text}"
    );
    assert!(!text.contains("1970-01-01T00:00:00Z"), "no UTC time is left: {text}");
}

#[test]
fn a_histogram_fills_the_width_its_axis_labels() {
    use crate::tui::pane::Pane;
    // 85 two-minute buckets on 118 columns: a bucket a column would stop the chart at two thirds.
    let window = TimeWindow {
        from: 0,
        to: 170 * 60_000_000,
        chosen: String::new(),
    };
    assert_eq!(window.bucket().micros, 120_000_000);
    let mut pane = Pane::new("timeline");
    let columns = ["bucket", "events", "successes", "failures"].map(String::from).to_vec();
    pane.take(
        columns,
        0,
        vec![
            row(&["1970-01-01T00:00:00Z", "5", "5", "0"]),
            row(&["1970-01-01T02:48:00Z", "5", "5", "0"]),
        ],
        true,
    );
    let mut terminal = Terminal::new(TestBackend::new(118, 3)).unwrap();
    terminal
        .draw(|f| super::chart::draw_histogram(f, f.area(), &pane, &window))
        .unwrap();
    let bottom: Vec<&str> = (0..118).map(|x| terminal.backend().buffer()[(x, 2)].symbol()).collect();
    let bars: Vec<usize> = (0..118).filter(|x| bottom[*x] != " ").collect();
    assert_eq!(bars.first(), Some(&0), "{bottom:?}");
    assert_eq!(
        bars.last(),
        Some(&117),
        "the last bucket ends at the right edge: {bottom:?}"
    );
    assert!(bars.len() <= 4, "each bucket one or two columns wide: {bars:?}");
}

#[test]
fn the_cursors_column_gets_room_for_an_identifier_to_be_told_apart() {
    let mut app = opened();
    act(&mut app, Action::Down);
    for _ in 0..3 {
        act(&mut app, Action::ColRight);
    }
    assert_eq!(app.view().pane().column(), Some("resource"));
    let terminal = screen(&app, 130, 30);
    let text: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    // The room left: the ARN's account and its name, not a stub of each.
    assert!(
        text.contains("356789012345:function:invoice-sync"),
        "{}",
        terminal.backend()
    );
    assert!(
        text.contains("arn:aws:iam::356789012345:user/ci-deployer"),
        "{}",
        terminal.backend()
    );
}
