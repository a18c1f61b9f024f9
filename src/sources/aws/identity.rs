//! Who made a CloudTrail call, canonicalised so that one caller has one `principal` whichever
//! fields a record happens to carry.

use serde_json::Value;

use super::resource::Resource;
use crate::sources::json::text;

#[derive(Debug, Default, PartialEq)]
pub struct Identity {
    pub principal: String,
    pub principal_type: Option<String>,
    pub session_issuer: Option<String>,
    pub source_identity: Option<String>,
    pub access_key_id: Option<String>,
}

/// The caller of a CloudTrail record.
///
/// - IAM users, roles sessions and federated users: their ARN; when a record leaves it out (sign-in
///   events such as `CheckMfa`), it is rebuilt from the account and user name.
/// - Root: `arn:aws:iam::ACCOUNT:root`.
/// - AWS services (`type: AWSService`, or an `invokedBy` with no type): the service's name,
///   e.g. `rds.amazonaws.com`.
/// - Another account (`AWSAccount`): `ACCOUNT:PRINCIPALID`.
/// - Web identity, SAML and Identity Center users: their user name, else their principal id.
pub fn identify(r: &Value, tenant: &str) -> Identity {
    let ui = r.get("userIdentity").unwrap_or(&Value::Null);
    let field = |k: &str| text(ui, &[k]);
    let kind = field("type");
    let account = field("accountId").unwrap_or_else(|| tenant.to_string());
    let invoked_by = field("invokedBy");
    let (principal, principal_type) = match (kind.as_deref(), field("arn")) {
        (Some("AWSService"), _) | (None, _) if invoked_by.is_some() => {
            (invoked_by.clone().unwrap_or_default(), Some("AWSService".to_string()))
        }
        (_, Some(arn)) => (arn, kind.clone()),
        (Some("Root"), None) => (format!("arn:aws:iam::{account}:root"), kind.clone()),
        (Some("IAMUser"), None) if field("userName").is_some() => (
            format!("arn:aws:iam::{account}:user/{}", field("userName").unwrap_or_default()),
            kind.clone(),
        ),
        (Some("AWSAccount"), None) => (
            format!("{account}:{}", field("principalId").unwrap_or_default()),
            kind.clone(),
        ),
        (_, None) => (
            field("userName")
                .or_else(|| text(ui, &["onBehalfOf", "userId"]))
                .or_else(|| field("principalId"))
                .unwrap_or_else(|| "unknown".to_string()),
            kind.clone(),
        ),
    };
    let session = |path: &[&str]| {
        let mut full = vec!["sessionContext"];
        full.extend_from_slice(path);
        text(ui, &full)
    };
    Identity {
        principal,
        principal_type,
        session_issuer: session(&["sessionIssuer", "arn"]),
        source_identity: session(&["sourceIdentity"]),
        access_key_id: field("accessKeyId"),
    }
}

/// IAM calls on one's own user (`CreateAccessKey` without `userName`, `ChangePassword`, MFA
/// set-up) act on the caller: the caller is the resource.
pub fn self_service(r: &Value, who: &Identity) -> Option<Resource> {
    let iam = text(r, &["eventSource"]).as_deref() == Some("iam.amazonaws.com");
    (iam && who.principal_type.as_deref() == Some("IAMUser")).then(|| Resource {
        arn: who.principal.clone(),
        kind: Some("AWS::IAM::User".into()),
    })
}
