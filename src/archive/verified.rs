//! What each `verify` found, kept in the archive so that `concept` and an auditor can say when it
//! was last checked: `_verify/<ULID>.json`, one object per run, only ever added to.

use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use super::{ArchiveError, Location};

pub const VERIFIED: &str = "_verify";

/// One run of `verify`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Verified {
    /// When it finished (RFC 3339, UTC).
    pub at: String,
    /// Who ran it (see `engine::journal::identity`).
    pub by: String,
    /// Sizes and the chain only (`--quick`), or every byte read again.
    pub quick: bool,
    /// The days it was limited to, if any.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Nothing was missing, altered or unaccounted for, and the chain held.
    pub passed: bool,
    /// How many problems it named.
    pub problems: usize,
    /// Links of the chain walked, objects and bytes checked.
    pub links: u64,
    pub objects: u64,
    pub bytes: u64,
    /// Whether every link's signature was checked against a public key (`None`: not asked).
    pub signatures_checked: Option<bool>,
    /// CloudTrail digests: sources that match their digest, and that contradict it.
    #[serde(default)]
    pub digests_validated: u64,
    #[serde(default)]
    pub digests_failed: u64,
    /// Sealed records the chain lists that this reader was refused, so not checked.
    #[serde(default)]
    pub sealed_unchecked: u64,
}

/// Records a run; the ULID key sorts by time.
pub async fn record(location: &Location, run: &Verified) -> Result<(), ArchiveError> {
    let key = format!("{VERIFIED}/{}.json", ulid::Ulid::new());
    let bytes = serde_json::to_vec_pretty(run).expect("a verification serialises");
    location
        .store
        .put(&location.path(&key), PutPayload::from(bytes))
        .await
        .map_err(|e| ArchiveError::store(&location.display, e))?;
    Ok(())
}

/// The latest run recorded, if any (one that cannot be read is passed over).
pub async fn last(location: &Location) -> Result<Option<Verified>, ArchiveError> {
    let mut listed = location.list(VERIFIED).await?;
    listed.sort_by(|a, b| b.location.as_ref().cmp(a.location.as_ref()));
    for meta in listed.iter().filter(|m| m.location.as_ref().ends_with(".json")) {
        let Ok(got) = location.store.get(&meta.location).await else {
            continue;
        };
        let Ok(bytes) = got.bytes().await else { continue };
        if let Ok(run) = serde_json::from_slice(&bytes) {
            return Ok(Some(run));
        }
    }
    Ok(None)
}
