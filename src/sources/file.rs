//! A whole source file → the fate of each of its records.

use super::document::{self, DocumentError, Item, Layout};
use super::{CloudChoice, Mapped, Origin, map_record};

/// Everything read from one source file, in the file's order.
#[derive(Debug)]
pub struct FileRecords {
    pub layout: Layout,
    /// `(position in the file, what became of the record, its original text)`.
    pub records: Vec<(u32, Mapped, String)>,
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
    let plain = document::decompress(bytes)?;
    let text = document::text(&plain)?;
    let doc = document::split(text)?;
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
            }
        })
        .collect();
    Ok(FileRecords {
        layout: doc.layout,
        records,
    })
}
