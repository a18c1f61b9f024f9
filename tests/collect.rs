//! Incremental collection from delivery buckets: the real binary (and, for killed runs, the
//! library) against the S3-protocol server in the test process, which counts the requests it
//! answers. Sources are small files in each cloud's own delivery layout.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::store::Watched;
use common::{S3Kind, S3Server, csv_rows, stderr, stdout, trailscope};
use trailscope::archive::inputs::{Since, collect};
use trailscope::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest};

const TRAIL: &str = "raw/AWSLogs/111122223333/CloudTrail/us-east-1";
const AZURE: &str = "raw/insights-activity-logs/resourceId=/SUBSCRIPTIONS/8F3C1A2B-4D5E-4F60-9A7B-1C2D3E4F5A6B";

fn run(server: &S3Server, args: &[&str]) -> std::process::Output {
    let env = server.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    trailscope(args, &env)
}

fn ingest_cli(server: &S3Server, archive: &str, extra: &[&str]) -> String {
    let mut args = vec!["ingest", "--archive", archive];
    args.extend(extra);
    args.push("s3://raw/AWSLogs/");
    let out = run(server, &args);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    stdout(&out)
}

/// A CloudTrail delivery file of `events` management events on `day` (YYYY/MM/DD), ids from `id`.
fn cloudtrail(day: &str, id: &str, events: usize) -> String {
    let date = day.replace('/', "-");
    let records: Vec<String> = (0..events)
        .map(|i| {
            format!(
                r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ci-bot","accountId":"111122223333","userName":"ci-bot"}},"eventTime":"{date}T10:{:02}:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli","requestID":"r-{id}-{i}","eventID":"{id}-{i}","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}}"#,
                i % 60
            )
        })
        .collect();
    format!("{{\"Records\":[{}]}}", records.join(","))
}

fn put(server: &S3Server, key: &str, body: &str) {
    let path = server.root.path().join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

/// Lays out `per_day` CloudTrail files on each of May 1..=`days`, 2024; returns their keys.
fn trail(server: &S3Server, days: u32, per_day: usize) -> Vec<String> {
    let mut keys = Vec::new();
    for d in 1..=days {
        for n in 0..per_day {
            let day = format!("2024/05/{d:02}");
            let key = format!("{TRAIL}/{day}/111122223333_CloudTrail_us-east-1_202405{d:02}T10{n:02}Z_f{n}.json");
            put(server, &key, &cloudtrail(&day, &format!("ev-{d}-{n}"), 1));
            keys.push(key);
        }
    }
    keys
}

fn query(server: &S3Server, archive: &str, sql: &str) -> Vec<Vec<String>> {
    csv_rows(&run(server, &["query", "--archive", archive, "--format", "csv", sql]))
}

#[test]
fn a_rerun_over_an_unchanged_prefix_lists_only_and_a_replaced_object_is_read_again() {
    let server = S3Server::start(&["raw", "audit"]);
    let keys = trail(&server, 10, 30);
    let first = ingest_cli(&server, "s3://audit/a", &[]);
    assert!(first.contains("events written             300"), "{first}");

    server.reset();
    let again = ingest_cli(&server, "s3://audit/a", &[]);
    println!("re-run over 300 unchanged objects: {}", server.tally());
    assert_eq!(server.count(S3Kind::Get, "raw/"), 0, "{:?}", server.requests());
    assert_eq!(server.count(S3Kind::Head, "raw/"), 0);
    // Listed from the last day collected minus two: May 8, 9 and 10.
    assert!(again.contains("objects listed              90"), "{again}");
    assert!(again.contains("unchanged                   90"), "{again}");
    assert!(again.contains("date layouts listed from 2024-05-08"), "{again}");
    assert!(again.contains("events written               0"), "{again}");
    let total = server.requests().len();
    assert!(total <= 40, "{total} requests: {}", server.tally());
    // No GET of a ledger record per object either.
    assert!(server.count(S3Kind::Get, "audit/a/_ingest/") <= 3, "{}", server.tally());

    // The same name, new content: read again and ingested.
    let replaced = &keys[keys.len() - 1];
    put(&server, replaced, &cloudtrail("2024/05/10", "replaced", 2));
    server.reset();
    let after = ingest_cli(&server, "s3://audit/a", &[]);
    assert_eq!(server.count(S3Kind::Get, "raw/"), 1, "{:?}", server.requests());
    assert_eq!(server.count(S3Kind::Get, replaced), 1);
    assert!(after.contains("events written               2"), "{after}");
    assert!(after.contains("unchanged                   89"), "{after}");
    // Replaced again by its first content: read, and already in the archive by content.
    put(&server, replaced, &cloudtrail("2024/05/10", "ev-10-29", 1));
    let back = ingest_cli(&server, "s3://audit/a", &[]);
    assert!(back.contains("already ingested             1"), "{back}");

    let n = query(&server, "s3://audit/a", "SELECT count(*) AS n FROM events");
    assert_eq!(n[1], ["302"]);
    // The markers under _ingest/ are not the chain's business, and coverage still reads the ledger.
    let verify = run(&server, &["verify", "--archive", "s3://audit/a"]);
    assert!(verify.status.success(), "{}\n{}", stdout(&verify), stderr(&verify));
    let coverage = run(&server, &["coverage", "--archive", "s3://audit/a"]);
    assert!(coverage.status.success(), "{}", stderr(&coverage));
    assert!(
        stdout(&coverage).contains("source files in the ledger"),
        "{}",
        stdout(&coverage)
    );
}

#[test]
fn since_lists_from_its_day_and_the_default_margin_takes_a_late_delivery() {
    let server = S3Server::start(&["raw", "audit"]);
    trail(&server, 10, 3);
    let first = ingest_cli(&server, "s3://audit/b", &[]);
    assert!(first.contains("events written              30"), "{first}");

    // Late deliveries: one into May 9 (within the margin of May 10), one into May 3.
    let late = format!("{TRAIL}/2024/05/09/111122223333_CloudTrail_us-east-1_20240509T2355Z_late.json");
    let older = format!("{TRAIL}/2024/05/03/111122223333_CloudTrail_us-east-1_20240503T2355Z_late.json");
    put(&server, &late, &cloudtrail("2024/05/09", "late-9", 1));
    put(&server, &older, &cloudtrail("2024/05/03", "late-3", 1));
    server.reset();
    let default = ingest_cli(&server, "s3://audit/b", &[]);
    assert!(default.contains("events written               1"), "{default}");
    assert_eq!(server.count(S3Kind::Get, &late), 1);
    assert_eq!(server.count(S3Kind::Get, &older), 0);
    let dated: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.kind == S3Kind::List && r.key.starts_with(&format!("{TRAIL}/")) && !r.delimited)
        .collect();
    assert_eq!(dated.len(), 1, "{dated:?}");
    assert_eq!(
        dated[0].start_after.as_deref(),
        Some(format!("{TRAIL}/2024/05/08").as_str())
    );

    server.reset();
    let since = ingest_cli(&server, "s3://audit/b", &["--since", "2024-05-03"]);
    assert!(since.contains("events written               1"), "{since}");
    assert!(since.contains("date layouts listed from 2024-05-03"), "{since}");
    assert_eq!(server.count(S3Kind::Get, &older), 1);
    // May 3..10: 8 days of 3 files, and the two late ones.
    assert!(since.contains("objects listed              26"), "{since}");

    server.reset();
    let all = ingest_cli(&server, "s3://audit/b", &["--since", "all"]);
    assert!(all.contains("objects listed              32"), "{all}");
    assert!(all.contains("unchanged                   32"), "{all}");
    assert_eq!(server.count(S3Kind::Get, "raw/"), 0);

    let bad = run(
        &server,
        &["ingest", "--archive", "s3://audit/b", "--since", "May", "s3://raw/"],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("is not a day"), "{}", stderr(&bad));
}

/// An Azure activity record at `minute` past 09:00 on 2024-05-02, one line.
fn azure_record(minute: u32, tag: &str) -> String {
    format!(
        r#"{{ "time": "2024-05-02T09:{minute:02}:07.1234567Z", "resourceId": "/SUBSCRIPTIONS/8F3C1A2B-4D5E-4F60-9A7B-1C2D3E4F5A6B/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/SA{tag}", "operationName": "MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE", "category": "Administrative", "resultType": "Success", "resultSignature": "Succeeded", "durationMs": "10", "callerIpAddress": "198.51.100.77", "correlationId": "c-{tag}", "identity": {{"claims": {{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "alice@example.com"}}}}, "level": "Information", "location": "global", "properties": {{"statusCode": "Created", "eventCategory": "Administrative"}}}}"#
    ) + "\n"
}

const BLOB: &str = "y=2024/m=05/d=02/h=09/m=00/PT1H.json";

#[test]
fn a_grown_append_blob_is_read_from_where_it_stopped() {
    let server = S3Server::start(&["raw", "audit"]);
    let key = format!("{AZURE}/{BLOB}");
    let lines: Vec<String> = (0..6).map(|i| azure_record(10 + i, &format!("r{i}"))).collect();
    // Three records and the first half of a fourth, cut mid-line as a reader may find it.
    let cut = lines[3].len() / 2;
    let mut blob = lines[..3].concat() + &lines[3][..cut];
    put(&server, &key, &blob);
    let ingest = |extra: &[&str]| {
        let mut args = vec!["ingest", "--archive", "s3://audit/z"];
        args.extend(extra);
        args.push("s3://raw/insights-activity-logs/");
        let out = run(&server, &args);
        assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
        stdout(&out)
    };
    let first = ingest(&[]);
    assert!(first.contains("events written               3"), "{first}");
    assert!(first.contains("records rejected             0"), "{first}");

    // The cut record completed, and one more.
    blob.push_str(&lines[3][cut..]);
    blob.push_str(&lines[4]);
    put(&server, &key, &blob);
    server.reset();
    let grown = ingest(&[]);
    assert!(grown.contains("events written               2"), "{grown}");
    assert!(grown.contains("blobs continued              1"), "{grown}");
    assert_eq!(server.count(S3Kind::Get, &key), 1);

    // Unchanged: not fetched. Grown by half a record only: fetched, nothing taken.
    server.reset();
    let same = ingest(&[]);
    assert!(same.contains("unchanged                    1"), "{same}");
    assert_eq!(server.count(S3Kind::Get, "raw/"), 0);
    blob.push_str(&lines[5][..20]);
    put(&server, &key, &blob);
    let half = ingest(&[]);
    assert!(half.contains("events written               0"), "{half}");
    blob.push_str(&lines[5][20..]);
    put(&server, &key, &blob);
    let last = ingest(&[]);
    assert!(last.contains("events written               1"), "{last}");

    let ids = query(
        &server,
        "s3://audit/z",
        "SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events",
    );
    assert_eq!(ids[1], ["6", "6"], "no event lost, none doubled");

    // The part read before changed: read whole as a new source, and said so.
    let rewritten = lines[..5].concat().replace("SAr0", "SAx0") + &lines[5];
    put(&server, &key, &rewritten);
    let changed = ingest(&[]);
    assert!(changed.contains("blobs rewritten              1"), "{changed}");
    assert!(changed.contains(&key.replacen("raw/", "s3://raw/", 1)), "{changed}");
}

/// Every event id in a local archive with how many times it is there.
fn ids(archive: &Path) -> Vec<Vec<String>> {
    csv_rows(&trailscope(
        &[
            "query",
            "--archive",
            archive.to_str().unwrap(),
            "--format",
            "csv",
            "SELECT event_id, count(*) AS n FROM events GROUP BY event_id ORDER BY event_id",
        ],
        &[],
    ))
}

async fn collect_into(server: &S3Server, archive: &Path, budget: usize) -> Result<(), String> {
    let mut location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    location.store = Arc::new(Watched::dying_after(location.store.clone(), budget));
    let sources = [
        "s3://raw/AWSLogs/".to_string(),
        "s3://raw/insights-activity-logs/".to_string(),
    ];
    let inputs = collect(&sources, &server.store_options(), &location, Since::Remembered, &Quiet)
        .await
        .map_err(|e| e.to_string())?;
    let options = IngestOptions {
        batch_events: 4,
        ..IngestOptions::default()
    };
    ingest(&location, inputs, &options, &Quiet)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_anywhere_loses_nothing_and_doubles_nothing_on_rerun() {
    let server = S3Server::start(&["raw"]);
    trail(&server, 3, 4);
    let key = format!("{AZURE}/{BLOB}");
    let lines: Vec<String> = (0..8).map(|i| azure_record(10 + i, &format!("k{i}"))).collect();
    let cut = lines[3].len() / 2;
    put(&server, &key, &(lines[..3].concat() + &lines[3][..cut]));

    // The first collection, whole, and then what a second one (grown blob, new files) writes.
    let base = tempfile::tempdir().unwrap();
    let collected = base.path().join("collected");
    collect_into(&server, &collected, usize::MAX).await.unwrap();
    let grow = || {
        put(&server, &key, &(lines.concat()));
        for n in 0..3 {
            let day = "2024/05/03";
            let k = format!("{TRAIL}/{day}/111122223333_CloudTrail_us-east-1_20240503T11{n:02}Z_new{n}.json");
            put(&server, &k, &cloudtrail(day, &format!("new-{n}"), 2));
        }
    };
    grow();
    let whole = base.path().join("whole");
    copy_dir(&collected, &whole);
    collect_into(&server, &whole, usize::MAX).await.unwrap();
    let expected = ids(&whole);
    assert_eq!(expected.len(), 1 + 12 + 8 + 6, "{expected:?}");
    assert!(expected[1..].iter().all(|row| row[1] == "1"), "{expected:?}");

    // The second collection killed after each number of writes, then run again.
    let mut budget = 0;
    loop {
        let archive = base.path().join(format!("killed-{budget}"));
        copy_dir(&collected, &archive);
        let killed = collect_into(&server, &archive, budget).await;
        collect_into(&server, &archive, usize::MAX).await.unwrap();
        assert_eq!(ids(&archive), expected, "killed after {budget} writes");
        if killed.is_ok() {
            break;
        }
        budget += 3;
    }
    assert!(budget > 6, "the run was killed at several points ({budget})");
}

/// The dated listing requests of the trail folder since the last reset.
fn dated_lists(server: &S3Server, folder: &str) -> Vec<Option<String>> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.kind == S3Kind::List && r.key.starts_with(&format!("{folder}/")) && !r.delimited)
        .map(|r| r.start_after)
        .collect()
}

#[test]
fn a_key_filed_in_the_future_does_not_move_the_next_listing_past_real_deliveries() {
    let server = S3Server::start(&["raw", "audit"]);
    trail(&server, 10, 3);
    put(
        &server,
        &format!("{TRAIL}/2199/12/31/planted.json"),
        &cloudtrail("2024/05/10", "planted", 1),
    );
    let first = ingest_cli(&server, "s3://audit/f", &[]);
    assert!(first.contains("events written              31"), "{first}");

    let late = format!("{TRAIL}/2024/05/09/111122223333_CloudTrail_us-east-1_20240509T2355Z_late.json");
    put(&server, &late, &cloudtrail("2024/05/09", "late-9", 1));
    server.reset();
    let again = ingest_cli(&server, "s3://audit/f", &[]);
    assert_eq!(server.count(S3Kind::Get, &late), 1, "{again}");
    assert!(again.contains("events written               1"), "{again}");
    assert_eq!(dated_lists(&server, TRAIL), [Some(format!("{TRAIL}/2024/05/08"))]);
}

#[test]
fn a_key_whose_year_is_not_a_year_neither_panics_nor_hides_deliveries() {
    let server = S3Server::start(&["raw", "audit"]);
    let other = "raw/AWSLogs/444455556666/CloudTrail/eu-west-1";
    // The folder's only dated-looking keys are not days.
    put(
        &server,
        &format!("{other}/2024/05/notes.json"),
        &cloudtrail("2024/05/01", "notes", 1),
    );
    put(
        &server,
        &format!("{other}/4294705153/01/01/a.json"),
        &cloudtrail("2024/05/01", "huge", 1),
    );
    trail(&server, 3, 1);
    let first = ingest_cli(&server, "s3://audit/g", &[]);
    assert!(first.contains("events written               5"), "{first}");
    let day = format!("{other}/2024/05/02/c.json");
    put(&server, &day, &cloudtrail("2024/05/02", "real", 1));
    server.reset();
    let again = ingest_cli(&server, "s3://audit/g", &[]);
    assert!(again.contains("events written               1"), "{again}");
    assert_eq!(server.count(S3Kind::Get, &day), 1);
    let third = ingest_cli(&server, "s3://audit/g", &[]);
    assert!(third.contains("events written               0"), "{third}");
}

async fn collect_with(server: &S3Server, archive: &Path, options: IngestOptions) -> String {
    let location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let sources = ["s3://raw/AWSLogs/".to_string()];
    let inputs = collect(&sources, &server.store_options(), &location, Since::Remembered, &Quiet)
        .await
        .unwrap();
    let summary = ingest(&location, inputs, &options, &Quiet).await.unwrap();
    format!("{summary:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_listed_but_not_read_is_listed_again_by_the_next_run() {
    let server = S3Server::start(&["raw"]);
    trail(&server, 10, 2);
    // Too large for the first run's limit, filed a week before the last day.
    let big = format!("{TRAIL}/2024/05/03/111122223333_CloudTrail_us-east-1_20240503T2300Z_big.json");
    put(&server, &big, &cloudtrail("2024/05/03", "big", 40));
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    let small = IngestOptions {
        max_decompressed: 4096,
        ..IngestOptions::default()
    };
    let first = collect_with(&server, &archive, small).await;
    assert!(first.contains("big.json"), "{first}");
    assert_eq!(server.count(S3Kind::Get, &big), 0);

    server.reset();
    collect_with(&server, &archive, IngestOptions::default()).await;
    assert_eq!(server.count(S3Kind::Get, &big), 1, "{:?}", server.requests());
    let rows = ids(&archive);
    assert_eq!(rows.len(), 1 + 20 + 40, "{rows:?}");
    // Read now: the remembered day moves on again.
    server.reset();
    collect_with(&server, &archive, IngestOptions::default()).await;
    assert_eq!(dated_lists(&server, TRAIL), [Some(format!("{TRAIL}/2024/05/08"))]);
}

#[test]
fn an_append_blob_ingested_whole_before_is_not_ingested_again_when_collected() {
    let server = S3Server::start(&["raw", "audit"]);
    let key = format!("{AZURE}/{BLOB}");
    let lines: Vec<String> = (0..5).map(|i| azure_record(10 + i, &format!("u{i}"))).collect();
    let cut = lines[3].len() / 2;
    let mut blob = lines[..3].concat() + &lines[3][..cut];
    put(&server, &key, &blob);
    // What an archive holds of it from before blobs were read in parts: the file read whole,
    // known by the SHA-256 of all its bytes.
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("PT1H.json");
    std::fs::write(&file, &blob).unwrap();
    let out = run(
        &server,
        &["ingest", "--archive", "s3://audit/u", file.to_str().unwrap()],
    );
    assert!(
        stdout(&out).contains("events written               3"),
        "{}",
        stdout(&out)
    );

    let collect = || {
        let out = run(
            &server,
            &[
                "ingest",
                "--archive",
                "s3://audit/u",
                "s3://raw/insights-activity-logs/",
            ],
        );
        assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
        stdout(&out)
    };
    let first = collect();
    assert!(first.contains("events written               0"), "{first}");
    server.reset();
    let again = collect();
    assert!(again.contains("unchanged                    1"), "{again}");
    assert_eq!(server.count(S3Kind::Get, "raw/"), 0, "a marker was written");
    blob.push_str(&lines[3][cut..]);
    blob.push_str(&lines[4]);
    put(&server, &key, &blob);
    let grown = collect();
    assert!(grown.contains("events written               2"), "{grown}");
    let ids = query(
        &server,
        "s3://audit/u",
        "SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events",
    );
    assert_eq!(ids[1], ["5", "5"], "no event lost, none doubled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_of_percent_signs_gets_a_marker_that_matches_it() {
    let server = S3Server::start(&["raw"]);
    trail(&server, 1, 1);
    let odd = format!("{TRAIL}/2024/05/01/a%20b.json");
    let long = format!("{TRAIL}/2024/05/01/{}.json", "%".repeat(60));
    put(&server, &odd, &cloudtrail("2024/05/01", "odd", 1));
    put(&server, &long, &cloudtrail("2024/05/01", "long", 1));
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    let first = collect_with(&server, &archive, IngestOptions::default()).await;
    assert!(first.contains("markers_not_written: []"), "{first}");
    assert_eq!(ids(&archive).len(), 1 + 3);

    server.reset();
    collect_with(&server, &archive, IngestOptions::default()).await;
    assert_eq!(server.count(S3Kind::Get, "raw/"), 0, "{:?}", server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_of_the_same_name_at_another_endpoint_is_another_source() {
    // Two stores whose buckets and keys are named alike (as every Azure account's
    // `insights-activity-logs` is), collected into one archive.
    let one = S3Server::start(&["raw"]);
    let other = S3Server::start(&["raw"]);
    trail(&one, 10, 1);
    for d in 1..=3u32 {
        let day = format!("2024/05/{d:02}");
        let key = format!("{TRAIL}/{day}/111122223333_CloudTrail_us-east-1_202405{d:02}T1000Z_f0.json");
        put(&other, &key, &cloudtrail(&day, &format!("other-{d}"), 1));
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    collect_with(&one, &archive, IngestOptions::default()).await;
    collect_with(&other, &archive, IngestOptions::default()).await;
    assert_eq!(other.count(S3Kind::Get, "raw/"), 3, "{:?}", other.requests());
    assert_eq!(ids(&archive).len(), 1 + 10 + 3);
    // Each store remembers its own days.
    one.reset();
    collect_with(&one, &archive, IngestOptions::default()).await;
    assert_eq!(dated_lists(&one, TRAIL), [Some(format!("{TRAIL}/2024/05/08"))]);
    assert_eq!(one.count(S3Kind::Get, "raw/"), 0);
}

#[test]
fn a_folder_named_like_a_year_without_months_is_not_a_date_layout() {
    let server = S3Server::start(&["raw", "audit"]);
    trail(&server, 2, 1);
    // Resource groups, one of them named like a year: neither holds months.
    let named = "raw/AWSLogs/groups/2023/activity.json";
    let prod = "raw/AWSLogs/groups/prod/activity.json";
    put(&server, named, &cloudtrail("2024/05/01", "rg-2023", 1));
    put(&server, prod, &cloudtrail("2024/05/01", "rg-prod", 1));
    let since = ingest_cli(&server, "s3://audit/y", &["--since", "2024-05-01"]);
    assert_eq!(server.count(S3Kind::Get, named), 1, "{since}");
    assert_eq!(server.count(S3Kind::Get, prod), 1, "{since}");
    assert!(since.contains("events written               4"), "{since}");
    // The trail's region folder is still listed from its day.
    assert_eq!(dated_lists(&server, TRAIL), [Some(format!("{TRAIL}/2024/05/01"))]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_replaced_between_listing_and_get_gets_no_marker_of_the_listed_one() {
    let server = S3Server::start(&["raw"]);
    let keys = trail(&server, 1, 2);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    let location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let sources = ["s3://raw/AWSLogs/".to_string()];
    let inputs = collect(&sources, &server.store_options(), &location, Since::Remembered, &Quiet)
        .await
        .unwrap();
    // Swapped after the listing: what the listing saw is not what a GET would read.
    let original = std::fs::read_to_string(server.root.path().join(&keys[0])).unwrap();
    put(&server, &keys[0], &cloudtrail("2024/05/01", "forged-id", 1));
    let summary = ingest(&location, inputs, &IngestOptions::default(), &Quiet)
        .await
        .unwrap();
    assert_eq!(summary.files_quarantined.len(), 1, "{summary:?}");
    // Swapped back: the original is read by the next run, not passed over as read.
    put(&server, &keys[0], &original);
    server.reset();
    collect_with(&server, &archive, IngestOptions::default()).await;
    assert_eq!(server.count(S3Kind::Get, &keys[0]), 1, "{:?}", server.requests());
    let rows = ids(&archive);
    assert!(rows.iter().any(|r| r[0] == "ev-1-0-0"), "{rows:?}");
    assert!(!rows.iter().any(|r| r[0].starts_with("forged")), "{rows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marker_that_cannot_be_written_is_a_warning_and_the_object_is_read_again() {
    let server = S3Server::start(&["raw"]);
    trail(&server, 1, 1);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    collect_with(&server, &archive, IngestOptions::default()).await;
    // The mirror folder of the trail's date folder, made a file: no marker can go under it.
    let seen = archive.join("_ingest/seen");
    let mirrors: Vec<_> = std::fs::read_dir(&seen).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(mirrors.len(), 1, "{mirrors:?}");
    std::fs::remove_dir_all(&mirrors[0]).unwrap();
    std::fs::write(&mirrors[0], b"in the way").unwrap();
    let key = format!("{TRAIL}/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1100Z_new.json");
    put(&server, &key, &cloudtrail("2024/05/01", "new", 1));
    let summary = collect_with(&server, &archive, IngestOptions::default()).await;
    assert!(summary.contains("markers_not_written: [(\""), "{summary}");
    assert_eq!(ids(&archive).len(), 1 + 2);
    // Without its marker the object is read again, and found in the ledger.
    server.reset();
    let again = collect_with(&server, &archive, IngestOptions::default()).await;
    assert_eq!(server.count(S3Kind::Get, &key), 1);
    assert!(again.contains("files_already_ingested: [\""), "{again}");
    assert_eq!(ids(&archive).len(), 1 + 2);
}
