//! The integrity chain: every object a writer adds to or removes from `events/`, `_index/` and
//! the sealed records, with its size and SHA-256, in links that each carry the hash of the one
//! before.
//!
//! ```text
//! _chain/000000000000.json     link 0: `{"seq":0,"previous":null,…}` (one JSON line)
//! _chain/000000000001.json     link 1: `{"seq":1,"previous":"<sha256 of link 0's object>",…}`
//! ```
//! A link's object is its JSON on one line, and, when the platform team configured a signing key,
//! a second line with the Ed25519 signature of the first (see `sign`). `previous` hashes the whole
//! object, signature included, so a signed link cannot be replaced by an unsigned one.
//!
//! Change records (`_ingest/changes/`) are retired after an hour and index merges write and delete
//! objects outside any change, so neither can carry this: the chain is its own prefix, only ever
//! added to (a bucket's object lock may protect it), one link per change, written under the ingest
//! lock **before** the change commits:
//! - an ingest batch: the part files, index objects and sealed records it adds;
//! - a compaction or migration of a partition: what it adds, and the files it replaces (removed
//!   when the change commits; deleted from the store an hour later);
//! - an index merge: the merged object added, the objects it replaces removed;
//! - a rollback: recovery undid a change whose link was written but which never committed;
//! - genesis: everything an archive of an older format held when it was brought into the chain.
//!
//! A link also vouches for its change record's content (its SHA-256), so that editing a change
//! record (which decides what readers see) is found too. `verify` replays the links into the set
//! of objects the store should hold and compares.

mod sign;
pub mod verify;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use sign::{PublicKey, Signer};

use super::{ArchiveError, Location};
use crate::secrets::hex;

pub const CHAIN: &str = "_chain";

/// The prefixes whose every object the chain accounts for.
pub const COVERED: [&str; 3] = ["events/", "_index/", "_sealed/records/"];

/// Whether the chain accounts for an object (its path relative to the archive root).
pub fn covered(path: &str) -> bool {
    COVERED.iter().any(|p| path.starts_with(p))
}

/// One object as a link records it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl Entry {
    pub fn of(path: &str, bytes: &[u8]) -> Entry {
        Entry {
            path: path.to_string(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    Genesis,
    Ingest,
    Compact,
    Index,
    Rollback,
}

/// One link of the chain.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Link {
    pub seq: u64,
    /// SHA-256 of the previous link's whole object; `None` only for link 0.
    pub previous: Option<String>,
    pub kind: LinkKind,
    /// The change this link is for (an ingest batch, a compaction), if any.
    #[serde(default)]
    pub change: Option<String>,
    /// SHA-256 of change records' content, by change id: editing one is then found.
    #[serde(default)]
    pub records: BTreeMap<String, String>,
    #[serde(default)]
    pub added: Vec<Entry>,
    /// Paths that leave the archive with this link (replaced files, merged index objects).
    #[serde(default)]
    pub removed: Vec<String>,
    /// For a rollback: the link whose change never committed.
    #[serde(default)]
    pub undoes: Option<u64>,
    pub at: String,
    pub by: String,
}

/// The key of link `seq`: fixed width, so keys sort as numbers do.
pub fn link_key(seq: u64) -> String {
    format!("{CHAIN}/{seq:012}.json")
}

fn seq_of(key: &str) -> Option<u64> {
    let name = key.rsplit('/').next()?.strip_suffix(".json")?;
    (name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit())).then(|| name.parse().ok())?
}

/// A link as stored: the link, its signature line if any, and the SHA-256 of the whole object.
#[derive(Clone, Debug)]
pub struct Stored {
    pub link: Link,
    pub signature: Option<sign::Signature>,
    /// The first line, which the signature signs.
    pub body: Bytes,
    pub sha256: String,
}

/// Parses a link object; `None` with why when it is not one.
pub fn parse(bytes: Bytes) -> Result<Stored, String> {
    let sha256 = hex(&Sha256::digest(&bytes));
    let end = bytes.iter().position(|b| *b == b'\n').unwrap_or(bytes.len());
    let body = bytes.slice(..end);
    let link: Link = serde_json::from_slice(&body).map_err(|e| format!("not a link: {e}"))?;
    let rest = bytes.slice((end + 1).min(bytes.len())..);
    let rest = std::str::from_utf8(&rest).map_err(|_| "its signature line is not text".to_string())?;
    let signature = match rest.trim() {
        "" => None,
        line => Some(serde_json::from_str(line).map_err(|e| format!("its signature line is not one: {e}"))?),
    };
    Ok(Stored {
        link,
        signature,
        body,
        sha256,
    })
}

/// The keys of the chain's links, by sequence number (objects that are not links are listed
/// apart: the chain holds nothing else, so each is reported).
pub async fn list(location: &Location) -> Result<(BTreeMap<u64, object_store::ObjectMeta>, Vec<String>), ArchiveError> {
    let root = format!("{}/", location.root);
    let mut links = BTreeMap::new();
    let mut strays = Vec::new();
    for meta in location.list(CHAIN).await? {
        let path = meta.location.to_string();
        let relative = path.strip_prefix(&root).unwrap_or(&path).to_string();
        match seq_of(&relative) {
            Some(seq) => {
                links.insert(seq, meta);
            }
            None => strays.push(relative),
        }
    }
    Ok((links, strays))
}

/// Reads links, many at once, in order; each with what went wrong reading it.
pub async fn read_links(
    location: &Location,
    metas: Vec<object_store::ObjectMeta>,
) -> Vec<(object_store::ObjectMeta, Result<Stored, String>)> {
    futures::stream::iter(metas)
        .map(|meta| async move {
            let got = match location.store.get(&meta.location).await {
                Ok(got) => got.bytes().await,
                Err(e) => Err(e),
            };
            let stored = match got {
                Ok(bytes) => parse(bytes),
                Err(e) => Err(ArchiveError::store(&location.display, e).to_string()),
            };
            (meta, stored)
        })
        .buffered(16)
        .collect()
        .await
}

/// The chain replayed: the objects the store should hold, and what each change's link says.
#[derive(Default)]
pub struct Replayed {
    /// Objects that should be there, with the link that added them.
    pub expected: HashMap<String, (Entry, u64)>,
    /// Objects removed, with what they were and the link that removed them.
    pub removed: HashMap<String, (Entry, u64)>,
    /// The SHA-256 of change records, by change id, with the link that vouches for it.
    pub records: HashMap<String, (String, u64)>,
    /// Each change's own link: its number, kind, and whether a rollback undid it.
    pub changes: HashMap<String, (u64, LinkKind, bool)>,
    /// The last link that is an ingest batch's or a compaction's.
    pub last_change_link: Option<u64>,
}

/// Replays links, in order: what each adds and removes, a rollback undoing its link.
pub fn replay<'a>(links: impl IntoIterator<Item = &'a Link>) -> Replayed {
    let mut r = Replayed::default();
    let mut by_seq: HashMap<u64, &Link> = HashMap::new();
    for link in links {
        by_seq.insert(link.seq, link);
        for (id, sha) in &link.records {
            r.records.insert(id.clone(), (sha.clone(), link.seq));
        }
        if link.kind == LinkKind::Rollback {
            let Some(undone) = link.undoes.and_then(|n| by_seq.get(&n).copied()) else {
                continue;
            };
            if let Some(change) = &undone.change
                && let Some(entry) = r.changes.get_mut(change)
            {
                entry.2 = true;
            }
            for entry in &undone.added {
                if r.expected.get(&entry.path).is_some_and(|(_, seq)| *seq == undone.seq) {
                    r.expected.remove(&entry.path);
                }
            }
            for path in &undone.removed {
                if let Some((entry, _)) = r.removed.remove(path).filter(|(_, seq)| *seq == undone.seq) {
                    r.expected.insert(path.clone(), (entry, link.seq));
                }
            }
            continue;
        }
        if let Some(change) = &link.change {
            r.changes.insert(change.clone(), (link.seq, link.kind, false));
        }
        if matches!(link.kind, LinkKind::Ingest | LinkKind::Compact) {
            r.last_change_link = Some(link.seq);
        }
        // Added, then removed: genesis lists what it found and removes at once what readers no
        // longer see (files a compaction replaced, awaiting deletion).
        for entry in &link.added {
            r.removed.remove(&entry.path);
            r.expected.insert(entry.path.clone(), (entry.clone(), link.seq));
        }
        for path in &link.removed {
            if let Some((entry, _)) = r.expected.remove(path) {
                r.removed.insert(path.clone(), (entry, link.seq));
            }
        }
    }
    r
}

/// A writer's hold on the chain (under the ingest lock): where its tail is, and the key to sign
/// with. An archive of an older format has no chain until `compact` brings it in: until then
/// nothing is appended.
pub struct Chain {
    tail: Option<Tail>,
    active: bool,
    signer: Option<Arc<Signer>>,
    /// What the chain holds, once a writer needed it (kept current as links are appended).
    expected: Option<HashMap<String, Entry>>,
}

#[derive(Clone, Debug)]
struct Tail {
    seq: u64,
    sha256: String,
    kind: LinkKind,
    change: Option<String>,
    /// What an index merge's link added (to see whether it got as far as writing it).
    added: Vec<String>,
}

/// What a link appended holds, besides what the chain fills in.
#[derive(Default)]
pub struct Append {
    pub change: Option<String>,
    pub records: BTreeMap<String, String>,
    pub added: Vec<Entry>,
    pub removed: Vec<String>,
    pub undoes: Option<u64>,
}

impl Chain {
    /// Finds the chain's last link. A chain whose last link is signed needs the signing key: an
    /// unsigned link after it would fail every later `verify --public-key`.
    /// A writer that will write nothing (a dry run) passes `writes: false` and needs no key.
    pub async fn open(location: &Location, signer: Option<Arc<Signer>>, writes: bool) -> Result<Chain, ArchiveError> {
        let (links, _) = list(location).await?;
        let Some((_, meta)) = links.into_iter().next_back() else {
            return Ok(Chain {
                tail: None,
                active: false,
                signer,
                expected: None,
            });
        };
        let bytes = location
            .store
            .get(&meta.location)
            .await
            .map_err(|e| ArchiveError::store(&location.display, e))?
            .bytes()
            .await
            .map_err(|e| ArchiveError::store(&location.display, e))?;
        let stored = parse(bytes).map_err(|message| ArchiveError::Chain {
            path: meta.location.to_string(),
            message,
        })?;
        if stored.signature.is_some() && signer.is_none() && writes {
            return Err(ArchiveError::Chain {
                path: meta.location.to_string(),
                message: "the archive's integrity chain is signed, so what is written to it must be too: give the signing key (--signing-key FILE or TRAILSCOPE_SIGNING_KEY)".into(),
            });
        }
        Ok(Chain {
            tail: Some(Tail {
                seq: stored.link.seq,
                sha256: stored.sha256,
                kind: stored.link.kind,
                change: stored.link.change,
                added: stored.link.added.into_iter().map(|e| e.path).collect(),
            }),
            active: true,
            signer,
            expected: None,
        })
    }

    /// What the chain says the store holds (read and replayed once per run): a writer builds
    /// only on objects that are as the chain recorded them, so that nothing altered outside it
    /// is taken in and vouched for by a new link.
    pub async fn expected(&mut self, location: &Location) -> Result<&HashMap<String, Entry>, ArchiveError> {
        if self.expected.is_none() {
            let (keys, _) = list(location).await?;
            let mut links = Vec::with_capacity(keys.len());
            for (meta, stored) in read_links(location, keys.into_values().collect()).await {
                let stored = stored.map_err(|message| ArchiveError::Chain {
                    path: meta.location.to_string(),
                    message,
                })?;
                links.push(stored.link);
            }
            let replayed = replay(&links);
            self.expected = Some(replayed.expected.into_iter().map(|(p, (e, _))| (p, e)).collect());
        }
        Ok(self.expected.as_ref().expect("just replayed"))
    }

    /// Whether an object read for rewriting is as the chain recorded it (always, for an archive
    /// not in the chain yet).
    pub async fn vouches(&mut self, location: &Location, path: &str, bytes: &[u8]) -> Result<bool, ArchiveError> {
        if !self.active {
            return Ok(true);
        }
        let found = Entry::of(path, bytes);
        Ok(self.expected(location).await?.get(path) == Some(&found))
    }

    /// Rolls back the last link if it is an index merge that was cut short before it wrote its
    /// object (its link comes first). Only the last link: the writer that appended it was the last
    /// to hold the lock, and nothing since can have deleted the object in good faith.
    pub async fn repair_tail(&mut self, location: &Location) -> Result<bool, ArchiveError> {
        let Some(tail) = self.tail.clone().filter(|t| t.kind == LinkKind::Index) else {
            return Ok(false);
        };
        for path in &tail.added {
            match location.store.head(&location.path(path)).await {
                Ok(_) => {}
                Err(object_store::Error::NotFound { .. }) => {
                    let rollback = Append {
                        undoes: Some(tail.seq),
                        ..Append::default()
                    };
                    self.append(location, LinkKind::Rollback, rollback).await?;
                    return Ok(true);
                }
                Err(e) => return Err(ArchiveError::store(&location.display, e)),
            }
        }
        Ok(false)
    }

    /// Whether links are written (the archive is in the chain).
    pub fn active(&self) -> bool {
        self.active
    }

    /// Starts the chain of a new archive: its first change writes link 0.
    pub fn start(&mut self) {
        self.active = true;
    }

    /// Whether the last link is for `change` (and not its rollback): a change that failed
    /// after it must be rolled back in the chain too.
    pub fn last_is_for(&self, change: &str) -> Option<u64> {
        let tail = self.tail.as_ref()?;
        (tail.kind != LinkKind::Rollback && tail.change.as_deref() == Some(change)).then_some(tail.seq)
    }

    /// Appends a link (nothing when the archive is not in the chain yet).
    pub async fn append(&mut self, location: &Location, kind: LinkKind, what: Append) -> Result<(), ArchiveError> {
        if !self.active {
            return Ok(());
        }
        let seq = self.tail.as_ref().map_or(0, |t| t.seq + 1);
        let link = Link {
            seq,
            previous: self.tail.as_ref().map(|t| t.sha256.clone()),
            kind,
            change: what.change,
            records: what.records,
            added: what.added.into_iter().filter(|e| covered(&e.path)).collect(),
            removed: what.removed.into_iter().filter(|p| covered(p)).collect(),
            undoes: what.undoes,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            by: format!("trailscope {}", env!("CARGO_PKG_VERSION")),
        };
        let mut bytes = serde_json::to_vec(&link).expect("a link serialises");
        if let Some(signer) = &self.signer {
            let line = serde_json::to_vec(&signer.sign(&bytes)).expect("a signature serialises");
            bytes.push(b'\n');
            bytes.extend_from_slice(&line);
        }
        bytes.push(b'\n');
        let sha256 = hex(&Sha256::digest(&bytes));
        let key = link_key(seq);
        let create = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        let path = location.path(&key);
        let payload = PutPayload::from(bytes.clone());
        match location.store.put_opts(&path, payload.clone(), create).await {
            Ok(_) => {}
            // Writers hold the ingest lock, so the link there is either this one (a retried put
            // whose first attempt went through) or another writer's that broke the lock: stop.
            Err(object_store::Error::AlreadyExists { .. }) => {
                let err = |e| ArchiveError::store(&location.display, e);
                let found = location
                    .store
                    .get(&path)
                    .await
                    .map_err(err)?
                    .bytes()
                    .await
                    .map_err(err)?;
                if found != bytes {
                    return Err(ArchiveError::Chain {
                        path: key,
                        message: "another writer appended this link at the same time (the ingest lock was not held)"
                            .into(),
                    });
                }
            }
            Err(object_store::Error::NotImplemented { .. }) => {
                location
                    .store
                    .put(&path, payload)
                    .await
                    .map_err(|e| ArchiveError::store(&location.display, e))?;
            }
            Err(e) => return Err(ArchiveError::store(&location.display, e)),
        }
        if let Some(expected) = &mut self.expected {
            if link.kind == LinkKind::Rollback {
                self.expected = None;
            } else {
                for entry in &link.added {
                    expected.insert(entry.path.clone(), entry.clone());
                }
                for path in &link.removed {
                    expected.remove(path);
                }
            }
        }
        self.tail = Some(Tail {
            seq,
            sha256,
            kind: link.kind,
            change: link.change,
            added: link.added.into_iter().map(|e| e.path).collect(),
        });
        Ok(())
    }

    /// Brings an archive of an older format into the chain: link 0 lists every object it holds
    /// under the covered prefixes (each read once, for its hash), and vouches for the change
    /// records present.
    pub async fn genesis(&mut self, location: &Location) -> Result<GenesisSummary, ArchiveError> {
        let root = format!("{}/", location.root);
        let mut metas = Vec::new();
        for prefix in COVERED {
            metas.extend(location.list(prefix.trim_end_matches('/')).await?);
        }
        let entries: Vec<Entry> = futures::stream::iter(metas)
            .map(|meta| {
                let root = root.clone();
                async move {
                    let path = meta.location.to_string();
                    let relative = path.strip_prefix(&root).unwrap_or(&path).to_string();
                    let (size, sha256) = hash_object(location, &meta.location).await?;
                    Ok::<_, ArchiveError>(Entry {
                        path: relative,
                        size,
                        sha256,
                    })
                }
            })
            .buffered(4)
            .try_collect()
            .await?;
        let records = change_record_hashes(location).await?;
        let summary = GenesisSummary {
            objects: entries.len() as u64,
            bytes: entries.iter().map(|e| e.size).sum(),
        };
        // What readers do not see (files a compaction replaced, awaiting deletion) is listed and
        // removed at once: its deletion later is then no surprise.
        let prefixes: Vec<String> = location
            .folders(super::layout::EVENTS)
            .await?
            .into_iter()
            .map(|day| format!("{}/{day}", super::layout::EVENTS))
            .collect();
        let visible: std::collections::HashSet<String> = super::changes::visible_files(location, &prefixes)
            .await?
            .into_iter()
            .map(|m| {
                let path = m.location.to_string();
                path.strip_prefix(&root).unwrap_or(&path).to_string()
            })
            .collect();
        let removed = entries
            .iter()
            .filter(|e| e.path.starts_with("events/") && e.path.ends_with(".parquet") && !visible.contains(&e.path))
            .map(|e| e.path.clone())
            .collect();
        self.active = true;
        let what = Append {
            records,
            added: entries,
            removed,
            ..Append::default()
        };
        self.append(location, LinkKind::Genesis, what).await?;
        Ok(summary)
    }
}

/// What genesis took in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GenesisSummary {
    pub objects: u64,
    pub bytes: u64,
}

/// The SHA-256 of every change record in the archive, by change id.
async fn change_record_hashes(location: &Location) -> Result<BTreeMap<String, String>, ArchiveError> {
    let mut records = BTreeMap::new();
    for (id, keys) in super::changes::list_keys(location).await? {
        if let Some(key) = keys.first() {
            let (_, sha) = hash_object(location, &key.path).await?;
            records.insert(id, sha);
        }
    }
    Ok(records)
}

/// An object's size and SHA-256, read as a stream (a file of gigabytes is not held whole). A
/// local file is read directly in large blocks: the store's own stream reads 8 KiB at a time.
pub async fn hash_object(location: &Location, path: &object_store::path::Path) -> Result<(u64, String), ArchiveError> {
    let err = |e| ArchiveError::store(&location.display, e);
    let got = location.store.get(path).await.map_err(err)?;
    let length = got.range.end - got.range.start;
    match got.payload {
        object_store::GetResultPayload::File(file, _) => {
            let display = location.display.clone();
            tokio::task::spawn_blocking(move || {
                use std::io::Read;
                let mut hasher = Sha256::new();
                let mut buffer = vec![0u8; 1 << 20];
                let mut reader = file.take(length);
                let mut size = 0u64;
                loop {
                    let n = reader.read(&mut buffer).map_err(|e| ArchiveError::Store {
                        url: display.clone(),
                        message: e.to_string(),
                    })?;
                    if n == 0 {
                        break;
                    }
                    size += n as u64;
                    hasher.update(&buffer[..n]);
                }
                Ok((size, hex(&hasher.finalize())))
            })
            .await
            .expect("hashing a file does not panic")
        }
        object_store::GetResultPayload::Stream(mut stream) => {
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(err)?;
                size += chunk.len() as u64;
                hasher.update(&chunk);
            }
            Ok((size, hex(&hasher.finalize())))
        }
    }
}
