//! How trailscope's parts of a plan travel to a Ballista cluster and back: the `events` table (as
//! its archive's URL: the scheduler lists the files itself, with its own credentials), and trailscope's
//! functions (by name; `archive_end()` with the value the client found). Everything else is
//! Ballista's and DataFusion's own encoding. (The file index's facts are not sent: a session on a
//! cluster answers from them at the client.)
//!
//! Each of our encodings starts with a kind byte and the trailscope version that wrote it: a
//! cluster of another version refuses the plan in words, rather than misreading it.

use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

use super::stores;
use crate::engine::functions;
use crate::engine::table::EventsTable;

/// The version of trailscope that writes and reads these encodings.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

const EVENTS: u8 = 1;
const ARCHIVE_END: u8 = 3;

/// `kind`, the version, then `payload`.
fn frame(kind: u8, payload: &[u8], buf: &mut Vec<u8>) {
    buf.push(kind);
    buf.push(VERSION.len() as u8);
    buf.extend_from_slice(VERSION.as_bytes());
    buf.extend_from_slice(payload);
}

/// The kind and payload of a frame written by this version; a frame of another version is an
/// error that names both.
fn unframe(buf: &[u8]) -> Result<(u8, &[u8])> {
    let broken = || DataFusionError::Internal("a trailscope plan part is cut short".into());
    let (&kind, rest) = buf.split_first().ok_or_else(broken)?;
    let (&len, rest) = rest.split_first().ok_or_else(broken)?;
    let (version, payload) = rest.split_at_checked(len as usize).ok_or_else(broken)?;
    let version = String::from_utf8_lossy(version);
    if version != VERSION {
        return Err(DataFusionError::Plan(format!(
            "{}the plan was written by trailscope {version}, and this cluster runs trailscope {VERSION}",
            super::VERSION_MISMATCH
        )));
    }
    Ok((kind, payload))
}

/// The logical plan's parts: sent by the client, read by the scheduler.
#[derive(Debug, Default)]
pub struct LogicalCodec {
    ballista: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for LogicalCodec {
    fn try_decode(&self, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        let Some(&kind) = buf.first() else {
            return self.ballista.try_decode_table_provider(buf, table_ref, schema, ctx);
        };
        if kind != EVENTS {
            return self.ballista.try_decode_table_provider(buf, table_ref, schema, ctx);
        }
        let (_, payload) = unframe(buf)?;
        let text = std::str::from_utf8(payload)
            .map_err(|_| DataFusionError::Internal("an archive URL that is not text".into()))?;
        let (url, namespace) = text.split_once('\n').unwrap_or((text, ""));
        Ok(Arc::new(
            EventsTable::new(stores::archive(url, namespace)?).on_cluster(),
        ))
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        if let Some(events) = node.downcast_ref::<EventsTable>() {
            // With what tells the store from another of the same URL (a custom endpoint, an
            // Azure account): the cluster must read the archive the client means.
            let (url, namespace) = events.archive();
            frame(EVENTS, format!("{url}\n{namespace}").as_bytes(), buf);
            return Ok(());
        }
        self.ballista.try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn datafusion::datasource::file_format::FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn datafusion::datasource::file_format::FileFormatFactory>,
    ) -> Result<()> {
        self.ballista.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_function(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_function(node, buf);
        Ok(())
    }
}

/// The physical plan's parts: sent by the scheduler, read by the executors.
#[derive(Debug, Default)]
pub struct PhysicalCodec {
    ballista: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for PhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.ballista.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.ballista.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_function(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_function(node, buf);
        Ok(())
    }
}

/// `archive_end()` travels with its value; the other functions by name alone.
fn encode_function(node: &ScalarUDF, buf: &mut Vec<u8>) {
    if let Some(end) = functions::archive_end_value(node) {
        let payload = end.map(i64::to_le_bytes).unwrap_or_default();
        frame(ARCHIVE_END, &payload, buf);
    }
}

/// A function the receiving side does not know by itself: ours.
fn decode_function(name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
    if buf.is_empty() {
        return functions::known(name)
            .ok_or_else(|| DataFusionError::Plan(format!("this cluster has no SQL function named {name}")));
    }
    let (kind, payload) = unframe(buf)?;
    if kind != ARCHIVE_END {
        return Err(DataFusionError::Internal(format!(
            "function {name} arrived encoded as kind {kind}"
        )));
    }
    let end = <[u8; 8]>::try_from(payload).ok().map(i64::from_le_bytes);
    Ok(Arc::new(functions::archive_end_fixed(end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_written_by_another_version_is_refused_in_words() {
        let mut buf = Vec::new();
        frame(EVENTS, b"s3://audit/prod", &mut buf);
        assert_eq!(unframe(&buf).unwrap(), (EVENTS, &b"s3://audit/prod"[..]));
        let other = [&[EVENTS, 5][..], b"0.0.9", b"s3://audit/prod"].concat();
        let refused = unframe(&other).unwrap_err().to_string();
        assert!(refused.contains("written by trailscope 0.0.9"), "{refused}");
        assert!(
            refused.contains(&format!("this cluster runs trailscope {VERSION}")),
            "{refused}"
        );
        assert!(unframe(&[EVENTS, 9, b'0']).is_err(), "cut short");
    }

    #[test]
    fn archive_end_travels_with_the_value_the_client_found() {
        for end in [Some(1_717_000_000_000_000), None] {
            let mut buf = Vec::new();
            encode_function(&functions::archive_end_fixed(end), &mut buf);
            let decoded = decode_function(functions::ARCHIVE_END, &buf).unwrap();
            match end {
                Some(_) => assert_eq!(functions::archive_end_value(&decoded), Some(end)),
                // No newest event: the wall clock's now, on the cluster as here.
                None => assert!(functions::archive_end_value(&decoded).flatten().is_some()),
            }
        }
        let mut buf = Vec::new();
        encode_function(&functions::shared_by_name("json_get_str").unwrap(), &mut buf);
        assert!(buf.is_empty(), "the other functions travel by name");
        assert_eq!(decode_function("array_sort", &[]).unwrap().name(), "array_sort");
        assert!(decode_function("no_such_function", &[]).is_err());
    }
}
