//! The shipped Sigma rules as this test reads them, on its own (not with trailscope's reader):
//! each rule's searches and condition, and whether a sample event matches it. The matching here
//! is the test's oracle: a generated record is only used when the oracle agrees that it is a
//! positive (or a negative), so a failure is trailscope's disagreement, not the generator's slip.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

/// One rule file's detection.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// The file, relative to `rules/sigma/`.
    pub file: String,
    pub product: String,
    pub service: String,
    pub searches: BTreeMap<String, Search>,
    pub condition: Cond,
}

#[derive(Clone, Debug)]
pub enum Search {
    /// Any of the maps; a map matches when all its matchers do.
    Maps(Vec<Vec<Matcher>>),
    /// Any of the words, anywhere in the event.
    Keywords(Vec<String>),
}

/// `field|modifier|…: values`; a value `None` is YAML's `null`.
#[derive(Clone, Debug)]
pub struct Matcher {
    pub field: String,
    pub modifiers: Vec<String>,
    pub values: Vec<Option<String>>,
}

impl Matcher {
    pub fn has(&self, modifier: &str) -> bool {
        self.modifiers.iter().any(|m| m == modifier)
    }
}

#[derive(Clone, Debug)]
pub enum Cond {
    Search(String),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// An event as Sigma sees it: fields by the rule's names (`None`: absent or null) and free text
/// (where keywords are put).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub fields: BTreeMap<String, Option<String>>,
    pub words: Vec<String>,
}

impl Sample {
    /// A field's value, its name compared without case.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .and_then(|(_, v)| v.as_deref())
    }
}

/// A rule file's text (one document, as SigmaHQ's cloud rules all are).
pub fn read(text: &str, file: &str) -> Result<Rule, String> {
    let doc: Value = serde_saphyr::from_str(text).map_err(|e| format!("{file}: not YAML: {e}"))?;
    let text_of = |k: &str| doc.get(k).and_then(scalar).ok_or_else(|| format!("{file}: no {k}"));
    let logsource = |k: &str| {
        doc.pointer(&format!("/logsource/{k}"))
            .and_then(scalar)
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let detection = doc
        .get("detection")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{file}: no detection"))?;
    let mut searches = BTreeMap::new();
    for (name, body) in detection {
        if name != "condition" {
            searches.insert(name.clone(), search(body).map_err(|e| format!("{file}: {name}: {e}"))?);
        }
    }
    let condition = detection
        .get("condition")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{file}: the condition is not one text"))?;
    let names: Vec<&str> = searches.keys().map(String::as_str).collect();
    let condition = parse_condition(condition, &names).map_err(|e| format!("{file}: condition: {e}"))?;
    Ok(Rule {
        id: text_of("id")?,
        title: text_of("title")?,
        file: file.to_string(),
        product: logsource("product"),
        service: logsource("service"),
        searches,
        condition,
    })
}

/// A YAML scalar as Sigma compares it: text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn search(body: &Value) -> Result<Search, String> {
    let map = |m: &serde_json::Map<String, Value>| -> Result<Vec<Matcher>, String> {
        m.iter()
            .map(|(key, values)| {
                let mut parts = key.split('|');
                let field = parts.next().unwrap_or_default().to_string();
                let modifiers = parts.map(str::to_string).collect();
                let values = match values {
                    Value::Array(items) => items.iter().map(value).collect::<Result<_, _>>()?,
                    one => vec![value(one)?],
                };
                Ok(Matcher {
                    field,
                    modifiers,
                    values,
                })
            })
            .collect()
    };
    match body {
        Value::Object(m) => Ok(Search::Maps(vec![map(m)?])),
        Value::Array(items) if items.iter().all(Value::is_object) => Ok(Search::Maps(
            items
                .iter()
                .map(|m| map(m.as_object().expect("checked")))
                .collect::<Result<_, _>>()?,
        )),
        Value::Array(items) => items
            .iter()
            .map(|w| scalar(w).ok_or_else(|| "a keyword that is not text".to_string()))
            .collect::<Result<_, _>>()
            .map(Search::Keywords),
        other => Err(format!("not a search: {other}")),
    }
}

fn value(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        other => scalar(other)
            .map(Some)
            .ok_or_else(|| format!("a value that is not text: {other}")),
    }
}

/// `not`, `and`, `or`, parentheses, search names, `1 of` / `all of` a pattern or `them`.
pub fn parse_condition(text: &str, names: &[&str]) -> Result<Cond, String> {
    let tokens: Vec<String> = text
        .replace('(', " ( ")
        .replace(')', " ) ")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let mut at = 0;
    let cond = or(&tokens, &mut at, names)?;
    match tokens.get(at) {
        None => Ok(cond),
        Some(t) => Err(format!("unexpected '{t}'")),
    }
}

fn or(t: &[String], at: &mut usize, names: &[&str]) -> Result<Cond, String> {
    let mut any = vec![and(t, at, names)?];
    while t.get(*at).is_some_and(|w| w == "or") {
        *at += 1;
        any.push(and(t, at, names)?);
    }
    Ok(if any.len() == 1 { any.remove(0) } else { Cond::Or(any) })
}

fn and(t: &[String], at: &mut usize, names: &[&str]) -> Result<Cond, String> {
    let mut all = vec![not(t, at, names)?];
    while t.get(*at).is_some_and(|w| w == "and") {
        *at += 1;
        all.push(not(t, at, names)?);
    }
    Ok(if all.len() == 1 { all.remove(0) } else { Cond::And(all) })
}

fn not(t: &[String], at: &mut usize, names: &[&str]) -> Result<Cond, String> {
    let word = t.get(*at).ok_or("it ends early")?.clone();
    *at += 1;
    match word.as_str() {
        "not" => Ok(Cond::Not(Box::new(not(t, at, names)?))),
        "(" => {
            let inner = or(t, at, names)?;
            match t.get(*at).map(String::as_str) {
                Some(")") => {
                    *at += 1;
                    Ok(inner)
                }
                _ => Err("a '(' is not closed".into()),
            }
        }
        quantifier @ ("1" | "all") if t.get(*at).is_some_and(|w| w == "of") => {
            let pattern = t.get(*at + 1).ok_or("'of' without a pattern")?;
            *at += 2;
            let matched: Vec<Cond> = names
                .iter()
                .filter(|n| match pattern.as_str() {
                    "them" => !n.starts_with('_'),
                    p => glob(p, n, false),
                })
                .map(|n| Cond::Search(n.to_string()))
                .collect();
            if matched.is_empty() {
                return Err(format!("'{pattern}' names no search"));
            }
            Ok(if quantifier == "all" {
                Cond::And(matched)
            } else {
                Cond::Or(matched)
            })
        }
        name if names.contains(&name) => Ok(Cond::Search(name.to_string())),
        other => Err(format!("'{other}' is not a search")),
    }
}

/// Whether `text` matches a Sigma pattern: `*` any run, `?` one character, `\` escaping them and
/// itself; without case unless `cased`.
pub fn glob(pattern: &str, text: &str, cased: bool) -> bool {
    let mut re = String::from(if cased { "(?s)^" } else { "(?is)^" });
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => {
                re.push_str(&regex::escape(&chars.next().expect("peeked").to_string()))
            }
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).expect("an escaped pattern").is_match(text)
}

/// Whether the rule matches the sample.
pub fn matches(rule: &Rule, s: &Sample) -> bool {
    holds(&rule.condition, rule, s)
}

pub fn holds(c: &Cond, rule: &Rule, s: &Sample) -> bool {
    match c {
        Cond::Search(name) => search_matches(&rule.searches[name], s),
        Cond::Not(inner) => !holds(inner, rule, s),
        Cond::And(all) => all.iter().all(|c| holds(c, rule, s)),
        Cond::Or(any) => any.iter().any(|c| holds(c, rule, s)),
    }
}

pub fn search_matches(search: &Search, s: &Sample) -> bool {
    match search {
        Search::Maps(maps) => maps.iter().any(|m| m.iter().all(|f| matcher_matches(f, s))),
        Search::Keywords(words) => words.iter().any(|w| {
            let pattern = format!("*{w}*");
            s.words
                .iter()
                .map(String::as_str)
                .chain(s.fields.values().flatten().map(String::as_str))
                .any(|text| glob(&pattern, text, false))
        }),
    }
}

pub fn matcher_matches(m: &Matcher, s: &Sample) -> bool {
    let value = s.get(&m.field);
    let one = |wanted: &Option<String>| -> bool {
        let (Some(wanted), Some(value)) = (wanted, value) else {
            return wanted.is_none() && value.is_none();
        };
        let cased = m.has("cased");
        if m.has("re") {
            let flags = if m.has("i") { "(?i)" } else { "" };
            return Regex::new(&format!("{flags}{wanted}")).is_ok_and(|re| re.is_match(value));
        }
        if m.has("exists") {
            return wanted == "true";
        }
        if m.has("fieldref") {
            let Some(other) = s.get(wanted) else {
                return false;
            };
            let (value, other) = (value.to_lowercase(), other.to_lowercase());
            return if m.has("contains") {
                value.contains(&other)
            } else if m.has("startswith") {
                value.starts_with(&other)
            } else if m.has("endswith") {
                value.ends_with(&other)
            } else {
                value == other
            };
        }
        let pattern = if m.has("contains") {
            format!("*{wanted}*")
        } else if m.has("startswith") {
            format!("{wanted}*")
        } else if m.has("endswith") {
            format!("*{wanted}")
        } else {
            wanted.clone()
        };
        glob(&pattern, value, cased)
    };
    if m.has("exists") {
        let wanted = m.values.first().cloned().flatten();
        return (wanted.as_deref() == Some("true")) == value.is_some();
    }
    if m.has("all") {
        m.values.iter().all(one)
    } else {
        m.values.iter().any(one)
    }
}
