//! A whole result written to a file, with a provenance file beside it that says where the rows
//! came from: the SQL, its bound values, the time window, the archive and when. An auditor who
//! finds the CSV a year later can run the same question again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use serde::Serialize;

use super::output::{self, AtomicFile};
use super::views::display_value;
use super::{EngineError, Format, Query, Session, TimeWindow};

/// What the provenance file holds.
#[derive(Debug, Serialize)]
struct Provenance<'a> {
    file: String,
    format: &'a str,
    rows: u64,
    exported_at: String,
    archive: &'a str,
    window_from: Option<String>,
    window_to: Option<String>,
    title: &'a str,
    sql: &'a str,
    params: Vec<(String, String)>,
    secrets_masked: bool,
    user: String,
}

/// The provenance file written beside `path`.
pub fn provenance_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".provenance.json");
    path.with_file_name(name)
}

/// The format a file name asks for (see `Format::named_by`); CSV when it names none.
pub fn format_of(path: &Path) -> Result<Format, EngineError> {
    Ok(Format::named_by(path)?.unwrap_or(Format::Csv))
}

/// Runs `query` and streams all of its rows into `path` (atomically: a failed or cancelled export
/// leaves no file), then writes the provenance file. `rows` counts rows as they are written.
pub async fn export(
    session: &Session,
    query: &Query,
    window: Option<&TimeWindow>,
    path: &Path,
    rows: Arc<AtomicU64>,
) -> Result<u64, EngineError> {
    let format = format_of(path)?;
    let stream = session.run(query).await?;
    let schema = datafusion::execution::RecordBatchStream::schema(&stream);
    let counted = stream.inspect(|batch| {
        if let Ok(b) = batch {
            rows.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
        }
    });
    let mut file = AtomicFile::create(path)?;
    let n = output::write(Box::pin(counted), schema, format, file.writer(), usize::MAX).await?;
    file.commit()?;
    let provenance = Provenance {
        file: path.display().to_string(),
        format: match format {
            Format::Json => "json lines",
            Format::Parquet => "parquet",
            _ => "csv",
        },
        rows: n,
        exported_at: super::window::format_time(chrono::Utc::now().timestamp_micros()),
        archive: &session.location().display,
        window_from: window.map(|w| super::window::format_time(w.from)),
        window_to: window.map(|w| super::window::format_time(w.to)),
        title: &query.title,
        sql: &query.sql,
        params: query
            .params
            .iter()
            .map(|(n, v)| (n.clone(), display_value(v)))
            .collect(),
        secrets_masked: session.redacts(),
        user: crate::identity::local_user(),
    };
    let target = provenance_path(path);
    let mut file = AtomicFile::create(&target)?;
    serde_json::to_writer_pretty(file.writer(), &provenance).map_err(|e| EngineError::Output {
        path: target.display().to_string(),
        message: e.to_string(),
    })?;
    file.commit()?;
    Ok(n)
}
