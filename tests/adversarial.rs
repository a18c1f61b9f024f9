//! Attacks on what the archive guards, each answered: secrets that leaked into records must not
//! leave the sealed tier (by a Parquet reader, SQL, any output, the journal or an error), bytes an
//! attacker wrote must not reach a terminal as they are, the access journal must not be dodged,
//! and bad input must be answered without harm. The corpus is tests/fixtures/hostile/ (records in
//! each cloud's own format) plus files, names and archives made here.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{S3Server, fixture, stderr, stdout, trailscope};

/// Every secret the hostile corpus leaks, as it appears in the records (decoded).
const SECRETS: [&str; 17] = [
    "Ecs-Db-Pa55word!x",                   // ECS task definition environment list
    "lambda-stripe-key-value-1",           // Lambda environment variables
    "escaped-key-hunter2",                 // a key written with JSON escapes
    "4815162342",                          // a number under a secret's name
    "IQoJb3JpZ2luX2VjPRESIGNEDTOKENVALUE", // presigned URL: X-Amz-Security-Token
    "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7", // presigned URL: X-Amz-Signature
    "Url-Pa55-Secret",                     // a password in a URL, in an error message
    "ErrMsgPass-77",                       // password= in an error message
    "IQoJb3JpZ2luX2VjASSUMEROLETOKEN123",  // an AssumeRole response's session token
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV",  // a bearer JWT in a user agent
    "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3sXY", // a GitHub token in a build's variables
    "wJalrXUtnFEMIK7MDENGbPxRfiCYSTARTUPKEY", // aws_secret_access_key = … in a startup script
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", // a private key without its END line
    "AppSettingSecretValue-42",            // Azure appSettings name/value
    "QWNjb3VudEtleVNlY3JldDEyMzQ1Njc4OTA==", // AccountKey= in a connection string
    "Xy7Zq%2FWm3Kp9sEcReT%3D",             // an Azure SAS sig=
    "EscapedJsonPw-9",                     // JSON inside a string
];

/// The hostile corpus ingested once for this test binary.
fn hostile() -> &'static str {
    static ARCHIVE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ARCHIVE
        .get_or_init(|| {
            let path = tempfile::tempdir().unwrap().keep().join("archive");
            let out = trailscope(
                &[
                    "ingest",
                    "--archive",
                    path.to_str().unwrap(),
                    fixture("hostile").to_str().unwrap(),
                ],
                &[],
            );
            assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
            path
        })
        .to_str()
        .unwrap()
}

fn on_hostile(args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--archive", hostile()]);
    trailscope(&all, &[])
}

/// The number an ingest or compact summary gives for `label`.
fn counted(summary: &str, label: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no '{label}' in {summary}"))
}

fn leaked(text: &str) -> Vec<&'static str> {
    SECRETS.iter().copied().filter(|s| text.contains(s)).collect()
}

/// Every text cell of every Parquet file under `dir`, read with the parquet crate (not trailscope).
fn parquet_text(dir: &Path) -> String {
    use datafusion::arrow::array::Array;
    use datafusion::arrow::datatypes::DataType;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let mut text = String::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|x| x != "parquet") {
            continue;
        }
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(entry.path()).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            for column in batch.unwrap().columns() {
                let Ok(strings) = datafusion::arrow::compute::cast(column, &DataType::Utf8) else {
                    continue;
                };
                let strings = strings
                    .as_any()
                    .downcast_ref::<datafusion::arrow::array::StringArray>()
                    .unwrap();
                for i in 0..strings.len() {
                    if strings.is_valid(i) {
                        text.push_str(strings.value(i));
                        text.push('\n');
                    }
                }
            }
        }
    }
    text
}

#[test]
fn no_secret_of_the_corpus_is_in_any_parquet_file_under_events_and_each_is_sealed() {
    let archive = Path::new(hostile());
    let events = parquet_text(&archive.join("events"));
    assert!(events.contains("[MASKED:"), "markers stand where the secrets were");
    assert_eq!(leaked(&events), Vec::<&str>::new(), "secrets in events/");
    let index = parquet_text(&archive.join("_index"));
    assert_eq!(leaked(&index), Vec::<&str>::new(), "secrets in _index/");
    let sealed = parquet_text(&archive.join("_sealed"));
    for secret in SECRETS {
        assert!(sealed.contains(secret), "{secret} is kept verbatim in the sealed tier");
    }
}

#[test]
fn no_sql_recovers_a_secret_and_the_journal_and_errors_hold_none() {
    for sql in [
        "SELECT substr(user_agent, strpos(user_agent, 'Bearer ') + 7) FROM events",
        "SELECT reverse(raw) FROM events",
        "SELECT arrow_cast(raw, 'LargeUtf8') FROM events",
        "SELECT json_get_str(raw, 'responseElements', 'credentials', 'sessionToken') FROM events",
        "SELECT event_id FROM events WHERE raw LIKE '%Ecs-Db-Pa55word%' OR error_message LIKE '%ErrMsgPass%'",
        "SELECT CAST(error_message AS INT) FROM events WHERE event_id = 'hostile-06'",
        "SELECT CAST(json_get_str(raw, 'requestParameters', 'presignedUrl') AS INT) FROM events",
        "SELECT regexp_replace(raw, '[^0-9]', '', 'g') FROM events",
        "SELECT encode(CAST(raw AS BYTEA), 'base64') FROM events",
    ] {
        let out = on_hostile(&["query", "--format", "csv", sql]);
        let said = stdout(&out) + &stderr(&out);
        assert_eq!(leaked(&said), Vec::<&str>::new(), "{sql}: {said}");
        // base64 of a secret is not the secret's text: decoded, it must not hold one either.
        if sql.contains("base64") {
            use base64::Engine;
            let decoded: String = stdout(&out)
                .lines()
                .skip(1)
                .filter_map(|l| {
                    base64::engine::general_purpose::STANDARD
                        .decode(l.trim_matches('"'))
                        .ok()
                })
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .collect();
            assert!(decoded.contains("eventVersion"), "the records decoded");
            assert_eq!(leaked(&decoded), Vec::<&str>::new());
        }
    }
    // A query that quotes a secret (a search for it) is journaled with the secret masked only
    // where its shape is recognised; the journal of the archive and the user's hold no result.
    let journal =
        stdout(&on_hostile(&["journal", "--json"])) + &stdout(&trailscope(&["journal", "--json", "--local"], &[]));
    assert!(journal.contains("reverse(raw)"), "the queries are journaled");
    assert_eq!(
        leaked(&journal.replace("Ecs-Db-Pa55word%", "").replace("ErrMsgPass%", "")),
        Vec::<&str>::new()
    );
    // With --reveal the verbatim records are read (and that is journaled).
    let revealed = on_hostile(&[
        "query",
        "--reveal",
        "--format",
        "csv",
        "SELECT raw, error_message, user_agent FROM events",
    ]);
    assert_eq!(leaked(&stdout(&revealed)).len(), SECRETS.len(), "{}", stderr(&revealed));
}

#[test]
fn no_view_report_or_output_format_holds_a_secret_without_reveal() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("all.parquet");
    let mut said = String::new();
    for args in [
        vec!["query", "--format", "json", "SELECT * FROM events"],
        vec!["query", "--format", "table", "SELECT * FROM events"],
        vec!["query", "--output", parquet.to_str().unwrap(), "SELECT * FROM events"],
        vec!["view", "event", "hostile-01"],
        vec!["view", "event", "hostile-az-1"],
        vec!["view", "principal", "ci-bot", "--section", "events", "--format", "csv"],
        vec![
            "view",
            "resource",
            "worker-1",
            "--section",
            "changes",
            "--format",
            "json",
        ],
        vec![
            "view",
            "timeline",
            "--bucket",
            "2024-07-01T10:00:00Z",
            "--format",
            "csv",
        ],
        vec![
            "report",
            "run",
            "ip-activity",
            "--param",
            "ip=203.0.113.99",
            "--format",
            "json",
        ],
    ] {
        let out = on_hostile(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        said += &(stdout(&out) + &stderr(&out));
    }
    said += &parquet_text(dir.path());
    assert!(said.contains("[MASKED:password:"), "{said}");
    assert_eq!(leaked(&said), Vec::<&str>::new());
}

#[test]
fn hostile_bytes_reach_no_terminal_from_tables_messages_or_summaries() {
    let hostile_chars = |text: &str| -> Vec<char> {
        text.chars()
            .filter(|c| trailscope::terminal_text::is_hostile(*c) && *c != '\n')
            .collect()
    };
    // A table (what a terminal is shown) of fields that hold escape sequences, bidi overrides
    // and zero-width characters.
    let table = on_hostile(&["query", "SELECT user_agent, principal FROM events ORDER BY event_id"]);
    let shown = stdout(&table);
    assert!(shown.contains("\\x1b]0;pwned-title\\x07"), "{shown}");
    assert!(
        shown.contains("admin\\u{202e}gnp.exe") && shown.contains("ad\\u{200b}min"),
        "{shown}"
    );
    assert_eq!(hostile_chars(&shown), Vec::<char>::new());
    // Messages on standard error: a view naming a principal, an engine error quoting a value,
    // a report's parameters.
    for args in [
        vec!["view", "principal", "gnp.exe"],
        vec![
            "query",
            "SELECT CAST(user_agent AS INT) FROM events WHERE event_id = 'hostile-10'",
        ],
        vec!["report", "run", "ip-activity", "--param", "ip=\u{1b}[2J\u{202e}1.2.3.4"],
    ] {
        let out = on_hostile(&args);
        let said = stdout(&out) + &stderr(&out);
        assert_eq!(hostile_chars(&said), Vec::<char>::new(), "{args:?}: {said:?}");
    }
    // The journal's text.
    let journal = on_hostile(&["journal"]);
    assert_eq!(hostile_chars(&stdout(&journal)), Vec::<char>::new());
    // An ingest summary: a file named with an escape sequence, a rejected record whose time
    // echoes one.
    let dir = tempfile::tempdir().unwrap();
    let incoming = dir.path().join("incoming");
    std::fs::create_dir_all(&incoming).unwrap();
    std::fs::write(incoming.join("evil\u{1b}]0;x\u{7}.json"), "not json at all").unwrap();
    let record = r#"{"eventVersion":"1.08","eventID":"e1","eventTime":"\u001b[2J\u202e2024","eventSource":"s3.amazonaws.com","eventName":"GetObject","recipientAccountId":"111122223333"}"#;
    std::fs::write(incoming.join("bad-time.json"), format!("{{\"Records\":[{record}]}}")).unwrap();
    let out = trailscope(
        &[
            "ingest",
            "--archive",
            dir.path().join("a").to_str().unwrap(),
            incoming.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    let summary = stdout(&out) + &stderr(&out);
    assert!(summary.contains("evil\\x1b]0;x\\x07.json"), "{summary}");
    assert_eq!(hostile_chars(&summary), Vec::<char>::new(), "{summary:?}");
}

#[test]
fn data_to_a_pipe_keeps_its_bytes_and_to_a_terminal_is_escaped() {
    let sql = "SELECT user_agent FROM events WHERE event_id = 'hostile-10'";
    let piped = on_hostile(&["query", "--format", "csv", sql]);
    assert!(
        stdout(&piped).contains("\u{1b}]0;pwned-title\u{7}"),
        "a pipe gets the exact bytes"
    );
    // The same in a terminal (a pseudo-terminal: what a user sees).
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    for format in ["csv", "json"] {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 200,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_trailscope"));
        cmd.args(["query", "--archive", hostile(), "--format", format, sql]);
        cmd.env("TRAILSCOPE_STATE_DIR", common::state_dir());
        cmd.env("TRAILSCOPE_CONFIG", common::state_dir().join("no-config.toml"));
        let mut child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let reading = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                bytes.extend_from_slice(&buf[..n]);
            }
            bytes
        });
        assert!(child.wait().unwrap().success());
        drop(pty.master);
        let bytes = reading.join().unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!bytes.contains(&0x1b), "{format}: {text:?}");
        // CSV shows the bytes escaped; JSON escapes them itself.
        let shown = if format == "csv" {
            "\\x1b]0;pwned-title\\x07"
        } else {
            "\\u001b]0;pwned-title\\u0007"
        };
        assert!(text.contains(shown), "{format}: {text:?}");
    }
}

/// An archive of the fixtures, its own (the journal tests change its policy).
fn own_archive(dir: &Path) -> String {
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
    archive.display().to_string()
}

fn journal_of(archive: &str) -> Vec<serde_json::Value> {
    stdout(&trailscope(&["journal", "--json", "--archive", archive], &[]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_query_whose_reader_stops_early_is_journaled_with_how_it_ended() {
    let dir = tempfile::tempdir().unwrap();
    let archive = own_archive(dir.path());
    // `| head -1`: the reader goes away while rows are being written.
    let sql = "SELECT e.raw FROM events e CROSS JOIN range(2000) -- head-7c1e";
    // The binary, archive and SQL as the shell's own arguments: a path with a space in it (a
    // clone in "odd path/") stays one word.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#""$0" query --archive "$1" --format csv "$2" | head -1"#)
        .args([env!("CARGO_BIN_EXE_trailscope"), &archive, sql])
        .env("TRAILSCOPE_STATE_DIR", common::state_dir())
        .env("TRAILSCOPE_CONFIG", common::state_dir().join("no-config.toml"))
        .output()
        .unwrap();
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(
        stderr(&out).is_empty(),
        "a closed pipe is not an error: {}",
        stderr(&out)
    );
    let entry = journal_of(&archive)
        .into_iter()
        .find(|e| e["sql"].as_str().unwrap().contains("head-7c1e"))
        .expect("the query is in the archive's journal");
    assert_eq!(entry["end"]["outcome"], "interrupted: the output was closed", "{entry}");

    // Ctrl+C while it runs.
    let slow = "SELECT count(*) FROM events CROSS JOIN range(2000000000) -- ctrl-c-5e2a";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args(["query", "--archive", &archive, slow])
        .env("TRAILSCOPE_STATE_DIR", common::state_dir())
        .env("TRAILSCOPE_CONFIG", common::state_dir().join("no-config.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the query has started (its start is in the archive's journal), interrupt it.
    let started = std::time::Instant::now();
    while !journal_of(&archive)
        .iter()
        .any(|e| e["sql"].as_str().unwrap().contains("ctrl-c-5e2a"))
    {
        assert!(started.elapsed().as_secs() < 60, "the query never started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // SAFETY: signalling a child process of this test.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let entry = journal_of(&archive)
        .into_iter()
        .find(|e| e["sql"].as_str().unwrap().contains("ctrl-c-5e2a"))
        .unwrap();
    assert_eq!(entry["end"]["outcome"], "interrupted: Ctrl+C", "{entry}");
}

#[test]
fn the_owners_decide_whether_an_unrecorded_query_may_run() {
    let dir = tempfile::tempdir().unwrap();
    let archive = own_archive(dir.path());
    let sql = "SELECT count(*) FROM events";
    // A reader who cannot write _journal/ (here: a file stands where the folder would be).
    let journal = Path::new(&archive).join("_journal");
    std::fs::remove_dir_all(&journal).ok();
    std::fs::write(&journal, "not a folder").unwrap();
    let out = trailscope(&["query", "--archive", &archive, sql], &[]);
    assert!(out.status.success(), "optional: the query runs, {}", stderr(&out));
    assert!(
        stderr(&out).contains("recorded in your local journal only"),
        "and the reader is warned: {}",
        stderr(&out)
    );
    // The owners require it: the same reader is refused.
    let set = trailscope(&["journal", "--require", "--archive", &archive], &[]);
    assert!(set.status.success(), "{}", stderr(&set));
    let out = trailscope(&["query", "--archive", &archive, sql], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("the query did not run") && stderr(&out).contains("require"),
        "{}",
        stderr(&out)
    );
    // Writable again, the query runs and is in the archive's journal.
    std::fs::remove_file(&journal).unwrap();
    let out = trailscope(&["query", "--archive", &archive, "SELECT 'owner-9a' AS m"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        journal_of(&archive)
            .iter()
            .any(|e| e["sql"].as_str().unwrap().contains("owner-9a"))
    );
}

#[test]
fn a_local_journal_that_cannot_be_written_is_said_on_every_query() {
    let dir = tempfile::tempdir().unwrap();
    let archive = own_archive(dir.path());
    let state = dir.path().join("state-is-a-file");
    std::fs::write(&state, "").unwrap();
    let out = trailscope(
        &["query", "--archive", &archive, "SELECT 1"],
        &[("TRAILSCOPE_STATE_DIR", state.to_str().unwrap())],
    );
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("could not be recorded in your local journal"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn credentials_written_into_an_archive_url_are_never_printed_or_recorded() {
    let server = S3Server::start(&["audit"]);
    let env = server.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let url = "s3://AKIAINURL00000000000:UrlSecretValue123@audit/prod";
    let ingest = trailscope(
        &["ingest", "--archive", url, fixture("reports").to_str().unwrap()],
        &env,
    );
    let query = trailscope(&["query", "--archive", url, "SELECT count(*) FROM events"], &env);
    let journal = trailscope(&["journal", "--json", "--archive", url], &env);
    assert!(query.status.success(), "{}", stderr(&query));
    for out in [&ingest, &query, &journal] {
        let said = stdout(out) + &stderr(out);
        assert!(!said.contains("UrlSecretValue123"), "{said}");
    }
    let journal = stdout(&journal);
    assert!(journal.contains("\"archive\":\"s3://audit/prod\""), "{journal}");
    // The store's identity is recorded: the access key the credentials resolve to.
    assert!(
        journal.contains(&format!("AWS access key {}", common::S3_KEY)),
        "{journal}"
    );
    let local = stdout(&trailscope(&["journal", "--json", "--local"], &[]));
    assert!(!local.contains("UrlSecretValue123"));
}

#[test]
fn events_dated_impossibly_and_records_read_two_ways_are_quarantined_with_why() {
    let dir = tempfile::tempdir().unwrap();
    let record = |id: &str, time: &str| {
        format!(
            r#"{{"eventVersion":"1.08","eventID":"{id}","eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333"}},"recipientAccountId":"111122223333"}}"#
        )
    };
    let twice = r#"{"eventVersion":"1.08","eventID":"twice","eventTime":"2024-05-02T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"arn":"arn:aws:iam::111122223333:user/shown","arn":"arn:aws:iam::111122223333:user/hidden","accountId":"111122223333"},"recipientAccountId":"111122223333"}"#;
    let lines = [
        record("far-future", "2263-01-01T00:00:00Z"),
        record("year-9999", "9999-12-31T23:59:59Z"),
        record("before-1990", "1970-01-01T00:00:00Z"),
        record("fine", "2024-05-02T10:00:00Z"),
        twice.to_string(),
    ];
    let file = dir.path().join("times.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let archive = dir.path().join("a");
    let out = trailscope(
        &["ingest", "--archive", archive.to_str().unwrap(), file.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let summary = stdout(&out);
    assert_eq!(counted(&summary, "events written"), 1, "{summary}");
    assert!(summary.contains("more than a day after this ingest"), "{summary}");
    assert!(summary.contains("before 1990"), "{summary}");
    assert!(summary.contains("ambiguous: the key 'arn' appears twice"), "{summary}");
    let kept: String = walkdir::WalkDir::new(archive.join("_sealed/quarantine"))
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    for id in ["far-future", "year-9999", "before-1990", "twice"] {
        assert!(kept.contains(id), "{id} is kept in the quarantine");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_archive_with_an_event_dated_9999_still_answers_every_view_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let sources = dir.path().join("sources");
    common::compaction::copy_dir(&fixture("reports"), &sources);
    let far = r#"{"Records":[{"eventVersion":"1.08","eventID":"year-9999","eventTime":"9999-12-31T23:59:59Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/clock","accountId":"111122223333"},"recipientAccountId":"111122223333"},{"eventVersion":"1.08","eventID":"year-2263","eventTime":"2263-06-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/clock","accountId":"111122223333"},"recipientAccountId":"111122223333"}]}"#;
    std::fs::write(sources.join("far.json"), far).unwrap();
    let archive = dir.path().join("older");
    // As an archive of format 1 holds it: ingest then did not refuse such times.
    common::compaction::write_format_1_archive(&archive, &[sources]);
    let path = archive.to_str().unwrap();
    let mut runs = vec![
        vec!["view", "timeline"],
        vec!["view", "principals"],
        vec!["view", "resources"],
        vec![
            "view",
            "principal",
            "clock",
            "--from",
            "2263-05-30",
            "--to",
            "2263-06-03",
        ],
        vec![
            "view",
            "timeline",
            "--from",
            "9999-12-30",
            "--to",
            "9999-12-31T23:59:59.999Z",
        ],
        vec!["view", "timeline", "--from", "2024-06-01", "--to", "2024-07-01"],
        vec!["query", "SELECT max(event_time), min(event_time) FROM events"],
    ];
    let reports = stdout(&trailscope(&["report", "list"], &[]));
    let names: Vec<String> = reports
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for name in &names {
        if [
            "access-key-activity",
            "principal-activity",
            "ip-activity",
            "resource-activity",
        ]
        .contains(name)
        {
            continue;
        }
        runs.push(vec!["report", "run", name]);
    }
    for args in runs {
        let mut all = args.clone();
        all.extend(["--archive", path]);
        let out = trailscope(&all, &[]);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    // Compaction migrates the archive and moves both events to the sealed quarantine.
    let out = trailscope(&["compact", "--archive", path], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(counted(&stdout(&out), "events quarantined"), 2, "{}", stdout(&out));
    let ids = stdout(&trailscope(
        &[
            "query",
            "--archive",
            path,
            "--format",
            "csv",
            "SELECT event_id FROM events WHERE event_id LIKE 'year-%'",
        ],
        &[],
    ));
    assert_eq!(ids.trim(), "event_id");
}

#[test]
fn links_are_not_followed_out_of_the_folder_being_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let incoming = dir.path().join("incoming");
    std::fs::create_dir_all(&incoming).unwrap();
    std::fs::copy(
        fixture("aws/111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json"),
        incoming.join("real.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", incoming.join("passwd.json")).unwrap();
    std::os::unix::fs::symlink("/etc", incoming.join("etc")).unwrap();
    let archive = dir.path().join("a");
    let out = trailscope(
        &[
            "ingest",
            "--archive",
            archive.to_str().unwrap(),
            incoming.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("a symbolic link (not followed"),
        "{}",
        stdout(&out)
    );
    let kept: Vec<PathBuf> = walkdir::WalkDir::new(&archive)
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.into_path())
        .collect();
    assert!(!kept.iter().any(|p| p.to_string_lossy().contains("passwd")), "{kept:?}");
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for file in kept.iter().filter(|p| p.is_file()) {
        let bytes = std::fs::read(file).unwrap();
        assert!(passwd.is_empty() || !String::from_utf8_lossy(&bytes).contains(passwd.lines().next().unwrap()));
    }
}

#[test]
fn a_gzip_bomb_stops_at_the_limit_and_bad_bytes_cost_only_their_line() {
    use flate2::write::GzEncoder;
    let dir = tempfile::tempdir().unwrap();
    let incoming = dir.path().join("incoming");
    std::fs::create_dir_all(&incoming).unwrap();
    // 64 MiB of spaces in about 64 KB.
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..64 {
        gz.write_all(&vec![b' '; 1 << 20]).unwrap();
    }
    std::fs::write(incoming.join("bomb.json.gz"), gz.finish().unwrap()).unwrap();
    // JSON lines with one line that is not UTF-8.
    let good = std::fs::read_to_string(fixture("aws/cloudgoat_logstash.json")).unwrap();
    let mut lines = good.lines().take(3).map(|l| l.as_bytes().to_vec()).collect::<Vec<_>>();
    lines.insert(1, b"{\"eventVersion\":\"1.08\",\"userAgent\":\"\xff\xfe\"}".to_vec());
    std::fs::write(incoming.join("mixed.jsonl"), lines.join(&b'\n')).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "max_decompressed = \"16MiB\"\n").unwrap();
    let archive = dir.path().join("a");
    let out = trailscope(
        &[
            "ingest",
            "--archive",
            archive.to_str().unwrap(),
            incoming.to_str().unwrap(),
        ],
        &[("TRAILSCOPE_CONFIG", config.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(3));
    let summary = stdout(&out);
    assert!(summary.contains("more than 16.0 MiB when decompressed"), "{summary}");
    assert!(summary.contains("max_decompressed"), "{summary}");
    assert!(summary.contains("line 2 is not UTF-8 text"), "{summary}");
    // Only the line that is not text is refused; the file's other records are taken.
    assert_eq!(counted(&summary, "records rejected"), 1, "{summary}");
    assert!(counted(&summary, "events written") >= 2, "{summary}");
    // The line is kept byte for byte.
    let rejected = walkdir::WalkDir::new(archive.join("_sealed/quarantine"))
        .into_iter()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().ends_with(".rejected.jsonl"))
        .unwrap();
    let line: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(rejected.path())
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(line["record_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, b"{\"eventVersion\":\"1.08\",\"userAgent\":\"\xff\xfe\"}");
}

#[test]
fn csv_neutralises_formulas_in_every_form_and_text_type() {
    let sql = "SELECT '  =1+1' AS a, '-A1&A2' AS b, '+A1' AS c, '＝1+1' AS d, \
               arrow_cast('=2+2', 'LargeUtf8') AS e, arrow_cast('@SUM(A1)', 'Utf8View') AS f, \
               '-12.5' AS g, '-ef6q7xe2y19o' AS h";
    let out = on_hostile(&["query", "--format", "csv", sql]);
    let row: Vec<String> = stdout(&out)
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    assert_eq!(
        row,
        [
            "'  =1+1",
            "'-A1&A2",
            "'+A1",
            "'＝1+1",
            "'=2+2",
            "'@SUM(A1)",
            "-12.5",
            "-ef6q7xe2y19o"
        ],
        "a number and an id are values"
    );
}

/// A store whose listings fail as object_store's S3 client fails on a key it cannot represent
/// (an empty segment, `..`): the whole page of a listing that reaches the folder holding it; and
/// that refuses access under a prefix, as a bucket policy does.
#[derive(Debug)]
struct Spoiled {
    inner: std::sync::Arc<dyn object_store::ObjectStore>,
    /// The folder (a store path) that holds the key.
    folder: String,
    /// Reads and listings under this prefix are denied.
    denied: Option<String>,
}

impl Spoiled {
    fn denies(&self, path: Option<&object_store::path::Path>) -> Option<object_store::Error> {
        let (denied, path) = (self.denied.as_ref()?, path?);
        path.as_ref()
            .starts_with(denied.as_str())
            .then(|| object_store::Error::PermissionDenied {
                path: path.to_string(),
                source: "AccessDenied".into(),
            })
    }
}

impl std::fmt::Display for Spoiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Spoiled({})", self.inner)
    }
}

fn unreadable(folder: &str) -> object_store::Error {
    object_store::Error::InvalidPath {
        source: object_store::path::Path::parse(format!("{folder}//evil.json")).unwrap_err(),
    }
}

#[async_trait::async_trait]
impl object_store::ObjectStore for Spoiled {
    async fn put_opts(
        &self,
        location: &object_store::path::Path,
        payload: object_store::PutPayload,
        opts: object_store::PutOptions,
    ) -> object_store::Result<object_store::PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &object_store::path::Path,
        opts: object_store::PutMultipartOptions,
    ) -> object_store::Result<Box<dyn object_store::MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }
    async fn get_opts(
        &self,
        location: &object_store::path::Path,
        options: object_store::GetOptions,
    ) -> object_store::Result<object_store::GetResult> {
        if let Some(e) = self.denies(Some(location)) {
            return Err(e);
        }
        self.inner.get_opts(location, options).await
    }
    fn delete_stream(
        &self,
        locations: futures::stream::BoxStream<'static, object_store::Result<object_store::path::Path>>,
    ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::path::Path>> {
        self.inner.delete_stream(locations)
    }
    fn list(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>> {
        use futures::StreamExt;
        if let Some(e) = self.denies(prefix) {
            return futures::stream::once(futures::future::ready(Err(e))).boxed();
        }
        let reaches = prefix.is_none_or(|p| self.folder.starts_with(p.as_ref()));
        if reaches {
            futures::stream::once(futures::future::ready(Err(unreadable(&self.folder)))).boxed()
        } else {
            self.inner.list(prefix)
        }
    }
    async fn list_with_delimiter(
        &self,
        prefix: Option<&object_store::path::Path>,
    ) -> object_store::Result<object_store::ListResult> {
        if let Some(e) = self.denies(prefix) {
            return Err(e);
        }
        if prefix.is_some_and(|p| p.as_ref() == self.folder) {
            return Err(unreadable(&self.folder));
        }
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(
        &self,
        from: &object_store::path::Path,
        to: &object_store::path::Path,
        options: object_store::CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_key_the_store_cannot_read_costs_only_its_folder() {
    use trailscope::archive::inputs::{Inputs, resolve_location};
    use trailscope::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest};
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let good = raw.join("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02");
    let spoiled = raw.join("AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/02");
    for folder in [&good, &spoiled] {
        std::fs::create_dir_all(folder).unwrap();
    }
    std::fs::copy(
        fixture("aws/111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json"),
        good.join("111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json"),
    )
    .unwrap();
    std::fs::copy(
        fixture("aws/aws.defense-evasion.cloudtrail-stop.json"),
        spoiled.join("stop.json"),
    )
    .unwrap();
    let mut location = Location::open(raw.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let folder = location
        .path("AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/02")
        .to_string();
    location.store = std::sync::Arc::new(Spoiled {
        inner: location.store.clone(),
        folder: folder.clone(),
        denied: None,
    });
    let mut inputs = Inputs::default();
    resolve_location(&location, &mut inputs).await.unwrap();
    assert_eq!(inputs.files.len(), 1, "the readable folder's file: {inputs:?}");
    let (named, why) = inputs
        .passed_over
        .iter()
        .find(|(_, why)| why.contains("cannot be listed"))
        .expect("the spoiled folder is named");
    assert!(named.contains("eu-west-1/2024/05/02"), "{named}: {why}");
    let archive = Location::create(dir.path().join("a").to_str().unwrap(), &StoreOptions::default()).unwrap();
    let summary = ingest(&archive, inputs, &IngestOptions::default(), &Quiet)
        .await
        .unwrap();
    assert!(summary.events_total() > 0, "the rest was ingested");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revealing_without_access_to_the_sealed_tier_is_refused_in_one_sentence_and_a_secret_finds_its_records() {
    use trailscope::archive::{Location, StoreOptions};
    use trailscope::engine::{Session, SessionOptions};
    let mut location = Location::open(hostile(), &StoreOptions::default()).unwrap();
    let sealed = location.path("_sealed").to_string();
    location.store = std::sync::Arc::new(Spoiled {
        inner: location.store.clone(),
        folder: "nowhere".into(),
        denied: Some(sealed),
    });
    let options = |redact| SessionOptions {
        redact,
        journal: None,
        facts: true,
        engine: Default::default(),
    };
    let refused = Session::open(location.clone(), options(false))
        .await
        .err()
        .expect("refused");
    let said = refused.to_string();
    assert!(
        said.contains("access to the sealed tier") && said.contains("was denied"),
        "{said}"
    );
    // Without --reveal, the same reader reads the archive as usual.
    let session = Session::open(location, options(true)).await.unwrap();
    use futures::TryStreamExt;
    let rows: Vec<datafusion::arrow::array::RecordBatch> = session
        .sql("SELECT count(*) FROM events")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows[0].num_rows(), 1);

    // Whoever may read the key turns a secret found elsewhere into its fingerprint, which finds
    // every record the secret leaked into.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_trailscope"))
        .args(["fingerprint", "--archive", hostile()])
        .env("TRAILSCOPE_STATE_DIR", common::state_dir())
        .env("TRAILSCOPE_CONFIG", common::state_dir().join("no-config.toml"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Ecs-Db-Pa55word!x\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let fingerprint = stdout(&out).trim().to_string();
    assert_eq!(fingerprint.len(), 16, "{}", stderr(&out));
    let found = on_hostile(&[
        "query",
        "--format",
        "csv",
        &format!("SELECT event_id FROM events WHERE raw LIKE '%:{fingerprint}]%'"),
    ]);
    assert_eq!(stdout(&found).lines().skip(1).collect::<Vec<_>>(), ["hostile-01"]);
}
