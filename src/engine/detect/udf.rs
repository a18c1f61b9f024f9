//! The SQL functions a compiled Sigma rule calls to look into the stored record the way Sigma
//! compares values: keys found without case, lists looked into (a value matches when any item
//! does), numbers and booleans compared as their text, text compared without case unless asked.
//!
//! - `sigma_match(guard, record, paths, how, pattern)`: whether the field at `paths` (dot-separated
//!   keys; alternatives separated by `|`, a value at any of them counts) matches: `how` is `like`
//!   (a LIKE pattern, without case), `like_cased`, `regex`, `cidr`, `null` (the field is
//!   missing or null; the pattern is not read), or `text` (the record's text as stored matches the
//!   LIKE pattern; the paths are not read).
//! - `sigma_value(guard, record, paths)`: the field's first value as text (for field references
//!   and the values correlations group by).
//! - `sigma_keyword(guard, record, stretches, pattern)`: whether the record's text holds each of
//!   `stretches` (`%a%b%`, without case: what the word must leave in any JSON text) and any key
//!   or value in the record matches `pattern`.
//! - `sigma_cidr(text, cidr)`: whether an address is in a network.
//! - `sigma_like(text, pattern)`: `text ILIKE pattern`, for the patterns DataFusion would turn
//!   into a regular expression compiled again for every batch (`%word%`): compiled once here.
//!
//! `guard` is the rule's condition on columns: where it is false the record is not parsed and
//! the answer is false (NULL for `sigma_value`). DataFusion evaluates both sides of an AND on
//! every row, so the guard is what keeps records of rows no rule wants from being parsed.

use std::net::IpAddr;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use regex::Regex;
use serde_json::Value;

pub const MATCH: &str = "sigma_match";
pub const VALUE: &str = "sigma_value";
pub const KEYWORD: &str = "sigma_keyword";
pub const CIDR: &str = "sigma_cidr";
pub const LIKE: &str = "sigma_like";

pub fn functions() -> Vec<Arc<ScalarUDF>> {
    let text = DataType::Utf8;
    vec![
        Arc::new(create_udf(
            MATCH,
            vec![
                DataType::Boolean,
                text.clone(),
                text.clone(),
                text.clone(),
                text.clone(),
            ],
            DataType::Boolean,
            Volatility::Immutable,
            Arc::new(sigma_match),
        )),
        Arc::new(create_udf(
            VALUE,
            vec![DataType::Boolean, text.clone(), text.clone()],
            DataType::Utf8,
            Volatility::Immutable,
            Arc::new(sigma_value),
        )),
        Arc::new(create_udf(
            KEYWORD,
            vec![DataType::Boolean, text.clone(), text.clone(), text.clone()],
            DataType::Boolean,
            Volatility::Immutable,
            Arc::new(sigma_keyword),
        )),
        Arc::new(create_udf(
            CIDR,
            vec![text.clone(), text.clone()],
            DataType::Boolean,
            Volatility::Immutable,
            Arc::new(sigma_cidr),
        )),
        Arc::new(create_udf(
            LIKE,
            vec![text.clone(), text],
            DataType::Boolean,
            Volatility::Immutable,
            Arc::new(sigma_like),
        )),
    ]
}

thread_local! {
    /// Patterns compiled on this thread: a rule's pattern is the same for every batch.
    static COMPILED: std::cell::RefCell<std::collections::HashMap<(String, String), std::rc::Rc<Matcher>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// `Matcher::new`, once per pattern and thread.
fn compiled(how: &str, pattern: &str) -> Result<std::rc::Rc<Matcher>, String> {
    let key = (how.to_string(), pattern.to_string());
    if let Some(m) = COMPILED.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(m);
    }
    let m = std::rc::Rc::new(Matcher::new(how, pattern)?);
    COMPILED.with(|c| c.borrow_mut().insert(key, m.clone()));
    Ok(m)
}

/// How a pattern is compared with a value.
pub enum Matcher {
    Pattern(Regex),
    Network(IpAddr, u8),
    /// A LIKE pattern that is an ASCII value, or its start, end or a part (`x`, `x%`, `%x`,
    /// `%x%`), compared without case and without a regular expression.
    Plain(Plain, String),
    Part(aho_corasick::AhoCorasick),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plain {
    Whole,
    Start,
    End,
}

impl Matcher {
    /// `how` is `like`, `like_cased`, `regex` or `cidr`.
    pub fn new(how: &str, pattern: &str) -> Result<Matcher, String> {
        match how {
            "like" => Ok(match plain(pattern) {
                Some((Some(kind), text)) => Matcher::Plain(kind, text),
                Some((None, text)) => Matcher::Part(
                    aho_corasick::AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .build([text])
                        .map_err(|e| e.to_string())?,
                ),
                None => Matcher::Pattern(like_regex(pattern, false)?),
            }),
            "like_cased" => like_regex(pattern, true).map(Matcher::Pattern),
            "regex" => Regex::new(pattern)
                .map(Matcher::Pattern)
                .map_err(|e| format!("the regular expression '{pattern}': {e}")),
            "cidr" => network(pattern).map(|(a, bits)| Matcher::Network(a, bits)),
            other => Err(format!("'{other}' is not a way {MATCH} compares")),
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Pattern(re) => re.is_match(value),
            Matcher::Network(net, bits) => value.trim().parse::<IpAddr>().is_ok_and(|a| in_network(a, *net, *bits)),
            Matcher::Plain(Plain::Whole, text) => value.eq_ignore_ascii_case(text),
            Matcher::Plain(Plain::Start, text) => value
                .as_bytes()
                .get(..text.len())
                .is_some_and(|v| v.eq_ignore_ascii_case(text.as_bytes())),
            Matcher::Plain(Plain::End, text) => value
                .len()
                .checked_sub(text.len())
                .is_some_and(|at| value.as_bytes()[at..].eq_ignore_ascii_case(text.as_bytes())),
            Matcher::Part(finder) => finder.is_match(value),
        }
    }
}

/// A LIKE pattern that needs no regular expression: `(Some(kind), text)` for a whole value, a
/// start or an end, `(None, text)` for a part; ASCII only (other letters' cases are the regular
/// expression's to fold), without `_` or escapes.
fn plain(pattern: &str) -> Option<(Option<Plain>, String)> {
    if !pattern.is_ascii() || pattern.contains(['_', '\\']) {
        return None;
    }
    let (start, end) = (pattern.starts_with('%'), pattern.len() > 1 && pattern.ends_with('%'));
    let inner = &pattern[usize::from(start)..pattern.len() - usize::from(end)];
    if inner.contains('%') || inner.is_empty() {
        return None;
    }
    let kind = match (start, end) {
        (false, false) => Some(Plain::Whole),
        (false, true) => Some(Plain::Start),
        (true, false) => Some(Plain::End),
        (true, true) => None,
    };
    Some((kind, inner.to_string()))
}

/// A LIKE pattern (`%`, `_`, `\` escaping) as an anchored regular expression.
fn like_regex(pattern: &str, cased: bool) -> Result<Regex, String> {
    let mut re = String::from(if cased { "(?s)^" } else { "(?is)^" });
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            '\\' => match chars.next() {
                Some(next) => re.push_str(&regex::escape(&next.to_string())),
                None => re.push_str(&regex::escape("\\")),
            },
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| e.to_string())
}

fn network(cidr: &str) -> Result<(IpAddr, u8), String> {
    let bad = || format!("'{cidr}' is not a network like 10.0.0.0/8");
    let (addr, bits) = cidr.trim().split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let bits: u8 = bits.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if bits > max {
        return Err(bad());
    }
    Ok((addr, bits))
}

fn in_network(a: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (a, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            (u32::from(a) & mask) == (u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            (u128::from(a) & mask) == (u128::from(n) & mask)
        }
        _ => false,
    }
}

/// Whether the field at `paths` is there (not null), and whether `hit` is true for one of its
/// values (as [`values_at`] lists them), stopping at the first.
fn any_at(record: &Value, paths: &str, hit: &mut dyn FnMut(&str) -> bool) -> (bool, bool) {
    let mut present = false;
    for path in paths.split('|') {
        let keys: Vec<&str> = path.split('.').collect();
        if visit(record, &keys, &mut present, hit) {
            return (true, true);
        }
    }
    (present, false)
}

/// [`walk`] without collecting: true as soon as `hit` is.
fn visit(node: &Value, keys: &[&str], present: &mut bool, hit: &mut dyn FnMut(&str) -> bool) -> bool {
    match (node, keys.split_first()) {
        (Value::Array(items), _) if !items.is_empty() && !keys.is_empty() => {
            items.iter().any(|item| visit(item, keys, present, hit))
        }
        (Value::Object(map), Some((key, rest))) => {
            let child = map
                .get(*key)
                .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v));
            child.is_some_and(|child| visit(child, rest, present, hit))
        }
        (_, Some(_)) | (Value::Null, None) => false,
        (Value::Array(_) | Value::Object(_), None) => {
            *present = true;
            hit(&node.to_string()) || any_value(node, hit)
        }
        (Value::String(s), None) => {
            *present = true;
            hit(s)
        }
        (leaf, None) => {
            *present = true;
            hit(&leaf.to_string())
        }
    }
}

/// Whether `hit` is true for a text, number or boolean in `node` (with its keys, `keys`).
fn any_in(node: &Value, keys: bool, hit: &mut dyn FnMut(&str) -> bool) -> bool {
    match node {
        Value::Object(map) => map.iter().any(|(k, v)| (keys && hit(k)) || any_in(v, keys, hit)),
        Value::Array(items) => items.iter().any(|v| any_in(v, keys, hit)),
        Value::Null => false,
        Value::String(s) => hit(s),
        leaf => hit(&leaf.to_string()),
    }
}

fn any_value(node: &Value, hit: &mut dyn FnMut(&str) -> bool) -> bool {
    any_in(node, false, hit)
}

/// The values at any of `paths` (none when the record has none of them).
pub fn values_at(record: &Value, paths: &str) -> Option<Vec<String>> {
    let mut found = Vec::new();
    let mut present = false;
    for path in paths.split('|') {
        walk(record, &path.split('.').collect::<Vec<_>>(), &mut found, &mut present);
    }
    present.then_some(found)
}

/// Collects the values at `keys` below `node`, looking into lists; `present` is set when a value
/// (not null) was reached.
fn walk(node: &Value, keys: &[&str], found: &mut Vec<String>, present: &mut bool) {
    match (node, keys.split_first()) {
        (Value::Array(items), _) if !items.is_empty() && !keys.is_empty() => {
            for item in items {
                walk(item, keys, found, present);
            }
        }
        (Value::Object(map), Some((key, rest))) => {
            let child = map
                .get(*key)
                .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v));
            if let Some(child) = child {
                walk(child, rest, found, present);
            }
        }
        (_, Some(_)) => {}
        (Value::Null, None) => {}
        (Value::Array(_) | Value::Object(_), None) => {
            *present = true;
            // A list or map is matched as a whole (`[]`, `contains` on its text) and by every
            // value in it (a policy document held as a string inside it).
            found.push(node.to_string());
            all_values(node, found);
        }
        (leaf, None) => {
            *present = true;
            if let Some(t) = leaf_text(leaf) {
                found.push(t);
            }
        }
    }
}

fn leaf_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Every text, number and boolean in the record.
fn all_values(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => map.values().for_each(|v| all_values(v, out)),
        Value::Array(items) => items.iter().for_each(|v| all_values(v, out)),
        Value::Null => {}
        leaf => out.extend(leaf_text(leaf)),
    }
}

fn err(message: String) -> DataFusionError {
    DataFusionError::Execution(message)
}

/// An argument that must be the same for every row (a rule's value), as text.
fn constant(arg: &ColumnarValue, name: &str) -> Result<Option<String>, DataFusionError> {
    match arg {
        ColumnarValue::Scalar(s) => match s {
            ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => Ok(v.clone()),
            ScalarValue::Null => Ok(None),
            other => Err(err(format!("{name} takes text, not {}", other.data_type()))),
        },
        ColumnarValue::Array(a) => {
            // Planned as an array when bound from a parameter in some plans: one value for all.
            let a = datafusion::arrow::compute::cast(a, &DataType::Utf8)?;
            let a = a.as_string::<i32>();
            let first = (!a.is_empty() && a.is_valid(0)).then(|| a.value(0).to_string());
            if (0..a.len())
                .any(|i| a.is_valid(i) != (first.is_some()) || (a.is_valid(i) && Some(a.value(i)) != first.as_deref()))
            {
                return Err(err(format!("{name}'s pattern and path must be the same for every row")));
            }
            Ok(first)
        }
    }
}

/// The record column as text.
fn records(arg: &ColumnarValue, rows: usize) -> Result<ArrayRef, DataFusionError> {
    let array = arg.to_array(rows)?;
    match array.data_type() {
        DataType::Utf8 | DataType::Utf8View => Ok(array),
        _ => Ok(datafusion::arrow::compute::cast(&array, &DataType::Utf8)?),
    }
}

/// Row `i` of a text column (`Utf8` or `Utf8View`), if not null.
fn text_at(a: &ArrayRef, i: usize) -> Option<&str> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Utf8View => Some(a.as_string_view().value(i)),
        _ => Some(a.as_string::<i32>().value(i)),
    }
}

/// Per row of a batch: not parsed yet, or parsed (None: not JSON).
type ParsedRows = Vec<Option<Option<std::rc::Rc<Value>>>>;

thread_local! {
    /// The records of the batch whose rows were last parsed on this thread, and those parsed:
    /// the rules of one scan look into the same records, each with a call of its own, one batch
    /// after another on one thread. Holding the column keeps its address from being reused.
    static PARSED: std::cell::RefCell<Option<(ArrayRef, ParsedRows)>> =
        const { std::cell::RefCell::new(None) };
}

/// Row `i` of `records` parsed, once per batch whichever rule asks.
fn parsed(records: &ArrayRef, i: usize) -> Option<std::rc::Rc<Value>> {
    PARSED.with(|cell| {
        let mut cache = cell.borrow_mut();
        let fresh = !matches!(&*cache, Some((a, _)) if Arc::ptr_eq(a, records));
        if fresh {
            *cache = Some((records.clone(), vec![None; records.len()]));
        }
        let (_, rows) = cache.as_mut().expect("just set");
        rows[i]
            .get_or_insert_with(|| text_at(records, i).and_then(parse).map(std::rc::Rc::new))
            .clone()
    })
}

fn rows_of(args: &[ColumnarValue]) -> usize {
    args.iter()
        .find_map(|a| match a {
            ColumnarValue::Array(a) => Some(a.len()),
            _ => None,
        })
        .unwrap_or(1)
}

fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

/// Whether row `i` is wanted by the rule (the guard column).
fn guarded(guard: &ColumnarValue, rows: usize) -> Result<BooleanArray, DataFusionError> {
    let array = guard.to_array(rows)?;
    Ok(array.as_boolean().clone())
}

fn wanted(guard: &BooleanArray, i: usize) -> bool {
    guard.is_valid(i) && guard.value(i)
}

fn sigma_match(args: &[ColumnarValue]) -> Result<ColumnarValue, DataFusionError> {
    let rows = rows_of(args);
    let guard = guarded(&args[0], rows)?;
    let paths = constant(&args[2], MATCH)?.unwrap_or_default();
    let how = constant(&args[3], MATCH)?.unwrap_or_default();
    // `text`: the pattern is matched with the record's text as stored (a rule's value that is a
    // piece of JSON).
    let whole_text = how == "text";
    let matcher = match how.as_str() {
        "null" => None,
        how => {
            let pattern = constant(&args[4], MATCH)?.unwrap_or_default();
            let how = if whole_text { "like" } else { how };
            Some(compiled(how, &pattern).map_err(err)?)
        }
    };
    let records = records(&args[1], rows)?;
    let out: BooleanArray = (0..records.len())
        .map(|i| {
            if !wanted(&guard, i) {
                return Some(false);
            }
            let Some(text) = text_at(&records, i) else {
                return Some(matcher.is_none());
            };
            if let (true, Some(m)) = (whole_text, &matcher) {
                return Some(m.matches(text));
            }
            let Some(record) = parsed(&records, i) else {
                return Some(matcher.is_none());
            };
            Some(match &matcher {
                None => !any_at(&record, &paths, &mut |_| false).0,
                Some(m) => any_at(&record, &paths, &mut |v| m.matches(v)).1,
            })
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn sigma_value(args: &[ColumnarValue]) -> Result<ColumnarValue, DataFusionError> {
    let rows = rows_of(args);
    let guard = guarded(&args[0], rows)?;
    let paths = constant(&args[2], VALUE)?.unwrap_or_default();
    let records = records(&args[1], rows)?;
    let out: StringArray = (0..records.len())
        .map(|i| {
            if !wanted(&guard, i) || records.is_null(i) {
                return None;
            }
            parsed(&records, i)
                .and_then(|r| values_at(&r, &paths))
                .and_then(|v| v.into_iter().next())
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn sigma_keyword(args: &[ColumnarValue]) -> Result<ColumnarValue, DataFusionError> {
    let rows = rows_of(args);
    let guard = guarded(&args[0], rows)?;
    let stretches = constant(&args[2], KEYWORD)?.unwrap_or_default();
    // Each stretch is looked for on its own (a part, without a regular expression).
    let stretches: Vec<std::rc::Rc<Matcher>> = stretches
        .split('%')
        .filter(|p| !p.is_empty())
        .map(|p| compiled("like", &format!("%{p}%")))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let pattern = constant(&args[3], KEYWORD)?.unwrap_or_default();
    let matcher = compiled("like", &pattern).map_err(err)?;
    let records = records(&args[1], rows)?;
    let out: BooleanArray = (0..records.len())
        .map(|i| {
            if !wanted(&guard, i) || !text_at(&records, i).is_some_and(|t| stretches.iter().all(|s| s.matches(t))) {
                return Some(false);
            }
            Some(parsed(&records, i).is_some_and(|r| any_in(&r, true, &mut |v| matcher.matches(v))))
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn sigma_cidr(args: &[ColumnarValue]) -> Result<ColumnarValue, DataFusionError> {
    let rows = rows_of(args);
    let cidr = constant(&args[1], CIDR)?.unwrap_or_default();
    let matcher = compiled("cidr", &cidr).map_err(err)?;
    let values = records(&args[0], rows)?;
    let out: BooleanArray = (0..values.len())
        .map(|i| Some(text_at(&values, i).is_some_and(|v| matcher.matches(v))))
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn sigma_like(args: &[ColumnarValue]) -> Result<ColumnarValue, DataFusionError> {
    let rows = rows_of(args);
    let pattern = constant(&args[1], LIKE)?.unwrap_or_default();
    let matcher = compiled("like", &pattern).map_err(err)?;
    let values = records(&args[0], rows)?;
    let out: BooleanArray = (0..values.len())
        .map(|i| text_at(&values, i).map(|v| matcher.matches(v)))
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_without_case_and_through_lists() {
        let r: Value = serde_json::from_str(
            r#"{"protoPayload":{"authorizationInfo":[{"permission":"a.delete","granted":true},{"permission":"b.get"}]},
                "properties":{"NetworkLocationDetails":[],"deviceDetail":{"deviceId":""}},"n":0,"nothing":null}"#,
        )
        .unwrap();
        assert_eq!(
            values_at(&r, "protoPayload.authorizationInfo.permission").unwrap(),
            vec!["a.delete", "b.get"]
        );
        assert_eq!(
            values_at(&r, "protoPayload.authorizationInfo.granted").unwrap(),
            vec!["true"]
        );
        assert_eq!(values_at(&r, "properties.networkLocationDetails").unwrap(), vec!["[]"]);
        assert_eq!(values_at(&r, "n|nothing").unwrap(), vec!["0"]);
        assert_eq!(values_at(&r, "properties.DeviceDetail.deviceId").unwrap(), vec![""]);
        assert_eq!(values_at(&r, "n").unwrap(), vec!["0"]);
        assert_eq!(values_at(&r, "nothing"), None);
        assert_eq!(values_at(&r, "missing|n").unwrap(), vec!["0"]);
        // A map is its text and every value in it.
        let policy: Value = serde_json::from_str(r#"{"p":{"doc":"{\"Effect\":\"Allow\"}"}}"#).unwrap();
        assert_eq!(
            values_at(&policy, "p").unwrap(),
            vec![
                r#"{"doc":"{\"Effect\":\"Allow\"}"}"#.to_string(),
                r#"{"Effect":"Allow"}"#.to_string()
            ]
        );
    }

    #[test]
    fn like_patterns_compare_without_case_and_escape_their_wildcards() {
        let m = Matcher::new("like", "%Assumed-Role/aws:%").unwrap();
        assert!(m.matches("arn:aws:sts::1:assumed-role/AWS:ec2"));
        assert!(!Matcher::new("like", "a\\%b").unwrap().matches("aXb"));
        assert!(Matcher::new("like", "a\\%b").unwrap().matches("a%B"));
        assert!(!Matcher::new("like_cased", "abc").unwrap().matches("ABC"));
        let net = Matcher::new("cidr", "10.0.0.0/8").unwrap();
        assert!(net.matches("10.2.3.4") && !net.matches("11.0.0.1") && !net.matches("not an ip"));
        assert!(Matcher::new("cidr", "10.0.0.0/33").is_err());
        // Plain patterns, compared without a regular expression, mean what the regex would.
        for (pattern, value, expected) in [
            ("CreateUser", "createuser", true),
            ("CreateUser", "CreateUsers", false),
            ("Delete%", "deletebucket", true),
            ("%write", "microsoft.compute/virtualmachines/write", true),
            ("%S3 Browser%", "aws-sdk S3 browser 9.1", true),
            ("%S3 Browser%", "S3Browser", false),
            ("%", "anything", true),
            ("", "", true),
        ] {
            let m = Matcher::new("like", pattern).unwrap();
            assert_eq!(m.matches(value), expected, "{pattern} {value}");
            assert_eq!(
                like_regex(pattern, false).unwrap().is_match(value),
                expected,
                "{pattern}"
            );
        }
    }
}
