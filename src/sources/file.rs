//! A whole source file → the fate of each of its records.

use super::document::{self, DocumentError, Item, Layout};
use super::{CloudChoice, Mapped, Origin, map_record};

/// Everything read from one source file, in the file's order.
#[derive(Debug)]
pub struct FileRecords {
    pub layout: Layout,
    /// `(position in the file, what became of the record, its original text)`; the text is kept
    /// for records that are rejected (they go to quarantine with it).
    pub records: Vec<(u32, Mapped, String)>,
    /// The bytes of lines that are not UTF-8 text, by position: kept byte for byte.
    pub undecodable: Vec<(u32, Vec<u8>)>,
}

impl FileRecords {
    pub fn events(&self) -> impl Iterator<Item = &super::Event> {
        self.records.iter().filter_map(|(_, m, _)| match m {
            Mapped::Event(e) => Some(e.as_ref()),
            _ => None,
        })
    }
}

/// Reads one file's bytes (gzip or not). `source_object` names the file in every event.
pub fn read_file(bytes: &[u8], source_object: &str, choice: CloudChoice) -> Result<FileRecords, DocumentError> {
    read_file_within(bytes, source_object, choice, document::DEFAULT_MAX_DECOMPRESSED)
}

/// [`read_file`], refusing a file that holds more than `max_decompressed` bytes once decompressed.
pub fn read_file_within(
    bytes: &[u8],
    source_object: &str,
    choice: CloudChoice,
    max_decompressed: u64,
) -> Result<FileRecords, DocumentError> {
    let plain = document::decompress(bytes, max_decompressed)?;
    read_decompressed(&plain, source_object, choice)
}

/// [`read_file`] of bytes already decompressed (gzip is not undone again).
pub fn read_decompressed(plain: &[u8], source_object: &str, choice: CloudChoice) -> Result<FileRecords, DocumentError> {
    let doc = match document::text(plain) {
        Ok(text) => document::split(text)?,
        Err(DocumentError::NotText(_)) => document::split_bytes(plain)?,
        Err(e) => return Err(e),
    };
    let mut undecodable = Vec::new();
    let records = doc
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let index = i as u32;
            match item {
                Item::Record(raw) => {
                    let origin = Origin {
                        source_object,
                        source_index: index,
                    };
                    // Rejected records are quarantined with their text, so it is kept here.
                    let mapped = map_record(raw.get(), choice, origin);
                    let keep = if matches!(mapped, Mapped::Rejected(_)) {
                        raw.get().to_string()
                    } else {
                        String::new()
                    };
                    (index, mapped, keep)
                }
                Item::BadLine { line, text, error } => {
                    let text = text.to_string();
                    (
                        index,
                        Mapped::Rejected(format!("line {line} is not valid JSON: {error}")),
                        text,
                    )
                }
                Item::NotText { line, bytes } => {
                    undecodable.push((index, bytes.to_vec()));
                    (
                        index,
                        Mapped::Rejected(format!("line {line} is not UTF-8 text")),
                        String::from_utf8_lossy(bytes).into_owned(),
                    )
                }
            }
        })
        .collect();
    Ok(FileRecords {
        layout: doc.layout,
        records,
        undecodable,
    })
}
