use std::process::ExitCode;

use super::Failure;
use super::args::JournalArgs;
use crate::engine::journal::Journal;

pub fn run(args: JournalArgs) -> Result<ExitCode, Failure> {
    let Some(path) = Journal::default_path() else {
        return Err(Failure::usage(
            "there is no home folder to keep the journal in (set TRAILSCOPE_STATE_DIR)",
        ));
    };
    let journal = Journal::at(path);
    let entries = journal
        .entries()
        .map_err(|e| Failure::usage(format!("cannot read the journal {}: {e}", journal.path().display())))?;
    let skip = args.last.map_or(0, |n| entries.len().saturating_sub(n));
    if entries.is_empty() {
        eprintln!(
            "the journal {} is empty: no query has been run yet",
            journal.path().display()
        );
    }
    for entry in &entries[skip..] {
        if args.json {
            println!("{}", serde_json::to_string(entry).expect("journal entries serialise"));
        } else {
            let params: Vec<String> = entry.params.iter().map(|(k, v)| format!("${k}={v}")).collect();
            let plural = if entry.rows == 1 { "" } else { "s" };
            let revealed = if entry.revealed { "  secrets revealed" } else { "" };
            println!(
                "{}  {}  {}  {} row{plural}  {}{revealed}",
                entry.time, entry.user, entry.archive, entry.rows, entry.outcome
            );
            for line in entry.sql.lines() {
                println!("    {line}");
            }
            if !params.is_empty() {
                println!("    -- {}", params.join("  "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
