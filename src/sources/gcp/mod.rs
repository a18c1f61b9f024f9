//! Google Cloud Audit Logs (`LogEntry` with an `AuditLog` `protoPayload`) → [`Event`].
//!
//! | column | from |
//! | --- | --- |
//! | event_time | `timestamp`, else `receiveTimestamp` (Logging fills `timestamp` from it when a writer leaves it out) |
//! | event_id | `insertId` |
//! | tenant | `resource.labels.project_id`, else the `projects/…`, `organizations/…`, `folders/…` or `billingAccounts/…` of `logName` |
//! | region | `resource.labels.location`/`region`, or the region of `resource.labels.zone`, else `protoPayload.resourceLocation.currentLocations[0]` |
//! | principal | `authenticationInfo.principalEmail`, else `principalSubject`, else `unknown` (anonymous or redacted callers) |
//! | principal_type | `ServiceAccount`, `GoogleSystem`, `User`, `Federated` or `Group`, from the e-mail or subject |
//! | session_issuer | none: GCP has no role sessions; impersonation is in source_identity |
//! | source_identity | the first principal of `authenticationInfo.serviceAccountDelegationInfo` (who impersonated the service account) |
//! | assumed_principal | none: an impersonated service account's events name the impersonator in source_identity |
//! | access_key_id | `authenticationInfo.serviceAccountKeyName` |
//! | source_ip | `requestMetadata.callerIp` |
//! | user_agent | `requestMetadata.callerSuppliedUserAgent` |
//! | service | `protoPayload.serviceName` |
//! | category | the audit log of `logName`: `admin_activity`, `data_access`, `system_event`, `policy_denied`; without one, `data_access` when every `authorizationInfo[].permissionType` is `DATA_*`, else `admin_activity` |
//! | action | `protoPayload.methodName` |
//! | resource | `protoPayload.resourceName`, else the first `authorizationInfo[].resource` |
//! | resource_type | `resource.type` (the monitored resource type, e.g. `cloud_function`) |
//! | outcome | `failure` when `status.code` is set and not 0; `started` for the first entry of a long-running operation (`operation.first` without `operation.last`), whose end is its last entry; else `success` |
//! | error_code, error_message | the canonical name of `status.code` (`PERMISSION_DENIED`), `status.message` |
//! | read_only | from `authorizationInfo[].permissionType` (`*_READ` only → true); else admin-activity and system-event logs are changes, and data-access reads are told by their method name |
//! | request_id | `operation.id` (shared by the first and last entry of a long-running operation) |

use serde_json::Value;

use super::json::{at, first_text, text, time_at};
use super::{Cloud, Event, Mapped, Origin, Outcome};

const AUDIT_LOG_TYPE: &str = "type.googleapis.com/google.cloud.audit.AuditLog";

pub fn map(raw: &str, e: &Value, origin: Origin<'_>) -> Mapped {
    let Some(payload) = e.get("protoPayload").filter(|p| is_audit_log(e, p)) else {
        return Mapped::Skipped("not an audit log entry (no AuditLog protoPayload)".into());
    };
    let event_time = match time_at(e, &[&["timestamp"], &["receiveTimestamp"]]) {
        Ok(t) => t,
        Err((field, err)) => return Mapped::Rejected(err.describe(&field)),
    };
    let Some(event_id) = text(e, &["insertId"]) else {
        return Mapped::Rejected("no event id (insertId is missing)".into());
    };
    let auth = payload.get("authenticationInfo").unwrap_or(&Value::Null);
    let principal = first_text(auth, &[&["principalEmail"], &["principalSubject"]]).unwrap_or_else(|| "unknown".into());
    let (mut outcome, error_code, error_message) = outcome(payload);
    // The first entry of a long-running operation: its end (and any error) is the last entry.
    let first_only = at(e, &["operation", "first"]).and_then(Value::as_bool) == Some(true)
        && at(e, &["operation", "last"]).and_then(Value::as_bool) != Some(true);
    if first_only && outcome == Outcome::Success {
        outcome = Outcome::Started;
    }
    Mapped::Event(Box::new(Event {
        event_time,
        event_id,
        cloud: Cloud::Gcp,
        tenant: tenant(e).unwrap_or_else(|| "unknown".into()),
        region: first_text(
            e,
            &[&["resource", "labels", "location"], &["resource", "labels", "region"]],
        )
        .or_else(|| text(e, &["resource", "labels", "zone"]).map(|z| region_of_zone(&z)))
        .or_else(|| {
            payload
                .pointer("/resourceLocation/currentLocations/0")
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
        principal_type: principal_type(&principal, text(auth, &["principalSubject"]).as_deref()),
        principal,
        session_issuer: None,
        source_identity: delegator(auth),
        assumed_principal: None,
        access_key_id: text(auth, &["serviceAccountKeyName"]),
        source_ip: text(payload, &["requestMetadata", "callerIp"]),
        user_agent: text(payload, &["requestMetadata", "callerSuppliedUserAgent"]),
        service: text(payload, &["serviceName"]).unwrap_or_else(|| "unknown".into()),
        category: category(e, payload),
        action: text(payload, &["methodName"]).unwrap_or_else(|| "unknown".into()),
        resource: text(payload, &["resourceName"]).or_else(|| {
            payload
                .pointer("/authorizationInfo/0/resource")
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
        resource_type: text(e, &["resource", "type"]),
        outcome,
        error_code,
        error_message,
        read_only: read_only(e, payload),
        request_id: text(e, &["operation", "id"]),
        source_object: origin.source_object.to_string(),
        source_index: origin.source_index,
        sealed_id: None,
        raw: raw.to_string(),
    }))
}

/// An `AuditLog` payload: typed as one, or (as Eventarc's `LogEntryData` delivers it, without
/// the `@type`) written to an audit log or shaped like one.
fn is_audit_log(entry: &Value, payload: &Value) -> bool {
    match text(payload, &["@type"]) {
        Some(t) => t == AUDIT_LOG_TYPE,
        None => {
            text(entry, &["logName"]).is_some_and(|l| l.contains("cloudaudit.googleapis.com"))
                || (payload.get("methodName").is_some() && payload.get("authenticationInfo").is_some())
        }
    }
}

/// `us-central1-a` → `us-central1`: a zone is its region and a letter. Regions, not zones, are
/// what a responder compares ("was this region ever used?").
fn region_of_zone(zone: &str) -> String {
    match zone.rsplit_once('-') {
        Some((region, letter)) if letter.len() == 1 && letter.chars().all(|c| c.is_ascii_lowercase()) => {
            region.to_string()
        }
        _ => zone.to_string(),
    }
}

/// The project (or organization, folder, billing account) the entry was logged in.
fn tenant(e: &Value) -> Option<String> {
    if let Some(project) = text(e, &["resource", "labels", "project_id"]) {
        return Some(project);
    }
    let log_name = text(e, &["logName"])?;
    let mut parts = log_name.split('/');
    match (parts.next(), parts.next()) {
        (Some("projects" | "organizations" | "folders" | "billingAccounts"), Some(id)) if !id.is_empty() => {
            Some(id.to_string())
        }
        _ => None,
    }
}

fn principal_type(principal: &str, subject: Option<&str>) -> Option<String> {
    let kind = if principal == "system@google.com" || principal.ends_with("@system.gserviceaccount.com") {
        "GoogleSystem"
    } else if principal.ends_with(".gserviceaccount.com") || subject.is_some_and(|s| s.starts_with("serviceAccount:")) {
        "ServiceAccount"
    } else if principal.starts_with("principal://") || principal.starts_with("principalSet://") {
        "Federated"
    } else if subject.is_some_and(|s| s.starts_with("group:")) {
        "Group"
    } else if principal.contains('@') {
        "User"
    } else {
        return None;
    };
    Some(kind.to_string())
}

/// Who impersonated the service account, when one did.
fn delegator(auth: &Value) -> Option<String> {
    let first = at(auth, &["serviceAccountDelegationInfo"])?.as_array()?.first()?;
    first_text(
        first,
        &[
            &["firstPartyPrincipal", "principalEmail"],
            &["principalSubject"],
            &["thirdPartyPrincipal", "thirdPartyClaims", "sub"],
        ],
    )
}

/// gRPC canonical codes, as `status.code` carries them.
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

fn outcome(payload: &Value) -> (Outcome, Option<String>, Option<String>) {
    let message = text(payload, &["status", "message"]);
    match at(payload, &["status", "code"]).and_then(Value::as_i64) {
        None | Some(0) => (Outcome::Success, None, message),
        Some(code) => {
            let name = usize::try_from(code)
                .ok()
                .and_then(|c| CODES.get(c))
                .map_or_else(|| code.to_string(), |n| n.to_string());
            (Outcome::Failure, Some(name), message)
        }
    }
}

/// Which of the project's four audit logs the entry was written to.
fn category(e: &Value, payload: &Value) -> &'static str {
    let log = text(e, &["logName"]).unwrap_or_default();
    // `projects/p/logs/cloudaudit.googleapis.com%2Fdata_access`, or with the slash unescaped.
    let kind = log.split_once("cloudaudit.googleapis.com").map_or("", |(_, kind)| {
        kind.trim_start_matches('/')
            .trim_start_matches("%2F")
            .trim_start_matches("%2f")
    });
    match kind {
        "activity" => "admin_activity",
        "data_access" => "data_access",
        "system_event" => "system_event",
        "policy" => "policy_denied",
        _ => {
            let data = payload
                .get("authorizationInfo")
                .and_then(Value::as_array)
                .filter(|list| !list.is_empty())
                .is_some_and(|list| {
                    list.iter().all(|a| {
                        a.get("permissionType")
                            .and_then(Value::as_str)
                            .is_some_and(|k| k.starts_with("DATA_"))
                    })
                });
            if data { "data_access" } else { "admin_activity" }
        }
    }
}

fn read_only(e: &Value, payload: &Value) -> Option<bool> {
    let kinds: Vec<&str> = payload
        .get("authorizationInfo")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|a| a.get("permissionType").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if !kinds.is_empty() {
        return Some(kinds.iter().all(|k| k.ends_with("_READ")));
    }
    let log = text(e, &["logName"]).unwrap_or_default();
    if log.ends_with("activity") || log.ends_with("system_event") {
        return Some(false);
    }
    if log.ends_with("data_access") {
        let method = text(payload, &["methodName"]).unwrap_or_default();
        let verb = method.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
        const READS: [&str; 7] = ["get", "list", "search", "query", "lookup", "read", "batchget"];
        return Some(READS.iter().any(|r| verb.starts_with(r)));
    }
    None
}

#[cfg(test)]
mod tests;
