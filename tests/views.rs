//! `trailscope view`, `report` and the config file as a responder and an auditor use them, on the
//! incident fixture (tests/fixtures/reports/).

mod common;

use common::{csv_rows, fixture, on_incident as run, shared_incident_archive as archive, stderr, stdout, trailscope};

#[test]
fn without_a_window_a_view_covers_the_last_week_of_the_data_and_says_so() {
    let out = run(&["view", "timeline", "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("window: 2024-06-03T15:08:01Z – 2024-06-10T15:08:01Z (the last 7 days of the archive's data, which begins on 2024-05-20)"),
        "{}",
        stderr(&out)
    );
    let rows = csv_rows(&out);
    assert_eq!(rows[0], ["bucket", "events", "successes", "failures"]);
    // 7 days in 2-hour buckets; the incident day's buckets hold every event of the window.
    let total: u64 = rows[1..].iter().map(|r| r[1].parse::<u64>().unwrap()).sum();
    let failures: u64 = rows[1..].iter().map(|r| r[3].parse::<u64>().unwrap()).sum();
    assert_eq!(
        total, 117,
        "the incident day's events; the baseline is older than a week"
    );
    assert_eq!(failures, 35);
    assert!(rows[1..].iter().all(|r| r[0].starts_with("2024-06-10T")), "{rows:?}");
    // The first day is the first day of events.
    let first = csv_rows(&run(&[
        "query",
        "--format",
        "csv",
        "SELECT min(event_time) FROM events",
    ]));
    assert!(first[1][0].starts_with("2024-05-20"), "{first:?}");
    // A window given whole is not remarked on.
    let given = run(&["view", "timeline", "--from", "2024-06-01", "--to", "2024-06-11"]);
    assert!(
        stderr(&given).contains("11T00:00:00Z (as given)\n"),
        "{}",
        stderr(&given)
    );
}

#[test]
fn a_timeline_bucket_lists_its_events() {
    let out = run(&[
        "view",
        "timeline",
        "--from",
        "2024-06-10",
        "--to",
        "2024-06-11",
        "--format",
        "csv",
    ]);
    let rows = csv_rows(&out);
    assert_eq!(
        rows.len() - 1,
        11,
        "a day in 30-minute buckets, eleven of them with events: {rows:?}"
    );
    let ten = rows.iter().find(|r| r[0] == "2024-06-10T10:00:00Z").unwrap();
    let out = run(&[
        "view",
        "timeline",
        "--from",
        "2024-06-10",
        "--to",
        "2024-06-11",
        "--bucket",
        "2024-06-10T10:00:00Z",
        "--format",
        "csv",
    ]);
    assert_eq!(
        csv_rows(&out).len() - 1,
        ten[1].parse::<usize>().unwrap(),
        "the bucket's events are its count"
    );
    // A time inside a bucket names that bucket, and says so.
    let inside = run(&[
        "view",
        "timeline",
        "--from",
        "2024-06-10",
        "--to",
        "2024-06-11",
        "--bucket",
        "2024-06-10T10:07",
        "--format",
        "csv",
    ]);
    assert_eq!(csv_rows(&inside), csv_rows(&out));
    assert!(
        stderr(&inside).contains("bucket that holds 2024-06-10T10:07:00Z"),
        "{}",
        stderr(&inside)
    );
    let outside = run(&["view", "timeline", "--bucket", "2020-01-01"]);
    assert_eq!(outside.status.code(), Some(2));
    assert!(
        stderr(&outside).contains("is outside the window"),
        "{}",
        stderr(&outside)
    );
}

#[test]
fn who_deployed_and_configured_this_function_in_one_command() {
    let out = run(&["view", "resource", "billing-export", "--from", "30d"]);
    assert_eq!(out.status.code(), Some(2), "two functions and a web app have that name");
    let message = stderr(&out);
    assert!(message.contains("'billing-export' matches 3 resources"), "{message}");
    assert!(
        message.contains("microsoft.web/sites/billing-export"),
        "Azure ids match whatever their case: {message}"
    );
    assert!(
        message.contains("arn:aws:lambda:us-east-1:444455556666:function:billing-export"),
        "{message}"
    );
    assert!(
        message.contains("projects/acme-prod/locations/europe-west1/functions/billing-export"),
        "{message}"
    );

    let out = run(&[
        "view",
        "resource",
        "function:billing-export",
        "--from",
        "30d",
        "--section",
        "changes",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("resource: arn:aws:lambda:us-east-1:444455556666:function:billing-export"));
    let rows = csv_rows(&out);
    let actions: Vec<&str> = rows[1..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(
        actions,
        [
            "CreateFunction20150331",
            "UpdateFunctionConfiguration20150331v2",
            "AddPermission20150331v2",
            "GetFunction20150331v2"
        ],
        "changes first, then reads"
    );
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[1] == "arn:aws:sts::444455556666:assumed-role/CrossAccountAdmin/ci-deployer")
    );
}

#[test]
fn a_principal_is_found_by_the_name_that_ends_it_and_shows_its_activity() {
    let out = run(&["view", "principal", "ci-bot", "--from", "30d"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("principal: arn:aws:iam::111122223333:user/ci-bot"));
    let text = stdout(&out);
    for section in [
        "── Activity",
        "── Resources it touched ──",
        "── Source IPs and user agents ──",
        "── Failures ──",
    ] {
        assert!(text.contains(section), "{section} in\n{text}");
    }
    let out = run(&[
        "view",
        "principal",
        "ci-bot",
        "--from",
        "30d",
        "--section",
        "sources",
        "--format",
        "csv",
    ]);
    let sources: Vec<(String, String)> = csv_rows(&out)[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(sources.len(), 3, "{sources:?}");
    assert_eq!(sources[0].0, "192.0.2.66", "the new address first (most events)");
    assert_eq!(
        sources[2],
        (
            "203.0.113.5".to_string(),
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1".to_string()
        ),
        "the usual one last"
    );
    let out = run(&[
        "view",
        "principal",
        "ci-bot",
        "--from",
        "30d",
        "--section",
        "failures",
        "--format",
        "csv",
    ]);
    assert_eq!(csv_rows(&out).len() - 1, 12);
    let out = run(&["view", "principal", "nobody-at-all"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no principal matches 'nobody-at-all'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_principals_and_resources_tables_count_distinct_events() {
    let out = run(&[
        "view",
        "principals",
        "--from",
        "30d",
        "--format",
        "csv",
        "--where",
        "cloud = 'gcp'",
    ]);
    let rows = csv_rows(&out);
    assert_eq!(
        rows[0],
        [
            "principal",
            "events",
            "first_seen",
            "last_seen",
            "actions",
            "resources",
            "source_ips",
            "tenants",
            "failures"
        ]
    );
    let mallory = rows.iter().find(|r| r[0] == "mallory@gmail.com").unwrap();
    assert_eq!((mallory[1].as_str(), mallory[8].as_str()), ("24", "12"));
    assert_eq!(rows.len() - 1, 3, "mallory, etl and alice: {rows:?}");
    let out = run(&[
        "view",
        "resources",
        "--from",
        "30d",
        "--format",
        "csv",
        "--where",
        "cloud = 'azure'",
    ]);
    let rows = csv_rows(&out);
    assert!(
        rows[1..].iter().all(|r| r[0].starts_with("/subscriptions/8f3c1a2b")),
        "{rows:?}"
    );
    // A role assignment written in two steps (Start, then Success) is two events and one change.
    assert_eq!(rows[0][2..4], ["events", "changes"]);
    let grant = rows
        .iter()
        .find(|r| r[0].ends_with("roleassignments/0e7f2a4c"))
        .unwrap();
    assert_eq!(grant[2..4], ["2", "1"], "{grant:?}");
    let bad = run(&["view", "principals", "--where", "1=1; DROP TABLE events"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("is not one SQL condition"), "{}", stderr(&bad));
}

#[test]
fn an_event_shows_its_whole_record_with_secrets_masked_unless_revealed() {
    let out = run(&["view", "event", "aws-assume-cross"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let field = |name: &str, value: &str| {
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == [name, value])
    };
    assert!(field("principal", "arn:aws:iam::111122223333:user/ci-bot"), "{text}");
    assert!(
        field(
            "assumed_principal",
            "arn:aws:sts::444455556666:assumed-role/CrossAccountAdmin/ci-deployer"
        ),
        "{text}"
    );
    assert!(
        text.contains("\"sessionToken\": \"[MASKED:aws-session-token:"),
        "{text}"
    );
    assert!(!text.contains("IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"));
    // The record keeps its own order: eventVersion first, as CloudTrail wrote it.
    assert!(
        text.split("raw\n")
            .nth(1)
            .unwrap()
            .starts_with("{\n  \"eventVersion\": \"1.09\","),
        "{text}"
    );
    let revealed = run(&["view", "event", "aws-assume-cross", "--reveal"]);
    assert!(stdout(&revealed).contains("IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"));
    let missing = run(&["view", "event", "no-such-event"]);
    assert_eq!(missing.status.code(), Some(2));
    // A search for the secret's text reads the masked record, and is told so.
    let search = "SELECT event_id FROM events WHERE raw LIKE '%IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN%'";
    let masked = run(&["query", "--format", "csv", search]);
    assert_eq!(csv_rows(&masked).len(), 1, "the header only");
    assert!(
        stderr(&masked).contains("raw holds markers where the records held secrets"),
        "{}",
        stderr(&masked)
    );
    let found = run(&["query", "--format", "csv", "--reveal", search]);
    assert_eq!(csv_rows(&found)[1..], [["aws-assume-cross"]]);
    assert!(!stderr(&found).contains("masked"), "{}", stderr(&found));
}

#[test]
fn a_report_runs_with_parameters_and_writes_a_csv_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("denied.csv");
    let out = run(&[
        "report",
        "run",
        "access-denied-spikes",
        "--param",
        "min_failures=9",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("wrote 3 rows"), "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("hour,cloud,tenant,principal,denied"), "{text}");
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["denied.csv", "denied.csv.provenance.json"],
        "no temporary file is left beside it, only its provenance"
    );

    let list = stdout(&run(&["report", "list"]));
    assert!(
        list.lines().count() >= 20 && list.contains("logging-tampering") && list.contains("Logging tampering"),
        "{list}"
    );
    let show = stdout(&run(&["report", "show", "access-key-activity"]));
    assert!(
        show.contains("access_key text (required)") && show.contains("SELECT"),
        "{show}"
    );
    let typo = run(&["report", "run", "logging-tamper"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("did you mean logging-tampering?"),
        "{}",
        stderr(&typo)
    );
}

#[test]
fn a_named_archive_in_the_config_file_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("archive = \"incident\"\n[archives]\nincident = \"{}\"\n", archive()),
    )
    .unwrap();
    let out = trailscope(
        &[
            "query",
            "--config",
            config.to_str().unwrap(),
            "--format",
            "csv",
            "SELECT count(*) AS n FROM events",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(csv_rows(&out)[1], ["122"]);
}

#[test]
fn the_users_own_report_folder_is_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(
        reports.join("mallory.sql"),
        "-- name: mallory-denied\n-- title: Mallory's refusals\n-- description: What mallory was refused.\n\
         -- param: who text = 'mallory@gmail.com'\nSELECT event_id FROM events WHERE principal = $who AND outcome = 'failure' ORDER BY event_id\n",
    )
    .unwrap();
    std::fs::write(reports.join("broken.sql"), "-- param: x nonsense\nSELECT $x\n").unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("report_dirs = [\"{}\"]\n", reports.display())).unwrap();
    let list = trailscope(&["report", "list", "--config", config.to_str().unwrap()], &[]);
    assert!(
        stdout(&list).contains("mallory-denied") && stdout(&list).contains("Mallory's refusals"),
        "{}",
        stdout(&list)
    );
    assert!(
        stderr(&list).contains("broken.sql is not valid"),
        "a broken report is named, the rest still listed: {}",
        stderr(&list)
    );
    let out = run(&[
        "report",
        "run",
        "mallory-denied",
        "--config",
        config.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert_eq!(csv_rows(&out).len() - 1, 12, "{}", stderr(&out));
}

#[test]
fn a_view_written_to_a_file_has_its_sql_and_window_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let window = ["--from", "2024-06-10", "--to", "2024-06-11"];
    let provenance_of = |args: &[&str], file: &std::path::Path| {
        let mut all = args.to_vec();
        all.extend(window);
        all.extend(["--show-sql", "--output", file.to_str().unwrap()]);
        let out = run(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = std::fs::read_to_string(trailscope::engine::export::provenance_path(file)).unwrap();
        (serde_json::from_str::<serde_json::Value>(&text).unwrap(), stderr(&out))
    };
    let principals = dir.path().join("principals.csv");
    let (p, shown) = provenance_of(&["view", "principals"], &principals);
    // The SQL recorded is the SQL that ran, as --show-sql prints it.
    let sql = p["sql"].as_str().unwrap();
    assert!(sql.contains("FROM events") && shown.contains(sql), "{p}\n{shown}");
    assert_eq!(p["window_from"], "2024-06-10T00:00:00Z");
    assert_eq!(p["window_to"], "2024-06-11T00:00:00Z");
    assert_eq!(p["file"], principals.display().to_string());
    assert_eq!(p["format"], "csv");
    assert_eq!(p["rows"], csv_rows_of(&principals) - 1);
    assert_eq!(p["archive"], archive());
    assert!(p["report"].is_null() && p["exported_at"].is_string() && p["user"].is_string());

    // A view of several parts writes one part to a file: its SQL and the principal it is of.
    let events = dir.path().join("mallory.jsonl");
    let (p, _) = provenance_of(&["view", "principal", "mallory", "--section", "events"], &events);
    assert_eq!(p["window_from"], "2024-06-10T00:00:00Z");
    assert!(p["sql"].as_str().unwrap().contains("FROM events"), "{p}");
    assert!(
        p["params"]
            .as_array()
            .unwrap()
            .iter()
            .any(|pair| pair[1] == "mallory@gmail.com"),
        "{p}"
    );
    // Standard output has no file beside which to keep one.
    let printed = run(&["view", "principals", "--format", "csv"]);
    assert!(printed.status.success() && !stderr(&printed).contains("came from"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
}

#[test]
fn a_window_that_starts_after_the_data_says_which_flags_fix_it() {
    let out = run(&["view", "timeline", "--from", "2024-07-01"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "trailscope: the window is empty: it starts at 2024-07-01T00:00:00Z and ends at 2024-06-10T15:08:01Z \
         (just after the archive's newest event): give --to too, or an earlier --from"
    );
}

fn csv_rows_of(file: &std::path::Path) -> usize {
    std::fs::read_to_string(file).unwrap().lines().count()
}

#[test]
fn every_command_explains_itself_with_an_example() {
    let commands: &[&[&str]] = &[
        &["--help"],
        &["ingest", "--help"],
        &["compact", "--help"],
        &["query", "--help"],
        &["view", "--help"],
        &["view", "timeline", "--help"],
        &["view", "principals", "--help"],
        &["view", "principal", "--help"],
        &["view", "resources", "--help"],
        &["view", "resource", "--help"],
        &["view", "event", "--help"],
        &["report", "--help"],
        &["report", "list", "--help"],
        &["report", "show", "--help"],
        &["report", "run", "--help"],
        &["journal", "--help"],
        &["schema", "--help"],
        &["demo", "--help"],
    ];
    for args in commands {
        let out = trailscope(args, &[]);
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains("Example"), "{args:?}:\n{text}");
        assert!(text.contains("trailscope "), "{args:?}:\n{text}");
        // Examples are never wrapped (a wrapped comment reads as a command): each fits 80 columns.
        let examples = text.split("Example").nth(1).unwrap().split("\n\n").next().unwrap();
        for line in examples.lines() {
            assert!(line.chars().count() <= 80, "{args:?}: {line}");
        }
    }
}

#[test]
fn a_window_without_events_says_where_the_archives_events_are() {
    let before = run(&["view", "principals", "--from", "2020-01-01", "--to", "2020-01-02"]);
    assert!(before.status.success(), "{}", stderr(&before));
    assert!(stdout(&before).contains("(0 rows)"));
    assert!(
        stderr(&before).contains("no events in the window: the archive's newest event is at 2024-06-10T15:08:00Z"),
        "{}",
        stderr(&before)
    );
    let after = run(&["view", "timeline", "--from", "2025-01-01"]);
    assert_eq!(after.status.code(), Some(2));
    assert!(
        stderr(&after).contains("just after the archive's newest event"),
        "{}",
        stderr(&after)
    );
    let found = run(&["view", "resources", "--from", "2024-06-10T09:00"]);
    assert!(!stderr(&found).contains("no events"), "{}", stderr(&found));
    // A condition that matches nothing is what to change, not the window.
    let filtered = run(&["view", "principals", "--where", "principal = 'nobody'"]);
    assert!(
        stderr(&filtered).contains("no events in the window match the --where condition"),
        "{}",
        stderr(&filtered)
    );
}

#[test]
fn a_refused_write_is_a_failure_not_a_change() {
    // alice tried to terminate nine instances and was refused each time.
    let out = run(&[
        "view",
        "principal",
        "user/alice",
        "--from",
        "30d",
        "--section",
        "resources",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = csv_rows(&out);
    let changes = rows[0].iter().position(|c| c == "changes").unwrap();
    let instances: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[0].contains(":instance/i-0")).collect();
    assert_eq!(instances.len(), 9, "{rows:?}");
    assert!(instances.iter().all(|r| r[changes] == "0"), "{instances:?}");
}

#[test]
fn an_event_delivered_twice_shows_both_records_and_says_they_are_copies() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let original = fixture("aws/111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json");
    let again = dir.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    let mut bytes = std::fs::read(&original).unwrap();
    bytes.push(b'\n');
    std::fs::write(again.join(original.file_name().unwrap()), bytes).unwrap();
    for source in [&original, &again] {
        let out = trailscope(
            &[
                "ingest",
                "--archive",
                archive.to_str().unwrap(),
                source.to_str().unwrap(),
            ],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let path = archive.to_str().unwrap();
    let ids = csv_rows(&trailscope(
        &[
            "query",
            "--archive",
            path,
            "--format",
            "csv",
            "SELECT min(event_id) FROM events",
        ],
        &[],
    ));
    let out = trailscope(&["view", "event", &ids[1][0], "--archive", path], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("\nraw\n").count(), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("2 records have this id"), "{}", stderr(&out));
}
