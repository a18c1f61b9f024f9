//! AWS CloudTrail records → [`Event`].
//!
//! | column | from |
//! | --- | --- |
//! | event_time | `eventTime`; records that went through Logstash and lost it keep `@timestamp` |
//! | event_id | `eventID` |
//! | tenant | `recipientAccountId`, else `userIdentity.accountId` |
//! | region | `awsRegion` |
//! | principal | see [`identity`]: the caller's ARN (built from account and name when the record omits it), the service for AWS service calls |
//! | principal_type | `userIdentity.type` (`AWSService` for service events without a type) |
//! | session_issuer | `userIdentity.sessionContext.sessionIssuer.arn` (the role behind a session) |
//! | source_identity | `userIdentity.sessionContext.sourceIdentity` |
//! | assumed_principal | `responseElements.assumedRoleUser.arn` (`AssumeRole*`), `responseElements.federatedUser.arn` (`GetFederationToken`) |
//! | access_key_id | `userIdentity.accessKeyId` |
//! | source_ip | `sourceIPAddress` (a service name for service calls) |
//! | user_agent | `userAgent` |
//! | service | `eventSource` |
//! | category | `eventCategory` lower-cased (`management`, `data`, `insight`, `network_activity`); records older than it: `insight` for Insights events, `data` for data events (`managementEvent: false`, an `AWS::S3::Object` among the resources, a Lambda `Invoke`), else `management` |
//! | action | `eventName` |
//! | resource, resource_type | the `resources` list, else derived from the request (see [`resource`]) |
//! | outcome | failure when `errorCode` is set, or when a console sign-in answers `Failure` (a failed `ConsoleLogin` has no `errorCode`) |
//! | error_code, error_message | `errorCode`, `errorMessage` |
//! | read_only | `readOnly` |
//! | request_id | `requestID` |
//! | raw | the record's text; for the event-history export (`CloudTrailEvent` as a string) the embedded record's text |
//!
//! Insights events (`eventType: AwsCloudTrailInsight`) name no caller: see [`insight`].

pub mod digest;
pub mod identity;
pub mod insight;
pub mod resource;

use serde_json::Value;

use super::json::{flag, text, time_at};
use super::{Cloud, Event, Mapped, Origin, Outcome};

/// A CloudTrail digest file (an integrity summary, not an event).
pub fn is_digest(value: &Value) -> bool {
    value.get("digestStartTime").is_some()
        || (value.get("awsAccountId").is_some() && value.get("digestS3Bucket").is_some())
}

/// Why a digest's one record is not an event (ingest reads the digest itself: see [`digest`]).
pub const DIGEST_SKIPPED: &str = "CloudTrail digest file, not an event";

pub fn map(raw: &str, value: &Value, origin: Origin<'_>) -> Mapped {
    if is_digest(value) {
        return Mapped::Skipped(DIGEST_SKIPPED.into());
    }
    // The event-history export (console download, LookupEvents) carries the CloudTrail record
    // as a JSON string; that string is the record's original text.
    if let Some(embedded) = value.get("CloudTrailEvent").and_then(Value::as_str) {
        return match crate::sources::json::parse_record(embedded) {
            Ok(inner) => map_record(embedded, &inner, origin),
            Err(e) if e.contains("appears twice") => Mapped::Rejected(format!("ambiguous: CloudTrailEvent: {e}")),
            Err(e) => Mapped::Rejected(format!("CloudTrailEvent is not valid JSON: {e}")),
        };
    }
    map_record(raw, value, origin)
}

fn map_record(raw: &str, r: &Value, origin: Origin<'_>) -> Mapped {
    let event_time = match time_at(r, &[&["eventTime"], &["@timestamp"]]) {
        Ok(t) => t,
        Err((field, e)) => return Mapped::Rejected(e.describe(&field)),
    };
    let Some(event_id) = text(r, &["eventID"]) else {
        return Mapped::Rejected("no event id (eventID is missing)".into());
    };
    let tenant = text(r, &["recipientAccountId"])
        .or_else(|| text(r, &["userIdentity", "accountId"]))
        .unwrap_or_else(|| "unknown".into());
    let region = text(r, &["awsRegion"]);
    let who = identity::identify(r, &tenant);
    let found = resource::derive(&resource::CallContext {
        record: r,
        region: region.as_deref().unwrap_or(""),
        account: &tenant,
    });
    let found = found.or_else(|| identity::self_service(r, &who));
    let (outcome, error_code, error_message) = outcome(r);
    let category = category(r);
    let mut event = Event {
        event_time,
        event_id,
        cloud: Cloud::Aws,
        tenant,
        region,
        principal: who.principal,
        principal_type: who.principal_type,
        session_issuer: who.session_issuer,
        source_identity: who.source_identity,
        assumed_principal: assumed(r),
        access_key_id: who.access_key_id,
        source_ip: text(r, &["sourceIPAddress"]),
        user_agent: text(r, &["userAgent"]),
        service: text(r, &["eventSource"]).unwrap_or_else(|| "unknown".into()),
        category,
        action: text(r, &["eventName"]).unwrap_or_else(|| "unknown".into()),
        resource: found.as_ref().map(|f| f.arn.clone()),
        resource_type: found.and_then(|f| f.kind),
        outcome,
        error_code,
        error_message,
        read_only: flag(r, &["readOnly"]),
        request_id: text(r, &["requestID"]),
        source_object: origin.source_object.to_string(),
        source_index: origin.source_index,
        sealed_id: None,
        raw: raw.to_string(),
    };
    if insight::is_insight(r) {
        let seen = insight::read(r);
        event.service = seen.service;
        event.action = seen.action;
        event.principal = seen.principal;
        event.principal_type = seen.principal_type;
        event.outcome = Outcome::Observed;
        event.error_code = seen.error_code;
        event.error_message = seen.error_message;
        event.request_id = text(r, &["sharedEventID"]);
    }
    Mapped::Event(Box::new(event))
}

/// Which of CloudTrail's logs the record belongs to. Records written before `eventCategory`
/// (event version 1.07) are told apart by what only data events carry.
fn category(r: &Value) -> &'static str {
    match text(r, &["eventCategory"]).map(|c| c.to_ascii_lowercase()).as_deref() {
        Some("management") => return "management",
        Some("data") => return "data",
        Some("insight") => return "insight",
        Some("networkactivity") => return "network_activity",
        _ => {}
    }
    if insight::is_insight(r) {
        return "insight";
    }
    let s3_object = r.get("resources").and_then(Value::as_array).is_some_and(|list| {
        list.iter()
            .any(|x| x.get("type").and_then(Value::as_str) == Some("AWS::S3::Object"))
    });
    let invoke = text(r, &["eventSource"]).as_deref() == Some("lambda.amazonaws.com")
        && text(r, &["eventName"]).as_deref() == Some("Invoke");
    if flag(r, &["managementEvent"]) == Some(false) || s3_object || invoke {
        "data"
    } else {
        "management"
    }
}

/// The session a call created: `AssumeRole*` answer with `assumedRoleUser.arn`,
/// `GetFederationToken` with `federatedUser.arn`.
pub fn assumed(r: &Value) -> Option<String> {
    text(r, &["responseElements", "assumedRoleUser", "arn"])
        .or_else(|| text(r, &["responseElements", "federatedUser", "arn"]))
}

fn outcome(r: &Value) -> (Outcome, Option<String>, Option<String>) {
    let message = text(r, &["errorMessage"]);
    if let Some(code) = text(r, &["errorCode"]) {
        return (Outcome::Failure, Some(code), message);
    }
    let sign_in = text(r, &["eventType"]).as_deref() == Some("AwsConsoleSignIn");
    let refused = r
        .get("responseElements")
        .and_then(Value::as_object)
        .is_some_and(|o| o.values().any(|v| v.as_str() == Some("Failure")));
    if sign_in && refused {
        return (Outcome::Failure, None, message);
    }
    (Outcome::Success, None, message)
}

#[cfg(test)]
mod tests;
