//! Bringing files of an older format up to date: rows mapped again from their raw records and
//! sealed, files that lack a column found by their footer, the old quarantine moved into the
//! sealed tier.

use std::collections::HashSet;

use arrow::array::{AsArray, RecordBatch};
use object_store::{ObjectMeta, ObjectStoreExt};

use crate::archive::layout::{OLD_QUARANTINE, QUARANTINE};
use crate::archive::schema::file_schema;
use crate::archive::seal::{self, SealedRecord};
use crate::archive::{ArchiveError, Location, changes, writer};
use crate::secrets::FingerprintKey;
use crate::sources::{Cloud, CloudChoice, Event, Mapped, Origin, map_record};

/// Moves what the quarantine of format 1 holds (`_quarantine/`, files kept byte for byte, secrets
/// and all) into the sealed tier: copied, then the original deleted. A move cut short is
/// finished by the next run.
pub(super) async fn move_old_quarantine(location: &Location) -> Result<usize, ArchiveError> {
    let root = format!("{}/", location.root);
    let mut moved = 0;
    for object in location.list(OLD_QUARANTINE).await? {
        let path = object.location.to_string();
        let relative = path.strip_prefix(&root).unwrap_or(&path);
        let Some(rest) = relative.strip_prefix(&format!("{OLD_QUARANTINE}/")) else {
            continue;
        };
        let to = location.path(&format!("{QUARANTINE}/{rest}"));
        location
            .store
            .copy(&object.location, &to)
            .await
            .map_err(|e| seal::sealed_error(location, e))?;
        changes::delete(location, &object.location).await?;
        moved += 1;
    }
    Ok(moved)
}

/// What a migration needs to bring a file of an older format up to date: the key to seal its
/// records with (none in a dry run), and the latest event time ingest takes.
pub(super) struct Upgrade {
    pub(super) key: Option<FingerprintKey>,
    pub(super) not_after: i64,
}

/// Whether a file lacks a column of this version's schema (it was written by an older one).
pub(super) async fn predates_schema(location: &Location, file: &ObjectMeta) -> Result<bool, ArchiveError> {
    use parquet::file::metadata::{FooterTail, ParquetMetaDataReader};
    let bad = |source| ArchiveError::Encode {
        partition: file.location.to_string(),
        source,
    };
    let get = |range: std::ops::Range<u64>| location.store.get_range(&file.location, range);
    let store_err = |e| ArchiveError::store(&location.display, e);
    let tail = get(file.size.saturating_sub(8)..file.size).await.map_err(store_err)?;
    let tail: &[u8; 8] = tail.as_ref().try_into().map_err(|_| {
        bad(parquet::errors::ParquetError::General(
            "the file is shorter than a Parquet footer".into(),
        ))
    })?;
    let length = FooterTail::try_new(tail).map_err(bad)?.metadata_length() as u64;
    let start = file.size.saturating_sub(8 + length);
    let footer = get(start..file.size - 8).await.map_err(store_err)?;
    let metadata = ParquetMetaDataReader::decode_metadata(&footer).map_err(bad)?;
    let columns: HashSet<&str> = metadata
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name())
        .collect();
    Ok(file_schema()
        .fields()
        .iter()
        .any(|f| !columns.contains(f.name().as_str())))
}

/// A batch of a file written by this format, in this version's schema: columns taken by name
/// (field metadata may differ).
pub(super) fn by_name(batch: &RecordBatch, schema: &arrow::datatypes::SchemaRef) -> Result<RecordBatch, ArchiveError> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) => column.clone(),
            None => arrow::array::new_null_array(field.data_type(), batch.num_rows()),
        })
        .collect();
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// A rejected row: its source, position, why, and its record's text.
pub(super) type Rejected = (String, u32, String, String);

/// A batch of a file written before secrets were sealed: every row mapped again from its raw
/// record (so every column is what this version's ingest makes of it) and sealed; rows ingest
/// would now refuse are set apart with why.
pub(super) fn migrate(
    batch: &RecordBatch,
    cloud: Cloud,
    upgrade: &Upgrade,
    sealed: &mut Vec<SealedRecord>,
    rejected: &mut Vec<Rejected>,
) -> Result<RecordBatch, ArchiveError> {
    let text = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_string_opt::<i32>().cloned())
    };
    let (Some(raw), Some(source)) = (text("raw"), text("source_object")) else {
        return by_name(batch, &file_schema());
    };
    let index = batch
        .column_by_name("source_index")
        .and_then(|c| c.as_primitive_opt::<arrow::datatypes::UInt32Type>().cloned());
    let mut events: Vec<Event> = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let (record, source_object) = (raw.value(i), source.value(i));
        let source_index = index.as_ref().map_or(0, |c| c.value(i));
        let origin = Origin {
            source_object,
            source_index,
        };
        let mut refuse =
            |why: String| rejected.push((source_object.to_string(), source_index, why, record.to_string()));
        let event = match map_record(record, CloudChoice::Only(cloud), origin) {
            Mapped::Event(e) => *e,
            Mapped::Rejected(why) | Mapped::Skipped(why) => {
                refuse(why);
                continue;
            }
        };
        if event.event_time < crate::archive::ingest::EARLIEST_EVENT || event.event_time > upgrade.not_after {
            refuse(format!(
                "event time {} is before 1990 or more than a day after this migration: a broken clock or a forged record",
                crate::engine::window::format_time(event.event_time)
            ));
            continue;
        }
        let Some(key) = &upgrade.key else {
            events.push(event);
            continue;
        };
        match seal::seal(event, key) {
            Ok((masked, record)) => {
                sealed.extend(record);
                events.push(masked);
            }
            Err((why, _)) => refuse(why),
        }
    }
    Ok(RecordBatch::try_new(file_schema(), writer::columns(&events))?)
}

/// A batch of a file written before `category` (format 4), in this version's schema: each row's
/// category read from its record. Rows of the logs format 4 did not know (Entra ID's audit and
/// sign-in logs, taken for Activity Log events; CloudTrail Insights, which name no caller) are
/// mapped again from their record, keeping what identifies them in the archive (event id and
/// time, source, sealed record). Records are read as stored: secrets masked, which no mapping of
/// these logs reads from.
pub(super) fn categorise(batch: &RecordBatch, cloud: Cloud) -> Result<RecordBatch, ArchiveError> {
    use arrow::array::{Array, ArrayRef, BooleanArray, StringArray};
    let schema = file_schema();
    let current = by_name(batch, &schema)?;
    let Some(raw) = current
        .column_by_name("raw")
        .and_then(|c| c.as_string_opt::<i32>().cloned())
    else {
        return Ok(current);
    };
    let mapped: Vec<Option<Event>> = (0..current.num_rows())
        .map(|i| {
            let origin = Origin {
                source_object: "",
                source_index: 0,
            };
            match map_record(raw.value(i), CloudChoice::Only(cloud), origin) {
                Mapped::Event(e) => Some(*e),
                Mapped::Rejected(_) | Mapped::Skipped(_) => None,
            }
        })
        .collect();
    let remapped = |e: &Event| e.category.starts_with("entra_") || e.category == "insight";
    let text = |name: &str, new: &dyn Fn(&Event) -> Option<&str>| -> ArrayRef {
        let old = current.column_by_name(name).and_then(|c| c.as_string_opt::<i32>());
        let values: StringArray = (0..current.num_rows())
            .map(|i| match &mapped[i] {
                Some(e) if remapped(e) => new(e),
                _ => old.and_then(|o| (!o.is_null(i)).then(|| o.value(i))),
            })
            .collect();
        std::sync::Arc::new(values)
    };
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let column: ArrayRef = match field.name().as_str() {
            "category" => {
                // A record no longer mapped (format 4 kept it, so ingest took it then) is of the
                // cloud's main log.
                let main = match cloud {
                    Cloud::Aws => "management",
                    Cloud::Gcp => "admin_activity",
                    Cloud::Azure => "activity",
                };
                let values: StringArray = mapped
                    .iter()
                    .map(|e| Some(e.as_ref().map_or(main, |e| e.category)))
                    .collect();
                std::sync::Arc::new(values)
            }
            "region" => text("region", &|e| e.region.as_deref()),
            "principal" => text("principal", &|e| Some(&e.principal)),
            "principal_type" => text("principal_type", &|e| e.principal_type.as_deref()),
            "access_key_id" => text("access_key_id", &|e| e.access_key_id.as_deref()),
            "source_ip" => text("source_ip", &|e| e.source_ip.as_deref()),
            "user_agent" => text("user_agent", &|e| e.user_agent.as_deref()),
            "service" => text("service", &|e| Some(&e.service)),
            "action" => text("action", &|e| Some(&e.action)),
            "resource" => text("resource", &|e| e.resource.as_deref()),
            "resource_type" => text("resource_type", &|e| e.resource_type.as_deref()),
            "outcome" => text("outcome", &|e| Some(e.outcome.as_str())),
            "error_code" => text("error_code", &|e| e.error_code.as_deref()),
            "error_message" => text("error_message", &|e| e.error_message.as_deref()),
            "request_id" => text("request_id", &|e| e.request_id.as_deref()),
            "read_only" => {
                let old = current.column_by_name("read_only").and_then(|c| c.as_boolean_opt());
                let values: BooleanArray = (0..current.num_rows())
                    .map(|i| match &mapped[i] {
                        Some(e) if remapped(e) => e.read_only,
                        _ => old.and_then(|o| (!o.is_null(i)).then(|| o.value(i))),
                    })
                    .collect();
                std::sync::Arc::new(values)
            }
            name => current
                .column_by_name(name)
                .expect("by_name gives every column of the schema")
                .clone(),
        };
        columns.push(column);
    }
    Ok(RecordBatch::try_new(schema, columns)?)
}
