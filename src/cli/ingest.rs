use std::collections::BTreeMap;
use std::process::ExitCode;

use indicatif::ProgressBar;

use super::args::IngestArgs;
use super::{Context, Failure, exit};
use crate::archive::digests::{DigestFailure, FailureKind};
use crate::archive::inputs::{CollectProgress, Since, collect};
use crate::archive::{IngestOptions, IngestProgress, IngestSummary, Location, ingest};
use crate::sources::CloudChoice;
use crate::sources::aws::digest::PublicKeys;
use crate::text::thousands;

pub async fn run(cx: &Context, args: IngestArgs) -> Result<ExitCode, Failure> {
    let location = Location::create(cx.archive_to_write()?, &cx.store)?;
    let bar = Bar::new();
    let since = args.since.unwrap_or(Since::Remembered);
    let inputs = collect(&args.sources, &cx.store, &location, since, &bar).await?;
    let total: u64 = inputs.files.iter().map(|f| f.size).sum();
    bar.fetching(inputs.files.len(), total, inputs.listing.unchanged);
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
    for file in &args.cloudtrail_public_keys {
        let keys = read_public_keys(file)?;
        ingest_options
            .cloudtrail_public_keys
            .get_or_insert_with(Default::default)
            .extend(keys);
    }
    let summary = ingest(&location, inputs, &ingest_options, &bar).await?;
    bar.bar.finish_and_clear();
    crate::say!("{}", render(&location.display, &summary).trim_end());
    if let Some(why) = &summary.index_not_merged {
        crate::note!(
            "the events are in; the day's file index was left in several objects ({why}): \
             queries read them as they are, and the next ingest or `trailscope compact` merges them"
        );
    }
    if let Some((first, why)) = summary.markers_not_written.first() {
        let n = summary.markers_not_written.len();
        crate::note!(
            "the marker that {first}{} was read could not be written ({why}): the next run reads it again \
             and finds its content already in the archive",
            if n > 1 {
                format!(" and {} other object(s)", n - 1)
            } else {
                String::new()
            }
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
    for failure in &summary.digests.failures {
        crate::note!("{}", describe_failure(failure));
    }
    Ok(ExitCode::from(if summary.has_integrity_failure() {
        exit::INTEGRITY
    } else if summary.has_rejections() {
        exit::REJECTED
    } else {
        exit::OK
    }))
}

/// The public keys of `--cloudtrail-public-keys FILE`.
pub(super) fn read_public_keys(file: &std::path::Path) -> Result<PublicKeys, Failure> {
    let bytes = std::fs::read(file)
        .map_err(|e| Failure::usage(format!("cannot read the public keys in {}: {e}", file.display())))?;
    PublicKeys::from_json(&bytes).map_err(|why| {
        Failure::usage(format!(
            "{} is not AWS's public keys ({why}): write it with `aws cloudtrail list-public-keys --region REGION`",
            file.display()
        ))
    })
}

/// One sentence for what a digest contradicts.
pub(super) fn describe_failure(f: &DigestFailure) -> String {
    match f.kind {
        FailureKind::Mismatch => format!(
            "{} contradicts its CloudTrail digest {}: the digest lists SHA-256 {}, the file has {} (it was changed after delivery; it is ingested all the same)",
            f.source, f.digest, f.expected, f.found
        ),
        FailureKind::ChainBreak => format!(
            "the CloudTrail digest {} does not chain to the previous digest {}: it names SHA-256 {}, the archive's copy has {}",
            f.digest, f.source, f.expected, f.found
        ),
        FailureKind::Signature => format!(
            "the signature of the CloudTrail digest {} ({}) fails: {}",
            f.digest, f.source, f.found
        ),
    }
}

/// A progress bar, drawn only on a terminal: objects and bytes listed and passed over as
/// unchanged while listing, then objects and bytes fetched.
struct Bar {
    bar: ProgressBar,
    /// Objects to fetch, passed over as unchanged, fetched so far.
    counts: [std::sync::atomic::AtomicUsize; 3],
}

impl Bar {
    fn new() -> Self {
        let bar = super::progress_bar(0, "{spinner} listing: {wide_msg}");
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar {
            bar,
            counts: Default::default(),
        }
    }

    fn fetching(&self, objects: usize, bytes: u64, unchanged: usize) {
        use std::sync::atomic::Ordering;
        if !self.bar.is_hidden() {
            self.bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {prefix} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left) {wide_msg}",
                )
                .expect("a valid template"),
            );
        }
        self.bar.set_length(bytes);
        self.counts[0].store(objects, Ordering::Relaxed);
        self.counts[1].store(unchanged, Ordering::Relaxed);
        self.show_counts();
    }

    fn show_counts(&self) {
        use std::sync::atomic::Ordering;
        let [to_fetch, unchanged, fetched] = &self.counts;
        self.bar.set_prefix(format!(
            "fetched {}/{} objects ({} unchanged, not fetched),",
            thousands(fetched.load(Ordering::Relaxed) as u64),
            thousands(to_fetch.load(Ordering::Relaxed) as u64),
            thousands(unchanged.load(Ordering::Relaxed) as u64)
        ));
    }
}

impl CollectProgress for Bar {
    fn listed(&self, objects: usize, bytes: u64, unchanged: usize) {
        self.bar.set_message(format!(
            "{} objects ({}), {} unchanged",
            thousands(objects as u64),
            indicatif::HumanBytes(bytes),
            thousands(unchanged as u64)
        ));
    }
}

impl IngestProgress for Bar {
    fn file_done(&self, name: &str, bytes: u64) {
        self.bar.inc(bytes);
        self.counts[2].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.show_counts();
        // A file's name is anyone's to choose: shown escaped, like every text on a terminal.
        let name = name.rsplit('/').next().unwrap_or(name);
        self.bar.set_message(crate::terminal_text::escape(name).into_owned());
    }
    fn writing(&self, events: usize) {
        self.bar.set_message(format!("writing {events} events"));
    }
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
    if s.objects_listed > 0 {
        line(
            &mut out,
            "objects listed",
            s.objects_listed as u64,
            &format!("({}) in object stores", indicatif::HumanBytes(s.bytes_listed)),
        );
        line(
            &mut out,
            "unchanged",
            s.objects_unchanged as u64,
            &format!(
                "({}) passed over: read before, same size and ETag",
                indicatif::HumanBytes(s.bytes_unchanged)
            ),
        );
    }
    if let Some((from, folders, how)) = &s.listed_from {
        out.push_str(&format!(
            "  date layouts listed from {from} ({folders} date folder(s); {how})\n"
        ));
    }
    line(&mut out, "files read", s.files_read as u64, "");
    if s.blobs_continued > 0 {
        line(
            &mut out,
            "blobs continued",
            s.blobs_continued as u64,
            "(append blobs that grew, read from where the last run stopped)",
        );
    }
    if !s.blobs_rewritten.is_empty() {
        line(
            &mut out,
            "blobs rewritten",
            s.blobs_rewritten.len() as u64,
            "(the part read before had changed: read whole, as new sources)",
        );
        for name in &s.blobs_rewritten {
            out.push_str(&format!("      {name}\n"));
        }
    }
    if !s.markers_not_written.is_empty() {
        line(
            &mut out,
            "markers not written",
            s.markers_not_written.len() as u64,
            "(read, but the next run lists them as new: read again, found in the ledger)",
        );
    }
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
    let d = &s.digests;
    let judged = d.validated + d.not_listed + d.uncovered;
    let nothing_to_judge_with = d.digests_read == 0 && d.validated == 0 && d.not_listed == 0 && d.failures.is_empty();
    if nothing_to_judge_with && d.uncovered > 0 && d.digests_unreadable.is_empty() {
        // Most archives start without digests: one line says so, not five lines of zeros.
        line(
            &mut out,
            "not validated",
            d.uncovered as u64,
            "CloudTrail file(s): no digest of their account, region and hour (ingest the CloudTrail-Digest/ folder too)",
        );
    } else if d.digests_read > 0 || judged > 0 || !d.failures.is_empty() || !d.digests_unreadable.is_empty() {
        let mismatched = d.failures.iter().filter(|f| f.kind == FailureKind::Mismatch).count();
        line(&mut out, "CloudTrail digests", d.digests_read as u64, "read");
        line(
            &mut out,
            "sources validated",
            d.validated as u64,
            "(listed by a digest with their SHA-256)",
        );
        line(
            &mut out,
            "contradict a digest",
            mismatched as u64,
            if mismatched > 0 {
                "(changed after delivery: named below)"
            } else {
                ""
            },
        );
        line(
            &mut out,
            "not listed",
            d.not_listed as u64,
            "(a digest of their hour omits them)",
        );
        line(
            &mut out,
            "no digest",
            d.uncovered as u64,
            "(no digest of their account, region and hour)",
        );
        let breaks = d.failures.iter().filter(|f| f.kind == FailureKind::ChainBreak).count();
        if breaks > 0 || d.previous_missing > 0 {
            out.push_str(&format!(
                "  {:>30}  digest chain: {breaks} broken link(s), {} previous digest(s) not in the archive\n",
                "", d.previous_missing
            ));
        }
        let failed = d.failures.iter().filter(|f| f.kind == FailureKind::Signature).count();
        if d.digests_read > 0 {
            out.push_str(&format!(
                "  {:>30}  signatures: {} valid, {failed} failed, {} unavailable (read from a folder), {} not checked (no --cloudtrail-public-keys)\n",
                "", d.signatures_valid, d.signatures_unavailable, d.signatures_unchecked
            ));
        }
        for (name, why) in &d.digests_unreadable {
            out.push_str(&format!("      {name}: not read as a digest: {why}\n"));
        }
    }
    out
}
