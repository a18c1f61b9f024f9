//! The resource a CloudTrail record acts on.
//!
//! Most CloudTrail records carry no `resources` list, so the resource is derived from the request:
//! the first rule of the record's service whose field is present names it, written as an ARN
//! where AWS's naming allows (a Lambda function name becomes its function ARN, a bucket its S3
//! ARN). A value that already is an ARN is kept as it is.

use serde_json::Value;

use crate::sources::json::text;

/// A resource and its CloudFormation-style type (`AWS::Lambda::Function`).
#[derive(Debug, PartialEq)]
pub struct Resource {
    pub arn: String,
    pub kind: Option<String>,
}

/// Facts about the call that ARNs are built from.
pub struct CallContext<'a> {
    pub record: &'a Value,
    pub region: &'a str,
    pub account: &'a str,
}

/// How one request field becomes a resource. `{r}`, `{a}` and `{v}` in `arn` stand for the
/// region, the account and the field's value.
struct Rule {
    path: &'static [&'static str],
    kind: &'static str,
    arn: &'static str,
}

/// A [`Rule`] as a literal, so that each service's table is a constant.
macro_rules! rule {
    ($path:expr, $kind:expr, $arn:expr) => {
        Rule {
            path: $path,
            kind: $kind,
            arn: $arn,
        }
    };
}

const REQ: &str = "requestParameters";
const RESP: &str = "responseElements";

/// Rules per service (`eventSource` without `.amazonaws.com`), most specific first.
fn rules(service: &str) -> &'static [Rule] {
    match service {
        "lambda" => &[
            rule!(
                &[REQ, "functionName"],
                "AWS::Lambda::Function",
                "arn:aws:lambda:{r}:{a}:function:{v}"
            ),
            rule!(
                &[REQ, "layerName"],
                "AWS::Lambda::LayerVersion",
                "arn:aws:lambda:{r}:{a}:layer:{v}"
            ),
        ],
        "iam" => &[
            rule!(&[REQ, "roleName"], "AWS::IAM::Role", "arn:aws:iam::{a}:role/{v}"),
            rule!(&[REQ, "userName"], "AWS::IAM::User", "arn:aws:iam::{a}:user/{v}"),
            rule!(&[REQ, "groupName"], "AWS::IAM::Group", "arn:aws:iam::{a}:group/{v}"),
            rule!(&[REQ, "policyArn"], "AWS::IAM::ManagedPolicy", "{v}"),
            rule!(
                &[REQ, "policyName"],
                "AWS::IAM::ManagedPolicy",
                "arn:aws:iam::{a}:policy/{v}"
            ),
            rule!(
                &[REQ, "instanceProfileName"],
                "AWS::IAM::InstanceProfile",
                "arn:aws:iam::{a}:instance-profile/{v}"
            ),
            rule!(&[REQ, "sAMLProviderArn"], "AWS::IAM::SAMLProvider", "{v}"),
            rule!(&[REQ, "openIDConnectProviderArn"], "AWS::IAM::OIDCProvider", "{v}"),
        ],
        "sts" => &[
            rule!(&[REQ, "roleArn"], "AWS::IAM::Role", "{v}"),
            rule!(
                &[REQ, "name"],
                "AWS::STS::FederatedUser",
                "arn:aws:sts::{a}:federated-user/{v}"
            ),
        ],
        "ec2" => &[
            rule!(
                &[REQ, "instanceId"],
                "AWS::EC2::Instance",
                "arn:aws:ec2:{r}:{a}:instance/{v}"
            ),
            rule!(
                &[REQ, "instancesSet", "items", "0", "instanceId"],
                "AWS::EC2::Instance",
                "arn:aws:ec2:{r}:{a}:instance/{v}"
            ),
            rule!(
                &[REQ, "snapshotId"],
                "AWS::EC2::Snapshot",
                "arn:aws:ec2:{r}::snapshot/{v}"
            ),
            rule!(&[REQ, "imageId"], "AWS::EC2::Image", "arn:aws:ec2:{r}::image/{v}"),
            rule!(
                &[REQ, "groupId"],
                "AWS::EC2::SecurityGroup",
                "arn:aws:ec2:{r}:{a}:security-group/{v}"
            ),
            rule!(&[REQ, "volumeId"], "AWS::EC2::Volume", "arn:aws:ec2:{r}:{a}:volume/{v}"),
            rule!(
                &[REQ, "networkInterfaceId"],
                "AWS::EC2::NetworkInterface",
                "arn:aws:ec2:{r}:{a}:network-interface/{v}"
            ),
            rule!(&[REQ, "subnetId"], "AWS::EC2::Subnet", "arn:aws:ec2:{r}:{a}:subnet/{v}"),
            rule!(&[REQ, "vpcId"], "AWS::EC2::VPC", "arn:aws:ec2:{r}:{a}:vpc/{v}"),
            rule!(
                &[REQ, "DeleteFlowLogsRequest", "FlowLogId", "content"],
                "AWS::EC2::FlowLog",
                "arn:aws:ec2:{r}:{a}:vpc-flow-log/{v}"
            ),
            rule!(
                &[REQ, "keyName"],
                "AWS::EC2::KeyPair",
                "arn:aws:ec2:{r}:{a}:key-pair/{v}"
            ),
            rule!(
                &[RESP, "instancesSet", "items", "0", "instanceId"],
                "AWS::EC2::Instance",
                "arn:aws:ec2:{r}:{a}:instance/{v}"
            ),
            rule!(
                &[RESP, "snapshotId"],
                "AWS::EC2::Snapshot",
                "arn:aws:ec2:{r}::snapshot/{v}"
            ),
            rule!(
                &[RESP, "groupId"],
                "AWS::EC2::SecurityGroup",
                "arn:aws:ec2:{r}:{a}:security-group/{v}"
            ),
        ],
        "secretsmanager" => &[
            rule!(&[RESP, "arn"], "AWS::SecretsManager::Secret", "{v}"),
            rule!(
                &[REQ, "secretId"],
                "AWS::SecretsManager::Secret",
                "arn:aws:secretsmanager:{r}:{a}:secret:{v}"
            ),
            rule!(
                &[REQ, "name"],
                "AWS::SecretsManager::Secret",
                "arn:aws:secretsmanager:{r}:{a}:secret:{v}"
            ),
            rule!(&["additionalEventData", "ARN"], "AWS::SecretsManager::Secret", "{v}"),
        ],
        "ssm" => &[
            rule!(
                &[REQ, "name"],
                "AWS::SSM::Parameter",
                "arn:aws:ssm:{r}:{a}:parameter/{v}"
            ),
            rule!(
                &[REQ, "names", "0"],
                "AWS::SSM::Parameter",
                "arn:aws:ssm:{r}:{a}:parameter/{v}"
            ),
            rule!(
                &[REQ, "instanceIds", "0"],
                "AWS::EC2::Instance",
                "arn:aws:ec2:{r}:{a}:instance/{v}"
            ),
            rule!(
                &[REQ, "target"],
                "AWS::EC2::Instance",
                "arn:aws:ec2:{r}:{a}:instance/{v}"
            ),
        ],
        "kms" => &[rule!(&[REQ, "keyId"], "AWS::KMS::Key", "arn:aws:kms:{r}:{a}:key/{v}")],
        "cloudtrail" => &[
            rule!(
                &[REQ, "name"],
                "AWS::CloudTrail::Trail",
                "arn:aws:cloudtrail:{r}:{a}:trail/{v}"
            ),
            rule!(
                &[REQ, "trailName"],
                "AWS::CloudTrail::Trail",
                "arn:aws:cloudtrail:{r}:{a}:trail/{v}"
            ),
        ],
        "logs" => &[rule!(
            &[REQ, "logGroupName"],
            "AWS::Logs::LogGroup",
            "arn:aws:logs:{r}:{a}:log-group:{v}"
        )],
        "rds" => &[
            rule!(
                &[REQ, "dBSnapshotIdentifier"],
                "AWS::RDS::DBSnapshot",
                "arn:aws:rds:{r}:{a}:snapshot:{v}"
            ),
            rule!(
                &[REQ, "dBClusterSnapshotIdentifier"],
                "AWS::RDS::DBClusterSnapshot",
                "arn:aws:rds:{r}:{a}:cluster-snapshot:{v}"
            ),
            rule!(
                &[REQ, "dBInstanceIdentifier"],
                "AWS::RDS::DBInstance",
                "arn:aws:rds:{r}:{a}:db:{v}"
            ),
            rule!(
                &[REQ, "dBClusterIdentifier"],
                "AWS::RDS::DBCluster",
                "arn:aws:rds:{r}:{a}:cluster:{v}"
            ),
        ],
        "dynamodb" => &[rule!(
            &[REQ, "tableName"],
            "AWS::DynamoDB::Table",
            "arn:aws:dynamodb:{r}:{a}:table/{v}"
        )],
        "sns" => &[rule!(&[REQ, "topicArn"], "AWS::SNS::Topic", "{v}")],
        "sqs" => &[rule!(&[REQ, "queueUrl"], "AWS::SQS::Queue", "{v}")],
        "ecr" => &[rule!(
            &[REQ, "repositoryName"],
            "AWS::ECR::Repository",
            "arn:aws:ecr:{r}:{a}:repository/{v}"
        )],
        "eks" => &[rule!(
            &[REQ, "name"],
            "AWS::EKS::Cluster",
            "arn:aws:eks:{r}:{a}:cluster/{v}"
        )],
        "cloudformation" => &[rule!(
            &[REQ, "stackName"],
            "AWS::CloudFormation::Stack",
            "arn:aws:cloudformation:{r}:{a}:stack/{v}"
        )],
        "guardduty" => &[rule!(
            &[REQ, "detectorId"],
            "AWS::GuardDuty::Detector",
            "arn:aws:guardduty:{r}:{a}:detector/{v}"
        )],
        "rolesanywhere" => &[
            rule!(
                &[RESP, "trustAnchor", "trustAnchorArn"],
                "AWS::RolesAnywhere::TrustAnchor",
                "{v}"
            ),
            rule!(&[RESP, "profile", "profileArn"], "AWS::RolesAnywhere::Profile", "{v}"),
        ],
        "organizations" => &[rule!(
            &[REQ, "accountId"],
            "AWS::Organizations::Account",
            "arn:aws:organizations::{a}:account/{v}"
        )],
        "route53resolver" => &[rule!(
            &[REQ, "resolverQueryLogConfigId"],
            "AWS::Route53Resolver::ResolverQueryLoggingConfig",
            "arn:aws:route53resolver:{r}:{a}:resolver-query-log-config/{v}"
        )],
        _ => &[],
    }
}

/// The main resource of a CloudTrail record, or `None` when neither the record's `resources`
/// list nor its request names one.
pub fn derive(ctx: &CallContext<'_>) -> Option<Resource> {
    let record = ctx.record;
    if let Some(found) = listed(record) {
        return Some(found);
    }
    let service = text(record, &["eventSource"]).unwrap_or_default();
    let short = service.strip_suffix(".amazonaws.com").unwrap_or(&service);
    if short == "s3"
        && let Some(found) = s3_object(record)
    {
        return Some(found);
    }
    for rule in rules(short) {
        if let Some(value) = value_at(record, rule.path) {
            return Some(Resource {
                arn: build(rule.arn, ctx, &value),
                kind: Some(rule.kind.to_string()),
            });
        }
    }
    any_arn(record)
}

/// The first ARN of the record's own `resources` list.
fn listed(record: &Value) -> Option<Resource> {
    let items = record.get("resources")?.as_array()?;
    items.iter().find_map(|item| {
        let arn = text(item, &["ARN"]).or_else(|| text(item, &["arn"]))?;
        Some(Resource {
            arn,
            kind: text(item, &["type"]),
        })
    })
}

fn s3_object(record: &Value) -> Option<Resource> {
    let bucket = text(record, &[REQ, "bucketName"])?;
    match text(record, &[REQ, "key"]) {
        Some(key) => Some(Resource {
            arn: format!("arn:aws:s3:::{bucket}/{key}"),
            kind: Some("AWS::S3::Object".into()),
        }),
        None => Some(Resource {
            arn: format!("arn:aws:s3:::{bucket}"),
            kind: Some("AWS::S3::Bucket".into()),
        }),
    }
}

/// A request field whose name ends in `Arn` and whose value is an ARN, for services without rules.
fn any_arn(record: &Value) -> Option<Resource> {
    let request = record.get(REQ)?.as_object()?;
    request.iter().find_map(|(key, value)| {
        let v = value.as_str()?;
        (key.to_ascii_lowercase().ends_with("arn") && v.starts_with("arn:")).then(|| Resource {
            arn: v.to_string(),
            kind: None,
        })
    })
}

/// The value at a path, where a numeric step indexes an array.
fn value_at(record: &Value, path: &[&str]) -> Option<String> {
    let mut v = record;
    for step in path {
        v = match step.parse::<usize>() {
            Ok(i) if v.is_array() => v.get(i)?,
            _ => v.get(step)?,
        };
    }
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn build(template: &str, ctx: &CallContext<'_>, value: &str) -> String {
    if value.starts_with("arn:") || template == "{v}" {
        return value.to_string();
    }
    // SSM parameter names are written with a leading slash that the ARN does not repeat.
    let value = if template.contains(":parameter/") {
        value.trim_start_matches('/')
    } else {
        value
    };
    // A KMS alias is its own resource kind: `arn:aws:kms:r:a:alias/name`, not `key/alias/name`.
    let template = if value.starts_with("alias/") {
        template.replace("key/{v}", "{v}")
    } else {
        template.to_string()
    };
    template
        .replace("{r}", ctx.region)
        .replace("{a}", ctx.account)
        .replace("{v}", value)
}
