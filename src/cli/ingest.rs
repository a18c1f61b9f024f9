use std::collections::BTreeMap;
use std::process::ExitCode;

use indicatif::ProgressBar;

use super::args::IngestArgs;
use super::{Context, Failure, exit};
use crate::archive::inputs::resolve;
use crate::archive::{IngestOptions, IngestProgress, IngestSummary, Location, ingest};
use crate::sources::CloudChoice;

pub async fn run(cx: &Context, args: IngestArgs) -> Result<ExitCode, Failure> {
    let location = Location::create(cx.archive_to_write()?, &cx.store)?;
    let inputs = resolve(&args.sources, &cx.store).await?;
    let total: u64 = inputs.files.iter().map(|f| f.size).sum();
    let bar = Bar::new(total);
    let mut ingest_options = IngestOptions {
        cloud: args.cloud,
        signing_key: super::verify::signing_key(args.signing_key.as_deref())?,
        ..IngestOptions::default()
    };
    if let Some(limit) = &cx.config.max_decompressed {
        ingest_options.max_decompressed = crate::config::parse_size(limit).ok_or_else(|| {
            Failure::usage(format!(
                "the config file's max_decompressed '{limit}' is not a size like 4GiB or 512MiB"
            ))
        })?;
    }
    let summary = ingest(&location, inputs, &ingest_options, &bar).await?;
    bar.0.finish_and_clear();
    crate::say!("{}", render(&location.display, &summary).trim_end());
    if let Some(why) = &summary.index_not_merged {
        crate::note!(
            "the events are in; the day's file index was left in several objects ({why}): \
             queries read them as they are, and the next ingest or `trailscope compact` merges them"
        );
    }
    if let (Some(first), CloudChoice::Only(cloud)) = (summary.files_not_of_forced_cloud.first(), args.cloud) {
        let n = summary.files_not_of_forced_cloud.len();
        crate::note!(
            "--cloud {cloud} read {first}{} as nothing, though they hold events of another cloud: \
             they are not recorded as ingested. Without --cloud, each record says which cloud it is from.",
            if n > 1 {
                format!(" and {} other file(s)", n - 1)
            } else {
                String::new()
            }
        );
    }
    Ok(ExitCode::from(if summary.has_rejections() {
        exit::REJECTED
    } else {
        exit::OK
    }))
}

/// A progress bar by bytes read, drawn only on a terminal.
struct Bar(ProgressBar);

impl Bar {
    fn new(total: u64) -> Self {
        Bar(super::progress_bar(
            total,
            "{spinner} ingesting {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left) {wide_msg}",
        ))
    }
}

impl IngestProgress for Bar {
    fn file_done(&self, name: &str, bytes: u64) {
        self.0.inc(bytes);
        // A file's name is anyone's to choose: shown escaped, like every text on a terminal.
        let name = name.rsplit('/').next().unwrap_or(name);
        self.0.set_message(crate::terminal_text::escape(name).into_owned());
    }
    fn writing(&self, events: usize) {
        self.0.set_message(format!("writing {events} events"));
    }
}

pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The summary a user reads after an ingest.
pub fn render(archive: &str, s: &IngestSummary) -> String {
    let mut out = format!("Ingest into {archive}\n");
    let line = |out: &mut String, label: &str, n: u64, note: &str| {
        out.push_str(&format!("  {label:<20}{:>10}  {note}\n", thousands(n)));
    };
    if s.recovered.batches_rolled_back > 0 {
        out.push_str(&format!(
            "  an interrupted earlier run was undone first ({} batch(es), {} file(s) removed)\n",
            s.recovered.batches_rolled_back, s.recovered.files_removed
        ));
    }
    line(&mut out, "files read", s.files_read as u64, "");
    line(
        &mut out,
        "already ingested",
        s.files_already_ingested.len() as u64,
        if s.files_already_ingested.is_empty() {
            ""
        } else {
            "(same content as an earlier ingest: nothing to do)"
        },
    );
    let mut skipped: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, why) in &s.files_skipped {
        *skipped.entry(why).or_default() += 1;
    }
    line(&mut out, "files skipped", s.files_skipped.len() as u64, "");
    for (why, n) in &skipped {
        out.push_str(&format!("  {:>30}  {why}\n", thousands(*n)));
    }
    line(
        &mut out,
        "files quarantined",
        s.files_quarantined.len() as u64,
        if s.files_quarantined.is_empty() {
            ""
        } else {
            "(copied to _sealed/quarantine/ with a .reason file)"
        },
    );
    for (name, why) in &s.files_quarantined {
        out.push_str(&format!("      {name}: {why}\n"));
    }
    line(
        &mut out,
        "events written",
        s.events_total(),
        &format!("in {} Parquet file(s)", s.parts_written),
    );
    // Per cloud, then its busiest tenants: an organisation's archive has hundreds of accounts.
    let mut clouds: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    for ((cloud, tenant), n) in &s.events_written {
        clouds.entry(cloud).or_default().push((tenant, *n));
    }
    for (cloud, mut tenants) in clouds {
        let total: u64 = tenants.iter().map(|(_, n)| n).sum();
        let plural = if tenants.len() == 1 { "" } else { "s" };
        out.push_str(&format!(
            "  {:>30}  {cloud} ({} tenant{plural})\n",
            thousands(total),
            tenants.len()
        ));
        tenants.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        const SHOWN: usize = 5;
        for (tenant, n) in tenants.iter().take(SHOWN) {
            out.push_str(&format!("  {:>34}  {tenant}\n", thousands(*n)));
        }
        if tenants.len() > SHOWN {
            let rest: u64 = tenants[SHOWN..].iter().map(|(_, n)| n).sum();
            let more = tenants.len() - SHOWN;
            let plural = if more == 1 { "" } else { "s" };
            out.push_str(&format!("  {:>34}  in {more} more tenant{plural}\n", thousands(rest)));
        }
    }
    if s.duplicates_dropped > 0 {
        line(
            &mut out,
            "duplicates dropped",
            s.duplicates_dropped,
            "(the same event delivered twice)",
        );
    }
    let skipped_records: u64 = s.records_skipped.values().sum();
    if skipped_records > 0 {
        line(&mut out, "records skipped", skipped_records, "(not audit events)");
        for (why, n) in &s.records_skipped {
            out.push_str(&format!("  {:>30}  {why}\n", thousands(*n)));
        }
    }
    line(
        &mut out,
        "records rejected",
        s.rejected_total(),
        if s.rejected_total() == 0 {
            ""
        } else {
            "(kept in _sealed/quarantine/ as .rejected.jsonl)"
        },
    );
    for (why, n) in s.records_rejected.iter().take(10) {
        out.push_str(&format!("  {:>30}  {why}\n", thousands(*n)));
    }
    if s.records_rejected.len() > 10 {
        out.push_str(&format!(
            "  {:>30}  … and {} other reasons\n",
            "",
            s.records_rejected.len() - 10
        ));
    }
    out
}
