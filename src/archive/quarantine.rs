//! Inputs the archive could not take, kept byte for byte with the reason, never dropped.

use std::collections::HashMap;

use object_store::{ObjectStoreExt, PutPayload};
use serde::Serialize;

use super::layout::{OLD_QUARANTINE, QUARANTINE};
use super::{ArchiveError, Location};

/// The folder of today's quarantine, relative to the archive root.
fn today_dir() -> String {
    format!("{QUARANTINE}/{}", chrono::Utc::now().format("%Y-%m-%d"))
}

/// A name unique per content, so that quarantining the same file again overwrites its copy.
fn stem(sha256: &str, file_name: &str) -> String {
    format!("{}/{}-{}", today_dir(), &sha256[..12], file_name)
}

/// Copies an unreadable source file and writes why beside it. Returns the copy's path.
pub async fn quarantine_file(
    location: &Location,
    sha256: &str,
    source: &str,
    file_name: &str,
    bytes: bytes::Bytes,
    reason: &str,
) -> Result<String, ArchiveError> {
    let copy = stem(sha256, file_name);
    let err = |e| ArchiveError::store(&location.display, e);
    location
        .store
        .put(&location.path(&copy), PutPayload::from(bytes))
        .await
        .map_err(err)?;
    let note = format!("source: {source}\nsha256: {sha256}\nreason: {reason}\n");
    location
        .store
        .put(
            &location.path(&format!("{copy}.reason")),
            PutPayload::from(note.into_bytes()),
        )
        .await
        .map_err(err)?;
    Ok(copy)
}

/// One rejected record, as a line of a `.rejected.jsonl` file.
#[derive(Serialize)]
pub struct RejectedRecord<'a> {
    pub source_object: &'a str,
    pub source_index: u32,
    pub reason: &'a str,
    /// The record's text exactly as it appeared in the source (a line that is not UTF-8 text:
    /// as much of it as is, the line's bytes being in `record_base64`).
    pub record: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_base64: Option<String>,
}

/// Where a source's rejected records go, relative to the archive root.
/// The batch is in the name: a batch undone after a kill deletes its own file, never the file an
/// earlier run wrote for the same source.
pub fn rejected_path(sha256: &str, file_name: &str, batch: &str) -> String {
    format!("{}.{batch}.rejected.jsonl", stem(sha256, file_name))
}

/// What the quarantine already holds of each source, by the first 12 hex digits of its SHA-256
/// (the start of its copies' names): the path of its whole-file copy, and of a file of its
/// rejected records, from any day. A source read again is not copied again.
#[derive(Debug, Default)]
pub struct Held {
    copies: HashMap<String, String>,
    rejected: HashMap<String, String>,
}

impl Held {
    pub async fn list(location: &Location) -> Result<Held, ArchiveError> {
        let mut held = Held::default();
        let root = format!("{}/", location.root);
        let mut objects = location.list(QUARANTINE).await?;
        objects.extend(location.list(OLD_QUARANTINE).await?);
        for object in objects {
            let path = object.location.to_string();
            let relative = path.strip_prefix(&root).unwrap_or(&path);
            let Some(name) = relative.rsplit('/').next() else {
                continue;
            };
            let Some((sha, _)) = name.split_once('-') else { continue };
            if sha.len() != 12 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let into = if name.ends_with(".rejected.jsonl") {
                &mut held.rejected
            } else if name.ends_with(".reason") {
                continue;
            } else {
                &mut held.copies
            };
            into.entry(sha.to_string()).or_insert_with(|| relative.to_string());
        }
        Ok(held)
    }

    /// Where the whole file with this content was quarantined, if it was.
    pub fn copy(&self, sha256: &str) -> Option<&str> {
        self.copies.get(&sha256[..12]).map(String::as_str)
    }

    /// Where rejected records of the file with this content were kept, if they were.
    pub fn rejected(&self, sha256: &str) -> Option<&str> {
        self.rejected.get(&sha256[..12]).map(String::as_str)
    }
}
