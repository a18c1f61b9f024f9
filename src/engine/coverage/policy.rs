//! The archive owners' coverage policy, `_policy/coverage.json`: which tenants must deliver, and
//! how long one may be silent. Like `_policy/journal.json`, it lives in the archive so that every
//! auditor checks the same list.

use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use crate::archive::{ArchiveError, Location};

/// The archive owners' coverage policy.
pub const POLICY: &str = "_policy/coverage.json";

/// How long a tenant may be silent, before the newest event of the window, until it counts as
/// having stopped delivering: long enough for a quiet weekend, short enough to act the same week.
pub const DEFAULT_STALE_AFTER: &str = "3d";

/// `_policy/coverage.json`: which tenants must deliver, and (optionally) how long one may be
/// silent. Written by the archive's owners (`trailscope coverage --set-policy`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Policy {
    /// `cloud/tenant`: `aws/123456789012`, `gcp/my-project`, `azure/<subscription id>`.
    #[serde(default)]
    pub expected: Vec<String>,
    /// A span such as `3d` or `36h`; the config's or the default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_after: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub set_by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub set_at: String,
}

/// The archive's coverage policy; none (an empty one) when the owners have not written it.
pub async fn read_policy(location: &Location) -> Result<Option<Policy>, ArchiveError> {
    match location.store.get(&location.path(POLICY)).await {
        Ok(got) => {
            let bytes = got
                .bytes()
                .await
                .map_err(|e| ArchiveError::store(&location.display, e))?;
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ArchiveError::Policy {
                    path: POLICY.into(),
                    message: e.to_string(),
                })
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(ArchiveError::store(&location.display, e)),
    }
}

/// Writes the archive's coverage policy (by whoever may write `_policy/`).
pub async fn write_policy(location: &Location, policy: &Policy) -> Result<(), ArchiveError> {
    let bytes = serde_json::to_vec_pretty(policy).expect("a policy serialises");
    location
        .store
        .put(&location.path(POLICY), PutPayload::from(bytes))
        .await
        .map_err(|e| ArchiveError::store(&location.display, e))?;
    Ok(())
}
