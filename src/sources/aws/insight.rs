//! CloudTrail Insights events: an observation that the rate of an API's calls (or of its errors)
//! left its baseline. Not a call: nobody acted, nothing succeeded or failed. What they name sits
//! in `insightDetails`, and the principals the unusual calls came from in its attributions.
//!
//! | column | from |
//! | --- | --- |
//! | service, action | `insightDetails.eventSource`, `insightDetails.eventName` (the API the insight is about) |
//! | principal | the `userIdentityArn` attribution with the highest insight average (the others stay in `raw`), else `unknown` |
//! | principal_type | from that ARN's shape (`AssumedRole`, `IAMUser`, `Root`, `Role`) |
//! | outcome | `observed` |
//! | error_code | for an `ApiErrorRateInsight`, the `errorCode` attribution with the highest insight average |
//! | error_message | the insight's type and state, e.g. `ApiCallRateInsight Start` |
//! | request_id | `sharedEventID`, shared by an insight's `Start` and `End` events |

use serde_json::Value;

use crate::sources::json::text;

/// Whether a record is an Insights event.
pub fn is_insight(r: &Value) -> bool {
    text(r, &["eventType"]).as_deref() == Some("AwsCloudTrailInsight") || r.get("insightDetails").is_some()
}

/// What an Insights event says, in the columns it fills.
pub struct Insight {
    pub service: String,
    pub action: String,
    pub principal: String,
    pub principal_type: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

pub fn read(r: &Value) -> Insight {
    let details = r.get("insightDetails").unwrap_or(&Value::Null);
    let principal = busiest(details, "userIdentityArn");
    let kind = text(details, &["insightType"]);
    let errors = kind.as_deref() == Some("ApiErrorRateInsight");
    Insight {
        service: text(details, &["eventSource"]).unwrap_or_else(|| "unknown".into()),
        action: text(details, &["eventName"]).unwrap_or_else(|| "unknown".into()),
        principal_type: principal.as_deref().and_then(arn_kind).map(str::to_string),
        principal: principal.unwrap_or_else(|| "unknown".into()),
        error_code: errors.then(|| busiest(details, "errorCode")).flatten(),
        error_message: kind.map(|k| match text(details, &["state"]) {
            Some(state) => format!("{k} {state}"),
            None => k,
        }),
    }
}

/// The value of an attribution that accounts for most of the unusual calls.
fn busiest(details: &Value, attribute: &str) -> Option<String> {
    let attributions = details.pointer("/insightContext/attributions")?.as_array()?;
    let found = attributions
        .iter()
        .find(|a| a.get("attribute").and_then(Value::as_str) == Some(attribute))?;
    let values = found.get("insight")?.as_array()?;
    values
        .iter()
        .filter_map(|v| {
            let value = v.get("value")?.as_str().filter(|s| !s.is_empty() && *s != "null")?;
            Some((v.get("average").and_then(Value::as_f64).unwrap_or(0.0), value))
        })
        // The first of equals wins: the order AWS wrote them in.
        .fold(None, |best: Option<(f64, &str)>, (average, value)| match best {
            Some((top, _)) if top >= average => best,
            _ => Some((average, value)),
        })
        .map(|(_, value)| value.to_string())
}

fn arn_kind(arn: &str) -> Option<&'static str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    if resource == "root" {
        Some("Root")
    } else if resource.starts_with("assumed-role/") {
        Some("AssumedRole")
    } else if resource.starts_with("user/") {
        Some("IAMUser")
    } else if resource.starts_with("role/") {
        Some("Role")
    } else if resource.starts_with("federated-user/") {
        Some("FederatedUser")
    } else {
        None
    }
}
