//! How a scheduled ingest over an unchanged delivery prefix costs, before and after incremental
//! collection (a benchmark, not a test): `scripts/bench-collect [OBJECTS]`.
//!
//! Serves OBJECTS small CloudTrail files (default 10,000; 100 a day) in their delivery layout from
//! the S3-protocol server of the tests, on loopback, ingests them once, then times a re-run and
//! counts its requests by kind:
//! - before: every object listed, fetched and hashed, then one ledger GET each (`inputs::resolve`,
//!   what ingest did before);
//! - after, `--since all`: every object listed, none fetched (markers say they are unchanged);
//! - after, default: date folders listed from the last day collected minus the margin.

#[path = "../tests/common/mod.rs"]
#[allow(dead_code, unused_imports)]
mod common;

use std::time::Instant;

use common::S3Server;
use trailscope::archive::inputs::{Since, collect, resolve};
use trailscope::archive::{IngestOptions, Location, Quiet, ingest};

fn cloudtrail(date: &str, id: &str) -> String {
    format!(
        r#"{{"Records":[{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ci-bot","accountId":"111122223333","userName":"ci-bot"}},"eventTime":"{date}T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","eventID":"{id}","eventType":"AwsApiCall","recipientAccountId":"111122223333"}}]}}"#
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let objects: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let server = S3Server::start(&["raw", "audit"]);
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    for i in 0..objects {
        let day = start + chrono::Days::new((i / 100) as u64);
        let key = format!(
            "raw/AWSLogs/111122223333/CloudTrail/us-east-1/{}/111122223333_CloudTrail_us-east-1_{}T1000Z_{i}.json",
            day.format("%Y/%m/%d"),
            day.format("%Y%m%d")
        );
        let path = server.root.path().join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, cloudtrail(&day.format("%Y-%m-%d").to_string(), &format!("e{i}"))).unwrap();
    }
    let sources = vec!["s3://raw/AWSLogs/".to_string()];
    let options = server.store_options();
    let ingest_options = IngestOptions::default();
    println!("{objects} unchanged CloudTrail objects on an S3-protocol server on loopback (no added latency)");
    for (label, since) in [
        ("before (list, GET and hash every object, one ledger GET each)", None),
        ("after, --since all (list every object, markers)", Some(Since::All)),
        (
            "after, default (date folders from the last day collected - 2)",
            Some(Since::Remembered),
        ),
    ] {
        let archive_url = format!("s3://audit/{}", if since.is_none() { "before" } else { "after" });
        let archive = Location::create(&archive_url, &options).unwrap();
        let run = |since: Option<Since>| {
            let (archive, sources, options, ingest_options) = (&archive, &sources, &options, &ingest_options);
            async move {
                let inputs = match since {
                    None => resolve(sources, options).await.unwrap(),
                    Some(since) => collect(sources, options, archive, since, &Quiet).await.unwrap(),
                };
                ingest(archive, inputs, ingest_options, &Quiet).await.unwrap()
            }
        };
        // The first collection (once per archive), then the re-run measured.
        if since != Some(Since::Remembered) {
            let t = Instant::now();
            let first = run(since.or(Some(Since::All))).await;
            println!(
                "  first ingest into {archive_url}: {} events in {:.1} s",
                first.events_total(),
                t.elapsed().as_secs_f64()
            );
        }
        server.reset();
        let t = Instant::now();
        let again = run(since).await;
        let seconds = t.elapsed().as_secs_f64();
        let source_gets = server.count(common::S3Kind::Get, "raw/");
        println!(
            "  {label}:\n    {seconds:.2} s; requests {}; GETs of source objects {source_gets}; events written {}",
            server.tally(),
            again.events_total()
        );
    }
}
