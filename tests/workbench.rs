//! The workbench end to end: the real binary in a pseudo-terminal, keys typed, the screen read
//! back through a terminal emulator (vt100), and what happened checked independently — in the
//! access journal (which records every query, its values and how it ended) and with the
//! command-line tools.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{fixture, stderr, stdout, trailscope};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const WAIT: Duration = Duration::from_secs(60);

struct Workbench {
    screen: Arc<Mutex<vt100::Parser>>,
    input: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    state: PathBuf,
}

impl Workbench {
    /// Opens `trailscope --archive ARCHIVE` in a 100×30 terminal, its state in `state`.
    fn open(archive: &Path, state: &Path) -> Workbench {
        Self::open_with(archive.to_str().unwrap(), state, &[])
    }

    /// The same, with an archive URL and the environment a user would set to reach it.
    fn open_with(archive: &str, state: &Path, env: &[(&str, String)]) -> Workbench {
        Self::open_sized(archive, state, env, 100, 30)
    }

    /// The same, in a terminal of `cols` × `rows`.
    fn open_sized(archive: &str, state: &Path, env: &[(&str, String)], cols: u16, rows: u16) -> Workbench {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_trailscope"));
        cmd.args(["--archive", archive]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("TRAILSCOPE_STATE_DIR", state);
        cmd.env("TRAILSCOPE_CONFIG", state.join("no-config.toml"));
        cmd.env_remove("TRAILSCOPE_ARCHIVE");
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
            0,
        )));
        let input = Arc::new(Mutex::new(pty.master.take_writer().unwrap()));
        let mut output = pty.master.try_clone_reader().unwrap();
        let (parser, answer) = (screen.clone(), input.clone());
        std::thread::spawn(move || {
            // Keep the master open while the child lives.
            let _master = pty.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = output.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let bytes = &buf[..n];
                // A terminal answers "what are you?" (device attributes); the emulator does not.
                if bytes.windows(3).any(|w| w == b"\x1b[c") {
                    let _ = answer.lock().unwrap().write_all(b"\x1b[?62;22c");
                }
                parser.lock().unwrap().process(bytes);
            }
        });
        Workbench {
            screen,
            input,
            child,
            state: state.to_path_buf(),
        }
    }

    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen satisfies `ready`; fails showing the screen if it never does.
    fn wait(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if ready(&text) {
                return text;
            }
            if start.elapsed() > WAIT {
                panic!("waited {WAIT:?} for {what}; the screen:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait(&format!("'{text}'"), |s| s.contains(text))
    }

    fn keys(&self, keys: &str) {
        let mut input = self.input.lock().unwrap();
        input.write_all(keys.as_bytes()).unwrap();
        input.flush().unwrap();
        drop(input);
        // Keys are read one burst at a time, as a person types them.
        std::thread::sleep(Duration::from_millis(150));
    }

    /// The access journal's entries so far (the local one): each query's SQL, and how it ended
    /// (`outcome` empty while it runs).
    fn journal(&self) -> Vec<serde_json::Value> {
        trailscope::engine::journal::read_local(&self.state.join("journal.jsonl"))
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                serde_json::json!({
                    "sql": e.start.sql,
                    "params": e.start.params,
                    "outcome": e.end.as_ref().map_or("", |end| end.outcome.as_str()),
                    "rows": e.rows(),
                })
            })
            .collect()
    }

    /// Waits for the journal entry whose SQL contains `sql` and that satisfies `done`.
    fn journaled(&self, sql: &str, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let start = Instant::now();
        loop {
            if let Some(e) = self
                .journal()
                .into_iter()
                .rev()
                .find(|e| e["sql"].as_str().unwrap().contains(sql) && done(e))
            {
                return e;
            }
            if start.elapsed() > WAIT {
                panic!(
                    "no journal entry with {sql}: {:#?}\nthe screen:\n{}",
                    self.journal(),
                    self.text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn quit(mut self) {
        self.keys("q");
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "the workbench exits cleanly: {status:?}");
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("q did not quit; the screen:\n{}", self.text());
    }
}

impl Drop for Workbench {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The incident fixture ingested into a new archive.
fn archive(dir: &Path) -> PathBuf {
    let archive = dir.join("archive");
    let out = trailscope(
        &[
            "ingest",
            "--archive",
            archive.to_str().unwrap(),
            fixture("reports").to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    archive
}

/// One value by the command line, to check what the workbench showed.
fn cli_value(archive: &Path, sql: &str) -> String {
    let out = trailscope(
        &["query", "--archive", archive.to_str().unwrap(), "--format", "csv", sql],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).lines().nth(1).unwrap_or_default().to_string()
}

/// The chart and its bucket's events are on screen.
fn timeline_ready(screen: &str) -> bool {
    screen.contains("bucket from") && screen.contains("Events of the bucket") && !screen.contains("loading…")
}

fn the_line(screen: &str, row: usize) -> String {
    screen.lines().nth(row).unwrap_or_default().trim().to_string()
}

#[test]
fn pivots_from_an_event_to_its_principal_to_a_resource_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(dir.path());
    let wb = Workbench::open(&archive, &dir.path().join("state"));
    wb.wait("the timeline", timeline_ready);
    // Only events on a resource, so that the principal has resources to pivot to.
    wb.keys(":where resource IS NOT NULL\r");
    wb.wait_for("filters");
    wb.wait("the filtered timeline", timeline_ready);

    wb.keys("j\r");
    let screen = wb.wait_for("\"eventVersion\"");
    assert!(the_line(&screen, 2).contains("› event"), "{screen}");
    let event = wb.journaled("event_id = $event_id", |e| e["outcome"] == "completed");
    let id = event["params"]["event_id"].as_str().unwrap().to_string();
    let principal = cli_value(
        &archive,
        &format!("SELECT principal FROM events WHERE event_id = '{id}' LIMIT 1"),
    );
    assert!(!principal.is_empty());

    wb.keys("p");
    wb.wait_for("Resources it touched");
    let shown = wb.journaled("principal = $subject", |e| e["outcome"] != "");
    assert_eq!(
        shown["params"]["subject"],
        principal.as_str(),
        "the event's own principal opened"
    );
    let tail: String = principal
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(
        the_line(&wb.text(), 2).contains(&tail),
        "the breadcrumb names it:\n{}",
        wb.text()
    );

    // Its resources, then one of them.
    wb.keys("\t");
    wb.wait("the resources it touched", |s| {
        s.contains("resource") && s.contains(" row 1 of ")
    });
    wb.keys("\r");
    wb.wait_for("Who touched it");
    let opened = wb.journaled("resource = $subject", |e| e["outcome"] != "");
    let resource = opened["params"]["subject"].as_str().unwrap().to_string();
    let touched = cli_value(
        &archive,
        &format!("SELECT count(*) FROM events WHERE principal = '{principal}' AND resource = '{resource}'"),
    );
    assert_ne!(touched, "0", "{resource} is one the principal touched");

    // Back, one pivot at a time, to the filtered timeline, then without the filter.
    wb.keys("\x1b");
    wb.wait("the principal again", |s| {
        s.contains("Resources it touched") && !s.contains("Who touched it")
    });
    wb.keys("\x1b");
    wb.wait_for("\"eventVersion\"");
    wb.keys("\x1b");
    // The breadcrumb names the condition it added.
    let screen = wb.wait("the timeline", |s| {
        the_line(s, 2) == "Timeline › where resource IS NOT NULL"
    });
    assert!(screen.contains("Events per"), "{screen}");
    wb.keys("\x1b");
    wb.wait("the first timeline", |s| {
        the_line(s, 2) == "Timeline" && !s.contains("filters")
    });
    wb.quit();
}

#[test]
fn a_slow_query_is_cancelled_for_real() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(dir.path());
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    // The editor opens on the last statement of its history: a query that would run for minutes.
    let slow = "SELECT count(*) AS n FROM events CROSS JOIN range(0, 100000000000)";
    std::fs::write(
        state.join("sql-history.jsonl"),
        format!("{}\n", serde_json::to_string(slow).unwrap()),
    )
    .unwrap();
    let wb = Workbench::open(&archive, &state);
    wb.wait("the timeline", timeline_ready);
    wb.keys("4");
    wb.wait_for("range(0, 100000000000)");
    wb.keys("\x1b[15~"); // F5
    wb.wait_for("Esc cancels");
    std::thread::sleep(Duration::from_millis(500));
    wb.keys("\x1b");
    let screen = wb.wait_for("cancelled 1 query");
    assert!(!screen.contains("Esc cancels"), "nothing runs any more:\n{screen}");
    // The stream was dropped: the journal says the query ended cancelled, not completed.
    let entry = wb.journaled("range(0, 100000000000)", |e| e["outcome"] != "");
    assert_eq!(entry["outcome"], "cancelled");
    // And the workbench still answers: out of the editor, to the timeline.
    wb.keys("\x1b");
    wb.keys("1");
    wb.wait("the timeline again", |s| s.contains("Events per"));
    wb.quit();
}

#[test]
fn exporting_a_result_writes_all_of_its_rows_and_says_where_they_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(dir.path());
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    // More rows than the screen loads (it reads 500 at a time): the export must not stop there.
    let sql = "SELECT e.event_id, r.value AS n, e.principal, e.action FROM events e CROSS JOIN range(0, 20) AS r ORDER BY e.event_id, n";
    std::fs::write(
        state.join("sql-history.jsonl"),
        format!("{}\n", serde_json::to_string(sql).unwrap()),
    )
    .unwrap();
    let wb = Workbench::open(&archive, &state);
    wb.wait("the timeline", timeline_ready);
    wb.keys("4");
    wb.wait_for("range(0, 20)");
    wb.keys("\x1b[15~");
    wb.wait("the result", |s| s.contains(" row 1 of 500+"));
    wb.keys("\x1b"); // to the result
    wb.keys("e");
    wb.wait_for("export to");
    let file = dir.path().join("export.csv");
    wb.keys("\x15"); // Ctrl+U: clear the suggested name
    wb.keys(&format!("{}\r", file.display()));
    let screen = wb.wait_for("exported 2440 rows");
    assert!(screen.contains("provenance"), "{screen}");

    let out = trailscope(
        &["query", "--archive", archive.to_str().unwrap(), "--format", "csv", sql],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = std::fs::read_to_string(&file).unwrap();
    assert_eq!(exported.lines().count(), 2441, "a header and every row");
    for (i, (a, b)) in exported.lines().zip(stdout(&out).lines()).enumerate() {
        assert_eq!(a, b, "row {i}");
    }
    let provenance: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("export.csv.provenance.json")).unwrap()).unwrap();
    assert_eq!(provenance["sql"], sql);
    assert_eq!(provenance["rows"], 2440);
    assert_eq!(provenance["archive"], archive.display().to_string());
    // Typed SQL chose its rows itself: the screen's window is not theirs.
    assert!(provenance["window_from"].is_null(), "{provenance}");
    assert!(provenance["exported_at"].is_string());
    wb.quit();
}

#[test]
fn nothing_written_to_standard_error_lands_on_the_screen_and_the_terminal_is_restored() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(dir.path());
    let state = dir.path().join("state");
    // A journal that cannot be written: said in the status bar, on every query, not silently.
    std::fs::create_dir_all(state.join("journal.jsonl")).unwrap();
    let wb = Workbench::open(&archive, &state);
    wb.wait("the warning", |s| {
        s.contains("could not be recorded in your local journal")
    });
    // A query that fails: its error is shown in the status bar, in one sentence.
    wb.keys(":where no_such_column = 1\r");
    wb.wait("the error", |s| s.contains("no_such_column"));
    let parser = wb.screen.clone();
    wb.quit();
    // What is written to standard error (the workbench's own line when it opens) is in the log.
    let log = std::fs::read_to_string(state.join("workbench.log")).unwrap();
    assert!(log.contains("workbench opened on"), "{log}");
    let screen = parser.lock().unwrap();
    assert!(!screen.screen().contents().contains("workbench opened on"));
    assert!(!screen.screen().alternate_screen(), "the main screen is back");
    assert!(!screen.screen().hide_cursor(), "the cursor is shown again");
}

#[test]
fn a_workbench_ended_from_outside_records_how_each_of_its_queries_ended() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(dir.path());
    let mut wb = Workbench::open(&archive, &dir.path().join("state"));
    wb.wait("the timeline", timeline_ready);
    // A result read 500 rows at a time: its stream stays open while the screen shows it.
    let sql = "SELECT value FROM range(0, 100000) -- held-open";
    wb.keys("4");
    wb.keys(sql);
    wb.wait_for("held-open");
    wb.keys("\x1b[15~"); // F5
    wb.wait_for("row 1 of 500+");
    // A closed SSH session: the terminal hangs up.
    let pid = wb.child.process_id().expect("the workbench runs") as i32;
    // SAFETY: signalling the test's own child process.
    unsafe { libc::kill(pid, libc::SIGHUP) };
    let start = Instant::now();
    while wb.child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < WAIT, "SIGHUP did not end the workbench");
        std::thread::sleep(Duration::from_millis(50));
    }
    let journal = wb.journal();
    assert!(!journal.is_empty());
    for entry in &journal {
        let outcome = entry["outcome"].as_str().unwrap();
        assert!(
            outcome == "completed" || outcome == "interrupted: SIGHUP",
            "every query's end is recorded: {journal:#?}"
        );
    }
    assert!(
        journal.iter().any(|e| e["outcome"] == "interrupted: SIGHUP"),
        "{journal:#?}"
    );
}

/// Over a bucket, each result's status line says how many requests the store was asked while
/// it ran: the cost a responder pays in object storage.
#[test]
fn over_a_bucket_the_status_line_counts_the_store_requests() {
    let dir = tempfile::tempdir().unwrap();
    let local = archive(dir.path());
    let server = common::S3Server::start(&["audit"]);
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(&local)
        .arg(server.root.path().join("audit/incident"))
        .status()
        .unwrap();
    assert!(copied.success());
    let bench = Workbench::open_with("s3://audit/incident", dir.path(), &server.env());
    bench.wait("the timeline, read from the bucket", timeline_ready);
    let screen = bench.wait_for("store requests");
    let line = screen
        .lines()
        .find(|l| l.contains("store requests"))
        .unwrap()
        .to_string();
    let count: u64 = line
        .split(" store requests")
        .next()
        .and_then(|before| before.rsplit(' ').next())
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(count > 0, "{line}");
    bench.quit();
}

/// A small demo archive: a week of the organisation with its incident.
fn demo(dir: &Path) -> PathBuf {
    let archive = dir.join("demo");
    let out = trailscope(
        &[
            "demo",
            "--archive",
            archive.to_str().unwrap(),
            "--events",
            "6000",
            "--days",
            "7",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    archive
}

/// The README's walkthrough (`:ip 203.0.113.66`, then the event, then its principal) at three
/// terminal sizes: who did what to which resource reads whole where the screen has room, and
/// what is cut keeps what tells the values apart.
#[test]
fn the_walkthrough_shows_principals_actions_and_resources_whole_where_the_screen_has_room() {
    let dir = tempfile::tempdir().unwrap();
    let archive = demo(dir.path());
    let ip_view = |cols: u16, rows: u16| {
        let wb = Workbench::open_sized(
            archive.to_str().unwrap(),
            &dir.path().join(format!("state-{cols}")),
            &[],
            cols,
            rows,
        );
        wb.wait("the timeline", timeline_ready);
        wb.keys(":ip 203.0.113.66\r");
        let screen = wb.wait("the address's events", |s| {
            s.contains("Events from the address") && s.contains("GetCallerIdentity")
        });
        (wb, screen)
    };
    let role = "arn:aws:sts::210987654321:assumed-role/DeployAdmin/ci-deployer-8841";
    let user = "arn:aws:iam::356789012345:user/ci-deployer";

    let (wb, wide) = ip_view(200, 50);
    for whole in [
        user,
        "GetAccountAuthorizationDetails",
        "ListAttachedUserPolicies",
        "arn:aws:iam::356789012345:user/admin0",
        "arn:aws:iam::210987654321:user/svc-backup-sync",
    ] {
        assert!(wide.contains(whole), "{whole} is whole at 200×50:\n{wide}");
    }
    // The longest, the role's session, cut only a little: its account and its name kept.
    let line = wide.lines().find(|l| l.contains("CreateAccessKey")).unwrap();
    assert!(line.contains(&role[13..]) || line.contains(role), "{line}");
    wb.quit();

    let (wb, medium) = ip_view(120, 40);
    for whole in [
        "GetAccountAuthorizationDetails",
        "ListAttachedUserPolicies",
        "CreateAccessKey",
    ] {
        assert!(medium.contains(whole), "{whole} is whole at 120×40:\n{medium}");
    }
    // The principals are cut, keeping their account and their name.
    let line = medium.lines().find(|l| l.contains("ListUsers")).unwrap();
    assert!(line.contains("356789012345:user/ci-deployer"), "{line}");
    let line = medium.lines().find(|l| l.contains("CreateAccessKey")).unwrap();
    assert!(
        line.contains("210987654321") && line.contains("ci-deployer-8841"),
        "{line}"
    );
    assert!(line.contains("svc-backup-sync"), "the resource keeps its name: {line}");
    // Its event, then its principal: the principal's events show action and resource.
    wb.keys("\r");
    wb.wait_for("path");
    wb.keys("p");
    let principal = wb.wait("the principal's events", |s| {
        s.contains("Events") && s.contains("row 1 of")
    });
    let header = principal.lines().find(|l| l.contains("event_time")).unwrap();
    assert!(header.contains("action") && header.contains("resource"), "{principal}");
    wb.quit();

    let (wb, narrow) = ip_view(80, 24);
    let line = narrow.lines().find(|l| l.contains("ListUsers")).unwrap();
    assert!(
        line.contains("user/ci-deployer"),
        "the principal keeps its name at 80×24: {line}"
    );
    assert!(
        narrow.contains("GetCallerIdentity") && narrow.contains("DescribeInstances"),
        "{narrow}"
    );
    assert!(
        narrow.contains("ListAttachedUserP"),
        "a cut action keeps its verb and what it acts on: {narrow}"
    );
    assert!(
        narrow.contains("resource"),
        "time, principal, action and resource are on screen: {narrow}"
    );
    wb.quit();
}

/// The demo's intruder stops the trail: on the Detections screen its rule is listed, Enter lists
/// the hit, Enter opens the event — the one `trailscope detect` names.
#[test]
fn the_detections_screen_finds_the_stopped_trail_and_opens_its_event() {
    let dir = tempfile::tempdir().unwrap();
    let archive = demo(dir.path());
    let rule = "4db60cc0-36fb-42b7-9b58-a5b53019fb74";
    let out = trailscope(
        &[
            "detect",
            "--archive",
            archive.to_str().unwrap(),
            "--from",
            "6h",
            "--rule",
            rule,
            "--format",
            "csv",
        ],
        &[("TRAILSCOPE_CONFIG", "/nonexistent/trailscope.toml")],
    );
    let csv = stdout(&out);
    let hit: Vec<&str> = csv
        .lines()
        .nth(1)
        .expect("the command finds the hit")
        .split(',')
        .collect();
    let (time, action, event_id) = (hit[2], hit[4], hit[7]);
    assert_eq!(action, "StopLogging", "{csv}");

    let wb = Workbench::open_sized(archive.to_str().unwrap(), &dir.path().join("state"), &[], 140, 40);
    wb.wait("the timeline", timeline_ready);
    wb.keys(":last 6h\r");
    wb.wait("the last 6 hours", |s| s.contains("last 6h") && timeline_ready(s));
    wb.keys("6");
    let list = wb.wait("the rules with hits", |s| s.contains("rules ran:"));
    assert!(list.contains("AWS CloudTrail Important Change"), "{list}");
    assert!(list.contains("not run: `trailscope detect --list` says why"), "{list}");
    // The scan is the engine's, journaled as every query is.
    wb.journaled("AS hit_0", |e| e["outcome"] == "completed");

    wb.keys("/Important Change\r");
    wb.wait("the rule's description", |s| {
        s.contains("Detects disabling, deleting and updating of a Trail")
    });
    wb.keys("\r");
    let hits = wb.wait("the rule's hits", |s| {
        s.contains("Hits of AWS CloudTrail Important Change") && s.contains("StopLogging")
    });
    let line = hits.lines().find(|l| l.contains("StopLogging")).unwrap();
    assert!(line.contains(time), "the hit the command line finds: {line}");
    // The hits are the events with the ids the run found, read by a query as any table is.
    wb.journaled("event_id IN ($id_0)", |e| e["outcome"] == "completed");
    // `c` on the action counts the hits' actions.
    wb.keys("llc");
    let counted = wb.wait("the hits' actions counted", |s| {
        s.contains("Values of action in Hits of AWS CloudTrail Important Change") && s.contains("StopLogging")
    });
    let line = counted.lines().find(|l| l.contains("StopLogging")).unwrap();
    assert!(line.contains(" 1 "), "the one hit: {line}");
    wb.keys("\x1b");
    wb.wait_for("Hits of AWS CloudTrail Important Change");
    wb.keys("hh");

    wb.keys("\r");
    let event = wb.wait("the hit's event", |s| s.contains(r#""eventName": "StopLogging""#));
    assert!(
        event.contains(&format!("event …{}", &event_id[event_id.len() - 12..])),
        "its event, {event_id}: {event}"
    );
    wb.journaled("event_id = $event_id", |e| {
        e["outcome"] == "completed" && e["params"]["event_id"] == event_id
    });
    // Esc walks back to the hit, then to the rules.
    wb.keys("\x1b");
    wb.wait_for("Hits of AWS CloudTrail Important Change");
    wb.keys("\x1b");
    wb.wait("the rules again", |s| {
        s.contains("rules ran:") && !s.contains("Hits of")
    });
    wb.quit();
}
