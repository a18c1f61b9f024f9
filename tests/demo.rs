//! The demo archive: deterministic, in the clouds' native formats, read by the ordinary ingest
//! path, and holding an incident that the views and reports find.

mod common;

use std::collections::BTreeSet;

use common::{csv_rows, stderr, stdout, trailscope};

fn demo(archive: &std::path::Path, events: &str, seed: &str) -> std::process::Output {
    trailscope(
        &[
            "demo",
            "--archive",
            archive.to_str().unwrap(),
            "--events",
            events,
            "--days",
            "7",
            "--seed",
            seed,
        ],
        &[],
    )
}

fn rows(archive: &std::path::Path, sql: &str) -> Vec<Vec<String>> {
    let out = trailscope(
        &[
            "query",
            "--archive",
            archive.to_str().unwrap(),
            "--format",
            "csv",
            "--reveal",
            sql,
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    csv_rows(&out)
}

#[test]
fn the_same_seed_gives_the_same_events_and_another_seed_other_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    for (archive, seed) in [(&a, "3"), (&b, "3"), (&c, "4")] {
        let out = demo(archive, "3000", seed);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let fingerprint = "SELECT count(*) AS n, count(DISTINCT event_id) AS ids, \
                       sum(length(raw)) AS bytes, min(event_time) AS first, max(event_time) AS last FROM events";
    let all = "SELECT event_id, source_object, source_index, principal, action, sha256(raw) FROM events ORDER BY event_id, source_index";
    assert_eq!(rows(&a, all), rows(&b, all), "row for row the same");
    assert_ne!(rows(&a, fingerprint), rows(&c, fingerprint));
    // Running it again into the same archive adds nothing: the files are the same files.
    let again = demo(&a, "3000", "3");
    assert!(again.status.success());
    assert_eq!(rows(&a, fingerprint), rows(&b, fingerprint));
}

#[test]
fn the_demo_never_adds_its_made_up_events_to_an_archive_it_did_not_build() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("real");
    let ingest = trailscope(
        &[
            "ingest",
            "--archive",
            archive.to_str().unwrap(),
            common::fixture("aws").to_str().unwrap(),
        ],
        &[],
    );
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    let count = "SELECT count(*) FROM events";
    let before = rows(&archive, count);
    let out = demo(&archive, "3000", "3");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("holds an archive the demo did not build"),
        "{}",
        stderr(&out)
    );
    assert_eq!(rows(&archive, count), before, "nothing was added");
}

#[test]
fn every_native_format_is_accepted_whole_by_the_ingest_path() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let out = demo(&archive, "5000", "1");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("demo archive:"), "{}", stderr(&out));
    let per_cloud = rows(
        &archive,
        "SELECT cloud, count(*) AS n, count(DISTINCT tenant) AS tenants FROM events GROUP BY cloud ORDER BY cloud",
    );
    let clouds: Vec<&str> = per_cloud[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(clouds, ["aws", "azure", "gcp"]);
    let total: u64 = per_cloud[1..].iter().map(|r| r[1].parse::<u64>().unwrap()).sum();
    assert!(
        (4_900..5_600).contains(&total),
        "about the asked number plus the incident: {total}"
    );
    // Nothing was rejected or quarantined, and the files are in each cloud's own layout.
    assert!(!archive.join("_quarantine").exists() && !archive.join("_sealed/quarantine").exists());
    let objects: BTreeSet<String> = rows(
        &archive,
        "SELECT DISTINCT split_part(source_object, '/', 4) AS top FROM events",
    )[1..]
        .iter()
        .map(|r| r[0].clone())
        .collect();
    // Entra ID's diagnostic settings export each of its logs to a container of its own.
    assert_eq!(
        objects,
        [
            "AWSLogs",
            "gcp-audit-sink",
            "insights-activity-logs",
            "insights-logs-auditlogs",
            "insights-logs-managedidentitysigninlogs",
            "insights-logs-noninteractiveusersigninlogs",
            "insights-logs-serviceprincipalsigninlogs",
            "insights-logs-signinlogs",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    );
    // Hundreds of actions even in a small week, and S3 data events about half of AWS's records,
    // as AWS writes them.
    let variety = rows(
        &archive,
        "SELECT cloud, count(DISTINCT action) AS actions, count(*) AS n, \
         count(*) FILTER (WHERE json_get_str(raw, 'eventCategory') = 'Data') AS data, \
         count(*) FILTER (WHERE json_get_str(raw, 'eventCategory') = 'Data' \
           AND json_get_bool(raw, 'managementEvent') = false AND json_get_str(raw, 'resources', 0, 'type') IN \
           ('AWS::S3::Object', 'AWS::Lambda::Function')) AS data_as_aws_writes_them \
         FROM events GROUP BY cloud ORDER BY cloud",
    );
    let number = |cloud: &str, column: usize| -> f64 {
        variety.iter().find(|r| r[0] == cloud).unwrap()[column].parse().unwrap()
    };
    assert!(number("aws", 1) >= 150.0, "{variety:?}");
    assert!(number("gcp", 1) >= 50.0, "{variety:?}");
    assert!(number("azure", 1) >= 40.0, "{variety:?}");
    let share = number("aws", 3) / number("aws", 2);
    assert!(
        (0.35..0.6).contains(&share),
        "data events' share of AWS: {share} {variety:?}"
    );
    assert_eq!(number("aws", 3), number("aws", 4), "{variety:?}");
}

#[test]
fn the_planted_incident_is_found_by_the_views_and_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    assert!(demo(&archive, "20000", "7").status.success());
    let a = archive.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--archive", a, "--format", "csv"]);
        let out = trailscope(&all, &[]);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        csv_rows(&out)
    };
    // The production session's credentials were issued by the AssumeRole call, just before
    // their first use, as a record's sessionContext says.
    let times = run(&[
        "query",
        "SELECT (SELECT max(event_time) FROM events WHERE action = 'AssumeRole' \
           AND assumed_principal LIKE '%/ci-deployer-8841') AS assumed, \
         min(arrow_cast(json_get_str(raw, 'userIdentity', 'sessionContext', 'attributes', 'creationDate'), \
           'Timestamp(Microsecond, Some(\"UTC\"))')) AS issued, min(event_time) AS first_use \
         FROM events WHERE principal LIKE '%/ci-deployer-8841'",
    ]);
    let (assumed, issued, first_use) = (&times[1][0], &times[1][1], &times[1][2]);
    assert!(assumed <= issued && issued <= first_use, "{times:?}");
    // The credentials the incident's calls were answered with are sealed, and nothing of the
    // organisation's ordinary activity is (Azure's resultSignature, GCP's and AWS's settings
    // stay readable).
    let sealed = run(&[
        "query",
        "SELECT cloud, action, raw LIKE '%[MASKED:aws-s%' AS marked FROM events WHERE sealed_id IS NOT NULL",
    ]);
    assert!((2..=4).contains(&sealed.len()), "{sealed:?}");
    for row in &sealed[1..] {
        assert_eq!(row[0], "aws", "{sealed:?}");
        assert!(
            ["AssumeRole", "CreateAccessKey", "GetSessionToken"].contains(&row[1].as_str()),
            "only calls answered with credentials: {sealed:?}"
        );
        assert_eq!(row[2], "true");
    }
    // The leaked key, from an address it never used, listing everything.
    let new_ips = run(&["report", "run", "first-seen-source-ips"]);
    assert!(
        new_ips[1..]
            .iter()
            .any(|r| r[0] == "arn:aws:iam::356789012345:user/ci-deployer" && r[1] == "203.0.113.66"),
        "{new_ips:?}"
    );
    let recon = run(&["report", "run", "reconnaissance-bursts"]);
    assert!(
        recon[1..]
            .iter()
            .any(|r| r[3] == "arn:aws:iam::356789012345:user/ci-deployer"),
        "{recon:?}"
    );
    // The hop into production and what the session did there.
    let sessions = run(&["report", "run", "role-session-activity"]);
    let actions: BTreeSet<&str> = sessions[1..]
        .iter()
        .filter(|r| r[3].ends_with("DeployAdmin/ci-deployer-8841"))
        .map(|r| r[6].as_str())
        .collect();
    for expected in [
        "CreateUser",
        "CreateAccessKey",
        "AttachUserPolicy",
        "CreateFunction20150331",
        "GetSecretValue",
        "ModifySnapshotAttribute",
    ] {
        assert!(actions.contains(expected), "{expected} in {actions:?}");
    }
    // Who deployed and configured the function, in AWS and in GCP.
    let lambda = run(&["view", "resource", "function:invoice-sync", "--section", "changes"]);
    assert_eq!(
        lambda[1][1],
        "arn:aws:sts::210987654321:assumed-role/DeployAdmin/ci-deployer-8841"
    );
    let gcp = run(&["view", "resource", "functions/invoice-sync", "--section", "changes"]);
    assert!(
        gcp[1..]
            .iter()
            .all(|r| r[1] == "ci-deployer@acme-ci-build.iam.gserviceaccount.com"),
        "{gcp:?}"
    );
    // Persistence, sharing, tampering, the Azure grant.
    let sharing = run(&["report", "run", "snapshot-and-image-sharing"]);
    assert!(sharing[1..].iter().any(|r| r[7] == "999900001111"), "{sharing:?}");
    let tampering = run(&["report", "run", "logging-tampering"]);
    assert!(
        tampering[1..]
            .iter()
            .any(|r| r[4] == "StopLogging" && r[6] == "failure"),
        "{tampering:?}"
    );
    let grants = run(&["report", "run", "iam-policy-changes", "--param", "since=2026-10-30"]);
    assert!(
        grants[1..]
            .iter()
            .any(|r| r[1] == "azure" && r[4] == "microsoft.authorization/roleassignments/write"),
        "{grants:?}"
    );
    let event = stdout(&trailscope(
        &[
            "query",
            "--archive",
            a,
            "--format",
            "csv",
            "SELECT raw FROM events WHERE cloud = 'azure' AND principal = '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e' AND source_ip = '203.0.113.66'",
        ],
        &[],
    ));
    assert!(
        event.contains("f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0"),
        "the unknown app is in the grant: {event}"
    );

    // Entra ID, from the same address: the directory admin's sign-in with a password alone at
    // high risk, the consent to the unknown app, a password credential added to its service
    // principal, then (once it is Owner) its own sign-in with that key just before its calls.
    use trailscope::demo::{ATTACKER_IP, ENTRA_ADMIN, ENTRA_TENANT, UNKNOWN_APP, UNKNOWN_APP_KEY};
    let out = trailscope(
        &[
            "query",
            "--archive",
            a,
            "--format",
            "json",
            &format!(
                "SELECT event_time, tenant, raw FROM events WHERE cloud = 'azure' AND source_ip = '{ATTACKER_IP}' \
                 ORDER BY event_time, source_index"
            ),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let steps: Vec<(String, String, serde_json::Value)> = stdout(&out)
        .lines()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                row["event_time"].as_str().unwrap().to_string(),
                row["tenant"].as_str().unwrap().to_string(),
                serde_json::from_str(row["raw"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    let first = |what: &dyn Fn(&serde_json::Value) -> bool| -> usize {
        steps
            .iter()
            .position(|(_, _, r)| what(r))
            .unwrap_or_else(|| panic!("{steps:#?}"))
    };
    let text = |r: &serde_json::Value, path: &str| r.pointer(path).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let sign_in = first(&|r| {
        r["category"] == "SignInLogs"
            && r["resultType"] == "0"
            && text(r, "/properties/userPrincipalName") == ENTRA_ADMIN
    });
    let risky = &steps[sign_in].2["properties"];
    assert_eq!(risky["riskLevelDuringSignIn"], "high", "{risky}");
    assert_eq!(
        risky["authenticationRequirement"], "singleFactorAuthentication",
        "{risky}"
    );
    let names_the_app = |r: &serde_json::Value| {
        r["properties"]["targetResources"][0]["modifiedProperties"]
            .as_array()
            .is_some_and(|m| {
                m.iter().any(|p| {
                    p["displayName"] == "TargetId.ServicePrincipalNames"
                        && p["newValue"].as_str().is_some_and(|v| v.contains(UNKNOWN_APP))
                })
            })
    };
    let consent = first(&|r| r["operationName"] == "Consent to application" && names_the_app(r));
    let credential = first(&|r| r["operationName"] == "Add service principal credentials" && names_the_app(r));
    for step in [consent, credential] {
        let r = &steps[step].2;
        assert_eq!(steps[step].1, ENTRA_TENANT, "{r}");
        assert_eq!(
            text(r, "/properties/initiatedBy/user/userPrincipalName"),
            ENTRA_ADMIN,
            "{r}"
        );
        assert_eq!(r["properties"]["targetResources"][0]["type"], "ServicePrincipal", "{r}");
    }
    assert!(
        steps[credential].2.to_string().contains(UNKNOWN_APP_KEY),
        "the new key is described: {}",
        steps[credential].2
    );
    let grant =
        first(&|r| text(r, "/identity/authorization/action") == "Microsoft.Authorization/roleAssignments/write");
    let app_sign_in = first(&|r| {
        r["category"] == "ServicePrincipalSignInLogs"
            && text(r, "/properties/appId") == UNKNOWN_APP
            && text(r, "/properties/servicePrincipalCredentialKeyId") == UNKNOWN_APP_KEY
    });
    let app_call = first(&|r| text(r, "/identity/claims/appid") == UNKNOWN_APP);
    assert!(
        sign_in < consent
            && consent < credential
            && credential < grant
            && grant < app_sign_in
            && app_sign_in < app_call,
        "{sign_in} {consent} {credential} {grant} {app_sign_in} {app_call}: {steps:#?}"
    );
}

#[test]
fn with_no_archive_configured_a_reading_command_builds_the_demo_once_and_uses_it() {
    let first = trailscope(
        &[
            "query",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM events WHERE action = 'StopLogging'",
        ],
        &[],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let second = trailscope(
        &[
            "query",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM events WHERE action = 'StopLogging'",
        ],
        &[],
    );
    assert!(
        !stderr(&second).contains("building the demo archive"),
        "built once: {}",
        stderr(&second)
    );
    assert!(csv_rows(&second)[1][0].parse::<u64>().unwrap() >= 1);
    // Its week holds more principals than the view lists: it says so.
    let principals = trailscope(&["view", "principals", "--format", "csv"], &[]);
    assert_eq!(csv_rows(&principals).len(), 1 + 1000);
    assert!(
        stderr(&principals).contains("the 1000 with the most events): the window may hold more"),
        "{}",
        stderr(&principals)
    );

    // A demo archive an older trailscope built (no format marker, no file index) is built again,
    // not shown without what this version adds.
    let demo = common::state_dir().join("data/demo");
    let marker = demo.join(".trailscope-demo-format");
    assert!(marker.is_file() && demo.join("_index").is_dir());
    std::fs::remove_file(&marker).unwrap();
    std::fs::remove_dir_all(demo.join("_index")).unwrap();
    let third = trailscope(
        &[
            "query",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM events WHERE assumed_principal IS NOT NULL",
        ],
        &[],
    );
    assert!(
        stderr(&third).contains("was built by an older trailscope: building it again"),
        "{}",
        stderr(&third)
    );
    assert!(marker.is_file() && demo.join("_index").is_dir());
    assert!(
        csv_rows(&third)[1][0].parse::<u64>().unwrap() >= 1,
        "the demo assumes roles"
    );
}

#[test]
fn a_filtered_aggregate_beside_an_unfiltered_one_is_answered_right() {
    // DataFusion 55's aggregate dynamic filter made the filtered max NULL here: the unfiltered
    // max's bound pruned away the files that held GCP's newest event.
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    assert!(demo(&archive, "5000", "1").status.success());
    let rows = |archive: &std::path::Path, sql: &str| {
        let out = trailscope(
            &["query", "--archive", archive.to_str().unwrap(), "--format", "csv", sql],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        csv_rows(&out)
    };
    let alone = rows(
        &archive,
        "SELECT max(event_time) FILTER (WHERE cloud = 'gcp') AS g FROM events",
    );
    assert!(!alone[1][0].is_empty(), "{alone:?}");
    // Which file is read first decides whether it showed: asked a few times, it did nearly always.
    for _ in 0..3 {
        let beside = rows(
            &archive,
            "SELECT max(event_time) FILTER (WHERE cloud = 'gcp') AS g, max(event_time) AS m, min(event_time) AS n FROM events",
        );
        assert_eq!(beside[1][0], alone[1][0], "{beside:?}");
    }
}

#[test]
fn the_demos_cloudtrail_files_are_validated_by_its_digests_but_one_planted_file() {
    use sha2::Digest as _;
    use std::io::Read as _;
    use trailscope::demo::{UNLISTED_DAY, UNLISTED_REGION, UNLISTED_TENANT};
    let dir = tempfile::tempdir().unwrap();
    let (archive, raw) = (dir.path().join("archive"), dir.path().join("raw"));
    let out = trailscope(
        &[
            "demo",
            "--archive",
            archive.to_str().unwrap(),
            "--events",
            "5000",
            "--days",
            "7",
            "--seed",
            "1",
            "--keep-raw",
            raw.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let a = archive.to_str().unwrap();

    // The digests are CloudTrail's own files, where CloudTrail puts them: the planted file's hour
    // has its digest, which lists nothing, and chains to the day before's by its content's hash.
    let (day, region, account) = (UNLISTED_DAY.replace('-', ""), UNLISTED_REGION, UNLISTED_TENANT);
    let folder = |kind: &str| {
        raw.join(format!(
            "AWSLogs/{account}/{kind}/{region}/{}",
            UNLISTED_DAY.replace('-', "/")
        ))
    };
    let log = folder("CloudTrail").join(format!("{account}_CloudTrail_{region}_{day}T0000Z_demo.json.gz"));
    let digest_name = format!("{account}_CloudTrail-Digest_{region}_org-trail_{region}_{day}T010000Z.json.gz");
    assert!(log.is_file(), "{}", log.display());
    let plain = |path: &std::path::Path| {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_end(&mut text)
            .unwrap();
        text
    };
    let digest: serde_json::Value =
        serde_json::from_slice(&plain(&folder("CloudTrail-Digest").join(&digest_name))).unwrap();
    assert_eq!(digest["digestStartTime"], format!("{UNLISTED_DAY}T00:00:00Z"));
    assert_eq!(digest["logFiles"], serde_json::json!([]), "{digest}");
    let previous = digest["previousDigestS3Object"].as_str().unwrap();
    assert_eq!(
        digest["previousDigestHashValue"].as_str().unwrap(),
        hex(&sha2::Sha256::digest(plain(&raw.join(previous))))
    );
    // The next day's digest lists that day's file with the SHA-256 of its uncompressed content.
    let listed: serde_json::Value = serde_json::from_slice(&plain(
        &raw.join(
            std::fs::read_dir(folder("CloudTrail-Digest").parent().unwrap().join("29"))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path(),
        ),
    ))
    .unwrap();
    let entry = &listed["logFiles"][0];
    let next_log = entry["s3Object"].as_str().unwrap();
    assert!(next_log.ends_with(&format!("{account}_CloudTrail_{region}_20261029T0000Z_demo.json.gz")));
    assert_eq!(
        entry["hashValue"].as_str().unwrap(),
        hex(&sha2::Sha256::digest(plain(&raw.join(next_log))))
    );

    // coverage: every AWS tenant's delivery files validated, the planted one not listed.
    let coverage = trailscope(&["coverage", "--archive", a, "--format", "json"], &[]);
    assert_eq!(
        coverage.status.code(),
        Some(5),
        "the collection's findings: {}",
        stderr(&coverage)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&coverage)).unwrap();
    let mut tenants = 0;
    for t in report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["cloud"] == "aws")
    {
        let d = &t["delivery"]["digests"];
        let planted = t["tenant"] == account;
        assert!(d["validated"].as_u64().unwrap() > 0, "{t}");
        assert_eq!(d["not_listed"], if planted { 1 } else { 0 }, "{t}");
        for none in ["contradicted", "no_digest", "not_validated"] {
            assert_eq!(d[none], 0, "{none}: {t}");
        }
        tenants += 1;
    }
    assert_eq!(tenants, 24, "every AWS account but the one that never delivered");

    // verify: nothing contradicts a digest; it says what they said.
    let verify = trailscope(&["verify", "--archive", a], &[]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let text = stdout(&verify);
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(" digest(s); log files ")).collect();
    // Each account's regions (a quiet one may have had no call in the week).
    assert!(lines.len() > 24 * 3, "{text}");
    let mut planted_seen = false;
    for line in lines {
        let planted = line.trim_start().starts_with(&format!("{account} {region}:"));
        planted_seen |= planted;
        let counts = if planted {
            " validated, 0 contradicted, 1 not listed by their hour's digest, 0 without a digest"
        } else {
            " validated, 0 contradicted, 0 not listed by their hour's digest, 0 without a digest"
        };
        assert!(line.contains(counts), "{line}");
        assert!(
            line.contains("signatures 0 valid, 0 failed,") && line.contains(" unavailable (read from a folder)"),
            "{line}"
        );
    }
    assert!(planted_seen, "{text}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn tenants_grow_the_organisation_with_a_skew_and_keep_the_incident() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("org");
    let out = trailscope(
        &[
            "demo",
            "--archive",
            archive.to_str().unwrap(),
            "--tenants",
            "120,30,20",
            "--events",
            "40000",
            "--days",
            "7",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let per_cloud = rows(
        &archive,
        "SELECT cloud, count(DISTINCT tenant) AS tenants FROM events GROUP BY cloud ORDER BY cloud",
    );
    let count = |cloud: &str| -> usize {
        per_cloud
            .iter()
            .find(|r| r[0] == cloud)
            .map(|r| r[1].parse().unwrap())
            .unwrap_or(0)
    };
    // Nearly every tenant logged something in a week; the stopped and gap tenants too.
    assert!((110..=120).contains(&count("aws")), "{per_cloud:?}");
    assert!((27..=30).contains(&count("gcp")), "{per_cloud:?}");
    // Azure's tenants are the subscriptions and the organisation's one Entra ID directory.
    let directory = rows(
        &archive,
        &format!(
            "SELECT count(*) AS n FROM events WHERE cloud = 'azure' AND tenant = '{}'",
            trailscope::demo::ENTRA_TENANT
        ),
    );
    assert_ne!(directory[1][0], "0", "{directory:?}");
    assert!((18..=20).contains(&(count("azure") - 1)), "{per_cloud:?}");
    // The busiest tenant carries far more than the quietest that logged at all.
    let skew = rows(
        &archive,
        "SELECT max(n) AS most, min(n) AS least FROM (SELECT tenant, count(*) AS n FROM events \
         WHERE cloud = 'aws' GROUP BY tenant)",
    );
    let (most, least): (u64, u64) = (skew[1][0].parse().unwrap(), skew[1][1].parse().unwrap());
    assert!(most > 20 * least, "most {most}, least {least}");
    // The incident is still there: the attacker's address in the production account.
    let incident = rows(
        &archive,
        &format!(
            "SELECT count(*) AS n FROM events WHERE source_ip = '{}' AND tenant = '{}'",
            trailscope::demo::ATTACKER_IP,
            trailscope::demo::PROD_ACCOUNT
        ),
    );
    assert_ne!(incident[1][0], "0");
    // A count below the named tenants is refused in one sentence.
    let bad = trailscope(
        &[
            "demo",
            "--archive",
            dir.path().join("bad").to_str().unwrap(),
            "--tenants",
            "3,1,1",
        ],
        &[],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("at least 24,8,5"), "{}", stderr(&bad));
}
