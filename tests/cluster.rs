//! The same answers from a Ballista cluster of the built binary as from the local engine: a
//! scheduler and two executors on loopback, as child processes, run the views, the saved reports
//! and ad-hoc queries over the demo archive and the incident fixture, in a folder and in an
//! S3-protocol server, and every answer is compared with the local engine's, row for row.
//! Write statements are refused at the client; a dropped query's job is cancelled on the cluster;
//! a cluster that cannot answer says why.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::protobuf::{GetJobStatusParams, job_status};
use futures::StreamExt;
use trailscope::archive::{Location, StoreOptions};
use trailscope::engine::cluster::{Cluster, ClusterError, Engine, Scheduler};
use trailscope::engine::journal::Journal;
use trailscope::engine::reports::ReportLibrary;
use trailscope::engine::{EngineError, Query, Scope, Session, SessionOptions, TimeWindow, views};

use common::{S3Server, stderr, trailscope};

/// A free port on loopback, and the one after it (an executor listens on both).
fn free_ports(pair: bool) -> u16 {
    loop {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if !pair || (port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok()) {
            return port;
        }
    }
}

/// Processes of the built binary, killed when the test ends however it ends.
struct Processes {
    children: Vec<Child>,
    logs: tempfile::TempDir,
}

impl Processes {
    fn new() -> Self {
        Processes {
            children: Vec::new(),
            logs: tempfile::tempdir().unwrap(),
        }
    }

    fn spawn(&mut self, name: &str, args: &[&str], env: &[(&str, String)]) {
        let log = std::fs::File::create(self.logs.path().join(format!("{name}.log"))).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_trailscope"));
        command
            .args(args)
            .env("TRAILSCOPE_STATE_DIR", common::state_dir())
            .env("TRAILSCOPE_CONFIG", common::state_dir().join("no-config.toml"))
            .env_remove("TRAILSCOPE_ARCHIVE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in env {
            command.env(k, v);
        }
        self.children.push(command.spawn().unwrap());
    }

    /// What the processes wrote, for a failing assertion's message.
    fn logs(&self) -> String {
        let mut all = String::new();
        for entry in std::fs::read_dir(self.logs.path()).unwrap() {
            let path = entry.unwrap().path();
            all += &format!(
                "--- {}\n{}\n",
                path.display(),
                std::fs::read_to_string(&path).unwrap_or_default()
            );
        }
        all
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A scheduler and `executors` executors (one task slot each), started with `env` (the store
/// credentials the cluster reads with), ready.
async fn start_cluster(executors: usize, env: &[(&str, String)]) -> (Processes, Scheduler) {
    let mut processes = Processes::new();
    let port = free_ports(false);
    let address = format!("127.0.0.1:{port}");
    processes.spawn("scheduler", &["cluster", "scheduler", "--bind", &address], env);
    for i in 0..executors {
        let bind = format!("127.0.0.1:{}", free_ports(true));
        processes.spawn(
            &format!("executor-{i}"),
            &[
                "cluster",
                "executor",
                "--scheduler",
                &address,
                "--bind",
                &bind,
                "--slots",
                "1",
            ],
            env,
        );
    }
    let scheduler = Scheduler {
        host: "127.0.0.1".into(),
        port,
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match Cluster::check(&scheduler).await {
            Ok(cluster) if cluster.executors == executors => break,
            Err(ClusterError::NoExecutors { .. }) if executors == 0 => break,
            outcome if Instant::now() > deadline => {
                panic!("the cluster did not become ready: {outcome:?}\n{}", processes.logs())
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    (processes, scheduler)
}

async fn open(location: Location, engine: Engine, journal: Option<Journal>) -> Result<Session, EngineError> {
    Session::open(
        location,
        SessionOptions {
            redact: true,
            journal,
            facts: true,
            engine,
        },
    )
    .await
}

/// A query's rows as text, sorted: a cluster returns rows of equal sort keys in another order.
async fn rows(session: &Session, query: &Query) -> Result<Vec<String>, String> {
    let mut stream = session.run(query).await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(batch) = stream.next().await {
        out.extend(common::batch_rows(&batch.map_err(|e| e.to_string())?));
    }
    out.sort();
    Ok(out)
}

fn sql(text: &str) -> Query {
    Query {
        sql: text.into(),
        ..Query::default()
    }
}

/// `trailscope query --archive ARCHIVE --engine ENGINE SQL`.
fn query_on(archive: &Path, engine: &str, sql: &str) -> std::process::Output {
    trailscope(
        &["query", "--archive", archive.to_str().unwrap(), "--engine", engine, sql],
        &[],
    )
}

/// Ad-hoc questions a responder asks: scans, filters on the record's JSON, joins, windows,
/// subqueries, unions, the archive's end.
const QUESTIONS: [&str; 10] = [
    "SELECT count(*), count(DISTINCT principal), min(event_time), max(event_time) FROM events",
    "SELECT cloud, tenant, outcome, count(*) FROM events GROUP BY ALL",
    "SELECT event_id, action FROM events WHERE json_get_str(raw, 'eventSource') = 'iam.amazonaws.com' OR action LIKE '%Delete%'",
    "SELECT a.principal, count(*) FROM events a JOIN (SELECT principal FROM events WHERE outcome = 'failure' GROUP BY principal) f ON a.principal = f.principal GROUP BY a.principal",
    "SELECT principal, action, row_number() OVER (PARTITION BY principal ORDER BY event_time, event_id) AS n FROM events",
    "SELECT source_ip, count(*) FROM events WHERE source_ip IN (SELECT source_ip FROM events WHERE outcome = 'failure') GROUP BY source_ip",
    "WITH hours AS (SELECT date_trunc('hour', event_time) AS hour, count(*) AS n FROM events GROUP BY 1) SELECT max(n), sum(n) FROM hours",
    "SELECT action FROM events WHERE cloud = 'aws' UNION ALL SELECT action FROM events WHERE cloud <> 'aws'",
    "SELECT count(*) FROM events WHERE event_time > archive_end() - INTERVAL '2 days'",
    "SELECT DISTINCT resource FROM events WHERE regexp_like(coalesce(resource, ''), '[0-9]{4}') ORDER BY resource LIMIT 25",
];

/// Every view (and each section of a principal's and a resource's), every saved report that
/// runs with its defaults, and [`QUESTIONS`], on both sessions: the same rows. Returns how many
/// answers were compared.
async fn agree(local: &Session, cluster: &Session, archive: &str) -> usize {
    let window = TimeWindow::resolve(None, None, local.archive_end().await.unwrap(), 3650 * 86_400_000_000).unwrap();
    let scope = Scope::new(window);
    let mut queries: Vec<Query> = vec![
        views::timeline(&scope),
        views::principals(&scope),
        views::resources(&scope),
    ];
    let principal = rows(local, &views::principals(&scope)).await.unwrap();
    let busiest = |rows: &[String]| rows.first().map(|r| r.split('|').next().unwrap().to_string()).unwrap();
    let view = views::principal(&scope, &busiest(&principal));
    queries.extend(view.summaries().into_iter().cloned());
    queries.push(view.events.clone());
    let resources = rows(local, &views::resources(&scope)).await.unwrap();
    let view = views::resource(&scope, &busiest(&resources));
    queries.extend(view.summaries().into_iter().cloned());
    queries.push(view.events.clone());
    let library = ReportLibrary::builtin();
    let mut reports = 0;
    for report in library.all() {
        // A report whose parameters need values the archive has no default for is left out.
        if let Ok(query) = report.bind(local, &[]).await {
            queries.push(query);
            reports += 1;
        }
    }
    assert!(reports >= 15, "{reports} reports ran with their defaults");
    queries.extend(QUESTIONS.iter().map(|q| sql(q)));
    let mut non_empty = 0;
    for query in &queries {
        let here = rows(local, query)
            .await
            .unwrap_or_else(|e| panic!("{archive}: {}: {e}", query.sql));
        let there = rows(cluster, query)
            .await
            .unwrap_or_else(|e| panic!("{archive}, on the cluster: {}: {e}", query.sql));
        assert_eq!(here, there, "{archive}: {}", query.sql);
        non_empty += usize::from(!here.is_empty());
    }
    assert!(
        non_empty * 2 > queries.len(),
        "{archive}: most answers have rows ({non_empty} of {})",
        queries.len()
    );
    queries.len()
}

fn demo_archive(path: &Path) {
    common::demo_archive(path, 6000, 7, 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_answers_views_reports_and_queries_as_the_local_engine_does_in_a_folder_and_in_s3() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    demo_archive(&demo);
    let incident = PathBuf::from(common::shared_incident_archive());
    // The same archives in an S3-protocol server; the cluster reads it with the credentials of
    // its own environment, the client with its own settings.
    let s3 = S3Server::start(&["audit"]);
    common::compaction::copy_dir(&demo, &s3.root.path().join("audit/demo"));
    common::compaction::copy_dir(&incident, &s3.root.path().join("audit/incident"));
    let mut env = s3.env();
    env.push(("AWS_ALLOW_HTTP", "true".into()));
    let (processes, scheduler) = start_cluster(2, &env).await;
    let engine = Engine::Ballista(scheduler.clone());

    let journal = dir.path().join("journal.jsonl");
    let mut compared = 0;
    for (name, local, remote) in [
        (
            "demo",
            Location::open(demo.to_str().unwrap(), &StoreOptions::default()).unwrap(),
            None,
        ),
        (
            "incident",
            Location::open(incident.to_str().unwrap(), &StoreOptions::default()).unwrap(),
            None,
        ),
        (
            "s3 demo",
            Location::open("s3://audit/demo", &s3.store_options()).unwrap(),
            Some("demo"),
        ),
        (
            "s3 incident",
            Location::open("s3://audit/incident", &s3.store_options()).unwrap(),
            Some("incident"),
        ),
    ] {
        let here = open(local.clone(), Engine::Local, None).await.unwrap();
        let there = open(local, engine.clone(), Some(Journal::local(Some(journal.clone()))))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", processes.logs()));
        assert_eq!(there.cluster().map(|c| c.executors), Some(2));
        compared += agree(&here, &there, name).await;
        if let Some(prefix) = remote {
            // The files are read by the cluster's processes, from the store, with their own
            // credentials: the client only plans and journals.
            s3.reset();
            rows(&there, &sql(QUESTIONS[1])).await.unwrap();
            let read = s3.count(common::S3Kind::Get, &format!("audit/{prefix}/events/"));
            assert!(read > 0, "{}", s3.tally());
        }
    }
    assert!(compared > 100, "{compared} answers compared");

    // The client journals each query, naming the cluster it ran on.
    // (What the file index's facts answer runs at the client, and is journaled as such.)
    let journaled = std::fs::read_to_string(&journal).unwrap();
    let named = format!("\"engine\":\"ballista://{scheduler}\"");
    let first: Vec<&str> = journaled
        .lines()
        .filter(|l| l.contains("count(DISTINCT principal), min(event_time)"))
        .collect();
    assert_eq!(first.len(), 4, "one question on each of the four archives");
    assert!(first.iter().all(|l| l.contains(&named)), "{first:?}");
    let on_cluster = journaled.lines().filter(|l| l.contains(&named)).count();
    assert!(
        on_cluster * 2 > compared,
        "{on_cluster} of {compared} queries ran on the cluster"
    );

    // The command line's --engine gives what the local engine gives.
    let view = |engine: &str| {
        trailscope(
            &[
                "view",
                "principals",
                "--archive",
                demo.to_str().unwrap(),
                "--format",
                "csv",
                "--engine",
                engine,
            ],
            &[],
        )
    };
    let (here, there) = (view("local"), view(&format!("ballista://{scheduler}")));
    assert!(there.status.success(), "{}", stderr(&there));
    let sorted = |out: &std::process::Output| {
        let mut lines: Vec<String> = common::stdout(out).lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&here), sorted(&there));
    assert!(sorted(&here).len() > 5);
    // The principals view is answered from the facts at the client; a question is not.
    let out = query_on(&demo, &format!("ballista://{scheduler}"), QUESTIONS[1]);
    assert!(out.status.success(), "{}", stderr(&out));
    let journal = common::stdout(&trailscope(
        &["journal", "--archive", demo.to_str().unwrap(), "--last", "1"],
        &[],
    ));
    assert!(journal.contains(&format!("ran on ballista://{scheduler}")), "{journal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_refuses_writes_and_reveals_and_cancels_a_dropped_query_on_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    demo_archive(&demo);
    let (processes, scheduler) = start_cluster(2, &[]).await;
    let engine = Engine::Ballista(scheduler.clone());
    let location = || Location::open(demo.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let session = open(location(), engine.clone(), None).await.unwrap();

    // Refused before a plan is made, so before anything reaches the cluster.
    for write in [
        "INSERT INTO events (event_id) VALUES ('x')",
        "CREATE TABLE copy AS SELECT * FROM events",
        "COPY (SELECT raw FROM events) TO '/tmp/out.json'",
        "DROP TABLE events",
        "SET datafusion.execution.target_partitions = 1",
    ] {
        match session.sql(write).await {
            Err(EngineError::Refused(_)) | Err(EngineError::Sql(_)) => {}
            Err(other) => panic!("{write}: {other}"),
            Ok(_) => panic!("{write} ran"),
        }
    }

    // Secrets are not revealed through a cluster.
    let revealing = Session::open(
        location(),
        SessionOptions {
            redact: false,
            journal: None,
            facts: true,
            engine: engine.clone(),
        },
    )
    .await;
    assert!(
        matches!(revealing, Err(EngineError::Cluster(ClusterError::Reveal))),
        "{:?}",
        revealing.err()
    );

    // A query the user gives up on: its job stops on the cluster.
    let mut stream = session
        .sql("SELECT count(*) FROM events a CROSS JOIN events b CROSS JOIN events c WHERE a.action <> c.action")
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(3), stream.next())
            .await
            .is_err(),
        "the query is still running"
    );
    let job = stream.cluster_job().expect("the scheduler took the job");
    let mut client = SchedulerGrpcClient::connect(format!("http://{scheduler}"))
        .await
        .unwrap();
    let status = |client: &mut SchedulerGrpcClient<_>| {
        let job = job.clone();
        let mut client = client.clone();
        async move {
            client
                .get_job_status(GetJobStatusParams { job_id: job })
                .await
                .unwrap()
                .into_inner()
                .status
                .and_then(|s| s.status)
        }
    };
    assert!(
        matches!(status(&mut client).await, Some(job_status::Status::Running(_))),
        "{:?}",
        status(&mut client).await
    );
    drop(stream);
    trailscope::engine::cluster::cancels_settled().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match status(&mut client).await {
            Some(job_status::Status::Failed(failed)) => {
                assert!(failed.error.contains("Cancelled"), "{}", failed.error);
                break;
            }
            other if Instant::now() > deadline => panic!("the job was not cancelled: {other:?}\n{}", processes.logs()),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    // The cluster is free again: a query after it is answered.
    let count = sql("SELECT count(*) FROM events");
    let here = open(location(), Engine::Local, None).await.unwrap();
    assert_eq!(
        rows(&session, &count).await.unwrap(),
        rows(&here, &count).await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_that_cannot_answer_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    demo_archive(&demo);
    let location = || Location::open(demo.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let cluster_at = |port: u16| {
        Engine::Ballista(Scheduler {
            host: "127.0.0.1".into(),
            port,
        })
    };

    // Nothing listens there.
    let nobody = free_ports(false);
    match open(location(), cluster_at(nobody), None).await {
        Err(EngineError::Cluster(ClusterError::Unreachable { reason, .. })) => {
            assert!(reason.to_lowercase().contains("refused"), "{reason}")
        }
        other => panic!("{:?}", other.err()),
    }
    let out = query_on(&demo, &format!("ballista://127.0.0.1:{nobody}"), "SELECT 1");
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("cannot reach the Ballista scheduler at 127.0.0.1:{nobody}")),
        "{said}"
    );
    assert!(said.contains("trailscope cluster scheduler"), "{said}");

    // An archive of format 1, whose secrets are masked as it is read: refused before anything
    // is sent (here, before the address is even tried), as --reveal is.
    let old = dir.path().join("format-1");
    common::compaction::write_format_1_archive(&old, &[common::fixture("reports")]);
    let opened = open(
        Location::open(old.to_str().unwrap(), &StoreOptions::default()).unwrap(),
        cluster_at(nobody),
        None,
    )
    .await;
    assert!(
        matches!(opened, Err(EngineError::Cluster(ClusterError::Format { format: 1 }))),
        "{:?}",
        opened.err()
    );
    let out = trailscope(
        &[
            "query",
            "--archive",
            demo.to_str().unwrap(),
            "--reveal",
            "--engine",
            &format!("ballista://127.0.0.1:{nobody}"),
            "SELECT 1",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("secrets are not revealed through a cluster"),
        "{}",
        stderr(&out)
    );

    // A web server that is not a scheduler, and one that says it is Ballista of another release.
    for (server, expected) in [
        ("nginx/1.25", "not as a Ballista scheduler"),
        ("ballista/54.1.0", "Ballista 54.1.0"),
    ] {
        let fake = common::http::answer_every_request(
            vec![("server".into(), server.into())],
            "ready: 2 executors registered\n",
        );
        match open(location(), cluster_at(fake), None).await {
            Err(e @ EngineError::Cluster(_)) => assert!(e.to_string().contains(expected), "{e}"),
            other => panic!("{server}: {:?}", other.err()),
        }
    }

    // A scheduler without executors.
    let (_alone, scheduler) = start_cluster(0, &[]).await;
    match open(location(), Engine::Ballista(scheduler.clone()), None).await {
        Err(EngineError::Cluster(ClusterError::NoExecutors { .. })) => {}
        other => panic!("{:?}", other.err()),
    }
    let out = query_on(&demo, &format!("ballista://{scheduler}"), "SELECT 1");
    let said = stderr(&out);
    assert!(
        said.contains("has no executor") && said.contains("trailscope cluster executor --scheduler"),
        "{said}"
    );

    // A cluster whose credentials the store refuses, while the client's are good.
    let s3 = S3Server::start(&["audit"]);
    common::compaction::copy_dir(&demo, &s3.root.path().join("audit/demo"));
    let mut wrong = s3.env();
    wrong.retain(|(k, _)| *k != "AWS_SECRET_ACCESS_KEY");
    wrong.push(("AWS_SECRET_ACCESS_KEY", "not-the-secret".into()));
    wrong.push(("AWS_ALLOW_HTTP", "true".into()));
    let (_refused, scheduler) = start_cluster(1, &wrong).await;
    let session = open(
        Location::open("s3://audit/demo", &s3.store_options()).unwrap(),
        Engine::Ballista(scheduler),
        None,
    )
    .await
    .unwrap();
    let failed = rows(&session, &sql("SELECT count(*) FROM events")).await.unwrap_err();
    assert!(
        failed.contains("the cluster cannot read the archive's store"),
        "{failed}"
    );

    // A cluster that reaches the bucket at another address than the client (here the same
    // server by another name; elsewhere, another store): refused, not another archive read.
    let mut elsewhere = s3.env();
    elsewhere.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    elsewhere.push(("AWS_ENDPOINT_URL", format!("http://localhost:{}", s3.addr.port())));
    elsewhere.push(("AWS_ALLOW_HTTP", "true".into()));
    let (_elsewhere, scheduler) = start_cluster(1, &elsewhere).await;
    let session = open(
        Location::open("s3://audit/demo", &s3.store_options()).unwrap(),
        Engine::Ballista(scheduler),
        None,
    )
    .await
    .unwrap();
    let failed = rows(&session, &sql("SELECT count(*) FROM events")).await.unwrap_err();
    assert!(failed.contains("they would read different archives"), "{failed}");
}

#[test]
fn an_engine_is_local_or_a_ballista_scheduler() {
    assert_eq!(Engine::parse("local").unwrap(), Engine::Local);
    assert_eq!(
        Engine::parse("ballista://10.0.0.5").unwrap(),
        Engine::Ballista(Scheduler {
            host: "10.0.0.5".into(),
            port: 50050
        })
    );
    assert_eq!(
        Engine::parse("ballista://[::1]:7000").unwrap().to_string(),
        "ballista://[::1]:7000"
    );
    for bad in [
        "df://host:50050",
        "ballista://",
        "ballista://host:50050/path",
        "ballista://user:pw@host",
    ] {
        assert!(Engine::parse(bad).is_err(), "{bad}");
    }
    let out = trailscope(&["query", "--engine", "spark://x", "SELECT 1"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("use local or ballista://HOST:PORT"),
        "{}",
        stderr(&out)
    );
}
