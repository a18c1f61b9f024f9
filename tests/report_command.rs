//! The `report` command as a user meets it: what it says when a report finds nothing, a
//! parameter is missing or wrong, or a report of one's own replaces a built-in one; the window
//! `--from`/`--to` give it; the provenance file beside what `--output` writes. (What each report
//! finds is tests/reports.rs.)

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use trailscope::engine::reports::ReportLibrary;

/// The incident fixture, ingested once by the command line for all the tests of this file.
fn archive() -> &'static PathBuf {
    static ARCHIVE: OnceLock<PathBuf> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let path = tempfile::tempdir().unwrap().keep().join("archive");
        let fixture = common::fixture("reports");
        let out = common::trailscope(
            &["ingest", "--archive", path.to_str().unwrap(), fixture.to_str().unwrap()],
            &[],
        );
        assert!(out.status.success(), "{}", common::stderr(&out));
        path
    })
}

#[test]
fn a_report_that_finds_no_row_for_a_part_of_a_name_points_to_the_view_that_resolves_it() {
    let archive = archive().to_str().unwrap();
    let run = |principal: &str| {
        common::trailscope(
            &[
                "report",
                "run",
                "principal-activity",
                "--archive",
                archive,
                "--param",
                &format!("principal={principal}"),
            ],
            &[],
        )
    };
    let part = run("alice");
    assert!(part.status.success(), "{}", common::stderr(&part));
    assert!(common::stdout(&part).contains("(0 rows)"));
    assert!(
        common::stderr(&part).contains("`trailscope view principal 'alice'` finds it by that part"),
        "{}",
        common::stderr(&part)
    );
    let whole = run("arn:aws:iam::111122223333:user/alice");
    assert!(
        !common::stderr(&whole).contains("no rows"),
        "{}",
        common::stderr(&whole)
    );
}

#[test]
fn a_report_that_finds_nothing_since_its_default_start_says_how_to_look_further_back() {
    let archive = archive().to_str().unwrap();
    let run = |params: &[&str]| {
        let mut args = vec!["report", "run", "access-key-activity", "--archive", archive];
        for p in params {
            args.extend(["--param", p]);
        }
        common::trailscope(&args, &[])
    };
    // Nothing in the default window (the last 30 days of the archive's data).
    let none = run(&["access_key=AKIANOSUCHKEY0000000"]);
    assert!(none.status.success(), "{}", common::stderr(&none));
    assert!(common::stdout(&none).contains("(0 rows)"));
    assert!(
        common::stderr(&none).contains("no rows since 2024-05-11T15:08:00Z, the report's default start"),
        "{}",
        common::stderr(&none)
    );
    let given = run(&["access_key=AKIANOSUCHKEY0000000", "since=2024-04-01"]);
    assert!(
        !common::stderr(&given).contains("default start"),
        "{}",
        common::stderr(&given)
    );
    // A window that ends before it starts is refused, as for views.
    let empty = run(&["access_key=AKIANOSUCHKEY0000000", "since=2024-07-01"]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        common::stderr(&empty).contains("the window is empty"),
        "{}",
        common::stderr(&empty)
    );
}

#[test]
fn from_and_to_set_a_reports_window_as_for_views() {
    let archive = archive().to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["report", "run", "--archive", archive];
        all.extend(args);
        common::trailscope(&all, &[])
    };
    let out = run(&["logging-tampering", "--from", "2024-06-10T09:00", "--to", "2024-06-11"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("since = 2024-06-10T09:00:00Z, until = 2024-06-11T00:00:00Z"),
        "{}",
        common::stderr(&out)
    );
    let both = run(&["logging-tampering", "--from", "7d", "--param", "since=1d"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(common::stderr(&both).contains("not both"), "{}", common::stderr(&both));
}

#[test]
fn a_missing_or_wrong_parameter_is_told_with_the_flag_that_gives_it() {
    let archive = archive().to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["report", "run", "--archive", archive];
        all.extend(args);
        common::trailscope(&all, &[])
    };
    let missing = run(&["access-key-activity"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        common::stderr(&missing).trim(),
        "trailscope: the report access-key-activity needs a value for its parameter `access_key` \
         (text: the access key id (AKIA…, ASIA…) or GCP key name): give it with --param access_key=…"
    );
    let number = run(&["access-denied-spikes", "--param", "min_failures=many"]);
    assert_eq!(number.status.code(), Some(2));
    assert!(
        common::stderr(&number).contains("--param min_failures=many: expected a whole number"),
        "{}",
        common::stderr(&number)
    );
    // A time given with --from is told as --from.
    for (args, said) in [
        (
            ["--from", "yesterday"],
            "--from yesterday: expected a time like 2024-06-01",
        ),
        (
            ["--param", "since=yesterday"],
            "--param since=yesterday: expected a time like 2024-06-01",
        ),
    ] {
        let mut all = vec!["logging-tampering"];
        all.extend(args);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(2));
        assert!(common::stderr(&out).contains(said), "{}", common::stderr(&out));
    }
}

/// A config file whose report folder holds `root-activity.sql`, a report of the built-in
/// report's name that finds something else; the config file's path.
fn config_replacing_root_activity(dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let reports = dir.join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let own = reports.join("my-root.sql");
    std::fs::write(
        &own,
        "-- name: root-activity\n-- title: Not what you think\n-- description: Every event.\n\
         SELECT event_id FROM events ORDER BY event_id LIMIT 2\n",
    )
    .unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("report_dirs = [{:?}]\n", reports.display().to_string()),
    )
    .unwrap();
    (config, own)
}

#[test]
fn a_users_report_named_like_a_built_in_one_is_said_to_replace_it_wherever_it_shows() {
    let dir = tempfile::tempdir().unwrap();
    let (config, own) = config_replacing_root_activity(dir.path());
    let archive = dir.path().join("archive");
    common::ingest_incident(&archive);
    let archive = archive.to_str().unwrap();
    let config = config.to_str().unwrap();
    let marked = format!("(replaces the built-in report of this name, from {})", own.display());

    let list = common::trailscope(&["report", "list", "--config", config], &[]);
    let line = common::stdout(&list)
        .lines()
        .find(|l| l.starts_with("root-activity "))
        .unwrap()
        .to_string();
    assert!(line.contains("Not what you think") && line.ends_with(&marked), "{line}");
    let show = common::trailscope(&["report", "show", "root-activity", "--config", config], &[]);
    assert!(
        common::stdout(&show).lines().next().unwrap().ends_with(&marked),
        "{}",
        common::stdout(&show)
    );

    // Run, it still is the user's (the file wins), and whoever runs it is told.
    let file = dir.path().join("root.csv");
    let run = common::trailscope(
        &[
            "report",
            "run",
            "root-activity",
            "--config",
            config,
            "--archive",
            archive,
            "--output",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert!(run.status.success(), "{}", common::stderr(&run));
    assert!(
        common::stderr(&run).contains(&format!(
            "note: the report root-activity is not the built-in report of this name: it is read from {}\n",
            own.display()
        )),
        "{}",
        common::stderr(&run)
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap().lines().count(),
        3,
        "the user's SQL ran"
    );
    let provenance: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(trailscope::engine::export::provenance_path(&file)).unwrap())
            .unwrap();
    assert_eq!(provenance["report"]["name"], "root-activity");
    assert_eq!(provenance["report"]["origin"], own.display().to_string());
    assert_eq!(provenance["report"]["replaces_builtin"], true);

    // The archive's journal names the file too.
    let journal = common::trailscope(&["journal", "--archive", archive, "--json"], &[]);
    let entries: Vec<serde_json::Value> = common::stdout(&journal)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ran: Vec<_> = entries
        .iter()
        .filter(|e| e["report"]["name"] == "root-activity")
        .collect();
    assert_eq!(ran.len(), 1, "{entries:?}");
    assert_eq!(ran[0]["report"]["file"], own.display().to_string());
    assert_eq!(ran[0]["report"]["replaces_builtin"], true);
    let said = common::stdout(&common::trailscope(&["journal", "--archive", archive], &[]));
    assert!(
        said.contains(&format!(
            "report root-activity from {}, which replaces the built-in report of this name",
            own.display()
        )),
        "{said}"
    );

    // Without the folder, the built-in report runs, and nothing is said.
    let builtin = common::trailscope(&["report", "run", "root-activity", "--archive", archive], &[]);
    assert!(builtin.status.success(), "{}", common::stderr(&builtin));
    assert!(
        !common::stderr(&builtin).contains("not the built-in"),
        "{}",
        common::stderr(&builtin)
    );
}

#[test]
fn a_report_written_to_a_file_has_its_provenance_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tampering.jsonl");
    let out = common::trailscope(
        &[
            "report",
            "run",
            "logging-tampering",
            "--archive",
            archive().to_str().unwrap(),
            "--from",
            "2024-06-10T09:00",
            "--to",
            "2024-06-11",
            "--output",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let beside = dir.path().join("tampering.jsonl.provenance.json");
    assert!(
        common::stderr(&out).contains(&format!("and where they came from to {}", beside.display())),
        "{}",
        common::stderr(&out)
    );
    let provenance: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&beside).unwrap()).unwrap();
    let library = ReportLibrary::builtin();
    assert_eq!(provenance["sql"], library.get("logging-tampering").unwrap().sql);
    assert_eq!(provenance["window_from"], "2024-06-10T09:00:00Z");
    assert_eq!(provenance["window_to"], "2024-06-11T00:00:00Z");
    assert_eq!(
        provenance["params"],
        serde_json::json!([["since", "2024-06-10T09:00:00Z"], ["until", "2024-06-11T00:00:00Z"]])
    );
    assert_eq!(provenance["report"]["origin"], "built-in logging-tampering.sql");
    assert_eq!(provenance["report"]["replaces_builtin"], false);
    assert_eq!(provenance["format"], "json lines");
    assert_eq!(provenance["archive"], archive().display().to_string());
    let rows = std::fs::read_to_string(&file).unwrap().lines().count();
    assert_eq!(provenance["rows"], rows);
}
