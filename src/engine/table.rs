//! The `events` table: the archive's listing table, plus one piece of knowledge DataFusion does
//! not have — `date` is the UTC day of `event_time`. A filter on `event_time` therefore implies a
//! filter on `date`, which prunes whole day folders before any file is opened: the cost of a
//! query follows its time window, not the archive's age.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{ScanArgs, ScanResult, Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator, TableProviderFilterPushDown, col, lit};
use datafusion::physical_plan::ExecutionPlan;

use crate::archive::layout::utc_day;

#[derive(Debug)]
pub struct EventsTable {
    inner: Arc<dyn TableProvider>,
}

impl EventsTable {
    pub fn new(inner: Arc<dyn TableProvider>) -> Self {
        EventsTable { inner }
    }
}

#[async_trait]
impl TableProvider for EventsTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let filters = with_date_bounds(filters);
        self.inner.scan(state, projection, &filters, limit).await
    }

    async fn scan_with_args<'a>(&self, state: &dyn Session, args: ScanArgs<'a>) -> Result<ScanResult> {
        let filters = with_date_bounds(args.filters().unwrap_or(&[]));
        let args = ScanArgs::default()
            .with_projection(args.projection())
            .with_limit(args.limit())
            .with_statistics_requests(args.statistics_requests())
            .with_filters(Some(&filters));
        self.inner.scan_with_args(state, args).await
    }
}

/// The filters, plus `date >= 'D1'` / `date <= 'D2'` for every bound on `event_time` among them.
pub fn with_date_bounds(filters: &[Expr]) -> Vec<Expr> {
    let mut out = filters.to_vec();
    for filter in filters {
        for (op, micros) in time_bounds(filter) {
            out.push(col("date").binary_op(op, lit(utc_day(micros))));
        }
    }
    out
}

trait BinaryOp {
    fn binary_op(self, op: Operator, other: Expr) -> Expr;
}

impl BinaryOp for Expr {
    fn binary_op(self, op: Operator, other: Expr) -> Expr {
        Expr::BinaryExpr(BinaryExpr::new(Box::new(self), op, Box::new(other)))
    }
}

/// Bounds on `event_time` in one filter, as `(operator on date, time)`: `GtEq` for a lower
/// bound, `LtEq` for an upper one. Conjunctions are searched; anything else is left alone.
fn time_bounds(filter: &Expr) -> Vec<(Operator, i64)> {
    match filter {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => {
            let mut both = time_bounds(left);
            both.extend(time_bounds(right));
            both
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (op, value) = match (is_event_time(left), is_event_time(right)) {
                (true, false) => (*op, right.as_ref()),
                (false, true) => match op.swap() {
                    Some(swapped) => (swapped, left.as_ref()),
                    None => return vec![],
                },
                _ => return vec![],
            };
            let Some(t) = micros(value) else { return vec![] };
            match op {
                Operator::Gt | Operator::GtEq => vec![(Operator::GtEq, t)],
                Operator::Lt | Operator::LtEq => vec![(Operator::LtEq, t)],
                Operator::Eq => vec![(Operator::GtEq, t), (Operator::LtEq, t)],
                _ => vec![],
            }
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) if is_event_time(expr) => match (micros(low), micros(high)) {
            (Some(lo), Some(hi)) => vec![(Operator::GtEq, lo), (Operator::LtEq, hi)],
            _ => vec![],
        },
        _ => vec![],
    }
}

/// `event_time` itself, or cast to another timestamp type (the same instant). A cast to a date
/// or to text is not: it is taken in a time zone that may move the day.
fn is_event_time(e: &Expr) -> bool {
    match e {
        Expr::Column(c) => c.name == "event_time",
        Expr::Cast(c) if matches!(c.field.data_type(), DataType::Timestamp(..)) => is_event_time(&c.expr),
        Expr::TryCast(c) if matches!(c.field.data_type(), DataType::Timestamp(..)) => is_event_time(&c.expr),
        _ => false,
    }
}

/// A timestamp literal as UTC microseconds.
fn micros(e: &Expr) -> Option<i64> {
    match e {
        Expr::Literal(value, _) => match value {
            ScalarValue::TimestampMicrosecond(Some(v), _) => Some(*v),
            ScalarValue::TimestampNanosecond(Some(v), _) => Some(v.div_euclid(1000)),
            ScalarValue::TimestampMillisecond(Some(v), _) => v.checked_mul(1000),
            ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1_000_000),
            _ => None,
        },
        Expr::Cast(c) => micros(&c.expr),
        Expr::TryCast(c) => micros(&c.expr),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Expr {
        lit(ScalarValue::TimestampMicrosecond(
            Some(crate::sources::parse_time(s).unwrap()),
            Some("UTC".into()),
        ))
    }

    #[test]
    fn a_bound_on_event_time_adds_the_days_it_implies() {
        let filter = col("event_time")
            .gt_eq(ts("2024-05-01T10:00:00Z"))
            .and(col("event_time").lt(ts("2024-05-03T00:00:00Z")));
        let out = with_date_bounds(std::slice::from_ref(&filter));
        assert_eq!(out.len(), 3);
        assert_eq!(out[1], col("date").binary_op(Operator::GtEq, lit("2024-05-01")));
        assert_eq!(out[2], col("date").binary_op(Operator::LtEq, lit("2024-05-03")));
        let flipped = ts("2024-05-01T00:00:00Z").lt(col("event_time"));
        assert_eq!(
            with_date_bounds(&[flipped])[1],
            col("date").binary_op(Operator::GtEq, lit("2024-05-01"))
        );
    }

    #[test]
    fn a_cast_to_a_date_or_text_is_not_a_bound_on_the_instant() {
        use datafusion::logical_expr::{Cast, cast};
        let local_day =
            Expr::Cast(Cast::new(Box::new(col("event_time")), DataType::Date32)).gt_eq(ts("2022-02-08T00:00:00Z"));
        assert_eq!(
            with_date_bounds(std::slice::from_ref(&local_day)).len(),
            1,
            "no date bound added"
        );
        let other_unit = cast(
            col("event_time"),
            DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Nanosecond, None),
        )
        .gt_eq(ts("2022-02-08T00:00:00Z"));
        assert_eq!(
            with_date_bounds(&[other_unit]).len(),
            2,
            "a timestamp cast keeps the instant"
        );
    }

    #[test]
    fn other_filters_are_left_alone() {
        let filters = [
            col("principal").eq(lit("x")),
            col("event_time")
                .gt_eq(ts("2024-05-01T00:00:00Z"))
                .or(col("cloud").eq(lit("aws"))),
        ];
        assert_eq!(with_date_bounds(&filters), filters.to_vec());
    }
}
