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

/// The archives this process holds (or is taking) the lock of. One is reserved here before its
/// lock object is written, so two runs of one process never both take it; and a lock object
/// naming this process's id is then necessarily stale (a process of this id before, in a
/// container that restarted).
static HELD: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// The archive's lock, by the store it is in and its path there.
fn key(location: &Location) -> String {
    format!("{}{}", location.store_url, IngestLock::path(location))
}

impl<'a> IngestLock<'a> {
    fn path(location: &Location) -> object_store::path::Path {
        location.path(&format!("{INGEST}/lock"))
    }

    /// Takes the archive's ingest lock, or says who holds it.
    pub async fn acquire(location: &'a Location) -> Result<IngestLock<'a>, ArchiveError> {
        let now = chrono::Utc::now().to_rfc3339();
        let me = Holder {
            host: crate::identity::host(),
            pid: std::process::id(),
            user: crate::identity::local_user(),
            since: now.clone(),
            renewed: now,
        };
        {
            let mut held = HELD.lock().expect("not poisoned");
            if held.contains(&key(location)) {
                return Err(ArchiveError::Busy {
                    archive: location.display.clone(),
                    holder: format!("{} (this same process, {})", me.user, me.pid),
                });
            }
            held.push(key(location));
        }
        // From here the reservation is the lock's: dropped on any way out, it goes with it.
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
            // A put finds nothing only when there is nowhere to put: the bucket is not there.
            Err(object_store::Error::NotFound { .. }) => {
                return Err(ArchiveError::Store {
                    url: location.display.clone(),
                    message: "the bucket or container does not exist (check its name, and the region or endpoint): ingest writes into an existing one".into(),
                });
            }
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
        if let Some(h) = &holder
            && !gone(h)
        {
            return Err(ArchiveError::Busy {
                archive: location.display.clone(),
                holder: format!("{} (process {} on {}, since {})", h.user, h.pid, h.host, h.since),
            });
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

impl Drop for IngestLock<'_> {
    fn drop(&mut self) {
        let key = key(self.location);
        let mut held = HELD.lock().expect("not poisoned");
        if let Some(at) = held.iter().position(|k| *k == key) {
            held.swap_remove(at);
        }
    }
}

/// Whether the holder can no longer be at work.
fn gone(h: &Holder) -> bool {
    if h.host == crate::identity::host() {
        // On this host the process table says; this process's own id is stale (see `HELD`).
        return !std::path::Path::new(&format!("/proc/{}", h.pid)).exists() || h.pid == std::process::id();
    }
    let renewed = chrono::DateTime::parse_from_rfc3339(&h.renewed)
        .map(|t| t.timestamp())
        .unwrap_or(0);
    chrono::Utc::now().timestamp() - renewed > LEASE_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::StoreOptions;

    #[tokio::test]
    async fn a_second_run_of_the_same_process_waits_and_a_dead_one_of_its_id_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::create(dir.path().to_str().unwrap(), &StoreOptions::default()).unwrap();
        let first = IngestLock::acquire(&location).await.unwrap();
        let second = IngestLock::acquire(&location).await;
        assert!(
            matches!(&second, Err(ArchiveError::Busy { holder, .. }) if holder.contains("this same process")),
            "{:?}",
            second.err()
        );
        // A run of this process that ended without releasing (an error, a kill in a test) leaves
        // a lock object of this id: no longer held, it is taken over.
        drop(first);
        assert!(dir.path().join("_ingest/lock").exists());
        let again = IngestLock::acquire(&location).await.unwrap();
        again.release().await.unwrap();
        assert!(!dir.path().join("_ingest/lock").exists());

        // Two at once over such a stale lock: one takes it, the other waits.
        drop(IngestLock::acquire(&location).await.unwrap());
        let (a, b) = tokio::join!(IngestLock::acquire(&location), IngestLock::acquire(&location));
        assert!(a.is_ok() != b.is_ok(), "exactly one of them holds the lock");
    }
}
