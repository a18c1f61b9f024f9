//! Entra ID's logs as an organisation exports them with diagnostic settings to a storage account:
//! sign-ins (interactive, non-interactive, service principals', managed identities') and the
//! directory's audit log, one JSON record per line, each category in its own container
//! (`insights-logs-signinlogs/tenantId=…/y=…/PT1H.json`), and the background of ordinary days:
//! people signing in with MFA (some failing), token refreshes, the organisation's apps signing in,
//! administrators changing users, groups and apps now and then.

use serde_json::{Value, json};

use super::cast::*;
use super::rng::{Rng, Table};

/// Entra's timestamps: seven fractional digits.
pub fn time(micros: i64) -> String {
    let t = chrono::DateTime::from_timestamp_micros(micros).expect("demo times are valid");
    t.format("%Y-%m-%dT%H:%M:%S%.6f0Z").to_string()
}

fn created(micros: i64) -> String {
    let t = chrono::DateTime::from_timestamp_micros(micros).expect("demo times are valid");
    t.format("%Y-%m-%dT%H:%M:%S%.6f0+00:00").to_string()
}

/// A stable GUID for a name (a user's, a group's, a device's object id).
pub fn object_id(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    Rng::new(h).uuid()
}

/// The diagnostic container each category is exported to.
pub fn container(category: &str) -> Option<&'static str> {
    Some(match category {
        "SignInLogs" => "insights-logs-signinlogs",
        "NonInteractiveUserSignInLogs" => "insights-logs-noninteractiveusersigninlogs",
        "ServicePrincipalSignInLogs" => "insights-logs-serviceprincipalsigninlogs",
        "ManagedIdentitySignInLogs" => "insights-logs-managedidentitysigninlogs",
        "AuditLogs" => "insights-logs-auditlogs",
        _ => return None,
    })
}

/// An app or a resource a token is for: its display name and application id.
pub type App = (&'static str, &'static str);

/// Microsoft's first-party apps and resources, by their well-known application ids.
pub const AZURE_PORTAL: (&str, &str) = ("Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c");
pub const SERVICE_MANAGEMENT: (&str, &str) = (
    "Windows Azure Service Management API",
    "797f4846-ba00-4fd7-ba43-dac1f8f63013",
);
const GRAPH: (&str, &str) = ("Microsoft Graph", "00000003-0000-0000-c000-000000000000");
const EXCHANGE: (&str, &str) = ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000");
const SHAREPOINT: (&str, &str) = ("Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000");
const KEY_VAULT: (&str, &str) = ("Azure Key Vault", "cfa8b339-82a2-471a-a3c9-0fc0be7a4093");
const STORAGE: (&str, &str) = ("Azure Storage", "e406a681-f3d4-42a8-90b6-c2b029497af1");
/// The organisation's single sign-on into AWS and Google Cloud: enterprise apps of its own.
const AWS_SSO: (&str, &str) = ("AWS IAM Identity Center", "6e1f0b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
const GOOGLE_SSO: (&str, &str) = ("Google Cloud", "7f2a1c3b-4d5e-4f60-9b0c-1d2e3f4a5b6c");

/// Interactive sign-ins: the app signed into and the resource its token is for.
const INTERACTIVE: [(App, App); 8] = [
    (("Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c"), GRAPH),
    (AZURE_PORTAL, SERVICE_MANAGEMENT),
    (AWS_SSO, AWS_SSO),
    (
        ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"),
        ("Microsoft Teams Services", "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe"),
    ),
    (
        ("Microsoft Azure CLI", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"),
        SERVICE_MANAGEMENT,
    ),
    (
        ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"),
        EXCHANGE,
    ),
    (GOOGLE_SSO, GOOGLE_SSO),
    (
        ("Visual Studio Code", "aebc6443-996d-45c2-90f0-388ff96faa56"),
        SERVICE_MANAGEMENT,
    ),
];

/// Token refreshes by the apps people leave running.
const NON_INTERACTIVE: [(App, App); 6] = [
    (("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"), GRAPH),
    (("Microsoft Outlook", "5d661950-3475-41cd-a2c3-d671a3162bc1"), EXCHANGE),
    (("Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c"), SHAREPOINT),
    (
        ("OneDrive SyncEngine", "ab9b8c07-8f02-4f72-87fa-80105867a763"),
        SHAREPOINT,
    ),
    (
        ("Microsoft Azure CLI", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"),
        SERVICE_MANAGEMENT,
    ),
    (("Microsoft Edge", "ecd6b820-32c2-49b6-98a6-444530e5a77a"), GRAPH),
];

/// Where each person signs in from: their office's city, and their laptop.
fn place(person: usize) -> Value {
    if person.is_multiple_of(2) {
        json!({"city": "Amsterdam", "state": "Noord-Holland", "countryOrRegion": "NL",
               "geoCoordinates": {"latitude": 52.3676, "longitude": 4.9041}})
    } else {
        json!({"city": "New York", "state": "New York", "countryOrRegion": "US",
               "geoCoordinates": {"latitude": 40.7128, "longitude": -74.006}})
    }
}

fn device(person: usize) -> (Value, &'static str) {
    let (os, browser, agent) = match person % 3 {
        0 => (
            "MacOs",
            "Safari 17.5",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        ),
        1 => (
            "Windows10",
            "Edge 129.0.0",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0",
        ),
        _ => (
            "MacOs",
            "Chrome 129.0.0",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
        ),
    };
    let name = PEOPLE[person].0;
    (
        json!({"deviceId": object_id(&format!("device/{name}")), "displayName": format!("LAPTOP-{}", name.to_ascii_uppercase()),
               "operatingSystem": os, "browser": browser, "isCompliant": true, "isManaged": true, "trustType": "Azure AD joined"}),
        agent,
    )
}

fn display(upn: &str) -> String {
    let name = upn.split('@').next().unwrap_or(upn);
    let mut d = name.replace('-', " ");
    d[..1].make_ascii_uppercase();
    d
}

/// The record around a sign-in or audit entry, as diagnostic settings write it.
struct Envelope<'a> {
    time: i64,
    operation: &'a str,
    category: &'a str,
    /// `0` or the sign-in's error code; `Success`/`Failure` for audit entries.
    result: &'a str,
    description: Option<&'a str>,
    ip: &'a str,
    correlation: &'a str,
    identity: &'a str,
    country: Option<&'a str>,
    properties: Value,
}

fn envelope(e: Envelope<'_>) -> Value {
    let mut r = json!({
        "time": time(e.time),
        "resourceId": format!("/tenants/{ENTRA_TENANT}/providers/Microsoft.aadiam"),
        "operationName": e.operation, "operationVersion": "1.0", "category": e.category, "tenantId": ENTRA_TENANT,
        "resultType": e.result, "resultSignature": "None",
    });
    let o = r.as_object_mut().expect("an object");
    if let Some(d) = e.description {
        o.insert("resultDescription".into(), d.into());
    }
    o.insert("durationMs".into(), 0.into());
    o.insert("callerIpAddress".into(), e.ip.into());
    o.insert("correlationId".into(), e.correlation.into());
    o.insert("identity".into(), e.identity.into());
    o.insert("Level".into(), 4.into());
    if let Some(c) = e.country {
        o.insert("location".into(), c.into());
    }
    o.insert("properties".into(), e.properties);
    r
}

/// A person's sign-in, interactive or a token refresh.
pub struct UserSignIn<'a> {
    pub time: i64,
    pub interactive: bool,
    pub upn: &'a str,
    pub app: (&'a str, &'a str),
    pub resource: (&'a str, &'a str),
    pub ip: &'a str,
    pub place: Value,
    pub device: Value,
    pub agent: &'a str,
    /// The error code and its reason, for a failed sign-in.
    pub error: Option<(u32, &'a str)>,
    /// Whether MFA was asked for and done (else a password, or a refresh token, alone).
    pub mfa: bool,
    /// Identity Protection's risk during the sign-in (`none`, `low`, `medium`, `high`).
    pub risk: &'a str,
    pub conditional_access: &'a str,
}

pub fn user_sign_in(rng: &mut Rng, s: UserSignIn<'_>) -> Value {
    let id = rng.uuid();
    let correlation = rng.uuid();
    let name = display(s.upn);
    let code = s.error.map_or(0, |(c, _)| c);
    let requirement = if s.mfa {
        "multiFactorAuthentication"
    } else {
        "singleFactorAuthentication"
    };
    let mut details = vec![
        json!({"authenticationStepDateTime": created(s.time), "authenticationMethod": if s.interactive { "Password" } else { "Previously satisfied" },
        "authenticationMethodDetail": if s.interactive { "Password in the cloud" } else { "" }, "succeeded": code != 50126,
        "authenticationStepResultDetail": match code { 50126 => "Invalid username or password or Invalid on-premise username or password.", 0 => if s.interactive { "Correct password" } else { "First factor requirement satisfied by claim in the token" }, _ => "Correct password" },
        "authenticationStepRequirement": "Primary authentication"}),
    ];
    if s.mfa && s.interactive {
        details.push(json!({"authenticationStepDateTime": created(s.time + 9_000_000), "authenticationMethod": "Mobile app notification",
            "authenticationMethodDetail": "", "succeeded": code == 0,
            "authenticationStepResultDetail": if code == 0 { "MFA successfully completed" } else { "MFA required in Azure AD" },
            "authenticationStepRequirement": "Primary authentication"}));
    }
    let mut properties = json!({
        "id": id, "createdDateTime": created(s.time), "userDisplayName": name, "userPrincipalName": s.upn,
        "userId": object_id(s.upn), "appId": s.app.1, "appDisplayName": s.app.0, "ipAddress": s.ip,
        "status": {"errorCode": code}, "clientAppUsed": if s.interactive { "Browser" } else { "Mobile Apps and Desktop clients" },
        "userAgent": s.agent, "deviceDetail": s.device, "location": s.place, "correlationId": correlation,
        "conditionalAccessStatus": s.conditional_access, "appliedConditionalAccessPolicies": [],
        "originalRequestId": id, "isInteractive": s.interactive, "tokenIssuerName": "", "tokenIssuerType": "AzureAD",
        "authenticationDetails": details, "authenticationRequirement": requirement,
        "riskDetail": "none", "riskLevelAggregated": s.risk, "riskLevelDuringSignIn": s.risk,
        "riskState": if s.risk == "none" { "none" } else { "atRisk" },
        "riskEventTypes": [], "riskEventTypes_v2": if s.risk == "none" { json!([]) } else { json!(["unfamiliarFeatures"]) },
        "resourceDisplayName": s.resource.0, "resourceId": s.resource.1, "resourceTenantId": ENTRA_TENANT,
        "homeTenantId": ENTRA_TENANT, "userType": "Member", "crossTenantAccessType": "none",
        "signInEventTypes": [if s.interactive { "interactiveUser" } else { "nonInteractiveUser" }],
    });
    if s.mfa && s.interactive && code == 0 {
        properties["mfaDetail"] = json!({"authMethod": "Mobile app notification", "authDetail": null});
    }
    let category = if s.interactive {
        "SignInLogs"
    } else {
        "NonInteractiveUserSignInLogs"
    };
    sign_in_record(s.time, category, s.error, s.ip, &correlation, &name, properties)
}

/// A sign-in's diagnostic-settings record: its failure's reason in its status and in the record's
/// description, its country in the record's `location`.
fn sign_in_record(
    at: i64,
    category: &str,
    error: Option<(u32, &str)>,
    ip: &str,
    correlation: &str,
    identity: &str,
    mut properties: Value,
) -> Value {
    if let Some((_, reason)) = error {
        properties["status"]["failureReason"] = reason.into();
    }
    let result = error.map_or(0, |(c, _)| c).to_string();
    let country = properties["location"]["countryOrRegion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    envelope(Envelope {
        time: at,
        operation: "Sign-in activity",
        category,
        result: &result,
        description: error.map(|(_, r)| r),
        ip,
        correlation,
        identity,
        country: Some(&country),
        properties,
    })
}

/// An app's own sign-in with its credential (a service principal's), or a managed identity's.
pub struct AppSignIn<'a> {
    pub time: i64,
    pub managed: bool,
    pub app_id: &'a str,
    pub name: &'a str,
    pub object: &'a str,
    pub resource: (&'a str, &'a str),
    pub ip: &'a str,
    /// The credential it signed in with.
    pub key: &'a str,
    pub error: Option<(u32, &'a str)>,
    pub place: Value,
}

pub fn app_sign_in(rng: &mut Rng, s: AppSignIn<'_>) -> Value {
    let id = rng.uuid();
    let correlation = rng.uuid();
    let code = s.error.map_or(0, |(c, _)| c);
    let mut properties = json!({
        "id": id, "createdDateTime": created(s.time), "appId": s.app_id, "appDisplayName": s.name,
        "servicePrincipalId": s.object, "servicePrincipalName": s.name, "ipAddress": s.ip,
        "status": {"errorCode": code}, "location": s.place, "correlationId": correlation,
        "conditionalAccessStatus": "notApplied", "isInteractive": false,
        "resourceDisplayName": s.resource.0, "resourceId": s.resource.1, "resourceTenantId": ENTRA_TENANT,
        "homeTenantId": ENTRA_TENANT, "signInEventTypes": [if s.managed { "managedIdentity" } else { "servicePrincipal" }],
    });
    if s.managed {
        properties["managedIdentityType"] = "systemAssigned".into();
    } else {
        properties["servicePrincipalCredentialKeyId"] = s.key.into();
        properties["clientCredentialType"] = "clientSecret".into();
    }
    let category = if s.managed {
        "ManagedIdentitySignInLogs"
    } else {
        "ServicePrincipalSignInLogs"
    };
    sign_in_record(s.time, category, s.error, s.ip, &correlation, s.name, properties)
}

/// Who made a directory change.
pub enum Initiator<'a> {
    User { upn: &'a str, ip: &'a str },
    App { name: &'a str, app_id: &'a str },
}

/// One entry of the directory's audit log.
pub struct Audit<'a> {
    pub time: i64,
    /// `activityDisplayName`, e.g. "Add member to group".
    pub activity: &'a str,
    /// The audit category, e.g. `GroupManagement`.
    pub category: &'a str,
    pub service: &'a str,
    pub operation_type: &'a str,
    pub by: Initiator<'a>,
    pub targets: Value,
    pub agent: Option<&'a str>,
    pub failure: Option<&'a str>,
    pub correlation: &'a str,
}

pub fn audit(rng: &mut Rng, a: Audit<'_>) -> Value {
    let (initiated, ip, identity) = match a.by {
        Initiator::User { upn, ip } => (
            json!({"user": {"id": object_id(upn), "displayName": null, "userPrincipalName": upn, "ipAddress": ip, "roles": []}}),
            ip,
            display(upn),
        ),
        Initiator::App { name, app_id } => (
            json!({"app": {"appId": app_id, "displayName": name, "servicePrincipalId": object_id(app_id), "servicePrincipalName": null}}),
            "<null>",
            name.to_string(),
        ),
    };
    let mut additional = vec![];
    if let Some(agent) = a.agent {
        additional.push(json!({"key": "User-Agent", "value": agent}));
    }
    let id = format!(
        "Directory_{}_{}",
        a.correlation[..8].to_ascii_uppercase(),
        rng.token(super::rng::UPPER_DIGITS, 5)
    );
    let properties = json!({
        "id": id, "category": a.category, "correlationId": a.correlation,
        "result": if a.failure.is_some() { "failure" } else { "success" }, "resultReason": a.failure.unwrap_or(""),
        "activityDisplayName": a.activity, "activityDateTime": created(a.time), "loggedByService": a.service,
        "operationType": a.operation_type, "initiatedBy": initiated, "targetResources": a.targets,
        "additionalDetails": additional,
    });
    envelope(Envelope {
        time: a.time,
        operation: a.activity,
        category: "AuditLogs",
        result: if a.failure.is_some() { "Failure" } else { "Success" },
        description: a.failure,
        ip,
        correlation: a.correlation,
        identity: &identity,
        country: None,
        properties,
    })
}

/// A target of an audit entry.
pub fn target(kind: &str, id: &str, name: Option<&str>, upn: Option<&str>, modified: Value) -> Value {
    let mut t =
        json!({"id": id, "displayName": name, "type": kind, "modifiedProperties": modified, "administrativeUnits": []});
    if let Some(upn) = upn {
        t["userPrincipalName"] = upn.into();
    }
    t
}

/// A modified property as the audit log writes it: old and new values as JSON text.
pub fn modified(name: &str, old: Option<&str>, new: &str) -> Value {
    json!({"displayName": name, "oldValue": old, "newValue": new})
}

const GROUPS: [&str; 6] = [
    "aws-administrators",
    "aws-developers",
    "gcp-data-engineers",
    "payments-oncall",
    "all-staff",
    "azure-readers",
];

/// The directory's admins: most changes are theirs.
const ADMINS: [&str; 2] = [ENTRA_ADMIN, "dave@acme.example"];
const SYNC_APP: (&str, &str) = ("Microsoft Azure AD Connect", "cb1056e2-e479-49de-ae31-7812af012ed8");

/// A directory change: its activity, audit category, the service that logs it, its operation type
/// and the kind of its target.
type Activity = (&'static str, &'static str, &'static str, &'static str, &'static str);

/// The background audit activities, most frequent first.
static AUDITS: std::sync::LazyLock<Table<Activity>> = std::sync::LazyLock::new(|| {
    const CORE: &str = "Core Directory";
    Table::ranked([
        ("Update user", "UserManagement", CORE, "Update", "User"),
        ("Add member to group", "GroupManagement", CORE, "Assign", "Group"),
        ("Update device", "Device", CORE, "Update", "Device"),
        (
            "User registered security info",
            "UserManagement",
            "Authentication Methods",
            "Add",
            "User",
        ),
        ("Remove member from group", "GroupManagement", CORE, "Unassign", "Group"),
        ("Update group", "GroupManagement", CORE, "Update", "Group"),
        (
            "Update application",
            "ApplicationManagement",
            CORE,
            "Update",
            "Application",
        ),
        (
            "Update service principal",
            "ApplicationManagement",
            CORE,
            "Update",
            "ServicePrincipal",
        ),
        (
            "Add app role assignment grant to user",
            "ApplicationManagement",
            CORE,
            "Assign",
            "ServicePrincipal",
        ),
        (
            "Reset password (self-service)",
            "UserManagement",
            "Self-service Password Management",
            "Update",
            "User",
        ),
        (
            "Register device",
            "Device",
            "Device Registration Service",
            "Add",
            "Device",
        ),
        ("Reset user password", "UserManagement", CORE, "Update", "User"),
        ("Add user", "UserManagement", CORE, "Add", "User"),
        ("Add group", "GroupManagement", CORE, "Add", "Group"),
        (
            "Update conditional access policy",
            "Policy",
            "Conditional Access",
            "Update",
            "Policy",
        ),
        (
            "Add owner to application",
            "ApplicationManagement",
            CORE,
            "Assign",
            "Application",
        ),
        ("Disable account", "UserManagement", CORE, "Update", "User"),
        ("Delete user", "UserManagement", CORE, "Delete", "User"),
        ("Add member to role", "RoleManagement", CORE, "Assign", "Role"),
    ])
});

/// One background Entra ID record: a sign-in of a person, an app or a managed identity, or a
/// directory change.
pub fn background(rng: &mut Rng, time: i64) -> Value {
    let kind = *rng.weighted(&[
        ("refresh", 50u32),
        ("interactive", 22),
        ("app", 16),
        ("managed", 6),
        ("audit", 6),
    ]);
    match kind {
        "refresh" | "interactive" => {
            // The first people in the list are the busiest, as in the other clouds.
            let person = rng.below(PEOPLE.len() as u64).min(rng.below(PEOPLE.len() as u64)) as usize;
            let (name, ip) = PEOPLE[person];
            let upn = format!("{name}@acme.example");
            let interactive = kind == "interactive";
            let (app, resource) = if interactive {
                INTERACTIVE[rng
                    .below(INTERACTIVE.len() as u64)
                    .min(rng.below(INTERACTIVE.len() as u64)) as usize]
            } else {
                *rng.pick(&NON_INTERACTIVE)
            };
            let error = if interactive {
                *rng.weighted(&[
                    (None, 900u32),
                    (Some((50074, "Strong Authentication is required.")), 40),
                    (Some((50140, "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.")), 30),
                    (Some((50126, "Error validating credentials due to invalid username or password.")), 25),
                    (Some((53003, "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.")), 5),
                ])
            } else {
                *rng.weighted(&[
                    (None, 980u32),
                    (Some((50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed.")), 10),
                    (Some((70044, "The session has expired or is invalid due to sign-in frequency checks by conditional access.")), 10),
                ])
            };
            let (device, agent) = device(person);
            user_sign_in(
                rng,
                UserSignIn {
                    time,
                    interactive,
                    upn: &upn,
                    app,
                    resource,
                    ip,
                    place: place(person),
                    device,
                    agent,
                    error,
                    // A refresh token carries the MFA claim of the sign-in that issued it.
                    mfa: interactive && !matches!(error, Some((50126, _))),
                    risk: "none",
                    conditional_access: match error {
                        Some((53003, _)) => "failure",
                        None if interactive => "success",
                        _ => "notApplied",
                    },
                },
            )
        }
        "app" => {
            let at = rng.below(AZURE_APPS.len() as u64) as usize;
            let app = AZURE_APPS[at];
            let resource = *rng.weighted(&[(SERVICE_MANAGEMENT, 60u32), (GRAPH, 20), (KEY_VAULT, 12), (STORAGE, 8)]);
            let error = rng
                .chance(0.01)
                .then_some((7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app."));
            let key = object_id(&format!("key/{app}"));
            // The same addresses its Azure calls come from.
            let ip = format!("20.{}.{}.{}", app.as_bytes()[0], app.as_bytes()[1], 10 + rng.below(3));
            app_sign_in(
                rng,
                AppSignIn {
                    time,
                    managed: false,
                    app_id: app,
                    name: AZURE_APP_NAMES[at],
                    object: &object_id(&format!("sp/{app}")),
                    resource,
                    ip: &ip,
                    key: &key,
                    error,
                    place: json!({"city": "Amsterdam", "state": "Noord-Holland", "countryOrRegion": "NL"}),
                },
            )
        }
        "managed" => {
            let (name, subscription) = *rng.pick(&[
                ("vm-batch-01", AZURE_SUBSCRIPTIONS[1]),
                ("func-invoice-export", AZURE_SUBSCRIPTION),
                ("aks-prod-agentpool", AZURE_SUBSCRIPTIONS[2]),
            ]);
            let app_id = object_id(&format!("mi-app/{name}"));
            let object = object_id(&format!("mi/{name}"));
            let resource = *rng.weighted(&[(KEY_VAULT, 50u32), (STORAGE, 35), (SERVICE_MANAGEMENT, 15)]);
            let ip = format!("10.20.{}.{}", subscription.as_bytes()[0] % 8, 4 + rng.below(3));
            app_sign_in(
                rng,
                AppSignIn {
                    time,
                    managed: true,
                    app_id: &app_id,
                    name,
                    object: &object,
                    resource,
                    ip: &ip,
                    key: "",
                    error: None,
                    place: json!({"city": "Amsterdam", "state": "Noord-Holland", "countryOrRegion": "NL"}),
                },
            )
        }
        _ => {
            let &(activity, category, service, operation_type, kind) = AUDITS.draw(rng);
            let (subject, subject_ip) = PEOPLE[rng.below(PEOPLE.len() as u64) as usize];
            let subject = format!("{subject}@acme.example");
            let admin = *rng.pick(&ADMINS);
            let admin_ip = PEOPLE
                .iter()
                .find(|(n, _)| admin.starts_with(&format!("{n}@")))
                .map_or("198.51.100.12", |(_, ip)| ip);
            let by = match (activity, kind) {
                // People register their own MFA methods and reset their own passwords.
                ("User registered security info" | "Reset password (self-service)", _) => Initiator::User {
                    upn: &subject,
                    ip: subject_ip,
                },
                // Devices register themselves; directory sync changes users and groups.
                ("Register device" | "Update device", _) => Initiator::App {
                    name: "Device Registration Service",
                    app_id: "01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9",
                },
                (_, "User" | "Group") if rng.chance(0.3) => Initiator::App {
                    name: SYNC_APP.0,
                    app_id: SYNC_APP.1,
                },
                _ => Initiator::User {
                    upn: admin,
                    ip: admin_ip,
                },
            };
            let user = target(
                "User",
                &object_id(&subject),
                None,
                Some(&subject),
                json!([modified(
                    "Included Updated Properties",
                    None,
                    "\"StrongAuthenticationPhoneAppDetail\""
                )]),
            );
            let targets = match kind {
                "User" => json!([user]),
                "Group" => {
                    let group = *rng.pick(&GROUPS);
                    json!([
                        user,
                        target(
                            "Group",
                            &object_id(&format!("group/{group}")),
                            Some(group),
                            None,
                            json!([modified("Group.DisplayName", None, &format!("\"{group}\""))])
                        )
                    ])
                }
                "Device" => {
                    let name = format!(
                        "LAPTOP-{}",
                        subject.split('@').next().unwrap_or_default().to_ascii_uppercase()
                    );
                    json!([target(
                        "Device",
                        &object_id(&format!("device/{subject}")),
                        Some(&name),
                        None,
                        json!([])
                    )])
                }
                "Application" | "ServicePrincipal" => {
                    let at = rng.below(AZURE_APPS.len() as u64) as usize;
                    let id = object_id(&format!(
                        "{}/{}",
                        if kind == "Application" { "app" } else { "sp" },
                        AZURE_APPS[at]
                    ));
                    json!([target(
                        kind,
                        &id,
                        Some(AZURE_APP_NAMES[at]),
                        None,
                        json!([modified(
                            "AppAddress",
                            None,
                            "[{\"AddressType\":0,\"Address\":\"https://acme.example/auth\"}]"
                        )])
                    )])
                }
                "Policy" => {
                    json!([target(
                        "Policy",
                        &object_id("policy/mfa-admins"),
                        Some("Require MFA for administrators"),
                        None,
                        json!([])
                    )])
                }
                _ => json!([
                    target(
                        "Role",
                        "4a5d8f65-41da-4de4-8968-e035b65339cf",
                        Some("Reports Reader"),
                        None,
                        json!([])
                    ),
                    user
                ]),
            };
            let correlation = rng.uuid();
            let agent = match by {
                Initiator::User { .. } => Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15"),
                Initiator::App { .. } => None,
            };
            audit(
                rng,
                Audit {
                    time,
                    activity,
                    category,
                    service,
                    operation_type,
                    by,
                    targets,
                    agent,
                    failure: None,
                    correlation: &correlation,
                },
            )
        }
    }
}
