//! The queries behind the workbench's keys, run for real on the incident fixture: pinned filters
//! (`f`/`F`), frequency tables (`c`) and sorting (`s`) over whole results, each checked against a
//! plain SQL statement that asks the same question.

mod common;

use datafusion::arrow::array::RecordBatch;
use futures::TryStreamExt;
use trailscope::archive::inputs::resolve;
use trailscope::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest};
use trailscope::engine::output::cells;
use trailscope::engine::views::{self, Pin};
use trailscope::engine::{Query, Scope, Session, SessionOptions, TimeWindow};

async fn session() -> (tempfile::TempDir, Session) {
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
    (dir, session)
}

async fn rows(session: &Session, query: &Query) -> Vec<Vec<String>> {
    let batches: Vec<RecordBatch> = session.run(query).await.unwrap().try_collect().await.unwrap();
    batches.iter().flat_map(|b| cells(b).unwrap()).collect()
}

async fn count(session: &Session, sql: &str) -> i64 {
    rows(
        session,
        &Query {
            title: String::new(),
            sql: sql.into(),
            params: vec![],
            facts: None,
        },
    )
    .await[0][0]
        .parse()
        .unwrap()
}

/// Every event of the fixture.
fn all_time() -> Scope {
    Scope::new(TimeWindow {
        from: 0,
        to: 4_000_000_000_000_000,
        chosen: String::new(),
    })
}

const CI_BOT: &str = "arn:aws:iam::111122223333:user/ci-bot";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_values_filter_every_view_as_plain_sql_would() {
    let (_dir, session) = session().await;
    let pin = |column: &str, value: &str, negate| Pin {
        column: column.into(),
        value: value.into(),
        negate,
    };
    let events = |scope: &Scope| views::frequency(scope, "event_id").unwrap();
    let is = all_time().with_pin(pin("principal", CI_BOT, false)).unwrap();
    let expected = count(
        &session,
        &format!("SELECT count(DISTINCT event_id) FROM events WHERE principal = '{CI_BOT}'"),
    )
    .await;
    assert!(expected > 10);
    assert_eq!(rows(&session, &events(&is)).await.len() as i64, expected);
    // "≠" keeps the events without a principal: they are not the ci-bot either.
    let not = all_time().with_pin(pin("principal", CI_BOT, true)).unwrap();
    let others = count(
        &session,
        &format!("SELECT count(DISTINCT event_id) FROM events WHERE principal IS NULL OR principal <> '{CI_BOT}'"),
    )
    .await;
    assert_eq!(rows(&session, &events(&not)).await.len() as i64, others);
    // Values are typed as their column: a boolean, a time, and an empty cell meaning NULL.
    let writes = all_time().with_pin(pin("read_only", "false", false)).unwrap();
    let expected = count(
        &session,
        "SELECT count(DISTINCT event_id) FROM events WHERE read_only = false",
    )
    .await;
    assert_eq!(rows(&session, &events(&writes)).await.len() as i64, expected);
    let first = rows(
        &session,
        &views::events_of(&all_time(), trailscope::engine::Subject::Principal, CI_BOT),
    )
    .await[0][0]
        .clone();
    let at = all_time().with_pin(pin("event_time", &first, false)).unwrap();
    assert!(
        !rows(&session, &events(&at)).await.is_empty(),
        "a time pinned from a cell matches its events"
    );
    let no_resource = all_time().with_pin(pin("resource", "", false)).unwrap();
    let expected = count(
        &session,
        "SELECT count(DISTINCT event_id) FROM events WHERE resource IS NULL",
    )
    .await;
    assert_eq!(rows(&session, &events(&no_resource)).await.len() as i64, expected);
    // A computed column is refused, naming it.
    let e = all_time().with_pin(pin("events", "3", false)).unwrap_err();
    assert!(e.to_string().contains("'events' is computed"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frequency_tables_and_sorting_read_the_whole_result() {
    let (_dir, session) = session().await;
    let principals = views::principals(&all_time());
    let table = rows(&session, &principals).await;
    // The values of a computed column of a table built with a CTE.
    let tenants = rows(&session, &views::frequency_in(&principals, "tenants", false)).await;
    let total: usize = tenants.iter().map(|r| r[1].parse::<usize>().unwrap()).sum();
    assert_eq!(total, table.len(), "every principal is counted once");
    // Of an event list, with first and last seen.
    let list = views::events_of(&all_time(), trailscope::engine::Subject::Principal, CI_BOT);
    let actions = rows(&session, &views::frequency_in(&list, "action", true)).await;
    let expected = count(
        &session,
        &format!("SELECT count(DISTINCT action) FROM events WHERE principal = '{CI_BOT}'"),
    )
    .await;
    assert_eq!(actions.len() as i64, expected);
    assert!(
        actions
            .windows(2)
            .all(|w| w[0][1].parse::<u64>().unwrap() >= w[1][1].parse::<u64>().unwrap())
    );
    assert!(actions.iter().all(|r| r[2] <= r[3]), "first seen ≤ last seen");
    // The whole window's values of an events column.
    let outcomes = rows(&session, &views::frequency(&all_time(), "outcome").unwrap()).await;
    let all = count(&session, "SELECT count(DISTINCT event_id) FROM events").await;
    assert_eq!(outcomes.iter().map(|r| r[1].parse::<i64>().unwrap()).sum::<i64>(), all);
    // Sorting by a column, both ways, keeps every row.
    for descending in [false, true] {
        let sorted = rows(&session, &views::sorted(&principals, "failures", descending)).await;
        assert_eq!(sorted.len(), table.len());
        let failures: Vec<u64> = sorted.iter().map(|r| r[8].parse().unwrap()).collect();
        let mut expected = failures.clone();
        expected.sort();
        if descending {
            expected.reverse();
        }
        assert_eq!(failures, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_counts_each_event_once_per_bucket_by_outcome() {
    let (_dir, session) = session().await;
    let timeline = rows(&session, &views::timeline(&all_time())).await;
    let sum = |i: usize| timeline.iter().map(|r| r[i].parse::<i64>().unwrap()).sum::<i64>();
    let width = all_time().window.bucket().sql;
    let distinct = |filter: &str| {
        format!(
            "SELECT count(*) FROM (SELECT DISTINCT date_bin(INTERVAL '{width}', event_time, TIMESTAMP '1970-01-01T00:00:00Z'), event_id FROM events {filter})"
        )
    };
    assert_eq!(sum(1), count(&session, &distinct("")).await);
    assert_eq!(sum(2), count(&session, &distinct("WHERE outcome = 'success'")).await);
    assert_eq!(sum(3), count(&session, &distinct("WHERE outcome = 'failure'")).await);
    assert!(sum(3) > 0 && sum(2) > 0);
}
