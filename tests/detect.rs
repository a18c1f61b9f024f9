//! `trailscope detect` as a responder and a schedule meet it: the built-in rules and a folder of
//! one's own (detections, correlations, a rule that cannot run, a file that is no rule) over a
//! small CloudTrail fixture (tests/fixtures/detect/), from a folder and from an S3-protocol
//! server; exit codes 0 and 5; --list, --explain, --rule, suppressions and --new.
//! (That each built-in rule finds what it is written for is tests/detect_rules.rs.)

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{S3Server, csv_rows, fixture, stderr, stdout, trailscope};

/// The fixture ingested once for the tests of this file.
fn archive() -> &'static str {
    static ARCHIVE: OnceLock<PathBuf> = OnceLock::new();
    ARCHIVE
        .get_or_init(|| {
            let path = tempfile::tempdir().unwrap().keep().join("archive");
            let out = trailscope(
                &[
                    "ingest",
                    "--archive",
                    path.to_str().unwrap(),
                    fixture("detect/cloudtrail").to_str().unwrap(),
                ],
                &[],
            );
            assert!(out.status.success(), "{}", stderr(&out));
            path
        })
        .to_str()
        .unwrap()
}

fn rules() -> String {
    fixture("detect/rules").to_str().unwrap().to_string()
}

const WINDOW: [&str; 4] = ["--from", "2024-06-10", "--to", "2024-06-11"];
const TRAIL_CHANGE: &str = "4db60cc0-36fb-42b7-9b58-a5b53019fb74";
const BURST: &str = "0f7a6c1e-7d0b-4c55-9a43-2b8e8e3c1a02";
const SEVERAL_ACTIONS: &str = "0f7a6c1e-7d0b-4c55-9a43-2b8e8e3c1a03";
const ACCESS_DENIED: &str = "0f7a6c1e-7d0b-4c55-9a43-2b8e8e3c1a01";

/// `detect` on the fixture with `extra` arguments and its own state folder, as CSV rows
/// (header first).
fn detect(extra: &[&str], state: &Path) -> (std::process::Output, Vec<Vec<String>>) {
    let rules = rules();
    let mut args = vec!["detect", "--archive", archive(), "--rules", &rules, "--format", "csv"];
    args.extend(WINDOW);
    args.extend(extra);
    let out = trailscope(&args, &[("TRAILSCOPE_STATE_DIR", state.to_str().unwrap())]);
    let rows = csv_rows(&out);
    (out, rows)
}

/// `(rule_id, event_id, detail)` of each hit.
fn hits(rows: &[Vec<String>]) -> Vec<(String, String, String)> {
    let header = &rows[0];
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (rule, event, detail) = (at("rule_id"), at("event_id"), at("detail"));
    rows[1..]
        .iter()
        .map(|r| (r[rule].clone(), r[event].clone(), r[detail..].join(",")))
        .collect()
}

fn event(n: u32) -> String {
    format!("detect-{n:04}-0000-4000-8000-000000000000")
}

#[test]
fn hits_of_built_in_rules_and_ones_own_correlations_are_listed_and_the_exit_code_is_5() {
    let state = tempfile::tempdir().unwrap();
    let (out, rows) = detect(&[], state.path());
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(
        rows[0],
        [
            "level",
            "rule",
            "time",
            "principal",
            "action",
            "resource",
            "tenant",
            "event_id",
            "cloud",
            "rule_id",
            "detail"
        ]
    );
    let hits = hits(&rows);
    let of = |rule: &str| -> Vec<&(String, String, String)> { hits.iter().filter(|h| h.0 == rule).collect() };
    // The intruder's StopLogging, by SigmaHQ's rule.
    assert_eq!(of(TRAIL_CHANGE).len(), 1, "{hits:?}");
    assert_eq!(of(TRAIL_CHANGE)[0].1, event(8));
    // Three refusals of mallory's within five minutes (12:01:00, 12:01:40, 12:02:30) are one
    // burst; the fourth, at 12:40, is alone; bob's two are not enough.
    let burst = of(BURST);
    assert_eq!(burst.len(), 1, "{hits:?}");
    assert_eq!(burst[0].1, event(2));
    assert!(
        burst[0]
            .2
            .contains("3 events in 90 seconds (userIdentity.arn=arn:aws:iam::111122223333:user/mallory)"),
        "{}",
        burst[0].2
    );
    let several = of(SEVERAL_ACTIONS);
    assert_eq!(several.len(), 1, "{hits:?}");
    assert!(several[0].2.contains("3 distinct eventName"), "{}", several[0].2);
    // The rule the correlations count is not listed on its own when they run.
    assert!(of(ACCESS_DENIED).is_empty(), "{hits:?}");
    // The benign call is nobody's hit.
    assert!(hits.iter().all(|h| h.1 != event(1)), "{hits:?}");
    let said = stderr(&out);
    assert!(
        said.contains("not run: `trailscope detect --list` says why"),
        "the rules that cannot run are counted, never skipped in silence: {said}"
    );
}

#[test]
fn a_rule_run_alone_lists_its_own_hits_and_finding_nothing_exits_0() {
    let state = tempfile::tempdir().unwrap();
    let (out, rows) = detect(&["--rule", "access_denied"], state.path());
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let mut events: Vec<String> = hits(&rows).into_iter().map(|h| h.1).collect();
    events.sort();
    assert_eq!(events, (2..=7).map(event).collect::<Vec<_>>());

    // --where narrows the scan as it narrows a view.
    let (out, rows) = detect(
        &["--rule", TRAIL_CHANGE, "--where", "principal LIKE '%bob'"],
        state.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(rows.len(), 1, "only the header: {rows:?}");
    assert!(stderr(&out).contains("1 rule run, 0 hits"), "{}", stderr(&out));
}

#[test]
fn the_list_says_why_a_rule_is_not_run_and_where_the_built_in_ones_come_from() {
    let rules = rules();
    let out = trailscope(&["detect", "--list", "--rules", &rules, "--archive", archive()], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&out);
    assert!(
        list.contains("unsupported: the modifier 'base64offset' (on userAgent) is not run"),
        "{list}"
    );
    assert!(list.contains("broken.yml: not a Sigma rule: not YAML"), "{list}");
    assert!(
        list.contains("Burst of refused calls by one identity (correlation)"),
        "{list}"
    );
    assert!(
        list.contains("SigmaHQ rules/cloud/aws/cloudtrail/aws_cloudtrail_disable_logging.yml — by vitaliy0x1"),
        "{list}"
    );
    assert!(list.contains("Detection Rule License 1.1"), "{list}");
    // Every shipped rule is either run or listed with its reason.
    let shipped = walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/sigma/rules"));
    let runs: usize = count_after(&list, " rules run:");
    let not_run: usize = count_after(&list, " rules not run:");
    // The folder adds 3 rules that run and 2 files that do not.
    assert_eq!(runs + not_run, shipped + 5, "{list}");
}

fn count_after(list: &str, label: &str) -> usize {
    list.lines()
        .find(|l| l.ends_with(label))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| match e.path().is_dir() {
            true => walk(&e.path()),
            false => usize::from(e.path().extension().is_some_and(|x| x == "yml")),
        })
        .sum()
}

#[test]
fn explain_prints_the_sql_and_its_bound_values_without_running_it() {
    let out = trailscope(
        &["detect", "--archive", archive(), "--rule", TRAIL_CHANGE, "--explain"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let sql = stdout(&out);
    assert!(sql.contains("-- AWS CloudTrail Important Change (4db60cc0"), "{sql}");
    assert!(sql.contains("FROM events"), "{sql}");
    assert!(sql.contains("cloud = 'aws'"), "{sql}");
    // Values are bound, never written into the SQL.
    assert!(
        !sql.lines().any(|l| !l.starts_with("--") && l.contains("StopLogging")),
        "{sql}"
    );
    assert!(sql.contains("= StopLogging"), "{sql}");
    assert!(!stderr(&out).contains("hits"), "nothing ran: {}", stderr(&out));
}

#[test]
fn suppressions_silence_known_hits_and_new_lists_only_what_no_run_listed() {
    let state = tempfile::tempdir().unwrap();
    let file = state.path().join("suppressions.toml");
    std::fs::write(
        &file,
        format!(
            "[[suppress]]\nrule = \"{TRAIL_CHANGE}\"\nfield = \"principal\"\n\
             value = \"arn:aws:iam::111122223333:user/mallory\"\nreason = \"the change window\"\n"
        ),
    )
    .unwrap();
    let suppress = file.to_str().unwrap();
    let (out, rows) = detect(&["--suppress", suppress], state.path());
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(hits(&rows).iter().all(|h| h.0 != TRAIL_CHANGE), "{rows:?}");
    assert!(stderr(&out).contains("1 suppressed"), "{}", stderr(&out));
    let listed = rows.len() - 1;

    // Everything was listed by the run before: --new finds nothing, and says so.
    let (out, rows) = detect(&["--suppress", suppress, "--new"], state.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        stderr(&out).contains(&format!("{listed} listed by an earlier run")),
        "{}",
        stderr(&out)
    );
    // Without the suppression the trail's hit is new.
    let (out, rows) = detect(&["--new"], state.path());
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let hits = hits(&rows);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].0, TRAIL_CHANGE);

    // A suppression naming a field no hit has is refused, not ignored.
    std::fs::write(&file, "[[suppress]]\nrule = \"*\"\nfield = \"user\"\nvalue = \"x\"\n").unwrap();
    let (out, _) = detect(&["--suppress", suppress], state.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("names the field 'user'"), "{}", stderr(&out));
}

#[test]
fn what_cannot_be_used_is_said_in_one_line_with_exit_code_2() {
    let state = tempfile::tempdir().unwrap();
    for (args, said) in [
        (
            vec!["--level", "severe"],
            "--level severe: expected one of informational, low, medium, high, critical",
        ),
        (
            vec!["--rule", "CloudTrail Important"],
            "did you mean 4db60cc0-36fb-42b7-9b58-a5b53019fb74",
        ),
        (
            vec!["--rule", ACCESS_DENIED.trim_end_matches('1').trim_end_matches('0')],
            "there is no rule",
        ),
        (
            vec!["--rule", "0f7a6c1e-7d0b-4c55-9a43-2b8e8e3c1a04"],
            "is not run: unsupported: the modifier 'base64offset'",
        ),
    ] {
        let (out, _) = detect(&args, state.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let message = stderr(&out);
        assert!(message.contains(said), "{args:?}: {message}");
        assert_eq!(message.trim().lines().count(), 1, "{message}");
    }
    let out = trailscope(&["detect", "--archive", archive(), "--rules", "/no/such/rules"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("/no/such/rules"), "{}", stderr(&out));
}

#[test]
fn detections_run_on_an_archive_in_an_s3_bucket_as_on_a_folder() {
    let server = S3Server::start(&["audit"]);
    let env = server.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = trailscope(
        &[
            "ingest",
            "--archive",
            "s3://audit/prod",
            fixture("detect/cloudtrail").to_str().unwrap(),
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rules = rules();
    let mut args = vec![
        "detect",
        "--archive",
        "s3://audit/prod",
        "--rules",
        &rules,
        "--format",
        "csv",
    ];
    args.extend(WINDOW);
    let state = tempfile::tempdir().unwrap();
    let mut env = env.clone();
    env.push(("TRAILSCOPE_STATE_DIR", state.path().to_str().unwrap()));
    let out = trailscope(&args, &env);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let mut from_s3 = hits(&csv_rows(&out));
    let (_, rows) = detect(&[], tempfile::tempdir().unwrap().path());
    let mut from_folder = hits(&rows);
    from_s3.sort();
    from_folder.sort();
    assert_eq!(from_s3, from_folder);
}

#[test]
fn the_demos_incident_trips_the_rules_written_for_its_steps_and_agrees_with_the_first_seen_report() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    common::demo_archive(&archive, 20_000, 7, 7);
    let a = archive.to_str().unwrap();
    let out = trailscope(
        &[
            "detect",
            "--archive",
            a,
            "--from",
            "2026-10-30T22:00:00Z",
            "--level",
            "medium",
            "--format",
            "csv",
        ],
        &[("TRAILSCOPE_STATE_DIR", dir.path().to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let rows = csv_rows(&out);
    let (rule, principal) = (1, 3);
    let by = |title: &str| -> Vec<String> {
        rows[1..]
            .iter()
            .filter(|r| r[rule] == title)
            .map(|r| r[principal].clone())
            .collect()
    };
    let session = "assumed-role/DeployAdmin/ci-deployer-8841";
    for title in [
        "AWS CloudTrail Important Change",
        "AWS VPC Flow Logs Deleted",
        "AWS Snapshot Backup Exfiltration",
        "AWS IAM Backdoor Users Keys",
    ] {
        let who = by(title);
        assert!(who.iter().any(|p| p.ends_with(session)), "{title}: {who:?}");
    }
    for title in [
        "Suspicious SignIns From A Non Registered Device",
        "Delegated Permissions Granted For All Users",
    ] {
        assert_eq!(by(title), ["carol@acme.example"], "{title}");
    }
    let unknown_app = "f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0";
    assert!(
        by("Rare Subscription-level Operations In Azure")
            .iter()
            .any(|p| p == unknown_app)
    );

    // The principals the first-seen report finds at the attacker's address are the ones the
    // detections point at (the AWS key through the session it assumed).
    let out = trailscope(
        &[
            "report",
            "run",
            "first-seen-source-ips",
            "--archive",
            a,
            "--format",
            "csv",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let first_seen: Vec<String> = csv_rows(&out)[1..]
        .iter()
        .filter(|r| r.iter().any(|c| c == "203.0.113.66"))
        .map(|r| r[0].clone())
        .collect();
    let hit: Vec<&String> = rows[1..].iter().map(|r| &r[principal]).collect();
    for who in &first_seen {
        let name = who.rsplit('/').next().unwrap();
        let pointed_at = hit.iter().any(|h| h.contains(name));
        // The GCP CI account's deploy and opening of a function has no shipped rule (README).
        assert!(
            pointed_at || who.ends_with(".iam.gserviceaccount.com"),
            "{who}: {first_seen:?} vs {hit:?}"
        );
    }
    assert!(first_seen.len() >= 3, "{first_seen:?}");
}
