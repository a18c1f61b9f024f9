//! `trailscope coverage` and `trailscope concept`, run as the binary over real Parquet archives:
//! the demo's planted collection findings, a collection without any, the config's expected
//! tenants, the concept written from the archive, and tenant names written by an attacker.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use common::{csv_rows, stderr, stdout, trailscope};
use serde_json::{Value, json};

/// A demo archive for the tests of this file: big enough that no tenant misses a day by chance
/// (its findings are the planted ones), small enough to build in a few seconds.
fn demo_archive() -> &'static str {
    static ARCHIVE: OnceLock<String> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let path = tempfile::tempdir().unwrap().keep().join("demo");
        let out = trailscope(
            &[
                "demo",
                "--archive",
                path.to_str().unwrap(),
                "--events",
                "6000",
                "--days",
                "7",
            ],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        path.to_str().unwrap().to_string()
    })
}

fn query(archive: &str, sql: &str) -> Vec<Vec<String>> {
    let out = trailscope(&["query", "--archive", archive, "--format", "csv", sql], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    csv_rows(&out)[1..].to_vec()
}

fn coverage_json(archive: &str, extra: &[&str], env: &[(&str, &str)]) -> (Option<i32>, Value) {
    let mut args = vec!["coverage", "--archive", archive, "--format", "json"];
    args.extend(extra);
    let out = trailscope(&args, env);
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code(), report)
}

#[test]
fn the_demo_shows_a_stopped_tenant_a_gap_and_a_tenant_that_never_delivered_and_exits_5() {
    let archive = demo_archive();
    let (code, report) = coverage_json(archive, &[], &[]);
    assert_eq!(code, Some(5), "{report:#}");
    let findings = report["findings"].as_array().unwrap();
    let stopped = findings
        .iter()
        .find(|f| f["kind"] == "stopped")
        .expect("a stopped tenant");
    assert_eq!(
        (stopped["cloud"].as_str(), stopped["tenant"].as_str()),
        (Some("aws"), Some("907123456789"))
    );
    let hours = stopped["silent_hours"].as_i64().unwrap();
    assert!((5 * 24..6 * 24).contains(&hours), "{stopped}");
    let gap = findings.iter().find(|f| f["kind"] == "gap").expect("a gap");
    assert_eq!(
        gap,
        &json!({"kind": "gap", "cloud": "gcp", "tenant": "acme-ml", "from": "2026-10-27", "to": "2026-10-27", "days": 1})
    );
    let missing = findings
        .iter()
        .find(|f| f["kind"] == "never_delivered")
        .expect("a missing tenant");
    assert_eq!(
        missing,
        &json!({"kind": "never_delivered", "cloud": "aws", "tenant": "444455556666", "expected_by": ["policy"]})
    );
    assert_eq!(findings.len(), 3, "only what the demo planted: {findings:#?}");

    // What the archive itself says, read independently of coverage.
    let ml_days: Vec<String> = query(
        archive,
        "SELECT DISTINCT date FROM events WHERE tenant = 'acme-ml' ORDER BY date",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    assert!(ml_days.contains(&"2026-10-26".into()) && ml_days.contains(&"2026-10-28".into()));
    assert!(!ml_days.contains(&"2026-10-27".into()), "{ml_days:?}");
    let last = |filter: &str| query(archive, &format!("SELECT max(date) FROM events {filter}"))[0][0].clone();
    assert_eq!(
        (last("WHERE tenant = '907123456789'"), last("")),
        ("2026-10-25".to_string(), "2026-10-30".to_string())
    );
    let tenants = query(archive, "SELECT count(DISTINCT cloud || '/' || tenant) FROM events");
    assert_eq!(report["tenants"].as_array().unwrap().len().to_string(), tenants[0][0]);

    // Delays: each source file's newest event to its ingest, as the ledger records them.
    assert_eq!(report["sources_unmeasured"], 0);
    let mut worst: BTreeMap<String, i64> = BTreeMap::new();
    for entry in std::fs::read_dir(Path::new(archive).join("_ingest")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") || path.file_stem().unwrap().len() != 64 {
            continue;
        }
        let record: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let at = |k: &str| {
            chrono::DateTime::parse_from_rfc3339(record[k].as_str().unwrap())
                .unwrap()
                .timestamp_micros()
        };
        // A CloudTrail digest file's record has no tenants (it holds no events).
        for tenant in record["tenants"].as_array().into_iter().flatten() {
            let delay = (at("ingested_at") - at("last_event")) / 1_000_000;
            let w = worst.entry(tenant.as_str().unwrap().to_string()).or_insert(0);
            *w = (*w).max(delay);
        }
    }
    for t in report["tenants"].as_array().unwrap() {
        let id = format!("{}/{}", t["cloud"].as_str().unwrap(), t["tenant"].as_str().unwrap());
        let delivery = &t["delivery"];
        assert_eq!(delivery["max_delay"].as_i64(), worst.get(&id).copied(), "{id}");
        assert!(delivery["median_delay"].as_i64() <= delivery["max_delay"].as_i64());
    }

    // The table says the same, in sentences.
    let out = trailscope(&["coverage", "--archive", archive], &[]);
    assert_eq!(out.status.code(), Some(5));
    let table = stdout(&out);
    for line in [
        "stopped  aws/907123456789: last event 2026-10-25",
        "gap      gcp/acme-ml: no events on 2026-10-27 (1 day)",
        "missing  aws/444455556666: expected (by policy) but no event was delivered",
    ] {
        assert!(table.contains(line), "{line}\n{table}");
    }
    // A window after the gap, with a longer silence allowed: what is left is the missing
    // tenant and the stopped one (silent in the whole window, so now never delivered in it).
    let (code, later) = coverage_json(archive, &["--from", "2026-10-28", "--stale-after", "6d"], &[]);
    assert_eq!(code, Some(5));
    let kinds: Vec<(&str, &str)> = later["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["tenant"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("never_delivered", "444455556666"), ("never_delivered", "907123456789")]
    );
}

/// A CloudTrail delivery file of `account` holding `n` calls on `day` (YYYY-MM-DD).
fn delivery(dir: &Path, account: &str, day: &str, n: usize) {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "eventVersion": "1.08",
                "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE0001",
                    "arn": format!("arn:aws:iam::{account}:user/ops"), "accountId": account},
                "eventTime": format!("{day}T{:02}:15:00Z", 8 + i),
                "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject",
                "awsRegion": "eu-west-1",
                "sourceIPAddress": "198.51.100.7",
                "userAgent": "aws-cli/2.15",
                "requestParameters": {"bucketName": "reports"},
                "responseElements": null,
                "eventID": format!("{account}-{day}-{i}"),
                "readOnly": true,
                "eventType": "AwsApiCall",
                "recipientAccountId": account,
            })
        })
        .collect();
    let name = format!(
        "{}_CloudTrail_eu-west-1_{}T0800Z.json",
        account.replace(['\u{1b}', '|', '`', '/'], "x"),
        day.replace('-', "")
    );
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), json!({"Records": records}).to_string()).unwrap();
}

fn ingest(archive: &Path, dir: &Path) {
    let out = trailscope(
        &["ingest", "--archive", archive.to_str().unwrap(), dir.to_str().unwrap()],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_collection_without_gaps_exits_0_and_the_configs_expected_tenants_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let (raw, archive) = (dir.path().join("raw"), dir.path().join("archive"));
    for day in ["2026-11-01", "2026-11-02", "2026-11-03"] {
        delivery(&raw, "111100002222", day, 3);
        delivery(&raw, "333300004444", day, 2);
    }
    ingest(&archive, &raw);
    let a = archive.to_str().unwrap();
    let out = trailscope(&["coverage", "--archive", a], &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("No findings"), "{}", stdout(&out));
    let (_, report) = coverage_json(a, &[], &[]);
    let first = &report["tenants"][0];
    assert_eq!(
        (
            &first["tenant"],
            &first["events"],
            &first["days_with_events"],
            &first["per_day_mean"]
        ),
        (&json!("111100002222"), &json!(9), &json!(3), &json!(3.0))
    );

    // The config expects one of them, one that never delivered, and a file names another.
    let config = dir.path().join("config.toml");
    std::fs::write(
        dir.path().join("tenants.txt"),
        "# the GCP side\ngcp/acme-never   # not yet connected\n\n",
    )
    .unwrap();
    std::fs::write(
        &config,
        "[coverage]\nexpected = [\"aws/111100002222\", \"aws/999900009999\"]\nexpected_file = \"tenants.txt\"\n",
    )
    .unwrap();
    let env = [("TRAILSCOPE_CONFIG", config.to_str().unwrap())];
    let (code, report) = coverage_json(a, &[], &env);
    assert_eq!(code, Some(5));
    let file = dir.path().join("tenants.txt").display().to_string();
    assert_eq!(
        report["findings"],
        json!([
            {"kind": "never_delivered", "cloud": "aws", "tenant": "999900009999", "expected_by": ["config"]},
            {"kind": "never_delivered", "cloud": "gcp", "tenant": "acme-never", "expected_by": [file]},
        ])
    );
    assert_eq!(report["tenants"][0]["expected_by"], json!(["config"]));
    assert_eq!(report["tenants"][1]["expected_by"], json!([]));

    // Later deliveries: the first account misses a day, the second stops.
    for day in ["2026-11-05", "2026-11-07"] {
        delivery(&raw, "111100002222", day, 1);
    }
    ingest(&archive, &raw);
    let (code, report) = coverage_json(a, &[], &[]);
    assert_eq!(code, Some(5));
    assert_eq!(
        report["findings"],
        json!([
            {"kind": "gap", "cloud": "aws", "tenant": "111100002222", "from": "2026-11-04", "to": "2026-11-04", "days": 1},
            {"kind": "gap", "cloud": "aws", "tenant": "111100002222", "from": "2026-11-06", "to": "2026-11-06", "days": 1},
            {"kind": "stopped", "cloud": "aws", "tenant": "333300004444", "last_event": "2026-11-03T09:15:00Z", "silent_hours": 95},
        ])
    );
    // A longer allowed silence, and a window that leaves the gaps out: nothing found.
    let (code, report) = coverage_json(a, &["--to", "2026-11-03", "--stale-after", "5d"], &[]);
    assert_eq!(code, Some(0), "{report:#}");
    let bad = trailscope(&["coverage", "--archive", a, "--stale-after", "soon"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(stderr(&bad).trim().lines().count(), 1, "{}", stderr(&bad));

    // A damaged policy is the owners' to fix: said in one sentence, never read as "nothing expected".
    std::fs::create_dir_all(archive.join("_policy")).unwrap();
    std::fs::write(
        archive.join("_policy/coverage.json"),
        r#"{"expected": "aws/111100002222"}"#,
    )
    .unwrap();
    let damaged = trailscope(&["coverage", "--archive", a], &[]);
    assert_eq!(damaged.status.code(), Some(1));
    let said = stderr(&damaged);
    assert!(
        said.contains("_policy/coverage.json cannot be read") && said.trim().lines().count() == 1,
        "{said}"
    );
}

#[test]
fn concept_describes_the_archive_its_tenants_its_reports_and_whether_it_was_verified() {
    let archive = demo_archive();
    let out = trailscope(&["concept", "--archive", archive], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let md = stdout(&out);
    assert!(md.starts_with("# Centralised audit-log concept"), "{md}");
    for row in query(archive, "SELECT DISTINCT cloud, tenant FROM events") {
        assert!(md.contains(&format!("| {} | {} |", row[0], row[1])), "{row:?} in\n{md}");
    }
    for report in trailscope::engine::reports::ReportLibrary::builtin().all() {
        assert!(md.contains(&format!("| `{}` |", report.name)), "{}", report.name);
    }
    for prefix in [
        "`events/`",
        "`_index/`",
        "`_sealed/`",
        "`_journal/`",
        "`_chain/`",
        "`_ingest/`",
        "`_policy/`",
    ] {
        assert!(md.contains(prefix), "{prefix}");
    }
    assert!(md.contains(&format!("`{archive}`")), "the archive's location");
    assert!(md.contains("The oldest day in the archive is 2026-10-24"));
    assert!(md.contains("has never been verified"), "{md}");
    // What coverage finds, said where the expected tenants are.
    // 24 AWS accounts, 8 GCP projects, 5 Azure subscriptions, the Entra ID directory whose
    // sign-in and audit logs the organisation exports, and the account that never delivered.
    assert!(md.contains("39 named by the archive's `_policy/coverage.json`"), "{md}");
    assert!(md.contains("when this was written it reported 3 findings:"), "{md}");
    assert!(md.contains("- missing: aws/444455556666: expected (by policy)"), "{md}");

    // Once a verify run is recorded, the concept cites it.
    let copy = tempfile::tempdir().unwrap();
    let file = copy.path().join("concept.md");
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                let location = trailscope::archive::Location::open(archive, &Default::default()).unwrap();
                let run = trailscope::archive::verified::Verified {
                    at: "2026-12-01T10:00:00Z".into(),
                    by: "auditor".into(),
                    quick: false,
                    from: None,
                    to: None,
                    passed: true,
                    problems: 0,
                    links: 12,
                    objects: 340,
                    bytes: 1_000_000,
                    signatures_checked: None,
                    digests_validated: 0,
                    digests_failed: 0,
                    sealed_unchecked: 0,
                };
                trailscope::archive::verified::record(&location, &run).await.unwrap();
            })
        });
    });
    let out = trailscope(
        &["concept", "--archive", archive, "--output", file.to_str().unwrap()],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let md = std::fs::read_to_string(&file).unwrap();
    assert!(
        md.contains("Last verified at 2026-12-01T10:00:00Z by auditor: passed"),
        "{md}"
    );
    assert!(!md.contains("never verified"));
}

#[test]
fn names_an_attacker_wrote_reach_neither_the_terminal_nor_the_markdown_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let (raw, archive) = (dir.path().join("raw"), dir.path().join("archive"));
    let hostile = "12\u{1b}]0;owned\u{7}|`rm -rf`\u{202e}";
    for day in ["2026-11-01", "2026-11-03"] {
        delivery(&raw, hostile, day, 2);
    }
    ingest(&archive, &raw);
    // The owners' policy, as anyone with write access to _policy/ could have left it.
    std::fs::create_dir_all(archive.join("_policy")).unwrap();
    std::fs::write(
        archive.join("_policy/coverage.json"),
        json!({
            "expected": ["aws/55\u{1b}[2J\n| forged | row |", "nocloud\u{1b}[31m"],
            "set_by": "mallory\u{1b}[2J\n# Forged heading\n| a | b |",
            "set_at": "`now`",
        })
        .to_string(),
    )
    .unwrap();
    let a = archive.to_str().unwrap();
    let out = trailscope(&["coverage", "--archive", a], &[]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    for text in [stdout(&out), stderr(&out)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "{text}"
        );
    }
    // The names are there, made safe: the tenant as its folder names it.
    assert!(
        stdout(&out).contains("aws/12__0_owned___rm_-rf__: no events on 2026-11-02"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("nocloud\\x1b[31m"), "{}", stderr(&out));

    let out = trailscope(&["concept", "--archive", a], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let md = stdout(&out);
    assert!(
        !md.contains('\u{1b}') && !md.contains('\u{7}') && !md.contains('\u{202e}'),
        "{md}"
    );
    assert!(!md.contains("\n# Forged heading") && !md.contains("\n| forged"), "{md}");
    assert!(md.contains("set by mallory\\\\x1b\\[2J\\\\n\\# Forged heading"), "{md}");
    // Every row of every table has as many cell borders as its header.
    let unescaped = |line: &str| {
        let mut n = 0;
        let mut escaped = false;
        for c in line.chars() {
            if c == '|' && !escaped {
                n += 1;
            }
            escaped = c == '\\' && !escaped;
        }
        n
    };
    let mut header = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let n = unescaped(line);
        match header {
            None => header = Some(n),
            Some(h) => assert_eq!(n, h, "{line}"),
        }
    }
}

#[test]
fn coverage_and_concept_explain_themselves_with_examples() {
    for command in ["coverage", "concept"] {
        let out = trailscope(&[command, "--help"], &[]);
        assert!(out.status.success());
        let text = stdout(&out);
        let examples = text.split("Examples:").nth(1).unwrap_or_else(|| panic!("{text}"));
        let examples = examples.split("\n\n").next().unwrap();
        assert!(examples.contains(&format!("trailscope {command}")), "{text}");
        for line in examples.lines() {
            assert!(line.chars().count() <= 80, "{command}: {line}");
        }
    }
    let top = stdout(&trailscope(&["--help"], &[]));
    assert!(top.contains("coverage") && top.contains("concept"), "{top}");
}

#[test]
fn on_a_narrow_terminal_the_table_leaves_out_columns_and_says_which() {
    let archive = demo_archive();
    let wide = trailscope(&["coverage", "--archive", archive], &[("COLUMNS", "400")]);
    let narrow = trailscope(&["coverage", "--archive", archive], &[("COLUMNS", "80")]);
    assert_eq!(narrow.status.code(), Some(5), "{}", stderr(&narrow));
    let table = |out: &std::process::Output| -> Vec<String> {
        stdout(out)
            .lines()
            .skip_while(|l| !l.starts_with("cloud "))
            .take_while(|l| !l.is_empty() && !l.starts_with("(left out"))
            .map(str::to_string)
            .collect()
    };
    let (wide_rows, narrow_rows) = (table(&wide), table(&narrow));
    assert!(wide_rows[0].contains("per day min/mean/max") && !stdout(&wide).contains("left out"));
    assert_eq!(wide_rows.len(), narrow_rows.len(), "every tenant, still");
    for row in &narrow_rows {
        assert!(row.chars().count() <= 80, "{row}");
    }
    assert!(!narrow_rows[0].contains("per day min/mean/max"), "{}", narrow_rows[0]);
    assert!(
        stdout(&narrow).contains("(left out to fit the terminal: per day min/mean/max"),
        "{}",
        stdout(&narrow)
    );
}
