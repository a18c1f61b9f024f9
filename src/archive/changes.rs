//! Which Parquet files a reader may see: the archive's record of file-set changes.
//!
//! Every change to the files under `events/` — an ingest batch that adds files, a compaction that
//! replaces a partition's files with new ones — is announced under `_ingest/changes/` before its
//! first file is written, and made visible by one put:
//!
//! ```text
//! _ingest/changes/<id>.<kind>.pending.json     written first: names the files it adds (and replaces)
//! _ingest/changes/<id>.<kind>.committed.json   the commit: one put; the pending key is then removed
//! _ingest/changes/<id>.<kind>.aborted.json     a rolled-back change (its added files are deleted)
//! ```
//! A reader hides the files added by a change that is pending or aborted, and the files replaced
//! by a committed compaction; everything else it lists is visible. So an ingest batch appears
//! whole or not at all, and a compaction shows either the old files or the new ones, never both
//! and never neither.
//!
//! Each key is written once and never changed, so the state of the archive is the set of keys.
//! A reader lists the keys, lists the files, and lists the keys again; if the two key sets are
//! equal no change moved while the files were listed, and the listing is a snapshot. This holds
//! because a change only moves forward (pending → committed or aborted → retired), a pending key
//! is removed only once its committed or aborted key exists, and those stay at least [`RETAIN`]
//! after they were written — far longer than any listing takes — so any move during the listing
//! leaves a key in the second set that the first did not have (or takes one away). And files
//! only change at the moments the keys say:
//! - files are added only while a change's pending key exists (before its committed key);
//! - replaced files are deleted only after the committed key exists;
//! - a rolled-back change's added files are deleted after its aborted key is written.
//!
//! A committed or aborted key is retired (deleted) by the next ingest or compaction once it is
//! older than [`RETAIN`] — for a compaction, after the files it replaced are deleted, which also
//! waits [`RETAIN`] after the commit so that a query planned before the commit can finish reading
//! them. Only ingest and compaction (under the ingest lock) write here; readers only list and read.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use super::layout::CHANGES;
use super::{ArchiveError, Location};

/// How long a committed or aborted change record, and the files a compaction replaced, are kept.
/// A reader's listing must take less than this for its snapshot to be exact (seconds, even for a
/// year of an archive on S3), and a query planned before a compaction committed reads the old
/// files for at most this long (an export of millions of rows takes minutes).
pub const RETAIN: Duration = Duration::from_secs(60 * 60);

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Ingest,
    Compact,
}

impl ChangeKind {
    fn name(self) -> &'static str {
        match self {
            ChangeKind::Ingest => "ingest",
            ChangeKind::Compact => "compact",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeState {
    Pending,
    Committed,
    Aborted,
}

impl ChangeState {
    fn name(self) -> &'static str {
        match self {
            ChangeState::Pending => "pending",
            ChangeState::Committed => "committed",
            ChangeState::Aborted => "aborted",
        }
    }
}

/// One change to the archive's files.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Change {
    pub id: String,
    pub kind: ChangeKind,
    /// SHA-256 of each source an ingest batch takes in (its ledger records commit it).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Files the change writes, relative to the archive root.
    pub adds: Vec<String>,
    /// Files a compaction replaces, relative to the archive root.
    #[serde(default)]
    pub replaces: Vec<String>,
}

impl Change {
    /// The key of this change in `state`, relative to the archive root.
    pub fn key(&self, state: ChangeState) -> String {
        format!("{CHANGES}/{}.{}.{}.json", self.id, self.kind.name(), state.name())
    }
}

/// A change key found in a listing: `<id>.<kind>.<state>.json`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangeKey {
    pub id: String,
    pub kind: ChangeKind,
    pub state: ChangeState,
    pub path: Path,
    /// When the key was written (its age decides when it may be retired).
    pub written: chrono::DateTime<chrono::Utc>,
}

fn parse_key(meta: &ObjectMeta) -> Option<ChangeKey> {
    let name = meta.location.filename()?.strip_suffix(".json")?;
    let mut parts = name.split('.');
    let (id, kind, state) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let kind = match kind {
        "ingest" => ChangeKind::Ingest,
        "compact" => ChangeKind::Compact,
        _ => return None,
    };
    let state = match state {
        "pending" => ChangeState::Pending,
        "committed" => ChangeState::Committed,
        "aborted" => ChangeState::Aborted,
        _ => return None,
    };
    Some(ChangeKey {
        id: id.to_string(),
        kind,
        state,
        path: meta.location.clone(),
        written: meta.last_modified,
    })
}

/// Every change key in the archive, by change id (a change may have two keys for a moment).
pub async fn list_keys(location: &Location) -> Result<BTreeMap<String, Vec<ChangeKey>>, ArchiveError> {
    let listed: Vec<ObjectMeta> = location.list(CHANGES).await?;
    let mut keys: BTreeMap<String, Vec<ChangeKey>> = BTreeMap::new();
    for key in listed.iter().filter_map(parse_key) {
        keys.entry(key.id.clone()).or_default().push(key);
    }
    for found in keys.values_mut() {
        found.sort_by_key(|k| k.state);
    }
    Ok(keys)
}

/// The state a change is in: the furthest of its keys (committed or aborted beats pending).
pub fn state_of(keys: &[ChangeKey]) -> Option<ChangeState> {
    keys.iter().map(|k| k.state).max()
}

pub async fn read(location: &Location, path: &Path) -> Result<Change, ArchiveError> {
    let bytes = location
        .store
        .get(path)
        .await
        .map_err(|e| ArchiveError::store(&location.display, e))?
        .bytes()
        .await
        .map_err(|e| ArchiveError::store(&location.display, e))?;
    serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Ledger {
        path: path.to_string(),
        message: e.to_string(),
    })
}

/// A change record's content, the same in every state (so its link's hash holds for each).
pub fn record_bytes(change: &Change) -> Vec<u8> {
    serde_json::to_vec_pretty(change).expect("a change serialises")
}

/// The SHA-256 of a change record's content, by its id: what its link vouches for.
pub fn record_hash(change: &Change) -> BTreeMap<String, String> {
    use sha2::Digest;
    let sha = crate::secrets::hex(&sha2::Sha256::digest(record_bytes(change)));
    BTreeMap::from([(change.id.clone(), sha)])
}

pub async fn write(location: &Location, change: &Change, state: ChangeState) -> Result<(), ArchiveError> {
    let bytes = record_bytes(change);
    location
        .store
        .put(&location.path(&change.key(state)), PutPayload::from(bytes))
        .await
        .map_err(|e| ArchiveError::store(&location.display, e))?;
    Ok(())
}

/// Deletes an object; one already gone is fine (a retried step).
pub async fn delete(location: &Location, path: &Path) -> Result<(), ArchiveError> {
    match location.store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(ArchiveError::store(&location.display, e)),
    }
}

/// Files a reader must not see, as store paths.
async fn hidden(
    location: &Location,
    keys: &BTreeMap<String, Vec<ChangeKey>>,
) -> Result<Result<HashSet<Path>, ()>, ArchiveError> {
    let mut hidden = HashSet::new();
    for found in keys.values() {
        let state = state_of(found).expect("a listed change has a key");
        let (key, take_adds) = match state {
            ChangeState::Pending | ChangeState::Aborted => (found.iter().find(|k| k.state == state), true),
            // A committed ingest hides nothing: its record is not even read.
            ChangeState::Committed if found[0].kind == ChangeKind::Ingest => continue,
            ChangeState::Committed => (found.iter().find(|k| k.state == state), false),
        };
        let key = key.expect("the state comes from a key");
        let change = match read(location, &key.path).await {
            Ok(change) => change,
            // Retired between the listing and the read: the listing is stale, start again.
            Err(ArchiveError::Store { .. }) if location.store.head(&key.path).await.is_err() => return Ok(Err(())),
            Err(e) => return Err(e),
        };
        let files = if take_adds { change.adds } else { change.replaces };
        hidden.extend(files.iter().map(|f| location.path(f)));
    }
    Ok(Ok(hidden))
}

fn key_set(keys: &BTreeMap<String, Vec<ChangeKey>>) -> Vec<Path> {
    keys.values().flatten().map(|k| k.path.clone()).collect()
}

/// The committed Parquet files under each of `prefixes` (folders relative to the archive root),
/// as one consistent snapshot: a change that commits while the files are listed is either wholly
/// in the result or wholly out of it.
pub async fn visible_files(location: &Location, prefixes: &[String]) -> Result<Vec<ObjectMeta>, ArchiveError> {
    const ATTEMPTS: u32 = 20;
    for attempt in 0..ATTEMPTS {
        let before = list_keys(location).await?;
        let Ok(hidden) = hidden(location, &before).await? else {
            continue;
        };
        let lists: Vec<_> = prefixes.iter().map(|p| location.list(p)).collect();
        let listed: Vec<Vec<ObjectMeta>> = futures::stream::iter(lists).buffered(8).try_collect().await?;
        let after = list_keys(location).await?;
        if key_set(&before) == key_set(&after) {
            return Ok(listed
                .into_iter()
                .flatten()
                .filter(|m| m.size > 0 && m.location.as_ref().ends_with(".parquet"))
                .filter(|m| !hidden.contains(&m.location))
                .collect());
        }
        // A writer is committing right now: it takes a few puts, so wait a little.
        tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt + 1))).await;
    }
    Err(ArchiveError::Store {
        url: location.display.clone(),
        message: format!("its files kept changing while they were listed ({ATTEMPTS} attempts); try again"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_the_change_its_kind_and_its_state() {
        let change = Change {
            id: "01J".into(),
            kind: ChangeKind::Compact,
            sources: vec![],
            adds: vec![],
            replaces: vec![],
        };
        let key = change.key(ChangeState::Committed);
        assert_eq!(key, "_ingest/changes/01J.compact.committed.json");
        let meta = ObjectMeta {
            location: Path::from(format!("root/{key}")),
            last_modified: chrono::Utc::now(),
            size: 1,
            e_tag: None,
            version: None,
        };
        let parsed = parse_key(&meta).unwrap();
        assert_eq!(
            (parsed.kind, parsed.state),
            (ChangeKind::Compact, ChangeState::Committed)
        );
    }
}
