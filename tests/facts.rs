//! The file index's facts (format 4) answer the principals, resources and timeline views, and
//! `coverage`'s daily counts, exactly as the files do: on an archive with duplicate deliveries before and after
//! compaction, on an archive written by the previous format and after its migration, and in
//! object storage without a GET of an events file for the days the facts answer.

mod common;

use std::path::Path;

use futures::StreamExt;
use trailscope::archive::chain::verify::{VerifyOptions, verify};
use trailscope::archive::{Location, Quiet, StoreOptions, format};
use trailscope::engine::{FactsUsed, Query, Scope, Session, SessionOptions, TimeSpec, TimeWindow, views};

use common::compaction::{at_once, build_archive, copy_dir, run};

async fn session(location: Location, facts: bool) -> Session {
    Session::open(
        location,
        SessionOptions {
            redact: true,
            journal: None,
            facts,
            engine: Default::default(),
        },
    )
    .await
    .unwrap()
}

async fn open(archive: &Path, facts: bool) -> Session {
    session(
        Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap(),
        facts,
    )
    .await
}

/// A query's rows as text, in the order it returned them, and what facts answered.
async fn rows(session: &Session, query: &Query) -> (Vec<String>, Option<FactsUsed>) {
    let mut stream = session.run(query).await.unwrap();
    let mut out = Vec::new();
    while let Some(batch) = stream.next().await {
        out.extend(common::batch_rows(&batch.unwrap()));
    }
    (out, stream.facts())
}

fn scope(from: &str, to: &str) -> Scope {
    let at = |s: &str| TimeSpec::At(trailscope::sources::parse_time(s).unwrap());
    Scope::new(TimeWindow::resolve(Some(at(from)), Some(at(to)), None, 0).unwrap())
}

/// The windows checked on the fixtures: the whole archive (in 30-day buckets), one cut at both
/// ends, one day.
const WINDOWS: [(&str, &str); 3] = [
    ("2019-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("2024-05-01T12:34:56Z", "2024-06-10T13:00:00Z"),
    ("2024-06-10T00:00:00Z", "2024-06-11T00:00:00Z"),
];

/// Every view of every window, from facts and from the files: the same rows. Returns the
/// days facts answered, summed over the views.
async fn agree(with: &Session, without: &Session) -> usize {
    agree_over(with, without, &WINDOWS).await
}

async fn agree_over(with: &Session, without: &Session, windows: &[(&str, &str)]) -> usize {
    let mut days = 0;
    for &(from, to) in windows {
        let s = scope(from, to);
        let principals = views::principals(&s);
        // (The sort by one column leaves its ties in no order: its rows are compared as a set.)
        for (query, ordered) in [
            (views::timeline(&s), true),
            (principals.clone(), true),
            (views::resources(&s), true),
            (views::sorted(&principals, "failures", true), false),
            (views::frequency_in(&principals, "tenants", false), true),
        ] {
            let (mut answered, used) = rows(with, &query).await;
            let (mut read, none) = rows(without, &query).await;
            if !ordered {
                answered.sort();
                read.sort();
            }
            assert_eq!(none, None, "facts are off in this session");
            assert!(!read.is_empty(), "{} over {from} – {to} has rows", query.title);
            assert_eq!(answered, read, "{} over {from} – {to}", query.title);
            days += used.map_or(0, |u| u.days);
        }
    }
    // `coverage`'s events per cloud, tenant and day, over the whole archive.
    let coverage = trailscope::engine::coverage::daily_query(None, None, None);
    let (answered, used) = rows(with, &coverage).await;
    assert!(!answered.is_empty());
    assert_eq!(answered, rows(without, &coverage).await.0, "coverage");
    days + used.map_or(0, |u| u.days)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facts_answer_the_views_as_the_files_do_before_and_after_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    build_archive(&archive, dir.path()).await;
    let window = scope(WINDOWS[0].0, WINDOWS[0].1);
    let days_with_events = {
        let s = open(&archive, false).await;
        let (days, _) = rows(
            &s,
            &Query {
                sql: "SELECT DISTINCT date FROM events".into(),
                ..Query::default()
            },
        )
        .await;
        days.len()
    };

    // Before compaction the days a file was delivered twice into are read from the files: their
    // partitions hold the same events in files of two ingest batches.
    let (with, without) = (open(&archive, true).await, open(&archive, false).await);
    assert!(agree(&with, &without).await > 0);
    let (_, used) = rows(&with, &views::principals(&window)).await;
    let before = used.expect("facts answer the days of one delivery").days;
    assert!(before < days_with_events, "{before} of {days_with_events}");

    // A filter is not counted in the facts: such a view reads the files.
    let filtered = window.clone().with_filter("outcome = 'failure'").unwrap();
    assert_eq!(rows(&with, &views::principals(&filtered)).await.1, None);

    let summary = run(&archive, &at_once(), usize::MAX).await.0.unwrap();
    assert!(summary.duplicates_removed > 0, "{summary:?}");
    let (with, without) = (open(&archive, true).await, open(&archive, false).await);
    agree(&with, &without).await;
    let (_, used) = rows(&with, &views::principals(&window)).await;
    assert_eq!(
        used.map(|u| u.days),
        Some(days_with_events),
        "after compaction facts answer every day"
    );
}

/// An archive written by trailscope's previous format (3), kept as it wrote it: the fixtures
/// of every cloud, ingested by the commit before format 4.
const FORMAT_3: &str = "format-3-archive";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_of_format_3_reads_as_before_and_compaction_counts_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    copy_dir(&common::fixture(FORMAT_3), &archive);
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    assert_eq!(format::read(&location).await.unwrap(), Some(3));
    let window = scope(WINDOWS[0].0, WINDOWS[0].1);

    // Its index has no facts: every view reads the files, and reads them right.
    let (with, without) = (open(&archive, true).await, open(&archive, false).await);
    assert_eq!(agree(&with, &without).await, 0);
    let (principals, _) = rows(&with, &views::principals(&window)).await;
    assert!(principals.len() > 10, "{principals:?}");

    let summary = run(&archive, &at_once(), usize::MAX).await.0.unwrap();
    assert_eq!((summary.format_before, summary.format_after), (3, format::CURRENT));
    // Format 5 adds a column: every file is written again, its facts counted as it is.
    assert_eq!(
        summary.partitions_rewritten, summary.partitions_examined,
        "the migration rewrote every file: {summary:?}"
    );
    let (with, without) = (open(&archive, true).await, open(&archive, false).await);
    assert!(agree(&with, &without).await > 0);
    assert_eq!(rows(&with, &views::principals(&window)).await.0, principals);
    let report = verify(&location, &VerifyOptions::default(), &Quiet).await.unwrap();
    assert!(report.passed(), "{:?}", report.problems);
}

#[test]
fn in_object_storage_the_days_facts_answer_read_no_events_file() {
    let server = common::S3Server::start(&["audit"]);
    let env: Vec<(&str, String)> = server.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let sources: Vec<String> = ["aws", "gcp", "azure", "reports"]
        .iter()
        .map(|d| common::fixture(d).display().to_string())
        .collect();
    let mut args = vec!["ingest", "--archive", "s3://audit/org"];
    args.extend(sources.iter().map(String::as_str));
    let out = common::trailscope(&args, &env);
    assert!(out.status.success(), "{}", common::stderr(&out));

    let view = |extra: &[(&str, &str)]| {
        server.reset();
        let env: Vec<(&str, &str)> = env.iter().chain(extra).copied().collect();
        let out = common::trailscope(
            &[
                "view",
                "principals",
                "--archive",
                "s3://audit/org",
                "--from",
                "2024-05-01",
                "--to",
                "2024-06-30",
                "--format",
                "csv",
                "-v",
            ],
            &env,
        );
        assert!(out.status.success(), "{}", common::stderr(&out));
        let events_read = server.count(common::S3Kind::Get, "audit/org/events/");
        (common::stdout(&out), common::stderr(&out), events_read)
    };
    let (answered, said, read) = view(&[]);
    assert!(said.contains("days answered from the file index's facts"), "{said}");
    assert_eq!(read, 0, "no events file is read: {}", server.tally());
    let (scanned, said, read) = view(&[("TRAILSCOPE_NO_FACTS", "1")]);
    assert!(!said.contains("facts"), "{said}");
    assert!(read > 0, "without facts the files are read");
    assert_eq!(answered, scanned);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_demo_archive_facts_answer_the_views_as_the_files_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo");
    let location = Location::create(path.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let options = trailscope::demo::DemoOptions {
        events: 20_000,
        days: 10,
        ..Default::default()
    };
    trailscope::demo::build(&location, &options, &Quiet).await.unwrap();
    let (with, without) = (open(&path, true).await, open(&path, false).await);
    // Its last ten days whole, then cut at both ends, then its incident's day.
    let windows = [
        ("2026-10-21T00:00:00Z", "2026-10-31T00:00:00Z"),
        ("2026-10-22T05:06:07Z", "2026-10-30T13:14:15Z"),
        ("2026-10-30T00:00:00Z", "2026-10-31T00:00:00Z"),
    ];
    assert!(agree_over(&with, &without, &windows).await >= 10 * 5);
    // A window that ends after its last day's events, as a default window ends at the archive's
    // newest: that day is taken from facts too; one that ends before some of them is not.
    let last_event = {
        let (rows, _) = rows(
            &without,
            &Query {
                sql: "SELECT max(event_time) FROM events".into(),
                ..Query::default()
            },
        )
        .await;
        trailscope::sources::parse_time(&rows[0]).unwrap()
    };
    let up_to = |to: i64| {
        Scope::new(TimeWindow {
            from: trailscope::sources::parse_time("2026-10-21T00:00:00Z").unwrap(),
            to,
            chosen: String::new(),
        })
    };
    for (to, days) in [(last_event + 1, 10), (last_event, 9)] {
        let query = views::principals(&up_to(to));
        let (answered, used) = rows(&with, &query).await;
        assert_eq!(used.map(|u| u.days), Some(days));
        assert_eq!(answered, rows(&without, &query).await.0);
    }
}
