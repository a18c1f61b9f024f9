//! A whole result written to a file, with a provenance file beside it that says where the rows
//! came from: the SQL, its bound values, the time window, the archive and when. An auditor who
//! finds the CSV a year later can run the same question again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use serde::Serialize;

use super::output::{self, AtomicFile};
use super::reports::Report;
use super::views::display_value;
use super::{EngineError, Format, Query, Session, TimeWindow};

/// Where a written result came from, kept beside it as `FILE.provenance.json`: the SQL, its
/// bound values, the window, the report it ran (and the file that report was read from), the
/// archive, who and when. The workbench's export and the command line's `--output` write the
/// same record.
#[derive(Debug, Serialize)]
pub struct Provenance {
    file: String,
    format: &'static str,
    rows: u64,
    exported_at: String,
    archive: String,
    window_from: Option<String>,
    window_to: Option<String>,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<ReportOrigin>,
    sql: String,
    params: Vec<(String, String)>,
    secrets_masked: bool,
    user: String,
}

/// Which saved report a result is of, and where that report was read from.
#[derive(Debug, Serialize)]
struct ReportOrigin {
    name: String,
    /// `built-in NAME.sql`, or the user's file.
    origin: String,
    /// The user's file replaces the built-in report of the same name.
    replaces_builtin: bool,
}

impl Provenance {
    /// The origin of `query`'s result, run by `session` over `window` (`None`: the query is not
    /// narrowed to one by trailscope, as typed SQL is not).
    pub fn of(session: &Session, query: &Query, window: Option<&TimeWindow>) -> Self {
        Provenance {
            file: String::new(),
            format: "",
            rows: 0,
            exported_at: String::new(),
            archive: session.location().display.clone(),
            window_from: window.map(|w| super::window::format_time(w.from)),
            window_to: window.map(|w| super::window::format_time(w.to)),
            title: query.title.clone(),
            report: None,
            sql: query.sql.clone(),
            params: query
                .params
                .iter()
                .map(|(n, v)| (n.clone(), display_value(v)))
                .collect(),
            secrets_masked: session.redacts(),
            user: crate::identity::local_user(),
        }
    }

    /// The query is `report`'s.
    pub fn of_report(mut self, report: &Report) -> Self {
        self.report = Some(ReportOrigin {
            name: report.name.clone(),
            origin: report.origin.clone(),
            replaces_builtin: report.replaces_builtin,
        });
        self
    }

    /// Writes the provenance of `rows` rows just written to `path` in `format`, beside it, and
    /// returns where. A device or pipe (`/dev/null`) keeps nothing to trace: none is written
    /// beside it.
    pub fn write(mut self, path: &Path, format: Format, rows: u64) -> Result<Option<PathBuf>, EngineError> {
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            return Ok(None);
        }
        self.file = path.display().to_string();
        self.format = match format {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json lines",
            Format::Parquet => "parquet",
        };
        self.rows = rows;
        self.exported_at = super::window::format_time(chrono::Utc::now().timestamp_micros());
        let target = provenance_path(path);
        let mut file = AtomicFile::create(&target)?;
        serde_json::to_writer_pretty(file.writer(), &self).map_err(|e| EngineError::Output {
            path: target.display().to_string(),
            message: e.to_string(),
        })?;
        file.commit()?;
        Ok(Some(target))
    }
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
    Provenance::of(session, query, window).write(path, format, n)?;
    Ok(n)
}
