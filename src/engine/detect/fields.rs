//! Where a Sigma rule's log source and field names are in `events`: a log source is a cloud and
//! some of its categories; a field is a column where the column holds the field as the record
//! wrote it (so filters on columns are read before the record, and the file index can answer
//! them), else a path into the stored record (`raw`).
//!
//! | log source | events | fields |
//! | --- | --- | --- |
//! | `product: aws` (`service: cloudtrail`) | cloud `aws`, no Insight | `eventName` → action, `eventSource` → service, `sourceIPAddress` → source_ip, `userAgent` → user_agent; any other field is the record's path (`requestParameters.userName`), `userIdentity.arn` and `.type` read from principal and principal_type first |
//! | `product: gcp` (`service: gcp.audit`) | cloud `gcp` | `gcp.audit.method_name` and `data.protoPayload.methodName` → action, `…serviceName` / `service_name` → service, `data.protoPayload.resource.type` → resource_type (the entry's `resource.type`), `data.protoPayload.logName` → the log's name without `projects/…/logs/`; `data.protoPayload.X` → the record's `protoPayload.X`; a field written as the LogEntry names it (`protoPayload.…`, `labels.…`) is its path |
//! | `product: azure`, `service: activitylogs` | category `activity` | `operationName`, `OperationNameValue` → action, `ResourceProviderValue` → service, `ResourceId` → resource (lower-cased in both), `CategoryValue` → the record's category; any other field is the record's path, its keys matched without case |
//! | `product: azure`, `service: auditlogs` / `signinlogs` | category `entra_audit` / `entra_signin` | the fields Entra ID's objects have, under `properties` (diagnostic settings) or at the top (Graph); the names of Log Analytics' tables (`OperationName`, `ResultType`, `ClientApp`) are translated; a field the objects do not have makes the rule unsupported |

use super::sigma::{LogSource, RuleProblem};

/// The events a log source stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub kind: SourceKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    CloudTrail,
    GcpAudit,
    AzureActivity,
    EntraAudit,
    EntraSignIn,
}

impl Source {
    /// The condition on columns that picks the source's events (fixed text: no value of a rule).
    pub fn sql(&self) -> &'static str {
        match self.kind {
            // An Insight is an observation about calls, not a call: the rules are about calls.
            SourceKind::CloudTrail => "cloud = 'aws' AND outcome <> 'observed'",
            SourceKind::GcpAudit => "cloud = 'gcp'",
            SourceKind::AzureActivity => "cloud = 'azure' AND category = 'activity'",
            SourceKind::EntraAudit => "cloud = 'azure' AND category = 'entra_audit'",
            SourceKind::EntraSignIn => "cloud = 'azure' AND category = 'entra_signin'",
        }
    }

    pub fn cloud(&self) -> &'static str {
        match self.kind {
            SourceKind::CloudTrail => "aws",
            SourceKind::GcpAudit => "gcp",
            _ => "azure",
        }
    }
}

/// Where a field's value is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A column of `events` holding the field as written (or lower-cased, for a case-less value).
    Column(&'static str),
    /// Paths into the stored record, keys separated by dots and looked up without case, lists
    /// looked into; the first path that is in the record is the field's (`properties.x|x`).
    Record(String),
    /// An expression of ours over the record.
    Computed(&'static str),
    /// A path into the record, and a column that holds the same value except for events that
    /// `unless` (a condition on columns) picks: a match of the column (or `unless`) is what every
    /// match of the record has, read first.
    Hinted {
        path: &'static str,
        column: &'static str,
        unless: &'static str,
    },
}

impl Target {
    /// Whether reading the field reads the record (the widest column, read last).
    pub fn reads_record(&self) -> bool {
        !matches!(self, Target::Column(_))
    }
}

/// The events of a rule's log source.
pub fn source(ls: &LogSource) -> Result<Source, RuleProblem> {
    let unsupported = || RuleProblem::Unsupported(format!("the log source ({ls}) is not one trailscope archives"));
    let kind = match (ls.product.as_deref(), ls.service.as_deref()) {
        _ if ls.category.is_some() => return Err(unsupported()),
        (Some("aws"), Some("cloudtrail") | None) => SourceKind::CloudTrail,
        (Some("gcp"), Some("gcp.audit") | None) => SourceKind::GcpAudit,
        (Some("azure"), Some("activitylogs")) => SourceKind::AzureActivity,
        (Some("azure"), Some("auditlogs")) => SourceKind::EntraAudit,
        (Some("azure"), Some("signinlogs")) => SourceKind::EntraSignIn,
        _ => return Err(unsupported()),
    };
    Ok(Source { kind })
}

/// Where `field` of `source`'s events is.
pub fn target(source: &Source, field: &str) -> Result<Target, RuleProblem> {
    let record = |path: &str| Ok(Target::Record(path.to_string()));
    match source.kind {
        SourceKind::CloudTrail => match field {
            "eventName" => Ok(Target::Column("action")),
            "eventSource" => Ok(Target::Column("service")),
            "sourceIPAddress" => Ok(Target::Column("source_ip")),
            "userAgent" => Ok(Target::Column("user_agent")),
            // The principal is the identity's ARN and its type the identity's, but for calls a
            // service made (`invokedBy`), where both name the service.
            "userIdentity.type" => Ok(Target::Hinted {
                path: "userIdentity.type",
                column: "principal_type",
                unless: "false",
            }),
            "userIdentity.arn" => Ok(Target::Hinted {
                path: "userIdentity.arn",
                column: "principal",
                unless: "principal_type IS NULL OR principal_type = 'AWSService'",
            }),
            path => record(path),
        },
        SourceKind::GcpAudit => match field {
            "gcp.audit.method_name" | "data.protoPayload.methodName" | "protoPayload.methodName" => {
                Ok(Target::Column("action"))
            }
            "gcp.audit.service_name" | "data.protoPayload.serviceName" | "protoPayload.serviceName" => {
                Ok(Target::Column("service"))
            }
            "data.protoPayload.resource.type" | "resource.type" => Ok(Target::Column("resource_type")),
            "data.protoPayload.logName" | "data.logName" => Ok(Target::Computed(GCP_LOG_NAME)),
            "gcp.audit.resource_name" => record("protoPayload.resourceName"),
            "gcp.audit.principal_email" => record("protoPayload.authenticationInfo.principalEmail"),
            f => match f.strip_prefix("data.") {
                Some(path) => record(path),
                None if f.starts_with("gcp.audit.") => Err(RuleProblem::Unsupported(format!(
                    "the field {f} has no known place in a GCP audit log entry"
                ))),
                None => record(f),
            },
        },
        SourceKind::AzureActivity => match field {
            "operationName" | "OperationNameValue" | "OperationName" => Ok(Target::Column("action")),
            "ResourceProviderValue" => Ok(Target::Column("service")),
            "ResourceId" | "resourceId" => Ok(Target::Column("resource")),
            "CategoryValue" => record("category.value|category"),
            path => record(path),
        },
        SourceKind::EntraAudit => entra(field, ENTRA_AUDIT, "audit"),
        SourceKind::EntraSignIn => entra(field, ENTRA_SIGNIN, "sign-in"),
    }
}

/// A GCP entry's log without its project: `cloudaudit.googleapis.com%2Factivity`, as the rules
/// write it (they also write it with `/`, which the real name never has).
const GCP_LOG_NAME: &str = "regexp_replace(json_get_str(raw, 'logName'), '^[a-z]+/[^/]+/logs/', '')";

/// A sign-in's status as the rules write it.
pub const SIGNIN_STATUS: &str = "CASE WHEN outcome = 'success' THEN 'Success' ELSE 'Failure' END";

/// Sigma's names of Entra ID fields (several are Log Analytics' column names), lower-cased, and
/// the object's field they are: a column, or a path in the object.
const ENTRA_AUDIT: &[(&str, Entra)] = &[
    ("properties.message", Entra::Column("action")),
    ("operationname", Entra::Column("action")),
    ("activitydisplayname", Entra::Column("action")),
    ("category", Entra::Path("category")),
    // The portal's Status of an audit event: its result, or the reason beside it.
    ("status", Entra::Path("result|resultReason")),
    ("result", Entra::Path("result")),
    ("resultreason", Entra::Path("resultReason")),
    ("loggedbyservice", Entra::Path("loggedByService")),
    ("operationtype", Entra::Path("operationType")),
    ("initiatedby", Entra::Path("initiatedBy")),
    ("targetresources", Entra::Path("targetResources")),
    ("correlationid", Entra::Path("correlationId")),
];

const ENTRA_SIGNIN: &[(&str, Entra)] = &[
    // Log Analytics' Status of a sign-in is an object; the rules compare it with Success or
    // Failure, which is whether its error code is 0: the outcome column (a part of its text,
    // `Status|contains: MFA Denied`, is looked for in the object: see `compile`).
    ("status", Entra::Column(SIGNIN_STATUS)),
    ("resulttype", Entra::Path("status.errorCode|resultType")),
    (
        "resultdescription",
        Entra::Path("status.failureReason|resultDescription"),
    ),
    ("status", Entra::Path("status")),
    ("username", Entra::Path("userPrincipalName")),
    ("userprincipalname", Entra::Path("userPrincipalName")),
    ("clientapp", Entra::Path("clientAppUsed")),
    ("clientappused", Entra::Path("clientAppUsed")),
    ("useragent", Entra::Path("userAgent")),
    ("ipaddress", Entra::Path("ipAddress")),
    ("appid", Entra::Path("appId")),
    ("appdisplayname", Entra::Path("appDisplayName")),
    ("resourcedisplayname", Entra::Path("resourceDisplayName")),
    ("conditionalaccessstatus", Entra::Path("conditionalAccessStatus")),
    ("authenticationrequirement", Entra::Path("authenticationRequirement")),
    ("riskstate", Entra::Path("riskState")),
    ("risklevelduringsignin", Entra::Path("riskLevelDuringSignIn")),
    ("risklevelaggregated", Entra::Path("riskLevelAggregated")),
    ("riskdetail", Entra::Path("riskDetail")),
    ("devicedetail", Entra::Path("deviceDetail")),
    ("networklocationdetails", Entra::Path("networkLocationDetails")),
    ("location", Entra::Path("location")),
    ("isinteractive", Entra::Path("isInteractive")),
];

#[derive(Clone, Copy, Debug)]
enum Entra {
    Column(&'static str),
    Path(&'static str),
}

/// An Entra ID field: known by its first part (the rest is a path below it), under
/// `properties` in diagnostic settings' records, at the top in Graph's.
fn entra(field: &str, known: &[(&str, Entra)], log: &str) -> Result<Target, RuleProblem> {
    let lower = field.to_ascii_lowercase();
    let unknown = || {
        RuleProblem::Unsupported(format!(
            "the field {field} is not in Entra ID's {log} records (no place to look for it)"
        ))
    };
    if let Some((_, Entra::Column(c))) = known.iter().find(|(name, _)| *name == lower) {
        return Ok(Target::Column(c));
    }
    let lower = lower.strip_prefix("properties.").unwrap_or(&lower);
    let (head, rest) = match lower.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (lower, None),
    };
    let Some((_, Entra::Path(path))) = known.iter().find(|(name, _)| *name == head) else {
        return Err(unknown());
    };
    let below = |p: &str| match rest {
        Some(rest) => format!("{p}.{rest}"),
        None => p.to_string(),
    };
    let mut paths = Vec::new();
    for p in path.split('|') {
        paths.push(below(&format!("properties.{p}")));
        paths.push(below(p));
    }
    Ok(Target::Record(paths.join("|")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(product: &str, service: &str) -> Source {
        source(&LogSource {
            product: Some(product.into()),
            service: Some(service.into()),
            category: None,
        })
        .unwrap()
    }

    #[test]
    fn fields_written_as_columns_are_read_from_them() {
        let aws = of("aws", "cloudtrail");
        assert_eq!(target(&aws, "eventName").unwrap(), Target::Column("action"));
        assert_eq!(
            target(&aws, "requestParameters.userName").unwrap(),
            Target::Record("requestParameters.userName".into())
        );
        let gcp = of("gcp", "gcp.audit");
        assert_eq!(target(&gcp, "gcp.audit.method_name").unwrap(), Target::Column("action"));
        assert_eq!(
            target(&gcp, "data.protoPayload.authorizationInfo.permission").unwrap(),
            Target::Record("protoPayload.authorizationInfo.permission".into())
        );
        assert!(target(&gcp, "gcp.audit.nothing").is_err());
    }

    #[test]
    fn entra_fields_are_looked_for_in_both_shapes_or_refused() {
        let signin = of("azure", "signinlogs");
        assert_eq!(
            target(&signin, "DeviceDetail.isCompliant").unwrap(),
            Target::Record("properties.deviceDetail.iscompliant|deviceDetail.iscompliant".into())
        );
        assert_eq!(
            target(&signin, "ResultType").unwrap(),
            Target::Record("properties.status.errorCode|status.errorCode|properties.resultType|resultType".into())
        );
        assert!(target(&signin, "ActivityDetails").is_err());
        let audit = of("azure", "auditlogs");
        assert_eq!(target(&audit, "properties.message").unwrap(), Target::Column("action"));
        assert!(target(&audit, "ConsentContext.IsAdminConsent").is_err());
    }
}
