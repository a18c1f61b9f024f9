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

    fn key(id: &str, time: &str, phase: &str) -> String {
        let day = time.get(..10).unwrap_or("unknown");
        format!("{JOURNAL}/date={day}/{id}.{phase}.json")
    }

    pub async fn put_start(&self, start: &Start) -> Result<(), String> {
        self.put(&Self::key(&start.id, &start.time, "start"), start).await
    }

    /// The end goes beside its start: the start's day is in the query's id (a ULID's time).
    pub async fn put_end(&self, end: &End) -> Result<(), String> {
        let started = ulid::Ulid::from_string(&end.id)
            .ok()
            .map(|u| chrono::DateTime::<chrono::Utc>::from(u.datetime()).to_rfc3339())
            .unwrap_or_else(|| end.ended.clone());
        self.put(&Self::key(&end.id, &started, "end"), end).await
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
        for (path, bytes) in read {
            if path.ends_with(".start.json") {
                if let Ok(start) = serde_json::from_slice::<Start>(&bytes) {
                    starts.push(start);
                }
            } else if path.ends_with(".end.json")
                && let Ok(end) = serde_json::from_slice::<End>(&bytes)
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
