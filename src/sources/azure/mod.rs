//! Azure Activity Log → [`Event`], in its three shapes: the diagnostic-settings export
//! (`PT1H.json` lines, or the older `{"records": […]}`), the REST/portal camelCase event, and the
//! SDK's snake_case event. Each column lists where each shape keeps it (REST · SDK · diagnostic).
//!
//! | column | from |
//! | --- | --- |
//! | event_time | `eventTimestamp` · `event_timestamp` · `time` |
//! | event_id | `eventDataId` · `event_data_id` · `properties.eventDataId`; the diagnostic export usually has none, so the id is `sha256:` and the first 32 hex digits of the record's SHA-256 (stable, so a redelivered record is still recognised as a duplicate) |
//! | tenant | lower-cased: `subscriptionId` · `subscription_id` · the `/subscriptions/…` of the resource id; else the Entra tenant (`tenantId`, or the `tenantid` claim) |
//! | region | the diagnostic export's `location` (the REST shapes carry none) |
//! | principal | `caller`; else the claims' UPN, then app id, then object id |
//! | principal_type | `User` or `ServicePrincipal` (`ManagedIdentity` when the claims name one), from the claims' `idtyp`, else from the caller's shape |
//! | session_issuer, source_identity, assumed_principal, access_key_id, user_agent | none: the Activity Log does not carry them |
//! | source_ip | `httpRequest.clientIpAddress` · `http_request.client_ip_address` · `callerIpAddress`, else the `ipaddr` claim |
//! | service | lower-cased: `resourceProviderName.value` · `resource_provider_name.value` · the provider part of `operationName` |
//! | category | `activity` (Entra ID's audit and sign-in logs, exported the same ways, are mapped by [`entra`]) |
//! | action | lower-cased: `operationName.value` · `operation_name.value` · `operationName` |
//! | resource | lower-cased: `resourceId` · `resource_id` · `resourceId` |
//! | resource_type | lower-cased: `resourceType.value` · `resource_type.value` · the provider and type segments of the resource id |
//! | outcome | `failure` for `Failed` (`Failure` in the diagnostic export); `started` for `Started` and `Accepted` (`Start`, `Accept`), a first step whose end is another record; else `success` |
//! | error_code, error_message | for failures, the sub-status (`Forbidden`, `Conflict`) or `properties.statusCode`; `properties.statusMessage` |
//! | read_only | from the operation's last segment: `read` → true; `write`, `delete`, `action` → false |
//! | request_id | the correlation id (shared by the steps of one call) |

pub mod entra;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::json::{first_text, text, time_at};
use super::{Cloud, Event, Mapped, Origin, Outcome};

const UPN: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
const OBJECT_ID: &str = "http://schemas.microsoft.com/identity/claims/objectidentifier";
const TENANT_ID: &str = "http://schemas.microsoft.com/identity/claims/tenantid";

pub fn map(raw: &str, r: &Value, origin: Origin<'_>) -> Mapped {
    if let Some(log) = entra::log_of(r) {
        return entra::map(raw, r, log, origin);
    }
    let event_time = match time_at(r, &[&["eventTimestamp"], &["event_timestamp"], &["time"]]) {
        Ok(t) => t,
        Err((field, e)) => return Mapped::Rejected(e.describe(&field)),
    };
    let action = match first_text(
        r,
        &[
            &["operationName", "value"],
            &["operation_name", "value"],
            &["operationName"],
        ],
    ) {
        Some(a) => a,
        None => return Mapped::Rejected("no operation (operationName is missing)".into()),
    };
    let event_id = first_text(
        r,
        &[&["eventDataId"], &["event_data_id"], &["properties", "eventDataId"]],
    )
    .unwrap_or_else(|| derived_id(raw));
    let claims = r
        .get("claims")
        .or_else(|| r.pointer("/identity/claims"))
        .unwrap_or(&Value::Null);
    let claim = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    // Resource ids, operations and providers are case-insensitive in Azure and written in
    // either case (the diagnostic export upper-cases them): one resource must be one value.
    let resource = first_text(r, &[&["resourceId"], &["resource_id"]]).map(|s| s.to_ascii_lowercase());
    let action = action.to_ascii_lowercase();
    let principal = text(r, &["caller"])
        .or_else(|| claim(UPN))
        .or_else(|| claim("appid"))
        .or_else(|| claim(OBJECT_ID))
        .unwrap_or_else(|| "unknown".into());
    let status = first_text(r, &[&["status", "value"], &["resultType"]]).unwrap_or_default();
    let failed = matches!(status.to_ascii_lowercase().as_str(), "failed" | "failure");
    let started = matches!(
        status.to_ascii_lowercase().as_str(),
        "started" | "start" | "accepted" | "accept"
    );
    let error_code = failed
        .then(|| {
            first_text(
                r,
                &[
                    &["subStatus", "value"],
                    &["sub_status", "value"],
                    &["resultSignature"],
                    &["properties", "statusCode"],
                ],
            )
        })
        .flatten();
    Mapped::Event(Box::new(Event {
        event_time,
        event_id,
        cloud: Cloud::Azure,
        tenant: first_text(r, &[&["subscriptionId"], &["subscription_id"]])
            .or_else(|| resource.as_deref().and_then(subscription_of))
            .or_else(|| first_text(r, &[&["tenantId"], &["tenant_id"]]))
            .or_else(|| claim(TENANT_ID))
            // Subscription and tenant ids are GUIDs, written upper-case in diagnostic exports
            // and lower-case elsewhere: one subscription must be one tenant.
            .map_or_else(|| "unknown".into(), |t| t.to_ascii_lowercase()),
        region: text(r, &["location"]),
        principal_type: principal_type(&principal, claims),
        principal,
        session_issuer: None,
        source_identity: None,
        assumed_principal: None,
        access_key_id: None,
        source_ip: first_text(
            r,
            &[
                &["httpRequest", "clientIpAddress"],
                &["http_request", "client_ip_address"],
                &["callerIpAddress"],
            ],
        )
        .or_else(|| claim("ipaddr")),
        user_agent: None,
        service: first_text(
            r,
            &[&["resourceProviderName", "value"], &["resource_provider_name", "value"]],
        )
        .or_else(|| action.split('/').next().filter(|p| p.contains('.')).map(str::to_string))
        .map_or_else(|| "unknown".into(), |s| s.to_ascii_lowercase()),
        category: "activity",
        resource_type: first_text(r, &[&["resourceType", "value"], &["resource_type", "value"]])
            .or_else(|| resource.as_deref().and_then(type_of))
            .map(|s| s.to_ascii_lowercase()),
        resource,
        outcome: match (failed, started) {
            (true, _) => Outcome::Failure,
            (false, true) => Outcome::Started,
            (false, false) => Outcome::Success,
        },
        error_code,
        error_message: failed.then(|| text(r, &["properties", "statusMessage"])).flatten(),
        read_only: read_only(&action),
        request_id: first_text(r, &[&["correlationId"], &["correlation_id"]]),
        action,
        source_object: origin.source_object.to_string(),
        source_index: origin.source_index,
        sealed_id: None,
        raw: raw.to_string(),
    }))
}

fn derived_id(raw: &str) -> String {
    let digest = Sha256::digest(raw.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// `/subscriptions/<id>/…` → `<id>`.
fn subscription_of(resource_id: &str) -> Option<String> {
    let mut parts = resource_id.trim_start_matches('/').split('/');
    (parts.next()?.eq_ignore_ascii_case("subscriptions"))
        .then(|| parts.next().map(str::to_string))
        .flatten()
}

/// `…/providers/Microsoft.Compute/virtualMachines/vm1` → `Microsoft.Compute/virtualMachines`.
fn type_of(resource_id: &str) -> Option<String> {
    let parts: Vec<&str> = resource_id.split('/').collect();
    let at = parts.iter().rposition(|p| p.eq_ignore_ascii_case("providers"))?;
    let provider = parts.get(at + 1)?;
    let kind = parts.get(at + 2)?;
    Some(format!("{provider}/{kind}"))
}

fn principal_type(principal: &str, claims: &Value) -> Option<String> {
    let claim = |k: &str| claims.get(k).and_then(Value::as_str);
    let kind = if claim("xms_mirid").is_some() {
        "ManagedIdentity"
    } else if claim("idtyp") == Some("app") || claim("appid").is_some_and(|a| a.eq_ignore_ascii_case(principal)) {
        "ServicePrincipal"
    } else if claim("idtyp") == Some("user") || principal.contains('@') {
        "User"
    } else {
        return None;
    };
    Some(kind.to_string())
}

fn read_only(action: &str) -> Option<bool> {
    match action.rsplit('/').next()?.to_ascii_lowercase().as_str() {
        "read" => Some(true),
        "write" | "delete" | "action" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
