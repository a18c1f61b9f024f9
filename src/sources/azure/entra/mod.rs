//! Microsoft Entra ID audit and sign-in logs → [`Event`], in both shapes organisations export
//! them: diagnostic settings (the Activity Log's `{"records": […]}` and `PT1H.json` lines, with
//! `category` `AuditLogs`, `SignInLogs`, `NonInteractiveUserSignInLogs`,
//! `ServicePrincipalSignInLogs` or `ManagedIdentitySignInLogs`, the log's own object under
//! `properties`) and Microsoft Graph (`{"value": […]}` of `directoryAudit` and `signIn` objects).
//! The object is the same in both: a record exported both ways is one event (one `id`).
//!
//! Audit logs (`category` `entra_audit`):
//!
//! | column | from |
//! | --- | --- |
//! | event_time | `activityDateTime`, else the record's `time` |
//! | event_id | `id` |
//! | tenant | `tenantId` lower-cased (diagnostic settings); Graph's objects carry none: `unknown` |
//! | principal | `initiatedBy.user.userPrincipalName`, else its `id`; `initiatedBy.app.appId` (as the Activity Log names an app), else its `servicePrincipalId`, else its `displayName` |
//! | principal_type | `User` or `ServicePrincipal` |
//! | source_ip, user_agent | `initiatedBy.user.ipAddress`, else `callerIpAddress`; the `User-Agent` of `additionalDetails` |
//! | service | `loggedByService` (`Core Directory`, `B2C`, `PIM`, …) |
//! | action | `activityDisplayName` as written (`Add service principal credentials`, `Consent to application`) |
//! | resource | the first target (after a role, its member): an application or service principal by its app id (a permission granted: the app that gets it, `ServicePrincipal.AppId`; else `AppId` or an id of `TargetId.ServicePrincipalNames` among its modified properties, else the `AppId` of `additionalDetails`) so that its sign-ins and Azure calls meet it, else its `id`; a user by its `userPrincipalName`; anything else by its `id` |
//! | resource_type | `entra/` and the target's `type` lower-cased (`entra/serviceprincipal`) |
//! | outcome | `result`: `success`; `failure` or `timeout` → failure, with `result` as error code and `resultReason` as message |
//! | read_only | false: every audit event records a change |
//! | request_id | `correlationId` |
//!
//! Sign-in logs (`category` `entra_signin`):
//!
//! | column | from |
//! | --- | --- |
//! | event_time | `createdDateTime`, else the record's `time` |
//! | event_id | `id` |
//! | tenant | `tenantId` (diagnostic settings), else `resourceTenantId`, else `unknown` |
//! | action | the kind of sign-in: `UserSignIn`, `NonInteractiveUserSignIn`, `ServicePrincipalSignIn`, `ManagedIdentitySignIn`, `ADFSSignIn` (from the category, else `signInEventTypes`, else `isInteractive`) |
//! | principal, principal_type | users: `userPrincipalName`, else `userId` (`User`); service principals and managed identities: `appId` (`ServicePrincipal`, `ManagedIdentity`) |
//! | access_key_id | `servicePrincipalCredentialKeyId` (the credential a service principal signed in with) |
//! | source_ip, user_agent | `ipAddress`, else `callerIpAddress`; `userAgent` |
//! | region | the record's `location` (a country code) |
//! | service | `microsoft.aadiam` |
//! | resource, resource_type | `resourceId` (the resource's app id, as audit events name apps; its display name is in `raw`), else `resourceDisplayName`; `entra/resource` |
//! | outcome | `status.errorCode` (else `resultType`): 0 → success; any other code (wrong password, MFA required, blocked by conditional access) → failure, with the code and `status.failureReason` (else `resultDescription`) |
//! | read_only | none: a sign-in neither reads nor changes |
//! | request_id | `correlationId` |
//!
//! Conditional access, MFA and risk stay in `raw`: `json_get_str(raw, 'properties',
//! 'conditionalAccessStatus')` (Graph: without `'properties'`).

use serde_json::Value;

use crate::sources::json::{first_text, text, time_at};
use crate::sources::{Cloud, Event, Mapped, Origin, Outcome};

/// Which Entra log a record belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Log {
    Audit,
    SignIn(SignIn),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignIn {
    User,
    NonInteractiveUser,
    ServicePrincipal,
    ManagedIdentity,
    /// A user's sign-in through AD FS, which Entra ID logs as its own category.
    Adfs,
}

impl SignIn {
    fn action(self) -> &'static str {
        match self {
            SignIn::User => "UserSignIn",
            SignIn::NonInteractiveUser => "NonInteractiveUserSignIn",
            SignIn::ServicePrincipal => "ServicePrincipalSignIn",
            SignIn::ManagedIdentity => "ManagedIdentitySignIn",
            SignIn::Adfs => "ADFSSignIn",
        }
    }
}

/// The Entra log of a record, by its diagnostic-settings category or by the fields only Graph's
/// `directoryAudit` and `signIn` objects carry; `None` for anything else.
pub fn log_of(r: &Value) -> Option<Log> {
    if let Some(log) = diagnostic(r) {
        return Some(log);
    }
    let has = |k: &str| r.get(k).is_some();
    if has("activityDisplayName") && has("activityDateTime") && has("id") {
        return Some(Log::Audit);
    }
    // Fields only a sign-in has (a self-service sign-up also has a status and a user).
    if has("createdDateTime")
        && (has("userPrincipalName") || has("appId") || has("servicePrincipalId"))
        && (has("isInteractive") || has("signInEventTypes") || has("clientAppUsed") || has("resourceId"))
    {
        return Some(Log::SignIn(graph_sign_in(r)));
    }
    None
}

/// The Entra log of a diagnostic-settings record: one of Entra ID's categories, with the log's
/// object under `properties`, from Entra ID (`…/providers/Microsoft.aadiam`) or shaped like its
/// objects. Other services export categories of the same name (Intune's and the FHIR service's
/// `AuditLogs`): those stay Activity Log-shaped records.
fn diagnostic(r: &Value) -> Option<Log> {
    let kind = match r.get("category").and_then(Value::as_str)? {
        "AuditLogs" => Log::Audit,
        "SignInLogs" => Log::SignIn(SignIn::User),
        "NonInteractiveUserSignInLogs" => Log::SignIn(SignIn::NonInteractiveUser),
        "ServicePrincipalSignInLogs" => Log::SignIn(SignIn::ServicePrincipal),
        "ManagedIdentitySignInLogs" => Log::SignIn(SignIn::ManagedIdentity),
        "ADFSSignInLogs" => Log::SignIn(SignIn::Adfs),
        _ => return None,
    };
    let properties = r.get("properties").filter(|p| p.is_object())?;
    let from_entra =
        text(r, &["resourceId"]).is_some_and(|id| id.to_ascii_lowercase().ends_with("/providers/microsoft.aadiam"));
    let shaped = match kind {
        Log::Audit => properties.get("activityDisplayName").is_some(),
        Log::SignIn(_) => properties.get("createdDateTime").is_some(),
    };
    (from_entra || shaped).then_some(kind)
}

/// A Graph `signIn`'s kind: `signInEventTypes` (beta), else `isInteractive`.
fn graph_sign_in(r: &Value) -> SignIn {
    let types: Vec<&str> = r
        .get("signInEventTypes")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let named = |t: &str| types.iter().any(|x| x.eq_ignore_ascii_case(t));
    if named("managedIdentity") {
        SignIn::ManagedIdentity
    } else if named("servicePrincipal") {
        SignIn::ServicePrincipal
    } else if named("nonInteractiveUser") {
        SignIn::NonInteractiveUser
    } else if named("interactiveUser") {
        SignIn::User
    } else if r.get("isInteractive").and_then(Value::as_bool) == Some(false) {
        if text(r, &["userPrincipalName"]).is_none() && text(r, &["servicePrincipalId"]).is_some() {
            SignIn::ServicePrincipal
        } else {
            SignIn::NonInteractiveUser
        }
    } else {
        SignIn::User
    }
}

pub fn map(raw: &str, r: &Value, log: Log, origin: Origin<'_>) -> Mapped {
    // Diagnostic settings wrap the log's object; Graph gives it bare.
    let diagnostic = diagnostic(r).and_then(|_| r.get("properties"));
    let o = diagnostic.unwrap_or(r);
    let own_time: &[&str] = match log {
        Log::Audit => &["activityDateTime"],
        Log::SignIn(_) => &["createdDateTime"],
    };
    let event_time = match time_at(o, &[own_time]).or_else(|e| match diagnostic {
        Some(_) => time_at(r, &[&["time"]]),
        None => Err(e),
    }) {
        Ok(t) => t,
        Err((field, e)) => return Mapped::Rejected(e.describe(&field)),
    };
    let Some(event_id) = text(o, &["id"]) else {
        return Mapped::Rejected("no event id (the Entra record's id is missing)".into());
    };
    let tenant = first_text(r, &[&["tenantId"]])
        .or_else(|| first_text(o, &[&["tenantId"], &["resourceTenantId"]]))
        .map_or_else(|| "unknown".into(), |t| t.to_ascii_lowercase());
    let mut event = Event {
        event_time,
        event_id,
        cloud: Cloud::Azure,
        tenant,
        region: None,
        principal: "unknown".into(),
        principal_type: None,
        session_issuer: None,
        source_identity: None,
        assumed_principal: None,
        access_key_id: None,
        source_ip: None,
        user_agent: None,
        service: "microsoft.aadiam".into(),
        category: "entra_audit",
        action: String::new(),
        resource: None,
        resource_type: None,
        outcome: Outcome::Success,
        error_code: None,
        error_message: None,
        read_only: None,
        request_id: first_text(o, &[&["correlationId"]]).or_else(|| text(r, &["correlationId"])),
        source_object: origin.source_object.to_string(),
        source_index: origin.source_index,
        sealed_id: None,
        raw: raw.to_string(),
    };
    match log {
        Log::Audit => audit(&mut event, r, o),
        Log::SignIn(kind) => sign_in(&mut event, r, o, kind),
    }
    Mapped::Event(Box::new(event))
}

fn audit(event: &mut Event, r: &Value, o: &Value) {
    let user = o.pointer("/initiatedBy/user").filter(|u| u.is_object());
    let app = o.pointer("/initiatedBy/app").filter(|a| a.is_object());
    let by_user = user.and_then(|u| first_text(u, &[&["userPrincipalName"], &["id"]]));
    let by_app = app.and_then(|a| first_text(a, &[&["appId"], &["servicePrincipalId"], &["displayName"]]));
    (event.principal, event.principal_type) = match (by_user, by_app) {
        (Some(upn), _) => (upn, Some("User".to_string())),
        (None, Some(app)) => (app, Some("ServicePrincipal".to_string())),
        (None, None) => ("unknown".into(), None),
    };
    event.category = "entra_audit";
    event.action = first_text(o, &[&["activityDisplayName"]])
        .or_else(|| text(r, &["operationName"]))
        .unwrap_or_else(|| "unknown".into());
    event.service = text(o, &["loggedByService"]).unwrap_or_else(|| "microsoft.aadiam".into());
    event.source_ip = user.and_then(|u| text(u, &["ipAddress"])).or_else(|| caller_ip(r));
    event.user_agent = detail(o, "User-Agent");
    let targets: &[Value] = o
        .get("targetResources")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let kind_of = |t: &Value| text(t, &["type"]).unwrap_or_default().to_ascii_lowercase();
    // A role's changes name the role first and its member after: the member is what changed.
    let target = match targets.first() {
        Some(first) if kind_of(first) == "role" => targets.iter().find(|t| kind_of(t) != "role").or(Some(first)),
        first => first,
    };
    if let Some(target) = target {
        let kind = kind_of(target);
        let own = std::slice::from_ref(target);
        event.resource = if kind == "serviceprincipal" || kind == "application" {
            // A permission granted names the API first; the app that gets it by its app id.
            property(targets, "ServicePrincipal.AppId")
                .or_else(|| property(own, "AppId"))
                .or_else(|| property(own, "TargetId.ServicePrincipalNames"))
                .or_else(|| {
                    detail(o, "AppId")
                        .filter(|v| is_guid(v))
                        .map(|v| v.to_ascii_lowercase())
                })
                .or_else(|| text(target, &["id"]))
        } else if kind == "user" {
            first_text(target, &[&["userPrincipalName"], &["id"]])
        } else {
            first_text(target, &[&["id"], &["displayName"]])
        };
        event.resource_type = text(target, &["type"]).map(|k| format!("entra/{}", k.to_ascii_lowercase()));
    }
    let result = text(o, &["result"]).unwrap_or_default().to_ascii_lowercase();
    if matches!(result.as_str(), "failure" | "timeout") {
        event.outcome = Outcome::Failure;
        event.error_code = Some(result);
        event.error_message = text(o, &["resultReason"]);
    }
    event.read_only = Some(false);
}

fn sign_in(event: &mut Event, r: &Value, o: &Value, kind: SignIn) {
    event.category = "entra_signin";
    event.action = kind.action().to_string();
    let user = first_text(o, &[&["userPrincipalName"], &["userId"]]);
    let app = text(o, &["appId"]);
    let (principal, principal_type) = match kind {
        SignIn::User | SignIn::NonInteractiveUser | SignIn::Adfs => (user.or(app), "User"),
        SignIn::ServicePrincipal => (app.or_else(|| text(o, &["servicePrincipalId"])), "ServicePrincipal"),
        SignIn::ManagedIdentity => (app.or_else(|| text(o, &["servicePrincipalId"])), "ManagedIdentity"),
    };
    event.principal = principal.unwrap_or_else(|| "unknown".into());
    event.principal_type = Some(principal_type.to_string());
    event.access_key_id = text(o, &["servicePrincipalCredentialKeyId"]);
    event.source_ip = text(o, &["ipAddress"]).or_else(|| caller_ip(r));
    event.user_agent = text(o, &["userAgent"]);
    event.region = text(r, &["location"]).filter(|_| r.get("properties").is_some());
    // The resource's app id, as audit events name apps (its display name is its owner's choice).
    event.resource = first_text(o, &[&["resourceId"], &["resourceDisplayName"]]);
    event.resource_type = event.resource.as_ref().map(|_| "entra/resource".to_string());
    let code = text(o, &["status", "errorCode"]).or_else(|| text(r, &["resultType"]));
    if let Some(code) = code.filter(|c| c != "0") {
        event.outcome = Outcome::Failure;
        event.error_message =
            first_text(o, &[&["status", "failureReason"]]).or_else(|| text(r, &["resultDescription"]));
        event.error_code = Some(code);
    }
}

/// The value of one of an audit event's `additionalDetails` (`[{"key": …, "value": …}]`).
fn detail(o: &Value, key: &str) -> Option<String> {
    let details = o.get("additionalDetails")?.as_array()?;
    details.iter().find_map(|d| {
        let k = d.get("key").and_then(Value::as_str)?;
        k.eq_ignore_ascii_case(key).then(|| text(d, &["value"])).flatten()
    })
}

/// `callerIpAddress`, which Entra fills with `<null>` when it has none.
fn caller_ip(r: &Value) -> Option<String> {
    text(r, &["callerIpAddress"]).filter(|ip| ip != "<null>")
}

/// An app id among the targets' modified properties: `name`'s new value (else its old one), JSON
/// text such as `"\"<app id>;api://…\""` or `["<app id>"]`, of which an element that is exactly
/// an id (an identifier URI holding one is the app owner's choice, not the app).
fn property(targets: &[Value], name: &str) -> Option<String> {
    targets.iter().find_map(|target| {
        let properties = target.get("modifiedProperties")?.as_array()?;
        properties.iter().find_map(|p| {
            (p.get("displayName").and_then(Value::as_str) == Some(name)).then_some(())?;
            let value = text(p, &["newValue"]).or_else(|| text(p, &["oldValue"]))?;
            value
                .split(|c: char| matches!(c, '"' | '\\' | ';' | ',' | '[' | ']') || c.is_whitespace())
                .find(|part| is_guid(part))
                .map(str::to_ascii_lowercase)
        })
    })
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests;
