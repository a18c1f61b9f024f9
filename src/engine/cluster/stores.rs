//! The object stores a scheduler or an executor reads archives from, opened from the archive's URL
//! with that process's own credentials (its environment, its profiles, its instance role): a
//! client's credentials never travel to the cluster.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::ObjectStoreRegistry;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use url::Url;

use crate::archive::{Location, StoreOptions};

/// The archives this process has opened, by URL: a store is made once (its credential chain
/// resolved once), not once per query.
fn opened() -> &'static Mutex<HashMap<String, Location>> {
    static OPENED: OnceLock<Mutex<HashMap<String, Location>>> = OnceLock::new();
    OPENED.get_or_init(Default::default)
}

/// The archive at `url`, as this process reaches it; `namespace` is what the client reaches it
/// through (see [`Location::namespace`]: a custom endpoint, an Azure account), and must be what
/// this process does, or the two would read different archives of the same name.
pub fn archive(url: &str, namespace: &str) -> Result<Location> {
    let location = opened().lock().expect("not poisoned").get(url).cloned();
    let location = match location {
        Some(location) => location,
        None => {
            let location = Location::open(url, &StoreOptions::default())
                .map_err(|e| DataFusionError::Execution(format!("{}{e}", super::STORE_UNREACHABLE)))?;
            opened()
                .lock()
                .expect("not poisoned")
                .insert(url.to_string(), location.clone());
            location
        }
    };
    if location.namespace() != namespace {
        let through = |n: &str| match n {
            "" => "the store's own address".to_string(),
            n => n.to_string(),
        };
        return Err(DataFusionError::Execution(format!(
            "{}the client reaches {url} through {}, and this cluster through {}: they would read different archives",
            super::STORE_UNREACHABLE,
            through(namespace),
            through(location.namespace())
        )));
    }
    Ok(location)
}

/// The stores an executor's scans read from: a bucket's store is opened the first time a scan
/// names it (`s3://bucket`), as the archive's own store would be.
#[derive(Debug, Default)]
pub struct ArchiveStores {
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl ObjectStoreRegistry for ArchiveStores {
    fn register_store(&self, url: &Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.stores.lock().expect("not poisoned").insert(key(url), store)
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.stores
            .lock()
            .expect("not poisoned")
            .remove(&key(url))
            .ok_or_else(|| DataFusionError::Execution(format!("no store is registered for {url}")))
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        let key = key(url);
        if let Some(store) = self.stores.lock().expect("not poisoned").get(&key) {
            return Ok(store.clone());
        }
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "file" => Arc::new(LocalFileSystem::new()),
            // The bucket a scan names, through this process's own settings (the scheduler has
            // checked them against the client's).
            _ => {
                Location::open(&key, &StoreOptions::default())
                    .map_err(|e| DataFusionError::Execution(format!("{}{e}", super::STORE_UNREACHABLE)))?
                    .store
            }
        };
        self.stores.lock().expect("not poisoned").insert(key, store.clone());
        Ok(store)
    }
}

/// `scheme://bucket`: what a scan's store URL names.
fn key(url: &Url) -> String {
    format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default())
}
