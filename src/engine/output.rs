//! Results written out batch by batch — a readable table, CSV, JSON lines or Parquet — to the
//! terminal or atomically to a file. Nothing here holds a whole result: memory stays flat
//! whatever the number of rows.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::Result as DfResult;
use futures::{Stream, StreamExt};

use super::EngineError;
use crate::text::{self, Column};

/// How a result is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A readable table, sized to a width (columns that do not fit are named under it).
    Table,
    /// Comma-separated values with a header row (cells a spreadsheet would run are neutralised).
    Csv,
    /// One JSON object per line.
    Json,
    /// Apache Parquet (written to a file or a pipe only: it is binary).
    Parquet,
}

impl Format {
    /// The format a file's extension names: `None` without one; an error for one trailscope does
    /// not write (a `.xlsx` given CSV would not open).
    pub fn named_by(path: &Path) -> Result<Option<Format>, EngineError> {
        let Some(ext) = path.extension() else { return Ok(None) };
        match ext.to_string_lossy().to_ascii_lowercase().as_str() {
            "csv" => Ok(Some(Format::Csv)),
            "json" | "jsonl" | "ndjson" => Ok(Some(Format::Json)),
            "parquet" => Ok(Some(Format::Parquet)),
            "txt" => Ok(Some(Format::Table)),
            other => Err(EngineError::Usage(format!(
                "trailscope writes .csv, .jsonl (or .json), .parquet and .txt (a table), not .{other}: \
                 name the file with one of them"
            ))),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Csv => "csv",
            Format::Json => "jsonl",
            Format::Parquet => "parquet",
        }
    }
}

/// A file that appears under its name only once it is complete. A target that exists and is
/// not a regular file (`/dev/null`, a named pipe, `/dev/stdout`) is written in place: renaming
/// over it would replace the device with a file.
pub struct AtomicFile {
    target: PathBuf,
    /// `None` when writing in place.
    temp: Option<PathBuf>,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> Result<Self, EngineError> {
        let err = |e: std::io::Error| EngineError::Output {
            path: target.display().to_string(),
            message: e.to_string(),
        };
        let dir = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(EngineError::Output {
                path: target.display().to_string(),
                message: format!("the folder {} does not exist", dir.display()),
            });
        }
        if std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = std::fs::OpenOptions::new().write(true).open(target).map_err(err)?;
            return Ok(AtomicFile {
                target: target.to_path_buf(),
                temp: None,
                file: Some(BufWriter::new(file)),
            });
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "output".into());
        let temp = dir.join(format!(".{name}.{}.partial", ulid::Ulid::new()));
        let file = File::create(&temp).map_err(err)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp: Some(temp),
            file: Some(BufWriter::new(file)),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.file.as_mut().expect("the file is open until committed")
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> Result<(), EngineError> {
        let err = |e: std::io::Error| EngineError::Output {
            path: self.target.display().to_string(),
            message: e.to_string(),
        };
        let file = self.file.take().expect("committed once");
        let file = file.into_inner().map_err(|e| err(e.into_error()))?;
        match &self.temp {
            Some(temp) => {
                file.sync_all().map_err(err)?;
                std::fs::rename(temp, &self.target).map_err(err)
            }
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let (Some(_), Some(temp)) = (&self.file, &self.temp) {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Writes a whole result stream in `format`; returns the number of rows written.
pub async fn write<S>(
    mut stream: S,
    schema: SchemaRef,
    format: Format,
    out: &mut (dyn Write + Send),
    width: usize,
) -> Result<u64, EngineError>
where
    S: Stream<Item = DfResult<RecordBatch>> + Unpin,
{
    let io = output_error;
    let arrow = |e: datafusion::arrow::error::ArrowError| EngineError::Execution(e.to_string());
    let parquet = |e: parquet::errors::ParquetError| EngineError::Execution(e.to_string());
    let mut rows = 0u64;
    match format {
        Format::Csv => {
            // The header alone, then each batch's rows encoded on a worker thread (formatting
            // times and quoting text is most of an export's work), written in order.
            datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut *out)
                .write(&RecordBatch::new_empty(schema))
                .map_err(arrow)?;
            let mut encoded = stream
                .map(|batch| {
                    tokio::task::spawn_blocking(move || -> Result<(usize, Vec<u8>), EngineError> {
                        let batch = neutralise_formulas(&batch.map_err(EngineError::from_datafusion)?);
                        let mut bytes = Vec::with_capacity(batch.get_array_memory_size());
                        datafusion::arrow::csv::WriterBuilder::new()
                            .with_header(false)
                            .build(&mut bytes)
                            .write(&batch)
                            .map_err(arrow)?;
                        Ok((batch.num_rows(), bytes))
                    })
                })
                .buffered(CSV_WORKERS);
            while let Some(done) = encoded.next().await {
                let (n, bytes) = done.expect("encoding CSV does not panic")?;
                rows += n as u64;
                out.write_all(&bytes).map_err(io)?;
            }
        }
        Format::Json => {
            // Every key on every line, null or not: a reader should not have to guess the columns.
            let mut writer = datafusion::arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, datafusion::arrow::json::writer::LineDelimited>(&mut *out);
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(EngineError::from_datafusion)?;
                rows += batch.num_rows() as u64;
                writer.write(&batch).map_err(arrow)?;
            }
            writer.finish().map_err(arrow)?;
        }
        Format::Parquet => {
            let props = parquet::file::properties::WriterProperties::builder()
                .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
                .build();
            let mut writer = parquet::arrow::ArrowWriter::try_new(&mut *out, schema, Some(props)).map_err(parquet)?;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(EngineError::from_datafusion)?;
                rows += batch.num_rows() as u64;
                writer.write(&batch).map_err(parquet)?;
            }
            writer.close().map_err(parquet)?;
        }
        Format::Table => rows = write_table(stream, schema, out, width).await?,
    }
    out.flush().map_err(io)?;
    Ok(rows)
}

/// An error writing the output: a closed pipe is the reader's choice, said apart.
fn output_error(e: std::io::Error) -> EngineError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        EngineError::OutputClosed
    } else {
        EngineError::Output {
            path: "the output".into(),
            message: e.to_string(),
        }
    }
}

/// Batches encoded as CSV at once: enough to keep both cores of a laptop busy beside the scan.
const CSV_WORKERS: usize = 4;

/// Whether a spreadsheet would run a cell as a formula: it starts, after any leading spaces or
/// line breaks (which spreadsheets skip), with `=`, `@`, a tab or a carriage return, their
/// fullwidth forms (`＝1+1`, which some spreadsheets read as `=`), or with `+` or `-` followed by
/// anything but a number (`-12.5` is a value) or a lower-case identifier (GCP's insertIds,
/// `-ef6q7xe2y19o`, which can be pasted back into trailscope; as a formula it could only name a
/// cell, never call a function). `+A1`, `-A1&A2` and `-2+3+cmd|…` are neutralised.
fn formula_like(s: &str) -> bool {
    let rest = s.trim_start_matches([' ', '\n', '\u{a0}', '\u{3000}']);
    let Some(first) = rest.chars().next() else { return false };
    let indented = rest.len() != s.len();
    match first {
        '=' | '@' | '\t' | '\r' | '\u{ff1d}' | '\u{ff20}' | '\u{ff0b}' | '\u{ff0d}' => true,
        '+' | '-' => {
            let tail = &rest[1..];
            let number =
                tail.parse::<f64>().is_ok() && tail.bytes().all(|b| b.is_ascii_digit() || b".eE+-".contains(&b));
            let identifier = !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            indented || !(number || identifier)
        }
        _ => false,
    }
}

/// CSV cells that a spreadsheet would run as a formula get a leading `'` (OWASP's advice for
/// CSV injection), in every text column whatever its Arrow type.
fn neutralise_formulas(batch: &RecordBatch) -> RecordBatch {
    if batch.num_columns() == 0 {
        return batch.clone();
    }
    let fix = |s: &str| {
        if formula_like(s) {
            format!("'{s}")
        } else {
            s.to_string()
        }
    };
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| -> ArrayRef {
            let text = match c.data_type() {
                DataType::Utf8 => c.clone(),
                DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => {
                    match datafusion::arrow::compute::cast(c, &DataType::Utf8) {
                        Ok(cast) => cast,
                        Err(_) => return c.clone(),
                    }
                }
                _ => return c.clone(),
            };
            if !text.as_string::<i32>().iter().flatten().any(formula_like) {
                return c.clone();
            }
            let fixed: ArrayRef = Arc::new(
                text.as_string::<i32>()
                    .iter()
                    .map(|s| s.map(fix))
                    .collect::<StringArray>(),
            );
            // Back to the column's own type, so the schema stays as it was.
            datafusion::arrow::compute::cast(&fixed, c.data_type()).unwrap_or(fixed)
        })
        .collect();
    RecordBatch::try_new(batch.schema(), columns).expect("the schema is unchanged")
}

/// Rows to look at before choosing column widths.
const SAMPLE_ROWS: usize = 200;

async fn write_table<S>(
    mut stream: S,
    schema: SchemaRef,
    out: &mut (dyn Write + Send),
    width: usize,
) -> Result<u64, EngineError>
where
    S: Stream<Item = DfResult<RecordBatch>> + Unpin,
{
    let io = output_error;
    let headers: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    if headers == ["plan_type", "plan"] {
        return write_plans(stream, out).await;
    }
    let mut sample: Vec<Vec<String>> = Vec::new();
    while sample.len() < SAMPLE_ROWS {
        match stream.next().await {
            Some(batch) => {
                let batch = batch.map_err(EngineError::from_datafusion)?;
                sample.extend(cells(&batch)?);
            }
            None => break,
        }
    }
    // Times, numbers and booleans are never cut: a cut one is no use.
    let fixed: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().is_numeric() || f.data_type().is_temporal() || *f.data_type() == DataType::Boolean)
        .collect();
    let widths = text::fit(&measure(&headers, &sample, &fixed), width, SEPARATOR.chars().count()).widths;
    let numeric: Vec<bool> = schema.fields().iter().map(|f| f.data_type().is_numeric()).collect();
    let line = |cells: &[String], header: bool| -> String {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .zip(&numeric)
            .map(|((c, w), n)| cell(c, *w, *n && !header))
            .collect();
        parts.join(SEPARATOR).trim_end().to_string()
    };
    writeln!(out, "{}", line(&headers, true)).map_err(io)?;
    let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
    writeln!(out, "{}", rule.join(RULE_CROSSING)).map_err(io)?;
    let mut rows = 0u64;
    for row in &sample {
        writeln!(out, "{}", line(row, false)).map_err(io)?;
        rows += 1;
    }
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(EngineError::from_datafusion)?;
        for row in cells(&batch)? {
            writeln!(out, "{}", line(&row, false)).map_err(io)?;
            rows += 1;
        }
    }
    let plural = if rows == 1 { "" } else { "s" };
    if widths.len() < headers.len() {
        writeln!(
            out,
            "({rows} row{plural}; {} of {} columns fit this terminal, not shown: {}; a wider terminal or CSV output shows them)",
            widths.len(),
            headers.len(),
            headers[widths.len()..].join(", ")
        )
        .map_err(io)?;
    } else {
        writeln!(out, "({rows} row{plural})").map_err(io)?;
    }
    Ok(rows)
}

/// `EXPLAIN`'s plans as they are meant to be read: each a tree, one operator per line, under
/// its kind (a table cell would run the tree into one line).
async fn write_plans<S>(mut stream: S, out: &mut (dyn Write + Send)) -> Result<u64, EngineError>
where
    S: Stream<Item = DfResult<RecordBatch>> + Unpin,
{
    let io = output_error;
    let options = FormatOptions::default().with_null("");
    let mut rows = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(EngineError::from_datafusion)?;
        let text = |column: usize| ArrayFormatter::try_new(batch.column(column).as_ref(), &options);
        let (kinds, plans) = text(0)
            .and_then(|k| Ok((k, text(1)?)))
            .map_err(|e| EngineError::Execution(e.to_string()))?;
        for row in 0..batch.num_rows() {
            if rows > 0 {
                writeln!(out).map_err(io)?;
            }
            writeln!(out, "{}:", printable(&kinds.value(row).to_string())).map_err(io)?;
            for line in plans.value(row).to_string().lines() {
                writeln!(out, "  {}", printable(line)).map_err(io)?;
            }
            rows += 1;
        }
    }
    Ok(rows)
}

/// A batch's cells as display text, one line each, safe for a terminal.
pub fn cells(batch: &RecordBatch) -> Result<Vec<Vec<String>>, EngineError> {
    let options = FormatOptions::default().with_null("");
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| EngineError::Execution(e.to_string()))?;
    Ok((0..batch.num_rows())
        .map(|row| {
            formatters
                .iter()
                .map(|f| printable(&f.value(row).to_string()))
                .collect()
        })
        .collect())
}

/// A cell's text as a terminal may show it (see `terminal_text`): a log field may carry escape
/// sequences (an attacker's user agent that retitles the window or clears the screen).
pub fn printable(text: &str) -> String {
    crate::terminal_text::escape(text).into_owned()
}

/// Between two cells of a row, and where the rule under the header crosses it.
const SEPARATOR: &str = " │ ";
const RULE_CROSSING: &str = "─┼─";

/// The table's columns as [`text::fit`] weighs them, measured on the rows looked at. A column is
/// empty only when there were rows to look at: with none, every header shows whole.
fn measure<'a>(headers: &'a [String], sample: &[Vec<String>], fixed: &[bool]) -> Vec<Column<'a>> {
    headers
        .iter()
        .enumerate()
        .map(|(i, name)| Column {
            name,
            natural: sample
                .iter()
                .map(|r| r[i].chars().count())
                .chain([name.chars().count()])
                .max()
                .unwrap_or(0),
            fixed: fixed[i],
            empty: !sample.is_empty() && sample.iter().all(|r| r[i].is_empty()),
            wanted: false,
        })
        .collect()
}

/// The cell cut to `width` characters (see [`text::cut`]) and padded to it, numbers to the right.
fn cell(text: &str, width: usize, right: bool) -> String {
    let shown = text::cut(text, width);
    let fill = " ".repeat(width - shown.chars().count());
    if right {
        format!("{fill}{shown}")
    } else {
        format!("{shown}{fill}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The widths of a table's leading columns that fit `total`, as `write_table` chooses them.
    fn widths(headers: &[String], sample: &[Vec<String>], fixed: &[bool], total: usize) -> Vec<usize> {
        text::fit(&measure(headers, sample, fixed), total, SEPARATOR.chars().count()).widths
    }

    #[test]
    fn a_table_fits_the_width_and_cut_cells_say_so() {
        let headers = vec!["principal".to_string(), "events".to_string()];
        let sample = vec![vec![
            "arn:aws:sts::111122223333:assumed-role/DeployRole/ci-deployer".to_string(),
            "12".to_string(),
        ]];
        let widths = widths(&headers, &sample, &[false, true], 40);
        assert!(widths.iter().sum::<usize>() + 3 <= 40);
        assert_eq!(widths[1], 6);
        let cut = cell(&sample[0][0], widths[0], false);
        assert_eq!(cut.chars().count(), widths[0]);
        assert!(
            cut.contains("111122223333") && cut.ends_with("/ci-deployer") && cut.contains('…'),
            "an ARN keeps its account and its name: {cut}"
        );
        assert_eq!(cell("12", 6, true), "    12");
        assert_eq!(
            cell("is not authorized to perform this action", 20, false),
            "is not authorized t…"
        );
    }

    #[test]
    fn columns_that_cannot_fit_are_left_out_rather_than_wrapped() {
        let headers: Vec<String> = ["event_time", "principal", "action", "source_ip", "event_id"]
            .map(String::from)
            .to_vec();
        let sample = vec![
            [
                "2026-10-30T22:20:45.123456Z",
                "arn:aws:iam::356789012345:user/ci-deployer",
                "DescribeOrganization",
                "203.0.113.66",
                "54be3fe7-a0ac-404f-9eb6-ac360adfca2e",
            ]
            .map(String::from)
            .to_vec(),
        ];
        let fixed = [true, false, false, false, false];
        let all = widths(&headers, &sample, &fixed, 200);
        assert_eq!(all, [27, 42, 20, 12, 36], "a wide terminal shows every column whole");
        let narrow = widths(&headers, &sample, &fixed, 80);
        assert!(narrow.len() < 5 && narrow.len() >= 3, "{narrow:?}");
        assert!(
            narrow.iter().sum::<usize>() + 3 * (narrow.len() - 1) <= 80,
            "{narrow:?}"
        );
        assert_eq!(narrow[0], 27, "a time is never cut");
    }

    #[tokio::test]
    async fn an_empty_column_shrinks_to_a_mark_and_counts_stay_right_aligned() {
        use datafusion::arrow::array::Int64Array;
        use datafusion::arrow::datatypes::{Field, Schema};
        let schema = Arc::new(Schema::new(vec![
            Field::new("principal", DataType::Utf8, true),
            Field::new("source_identity", DataType::Utf8, true),
            Field::new("events", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![
                    "arn:aws:sts::210987654321:assumed-role/DeployAdmin/ci-deployer-8841",
                    "ci-deployer@acme-ci-build.iam.gserviceaccount.com",
                ])),
                Arc::new(StringArray::from(vec![None::<&str>, None])),
                Arc::new(Int64Array::from(vec![1234, 7])),
            ],
        )
        .unwrap();
        let mut out = Vec::new();
        let stream = futures::stream::iter([Ok(batch)]);
        let rows = write(stream, schema, Format::Table, &mut out, 60).await.unwrap();
        assert_eq!(rows, 2);
        let table = String::from_utf8(out).unwrap();
        assert_eq!(
            table,
            [
                "principal                                     │ so… │ events",
                "──────────────────────────────────────────────┼─────┼───────",
                "…210987654321:…e/DeployAdmin/ci-deployer-8841 │     │   1234",
                "ci-deployer@acme-ci-build.iam.gserviceaccoun… │     │      7",
                "(2 rows)",
            ]
            .map(|l| format!("{l}\n"))
            .concat()
        );
    }

    #[test]
    fn escape_sequences_in_log_fields_never_reach_the_terminal() {
        assert_eq!(
            printable("\u{1b}]0;pwned\u{7}\u{1b}[2Jcurl\tx\ny"),
            "\\x1b]0;pwned\\x07\\x1b[2Jcurl\\tx\\ny"
        );
    }

    #[test]
    fn spreadsheet_formulas_are_neutralised_in_csv_cells() {
        let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(vec![
            datafusion::arrow::datatypes::Field::new("v", DataType::Utf8, true),
        ]));
        let values = StringArray::from(vec![
            Some("=HYPERLINK(\"x\")"),
            Some("-2+3+cmd|' /C calc'!A0"),
            Some("-ef6q7"),
            Some("@SUM(A1)"),
            Some("  =1+1"),
            Some("-A1&A2"),
            Some("+A1"),
            Some("＝1+1"),
            Some("-12.5"),
            Some("plain"),
            None,
        ]);
        let batch = RecordBatch::try_new(schema, vec![Arc::new(values)]).unwrap();
        let fixed = neutralise_formulas(&batch);
        let v: Vec<Option<&str>> = fixed.column(0).as_string::<i32>().iter().collect();
        let expected = [
            Some("'=HYPERLINK(\"x\")"),
            Some("'-2+3+cmd|' /C calc'!A0"),
            Some("-ef6q7"),
            Some("'@SUM(A1)"),
            Some("'  =1+1"),
            Some("'-A1&A2"),
            Some("'+A1"),
            Some("'＝1+1"),
            Some("-12.5"),
            Some("plain"),
            None,
        ];
        assert_eq!(v, expected, "a number or an id that starts with - is left alone");
        // Every text type, not only Utf8.
        for data_type in [DataType::LargeUtf8, DataType::Utf8View] {
            let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(vec![
                datafusion::arrow::datatypes::Field::new("v", data_type.clone(), true),
            ]));
            let column =
                datafusion::arrow::compute::cast(&(Arc::new(StringArray::from(vec!["=1+1"])) as ArrayRef), &data_type)
                    .unwrap();
            let fixed = neutralise_formulas(&RecordBatch::try_new(schema, vec![column]).unwrap());
            let back = datafusion::arrow::compute::cast(fixed.column(0), &DataType::Utf8).unwrap();
            assert_eq!(back.as_string::<i32>().value(0), "'=1+1", "{data_type}");
        }
    }
}
