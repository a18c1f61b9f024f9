//! One ingest at a time per archive. Two runs at once would each take the other's half-written
//! batch for a crashed one and undo it; the lock object (`_ingest/lock`, created only if absent)
//! keeps the second run out. A lock whose holder is gone — a process of this host that no longer
//! runs, or one not renewed for a quarter of an hour — is taken over.

use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use super::layout::INGEST;
use super::{ArchiveError, Location};

/// How long a lock from another host stays valid without being renewed.
const LEASE_SECONDS: i64 = 15 * 60;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Holder {
    host: String,
    pid: u32,
    user: String,
    since: String,
    renewed: String,
}

pub struct IngestLock<'a> {
    location: &'a Location,
    me: Holder,
}

fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

impl<'a> IngestLock<'a> {
    fn path(location: &Location) -> object_store::path::Path {
        location.path(&format!("{INGEST}/lock"))
    }

    /// Takes the archive's ingest lock, or says who holds it.
    pub async fn acquire(location: &'a Location) -> Result<IngestLock<'a>, ArchiveError> {
        let now = chrono::Utc::now().to_rfc3339();
        let me = Holder {
            host: host(),
            pid: std::process::id(),
            user: crate::engine::journal::current_user(),
            since: now.clone(),
            renewed: now,
        };
        let lock = IngestLock { location, me };
        let err = |e| ArchiveError::store(&location.display, e);
        let body = PutPayload::from(serde_json::to_vec(&lock.me).expect("a holder serialises"));
        match location
            .store
            .put_opts(&Self::path(location), body.clone(), PutOptions::from(PutMode::Create))
            .await
        {
            Ok(_) => return Ok(lock),
            Err(object_store::Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(err(e)),
        }
        let held = location
            .store
            .get(&Self::path(location))
            .await
            .map_err(err)?
            .bytes()
            .await
            .map_err(err)?;
        let holder: Option<Holder> = serde_json::from_slice(&held).ok();
        if let Some(h) = &holder {
            if !gone(h) {
                return Err(ArchiveError::Busy {
                    archive: location.display.clone(),
                    holder: format!("{} (process {} on {}, since {})", h.user, h.pid, h.host, h.since),
                });
            }
        }
        // The holder is gone: its half-written batch is undone by the recovery that follows.
        location.store.put(&Self::path(location), body).await.map_err(err)?;
        Ok(lock)
    }

    /// Says the holder is still at work (called as batches commit).
    pub async fn renew(&mut self) -> Result<(), ArchiveError> {
        self.me.renewed = chrono::Utc::now().to_rfc3339();
        let body = PutPayload::from(serde_json::to_vec(&self.me).expect("a holder serialises"));
        self.location
            .store
            .put(&Self::path(self.location), body)
            .await
            .map_err(|e| ArchiveError::store(&self.location.display, e))?;
        Ok(())
    }

    pub async fn release(self) -> Result<(), ArchiveError> {
        match self.location.store.delete(&Self::path(self.location)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(ArchiveError::store(&self.location.display, e)),
        }
    }
}

/// Whether the holder can no longer be at work.
fn gone(h: &Holder) -> bool {
    if h.host == host() {
        // On this host the process table says.
        return !std::path::Path::new(&format!("/proc/{}", h.pid)).exists() || h.pid == std::process::id();
    }
    let renewed = chrono::DateTime::parse_from_rfc3339(&h.renewed)
        .map(|t| t.timestamp())
        .unwrap_or(0);
    chrono::Utc::now().timestamp() - renewed > LEASE_SECONDS
}
