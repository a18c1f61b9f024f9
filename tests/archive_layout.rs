//! The archive is plain, standard Parquet laid out for audit questions: partitioned by the
//! event's own day, cloud and tenant; each file time-sorted, zstd-compressed, with statistics,
//! page index and bloom filters on the identity columns.

mod common;

use std::fs::File;
use std::path::Path;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::TimestampMicrosecondType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::serialized_reader::ReadOptionsBuilder;

fn parts(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(parts(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn each_part_file_is_complete_time_sorted_compressed_indexed_and_in_its_events_own_partition() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let mut args = vec!["ingest".to_string(), "--archive".into(), archive.display().to_string()];
    args.extend(
        ["aws", "gcp", "azure"]
            .iter()
            .map(|d| common::fixture(d).display().to_string()),
    );
    let out = common::trailscope(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));

    let files = parts(&archive.join("events"));
    assert!(files.len() >= 8, "one file per day, cloud and tenant: {files:?}");
    let mut rows_seen = 0;
    for file in &files {
        let relative = file
            .strip_prefix(archive.join("events"))
            .unwrap()
            .to_string_lossy()
            .to_string();
        let segments: Vec<&str> = relative.split('/').collect();
        assert_eq!(segments.len(), 4, "{relative}");
        assert!(
            segments[0].starts_with("date=") && segments[1].starts_with("cloud=") && segments[2].starts_with("tenant="),
            "{relative}"
        );
        let name = segments[3];
        assert!(
            name.starts_with("part-") && name.ends_with(".parquet") && name.len() == "part-.parquet".len() + 26,
            "no temporary or partial file is left: {name}"
        );
        let day = &segments[0]["date=".len()..];

        let reader = SerializedFileReader::new_with_options(
            File::open(file).unwrap(),
            ReadOptionsBuilder::new().with_page_index().build(),
        )
        .unwrap();
        let meta = reader.metadata();
        let schema = meta.file_metadata().schema_descr();
        let columns: Vec<&str> = schema.columns().iter().map(|c| c.name()).collect();
        for partition in ["date", "cloud", "tenant"] {
            assert!(
                !columns.contains(&partition),
                "{partition} is in the path, not the file"
            );
        }
        assert!(
            meta.column_index().is_some() && meta.offset_index().is_some(),
            "page index written"
        );
        for rg in meta.row_groups() {
            for (i, col) in rg.columns().iter().enumerate() {
                let name = columns[i];
                assert!(matches!(col.compression(), Compression::ZSTD(_)), "{name} is zstd");
                let bloom = ["event_id", "principal", "resource", "access_key_id", "source_ip"].contains(&name);
                assert_eq!(
                    col.bloom_filter_offset().is_some(),
                    bloom,
                    "bloom filter on {name}: {bloom}"
                );
                if name == "event_time" {
                    assert!(
                        col.statistics().is_some_and(|s| s.min_bytes_opt().is_some()),
                        "event_time has statistics"
                    );
                }
            }
        }

        let batches: Vec<_> = ParquetRecordBatchReaderBuilder::try_new(File::open(file).unwrap())
            .unwrap()
            .build()
            .unwrap()
            .collect();
        let mut last = i64::MIN;
        for batch in batches {
            let batch = batch.unwrap();
            let times = batch
                .column_by_name("event_time")
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>();
            for i in 0..times.len() {
                let t = times.value(i);
                assert!(t >= last, "rows are sorted by event_time in {relative}");
                last = t;
                let utc = chrono::DateTime::from_timestamp_micros(t)
                    .unwrap()
                    .format("%Y-%m-%d")
                    .to_string();
                assert_eq!(utc, day, "the partition is the event's own UTC day");
            }
            rows_seen += batch.num_rows();
        }
    }
    assert_eq!(rows_seen, 25);
}
