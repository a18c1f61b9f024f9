//! An S3-protocol server over a folder, on loopback, for benchmarks (`scripts/bench-org`):
//!
//!   cargo run --example s3_server -- --root DIR --port 9000
//!
//! Buckets are DIR's sub-folders and objects their files (s3s-fs's layout), so an archive built
//! locally into DIR/BUCKET/PREFIX is served as s3://BUCKET/PREFIX without copying. Credentials:
//! key `trailscope-bench`, secret `trailscope-bench-secret`, region us-east-1.
//!
//! Listings are answered here rather than by s3s-fs: s3s-fs walks the whole bucket for every page
//! of every listing, whatever the prefix, which on an archive of a few hundred thousand files
//! costs seconds per request and would be measured as the store's cost. This walks only the
//! folders that can hold keys after the prefix and the page's start, in key order, and stops at
//! the page's end, as a real store's index answers. Everything else is s3s-fs's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use s3s::dto::{CommonPrefix, ListObjectsV2Input, ListObjectsV2Output, Object, Timestamp};
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

use trailscope::archive::requests::{KINDS, Kind};

/// Requests served, by kind, as a store bills them: `kill -USR1 PID` prints them on a line of
/// standard output (`served LIST n GET n HEAD n PUT n DELETE n POST n`), so that a harness learns
/// what a client asked for even when it stopped the client before it could say.
static SERVED: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];

fn count(kind: Kind) {
    let at = KINDS.iter().position(|k| *k == kind).expect("every kind is listed");
    SERVED[at].fetch_add(1, Ordering::Relaxed);
}

fn served() -> String {
    let counts: Vec<String> = KINDS
        .iter()
        .zip(&SERVED)
        .map(|(kind, served)| format!("{} {}", kind.name(), served.load(Ordering::Relaxed)))
        .collect();
    format!("served {}", counts.join(" "))
}

const KEY: &str = "trailscope-bench";
const SECRET: &str = "trailscope-bench-secret";

struct Folder {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
}

/// The S3 implementation: these methods are s3s-fs's; the rest follow the list. (The whole impl
/// is made by the macro: `async_trait` must see the methods it writes.)
macro_rules! folder {
    ($($name:ident: $input:ident -> $output:ident, $kind:ident),* $(,)?; $($own:tt)*) => {
        #[async_trait::async_trait]
        impl S3 for Folder {
            $(
                async fn $name(&self, req: S3Request<s3s::dto::$input>) -> S3Result<S3Response<s3s::dto::$output>> {
                    count(Kind::$kind);
                    self.fs.$name(req).await
                }
            )*
            $($own)*
        }
    };
}

folder! {
        get_object: GetObjectInput -> GetObjectOutput, Get,
        head_object: HeadObjectInput -> HeadObjectOutput, Head,
        head_bucket: HeadBucketInput -> HeadBucketOutput, Head,
        list_buckets: ListBucketsInput -> ListBucketsOutput, List,
        get_bucket_location: GetBucketLocationInput -> GetBucketLocationOutput, Get,
        put_object: PutObjectInput -> PutObjectOutput, Put,
        copy_object: CopyObjectInput -> CopyObjectOutput, Put,
        delete_object: DeleteObjectInput -> DeleteObjectOutput, Delete,
        delete_objects: DeleteObjectsInput -> DeleteObjectsOutput, Post,
        create_multipart_upload: CreateMultipartUploadInput -> CreateMultipartUploadOutput, Post,
        upload_part: UploadPartInput -> UploadPartOutput, Put,
        complete_multipart_upload: CompleteMultipartUploadInput -> CompleteMultipartUploadOutput, Post,
        abort_multipart_upload: AbortMultipartUploadInput -> AbortMultipartUploadOutput, Delete;

    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        count(Kind::List);
        let input = req.input;
        let bucket = self.root.join(&input.bucket);
        if input.bucket.contains(['/', '\\']) || input.bucket.starts_with('.') || !bucket.is_dir() {
            return Err(s3_error!(NoSuchBucket));
        }
        let prefix = input.prefix.clone().unwrap_or_default();
        if prefix.split('/').any(|part| part == "..") {
            return Err(s3_error!(InvalidArgument, "a prefix with '..'"));
        }
        let max_keys = input.max_keys.unwrap_or(1000).clamp(0, 1000) as usize;
        let after = match (input.continuation_token.as_deref(), input.start_after.as_deref()) {
            (Some(a), Some(b)) => Some(a.max(b).to_string()),
            (a, b) => a.or(b).map(str::to_string),
        };
        let one_level = match input.delimiter.as_deref() {
            None => false,
            Some("/") => true,
            Some(_) => return Err(s3_error!(NotImplemented, "only '/' as a delimiter")),
        };
        let mut page = Page {
            prefix: &prefix,
            after: after.as_deref(),
            want: max_keys + 1,
            one_level,
            entries: Vec::new(),
        };
        // Start at the deepest folder the prefix names in full.
        let dir_part = prefix.rfind('/').map_or("", |i| &prefix[..=i]);
        page.walk(&bucket.join(dir_part), dir_part)
            .map_err(|e| s3_error!(InternalError, "listing {}: {e}", input.bucket))?;
        let truncated = page.entries.len() > max_keys;
        page.entries.truncate(max_keys);
        let next = truncated.then(|| page.entries.last().map(Entry::key)).flatten();
        let (mut contents, mut prefixes) = (Vec::new(), Vec::new());
        for entry in page.entries {
            match entry {
                Entry::Object { key, size, modified } => contents.push(Object {
                    key: Some(key),
                    size: Some(size as i64),
                    last_modified: Some(Timestamp::from(modified)),
                    ..Default::default()
                }),
                Entry::Prefix(p) => prefixes.push(CommonPrefix { prefix: Some(p) }),
            }
        }
        let count = (contents.len() + prefixes.len()) as i32;
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: input.delimiter,
            max_keys: Some(max_keys as i32),
            key_count: Some(count),
            is_truncated: Some(truncated),
            continuation_token: input.continuation_token,
            next_continuation_token: next,
            start_after: input.start_after,
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            ..Default::default()
        }))
    }
}

enum Entry {
    Object {
        key: String,
        size: u64,
        modified: std::time::SystemTime,
    },
    Prefix(String),
}

impl Entry {
    fn key(&self) -> String {
        match self {
            Entry::Object { key, .. } | Entry::Prefix(key) => key.clone(),
        }
    }
}

/// One page of a listing, gathered in key order.
struct Page<'a> {
    prefix: &'a str,
    after: Option<&'a str>,
    want: usize,
    one_level: bool,
    entries: Vec<Entry>,
}

impl Page<'_> {
    /// Every key under `dir` (whose keys start with `base`) in key order: a folder's entries sorted
    /// by name, a folder's name followed by '/', give exactly that order.
    fn walk(&mut self, dir: &Path, base: &str) -> std::io::Result<()> {
        let read = match std::fs::read_dir(dir) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut children: Vec<(String, std::fs::DirEntry, bool)> = Vec::new();
        for entry in read {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let is_dir = entry.file_type()?.is_dir();
            let key = if is_dir {
                format!("{base}{name}/")
            } else {
                format!("{base}{name}")
            };
            // Keys under a folder all start with its key: skip it unless one can match the prefix
            // and come after the page's start.
            let matches = key.starts_with(self.prefix) || (is_dir && self.prefix.starts_with(&key));
            let passed = self.after.is_some_and(|a| {
                if is_dir {
                    key.as_str() < a && !a.starts_with(&key)
                } else {
                    key.as_str() <= a
                }
            });
            if matches && !passed {
                children.push((key, entry, is_dir));
            }
        }
        children.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, entry, is_dir) in children {
            if self.entries.len() >= self.want {
                break;
            }
            if is_dir {
                if self.one_level && key.starts_with(self.prefix) {
                    if self.after.is_none_or(|a| key.as_str() > a) {
                        self.entries.push(Entry::Prefix(key));
                    }
                } else {
                    self.walk(&entry.path(), &key)?;
                }
            } else {
                let meta = entry.metadata()?;
                self.entries.push(Entry::Object {
                    key,
                    size: meta.len(),
                    modified: meta.modified()?,
                });
            }
        }
        Ok(())
    }
}

fn usage() -> ! {
    eprintln!("usage: cargo run --example s3_server -- --root DIR [--port N]   (serves DIR on 127.0.0.1:N)");
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut root, mut port) = (None, 9000u16);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--root" => root = Some(PathBuf::from(args.next().unwrap_or_else(|| usage()))),
            "--port" => port = args.next().and_then(|p| p.parse().ok()).unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    let Some(root) = root else { usage() };
    let root = match root.canonicalize() {
        Ok(root) if root.is_dir() => root,
        _ => {
            eprintln!("s3_server: {} is not a folder", root.display());
            std::process::exit(2)
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let fs = match s3s_fs::FileSystem::new(&root) {
            Ok(fs) => fs,
            Err(e) => {
                eprintln!("s3_server: cannot serve {}: {e:?}", root.display());
                std::process::exit(2)
            }
        };
        let mut builder = s3s::service::S3ServiceBuilder::new(Folder { fs, root: root.clone() });
        builder.set_auth(s3s::auth::SimpleAuth::from_single(KEY, SECRET));
        let service = builder.build();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("s3_server: cannot listen on {addr}: {e}");
                std::process::exit(2)
            }
        };
        // The harness waits for this line.
        println!(
            "serving {} on http://{addr} (key {KEY}, secret {SECRET})",
            root.display()
        );
        tokio::spawn(async {
            let Ok(mut usr1) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()) else {
                return;
            };
            while usr1.recv().await.is_some() {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", served());
                let _ = out.flush();
            }
        });
        let http = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            // Without it a response written in two parts waits for the client's delayed ACK:
            // 40 ms a request on loopback, which swamped every measurement.
            let _ = socket.set_nodelay(true);
            let conn = http
                .serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone())
                .into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
}
