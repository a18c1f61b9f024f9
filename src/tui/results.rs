//! A query's result as the workbench holds it: the first rows only (a window onto the
//! stream), as display text, with whether more rows were left unread.

use datafusion::arrow::array::RecordBatch;
use futures::StreamExt;

use crate::engine::output::cells;
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
        let room = limit - set.rows.len();
        if batch.num_rows() > room {
            set.rows.extend(cells(&batch.slice(0, room))?);
            set.more = true;
            return Ok(set);
        }
        set.rows.extend(cells(&batch)?);
    }
    Ok(set)
}
