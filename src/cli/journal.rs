use std::process::ExitCode;

use super::args::JournalArgs;
use super::{Context, Failure};
use crate::archive::Location;
use crate::engine::journal::{self, ArchiveJournal, Journal, JournalEntry};

pub async fn run(cx: &Context, args: JournalArgs) -> Result<ExitCode, Failure> {
    for day in [&args.from, &args.to].into_iter().flatten() {
        if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() {
            return Err(Failure::usage(format!("'{day}' is not a day: write it as YYYY-MM-DD")));
        }
    }
    if args.require || args.optional {
        let location = Location::open(cx.archive_to_write()?, &cx.store)?;
        let policy = journal::archive::write_policy(&location, args.require).await?;
        crate::say!(
            "{}: {}",
            location.display,
            if policy.required {
                "every query must now be recorded in the archive's journal; readers who cannot write _journal/ are refused"
            } else {
                "queries whose entry cannot be written to the archive's journal run, with a warning, and are recorded locally"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (entries, source) = if args.local {
        let Some(path) = Journal::default_path() else {
            return Err(Failure::usage(
                "there is no home folder to keep the journal in (set TRAILSCOPE_STATE_DIR)",
            ));
        };
        let entries = journal::read_local(&path)
            .map_err(|e| Failure::usage(format!("cannot read the journal {}: {e}", path.display())))?;
        (entries, path.display().to_string())
    } else {
        let location = Location::open(&cx.archive_to_read().await?, &cx.store)?;
        let journal = ArchiveJournal::open(&location).await?;
        let entries = journal.entries(args.from.as_deref(), args.to.as_deref()).await?;
        (entries, format!("{}/_journal/", location.display))
    };
    let day = |e: &JournalEntry| e.start.time.get(..10).unwrap_or("").to_string();
    let mut entries: Vec<JournalEntry> = entries
        .into_iter()
        .filter(|e| args.from.as_ref().is_none_or(|f| day(e) >= *f))
        .filter(|e| args.to.as_ref().is_none_or(|t| day(e) <= *t))
        .filter(|e| {
            args.user
                .as_ref()
                .is_none_or(|u| e.start.user == *u || e.start.identity.contains(u.as_str()))
        })
        .collect();
    if let Some(n) = args.last {
        entries.drain(..entries.len().saturating_sub(n));
    }
    if entries.is_empty() {
        crate::note!("no query is recorded in {source} for what was asked");
    }
    for entry in &entries {
        if args.json {
            super::out::data(&serde_json::to_string(entry).expect("journal entries serialise"));
            continue;
        }
        // Each field on its line: a field that holds a line break (anyone's to write into the
        // journal) must not make a line of its own.
        let one = |t: &str| crate::terminal_text::escape(t).into_owned();
        let s = &entry.start;
        let plural = if entry.rows() == 1 { "" } else { "s" };
        let mut notes = Vec::new();
        if s.revealed {
            notes.push("secrets revealed".to_string());
        }
        if !s.engine.is_empty() {
            notes.push(format!("ran on {}", one(&s.engine)));
        }
        if s.kind == "parameter default" {
            notes.push("a report parameter's default".to_string());
        }
        if let Some(report) = &s.report {
            notes.push(match (&report.file, report.replaces_builtin) {
                (None, _) => format!("report {}", one(&report.name)),
                (Some(file), false) => format!("report {} from {}", one(&report.name), one(file)),
                (Some(file), true) => format!(
                    "report {} from {}, which replaces the built-in report of this name",
                    one(&report.name),
                    one(file)
                ),
            });
        }
        let who = match (s.identity.is_empty(), s.host.is_empty()) {
            (true, _) => one(&s.user),
            (false, true) => format!("{} ({})", one(&s.user), one(&s.identity)),
            (false, false) => format!("{} ({}) on {}", one(&s.user), one(&s.identity), one(&s.host)),
        };
        crate::say!(
            "{}  {who}  {}  {} row{plural}  {}{}",
            one(&s.time),
            one(&s.archive),
            entry.rows(),
            one(entry.outcome()),
            if notes.is_empty() {
                String::new()
            } else {
                format!("  {}", notes.join(", "))
            }
        );
        for line in s.sql.lines() {
            crate::say!("    {line}");
        }
        if !s.params.is_empty() {
            let params: Vec<String> = s
                .params
                .iter()
                .map(|(k, v)| format!("${}={}", one(k), one(v)))
                .collect();
            crate::say!("    -- {}", params.join("  "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
