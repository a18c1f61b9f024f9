//! `trailscope coverage`: the collection's state per cloud and tenant, and its findings.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use super::args::{CoverageArgs, ReportFormat};
use super::{Context, Failure, exit};
use crate::archive::Location;
use crate::engine::coverage::{
    self, Coverage, CoverageOptions, DEFAULT_STALE_AFTER, Finding, POLICY, Policy, TenantId, parse_stale_after,
};
use crate::terminal_text::escape;

pub async fn run(cx: &Context, args: CoverageArgs) -> Result<ExitCode, Failure> {
    if args.write_policy {
        return write_policy(cx, &args).await;
    }
    let day = |d: &Option<String>| -> Result<Option<chrono::NaiveDate>, Failure> {
        d.as_deref()
            .map(|d| {
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| Failure::usage(format!("'{d}' is not a day: write it as YYYY-MM-DD")))
            })
            .transpose()
    };
    let (from, to) = (day(&args.from)?, day(&args.to)?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Failure::usage(format!(
            "--from {f} is after --to {t}: nothing to cover"
        )));
    }
    let session = cx.session(false).await?;
    let policy = coverage::read_policy(session.location()).await?;
    let (stale_text, stale_from) = match (
        &args.stale_after,
        policy.as_ref().and_then(|p| p.stale_after.as_ref()),
        &cx.config.coverage.stale_after,
    ) {
        (Some(s), _, _) => (s.clone(), "--stale-after"),
        (None, Some(s), _) => (s.clone(), POLICY),
        (None, None, Some(s)) => (s.clone(), "the config file"),
        (None, None, None) => (DEFAULT_STALE_AFTER.to_string(), "the default"),
    };
    let stale_after = parse_stale_after(&stale_text).map_err(|e| Failure::usage(format!("{e} (from {stale_from})")))?;
    let options = CoverageOptions {
        from,
        to,
        stale_after,
        expected: expected(cx, policy.as_ref())?,
    };
    let report = coverage::measure(&session, &options).await?;
    match args.format {
        ReportFormat::Json => {
            super::out::data(&serde_json::to_string_pretty(&report).expect("coverage serialises"));
        }
        ReportFormat::Table => print(&report, stale_from, &options),
    }
    Ok(if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FINDINGS)
    })
}

/// The tenants expected, each with who expects it: the archive's policy, the config's list, the
/// config's file.
pub(super) fn expected(cx: &Context, policy: Option<&Policy>) -> Result<BTreeMap<TenantId, BTreeSet<String>>, Failure> {
    let mut expected: BTreeMap<TenantId, BTreeSet<String>> = BTreeMap::new();
    let mut add = |text: &str, by: &str| -> Result<(), Failure> {
        let id = TenantId::parse(text).map_err(|e| Failure::usage(format!("an expected tenant of {by}: {e}")))?;
        expected.entry(id).or_default().insert(by.to_string());
        Ok(())
    };
    if let Some(policy) = policy {
        for e in &policy.expected {
            // The owners' file: a broken line is theirs to fix, and must not stop every auditor.
            if let Err(f) = add(e, "policy") {
                crate::note!("trailscope: {POLICY} names a tenant that is passed over: {}", f.message);
            }
        }
    }
    for e in &cx.config.coverage.expected {
        add(e, "config")?;
    }
    if let Some(file) = &cx.config.coverage.expected_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::usage(format!("cannot read the expected tenants file {}: {e}", file.display())))?;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if !line.is_empty() {
                add(line, &file.display().to_string())?;
            }
        }
    }
    Ok(expected)
}

async fn write_policy(cx: &Context, args: &CoverageArgs) -> Result<ExitCode, Failure> {
    let location = Location::open(cx.archive_to_write()?, &cx.store)?;
    let expected: Vec<String> = expected(cx, None)?.keys().map(TenantId::to_string).collect();
    if expected.is_empty() {
        return Err(Failure::usage(
            "the config file names no expected tenants: add [coverage] expected = [\"aws/123456789012\", …] or expected_file",
        ));
    }
    let stale_after = args
        .stale_after
        .clone()
        .or_else(|| cx.config.coverage.stale_after.clone());
    if let Some(s) = &stale_after {
        parse_stale_after(s)?;
    }
    let policy = Policy {
        expected,
        stale_after,
        set_by: crate::identity::local_user(),
        set_at: chrono::Utc::now().to_rfc3339(),
    };
    coverage::write_policy(&location, &policy).await?;
    crate::say!(
        "{}: {POLICY} now expects {} tenant{}",
        location.display,
        policy.expected.len(),
        if policy.expected.len() == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}

/// A span of seconds as a person reads it: `45s`, `12m`, `3h 5m`, `2d 4h`.
pub(super) fn human(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A time to the second, for a table a person reads (the JSON keeps the microseconds).
fn to_second(time: &str) -> String {
    match time.split_once('.') {
        Some((seconds, _)) => format!("{seconds}Z"),
        None => time.to_string(),
    }
}

fn day_range(from: chrono::NaiveDate, to: chrono::NaiveDate) -> String {
    if from == to {
        from.to_string()
    } else {
        format!("{from} – {to}")
    }
}

/// One finding as a sentence; every name in it escaped (tenants are anyone's to write).
pub(super) fn sentence(finding: &Finding) -> (&'static str, String) {
    match finding {
        Finding::Gap {
            cloud,
            tenant,
            from,
            to,
            days,
        } => (
            "gap",
            format!(
                "{}/{}: no events on {} ({days} day{}) between days with events",
                escape(cloud),
                escape(tenant),
                day_range(*from, *to),
                if *days == 1 { "" } else { "s" }
            ),
        ),
        Finding::Stopped {
            cloud,
            tenant,
            last_event,
            silent_hours,
        } => (
            "stopped",
            format!(
                "{}/{}: last event {}, silent for {} before the newest event of the window",
                escape(cloud),
                escape(tenant),
                to_second(last_event),
                human(silent_hours * 3600)
            ),
        ),
        Finding::NeverDelivered {
            cloud,
            tenant,
            expected_by,
        } => (
            "missing",
            format!(
                "{}/{}: expected (by {}) but no event was delivered",
                escape(cloud),
                escape(tenant),
                expected_by
                    .iter()
                    .map(|b| escape(b).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    }
}

fn print(report: &Coverage, stale_from: &str, options: &CoverageOptions) {
    let range = match (report.from, report.to) {
        (Some(f), Some(t)) => format!("{f} – {t}"),
        _ => "no events".into(),
    };
    crate::say!(
        "Coverage of {}, {range}; newest event {}.",
        escape(&report.archive),
        report.newest_event.as_deref().unwrap_or("none")
    );
    crate::say!(
        "A tenant silent for more than {} before it has stopped delivering ({stale_from}). Expected tenants: {}.",
        report.stale_after,
        options.expected.len()
    );
    crate::say!(
        "Last ingest: {} ({} source files in the ledger{}). Delay: from a source file's newest event to its ingest.",
        report.last_ingest.as_deref().map_or("none recorded".into(), to_second),
        report.sources,
        if report.sources_unmeasured > 0 {
            format!(
                ", {} of them ingested by an older trailscope, without event times, not measured",
                report.sources_unmeasured
            )
        } else {
            String::new()
        }
    );
    crate::say!("");
    let header = [
        "cloud",
        "tenant",
        "first event",
        "last event",
        "days",
        "events",
        "per day min/mean/max",
        "gaps",
        "delay median/max",
        "last ingest",
        "CloudTrail digests",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for t in &report.tenants {
        let gap_days: i64 = t.gaps.iter().map(|g| g.days).sum();
        rows.push(vec![
            escape(&t.cloud).into_owned(),
            escape(&t.tenant).into_owned(),
            to_second(&t.first_event),
            to_second(&t.last_event),
            format!("{}/{}", t.days_with_events, t.span_days),
            t.events.to_string(),
            format!("{}/{:.1}/{}", t.per_day_min, t.per_day_mean, t.per_day_max),
            if t.gaps.is_empty() {
                "-".into()
            } else {
                format!("{} ({gap_days}d)", t.gaps.len())
            },
            t.delivery.as_ref().map_or("-".into(), |d| {
                format!("{}/{}", human(d.median_delay), human(d.max_delay))
            }),
            t.delivery.as_ref().map_or("-".into(), |d| to_second(&d.last_ingest)),
            t.delivery
                .as_ref()
                .and_then(|d| d.digests.as_ref())
                .map_or("-".into(), digest_cell),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    // On a narrow terminal, columns go, least needed first, rather than every row wrapping;
    // which ones is said below the table (`--format json` has them all).
    let mut shown: Vec<usize> = (0..header.len()).collect();
    let fits = |shown: &[usize]| {
        shown.iter().map(|c| widths[*c] + 2).sum::<usize>() <= super::print::width().saturating_add(2)
    };
    let mut left_out = Vec::new();
    for name in [
        "per day min/mean/max",
        "first event",
        "last ingest",
        "delay median/max",
        "days",
        "events",
        "CloudTrail digests",
        "gaps",
    ] {
        if fits(&shown) {
            break;
        }
        if let Some(at) = header.iter().position(|h| *h == name) {
            shown.retain(|c| *c != at);
            left_out.push(name);
        }
    }
    for row in &rows {
        let cells: Vec<String> = shown
            .iter()
            .map(|c| format!("{}{}", row[*c], " ".repeat(widths[*c] - row[*c].chars().count())))
            .collect();
        crate::say!("{}", cells.join("  ").trim_end());
    }
    if !left_out.is_empty() {
        crate::say!(
            "(left out to fit the terminal: {}; a wider one, or --format json, has them)",
            left_out.join(", ")
        );
    }
    crate::say!("");
    if report.findings.is_empty() {
        crate::say!("No findings: every tenant delivered on every day of its span, and none is missing.");
        return;
    }
    crate::say!("Findings ({}):", report.findings.len());
    for finding in &report.findings {
        let (kind, text) = sentence(finding);
        crate::say!("  {kind:8} {text}");
    }
}

/// A tenant's CloudTrail files by what their digests say, shortest first.
fn digest_cell(c: &crate::engine::coverage::DigestCounts) -> String {
    let files = c.validated + c.contradicted + c.not_listed + c.no_digest + c.not_validated;
    let mut cell = format!("{}/{files} validated", c.validated);
    for (n, what) in [
        (c.contradicted, "CONTRADICTED"),
        (c.not_listed, "not listed"),
        (c.no_digest, "no digest"),
        (c.not_validated, "before digests"),
    ] {
        if n > 0 {
            cell.push_str(&format!(", {n} {what}"));
        }
    }
    cell
}
