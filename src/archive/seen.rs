//! The location ledger: which source objects the archive has read, known by where they are (store,
//! key, size, ETag, version) next to the content ledger that knows them by what they hold.
//!
//! ```text
//! _ingest/seen/<hash of the date folder>/<YYYY/MM/DD/…/file name>.<size>-<stamp>
//! _ingest/collected/<sha256 of the source URL, 32 hex>.json   the last day listed per date folder
//! ```
//! A source key's *date folder* is the store and the folders before its first year folder
//! (`s3://trail/AWSLogs/o-1/1111/CloudTrail/us-east-1`), or for a key without dates its folder;
//! it is hashed (16 hex digits) to keep marker keys short whatever the archive's prefix, and the
//! rest of the key (the date folders and the file name) is kept as it is, so that the markers of
//! a date folder sort by day like its objects. `stamp` is 16 hex digits of the SHA-256 of the
//! object's size, ETag and version: the *name* says
//! whether the object is unchanged, so no marker is ever read to skip one. The body (a [`Mark`]) is
//! read only for an Azure append blob that grew, to continue where the last run stopped.
//!
//! Why markers that mirror the source's folders, rather than one index object per source prefix:
//! - A re-run costs what listing the source costs, and no more: every listing of a source folder
//!   (a folder level, or a date folder from the `--since` day on, with the same start-after
//!   offset) is repeated once on its mirror, one LIST per 1,000 keys. Nothing lists more of the
//!   mirror than the part of the source being listed, so millions of markers over years of an
//!   organisation trail cost nothing to a run that lists the last three days.
//! - Each marker is written once and never rewritten: two runs cannot lose each other's updates,
//!   and there is no growing manifest to read and rewrite whole every 15 minutes.
//! - A marker is written only once its content is in the content ledger (already there, or its
//!   batch's ledger records written: such a batch is committed by this run or by recovery). A run
//!   killed before writing its markers loses nothing: the next run reads those objects again,
//!   finds their content in the ledger and writes the markers then. A marker is a cache of the
//!   content ledger's answer, never the only record of one.
//!
//! Not covered by the integrity chain, like the rest of `_ingest/` (`verify` ignores it): deleting
//! markers costs a re-read, never an event, since the content ledger still answers.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ArchiveError, Location};
use crate::secrets::hex;

pub const SEEN: &str = "_ingest/seen";
pub const COLLECTED: &str = "_ingest/collected";

/// What the archive read of one source object, kept in its marker.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Mark {
    pub source: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The content ledger key its content went to (`_ingest/<sha256>.json`).
    pub sha256: String,
    /// Bytes taken: the whole object, or for an append blob the end of its last complete line.
    pub read_to: u64,
    /// SHA-256 of bytes `[0, read_to)`: a grown append blob is continued only if they are unchanged.
    pub read_sha256: String,
}

/// An object's size, ETag and version as listed, in 16 hex digits. The ETag is taken without
/// its quotes and weak mark (stores quote it in one answer and not in another); a listing
/// without ETags (some S3-compatible servers) gives the last-modified time instead, which
/// changes whenever the object is written.
pub fn stamp(meta: &ObjectMeta) -> String {
    let token = match meta.e_tag.as_deref() {
        Some(e_tag) => e_tag.strip_prefix("W/").unwrap_or(e_tag).trim_matches('"').to_string(),
        None => format!("modified {}", meta.last_modified.to_rfc3339()),
    };
    let mut h = Sha256::new();
    h.update(format!(
        "{}\n{token}\n{}",
        meta.size,
        meta.version.as_deref().unwrap_or("")
    ));
    hex(&h.finalize())[..16].to_string()
}

/// Where one source store's markers live in the archive.
#[derive(Clone, Debug)]
pub struct Mirror {
    /// `<archive root>/_ingest/seen`.
    root: Path,
    /// The source store's URL (`s3://bucket`), and its namespace if it has one.
    store: String,
    /// See [`Location::namespace`].
    namespace: String,
}

impl Mirror {
    /// The mirror of the source store `source` (its store URL, `s3://bucket`, and its
    /// namespace: two Azure accounts' `insights-activity-logs` are two stores), in `archive`.
    pub fn new(archive: &Location, source: &Location) -> Self {
        Mirror {
            root: archive.path(SEEN),
            store: named(source.store_url.as_str().trim_end_matches('/'), source.namespace()),
            namespace: source.namespace().to_string(),
        }
    }

    /// A source's name as the archive's own records of it know it (part keys, remembered
    /// days): with its store's namespace.
    pub fn name(&self, shown: &str) -> String {
        named(shown, &self.namespace)
    }

    /// A source folder's or key's parts as mirrored: the hash of its date folder (the folders
    /// before its first year, or for a key without dates its folder) and the parts after it.
    /// The parts are a listed key's, already encoded: they are kept as they are (encoding them
    /// again would turn `%` into `%25` at each level, and a key would never match its marker).
    /// A part too long for a file name, or a key too long for a store, is named by its hash.
    fn mirrored(&self, parts: &[&str], is_key: bool) -> String {
        let folders = if is_key {
            parts.len().saturating_sub(1)
        } else {
            parts.len()
        };
        let split = parts[..folders]
            .iter()
            .position(|p| crate::archive::inputs::dates::year_style(p).is_some())
            .unwrap_or(folders);
        let id = hex(&Sha256::digest(format!("{}/{}", self.store, parts[..split].join("/"))));
        let mut path = format!("{}/{}", self.root, &id[..16]);
        if self.root.as_ref().is_empty() {
            path = id[..16].to_string();
        }
        let rest: Vec<String> = parts[split..].iter().map(|p| short(p, MAX_PART)).collect();
        let whole = rest.iter().map(String::len).sum::<usize>() + rest.len() + path.len();
        // The date parts (year, month, day) stay readable so that markers sort by day.
        let keep = if whole > MAX_KEY { rest.len().min(3) } else { rest.len() };
        for part in &rest[..keep] {
            path.push('/');
            path.push_str(part);
        }
        if keep < rest.len() {
            path.push('/');
            path.push_str(&short(&rest[keep..].join("/"), 0));
        }
        path
    }

    /// The mirror of a source folder: its markers are listed with the same prefix (and
    /// start-after offset) as its objects.
    pub fn of(&self, folder: &Path) -> Path {
        let parts: Vec<_> = folder.parts().collect();
        let parts: Vec<&str> = parts.iter().map(|p| p.as_ref()).collect();
        encoded(self.mirrored(&parts, false))
    }

    /// What every marker of a source key starts with.
    fn base(&self, key: &Path) -> String {
        let parts: Vec<_> = key.parts().collect();
        let parts: Vec<&str> = parts.iter().map(|p| p.as_ref()).collect();
        self.mirrored(&parts, true)
    }

    /// The marker of a source object as listed.
    pub fn marker(&self, meta: &ObjectMeta) -> Path {
        encoded(format!("{}.{}-{}", self.base(&meta.location), meta.size, stamp(meta)))
    }

    /// The base (see [`Mirror::base`]), size and stamp of a marker.
    fn parse(&self, marker: &Path) -> Option<(String, u64, String)> {
        let (base, fields) = marker.as_ref().rsplit_once('.')?;
        let (size, stamp) = fields.split_once('-')?;
        Some((base.to_string(), size.parse().ok()?, stamp.to_string()))
    }
}

/// The longest part of a marker's key kept as it is: with the size and stamp after a file name,
/// under the 255 bytes a file system takes.
const MAX_PART: usize = 200;
/// The longest marker key kept readable (S3 and GCS take 1,024 bytes, Azure more).
const MAX_KEY: usize = 900;

/// `part`, or if it is longer than `max` bytes (or `max` is 0) `h-` and 32 hex digits of its
/// SHA-256.
fn short(part: &str, max: usize) -> String {
    if max > 0 && part.len() <= max {
        part.to_string()
    } else {
        format!("h-{}", &hex(&Sha256::digest(part.as_bytes()))[..32])
    }
}

/// `name`, and the namespace after it if there is one.
pub fn named(name: &str, namespace: &str) -> String {
    if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({namespace})")
    }
}

/// A key made of parts already encoded, as a path (never encoded again).
fn encoded(key: String) -> Path {
    Path::parse(&key).unwrap_or_else(|_| Path::from(key.as_str()))
}

/// The markers found by one listing, by the source key they stand for.
#[derive(Debug, Default)]
pub struct Markers(HashMap<String, Vec<(u64, String, Path)>>);

impl Markers {
    pub fn add(&mut self, mirror: &Mirror, metas: impl IntoIterator<Item = ObjectMeta>) {
        for meta in metas {
            if let Some((key, size, stamp)) = mirror.parse(&meta.location) {
                self.0.entry(key).or_default().push((size, stamp, meta.location));
            }
        }
    }

    pub fn merge(&mut self, other: Markers) {
        for (key, found) in other.0 {
            self.0.entry(key).or_default().extend(found);
        }
    }

    pub fn len(&self) -> usize {
        self.0.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the object was read as it is now.
    pub fn unchanged(&self, mirror: &Mirror, meta: &ObjectMeta) -> bool {
        let stamp = stamp(meta);
        self.0
            .get(&mirror.base(&meta.location))
            .is_some_and(|found| found.iter().any(|(size, s, _)| *size == meta.size && *s == stamp))
    }

    /// The object's markers of earlier sizes or ETags, the largest size (the latest, for an append
    /// blob) last.
    pub fn earlier(&self, mirror: &Mirror, key: &Path) -> Vec<(u64, Path)> {
        let mut found: Vec<(u64, Path)> = self
            .0
            .get(&mirror.base(key))
            .map(|v| v.iter().map(|(size, _, p)| (*size, p.clone())).collect())
            .unwrap_or_default();
        found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        found
    }
}

/// Writes a marker (after its content is in the content ledger), then removes the object's
/// earlier markers: a failure to remove one only leaves it to be passed over.
pub async fn write(archive: &Location, path: &Path, mark: &Mark, earlier: &[(u64, Path)]) -> Result<(), ArchiveError> {
    let bytes = serde_json::to_vec(mark).expect("a mark serialises");
    archive
        .store
        .put(path, PutPayload::from(bytes))
        .await
        .map_err(|e| ArchiveError::store(&archive.display, e))?;
    for (_, old) in earlier.iter().filter(|(_, p)| p != path) {
        let _ = archive.store.delete(old).await;
    }
    Ok(())
}

/// Reads a marker's body; `None` if it is gone or unreadable (the object is then read whole).
pub async fn read(archive: &Location, path: &Path) -> Option<Mark> {
    let got = archive.store.get(path).await.ok()?;
    serde_json::from_slice(&got.bytes().await.ok()?).ok()
}

/// The last day listed in each date folder of a source, remembered from run to run so that the
/// next run lists from that day (minus the margin) on.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Collected {
    pub source: String,
    /// Date folder (its key in the source store) → the last day found in it (YYYY-MM-DD).
    pub folders: BTreeMap<String, String>,
}

impl Collected {
    fn path(archive: &Location, source: &str) -> Path {
        let id = hex(&Sha256::digest(source.as_bytes()));
        archive.path(&format!("{COLLECTED}/{}.json", &id[..32]))
    }

    /// What the archive remembers of `source`: nothing if it was never collected.
    pub async fn read(archive: &Location, source: &str) -> Result<Collected, ArchiveError> {
        let path = Self::path(archive, source);
        match archive.store.get(&path).await {
            Ok(got) => {
                let bytes = got
                    .bytes()
                    .await
                    .map_err(|e| ArchiveError::store(&archive.display, e))?;
                // A damaged record only widens the listing: everything is listed once more.
                Ok(serde_json::from_slice(&bytes).unwrap_or_else(|_| Collected::empty(source)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(Collected::empty(source)),
            Err(e) => Err(ArchiveError::store(&archive.display, e)),
        }
    }

    fn empty(source: &str) -> Collected {
        Collected {
            source: source.to_string(),
            folders: BTreeMap::new(),
        }
    }

    /// The day remembered for a folder; none for a day after tomorrow (UTC), which only a
    /// planted key could have put there (the folder is then listed whole once more).
    pub fn day(&self, folder: &str) -> Option<NaiveDate> {
        let latest = chrono::Utc::now().date_naive().checked_add_days(chrono::Days::new(1))?;
        self.folders
            .get(folder)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .filter(|d| *d <= latest)
    }

    /// Notes a day found in a folder; a later day only.
    pub fn saw(&mut self, folder: &str, day: NaiveDate) {
        if self.day(folder).is_none_or(|d| d < day) {
            self.folders
                .insert(folder.to_string(), day.format("%Y-%m-%d").to_string());
        }
    }

    /// Keeps a folder's remembered day no later than `day`: something filed under it was not
    /// read, and the next run lists from it (minus the margin) again.
    pub fn hold(&mut self, folder: &str, day: NaiveDate) {
        if self.day(folder).is_some_and(|d| d > day) {
            self.folders
                .insert(folder.to_string(), day.format("%Y-%m-%d").to_string());
        }
    }

    pub async fn write(&self, archive: &Location) -> Result<(), ArchiveError> {
        let bytes = serde_json::to_vec_pretty(self).expect("a collected record serialises");
        archive
            .store
            .put(&Self::path(archive, &self.source), PutPayload::from(bytes))
            .await
            .map_err(|e| ArchiveError::store(&archive.display, e))?;
        Ok(())
    }
}

/// Lists markers under `folder`'s mirror: recursively from `offset`'s mirror on, or (no
/// `recursive`) the markers directly in it.
pub async fn list(
    archive: &Location,
    mirror: &Mirror,
    folder: &Path,
    offset: Option<&Path>,
    recursive: bool,
) -> Result<Markers, ArchiveError> {
    let err = |e| ArchiveError::store(&archive.display, e);
    let prefix = mirror.of(folder);
    let mut markers = Markers::default();
    if !recursive {
        let level = match archive.store.list_with_delimiter(Some(&prefix)).await {
            Ok(level) => level,
            Err(object_store::Error::NotFound { .. }) => return Ok(markers),
            Err(e) => return Err(err(e)),
        };
        markers.add(mirror, level.objects);
        return Ok(markers);
    }
    let mut listing = match offset {
        Some(offset) => archive.store.list_with_offset(Some(&prefix), &mirror.of(offset)),
        None => archive.store.list(Some(&prefix)),
    };
    let mut found = Vec::new();
    while let Some(item) = listing.next().await {
        match item {
            Ok(meta) => found.push(meta),
            Err(object_store::Error::NotFound { .. }) => break,
            Err(e) => return Err(err(e)),
        }
    }
    markers.add(mirror, found);
    Ok(markers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_names_its_source_key_size_and_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Location::create(dir.path().to_str().unwrap(), &Default::default()).unwrap();
        let mut source = archive.clone();
        source.store_url = url::Url::parse("s3://raw-logs").unwrap();
        let mirror = Mirror::new(&archive, &source);
        let folder = Path::from("AWSLogs/1111/CloudTrail/us-east-1");
        let key = Path::from("AWSLogs/1111/CloudTrail/us-east-1/2026/01/05/a-b.json.gz");
        let at = chrono::Utc::now();
        let meta = |key: &Path, size, e_tag: &str| ObjectMeta {
            location: key.clone(),
            last_modified: at,
            size,
            e_tag: Some(e_tag.to_string()),
            version: None,
        };
        let marker = mirror.marker(&meta(&key, 42, "\"abc\""));
        assert!(marker.as_ref().contains("/2026/01/05/a-b.json.gz.42-"), "{marker}");
        let mut markers = Markers::default();
        markers.add(&mirror, [meta(&marker, 10, "x")]);
        assert!(markers.unchanged(&mirror, &meta(&key, 42, "\"abc\"")));
        assert!(
            markers.unchanged(&mirror, &meta(&key, 42, "abc")),
            "quotes or not, the same ETag"
        );
        assert!(!markers.unchanged(&mirror, &meta(&key, 43, "\"abc\"")));
        assert!(!markers.unchanged(&mirror, &meta(&key, 42, "\"abd\"")));
        assert_eq!(markers.earlier(&mirror, &key).len(), 1);
        // A date folder's markers are under its mirror, after the same day's offset.
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let offset = crate::archive::inputs::dates::offset(&folder, crate::archive::inputs::dates::Style::Plain, day);
        assert!(marker.as_ref().starts_with(mirror.of(&folder).as_ref()));
        assert!(marker.as_ref() > mirror.of(&offset).as_ref());
        let day_before = Path::from("AWSLogs/1111/CloudTrail/us-east-1/2026/01/04/a-b.json.gz");
        assert!(mirror.marker(&meta(&day_before, 1, "x")).as_ref() < mirror.of(&offset).as_ref());
    }

    #[test]
    fn a_name_too_long_for_a_file_or_a_key_is_hashed_and_still_matches() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Location::create(dir.path().to_str().unwrap(), &Default::default()).unwrap();
        let mut source = archive.clone();
        source.store_url = url::Url::parse("s3://raw-logs").unwrap();
        let mirror = Mirror::new(&archive, &source);
        let meta = |key: &str| ObjectMeta {
            location: Path::parse(key).unwrap(),
            last_modified: chrono::Utc::now(),
            size: 7,
            e_tag: Some("e".into()),
            version: None,
        };
        let long_name = format!("t/2026/01/05/{}.json", "a".repeat(300));
        let deep = format!("t/2026/01/05/{}/x.json", vec!["b".repeat(190); 6].join("/"));
        let percent = "t/2026/01/05/%25%41.json".to_string();
        for key in [long_name, deep, percent] {
            let object = meta(&key);
            let marker = mirror.marker(&object);
            let tail = marker.as_ref().strip_prefix(archive.root.as_ref()).unwrap();
            assert!(tail.len() < 700, "{marker}");
            assert!(marker.parts().all(|p| p.as_ref().len() <= 255), "{marker}");
            assert!(marker.as_ref().contains("/2026/01/05/"), "{marker}");
            let mut markers = Markers::default();
            markers.add(&mirror, [meta(marker.as_ref())]);
            assert!(markers.unchanged(&mirror, &object), "{key}");
        }
    }
}
