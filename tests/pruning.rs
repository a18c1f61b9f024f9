//! A time window reads only the days it covers: the cost of a query follows its window, not the
//! archive's age. A store that records every read shows which files a query opened.

mod common;

use common::store::Watched;

use std::sync::Arc;

use futures::TryStreamExt;
use trailscope::archive::inputs::resolve;
use trailscope::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest};
use trailscope::engine::{Session, SessionOptions};

/// The one number a `SELECT count(*) …` returns.
async fn count(session: &Session, sql: &str) -> i64 {
    let batches: Vec<_> = session.sql(sql).await.unwrap().try_collect().await.unwrap();
    batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<datafusion::arrow::array::Int64Array>()
        .unwrap()
        .value(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_condition_on_event_time_opens_only_the_days_it_covers() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let inputs = resolve(
        &[common::fixture("reports").display().to_string()],
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    ingest(&location, inputs, &IngestOptions::default(), &Quiet)
        .await
        .unwrap();
    let days = std::fs::read_dir(archive.join("events")).unwrap().count();
    assert!(days >= 5, "the fixture spans {days} days");

    let mut recorded = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let watched = Watched::new(recorded.store.clone());
    let (read, listed) = (watched.read.clone(), watched.listed.clone());
    recorded.store = Arc::new(watched);
    let session = Session::open(
        recorded,
        SessionOptions {
            redact: true,
            journal: None,
            facts: true,
            engine: Default::default(),
        },
    )
    .await
    .unwrap();

    read.lock().unwrap().clear();
    listed.lock().unwrap().clear();
    let n = count(&session, "SELECT count(*) FROM events WHERE event_time >= TIMESTAMP '2024-06-10T09:00:00Z' AND event_time < TIMESTAMP '2024-06-10T12:00:00Z'").await;
    assert_eq!(n, 75, "as the timeline counts them: 3 + 4 + 37 + 24 + 7");
    let files = read.lock().unwrap().clone();
    assert!(!files.is_empty());
    assert!(
        files.iter().all(|f| f.contains("/date=2024-06-10/")),
        "only the day in the window was opened (its files, and its file index): {files:?}"
    );
    let lists = listed.lock().unwrap().clone();
    assert!(
        lists
            .iter()
            .all(|p| !p.contains("date=") || p.contains("date=2024-06-10")),
        "no other day was listed: {lists:?}"
    );

    // The same question without a time condition opens every day: the difference is the pruning.
    read.lock().unwrap().clear();
    count(
        &session,
        "SELECT count(*) FROM events WHERE action = 'DescribeInstances'",
    )
    .await;
    let all: std::collections::BTreeSet<String> = read
        .lock()
        .unwrap()
        .iter()
        .filter_map(|f| {
            f.split("/events/")
                .nth(1)
                .map(|r| r.split('/').next().unwrap().to_string())
        })
        .collect();
    assert_eq!(all.len(), days, "{all:?}");
}

/// One GCP entry at `time`, in a file of its own.
fn gcp_entry(dir: &std::path::Path, id: &str, time: &str) -> String {
    let path = dir.join(format!("{id}.json"));
    let entry = serde_json::json!({
        "insertId": id,
        "logName": "projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": {"principalEmail": "ops@acme-prod.iam.gserviceaccount.com"},
            "serviceName": "compute.googleapis.com",
            "methodName": "v1.compute.instances.insert",
            "resourceName": "projects/acme-prod/zones/europe-west1-b/instances/web-1",
        },
        "resource": {"type": "gce_instance", "labels": {"project_id": "acme-prod"}},
        "timestamp": time,
        "receiveTimestamp": time,
    });
    std::fs::write(&path, entry.to_string()).unwrap();
    path.display().to_string()
}

/// The file index knows each file's time range to the microsecond; a query that truncates
/// `event_time` before comparing (a cast to seconds) asks about a wider range than its literal
/// says, and must not lose the rows the truncation admits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cast_that_truncates_event_time_loses_no_rows_to_the_file_index() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    // Two ingests, so two files of one day with different time ranges.
    for (id, time) in [
        ("early", "2024-05-02T10:00:00.250Z"),
        ("late", "2024-05-02T10:00:01.500Z"),
    ] {
        let inputs = resolve(&[gcp_entry(dir.path(), id, time)], &StoreOptions::default())
            .await
            .unwrap();
        ingest(&location, inputs, &IngestOptions::default(), &Quiet)
            .await
            .unwrap();
    }
    let queries = [
        // Both truncate to 10:00:00 or 10:00:01.
        "SELECT count(*) FROM events WHERE arrow_cast(event_time, 'Timestamp(Second, Some(\"UTC\"))') <= TIMESTAMP '2024-05-02T10:00:01Z'",
        "SELECT count(*) FROM events WHERE arrow_cast(event_time, 'Timestamp(Second, Some(\"UTC\"))') BETWEEN TIMESTAMP '2024-05-02T10:00:00Z' AND TIMESTAMP '2024-05-02T10:00:01Z'",
        "SELECT count(*) FROM events WHERE arrow_cast(event_time, 'Timestamp(Millisecond, Some(\"UTC\"))') >= TIMESTAMP '2024-05-02T10:00:00.250Z'",
        "SELECT count(*) FROM events WHERE arrow_cast(event_time, 'Timestamp(Second, Some(\"UTC\"))') = TIMESTAMP '2024-05-02T10:00:01Z'",
    ];
    let counts = |archive: std::path::PathBuf| async move {
        let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
        let session = Session::open(
            location,
            SessionOptions {
                redact: true,
                journal: None,
                facts: true,
                engine: Default::default(),
            },
        )
        .await
        .unwrap();
        let mut counts = vec![];
        for sql in queries {
            counts.push(count(&session, sql).await);
        }
        counts
    };
    let indexed = counts(archive.clone()).await;
    assert_eq!(indexed, [2, 2, 2, 1], "{queries:#?}");
    std::fs::remove_dir_all(archive.join("_index")).unwrap();
    assert_eq!(counts(archive).await, indexed, "the same without the file index");
}
