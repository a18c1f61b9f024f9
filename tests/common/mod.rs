//! Shared by the integration tests: fixture paths, the binary, an S3-protocol server.
#![allow(dead_code)]

pub mod azurite;
pub mod compaction;
pub mod gcs;
pub mod http;
pub mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(relative: &str) -> PathBuf {
    fixtures().join(relative)
}

/// Runs the real binary with `args` and the given environment.
pub fn trailscope(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("trailscope").expect("the binary is built");
    // Never the user's own journal or config: a folder of this test process's own.
    cmd.args(args)
        .env_remove("TRAILSCOPE_ARCHIVE")
        .env_remove("COLUMNS")
        .env("TRAILSCOPE_STATE_DIR", state_dir())
        .env("TRAILSCOPE_DATA_DIR", state_dir().join("data"))
        .env("TRAILSCOPE_CONFIG", state_dir().join("no-config.toml"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// This test process's state folder (journal), removed with the process's temp files.
pub fn state_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// Ingests the incident fixture (tests/fixtures/reports/) into `archive`.
pub fn ingest_incident(archive: &Path) {
    let out = trailscope(
        &[
            "ingest",
            "--archive",
            archive.to_str().unwrap(),
            fixture("reports").to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The incident fixture ingested once for all the tests of a test binary (read, never changed).
pub fn shared_incident_archive() -> &'static str {
    static ARCHIVE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ARCHIVE
        .get_or_init(|| {
            let path = tempfile::tempdir().unwrap().keep().join("archive");
            ingest_incident(&path);
            path
        })
        .to_str()
        .unwrap()
}

/// `trailscope ARGS --archive <the shared incident archive>`.
pub fn on_incident(args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--archive", shared_incident_archive()]);
    trailscope(&all, &[])
}

/// Builds a demo archive of `events` over `days` at `path` with the real binary.
pub fn demo_archive(path: &Path, events: usize, days: usize, seed: u64) {
    let (events, days, seed) = (events.to_string(), days.to_string(), seed.to_string());
    let out = trailscope(
        &[
            "demo",
            "--archive",
            path.to_str().unwrap(),
            "--events",
            &events,
            "--days",
            &days,
            "--seed",
            &seed,
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A batch's rows as text: cells joined by `|`, nulls as `∅`.
pub fn batch_rows(batch: &datafusion::arrow::array::RecordBatch) -> Vec<String> {
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
    let options = FormatOptions::default().with_null("∅");
    let formatters: Vec<ArrayFormatter<'_>> = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
        .collect();
    (0..batch.num_rows())
        .map(|row| {
            let cells: Vec<String> = formatters.iter().map(|f| f.value(row).to_string()).collect();
            cells.join("|")
        })
        .collect()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A query's CSV output as rows of cells (header first).
pub fn csv_rows(out: &Output) -> Vec<Vec<String>> {
    stdout(out)
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// An S3-protocol server (s3s over a folder) on loopback, for the life of the test process.
/// Buckets are the folder's sub-folders; objects are files. It records every request it answers.
pub struct S3Server {
    pub addr: SocketAddr,
    pub root: tempfile::TempDir,
    requests: std::sync::Arc<std::sync::Mutex<Vec<S3Request>>>,
}

/// What kind of request the server answered: the kinds the client counts too.
pub use trailscope::archive::requests::Kind as S3Kind;

/// One request: its kind, and `bucket/key` (for a listing, `bucket/prefix`).
#[derive(Clone, Debug)]
pub struct S3Request {
    pub kind: S3Kind,
    pub key: String,
    /// A listing's start-after key (`bucket/key`).
    pub start_after: Option<String>,
    /// A listing by folder level (with a delimiter).
    pub delimited: bool,
}

fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn classify(method: &hyper::Method, uri: &hyper::Uri) -> S3Request {
    let path = percent_decoded(uri.path().trim_start_matches('/'));
    let query: Vec<(String, String)> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decoded(k), percent_decoded(v))
        })
        .collect();
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (bucket, key) = path.split_once('/').unwrap_or((path.as_str(), ""));
    let listing = *method == hyper::Method::GET && key.is_empty();
    let kind = match *method {
        hyper::Method::HEAD => S3Kind::Head,
        hyper::Method::GET if listing => S3Kind::List,
        hyper::Method::GET => S3Kind::Get,
        hyper::Method::PUT => S3Kind::Put,
        hyper::Method::DELETE => S3Kind::Delete,
        _ => S3Kind::Post,
    };
    let key = if listing {
        format!("{bucket}/{}", param("prefix").unwrap_or_default())
    } else {
        format!("{bucket}/{key}")
    };
    S3Request {
        kind,
        key,
        start_after: param("start-after").map(|s| format!("{bucket}/{s}")),
        delimited: param("delimiter").is_some(),
    }
}

pub const S3_KEY: &str = "trailscope-test";
pub const S3_SECRET: &str = "trailscope-test-secret";

impl S3Server {
    pub fn start(buckets: &[&str]) -> S3Server {
        let root = tempfile::tempdir().unwrap();
        for b in buckets {
            std::fs::create_dir_all(root.path().join(b)).unwrap();
        }
        let dir = root.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let requests: std::sync::Arc<std::sync::Mutex<Vec<S3Request>>> = Default::default();
        let recorded = requests.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let fs = s3s_fs::FileSystem::new(dir).unwrap();
                let mut builder = s3s::service::S3ServiceBuilder::new(fs);
                builder.set_auth(s3s::auth::SimpleAuth::from_single(S3_KEY, S3_SECRET));
                let service = builder.build();
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let http = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                loop {
                    let (socket, _) = listener.accept().await.unwrap();
                    // Else a response written in two parts waits 40 ms for the client's delayed ACK.
                    let _ = socket.set_nodelay(true);
                    let (service, recorded) = (service.clone(), recorded.clone());
                    let counted = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        recorded.lock().unwrap().push(classify(req.method(), req.uri()));
                        hyper::service::Service::call(&service, req)
                    });
                    let conn = http
                        .serve_connection(hyper_util::rt::TokioIo::new(socket), counted)
                        .into_owned();
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                }
            });
        });
        let addr = rx.recv().unwrap();
        S3Server { addr, root, requests }
    }

    /// Every request answered since the start or the last [`S3Server::reset`].
    pub fn requests(&self) -> Vec<S3Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn reset(&self) {
        self.requests.lock().unwrap().clear();
    }

    /// Requests of this kind whose `bucket/key` (a listing's `bucket/prefix`) starts with `prefix`.
    pub fn count(&self, kind: S3Kind, prefix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.kind == kind && r.key.starts_with(prefix))
            .count()
    }

    /// Requests by kind, as `LIST 12, GET 0, …`.
    pub fn tally(&self) -> String {
        let all = self.requests();
        trailscope::archive::requests::KINDS
            .iter()
            .map(|k| format!("{} {}", k.name(), all.iter().filter(|r| r.kind == *k).count()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The environment a user would set to reach this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", format!("http://{}", self.addr)),
            ("AWS_ACCESS_KEY_ID", S3_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET.to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
        ]
    }

    /// The same settings for the library.
    pub fn store_options(&self) -> trailscope::archive::StoreOptions {
        trailscope::archive::StoreOptions {
            settings: vec![
                ("aws_endpoint".into(), format!("http://{}", self.addr)),
                ("aws_access_key_id".into(), S3_KEY.into()),
                ("aws_secret_access_key".into(), S3_SECRET.into()),
                ("aws_region".into(), "us-east-1".into()),
            ],
        }
    }
}
