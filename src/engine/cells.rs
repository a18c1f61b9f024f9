//! A result's cells as typed values: what the workbench holds and draws. Times stay times and
//! counts stay numbers across the boundary, so nothing on the other side parses text back; text
//! is made safe for a terminal here, once, as it leaves the engine.

use std::fmt;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use super::EngineError;
use super::window::format_time;

/// One cell of a result.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    /// Text, safe for a terminal (escape sequences written visibly).
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Microseconds since 1970, UTC.
    Time(i64),
}

impl Value {
    /// The text of a text cell.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_time(&self) -> Option<i64> {
        match self {
            Value::Time(t) => Some(*t),
            _ => None,
        }
    }

    /// A count or other whole number (a float only when it is whole).
    pub fn as_count(&self) -> Option<u64> {
        match self {
            Value::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Text(t) => t.is_empty(),
            _ => false,
        }
    }

    /// Numbers, times and booleans: a value cut short would mean another value.
    pub fn is_exact(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Time(_))
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_))
    }
}

/// As the command line writes it (times in UTC, `…Z`; a null as nothing).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Text(t) => f.write_str(t),
            Value::Int(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Time(t) => f.write_str(&format_time(*t)),
        }
    }
}

/// A batch's rows as typed cells.
pub fn values(batch: &RecordBatch) -> Result<Vec<Vec<Value>>, EngineError> {
    let columns: Vec<Vec<Value>> = batch
        .columns()
        .iter()
        .map(|c| column(c.as_ref()))
        .collect::<Result<_, _>>()?;
    Ok((0..batch.num_rows())
        .map(|row| columns.iter().map(|c| c[row].clone()).collect())
        .collect())
}

fn column(array: &dyn Array) -> Result<Vec<Value>, EngineError> {
    macro_rules! each {
        ($kind:ty, $make:expr) => {{
            let a = array.as_primitive::<$kind>();
            (0..a.len())
                .map(|i| if a.is_null(i) { Value::Null } else { $make(a.value(i)) })
                .collect()
        }};
    }
    let int = |n: i64| Value::Int(n);
    Ok(match array.data_type() {
        DataType::Int8 => each!(Int8Type, |n: i8| int(n.into())),
        DataType::Int16 => each!(Int16Type, |n: i16| int(n.into())),
        DataType::Int32 => each!(Int32Type, |n: i32| int(n.into())),
        DataType::Int64 => each!(Int64Type, int),
        DataType::UInt8 => each!(UInt8Type, |n: u8| int(n.into())),
        DataType::UInt16 => each!(UInt16Type, |n: u16| int(n.into())),
        DataType::UInt32 => each!(UInt32Type, |n: u32| int(n.into())),
        DataType::UInt64 => each!(UInt64Type, |n: u64| int(i64::try_from(n).unwrap_or(i64::MAX))),
        DataType::Float32 => each!(Float32Type, |x: f32| Value::Float(x.into())),
        DataType::Float64 => each!(Float64Type, Value::Float),
        DataType::Boolean => {
            let a = array.as_boolean();
            (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        Value::Null
                    } else {
                        Value::Bool(a.value(i))
                    }
                })
                .collect()
        }
        // Whole decimals are counts (an integer's arithmetic with another type can give one).
        DataType::Decimal128(_, 0) => each!(Decimal128Type, |n: i128| int(i64::try_from(n).unwrap_or(i64::MAX))),
        DataType::Decimal128(_, scale) => {
            let scale = *scale;
            each!(Decimal128Type, |n: i128| Value::Float(
                n as f64 / 10f64.powi(scale.into())
            ))
        }
        // Times whatever their unit or zone (a zone-less time is read as UTC, as events' are).
        // A time past what microseconds hold (year 294,247) is no time to show.
        DataType::Timestamp(TimeUnit::Second, _) => {
            each!(TimestampSecondType, |s: i64| s
                .checked_mul(1_000_000)
                .map_or(Value::Null, Value::Time))
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            each!(TimestampMillisecondType, |s: i64| s
                .checked_mul(1_000)
                .map_or(Value::Null, Value::Time))
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => each!(TimestampMicrosecondType, Value::Time),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            each!(TimestampNanosecondType, |s: i64| Value::Time(s.div_euclid(1_000)))
        }
        _ => {
            let options = FormatOptions::default().with_null("");
            let f = ArrayFormatter::try_new(array, &options).map_err(|e| EngineError::Execution(e.to_string()))?;
            (0..array.len())
                .map(|i| match array.is_null(i) {
                    true => Value::Null,
                    false => Value::Text(super::output::printable(&f.value(i).to_string())),
                })
                .collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, StringArray, TimestampMicrosecondArray, UInt64Array};
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    #[test]
    fn times_and_counts_cross_as_themselves_and_text_is_made_safe() {
        let schema = Schema::new(vec![
            Field::new(
                "t",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            Field::new("n", DataType::Int64, true),
            Field::new("u", DataType::UInt64, false),
            Field::new("s", DataType::Utf8, true),
        ]);
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(TimestampMicrosecondArray::from(vec![Some(1_500_000), None]).with_timezone("UTC")),
                Arc::new(Int64Array::from(vec![Some(-3), None])),
                Arc::new(UInt64Array::from(vec![7, u64::MAX])),
                Arc::new(StringArray::from(vec![Some("curl/8 \u{1b}]0;owned\u{7}"), None])),
            ],
        )
        .unwrap();
        let rows = values(&batch).unwrap();
        assert_eq!(rows[0][0], Value::Time(1_500_000));
        assert_eq!(rows[0][0].to_string(), "1970-01-01T00:00:01.500000Z");
        assert_eq!(rows[0][1], Value::Int(-3));
        assert_eq!(rows[1][1], Value::Null);
        assert_eq!(rows[1][2], Value::Int(i64::MAX), "a count past i64 saturates");
        let text = rows[0][3].as_text().unwrap();
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(rows[1][3].is_empty());
    }

    #[test]
    fn a_time_past_what_microseconds_hold_is_no_time_and_no_panic() {
        use datafusion::arrow::array::TimestampSecondArray;
        let schema = Schema::new(vec![Field::new(
            "t",
            DataType::Timestamp(TimeUnit::Second, None),
            false,
        )]);
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(TimestampSecondArray::from(vec![10_000_000_000_000, 1]))],
        )
        .unwrap();
        let rows = values(&batch).unwrap();
        assert_eq!(rows[0][0], Value::Null);
        assert_eq!(rows[1][0], Value::Time(1_000_000));
    }
}
