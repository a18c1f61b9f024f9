//! A Sigma rule as SQL over `events`: its log source and condition as one boolean expression,
//! and the part of it that reads only columns (what every hit must satisfy before its record is
//! looked at). Every value of a rule is bound as a parameter, never written into the SQL.

use datafusion::common::ScalarValue;

use super::condition::Cond;
use super::fields::{self, Source, Target};
use super::sigma::{Detection, FieldMatch, How, RuleProblem, Search, Wanted};
use super::udf;

/// A rule's SQL: `condition` holds for the rule's events; `columns` holds for all of them and
/// reads no record (at least the log source).
#[derive(Clone, Debug)]
pub struct Compiled {
    pub source: Source,
    pub condition: String,
    pub columns: String,
    /// `columns` without the log source's part (None: the source's events are all admitted).
    pub own_columns: Option<String>,
    pub params: Vec<(String, ScalarValue)>,
}

/// Where the rule's condition on columns goes in the functions that read the record (see
/// `udf`): known only once the whole condition is compiled.
const GUARD: &str = "\u{1}guard\u{1}";

/// Binds a rule's values as `$<prefix>_<n>`.
pub struct Binder {
    prefix: String,
    pub params: Vec<(String, ScalarValue)>,
}

impl Binder {
    pub fn new(prefix: &str) -> Self {
        Binder {
            prefix: prefix.to_string(),
            params: Vec::new(),
        }
    }

    pub fn bind(&mut self, value: &str) -> String {
        if let Some((name, _)) = self
            .params
            .iter()
            .find(|(_, v)| matches!(v, ScalarValue::Utf8(Some(s)) if s == value))
        {
            return format!("${name}");
        }
        let name = format!("{}_{}", self.prefix, self.params.len());
        self.params
            .push((name.clone(), ScalarValue::Utf8(Some(value.to_string()))));
        format!("${name}")
    }
}

/// A rule's detection as SQL, its values bound with `prefix`.
pub fn detection(d: &Detection, prefix: &str) -> Result<Compiled, RuleProblem> {
    let source = fields::source(&d.logsource)?;
    let mut b = Binder::new(prefix);
    let (sql, own_columns) = cond(&d.condition, d, &source, &mut b)?;
    let columns = match &own_columns {
        Some(c) => format!("{} AND {}", source.sql(), paren(c)),
        None => source.sql().to_string(),
    };
    // The record is parsed only on the rows the rule's columns admit.
    let sql = sql.replace(GUARD, &format!("({columns})"));
    Ok(Compiled {
        condition: format!("{columns} AND {}", paren(&sql)),
        columns,
        own_columns,
        params: b.params,
        source,
    })
}

/// The SQL of a condition, and what of it reads only columns, if something does.
fn cond(c: &Cond, d: &Detection, source: &Source, b: &mut Binder) -> Result<(String, Option<String>), RuleProblem> {
    Ok(match c {
        Cond::Search(name) => search(&d.searches[name], source, b)?,
        Cond::Not(inner) => (format!("NOT coalesce({}, false)", cond(inner, d, source, b)?.0), None),
        Cond::And(all) => {
            let parts = all
                .iter()
                .map(|c| cond(c, d, source, b))
                .collect::<Result<Vec<_>, _>>()?;
            and(parts)
        }
        Cond::Or(any) => {
            let parts = any
                .iter()
                .map(|c| cond(c, d, source, b))
                .collect::<Result<Vec<_>, _>>()?;
            or(parts)
        }
    })
}

/// Every part holds: the column parts of any hold.
fn and(mut parts: Vec<(String, Option<String>)>) -> (String, Option<String>) {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    let columns: Vec<String> = parts.iter().filter_map(|(_, c)| c.clone()).collect();
    // Column parts first: the record is looked at only where they hold.
    let mut ordered: Vec<&(String, Option<String>)> = parts.iter().filter(|(_, c)| c.is_some()).collect();
    ordered.extend(parts.iter().filter(|(_, c)| c.is_none()));
    let sql = join(ordered.iter().map(|(s, _)| s.as_str()), " AND ");
    let columns = (!columns.is_empty()).then(|| join(columns.iter().map(String::as_str), " AND "));
    (sql, columns)
}

/// Some part holds: some part's columns hold, if every part has a column part.
fn or(mut parts: Vec<(String, Option<String>)>) -> (String, Option<String>) {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    let sql = join(parts.iter().map(|(s, _)| s.as_str()), " OR ");
    let columns = parts
        .iter()
        .map(|(_, c)| c.clone())
        .collect::<Option<Vec<String>>>()
        .map(|c| join(c.iter().map(String::as_str), " OR "));
    (sql, columns)
}

/// Parts joined by `sep` (` AND `, ` OR `), each in parentheses if it joins parts of its own
/// (one part alone as it is). Long lists are nested in halves: a chain of hundreds is a tree
/// that deep, and evaluating it asks each node its type down the chain (quadratic).
pub fn join<'a>(parts: impl Iterator<Item = &'a str>, sep: &str) -> String {
    let parts: Vec<&str> = parts.collect();
    match parts.as_slice() {
        [one] => one.to_string(),
        few if few.len() <= 8 => few.iter().map(|p| paren(p)).collect::<Vec<_>>().join(sep),
        many => {
            let (left, right) = many.split_at(many.len() / 2);
            format!(
                "({}){sep}({})",
                join(left.iter().copied(), sep),
                join(right.iter().copied(), sep)
            )
        }
    }
}

/// A part in parentheses when it joins parts of its own.
fn paren(s: &str) -> String {
    match s.contains(" AND ") || s.contains(" OR ") {
        true => format!("({s})"),
        false => s.to_string(),
    }
}

fn search(s: &Search, source: &Source, b: &mut Binder) -> Result<(String, Option<String>), RuleProblem> {
    match s {
        Search::Maps(maps) => {
            let mut any = Vec::new();
            for map in maps {
                let parts = map.iter().map(|m| field(m, source, b)).collect::<Result<Vec<_>, _>>()?;
                any.push(if parts.is_empty() {
                    ("true".to_string(), None)
                } else {
                    and(parts)
                });
            }
            Ok(or(any))
        }
        Search::Keywords(words) => {
            let parts = words
                .iter()
                .map(|w| {
                    let p = b.bind(&like_pattern(w, &How::Contains));
                    // The word's longest stretch that JSON writes as it is must be in the
                    // record's text: looked for there before the record is parsed.
                    let stretches = b.bind(&plain_stretches(w));
                    (format!("{}({GUARD}, raw, {stretches}, {p})", udf::KEYWORD), None)
                })
                .collect();
            Ok(or(parts))
        }
    }
}

/// What a word leaves in any JSON text that holds it: its stretches that every JSON writer writes
/// as they are (letters, digits, space, `.`, `:`, `-`; not `/`, which some writers escape), as
/// `%a%b%`: each is looked for in the record's text before the record is parsed.
fn plain_stretches(word: &str) -> String {
    let mut pattern = String::from("%");
    // Some writers escape more than JSON requires (.NET: `+`, `<`, `>`, `&`, `'`): only letters,
    // digits and the plainest marks are taken as written.
    for stretch in word.split(|c: char| !(c.is_ascii_alphanumeric() || " .:-".contains(c))) {
        if !stretch.is_empty() {
            pattern.push_str(stretch);
            pattern.push('%');
        }
    }
    pattern
}

/// One `field|modifiers: values`.
fn field(m: &FieldMatch, source: &Source, b: &mut Binder) -> Result<(String, Option<String>), RuleProblem> {
    let target = match fields::target(source, &m.field)? {
        // A sign-in's status is Success or Failure when compared whole, its object otherwise.
        Target::Column(fields::SIGNIN_STATUS) if m.how != How::Equals => {
            Target::Record("properties.status|status".to_string())
        }
        target => target,
    };
    let parts = m
        .values
        .iter()
        .map(|value| one_value(m, &target, value, source, b))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if m.all { and(parts) } else { or(parts) })
}

/// One value compared with the field: its SQL, and its SQL on columns if it reads only those
/// (or what a hint column must hold for it).
fn one_value(
    m: &FieldMatch,
    target: &Target,
    value: &Wanted,
    source: &Source,
    b: &mut Binder,
) -> Result<(String, Option<String>), RuleProblem> {
    if let Target::Hinted { path, column, unless } = target {
        let (exact, _) = one_value(m, &Target::Record(path.to_string()), value, source, b)?;
        let hint = match (value, &m.how) {
            (Wanted::Text(_), How::Equals | How::Contains | How::StartsWith | How::EndsWith | How::Regex(_)) => {
                let (on_column, _) = one_value(m, &Target::Column(column), value, source, b)?;
                Some(match *unless {
                    "false" => on_column,
                    unless => format!("({on_column} OR {unless})"),
                })
            }
            _ => None,
        };
        return Ok(match hint {
            Some(hint) => (format!("{hint} AND {exact}"), Some(hint)),
            None => (exact, None),
        });
    }
    let sql = record_or_column(m, target, value, source, b)?;
    // A column's field can still be compared by reading the record (a piece of JSON).
    let columns = (!target.reads_record() && !sql.contains(GUARD)).then(|| sql.clone());
    Ok((sql, columns))
}

fn record_or_column(
    m: &FieldMatch,
    target: &Target,
    value: &Wanted,
    source: &Source,
    b: &mut Binder,
) -> Result<String, RuleProblem> {
    let text = match value {
        Wanted::Null => {
            return Ok(match target {
                Target::Column(c) => format!("{c} IS NULL"),
                Target::Computed(e) => format!("{e} IS NULL"),
                other => format!(
                    "{}({GUARD}, raw, {}, 'null', '')",
                    udf::MATCH,
                    b.bind(&record_path(other))
                ),
            });
        }
        Wanted::Text(t) => t,
    };
    let record = |b: &mut Binder, how: &str, arg: String| {
        format!(
            "{}({GUARD}, raw, {}, '{how}', {arg})",
            udf::MATCH,
            b.bind(&record_path(target))
        )
    };
    match &m.how {
        How::Exists => {
            let null = record_or_column(
                &FieldMatch {
                    how: How::Equals,
                    ..m.clone()
                },
                target,
                &Wanted::Null,
                source,
                b,
            )?;
            Ok(match text.as_str() {
                "true" => format!("NOT ({null})"),
                _ => null,
            })
        }
        How::Regex(flags) => {
            let re = if flags.is_empty() {
                text.clone()
            } else {
                format!("(?{flags}){text}")
            };
            regex::Regex::new(&re).map_err(|e| {
                RuleProblem::Unsupported(format!("the regular expression '{text}' on {}: {e}", m.field))
            })?;
            let p = b.bind(&re);
            Ok(match target {
                Target::Column(c) => format!("{c} ~ {p}"),
                Target::Computed(e) => format!("{e} ~ {p}"),
                _ => record(b, "regex", p),
            })
        }
        How::Cidr => {
            udf::Matcher::new("cidr", text).map_err(|e| RuleProblem::Invalid(format!("cidr on {}: {e}", m.field)))?;
            let p = b.bind(text);
            Ok(match target {
                Target::Column(c) => format!("{}({c}, {p})", udf::CIDR),
                Target::Computed(e) => format!("{}({e}, {p})", udf::CIDR),
                _ => record(b, "cidr", p),
            })
        }
        How::FieldRef(how) => {
            let other = fields::target(source, text)?;
            let left = format!("lower({})", value_sql(target, GUARD, b));
            let right = format!("lower({})", value_sql(&other, GUARD, b));
            Ok(match **how {
                How::Contains => format!("strpos({left}, {right}) > 0"),
                How::StartsWith => format!("starts_with({left}, {right})"),
                How::EndsWith => format!("ends_with({left}, {right})"),
                _ => format!("{left} = {right}"),
            })
        }
        // Entra ID's audit rules compare `properties.message` with the activity's name, but
        // one compares it with a piece of the record's JSON as the portal's export wrote it: that
        // is looked for in the record's text.
        How::Equals
            if source.kind == fields::SourceKind::EntraAudit
                && m.field.eq_ignore_ascii_case("properties.message")
                && text.contains("\":") =>
        {
            let p = b.bind(&like_pattern(text, &How::Contains));
            let paths = b.bind("");
            Ok(format!("{}({GUARD}, raw, {paths}, 'text', {p})", udf::MATCH))
        }
        how => {
            let pattern = like_pattern(text, how);
            let exact = *how == How::Equals && !has_wildcard(text);
            let caseless = m.cased || text.to_lowercase() == text.to_uppercase();
            Ok(match target {
                // An exact value without case (an address, a number) is compared as it is: the
                // file index answers that.
                Target::Column(c) if exact && caseless => format!("{c} = {}", b.bind(&unescape(text))),
                Target::Column(c) if m.cased => format!("{c} LIKE {}", b.bind(&pattern)),
                // DataFusion compares a whole value, a start or an end without case itself; any
                // other pattern it compiles for every batch.
                Target::Column(c) if !simple_pattern(&pattern) => format!("{}({c}, {})", udf::LIKE, b.bind(&pattern)),
                Target::Column(c) => format!("{c} ILIKE {}", b.bind(&pattern)),
                Target::Computed(e) if m.cased => format!("{e} LIKE {}", b.bind(&pattern)),
                Target::Computed(e) => format!("{e} ILIKE {}", b.bind(&pattern)),
                _ => {
                    let p = b.bind(&pattern);
                    record(b, if m.cased { "like_cased" } else { "like" }, p)
                }
            })
        }
    }
}

/// The record paths of a target read from the record.
fn record_path(target: &Target) -> String {
    match target {
        Target::Record(paths) => paths.clone(),
        Target::Hinted { path, .. } => path.to_string(),
        Target::Column(_) | Target::Computed(_) => unreachable!("read from columns"),
    }
}

/// A field's value as text in SQL (for references between fields and the values correlations
/// count and group by), read from the record only where `guard` holds.
pub fn value_sql(target: &Target, guard: &str, b: &mut Binder) -> String {
    match target {
        Target::Column(c) => format!("CAST({c} AS VARCHAR)"),
        Target::Computed(e) => e.to_string(),
        record => format!("{}({guard}, raw, {})", udf::VALUE, b.bind(&record_path(record))),
    }
}

/// Whether a LIKE pattern is an ASCII value, start or end (no other `%`, no `_` or `\\`).
fn simple_pattern(pattern: &str) -> bool {
    let inner = pattern
        .strip_prefix('%')
        .or_else(|| pattern.strip_suffix('%'))
        .unwrap_or(pattern);
    pattern.is_ascii() && !inner.contains(['%', '_', '\\'])
}

/// Whether a Sigma value has an unescaped `*` or `?`.
fn has_wildcard(value: &str) -> bool {
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '*' | '?' => return true,
            _ => {}
        }
    }
    false
}

/// A Sigma value without its escapes (for a value without wildcards).
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some('*' | '?' | '\\')) => out.push(chars.next().expect("peeked")),
            (c, _) => out.push(c),
        }
    }
    out
}

/// A Sigma value (`*` any run, `?` one character, `\` escaping them and itself) as a LIKE
/// pattern for `how`.
pub fn like_pattern(value: &str, how: &How) -> String {
    let mut out = String::new();
    if matches!(how, How::Contains | How::EndsWith) {
        out.push('%');
    }
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => {
                let literal = chars.next().expect("peeked");
                if literal == '\\' {
                    out.push_str("\\\\");
                } else {
                    out.push(literal);
                }
            }
            '*' => out.push('%'),
            '?' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    if matches!(how, How::Contains | How::StartsWith) {
        out.push('%');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::detect::sigma::{Body, parse_file};

    fn compiled(text: &str) -> Result<Compiled, RuleProblem> {
        let text = format!("title: T\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n{text}");
        let rule = parse_file(&text, "t.yml").remove(0).map_err(|(_, _, p)| p)?;
        let Body::Detection(d) = rule.body else { panic!() };
        detection(&d, "r0")
    }

    #[test]
    fn values_become_like_patterns() {
        assert_eq!(like_pattern("a*b?c", &How::Equals), "a%b_c");
        assert_eq!(like_pattern("50%_off", &How::Contains), "%50\\%\\_off%");
        assert_eq!(like_pattern("lit\\*eral\\\\", &How::StartsWith), "lit*eral\\\\%");
        assert_eq!(like_pattern("x", &How::EndsWith), "%x");
    }

    #[test]
    fn columns_are_compared_first_and_values_bound() {
        let c = compiled(
            "  sel:\n    eventSource: iam.amazonaws.com\n    eventName: [CreateUser, Delete*]\n  \
             filter:\n    requestParameters.userName|startswith: admin\n  condition: sel and not filter\n",
        )
        .unwrap();
        assert_eq!(
            c.columns,
            "cloud = 'aws' AND outcome <> 'observed' AND ((action ILIKE $r0_0 OR action ILIKE $r0_1) AND service ILIKE $r0_2)"
        );
        // The record is parsed only where the rule's columns hold.
        assert!(
            c.condition.ends_with(&format!(
                " AND NOT coalesce(sigma_match(({}), raw, $r0_4, 'like', $r0_3), false))",
                c.columns
            )),
            "{}",
            c.condition
        );
        let values: Vec<String> = c.params.iter().map(|(_, v)| v.to_string()).collect();
        assert_eq!(
            values,
            [
                "CreateUser",
                "Delete%",
                "iam.amazonaws.com",
                "admin%",
                "requestParameters.userName"
            ]
        );
        // An address has no case: compared exactly, so the file index can rule files out.
        let ip = compiled("  sel:\n    sourceIPAddress: 10.1.2.3\n  condition: sel\n").unwrap();
        assert!(ip.condition.contains("source_ip = $r0_0"), "{}", ip.condition);
    }

    #[test]
    fn unknown_regular_expressions_are_refused_with_the_reason() {
        let problem = compiled("  sel:\n    userAgent|re: '(?<=x)y'\n  condition: sel\n").unwrap_err();
        assert!(matches!(problem, RuleProblem::Unsupported(_)), "{problem:?}");
    }
}
