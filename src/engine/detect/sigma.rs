//! Sigma rules as written (the rule format of github.com/SigmaHQ/sigma-specification): a rule's
//! metadata, its log source, its named searches and its condition, or a correlation of other
//! rules. What the format allows and trailscope cannot run is said per rule, with the reason.

use std::collections::BTreeMap;

use serde_json::Value;

use super::condition::{self, Cond};

/// How severe a rule says its hits are, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// One rule file's document.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// The name other rules (correlations) may refer to it by.
    pub name: Option<String>,
    pub level: Level,
    pub status: String,
    pub author: String,
    pub description: String,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    pub falsepositives: Vec<String>,
    /// Where the rule was read from: a built-in rule's path in SigmaHQ's repository, or a file.
    pub origin: String,
    pub body: Body,
}

#[derive(Clone, Debug)]
pub enum Body {
    Detection(Detection),
    Correlation(Correlation),
}

#[derive(Clone, Debug)]
pub struct Detection {
    pub logsource: LogSource,
    pub searches: BTreeMap<String, Search>,
    pub condition: Cond,
}

/// `product`, `service` and `category` of a rule's `logsource`, lower-cased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogSource {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

impl std::fmt::Display for LogSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [
            ("product", &self.product),
            ("service", &self.service),
            ("category", &self.category),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
        .collect();
        f.write_str(&parts.join(", "))
    }
}

/// A named search: field matches (a map, or a list of maps any of which matches), or keywords
/// looked for anywhere in the event.
#[derive(Clone, Debug, PartialEq)]
pub enum Search {
    /// Any of the maps matches; a map matches when all its fields do.
    Maps(Vec<Vec<FieldMatch>>),
    /// Any of the words is somewhere in the event.
    Keywords(Vec<String>),
}

/// `field|modifier|…: value(s)`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldMatch {
    pub field: String,
    pub how: How,
    /// Whether the field is compared with case (the `cased` modifier; `re` is cased unless `i`).
    pub cased: bool,
    /// All values must match (the `all` modifier); else any.
    pub all: bool,
    pub values: Vec<Wanted>,
}

/// How a value is compared with the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum How {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
    /// A regular expression with its flags (`i`, `m`, `s`) written as the inline group.
    Regex(String),
    Cidr,
    /// The value names another field whose value must be equal (or contain, start or end it).
    FieldRef(Box<How>),
    /// The value is `true` (the field is there) or `false`.
    Exists,
}

/// One value a field is compared with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wanted {
    Text(String),
    /// YAML `null`: the field is missing or null.
    Null,
}

/// A correlation rule: its type, the rules it counts, how it groups, over what time.
#[derive(Clone, Debug)]
pub struct Correlation {
    pub kind: CorrelationKind,
    /// Ids or names of the rules whose hits are counted.
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    /// The time span, in microseconds, that the counted events must fall within.
    pub timespan: i64,
    pub condition: Vec<(Compare, u64)>,
    /// Whether the counted rules are reported on their own too.
    pub generate: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorrelationKind {
    EventCount,
    /// Distinct values of this field.
    ValueCount(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
}

impl Compare {
    pub fn holds(self, n: u64, bound: u64) -> bool {
        match self {
            Compare::Gt => n > bound,
            Compare::Gte => n >= bound,
            Compare::Lt => n < bound,
            Compare::Lte => n <= bound,
            Compare::Eq => n == bound,
        }
    }

    fn parse(s: &str) -> Option<Compare> {
        Some(match s {
            "gt" => Compare::Gt,
            "gte" => Compare::Gte,
            "lt" => Compare::Lt,
            "lte" => Compare::Lte,
            "eq" => Compare::Eq,
            _ => return None,
        })
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Compare::Gt => ">",
            Compare::Gte => "≥",
            Compare::Lt => "<",
            Compare::Lte => "≤",
            Compare::Eq => "=",
        }
    }
}

/// Why a rule document cannot be run: the format is not followed, or it uses a part of Sigma
/// trailscope does not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    #[error("not a Sigma rule: {0}")]
    Invalid(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// A document that is no rule to run: its id and title if it has them, and why.
pub type NotRun = (Option<String>, Option<String>, RuleProblem);

/// The documents of one rule file (a file may hold several, separated by `---`), each a rule
/// or the reason it is not one. `origin` says where the file came from.
pub fn parse_file(text: &str, origin: &str) -> Vec<Result<Rule, NotRun>> {
    let documents: Vec<Value> = match serde_saphyr::from_multiple(text) {
        Ok(d) => d,
        Err(e) => {
            let first_line = e.to_string().lines().next().unwrap_or_default().to_string();
            return vec![Err((
                None,
                None,
                RuleProblem::Invalid(format!("not YAML: {first_line}")),
            ))];
        }
    };
    documents
        .into_iter()
        .filter(|d| !d.is_null())
        .map(|d| {
            let id = d.get("id").and_then(Value::as_str).map(str::to_string);
            let title = d.get("title").and_then(Value::as_str).map(str::to_string);
            parse_rule(&d, origin).map_err(|p| (id, title, p))
        })
        .collect()
}

fn parse_rule(d: &Value, origin: &str) -> Result<Rule, RuleProblem> {
    let invalid = |s: &str| RuleProblem::Invalid(s.to_string());
    let text = |k: &str| d.get(k).and_then(scalar_text);
    let list = |k: &str| -> Vec<String> {
        match d.get(k) {
            Some(Value::Array(a)) => a.iter().filter_map(scalar_text).collect(),
            Some(v) => scalar_text(v).into_iter().collect(),
            None => Vec::new(),
        }
    };
    let title = text("title").ok_or_else(|| invalid("it has no title"))?;
    let title = Some(title)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| invalid("its title is empty"))?;
    let id = text("id")
        .filter(|i| !i.trim().is_empty())
        .unwrap_or_else(|| title.clone());
    let level = match text("level") {
        Some(l) => {
            Level::parse(&l).ok_or_else(|| RuleProblem::Invalid(format!("level '{l}' is not one of Sigma's")))?
        }
        None => Level::Medium,
    };
    let body = match (d.get("detection"), d.get("correlation")) {
        (Some(detection), None) => Body::Detection(parse_detection(d, detection)?),
        (None, Some(correlation)) => Body::Correlation(parse_correlation(correlation)?),
        (Some(_), Some(_)) => return Err(invalid("it has both detection and correlation")),
        (None, None) => {
            if d.get("filter").is_some() {
                return Err(RuleProblem::Unsupported(
                    "filter rules (meta-filters) are not run".into(),
                ));
            }
            return Err(invalid("it has neither detection nor correlation"));
        }
    };
    Ok(Rule {
        id,
        title,
        name: text("name"),
        level,
        status: text("status").unwrap_or_default(),
        author: text("author").unwrap_or_default(),
        description: text("description").unwrap_or_default(),
        references: list("references"),
        tags: list("tags"),
        falsepositives: list("falsepositives"),
        origin: origin.to_string(),
        body,
    })
}

fn parse_detection(d: &Value, detection: &Value) -> Result<Detection, RuleProblem> {
    let Value::Object(detection) = detection else {
        return Err(RuleProblem::Invalid("detection is not a map".into()));
    };
    let logsource = match d.get("logsource") {
        Some(Value::Object(ls)) => {
            let get = |k: &str| ls.get(k).and_then(scalar_text).map(|s| s.to_ascii_lowercase());
            LogSource {
                product: get("product"),
                service: get("service"),
                category: get("category"),
            }
        }
        _ => return Err(RuleProblem::Invalid("it has no logsource".into())),
    };
    if detection.contains_key("timeframe") {
        return Err(RuleProblem::Unsupported(
            "timeframe (Sigma 1's aggregation window) is not run: write it as a correlation rule".into(),
        ));
    }
    let mut searches = BTreeMap::new();
    for (name, value) in detection {
        if name == "condition" {
            continue;
        }
        searches.insert(name.clone(), parse_search(name, value)?);
    }
    let condition = match detection.get("condition") {
        Some(Value::String(c)) => c.clone(),
        Some(Value::Array(list)) if list.len() == 1 => list[0]
            .as_str()
            .ok_or_else(|| RuleProblem::Invalid("the condition is not text".into()))?
            .to_string(),
        Some(Value::Array(_)) => {
            return Err(RuleProblem::Unsupported(
                "a list of several conditions (deprecated in Sigma 2)".into(),
            ));
        }
        _ => return Err(RuleProblem::Invalid("detection has no condition".into())),
    };
    let names: Vec<&str> = searches.keys().map(String::as_str).collect();
    let condition = condition::parse(&condition, &names)?;
    Ok(Detection {
        logsource,
        searches,
        condition,
    })
}

fn parse_search(name: &str, value: &Value) -> Result<Search, RuleProblem> {
    let invalid = |why: &str| RuleProblem::Invalid(format!("the search '{name}' {why}"));
    match value {
        Value::Object(map) => Ok(Search::Maps(vec![parse_map(map)?])),
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => Ok(Search::Maps(
            items
                .iter()
                .map(|m| parse_map(m.as_object().expect("checked")))
                .collect::<Result<_, _>>()?,
        )),
        Value::Array(items) if items.is_empty() => Err(invalid("is an empty list")),
        Value::Array(items) => items
            .iter()
            .map(|v| scalar_text(v).ok_or_else(|| invalid("mixes maps and words")))
            .collect::<Result<Vec<_>, _>>()
            .map(Search::Keywords),
        other => scalar_text(other)
            .map(|w| Search::Keywords(vec![w]))
            .ok_or_else(|| invalid("is empty")),
    }
}

fn parse_map(map: &serde_json::Map<String, Value>) -> Result<Vec<FieldMatch>, RuleProblem> {
    map.iter().map(|(key, value)| parse_field(key, value)).collect()
}

fn parse_field(key: &str, value: &Value) -> Result<FieldMatch, RuleProblem> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().to_string();
    let mut how = How::Equals;
    let (mut cased, mut all, mut fieldref, mut regex_flags, mut is_regex) = (false, false, false, String::new(), false);
    for modifier in parts {
        match modifier {
            "contains" => how = How::Contains,
            "startswith" => how = How::StartsWith,
            "endswith" => how = How::EndsWith,
            "all" => all = true,
            "cased" => cased = true,
            "re" => is_regex = true,
            "i" | "m" | "s" if is_regex => regex_flags.push_str(modifier),
            "cidr" => how = How::Cidr,
            "fieldref" => fieldref = true,
            "exists" => how = How::Exists,
            other => {
                return Err(RuleProblem::Unsupported(format!(
                    "the modifier '{other}' (on {field}) is not run"
                )));
            }
        }
    }
    if is_regex {
        how = How::Regex(regex_flags);
        // A regular expression is matched as written: with case unless `i`.
        cased = true;
    }
    if fieldref {
        if matches!(how, How::Regex(_) | How::Cidr | How::Exists) {
            return Err(RuleProblem::Unsupported(format!(
                "fieldref with {how:?} (on {field}) is not run"
            )));
        }
        how = How::FieldRef(Box::new(how));
    }
    let values = match value {
        Value::Array(items) if items.is_empty() => {
            return Err(RuleProblem::Invalid(format!(
                "the field {field} has an empty list of values"
            )));
        }
        Value::Array(items) => items.iter().map(wanted).collect::<Result<Vec<_>, _>>()?,
        v => vec![wanted(v)?],
    };
    if field.is_empty() {
        return Err(RuleProblem::Unsupported(
            "keywords with modifiers ('|…' without a field)".into(),
        ));
    }
    if how == How::Exists
        && !values
            .iter()
            .all(|v| matches!(v, Wanted::Text(t) if t == "true" || t == "false"))
    {
        return Err(RuleProblem::Invalid(format!("exists on {field} takes true or false")));
    }
    Ok(FieldMatch {
        field,
        how,
        cased,
        all,
        values,
    })
}

fn wanted(v: &Value) -> Result<Wanted, RuleProblem> {
    match v {
        Value::Null => Ok(Wanted::Null),
        other => scalar_text(other)
            .map(Wanted::Text)
            .ok_or_else(|| RuleProblem::Unsupported("a value that is a map or a list inside a list".into())),
    }
}

/// A YAML scalar as Sigma compares it: as text (`0` is "0", `true` is "true").
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_correlation(c: &Value) -> Result<Correlation, RuleProblem> {
    let invalid = |why: String| RuleProblem::Invalid(format!("correlation: {why}"));
    let kind = match c.get("type").and_then(Value::as_str) {
        Some("event_count") => CorrelationKind::EventCount,
        Some("value_count") => {
            let field = c
                .pointer("/condition/field")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("value_count needs condition.field".into()))?;
            CorrelationKind::ValueCount(field.to_string())
        }
        Some(other @ ("temporal" | "temporal_ordered" | "value_sum" | "value_avg" | "value_percentile")) => {
            return Err(RuleProblem::Unsupported(format!(
                "correlations of type {other} are not run (event_count and value_count are)"
            )));
        }
        Some(other) => return Err(invalid(format!("unknown type '{other}'"))),
        None => return Err(invalid("it has no type".into())),
    };
    let rules: Vec<String> = match c.get("rules") {
        Some(Value::Array(a)) => a.iter().filter_map(scalar_text).collect(),
        Some(v) => scalar_text(v).into_iter().collect(),
        None => Vec::new(),
    };
    if rules.is_empty() {
        return Err(invalid("it names no rules".into()));
    }
    let group_by = match c.get("group-by") {
        Some(Value::Array(a)) => a.iter().filter_map(scalar_text).collect(),
        Some(v) => scalar_text(v).into_iter().collect(),
        None => Vec::new(),
    };
    let timespan = c
        .get("timespan")
        .and_then(scalar_text)
        .ok_or_else(|| invalid("it has no timespan".into()))?;
    let timespan = span(&timespan).ok_or_else(|| invalid(format!("timespan '{timespan}' is not like 5m, 1h or 2d")))?;
    let Some(Value::Object(cond)) = c.get("condition") else {
        return Err(invalid("it has no condition".into()));
    };
    let mut condition = Vec::new();
    for (k, v) in cond {
        if k == "field" {
            continue;
        }
        let op = Compare::parse(k).ok_or_else(|| invalid(format!("'{k}' is not gt, gte, lt, lte or eq")))?;
        let n = v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| invalid(format!("{k} takes a whole number")))?;
        condition.push((op, n));
    }
    if condition.is_empty() {
        return Err(invalid("its condition compares nothing".into()));
    }
    Ok(Correlation {
        kind,
        rules,
        group_by,
        timespan,
        condition,
        generate: c.get("generate").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// A Sigma time span (`30s`, `5m`, `1h`, `2d`, `1w`) in microseconds.
fn span(s: &str) -> Option<i64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "M" => 30 * 86_400,
        "y" => 365 * 86_400,
        _ => return None,
    };
    // A hundred years at most: a window is added to event times.
    (n > 0 && n.checked_mul(unit)? <= 100 * 365 * 86_400).then_some(n * unit * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Rule, RuleProblem> {
        parse_file(text, "test.yml").remove(0).map_err(|(_, _, p)| p)
    }

    #[test]
    fn a_rule_reads_with_its_searches_modifiers_and_values() {
        let rule = one(
            "title: T\nid: 1\nlevel: high\nlogsource: {product: aws, service: cloudtrail}\n\
             detection:\n  sel:\n    eventName: [A, B]\n    userAgent|contains|all: [x, y]\n    \
             errorCode: null\n    n: 0\n  kw: [one, two]\n  condition: sel and not kw\n",
        )
        .unwrap();
        assert_eq!(rule.level, Level::High);
        let Body::Detection(d) = rule.body else { panic!() };
        let Search::Maps(maps) = &d.searches["sel"] else {
            panic!()
        };
        let by = |f: &str| maps[0].iter().find(|m| m.field == f).unwrap().clone();
        assert_eq!(
            by("eventName").values,
            vec![Wanted::Text("A".into()), Wanted::Text("B".into())]
        );
        let agent = by("userAgent");
        assert!(agent.all && agent.how == How::Contains && !agent.cased);
        assert_eq!(by("errorCode").values, vec![Wanted::Null]);
        assert_eq!(by("n").values, vec![Wanted::Text("0".into())]);
        assert_eq!(d.searches["kw"], Search::Keywords(vec!["one".into(), "two".into()]));
    }

    #[test]
    fn what_is_not_run_is_said() {
        let base = "title: T\nlogsource: {product: aws}\ndetection:\n  sel:\n";
        let problem = one(&format!("{base}    a|base64offset|contains: x\n  condition: sel\n")).unwrap_err();
        assert_eq!(
            problem,
            RuleProblem::Unsupported("the modifier 'base64offset' (on a) is not run".into())
        );
        let problem = one(&format!("{base}    a: x\n  condition: sel\n  timeframe: 5m\n")).unwrap_err();
        assert!(matches!(problem, RuleProblem::Unsupported(_)));
        let problem = one(&format!("{base}    a: x\n  condition: nothere\n")).unwrap_err();
        assert!(matches!(problem, RuleProblem::Invalid(_)), "{problem:?}");
        assert!(matches!(one("title: [").unwrap_err(), RuleProblem::Invalid(_)));
        // An empty list is no search (it would match nothing, or everything).
        let problem =
            one("title: T\nlogsource: {product: aws}\ndetection:\n  sel: []\n  condition: sel\n").unwrap_err();
        assert!(matches!(problem, RuleProblem::Invalid(_)), "{problem:?}");
        // A correlation's span is added to times: absurd ones are refused, not overflowed.
        assert_eq!(span("9223372036854s"), None);
        assert_eq!(span("2d"), Some(2 * 86_400_000_000));
    }

    #[test]
    fn a_correlation_reads_with_its_span_and_bounds() {
        let rule = one(
            "title: C\ncorrelation:\n  type: value_count\n  rules: [a, b]\n  group-by: [userIdentity.arn]\n  \
             timespan: 15m\n  condition: {field: eventName, gte: 3, lt: 10}\n",
        )
        .unwrap();
        let Body::Correlation(c) = rule.body else { panic!() };
        assert_eq!(c.kind, CorrelationKind::ValueCount("eventName".into()));
        assert_eq!(c.timespan, 15 * 60 * 1_000_000);
        assert!(c.condition.contains(&(Compare::Gte, 3)) && c.condition.contains(&(Compare::Lt, 10)));
        assert!(!c.generate);
    }
}
