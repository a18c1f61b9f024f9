//! The archive's format version, recorded in `_ingest/format.json`.
//!
//! | version | what it adds |
//! | --- | --- |
//! | 1 | (no record) the archive as written before secrets were sealed: `raw` verbatim |
//! | 2 | secrets sealed at ingest: markers in `raw` and every column, `sealed_id`, `_sealed/`, the quarantine under `_sealed/quarantine/` |
//! | 3 | the integrity chain (`_chain/`, see `chain`): every object of `events/`, `_index/` and the sealed records accounted for |
//! | 4 | every file's index entry carries its facts (see `file_index::facts`), which the principals, resources and timeline views add up instead of reading the files |
//! | 5 | the `category` column (which log of its cloud), Entra ID audit and sign-in logs and CloudTrail Insights mapped as their own (format 4 took the first for Activity Log events and left the second without a caller), data events left out of the views' changes |
//!
//! An archive is migrated to the next version by `compact`, once, atomically per partition and
//! resumably; the record is written when every partition is done. Until then readers treat the
//! archive as the older version (a version-1 archive's secrets are masked in every result).

use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use super::layout::EVENTS;
use super::{ArchiveError, Location};

pub const RECORD: &str = "_ingest/format.json";

/// The version this trailscope writes.
pub const CURRENT: u32 = 5;

/// The first version whose writers keep the integrity chain.
pub const CHAINED: u32 = 3;

#[derive(Serialize, Deserialize)]
struct Record {
    format: u32,
    written_by: String,
}

/// The archive's version: its record's, else 1 for an archive with events, else `None` (a new
/// archive). A version newer than this trailscope reads is an error.
pub async fn read(location: &Location) -> Result<Option<u32>, ArchiveError> {
    let path = location.path(RECORD);
    let version = match location.store.get(&path).await {
        Ok(got) => {
            let bytes = got
                .bytes()
                .await
                .map_err(|e| ArchiveError::store(&location.display, e))?;
            let record: Record = serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Ledger {
                path: RECORD.into(),
                message: e.to_string(),
            })?;
            Some(record.format)
        }
        Err(object_store::Error::NotFound { .. }) => {
            if location.holds_any(EVENTS).await? {
                Some(1)
            } else {
                None
            }
        }
        Err(e) => return Err(ArchiveError::store(&location.display, e)),
    };
    if let Some(found) = version.filter(|v| *v > CURRENT) {
        return Err(ArchiveError::NewerFormat {
            archive: location.display.clone(),
            found,
            supported: CURRENT,
        });
    }
    Ok(version)
}

/// Records that the archive is in `version` (after a migration, or for a new archive).
pub async fn write(location: &Location, version: u32) -> Result<(), ArchiveError> {
    let record = Record {
        format: version,
        written_by: format!("trailscope {}", env!("CARGO_PKG_VERSION")),
    };
    let bytes = serde_json::to_vec_pretty(&record).expect("a format record serialises");
    location
        .store
        .put(&location.path(RECORD), PutPayload::from(bytes))
        .await
        .map_err(|e| ArchiveError::store(&location.display, e))?;
    Ok(())
}
