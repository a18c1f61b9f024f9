//! `trailscope ingest` as a platform team uses it: raw logs in, every record accounted for.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;

use common::{csv_rows, fixture, stderr, stdout, trailscope};

fn ingest(archive: &Path, sources: &[&Path]) -> std::process::Output {
    let mut args = vec!["ingest", "--archive", archive.to_str().unwrap()];
    args.extend(sources.iter().map(|s| s.to_str().unwrap()));
    trailscope(&args, &[])
}

fn query(archive: &Path, sql: &str) -> Vec<Vec<String>> {
    let out = trailscope(
        &["query", "--archive", archive.to_str().unwrap(), "--format", "csv", sql],
        &[],
    );
    assert!(out.status.success(), "{sql}: {}", stderr(&out));
    csv_rows(&out)
}

fn count(archive: &Path, filter: &str) -> u64 {
    query(archive, &format!("SELECT count(*) FROM events {filter}"))[1][0]
        .parse()
        .unwrap()
}

fn all_fixtures() -> Vec<std::path::PathBuf> {
    ["aws", "gcp", "azure", "bad"].iter().map(|d| fixture(d)).collect()
}

#[test]
fn every_shape_of_every_cloud_is_read_and_every_record_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let sources = all_fixtures();
    let out = ingest(&archive, &sources.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    let summary = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a rejected record means exit code 3\n{summary}"
    );
    // CloudTrail: delivery file 8, bare array 2, Logstash lines 2, event history 1.
    assert_eq!(count(&archive, "WHERE cloud = 'aws'"), 13);
    // GCP: sink lines 3, gcloud array 1 (+1 not an audit entry), single entry 1, Eventarc 1.
    assert_eq!(count(&archive, "WHERE cloud = 'gcp'"), 6);
    // Azure: diagnostic lines 3, records wrapper 1, REST 1, SDK 1.
    assert_eq!(count(&archive, "WHERE cloud = 'azure'"), 6);
    // The digest is read as a digest (not an event), and vouches for the delivery file it lists.
    assert!(summary.contains("CloudTrail digests           1  read"), "{summary}");
    assert!(summary.contains("sources validated            1"), "{summary}");
    assert!(summary.contains("not an audit log entry"), "{summary}");
    assert!(
        summary.contains("records rejected") && summary.contains("'0000-00-00T00:00:00.000Z' is not a valid time"),
        "{summary}"
    );
    // The partition columns come from the path and agree with the events' own fields.
    let rows = query(
        &archive,
        "SELECT date, cloud, tenant FROM events WHERE event_id = '0b7c8d8e-2f3a-4c1d-9e6b-6a2f1b3c4d01'",
    );
    assert_eq!(rows[1], ["2024-05-02", "aws", "111122223333"]);
}

#[test]
fn ingest_is_idempotent_when_the_same_file_arrives_twice() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let aws = fixture("aws");
    assert!(ingest(&archive, &[&aws]).status.success());
    let before = count(&archive, "");
    let parts = walk(&archive.join("events")).len();

    // The same files again, and one of them under another name: nothing new is written.
    let copy = dir.path().join("renamed.json");
    fs::copy(fixture("aws/aws.defense-evasion.cloudtrail-stop.json"), &copy).unwrap();
    let again = ingest(&archive, &[&aws, &copy]);
    assert!(again.status.success());
    let summary = stdout(&again);
    assert!(summary.contains("already ingested             6"), "{summary}");
    assert!(summary.contains("events written               0"), "{summary}");
    assert_eq!(count(&archive, ""), before);
    assert_eq!(walk(&archive.join("events")).len(), parts, "no file was added");
}

#[test]
fn a_file_that_cannot_be_read_is_quarantined_byte_for_byte_and_the_rest_is_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let incoming = dir.path().join("incoming");
    fs::create_dir_all(&incoming).unwrap();
    // A truncated gzip, a file that is not JSON, JSON of an unknown shape, and one good file.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        fs::read(fixture(
            "aws/111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json",
        ))
        .unwrap()
        .as_slice(),
    )
    .unwrap();
    let gz = gz.finish().unwrap();
    let truncated = &gz[..gz.len() / 2];
    fs::write(incoming.join("cut.json.gz"), truncated).unwrap();
    fs::write(
        incoming.join("notes.json"),
        b"these are not the logs you are looking for\n",
    )
    .unwrap();
    fs::write(incoming.join("inventory.json"), br#"[{"host": "web-1", "cpu": 4}]"#).unwrap();
    fs::copy(
        fixture("aws/aws.defense-evasion.cloudtrail-stop.json"),
        incoming.join("good.json"),
    )
    .unwrap();
    // And CloudTrail whose every record lacks its time: read, but nothing in it can be taken.
    let no_time = r#"{"eventVersion":"1.08","eventID":"no-time-1","eventSource":"s3.amazonaws.com","eventName":"GetObject","recipientAccountId":"123456789123"}"#;
    fs::write(incoming.join("timeless.json"), format!("{{\"Records\":[{no_time}]}}")).unwrap();

    let out = ingest(&archive, &[&incoming]);
    let summary = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{summary}");
    assert!(summary.contains("files quarantined            3"), "{summary}");
    assert!(summary.contains("gzip data is damaged or truncated"), "{summary}");
    assert!(summary.contains("not JSON"), "{summary}");
    assert!(summary.contains("no record has a known shape"), "{summary}");
    assert_eq!(count(&archive, ""), 2, "the good file is ingested all the same");

    let kept = walk(&archive.join("_sealed/quarantine"));
    let copy = kept
        .iter()
        .find(|p| p.to_string_lossy().ends_with("-cut.json.gz"))
        .expect("the truncated file is kept");
    assert_eq!(fs::read(copy).unwrap(), truncated, "kept byte for byte");
    let reason = fs::read_to_string(format!("{}.reason", copy.display())).unwrap();
    assert!(reason.contains("gzip") && reason.contains("cut.json.gz"), "{reason}");
    assert_eq!(
        kept.iter()
            .filter(|p| p.extension().is_some_and(|e| e == "reason"))
            .count(),
        3
    );
    assert_eq!(
        kept.iter()
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                name.contains("-timeless.json.") && name.ends_with(".rejected.jsonl")
            })
            .count(),
        1
    );

    // The same folder again: the files are still not taken (exit 3, each named), and the
    // quarantine does not grow by another copy of them.
    let again = ingest(&archive, &[&incoming]);
    let summary = stdout(&again);
    assert_eq!(again.status.code(), Some(3), "{summary}");
    assert!(summary.contains("files quarantined            3"), "{summary}");
    assert_eq!(summary.matches("kept in quarantine already").count(), 3, "{summary}");
    assert!(summary.contains("records rejected             1"), "{summary}");
    assert_eq!(walk(&archive.join("_sealed/quarantine")), kept, "nothing copied twice");
}

#[test]
fn rejected_records_are_kept_with_their_reason_and_the_rest_of_the_file_is_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let mixed = dir.path().join("mixed.jsonl");
    let good = fs::read_to_string(fixture("aws/cloudgoat_logstash.json")).unwrap();
    let no_time = r#"{"eventVersion":"1.08","eventID":"no-time-1","eventSource":"s3.amazonaws.com","eventName":"GetObject","recipientAccountId":"123456789123"}"#;
    fs::write(
        &mixed,
        format!(
            "{}\n{no_time}\n{{\"eventVersion\": \"1.08\", \"eventID\": \n{}\n",
            good.lines().next().unwrap(),
            good.lines().nth(1).unwrap()
        ),
    )
    .unwrap();

    let out = ingest(&archive, &[&mixed]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(count(&archive, ""), 2);
    let rejected = walk(&archive.join("_sealed/quarantine"));
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let lines: Vec<serde_json::Value> = fs::read_to_string(&rejected[0])
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["record"], no_time, "the record's text exactly as it was");
    assert!(lines[0]["reason"].as_str().unwrap().contains("no event time"));
    assert_eq!(lines[0]["source_index"], 1);
    assert!(
        lines[1]["reason"]
            .as_str()
            .unwrap()
            .contains("line 3 is not valid JSON")
    );
}

#[test]
fn the_same_event_delivered_twice_in_one_run_is_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    // Overlapping trails deliver the same record in two files with different content.
    let a = dir.path().join("trail-a.json");
    let b = dir.path().join("trail-b.json");
    let record = fs::read_to_string(fixture("aws/cloudgoat_logstash.json"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    fs::write(&a, format!("{{\"Records\":[{record}]}}")).unwrap();
    fs::write(&b, format!("{{\"Records\": [ {record} ]}}\n")).unwrap();
    let out = ingest(&archive, &[&a, &b]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("duplicates dropped           1"),
        "{}",
        stdout(&out)
    );
    assert_eq!(count(&archive, ""), 1);
}

#[test]
fn gzip_is_read_whatever_the_file_is_called() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let plain = fixture("aws/111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&fs::read(&plain).unwrap()).unwrap();
    let zipped = dir
        .path()
        .join("111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json.gz");
    fs::write(&zipped, gz.finish().unwrap()).unwrap();
    assert!(ingest(&archive, &[&zipped]).status.success());
    assert_eq!(count(&archive, ""), 8);
    let raw = &query(&archive, "SELECT length(raw) FROM events WHERE event_id LIKE '%4d04'")[1][0];
    let original = fs::read_to_string(&plain).unwrap();
    let line = original.lines().find(|l| l.contains("4d04")).unwrap();
    assert_eq!(
        raw.parse::<usize>().unwrap(),
        line.trim_end_matches(',').len(),
        "raw is the record's exact text"
    );
}

#[test]
fn cloud_can_be_forced_and_a_wrong_choice_is_visible() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let rest = fixture("azure/rest-activity-events.json");
    assert!(
        trailscope(
            &[
                "ingest",
                "--archive",
                archive.to_str().unwrap(),
                "--cloud",
                "azure",
                rest.to_str().unwrap()
            ],
            &[]
        )
        .status
        .success()
    );
    assert_eq!(count(&archive, "WHERE cloud = 'azure'"), 1);
    let trail = fixture("aws/aws.defense-evasion.cloudtrail-stop.json");
    let wrong = trailscope(
        &[
            "ingest",
            "--archive",
            archive.to_str().unwrap(),
            "--cloud",
            "gcp",
            trail.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        wrong.status.code(),
        Some(3),
        "CloudTrail records are not GCP audit entries: nothing taken, and that is no success"
    );
    assert!(stdout(&wrong).contains("not an audit log entry"), "{}", stdout(&wrong));
    assert!(
        stderr(&wrong).contains("--cloud gcp read") && stderr(&wrong).contains("events of another cloud"),
        "{}",
        stderr(&wrong)
    );
    // Not recorded as ingested: read again without --cloud, its events are taken.
    assert!(ingest(&archive, &[&trail]).status.success());
    assert_eq!(count(&archive, "WHERE cloud = 'aws'"), 2);
    let bad = trailscope(
        &[
            "ingest",
            "--archive",
            archive.to_str().unwrap(),
            "--cloud",
            "oracle",
            trail.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("unknown cloud 'oracle'"), "{}", stderr(&bad));
}

#[test]
fn ingest_refuses_to_guess_where_to_write() {
    let out = trailscope(&["ingest", fixture("aws").to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pass --archive"), "{}", stderr(&out));
    let missing = tempfile::tempdir().unwrap();
    let out = ingest(&missing.path().join("a"), &[&missing.path().join("nowhere")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

#[test]
fn files_found_in_folders_are_read_only_when_named_like_logs() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let incoming = dir.path().join("incoming");
    fs::create_dir_all(incoming.join("nested/deeper")).unwrap();
    fs::write(incoming.join("README.md"), "# logs\n").unwrap();
    fs::write(incoming.join("nested/ConfigWritabilityCheckFile"), "").unwrap();
    fs::copy(
        fixture("gcp/gcloud-logging-read.json"),
        incoming.join("nested/deeper/export.json"),
    )
    .unwrap();
    let out = ingest(&archive, &[&incoming]);
    let summary = stdout(&out);
    assert!(out.status.success(), "{summary}");
    assert!(summary.contains("files skipped                2"), "{summary}");
    assert!(summary.contains("not a log file by its name"), "{summary}");
    assert!(summary.contains("AWS Config's write check"), "{summary}");
    assert_eq!(count(&archive, ""), 1);
}

/// Every file under `dir`, sorted.
pub fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_wrong_cloud_choice_does_not_block_the_right_one_later() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let trails = fixture("aws");
    let wrong = trailscope(
        &[
            "ingest",
            "--archive",
            archive.to_str().unwrap(),
            "--cloud",
            "gcp",
            trails.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        stdout(&wrong).contains("events written               0"),
        "{}",
        stdout(&wrong)
    );
    let right = ingest(&archive, &[&trails]);
    assert!(right.status.success());
    assert!(
        stdout(&right).contains("already ingested             0"),
        "{}",
        stdout(&right)
    );
    assert_eq!(count(&archive, ""), 13);
    // A file whose every record was rejected is not done with either: it is read again.
    let bad = fixture("bad/redacted-timestamp.json");
    assert_eq!(ingest(&archive, &[&bad]).status.code(), Some(3));
    let again = ingest(&archive, &[&bad]);
    assert_eq!(again.status.code(), Some(3), "rejected again, not 'already ingested'");
}

#[test]
fn a_second_ingest_waits_for_the_first_and_a_dead_ones_lock_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(archive.join("_ingest")).unwrap();
    let lock = archive.join("_ingest/lock");
    let now = chrono::Utc::now().to_rfc3339();
    // Another host's run, renewed just now: this one must not touch the archive.
    fs::write(
        &lock,
        format!(r#"{{"host":"ingest-box-2","pid":4242,"user":"etl","since":"{now}","renewed":"{now}"}}"#),
    )
    .unwrap();
    let out = ingest(&archive, &[&fixture("aws")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("another ingest or compaction is writing to") && stderr(&out).contains("ingest-box-2"),
        "{}",
        stderr(&out)
    );
    assert!(!archive.join("events").exists(), "nothing was written");
    // A run of this host whose process is gone: its lock is taken over.
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    fs::write(
        &lock,
        format!(r#"{{"host":"{host}","pid":999999999,"user":"etl","since":"{now}","renewed":"{now}"}}"#),
    )
    .unwrap();
    let out = ingest(&archive, &[&fixture("aws")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!lock.exists(), "released at the end");
    assert_eq!(count(&archive, ""), 13);
}
