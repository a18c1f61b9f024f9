//! `trailscope query` and what every result goes through: the output formats and files, EXPLAIN,
//! CSV neutralising, the terminal's width, read-only SQL, masking and the access journal — on the
//! incident fixture (tests/fixtures/reports/).

mod common;

use common::{csv_rows, on_incident as run, shared_incident_archive as archive, stderr, stdout, trailscope};

#[test]
fn no_sql_function_can_take_a_masked_secret_out() {
    let sql = "SELECT json_get_str(raw, 'responseElements', 'credentials', 'sessionToken') AS t, \
               substr(raw, strpos(raw, 'sessionToken'), 60) AS s, \
               replace(raw, 'IQoJ', 'xxxx') LIKE '%xxxxb3JpZ2lu%' AS found \
               FROM events WHERE event_id = 'aws-assume-cross'";
    let out = run(&["query", "--format", "csv", sql]);
    let text = stdout(&out);
    assert!(!text.contains("IQoJb3JpZ2lu") && !text.contains("true"), "{text}");
    assert!(text.contains("[MASKED:aws-session-token:"), "{text}");
    let revealed = stdout(&run(&["query", "--format", "csv", "--reveal", sql]));
    assert!(
        revealed.contains("IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN") && revealed.contains("true"),
        "{revealed}"
    );
}

#[test]
fn a_failed_export_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.csv");
    // Fails while streaming (a cast that breaks on a later row), after the file was started.
    let out = run(&[
        "query",
        "--output",
        file.to_str().unwrap(),
        "SELECT CAST(CASE WHEN event_id LIKE 'az-%' THEN 'x' ELSE '1' END AS INT) FROM events",
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "neither the file nor a partial one"
    );
    // A file named without a format is refused (a device takes the table).
    let bare = dir.path().join("principals");
    let out = run(&["view", "principals", "--output", bare.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("names no format"), "{}", stderr(&out));
    assert!(!bare.exists());
    assert!(run(&["view", "principals", "--output", "/dev/null"]).status.success());
    let typed = run(&[
        "view",
        "principals",
        "--output",
        bare.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(typed.status.success() && bare.is_file());
}

#[test]
fn a_query_written_to_a_file_has_its_provenance_beside_it_and_one_to_a_device_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("azure.parquet");
    let sql = "SELECT event_id FROM events WHERE cloud = 'azure'";
    let out = run(&["query", "--output", file.to_str().unwrap(), sql]);
    assert!(out.status.success(), "{}", stderr(&out));
    let beside = dir.path().join("azure.parquet.provenance.json");
    assert_eq!(trailscope::engine::export::provenance_path(&file), beside);
    let p: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&beside).unwrap()).unwrap();
    assert_eq!(p["sql"], sql);
    assert_eq!(p["format"], "parquet");
    assert_eq!(p["rows"], 12);
    assert_eq!(p["archive"], archive());
    assert_eq!(p["secrets_masked"], true);
    // Typed SQL carries its own range: trailscope narrowed it to no window.
    assert!(p["window_from"].is_null() && p["window_to"].is_null(), "{p}");
    assert!(p["report"].is_null(), "{p}");
    // A device keeps nothing beside it (and /dev is not ours to write to).
    let devnull = run(&["query", "--format", "csv", "--output", "/dev/null", sql]);
    assert!(devnull.status.success(), "{}", stderr(&devnull));
    assert!(!stderr(&devnull).contains("came from"), "{}", stderr(&devnull));
}

#[test]
fn every_output_format_carries_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let sql = "SELECT event_id, principal, event_time FROM events WHERE cloud = 'azure' ORDER BY event_id";
    let csv = csv_rows(&run(&["query", "--format", "csv", sql]));
    let json = stdout(&run(&["query", "--format", "json", sql]));
    let parquet = dir.path().join("out.parquet");
    assert!(
        run(&["query", "--output", parquet.to_str().unwrap(), sql])
            .status
            .success()
    );
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&parquet).unwrap())
            .unwrap();
    let rows: usize = reader.build().unwrap().map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(csv.len() - 1, 12);
    assert_eq!(json.lines().count(), 12);
    assert_eq!(rows, 12);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["event_id"], csv[1][0]);
    let table = stdout(&run(&["query", sql]));
    assert!(
        table.contains("│") && table.trim_end().ends_with("(12 rows)"),
        "{table}"
    );
    // Redirected (not a terminal), Parquet may go to standard output.
    let piped = run(&["query", "--format", "parquet", sql]);
    assert!(piped.status.success() && piped.stdout.starts_with(b"PAR1") && piped.stdout.ends_with(b"PAR1"));
}

#[test]
fn explain_prints_each_plan_as_a_tree_of_lines() {
    let out = run(&[
        "query",
        "EXPLAIN SELECT principal, count(*) FROM events WHERE cloud = 'aws' GROUP BY principal",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let at = |heading: &str| lines.iter().position(|l| *l == heading).expect(heading);
    let (logical, physical) = (at("logical_plan:"), at("physical_plan:"));
    assert!(logical < physical, "{text}");
    // One operator per line, children indented under their parent.
    let aggregate = lines
        .iter()
        .position(|l| l.trim_start().starts_with("AggregateExec"))
        .unwrap();
    assert!(aggregate > physical, "{text}");
    let depth = |l: &str| l.len() - l.trim_start().len();
    assert!(depth(lines[physical + 1]) == 2 && depth(lines[aggregate]) > 2, "{text}");
    assert!(
        lines.iter().any(|l| l.trim_start().starts_with("TableScan: events")),
        "{text}"
    );
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_neutralised() {
    let out = run(&[
        "query",
        "--format",
        "csv",
        "SELECT '=HYPERLINK(\"http://x\")' AS a, '-2+3' AS b, 'plain' AS c, '-ef6q7xe2y19o' AS d",
    ]);
    assert_eq!(
        stdout(&out).lines().nth(1).unwrap(),
        "\"'=HYPERLINK(\"\"http://x\"\")\",'-2+3,plain,-ef6q7xe2y19o"
    );
}

#[test]
fn statements_that_would_write_are_refused_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("copy.parquet");
    let copy = format!("COPY (SELECT * FROM events) TO '{}'", target.display());
    for sql in [
        copy.as_str(),
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO events SELECT * FROM events",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let out = run(&["query", sql]);
        assert_eq!(out.status.code(), Some(2), "{sql}");
        assert!(stderr(&out).contains("read-only"), "{sql}: {}", stderr(&out));
    }
    assert!(!target.exists(), "nothing was written");
}

#[test]
fn every_query_is_recorded_in_the_access_journal() {
    let marker = "SELECT 'journal-marker-7f3a' AS m, count(*) FROM events";
    assert!(run(&["query", marker]).status.success());
    // The archive's journal (in the archive), and this user's own.
    for journal in [
        run(&["journal", "--json"]),
        trailscope(&["journal", "--json", "--local"], &[]),
    ] {
        let entries: Vec<serde_json::Value> = stdout(&journal)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let entry = entries
            .iter()
            .find(|e| e["sql"] == marker)
            .expect("the query is in the journal");
        assert_eq!(entry["end"]["rows"], 1);
        assert_eq!(entry["end"]["outcome"], "completed");
        assert!(entry["archive"].as_str().unwrap().ends_with("/archive"));
        assert!(entry.get("revealed").is_none(), "masked: {entry}");
        assert!(
            entry["identity"].as_str().unwrap().starts_with("local user "),
            "who the store says the reader is: {entry}"
        );
    }
    // Seeing secrets unmasked is itself recorded.
    let revealing = "SELECT 'journal-reveal-51be' AS m, count(raw) FROM events";
    assert!(run(&["query", "--reveal", revealing]).status.success());
    let out = run(&["journal"]);
    let text = stdout(&out);
    let at = text.find("journal-reveal-51be").unwrap();
    let heading = text[..at].lines().rev().nth(1).unwrap();
    assert!(heading.ends_with("completed  secrets revealed"), "{heading}");
    let refused = run(&["query", "DROP TABLE events -- journal-refusal-9c1d"]);
    assert_eq!(refused.status.code(), Some(2));
    let out = stdout(&run(&["journal", "--json"]));
    let entry = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["sql"].as_str().unwrap().contains("journal-refusal-9c1d"))
        .expect("the refused attempt is recorded");
    assert!(
        entry["end"]["outcome"].as_str().unwrap().starts_with("refused: "),
        "{entry}"
    );
    assert!(
        !out.contains("SELECT max(event_time) FROM events WHERE date = $day"),
        "trailscope's own bookkeeping is not the user's access"
    );
    let report = run(&["report", "run", "ip-activity", "--param", "ip=198.51.100.77"]);
    assert!(report.status.success());
    let out = stdout(&run(&["journal", "--json"]));
    assert!(
        out.contains("\"ip\":\"198.51.100.77\""),
        "report parameters are recorded: {out}"
    );
    assert!(
        out.contains("\"kind\":\"parameter default\""),
        "a default evaluated as SQL is recorded too: {out}"
    );
}

#[test]
fn on_an_80_column_terminal_a_table_leaves_out_the_columns_that_do_not_fit_and_names_them() {
    let args = [
        "view",
        "resource",
        "function:billing-export",
        "--from",
        "30d",
        "--archive",
        archive(),
    ];
    let out = trailscope(&args, &[("COLUMNS", "80")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines().all(|l| l.starts_with('(') || l.chars().count() <= 80),
        "{text}"
    );
    assert!(
        text.contains("4 of 8 columns fit this terminal, not shown: outcome, error_code, source_ip, event_id;"),
        "{text}"
    );
    // Nobody acted as someone else: `source_identity` shrinks to a mark, and the principal keeps
    // its name.
    assert!(text.contains(" │ so… │ ") && text.contains("/ci-deployer │"), "{text}");
    // Without a width (a pipe, a file), every column is there.
    let whole = stdout(&trailscope(&args, &[]));
    assert!(
        !whole.contains("columns fit this terminal") && whole.contains("event_id"),
        "{whole}"
    );
}

/// `archive_end()` (the default end of every window) is the newest event's time, whether the
/// file index answers it or, without one, the newest day's files do.
#[test]
fn archive_end_is_the_newest_event_with_or_without_the_file_index() {
    let dir = tempfile::tempdir().unwrap();
    common::ingest_incident(dir.path());
    let sql = "SELECT CAST(archive_end() AS VARCHAR) AS by_end, \
               CAST((SELECT max(event_time) FROM events) AS VARCHAR) AS by_scan";
    let ask = || {
        let out = trailscope(
            &[
                "query",
                "--archive",
                dir.path().to_str().unwrap(),
                "--format",
                "csv",
                sql,
            ],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        csv_rows(&out)[1].clone()
    };
    let indexed = ask();
    assert_eq!(indexed[0], indexed[1]);
    assert!(indexed[0].starts_with("2024-06-10"), "{indexed:?}");
    std::fs::remove_dir_all(dir.path().join("_index")).unwrap();
    assert_eq!(ask(), indexed);
}
