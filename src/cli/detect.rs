//! `trailscope detect`: Sigma rules over the archive, hits listed, exit code 5 when there are some.

use std::process::ExitCode;

use super::args::DetectArgs;
use super::{Context, Failure, exit, print};
use crate::engine::detect::triage::{Seen, Suppressions};
use crate::engine::detect::{self, BUILTIN_SOURCE, Level, RuleSet};
use crate::engine::export::Provenance;

/// The rules a run uses: the built-in ones (unless refused) and the user's.
pub fn rules(cx: &Context, args: &DetectArgs) -> Result<RuleSet, Failure> {
    let mut set = match args.no_builtin {
        true => RuleSet::default(),
        false => RuleSet::builtin(),
    };
    let dirs: Vec<&std::path::PathBuf> = cx.config.rule_dirs.iter().chain(&args.rules).collect();
    if args.no_builtin && dirs.is_empty() {
        return Err(Failure::usage(
            "--no-builtin leaves no rules: give your own with --rules DIR (or rule_dirs in the config file)",
        ));
    }
    for dir in dirs {
        set.add_dir(dir).map_err(Failure::from)?;
    }
    for note in &set.notes {
        crate::note!("note: {note}");
    }
    Ok(set)
}

pub async fn run(cx: &Context, args: DetectArgs) -> Result<ExitCode, Failure> {
    let set = rules(cx, &args)?;
    if args.list {
        list(&set);
        return Ok(ExitCode::SUCCESS);
    }
    let level = Level::parse(&args.level).ok_or_else(|| {
        Failure::usage(format!(
            "--level {}: expected one of {}",
            args.level,
            Level::ALL.map(Level::name).join(", ")
        ))
    })?;
    let chosen = detect::choose(&set, level, args.rule.as_deref()).map_err(Failure::from)?;
    let suppressions = match args.suppress.as_ref().or(cx.config.suppressions.as_ref()) {
        Some(path) => Suppressions::load(path).map_err(Failure::usage)?,
        None => Suppressions::default(),
    };
    let session = cx.session(args.output.reveal).await?;
    let scope = super::view::scope(cx, &session, &args.window).await?;
    let plan = detect::plan(&set, &chosen, &scope);
    if args.explain {
        for &i in &chosen {
            let r = &set.rules[i];
            crate::say!("-- {} ({}, {}) from {}", r.title, r.id, r.level.name(), r.origin);
        }
        crate::say!("{}", plan.query.sql);
        for (name, value) in &plan.query.params {
            crate::say!("-- ${name} = {}", crate::engine::views::display_value(value));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.window.show_sql {
        print::show_sql(&plan.query);
    }
    let mut findings = detect::run(&session, &set, &plan).await?;
    let found = findings.hits.len();
    let mut hits = Vec::new();
    let mut suppressed = 0;
    for hit in std::mem::take(&mut findings.hits) {
        match suppressions.silencing(&set, &hit) {
            Some(_) => suppressed += 1,
            None => hits.push(hit),
        }
    }
    let seen_file = crate::engine::journal::Journal::default_path().and_then(|p| {
        p.parent()
            .map(|d| Seen::file_for(&d.join("detect"), &session.location().display))
    });
    let mut seen = match &seen_file {
        Some(file) => Seen::load(file).map_err(Failure::usage)?,
        None => Seen::default(),
    };
    let mut reported_before = 0;
    if args.new {
        let before = hits.len();
        hits.retain(|h| !seen.has(&set, h));
        reported_before = before - hits.len();
    }
    if let Err(e) = seen.record(&set, &hits) {
        crate::note!("trailscope: {e} (--new will list these hits again)");
    }
    let refused = set.refused.len();
    let rules_run = chosen.len();
    let mut summary = format!(
        "detect: {rules_run} rule{} run{}, {} hit{}",
        if rules_run == 1 { "" } else { "s" },
        if refused > 0 && args.rule.is_none() {
            format!(" ({refused} not run: `trailscope detect --list` says why)")
        } else {
            String::new()
        },
        found,
        if found == 1 { "" } else { "s" }
    );
    if suppressed > 0 {
        summary.push_str(&format!(", {suppressed} suppressed"));
    }
    if args.new {
        summary.push_str(&format!(", {reported_before} listed by an earlier run"));
    }
    crate::note!("{summary}");
    if args.output.verbose {
        match &findings.pruning {
            Some(pruning) => crate::note!("pruning: {pruning}"),
            None => crate::note!("pruning: no Parquet file was read"),
        }
    }
    let listed = hits.len();
    let table = detect::table(&set, &hits);
    drop(hits);
    let provenance = Provenance::of(&session, &plan.query, Some(&scope.window));
    print::emit_batch(table, &args.output, provenance).await?;
    Ok(match listed {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::from(exit::FINDINGS),
    })
}

/// Every rule: the ones that run by level, then the ones that do not, with the reason.
fn list(set: &RuleSet) {
    let mut rules: Vec<&detect::Rule> = set.rules.iter().collect();
    rules.sort_by(|a, b| (std::cmp::Reverse(a.level), &a.origin).cmp(&(std::cmp::Reverse(b.level), &b.origin)));
    crate::say!("{} rules run:", rules.len());
    for r in rules {
        let kind = match r.body {
            detect::sigma::Body::Correlation(_) => " (correlation)",
            detect::sigma::Body::Detection(_) => "",
        };
        crate::say!("  {:<13} {}  {}{kind}", r.level.name(), r.id, r.title);
        crate::say!("                {} — by {}", r.origin, r.author);
    }
    if !set.refused.is_empty() {
        crate::say!("\n{} rules not run:", set.refused.len());
        for r in &set.refused {
            crate::say!(
                "  {}  {}",
                r.id.as_deref().unwrap_or("(no id)"),
                r.title.as_deref().unwrap_or("(no title)")
            );
            crate::say!("                {}: {}", r.origin, r.problem);
        }
    }
    crate::say!("\nThe built-in rules: {BUILTIN_SOURCE}.");
}
