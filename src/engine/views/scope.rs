//! What a view is narrowed to (a window, pinned values, the user's own filter) as SQL and bound
//! values, and values as they are bound and shown.

use datafusion::common::ScalarValue;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;

use super::super::EngineError;
use super::super::window::TimeWindow;

/// What every view is narrowed to: a time window, pinned values, and optionally the user's own
/// SQL filter.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope {
    pub window: TimeWindow,
    filter: Option<String>,
    pins: Vec<Pin>,
}

/// "`column` is (or is not) `value`": a filter made by pointing at a value. The value is bound
/// as a parameter; an empty value means NULL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    pub column: String,
    pub value: String,
    pub negate: bool,
}

impl std::fmt::Display for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = if self.negate { "≠" } else { "=" };
        if self.value.is_empty() {
            write!(f, "{} {op} null", self.column)
        } else {
            write!(f, "{} {op} {}", self.column, self.value)
        }
    }
}

/// Whether `name` is a column of the `events` table (pins and frequency tables take only those).
pub fn is_event_column(name: &str) -> bool {
    crate::archive::schema::COLUMNS.iter().any(|c| c.name == name)
}

impl Scope {
    pub fn new(window: TimeWindow) -> Self {
        Scope {
            window,
            filter: None,
            pins: Vec::new(),
        }
    }

    /// Adds a pin on a column of `events`; a pin already there is not added twice.
    pub fn with_pin(mut self, pin: Pin) -> Result<Self, EngineError> {
        if !is_event_column(&pin.column) {
            return Err(EngineError::Usage(format!(
                "'{}' is computed by this view, not a column of events: it cannot be a filter",
                pin.column
            )));
        }
        if !self.pins.contains(&pin) {
            self.pins.push(pin);
        }
        Ok(self)
    }

    /// Whether something narrows the window's events: a `--where` condition or a pinned value.
    pub fn is_filtered(&self) -> bool {
        self.filter.is_some() || !self.pins.is_empty()
    }

    pub fn pins(&self) -> &[Pin] {
        &self.pins
    }

    /// Adds the user's filter, which must be exactly one SQL expression (`outcome = 'failure'`).
    pub fn with_filter(mut self, filter: &str) -> Result<Self, EngineError> {
        self.filter = Some(expression(filter)?);
        Ok(self)
    }

    pub fn filter(&self) -> Option<&str> {
        self.filter.as_deref()
    }

    /// The `WHERE` clause's body shared by every view.
    pub(crate) fn clause(&self) -> String {
        let mut clause = "event_time >= $from AND event_time < $to".to_string();
        for (i, pin) in self.pins.iter().enumerate() {
            // Column names come from the schema's list (checked in `with_pin`), values are bound.
            let c = &pin.column;
            clause.push_str(&match (pin.value.is_empty(), pin.negate) {
                (true, false) => format!("\n  AND {c} IS NULL"),
                (true, true) => format!("\n  AND {c} IS NOT NULL"),
                (false, false) => format!("\n  AND {c} = $pin_{i}"),
                // "≠ x" keeps the events without a value: they are not x either.
                (false, true) => format!("\n  AND ({c} IS NULL OR {c} <> $pin_{i})"),
            });
        }
        if let Some(f) = &self.filter {
            clause.push_str(&format!("\n  AND ({f})"));
        }
        clause
    }

    pub(crate) fn params(&self) -> Vec<(String, ScalarValue)> {
        let mut params = vec![
            ("from".into(), timestamp(self.window.from)),
            ("to".into(), timestamp(self.window.to)),
        ];
        for (i, pin) in self.pins.iter().enumerate() {
            if !pin.value.is_empty() {
                params.push((format!("pin_{i}"), pin_value(&pin.column, &pin.value)));
            }
        }
        params
    }
}

/// One SQL expression, re-rendered from its syntax tree so that no comment or second
/// statement can ride along.
fn expression(text: &str) -> Result<String, EngineError> {
    let bad = |why: String| EngineError::Usage(format!("the filter '{text}' is not one SQL condition: {why}"));
    let mut parser = Parser::new(&GenericDialect {})
        .try_with_sql(text)
        .map_err(|e| bad(e.to_string()))?;
    let expr = parser.parse_expr().map_err(|e| bad(e.to_string()))?;
    if parser.peek_token().token != Token::EOF {
        return Err(bad(format!(
            "unexpected '{}' after the condition",
            parser.peek_token().token
        )));
    }
    // A name that is no column would fail every query the filter joins: said now, once.
    let mut unknown = Vec::new();
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(&expr, |e| {
        use datafusion::sql::sqlparser::ast::Expr;
        let name = match e {
            Expr::Identifier(i) => Some(i.value.clone()),
            Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()),
            _ => None,
        };
        if let Some(name) = name.filter(|n| !is_event_column(n) && !unknown.contains(n)) {
            unknown.push(name);
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    if !unknown.is_empty() {
        return Err(EngineError::Usage(format!(
            "the filter '{text}' names {}, not a column of events (`trailscope schema` lists them; quote text as 'text')",
            unknown.join(", ")
        )));
    }
    Ok(expr.to_string())
}

/// A pinned value typed as its column: text compared to a timestamp or a boolean would not match.
fn pin_value(column: &str, value: &str) -> ScalarValue {
    use datafusion::arrow::datatypes::DataType;
    let kind = crate::archive::schema::COLUMNS
        .iter()
        .find(|c| c.name == column)
        .map(|c| c.data_type());
    match kind {
        Some(DataType::Timestamp(..)) => match crate::sources::parse_time(value) {
            Ok(t) => timestamp(t),
            Err(_) => text(value),
        },
        Some(DataType::Boolean) => match value {
            "true" => ScalarValue::Boolean(Some(true)),
            "false" => ScalarValue::Boolean(Some(false)),
            _ => text(value),
        },
        Some(DataType::UInt32) => value
            .parse()
            .map_or_else(|_| text(value), |n| ScalarValue::UInt32(Some(n))),
        _ => text(value),
    }
}

pub fn timestamp(micros: i64) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(Some(micros), Some("UTC".into()))
}

/// A bound value as a person reads it: times in RFC 3339 (UTC), text as it is.
pub fn display_value(value: &ScalarValue) -> String {
    match value {
        ScalarValue::TimestampMicrosecond(Some(t), _) => super::super::window::format_time(*t),
        ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn text(value: &str) -> ScalarValue {
    ScalarValue::Utf8(Some(value.to_string()))
}
