//! The sealed tier: the verbatim text of every record in which a secret was replaced, kept under
//! its own prefix so that the store's own permissions can guard it.
//!
//! ```text
//! _sealed/key                                                  the fingerprint key (32 bytes, hex)
//! _sealed/records/date=D/cloud=C/tenant=T/<change id>.parquet  verbatim records of one batch
//! _sealed/quarantine/<date>/…                                  files and records ingest refused
//! ```
//! At ingest every record's text is searched (see `secrets`); a record that held a secret goes
//! to `events/` with markers in `raw` and in every column derived from it, and its verbatim text
//! comes here, keyed by `sealed_id` (a keyed hash of the verbatim text: nobody without the key
//! can test a guessed secret against it). Nothing under `_sealed/` is ever rewritten, so a
//! bucket's object lock can protect it; `--reveal` reads it back.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder, TimestampMicrosecondBuilder, UInt32Builder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType, UInt32Type};
use bytes::Bytes;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use sha2::{Digest, Sha256};

use super::{ArchiveError, Location};
use crate::secrets::{FingerprintKey, Masker, hex};
use crate::sources::{CloudChoice, Event, Mapped, Origin, map_record};

pub const SEALED: &str = "_sealed";
pub const RECORDS: &str = "_sealed/records";
pub const KEY: &str = "_sealed/key";

/// One record's verbatim text, as the sealed tier keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct SealedRecord {
    pub sealed_id: String,
    pub event_id: String,
    pub cloud: String,
    pub tenant: String,
    pub event_time: i64,
    pub source_object: String,
    pub source_index: u32,
    /// The record exactly as it was in the source.
    pub record: String,
    /// SHA-256 of `record`: reading it back checks it.
    pub sha256: String,
}

/// The key of a record in the sealed tier: 128 bits of the record's HMAC under the archive's
/// fingerprint key.
pub fn sealed_id(key: &FingerprintKey, verbatim: &str) -> String {
    let mut message = b"trailscope sealed record\0".to_vec();
    message.extend_from_slice(verbatim.as_bytes());
    hex(&key.mac(&message)[..16])
}

/// An event as `events/` may hold it: with secrets in its record replaced and every column
/// derived again from the masked record; and its verbatim text for the sealed tier, if anything
/// was replaced. An event whose secrets sit where its identity or time is (so that the masked
/// record no longer maps) is refused, with why.
pub fn seal(event: Event, key: &FingerprintKey) -> Result<(Event, Option<SealedRecord>), (String, Box<Event>)> {
    let mut masker = Masker::new(Some(key.clone()));
    let masked = match masker.record(&event.raw) {
        Ok(Some(masked)) => masked,
        Ok(None) => return Ok((event, None)),
        Err(why) => return Err((why, Box::new(event))),
    };
    let origin = Origin {
        source_object: &event.source_object,
        source_index: event.source_index,
    };
    let mut sealed = match map_record(&masked, CloudChoice::Only(event.cloud), origin) {
        Mapped::Event(e) => *e,
        Mapped::Rejected(why) | Mapped::Skipped(why) => {
            let why = format!(
                "a secret ({}) sits where the record's identity or time is ({})",
                masker.found.join(", "),
                crate::secrets::mask_text(&why)
            );
            return Err((why, Box::new(event)));
        }
    };
    let id = sealed_id(key, &event.raw);
    sealed.sealed_id = Some(id.clone());
    let record = SealedRecord {
        sealed_id: id,
        event_id: sealed.event_id.clone(),
        cloud: sealed.cloud.to_string(),
        tenant: sealed.tenant.clone(),
        event_time: sealed.event_time,
        source_object: sealed.source_object.clone(),
        source_index: sealed.source_index,
        sha256: hex(&Sha256::digest(event.raw.as_bytes())),
        record: event.raw,
    };
    Ok((sealed, Some(record)))
}

/// Where a batch's sealed records of one partition go: beside `events/`'s layout, under
/// `_sealed/records/` (`dir` is the partition's folder, `events/date=…/cloud=…/tenant=…`).
pub fn records_path(dir: &str, change: &str) -> String {
    let partition = dir.strip_prefix("events/").unwrap_or(dir);
    format!("{RECORDS}/{partition}/{change}.parquet")
}

pub fn schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        text("sealed_id"),
        text("event_id"),
        text("cloud"),
        text("tenant"),
        Field::new(
            "event_time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        text("source_object"),
        Field::new("source_index", DataType::UInt32, false),
        text("record"),
        text("sha256"),
    ]))
}

/// Sealed records as one Parquet file.
pub fn encode(records: &[SealedRecord], file: &str) -> Result<Vec<u8>, ArchiveError> {
    let text = |f: &dyn Fn(&SealedRecord) -> &str| -> ArrayRef {
        let mut b = StringBuilder::new();
        for r in records {
            b.append_value(f(r));
        }
        Arc::new(b.finish())
    };
    let mut time = TimestampMicrosecondBuilder::with_capacity(records.len()).with_timezone("UTC");
    let mut index = UInt32Builder::with_capacity(records.len());
    for r in records {
        time.append_value(r.event_time);
        index.append_value(r.source_index);
    }
    let batch = RecordBatch::try_new(
        schema(),
        vec![
            text(&|r| &r.sealed_id),
            text(&|r| &r.event_id),
            text(&|r| &r.cloud),
            text(&|r| &r.tenant),
            Arc::new(time.finish()),
            text(&|r| &r.source_object),
            Arc::new(index.finish()),
            text(&|r| &r.record),
            text(&|r| &r.sha256),
        ],
    )?;
    let encode_err = |source| ArchiveError::Encode {
        partition: file.to_string(),
        source,
    };
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let mut out = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, schema(), Some(props)).map_err(encode_err)?;
    writer.write(&batch).map_err(encode_err)?;
    writer.close().map_err(encode_err)?;
    Ok(out)
}

/// The sealed records of one file, each checked against its SHA-256.
pub fn decode(bytes: Bytes, file: &str) -> Result<Vec<SealedRecord>, ArchiveError> {
    let read_err = |source| ArchiveError::Encode {
        partition: file.to_string(),
        source,
    };
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(read_err)?
        .build()
        .map_err(read_err)?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch?;
        let text = |name: &str| -> Result<arrow::array::StringArray, ArchiveError> {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_string_opt::<i32>().cloned())
                .ok_or_else(|| ArchiveError::Sealed {
                    path: file.to_string(),
                    message: format!("it has no text column {name}"),
                })
        };
        let (id, event_id, cloud, tenant, source, record, sha) = (
            text("sealed_id")?,
            text("event_id")?,
            text("cloud")?,
            text("tenant")?,
            text("source_object")?,
            text("record")?,
            text("sha256")?,
        );
        let missing = |name: &str| ArchiveError::Sealed {
            path: file.to_string(),
            message: format!("it has no column {name}"),
        };
        let time = batch
            .column_by_name("event_time")
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>().cloned())
            .ok_or_else(|| missing("event_time"))?;
        let index = batch
            .column_by_name("source_index")
            .and_then(|c| c.as_primitive_opt::<UInt32Type>().cloned())
            .ok_or_else(|| missing("source_index"))?;
        for i in 0..batch.num_rows() {
            if record.is_null(i) || sha.is_null(i) {
                continue;
            }
            let verbatim = record.value(i);
            if hex(&Sha256::digest(verbatim.as_bytes())) != sha.value(i) {
                return Err(ArchiveError::Sealed {
                    path: file.to_string(),
                    message: format!(
                        "the sealed record of event {} does not match its SHA-256: it was altered",
                        event_id.value(i)
                    ),
                });
            }
            out.push(SealedRecord {
                sealed_id: id.value(i).to_string(),
                event_id: event_id.value(i).to_string(),
                cloud: cloud.value(i).to_string(),
                tenant: tenant.value(i).to_string(),
                event_time: time.value(i),
                source_object: source.value(i).to_string(),
                source_index: index.value(i),
                record: verbatim.to_string(),
                sha256: sha.value(i).to_string(),
            });
        }
    }
    Ok(out)
}

/// The archive's fingerprint key, for reading (`fingerprint`, a reader's markers): `None` when
/// the archive has none yet. Being refused is an error that says so.
pub async fn read_key(location: &Location) -> Result<Option<FingerprintKey>, ArchiveError> {
    let path = location.path(KEY);
    let bytes = match location.store.get(&path).await {
        Ok(got) => got.bytes().await.map_err(|e| sealed_error(location, e))?,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(sealed_error(location, e)),
    };
    parse_key(&bytes).map(Some).ok_or_else(|| ArchiveError::Sealed {
        path: KEY.into(),
        message: "it is not 64 hex digits".into(),
    })
}

/// The archive's fingerprint key for writing: made (once, by whichever writer comes first) if
/// the archive has none.
pub async fn key_for_writing(location: &Location) -> Result<FingerprintKey, ArchiveError> {
    if let Some(key) = read_key(location).await? {
        return Ok(key);
    }
    let key = FingerprintKey::generate().map_err(|e| ArchiveError::Sealed {
        path: KEY.into(),
        message: format!("no random bytes for a new key: {e}"),
    })?;
    let options = PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    };
    let text = hex(key.bytes());
    match location
        .store
        .put_opts(&location.path(KEY), PutPayload::from(text.into_bytes()), options)
        .await
    {
        Ok(_) => Ok(key),
        // Another writer made it first: theirs is the archive's.
        Err(object_store::Error::AlreadyExists { .. }) => {
            read_key(location).await?.ok_or_else(|| ArchiveError::Sealed {
                path: KEY.into(),
                message: "it was made and is gone again".into(),
            })
        }
        // A store that cannot put conditionally: ingest and compaction hold the archive's lock.
        Err(object_store::Error::NotImplemented { .. }) => {
            location
                .store
                .put(&location.path(KEY), PutPayload::from(hex(key.bytes()).into_bytes()))
                .await
                .map_err(|e| sealed_error(location, e))?;
            Ok(key)
        }
        Err(e) => Err(sealed_error(location, e)),
    }
}

fn parse_key(bytes: &[u8]) -> Option<FingerprintKey> {
    let text = std::str::from_utf8(bytes).ok()?.trim();
    if text.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(FingerprintKey::from_bytes(key))
}

/// A store error on the sealed tier, saying what a refusal means there.
pub fn sealed_error(location: &Location, e: object_store::Error) -> ArchiveError {
    match e {
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
            ArchiveError::SealedDenied(location.display.clone())
        }
        other => ArchiveError::store(&location.display, other),
    }
}

/// Whether the sealed tier holds any record (one listing, its first item); a refusal says so.
pub async fn holds_records(location: &Location) -> Result<bool, ArchiveError> {
    use futures::TryStreamExt;
    location
        .store
        .list(Some(&location.path(RECORDS)))
        .try_next()
        .await
        .map(|first| first.is_some())
        .map_err(|e| sealed_error(location, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_records_survive_a_round_trip_and_an_altered_one_is_caught() {
        let record = SealedRecord {
            sealed_id: "ab".into(),
            event_id: "e1".into(),
            cloud: "aws".into(),
            tenant: "111122223333".into(),
            event_time: 1_700_000_000_000_000,
            source_object: "/logs/a.json".into(),
            source_index: 3,
            record: r#"{"password":"hunter2"}"#.into(),
            sha256: hex(&Sha256::digest(br#"{"password":"hunter2"}"#)),
        };
        let bytes = encode(std::slice::from_ref(&record), "t").unwrap();
        assert_eq!(decode(Bytes::from(bytes), "t").unwrap(), vec![record.clone()]);
        let altered = SealedRecord {
            record: r#"{"password":"hunter3"}"#.into(),
            ..record
        };
        let bytes = encode(&[altered], "t").unwrap();
        let err = decode(Bytes::from(bytes), "t").unwrap_err().to_string();
        assert!(err.contains("altered"), "{err}");
    }

    #[test]
    fn a_key_reads_back_from_its_hex() {
        let key = FingerprintKey::generate().unwrap();
        let again = parse_key(hex(key.bytes()).as_bytes()).unwrap();
        assert_eq!(again.bytes(), key.bytes());
        assert!(parse_key(b"not hex").is_none());
    }
}
