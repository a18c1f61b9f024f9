//! One raw record → an [`Event`], a skip (not an audit event) or a rejection (an audit event we
//! cannot place in time or identify).

use serde_json::Value;

use super::{Cloud, CloudChoice, Event, aws, azure, gcp};

/// What became of one record.
#[derive(Debug)]
pub enum Mapped {
    Event(Box<Event>),
    /// Not an audit event (a CloudTrail digest, a GCP entry without an `AuditLog` payload).
    Skipped(String),
    /// An audit event that cannot be archived faithfully; kept in quarantine with the reason.
    Rejected(String),
}

/// Where a record came from, carried into every event for chain of custody.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    pub source_object: &'a str,
    pub source_index: u32,
}

/// The cloud a record belongs to, judged by the fields only that cloud writes.
pub fn detect(value: &Value) -> Option<Cloud> {
    let obj = value.as_object()?;
    let has = |k: &str| obj.contains_key(k);
    if has("eventVersion")
        || (has("eventSource") && has("eventName"))
        || has("CloudTrailEvent")
        || aws::is_digest(value)
    {
        Some(Cloud::Aws)
    } else if has("logName") || (has("insertId") && (has("protoPayload") || has("jsonPayload") || has("textPayload"))) {
        Some(Cloud::Gcp)
    } else if has("operationName")
        || has("operation_name")
        || has("eventDataId")
        || has("event_data_id")
        || azure::entra::log_of(value).is_some()
    {
        Some(Cloud::Azure)
    } else {
        None
    }
}

/// Maps one record's text. `raw` must be the record exactly as it appeared in the source.
pub fn map_record(raw: &str, choice: CloudChoice, origin: Origin<'_>) -> Mapped {
    let value: Value = match super::json::parse_record(raw) {
        Ok(v) => v,
        Err(e) if e.contains("appears twice") => return Mapped::Rejected(format!("ambiguous: {e}")),
        Err(e) => return Mapped::Rejected(format!("not valid JSON: {e}")),
    };
    if !value.is_object() {
        return Mapped::Rejected("not a JSON object".into());
    }
    let cloud = match (choice, detect(&value)) {
        (CloudChoice::Only(forced), _) => forced,
        (CloudChoice::Auto, Some(found)) => found,
        (CloudChoice::Auto, None) => {
            return Mapped::Rejected(
                "not a record of a known shape (CloudTrail, GCP LogEntry, Azure Activity Log, Entra ID audit or sign-in log)".into(),
            );
        }
    };
    match cloud {
        Cloud::Aws => aws::map(raw, &value, origin),
        Cloud::Gcp => gcp::map(raw, &value, origin),
        Cloud::Azure => azure::map(raw, &value, origin),
    }
}
