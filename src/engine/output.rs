//! Result streams written as CSV, JSON lines or a text table, batch by batch.

use std::io::Write;

use datafusion::arrow::array::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;

use super::EngineError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable table (for a terminal).
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Json,
}

/// Writes the whole stream to `out`; returns the number of rows written.
pub async fn write(
    mut stream: SendableRecordBatchStream,
    format: Format,
    mut out: &mut dyn Write,
) -> Result<u64, EngineError> {
    let io = |e: std::io::Error| EngineError::Output {
        path: "the output".into(),
        message: e.to_string(),
    };
    let arrow = |e: datafusion::arrow::error::ArrowError| EngineError::Execution(e.to_string());
    let mut rows = 0u64;
    match format {
        Format::Csv => {
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(EngineError::from_datafusion)?;
                rows += batch.num_rows() as u64;
                writer.write(&batch).map_err(arrow)?;
            }
        }
        Format::Json => {
            let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(&mut out);
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(EngineError::from_datafusion)?;
                rows += batch.num_rows() as u64;
                writer.write(&batch).map_err(arrow)?;
            }
            writer.finish().map_err(arrow)?;
        }
        Format::Table => {
            let schema = stream.schema();
            let mut batches: Vec<RecordBatch> = Vec::new();
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(EngineError::from_datafusion)?;
                rows += batch.num_rows() as u64;
                batches.push(batch);
            }
            if batches.is_empty() {
                batches.push(RecordBatch::new_empty(schema));
            }
            let table = datafusion::arrow::util::pretty::pretty_format_batches(&batches).map_err(arrow)?;
            writeln!(out, "{table}").map_err(io)?;
            writeln!(out, "{rows} row{}", if rows == 1 { "" } else { "s" }).map_err(io)?;
        }
    }
    out.flush().map_err(io)?;
    Ok(rows)
}
