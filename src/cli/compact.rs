use std::process::ExitCode;
use std::time::Instant;

use indicatif::ProgressBar;

use super::args::CompactArgs;
use super::{Context, Failure};
use crate::archive::{CompactOptions, CompactProgress, CompactSummary, Location, compact};
use crate::text::thousands;

pub async fn run(cx: &Context, args: CompactArgs) -> Result<ExitCode, Failure> {
    let days = days_asked(args.date.as_deref(), args.from.as_deref(), args.to.as_deref())?;
    let location = Location::open(cx.archive_to_write()?, &cx.store)?;
    if !is_archive(&location).await? {
        return Err(Failure::usage(format!(
            "{} is not an archive (it has no events/ or _ingest/ folder): nothing to compact",
            location.display
        )));
    }
    let options = CompactOptions {
        days,
        dry_run: args.dry_run,
        signing_key: super::verify::signing_key(args.signing_key.as_deref())?,
        retain: args.retain,
    };
    let bar = Bar(super::progress_bar(
        0,
        "{spinner} compacting partition {pos}/{len} ({eta} left) {wide_msg}",
    ));
    let started = Instant::now();
    let summary = compact(&location, &options, &bar).await?;
    bar.0.finish_and_clear();
    crate::say!(
        "{}",
        render(&location.display, &summary, started.elapsed().as_secs_f64()).trim_end()
    );
    if summary.partitions_examined == 0 {
        crate::say!("{}", nothing_there(&location, options.days.is_some()).await?);
    }
    Ok(ExitCode::SUCCESS)
}

/// Why nothing was examined: the days asked for hold no events, and which days do.
async fn nothing_there(location: &Location, days_asked: bool) -> Result<String, Failure> {
    let folders = location
        .folders(crate::archive::layout::EVENTS)
        .await
        .map_err(Failure::from)?;
    let days: Vec<&str> = folders.iter().filter_map(|f| f.strip_prefix("date=")).collect();
    Ok(match (days.first(), days.last()) {
        (Some(first), Some(last)) if days_asked => format!(
            "  no events on the days asked for: the archive's {} day(s) run from {first} to {last}",
            days.len()
        ),
        _ => "  the archive holds no events yet".to_string(),
    })
}

/// Whether anything was ever ingested there (so that a mistyped path gets no lock file).
pub(super) async fn is_archive(location: &Location) -> Result<bool, Failure> {
    for folder in [crate::archive::layout::EVENTS, crate::archive::layout::INGEST] {
        if location.holds_any(folder).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A day as `YYYY-MM-DD`, checked.
/// The days of `--date` or `--from`/`--to` (both included), checked; `None`: every day.
pub(super) fn days_asked(
    date: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Option<(String, String)>, Failure> {
    Ok(match (date, from, to) {
        (Some(day), _, _) => Some((day_arg("--date", day)?, day_arg("--date", day)?)),
        (None, None, None) => None,
        (None, from, to) => {
            let from = from.map(|d| day_arg("--from", d)).transpose()?;
            let to = to.map(|d| day_arg("--to", d)).transpose()?;
            let (from, to) = (from.unwrap_or_default(), to.unwrap_or_else(|| "9999-12-31".into()));
            if from > to {
                return Err(Failure::usage(format!("--from {from} is after --to {to}")));
            }
            Some((from, to))
        }
    })
}

fn day_arg(flag: &str, day: &str) -> Result<String, Failure> {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| Failure::usage(format!("{flag} takes a day as YYYY-MM-DD, not '{day}'")))
}

struct Bar(ProgressBar);

impl CompactProgress for Bar {
    fn partitions(&self, total: usize) {
        self.0.set_length(total as u64);
    }
    fn partition_done(&self, dir: &str) {
        self.0.inc(1);
        self.0.set_message(dir.trim_start_matches("events/").to_string());
    }
}

pub(super) fn megabytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.2} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b => format!("{:.1} kB", b as f64 / 1e3),
    }
}

/// The summary a user reads after a compaction.
pub fn render(archive: &str, s: &CompactSummary, seconds: f64) -> String {
    let mut out = if s.dry_run {
        format!("Compaction of {archive} (dry run: nothing was written)\n")
    } else {
        format!("Compaction of {archive}\n")
    };
    let r = &s.recovered;
    if r.batches_rolled_back + r.batches_committed > 0 {
        out.push_str(&format!(
            "  an interrupted earlier run was finished or undone first ({} undone, {} committed, {} file(s) removed)\n",
            r.batches_rolled_back, r.batches_committed, r.files_removed
        ));
    }
    if r.replaced_files_removed > 0 {
        out.push_str(&format!(
            "  {} file(s) replaced by an earlier compaction were deleted\n",
            r.replaced_files_removed
        ));
    }
    let line = |out: &mut String, label: &str, value: String| {
        out.push_str(&format!("  {label:<22}{value:>14}\n"));
    };
    line(&mut out, "partitions examined", thousands(s.partitions_examined as u64));
    line(
        &mut out,
        if s.dry_run {
            "partitions to rewrite"
        } else {
            "partitions rewritten"
        },
        thousands(s.partitions_rewritten as u64),
    );
    if s.partitions_rewritten > 0 {
        line(
            &mut out,
            "files",
            format!(
                "{} → {}",
                thousands(s.files_before as u64),
                thousands(s.files_after as u64)
            ),
        );
        if !s.dry_run {
            line(
                &mut out,
                "bytes",
                format!("{} → {}", megabytes(s.bytes_before), megabytes(s.bytes_after)),
            );
        }
        line(&mut out, "events kept", thousands(s.events_kept));
        line(&mut out, "duplicates removed", thousands(s.duplicates_removed));
    }
    if s.files_indexed > 0 {
        line(&mut out, "files indexed", thousands(s.files_indexed as u64));
    }
    if s.events_sealed > 0 {
        line(&mut out, "events sealed", thousands(s.events_sealed));
    }
    let quarantined: u64 = s.events_quarantined.values().sum();
    if quarantined > 0 {
        line(&mut out, "events quarantined", thousands(quarantined));
        for (why, n) in &s.events_quarantined {
            out.push_str(&format!("  {:>36}  {why}\n", thousands(*n)));
        }
    }
    line(&mut out, "time", format!("{seconds:.1} s"));
    if let Some(g) = &s.genesis {
        out.push_str(&format!(
            "  brought into the integrity chain: {} object(s) ({}) as they stood, each read for its SHA-256 (`trailscope verify` checks them from now on)\n",
            thousands(g.objects),
            megabytes(g.bytes)
        ));
    }
    if s.format_after > s.format_before && s.format_before >= 3 {
        out.push_str(&format!(
            "  the archive is now in format {}: each file's index entry counts its events, and the principals, resources and timeline views add those counts up instead of reading the files\n",
            s.format_after
        ));
    } else if s.format_after > s.format_before && s.format_before >= 2 {
        out.push_str(&format!("  the archive is now in format {}\n", s.format_after));
    } else if s.format_after > s.format_before {
        out.push_str(&format!(
            "  the archive is now in format {}: secrets are sealed in _sealed/ (readable with --reveal), events/ holds markers{}\n",
            s.format_after,
            if s.quarantine_moved > 0 {
                format!("; the quarantine moved to _sealed/quarantine/ ({} object(s))", thousands(s.quarantine_moved as u64))
            } else {
                String::new()
            }
        ));
        out.push_str(
            "  older versions of objects in a versioned bucket still hold the secrets: see the README's Trust section\n",
        );
    } else if s.format_before < crate::archive::format::CURRENT && !s.dry_run {
        out.push_str(&format!(
            "  the archive stays in format {} until every partition is migrated (those left alone above): until then results are masked as they are read\n",
            s.format_before
        ));
    } else if s.format_before < crate::archive::format::CURRENT && s.format_before >= 3 {
        out.push_str(&format!(
            "  compact would bring the archive to format {}: every file whose index entry has no counts for the views is read once to count its events\n",
            crate::archive::format::CURRENT
        ));
    } else if s.format_before < crate::archive::format::CURRENT && s.format_before >= 2 {
        out.push_str(&format!(
            "  compact would bring the archive from format {} into the integrity chain (format {}): every object is read once for its SHA-256\n",
            s.format_before,
            crate::archive::format::CURRENT
        ));
    } else if s.format_before < crate::archive::format::CURRENT {
        out.push_str(&format!(
            "  compact would migrate the archive from format {} to {}: every partition is rewritten with its secrets sealed\n",
            s.format_before,
            crate::archive::format::CURRENT
        ));
    }
    for (dir, bytes) in &s.partitions_too_large {
        out.push_str(&format!(
            "  left alone: {dir} ({}): too large to merge in memory\n",
            megabytes(*bytes)
        ));
    }
    if s.replaced_files_kept > 0 {
        out.push_str(&format!(
            "  the {} replaced file(s) are hidden now and stay an hour for queries already reading them;\n  the first ingest or compact after that deletes them\n",
            thousands(s.replaced_files_kept as u64)
        ));
        if s.format_after > s.format_before && s.format_before < 2 {
            out.push_str(
                "  they hold the secrets verbatim: run `trailscope compact` again in an hour to delete them\n",
            );
        }
    }
    out
}
