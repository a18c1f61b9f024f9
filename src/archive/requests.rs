//! The requests this process makes to object stores, counted by kind as they go on the wire.
//!
//! Every cost of an archive in object storage is a request (each adds 10–50 ms and is billed), so
//! the counts are what `--verbose` and the workbench report and what the benchmarks compare. They
//! are counted where object_store hands a request to its HTTP client, not per `ObjectStore` call:
//! one listing call is as many LIST requests as it has pages, one `get_ranges` as many GETs as
//! ranges survive coalescing, and the retries of a failed request count too.
//!
//! For measuring, `TRAILSCOPE_STORE_LATENCY_MS` adds that many milliseconds before every request,
//! as a store across a network would: the benchmarks run a server on loopback, where a request
//! costs well under a millisecond.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use object_store::ClientOptions;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpRequest, HttpResponse, HttpService, ReqwestConnector,
};

/// The kinds of request, as a store's price list names them (also what the test and benchmark
/// servers count).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    List,
    Get,
    Head,
    Put,
    Delete,
    /// Multipart uploads' starts and completions, batch deletes, credential tokens.
    Post,
}

pub const KINDS: [Kind; 6] = [Kind::List, Kind::Get, Kind::Head, Kind::Put, Kind::Delete, Kind::Post];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::List => "LIST",
            Kind::Get => "GET",
            Kind::Head => "HEAD",
            Kind::Put => "PUT",
            Kind::Delete => "DELETE",
            Kind::Post => "POST",
        }
    }

    /// What kind a request is: a listing is a GET whose query asks for one (S3's `list-type`,
    /// Azure's `comp=list`, GCS's JSON API on a bucket's objects).
    pub fn of(method: &str, path: &str, query: &str) -> Kind {
        match method {
            "HEAD" => Kind::Head,
            "PUT" => Kind::Put,
            "DELETE" => Kind::Delete,
            "GET" => {
                let listing = query
                    .split('&')
                    .any(|p| p.starts_with("list-type=") || p == "comp=list")
                    || (path.starts_with("/storage/v1/b/") && path.ends_with("/o"));
                if listing { Kind::List } else { Kind::Get }
            }
            _ => Kind::Post,
        }
    }
}

/// Requests made so far, by kind, and the bytes the GETs brought back (as their responses declare).
#[derive(Debug, Default)]
pub struct Counts {
    by_kind: [AtomicU64; 6],
    bytes_read: AtomicU64,
}

/// A copy of the counts at one moment: subtract two to get what happened between.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub by_kind: [u64; 6],
    pub bytes_read: u64,
}

static COUNTS: Counts = Counts {
    by_kind: [const { AtomicU64::new(0) }; 6],
    bytes_read: AtomicU64::new(0),
};

/// The process's counts so far.
pub fn snapshot() -> Snapshot {
    Snapshot {
        by_kind: std::array::from_fn(|i| COUNTS.by_kind[i].load(Ordering::Relaxed)),
        bytes_read: COUNTS.bytes_read.load(Ordering::Relaxed),
    }
}

impl Snapshot {
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            by_kind: std::array::from_fn(|i| self.by_kind[i].saturating_sub(earlier.by_kind[i])),
            bytes_read: self.bytes_read.saturating_sub(earlier.bytes_read),
        }
    }

    pub fn total(&self) -> u64 {
        self.by_kind.iter().sum()
    }

    pub fn get(&self, kind: Kind) -> u64 {
        self.by_kind[KINDS.iter().position(|k| *k == kind).expect("every kind is listed")]
    }
}

impl fmt::Display for Snapshot {
    /// `612 requests (LIST 12, GET 580, HEAD 20), 48.1 MB read`; `no requests`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total();
        if total == 0 {
            return write!(f, "no requests to the object store");
        }
        let kinds: Vec<String> = KINDS
            .iter()
            .filter(|k| self.get(**k) > 0)
            .map(|k| format!("{} {}", k.name(), self.get(*k)))
            .collect();
        write!(
            f,
            "{total} request{} to the object store ({}), {:.1} MB read",
            if total == 1 { "" } else { "s" },
            kinds.join(", "),
            self.bytes_read as f64 / 1e6
        )
    }
}

/// The HTTP connector every remote store is built with: object_store's own, counted, and
/// delayed by `TRAILSCOPE_STORE_LATENCY_MS` when that is set.
#[derive(Debug, Default)]
pub struct Counted;

impl HttpConnector for Counted {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(Service {
            inner,
            latency: latency(),
        }))
    }
}

/// The added latency: none unless the environment asks for it.
fn latency() -> Option<Duration> {
    let ms: u64 = std::env::var("TRAILSCOPE_STORE_LATENCY_MS").ok()?.trim().parse().ok()?;
    (ms > 0).then(|| Duration::from_millis(ms))
}

#[derive(Debug)]
struct Service {
    inner: HttpClient,
    latency: Option<Duration>,
}

#[async_trait]
impl HttpService for Service {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let kind = Kind::of(
            req.method().as_str(),
            req.uri().path(),
            req.uri().query().unwrap_or_default(),
        );
        COUNTS.by_kind[KINDS.iter().position(|k| *k == kind).expect("every kind is listed")]
            .fetch_add(1, Ordering::Relaxed);
        if let Some(latency) = self.latency {
            tokio::time::sleep(latency).await;
        }
        let response = self.inner.execute(req).await?;
        if kind == Kind::Get {
            let length = response
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            COUNTS.bytes_read.fetch_add(length.unwrap_or(0), Ordering::Relaxed);
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_store_s_listing_is_told_from_a_read() {
        assert_eq!(Kind::of("GET", "/bucket", "list-type=2&prefix=events%2F"), Kind::List);
        assert_eq!(Kind::of("GET", "/container", "restype=container&comp=list"), Kind::List);
        assert_eq!(Kind::of("GET", "/storage/v1/b/bucket/o", "prefix=x"), Kind::List);
        assert_eq!(Kind::of("GET", "/bucket/events/a.parquet", ""), Kind::Get);
        assert_eq!(
            Kind::of("GET", "/storage/v1/b/bucket/o/a.parquet", "alt=media"),
            Kind::Get
        );
        assert_eq!(Kind::of("HEAD", "/bucket/a", ""), Kind::Head);
        assert_eq!(Kind::of("POST", "/bucket/a", "uploads"), Kind::Post);
    }

    #[test]
    fn counts_between_two_moments_are_told_by_kind() {
        let mut before = Snapshot::default();
        before.by_kind[1] = 5;
        let mut after = before;
        after.by_kind[0] = 2;
        after.by_kind[1] = 45;
        after.bytes_read = 2_500_000;
        let between = after.since(&before);
        assert_eq!(between.get(Kind::Get), 40);
        assert_eq!(
            between.to_string(),
            "42 requests to the object store (LIST 2, GET 40), 2.5 MB read"
        );
        assert_eq!(Snapshot::default().to_string(), "no requests to the object store");
    }
}
