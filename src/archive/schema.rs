//! The `events` table: its columns, their types and what each means.
//!
//! One list drives the Parquet files' schema, the table the engine registers and
//! `trailscope schema`, so the three can never disagree.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Where a column's values live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Inside each Parquet file.
    InFile,
    /// In the partition path (`date=`, `cloud=`, `tenant=`) only.
    InPath,
}

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Timestamp,
    Text,
    Boolean,
    UInt32,
}

pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    pub stored: Stored,
    pub meaning: &'static str,
}

const fn col(name: &'static str, kind: Kind, nullable: bool, stored: Stored, meaning: &'static str) -> Column {
    Column {
        name,
        kind,
        nullable,
        stored,
        meaning,
    }
}

use Kind::{Boolean, Text, Timestamp, UInt32};
use Stored::{InFile, InPath};

/// Every column of `events`, in the order the table shows them.
pub const COLUMNS: &[Column] = &[
    col("event_time", Timestamp, false, InFile, "when the call happened (UTC)"),
    col(
        "event_id",
        Text,
        false,
        InFile,
        "the source's unique id (CloudTrail eventID, GCP insertId, Azure eventDataId, Entra ID's id)",
    ),
    col(
        "date",
        Text,
        false,
        InPath,
        "the UTC day of event_time, YYYY-MM-DD (partition: filter on it to read fewer files)",
    ),
    col("cloud", Text, false, InPath, "aws, gcp or azure (partition)"),
    col(
        "tenant",
        Text,
        false,
        InPath,
        "AWS account, GCP project, Azure subscription or Entra tenant (partition)",
    ),
    col("region", Text, true, InFile, "region or location"),
    col(
        "principal",
        Text,
        false,
        InFile,
        "who: ARN, e-mail, UPN, app id or object id, canonicalised per cloud",
    ),
    col(
        "principal_type",
        Text,
        true,
        InFile,
        "IAMUser, AssumedRole, Root, AWSService, ServiceAccount, User, ServicePrincipal, ...",
    ),
    col(
        "session_issuer",
        Text,
        true,
        InFile,
        "for role sessions: the role assumed (ARN), to follow role hops",
    ),
    col(
        "source_identity",
        Text,
        true,
        InFile,
        "the original identity carried through role hops or impersonation",
    ),
    col(
        "assumed_principal",
        Text,
        true,
        InFile,
        "for a call that starts a role session: the session's principal, to follow it",
    ),
    col(
        "access_key_id",
        Text,
        true,
        InFile,
        "the credential used (access key, service account key)",
    ),
    col(
        "source_ip",
        Text,
        true,
        InFile,
        "caller IP (or the service's name for service calls)",
    ),
    col("user_agent", Text, true, InFile, "the caller's user agent"),
    col(
        "service",
        Text,
        false,
        InFile,
        "eventSource / serviceName / resource provider",
    ),
    col(
        "category",
        Text,
        true,
        InFile,
        "which log of its cloud: management, data, insight, network_activity (AWS); admin_activity, data_access, system_event, policy_denied (GCP); activity, entra_audit, entra_signin (Azure)",
    ),
    col("action", Text, false, InFile, "eventName / methodName / operationName"),
    col(
        "resource",
        Text,
        true,
        InFile,
        "the main resource acted on (ARN, resourceName, resourceId)",
    ),
    col(
        "resource_type",
        Text,
        true,
        InFile,
        "the resource's type (AWS::Lambda::Function, cloud_function, microsoft.compute/virtualmachines: Azure's lower-cased, its names being case-insensitive)",
    ),
    col(
        "outcome",
        Text,
        false,
        InFile,
        "success or failure, by each cloud's own semantics; started for the first record of a call whose end is another record (Azure Started/Accepted, a GCP long-running operation's first entry); observed for an observation about calls, not a call (a CloudTrail Insight)",
    ),
    col(
        "error_code",
        Text,
        true,
        InFile,
        "AccessDenied, PERMISSION_DENIED, Forbidden, ...",
    ),
    col("error_message", Text, true, InFile, "the error's message"),
    col("read_only", Boolean, true, InFile, "true for reads, false for changes"),
    col(
        "request_id",
        Text,
        true,
        InFile,
        "the request's id (AWS requestID, GCP operation id, Azure correlation id)",
    ),
    col(
        "source_object",
        Text,
        false,
        InFile,
        "the raw file the event came from (chain of custody)",
    ),
    col(
        "source_index",
        UInt32,
        false,
        InFile,
        "the record's position in that file",
    ),
    col(
        "sealed_id",
        Text,
        true,
        InFile,
        "set when secrets in the record were replaced by markers: the key of its verbatim original in the sealed tier (--reveal reads it)",
    ),
    col(
        "raw",
        Text,
        false,
        InFile,
        "the original record as JSON text, byte for byte but for recognised secrets, replaced by [MASKED:kind:fingerprint] markers",
    ),
];

/// The partition columns, outermost first, as they appear in paths.
pub const PARTITIONS: [&str; 3] = ["date", "cloud", "tenant"];

impl Column {
    pub fn data_type(&self) -> DataType {
        match self.kind {
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Kind::Text => DataType::Utf8,
            Kind::Boolean => DataType::Boolean,
            Kind::UInt32 => DataType::UInt32,
        }
    }

    pub fn field(&self) -> Field {
        Field::new(self.name, self.data_type(), self.nullable)
    }
}

/// The schema inside each Parquet file: every column but the partition columns.
pub fn file_schema() -> SchemaRef {
    let fields: Vec<Field> = COLUMNS
        .iter()
        .filter(|c| c.stored == Stored::InFile)
        .map(Column::field)
        .collect();
    Arc::new(Schema::new(fields))
}

/// Columns that identify and are looked up by exact value: they get Parquet bloom filters.
pub const BLOOM_COLUMNS: [&str; 5] = ["event_id", "principal", "resource", "access_key_id", "source_ip"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_never_hold_a_partition_column() {
        let schema = file_schema();
        for name in PARTITIONS {
            assert!(
                schema.field_with_name(name).is_err(),
                "{name} must come from the path only"
            );
        }
        assert_eq!(schema.fields().len(), COLUMNS.len() - PARTITIONS.len());
        for name in BLOOM_COLUMNS {
            assert!(schema.field_with_name(name).is_ok());
        }
    }
}
