//! The journal in the archive: one object per record, never overwritten.
//!
//! ```text
//! _journal/date=2026-12-04/<query id>.start.json   written before the query's first row
//! _journal/date=2026-12-04/<query id>.end.json     written when it ends, however it ends
//! _policy/journal.json                             {"required": true}: the owners' decision
//! ```
//! The day is the query's start (its end goes beside its start). Readers need permission to
//! create objects under `_journal/` only; the policy lives apart, where readers cannot write.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use super::{End, JournalEntry, Start};
use crate::archive::{ArchiveError, Location};

pub const JOURNAL: &str = "_journal";
pub const POLICY: &str = "_policy/journal.json";

/// The archive owners' decision about the journal.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Policy {
    /// A query whose start cannot be recorded in the archive is refused.
    pub required: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub set_by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub set_at: String,
}

/// The journal of one archive.
#[derive(Clone, Debug)]
pub struct ArchiveJournal {
    location: Location,
    policy: Policy,
}

impl ArchiveJournal {
    /// The archive's journal, with the policy its owners set (none: not required).
    pub async fn open(location: &Location) -> Result<Self, ArchiveError> {
        let policy = read_policy(location).await?;
        Ok(ArchiveJournal {
            location: location.clone(),
            policy,
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn display(&self) -> &str {
        &self.location.display
    }

    /// A record's key: the day of the query's start, read from its id (a ULID's time), so that
    /// the start and the end of a query are always beside each other.
    fn key(id: &str, phase: &str) -> String {
        let day = ulid::Ulid::from_string(id)
            .ok()
            .map(|u| {
                chrono::DateTime::<chrono::Utc>::from(u.datetime())
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .unwrap_or_else(|| "unknown".into());
        format!("{JOURNAL}/date={day}/{id}.{phase}.json")
    }

    pub async fn put_start(&self, start: &Start) -> Result<(), String> {
        self.put(&Self::key(&start.id, "start"), start).await
    }

    pub async fn put_end(&self, end: &End) -> Result<(), String> {
        self.put(&Self::key(&end.id, "end"), end).await
    }

    async fn put<T: Serialize>(&self, key: &str, record: &T) -> Result<(), String> {
        let bytes = serde_json::to_vec(record).expect("journal records serialise");
        let options = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        let path = self.location.path(key);
        match self
            .location
            .store
            .put_opts(&path, PutPayload::from(bytes.clone()), options)
            .await
        {
            Ok(_) => Ok(()),
            // A store without conditional puts: the key is new anyway (a fresh ULID).
            Err(object_store::Error::NotImplemented { .. }) => self
                .location
                .store
                .put(&path, PutPayload::from(bytes))
                .await
                .map(|_| ())
                .map_err(|e| ArchiveError::store(&self.location.display, e).to_string()),
            Err(e) => Err(ArchiveError::store(&self.location.display, e).to_string()),
        }
    }

    /// Every query recorded between the days `from` and `to` (`YYYY-MM-DD`, both included;
    /// all days when `None`), in the order they started.
    pub async fn entries(&self, from: Option<&str>, to: Option<&str>) -> Result<Vec<JournalEntry>, ArchiveError> {
        let days: Vec<String> = self
            .location
            .folders(JOURNAL)
            .await?
            .into_iter()
            .filter_map(|f| f.strip_prefix("date=").map(str::to_string))
            .filter(|d| from.is_none_or(|f| d.as_str() >= f) && to.is_none_or(|t| d.as_str() <= t))
            .collect();
        let mut objects = Vec::new();
        for day in days {
            objects.extend(self.location.list(&format!("{JOURNAL}/date={day}")).await?);
        }
        let location = &self.location;
        let read: Vec<(String, bytes::Bytes)> = futures::stream::iter(objects)
            .map(|object| async move {
                let bytes = location
                    .store
                    .get(&object.location)
                    .await
                    .map_err(|e| ArchiveError::store(&location.display, e))?
                    .bytes()
                    .await
                    .map_err(|e| ArchiveError::store(&location.display, e))?;
                Ok::<_, ArchiveError>((object.location.to_string(), bytes))
            })
            .buffered(32)
            .try_collect()
            .await?;
        let mut starts = Vec::new();
        let mut ends: BTreeMap<String, End> = BTreeMap::new();
        // A record counts only under its own key: whoever may add to the journal cannot speak
        // for another query by naming its id in an object of their own.
        for (path, bytes) in read {
            let name = path.rsplit('/').next().unwrap_or_default();
            if let Some(id) = name.strip_suffix(".start.json") {
                if let Ok(start) = serde_json::from_slice::<Start>(&bytes)
                    && start.id == id
                {
                    starts.push(start);
                }
            } else if let Some(id) = name.strip_suffix(".end.json")
                && let Ok(end) = serde_json::from_slice::<End>(&bytes)
                && end.id == id
            {
                ends.insert(end.id.clone(), end);
            }
        }
        let mut entries: Vec<JournalEntry> = starts
            .into_iter()
            .map(|start| {
                let end = ends.remove(&start.id);
                JournalEntry { start, end }
            })
            .collect();
        super::sort(&mut entries);
        Ok(entries)
    }
}

async fn read_policy(location: &Location) -> Result<Policy, ArchiveError> {
    match location.store.get(&location.path(POLICY)).await {
        Ok(got) => {
            let bytes = got
                .bytes()
                .await
                .map_err(|e| ArchiveError::store(&location.display, e))?;
            serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Ledger {
                path: POLICY.into(),
                message: e.to_string(),
            })
        }
        Err(object_store::Error::NotFound { .. }) => Ok(Policy::default()),
        Err(e) => Err(ArchiveError::store(&location.display, e)),
    }
}

/// Sets the archive's journal policy (by whoever may write `_policy/`).
pub async fn write_policy(location: &Location, required: bool) -> Result<Policy, ArchiveError> {
    let policy = Policy {
        required,
        set_by: crate::identity::local_user(),
        set_at: chrono::Utc::now().to_rfc3339(),
    };
    let bytes = serde_json::to_vec_pretty(&policy).expect("a policy serialises");
    location
        .store
        .put(&location.path(POLICY), PutPayload::from(bytes))
        .await
        .map_err(|e| ArchiveError::store(&location.display, e))?;
    Ok(policy)
}
