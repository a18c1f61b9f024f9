use std::process::ExitCode;

use super::args::ReportCommand;
use super::{Context, Failure, print};
use crate::engine::EngineError;
use crate::engine::export::Provenance;
use crate::engine::reports::{ParamError, Report, ReportLibrary};

/// The built-in reports plus those of the config file's report folders.
pub fn library(cx: &Context) -> ReportLibrary {
    let mut library = ReportLibrary::builtin();
    for dir in &cx.config.report_dirs {
        for problem in library.add_dir(dir) {
            crate::note!("trailscope: {problem}");
        }
    }
    library
}

fn find<'a>(library: &'a ReportLibrary, name: &str) -> Result<&'a Report, Failure> {
    library.get(name).ok_or_else(|| {
        let like = library.like(name);
        let hint = if like.is_empty() {
            "`trailscope report list` shows them all".to_string()
        } else {
            format!("did you mean {}?", like.join(", "))
        };
        Failure::usage(format!("there is no report named '{name}': {hint}"))
    })
}

pub async fn run(cx: &Context, command: ReportCommand) -> Result<ExitCode, Failure> {
    let library = library(cx);
    match command {
        ReportCommand::List => {
            let width = library.all().map(|r| r.name.len()).max().unwrap_or(0);
            for r in library.all() {
                crate::say!("{:width$}  {}{}", r.name, r.title, whence(r));
            }
        }
        ReportCommand::Show { name } => {
            let r = find(&library, &name)?;
            crate::say!("{} — {}{}\n", r.name, r.title, whence(r));
            crate::say!("{}\n", r.description);
            if !r.params.is_empty() {
                crate::say!("Parameters (--param NAME=VALUE):");
                for p in &r.params {
                    let default = p
                        .default
                        .as_deref()
                        .map(|d| format!(" (default: {d})"))
                        .unwrap_or_else(|| " (required)".into());
                    let about = if p.description.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", p.description)
                    };
                    crate::say!("  {} {}{default}{about}", p.name, p.kind.name());
                }
                crate::say!("");
            }
            crate::say!("{}", r.sql);
            crate::say!("\n-- from {}", r.origin);
        }
        ReportCommand::Run {
            name,
            mut params,
            from,
            to,
            show_sql,
            output,
        } => {
            let report = find(&library, &name)?;
            // Said first: a user's report may not even take the built-in report's parameters.
            if let Some(replacement) = report.replacement() {
                crate::note!("note: {replacement}");
            }
            let (from_given, to_given) = (from.is_some(), to.is_some());
            // --from/--to are the report's window, as for views: its since and until.
            for (flag, param, value) in [("--from", "since", from), ("--to", "until", to)] {
                let Some(value) = value else { continue };
                if !report.params.iter().any(|p| p.name == param) {
                    return Err(Failure::usage(format!(
                        "the report {} has no time window to set with {flag} (no {param} parameter)",
                        report.name
                    )));
                }
                if params.iter().any(|(n, _)| n == param) {
                    return Err(Failure::usage(format!("give {flag} or --param {param}, not both")));
                }
                params.push((param.to_string(), value));
            }
            let session = cx.session(output.reveal).await?;
            for (i, (name, _)) in params.iter().enumerate() {
                if params[..i].iter().any(|(n, _)| n == name) {
                    return Err(Failure::usage(format!("--param {name} is given twice")));
                }
            }
            // The flag that gave a parameter, when it was not --param.
            let flag_of = |param: &str| match param {
                "since" if from_given => Some("--from"),
                "until" if to_given => Some("--to"),
                _ => None,
            };
            let query = report.bind(&session, &params).await.map_err(|e| match e {
                EngineError::Param(p) => Failure::usage(said(&p, flag_of)),
                e => Failure::from(e),
            })?;
            let window = report.window(&query);
            if let Some(w) = &window
                && w.from >= w.to
            {
                return Err(Failure::usage(format!(
                    "the window is empty: since {} is not before until {}",
                    crate::engine::window::format_time(w.from),
                    crate::engine::window::format_time(w.to)
                )));
            }
            let bound: Vec<String> = query
                .params
                .iter()
                .map(|(n, v)| format!("{n} = {}", crate::engine::views::display_value(v)))
                .collect();
            crate::note!(
                "report: {}{}",
                report.name,
                if bound.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", bound.join(", "))
                }
            );
            if show_sql {
                print::show_sql(&query);
            }
            let provenance = Provenance::of(&session, &query, window.as_ref()).of_report(report);
            let rows = print::emit(session.run_report(&query, report).await?, &output, provenance).await?;
            let defaulted_since = query
                .params
                .iter()
                .find(|(n, _)| n == "since" && !params.iter().any(|(given, _)| given == "since"));
            if let (0, Some((_, since))) = (rows, defaulted_since) {
                crate::note!(
                    "no rows since {}, the report's default start: give --param since=2000-01-01 \
                     (or another time) to look further back",
                    crate::engine::views::display_value(since)
                );
            }
            if rows == 0 {
                // The built-in reports compare a principal or resource exactly (an audit must
                // not widen it); the views find one by a part of its name.
                for (name, value) in params.iter().filter(|(n, _)| n == "principal" || n == "resource") {
                    crate::note!(
                        "no rows: if '{value}' is part of a {name} rather than the whole value as in the \
                         events table, `trailscope view {name} '{value}'` finds it by that part"
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What a listing says after a report's title: nothing for a built-in report; for a user's,
/// the file, and whether it replaces the built-in report of its name (an auditor must not take
/// it for that one).
fn whence(r: &Report) -> String {
    match (&r.file, replaces(r)) {
        (_, Some(replaces)) => format!("  ({replaces})"),
        (Some(file), None) => format!("  ({})", file.display()),
        (None, None) => String::new(),
    }
}

/// For a user's report that replaces the built-in report of its name, that it does and from
/// which file, as listings say it.
pub(super) fn replaces(r: &Report) -> Option<String> {
    let file = r.file.as_ref().filter(|_| r.replaces_builtin)?;
    Some(format!(
        "replaces the built-in report of this name, from {}",
        file.display()
    ))
}

/// A report parameter's problem as the command line says it: with the flag that gives the
/// value, `--param NAME=VALUE`, or `flag_of(NAME)` (`--from`) when that gave it.
pub(super) fn said(p: &ParamError, flag_of: impl Fn(&str) -> Option<&'static str>) -> String {
    match p {
        ParamError::Missing { param, .. } => format!("{p}: give it with --param {param}=…"),
        ParamError::Invalid {
            param, value, expected, ..
        } => match flag_of(param) {
            Some(flag) => format!("{flag} {value}: expected {expected}"),
            None => format!("--param {param}={value}: expected {expected}"),
        },
    }
}
