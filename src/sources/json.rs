//! Small readers over `serde_json::Value` shared by the cloud mappings, and the one parse of a
//! record's text they read.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// A record's text parsed, refusing an object that holds one key twice: JSON leaves such a
/// record's meaning open (serde keeps the last value, other readers the first), so the columns
/// and `json_get` in SQL could read one record two ways. The same cost as a plain parse.
pub fn parse_record(raw: &str) -> Result<Value, String> {
    serde_json::from_str::<Strict>(raw)
        .map(|s| s.0)
        .map_err(|e| e.to_string())
}

struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            // One lookup per key, as a plain parse makes.
            match object.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(taken) => {
                    return Err(serde::de::Error::custom(format!(
                        "the key '{}' appears twice in one object, so the record can be read two ways",
                        taken.key()
                    )));
                }
            }
        }
        Ok(Value::Object(object))
    }
}

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
    fn a_record_that_holds_a_key_twice_is_refused_as_ambiguous() {
        let err = parse_record(r#"{"eventName":"GetObject","userIdentity":{"arn":"a","arn":"b"}}"#).unwrap_err();
        assert!(err.contains("'arn' appears twice"), "{err}");
        assert!(
            parse_record(r#"{"pass\u0077ord":1,"password":2}"#).is_err(),
            "keys are compared decoded"
        );
        assert_eq!(
            parse_record(r#"{"a":[1,{"b":null}]}"#).unwrap()["a"][1]["b"],
            Value::Null
        );
    }

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
