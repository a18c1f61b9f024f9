//! Format 5: the `category` column, Entra ID logs and CloudTrail Insights mapped as their own.
//! An archive written by format 4 reads as it did; `compact` brings it to format 5 once: every
//! row gets its category, the rows format 4 mapped as something else are mapped again, and no
//! event is gained or lost.

mod common;

use std::collections::BTreeSet;

use common::compaction::copy_dir;

/// The fixtures of every cloud, an Entra audit and sign-in record, a CloudTrail Insight and an
/// S3 data event (`format-4-inputs/`), ingested by the commit before format 5.
const FORMAT_4: &str = "format-4-archive";

fn csv(archive: &str, sql: &str) -> Vec<Vec<String>> {
    let out = common::trailscope(&["query", "--archive", archive, "--format", "csv", sql], &[]);
    assert!(out.status.success(), "{sql}: {}", common::stderr(&out));
    // (The header is left out.)
    common::csv_rows(&out).split_off(1)
}

fn ids(archive: &str) -> BTreeSet<String> {
    csv(archive, "SELECT event_id FROM events")
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

const STORY: &str = "SELECT category, action, principal, resource, outcome, error_code FROM events \
                     WHERE event_time >= '2024-06-20' AND event_time < '2024-06-21' ORDER BY event_time";

#[test]
fn an_archive_of_format_4_reads_as_before_and_compaction_gives_every_row_its_category() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("archive");
    copy_dir(&common::fixture(FORMAT_4), &path);
    let archive = path.to_str().unwrap();
    let before = ids(archive);
    assert!(before.len() > 25, "{before:?}");

    // As format 4 wrote it: no category, the Entra sign-in an Activity Log event of nobody.
    let rows = csv(archive, STORY);
    let row = |rows: &[Vec<String>], action: &str| rows.iter().find(|r| r[1] == action).cloned();
    let sign_in = row(&rows, "sign-in activity").expect("format 4's mapping of the sign-in");
    assert_eq!((sign_in[0].as_str(), sign_in[2].as_str()), ("", "unknown"));
    assert!(rows.iter().all(|r| r[0].is_empty()), "{rows:?}");

    let out = common::trailscope(&["compact", "--archive", archive], &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let format: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path.join("_ingest/format.json")).unwrap()).unwrap();
    assert_eq!(format["format"], 5);

    assert_eq!(ids(archive), before, "the same events, with the ids they had");
    let rows = csv(archive, STORY);
    let sign_in = row(&rows, "UserSignIn").expect("the sign-in, mapped again");
    assert_eq!(
        sign_in,
        [
            "entra_signin",
            "UserSignIn",
            "admin@contoso.example",
            "797f4846-ba00-4fd7-ba43-dac1f8f63013",
            "failure",
            "50126"
        ]
    );
    let credential = row(&rows, "Add service principal credentials").expect("the audit event, mapped again");
    assert_eq!(
        credential[..4],
        [
            "entra_audit",
            "Add service principal credentials",
            "admin@contoso.example",
            "f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0"
        ]
    );
    let insight = row(&rows, "DeleteAccessKey").expect("the insight, mapped again");
    assert_eq!(
        (insight[0].as_str(), insight[2].as_str(), insight[4].as_str()),
        ("insight", "arn:aws:iam::123456789012:user/ci-deployer", "observed")
    );
    let data = row(&rows, "PutObject").expect("the data event");
    assert_eq!(data[0], "data");

    // Every row has its category, each cloud's own.
    let categories = csv(
        archive,
        "SELECT cloud, category, count(*) FROM events GROUP BY 1, 2 ORDER BY 1, 2",
    );
    let found: Vec<(String, String)> = categories.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    for (cloud, category) in &found {
        let allowed: &[&str] = match cloud.as_str() {
            "aws" => &["management", "data", "insight"],
            "gcp" => &["admin_activity", "data_access", "system_event"],
            _ => &["activity", "entra_audit", "entra_signin"],
        };
        assert!(allowed.contains(&category.as_str()), "{found:?}");
    }
    assert!(found.contains(&("gcp".into(), "data_access".into())), "{found:?}");

    // The data event's write is no change in the views; the archive's chain is whole.
    let out = common::trailscope(
        &[
            "view",
            "resources",
            "--archive",
            archive,
            "--from",
            "2024-06-20",
            "--to",
            "2024-06-21",
            "--format",
            "csv",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let resources = common::csv_rows(&out);
    let header = &resources[0];
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let object = resources
        .iter()
        .find(|r| r[at("resource")] == "arn:aws:s3:::acme-reports/2024/06/q2.csv")
        .expect("the object among the resources");
    assert_eq!(
        (object[at("events")].as_str(), object[at("changes")].as_str()),
        ("1", "0")
    );
    let out = common::trailscope(&["verify", "--archive", archive], &[]);
    assert!(out.status.success(), "{}{}", common::stdout(&out), common::stderr(&out));
}
