//! Events → one Parquet file's bytes, laid out for the questions asked of an audit archive:
//! sorted by time (row-group statistics on `event_time` prune time windows), zstd, page index,
//! and bloom filters on the columns looked up by exact value.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{ArrayRef, BooleanBuilder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder, UInt32Builder};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::ArchiveError;
use super::file_index::{FileSummary, Summarizer};
use super::schema::{BLOOM_COLUMNS, file_schema};
use crate::sources::Event;

/// Rows per row group: large enough for good compression, small enough that a needle query
/// skips most of a file.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// The row-group size in use: [`ROW_GROUP_ROWS`] unless a test asks for smaller ones.
static ROW_GROUP_ROWS_IN_USE: AtomicUsize = AtomicUsize::new(ROW_GROUP_ROWS);

/// For tests only: row groups of `rows` rows, so that a fixture of a few hundred events spans
/// several row groups (and row-group pruning can be seen). Applies to the whole process.
#[doc(hidden)]
pub fn set_row_group_rows_for_tests(rows: usize) {
    ROW_GROUP_ROWS_IN_USE.store(rows.max(1), Ordering::Relaxed);
}

fn row_group_rows() -> usize {
    ROW_GROUP_ROWS_IN_USE.load(Ordering::Relaxed)
}

/// A file's bytes and its entry in the file index.
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub summary: FileSummary,
}

/// Encodes `events` (sorted here by time, then id) as the complete Parquet file `file` (its path
/// relative to the archive root, which names it in errors and in the file index).
pub fn encode(events: &mut [Event], file: &str) -> Result<Encoded, ArchiveError> {
    events.sort_by(|a, b| {
        a.event_time
            .cmp(&b.event_time)
            .then_with(|| a.event_id.cmp(&b.event_id))
    });
    let schema = file_schema();
    let mut out = Vec::new();
    let encode_err = |source| ArchiveError::Encode {
        partition: file.to_string(),
        source,
    };
    let mut summary = Summarizer::new(file, events.len());
    let mut writer =
        ArrowWriter::try_new(&mut out, schema.clone(), Some(properties(events.len()))).map_err(encode_err)?;
    for chunk in events.chunks(row_group_rows()) {
        let batch = RecordBatch::try_new(schema.clone(), columns(chunk))?;
        summary.add(&batch)?;
        writer.write(&batch).map_err(encode_err)?;
    }
    writer.close().map_err(encode_err)?;
    Ok(Encoded {
        bytes: out,
        summary: summary.finish(),
    })
}

/// Rows already sorted by time (compaction's output) as the complete Parquet file `file`.
pub fn encode_sorted(batch: &RecordBatch, file: &str) -> Result<Encoded, ArchiveError> {
    let encode_err = |source| ArchiveError::Encode {
        partition: file.to_string(),
        source,
    };
    let mut out = Vec::new();
    let mut summary = Summarizer::new(file, batch.num_rows());
    summary.add(batch)?;
    let mut writer =
        ArrowWriter::try_new(&mut out, file_schema(), Some(properties(batch.num_rows()))).map_err(encode_err)?;
    let step = row_group_rows();
    let mut offset = 0;
    while offset < batch.num_rows() {
        let len = step.min(batch.num_rows() - offset);
        writer.write(&batch.slice(offset, len)).map_err(encode_err)?;
        // One row group per slice, whatever the writer's buffering.
        writer.flush().map_err(encode_err)?;
        offset += len;
    }
    writer.close().map_err(encode_err)?;
    Ok(Encoded {
        bytes: out,
        summary: summary.finish(),
    })
}

fn properties(rows: usize) -> WriterProperties {
    let event_time = file_schema().index_of("event_time").expect("event_time is a column") as i32;
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("3 is a valid zstd level"),
        ))
        .set_max_row_group_row_count(Some(row_group_rows()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_sorting_columns(Some(vec![SortingColumn {
            column_idx: event_time,
            descending: false,
            nulls_first: false,
        }]));
    // The filter is sized for the rows written and folded down to fit the distinct values.
    let ndv = rows.clamp(1, row_group_rows()) as u64;
    for name in BLOOM_COLUMNS {
        let column = ColumnPath::from(name);
        props = props
            .set_column_bloom_filter_enabled(column.clone(), true)
            .set_column_bloom_filter_fpp(column.clone(), 0.01)
            .set_column_bloom_filter_max_ndv(column, ndv);
    }
    // The raw record is read whole or not at all: no statistics, no dictionary.
    let raw = ColumnPath::from("raw");
    props = props
        .set_column_statistics_enabled(raw.clone(), EnabledStatistics::None)
        .set_column_dictionary_enabled(raw, false);
    props.build()
}

/// The columns of `events` in the files' order (partition columns left out).
pub fn columns(events: &[Event]) -> Vec<ArrayRef> {
    let n = events.len();
    let text = |f: &dyn Fn(&Event) -> Option<&str>| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, n * 16);
        for e in events {
            b.append_option(f(e));
        }
        Arc::new(b.finish())
    };
    let mut time = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut read_only = BooleanBuilder::with_capacity(n);
    let mut index = UInt32Builder::with_capacity(n);
    for e in events {
        time.append_value(e.event_time);
        read_only.append_option(e.read_only);
        index.append_value(e.source_index);
    }
    // The order follows `schema::COLUMNS` (partition columns left out).
    vec![
        Arc::new(time.finish()),
        text(&|e| Some(&e.event_id)),
        text(&|e| e.region.as_deref()),
        text(&|e| Some(&e.principal)),
        text(&|e| e.principal_type.as_deref()),
        text(&|e| e.session_issuer.as_deref()),
        text(&|e| e.source_identity.as_deref()),
        text(&|e| e.assumed_principal.as_deref()),
        text(&|e| e.access_key_id.as_deref()),
        text(&|e| e.source_ip.as_deref()),
        text(&|e| e.user_agent.as_deref()),
        text(&|e| Some(&e.service)),
        text(&|e| Some(e.category)),
        text(&|e| Some(&e.action)),
        text(&|e| e.resource.as_deref()),
        text(&|e| e.resource_type.as_deref()),
        text(&|e| Some(e.outcome.as_str())),
        text(&|e| e.error_code.as_deref()),
        text(&|e| e.error_message.as_deref()),
        Arc::new(read_only.finish()),
        text(&|e| e.request_id.as_deref()),
        text(&|e| Some(&e.source_object)),
        Arc::new(index.finish()),
        text(&|e| e.sealed_id.as_deref()),
        text(&|e| Some(&e.raw)),
    ]
}
