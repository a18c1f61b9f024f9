//! A source file's bytes split into records, each with its original text.
//!
//! The shapes the clouds deliver: one JSON document holding records under a wrapper key
//! (`Records`, `records`, `Events`, `value`), a bare JSON array of records, a single record per
//! file, or JSON lines. Gzip is recognised by its magic bytes, whatever the file is called.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;

use serde_json::value::RawValue;

/// Why a file's bytes could not be turned into records.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DocumentError {
    #[error("gzip data is damaged or truncated: {0}")]
    Gzip(String),
    #[error("not UTF-8 text (first invalid byte at offset {0})")]
    NotText(usize),
    #[error("the file is empty")]
    Empty,
    #[error("not JSON: {0}")]
    NotJson(String),
}

/// Undoes gzip (possibly several concatenated members) if the bytes start with its magic.
pub fn decompress(bytes: &[u8]) -> Result<Cow<'_, [u8]>, DocumentError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        // A guess at the size, bounded: a small bomb must not ask for memory up front.
        let mut out = Vec::with_capacity((bytes.len() * 8).min(256 << 20));
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| DocumentError::Gzip(e.to_string()))?;
        Ok(Cow::Owned(out))
    } else {
        Ok(Cow::Borrowed(bytes))
    }
}

/// Decoded text of a file, without a UTF-8 byte-order mark.
pub fn text(bytes: &[u8]) -> Result<&str, DocumentError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| DocumentError::NotText(e.valid_up_to()))
}

/// How the records were laid out in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `{"Records": [...]}` and kin; the key is kept for the summary.
    Wrapped(&'static str),
    Array,
    SingleObject,
    JsonLines,
}

/// One item of a file: a record's raw text, or a line that is not JSON.
#[derive(Debug)]
pub enum Item<'a> {
    Record(&'a RawValue),
    BadLine { line: usize, text: &'a str, error: String },
}

#[derive(Debug)]
pub struct Document<'a> {
    pub layout: Layout,
    pub items: Vec<Item<'a>>,
}

/// Keys under which the clouds and their tools wrap a list of records.
const WRAPPER_KEYS: [&str; 4] = ["Records", "records", "Events", "value"];

/// Splits a file's text into records, borrowing each record's exact text from `text`.
pub fn split(text: &str) -> Result<Document<'_>, DocumentError> {
    let trimmed = text.trim_start();
    if trimmed.trim_end().is_empty() {
        return Err(DocumentError::Empty);
    }
    // A single JSON value: an array, a wrapper object, or one record.
    match serde_json::from_str::<&RawValue>(text) {
        Ok(whole) => return Ok(split_single_value(whole)),
        Err(e) if !trimmed.starts_with('{') => return Err(DocumentError::NotJson(e.to_string())),
        Err(_) => {}
    }
    // Several values one after another: JSON lines, or pretty-printed objects in a row.
    let stream: Result<Vec<&RawValue>, _> = serde_json::Deserializer::from_str(text)
        .into_iter::<&RawValue>()
        .collect();
    if let Ok(values) = stream {
        return Ok(Document {
            layout: Layout::JsonLines,
            items: values.into_iter().map(Item::Record).collect(),
        });
    }
    // Line by line, so that one damaged line costs one record, not the file.
    let mut items = Vec::new();
    let mut good = 0;
    let mut first_error = None;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<&RawValue>(line) {
            Ok(v) => {
                good += 1;
                items.push(Item::Record(v));
            }
            Err(e) => {
                first_error
                    .get_or_insert_with(|| format!("line {}: {e}", n + 1).replace(" at line 1 column", " column"));
                items.push(Item::BadLine {
                    line: n + 1,
                    text: line,
                    error: e.to_string(),
                });
            }
        }
    }
    if good == 0 {
        return Err(DocumentError::NotJson(first_error.unwrap_or_default()));
    }
    Ok(Document {
        layout: Layout::JsonLines,
        items,
    })
}

fn split_single_value(whole: &RawValue) -> Document<'_> {
    let text = whole.get();
    if text.starts_with('[')
        && let Ok(values) = serde_json::from_str::<Vec<&RawValue>>(text)
    {
        return Document {
            layout: Layout::Array,
            items: values.into_iter().map(Item::Record).collect(),
        };
    }
    if text.starts_with('{')
        && let Ok(fields) = serde_json::from_str::<BTreeMap<String, &RawValue>>(text)
    {
        for key in WRAPPER_KEYS {
            let wrapped = fields.get(key).filter(|v| v.get().starts_with('['));
            if let Some(list) = wrapped
                && let Ok(values) = serde_json::from_str::<Vec<&RawValue>>(list.get())
            {
                return Document {
                    layout: Layout::Wrapped(key),
                    items: values.into_iter().map(Item::Record).collect(),
                };
            }
        }
    }
    Document {
        layout: Layout::SingleObject,
        items: vec![Item::Record(whole)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(doc: &Document<'_>) -> Vec<String> {
        doc.items
            .iter()
            .filter_map(|i| match i {
                Item::Record(r) => Some(r.get().to_string()),
                Item::BadLine { .. } => None,
            })
            .collect()
    }

    #[test]
    fn a_cloudtrail_delivery_file_yields_each_record_byte_for_byte() {
        let text = "{\"Records\":[{\"eventID\":\"a\",  \"x\" : 1},\n {\"eventID\":\"b\"}]}";
        let doc = split(text).unwrap();
        assert_eq!(doc.layout, Layout::Wrapped("Records"));
        assert_eq!(
            records(&doc),
            ["{\"eventID\":\"a\",  \"x\" : 1}", "{\"eventID\":\"b\"}"]
        );
    }

    #[test]
    fn json_lines_keep_each_line_and_a_damaged_line_costs_only_itself() {
        let text = "{\"a\":1}\n\n{\"b\":2}\n{\"c\":\n{\"d\":4}";
        let doc = split(text).unwrap();
        assert_eq!(doc.layout, Layout::JsonLines);
        assert_eq!(records(&doc), ["{\"a\":1}", "{\"b\":2}", "{\"d\":4}"]);
        assert!(matches!(doc.items[2], Item::BadLine { line: 4, .. }));
    }

    #[test]
    fn arrays_single_objects_and_rubbish_are_told_apart() {
        assert_eq!(split("[{\"a\":1},{\"b\":2}]").unwrap().layout, Layout::Array);
        assert_eq!(split("{\"logName\":\"x\"}").unwrap().layout, Layout::SingleObject);
        assert!(matches!(split("hello world"), Err(DocumentError::NotJson(_))));
        assert!(matches!(
            split("{\"Records\":[{\"a\":1},"),
            Err(DocumentError::NotJson(_))
        ));
        assert_eq!(split("  \n").unwrap_err(), DocumentError::Empty);
    }

    #[test]
    fn gzip_is_recognised_by_content_and_truncation_is_an_error() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"{\"Records\":[]}").unwrap();
        let bytes = gz.finish().unwrap();
        assert_eq!(&*decompress(&bytes).unwrap(), b"{\"Records\":[]}");
        assert!(matches!(
            decompress(&bytes[..bytes.len() - 6]),
            Err(DocumentError::Gzip(_))
        ));
        assert_eq!(&*decompress(b"plain").unwrap(), b"plain");
    }
}
