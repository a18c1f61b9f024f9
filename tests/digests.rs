//! CloudTrail digest files, validated offline at ingest: a platform team lands log files and
//! their digests (from a folder or a bucket) and learns which files CloudTrail vouches for, which
//! were changed after delivery, and whether the digests themselves chain and are signed.
//!
//! The fixtures (tests/fixtures/cloudtrail-digest/, written by its make_fixtures.py) are four
//! delivery files of account 444455556666 in eu-west-1 over two hours, and the hourly digests
//! that list them; every hash the tests expect is computed here from those files.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use common::{S3Server, fixture, stderr, stdout, trailscope};
use sha2::{Digest as _, Sha256};
use trailscope::archive::digests::{self, DigestSummary, FailureKind, TrailDigests};
use trailscope::archive::{Location, StoreOptions};
use trailscope::sources::aws::digest::PublicKeys;

const TRAIL: (&str, &str) = ("444455556666", "eu-west-1");
const CHANGED: &str = "444455556666_CloudTrail_eu-west-1_20240610T1035Z_Bb02.json";
const OMITTED: &str = "444455556666_CloudTrail_eu-west-1_20240610T1140Z_Dd04";
const FIRST_DIGEST: &str = "444455556666_CloudTrail-Digest_eu-west-1_audit_eu-west-1_20240610T110000Z.json.gz";
const SECOND_DIGEST: &str = "444455556666_CloudTrail-Digest_eu-west-1_audit_eu-west-1_20240610T120000Z.json.gz";

fn set(relative: &str) -> PathBuf {
    fixture(&format!("cloudtrail-digest/{relative}"))
}

fn ingest(archive: &Path, sources: &[PathBuf]) -> std::process::Output {
    let mut args = vec!["ingest".to_string(), "--archive".into(), archive.display().to_string()];
    args.extend(sources.iter().map(|s| s.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    trailscope(&args, &[])
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A file's content as CloudTrail hashed it: uncompressed.
fn plain(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut out).unwrap();
        out
    } else {
        bytes
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn summary(archive: &Path) -> DigestSummary {
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    runtime().block_on(digests::summary(&location)).unwrap()
}

fn trail(summary: &DigestSummary) -> TrailDigests {
    summary.trails[&(TRAIL.0.to_string(), TRAIL.1.to_string())].clone()
}

/// The ledger record of the source whose name contains `name`.
fn ledger_record(archive: &Path, name: &str) -> serde_json::Value {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(archive.join("_ingest")).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "json") && entry.path().is_file() {
            let record: serde_json::Value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
            if record["source"].as_str().is_some_and(|s| s.contains(name)) {
                found.push(record);
            }
        }
    }
    assert_eq!(found.len(), 1, "one ledger record for {name}");
    found.remove(0)
}

fn every_file(dir: &Path) -> BTreeSet<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && !e.path().to_string_lossy().contains("/_ingest/lock"))
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect()
}

#[test]
fn a_clean_set_of_logs_and_digests_validates_every_file_and_a_second_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let out = ingest(&archive, &[set("logs"), set("digests")]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("CloudTrail digests           2  read"), "{text}");
    assert!(text.contains("sources validated            4"), "{text}");
    assert!(text.contains("2 unavailable (read from a folder)"), "{text}");

    let found = trail(&summary(&archive));
    assert_eq!(
        (found.validated, found.mismatched, found.not_listed, found.uncovered),
        (4, 0, 0, 0)
    );
    assert_eq!(found.digests, 2);
    // From a folder the signatures stayed in S3, but the hash chain is still checked: linked.
    assert_eq!((found.chain_breaks, found.previous_missing), (0, 0));
    assert_eq!((found.signatures_unavailable, found.signatures_valid), (2, 0));
    assert!(!summary(&archive).failed());

    // The ledger keeps each file's uncompressed hash and its state; the gzipped file's ledger
    // key (the bytes stored) is not what CloudTrail hashed.
    let gz = set("logs/444455556666_CloudTrail_eu-west-1_20240610T1005Z_Aa01.json.gz");
    let record = ledger_record(&archive, "Aa01");
    assert_eq!(record["content_sha256"], sha256_hex(&plain(&gz)));
    assert_ne!(record["sha256"], record["content_sha256"]);
    assert_eq!(record["cloudtrail"]["state"]["state"], "validated");
    assert!(
        record["cloudtrail"]["state"]["digest"]
            .as_str()
            .unwrap()
            .ends_with(FIRST_DIGEST)
    );
    let digest = ledger_record(&archive, FIRST_DIGEST);
    assert!(
        digest["digest"]
            .as_str()
            .unwrap()
            .starts_with("_ingest/digests/444455556666/eu-west-1/2024-06-10/")
    );

    // The digests are not events.
    let rows = common::csv_rows(&trailscope(
        &[
            "query",
            "--archive",
            archive.to_str().unwrap(),
            "--format",
            "csv",
            "SELECT count(*) FROM events",
        ],
        &[],
    ));
    assert_eq!(rows[1], ["7"]);

    // Everything again: nothing is written, the states stay.
    let before = every_file(&archive);
    let again = ingest(&archive, &[set("logs"), set("digests")]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("already ingested             6"),
        "{}",
        stdout(&again)
    );
    let after = every_file(&archive);
    let changed: Vec<_> = after.symmetric_difference(&before).map(|(p, _)| p.clone()).collect();
    assert!(
        changed
            .iter()
            .all(|p| p.to_string_lossy().contains("_ingest/changes") || p.to_string_lossy().contains("_journal")),
        "a second run wrote {changed:?}"
    );
    assert_eq!(trail(&summary(&archive)), found);
}

#[test]
fn a_log_file_changed_by_one_byte_is_named_with_both_hashes_and_the_exit_code_is_4() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for entry in std::fs::read_dir(set("logs")).unwrap().flatten() {
        std::fs::copy(entry.path(), logs.join(entry.file_name())).unwrap();
    }
    let original = std::fs::read(logs.join(CHANGED)).unwrap();
    let at = original.windows(12).position(|w| w == b"198.51.100.7").unwrap() + 11;
    let mut changed = original.clone();
    changed[at] = b'8';
    std::fs::write(logs.join(CHANGED), &changed).unwrap();

    let archive = dir.path().join("archive");
    let out = ingest(&archive, &[logs.clone(), set("digests")]);
    let (text, errors) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(4), "{text}\n{errors}");
    assert!(text.contains("contradict a digest          1"), "{text}");
    assert!(text.contains("sources validated            3"), "{text}");
    let line = errors
        .lines()
        .find(|l| l.contains(CHANGED))
        .unwrap_or_else(|| panic!("named: {errors}"));
    assert!(line.contains(&sha256_hex(&original)), "the expected hash: {line}");
    assert!(line.contains(&sha256_hex(&changed)), "the hash found: {line}");
    assert!(line.contains(FIRST_DIGEST), "the digest: {line}");

    // Stored and kept all the same: its events are in, its state says what happened.
    let rows = common::csv_rows(&trailscope(
        &[
            "query",
            "--archive",
            archive.to_str().unwrap(),
            "--format",
            "csv",
            "SELECT count(*) FROM events",
        ],
        &[],
    ));
    assert_eq!(rows[1], ["7"]);
    let record = ledger_record(&archive, CHANGED);
    assert_eq!(record["cloudtrail"]["state"]["state"], "mismatch");
    assert_eq!(record["cloudtrail"]["state"]["expected"], sha256_hex(&original));

    let found = summary(&archive);
    assert!(found.failed());
    let failures: Vec<_> = found.failures().collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].kind, FailureKind::Mismatch);
    assert!(failures[0].source.ends_with(CHANGED), "{:?}", failures[0]);
    assert_eq!(failures[0].found, sha256_hex(&changed));
}

#[test]
fn a_digest_that_omits_a_file_leaves_it_not_listed_without_failing() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let first = set(&format!("digests/{FIRST_DIGEST}"));
    let out = ingest(&archive, &[set("logs"), first, set("omitting")]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("not listed                   1"), "{text}");
    let found = trail(&summary(&archive));
    assert_eq!((found.validated, found.not_listed, found.mismatched), (3, 1, 0));
    assert_eq!(
        ledger_record(&archive, OMITTED)["cloudtrail"]["state"]["state"],
        "not_listed"
    );
}

#[test]
fn a_digest_arriving_after_its_logs_validates_them_and_logs_after_their_digest_on_arrival() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let out = ingest(&archive, &[set("logs")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("not validated                4  CloudTrail file(s): no digest"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        ledger_record(&archive, OMITTED)["cloudtrail"]["state"]["state"],
        "uncovered"
    );
    assert_eq!(trail(&summary(&archive)).uncovered, 4);

    let out = ingest(&archive, &[set("digests")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("sources validated            4"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        ledger_record(&archive, OMITTED)["cloudtrail"]["state"]["state"],
        "validated"
    );
    assert_eq!(trail(&summary(&archive)).validated, 4);

    // The other way round: the digests first, then the logs, each validated as it comes.
    let other = dir.path().join("other");
    assert_eq!(ingest(&other, &[set("digests")]).status.code(), Some(0));
    let out = ingest(&other, &[set("logs")]);
    assert!(
        stdout(&out).contains("sources validated            4"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        ledger_record(&other, OMITTED)["cloudtrail"]["state"]["state"],
        "validated"
    );
}

#[test]
fn a_broken_digest_chain_is_an_integrity_failure_and_a_missing_previous_digest_is_only_reported() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let first = set(&format!("digests/{FIRST_DIGEST}"));
    let out = ingest(&archive, &[set("logs"), first.clone(), set("broken-chain")]);
    let errors = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{}\n{errors}", stdout(&out));
    assert!(errors.contains("does not chain to the previous digest"), "{errors}");
    let first_hash = sha256_hex(&plain(&first));
    assert!(
        errors.contains(&first_hash),
        "the previous digest's real hash: {errors}"
    );
    let found = trail(&summary(&archive));
    assert_eq!(found.chain_breaks, 1);
    assert_eq!(found.failures[0].kind, FailureKind::ChainBreak);

    // The second digest alone: its predecessor is not in the archive, which is said, not failed.
    let alone = dir.path().join("alone");
    let out = ingest(&alone, &[set(&format!("digests/{SECOND_DIGEST}"))]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 previous digest(s) not in the archive"),
        "{}",
        stdout(&out)
    );
    let found = trail(&summary(&alone));
    assert_eq!((found.previous_missing, found.chain_breaks), (1, 0));
    // The predecessor arriving later links them.
    assert_eq!(ingest(&alone, &[first]).status.code(), Some(0));
    assert_eq!(trail(&summary(&alone)).previous_missing, 0);
}

/// The fixtures laid out in a bucket as CloudTrail delivers them, each digest with its signature
/// in the object's metadata.
fn deliver(server: &S3Server) {
    use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(format!("http://{}", server.addr))
        .with_allow_http(true)
        .with_bucket_name("audit-trail-logs")
        .with_access_key_id(common::S3_KEY)
        .with_secret_access_key(common::S3_SECRET)
        .with_region("us-east-1")
        .build()
        .unwrap();
    runtime().block_on(async {
        for entry in std::fs::read_dir(set("logs")).unwrap().flatten() {
            let key = format!(
                "AWSLogs/444455556666/CloudTrail/eu-west-1/2024/06/10/{}",
                entry.file_name().to_string_lossy()
            );
            let bytes = std::fs::read(entry.path()).unwrap();
            store.put(&key.into(), PutPayload::from(bytes)).await.unwrap();
        }
        for name in [FIRST_DIGEST, SECOND_DIGEST] {
            let signature = std::fs::read_to_string(set(&format!(
                "signatures/digests.{}.hex",
                name.trim_end_matches(".json.gz")
            )))
            .unwrap();
            let mut attributes = Attributes::new();
            attributes.insert(
                Attribute::Metadata("signature".into()),
                signature.trim().to_string().into(),
            );
            attributes.insert(
                Attribute::Metadata("signature-algorithm".into()),
                "SHA256withRSA".into(),
            );
            let key = format!("AWSLogs/444455556666/CloudTrail-Digest/eu-west-1/2024/06/10/{name}");
            let bytes = std::fs::read(set(&format!("digests/{name}"))).unwrap();
            let options = PutOptions {
                attributes,
                ..PutOptions::default()
            };
            store
                .put_opts(&key.into(), PutPayload::from(bytes), options)
                .await
                .unwrap();
        }
    });
}

#[test]
fn signatures_from_the_bucket_verify_with_aws_public_keys_and_fail_with_another_key() {
    let server = S3Server::start(&["audit-trail-logs"]);
    deliver(&server);
    let env = server.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dir = tempfile::tempdir().unwrap();
    let run = |archive: &Path, keys: &str| {
        let keys = set(keys);
        trailscope(
            &[
                "ingest",
                "--archive",
                archive.to_str().unwrap(),
                "--cloudtrail-public-keys",
                keys.to_str().unwrap(),
                "s3://audit-trail-logs/AWSLogs/",
            ],
            &env,
        )
    };

    let archive = dir.path().join("archive");
    let out = run(&archive, "public-keys.json");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("signatures: 2 valid, 0 failed"), "{text}");
    assert!(text.contains("sources validated            4"), "{text}");
    let found = trail(&summary(&archive));
    assert_eq!((found.signatures_valid, found.validated), (2, 4));

    // The signature is kept with the digest's record: `verify` can check it again later, and
    // another key under the same fingerprint fails it.
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let keys = |name: &str| PublicKeys::from_json(&std::fs::read(set(name)).unwrap()).unwrap();
    let right = keys("public-keys.json");
    let checked = runtime()
        .block_on(digests::summary_checking(&location, Some(&right)))
        .unwrap();
    assert_eq!(trail(&checked).signatures_valid, 2);
    let wrong = keys("wrong-public-keys.json");
    let checked = runtime()
        .block_on(digests::summary_checking(&location, Some(&wrong)))
        .unwrap();
    assert_eq!(trail(&checked).signatures_failed, 2);
    assert!(checked.failed());

    let other = dir.path().join("other");
    let out = run(&other, "wrong-public-keys.json");
    let errors = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{}\n{errors}", stdout(&out));
    assert!(
        errors.contains("signature of the CloudTrail digest") && errors.contains(FIRST_DIGEST),
        "{errors}"
    );
    assert_eq!(trail(&summary(&other)).signatures_failed, 2);
}

#[test]
fn public_keys_that_are_not_list_public_keys_output_are_one_sentence_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, "{\"Keys\": []}").unwrap();
    let out = trailscope(
        &[
            "ingest",
            "--archive",
            dir.path().join("a").to_str().unwrap(),
            "--cloudtrail-public-keys",
            keys.to_str().unwrap(),
            set("logs").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains("keys.json") && message.contains("list-public-keys"),
        "{message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "{message}");
}

#[test]
fn names_from_a_hostile_digest_reach_the_terminal_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join(CHANGED);
    std::fs::copy(set(&format!("logs/{CHANGED}")), &log).unwrap();
    let stem = CHANGED.trim_end_matches(".json");
    let digest = serde_json::json!({
        "awsAccountId": "444455556666",
        "digestStartTime": "2024-06-10T10:00:00Z",
        "digestEndTime": "2024-06-10T11:00:00Z",
        "digestS3Bucket": "audit-trail-logs",
        "digestS3Object": "AWSLogs/444455556666/CloudTrail-Digest/eu-west-1/2024/06/10/\u{1b}]0;owned\u{7}\u{1b}[2Jdigest.json.gz",
        "previousDigestSignature": null,
        "logFiles": [{"s3Bucket": "audit-trail-logs", "s3Object": format!("AWSLogs/x/{stem}.json.gz"),
                      "hashValue": sha256_hex(b"not the file"), "hashAlgorithm": "SHA-256"}]
    });
    let digest_file = dir
        .path()
        .join("444455556666_CloudTrail-Digest_eu-west-1_audit_eu-west-1_20240610T110000Z.json");
    std::fs::write(&digest_file, digest.to_string()).unwrap();
    let out = ingest(&dir.path().join("archive"), &[log, digest_file]);
    let errors = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{errors}");
    assert!(errors.contains(CHANGED), "{errors}");
    assert!(!errors.contains('\u{1b}') && !errors.contains('\u{7}'), "{errors:?}");
}
