//! From a rule's own text, one sample event that satisfies its condition and samples that do
//! not: the positive with one required value changed (one per value it needs), and the positive
//! with a filter the condition excludes satisfied. Samples name fields as the rule does; where
//! they are in each cloud's record is `records.rs`.

use std::collections::BTreeMap;

use super::sigma::{self, Cond, Matcher, Rule, Sample, Search};

/// What replaces a required value in a negative.
pub const CHANGED: &str = "DescribeNothing";

/// Strings written by hand for the regular expressions of the rules (`re` has no generic
/// inverse): the expression and a value it matches.
const REGEX_EXAMPLES: &[(&str, &str)] = &[(
    ".+:assumed-role/aws:.+",
    "arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0a1b2c3d4e5f60718",
)];

/// Fields whose value a real record derives from another field the rule also sets, so that
/// changing it alone makes no real record: no negative of its own (the rule's other values
/// have theirs). The Activity Log's resource provider is the provider of its operation.
const IMPLIED: &[&str] = &["ResourceProviderValue"];

#[derive(Clone, Debug)]
pub struct Case {
    pub positive: Sample,
    /// What was changed, and the sample.
    pub negatives: Vec<(String, Sample)>,
}

/// The samples of a rule, each checked against the rule by the test's own matching.
pub fn case(rule: &Rule) -> Result<Case, String> {
    let mut plan = Plan::default();
    plan.satisfy(&rule.condition, true);
    let mut positive = Sample::default();
    let mut matchers: Vec<&Matcher> = Vec::new();
    for name in &plan.required {
        match &rule.searches[name] {
            Search::Maps(maps) => matchers.extend(&maps[0]),
            Search::Keywords(words) => positive.words.push(literal(&words[0])),
        }
    }
    for (field, value) in values(&matchers)? {
        positive.fields.insert(field, value);
    }
    // A filter comparing two fields is left unsatisfied with the fields there and different
    // (not by a missing field): the field it refers to gets a value of its own (the other one is
    // the base record's).
    for name in &plan.avoided {
        if let Search::Maps(maps) = &rule.searches[name] {
            for m in maps.iter().flatten().filter(|m| m.has("fieldref")) {
                if let Some(Some(other)) = m.values.first()
                    && positive.get(other).is_none()
                {
                    positive.fields.insert(other.clone(), Some("someone-else".into()));
                }
            }
        }
    }
    if !sigma::matches(rule, &positive) {
        return Err(format!(
            "the generated positive does not satisfy the rule by the test's own matching: {positive:?}"
        ));
    }
    let mut negatives = Vec::new();
    // One required value changed at a time.
    for (field, value) in &positive.fields {
        if IMPLIED.iter().any(|f| f.eq_ignore_ascii_case(field)) {
            continue;
        }
        let candidates: Vec<Option<String>> = match value {
            Some(v) => vec![Some(changed(v)), None],
            None => vec![Some(CHANGED.to_string())],
        };
        for candidate in candidates {
            let mut s = positive.clone();
            s.fields.insert(field.clone(), candidate.clone());
            if !sigma::matches(rule, &s) {
                let what = match candidate {
                    Some(c) => format!("{field} = {c:?}"),
                    None => format!("{field} absent"),
                };
                negatives.push((what, s));
                break;
            }
        }
    }
    for (n, _) in positive.words.iter().enumerate() {
        let mut s = positive.clone();
        s.words[n] = CHANGED.to_string();
        if !sigma::matches(rule, &s) {
            negatives.push((format!("keyword replaced by {CHANGED:?}"), s));
        }
    }
    // Each search the condition excludes, satisfied (each of its maps in turn).
    for name in &plan.avoided {
        let alternatives: Vec<Sample> = match &rule.searches[name] {
            Search::Maps(maps) => maps
                .iter()
                .map(|map| {
                    let mut s = positive.clone();
                    for (field, value) in values(&map.iter().collect::<Vec<_>>())? {
                        s.fields.insert(field, value);
                    }
                    Ok(s)
                })
                .collect::<Result<_, String>>()?,
            Search::Keywords(words) => words
                .iter()
                .map(|w| {
                    let mut s = positive.clone();
                    s.words.push(literal(w));
                    s
                })
                .collect(),
        };
        for (n, s) in alternatives.into_iter().enumerate() {
            if !sigma::matches(rule, &s) {
                negatives.push((format!("{name} (map {}) satisfied", n + 1), s));
            }
        }
    }
    if negatives.is_empty() {
        return Err("no negative could be made from the rule's text".into());
    }
    Ok(Case { positive, negatives })
}

/// The searches a sample must satisfy and the ones it must not, for the condition to hold: the
/// first alternative of an `or`, every part of an `and`.
#[derive(Default)]
struct Plan {
    required: Vec<String>,
    avoided: Vec<String>,
}

impl Plan {
    fn satisfy(&mut self, c: &Cond, want: bool) {
        match (c, want) {
            (Cond::Search(name), true) => self.required.push(name.clone()),
            (Cond::Search(name), false) => self.avoided.push(name.clone()),
            (Cond::Not(inner), want) => self.satisfy(inner, !want),
            (Cond::And(all), true) | (Cond::Or(all), false) => all.iter().for_each(|c| self.satisfy(c, want)),
            (Cond::Or(any), true) | (Cond::And(any), false) => self.satisfy(&any[0], want),
        }
    }
}

/// A value of each field that the matchers on it accept together: the first value of each (all
/// of them with `all`), a `contains` value wrapped in `x…x`, `startswith` followed and `endswith`
/// preceded by `x`, several on one field put in one value, wildcards as letters, `null` absent.
fn values(matchers: &[&Matcher]) -> Result<BTreeMap<String, Option<String>>, String> {
    let mut by_field: Vec<(String, Vec<&Matcher>)> = Vec::new();
    for m in matchers {
        match by_field.iter_mut().find(|(f, _)| f.eq_ignore_ascii_case(&m.field)) {
            Some((_, list)) => list.push(m),
            None => by_field.push((m.field.clone(), vec![m])),
        }
    }
    let mut out = BTreeMap::new();
    let mut references = Vec::new();
    for (field, on_field) in by_field {
        let chosen = |m: &Matcher| -> Vec<Option<String>> {
            match m.has("all") {
                true => m.values.clone(),
                false => vec![m.values[0].clone()],
            }
        };
        if on_field.iter().any(|m| chosen(m).iter().any(Option::is_none)) {
            out.insert(field, None);
            continue;
        }
        let texts = |m: &Matcher| -> Vec<String> { chosen(m).into_iter().flatten().collect() };
        let (mut start, mut middle, mut end, mut exact) = (String::new(), Vec::new(), String::new(), None);
        for m in on_field {
            let unsupported = ["cidr", "base64", "base64offset", "windash", "expand", "utf16", "wide"];
            if let Some(bad) = m.modifiers.iter().find(|x| unsupported.contains(&x.as_str())) {
                return Err(format!("no generic value for the modifier {bad} (on {field})"));
            }
            if m.has("fieldref") {
                references.push((field.clone(), texts(m)[0].clone()));
            } else if m.has("exists") {
                match texts(m)[0].as_str() {
                    "true" => exact = Some("present".to_string()),
                    _ => {
                        out.insert(field.clone(), None);
                    }
                }
            } else if m.has("re") {
                let re = &texts(m)[0];
                let example = REGEX_EXAMPLES
                    .iter()
                    .find(|(r, _)| r == re)
                    .ok_or_else(|| format!("no example string for the regular expression {re:?} (on {field})"))?;
                exact = Some(example.1.to_string());
            } else if m.has("contains") {
                middle.extend(texts(m).iter().map(|t| literal(t)));
            } else if m.has("startswith") {
                start = texts(m).iter().map(|t| literal(t)).collect();
            } else if m.has("endswith") {
                end = texts(m).iter().map(|t| literal(t)).collect();
            } else {
                let all: Vec<String> = texts(m).iter().map(|t| literal(t)).collect();
                if all.len() > 1 {
                    return Err(format!("{field} must equal several values at once"));
                }
                exact = Some(all[0].clone());
            }
        }
        let value = match exact {
            Some(v) if start.is_empty() && middle.is_empty() && end.is_empty() => v,
            Some(_) => return Err(format!("{field} is compared exactly and by parts")),
            None if out.contains_key(&field) => continue,
            None if start.is_empty() && middle.is_empty() && end.is_empty() => continue,
            None => {
                let mut v = start;
                v.push('x');
                for part in middle {
                    v.push_str(&part);
                    v.push('x');
                }
                v.push_str(&end);
                v
            }
        };
        out.insert(field, Some(value));
    }
    // A reference to another field: the same value as it (both given one when it has none).
    for (field, other) in references {
        let value = match out.iter().find(|(k, _)| k.eq_ignore_ascii_case(&other)) {
            Some((_, Some(v))) => v.clone(),
            _ => {
                let v = "alice".to_string();
                out.insert(other, Some(v.clone()));
                v
            }
        };
        out.insert(field, Some(value));
    }
    Ok(out)
}

/// A Sigma value as a literal that matches it: `*` and `?` as a letter, escapes undone.
pub fn literal(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => out.push(chars.next().expect("peeked")),
            '*' | '?' => out.push('a'),
            c => out.push(c),
        }
    }
    out
}

/// A value that a field's matcher no longer accepts, of the same kind (a number for a number).
fn changed(value: &str) -> String {
    if value.parse::<i64>().is_ok() {
        "99999".into()
    } else if value == "true" {
        "false".into()
    } else if value == "false" {
        "true".into()
    } else {
        CHANGED.into()
    }
}
