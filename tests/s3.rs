//! Ingest from and into an S3-compatible store, and query it back: a real S3-protocol server
//! (s3s) runs inside the test process on loopback; the binary reaches it the way a user would,
//! through AWS_ENDPOINT_URL and the usual credentials variables.

mod common;

use std::path::Path;

use common::{S3Server, csv_rows, fixture, stderr, stdout, trailscope};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn env(server: &S3Server) -> Vec<(&'static str, String)> {
    server.env()
}

fn run(server: &S3Server, args: &[&str]) -> std::process::Output {
    let env = env(server);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    trailscope(args, &env)
}

#[test]
fn raw_logs_in_a_bucket_are_ingested_into_a_bucket_archive_and_queried_from_it() {
    let server = S3Server::start(&["raw-logs", "audit"]);
    // Objects on the server are files in its folder: lay out the raw logs as delivered.
    copy_tree(
        &fixture("aws"),
        &server.root.path().join("raw-logs/AWSLogs/111122223333/CloudTrail"),
    );
    copy_tree(&fixture("azure"), &server.root.path().join("raw-logs/azure"));

    let out = run(&server, &["ingest", "--archive", "s3://audit/prod", "s3://raw-logs/"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let summary = stdout(&out);
    assert!(summary.contains("events written              19"), "{summary}");
    assert!(summary.contains("CloudTrail digests           1  read"), "{summary}");

    // The archive's objects are on the server, under the prefix.
    let archive = server.root.path().join("audit/prod");
    assert!(
        archive
            .join("events/date=2024-05-02/cloud=aws/tenant=111122223333")
            .is_dir()
    );
    assert!(std::fs::read_dir(archive.join("_ingest")).unwrap().count() >= 9);

    let rows = csv_rows(&run(
        &server,
        &[
            "query",
            "--archive",
            "s3://audit/prod",
            "--format",
            "csv",
            "SELECT cloud, count(*) AS n FROM events GROUP BY cloud ORDER BY cloud",
        ],
    ));
    assert_eq!(rows, [vec!["cloud", "n"], vec!["aws", "13"], vec!["azure", "6"]]);

    // A needle reads the day's file index from the bucket and opens only the files that may
    // hold the value; it finds what a scan of every file finds.
    assert!(archive.join("_index/date=2024-05-02").is_dir());
    let needle = |condition: &str| {
        run(
            &server,
            &[
                "query",
                "--archive",
                "s3://audit/prod",
                "--format",
                "csv",
                "-v",
                &format!("SELECT event_id, action FROM events WHERE {condition} ORDER BY event_id"),
            ],
        )
    };
    let indexed = needle("principal = 'arn:aws:iam::111122223333:user/ci-bot'");
    let scanned = needle("concat(principal, '') = 'arn:aws:iam::111122223333:user/ci-bot'");
    assert!(indexed.status.success(), "{}", stderr(&indexed));
    assert!(csv_rows(&indexed).len() > 1);
    assert_eq!(csv_rows(&indexed), csv_rows(&scanned));
    assert!(
        stderr(&indexed).contains("file index ruled out"),
        "{}",
        stderr(&indexed)
    );
    // `-v` names the requests made, counted on the wire.
    for out in [&indexed, &scanned] {
        let err = stderr(out);
        let line = err
            .lines()
            .find(|l| l.starts_with("requests: "))
            .unwrap_or_else(|| panic!("{err}"));
        assert!(line.contains("(LIST ") && line.contains(", GET "), "{line}");
    }

    // One object of the bucket named alone, already in the archive: passed over by its marker
    // (same size and ETag), without a GET.
    let again = run(
        &server,
        &[
            "ingest",
            "--archive",
            "s3://audit/prod",
            "s3://raw-logs/azure/rest-activity-events.json",
        ],
    );
    assert!(again.status.success());
    assert!(
        stdout(&again).contains("unchanged                    1"),
        "{}",
        stdout(&again)
    );

    // Events keep the object they came from.
    let origin = csv_rows(&run(
        &server,
        &[
            "query",
            "--archive",
            "s3://audit/prod",
            "--format",
            "csv",
            "SELECT DISTINCT source_object FROM events WHERE cloud = 'azure' AND source_object LIKE '%rest%'",
        ],
    ));
    assert_eq!(origin[1], ["s3://raw-logs/azure/rest-activity-events.json"]);
}

#[test]
fn a_wrong_bucket_or_an_empty_archive_is_one_sentence_that_says_what_to_fix() {
    let server = S3Server::start(&["empty"]);
    let out = run(&server, &["query", "--archive", "s3://empty/archive", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains("holds no events yet") && message.contains("trailscope ingest"),
        "{message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "{message}");

    let out = run(
        &server,
        &["query", "--archive", "s3://no-such-bucket/archive", "SELECT 1"],
    );
    assert_ne!(out.status.code(), Some(0));
    let message = stderr(&out);
    assert!(
        message.contains("s3://no-such-bucket/archive"),
        "names the archive: {message}"
    );
    assert!(message.contains("does not exist"), "says what is wrong: {message}");
    assert_eq!(message.trim().lines().count(), 1, "{message}");
}

#[test]
fn wrong_credentials_and_an_unreachable_endpoint_say_what_to_check() {
    let server = S3Server::start(&["audit"]);
    let mut env = server.env();
    env.retain(|(k, _)| *k != "AWS_SECRET_ACCESS_KEY");
    env.push(("AWS_SECRET_ACCESS_KEY", "not-the-secret".into()));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = trailscope(&["query", "--archive", "s3://audit/x", "SELECT 1"], &env_refs);
    assert!(stderr(&out).contains("access was denied"), "{}", stderr(&out));

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let endpoint = format!("http://{closed}");
    let out = trailscope(
        &["query", "--archive", "s3://audit/x", "SELECT 1"],
        &[
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_REGION", "us-east-1"),
        ],
    );
    assert!(stderr(&out).contains("cannot be reached"), "{}", stderr(&out));
}

/// The archive's files are small (a tenant's day): in a store, each costs a round trip, so each is
/// read whole in one request, whatever the query asks of it and however often, and the answers
/// are those of the same archive in a folder.
#[test]
fn an_archive_in_a_bucket_is_read_in_one_request_per_file_with_the_answers_of_a_folder() {
    let server = S3Server::start(&["audit"]);
    let local = tempfile::tempdir().unwrap();
    common::ingest_incident(local.path());
    copy_tree(local.path(), &server.root.path().join("audit/incident"));
    let files = walkdir::WalkDir::new(local.path().join("events"))
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "parquet"))
        .count();
    assert!(files > 5, "{files}");

    // Two scans of every file (a self-join of the table), of different columns.
    let sql = "SELECT a.principal, count(*) AS events, count(DISTINCT b.source_ip) AS ips \
               FROM events a JOIN events b ON a.event_id = b.event_id \
               GROUP BY a.principal ORDER BY a.principal";
    let remote = run(
        &server,
        &[
            "query",
            "--archive",
            "s3://audit/incident",
            "--format",
            "csv",
            "-v",
            sql,
        ],
    );
    assert!(remote.status.success(), "{}", stderr(&remote));
    let local_out = trailscope(
        &[
            "query",
            "--archive",
            local.path().to_str().unwrap(),
            "--format",
            "csv",
            sql,
        ],
        &[],
    );
    assert!(csv_rows(&remote).len() > 2);
    assert_eq!(csv_rows(&remote), csv_rows(&local_out));

    let err = stderr(&remote);
    let line = err
        .lines()
        .find(|l| l.starts_with("requests: "))
        .unwrap_or_else(|| panic!("{err}"));
    let gets: usize = line
        .split("GET ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    // Besides the event files: the archive's format, its key-less metadata, change records.
    assert!(gets >= files && gets <= files + 8, "{files} files, {line}");
}
