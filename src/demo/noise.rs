//! Ordinary days: people, CI systems and services calling the clouds, with a normal rate of
//! refusals. Busy principals and actions dominate, as they do in real trails.

use serde_json::{Value, json};

use super::cast::*;
use super::org::Tenant;
use super::records::{
    AwsCall, AzureCall, GcpCall, assumed_role, aws_service, azure_record, cloudtrail, gcp_entry, iam_user,
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

/// One background AWS call, in `tenant`'s account when given (the organisation-scale demo;
/// the same draws are made, so the default demo stays what it was).
pub fn aws(rng: &mut Rng, time: i64, tenant: Option<&Tenant>) -> (String, Value) {
    let (account, _) = *rng.pick(&AWS_ACCOUNTS[..]);
    let account = if rng.chance(0.3) { PROD_ACCOUNT } else { account };
    let account = tenant.map_or(account, |t| t.id.as_str());
    let region = *rng.weighted(&AWS_REGIONS);
    let region = tenant.and_then(|t| t.region).unwrap_or(region);
    let kind = *rng.weighted(&[("service", 25u32), ("person", 40), ("ci", 15), ("role", 20)]);
    let (who, ip, agent, arn): (Value, String, String, String) = match kind {
        "service" => {
            let svc = *rng.pick(&AWS_SERVICES);
            (aws_service(svc), svc.to_string(), svc.to_string(), svc.to_string())
        }
        "person" => {
            // The first people in the list are the busiest.
            let (name, ip) = PEOPLE[rng.below(PEOPLE.len() as u64).min(rng.below(PEOPLE.len() as u64)) as usize];
            let role = *rng.pick(&SSO_ROLES);
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
            let role = *rng.pick(&["app-runtime", "batch-jobs", "etl-pipeline", "backup-agent"]);
            // A role runs on a few instances of its own: its sessions repeat, as real ones do.
            let session = format!(
                "i-0{:016x}",
                (role.len() as u64 * 7919 + account.as_bytes()[11] as u64) * 16 + rng.below(3)
            );
            let key = format!("ASIA{}", rng.token(super::rng::UPPER_DIGITS, 16));
            let arn = format!("arn:aws:sts::{account}:assumed-role/{role}/{session}");
            (
                assumed_role(account, role, &session, &key, time - time.rem_euclid(3_600_000_000)),
                // Workloads run on a few hosts each: their addresses repeat.
                format!("10.{}.{}.{}", account.as_bytes()[11] % 4, role.len(), 10 + rng.below(3)),
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
    let calls: &[((&str, &str, bool), u32)] = &[
        (("ec2", "DescribeInstances", true), 30),
        (("s3", "GetObject", true), 25),
        (("kms", "Decrypt", true), 14),
        (("sts", "GetCallerIdentity", true), 8),
        (("s3", "PutObject", false), 8),
        (("logs", "CreateLogStream", false), 6),
        (("sts", "AssumeRole", true), 6),
        (("ssm", "GetParameter", true), 5),
        (("cloudformation", "DescribeStacks", true), 4),
        (("dynamodb", "DescribeTable", true), 3),
        (("ec2", "CreateTags", false), 3),
        (("secretsmanager", "GetSecretValue", true), 3),
        (("iam", "GetRole", true), 2),
        (("lambda", "GetFunction20150331v2", true), 2),
        (("ec2", "RunInstances", false), 1),
        (("ec2", "TerminateInstances", false), 1),
        (("lambda", "UpdateFunctionCode20150331v2", false), 1),
        (("signin", "ConsoleLogin", false), 1),
    ];
    let (source, name, read_only) = *rng.weighted(calls);
    let request = match name {
        "DescribeInstances" => json!({"instancesSet": {}, "filterSet": {}}),
        "GetObject" | "PutObject" => {
            json!({"bucketName": bucket, "key": format!("{}/{}.json", rng.below(2026), rng.token(LOWER_DIGITS, 10))})
        }
        "Decrypt" => {
            json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": format!("arn:aws:kms:{region}:{account}:key/{}", rng.uuid())})
        }
        "CreateLogStream" => {
            json!({"logGroupName": format!("/aws/lambda/{}", rng.pick(&["api", "worker", "scheduler"])), "logStreamName": rng.uuid()})
        }
        "AssumeRole" => {
            json!({"roleArn": format!("arn:aws:iam::{account}:role/{}", rng.pick(&["app-runtime", "batch-jobs", "deploy"])), "roleSessionName": rng.token(LOWER_DIGITS, 8)})
        }
        "GetParameter" => {
            json!({"name": format!("/{}/config/{}", rng.pick(&["api", "web", "etl"]), rng.pick(&["db-host", "feature-flags", "timeout"]))})
        }
        "DescribeStacks" => json!({"stackName": rng.pick(&["network", "api", "data"]).to_string()}),
        "DescribeTable" => json!({"tableName": rng.pick(&["orders", "sessions", "customers"]).to_string()}),
        "CreateTags" | "TerminateInstances" => {
            json!({"resourcesSet": {"items": [{"resourceId": format!("i-0{}", rng.token(b"0123456789abcdef", 16))}]}, "instancesSet": {"items": [{"instanceId": format!("i-0{}", rng.token(b"0123456789abcdef", 16))}]}})
        }
        "RunInstances" => json!({"instanceType": "m6i.large", "minCount": 1, "maxCount": 1}),
        "GetSecretValue" => {
            json!({"secretId": format!("prod/{}", rng.pick(&["db-password", "api-key", "stripe-token"]))})
        }
        "GetRole" => json!({"roleName": rng.pick(&["app-runtime", "batch-jobs"]).to_string()}),
        "GetFunction20150331v2" | "UpdateFunctionCode20150331v2" => {
            json!({"functionName": rng.pick(&["api", "worker", "scheduler"]).to_string()})
        }
        "ConsoleLogin" => json!({"mfa": rng.chance(0.97)}),
        _ => Value::Null,
    };
    let denied = kind != "service" && rng.chance(0.02);
    let message = denied.then(|| aws_denied(source, name, &arn));
    let error = message.as_ref().map(|(c, m)| (*c, m.as_str()));
    let record = cloudtrail(
        rng,
        AwsCall {
            time,
            account,
            region,
            who: &who,
            source,
            name,
            read_only,
            request,
            response: Value::Null,
            error,
            ip: &ip,
            agent: &agent,
        },
    );
    (account.to_string(), record)
}

/// One background GCP call, in `tenant`'s project when given.
pub fn gcp(rng: &mut Rng, time: i64, tenant: Option<&Tenant>) -> (String, Value) {
    let project = *rng.pick(&GCP_PROJECTS);
    let project = tenant.map_or(project, |t| t.id.as_str());
    let location = *rng.pick(&GCP_REGIONS);
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
    let calls: &[((&str, &str, &str, bool), u32)] = &[
        (
            ("storage.googleapis.com", "storage.objects.get", "gcs_bucket", true),
            30,
        ),
        (
            ("storage.googleapis.com", "storage.objects.create", "gcs_bucket", false),
            10,
        ),
        (
            (
                "compute.googleapis.com",
                "v1.compute.instances.list",
                "gce_instance",
                true,
            ),
            12,
        ),
        (
            (
                "bigquery.googleapis.com",
                "google.cloud.bigquery.v2.JobService.InsertJob",
                "bigquery_dataset",
                false,
            ),
            10,
        ),
        (
            (
                "secretmanager.googleapis.com",
                "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion",
                "secretmanager.googleapis.com/Secret",
                true,
            ),
            5,
        ),
        (
            (
                "cloudfunctions.googleapis.com",
                "google.cloud.functions.v2.FunctionService.GetFunction",
                "cloud_function",
                true,
            ),
            3,
        ),
        (
            (
                "compute.googleapis.com",
                "v1.compute.instances.insert",
                "gce_instance",
                false,
            ),
            1,
        ),
        (
            (
                "cloudfunctions.googleapis.com",
                "google.cloud.functions.v2.FunctionService.UpdateFunction",
                "cloud_function",
                false,
            ),
            1,
        ),
    ];
    let (service, method, resource_type, read) = *rng.weighted(calls);
    let resource_name = match resource_type {
        "gcs_bucket" => format!(
            "projects/_/buckets/{project}-data/objects/{}.parquet",
            rng.token(LOWER_DIGITS, 8)
        ),
        "gce_instance" => format!("projects/{project}/zones/{location}-a/instances/vm-{}", rng.below(40)),
        "bigquery_dataset" => format!("projects/{project}/datasets/analytics/tables/events_{}", rng.below(30)),
        "cloud_function" => format!(
            "projects/{project}/locations/{location}/functions/{}",
            rng.pick(&["resize", "notify", "export"])
        ),
        _ => format!(
            "projects/{project}/secrets/{}/versions/latest",
            rng.pick(&["db-password", "api-key"])
        ),
    };
    let denied = rng.chance(0.015);
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
            service,
            method,
            resource_name,
            resource_type,
            location,
            read,
            denied,
            ip: &ip,
            agent,
            request: Value::Null,
            key: None,
        },
    );
    (project.to_string(), entry)
}

/// One background Azure operation: its Start and its end, as the Activity Log records both; in
/// `tenant`'s subscription when given.
pub fn azure(rng: &mut Rng, time: i64, tenant: Option<&Tenant>) -> (String, Vec<Value>) {
    let subscription = *rng.pick(&AZURE_SUBSCRIPTIONS);
    let subscription = tenant.map_or(subscription, |t| t.id.as_str());
    let location = *rng.pick(&AZURE_LOCATIONS);
    let operations: &[((&str, &str), u32)] = &[
        (
            (
                "Microsoft.Compute/virtualMachines/start/action",
                "RESOURCEGROUPS/APP/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM-",
            ),
            20,
        ),
        (
            (
                "Microsoft.Compute/virtualMachines/deallocate/action",
                "RESOURCEGROUPS/APP/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM-",
            ),
            15,
        ),
        (
            (
                "Microsoft.Storage/storageAccounts/listKeys/action",
                "RESOURCEGROUPS/DATA/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/ACMEDATA",
            ),
            20,
        ),
        (
            (
                "Microsoft.Resources/deployments/write",
                "RESOURCEGROUPS/APP/PROVIDERS/MICROSOFT.RESOURCES/DEPLOYMENTS/RELEASE-",
            ),
            15,
        ),
        (
            (
                "Microsoft.Network/networkInterfaces/write",
                "RESOURCEGROUPS/NET/PROVIDERS/MICROSOFT.NETWORK/NETWORKINTERFACES/NIC-",
            ),
            8,
        ),
        (
            (
                "Microsoft.Web/sites/write",
                "RESOURCEGROUPS/WEB/PROVIDERS/MICROSOFT.WEB/SITES/PORTAL-",
            ),
            3,
        ),
        (
            (
                "Microsoft.KeyVault/vaults/write",
                "RESOURCEGROUPS/SEC/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-",
            ),
            1,
        ),
    ];
    let (operation, path) = *rng.weighted(operations);
    let resource = format!("{path}{}", rng.below(12));
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
    let mut records = Vec::with_capacity(2);
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
                operation,
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
    (subscription.to_string(), records)
}
