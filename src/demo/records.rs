//! Audit records in each cloud's own shape, as the clouds deliver them.

use serde_json::{Value, json};

use super::cast::ENTRA_TENANT;
use super::catalog::Access;
use super::rng::{LOWER_DIGITS, Rng};

/// RFC 3339 with milliseconds where the cloud writes them.
pub fn rfc3339(micros: i64, fraction: bool) -> String {
    let t = chrono::DateTime::from_timestamp_micros(micros).expect("demo times are valid");
    if fraction {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

/// Who calls AWS, as `userIdentity` writes it.
pub fn iam_user(account: &str, name: &str, key: &str) -> Value {
    json!({"type": "IAMUser", "principalId": format!("AIDA{}", principal_id(name)), "arn": format!("arn:aws:iam::{account}:user/{name}"),
           "accountId": account, "accessKeyId": key, "userName": name})
}

/// A role session's identity; `created` is when its credentials were issued.
pub fn assumed_role(account: &str, role: &str, session: &str, key: &str, created: i64) -> Value {
    let role_id = format!("AROA{}", principal_id(role));
    json!({"type": "AssumedRole", "principalId": format!("{role_id}:{session}"),
           "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"), "accountId": account, "accessKeyId": key,
           "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": role_id, "arn": format!("arn:aws:iam::{account}:role/{role}"),
                                                "accountId": account, "userName": role.rsplit('/').next().unwrap_or(role)},
                              "attributes": {"creationDate": rfc3339(created, false), "mfaAuthenticated": "false"}}})
}

pub fn aws_service(service: &str) -> Value {
    json!({"type": "AWSService", "invokedBy": service})
}

/// A stable 17-character id for a name, as IAM's unique ids look.
fn principal_id(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    let mut r = Rng::new(h);
    r.token(super::rng::UPPER_DIGITS, 17)
}

/// One CloudTrail call.
pub struct AwsCall<'a> {
    pub time: i64,
    pub account: &'a str,
    pub region: &'a str,
    pub who: &'a Value,
    pub source: &'a str,
    pub name: &'a str,
    pub read_only: bool,
    /// A data event (an S3 object's or a Lambda function's), which a trail logs only when its
    /// event selectors ask for them; else a management event.
    pub data: bool,
    pub request: Value,
    pub response: Value,
    pub error: Option<(&'a str, &'a str)>,
    pub ip: &'a str,
    pub agent: &'a str,
}

/// What a data event acts on, as CloudTrail lists it in `resources`, and what else it records.
fn data_resources(rng: &mut Rng, c: &AwsCall<'_>) -> (Value, Value) {
    if c.source == "lambda" {
        let function = c
            .request
            .get("functionName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return (
            json!([{"accountId": c.account, "type": "AWS::Lambda::Function", "ARN": function}]),
            json!({"functionVersion": format!("{function}:$LATEST")}),
        );
    }
    let bucket = c.request.get("bucketName").and_then(Value::as_str).unwrap_or_default();
    let object = match (
        c.request.get("key").and_then(Value::as_str),
        c.request.get("prefix").and_then(Value::as_str),
    ) {
        (Some(key), _) => json!({"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{key}")}),
        (None, prefix) => {
            json!({"type": "AWS::S3::Object", "ARNPrefix": format!("arn:aws:s3:::{bucket}/{}", prefix.unwrap_or_default())})
        }
    };
    let out = if c.error.is_none() && matches!(c.name, "GetObject") {
        256 + rng.below(4_000_000)
    } else {
        0
    };
    let into = if matches!(c.name, "PutObject" | "UploadPart") {
        256 + rng.below(8_000_000)
    } else {
        0
    };
    (
        json!([object, {"accountId": c.account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]),
        json!({"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": into,
               "AuthenticationMethod": "AuthHeader", "bytesTransferredOut": out}),
    )
}

pub fn cloudtrail(rng: &mut Rng, c: AwsCall<'_>) -> Value {
    let data = c.data.then(|| data_resources(rng, &c));
    let mut r = json!({
        "eventVersion": "1.09", "userIdentity": c.who, "eventTime": rfc3339(c.time, false),
        "eventSource": format!("{}.amazonaws.com", c.source), "eventName": c.name, "awsRegion": c.region,
        "sourceIPAddress": c.ip, "userAgent": c.agent,
    });
    let o = r.as_object_mut().expect("an object");
    if let Some((code, message)) = c.error {
        o.insert("errorCode".into(), code.into());
        o.insert("errorMessage".into(), message.into());
    }
    if c.name == "ConsoleLogin" {
        let mfa = if c.request.get("mfa").and_then(Value::as_bool) == Some(true) {
            "Yes"
        } else {
            "No"
        };
        o.insert("requestParameters".into(), Value::Null);
        o.insert(
            "responseElements".into(),
            json!({"ConsoleLogin": if c.error.is_some() { "Failure" } else { "Success" }}),
        );
        o.insert(
            "additionalEventData".into(),
            json!({"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": mfa}),
        );
        o.remove("errorCode");
        o.insert("eventType".into(), "AwsConsoleSignIn".into());
    } else {
        o.insert("requestParameters".into(), c.request);
        o.insert(
            "responseElements".into(),
            if c.error.is_some() { Value::Null } else { c.response },
        );
        o.insert(
            "eventType".into(),
            if c.who.get("type").and_then(Value::as_str) == Some("AWSService") {
                "AwsServiceEvent"
            } else {
                "AwsApiCall"
            }
            .into(),
        );
    }
    o.insert("requestID".into(), rng.uuid().into());
    o.insert("eventID".into(), rng.uuid().into());
    o.insert("readOnly".into(), c.read_only.into());
    if let Some((resources, additional)) = data {
        o.insert("additionalEventData".into(), additional);
        o.insert("resources".into(), resources);
    }
    o.insert("managementEvent".into(), (!c.data).into());
    o.insert("recipientAccountId".into(), c.account.into());
    o.insert(
        "eventCategory".into(),
        if c.data { "Data" } else { "Management" }.into(),
    );
    r
}

/// One GCP audit log entry.
pub struct GcpCall<'a> {
    pub time: i64,
    pub project: &'a str,
    pub principal: &'a str,
    pub service: &'a str,
    pub method: &'a str,
    pub resource_name: String,
    pub resource_type: &'a str,
    pub location: &'a str,
    /// The permission type IAM checked, which decides the log (admin activity, data access or
    /// system event).
    pub access: Access,
    /// The IAM permission checked, e.g. `compute.instances.start`.
    pub permission: &'a str,
    pub status: GcpStatus,
    pub ip: &'a str,
    pub agent: &'a str,
    pub request: Value,
    pub key: Option<&'a str>,
}

/// How a GCP call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcpStatus {
    Ok,
    Denied,
    NotFound,
}

pub fn gcp_entry(rng: &mut Rng, c: GcpCall<'_>) -> Value {
    let (log, permission_type) = match c.access {
        Access::AdminRead => ("data_access", "ADMIN_READ"),
        Access::AdminWrite => ("activity", "ADMIN_WRITE"),
        Access::DataRead => ("data_access", "DATA_READ"),
        Access::DataWrite => ("data_access", "DATA_WRITE"),
        Access::System => ("system_event", ""),
    };
    let mut auth = json!({"principalEmail": c.principal});
    if let Some(key) = c.key {
        auth["serviceAccountKeyName"] = key.into();
    }
    let mut payload = json!({
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": auth,
        "methodName": c.method,
        "resourceLocation": {"currentLocations": [c.location]},
        "resourceName": c.resource_name,
        "serviceName": c.service,
    });
    // Google's own actions carry neither a caller nor a permission check.
    if c.access != Access::System {
        payload["authorizationInfo"] = json!([{"granted": c.status != GcpStatus::Denied, "permission": c.permission,
                               "permissionType": permission_type,
                               "resource": c.resource_name, "resourceAttributes": {}}]);
        payload["requestMetadata"] = json!({"callerIp": c.ip, "callerSuppliedUserAgent": c.agent, "destinationAttributes": {},
                            "requestAttributes": {"auth": {}, "time": rfc3339(c.time, true)}});
    }
    if !c.request.is_null() {
        payload["request"] = c.request;
    }
    payload["status"] = match c.status {
        GcpStatus::Ok => json!({}),
        GcpStatus::Denied => {
            json!({"code": 7, "message": format!("Permission '{}' denied on resource (or it may not exist).", c.permission)})
        }
        GcpStatus::NotFound => {
            json!({"code": 5, "message": format!("The resource '{}' was not found", c.resource_name)})
        }
    };
    json!({
        "insertId": rng.token(LOWER_DIGITS, 12),
        "logName": format!("projects/{}/logs/cloudaudit.googleapis.com%2F{log}", c.project),
        "protoPayload": payload,
        "receiveTimestamp": rfc3339(c.time + 800_000, true),
        "resource": {"labels": {"project_id": c.project, "location": c.location}, "type": c.resource_type},
        "severity": match (c.status, log) {
            (GcpStatus::Ok, "data_access") => "INFO",
            (GcpStatus::Ok, _) => "NOTICE",
            _ => "ERROR",
        },
        "timestamp": rfc3339(c.time, true),
    })
}

/// One Azure Activity Log record, as diagnostic settings export it.
pub struct AzureCall<'a> {
    pub time: i64,
    pub subscription: &'a str,
    pub resource: String,
    pub operation: &'a str,
    /// The Activity Log's category: `Administrative`, or `Policy` for Azure Policy's own records.
    pub category: &'a str,
    pub result: &'a str,
    pub signature: &'a str,
    pub caller_upn: Option<&'a str>,
    pub caller_app: Option<&'a str>,
    pub ip: &'a str,
    pub location: &'a str,
    pub correlation: String,
}

pub fn azure_record(rng: &mut Rng, c: AzureCall<'_>) -> Value {
    let tenant = ENTRA_TENANT;
    let claims = match (c.caller_upn, c.caller_app) {
        (Some(upn), _) => {
            json!({"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": upn, "idtyp": "user", "ipaddr": c.ip,
                                 "http://schemas.microsoft.com/identity/claims/tenantid": tenant})
        }
        (None, Some(app)) => {
            json!({"appid": app, "idtyp": "app", "http://schemas.microsoft.com/identity/claims/tenantid": tenant})
        }
        _ => json!({}),
    };
    let scope = format!("/subscriptions/{}/{}", c.subscription, c.resource);
    json!({
        "time": rfc3339(c.time, true), "resourceId": scope.to_ascii_uppercase(), "operationName": c.operation.to_ascii_uppercase(),
        "category": c.category, "resultType": c.result, "resultSignature": c.signature, "durationMs": rng.below(3000).to_string(),
        "callerIpAddress": c.ip, "correlationId": c.correlation,
        "identity": {"authorization": {"scope": scope, "action": c.operation}, "claims": claims},
        "level": if c.result == "Failure" { "Error" } else { "Information" }, "location": c.location,
        "properties": {"eventDataId": rng.uuid(), "eventCategory": c.category, "message": c.operation,
                       "hierarchy": format!("{tenant}/{}", c.subscription)},
    })
}
