//! Ordinary days: people, CI systems, workloads and services calling the clouds, with a normal
//! rate of refusals. Busy principals and actions dominate, as they do in real trails: what each
//! kind of principal calls is drawn from its own table in [`super::catalog`], with a long tail.

use serde_json::{Value, json};

use super::cast::*;
use super::catalog::{self, Access, Api, GcpKind};
use super::org::Tenant;
use super::records::{
    AwsCall, AzureCall, GcpCall, GcpStatus, assumed_role, aws_service, azure_record, cloudtrail, gcp_entry, iam_user,
};
use super::rng::{LOWER_DIGITS, Rng};

/// What a refused call's error looks like, per AWS service.
fn aws_denied(source: &str, name: &str, caller: &str) -> (&'static str, String) {
    if source == "ec2" {
        (
            "Client.UnauthorizedOperation",
            "You are not authorized to perform this operation.".into(),
        )
    } else {
        (
            "AccessDenied",
            format!("User: {caller} is not authorized to perform: {source}:{name}"),
        )
    }
}

/// The errors a call fails with that are not refusals: a bucket without the configuration asked
/// for (the console asks for every one), an object that is not there. The share of such calls.
fn aws_absent(source: &str, name: &str) -> Option<(&'static str, &'static str, f64)> {
    if source == "signin" {
        // A mistyped password: the sign-in answers `Failure`, with no error code.
        return Some(("Failed authentication", "Failed authentication", 0.03));
    }
    if source != "s3" {
        return None;
    }
    Some(match name {
        "GetBucketPolicy" => ("NoSuchBucketPolicy", "The bucket policy does not exist", 0.45),
        "GetBucketTagging" => ("NoSuchTagSet", "The TagSet does not exist", 0.3),
        "GetBucketEncryption" => (
            "ServerSideEncryptionConfigurationNotFoundError",
            "The server side encryption configuration was not found",
            0.05,
        ),
        "GetBucketCors" => ("NoSuchCORSConfiguration", "The CORS configuration does not exist", 0.8),
        "GetBucketWebsite" => (
            "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration",
            0.9,
        ),
        "GetBucketLifecycle" => (
            "NoSuchLifecycleConfiguration",
            "The lifecycle configuration does not exist",
            0.4,
        ),
        "GetBucketReplication" => (
            "ReplicationConfigurationNotFoundError",
            "The replication configuration was not found",
            0.85,
        ),
        "GetBucketObjectLockConfiguration" => (
            "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket",
            0.9,
        ),
        "GetObject" | "HeadObject" | "GetObjectTagging" => ("NoSuchKey", "The specified key does not exist.", 0.015),
        _ => return None,
    })
}

const FUNCTIONS: [&str; 6] = [
    "api",
    "worker",
    "scheduler",
    "thumbnailer",
    "webhook-relay",
    "report-builder",
];
const STACKS: [&str; 6] = ["network", "api", "data", "iam-baseline", "observability", "edge"];
const TABLES: [&str; 4] = ["orders", "sessions", "customers", "ledger-events"];
const QUEUES: [&str; 4] = ["orders-in", "emails", "thumbnails", "dead-letter"];
const TOPICS: [&str; 3] = ["alerts", "order-events", "deploys"];
const REPOSITORIES: [&str; 4] = ["api", "worker", "web", "base-images"];
const LOG_GROUPS: [&str; 5] = [
    "/aws/lambda/api",
    "/aws/lambda/worker",
    "/aws/lambda/scheduler",
    "/ecs/web",
    "/aws/eks/prod/cluster",
];
const PARAMETERS: [&str; 6] = [
    "/api/config/db-host",
    "/api/config/feature-flags",
    "/web/config/timeout",
    "/etl/config/batch-size",
    "/shared/ami/latest",
    "/api/config/rate-limit",
];
const SECRETS: [&str; 4] = ["prod/db-password", "prod/api-key", "prod/stripe-token", "prod/smtp"];
/// A few customer-managed keys per account, the same everywhere (their ids are made up).
const KEYS: [&str; 4] = [
    "1a2b3c4d-5e6f-4a70-8b91-c2d3e4f5a6b7",
    "2b3c4d5e-6f7a-4b81-9c02-d3e4f5a6b7c8",
    "3c4d5e6f-7a8b-4c92-8d13-e4f5a6b7c8d9",
    "4d5e6f7a-8b9c-4da3-9e24-f5a6b7c8d9e0",
];

fn hex_id(rng: &mut Rng, n: usize) -> String {
    rng.token(b"0123456789abcdef", n)
}

/// An instance of `account`: each account runs a few dozen, whose ids stay the same all month.
fn instance(rng: &mut Rng, account: &str) -> String {
    format!(
        "i-0{:016x}",
        (account.as_bytes()[10] as u64 * 131 + account.as_bytes()[11] as u64) * 64 + rng.below(40)
    )
}

/// The request of a background management call, shaped as CloudTrail records that call's
/// parameters (enough for the resource it acts on to be found, as in real records).
fn aws_request(rng: &mut Rng, api: &Api, account: &str, region: &str, bucket: &str) -> Value {
    let name = api.name;
    match api.source {
        "ec2" => match name {
            "DescribeInstances" => json!({"instancesSet": {}, "filterSet": {}}),
            "RunInstances" => json!({"instanceType": *rng.pick(&["m6i.large", "t3.medium", "c7g.xlarge"]),
                "instancesSet": {"items": [{"imageId": format!("ami-0{}", hex_id(rng, 16)), "minCount": 1, "maxCount": 1}]}}),
            "StartInstances"
            | "StopInstances"
            | "RebootInstances"
            | "TerminateInstances"
            | "DescribeInstanceStatus" => {
                json!({"instancesSet": {"items": [{"instanceId": instance(rng, account)}]}})
            }
            "ModifyInstanceAttribute" | "CreateImage" => json!({"instanceId": instance(rng, account)}),
            "CreateTags" | "DescribeTags" => {
                json!({"resourcesSet": {"items": [{"resourceId": instance(rng, account)}]}, "tagSet": {}})
            }
            "CreateSnapshot" | "AttachVolume" => {
                json!({"volumeId": format!("vol-0{:016x}", account.as_bytes()[11] as u64 * 97 + rng.below(30))})
            }
            "DeleteSnapshot" => json!({"snapshotId": format!("snap-0{}", hex_id(rng, 16))}),
            "DeregisterImage" => json!({"imageId": format!("ami-0{}", hex_id(rng, 16))}),
            "AuthorizeSecurityGroupIngress" | "RevokeSecurityGroupIngress" => json!({
                "groupId": format!("sg-0{:016x}", account.as_bytes()[11] as u64 * 13 + rng.below(6)),
                "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                    "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}}]}}),
            "CreateSecurityGroup" => json!({"groupName": format!("app-{}", rng.token(LOWER_DIGITS, 6)),
                "groupDescription": "application tier", "vpcId": format!("vpc-0{:016x}", account.as_bytes()[11] as u64)}),
            "CreateNetworkInterface" | "DescribeNetworkInterfaces" => {
                json!({"subnetId": format!("subnet-0{:016x}", account.as_bytes()[11] as u64 * 7 + rng.below(3))})
            }
            "CreateVolume" => json!({"size": 100, "zone": format!("{region}a"), "volumeType": "gp3"}),
            _ => Value::Null,
        },
        "s3" => match name {
            "ListBuckets" => json!({"Host": format!("s3.{region}.amazonaws.com")}),
            _ => {
                // The bucket's sub-resource the call reads or writes, as the request's query names it.
                let part = name
                    .trim_start_matches("Get")
                    .trim_start_matches("Put")
                    .trim_start_matches("Bucket");
                let part = match part {
                    "ObjectLockConfiguration" => "object-lock".to_string(),
                    "AccelerateConfiguration" => "accelerate".to_string(),
                    "CreateBucket" | "DeleteBucket" | "" => String::new(),
                    p => {
                        let mut p = p.to_string();
                        p[..1].make_ascii_lowercase();
                        p
                    }
                };
                let mut request = json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com")});
                if !part.is_empty() {
                    request[part] = "".into();
                }
                match name {
                    "PutBucketPolicy" => {
                        request["bucketPolicy"] = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                            "Principal": {"AWS": format!("arn:aws:iam::{account}:role/app-runtime")},
                            "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}]})
                    }
                    "PutBucketPublicAccessBlock" => {
                        request["PublicAccessBlockConfiguration"] = json!({"BlockPublicAcls": true, "IgnorePublicAcls": true,
                            "BlockPublicPolicy": true, "RestrictPublicBuckets": true})
                    }
                    _ => {}
                }
                request
            }
        },
        "iam" => {
            if name.contains("Role") {
                json!({"roleName": *rng.pick(&WORKLOAD_ROLES)})
            } else if name == "GetPolicyVersion" || name == "CreatePolicyVersion" {
                json!({"policyArn": format!("arn:aws:iam::{account}:policy/{}", rng.pick(&["app-s3-access", "deploy-boundary", "read-secrets"])),
                       "versionId": format!("v{}", 1 + rng.below(5))})
            } else if name == "AttachRolePolicy" {
                json!({"roleName": *rng.pick(&WORKLOAD_ROLES), "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
            } else {
                Value::Null
            }
        }
        "lambda" => match name {
            "ListFunctions20150331" => json!({"functionVersion": "ALL"}),
            "ListEventSourceMappings20150331" => Value::Null,
            _ => json!({"functionName": *rng.pick(&FUNCTIONS)}),
        },
        "kms" => match name {
            "ListAliases" | "ListKeys" | "CreateKey" => Value::Null,
            "Decrypt" | "Encrypt" | "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" => json!({
                "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                "keyId": format!("arn:aws:kms:{region}:{account}:key/{}", rng.pick(&KEYS))}),
            _ => json!({"keyId": *rng.pick(&KEYS)}),
        },
        "logs" => match name {
            "DescribeLogGroups" | "DescribeMetricFilters" => Value::Null,
            "CreateLogStream" => json!({"logGroupName": *rng.pick(&LOG_GROUPS), "logStreamName": rng.uuid()}),
            _ => json!({"logGroupName": *rng.pick(&LOG_GROUPS)}),
        },
        "cloudformation" => match name {
            "ListStacks" | "ValidateTemplate" => Value::Null,
            _ => json!({"stackName": *rng.pick(&STACKS)}),
        },
        "dynamodb" => match name {
            "ListTables" | "ListBackups" => Value::Null,
            _ => json!({"tableName": *rng.pick(&TABLES)}),
        },
        "secretsmanager" => match name {
            "ListSecrets" => Value::Null,
            "CreateSecret" => json!({"name": format!("prod/{}", rng.token(LOWER_DIGITS, 8))}),
            _ => json!({"secretId": *rng.pick(&SECRETS)}),
        },
        "ssm" => match name {
            "GetParameter" => json!({"name": *rng.pick(&PARAMETERS), "withDecryption": true}),
            "PutParameter" => json!({"name": *rng.pick(&PARAMETERS), "type": "String", "overwrite": true}),
            "GetParameters" => {
                json!({"names": [*rng.pick(&PARAMETERS), *rng.pick(&PARAMETERS)], "withDecryption": true})
            }
            "GetParametersByPath" => {
                json!({"path": *rng.pick(&["/api/config", "/web/config", "/etl/config"]), "recursive": true})
            }
            "StartSession" => json!({"target": instance(rng, account)}),
            "SendCommand" => json!({"instanceIds": [instance(rng, account)], "documentName": "AWS-RunShellScript"}),
            "UpdateInstanceInformation" => json!({"instanceId": instance(rng, account), "agentVersion": "3.3.551.0"}),
            _ => Value::Null,
        },
        "sns" => match name {
            "ListTopics" => Value::Null,
            _ => json!({"topicArn": format!("arn:aws:sns:{region}:{account}:{}", rng.pick(&TOPICS))}),
        },
        "sqs" => match name {
            "ListQueues" | "CreateQueue" => Value::Null,
            _ => json!({"queueUrl": format!("https://sqs.{region}.amazonaws.com/{account}/{}", rng.pick(&QUEUES))}),
        },
        "ecr" => match name {
            "GetAuthorizationToken" | "DescribeRepositories" => Value::Null,
            _ => json!({"repositoryName": *rng.pick(&REPOSITORIES), "registryId": account}),
        },
        "eks" => match name {
            "ListClusters" => Value::Null,
            _ => json!({"name": *rng.pick(&["prod", "staging"])}),
        },
        "ecs" => match name {
            "ListClusters" | "ListTaskDefinitions" => Value::Null,
            _ => json!({"cluster": *rng.pick(&["prod", "staging"]), "services": [*rng.pick(&REPOSITORIES)]}),
        },
        "rds" => match name {
            "DescribeDBInstances" | "RebootDBInstance" | "ModifyDBInstance" | "CreateDBSnapshot" => {
                json!({"dBInstanceIdentifier": *rng.pick(&["payments-db", "orders-db", "analytics-db"])})
            }
            "CreateDBClusterSnapshot" => json!({"dBClusterIdentifier": "ledger-aurora",
                "dBClusterSnapshotIdentifier": format!("ledger-aurora-{}", rng.token(LOWER_DIGITS, 8))}),
            _ => Value::Null,
        },
        "cloudtrail" => match name {
            "GetTrailStatus" | "GetEventSelectors" => {
                json!({"name": format!("arn:aws:cloudtrail:us-east-1:{PROD_ACCOUNT}:trail/org-trail")})
            }
            _ => Value::Null,
        },
        "sts" => match name {
            "AssumeRole" => json!({"roleArn": format!("arn:aws:iam::{account}:role/{}", rng.pick(&WORKLOAD_ROLES)),
                                   "roleSessionName": rng.token(LOWER_DIGITS, 8)}),
            _ => Value::Null,
        },
        "organizations" => match name {
            "DescribeAccount" => json!({"accountId": *rng.pick(&AWS_ACCOUNTS.map(|(a, _)| a))}),
            _ => Value::Null,
        },
        "route53" => match name {
            "ListHostedZones" => Value::Null,
            _ => json!({"hostedZoneId": format!("Z0{:012X}", account.as_bytes()[11] as u64 * 7919)}),
        },
        "signin" => json!({"mfa": rng.chance(0.97)}),
        _ => Value::Null,
    }
}

/// An S3 data event's or a Lambda invocation's request.
fn data_request(rng: &mut Rng, api: &Api, account: &str, region: &str, bucket: &str) -> Value {
    if api.source == "lambda" {
        return json!({"functionName": format!("arn:aws:lambda:{region}:{account}:function:{}", rng.pick(&FUNCTIONS)),
                      "invocationType": "RequestResponse"});
    }
    let host = format!("{bucket}.s3.{region}.amazonaws.com");
    let prefix = *rng.pick(&["exports", "uploads", "reports", "archive", "tmp"]);
    match api.name {
        "ListObjects" => {
            json!({"bucketName": bucket, "Host": host, "list-type": "2", "prefix": format!("{prefix}/"), "delimiter": "/"})
        }
        "DeleteObjects" => json!({"bucketName": bucket, "Host": host, "delete": ""}),
        name => {
            let key = format!("{prefix}/{}/{}.json", 2026 - rng.below(3), rng.token(LOWER_DIGITS, 10));
            let mut request = json!({"bucketName": bucket, "Host": host, "key": key});
            match name {
                "UploadPart" => {
                    request["partNumber"] = (1 + rng.below(20)).into();
                    request["uploadId"] = rng.token(LOWER_DIGITS, 32).into();
                }
                "GetObjectTagging" | "PutObjectTagging" => request["tagging"] = "".into(),
                "GetObjectAcl" => request["acl"] = "".into(),
                "CreateMultipartUpload" => request["uploads"] = "".into(),
                _ => {}
            }
            request
        }
    }
}

/// One background AWS call, in `tenant`'s account when given (the organisation-scale demo;
/// the same draws are made, so the default demo stays what it was).
pub fn aws(rng: &mut Rng, time: i64, tenant: Option<&Tenant>) -> (String, Value) {
    let (account, _) = *rng.pick(&AWS_ACCOUNTS[..]);
    let account = if rng.chance(0.3) { PROD_ACCOUNT } else { account };
    let account = tenant.map_or(account, |t| t.id.as_str());
    let region = *rng.weighted(&AWS_REGIONS);
    let region = tenant.and_then(|t| t.region).unwrap_or(region);
    // Workloads make most calls (and most data events); people, CI and AWS services the rest.
    let kind = *rng.weighted(&[("service", 14u32), ("person", 24), ("ci", 12), ("role", 50)]);
    // Data events (with data event logging on, most of a trail's volume): workloads read and
    // write objects all day, CI uploads artifacts, people now and then.
    let data = rng.chance(match kind {
        "role" => 0.78,
        "ci" => 0.4,
        "person" => 0.1,
        _ => 0.0,
    });
    let api = if data {
        catalog::DATA.draw(rng)
    } else {
        match kind {
            "service" => catalog::SERVICE.draw(rng),
            "person" => catalog::PERSON.draw(rng),
            "ci" => catalog::CI.draw(rng),
            _ => catalog::WORKLOAD.draw(rng),
        }
    };
    // A change tried with a read-only role, which is refused.
    let mut read_only_role = false;
    let (who, ip, agent, arn): (Value, String, String, String) = match kind {
        "service" => {
            let svc = *rng.pick(&AWS_SERVICES);
            (aws_service(svc), svc.to_string(), svc.to_string(), svc.to_string())
        }
        "person" => {
            // The first people in the list are the busiest.
            let (name, ip) = PEOPLE[rng.below(PEOPLE.len() as u64).min(rng.below(PEOPLE.len() as u64)) as usize];
            // Changes are made with the roles that may make them (IAM's and the organisation's
            // with Administrator, others with Administrator or PowerUser); now and then someone
            // tries one with ReadOnly.
            let role = if api.read || api.name == "ConsoleLogin" {
                *rng.pick(&SSO_ROLES)
            } else if rng.chance(0.05) {
                read_only_role = true;
                SSO_ROLES[2]
            } else if matches!(api.source, "iam" | "organizations") {
                SSO_ROLES[0]
            } else {
                SSO_ROLES[rng.below(2) as usize]
            };
            let session = format!("{name}@acme.example");
            let key = format!("ASIA{}", rng.token(super::rng::UPPER_DIGITS, 16));
            let arn = format!("arn:aws:sts::{account}:assumed-role/{role}/{session}");
            (
                assumed_role(account, role, &session, &key, time - time.rem_euclid(3_600_000_000)),
                ip.to_string(),
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15".into(),
                arn,
            )
        }
        "ci" => {
            let ci_ip = *rng.pick(&CI_IPS);
            (
                iam_user(CI_ACCOUNT, CI_USER, CI_KEY),
                ci_ip.to_string(),
                CI_AGENT.to_string(),
                format!("arn:aws:iam::{CI_ACCOUNT}:user/{CI_USER}"),
            )
        }
        _ => {
            let at = rng.below(WORKLOAD_ROLES.len() as u64);
            let role = WORKLOAD_ROLES[at as usize];
            // A role runs on a few instances of its own: its sessions repeat, as real ones do.
            let session = format!(
                "i-0{:016x}",
                ((at + 1) * 7919 + account.as_bytes()[11] as u64) * 16 + rng.below(3)
            );
            let key = format!("ASIA{}", rng.token(super::rng::UPPER_DIGITS, 16));
            let arn = format!("arn:aws:sts::{account}:assumed-role/{role}/{session}");
            (
                assumed_role(account, role, &session, &key, time - time.rem_euclid(3_600_000_000)),
                // Workloads run on a few hosts each: their addresses repeat.
                format!("10.{}.{}.{}", account.as_bytes()[11] % 4, 10 + at, 10 + rng.below(3)),
                "aws-sdk-java/2.25.11 Linux/5.10".into(),
                arn,
            )
        }
    };
    let account = if kind == "ci" { CI_ACCOUNT } else { account };
    let bucket = format!(
        "acme-{}-{}",
        rng.pick(&["assets", "reports", "backups", "logs", "uploads"]),
        &account[..4]
    );
    let request = if data {
        data_request(rng, api, account, region, &bucket)
    } else {
        aws_request(rng, api, account, region, &bucket)
    };
    // Refusals: people try what their role may not do more often than workloads.
    let refused = read_only_role
        || rng.chance(match kind {
            "person" => 0.015,
            "ci" => 0.012,
            "role" => 0.004,
            _ => 0.0,
        });
    let absent = aws_absent(api.source, api.name).filter(|(_, _, p)| rng.chance(*p));
    let message = if refused {
        Some(aws_denied(api.source, api.name, &arn))
    } else {
        absent.map(|(code, message, _)| (code, message.to_string()))
    };
    let error = message.as_ref().map(|(c, m)| (*c, m.as_str()));
    let record = cloudtrail(
        rng,
        AwsCall {
            time,
            account,
            region,
            who: &who,
            source: api.source,
            name: api.name,
            read_only: api.read,
            data,
            request,
            response: Value::Null,
            error,
            ip: &ip,
            agent: &agent,
        },
    );
    (account.to_string(), record)
}

/// The `resourceName` of a GCP call on `kind` in `project`.
fn gcp_resource(rng: &mut Rng, kind: GcpKind, project: &str, location: &str) -> String {
    use GcpKind::*;
    match kind {
        Object => format!(
            "projects/_/buckets/{project}-{}/objects/{}/{}.parquet",
            rng.pick(&["data", "exports", "models"]),
            rng.pick(&["raw", "curated", "tmp"]),
            rng.token(LOWER_DIGITS, 8)
        ),
        Bucket => format!(
            "projects/_/buckets/{project}-{}",
            rng.pick(&["data", "exports", "models"])
        ),
        Instance => format!("projects/{project}/zones/{location}-a/instances/vm-{}", rng.below(40)),
        Disk => format!("projects/{project}/zones/{location}-a/disks/vm-{}", rng.below(40)),
        Snapshot => format!(
            "projects/{project}/global/snapshots/vm-{}-{}",
            rng.below(40),
            rng.token(LOWER_DIGITS, 6)
        ),
        Image => format!("projects/{project}/global/images/base-{}", 20260900 + rng.below(30)),
        Firewall => format!(
            "projects/{project}/global/firewalls/{}",
            rng.pick(&["allow-health-checks", "allow-iap-ssh", "allow-internal"])
        ),
        Network => format!("projects/{project}/global/networks/default"),
        Subnetwork => format!("projects/{project}/regions/{location}/subnetworks/default"),
        Zone => format!("projects/{project}/zones/{location}-a"),
        Project => format!("projects/{project}"),
        ServiceAccount => format!("projects/-/serviceAccounts/{}", rng.pick(&GCP_SERVICE_ACCOUNTS)),
        Role => format!("projects/{project}/roles/{}", rng.pick(&["deployer", "dataReader"])),
        Function => format!(
            "projects/{project}/locations/{location}/functions/{}",
            rng.pick(&["resize", "notify", "export"])
        ),
        RunService => format!(
            "namespaces/{project}/services/{}",
            rng.pick(&["checkout-api", "pricing", "web"])
        ),
        Dataset => format!(
            "projects/{project}/datasets/{}",
            rng.pick(&["analytics", "finance", "staging"])
        ),
        Table => format!("projects/{project}/datasets/analytics/tables/events_{}", rng.below(30)),
        BqJob => format!("projects/{project}/jobs/bquxjob_{}", rng.token(LOWER_DIGITS, 12)),
        SqlInstance => format!(
            "projects/{project}/instances/{}",
            rng.pick(&["orders-pg", "reporting-mysql"])
        ),
        Topic => format!(
            "projects/{project}/topics/{}",
            rng.pick(&["events", "notifications", "audit"])
        ),
        Subscription => format!(
            "projects/{project}/subscriptions/{}",
            rng.pick(&["events-etl", "notifications-push"])
        ),
        Secret => format!(
            "projects/{project}/secrets/{}/versions/latest",
            rng.pick(&["db-password", "api-key", "webhook-signing"])
        ),
        Cluster => format!(
            "projects/{project}/locations/{location}/clusters/{}",
            rng.pick(&["prod", "batch"])
        ),
        K8s => format!(
            "core/v1/namespaces/{}/configmaps/{}",
            rng.pick(&["default", "payments", "kube-system"]),
            rng.pick(&["app-config", "feature-flags"])
        ),
        Sink => format!("projects/{project}/sinks/audit-to-gcs"),
        CryptoKey => format!(
            "projects/{project}/locations/global/keyRings/app/cryptoKeys/{}",
            rng.pick(&["data", "tokens"])
        ),
        Build => format!("projects/{project}/builds/{}", rng.uuid()),
        Repository => format!("projects/{project}/locations/{location}/repositories/containers"),
        ManagedZone => format!("projects/{project}/managedZones/acme-internal"),
        AlertPolicy => format!("projects/{project}/alertPolicies/{}", 1000 + rng.below(20)),
        Service => format!(
            "projects/{project}/services/{}",
            rng.pick(&["run.googleapis.com", "aiplatform.googleapis.com"])
        ),
    }
}

/// One background GCP call, in `tenant`'s project when given.
pub fn gcp(rng: &mut Rng, time: i64, tenant: Option<&Tenant>) -> (String, Value) {
    let project = *rng.pick(&GCP_PROJECTS);
    let project = tenant.map_or(project, |t| t.id.as_str());
    let location = *rng.pick(&GCP_REGIONS);
    // Now and then Google restarts or moves an instance itself (the system event log).
    if rng.chance(0.004) {
        let method = *rng.pick(&catalog::GCP_SYSTEM);
        let entry = gcp_entry(
            rng,
            GcpCall {
                time,
                project,
                principal: "system@google.com",
                service: "compute.googleapis.com",
                method,
                resource_name: format!(
                    "projects/{project}/zones/{location}-a/instances/vm-{}",
                    time.rem_euclid(40)
                ),
                resource_type: "gce_instance",
                location,
                access: Access::System,
                permission: "",
                status: GcpStatus::Ok,
                ip: "",
                agent: "",
                request: Value::Null,
                key: None,
            },
        );
        return (project.to_string(), entry);
    }
    let (principal, ip) = if rng.chance(0.6) {
        let sa = *rng.pick(&GCP_SERVICE_ACCOUNTS);
        (
            sa.to_string(),
            if sa == GCP_DEPLOYER {
                rng.pick(&CI_IPS).to_string()
            } else {
                format!("10.128.{}.{}", sa.len() % 16, 20 + rng.below(3))
            },
        )
    } else {
        let (name, ip) = *rng.pick(&PEOPLE);
        (format!("{name}@acme.example"), ip.to_string())
    };
    let call = catalog::GCP.draw(rng);
    let resource_name = gcp_resource(rng, call.kind, project, location);
    let status = if rng.chance(0.015) {
        GcpStatus::Denied
    } else if matches!(call.access, Access::AdminRead | Access::DataRead) && rng.chance(0.005) {
        GcpStatus::NotFound
    } else {
        GcpStatus::Ok
    };
    let agent = if principal.ends_with("gserviceaccount.com") {
        "google-api-go-client/0.5 gl-go/1.22"
    } else {
        "google-cloud-sdk gcloud/480.0.0"
    };
    let entry = gcp_entry(
        rng,
        GcpCall {
            time,
            project,
            principal: &principal,
            service: call.service,
            method: call.method,
            resource_name,
            resource_type: call.kind.resource_type(),
            location,
            access: call.access,
            permission: call.permission,
            status,
            ip: &ip,
            agent,
            request: Value::Null,
            key: None,
        },
    );
    (project.to_string(), entry)
}

/// One background Azure operation: its Start and its end, as the Activity Log records both (and,
/// for some writes, Azure Policy's audit of them); in `tenant`'s subscription when given.
pub fn azure(rng: &mut Rng, time: i64, tenant: Option<&Tenant>) -> (String, Vec<Value>) {
    let subscription = *rng.pick(&AZURE_SUBSCRIPTIONS);
    let subscription = tenant.map_or(subscription, |t| t.id.as_str());
    let location = *rng.pick(&AZURE_LOCATIONS);
    let operation = catalog::AZURE.draw(rng);
    let resource = format!("{}{}", operation.resource, rng.below(12));
    let (upn, app) = if rng.chance(0.5) {
        (Some(format!("{}@acme.example", rng.pick(&PEOPLE).0)), None)
    } else {
        (None, Some(*rng.pick(&AZURE_APPS)))
    };
    // People work from the office; each app runs from a few addresses of its own.
    let ip = match app {
        None => rng.pick(&PEOPLE).1.to_string(),
        Some(app) => format!("20.{}.{}.{}", app.as_bytes()[0], app.as_bytes()[1], 10 + rng.below(3)),
    };
    let correlation = rng.uuid();
    let failed = rng.chance(0.02);
    let audited = operation.name.ends_with("/write") && rng.chance(0.15);
    let mut records = Vec::with_capacity(2 + audited as usize);
    for (offset, result, signature) in [
        (0, "Start", "Started."),
        (
            1_500_000,
            if failed { "Failure" } else { "Success" },
            if failed { "Forbidden" } else { "Succeeded.OK" },
        ),
    ] {
        records.push(azure_record(
            rng,
            AzureCall {
                time: time + offset,
                subscription,
                resource: resource.clone(),
                operation: operation.name,
                category: "Administrative",
                result,
                signature,
                caller_upn: upn.as_deref(),
                caller_app: app,
                ip: &ip,
                location,
                correlation: correlation.clone(),
            },
        ));
    }
    if audited && !failed {
        records.push(azure_record(
            rng,
            AzureCall {
                time: time + 1_000_000,
                subscription,
                resource,
                operation: "Microsoft.Authorization/policies/audit/action",
                category: "Policy",
                result: "Success",
                signature: "Succeeded",
                caller_upn: upn.as_deref(),
                caller_app: app,
                ip: &ip,
                location,
                correlation,
            },
        ));
    }
    (subscription.to_string(), records)
}
