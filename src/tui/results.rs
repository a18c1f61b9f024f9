//! A query's result as the workbench holds it: the first rows only (a window onto the
//! stream), as display text, with whether more rows were left unread.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::StreamExt;

use crate::engine::output::printable;
use crate::engine::{EngineError, ResultStream};

/// How many rows a screen keeps of a result: enough to scroll, never the whole result.
pub const WINDOW_ROWS: usize = 5_000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultSet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The stream had more rows than the window holds; they were not read.
    pub more: bool,
}

impl ResultSet {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// Reads the first `limit` rows of a stream and drops the rest unread.
pub async fn read(mut stream: ResultStream, limit: usize) -> Result<ResultSet, EngineError> {
    let schema = datafusion::execution::RecordBatchStream::schema(&stream);
    let mut set = ResultSet {
        columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
        ..Default::default()
    };
    while let Some(batch) = stream.next().await {
        let batch: RecordBatch = batch.map_err(EngineError::from_datafusion)?;
        let options = FormatOptions::default().with_null("");
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Execution(e.to_string()))?;
        for row in 0..batch.num_rows() {
            if set.rows.len() == limit {
                set.more = true;
                return Ok(set);
            }
            set.rows.push(
                formatters
                    .iter()
                    .map(|f| printable(&f.value(row).to_string()))
                    .collect(),
            );
        }
    }
    Ok(set)
}
