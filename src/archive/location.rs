//! An archive URL (a path, `file://`, `s3://`, `gs://`, `az://`) opened as an object store.
//!
//! Credentials and endpoints come from each cloud's usual environment variables and the files its
//! own tools keep (AWS profiles, gcloud's and the Azure CLI's logins; see [`super::stores`]), never
//! from the command line. Tests and embedders may add settings with [`StoreOptions`].

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectMeta, ObjectStore, RetryConfig};
use url::Url;

use super::ArchiveError;
use super::stores::{self, Credentials, Setup};

/// Extra settings for the object store, as `(key, value)` pairs in object_store's own names
/// (`aws_endpoint`, `aws_allow_http`, …). They override the environment.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    pub settings: Vec<(String, String)>,
}

/// Where an archive lives, opened.
#[derive(Clone, Debug)]
pub struct Location {
    pub store: Arc<dyn ObjectStore>,
    /// The archive's root inside the store.
    pub root: Path,
    /// The store's URL as DataFusion knows it (`file:///`, `s3://bucket`).
    pub store_url: Url,
    /// How the archive is named to the user.
    pub display: String,
    /// The local folder, for a local archive.
    pub local_dir: Option<PathBuf>,
    /// The store `local_dir` was opened with: while `store` is still it, listings read the
    /// folder directly (see [`Location::list`]).
    direct: Option<Arc<dyn ObjectStore>>,
    /// Who the store's credentials say the caller is, where the store can tell.
    credentials: Credentials,
    /// See [`Location::namespace`].
    namespace: String,
}

impl Location {
    /// Opens an existing archive to read.
    pub fn open(location: &str, options: &StoreOptions) -> Result<Self, ArchiveError> {
        Self::open_with(location, options, false)
    }

    /// Opens an archive to write, creating a local folder if it does not exist yet.
    pub fn create(location: &str, options: &StoreOptions) -> Result<Self, ArchiveError> {
        Self::open_with(location, options, true)
    }

    fn open_with(location: &str, options: &StoreOptions, create: bool) -> Result<Self, ArchiveError> {
        // Credentials written into a URL are never shown, recorded or used.
        let shown = without_credentials(location);
        let bad = |reason: &str| ArchiveError::BadLocation {
            url: shown.clone(),
            reason: reason.to_string(),
        };
        if location.trim().is_empty() {
            return Err(bad("it is empty"));
        }
        match Url::parse(location) {
            Ok(url) if url.scheme() == "file" => {
                let path = url
                    .to_file_path()
                    .map_err(|_| bad("the file URL does not name a local path"))?;
                Self::local(&path, &shown, create)
            }
            Ok(url) if matches!(url.scheme(), "s3" | "s3a" | "gs" | "az" | "abfs" | "abfss") => {
                Self::remote(&url, &shown, options)
            }
            // A Windows drive letter parses as a scheme; anything else unknown is a path.
            Ok(url) if url.scheme().len() > 1 => Err(bad(&format!(
                "the scheme '{}:' is not supported (use a path, file://, s3://, gs:// or az://)",
                url.scheme()
            ))),
            _ => Self::local(FsPath::new(location), &shown, create),
        }
    }

    fn local(path: &FsPath, shown: &str, create: bool) -> Result<Self, ArchiveError> {
        if create {
            std::fs::create_dir_all(path).map_err(|e| ArchiveError::Store {
                url: shown.to_string(),
                message: e.to_string(),
            })?;
        } else if !path.is_dir() {
            return Err(ArchiveError::Store {
                url: shown.to_string(),
                message: "there is no folder there".into(),
            });
        }
        let dir = path.canonicalize().map_err(|e| ArchiveError::Store {
            url: shown.to_string(),
            message: e.to_string(),
        })?;
        let root = Path::from_absolute_path(&dir).map_err(|e| ArchiveError::BadLocation {
            url: shown.to_string(),
            reason: e.to_string(),
        })?;
        let store: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new());
        Ok(Location {
            store: store.clone(),
            root,
            store_url: Url::parse("file:///").expect("a constant URL"),
            display: dir.display().to_string(),
            local_dir: Some(dir),
            direct: Some(store),
            credentials: Credentials::Local,
            namespace: String::new(),
        })
    }

    fn remote(url: &Url, shown: &str, options: &StoreOptions) -> Result<Self, ArchiveError> {
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| ArchiveError::BadLocation {
                url: shown.to_string(),
                reason: "it names no bucket or container".into(),
            })?;
        let retry = RetryConfig {
            max_retries: 3,
            retry_timeout: Duration::from_secs(30),
            ..Default::default()
        };
        let client = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(300));
        let setup = Setup {
            bucket,
            options,
            retry,
            client,
        };
        let built = match url.scheme() {
            "s3" | "s3a" => stores::s3(setup),
            "gs" => stores::gcs(setup),
            _ => stores::azure(setup),
        };
        let (store, credentials) = built.map_err(|reason| ArchiveError::BadLocation {
            url: shown.to_string(),
            reason,
        })?;
        let store_url = Url::parse(&format!("{}://{bucket}", url.scheme())).map_err(|e| ArchiveError::BadLocation {
            url: shown.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Location {
            store,
            root: Path::from_url_path(url.path().trim_matches('/')).map_err(|e| ArchiveError::BadLocation {
                url: shown.to_string(),
                reason: e.to_string(),
            })?,
            store_url,
            display: without_credentials(shown),
            local_dir: None,
            direct: None,
            credentials,
            namespace: stores::namespace(url.scheme(), options),
        })
    }

    /// Who the store's credentials say the caller is, where the store can tell: the AWS access
    /// key id, the GCP service account, the Azure client or account; on a local folder, the
    /// operating system's user. Never a secret.
    pub async fn identity(&self) -> String {
        self.credentials.identity().await
    }

    /// The URL that opens this archive again, in another process, with that process's own
    /// credentials: the folder's path for a local archive, `scheme://bucket/prefix` otherwise.
    /// It holds no credentials.
    pub fn url(&self) -> String {
        match &self.local_dir {
            Some(dir) => dir.display().to_string(),
            None => {
                let store = self.store_url.as_str().trim_end_matches('/');
                match self.root.as_ref() {
                    "" => store.to_string(),
                    root => format!("{store}/{root}"),
                }
            }
        }
    }

    /// What tells this store from another of the same URL (an Azure storage account, a custom
    /// endpoint: `account=acme`), empty if nothing does.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Whether any object lies under `relative` (to the archive root): one listing, its first item.
    pub async fn holds_any(&self, relative: &str) -> Result<bool, ArchiveError> {
        use futures::TryStreamExt;
        let first = self
            .store
            .list(Some(&self.path(relative)))
            .try_next()
            .await
            .map_err(|e| ArchiveError::store(&self.display, e))?;
        Ok(first.is_some())
    }

    /// The names of the folders right under the folder `relative` (to the archive root), sorted:
    /// a listing by delimiter. A local archive's folder is read directly (a year of day folders
    /// is 365 entries, which object_store's local listing stats several times each).
    pub async fn folders(&self, relative: &str) -> Result<Vec<String>, ArchiveError> {
        let mut names = match self.direct_dir(relative) {
            Some(folder) => tokio::task::spawn_blocking(move || subfolders(&folder))
                .await
                .expect("listing a folder does not panic")
                .map_err(|e| ArchiveError::Store {
                    url: self.display.clone(),
                    message: e.to_string(),
                })?,
            None => self
                .store
                .list_with_delimiter(Some(&self.path(relative)))
                .await
                .map_err(|e| ArchiveError::store(&self.display, e))?
                .common_prefixes
                .iter()
                .filter_map(|p| p.filename().map(str::to_string))
                .collect(),
        };
        names.sort();
        Ok(names)
    }

    /// The local folder of `relative`, when listings may read it directly.
    fn direct_dir(&self, relative: &str) -> Option<PathBuf> {
        match (&self.direct, &self.local_dir) {
            (Some(opened), Some(dir)) if std::ptr::addr_eq(Arc::as_ptr(opened), Arc::as_ptr(&self.store)) => {
                Some(dir.join(relative))
            }
            _ => None,
        }
    }

    /// The objects directly in the folder `relative` (to the archive root), not in its
    /// sub-folders: one listing by delimiter, so that a folder beside millions of objects in its
    /// sub-folders (the ledger beside `_ingest/seen/`) costs what it holds.
    pub async fn list_here(&self, relative: &str) -> Result<Vec<ObjectMeta>, ArchiveError> {
        let Some(folder) = self.direct_dir(relative) else {
            return self
                .store
                .list_with_delimiter(Some(&self.path(relative)))
                .await
                .map(|listed| listed.objects)
                .map_err(|e| ArchiveError::store(&self.display, e));
        };
        let base = self.path(relative);
        let found = tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            walk(&folder, &base, &mut found, false).map(|()| found)
        })
        .await
        .expect("listing a folder does not panic");
        found.map_err(|e| ArchiveError::Store {
            url: self.display.clone(),
            message: e.to_string(),
        })
    }

    /// Every object under the folder `relative` (to the archive root), recursively, in no
    /// particular order; none if there is no such folder.
    ///
    /// A local archive's folder is read directly, with one `stat` per file: object_store's local
    /// listing takes about six per file, which was a fifth of a needle query's time over a month
    /// of 1,800 files. A store put in place of the one opened (a test's) is listed through itself.
    pub async fn list(&self, relative: &str) -> Result<Vec<ObjectMeta>, ArchiveError> {
        use futures::TryStreamExt;
        let Some(folder) = self.direct_dir(relative) else {
            return self
                .store
                .list(Some(&self.path(relative)))
                .try_collect()
                .await
                .map_err(|e| ArchiveError::store(&self.display, e));
        };
        let base = self.path(relative);
        let found = tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            walk(&folder, &base, &mut found, true).map(|()| found)
        })
        .await
        .expect("listing a folder does not panic");
        found.map_err(|e| ArchiveError::Store {
            url: self.display.clone(),
            message: e.to_string(),
        })
    }
}

/// A URL as it may be shown and recorded: without the user and password a URL can carry
/// (`s3://KEY:SECRET@bucket`) and without a query string (an Azure SAS token).
pub fn without_credentials(url: &str) -> String {
    let shown = url.trim_end_matches('/');
    match Url::parse(shown) {
        Ok(mut parsed) if parsed.scheme().len() > 1 => {
            let had = !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some();
            if !had {
                return shown.to_string();
            }
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.to_string().trim_end_matches('/').to_string()
        }
        _ => shown.to_string(),
    }
}

/// The names of the folders in `dir` (symbolic links followed); none if it does not exist.
fn subfolders(dir: &FsPath) -> std::io::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let is_dir = kind.is_dir() || kind.is_symlink() && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
        if let (true, Some(name)) = (is_dir, entry.file_name().to_str())
            && object_store::path::PathPart::parse(name).is_ok()
        {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// The files under `dir` (whose store path is `path`), as object_store names them. Upload
/// staging files (`name#n`) and names that are not valid paths are left out, as object_store's
/// own listing does; a file or folder removed while it is read is simply not there.
fn walk(dir: &FsPath, path: &Path, found: &mut Vec<ObjectMeta>, deep: bool) -> std::io::Result<()> {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if gone(&e) || e.kind() == std::io::ErrorKind::NotADirectory => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if name.contains('#') {
            continue;
        }
        let Ok(part) = object_store::path::PathPart::parse(&name) else {
            continue;
        };
        let child = path.clone().join(part);
        // Symbolic links are followed, as object_store does.
        let meta = match std::fs::metadata(entry.path()) {
            Ok(meta) => meta,
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(e),
        };
        if meta.is_dir() {
            if deep {
                walk(&entry.path(), &child, found, deep)?;
            }
        } else if meta.is_file() {
            found.push(ObjectMeta {
                location: child,
                last_modified: meta.modified().map(chrono::DateTime::from).unwrap_or_default(),
                size: meta.len(),
                e_tag: None,
                version: None,
            });
        }
    }
    Ok(())
}

impl Location {
    /// A path under the archive's root.
    pub fn path(&self, relative: &str) -> Path {
        let mut path = self.root.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            path = path.clone().join(part);
        }
        path
    }

    /// A path under the archive's root as a URL DataFusion can list (ends with `/`).
    pub fn table_url(&self, relative: &str) -> String {
        let base = self.store_url.as_str();
        let sep = if base.ends_with('/') { "" } else { "/" };
        format!("{base}{sep}{}/", self.path(relative))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_path_is_a_local_archive_and_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("archive");
        assert!(
            Location::open(target.to_str().unwrap(), &StoreOptions::default()).is_err(),
            "reading never creates"
        );
        let loc = Location::create(target.to_str().unwrap(), &StoreOptions::default()).unwrap();
        assert!(target.is_dir());
        assert!(loc.table_url("events").starts_with("file:///"));
        assert!(loc.table_url("events").ends_with("/archive/events/"));
    }

    #[tokio::test]
    async fn a_local_folder_is_listed_as_object_store_lists_it() {
        use futures::TryStreamExt;
        let dir = tempfile::tempdir().unwrap();
        let loc = Location::create(dir.path().to_str().unwrap(), &StoreOptions::default()).unwrap();
        for (file, bytes) in [
            ("events/date=2024-01-01/cloud=aws/tenant=1/part-a.parquet", 3),
            ("events/date=2024-01-01/cloud=gcp/tenant=google.com:p/part-b.parquet", 5),
            ("events/date=2024-01-02/cloud=aws/tenant=1/part-c.parquet", 0),
            ("events/date=2024-01-02/cloud=aws/tenant=1/part-d.parquet#1", 1),
            ("events/date=2024-01-03/x y%.txt", 2),
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, vec![b'x'; bytes]).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("events/date=2024-01-04/empty")).unwrap();
        let sorted = |mut v: Vec<ObjectMeta>| {
            v.sort_by(|a, b| a.location.cmp(&b.location));
            v.into_iter()
                .map(|m| (m.location.to_string(), m.size, m.last_modified))
                .collect::<Vec<_>>()
        };
        for prefix in ["events", "events/date=2024-01-01", "events/date=2024-01-02", "nothing"] {
            let direct = sorted(loc.list(prefix).await.unwrap());
            let through_store: Vec<ObjectMeta> = loc.store.list(Some(&loc.path(prefix))).try_collect().await.unwrap();
            assert_eq!(direct, sorted(through_store), "{prefix}");
        }
        assert_eq!(loc.list("events").await.unwrap().len(), 4);
        for prefix in ["events", "events/date=2024-01-01", "nothing"] {
            let mut through_store: Vec<String> = loc
                .store
                .list_with_delimiter(Some(&loc.path(prefix)))
                .await
                .unwrap()
                .common_prefixes
                .iter()
                .map(|p| p.filename().unwrap().to_string())
                .collect();
            through_store.sort();
            assert_eq!(loc.folders(prefix).await.unwrap(), through_store, "{prefix}");
        }
        assert_eq!(loc.folders("events").await.unwrap().len(), 4);
        for prefix in [
            "events",
            "events/date=2024-01-03",
            "events/date=2024-01-01/cloud=aws/tenant=1",
            "nothing",
        ] {
            let here = sorted(loc.list_here(prefix).await.unwrap());
            let through_store = loc.store.list_with_delimiter(Some(&loc.path(prefix))).await.unwrap();
            assert_eq!(here, sorted(through_store.objects), "{prefix}");
        }
        assert_eq!(loc.list_here("events/date=2024-01-03").await.unwrap().len(), 1);
    }

    #[test]
    fn a_bucket_url_keeps_its_prefix_and_an_unknown_scheme_is_refused() {
        let options = StoreOptions {
            settings: vec![
                ("aws_endpoint".into(), "http://127.0.0.1:9".into()),
                ("aws_access_key_id".into(), "k".into()),
                ("aws_secret_access_key".into(), "s".into()),
                ("aws_region".into(), "us-east-1".into()),
            ],
        };
        let loc = Location::open("s3://audit-archive/prod/", &options).unwrap();
        assert_eq!(loc.table_url("events"), "s3://audit-archive/prod/events/");
        let with_secret = Location::open("s3://AKIAEXAMPLE:wJalrXUtnFEMI@audit-archive/prod?x=1", &options).unwrap();
        assert_eq!(with_secret.display, "s3://audit-archive/prod");
        assert_eq!(
            without_credentials("az://c/p?sv=2022&sig=AbC%3D"),
            "az://c/p",
            "a SAS token is a credential too"
        );
        let err = Location::open("ftp://host/x", &StoreOptions::default()).unwrap_err();
        assert!(err.to_string().contains("'ftp:' is not supported"), "{err}");
        assert!(Location::open("s3:///nobucket", &options).is_err());
    }
}
