//! The access journal: every query trailscope runs over an archive (who, when, which archive,
//! the SQL and its values, rows returned, how it ended) is recorded in the archive itself, so
//! that the archive's owners see who read what, and in the user's state folder.
//!
//! A query leaves two records: one when it starts (before its first row is returned) and one
//! when it ends, is interrupted, cancelled or fails. In the archive each is its own object under
//! `_journal/` (see [`archive`]), never overwritten, so a bucket's object lock can make them
//! immutable and readers need permission to create objects there only. Whether a query may run
//! without its record in the archive is the archive owner's decision (`_policy/journal.json`),
//! not the reader's: when it is required and cannot be written, the query is refused; when it
//! is not, the reader is warned on every query and the record stays local.

pub mod archive;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

pub use archive::{ArchiveJournal, Policy};

/// The start of a query, as the journal keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Start {
    /// The query's own id (a ULID: sorts by start time).
    pub id: String,
    pub time: String,
    /// The operating system's account that ran it (from the user id, not `$USER`).
    pub user: String,
    /// Who the store's credentials say the caller is (an access key id, a service account).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identity: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    pub archive: String,
    pub sql: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// `query`, or `parameter default` for a report parameter's default evaluated as SQL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The saved report the query is, when it is one run as such (`trailscope report run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<JournaledReport>,
    /// The query saw secrets revealed (`--reveal`, or the workbench started with it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revealed: bool,
    /// Where the query ran when not in the journaling process: `ballista://HOST:PORT`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub engine: String,
}

/// The saved report a query is: its name and, for a user's report, the file it was read from,
/// so that the archive's owners see which SQL a report of a familiar name really was.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JournaledReport {
    pub name: String,
    /// The user's file; `None` for a built-in report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The user's file replaces the built-in report of the same name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replaces_builtin: bool,
}

impl JournaledReport {
    pub fn of(report: &crate::engine::reports::Report) -> Self {
        JournaledReport {
            name: report.name.clone(),
            file: report.file.as_ref().map(|f| f.display().to_string()),
            replaces_builtin: report.replaces_builtin,
        }
    }
}

/// The end of a query.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct End {
    pub id: String,
    pub ended: String,
    pub rows: u64,
    /// `completed`, `cancelled` (the result was dropped before its end), `interrupted: …`,
    /// `refused: …` or `failed: …`.
    pub outcome: String,
}

/// A query as the journal tells it: its start, and its end when one was recorded (none: the
/// process was killed while it ran).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JournalEntry {
    #[serde(flatten)]
    pub start: Start,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<End>,
}

impl JournalEntry {
    pub fn outcome(&self) -> &str {
        self.end.as_ref().map_or(
            "no end recorded (the process was killed, or lost its connection)",
            |e| e.outcome.as_str(),
        )
    }

    pub fn rows(&self) -> u64 {
        self.end.as_ref().map_or(0, |e| e.rows)
    }
}

/// One line of the local journal file.
#[derive(Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "lowercase")]
enum Line {
    Start(Start),
    End(End),
}

/// Where a warning about the journal goes (standard error on the command line, the status bar
/// in the workbench): a reader must know when a query was not recorded where it should be.
pub type Notices = Arc<dyn Fn(String) + Send + Sync>;

/// Where queries are recorded: the archive's journal and the user's own file.
#[derive(Clone)]
pub struct Journal {
    local: Option<PathBuf>,
    archive: Option<ArchiveJournal>,
    /// Shared by the journal's clones, so that the workbench can take them over.
    notices: Arc<Mutex<Notices>>,
    /// Records being written in the background, awaited by [`Journal::flush`] before the
    /// process ends.
    pending: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("local", &self.local)
            .field("archive", &self.archive.is_some())
            .finish()
    }
}

/// Why a query did not run: its record in the archive is required and could not be written.
#[derive(Debug)]
pub struct NotRecorded(pub String);

impl Journal {
    /// A journal in the local file `local` only (none: nothing recorded locally).
    pub fn local(local: Option<PathBuf>) -> Self {
        Journal {
            local,
            archive: None,
            notices: Arc::new(Mutex::new(Arc::new(|_| {}))),
            pending: Arc::default(),
        }
    }

    /// The same journal, recording in the archive too.
    pub fn with_archive(mut self, archive: ArchiveJournal) -> Self {
        self.archive = Some(archive);
        self
    }

    /// The same journal, sending its warnings to `notices`.
    pub fn with_notices(self, notices: Notices) -> Self {
        self.set_notices(notices);
        self
    }

    /// Sends this journal's warnings (and its clones') to `notices` from now on.
    pub fn set_notices(&self, notices: Notices) {
        *self.notices.lock().expect("not poisoned") = notices;
    }

    fn say(&self, message: String) {
        let notices = self.notices.lock().expect("not poisoned").clone();
        notices(message);
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

    pub fn local_path(&self) -> Option<&Path> {
        self.local.as_deref()
    }

    pub fn archive(&self) -> Option<&ArchiveJournal> {
        self.archive.as_ref()
    }

    /// Records a query's start, in the archive before the query may return a row when the
    /// archive's owners require it; otherwise in the background (the first row does not wait).
    pub async fn start(&self, start: &Start) -> Result<(), NotRecorded> {
        self.append_local(&Line::Start(start.clone()));
        let Some(archive) = &self.archive else { return Ok(()) };
        if archive.policy().required {
            return archive.put_start(start).await.map_err(|why| {
                NotRecorded(format!(
                    "the archive's owners require every query to be recorded in its journal ({}/_journal/), and this one could not be: {why}",
                    archive.display()
                ))
            });
        }
        let (archive, start, journal) = (archive.clone(), start.clone(), self.clone());
        self.track(async move {
            if let Err(why) = archive.put_start(&start).await {
                journal.say(format!(
                    "this query is recorded in your local journal only: the archive's journal ({}/_journal/) could not be written ({why})",
                    archive.display()
                ));
            }
        });
        Ok(())
    }

    /// Records a query's end (in the background; [`Journal::flush`] waits for it).
    pub fn end(&self, end: End) {
        self.append_local(&Line::End(end.clone()));
        if let Some(archive) = self.archive.clone() {
            let journal = self.clone();
            self.track(async move {
                if let Err(why) = archive.put_end(&end).await {
                    journal.say(format!(
                        "the end of a query could not be recorded in the archive's journal: {why}"
                    ));
                }
            });
        }
    }

    /// Waits (up to 10 s) for the records being written: before the process ends. Returns how
    /// many were still being written then.
    pub async fn flush(&self) -> usize {
        let handles: Vec<_> = std::mem::take(&mut *self.pending.lock().expect("not poisoned"));
        let total = handles.len();
        let mut done = 0;
        let waited = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            for handle in handles {
                let _ = handle.await;
                done += 1;
            }
        })
        .await;
        if waited.is_ok() { 0 } else { total - done }
    }

    fn track(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let handle = runtime.spawn(work);
                let mut pending = self.pending.lock().expect("not poisoned");
                pending.retain(|h| !h.is_finished());
                pending.push(handle);
            }
            Err(_) => self.say("a journal record could not be written: no runtime to write it on".into()),
        }
    }

    /// Appends one line (a single write, so concurrent runs do not interleave); a failure is
    /// said, on every query, never silent.
    fn append_local(&self, line: &Line) {
        let Some(path) = &self.local else { return };
        let mut text = serde_json::to_string(line).expect("journal lines serialise");
        text.push('\n');
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| OpenOptions::new().create(true).append(true).open(path))
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            self.say(format!(
                "the query could not be recorded in your local journal {}: {e}",
                path.display()
            ));
        }
    }
}

/// The entries of a local journal file, in the order their queries started. Lines that cannot
/// be read are skipped; a line of an older trailscope (one per query, at its end) reads whole.
pub fn read_local(path: &Path) -> std::io::Result<Vec<JournalEntry>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut starts: Vec<Start> = Vec::new();
    let mut ends: BTreeMap<String, End> = BTreeMap::new();
    let mut whole: Vec<JournalEntry> = Vec::new();
    for line in text.lines() {
        if let Ok(line) = serde_json::from_str::<Line>(line) {
            match line {
                Line::Start(s) => starts.push(s),
                Line::End(e) => {
                    ends.insert(e.id.clone(), e);
                }
            }
        } else if let Ok(old) = serde_json::from_str::<OldEntry>(line) {
            whole.push(old.into());
        }
    }
    let mut entries: Vec<JournalEntry> = starts
        .into_iter()
        .map(|start| {
            let end = ends.remove(&start.id);
            JournalEntry { start, end }
        })
        .chain(whole)
        .collect();
    sort(&mut entries);
    Ok(entries)
}

/// Entries in the order their queries started.
pub fn sort(entries: &mut [JournalEntry]) {
    entries.sort_by_key(|e| chrono::DateTime::parse_from_rfc3339(&e.start.time).ok());
}

/// A line of the journal as trailscope wrote it before queries had two records.
#[derive(Deserialize)]
struct OldEntry {
    time: String,
    user: String,
    archive: String,
    sql: String,
    #[serde(default)]
    params: BTreeMap<String, String>,
    rows: u64,
    outcome: String,
    #[serde(default)]
    revealed: bool,
}

impl From<OldEntry> for JournalEntry {
    fn from(old: OldEntry) -> Self {
        JournalEntry {
            start: Start {
                id: String::new(),
                time: old.time.clone(),
                user: old.user,
                identity: String::new(),
                host: String::new(),
                archive: old.archive,
                sql: old.sql,
                params: old.params,
                kind: String::new(),
                report: None,
                revealed: old.revealed,
                engine: String::new(),
            },
            end: Some(End {
                id: String::new(),
                ended: old.time,
                rows: old.rows,
                outcome: old.outcome,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(id: &str, time: &str, sql: &str) -> Start {
        Start {
            id: id.into(),
            time: time.into(),
            user: "ana".into(),
            identity: String::new(),
            host: String::new(),
            archive: "/a".into(),
            sql: sql.into(),
            params: BTreeMap::new(),
            kind: "query".into(),
            report: None,
            revealed: false,
            engine: String::new(),
        }
    }

    #[tokio::test]
    async fn entries_pair_starts_with_ends_and_come_in_the_order_their_queries_started() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let journal = Journal::local(Some(path.clone()));
        journal
            .start(&start("2", "2026-11-27T10:00:02.5+00:00", "short"))
            .await
            .unwrap();
        journal
            .start(&start("1", "2026-11-27T10:00:01+00:00", "long"))
            .await
            .unwrap();
        journal
            .start(&start("3", "2026-11-27T10:00:03+00:00", "killed"))
            .await
            .unwrap();
        for id in ["2", "1"] {
            journal.end(End {
                id: id.into(),
                ended: "2026-11-27T10:00:04+00:00".into(),
                rows: 7,
                outcome: "completed".into(),
            });
        }
        // A line an older trailscope wrote reads whole.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"time\":\"2026-11-27T09:00:00+00:00\",\"user\":\"bo\",\"archive\":\"/a\",\"sql\":\"old\",\"rows\":1,\"outcome\":\"completed\"}\n")
            .unwrap();
        let entries = read_local(&path).unwrap();
        let sql: Vec<&str> = entries.iter().map(|e| e.start.sql.as_str()).collect();
        assert_eq!(sql, ["old", "long", "short", "killed"]);
        assert_eq!(entries[1].rows(), 7);
        assert!(entries[3].outcome().starts_with("no end recorded"), "{entries:?}");
    }

    #[tokio::test]
    async fn a_local_journal_that_cannot_be_written_is_said_on_every_query() {
        let said = Arc::new(Mutex::new(Vec::new()));
        let sink = said.clone();
        let journal = Journal::local(Some(PathBuf::from("/proc/no-such-dir/journal.jsonl")))
            .with_notices(Arc::new(move |m| sink.lock().unwrap().push(m)));
        for _ in 0..2 {
            journal
                .start(&start("1", "2026-11-27T10:00:00+00:00", "q"))
                .await
                .unwrap();
        }
        let said = said.lock().unwrap();
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(
            said[0].contains("could not be recorded in your local journal"),
            "{said:?}"
        );
    }
}
