use std::process::ExitCode;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::TryStreamExt;

use super::args::{OutputArgs, PrincipalSection, ResourceSection, View, WindowArgs};
use super::{Context, Failure, print};
use crate::engine::export::Provenance;
use crate::engine::window::{DAY, format_time, parse_duration};
use crate::engine::{EngineError, Format, Query, Scope, Session, Subject, TimeSpec, TimeWindow, views};

pub async fn run(cx: &Context, view: View) -> Result<ExitCode, Failure> {
    match view {
        View::Timeline { bucket, window, output } => {
            let session = cx.session(output.reveal).await?;
            let scope = scope(cx, &session, &window).await?;
            let query = match bucket {
                Some(b) => match b.parse::<TimeSpec>()? {
                    TimeSpec::At(t) => {
                        // Buckets start on whole multiples of their width, as the timeline prints them.
                        let width = scope.window.bucket();
                        let start = t.div_euclid(width.micros) * width.micros;
                        let (from, to) = (format_time(start), format_time(start + width.micros));
                        if start + width.micros <= scope.window.from || start >= scope.window.to {
                            return Err(Failure::usage(format!(
                                "the bucket {from} – {to} is outside the window: give --from/--to around it"
                            )));
                        }
                        match start == t {
                            true => crate::note!("bucket: {from} – {to}"),
                            false => crate::note!(
                                "bucket: {from} – {to} (the {} bucket that holds {})",
                                width.label(),
                                format_time(t)
                            ),
                        }
                        views::bucket_events(&scope, start)
                    }
                    _ => {
                        return Err(Failure::usage(
                            "--bucket takes the bucket's start time, as printed in the timeline",
                        ));
                    }
                },
                None => views::timeline(&scope),
            };
            whole_window(&session, &scope, &query, false, &output, window.show_sql).await
        }
        View::Principals { window, output } => {
            let session = cx.session(output.reveal).await?;
            let scope = scope(cx, &session, &window).await?;
            whole_window(
                &session,
                &scope,
                &views::principals(&scope),
                true,
                &output,
                window.show_sql,
            )
            .await
        }
        View::Resources { window, output } => {
            let session = cx.session(output.reveal).await?;
            let scope = scope(cx, &session, &window).await?;
            whole_window(
                &session,
                &scope,
                &views::resources(&scope),
                true,
                &output,
                window.show_sql,
            )
            .await
        }
        View::Principal {
            id,
            section,
            window,
            output,
        } => {
            let session = cx.session(output.reveal).await?;
            let scope = scope(cx, &session, &window).await?;
            let principal = resolve(&session, &scope, Subject::Principal, &id, window.show_sql).await?;
            crate::note!("principal: {principal}");
            let view = views::principal(&scope, &principal);
            let chosen = section.map(|s| match s {
                PrincipalSection::Activity => &view.activity,
                PrincipalSection::Resources => &view.resources,
                PrincipalSection::Sources => &view.sources,
                PrincipalSection::Failures => &view.failures,
                PrincipalSection::Events => &view.events,
            });
            // Without --section a table shows the summary sections; the event list is its own.
            several(&session, &scope, &view.summaries(), chosen, &output, window.show_sql).await
        }
        View::Resource {
            id,
            section,
            window,
            output,
        } => {
            let session = cx.session(output.reveal).await?;
            let scope = scope(cx, &session, &window).await?;
            let resource = resolve(&session, &scope, Subject::Resource, &id, window.show_sql).await?;
            crate::note!("resource: {resource}");
            let view = views::resource(&scope, &resource);
            let chosen = section.map(|s| match s {
                ResourceSection::Changes => &view.changes,
                ResourceSection::Principals => &view.principals,
                ResourceSection::Activity => &view.activity,
                ResourceSection::Events => &view.events,
            });
            several(&session, &scope, &view.summaries(), chosen, &output, window.show_sql).await
        }
        View::Event { id, output, show_sql } => {
            let session = cx.session(output.reveal).await?;
            let query = views::event(&id);
            if show_sql {
                print::show_sql(&query);
            }
            if print::format(&output)? != Format::Table || output.output.is_some() {
                // An event is found whatever its time: no window is recorded.
                let provenance = Provenance::of(&session, &query, None);
                let rows = print::emit(session.run(&query).await?, &output, provenance).await?;
                return if rows == 0 {
                    Err(Failure::usage(format!("no event has the id '{id}'")))
                } else {
                    Ok(ExitCode::SUCCESS)
                };
            }
            let batches: Vec<RecordBatch> = session
                .run(&query)
                .await?
                .try_collect()
                .await
                .map_err(EngineError::from_datafusion)?;
            let shown = print_records(&batches)?;
            if shown == 0 {
                return Err(Failure::usage(format!("no event has the id '{id}'")));
            }
            if shown > 1 {
                crate::note!(
                    "{shown} records have this id: those of the same cloud, tenant and time are copies of one event \
                     delivered more than once (counted once in every view; `trailscope compact` keeps the copy \
                     ingested first)"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The window and filter of a view, said aloud on standard error.
pub(super) async fn scope(cx: &Context, session: &Session, args: &WindowArgs) -> Result<Scope, Failure> {
    let from = args.from.as_deref().map(str::parse::<TimeSpec>).transpose()?;
    let to = args.to.as_deref().map(str::parse::<TimeSpec>).transpose()?;
    let span = match cx.config.window.as_deref() {
        Some(w) => parse_duration(w)
            .ok_or_else(|| Failure::usage(format!("the config file's window '{w}' is not a span like 7d or 24h")))?,
        None => 7 * DAY,
    };
    let end = session.archive_end().await?;
    let mut window = TimeWindow::resolve(from, to, end, span)?;
    // A window counted back from the newest event can hold a sliver of an archive whose data
    // began long before: say where it begins, so that few rows are not taken for all there is.
    let counted_back = to.is_none() && matches!(from, None | Some(TimeSpec::Before(_)));
    if counted_back
        && end.is_some()
        && let Some(first) = session.first_day().await?
        && first < window.days().0
    {
        window.chosen.push_str(&format!(", which begins on {first}"));
    }
    crate::note!("window: {}", window.describe());
    let scope = Scope::new(window);
    Ok(match &args.filter {
        Some(f) => scope.with_filter(f)?,
        None => scope,
    })
}

/// The one value of `subject` that `name` stands for, or a list of the candidates.
async fn resolve(
    session: &Session,
    scope: &Scope,
    subject: Subject,
    name: &str,
    show_sql: bool,
) -> Result<String, Failure> {
    let query = views::candidates(scope, subject, name);
    if show_sql {
        print::show_sql(&query);
    }
    let batches: Vec<RecordBatch> = session
        .run(&query)
        .await?
        .try_collect()
        .await
        .map_err(EngineError::from_datafusion)?;
    let mut found: Vec<(String, i64)> = Vec::new();
    for b in &batches {
        let names = datafusion::arrow::compute::cast(b.column(0), &datafusion::arrow::datatypes::DataType::Utf8)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let names = names.as_string::<i32>();
        let counts = b.column(1).as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        for i in 0..b.num_rows() {
            found.push((names.value(i).to_string(), counts.value(i)));
        }
    }
    let what = subject.column();
    if let Some((exact, _)) = found.iter().find(|(c, _)| c == name) {
        return Ok(exact.clone());
    }
    match found.len() {
        1 => Ok(found.remove(0).0),
        0 => Err(Failure::usage(format!(
            "no {what} matches '{name}' in the window {}: check the name, or widen the window with --from",
            scope.window.describe()
        ))),
        n => {
            let list: Vec<String> = found
                .iter()
                .map(|(c, e)| format!("  {c}  ({e} event{})", if *e == 1 { "" } else { "s" }))
                .collect();
            Err(Failure::usage(format!(
                "'{name}' matches {n} {what}s{}; name one of them:\n{}",
                if n >= 50 { " or more" } else { "" },
                list.join("\n")
            )))
        }
    }
}

async fn one(
    session: &Session,
    scope: &Scope,
    query: &Query,
    output: &OutputArgs,
    show_sql: bool,
) -> Result<ExitCode, Failure> {
    if show_sql {
        print::show_sql(query);
    }
    let provenance = Provenance::of(session, query, Some(&scope.window));
    print::emit(session.run(query).await?, output, provenance).await?;
    Ok(ExitCode::SUCCESS)
}

/// A view of the whole window: when it finds nothing, where the archive's events are; when it
/// is `capped` (the busiest principals or resources) and full, that there may be more.
async fn whole_window(
    session: &Session,
    scope: &Scope,
    query: &Query,
    capped: bool,
    output: &OutputArgs,
    show_sql: bool,
) -> Result<ExitCode, Failure> {
    if show_sql {
        print::show_sql(query);
    }
    let provenance = Provenance::of(session, query, Some(&scope.window));
    let rows = print::emit(session.run(query).await?, output, provenance).await?;
    if capped && rows == views::BUSIEST as u64 {
        crate::note!(
            "{}: the window may hold more; narrow it (--from/--to) or add --where to see them",
            query.title
        );
    }
    if rows == 0
        && let Some(end) = session.archive_end().await?
    {
        let newest = format_time(end);
        if scope.window.from > end {
            crate::note!(
                "no events in the window: it starts after the archive's newest event ({newest}); choose another with --from/--to"
            );
        } else if scope.is_filtered() {
            crate::note!("no events in the window match the --where condition");
        } else {
            crate::note!(
                "no events in the window: the archive's newest event is at {newest}; choose another with --from/--to"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A view of several sections: one chosen, or (as tables) its summaries. A file holds one
/// section (with its provenance beside it): several are shown on the terminal only.
async fn several(
    session: &Session,
    scope: &Scope,
    summaries: &[&Query],
    chosen: Option<&Query>,
    output: &OutputArgs,
    show_sql: bool,
) -> Result<ExitCode, Failure> {
    if let Some(query) = chosen {
        return one(session, scope, query, output, show_sql).await;
    }
    if print::format(output)? != Format::Table || output.output.is_some() {
        return Err(Failure::usage(
            "this view has several parts: choose one with --section to write it as csv, json or parquet, or to a file \
             (all of them as tables: without --output, redirected to a file)",
        ));
    }
    for (i, query) in summaries.iter().enumerate() {
        if i > 0 {
            crate::say!("");
        }
        crate::say!("── {} ──", query.title);
        one(session, scope, query, output, show_sql).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// An event as `column  value` lines, then its original record pretty-printed.
fn print_records(batches: &[RecordBatch]) -> Result<usize, Failure> {
    let options = FormatOptions::default().with_null("");
    let mut shown = 0;
    for batch in batches {
        let schema = batch.schema();
        let width = schema.fields().iter().map(|f| f.name().len()).max().unwrap_or(0);
        let formatters: Vec<ArrayFormatter<'_>> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<_, _>>()
            .map_err(|e| Failure::usage(e.to_string()))?;
        for row in 0..batch.num_rows() {
            if shown > 0 {
                crate::say!("");
            }
            let mut raw = None;
            for (field, f) in schema.fields().iter().zip(&formatters) {
                let value = crate::engine::output::printable(&f.value(row).to_string());
                if field.name() == "raw" {
                    raw = Some(value);
                } else {
                    crate::say!("{:width$}  {value}", field.name());
                }
            }
            if let Some(raw) = raw {
                crate::say!("raw\n{}", crate::engine::pretty::pretty_json(&raw));
            }
            shown += 1;
        }
    }
    Ok(shown)
}
