//! A source file's bytes split into records, each with its original text.
//!
//! The shapes the clouds deliver: one JSON document holding records under a wrapper key
//! (`Records`, `records`, `Events`, `value`), a bare JSON array of records, a single record per
//! file, or JSON lines. Gzip is recognised by its magic bytes, whatever the file is called.

use std::borrow::Cow;
use std::io::Read;

use serde_json::value::RawValue;

/// Why a file's bytes could not be turned into records.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum DocumentError {
    #[error("gzip data is damaged or truncated: {0}")]
    Gzip(String),
    #[error("not UTF-8 text (first invalid byte at offset {0})")]
    NotText(usize),
    #[error("the file is empty")]
    Empty,
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error(
        "it expands to more than {} when decompressed (the limit, `max_decompressed` in the config file; a gzip bomb, or a file far larger than any cloud delivers)",
        size(*.0)
    )]
    TooLarge(u64),
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
    } else {
        format!("{bytes} bytes")
    }
}

/// The default for the most a file may hold once decompressed: 4 GiB, far above any delivery
/// file the clouds write, far below what a gzip bomb would take.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 4 << 30;

/// Undoes gzip (possibly several concatenated members) if the bytes start with its magic,
/// reading at most `max` bytes of output: a bomb stops at the limit, not at the machine's memory.
pub fn decompress(bytes: &[u8], max: u64) -> Result<Cow<'_, [u8]>, DocumentError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        // A guess at the size, bounded: a small bomb must not ask for memory up front.
        let mut out = Vec::with_capacity((bytes.len() * 8).min(256 << 20).min(max as usize));
        flate2::read::MultiGzDecoder::new(bytes)
            .take(max.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| DocumentError::Gzip(e.to_string()))?;
        if out.len() as u64 > max {
            return Err(DocumentError::TooLarge(max));
        }
        Ok(Cow::Owned(out))
    } else if bytes.len() as u64 > max {
        Err(DocumentError::TooLarge(max))
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

/// One item of a file: a record's raw text, a line that is not JSON, or a line that is not
/// even text (JSON lines with a byte that is not UTF-8).
#[derive(Debug)]
pub enum Item<'a> {
    Record(&'a RawValue),
    BadLine { line: usize, text: &'a str, error: String },
    NotText { line: usize, bytes: &'a [u8] },
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
    split_lines(text.lines().map(Ok)).map_err(|first_error| DocumentError::NotJson(first_error.unwrap_or_default()))
}

/// A file that is not UTF-8 text, read as JSON lines: a line with a byte that is not UTF-8
/// costs that line only. A file none of whose lines is a JSON record is not text (inside one
/// JSON document a bad byte spoils the whole document).
pub fn split_bytes(bytes: &[u8]) -> Result<Document<'_>, DocumentError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let lines = bytes.split(|b| *b == b'\n').map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        std::str::from_utf8(line).map_err(|_| line)
    });
    split_lines(lines).map_err(|_| {
        DocumentError::NotText(text(bytes).err().map_or(0, |e| match e {
            DocumentError::NotText(at) => at,
            _ => 0,
        }))
    })
}

/// Lines (or the bytes of lines that are not text) as records; the first line's error when
/// none is a record.
fn split_lines<'a>(lines: impl Iterator<Item = Result<&'a str, &'a [u8]>>) -> Result<Document<'a>, Option<String>> {
    let mut items = Vec::new();
    let mut good = 0;
    let mut first_error = None;
    for (n, line) in lines.enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(bytes) => {
                first_error.get_or_insert_with(|| format!("line {}: not UTF-8 text", n + 1));
                items.push(Item::NotText { line: n + 1, bytes });
                continue;
            }
        };
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
        return Err(first_error);
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
    // A wrapper that names its list twice (`{"Records":[A],"Records":[B]}`) would lose one of
    // them: such a document is read as one record, which is then refused as ambiguous.
    if text.starts_with('{')
        && let Ok(Fields(Some(fields))) = serde_json::from_str::<Fields<'_>>(text)
    {
        for key in WRAPPER_KEYS {
            let wrapped = fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| *v)
                .filter(|v| v.get().starts_with('['));
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

/// An object's fields, its values left as their text; `None` when it names a key twice. One
/// pass over the document, whose records are then split from the wrapper's list.
struct Fields<'a>(Option<Vec<(String, &'a RawValue)>>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Fields<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Fields<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Fields<'a>, A::Error> {
                let mut fields: Vec<(String, &'a RawValue)> = Vec::new();
                let mut twice = false;
                while let Some(key) = map.next_key::<String>()? {
                    let value: &'a RawValue = map.next_value()?;
                    twice |= fields.iter().any(|(k, _)| *k == key);
                    fields.push((key, value));
                }
                Ok(Fields((!twice).then_some(fields)))
            }
        }
        d.deserialize_map(Visitor(std::marker::PhantomData))
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
                Item::BadLine { .. } | Item::NotText { .. } => None,
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
    fn a_wrapper_that_names_its_list_twice_is_one_record_not_the_last_list() {
        let doc = split(r#"{"Records":[{"a":1}],"Records":[{"b":2}]}"#).unwrap();
        assert_eq!(doc.layout, Layout::SingleObject);
        let record = records(&doc).remove(0);
        assert!(
            crate::sources::json::parse_record(&record).is_err(),
            "and refused as ambiguous"
        );
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
        assert_eq!(&*decompress(&bytes, 1 << 20).unwrap(), b"{\"Records\":[]}");
        assert!(matches!(
            decompress(&bytes[..bytes.len() - 6], 1 << 20),
            Err(DocumentError::Gzip(_))
        ));
        assert_eq!(&*decompress(b"plain", 1 << 20).unwrap(), b"plain");
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit_with_a_reason_that_names_it() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b' '; 8 << 20]).unwrap();
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 64 << 10);
        let err = decompress(&bomb, 1 << 20).unwrap_err();
        assert_eq!(err, DocumentError::TooLarge(1 << 20));
        assert!(err.to_string().contains("more than 1.0 MiB"), "{err}");
    }

    #[test]
    fn a_line_that_is_not_utf8_costs_only_itself() {
        let bytes = b"{\"a\":1}\n{\"b\":\"\xff\"}\n{\"c\":3}\n";
        let doc = split_bytes(bytes).unwrap();
        assert_eq!(records(&doc), ["{\"a\":1}", "{\"c\":3}"]);
        assert!(matches!(doc.items[1], Item::NotText { line: 2, .. }));
        assert!(matches!(split_bytes(b"\xff\xfe"), Err(DocumentError::NotText(0))));
    }
}
