//! The SQL functions a compiled Sigma rule calls to look into the stored record the way Sigma
//! compares values: keys found without case, lists looked into (a value matches when any item
//! does), numbers and booleans compared as their text, text compared without case unless asked.
//!
//! - `sigma_match(record, paths, how, pattern)`: whether the field at `paths` (dot-separated
//!   keys; alternatives separated by `|`, the first one present is the field) matches: `how` is
//!   `like` (a LIKE pattern, without case), `like_cased`, `regex`, `cidr`, or `null` (the field is
//!   missing or null; the pattern is not read).
//! - `sigma_value(record, paths)`: the field's first value as text (for field references and the
//!   values correlations group by).
//! - `sigma_keyword(record, pattern)`: whether any value in the record matches a LIKE pattern,
//!   without case.
//! - `sigma_cidr(text, cidr)`: whether an address is in a network.

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

pub fn functions() -> Vec<Arc<ScalarUDF>> {
    let text = DataType::Utf8;
    vec![
        Arc::new(create_udf(
            MATCH,
            vec![text.clone(), text.clone(), text.clone(), text.clone()],
            DataType::Boolean,
            Volatility::Immutable,
            Arc::new(sigma_match),
        )),
        Arc::new(create_udf(
            VALUE,
            vec![text.clone(), text.clone()],
            DataType::Utf8,
            Volatility::Immutable,
            Arc::new(sigma_value),
        )),
        Arc::new(create_udf(
            KEYWORD,
            vec![text.clone(), text.clone()],
            DataType::Boolean,
            Volatility::Immutable,
            Arc::new(sigma_keyword),
        )),
        Arc::new(create_udf(
            CIDR,
            vec![text.clone(), text],
            DataType::Boolean,
            Volatility::Immutable,
            Arc::new(sigma_cidr),
        )),
    ]
}

/// How a pattern is compared with a value.
pub enum Matcher {
    Pattern(Regex),
    Network(IpAddr, u8),
}

impl Matcher {
    /// `how` is `like`, `like_cased`, `regex` or `cidr`.
    pub fn new(how: &str, pattern: &str) -> Result<Matcher, String> {
        match how {
            "like" => like_regex(pattern, false).map(Matcher::Pattern),
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
        }
    }
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

/// The values at the first of `paths` that the record has (none when it has none of them).
pub fn values_at(record: &Value, paths: &str) -> Option<Vec<String>> {
    for path in paths.split('|') {
        let mut found = Vec::new();
        let mut present = false;
        walk(record, &path.split('.').collect::<Vec<_>>(), &mut found, &mut present);
        if present {
            return Some(found);
        }
    }
    None
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
        (Value::Array(items), None) if !items.is_empty() => {
            *present = true;
            // A list is matched by its items, and as a whole (`[]`-style values, `contains`).
            for item in items {
                if let Some(t) = leaf_text(item) {
                    found.push(t);
                }
            }
            found.push(node.to_string());
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

/// Every text, number and boolean in the record (keys are not values).
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

/// The record column as text, and its row count.
fn records(arg: &ColumnarValue, rows: usize) -> Result<ArrayRef, DataFusionError> {
    let array = arg.to_array(rows)?;
    Ok(datafusion::arrow::compute::cast(&array, &DataType::Utf8)?)
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

fn sigma_match(args: &[ColumnarValue]) -> Result<ColumnarValue, DataFusionError> {
    let rows = rows_of(args);
    let paths = constant(&args[1], MATCH)?.unwrap_or_default();
    let how = constant(&args[2], MATCH)?.unwrap_or_default();
    let matcher = match how.as_str() {
        "null" => None,
        how => {
            let pattern = constant(&args[3], MATCH)?.unwrap_or_default();
            Some(Matcher::new(how, &pattern).map_err(err)?)
        }
    };
    let records = records(&args[0], rows)?;
    let records = records.as_string::<i32>();
    let out: BooleanArray = (0..records.len())
        .map(|i| {
            if records.is_null(i) {
                return Some(matcher.is_none());
            }
            let values = parse(records.value(i)).and_then(|r| values_at(&r, &paths));
            Some(match (&matcher, values) {
                (None, values) => values.is_none_or(|v| v.is_empty()),
                (Some(m), Some(values)) => values.iter().any(|v| m.matches(v)),
                (Some(_), None) => false,
            })
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn sigma_value(args: &[ColumnarValue]) -> Result<ColumnarValue, DataFusionError> {
    let rows = rows_of(args);
    let paths = constant(&args[1], VALUE)?.unwrap_or_default();
    let records = records(&args[0], rows)?;
    let records = records.as_string::<i32>();
    let out: StringArray = (0..records.len())
        .map(|i| {
            if records.is_null(i) {
                return None;
            }
            parse(records.value(i))
                .and_then(|r| values_at(&r, &paths))
                .and_then(|v| v.into_iter().next())
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn sigma_keyword(args: &[ColumnarValue]) -> Result<ColumnarValue, DataFusionError> {
    let rows = rows_of(args);
    let pattern = constant(&args[1], KEYWORD)?.unwrap_or_default();
    let matcher = Matcher::new("like", &pattern).map_err(err)?;
    let records = records(&args[0], rows)?;
    let records = records.as_string::<i32>();
    let out: BooleanArray = (0..records.len())
        .map(|i| {
            if records.is_null(i) {
                return Some(false);
            }
            let mut values = Vec::new();
            if let Some(r) = parse(records.value(i)) {
                all_values(&r, &mut values);
            }
            Some(values.iter().any(|v| matcher.matches(v)))
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn sigma_cidr(args: &[ColumnarValue]) -> Result<ColumnarValue, DataFusionError> {
    let rows = rows_of(args);
    let cidr = constant(&args[1], CIDR)?.unwrap_or_default();
    let matcher = Matcher::new("cidr", &cidr).map_err(err)?;
    let values = records(&args[0], rows)?;
    let values = values.as_string::<i32>();
    let out: BooleanArray = (0..values.len())
        .map(|i| Some(values.is_valid(i) && matcher.matches(values.value(i))))
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
        assert_eq!(values_at(&r, "properties.DeviceDetail.deviceId").unwrap(), vec![""]);
        assert_eq!(values_at(&r, "n").unwrap(), vec!["0"]);
        assert_eq!(values_at(&r, "nothing"), None);
        assert_eq!(values_at(&r, "missing|n").unwrap(), vec!["0"]);
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
    }
}
