//! Where results go: the terminal (sized to it) or a file written atomically.

use std::io::{IsTerminal, Write};

use super::Failure;
use super::args::OutputArgs;
use crate::engine::export::Provenance;
use crate::engine::output::{self, AtomicFile};
use crate::engine::{Format, ResultStream};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;

/// The format asked for, else the one `--output`'s extension names, else a table.
pub fn format(args: &OutputArgs) -> Result<Format, Failure> {
    if let Some(f) = args.format {
        return Ok(f.into());
    }
    let named = match &args.output {
        Some(path) => Format::named_by(path).map_err(|e| Failure::usage(format!("{e}, or give --format")))?,
        None => None,
    };
    // A file named without a format would hold a table nobody asked for; a device or pipe
    // (`/dev/null`, `/dev/stdout`) takes the table a terminal would show.
    if let Some(path) = &args.output
        && named.is_none()
        && !std::fs::metadata(path).is_ok_and(|m| !m.is_file())
    {
        return Err(Failure::usage(format!(
            "{} names no format: end it in .csv, .jsonl, .parquet or .txt (a table), or give --format",
            path.display()
        )));
    }
    Ok(named.unwrap_or(Format::Table))
}

/// The width a table is fitted to: the terminal's; `$COLUMNS` when set; else (a pipe, a file)
/// no limit, since a cell cut short there is a value lost to the next program or reader.
pub fn width() -> usize {
    if std::io::stdout().is_terminal()
        && let Ok((w, _)) = crossterm::terminal::size()
    {
        return w as usize;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(usize::MAX)
}

/// Writes one result where the user asked; returns the rows written. A file written with
/// `--output` gets `provenance` beside it (where its rows came from), as the workbench's export
/// does. A reader that goes away (`| head -1`) ends the query, recorded as interrupted.
pub async fn emit(stream: ResultStream, args: &OutputArgs, provenance: Provenance) -> Result<u64, Failure> {
    let mut stream = stream;
    let rows = match emit_from(&mut stream, args, provenance).await {
        Ok(rows) => rows,
        Err(failure) if failure.code == super::exit::CLOSED_PIPE => {
            stream.interrupt("the output was closed");
            return Err(failure);
        }
        Err(failure) => return Err(failure),
    };
    if args.verbose {
        if let Some(facts) = stream.facts() {
            crate::note!("facts: {facts}");
        }
        let cluster = stream.cluster().map(|c| c.scheduler.to_string());
        match (stream.pruning(), &cluster) {
            (_, Some(cluster)) => crate::note!(
                "pruning: not known here: the query's scans ran on the cluster at {cluster}{}",
                stream
                    .cluster_job()
                    .map_or(String::new(), |job| format!(" (job {job})"))
            ),
            (Some(pruning), None) => crate::note!("pruning: {pruning}"),
            (None, None) => crate::note!("pruning: no Parquet file was read"),
        }
        let requests = crate::archive::requests::snapshot();
        if requests.total() > 0 {
            match cluster {
                Some(_) => crate::note!("requests: {requests} from this process (the cluster's are not counted)"),
                None => crate::note!("requests: {requests}"),
            }
        }
    }
    Ok(rows)
}

async fn emit_from(stream: &mut ResultStream, args: &OutputArgs, provenance: Provenance) -> Result<u64, Failure> {
    let schema = datafusion::execution::RecordBatchStream::schema(&*stream);
    write_out(stream, schema, args, provenance).await
}

/// Writes rows made here (not a query's stream) where the user asked, as [`emit`] does.
pub async fn emit_batch(batch: RecordBatch, args: &OutputArgs, provenance: Provenance) -> Result<u64, Failure> {
    let schema = batch.schema();
    let stream = futures::stream::iter(vec![Ok(batch)]);
    write_out(stream, schema, args, provenance).await
}

async fn write_out<S>(stream: S, schema: SchemaRef, args: &OutputArgs, provenance: Provenance) -> Result<u64, Failure>
where
    S: futures::Stream<Item = datafusion::error::Result<RecordBatch>> + Unpin,
{
    let format = format(args)?;
    match &args.output {
        Some(path) => {
            let mut file = AtomicFile::create(path)?;
            let rows = output::write(stream, schema, format, file.writer(), usize::MAX).await?;
            file.commit()?;
            let beside = provenance.write(path, format, rows)?;
            crate::note!(
                "wrote {rows} row{} to {}{}",
                if rows == 1 { "" } else { "s" },
                path.display(),
                beside.map_or(String::new(), |p| format!(
                    ", and where they came from to {}",
                    p.display()
                ))
            );
            Ok(rows)
        }
        None => {
            if format == Format::Parquet && std::io::stdout().is_terminal() {
                return Err(Failure::usage(
                    "Parquet is binary: write it to a file with --output FILE.parquet",
                ));
            }
            // Data to a terminal is shown escaped; to a file or a pipe, byte for byte.
            let stdout = std::io::stdout();
            let terminal = stdout.is_terminal();
            let mut out: Box<dyn Write + Send> = if terminal && format != Format::Table {
                Box::new(crate::terminal_text::TerminalWriter::new(std::io::BufWriter::new(
                    stdout,
                )))
            } else {
                Box::new(std::io::BufWriter::new(stdout))
            };
            let rows = output::write(stream, schema, format, &mut *out, width()).await?;
            out.flush().map_err(|e| match e.kind() {
                std::io::ErrorKind::BrokenPipe => Failure::from(crate::engine::EngineError::OutputClosed),
                _ => Failure::usage(format!("cannot write the result: {e}")),
            })?;
            Ok(rows)
        }
    }
}

/// Prints a query's SQL and bound values to standard error.
pub fn show_sql(query: &crate::engine::Query) {
    crate::note!("-- {}\n{}", query.title, query.sql);
    for (name, value) in &query.params {
        crate::note!("-- ${name} = {}", crate::engine::views::display_value(value));
    }
    crate::note!("");
}
