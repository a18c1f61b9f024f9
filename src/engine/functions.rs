//! trailscope's SQL functions beyond DataFusion's own: the JSON functions, the masks an archive of
//! format 1 is read through, the Sigma rules' matching, and `archive_end()`. Listed once, so that a local session and a
//! cluster's scheduler and executors know the same functions by the same names.

use std::sync::{Arc, OnceLock};

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

use super::redact;

/// The name of the function that gives the archive's newest event's time.
pub const ARCHIVE_END: &str = "archive_end";

/// The functions a query's plan may call besides DataFusion's: the JSON functions and the masks.
/// (`archive_end()` is not among them: its value belongs to one session, see [`archive_end`].)
pub fn shared() -> Vec<Arc<ScalarUDF>> {
    use datafusion_functions_json::udfs;
    vec![
        udfs::json_get_udf(),
        udfs::json_get_bool_udf(),
        udfs::json_get_float_udf(),
        udfs::json_get_int_udf(),
        udfs::json_get_json_udf(),
        udfs::json_get_array_udf(),
        udfs::json_as_text_udf(),
        udfs::json_get_str_udf(),
        udfs::json_contains_udf(),
        udfs::json_length_udf(),
        udfs::json_object_keys_udf(),
        udfs::json_from_scalar_udf(),
        udfs::json_union_to_text_udf(),
        mask(MASK_RECORD, true),
        mask(MASK_TEXT, false),
    ]
    .into_iter()
    .chain(super::detect::udf::functions())
    .collect()
}

/// One of [`shared`] by name.
pub fn shared_by_name(name: &str) -> Option<Arc<ScalarUDF>> {
    shared().into_iter().find(|f| f.name() == name)
}

/// A function a plan may call by name: one of [`shared`], or one of DataFusion's built-in scalar
/// functions (Ballista's executors know only its core ones by themselves, not the array
/// functions such as `array_sort` that the views use).
pub fn known(name: &str) -> Option<Arc<ScalarUDF>> {
    static BUILT_IN: OnceLock<std::collections::HashMap<String, Arc<ScalarUDF>>> = OnceLock::new();
    shared_by_name(name).or_else(|| {
        BUILT_IN
            .get_or_init(|| {
                datafusion::execution::SessionStateBuilder::new()
                    .with_default_features()
                    .build()
                    .scalar_functions()
                    .clone()
            })
            .get(name)
            .cloned()
    })
}

pub const MASK_RECORD: &str = "mask_record";
pub const MASK_TEXT: &str = "mask_text";

/// A text column with leaked secrets masked (`json`: the column holds whole records).
fn mask(name: &str, json: bool) -> Arc<ScalarUDF> {
    Arc::new(create_udf(
        name,
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            Ok(ColumnarValue::Array(redact::mask_column(&arrays[0], json)))
        }),
    ))
}

/// `archive_end()`: the newest event's time in the archive (the wall clock's now for an archive
/// without events), so that report defaults follow the data, not the calendar. The session finds
/// the time once, before a query that calls it runs.
pub fn archive_end(end: Arc<OnceLock<Option<i64>>>) -> ScalarUDF {
    let fun = Arc::new(move |_: &[ColumnarValue]| {
        let t = end
            .get()
            .copied()
            .flatten()
            .unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
        Ok(ColumnarValue::Scalar(ScalarValue::TimestampMicrosecond(
            Some(t),
            Some("UTC".into()),
        )))
    });
    create_udf(ARCHIVE_END, vec![], archive_end_type(), Volatility::Stable, fun)
}

/// `archive_end()` as the session that found it knew it: how a cluster evaluates it.
pub fn archive_end_fixed(end: Option<i64>) -> ScalarUDF {
    let found = Arc::new(OnceLock::new());
    let _ = found.set(end);
    archive_end(found)
}

/// The value `archive_end()` returns for `udf`, if it is that function.
pub fn archive_end_value(udf: &ScalarUDF) -> Option<Option<i64>> {
    if udf.name() != ARCHIVE_END {
        return None;
    }
    let value = udf
        .invoke_with_args(datafusion::logical_expr::ScalarFunctionArgs {
            args: vec![],
            arg_fields: vec![],
            number_rows: 1,
            return_field: Arc::new(datafusion::arrow::datatypes::Field::new(
                ARCHIVE_END,
                archive_end_type(),
                true,
            )),
            config_options: Default::default(),
        })
        .ok()?;
    match value {
        ColumnarValue::Scalar(ScalarValue::TimestampMicrosecond(t, _)) => Some(t),
        _ => None,
    }
}

fn archive_end_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}
