//! An index object's format: a Parquet file whose first row group holds one entry per file
//! (its time range and filters) and whose later row groups hold the files' facts, a kind of fact
//! to a row group; read by ranges from the store, only the columns and row groups asked for.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, RecordBatch, StringArray, TimestampMicrosecondArray,
    UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType};
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::arrow::{ArrowWriter, ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::bloom_filter::Sbbf;
use parquet::errors::ParquetError;
use parquet::file::metadata::{KeyValue, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::SchemaDescriptor;

use super::{Bloom, Facts, FileSummary, INDEXED, facts};
use crate::archive::ArchiveError;

/// Written into each index object; an object of another version is ignored (not misread).
/// Version 4 adds each file's facts (see `facts`) in row groups after the entries', so a reader
/// of the filters alone never decodes them; a version-3 object (entries only) is still read.
const VERSION_KEY: &str = "trailscope.file_index";
const VERSION: &str = "4";
const READABLE: [&str; 2] = ["3", "4"];
/// How many rows of a version-4 object are entries (the rest are facts).
const ENTRIES_KEY: &str = "trailscope.file_index.entries";

fn bloom_column(name: &str) -> String {
    format!("bloom_{name}")
}

fn index_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("file", DataType::Utf8, false),
        Field::new("rows", DataType::UInt64, false),
        Field::new(
            "min_time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new(
            "max_time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
    ];
    fields.extend(
        INDEXED
            .iter()
            .map(|c| Field::new(bloom_column(c), DataType::Binary, true)),
    );
    fields.push(Field::new("group", DataType::Utf8, true));
    fields.extend(facts::schema().fields().iter().map(|f| f.as_ref().clone()));
    Arc::new(Schema::new(fields))
}

/// Whether an index column is one of the facts' (read only by those who ask for them).
fn is_fact_column(name: &str) -> bool {
    facts::schema().fields().iter().any(|f| f.name() == name)
}

/// An index object's bytes: one row per file.
pub fn encode(summaries: &[FileSummary]) -> Result<Vec<u8>, ArchiveError> {
    let schema = index_schema();
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(summaries.iter().map(|s| s.file.as_str()))),
        Arc::new(UInt64Array::from_iter_values(summaries.iter().map(|s| s.rows))),
        Arc::new(
            TimestampMicrosecondArray::from_iter(summaries.iter().map(|s| s.time.map(|t| t.0))).with_timezone("UTC"),
        ),
        Arc::new(
            TimestampMicrosecondArray::from_iter(summaries.iter().map(|s| s.time.map(|t| t.1))).with_timezone("UTC"),
        ),
    ];
    for i in 0..INDEXED.len() {
        let mut builder = BinaryBuilder::new();
        for s in summaries {
            match &s.blooms[i] {
                Bloom::Filter(bloom) => {
                    let mut bits = Vec::new();
                    bloom.write_bitset(&mut bits).expect("writing to memory cannot fail");
                    builder.append_value(bits);
                }
                Bloom::Empty => builder.append_null(),
                Bloom::NotRead => unreachable!("an entry read in part is never written back"),
            }
        }
        columns.push(Arc::new(builder.finish()));
    }
    columns.push(Arc::new(StringArray::from_iter(
        summaries.iter().map(|s| s.facts.as_ref().map(|f| f.group.as_str())),
    )));
    let fact_fields = facts::schema();
    columns.extend(
        fact_fields
            .fields()
            .iter()
            .map(|f| arrow::array::new_null_array(f.data_type(), summaries.len())),
    );
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    let encode_err = |source| ArchiveError::Encode {
        partition: "the file index".into(),
        source,
    };
    // Filters are random bits: compressing or dictionary-encoding them gains nothing. The facts
    // are text and counts, repeated: dictionaries and zstd make them small.
    let mut props = WriterProperties::builder()
        .set_dictionary_enabled(false)
        .set_key_value_metadata(Some(vec![
            KeyValue::new(VERSION_KEY.into(), VERSION.to_string()),
            KeyValue::new(ENTRIES_KEY.into(), summaries.len().to_string()),
        ]));
    for name in ["file", "group"]
        .into_iter()
        .chain(fact_fields.fields().iter().map(|f| f.name().as_str()))
    {
        let path = parquet::schema::types::ColumnPath::from(name);
        props = props
            .set_column_dictionary_enabled(path.clone(), true)
            .set_column_compression(
                path,
                parquet::basic::Compression::ZSTD(parquet::basic::ZstdLevel::try_new(3).expect("3 is a zstd level")),
            );
    }
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), Some(props.build())).map_err(encode_err)?;
    writer.write(&batch).map_err(encode_err)?;
    // The facts start a row group of their own, a kind of fact to a row group: a reader of the
    // entries skips them whole, and a view reads only the kinds it counts.
    writer.flush().map_err(encode_err)?;
    for kind in facts::KINDS {
        let mut written = false;
        for s in summaries {
            let Some(f) = &s.facts else { continue };
            let kinds = f.rows.column(0).as_string::<i32>();
            let this: arrow::array::BooleanArray = kinds.iter().map(|k| Some(k == Some(kind))).collect();
            if this.true_count() == 0 {
                continue;
            }
            let rows = arrow::compute::filter_record_batch(&f.rows, &this)?;
            let n = rows.num_rows();
            let mut columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from_iter_values(std::iter::repeat_n(s.file.as_str(), n))),
                Arc::new(UInt64Array::from_iter_values(std::iter::repeat_n(0, n))),
            ];
            columns.extend(
                schema.fields()[2..4 + INDEXED.len() + 1]
                    .iter()
                    .map(|f| arrow::array::new_null_array(f.data_type(), n)),
            );
            columns.extend(rows.columns().iter().cloned());
            writer
                .write(&RecordBatch::try_new(schema.clone(), columns)?)
                .map_err(encode_err)?;
            written = true;
        }
        if written {
            writer.flush().map_err(encode_err)?;
        }
    }
    writer.close().map_err(encode_err)?;
    Ok(out)
}

fn metadata_value<'a>(metadata: &'a ParquetMetaData, key: &str) -> Option<&'a str> {
    metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == key))
        .and_then(|k| k.value.as_deref())
}

/// Whether an index object's metadata says it is one this version understands.
fn understood(metadata: &ParquetMetaData) -> bool {
    metadata_value(metadata, VERSION_KEY).is_some_and(|v| READABLE.contains(&v))
}

/// The row groups to read: the entries', and those of the kinds of facts wanted (a row group of
/// facts holds one kind, its `fact` column's statistics say which; one without them is read).
fn row_groups(metadata: &ParquetMetaData, facts: &[&str]) -> Vec<usize> {
    let all = 0..metadata.num_row_groups();
    let Some(entries) = metadata_value(metadata, ENTRIES_KEY).and_then(|n| n.parse::<i64>().ok()) else {
        return all.collect();
    };
    let fact = metadata
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.name() == "fact");
    let kind_of = |i: usize| -> Option<String> {
        let stats = metadata.row_group(i).column(fact?).statistics()?;
        let (min, max) = (stats.min_bytes_opt()?, stats.max_bytes_opt()?);
        (min == max).then(|| String::from_utf8_lossy(min).into_owned())
    };
    let mut rows = 0;
    all.filter(|&i| {
        let before = rows;
        rows += metadata.row_group(i).num_rows();
        before < entries || !facts.is_empty() && kind_of(i).is_none_or(|k| facts.contains(&k.as_str()))
    })
    .collect()
}

/// What to read of an index object: the filters of the `INDEXED` columns numbered in
/// `columns`, and the kinds of facts in `facts` (none: no facts).
#[derive(Clone, Debug)]
pub(super) struct Reading {
    pub columns: Vec<usize>,
    pub facts: &'static [&'static str],
}

/// The index object's columns to read: all but the filters not asked for, and the facts when
/// asked for.
fn projection(schema: &Schema, parquet: &SchemaDescriptor, reading: &Reading) -> ProjectionMask {
    let wanted = schema.fields().iter().enumerate().filter(|(_, f)| {
        let name = f.name();
        if name.starts_with("bloom_") {
            reading
                .columns
                .iter()
                .any(|c| INDEXED.get(*c).is_some_and(|column| *name == bloom_column(column)))
        } else {
            // `fact` tells a fact's row from an entry's, should both be read.
            !reading.facts.is_empty() || name == "fact" || !is_fact_column(name)
        }
    });
    ProjectionMask::roots(parquet, wanted.map(|(i, _)| i))
}

/// The entries in an index object's rows, each with its facts when they were read.
fn entries(batches: &[RecordBatch], reading: &Reading) -> Option<Vec<FileSummary>> {
    let mut out = Vec::new();
    let mut groups: Vec<Option<String>> = Vec::new();
    let mut slices: HashMap<String, Vec<RecordBatch>> = HashMap::new();
    let fact_schema = facts::schema();
    for batch in batches {
        let files = batch.column_by_name("file")?.as_string_opt::<i32>()?;
        let rows = batch
            .column_by_name("rows")?
            .as_primitive_opt::<arrow::datatypes::UInt64Type>()?;
        let min = batch
            .column_by_name("min_time")?
            .as_primitive_opt::<TimestampMicrosecondType>()?;
        let max = batch
            .column_by_name("max_time")?
            .as_primitive_opt::<TimestampMicrosecondType>()?;
        let group = batch.column_by_name("group").and_then(|c| c.as_string_opt::<i32>());
        let fact = batch.column_by_name("fact").and_then(|c| c.as_string_opt::<i32>());
        let is_fact = |i: usize| fact.is_some_and(|f| f.is_valid(i));
        let blooms: Vec<Option<&BinaryArray>> = INDEXED
            .iter()
            .enumerate()
            .map(|(i, c)| match reading.columns.contains(&i) {
                true => batch.column_by_name(&bloom_column(c))?.as_binary_opt::<i32>().map(Some),
                false => Some(None),
            })
            .collect::<Option<_>>()?;
        let mut i = 0;
        while i < batch.num_rows() {
            if is_fact(i) {
                // A file's facts are contiguous rows.
                let (start, file) = (i, files.value(i));
                while i < batch.num_rows() && is_fact(i) && files.value(i) == file {
                    i += 1;
                }
                if !reading.facts.is_empty() {
                    let columns = fact_schema
                        .fields()
                        .iter()
                        .map(|f| batch.column_by_name(f.name()).map(|c| c.slice(start, i - start)))
                        .collect::<Option<Vec<_>>>()?;
                    let slice = RecordBatch::try_new(fact_schema.clone(), columns).ok()?;
                    slices.entry(file.to_string()).or_default().push(slice);
                }
                continue;
            }
            let time = (min.is_valid(i) && max.is_valid(i)).then(|| (min.value(i), max.value(i)));
            out.push(FileSummary {
                file: files.value(i).to_string(),
                rows: rows.value(i),
                time,
                blooms: blooms
                    .iter()
                    .map(|b| match b {
                        None => Bloom::NotRead,
                        // A filter is whole 32-byte blocks; a damaged one (checking it would
                        // panic on no block) rules nothing out.
                        Some(b) if b.is_valid(i) && b.value(i).len() < 32 => Bloom::NotRead,
                        Some(b) if b.is_valid(i) => Bloom::Filter(Sbbf::new(b.value(i))),
                        Some(_) => Bloom::Empty,
                    })
                    .collect(),
                facts: None,
            });
            groups.push(group.filter(|g| g.is_valid(i)).map(|g| g.value(i).to_string()));
            i += 1;
        }
    }
    if !reading.facts.is_empty() {
        for (entry, group) in out.iter_mut().zip(groups) {
            // An entry without a group was written before facts were kept.
            let Some(group) = group else { continue };
            let parts = slices.remove(&entry.file).unwrap_or_default();
            let rows = arrow::compute::concat_batches(&fact_schema, &parts).ok()?;
            entry.facts = Some(Facts { group, rows });
        }
    }
    Some(out)
}

/// Reads an index object held in memory: its entries (with the filters of the `INDEXED`
/// columns numbered in `columns`), or `None` when it is not one this version understands.
pub fn decode(bytes: Bytes, columns: &[usize], facts: &'static [&'static str]) -> Option<Vec<FileSummary>> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).ok()?;
    if !understood(builder.metadata()) {
        return None;
    }
    let reading = Reading {
        columns: columns.to_vec(),
        facts,
    };
    let mask = projection(builder.schema(), builder.parquet_schema(), &reading);
    let groups = row_groups(builder.metadata(), facts);
    let batches: Vec<RecordBatch> = builder
        .with_projection(mask)
        .with_row_groups(groups)
        .build()
        .ok()?
        .collect::<Result<_, _>>()
        .ok()?;
    entries(&batches, &reading)
}

/// An index object in the store, read by ranges: its footer, then only the columns asked for (a
/// needle for one principal reads a tenth of an object that is mostly event-id filters).
struct StoreObject {
    store: Arc<dyn ObjectStore>,
    meta: ObjectMeta,
}

impl AsyncFileReader for StoreObject {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            self.store
                .get_range(&self.meta.location, range)
                .await
                .map_err(|e| ParquetError::External(Box::new(e)))
        }
        .boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            self.store
                .get_ranges(&self.meta.location, &ranges)
                .await
                .map_err(|e| ParquetError::External(Box::new(e)))
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.meta.size;
            // The footer and the small columns before it, in one read for most objects.
            let metadata = ParquetMetaDataReader::new()
                .with_prefetch_hint(Some(64 * 1024))
                .load_and_finish(&mut *self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

/// Reads an index object from the store; `None` when it is gone (merged away since it was
/// listed), unreadable, or not one this version understands: its files are then unindexed.
pub(super) async fn read_object(
    store: Arc<dyn ObjectStore>,
    meta: ObjectMeta,
    reading: Arc<Reading>,
) -> Option<Vec<FileSummary>> {
    let builder = ParquetRecordBatchStreamBuilder::new(StoreObject { store, meta })
        .await
        .ok()?;
    if !understood(builder.metadata()) {
        return None;
    }
    let mask = projection(builder.schema(), builder.parquet_schema(), &reading);
    let groups = row_groups(builder.metadata(), reading.facts);
    let batches: Vec<RecordBatch> = builder
        .with_projection(mask)
        .with_row_groups(groups)
        .build()
        .ok()?
        .try_collect()
        .await
        .ok()?;
    entries(&batches, &reading)
}
