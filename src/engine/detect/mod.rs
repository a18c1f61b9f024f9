//! Detections: Sigma rules (SigmaHQ's cloud rules, built in, and the user's own) compiled to SQL
//! over `events` and run together, in one scan of the window: the filters on columns of every
//! rule first, the stored records read only for the rows some rule's columns admit.

mod compile;
pub mod condition;
mod correlate;
pub mod fields;
pub mod sigma;
pub mod triage;
pub mod udf;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use futures::TryStreamExt;

pub use sigma::{Level, Rule, RuleProblem};

use super::{EngineError, Query, Scope, Session};
use compile::{Binder, Compiled};

use sigma::Body;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// Where the built-in rules come from, as their licence (DRL 1.1) asks to say.
pub const BUILTIN_SOURCE: &str =
    "SigmaHQ (github.com/SigmaHQ/sigma, commit 8eaafff1f2845a696050e05e72ba1140ee190698), Detection Rule License 1.1";

/// A rule that cannot be run, and why.
#[derive(Clone, Debug)]
pub struct Refused {
    pub id: Option<String>,
    pub title: Option<String>,
    pub origin: String,
    pub problem: RuleProblem,
}

/// The rules to run: the built-in ones and the user's, each compiled once when loaded, and
/// those that cannot be run with the reason.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub refused: Vec<Refused>,
    compiled: Vec<Option<Compiled>>,
    /// Notes for the user: a rule of theirs that replaces a built-in one, a file not read.
    pub notes: Vec<String>,
}

impl RuleSet {
    /// SigmaHQ's cloud rules as shipped.
    pub fn builtin() -> RuleSet {
        let mut set = RuleSet::default();
        for (path, text) in builtin::BUILTIN {
            set.add_text(text, &format!("SigmaHQ {path}"));
        }
        set.check();
        set
    }

    /// The `.yml`/`.yaml` files under `dir` (recursively), added to the set; a rule with the id
    /// of one already there replaces it.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), EngineError> {
        let meta = std::fs::metadata(dir)
            .map_err(|e| EngineError::Usage(format!("cannot read the rules at {}: {e}", dir.display())))?;
        let files: Vec<std::path::PathBuf> = if meta.is_file() {
            vec![dir.to_path_buf()]
        } else {
            let mut files: Vec<_> = walkdir::WalkDir::new(dir)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
                .collect();
            files.sort();
            files
        };
        if files.is_empty() {
            return Err(EngineError::Usage(format!(
                "{} holds no Sigma rules (.yml or .yaml files)",
                dir.display()
            )));
        }
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => self.add_text(&text, &file.display().to_string()),
                Err(e) => self.refused.push(Refused {
                    id: None,
                    title: None,
                    origin: file.display().to_string(),
                    problem: RuleProblem::Invalid(format!("cannot be read: {e}")),
                }),
            }
        }
        self.check();
        Ok(())
    }

    fn add_text(&mut self, text: &str, origin: &str) {
        for parsed in sigma::parse_file(text, origin) {
            match parsed {
                Ok(rule) => {
                    if let Some(at) = self.rules.iter().position(|r| r.id == rule.id) {
                        self.notes.push(format!(
                            "the rule {} of {origin} replaces the one of {}",
                            rule.id, self.rules[at].origin
                        ));
                        self.rules.remove(at);
                        self.compiled.remove(at);
                    }
                    self.rules.push(rule);
                    self.compiled.push(None);
                }
                Err((id, title, problem)) => self.refused.push(Refused {
                    id,
                    title,
                    origin: origin.to_string(),
                    problem,
                }),
            }
        }
    }

    /// Compiles what is not compiled yet; rules that cannot be run move to `refused`:
    /// detections first, then the correlations, which need the detections they count.
    fn check(&mut self) {
        for i in 0..self.rules.len() {
            if let (Body::Detection(d), None) = (&self.rules[i].body, &self.compiled[i]) {
                match compile::detection(d, "v") {
                    Ok(c) => self.compiled[i] = Some(c),
                    Err(problem) => self.refuse(i, problem),
                }
            }
        }
        self.drop_refused();
        // A correlation refused may leave none naming a rule, never the reverse: one pass.
        for i in 0..self.rules.len() {
            if let Body::Correlation(c) = &self.rules[i].body
                && let Some(problem) = self.correlation_problem(c)
            {
                self.refuse(i, problem);
            }
        }
        self.drop_refused();
    }

    /// Marks rule `i` refused (it is dropped by `drop_refused`).
    fn refuse(&mut self, i: usize, problem: RuleProblem) {
        let rule = &self.rules[i];
        self.refused.push(Refused {
            id: Some(rule.id.clone()),
            title: Some(rule.title.clone()),
            origin: rule.origin.clone(),
            problem,
        });
        self.rules[i].id.clear();
    }

    fn drop_refused(&mut self) {
        let keep: Vec<bool> = self.rules.iter().map(|r| !r.id.is_empty()).collect();
        let mut k = keep.iter();
        self.rules.retain(|_| *k.next().expect("one each"));
        let mut k = keep.iter();
        self.compiled.retain(|_| *k.next().expect("one each"));
    }

    fn correlation_problem(&self, c: &sigma::Correlation) -> Option<RuleProblem> {
        for name in &c.rules {
            let Some(at) = self.position(name) else {
                return Some(RuleProblem::Invalid(format!(
                    "the correlation names the rule '{name}', which is not loaded"
                )));
            };
            let Some(compiled) = &self.compiled[at] else {
                return Some(RuleProblem::Unsupported(format!(
                    "the correlation counts '{name}', which is itself a correlation"
                )));
            };
            let mut fields: Vec<&String> = c.group_by.iter().collect();
            if let sigma::CorrelationKind::ValueCount(f) = &c.kind {
                fields.push(f);
            }
            for f in fields {
                if let Err(p) = fields::target(&compiled.source, f) {
                    return Some(p);
                }
            }
        }
        None
    }

    /// The rule with this id, name or (whole) title.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.rules
            .iter()
            .position(|r| r.id == key || r.name.as_deref() == Some(key))
            .or_else(|| self.rules.iter().position(|r| r.title.eq_ignore_ascii_case(key)))
    }

    /// Rules whose id, name or title holds `part`, for a suggestion.
    pub fn like(&self, part: &str) -> Vec<&Rule> {
        let part = part.to_lowercase();
        self.rules
            .iter()
            .filter(|r| r.id.starts_with(&part) || r.title.to_lowercase().contains(&part))
            .take(5)
            .collect()
    }
}

/// One rule's hit: the event (or, for a correlation, the first of the events) and what it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hit {
    /// The rule's index in the set.
    pub rule: usize,
    pub time: i64,
    pub cloud: String,
    pub tenant: String,
    pub principal: String,
    pub action: String,
    pub resource: Option<String>,
    pub source_ip: Option<String>,
    pub event_id: String,
    /// For a correlation: what was counted, and the ids of the events.
    pub detail: String,
    pub events: Vec<String>,
}

/// The SQL of one scan for rules `chosen` (indices in the set), and how to read its rows.
#[derive(Clone, Debug)]
pub struct Plan {
    pub query: Query,
    /// The detections in the scan, in the order of its `hit_<n>` columns.
    detections: Vec<usize>,
    /// Detections counted by a chosen correlation and not reported themselves.
    quiet: Vec<usize>,
    correlations: Vec<PlannedCorrelation>,
}

#[derive(Clone, Debug)]
struct PlannedCorrelation {
    rule: usize,
    /// Per counted detection: the columns (`value_<n>`) of its group-by values and counted value.
    counted: Vec<(usize, Vec<usize>, Option<usize>)>,
}

const COLUMNS: &str = "event_time, event_id, cloud, tenant, principal, action, resource, source_ip";

/// The rules of `set` at or above `level`, or the one named by `only`.
pub fn choose(set: &RuleSet, level: Level, only: Option<&str>) -> Result<Vec<usize>, EngineError> {
    match only {
        Some(key) => match set.position(key) {
            Some(i) => Ok(vec![i]),
            None => {
                let why = match set
                    .refused
                    .iter()
                    .find(|r| r.id.as_deref() == Some(key) || r.title.as_deref() == Some(key))
                {
                    Some(r) => format!("the rule '{key}' is not run: {}", r.problem),
                    None => {
                        let like: Vec<String> = set
                            .like(key)
                            .iter()
                            .map(|r| format!("{} ({})", r.id, r.title))
                            .collect();
                        match like.is_empty() {
                            true => format!("there is no rule '{key}': `trailscope detect --list` shows them"),
                            false => format!("there is no rule '{key}': did you mean {}?", like.join(", ")),
                        }
                    }
                };
                Err(EngineError::Usage(why))
            }
        },
        None => Ok((0..set.rules.len()).filter(|&i| set.rules[i].level >= level).collect()),
    }
}

/// One scan of `scope`'s window for the rules `chosen`.
pub fn plan(set: &RuleSet, chosen: &[usize], scope: &Scope) -> Plan {
    let mut detections: Vec<usize> = Vec::new();
    let mut quiet = Vec::new();
    let mut correlations = Vec::new();
    let add = |i: usize, detections: &mut Vec<usize>| {
        if !detections.contains(&i) {
            detections.push(i);
        }
    };
    for &i in chosen {
        match &set.rules[i].body {
            Body::Detection(_) => add(i, &mut detections),
            Body::Correlation(c) => {
                for name in &c.rules {
                    let base = set.position(name).expect("checked when loaded");
                    add(base, &mut detections);
                    // Counted, not reported on its own, unless the correlation says so.
                    if !c.generate {
                        quiet.push(base);
                    }
                }
            }
        }
    }
    let mut params = scope.params();
    let mut hits = Vec::new();
    let mut columns = Vec::new();
    // Per log source, the rules' own conditions on columns (None: one rule admits all its
    // events): the scan's filter says each source once.
    let mut admits: BTreeMap<&str, Option<Vec<String>>> = BTreeMap::new();
    for (n, &i) in detections.iter().enumerate() {
        let Body::Detection(d) = &set.rules[i].body else {
            continue;
        };
        // Compiled again with names of its own: the rules of one scan share no parameter.
        let c = compile::detection(d, &format!("r{n}")).expect("compiled when loaded");
        hits.push(c.condition);
        columns.push(c.columns);
        let admitted = admits.entry(c.source.sql()).or_insert_with(|| Some(Vec::new()));
        match (admitted.as_mut(), c.own_columns) {
            (Some(list), Some(own)) => list.push(own),
            _ => *admitted = None,
        }
        params.extend(c.params);
    }
    // The values correlations group by and count, one column each per counted rule's source.
    let mut values: Vec<String> = Vec::new();
    let mut value_binder = Binder::new("val");
    let value_column = |target: fields::Target, guard: &str, values: &mut Vec<String>, b: &mut Binder| -> usize {
        let sql = compile::value_sql(&target, &format!("({guard})"), b);
        match values.iter().position(|v| *v == sql) {
            Some(at) => at,
            None => {
                values.push(sql);
                values.len() - 1
            }
        }
    };
    for &i in chosen {
        let Body::Correlation(c) = &set.rules[i].body else {
            continue;
        };
        let mut counted = Vec::new();
        for name in &c.rules {
            let base = set.position(name).expect("checked when loaded");
            let source = &set.compiled[base].as_ref().expect("a detection").source;
            // The record is read for the rows the counted rule's columns admit.
            let guard = &columns[detections.iter().position(|d| *d == base).expect("planned")];
            let group = c
                .group_by
                .iter()
                .map(|f| {
                    let t = fields::target(source, f).expect("checked when loaded");
                    value_column(t, guard, &mut values, &mut value_binder)
                })
                .collect();
            let value = match &c.kind {
                sigma::CorrelationKind::ValueCount(f) => {
                    let t = fields::target(source, f).expect("checked when loaded");
                    Some(value_column(t, guard, &mut values, &mut value_binder))
                }
                sigma::CorrelationKind::EventCount => None,
            };
            counted.push((base, group, value));
        }
        correlations.push(PlannedCorrelation { rule: i, counted });
    }
    params.extend(value_binder.params);
    let mut select = vec![COLUMNS.to_string()];
    select.extend(
        hits.iter()
            .enumerate()
            .map(|(n, h)| format!("coalesce({h}, false) AS hit_{n}")),
    );
    select.extend(values.iter().enumerate().map(|(n, v)| format!("{v} AS value_{n}")));
    let any = |parts: &[String]| match parts.is_empty() {
        true => "false".to_string(),
        false => compile::join(parts.iter().map(String::as_str), "\n    OR "),
    };
    // The rows no rule's columns admit are never read further; the rest are returned with a
    // flag per rule (a filter on the flags would evaluate every condition a second time).
    let sql = format!(
        "SELECT {}\nFROM events\nWHERE {}\n  AND ({})",
        select.join(",\n  "),
        scope.clause(),
        any(&admits
            .into_iter()
            .map(|(source, own)| match own {
                Some(own) => format!(
                    "{source} AND ({})",
                    compile::join(own.iter().map(String::as_str), " OR ")
                ),
                None => source.to_string(),
            })
            .collect::<Vec<_>>()),
    );
    let titles: Vec<&str> = chosen.iter().map(|&i| set.rules[i].title.as_str()).collect();
    Plan {
        query: Query {
            title: match titles.as_slice() {
                [one] => format!("detect: {one}"),
                many => format!("detect: {} rules", many.len()),
            },
            sql,
            params,
            facts: None,
        },
        detections,
        quiet,
        correlations,
    }
}

/// Per detection (its place in the scan): its rows (indices among the scan's rows that some
/// rule hit) with the values correlations read.
type Matched = HashMap<usize, Vec<(usize, Vec<Option<String>>)>>;

/// What a run found, and what it read.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    pub hits: Vec<Hit>,
    pub pruning: Option<super::Pruning>,
}

/// Runs a plan on `session` and returns its hits, correlations' included, in time order.
pub async fn run(session: &Session, set: &RuleSet, plan: &Plan) -> Result<Findings, EngineError> {
    let mut stream = session.run(&plan.query).await?;
    let mut rows: Vec<Hit> = Vec::new();
    // Per detection, its hits (indices into `rows`) and their values.
    let mut matched: Matched = HashMap::new();
    let value_count = plan.query.sql.matches(" AS value_").count();
    while let Some(batch) = stream.try_next().await.map_err(EngineError::from_datafusion)? {
        read_batch(&batch, plan, value_count, &mut rows, &mut matched)?;
    }
    let pruning = stream.pruning();
    let mut hits: Vec<Hit> = Vec::new();
    for pc in &plan.correlations {
        let Body::Correlation(c) = &set.rules[pc.rule].body else {
            continue;
        };
        let mut counted = Vec::new();
        let mut seen_events = std::collections::HashSet::new();
        for (base, group, value) in &pc.counted {
            let n = plan.detections.iter().position(|d| d == base).expect("planned");
            for (row, values) in matched.get(&n).into_iter().flatten() {
                // An event two counted rules match is one event.
                if !seen_events.insert(*row) {
                    continue;
                }
                counted.push(correlate::Counted {
                    time: rows[*row].time,
                    group: group.iter().map(|g| values[*g].clone()).collect(),
                    value: value.and_then(|v| values[v].clone()),
                    event: *row,
                });
            }
        }
        for burst in correlate::bursts(c, counted) {
            let first = &rows[burst.events[0]];
            let grouped: Vec<String> = c
                .group_by
                .iter()
                .zip(&burst.group)
                .map(|(f, v)| format!("{f}={}", v.as_deref().unwrap_or("(none)")))
                .collect();
            let counted_what = match &c.kind {
                sigma::CorrelationKind::EventCount => "events".to_string(),
                sigma::CorrelationKind::ValueCount(f) => format!("distinct {f}"),
            };
            let mut hit = first.clone();
            hit.rule = pc.rule;
            hit.detail = format!(
                "{} {counted_what} in {}{}",
                burst.count,
                super::window::format_span((burst.to - burst.from).max(0)),
                if grouped.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", grouped.join(", "))
                }
            );
            hit.events = burst.events.iter().map(|e| rows[*e].event_id.clone()).collect();
            hits.push(hit);
        }
    }
    // A row is moved into the hit of the last rule that reports it, copied for the others: a
    // noisy rule's millions of hits are not held twice.
    let reported: Vec<usize> = (0..plan.detections.len())
        .filter(|n| !plan.quiet.contains(&plan.detections[*n]))
        .collect();
    let mut uses = vec![0u32; rows.len()];
    for n in &reported {
        for (row, _) in matched.get(n).into_iter().flatten() {
            uses[*row] += 1;
        }
    }
    for n in reported {
        for (row, _) in matched.remove(&n).into_iter().flatten() {
            uses[row] -= 1;
            let mut hit = match uses[row] {
                0 => std::mem::take(&mut rows[row]),
                _ => rows[row].clone(),
            };
            hit.rule = plan.detections[n];
            hits.push(hit);
        }
    }
    hits.sort_by(|a, b| {
        (std::cmp::Reverse(set.rules[a.rule].level), a.time, &a.event_id, a.rule).cmp(&(
            std::cmp::Reverse(set.rules[b.rule].level),
            b.time,
            &b.event_id,
            b.rule,
        ))
    });
    Ok(Findings { hits, pruning })
}

fn read_batch(
    batch: &RecordBatch,
    plan: &Plan,
    value_count: usize,
    rows: &mut Vec<Hit>,
    matched: &mut Matched,
) -> Result<(), EngineError> {
    let text = |name: &str| -> Result<ArrayRef, EngineError> {
        let column = batch
            .column_by_name(name)
            .ok_or_else(|| EngineError::Usage(format!("the detection scan has no column {name}")))?;
        datafusion::arrow::compute::cast(column, &DataType::Utf8).map_err(arrow)
    };
    let time = datafusion::arrow::compute::cast(
        batch.column_by_name("event_time").expect("selected"),
        &DataType::Timestamp(TimeUnit::Microsecond, None),
    )
    .map_err(arrow)?;
    let time = time.as_primitive::<datafusion::arrow::datatypes::TimestampMicrosecondType>();
    let [event_id, cloud, tenant, principal, action, resource, source_ip] = [
        "event_id",
        "cloud",
        "tenant",
        "principal",
        "action",
        "resource",
        "source_ip",
    ]
    .map(text);
    let (event_id, cloud, tenant, principal, action, resource, source_ip) =
        (event_id?, cloud?, tenant?, principal?, action?, resource?, source_ip?);
    let s = |a: &ArrayRef, i: usize| -> Option<String> {
        let a = a.as_string::<i32>();
        a.is_valid(i).then(|| a.value(i).to_string())
    };
    let flags: Vec<BooleanArray> = (0..plan.detections.len())
        .map(|n| {
            batch
                .column_by_name(&format!("hit_{n}"))
                .map(|c| c.as_boolean().clone())
        })
        .collect::<Option<_>>()
        .ok_or_else(|| EngineError::Usage("the detection scan lost a rule's column".into()))?;
    let values: Vec<ArrayRef> = (0..value_count)
        .map(|n| text(&format!("value_{n}")))
        .collect::<Result<_, _>>()?;
    for i in 0..batch.num_rows() {
        if !flags.iter().any(|f| f.is_valid(i) && f.value(i)) {
            continue;
        }
        let row = rows.len();
        rows.push(Hit {
            rule: 0,
            time: time.value(i),
            cloud: s(&cloud, i).unwrap_or_default(),
            tenant: s(&tenant, i).unwrap_or_default(),
            principal: s(&principal, i).unwrap_or_default(),
            action: s(&action, i).unwrap_or_default(),
            resource: s(&resource, i),
            source_ip: s(&source_ip, i),
            event_id: s(&event_id, i).unwrap_or_default(),
            detail: String::new(),
            events: Vec::new(),
        });
        let row_values: Vec<Option<String>> = values.iter().map(|v| s(v, i)).collect();
        for (n, flag) in flags.iter().enumerate() {
            if flag.is_valid(i) && flag.value(i) {
                matched.entry(n).or_default().push((row, row_values.clone()));
            }
        }
    }
    Ok(())
}

/// The hits as a table: level, rule, time, principal, action, resource, tenant, event id, then
/// the cloud, the rule's id and a correlation's detail.
pub fn table(set: &RuleSet, hits: &[Hit]) -> RecordBatch {
    let text =
        |f: &dyn Fn(&Hit) -> Option<String>| -> ArrayRef { Arc::new(hits.iter().map(f).collect::<StringArray>()) };
    let schema = Arc::new(Schema::new(vec![
        Field::new("level", DataType::Utf8, false),
        Field::new("rule", DataType::Utf8, false),
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("principal", DataType::Utf8, false),
        Field::new("action", DataType::Utf8, false),
        Field::new("resource", DataType::Utf8, true),
        Field::new("tenant", DataType::Utf8, false),
        Field::new("event_id", DataType::Utf8, false),
        Field::new("cloud", DataType::Utf8, false),
        Field::new("rule_id", DataType::Utf8, false),
        Field::new("detail", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        text(&|h| Some(set.rules[h.rule].level.name().to_string())),
        text(&|h| Some(set.rules[h.rule].title.clone())),
        Arc::new(
            hits.iter()
                .map(|h| Some(h.time))
                .collect::<TimestampMicrosecondArray>()
                .with_timezone("UTC"),
        ),
        text(&|h| Some(h.principal.clone())),
        text(&|h| Some(h.action.clone())),
        text(&|h| h.resource.clone()),
        text(&|h| Some(h.tenant.clone())),
        text(&|h| Some(h.event_id.clone())),
        text(&|h| Some(h.cloud.clone())),
        text(&|h| Some(set.rules[h.rule].id.clone())),
        text(&|h| (!h.detail.is_empty()).then(|| h.detail.clone())),
    ];
    RecordBatch::try_new(schema, columns).expect("columns match the schema")
}

/// The count of hits per rule, most severe first: the Detections screen's groups.
pub fn by_rule(set: &RuleSet, hits: &[Hit]) -> Vec<(usize, usize)> {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for h in hits {
        *counts.entry(h.rule).or_default() += 1;
    }
    let mut out: Vec<(usize, usize)> = counts.into_iter().collect();
    out.sort_by(|a, b| {
        (std::cmp::Reverse(set.rules[a.0].level), &set.rules[a.0].title)
            .cmp(&(std::cmp::Reverse(set.rules[b.0].level), &set.rules[b.0].title))
    });
    out
}

fn arrow(e: datafusion::arrow::error::ArrowError) -> EngineError {
    EngineError::Execution(e.to_string())
}
