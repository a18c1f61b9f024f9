//! Where a rule's field is in its cloud's raw record, written from the clouds' formats (not
//! from trailscope's field mapping, which this is here to check), and a base record of each
//! kind that the parsers take: CloudTrail records, GCP audit LogEntries, Azure Activity Log
//! records and Entra ID audit and sign-in records as diagnostic settings export them.
//!
//! | log source | a rule's field is |
//! | --- | --- |
//! | aws / cloudtrail | the record's path (`requestParameters.userName`); a value for all of `requestParameters` or `responseElements` is inside it |
//! | gcp / gcp.audit | `gcp.audit.method_name` → `protoPayload.methodName`; `data.protoPayload.resource.type` → the entry's `resource.type`; `data.protoPayload.logName` → `logName` (`projects/…/logs/` and the name, its `/` written `%2F` as Logging does); `data.protoPayload.X` → `protoPayload.X` (`authorizationInfo` a list) |
//! | azure / activitylogs | `operationName`, `OperationNameValue` → `operationName` (upper-cased, as the export writes it); `CategoryValue` → `category`; `ResourceProviderValue` and `ResourceId` → the provider and name in `resourceId`; other fields their path |
//! | azure / auditlogs | under `properties` (a directoryAudit): `OperationName`, `ActivityDisplayName`, `properties.message` → `activityDisplayName` (and the record's `operationName`); `Category` → `category`; `Status`, `Result` → `result`; `TargetResources…` → `targetResources[0]…` (`modifiedProperties` a list) |
//! | azure / signinlogs | under `properties` (a signIn): `ResultType` → `status.errorCode` (a number; and the record's `resultType`), `ResultDescription` → `status.failureReason` (and `resultDescription`); `Status` as the portal shows it → `status` (`Success` is error code 0); `DeviceDetail.trusttype` → `deviceDetail.trustType`; `NetworkLocationDetails` → the list; other fields by the signIn's own names |
//!
//! Keywords are put in a text field of the record: CloudTrail `requestParameters.description`,
//! GCP `protoPayload.status.message`, Activity `properties.message`, Entra audit
//! `properties.resultReason`, Entra sign-in `properties.status.additionalDetails`.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::sigma::{Rule, Sample};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    CloudTrail,
    Gcp,
    Activity,
    EntraAudit,
    EntraSignIn,
}

impl Source {
    pub fn of(rule: &Rule) -> Result<Source, String> {
        match (rule.product.as_str(), rule.service.as_str()) {
            ("aws", "cloudtrail") => Ok(Source::CloudTrail),
            ("gcp", "gcp.audit") => Ok(Source::Gcp),
            ("azure", "activitylogs") => Ok(Source::Activity),
            ("azure", "auditlogs") => Ok(Source::EntraAudit),
            ("azure", "signinlogs") => Ok(Source::EntraSignIn),
            (p, s) => Err(format!("no record kind for the log source {p}/{s}")),
        }
    }

    /// The raw file the records of this kind are written to, and its wrapper key (none: JSON lines).
    pub fn file(self) -> (&'static str, Option<&'static str>) {
        match self {
            Source::CloudTrail => (
                "aws/111122223333_CloudTrail_us-east-1_20240620T1000Z_rules.json",
                Some("Records"),
            ),
            Source::Gcp => ("gcp/cloudaudit.googleapis.com_activity.json", None),
            Source::Activity => ("azure/activity/PT1H.json", Some("records")),
            Source::EntraAudit => ("azure/entra/AuditLogs.json", Some("records")),
            Source::EntraSignIn => ("azure/entra/SignInLogs.json", Some("records")),
        }
    }
}

const ACCOUNT: &str = "111122223333";
const PROJECT: &str = "acme-prod";
const SUBSCRIPTION: &str = "8F3C1A2B-4D5E-4F60-9A7B-1C2D3E4F5A6B";
const TENANT: &str = "4f7a1c2e-8d3b-4a6f-9e1d-2c3b4a5f6e7d";

/// The `n`th record's time: one a second from 2024-06-20 08:00 (all inside that day).
fn time(n: usize) -> String {
    assert!(n < 16 * 3600, "the records must stay inside one day");
    let s = 8 * 3600 + n;
    format!("2024-06-20T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

fn uuid(n: usize, kind: u16) -> String {
    format!("d37ec7a0-{kind:04x}-4000-8000-{n:012}")
}

/// A valid record of the kind, numbered `n` (its id and time are its own), holding nothing a
/// shipped rule looks for.
pub fn base(source: Source, n: usize) -> Value {
    let t = time(n);
    match source {
        Source::CloudTrail => json!({
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLEALICE00001",
                "arn": format!("arn:aws:iam::{ACCOUNT}:user/alice"),
                "accountId": ACCOUNT,
                "accessKeyId": "AKIAEXAMPLEALICE0001",
                "userName": "alice"
            },
            "eventTime": t,
            "eventSource": "ec2.amazonaws.com",
            "eventName": "DescribeInstances",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.10",
            "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
            "requestParameters": null,
            "responseElements": null,
            "requestID": uuid(n, 1),
            "eventID": uuid(n, 0),
            "readOnly": true,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management"
        }),
        Source::Gcp => json!({
            "protoPayload": {
                "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                "status": {},
                "authenticationInfo": {"principalEmail": "alice@example.com"},
                "requestMetadata": {
                    "callerIp": "203.0.113.20",
                    "callerSuppliedUserAgent": "google-cloud-sdk gcloud/467.0.0 command/gcloud.compute.instances.add-labels"
                },
                "serviceName": "compute.googleapis.com",
                "methodName": "v1.compute.instances.setLabels",
                "authorizationInfo": [{
                    "permission": "compute.instances.setLabels",
                    "granted": true,
                    "resourceAttributes": {
                        "service": "compute",
                        "name": format!("projects/{PROJECT}/zones/us-central1-a/instances/web-1"),
                        "type": "compute.instances"
                    }
                }],
                "resourceName": format!("projects/{PROJECT}/zones/us-central1-a/instances/web-1")
            },
            "insertId": format!("dr{n:06}e1"),
            "resource": {"type": "gce_instance", "labels": {"project_id": PROJECT, "zone": "us-central1-a", "instance_id": "4400112233"}},
            "timestamp": t,
            "severity": "NOTICE",
            "logName": format!("projects/{PROJECT}/logs/cloudaudit.googleapis.com%2Factivity"),
            "receiveTimestamp": t
        }),
        Source::Activity => {
            let scope = format!(
                "/subscriptions/{}/resourceGroups/rg-app/providers/Microsoft.Storage/storageAccounts/acmedata",
                SUBSCRIPTION.to_lowercase()
            );
            json!({
                "time": t,
                "resourceId": scope.to_uppercase(),
                "operationName": "MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE",
                "category": "Administrative",
                "resultType": "Success",
                "resultSignature": "Succeeded.OK",
                "durationMs": "812",
                "callerIpAddress": "203.0.113.30",
                "correlationId": uuid(n, 2),
                "identity": {
                    "authorization": {
                        "scope": scope,
                        "action": "Microsoft.Storage/storageAccounts/write",
                        "evidence": {"role": "Contributor"}
                    },
                    "claims": {
                        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "alice@contoso.com",
                        "ipaddr": "203.0.113.30",
                        "idtyp": "user"
                    }
                },
                "level": "Information",
                "location": "global",
                "properties": {"statusCode": "OK", "serviceRequestId": uuid(n, 3), "eventCategory": "Administrative"}
            })
        }
        Source::EntraAudit => {
            let c = uuid(n, 4);
            json!({
                "time": t,
                "resourceId": format!("/tenants/{TENANT}/providers/Microsoft.aadiam"),
                "operationName": "Update group",
                "operationVersion": "1.0",
                "category": "AuditLogs",
                "tenantId": TENANT,
                "resultSignature": "None",
                "durationMs": 0,
                "callerIpAddress": "198.51.100.24",
                "correlationId": c,
                "identity": "Alice Admin",
                "Level": 4,
                "properties": {
                    "id": format!("Directory_{c}_DR{n:05}"),
                    "category": "GroupManagement",
                    "correlationId": c,
                    "result": "success",
                    "resultReason": "",
                    "activityDisplayName": "Update group",
                    "activityDateTime": t,
                    "loggedByService": "Core Directory",
                    "operationType": "Update",
                    "initiatedBy": {"user": {
                        "id": "3a5b7c9d-1e2f-4a6b-8c0d-2e4f6a8b0c1d",
                        "displayName": null,
                        "userPrincipalName": "alice.admin@contoso.com",
                        "ipAddress": "198.51.100.24"
                    }},
                    "targetResources": [{
                        "id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                        "displayName": "finance-team",
                        "type": "Group",
                        "modifiedProperties": [],
                        "administrativeUnits": []
                    }],
                    "additionalDetails": []
                }
            })
        }
        Source::EntraSignIn => {
            let c = uuid(n, 5);
            json!({
                "time": t,
                "resourceId": format!("/tenants/{TENANT}/providers/Microsoft.aadiam"),
                "operationName": "Sign-in activity",
                "operationVersion": "1.0",
                "category": "SignInLogs",
                "tenantId": TENANT,
                "resultType": "0",
                "resultSignature": "None",
                "durationMs": 0,
                "callerIpAddress": "198.51.100.40",
                "correlationId": c,
                "identity": "Bob User",
                "Level": 4,
                "location": "US",
                "properties": {
                    "id": uuid(n, 6),
                    "createdDateTime": t,
                    "userDisplayName": "Bob User",
                    "userPrincipalName": "bob@contoso.com",
                    "userId": "5c7d9e1f-3a4b-4c6d-8e0f-1a2b3c4d5e6f",
                    "appId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
                    "appDisplayName": "Azure Portal",
                    "ipAddress": "198.51.100.40",
                    "status": {"errorCode": 0},
                    "clientAppUsed": "Browser",
                    "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
                    "deviceDetail": {
                        "deviceId": "7c6b5a49-3827-4165-9a8b-7c6d5e4f3a2c",
                        "displayName": "CONTOSO-LT-0150",
                        "operatingSystem": "Windows10",
                        "browser": "Chrome 125.0.0",
                        "isCompliant": true,
                        "isManaged": true,
                        "trustType": "Azure AD joined"
                    },
                    "location": {"city": "Seattle", "state": "Washington", "countryOrRegion": "US"},
                    "correlationId": c,
                    "conditionalAccessStatus": "notApplied",
                    "isInteractive": true,
                    "networkLocationDetails": [{"networkType": "trustedNamedLocation", "networkNames": ["HQ"]}],
                    "riskDetail": "none",
                    "riskLevelAggregated": "none",
                    "riskLevelDuringSignIn": "none",
                    "riskState": "none",
                    "resourceDisplayName": "Windows Azure Service Management API",
                    "resourceId": "797f4846-ba00-4fd7-ba43-dac1f8f63013",
                    "resourceTenantId": TENANT,
                    "homeTenantId": TENANT,
                    "authenticationRequirement": "singleFactorAuthentication"
                }
            })
        }
    }
}

/// A record's text as the cloud writes it. serde_json writes keys in alphabetical order; the
/// one order a shipped rule depends on is Entra ID's modified properties (`displayName`,
/// `oldValue`, `newValue`), whose text a rule quotes.
pub fn text(record: &Value) -> String {
    let text = serde_json::to_string(record).expect("a record is JSON");
    let value = r#"(null|"(?:[^"\\]|\\.)*")"#;
    let swapped = regex::Regex::new(&format!(r#""newValue":{value},"oldValue":{value}"#)).expect("a regex");
    swapped
        .replace_all(&text, r#""oldValue":$2,"newValue":$1"#)
        .into_owned()
}

/// The id trailscope archives a record under: its own, or (an Activity Log diagnostic record,
/// which has none) `sha256:` and the first 32 hex digits of its text's SHA-256.
pub fn event_id(source: Source, record: &Value) -> String {
    let at = |p: &str| {
        record
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match source {
        Source::CloudTrail => at("/eventID"),
        Source::Gcp => at("/insertId"),
        Source::EntraAudit | Source::EntraSignIn => at("/properties/id"),
        Source::Activity => {
            let digest = Sha256::digest(text(record).as_bytes());
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("sha256:{hex}")
        }
    }
}

/// The `n`th record of the kind with the sample's fields written where they are.
pub fn record(source: Source, sample: &Sample, n: usize) -> Result<Value, String> {
    let mut record = base(source, n);
    let mut writes = Writes::default();
    for (field, value) in &sample.fields {
        places(source, field, value.as_deref(), &mut writes)?;
    }
    if !sample.words.is_empty() {
        let text = json!(sample.words.join(" "));
        let path = match source {
            Source::CloudTrail => "requestParameters.description",
            Source::Gcp => "protoPayload.status.message",
            Source::Activity => "properties.message",
            Source::EntraAudit => "properties.resultReason",
            Source::EntraSignIn => "properties.status.additionalDetails",
        };
        writes.put("(keywords)", path, Some(text))?;
    }
    if source == Source::Activity {
        activity_resource(&mut writes)?;
    }
    for (path, value) in writes.list {
        let path: Vec<&str> = path.split('.').collect();
        match value {
            Some(v) => set(&mut record, &path, v, lists(source)),
            None => remove(&mut record, &path),
        }
    }
    Ok(record)
}

/// The record's paths to write, each once: a second field written to the same place with
/// another value is a conflict (two names the rule gives for one place).
#[derive(Default)]
struct Writes {
    list: Vec<(String, Option<Value>)>,
    by: Vec<String>,
    /// An Activity Log record's resource id, from its parts.
    provider: Option<String>,
    resource_name: Option<String>,
}

impl Writes {
    fn put(&mut self, field: &str, path: &str, value: Option<Value>) -> Result<(), String> {
        if let Some(at) = self.list.iter().position(|(p, _)| p.eq_ignore_ascii_case(path)) {
            if self.list[at].1 != value {
                return Err(format!(
                    "the fields {} and {field} are both the record's {path}, with different values",
                    self.by[at]
                ));
            }
            return Ok(());
        }
        self.list.push((path.to_string(), value));
        self.by.push(field.to_string());
        Ok(())
    }
}

/// Keys whose value is a list: a path through one goes through its first item.
fn lists(source: Source) -> &'static [&'static str] {
    match source {
        Source::CloudTrail => &["containerDefinitions", "command", "layers"],
        Source::Gcp => &["authorizationInfo"],
        Source::Activity => &[],
        Source::EntraAudit => &["targetResources", "modifiedProperties", "additionalDetails"],
        Source::EntraSignIn => &[],
    }
}

/// A rule's text as the JSON the record holds: booleans as booleans.
fn typed(v: &str) -> Value {
    match v {
        "true" => json!(true),
        "false" => json!(false),
        v => json!(v),
    }
}

/// A value for a whole object (or list of objects), as the record would hold it: inside it.
fn inside(last: &str, v: &str) -> Option<Value> {
    let key = match last.to_ascii_lowercase().as_str() {
        "requestparameters" | "responseelements" | "additionaleventdata" => "detail",
        "targetresources" => "displayName",
        "modifiedproperties" => "newValue",
        _ => return None,
    };
    Some(json!({ key: v }))
}

fn places(source: Source, field: &str, value: Option<&str>, w: &mut Writes) -> Result<(), String> {
    let no_place = || format!("the field {field} has no place in a {source:?} record");
    let at = |path: &str| -> Option<Value> {
        let last = path.rsplit('.').next().unwrap_or(path);
        value.map(|v| inside(last, v).unwrap_or_else(|| typed(v)))
    };
    match source {
        Source::CloudTrail => w.put(field, field, at(field)),
        Source::Gcp => {
            let path = match field {
                "gcp.audit.method_name" => "protoPayload.methodName".to_string(),
                "gcp.audit.service_name" => "protoPayload.serviceName".to_string(),
                "gcp.audit.resource_name" => "protoPayload.resourceName".to_string(),
                "gcp.audit.principal_email" => "protoPayload.authenticationInfo.principalEmail".to_string(),
                "data.protoPayload.resource.type" => "resource.type".to_string(),
                "data.protoPayload.logName" => {
                    let name = value.map(|v| json!(format!("projects/{PROJECT}/logs/{}", v.replace('/', "%2F"))));
                    return w.put(field, "logName", name);
                }
                f => match f.strip_prefix("data.") {
                    Some(p) if p.starts_with("protoPayload.") => p.to_string(),
                    _ if ["protoPayload.", "resource.", "labels."]
                        .iter()
                        .any(|p| f.starts_with(p)) =>
                    {
                        f.to_string()
                    }
                    _ => return Err(no_place()),
                },
            };
            w.put(field, &path, at(&path))
        }
        Source::Activity => match field.to_ascii_lowercase().as_str() {
            "operationname" | "operationnamevalue" => {
                w.put(field, "operationName", value.map(|v| json!(v.to_uppercase())))
            }
            "categoryvalue" => w.put(field, "category", at("category")),
            "resourceprovidervalue" => {
                w.provider = value.map(str::to_string);
                Ok(())
            }
            "resourceid" => {
                w.resource_name = value.map(str::to_string);
                Ok(())
            }
            _ => w.put(field, field, at(field)),
        },
        Source::EntraAudit => {
            let lower = field.to_ascii_lowercase();
            let name = lower.strip_prefix("properties.").unwrap_or(&lower);
            let (head, rest) = name.split_once('.').map_or((name, None), |(h, r)| (h, Some(r)));
            let under = |key: &str| {
                let mut path = format!("properties.{key}");
                for part in rest.into_iter().flat_map(|r| r.split('.')) {
                    path.push('.');
                    path.push_str(entra_name(part));
                }
                path
            };
            match head {
                "message" | "operationname" | "activitydisplayname" if rest.is_none() => {
                    w.put(field, "operationName", at("operationName"))?;
                    w.put(field, "properties.activityDisplayName", at("activityDisplayName"))
                }
                "status" | "result" => w.put(field, &under("result"), at("result")),
                "category" | "resultreason" | "loggedbyservice" | "operationtype" | "correlationid"
                | "targetresources" | "initiatedby" | "additionaldetails" => {
                    let path = under(entra_name(head));
                    w.put(field, &path, at(&path))
                }
                _ => Err(no_place()),
            }
        }
        Source::EntraSignIn => {
            let lower = field.to_ascii_lowercase();
            let name = lower.strip_prefix("properties.").unwrap_or(&lower);
            let (head, rest) = name.split_once('.').map_or((name, None), |(h, r)| (h, Some(r)));
            match head {
                "resulttype" => {
                    let code = value.map(|v| v.parse::<i64>().map_or_else(|_| json!(v), |n| json!(n)));
                    w.put(field, "properties.status.errorCode", code)?;
                    w.put(field, "resultType", value.map(|v| json!(v)))
                }
                "resultdescription" => {
                    w.put(field, "properties.status.failureReason", value.map(|v| json!(v)))?;
                    w.put(field, "resultDescription", value.map(|v| json!(v)))
                }
                // The portal's Status: Success is error code 0; Failure any other code; other
                // text is the status's details.
                "status" if rest.is_none() => {
                    let (code, status) = match value {
                        Some(v) if v.eq_ignore_ascii_case("success") => (0, json!({"errorCode": 0})),
                        Some(v) if v.eq_ignore_ascii_case("failure") => (
                            50126,
                            json!({"errorCode": 50126, "failureReason": "Error validating credentials due to invalid username or password."}),
                        ),
                        Some(v) => (
                            500121,
                            json!({"errorCode": 500121, "failureReason": "Authentication failed during strong authentication request.", "additionalDetails": v}),
                        ),
                        None => return w.put(field, "properties.status", None),
                    };
                    w.put(field, "properties.status", Some(status))?;
                    w.put(field, "resultType", Some(json!(code.to_string())))
                }
                "networklocationdetails" if rest.is_none() => {
                    let list = value.map(|v| match v {
                        "[]" => json!([]),
                        v => json!([{"networkType": "namedNetwork", "networkNames": [v]}]),
                    });
                    w.put(field, "properties.networkLocationDetails", list)
                }
                "username" | "userprincipalname" => {
                    w.put(field, "properties.userPrincipalName", at("userPrincipalName"))
                }
                "clientapp" | "clientappused" => w.put(field, "properties.clientAppUsed", at("clientAppUsed")),
                "useragent"
                | "ipaddress"
                | "appid"
                | "appdisplayname"
                | "resourcedisplayname"
                | "conditionalaccessstatus"
                | "authenticationrequirement"
                | "riskstate"
                | "risklevelduringsignin"
                | "risklevelaggregated"
                | "riskdetail"
                | "location"
                | "isinteractive"
                | "devicedetail"
                | "status" => {
                    let mut path = format!("properties.{}", entra_name(head));
                    for part in rest.into_iter().flat_map(|r| r.split('.')) {
                        path.push('.');
                        path.push_str(entra_name(part));
                    }
                    w.put(field, &path, at(&path))
                }
                _ => Err(no_place()),
            }
        }
    }
}

/// Entra ID's own spelling of a (lower-cased) key of its objects.
fn entra_name(lower: &str) -> &str {
    const NAMES: &[&str] = &[
        "targetResources",
        "modifiedProperties",
        "displayName",
        "newValue",
        "oldValue",
        "type",
        "userPrincipalName",
        "category",
        "resultReason",
        "loggedByService",
        "operationType",
        "correlationId",
        "initiatedBy",
        "additionalDetails",
        "userAgent",
        "ipAddress",
        "appId",
        "appDisplayName",
        "resourceDisplayName",
        "conditionalAccessStatus",
        "authenticationRequirement",
        "riskState",
        "riskLevelDuringSignIn",
        "riskLevelAggregated",
        "riskDetail",
        "location",
        "isInteractive",
        "deviceDetail",
        "deviceId",
        "trustType",
        "isCompliant",
        "isManaged",
        "operatingSystem",
        "browser",
        "status",
        "errorCode",
        "failureReason",
    ];
    NAMES
        .iter()
        .find(|n| n.eq_ignore_ascii_case(lower))
        .copied()
        .unwrap_or(lower)
}

/// An Activity Log record's `resourceId` when the rule names its provider or part of it:
/// `/SUBSCRIPTIONS/…/PROVIDERS/<provider>/<type>/<name>`, upper-cased as the export writes it;
/// the provider and type otherwise those of the operation.
fn activity_resource(w: &mut Writes) -> Result<(), String> {
    if w.provider.is_none() && w.resource_name.is_none() {
        return Ok(());
    }
    let operation = w
        .list
        .iter()
        .find(|(p, _)| p == "operationName")
        .and_then(|(_, v)| v.as_ref()?.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut segments = operation.split('/');
    let from_operation = segments.next().filter(|p| p.contains('.')).map(str::to_string);
    let provider = w
        .provider
        .clone()
        .or(from_operation)
        .unwrap_or("Microsoft.Resources".into());
    let kind = segments.next().unwrap_or("resources").to_string();
    let id = match w.resource_name.clone() {
        Some(whole) if whole.starts_with('/') => whole,
        name => format!(
            "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-identity/providers/{provider}/{kind}/{}",
            name.unwrap_or("contoso-adfs".into())
        ),
    };
    w.put(
        "ResourceProviderValue/ResourceId",
        "resourceId",
        Some(json!(id.to_uppercase())),
    )
}

/// Writes `value` at `path`, making the objects (and lists, whose first item is written into)
/// on the way.
fn set(node: &mut Value, path: &[&str], value: Value, lists: &[&str]) {
    let (key, rest) = path.split_first().expect("a path has a key");
    if !node.is_object() {
        *node = json!({});
    }
    let object = node.as_object_mut().expect("made an object");
    let is_list = lists.iter().any(|l| l.eq_ignore_ascii_case(key));
    if rest.is_empty() {
        object.insert(key.to_string(), if is_list { json!([value]) } else { value });
        return;
    }
    let child = object.entry(key.to_string()).or_insert(Value::Null);
    if is_list {
        if !child.as_array().is_some_and(|a| !a.is_empty() && a[0].is_object()) {
            *child = json!([{}]);
        }
        set(&mut child[0], rest, value, lists);
    } else {
        set(child, rest, value, lists);
    }
}

/// Removes the key at `path` (through the first item of lists).
fn remove(node: &mut Value, path: &[&str]) {
    let (key, rest) = path.split_first().expect("a path has a key");
    let node = match node {
        Value::Array(items) if !items.is_empty() => &mut items[0],
        other => other,
    };
    let Some(object) = node.as_object_mut() else {
        return;
    };
    if rest.is_empty() {
        object.remove(*key);
    } else if let Some(child) = object.get_mut(*key) {
        remove(child, rest);
    }
}

/// RFC 7396 merge patch: objects merged key by key, `null` removes, anything else replaces.
pub fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(patch) => {
            if !target.is_object() {
                *target = json!({});
            }
            let object = target.as_object_mut().expect("made an object");
            for (k, v) in patch {
                if v.is_null() {
                    object.remove(k);
                } else {
                    merge(object.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}
