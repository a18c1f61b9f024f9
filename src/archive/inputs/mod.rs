//! The source files an ingest reads: local files and folders (walked recursively) and
//! object-store prefixes (listed incrementally against the archive: see [`collect`]).

mod collect;
pub(crate) mod dates;

pub use collect::{CollectProgress, Since, collect};

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};

use super::ArchiveError;
use super::location::{Location, StoreOptions};

/// One source file to read.
#[derive(Clone, Debug)]
pub struct Input {
    /// The file's full name (absolute path or URL), recorded in every event it yields.
    pub name: String,
    pub size: u64,
    origin: Origin,
    /// For an object the archive tracks by location: its earlier markers and where to write its
    /// next one (see `seen`).
    pub(crate) place: Option<Place>,
}

/// How the archive knows a remote object by where it is.
#[derive(Clone, Debug)]
pub(crate) struct Place {
    pub(crate) mirror: crate::archive::seen::Mirror,
    /// Markers of earlier sizes or ETags of the same key, the largest size last.
    pub(crate) earlier: Vec<(u64, Path)>,
    /// The object as listed: its marker says the archive read it as it was then.
    pub(crate) listed: ObjectMeta,
    /// The source, date folder and day the object is filed under, if it is in a date layout:
    /// an object not read holds that folder's remembered day back to its day.
    pub(crate) dated: Option<(String, String, chrono::NaiveDate)>,
}

/// An object's bytes as fetched, with what the store said of them.
pub struct Fetched {
    pub bytes: Bytes,
    /// The signature CloudTrail puts in a digest's user metadata (`signature`,
    /// `signature-algorithm`); a local file has none.
    pub signature: Option<(String, Option<String>)>,
    /// The object's size, ETag and version as fetched (a local file: none).
    pub meta: Option<ObjectMeta>,
}

#[derive(Clone, Debug)]
enum Origin {
    /// A local file; `walked`: found in a folder (then a link in its place is not followed).
    Local { path: PathBuf, walked: bool },
    Remote {
        store: Arc<dyn ObjectStore>,
        path: Path,
        display: String,
    },
}

impl Input {
    /// The file's bytes, exactly as stored.
    pub async fn read(&self) -> Result<Bytes, ArchiveError> {
        match &self.origin {
            Origin::Local { path, walked } => {
                let (path, walked) = (path.clone(), *walked);
                tokio::task::spawn_blocking(move || read_local(&path, walked))
                    .await
                    .expect("reading a file does not panic")
            }
            Origin::Remote { store, path, display } => {
                let got = store.get(path).await.map_err(|e| ArchiveError::store(display, e))?;
                got.bytes().await.map_err(|e| ArchiveError::store(display, e))
            }
        }
    }

    /// The file's bytes with what the store says of them.
    pub async fn fetch(&self) -> Result<Fetched, ArchiveError> {
        let Origin::Remote { store, path, display } = &self.origin else {
            return Ok(Fetched {
                bytes: self.read().await?,
                signature: None,
                meta: None,
            });
        };
        // The object as listed, or nothing: one replaced between the listing and this GET
        // must not get a marker of the listed ETag over other content (the next run reads it).
        // An append blob grows between the two, and its parts are checked by their hashes.
        let listed = self
            .place
            .as_ref()
            .map(|p| &p.listed)
            .filter(|_| self.file_name() != "PT1H.json");
        let options = object_store::GetOptions {
            if_match: listed.and_then(|l| l.e_tag.clone()),
            ..Default::default()
        };
        let got = store
            .get_opts(path, options)
            .await
            .map_err(|e| ArchiveError::store(display, e))?;
        // Checked here too: not every S3-compatible server honours If-Match, and some list no
        // ETags (then the size and the time of the last write, to the second, tell).
        if let Some(listed) = listed {
            let bare = |e: &str| e.strip_prefix("W/").unwrap_or(e).trim_matches('"').to_string();
            let now = &got.meta;
            let changed = match (&listed.e_tag, &now.e_tag) {
                (Some(a), Some(b)) => bare(a) != bare(b),
                _ => listed.size != now.size || listed.last_modified.timestamp() != now.last_modified.timestamp(),
            };
            if changed {
                return Err(ArchiveError::Store {
                    url: display.clone(),
                    message: format!("{path} changed between its listing and its GET: read again by the next run"),
                });
            }
        }
        let attribute = |key: &str| {
            got.attributes
                .get(&object_store::Attribute::Metadata(key.to_string().into()))
                .map(|v| v.to_string())
        };
        let signature = attribute("signature").map(|s| (s, attribute("signature-algorithm")));
        let meta = got.meta.clone();
        let bytes = got.bytes().await.map_err(|e| ArchiveError::store(display, e))?;
        Ok(Fetched {
            bytes,
            signature,
            meta: Some(meta),
        })
    }

    /// The last segment of the name.
    pub fn file_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

/// A source's name as it is recorded (in every event's `source_object`, the ledger, the
/// summary): a file downloaded from a presigned URL may carry its query string, token and all.
pub(crate) fn shown_name(name: &str) -> String {
    crate::secrets::mask_text(name).into_owned()
}

/// A local file's bytes. A file found in a folder is opened without following a link: one put
/// in its place after the folder was walked (to `~/.aws/credentials`, say) is not read.
fn read_local(path: &std::path::Path, walked: bool) -> Result<Bytes, ArchiveError> {
    use std::io::Read;
    let err = |source| ArchiveError::ReadSource {
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    if walked {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options.open(path).map_err(err)?;
    if !file.metadata().map_err(err)?.is_file() {
        return Err(err(std::io::Error::other("not a regular file")));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(err)?;
    Ok(Bytes::from(bytes))
}

/// Files to read, and the ones passed over while walking folders, with why.
#[derive(Debug, Default)]
pub struct Inputs {
    pub files: Vec<Input>,
    pub passed_over: Vec<(String, String)>,
    /// What listing the object-store sources found (see [`collect`]).
    pub listing: Listing,
}

/// What listing object-store sources against the archive found.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub objects: usize,
    pub bytes: u64,
    /// Objects passed over: the archive read them as they are now (same size, ETag, version).
    pub unchanged: usize,
    pub unchanged_bytes: u64,
    /// The earliest day date folders were listed from, and in how many folders, and why.
    pub listed_from: Option<(String, usize, String)>,
    /// The last day listed per date folder, to remember once the run succeeds.
    pub collected: Vec<crate::archive::seen::Collected>,
}

/// Why a file found in a folder is not read, if it is not.
pub(crate) fn pass_over(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let base = lower.strip_suffix(".gz").unwrap_or(&lower);
    if name.starts_with('.') {
        Some("hidden file")
    } else if name == "ConfigWritabilityCheckFile" {
        Some("AWS Config's write check, not a log")
    } else if [".json", ".jsonl", ".ndjson", ".log"]
        .iter()
        .any(|ext| base.ends_with(ext))
    {
        None
    } else {
        Some("not a log file by its name (.json, .jsonl, .ndjson, .log, optionally .gz)")
    }
}

/// Every object under `prefix` whose key can be read. A key the store client cannot represent
/// (an empty segment, `..`: anyone who may write the delivery bucket can plant one) fails the
/// whole page of a listing, so a failing listing is narrowed folder by folder: only the objects
/// directly in the folder that holds such a key are lost, and that folder is named.
pub(crate) async fn list_readable(
    location: &Location,
    prefix: &Path,
    base: &str,
    inputs: &mut Inputs,
) -> Result<Vec<ObjectMeta>, ArchiveError> {
    let unreadable = |e: &object_store::Error| matches!(e, object_store::Error::InvalidPath { .. });
    let mut listing = location.store.list(Some(prefix));
    let mut found = Vec::new();
    let mut failed = false;
    while let Some(item) = listing.next().await {
        match item {
            Ok(meta) => found.push(meta),
            Err(e) if unreadable(&e) => {
                failed = true;
                break;
            }
            Err(e) => return Err(ArchiveError::store(&location.display, e)),
        }
    }
    if !failed {
        return Ok(found);
    }
    drop(listing);
    let mut found = Vec::new();
    match location.store.list_with_delimiter(Some(prefix)).await {
        Ok(level) => {
            found.extend(level.objects);
            for folder in level.common_prefixes {
                found.extend(Box::pin(list_readable(location, &folder, base, inputs)).await?);
            }
        }
        Err(e) if unreadable(&e) => inputs.passed_over.push((
            format!("{base}/{prefix}/"),
            format!(
                "the objects in this folder cannot be listed: a key in it cannot be read ({})",
                crate::secrets::mask_text(&e.to_string())
            ),
        )),
        Err(e) => return Err(ArchiveError::store(&location.display, e)),
    }
    Ok(found)
}

/// Resolves each source argument into files. A file named explicitly is always read (but for
/// AWS Config's write check); files found in folders are read when their names look like logs.
pub async fn resolve(sources: &[String], options: &StoreOptions) -> Result<Inputs, ArchiveError> {
    let mut inputs = Inputs::default();
    for source in sources {
        if source.contains("://") && !source.starts_with("file://") {
            resolve_remote(source, options, &mut inputs).await?;
        } else {
            resolve_local(source, &mut inputs)?;
        }
    }
    Ok(inputs)
}

pub(crate) fn resolve_local(source: &str, inputs: &mut Inputs) -> Result<(), ArchiveError> {
    let path = PathBuf::from(source.strip_prefix("file://").unwrap_or(source));
    let meta = std::fs::metadata(&path).map_err(|_| ArchiveError::MissingSource(source.to_string()))?;
    let read_err = |p: &std::path::Path, source: std::io::Error| ArchiveError::ReadSource {
        path: p.to_path_buf(),
        source,
    };
    if meta.is_file() {
        let abs = path.canonicalize().map_err(|e| read_err(&path, e))?;
        if let Some(why) = (abs.file_name().and_then(|n| n.to_str()) == Some("ConfigWritabilityCheckFile"))
            .then_some("AWS Config's write check, not a log")
        {
            inputs.passed_over.push((abs.display().to_string(), why.to_string()));
            return Ok(());
        }
        inputs.files.push(Input {
            name: shown_name(&abs.display().to_string()),
            size: meta.len(),
            origin: Origin::Local {
                path: abs,
                walked: false,
            },
            place: None,
        });
        return Ok(());
    }
    // Links are not followed: a link in a log folder to `/etc/passwd` or a home folder would
    // otherwise be read, kept in the quarantine and (for a remote archive) uploaded.
    let walker = walkdir::WalkDir::new(&path).follow_links(false).sort_by_file_name();
    for entry in walker {
        let entry = entry.map_err(|e| {
            let at = e.path().map(|p| p.to_path_buf()).unwrap_or_else(|| path.clone());
            read_err(&at, e.into())
        })?;
        if entry.path_is_symlink() {
            inputs.passed_over.push((
                entry.path().display().to_string(),
                "a symbolic link (not followed out of the folder being ingested)".to_string(),
            ));
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let abs = entry.path().canonicalize().map_err(|e| read_err(entry.path(), e))?;
        let name = entry.file_name().to_string_lossy();
        match pass_over(&name) {
            Some(why) => inputs.passed_over.push((abs.display().to_string(), why.to_string())),
            None => {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                inputs.files.push(Input {
                    name: shown_name(&abs.display().to_string()),
                    size,
                    origin: Origin::Local {
                        path: abs,
                        walked: true,
                    },
                    place: None,
                });
            }
        }
    }
    Ok(())
}

async fn resolve_remote(source: &str, options: &StoreOptions, inputs: &mut Inputs) -> Result<(), ArchiveError> {
    let location = Location::open(source, options)?;
    resolve_location(&location, inputs).await
}

/// The objects under an opened location (a prefix of a bucket), or the one object it names.
pub async fn resolve_location(location: &Location, inputs: &mut Inputs) -> Result<(), ArchiveError> {
    let source = location.display.as_str();
    let base = location.store_url.as_str().trim_end_matches('/').to_string();
    let remote = |path: Path, size: u64| Input {
        name: shown_name(&format!("{base}/{path}")),
        size,
        origin: Origin::Remote {
            store: location.store.clone(),
            path,
            display: location.display.clone(),
        },
        place: None,
    };
    // A URL naming one object reads that object.
    if !location.root.as_ref().is_empty()
        && let Ok(meta) = location.store.head(&location.root).await
    {
        inputs.files.push(remote(meta.location, meta.size));
        return Ok(());
    }
    let mut listed = list_readable(location, &location.root, &base, inputs).await?;
    listed.sort_by(|a, b| a.location.cmp(&b.location));
    if listed.is_empty() {
        return Err(ArchiveError::MissingSource(source.to_string()));
    }
    for meta in listed {
        let name = meta.location.filename().unwrap_or_default().to_string();
        match pass_over(&name) {
            Some(why) => inputs
                .passed_over
                .push((format!("{base}/{}", meta.location), why.to_string())),
            None => inputs.files.push(remote(meta.location, meta.size)),
        }
    }
    Ok(())
}
