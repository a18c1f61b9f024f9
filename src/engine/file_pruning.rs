//! What a query's filters ask of each file, in terms the archive's file index can answer (see
//! `archive::file_index`): values of indexed columns a matching row must have, and the time
//! range it must fall in. A file whose entry says it holds none of them is never opened.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};

use crate::archive::file_index::{FileSummary, INDEXED};

/// A day in microseconds: a time bound on a day boundary is already applied by the day folders.
const DAY: i64 = 86_400_000_000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Wanted {
    /// Every matching row has, for each element, one of its `(column in INDEXED, value)` pairs.
    values: Vec<Vec<(usize, String)>>,
    /// Every matching row has a value in these columns (of INDEXED).
    present: Vec<usize>,
    /// Every matching row's time is at or after `from` and at or before `to`.
    from: Option<i64>,
    to: Option<i64>,
}

impl Wanted {
    /// What `filters` (a conjunction) ask, or `None` when the index could rule nothing out
    /// that the day folders have not already.
    pub fn of(filters: &[Expr], bounds: &[(Operator, i64)]) -> Option<Wanted> {
        let mut wanted = Wanted::default();
        for filter in filters {
            for conjunct in split_conjunction(filter) {
                if let Some(any) = one_of(conjunct) {
                    wanted.values.push(any);
                } else if let Expr::IsNotNull(e) = conjunct
                    && let Some(column) = indexed(e)
                {
                    wanted.present.push(column);
                }
            }
        }
        for (op, t) in bounds {
            match op {
                Operator::GtEq => wanted.from = Some(wanted.from.map_or(*t, |f| f.max(*t))),
                Operator::LtEq => wanted.to = Some(wanted.to.map_or(*t, |f| f.min(*t))),
                _ => {}
            }
        }
        let within_a_day = |t: Option<i64>| t.is_some_and(|t| t.rem_euclid(DAY) != 0);
        (wanted.pins_values() || within_a_day(wanted.from) || within_a_day(wanted.to)).then_some(wanted)
    }

    /// Whether a matching row must hold given values, or a value at all, in an indexed column
    /// (not only a time range).
    pub fn pins_values(&self) -> bool {
        !self.values.is_empty() || !self.present.is_empty()
    }

    /// The `INDEXED` columns whose filters are needed.
    pub fn columns(&self) -> Vec<usize> {
        let mut columns: Vec<usize> = self.values.iter().flatten().map(|(c, _)| *c).collect();
        columns.extend(&self.present);
        columns.sort_unstable();
        columns.dedup();
        columns
    }

    /// Whether a file with this entry may hold a matching row.
    pub fn admits(&self, entry: &FileSummary) -> bool {
        entry.may_overlap(self.from, self.to)
            && self.present.iter().all(|c| entry.may_hold_any(*c))
            && self
                .values
                .iter()
                .all(|any| any.iter().any(|(column, value)| entry.may_hold(*column, value)))
    }
}

/// The `(column, value)` pairs one of which every row passing `e` has, if `e` says so.
fn one_of(e: &Expr) -> Option<Vec<(usize, String)>> {
    match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Eq,
            right,
        }) => match (indexed(left), text(right)) {
            (Some(c), Some(v)) => Some(vec![(c, v)]),
            _ => Some(vec![(indexed(right)?, text(left)?)]),
        },
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Or,
            right,
        }) => {
            let mut either = one_of(left)?;
            either.extend(one_of(right)?);
            Some(either)
        }
        // Both sides hold, so either side's pairs do.
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => one_of(left).or_else(|| one_of(right)),
        Expr::InList(list) if !list.negated => {
            let column = indexed(&list.expr)?;
            list.list.iter().map(|v| Some((column, text(v)?))).collect()
        }
        _ => None,
    }
}

/// The position in `INDEXED` of a column (or of the column cast to another text type).
fn indexed(e: &Expr) -> Option<usize> {
    match e {
        Expr::Column(c) => INDEXED.iter().position(|name| *name == c.name),
        Expr::Cast(c) if is_text(c.field.data_type()) => indexed(&c.expr),
        _ => None,
    }
}

/// A text literal's value (a NULL compares equal to nothing, and is not a value).
fn text(e: &Expr) -> Option<String> {
    match e {
        Expr::Literal(
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Some(s.clone()),
        Expr::Cast(c) if is_text(c.field.data_type()) => text(&c.expr),
        _ => None,
    }
}

fn is_text(t: &datafusion::arrow::datatypes::DataType) -> bool {
    use datafusion::arrow::datatypes::DataType::{LargeUtf8, Utf8, Utf8View};
    matches!(t, Utf8 | LargeUtf8 | Utf8View)
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::{col, lit};

    use super::*;

    fn column(name: &str) -> usize {
        INDEXED.iter().position(|c| *c == name).unwrap()
    }

    #[test]
    fn equalities_and_lists_of_indexed_columns_are_what_a_row_must_have() {
        let filters = [
            col("principal")
                .eq(lit("alice"))
                .and(col("action").eq(lit("GetObject"))),
            lit("10.0.0.1")
                .eq(col("source_ip"))
                .or(col("access_key_id").in_list(vec![lit("AKIA1"), lit("AKIA2")], false)),
        ];
        let wanted = Wanted::of(&filters, &[]).unwrap();
        assert_eq!(
            wanted.values,
            vec![
                vec![(column("principal"), "alice".to_string())],
                vec![
                    (column("source_ip"), "10.0.0.1".to_string()),
                    (column("access_key_id"), "AKIA1".to_string()),
                    (column("access_key_id"), "AKIA2".to_string()),
                ],
            ]
        );
        // In `INDEXED`'s order, each once.
        assert_eq!(
            wanted.columns(),
            vec![column("principal"), column("access_key_id"), column("source_ip")]
        );
    }

    #[test]
    fn what_does_not_pin_a_value_rules_nothing_out() {
        let filters = [
            // Any row may pass these whatever its principal.
            col("principal").not_eq(lit("alice")),
            col("principal").eq(lit("alice")).or(col("action").eq(lit("x"))),
            col("principal").in_list(vec![lit("a")], true),
            col("action").eq(lit("GetObject")),
            col("principal").like(lit("a%")),
        ];
        assert_eq!(Wanted::of(&filters, &[]), None);
        // A column that must have a value rules out the files where it has none.
        let present = Wanted::of(&[col("assumed_principal").is_not_null()], &[]).unwrap();
        assert_eq!(present.columns(), vec![column("assumed_principal")]);
        assert_eq!(Wanted::of(&[col("action").is_not_null()], &[]), None);
        // A bound on a day boundary is already the day folders' work; within a day it is not.
        assert_eq!(Wanted::of(&[], &[(Operator::GtEq, 3 * DAY)]), None);
        let hour = Wanted::of(
            &[],
            &[(Operator::GtEq, 3 * DAY + 3_600_000_000), (Operator::LtEq, 4 * DAY)],
        )
        .unwrap();
        assert_eq!((hour.from, hour.to), (Some(3 * DAY + 3_600_000_000), Some(4 * DAY)));
    }
}
