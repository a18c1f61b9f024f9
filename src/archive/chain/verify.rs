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
    /// Sealed records the chain lists that could not be checked: the store refused this reader
    /// the sealed tier (as its owners may intend for auditors).
    pub sealed_unchecked: u64,
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

/// The first 16 characters of a hash (of whatever a hostile link holds there).
fn short(sha: &str) -> &str {
    match sha.char_indices().nth(16) {
        Some((at, _)) => &sha[..at],
        None => sha,
    }
}

/// Where an object sits in the replayed chain.
#[derive(Clone)]
struct Placed {
    entry: Entry,
    seq: u64,
}

/// What was listed at one moment: the links, the change records and the covered objects.
struct Listing {
    links: BTreeMap<u64, ObjectMeta>,
    strays: Vec<String>,
    changes: BTreeMap<String, Vec<changes::ChangeKey>>,
    objects: Vec<ObjectMeta>,
    /// The store refused to list the sealed tier.
    sealed_denied: bool,
}

/// Whether an error is the store refusing this reader (a bucket policy), not a failure.
fn denied(e: &ArchiveError) -> bool {
    matches!(e, ArchiveError::Store { message, .. } if message.starts_with("access was denied"))
}

/// Lists links, change records and objects so that no writer moved in between: the links and
/// change records are listed again after the objects, and all is listed again if they changed
/// (a writer adds objects before its link, and its link before its commit).
async fn listing(location: &Location) -> Result<Listing, ArchiveError> {
    const ATTEMPTS: u32 = 10;
    for attempt in 0..ATTEMPTS {
        let (links, strays) = list(location).await?;
        let changes_before = changes::list_keys(location).await?;
        let mut objects: Vec<ObjectMeta> = Vec::new();
        let mut sealed_denied = false;
        for prefix in COVERED {
            match location.list(prefix.trim_end_matches('/')).await {
                Ok(found) => objects.extend(found),
                Err(e) if prefix.starts_with("_sealed/") && denied(&e) => sealed_denied = true,
                Err(e) => return Err(e),
            }
        }
        let changes_after = changes::list_keys(location).await?;
        let (links_after, _) = list(location).await?;
        let keys = |c: &BTreeMap<String, Vec<changes::ChangeKey>>| -> Vec<String> {
            c.values().flatten().map(|k| k.path.to_string()).collect()
        };
        if links.keys().eq(links_after.keys()) && keys(&changes_before) == keys(&changes_after) {
            return Ok(Listing {
                links,
                strays,
                changes: changes_after,
                objects,
                sealed_denied,
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt + 1))).await;
    }
    Err(ArchiveError::Store {
        url: location.display.clone(),
        message: format!(
            "a writer kept changing it while it was listed ({ATTEMPTS} attempts); verify again when it is done"
        ),
    })
}

/// Verifies the archive at `location`.
pub async fn verify(
    location: &Location,
    options: &VerifyOptions,
    progress: &dyn VerifyProgress,
) -> Result<Report, ArchiveError> {
    // An object a writer deleted while it was being read (a merge, replaced files going): start
    // again from a new listing.
    for _ in 0..3 {
        match verify_once(location, options, progress).await? {
            Some(report) => return Ok(report),
            None => continue,
        }
    }
    Err(ArchiveError::Store {
        url: location.display.clone(),
        message: "objects kept disappearing while they were read (a writer is at work); verify again when it is done"
            .into(),
    })
}

/// One verification; `None` when an object vanished while it was read and the chain has moved
/// since (a writer's doing, not a finding).
async fn verify_once(
    location: &Location,
    options: &VerifyOptions,
    progress: &dyn VerifyProgress,
) -> Result<Option<Report>, ArchiveError> {
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
    let Listing {
        links: keys,
        strays,
        changes: change_keys,
        objects: store_objects,
        sealed_denied,
    } = listing(location).await?;
    for stray in strays {
        problem!(
            &stray,
            "not a link of the chain: nothing else belongs under _chain/".into()
        );
    }
    let walked_before = crate::archive::verified::last(location).await?;
    let count = keys.keys().next_back().map_or(0, |last| last + 1);
    // A chain cut back (its last links deleted with the objects they added) holds together; the
    // last verification's count of links tells.
    if let Some(previous) = &walked_before
        && previous.links > count
    {
        problem!(
            &super::link_key(count),
            format!(
                "missing: the verification of {} walked {} links, the chain now has {}: its end was cut off",
                previous.at, previous.links, count
            ),
        );
    }
    if keys.is_empty() {
        if !store_objects.is_empty() {
            report.unchained = true;
            let why = match crate::archive::format::read(location).await? {
                Some(v) if v >= crate::archive::format::CHAINED => format!(
                    "missing: the archive is in format {v}, whose writers keep an integrity chain, and _chain/ holds no link: it was deleted"
                ),
                _ => "the archive has no integrity chain (it was written before format 3): run `trailscope compact` once to bring it in, then verify".into(),
            };
            problem!(super::CHAIN, why);
        }
        report.problems = problems;
        return Ok(Some(report));
    }
    let last = count - 1;
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
    // Links missing: named once per run of missing numbers (a planted link numbered in the
    // billions is one finding, not a billion).
    let mut expected_seq = 0u64;
    let named: HashSet<String> = problems.iter().map(|p| p.object.clone()).collect();
    for seq in links.keys().copied().chain(std::iter::once(last + 1)) {
        if seq > expected_seq && !named.contains(&super::link_key(expected_seq)) {
            let what = if seq - expected_seq == 1 {
                "missing: the chain has links after it, so it was deleted".to_string()
            } else {
                format!(
                    "missing, with the {} links after it up to link {}: the chain has links after them",
                    seq - expected_seq - 1,
                    seq - 1
                )
            };
            problem!(&super::link_key(expected_seq), what);
        }
        expected_seq = seq + 1;
    }
    let mut signed = 0u64;
    for (seq, stored) in &links {
        let name = super::link_key(*seq);
        let expected_previous = match seq {
            0 => None,
            _ => links.get(&(seq - 1)).map(|p| Some(p.sha256.clone())),
        };
        match (&stored.link.previous, expected_previous) {
            (None, None) if *seq == 0 => {}
            (found, Some(expected)) if *found != expected => problem!(
                &name,
                format!(
                    "broken link: it names {} as the link before, but link {} has SHA-256 {}",
                    found.as_deref().map_or("none".to_string(), |f| short(f).to_string()),
                    seq - 1,
                    expected.as_deref().map(short).unwrap_or("?")
                ),
            ),
            (Some(_), None) if *seq == 0 => problem!(&name, "altered: the first link names a link before it".into()),
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

    // 2. The chain replayed: the objects the store should hold.
    let replayed = super::replay(links.values().map(|s| &s.link));
    let place = |(entry, seq): &(Entry, u64)| Placed {
        entry: entry.clone(),
        seq: *seq,
    };
    let expected: HashMap<String, Placed> = replayed.expected.iter().map(|(p, e)| (p.clone(), place(e))).collect();
    let removed: HashMap<String, Placed> = replayed.removed.iter().map(|(p, e)| (p.clone(), place(e))).collect();
    let records = &replayed.records;
    let mut change_of: HashMap<u64, String> = HashMap::new();
    for stored in links.values() {
        if let Some(change) = &stored.link.change {
            change_of.insert(stored.link.seq, format!("{} {change}", kind_name(stored.link.kind)));
        }
    }
    let by = |seq: u64| match change_of.get(&seq) {
        Some(change) => format!("link {seq} ({change})"),
        None => format!("link {seq}"),
    };

    // 3. Change records: as their links recorded them, in the state their links say; none hides
    // what the chain holds, and none makes readers take what it does not.
    let mut awaiting: HashSet<String> = HashSet::new();
    let mut uncommitted: HashSet<String> = HashSet::new();
    for (id, found) in change_keys {
        let state = changes::state_of(&found).expect("a listed change has a key");
        let own = replayed.changes.get(&id);
        for key in &found {
            let name = relative_path(location, &key.path);
            let bytes = match location.store.get(&key.path).await {
                Ok(got) => got
                    .bytes()
                    .await
                    .map_err(|e| ArchiveError::store(&location.display, e))?,
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
            // The state is the key's name, which the content's hash does not cover.
            if let Some((seq, kind, rolled_back)) = own {
                let kind_matches = matches!(
                    (kind, key.kind),
                    (LinkKind::Ingest, ChangeKind::Ingest) | (LinkKind::Compact, ChangeKind::Compact)
                );
                let wrong = if !kind_matches {
                    Some("its kind is not the one its link records".to_string())
                } else if *rolled_back && key.state == ChangeState::Committed {
                    Some("committed, though the chain rolled it back".to_string())
                } else if !rolled_back && key.state == ChangeState::Aborted {
                    Some(
                        "marked aborted, though the chain holds it as made: that hides its files from readers"
                            .to_string(),
                    )
                } else if !rolled_back
                    && state == ChangeState::Pending
                    && replayed.last_change_link.is_some_and(|last| last > *seq)
                {
                    Some("still pending after later changes: that hides its files from readers".to_string())
                } else {
                    None
                };
                if let Some(wrong) = wrong {
                    problem!(&name, format!("{wrong} ({})", by(*seq)));
                }
            }
            let Ok(change) = serde_json::from_slice::<changes::Change>(&bytes) else {
                if linked.is_none() {
                    problem!(&name, "damaged: not a change record".into());
                }
                continue;
            };
            let vouched = linked.is_some_and(|(r, _)| *r == sha);
            match state {
                ChangeState::Committed if key.kind == ChangeKind::Compact && vouched => {
                    awaiting.extend(change.replaces)
                }
                // Linked but not committed yet (or cut short before it was): readers still see
                // the files it replaces, which the next run either commits away or keeps.
                ChangeState::Pending if vouched && own.is_some() => awaiting.extend(change.replaces),
                ChangeState::Pending | ChangeState::Aborted if own.is_none() => {
                    for path in &change.adds {
                        match expected.get(path) {
                            Some(placed) => problem!(
                                &name,
                                format!(
                                    "hides {path} from readers, which {} added: a change record naming what is not its own",
                                    by(placed.seq)
                                ),
                            ),
                            // Readers hide only events/ by change records: an index object or a
                            // sealed record is read whatever change it came with.
                            None if path.starts_with("events/") => {
                                uncommitted.insert(path.clone());
                            }
                            None => {}
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
        if sealed_denied && path.starts_with("_sealed/") {
            report.sealed_unchecked += 1;
            continue;
        }
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
        } else if let Some(gone) = removed
            .get(&path)
            .filter(|g| path.starts_with("_index/") && g.entry.size == meta.size)
        {
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
        let mut vanished = Vec::new();
        while let Some((placed, found)) = hashed.next().await {
            let (size, sha) = match found {
                Ok(found) => found,
                Err(ArchiveError::Store { message, .. }) if message.ends_with("was not found") => {
                    vanished.push(placed);
                    continue;
                }
                // Listed, but not to be read by this reader.
                Err(e) if placed.entry.path.starts_with("_sealed/") && denied(&e) => {
                    report.sealed_unchecked += 1;
                    report.objects -= 1;
                    report.bytes -= placed.entry.size;
                    continue;
                }
                Err(e) => return Err(e),
            };
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
        if !vanished.is_empty() {
            // A writer at work deletes what it replaced: if the chain moved, look again.
            let (now, _) = list(location).await?;
            if now.keys().next_back().map_or(0, |l| l + 1) != count {
                return Ok(None);
            }
            for placed in vanished {
                altered.push(Problem {
                    object: placed.entry.path.clone(),
                    what: format!(
                        "missing: deleted while it was being verified ({} added it)",
                        by(placed.seq)
                    ),
                });
            }
        }
        problems.extend(altered);
    }
    problems.sort();
    report.problems = problems;
    Ok(Some(report))
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
