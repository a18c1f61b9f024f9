//! The access journal: every query trailscope runs over an archive (who, when, which archive,
//! the SQL and its parameters, rows returned, how it ended) is appended to a JSON-lines file in
//! the user's state folder. Access to the audit log is itself audited.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One query, as the journal keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JournalEntry {
    pub time: String,
    pub user: String,
    pub archive: String,
    pub sql: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    pub rows: u64,
    /// `completed`, `cancelled` (the result was dropped before its end) or `failed: …`.
    pub outcome: String,
    /// The query saw secrets unmasked (`--reveal`, or the workbench started with it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revealed: bool,
}

#[derive(Clone, Debug)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Journal { path: path.into() }
    }

    /// `$TRAILSCOPE_STATE_DIR/journal.jsonl`, else the platform's state (or local data) folder.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("TRAILSCOPE_STATE_DIR") {
            return Some(PathBuf::from(dir).join("journal.jsonl"));
        }
        let dirs = directories::ProjectDirs::from("", "", "trailscope")?;
        let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
        Some(dir.join("journal.jsonl"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry as one line (a single write, so concurrent runs do not interleave).
    pub fn append(&self, entry: &JournalEntry) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        line.push('\n');
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?
            .write_all(line.as_bytes())
    }

    /// Every entry, in the order the queries started. (A line is appended when its query ends,
    /// and the workbench runs several at once: the file's order is when they ended.) Lines that
    /// cannot be read are skipped, not fatal.
    pub fn entries(&self) -> std::io::Result<Vec<JournalEntry>> {
        let mut entries: Vec<JournalEntry> = match std::fs::read_to_string(&self.path) {
            Ok(text) => text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        entries.sort_by_key(|e| chrono::DateTime::parse_from_rfc3339(&e.time).ok());
        Ok(entries)
    }
}

/// Who is running trailscope, as the operating system names them.
pub fn current_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(user_from_uid)
        .unwrap_or_else(|| "unknown".into())
}

/// The account name of this process's user id, from the password database (a service or a
/// container may run without USER set).
fn user_from_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid)
        .map(|f| f[0].to_string())
        .or(Some(format!("uid {uid}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_in_the_order_their_queries_started() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(dir.path().join("journal.jsonl"));
        let entry = |time: &str, sql: &str| JournalEntry {
            time: time.into(),
            user: "ana".into(),
            archive: "/a".into(),
            sql: sql.into(),
            params: BTreeMap::new(),
            rows: 1,
            outcome: "completed".into(),
            revealed: false,
        };
        // The long query started first and ended last.
        journal.append(&entry("2026-11-27T10:00:02.5+00:00", "short")).unwrap();
        journal.append(&entry("2026-11-27T10:00:01+00:00", "long")).unwrap();
        let sql: Vec<String> = journal.entries().unwrap().into_iter().map(|e| e.sql).collect();
        assert_eq!(sql, ["long", "short"]);
    }
}
