//! Masking at read time, for archives of format 1 only: they were written before secrets were
//! sealed at ingest, so their `raw` and columns may still hold secrets. Every text column of
//! `events` is masked before any SQL reads it (so no function can take a secret out), and every
//! result again on its way out. `trailscope compact` migrates such an archive; from then on
//! `events/` holds no secret and nothing here runs.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray, StringViewArray};
use datafusion::arrow::datatypes::DataType;

use crate::secrets::{Masker, mask_text};

/// A record's text (JSON) or any other text with its secrets replaced by markers (without
/// fingerprints: a reader may not hold the archive's key).
fn mask(text: &str, json: bool) -> Option<String> {
    if json {
        match Masker::new(None).any_text(text) {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(t) => Some(t),
        }
    } else {
        match mask_text(text) {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(t) => Some(t),
        }
    }
}

/// The batch with secrets masked in every text column (`raw` read as JSON).
pub fn mask_batch(batch: &RecordBatch) -> RecordBatch {
    if batch.num_columns() == 0 {
        return batch.clone();
    }
    let schema = batch.schema();
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| mask_column(c, f.name() == "raw"))
        .collect();
    RecordBatch::try_new(batch.schema(), columns).expect("masking keeps the schema")
}

/// A text column with its secrets masked (other columns come back as they are).
pub fn mask_column(column: &ArrayRef, json: bool) -> ArrayRef {
    match column.data_type() {
        DataType::Utf8 => {
            let strings = column.as_string::<i32>();
            let masked: Vec<Option<String>> = strings.iter().map(|s| s.and_then(|s| mask(s, json))).collect();
            if masked.iter().all(Option::is_none) {
                return column.clone();
            }
            Arc::new(
                strings
                    .iter()
                    .zip(masked)
                    .map(|(s, m)| m.or_else(|| s.map(str::to_string)))
                    .collect::<StringArray>(),
            )
        }
        DataType::LargeUtf8 => {
            let strings = column.as_string::<i64>();
            Arc::new(
                strings
                    .iter()
                    .map(|s| s.map(|s| mask(s, json).unwrap_or_else(|| s.to_string())))
                    .collect::<datafusion::arrow::array::LargeStringArray>(),
            )
        }
        DataType::Utf8View => {
            let strings = column.as_string_view();
            let masked: Vec<Option<String>> = strings.iter().map(|s| s.and_then(|s| mask(s, json))).collect();
            if masked.iter().all(Option::is_none) {
                return column.clone();
            }
            Arc::new(
                strings
                    .iter()
                    .zip(masked)
                    .map(|(s, m)| m.or_else(|| s.map(str::to_string)))
                    .collect::<StringViewArray>(),
            )
        }
        _ => column.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_column_of_a_result_is_masked() {
        use datafusion::arrow::datatypes::{Field, Schema};
        let schema = Arc::new(Schema::new(vec![
            Field::new("raw", DataType::Utf8, true),
            Field::new("user_agent", DataType::Utf8, true),
            Field::new("anything", DataType::LargeUtf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![Some(r#"{"password":"hunter2"}"#), None])),
                Arc::new(StringArray::from(vec![
                    Some("curl Bearer abcdef0123456789"),
                    Some("aws-cli/2"),
                ])),
                Arc::new(datafusion::arrow::array::LargeStringArray::from(vec![
                    Some("IQoJb3JpZ2luX2VjEXAMPLEEXAMPLE"),
                    None,
                ])),
            ],
        )
        .unwrap();
        let masked = mask_batch(&batch);
        let text =
            |c: usize, r: usize| datafusion::arrow::util::display::array_value_to_string(masked.column(c), r).unwrap();
        assert_eq!(text(0, 0), r#"{"password":"[MASKED:password]"}"#);
        assert_eq!(text(1, 0), "curl Bearer [MASKED:bearer-token]");
        assert_eq!(text(1, 1), "aws-cli/2");
        assert_eq!(text(2, 0), "[MASKED:aws-session-token]");
    }
}
