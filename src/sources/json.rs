//! Small readers over `serde_json::Value` shared by the cloud mappings.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// The value at a path of object keys, if every step exists.
pub fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// A non-empty string at a path. Numbers and booleans are rendered as text, since the clouds
/// are not consistent about quoting ids (`"readOnly": "true"`, numeric account ids).
pub fn text(value: &Value, path: &[&str]) -> Option<String> {
    match at(value, path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The first non-empty string among several paths.
pub fn first_text(value: &Value, paths: &[&[&str]]) -> Option<String> {
    paths.iter().find_map(|p| text(value, p))
}

/// A boolean that may be written as `true` or `"true"`.
pub fn flag(value: &Value, path: &[&str]) -> Option<bool> {
    match at(value, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Why a time could not be read.
#[derive(Debug, PartialEq)]
pub enum TimeError {
    Missing,
    Unparseable(String),
}

impl TimeError {
    pub fn describe(&self, field: &str) -> String {
        match self {
            TimeError::Missing => format!("no event time ({field} is missing)"),
            TimeError::Unparseable(s) => format!("event time {field} = '{s}' is not a valid time"),
        }
    }
}

/// An RFC 3339 time (with `Z`, an offset, or a space instead of `T`) as UTC microseconds.
/// Azure's REST shape sometimes omits the zone; such times are UTC by its documentation.
pub fn parse_time(s: &str) -> Result<i64, TimeError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(TimeError::Missing);
    }
    let parsed = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z").map(|t| t.with_timezone(&Utc)))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc()));
    match parsed {
        Ok(t) => Ok(t.timestamp_micros()),
        Err(_) => Err(TimeError::Unparseable(s.to_string())),
    }
}

/// The time at the first of `paths` that is present.
pub fn time_at(value: &Value, paths: &[&[&str]]) -> Result<i64, (String, TimeError)> {
    for path in paths {
        match at(value, path) {
            Some(Value::String(s)) => return parse_time(s).map_err(|e| (path.join("."), e)),
            Some(Value::Null) | None => continue,
            Some(other) => return Err((path.join("."), TimeError::Unparseable(other.to_string()))),
        }
    }
    Err((paths[0].join("."), TimeError::Missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_shape_the_clouds_write_are_read_as_utc_microseconds() {
        let zulu = parse_time("2023-07-10T11:42:18Z").unwrap();
        assert_eq!(parse_time("2023-07-10T21:42:18+10:00").unwrap(), zulu);
        assert_eq!(parse_time("2023-07-10 21:42:18+10:00").unwrap(), zulu);
        assert_eq!(parse_time("2023-07-10T11:42:18").unwrap(), zulu);
        assert_eq!(parse_time("2021-11-10T18:57:26.125171Z").unwrap() % 1_000_000, 125_171);
        assert_eq!(
            parse_time("0000-00-00T00:00:00Z"),
            Err(TimeError::Unparseable("0000-00-00T00:00:00Z".into()))
        );
        assert_eq!(parse_time(""), Err(TimeError::Missing));
    }
}
