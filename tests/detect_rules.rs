//! Each shipped Sigma rule (rules/sigma/rules/) either runs or is listed as not run with its
//! reason; each one that runs finds a record written from its own text, in its cloud's real
//! format, and does not find records that differ from it in one required value or that its
//! filters exclude. The records are made by the test's own reading of the rules
//! (detect_rules/sigma.rs, generate.rs) and of the clouds' formats (records.rs), independently
//! of trailscope's (src/engine/detect/), then ingested and run through `trailscope detect` once.
//! Rules the generic samples cannot stand for have records written by hand (overrides.rs).
//! Every disagreement is collected and reported together at the end.

mod common;
#[path = "detect_rules/generate.rs"]
mod generate;
#[path = "detect_rules/overrides.rs"]
mod overrides;
#[path = "detect_rules/records.rs"]
mod records;
#[path = "detect_rules/sigma.rs"]
mod sigma;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use common::{stderr, stdout, trailscope};
use records::Source;
use sigma::Rule;

/// One record the test writes, and what `detect` must make of it for its rule.
struct Planned {
    rule: usize,
    /// A hit of the rule (a positive) or none (a negative).
    hit: bool,
    what: String,
    source: Source,
    record: Value,
    event_id: String,
}

#[test]
fn every_shipped_rule_runs_or_says_why_and_finds_what_it_is_written_for() {
    let files = rule_files();
    let listed = list();
    let mut problems: Vec<String> = Vec::new();

    // Every rule file is listed once: run, or not run with a reason.
    assert_eq!(
        listed.run.len() + listed.not_run.len(),
        files.len(),
        "detect --list names {} rules run and {} not run, for {} rule files",
        listed.run.len(),
        listed.not_run.len(),
        files.len()
    );
    for (id, reason) in &listed.not_run {
        if reason.trim().is_empty() {
            problems.push(format!("{id}: listed as not run without a reason"));
        }
    }
    let mut rules: Vec<Rule> = Vec::new();
    for (file, text) in &files {
        match sigma::read(text, file) {
            Ok(rule) => rules.push(rule),
            Err(e) => problems.push(format!("{file}: the test cannot read the rule: {e}")),
        }
    }
    let mut listed_ids: Vec<&str> = listed.run.iter().map(String::as_str).collect();
    listed_ids.extend(listed.not_run.iter().map(|(id, _)| id.as_str()));
    for rule in &rules {
        let times = listed_ids.iter().filter(|id| **id == rule.id).count();
        if times != 1 {
            problems.push(format!(
                "{} ({}): listed {times} times by detect --list",
                rule.id, rule.file
            ));
        }
    }

    // The records: per rule that runs, the generic samples and the hand-written ones.
    let runs: Vec<&Rule> = rules.iter().filter(|r| listed.run.contains(&r.id)).collect();
    let overrides = overrides::all();
    for o in &overrides {
        if !runs.iter().any(|r| r.id == o.rule) {
            problems.push(format!("the override for {} names no rule that runs", o.rule));
        }
    }
    let mut planned: Vec<Planned> = Vec::new();
    for (index, rule) in runs.iter().enumerate() {
        let source = match Source::of(rule) {
            Ok(s) => s,
            Err(e) => {
                problems.push(describe(rule, &format!("generator: {e}")));
                continue;
            }
        };
        let own = overrides.iter().find(|o| o.rule == rule.id);
        if !own.is_some_and(|o| o.replaces_generic) {
            match generic(rule, source, planned.len() + 1) {
                Ok(records) => planned.extend(records.into_iter().map(|(hit, what, record)| Planned {
                    rule: index,
                    hit,
                    what,
                    source,
                    event_id: records::event_id(source, &record),
                    record,
                })),
                Err(e) => problems.push(describe(
                    rule,
                    &format!("generator: {e} (write its records by hand in detect_rules/overrides.rs)"),
                )),
            }
        }
        if let Some(o) = own {
            let hand = o
                .positives
                .iter()
                .map(|p| (true, p))
                .chain(o.negatives.iter().map(|n| (false, n)));
            for (hit, (what, patch)) in hand {
                let mut record = records::base(source, planned.len() + 1);
                records::merge(&mut record, patch);
                let kind = if hit { "positive" } else { "negative" };
                planned.push(Planned {
                    rule: index,
                    hit,
                    what: format!("{kind} written by hand: {what} (why by hand: {})", o.why),
                    source,
                    event_id: records::event_id(source, &record),
                    record,
                });
            }
        }
    }
    let covered: BTreeSet<usize> = planned.iter().filter(|p| p.hit).map(|p| p.rule).collect();
    for (index, rule) in runs.iter().enumerate() {
        if !covered.contains(&index) {
            problems.push(describe(rule, "no positive record (and so no test) for this rule"));
        }
    }
    let ids: BTreeSet<&str> = planned.iter().map(|p| p.event_id.as_str()).collect();
    assert_eq!(
        ids.len(),
        planned.len(),
        "every record must have an event id of its own"
    );

    // Ingest and detect once.
    let (archived, hits) = ingest_and_detect(&planned);

    // Each record against its rule's hits.
    let mut failed_rules = BTreeSet::new();
    for p in &planned {
        let rule = runs[p.rule];
        let hit = hits.contains(&(rule.id.clone(), p.event_id.clone()));
        let why = if !archived.contains(&p.event_id) {
            Some("the record was not archived (rejected or skipped by ingest)")
        } else if p.hit && !hit {
            Some("expected a hit, got none")
        } else if !p.hit && hit {
            Some("expected no hit, got one")
        } else {
            None
        };
        if let Some(why) = why {
            failed_rules.insert(p.rule);
            problems.push(describe(
                rule,
                &format!(
                    "{} [{:?} record {}]: {why}\n      record: {}",
                    p.what,
                    p.source,
                    p.event_id,
                    records::text(&p.record)
                ),
            ));
        }
    }
    let positives = planned.iter().filter(|p| p.hit).count();
    eprintln!(
        "detect_rules: {} rule files; {} run, {} not run; {} rules tested with {} records ({} positive, {} negative); {} rules fail",
        files.len(),
        listed.run.len(),
        listed.not_run.len(),
        covered.len(),
        planned.len(),
        positives,
        planned.len() - positives,
        failed_rules.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems ({} of {} rules that run fail):\n{}",
        problems.len(),
        failed_rules.len(),
        runs.len(),
        problems.join("\n")
    );
}

/// The generic records of a rule, numbered from `first`: `(a hit or not, what it is, record)`.
fn generic(rule: &Rule, source: Source, first: usize) -> Result<Vec<(bool, String, Value)>, String> {
    let case = generate::case(rule)?;
    let samples = std::iter::once((true, "positive".to_string(), case.positive)).chain(
        case.negatives
            .into_iter()
            .map(|(what, s)| (false, format!("negative: {what}"), s)),
    );
    samples
        .enumerate()
        .map(|(n, (hit, what, sample))| Ok((hit, what, records::record(source, &sample, first + n)?)))
        .collect()
}

/// The records ingested into a new archive and `detect` run over it: the event ids archived,
/// and the hits as `(rule id, event id)`.
fn ingest_and_detect(planned: &[Planned]) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let work = tempfile::tempdir().unwrap();
    let kept;
    let work = match std::env::var_os("DETECT_RULES_KEEP") {
        // To look into a failure: the raw files and the archive stay.
        Some(_) => {
            kept = work.keep();
            eprintln!(
                "detect_rules: the records and the archive are kept in {}",
                kept.display()
            );
            kept.as_path()
        }
        None => work.path(),
    };
    let raw = work.join("raw");
    write_raw(&raw, planned);
    let archive = work.join("archive");
    let archive = archive.to_str().unwrap();
    let out = trailscope(&["ingest", "--archive", archive, raw.to_str().unwrap()], &[]);
    assert!(out.status.success(), "ingest: {}\n{}", stdout(&out), stderr(&out));
    let all = "SELECT event_id FROM events";
    let out = trailscope(&["query", "--archive", archive, "--format", "csv", all], &[]);
    let archived = column(&csv(&out), "event_id")
        .into_iter()
        .map(|mut r| r.remove(0))
        .collect();
    let window = ["--from", "2000-01-01", "--to", "2100-01-01"];
    let mut args = vec!["detect", "--archive", archive, "--format", "csv"];
    args.extend(window);
    let out = trailscope(&args, &[]);
    let hits = column(&csv(&out), "rule_id\tevent_id")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    (archived, hits)
}

fn describe(rule: &Rule, problem: &str) -> String {
    format!("- {} \"{}\" ({}): {problem}", rule.id, rule.title, rule.file)
}

/// The rule files as shipped, `(path under rules/sigma/, text)`, in path order.
fn rule_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/sigma");
    let mut files = Vec::new();
    let mut dirs = vec![root.join("rules")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                let relative = path.strip_prefix(&root).unwrap().display().to_string();
                files.push((relative, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no rules under {}", root.display());
    files
}

/// What `detect --list` says: the ids of the rules run, and of those not run with the reason.
struct Listed {
    run: Vec<String>,
    not_run: Vec<(String, String)>,
}

fn list() -> Listed {
    let out = trailscope(&["detect", "--list"], &[]);
    assert!(out.status.success(), "detect --list: {}", stderr(&out));
    let text = stdout(&out);
    let mut listed = Listed {
        run: Vec::new(),
        not_run: Vec::new(),
    };
    let mut section = "";
    let mut last_not_run: Option<String> = None;
    for line in text.lines() {
        if line.ends_with(" rules run:") || line.ends_with(" rule run:") {
            section = "run";
        } else if line.ends_with(" not run:") {
            section = "not run";
        } else if line.starts_with("  ") && !line.starts_with("   ") {
            let words: Vec<&str> = line.split_whitespace().collect();
            match section {
                "run" => listed.run.push(words[1].to_string()),
                "not run" => last_not_run = Some(words[0].to_string()),
                _ => {}
            }
        } else if line.starts_with("   ") && section == "not run" {
            // `origin: problem`, the origin being the rule's file.
            let reason = line
                .split_once(".yml: ")
                .or_else(|| line.split_once(".yaml: "))
                .map(|(_, r)| r.to_string())
                .unwrap_or_default();
            if let Some(id) = last_not_run.take() {
                listed.not_run.push((id, reason));
            }
        }
    }
    listed
}

/// The records written as each cloud delivers them: a CloudTrail log file, GCP entries as JSON
/// lines, and Activity Log and Entra ID diagnostic-settings exports (`{"records": […]}`).
fn write_raw(dir: &Path, planned: &[Planned]) {
    let mut by_file: BTreeMap<Source, Vec<String>> = BTreeMap::new();
    for p in planned {
        by_file.entry(p.source).or_default().push(records::text(&p.record));
    }
    for (source, texts) in by_file {
        let (name, wrapper) = source.file();
        let path: PathBuf = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let body = match wrapper {
            Some(key) => format!("{{\"{key}\":[\n{}\n]}}\n", texts.join(",\n")),
            None => texts.join("\n") + "\n",
        };
        std::fs::write(&path, body).unwrap();
    }
}

/// CSV text as rows of cells (quoted cells with commas, quotes and line breaks read back).
fn csv(out: &std::process::Output) -> Vec<Vec<String>> {
    // 5 is detect's "there are hits".
    assert!(matches!(out.status.code(), Some(0 | 5)), "{}", stderr(out));
    let text = stdout(out);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            ('\r', false) => {}
            (c, _) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// The named columns (tab-separated names) of a CSV table, per row.
fn column(rows: &[Vec<String>], names: &str) -> Vec<Vec<String>> {
    let header = rows.first().expect("a header row");
    let at: Vec<usize> = names
        .split('\t')
        .map(|n| {
            header
                .iter()
                .position(|h| h == n)
                .unwrap_or_else(|| panic!("no column {n} in {header:?}"))
        })
        .collect();
    rows[1..]
        .iter()
        .map(|r| at.iter().map(|&i| r[i].clone()).collect())
        .collect()
}
