//! The planted incident, on the last evening of the demo: a CI access key leaks and is used from
//! an unfamiliar address; the intruder enumerates, assumes a role into production, creates a user
//! and a key for persistence, deploys and opens up a Lambda function, reads secrets in a burst,
//! shares a snapshot with an outside account and tries to stop CloudTrail. In GCP, the CI service
//! account deploys and opens up a Cloud Function. In Entra ID, the directory admin's account signs
//! in from the same address with a password alone, consents to an app nobody registered and adds a
//! password credential to it; in Azure, the CI pipeline's app makes that app Owner of the payments
//! subscription, and the app signs in with its new credential and lists the payments storage
//! account's keys.

use serde_json::{Value, json};

use super::cast::*;
use super::catalog::Access;
use super::entra::{self, AppSignIn, Audit, Initiator, UserSignIn, modified, target};
use super::records::{
    AwsCall, AzureCall, GcpCall, GcpStatus, assumed_role, azure_record, cloudtrail, gcp_entry, iam_user,
};
use super::rng::Rng;
use crate::sources::Cloud;

const MINUTE: i64 = 60_000_000;

/// The role the stolen key assumes in production, and the session it gets.
pub const ROLE: &str = "DeployAdmin";
pub const SESSION: &str = "ci-deployer-8841";
pub const BACKDOOR_USER: &str = "svc-backup-sync";
pub const OUTSIDE_ACCOUNT: &str = "999900001111";
/// The payments storage account whose keys the unknown app lists once it is Owner.
pub const PAYMENTS_STORAGE: &str = "acmepaymentsdata";

/// The incident's records, starting at `start` (UTC microseconds).
pub fn records(rng: &mut Rng, start: i64) -> Vec<(Cloud, String, Value)> {
    let mut out = Vec::new();
    let ci = iam_user(CI_ACCOUNT, CI_USER, CI_KEY);
    let mut aws = |rng: &mut Rng,
                   minute: i64,
                   account: &str,
                   who: &Value,
                   source: &str,
                   name: &str,
                   read_only: bool,
                   request: Value,
                   response: Value,
                   error: Option<(&str, &str)>| {
        let time = start + minute * MINUTE + rng.below(50_000_000) as i64;
        let record = cloudtrail(
            rng,
            AwsCall {
                time,
                account,
                region: "us-east-1",
                who,
                source,
                name,
                read_only,
                data: false,
                request,
                response,
                error,
                ip: ATTACKER_IP,
                agent: ATTACKER_AGENT,
            },
        );
        out.push((Cloud::Aws, account.to_string(), record));
    };
    // Reconnaissance with the leaked key, from an address the key never used.
    let recon = [
        ("sts", "GetCallerIdentity"),
        ("iam", "ListUsers"),
        ("iam", "ListRoles"),
        ("iam", "ListAttachedUserPolicies"),
        ("iam", "ListAccessKeys"),
        ("iam", "GetAccountAuthorizationDetails"),
        ("s3", "ListBuckets"),
        ("ec2", "DescribeInstances"),
        ("ec2", "DescribeSecurityGroups"),
        ("ec2", "DescribeSnapshots"),
        ("lambda", "ListFunctions20150331"),
        ("secretsmanager", "ListSecrets"),
        ("cloudtrail", "DescribeTrails"),
        ("kms", "ListKeys"),
        ("rds", "DescribeDBInstances"),
        ("organizations", "DescribeOrganization"),
    ];
    for (i, (source, name)) in recon.iter().enumerate() {
        let denied = matches!(
            *name,
            "GetAccountAuthorizationDetails" | "DescribeOrganization" | "ListSecrets"
        );
        let error = denied.then_some((
            "AccessDenied",
            "User: arn:aws:iam::356789012345:user/ci-deployer is not authorized to perform this action",
        ));
        aws(
            rng,
            i as i64 / 2,
            CI_ACCOUNT,
            &ci,
            source,
            name,
            true,
            json!({}),
            Value::Null,
            error,
        );
    }
    // It keeps trying what it may not do.
    for i in 0..11 {
        aws(
            rng,
            9 + i,
            CI_ACCOUNT,
            &ci,
            "iam",
            "CreateUser",
            false,
            json!({"userName": format!("admin{i}")}),
            Value::Null,
            Some((
                "AccessDenied",
                "User: arn:aws:iam::356789012345:user/ci-deployer is not authorized to perform: iam:CreateUser",
            )),
        );
    }
    // The hop into production.
    let session_arn = format!("arn:aws:sts::{PROD_ACCOUNT}:assumed-role/{ROLE}/{SESSION}");
    aws(
        rng,
        17,
        CI_ACCOUNT,
        &ci,
        "sts",
        "AssumeRole",
        true,
        json!({"roleArn": format!("arn:aws:iam::{PROD_ACCOUNT}:role/{ROLE}"), "roleSessionName": SESSION, "durationSeconds": 3600}),
        json!({"credentials": {"accessKeyId": "ASIA7PRODSESSION8841", "sessionToken": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDdemo",
                               "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "expiration": "Oct 30, 2026, 11:31:00 PM"},
               "assumedRoleUser": {"assumedRoleId": "AROA7DEPLOYADMIN00001:ci-deployer-8841", "arn": session_arn}}),
        None,
    );
    // Issued as the AssumeRole call (minute 17, within 50 s) returned.
    let session = assumed_role(
        PROD_ACCOUNT,
        ROLE,
        SESSION,
        "ASIA7PRODSESSION8841",
        start + 17 * MINUTE + 50_000_000,
    );
    let p = PROD_ACCOUNT;
    aws(
        rng,
        20,
        p,
        &session,
        "iam",
        "CreateUser",
        false,
        json!({"userName": BACKDOOR_USER}),
        json!({"user": {"userName": BACKDOOR_USER}}),
        None,
    );
    aws(
        rng,
        21,
        p,
        &session,
        "iam",
        "CreateAccessKey",
        false,
        json!({"userName": BACKDOOR_USER}),
        json!({"accessKey": {"accessKeyId": "AKIA7BACKUPSYNC00001", "status": "Active", "userName": BACKDOOR_USER}}),
        None,
    );
    aws(
        rng,
        22,
        p,
        &session,
        "iam",
        "AttachUserPolicy",
        false,
        json!({"userName": BACKDOOR_USER, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        Value::Null,
        None,
    );
    aws(
        rng,
        26,
        p,
        &session,
        "lambda",
        "CreateFunction20150331",
        false,
        json!({"functionName": FUNCTION, "runtime": "python3.12", "handler": "app.handler", "role": format!("arn:aws:iam::{p}:role/{FUNCTION}-exec")}),
        json!({"functionName": FUNCTION, "functionArn": format!("arn:aws:lambda:us-east-1:{p}:function:{FUNCTION}")}),
        None,
    );
    aws(
        rng,
        27,
        p,
        &session,
        "lambda",
        "UpdateFunctionConfiguration20150331v2",
        false,
        json!({"functionName": FUNCTION, "environment": {"variables": {"SYNC_URL": "https://203.0.113.66/collect"}}}),
        Value::Null,
        None,
    );
    aws(
        rng,
        28,
        p,
        &session,
        "lambda",
        "AddPermission20150331v2",
        false,
        json!({"functionName": FUNCTION, "statementId": "public-invoke", "action": "lambda:InvokeFunction", "principal": "*"}),
        Value::Null,
        None,
    );
    for i in 0..24 {
        aws(
            rng,
            32 + i / 4,
            p,
            &session,
            "secretsmanager",
            "GetSecretValue",
            true,
            json!({"secretId": format!("prod/payments/{}", ["db", "stripe", "adyen", "smtp", "hmac", "jwt"][i as usize % 6]).to_string() + &format!("-{}", i / 6)}),
            Value::Null,
            None,
        );
    }
    aws(
        rng,
        40,
        p,
        &session,
        "ec2",
        "ModifySnapshotAttribute",
        false,
        json!({"snapshotId": "snap-0a1b2c3d4e5f60718", "attributeType": "CREATE_VOLUME_PERMISSION",
               "createVolumePermission": {"add": {"items": [{"userId": OUTSIDE_ACCOUNT}]}}}),
        json!({"_return": true}),
        None,
    );
    aws(
        rng,
        44,
        p,
        &session,
        "cloudtrail",
        "StopLogging",
        false,
        json!({"name": format!("arn:aws:cloudtrail:us-east-1:{p}:trail/org-trail")}),
        Value::Null,
        Some((
            "AccessDenied",
            "User: arn:aws:sts::210987654321:assumed-role/DeployAdmin/ci-deployer-8841 is not authorized to perform: cloudtrail:StopLogging because an organization policy denies it",
        )),
    );
    aws(
        rng,
        45,
        p,
        &session,
        "ec2",
        "DeleteFlowLogs",
        false,
        json!({"DeleteFlowLogsRequest": {"FlowLogId": {"tag": 1, "content": "fl-0c1d2e3f4a5b6c7d8"}}}),
        Value::Null,
        None,
    );

    // GCP: the CI service account's key deploys and opens up a Cloud Function.
    let function = format!("projects/{GCP_PROJECT}/locations/us-central1/functions/{FUNCTION}");
    let key =
        format!("//iam.googleapis.com/projects/acme-ci-build/serviceAccounts/{GCP_DEPLOYER}/keys/7f3e2d1c0b9a8877");
    for (minute, method, permission, request) in [
        (
            50,
            "google.cloud.functions.v2.FunctionService.CreateFunction",
            "cloudfunctions.functions.create",
            json!({"functionId": FUNCTION, "parent": format!("projects/{GCP_PROJECT}/locations/us-central1")}),
        ),
        (
            52,
            "google.cloud.functions.v2.FunctionService.UpdateFunction",
            "cloudfunctions.functions.update",
            json!({"function": {"name": function.clone(), "serviceConfig": {"environmentVariables": {"SYNC_URL": "https://203.0.113.66/collect"}}}}),
        ),
        (
            53,
            "google.cloud.functions.v1.CloudFunctionsService.SetIamPolicy",
            "cloudfunctions.functions.setIamPolicy",
            json!({"policy": {"bindings": [{"role": "roles/cloudfunctions.invoker", "members": ["allUsers"]}]}}),
        ),
    ] {
        let entry = gcp_entry(
            rng,
            GcpCall {
                time: start + minute * MINUTE,
                project: GCP_PROJECT,
                principal: GCP_DEPLOYER,
                service: "cloudfunctions.googleapis.com",
                method,
                resource_name: function.clone(),
                resource_type: "cloud_function",
                location: "us-central1",
                access: Access::AdminWrite,
                permission,
                status: GcpStatus::Ok,
                ip: ATTACKER_IP,
                agent: ATTACKER_AGENT,
                request,
                key: Some(&key),
            },
        );
        out.push((Cloud::Gcp, GCP_PROJECT.to_string(), entry));
    }

    out.extend(
        entra_steps(rng, start)
            .into_iter()
            .map(|r| (Cloud::Azure, ENTRA_TENANT.to_string(), r)),
    );

    // Azure: an app nobody registered is made Owner of the payments subscription.
    let correlation = rng.uuid();
    for (offset, result, signature) in [(0, "Start", "Started."), (2_000_000, "Success", "Succeeded.Created")] {
        let mut record = azure_record(
            rng,
            AzureCall {
                time: start + 70 * MINUTE + offset,
                subscription: AZURE_SUBSCRIPTION,
                resource: "PROVIDERS/MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/6F2A9C1E-3B4D-4E5F-8A7B-9C0D1E2F3A4B"
                    .into(),
                operation: "Microsoft.Authorization/roleAssignments/write",
                category: "Administrative",
                result,
                signature,
                caller_upn: None,
                caller_app: Some(AZURE_APPS[0]),
                ip: ATTACKER_IP,
                location: "global",
                correlation: correlation.clone(),
            },
        );
        // Who was made Owner is in the request body, as Azure records it.
        record["properties"]["requestbody"] = json!({"Id": "6f2a9c1e-3b4d-4e5f-8a7b-9c0d1e2f3a4b", "Properties": {
            "PrincipalId": UNKNOWN_APP, "PrincipalType": "ServicePrincipal",
            "RoleDefinitionId": format!("/subscriptions/{AZURE_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
            "Scope": format!("/subscriptions/{AZURE_SUBSCRIPTION}")}}).to_string().into();
        out.push((Cloud::Azure, AZURE_SUBSCRIPTION.to_string(), record));
    }
    // The app signs in with the credential added to it, and reads the payments storage keys.
    let correlation = rng.uuid();
    for (offset, result, signature) in [(0, "Start", "Started."), (2_000_000, "Success", "Succeeded.OK")] {
        out.push((
            Cloud::Azure,
            AZURE_SUBSCRIPTION.to_string(),
            azure_record(
                rng,
                AzureCall {
                    time: start + 73 * MINUTE + offset,
                    subscription: AZURE_SUBSCRIPTION,
                    resource: format!(
                        "RESOURCEGROUPS/PAYMENTS/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/{}",
                        PAYMENTS_STORAGE.to_ascii_uppercase()
                    ),
                    operation: "Microsoft.Storage/storageAccounts/listKeys/action",
                    category: "Administrative",
                    result,
                    signature,
                    caller_upn: None,
                    caller_app: Some(UNKNOWN_APP),
                    ip: ATTACKER_IP,
                    location: "eastus",
                    correlation: correlation.clone(),
                },
            ),
        ));
    }
    out
}

/// The attacker's user agent in a browser, for the admin's stolen sign-in.
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// Entra ID's records of the evening: the admin's sign-in from the attacker's address (a wrong
/// password first, then a password alone, high risk), the consent to the unknown app, a password
/// credential added to it, and the app's own sign-in with that credential.
fn entra_steps(rng: &mut Rng, start: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let place = json!({"city": "Bucharest", "state": "Bucuresti", "countryOrRegion": "RO",
                       "geoCoordinates": {"latitude": 44.4268, "longitude": 26.1025}});
    let device = json!({"deviceId": "", "displayName": "", "operatingSystem": "Linux", "browser": "Firefox 128.0"});
    for (second, error, risk) in [
        (
            55 * 60 + 12,
            Some((
                50126,
                "Error validating credentials due to invalid username or password.",
            )),
            "medium",
        ),
        (56 * 60 + 3, None, "high"),
    ] {
        out.push(entra::user_sign_in(
            rng,
            UserSignIn {
                time: start + second * 1_000_000,
                interactive: true,
                upn: ENTRA_ADMIN,
                app: entra::AZURE_PORTAL,
                resource: entra::SERVICE_MANAGEMENT,
                ip: ATTACKER_IP,
                place: place.clone(),
                device: device.clone(),
                agent: BROWSER,
                error,
                mfa: false,
                risk,
                conditional_access: "notApplied",
            },
        ));
    }
    let admin = || Initiator::User {
        upn: ENTRA_ADMIN,
        ip: ATTACKER_IP,
    };
    let unknown = |modified: Value| {
        target(
            "ServicePrincipal",
            UNKNOWN_APP_OBJECT,
            Some(UNKNOWN_APP_NAME),
            None,
            modified,
        )
    };
    let names = format!("\"{UNKNOWN_APP}\"");
    let graph = "5f8c0a2e-9b1d-4c3e-8f7a-6b5c4d3e2f1a";
    let scope = " Directory.Read.All Application.ReadWrite.All Mail.Read offline_access";
    // The admin consents for the whole organisation: the app's service principal is created, its
    // delegated permissions granted, and the consent recorded, under one correlation id.
    let consent = rng.uuid();
    let steps: [(i64, &str, &str, Value); 3] = [
        (
            58 * 60 + 20,
            "Add service principal",
            "Add",
            json!([unknown(json!([
                modified("AccountEnabled", Some("[]"), "[true]"),
                modified("AppPrincipalId", Some("[]"), &format!("[\"{UNKNOWN_APP}\"]")),
                modified("DisplayName", Some("[]"), &format!("[\"{UNKNOWN_APP_NAME}\"]")),
                modified("ServicePrincipalName", Some("[]"), &format!("[\"{UNKNOWN_APP}\"]")),
                modified(
                    "Included Updated Properties",
                    None,
                    "\"AccountEnabled, AppPrincipalId, DisplayName, ServicePrincipalName\""
                ),
                modified("TargetId.ServicePrincipalNames", None, &names),
            ]))]),
        ),
        (
            58 * 60 + 21,
            "Add delegated permission grant",
            "Assign",
            json!([
                target(
                    "ServicePrincipal",
                    graph,
                    Some("Microsoft Graph"),
                    None,
                    json!([
                        modified("DelegatedPermissionGrant.Scope", Some("\"\""), &format!("\"{scope}\"")),
                        modified(
                            "DelegatedPermissionGrant.ConsentType",
                            Some("\"\""),
                            "\"AllPrincipals\""
                        ),
                        modified("ServicePrincipal.ObjectID", None, &format!("\"{graph}\"")),
                        modified("ServicePrincipal.DisplayName", None, "\"Microsoft Graph\""),
                        modified(
                            "TargetId.ServicePrincipalNames",
                            None,
                            "\"00000003-0000-0000-c000-000000000000\""
                        ),
                    ])
                ),
                unknown(json!([])),
            ]),
        ),
        (
            58 * 60 + 21,
            "Consent to application",
            "Assign",
            json!([unknown(json!([
                modified("ConsentContext.IsAdminConsent", None, "\"True\""),
                modified("ConsentContext.IsAppOnly", None, "\"False\""),
                modified("ConsentContext.OnBehalfOfAll", None, "\"True\""),
                modified(
                    "ConsentContext.Tags",
                    None,
                    "\"WindowsAzureActiveDirectoryIntegratedApp\""
                ),
                modified(
                    "ConsentAction.Permissions",
                    None,
                    &format!(
                        "\"[] => [[Id: {}, ClientId: {UNKNOWN_APP_OBJECT}, PrincipalId: , ResourceId: {graph}, ConsentType: AllPrincipals, Scope: {scope}, CreatedDateTime: , LastModifiedDateTime ]]; \"",
                        "LqMMX9ryHkO6KLBI5i3WzP7YsXLJIhdDhl3JQqc5xco"
                    )
                ),
                modified("TargetId.ServicePrincipalNames", None, &names),
            ]))]),
        ),
    ];
    for (second, activity, operation_type, targets) in steps {
        let mut record = entra::audit(
            rng,
            Audit {
                time: start + second * 1_000_000,
                activity,
                category: "ApplicationManagement",
                service: "Core Directory",
                operation_type,
                by: admin(),
                targets,
                agent: Some(BROWSER),
                failure: None,
                correlation: &consent,
            },
        );
        record["properties"]["additionalDetails"]
            .as_array_mut()
            .expect("a list")
            .push(json!({"key": "AppId", "value": UNKNOWN_APP}));
        out.push(record);
    }
    // A password credential, added to the app's service principal in the organisation's own
    // directory, where its owner could not see it.
    let credential = rng.uuid();
    out.push(entra::audit(
        rng,
        Audit {
            time: start + (61 * 60 + 40) * 1_000_000,
            activity: "Add service principal credentials",
            category: "ApplicationManagement",
            service: "Core Directory",
            operation_type: "Update",
            by: admin(),
            targets: json!([unknown(json!([
                modified(
                    "KeyDescription",
                    Some("[]"),
                    &format!(
                        "[\"[KeyIdentifier={UNKNOWN_APP_KEY},KeyType=Password,KeyUsage=Verify,DisplayName=sync]\"]"
                    )
                ),
                modified("Included Updated Properties", None, "\"KeyDescription\""),
                modified("TargetId.ServicePrincipalNames", None, &names),
            ]))]),
            agent: Some(BROWSER),
            failure: None,
            correlation: &credential,
        },
    ));
    // Once Owner (minute 70), the app signs in with that credential, just before its calls.
    out.push(entra::app_sign_in(
        rng,
        AppSignIn {
            time: start + (72 * 60 + 31) * 1_000_000,
            managed: false,
            app_id: UNKNOWN_APP,
            name: UNKNOWN_APP_NAME,
            object: UNKNOWN_APP_OBJECT,
            resource: entra::SERVICE_MANAGEMENT,
            ip: ATTACKER_IP,
            key: UNKNOWN_APP_KEY,
            error: None,
            place,
        },
    ));
    out
}
