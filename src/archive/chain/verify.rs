//! `verify`: the chain walked, replayed into the objects the store should hold, and the store
//! compared with it — every object under the covered prefixes present, of its size and (unless
//! quick) of its SHA-256, none there that no link accounts for, and every change record as its
//! link recorded it.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::StreamExt;
use object_store::{ObjectMeta, ObjectStoreExt};
use sha2::{Digest, Sha256};

use super::{COVERED, Entry, LinkKind, PublicKey, Stored, list, read_links};
use crate::archive::changes::{self, ChangeKind, ChangeState};
use crate::archive::{ArchiveError, Location};
use crate::secrets::hex;

/// What `verify` is asked to do.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Sizes and the chain only, no object read.
    pub quick: bool,
    /// Only objects of the days from `.0` to `.1` (`YYYY-MM-DD`, both included); the chain is
    /// always walked whole.
    pub days: Option<(String, String)>,
    /// Every link must be signed by one of these (none: signatures are not checked).
    pub public_keys: Vec<PublicKey>,
}

/// One thing found wrong, named by the object it concerns.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Problem {
    pub object: String,
    pub what: String,
}

/// What `verify` found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    /// Links walked, and the last one's number and SHA-256 (worth keeping outside the archive:
    /// a chain cut back to an earlier link is found by comparing).
    pub links: u64,
    pub head: Option<(u64, String)>,
    /// Objects compared and their bytes.
    pub objects: u64,
    pub bytes: u64,
    /// Bytes read and hashed again (0 when quick).
    pub bytes_hashed: u64,
    /// Files a compaction replaced, hidden from readers and deleted an hour after it.
    pub awaiting_deletion: u64,
    /// Objects of a change that has not committed (being written, or to be undone).
    pub uncommitted: u64,
    /// Index objects an index merge replaced but had not deleted yet when it was cut short (the
    /// next merge of their day deletes them; each is checked to be as it was written).
    pub index_leftovers: u64,
    /// Links whose signature was checked (when keys were given).
    pub signatures_checked: Option<u64>,
    /// The archive was never brought into a chain (an older format).
    pub unchained: bool,
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What verify reports as it goes.
pub trait VerifyProgress: Send + Sync {
    fn hashing(&self, _objects: u64, _bytes: u64) {}
    fn hashed(&self, _bytes: u64) {}
}

impl VerifyProgress for crate::archive::Quiet {}

/// The day an object belongs to (its `date=` folder), if any.
fn day_of(path: &str) -> Option<&str> {
    path.split('/').find_map(|s| s.strip_prefix("date="))
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(16)]
}

/// Where an object sits in the replayed chain.
#[derive(Clone)]
struct Placed {
    entry: Entry,
    seq: u64,
}

/// Verifies the archive at `location`.
pub async fn verify(
    location: &Location,
    options: &VerifyOptions,
    progress: &dyn VerifyProgress,
) -> Result<Report, ArchiveError> {
    let mut report = Report::default();
    let mut problems: Vec<Problem> = Vec::new();
    macro_rules! problem {
        ($object:expr, $what:expr $(,)?) => {
            problems.push(Problem {
                object: ($object).to_string(),
                what: $what,
            })
        };
    }
    let in_days = |path: &str| match (&options.days, day_of(path)) {
        (Some((from, to)), Some(day)) => day >= from.as_str() && day <= to.as_str(),
        _ => true,
    };

    // 1. The chain itself: every link present, each chained to the one before, signed if asked.
    let (keys, strays) = list(location).await?;
    for stray in strays {
        problem!(&stray, "not a link of the chain: nothing else belongs under _chain/".into());
    }
    let mut store_objects: Vec<ObjectMeta> = Vec::new();
    for prefix in COVERED {
        store_objects.extend(location.list(prefix.trim_end_matches('/')).await?);
    }
    if keys.is_empty() {
        if !store_objects.is_empty() {
            report.unchained = true;
            problem!(
                super::CHAIN,
                "the archive has no integrity chain (it was written before format 3): run `trailscope compact` once to bring it in, then verify".into(),
            );
        }
        report.problems = problems;
        return Ok(report);
    }
    let last = *keys.keys().next_back().expect("not empty");
    let read = read_links(location, keys.into_values().collect()).await;
    let mut links: BTreeMap<u64, Stored> = BTreeMap::new();
    for (meta, stored) in read {
        let name = relative(location, &meta);
        match stored {
            Ok(stored) if Some(stored.link.seq) == super::seq_of(&name) => {
                links.insert(stored.link.seq, stored);
            }
            Ok(stored) => problem!(&name, format!("altered: it says it is link {}", stored.link.seq)),
            Err(why) => problem!(&name, format!("altered: {why}")),
        }
    }
    let mut signed = 0u64;
    for seq in 0..=last {
        let name = super::link_key(seq);
        let Some(stored) = links.get(&seq) else {
            if !problems.iter().any(|p| p.object == name) {
                problem!(&name, "missing: the chain has links after it, so it was deleted".into());
            }
            continue;
        };
        let expected_previous = match seq {
            0 => None,
            _ => links.get(&(seq - 1)).map(|p| Some(p.sha256.clone())),
        };
        match (&stored.link.previous, expected_previous) {
            (None, None) if seq == 0 => {}
            (found, Some(expected)) if *found != expected => problem!(
                &name,
                format!(
                    "broken link: it names {} as the link before, but link {} has SHA-256 {}",
                    found.as_deref().map_or("none".to_string(), |f| short(f).to_string()),
                    seq - 1,
                    expected.as_deref().map(short).unwrap_or("?")
                ),
            ),
            (Some(_), None) if seq == 0 => problem!(&name, "altered: the first link names a link before it".into()),
            _ => {}
        }
        if !options.public_keys.is_empty() {
            match &stored.signature {
                None => problem!(&name, "not signed, though a public key was given".into()),
                Some(sig) if options.public_keys.iter().any(|k| k.verifies(&stored.body, sig)) => signed += 1,
                Some(_) => problem!(&name, "its signature does not verify with the public key given".into()),
            }
        }
    }
    if !options.public_keys.is_empty() {
        report.signatures_checked = Some(signed);
    }
    report.links = links.len() as u64;
    report.head = links.get(&last).map(|s| (last, s.sha256.clone()));
    // A chain cut back (its last links deleted with the objects they added) holds together; the
    // last verification's count of links tells.
    if let Some(previous) = crate::archive::verified::last(location).await?
        && previous.links > last + 1
    {
        problem!(
            &super::link_key(last + 1),
            format!(
                "missing: the verification of {} walked {} links, the chain now has {}: its end was cut off",
                previous.at,
                previous.links,
                last + 1
            ),
        );
    }

    // 2. The chain replayed: the objects the store should hold.
    let mut expected: HashMap<String, Placed> = HashMap::new();
    let mut removed: HashMap<String, Placed> = HashMap::new();
    let mut records: HashMap<String, (String, u64)> = HashMap::new();
    let mut change_of: HashMap<u64, String> = HashMap::new();
    for (seq, stored) in &links {
        let link = &stored.link;
        if let Some(change) = &link.change {
            change_of.insert(*seq, format!("{} {change}", kind_name(link.kind)));
        }
        for (id, sha) in &link.records {
            records.insert(id.clone(), (sha.clone(), *seq));
        }
        if link.kind == LinkKind::Rollback {
            let Some(undone) = link.undoes.and_then(|n| links.get(&n)) else {
                continue;
            };
            for entry in &undone.link.added {
                if expected.get(&entry.path).is_some_and(|p| p.seq == undone.link.seq) {
                    expected.remove(&entry.path);
                }
            }
            for path in &undone.link.removed {
                if let Some(back) = removed.remove(path).filter(|p| p.seq == undone.link.seq) {
                    // Back as it was before the undone link.
                    let before = links
                        .range(..undone.link.seq)
                        .rev()
                        .find(|(_, s)| s.link.added.iter().any(|e| e.path == *path))
                        .map_or(back.seq, |(n, _)| *n);
                    expected.insert(path.clone(), Placed { entry: back.entry, seq: before });
                }
            }
            continue;
        }
        for path in &link.removed {
            if let Some(mut was) = expected.remove(path) {
                was.seq = *seq;
                removed.insert(path.clone(), was);
            }
        }
        for entry in &link.added {
            removed.remove(&entry.path);
            expected.insert(
                entry.path.clone(),
                Placed {
                    entry: entry.clone(),
                    seq: *seq,
                },
            );
        }
    }
    let by = |seq: u64| match change_of.get(&seq) {
        Some(change) => format!("link {seq} ({change})"),
        None => format!("link {seq}"),
    };

    // 3. Change records: as their links recorded them; none hides what the chain holds.
    let mut awaiting: HashSet<String> = HashSet::new();
    let mut uncommitted: HashSet<String> = HashSet::new();
    for (id, found) in changes::list_keys(location).await? {
        let state = changes::state_of(&found).expect("a listed change has a key");
        for key in &found {
            let name = relative_path(location, &key.path);
            let bytes = match location.store.get(&key.path).await {
                Ok(got) => got.bytes().await.map_err(|e| ArchiveError::store(&location.display, e))?,
                // Retired since it was listed.
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(ArchiveError::store(&location.display, e)),
            };
            let sha = hex(&Sha256::digest(&bytes));
            let linked = records.get(&id);
            match linked {
                Some((recorded, seq)) if *recorded != sha => problem!(
                    &name,
                    format!(
                        "altered: {} recorded its SHA-256 as {}, it is now {}",
                        by(*seq),
                        short(recorded),
                        short(&sha)
                    ),
                ),
                Some(_) => {}
                None if key.state == ChangeState::Committed => problem!(
                    &name,
                    "unaccounted for: a committed change that no link of the chain vouches for".into(),
                ),
                None => {}
            }
            let Ok(change) = serde_json::from_slice::<changes::Change>(&bytes) else {
                if linked.is_none() {
                    problem!(&name, "damaged: not a change record".into());
                }
                continue;
            };
            match state {
                ChangeState::Committed if key.kind == ChangeKind::Compact && linked.is_some_and(|(r, _)| *r == sha) => {
                    awaiting.extend(change.replaces)
                }
                // Linked but not committed yet (or cut short before it was): readers still see
                // the files it replaces, which the next run either commits away or keeps.
                ChangeState::Pending if linked.is_some_and(|(r, _)| *r == sha) => awaiting.extend(change.replaces),
                ChangeState::Pending | ChangeState::Aborted => {
                    for path in &change.adds {
                        let own = linked.is_some_and(|(_, seq)| expected.get(path).is_some_and(|p| p.seq == *seq));
                        match expected.get(path) {
                            Some(placed) if !own => problem!(
                                &name,
                                format!(
                                    "hides {path} from readers, which {} added: a change record naming what is not its own",
                                    by(placed.seq)
                                ),
                            ),
                            _ => {
                                uncommitted.insert(path.clone());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    // 4. The store against the chain.
    let mut present: HashMap<String, ObjectMeta> = HashMap::new();
    for meta in store_objects {
        let name = relative(location, &meta);
        if in_days(&name) {
            present.insert(name, meta);
        }
    }
    let mut to_hash: Vec<(ObjectMeta, Placed)> = Vec::new();
    let mut wanted: Vec<&String> = expected.keys().filter(|p| in_days(p)).collect();
    wanted.sort();
    for path in wanted {
        let placed = &expected[path];
        match present.remove(path) {
            None => problem!(
                path,
                format!(
                    "missing: {} added it ({} bytes, SHA-256 {})",
                    by(placed.seq),
                    placed.entry.size,
                    short(&placed.entry.sha256)
                ),
            ),
            Some(meta) if meta.size != placed.entry.size => problem!(
                path,
                format!(
                    "altered: it has {} bytes, {} recorded {}",
                    meta.size,
                    by(placed.seq),
                    placed.entry.size
                ),
            ),
            Some(meta) => {
                report.objects += 1;
                report.bytes += meta.size;
                to_hash.push((meta, placed.clone()));
            }
        }
    }
    let mut extra: Vec<(String, ObjectMeta)> = present.into_iter().collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, meta) in extra {
        if let Some(gone) = removed.get(&path).filter(|_| awaiting.contains(&path)) {
            // Still read by queries planned before the compaction committed: as it was written.
            report.awaiting_deletion += 1;
            to_hash.push((meta, gone.clone()));
        } else if uncommitted.contains(&path) {
            report.uncommitted += 1;
        } else if let Some(gone) = removed.get(&path).filter(|g| path.starts_with("_index/") && g.entry.size == meta.size) {
            report.index_leftovers += 1;
            to_hash.push((meta, gone.clone()));
        } else if let Some(gone) = removed.get(&path) {
            problem!(
                &path,
                format!(
                    "unaccounted for: {} removed it, and no change record still hides it from readers",
                    by(gone.seq)
                ),
            );
        } else {
            problem!(
                &path,
                format!("unaccounted for: no link of the chain adds it ({} bytes)", meta.size),
            );
        }
    }

    // 5. Every byte, unless quick.
    if !options.quick {
        progress.hashing(to_hash.len() as u64, to_hash.iter().map(|(m, _)| m.size).sum());
        let mut hashed = futures::stream::iter(to_hash)
            .map(|(meta, placed)| async move {
                let found = super::hash_object(location, &meta.location).await;
                (placed, found)
            })
            .buffer_unordered(4);
        let mut altered = Vec::new();
        while let Some((placed, found)) = hashed.next().await {
            let (size, sha) = found?;
            progress.hashed(size);
            report.bytes_hashed += size;
            if sha != placed.entry.sha256 {
                altered.push(Problem {
                    object: placed.entry.path.clone(),
                    what: format!(
                        "altered: its SHA-256 is {}, {} recorded {}",
                        short(&sha),
                        by(placed.seq),
                        short(&placed.entry.sha256)
                    ),
                });
            }
        }
        problems.extend(altered);
    }
    problems.sort();
    report.problems = problems;
    Ok(report)
}

fn kind_name(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Genesis => "genesis",
        LinkKind::Ingest => "ingest",
        LinkKind::Compact => "compaction",
        LinkKind::Index => "index merge",
        LinkKind::Rollback => "rollback of",
    }
}

fn relative(location: &Location, meta: &ObjectMeta) -> String {
    relative_path(location, &meta.location)
}

fn relative_path(location: &Location, path: &object_store::path::Path) -> String {
    let root = format!("{}/", location.root);
    let path = path.to_string();
    path.strip_prefix(&root).unwrap_or(&path).to_string()
}
