//! Every saved report, run on the incident fixture (tests/fixtures/reports/), finds exactly
//! what it claims: each test names the events (or groups) it must return and nothing else.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::TryStreamExt;
use trailscope::archive::inputs::resolve;
use trailscope::archive::{IngestOptions, Location, Quiet, StoreOptions, ingest};
use trailscope::engine::reports::ReportLibrary;
use trailscope::engine::{Session, SessionOptions};

/// The fixture archive, ingested once for all the tests of this file.
fn archive() -> &'static PathBuf {
    static ARCHIVE: OnceLock<PathBuf> = OnceLock::new();
    ARCHIVE.get_or_init(|| ingested("reports", 122))
}

/// A fixture folder ingested into a new archive, which must hold `events` events.
fn ingested(fixture: &'static str, events: u64) -> PathBuf {
    let path = tempfile::tempdir().unwrap().keep().join(fixture);
    let target = path.clone();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let location = Location::create(target.to_str().unwrap(), &StoreOptions::default()).unwrap();
            let inputs = resolve(
                &[common::fixture(fixture).display().to_string()],
                &StoreOptions::default(),
            )
            .await
            .unwrap();
            let summary = ingest(&location, inputs, &IngestOptions::default(), &Quiet)
                .await
                .unwrap();
            assert_eq!(summary.events_total(), events, "{summary:?}");
            assert!(!summary.has_rejections());
        })
    })
    .join()
    .unwrap();
    path
}

/// An archive under `dir` of one source file, `name`, holding `document`.
async fn archive_of(dir: &std::path::Path, name: &str, document: &serde_json::Value) -> PathBuf {
    let sources = dir.join("logs");
    std::fs::create_dir_all(&sources).unwrap();
    std::fs::write(sources.join(name), document.to_string()).unwrap();
    let archive = dir.join("archive");
    let location = Location::create(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let inputs = resolve(&[sources.display().to_string()], &StoreOptions::default())
        .await
        .unwrap();
    ingest(&location, inputs, &IngestOptions::default(), &Quiet)
        .await
        .unwrap();
    archive
}

/// Runs a report and returns one column's values, in the report's order.
async fn column(report: &str, params: &[(&str, &str)], name: &str) -> Vec<String> {
    column_in(archive(), report, params, name).await
}

async fn column_in(archive: &std::path::Path, report: &str, params: &[(&str, &str)], name: &str) -> Vec<String> {
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let session = Session::open(
        location,
        SessionOptions {
            redact: true,
            journal: None,
            facts: true,
            engine: Default::default(),
        },
    )
    .await
    .unwrap();
    let library = ReportLibrary::builtin();
    let report = library.get(report).unwrap_or_else(|| panic!("no report {report}"));
    let given: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let query = report.bind(&session, &given).await.unwrap();
    let batches: Vec<RecordBatch> = session.run(&query).await.unwrap().try_collect().await.unwrap();
    let mut out = Vec::new();
    for b in &batches {
        let c = b
            .column_by_name(name)
            .unwrap_or_else(|| panic!("{} has no column {name}", report.name));
        let f = ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default().with_null("")).unwrap();
        out.extend((0..c.len()).map(|i| f.value(i).to_string()));
    }
    out
}

async fn ids(report: &str, params: &[(&str, &str)]) -> Vec<String> {
    column(report, params, "event_id").await
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:02}")).collect()
}

#[tokio::test]
async fn root_activity_finds_every_root_call_and_nothing_else() {
    assert_eq!(
        ids("root-activity", &[]).await,
        strings(&["aws-root-console", "aws-root-create-key"])
    );
}

#[tokio::test]
async fn console_logins_without_mfa_leave_out_mfa_and_federated_sign_ins() {
    assert_eq!(
        ids("console-logins-without-mfa", &[]).await,
        strings(&["aws-nomfa-alice"])
    );
}

#[tokio::test]
async fn failed_console_logins_are_found_though_they_carry_no_error_code() {
    assert_eq!(
        ids("failed-console-logins", &[]).await,
        strings(&["aws-login-failed-bob"])
    );
}

#[tokio::test]
async fn access_key_activity_follows_one_leaked_key() {
    let found = ids("access-key-activity", &[("access_key", "AKIALEAKEDCIBOT00001")]).await;
    let mut expected = vec!["aws-base-cibot-whoami".to_string()];
    expected.extend(numbered("aws-recon-", 16));
    expected.extend(numbered("aws-denied-cibot-", 12));
    expected.push("aws-assume-cross".into());
    let mut sorted = found.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected);
    // The baseline is inside the default 30 days, and the order is by time.
    assert_eq!(found[0], "aws-base-cibot-whoami");
}

#[tokio::test]
async fn new_credentials_across_the_three_clouds() {
    assert_eq!(
        ids("new-credentials", &[]).await,
        strings(&[
            "aws-root-create-key",
            "aws-sess-create-key",
            "gcp-sa-key-create",
            "az-storage-key"
        ])
    );
}

#[tokio::test]
async fn permission_changes_leave_out_reads_and_azure_steps_in_progress() {
    assert_eq!(
        ids("iam-policy-changes", &[]).await,
        strings(&[
            "aws-sess-attach-admin",
            "gcp-project-iam",
            "gcp-function-iam",
            "gcp-snapshot-share",
            "gcp-bucket-public",
            "az-role-assign"
        ])
    );
}

#[tokio::test]
async fn identity_lifecycle_finds_new_users_service_accounts_and_identities() {
    assert_eq!(
        ids("identity-lifecycle", &[]).await,
        strings(&["aws-sess-create-user", "gcp-sa-create", "az-identity-create"])
    );
}

#[tokio::test]
async fn logging_tampering_lists_attempts_including_refused_ones() {
    assert_eq!(
        ids("logging-tampering", &[]).await,
        strings(&[
            "aws-sess-stop-logging",
            "aws-sess-delete-flow-logs",
            "gcp-sink-delete",
            "az-diag-delete",
            "az-diag-delete-denied"
        ])
    );
}

#[tokio::test]
async fn network_exposure_changes_mark_what_opens_to_the_internet() {
    assert_eq!(
        ids("network-exposure-changes", &[]).await,
        strings(&["aws-sess-open-ssh", "gcp-firewall-open", "az-nsg-rule"])
    );
    assert_eq!(
        column("network-exposure-changes", &[], "open_to_internet").await,
        strings(&["true", "true", ""]),
        "Azure's log does not say: unknown, not false"
    );
}

/// One CloudTrail record of an EC2 network change.
fn ec2_change(id: &str, action: &str, request: serde_json::Value, error: Option<&str>) -> serde_json::Value {
    let mut record = serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/netops",
                         "accountId": "111122223333", "userName": "netops"},
        "eventTime": "2024-06-10T11:00:00Z", "eventSource": "ec2.amazonaws.com", "eventName": action,
        "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.10", "userAgent": "aws-cli/2.15.30",
        "requestParameters": request, "responseElements": null, "requestID": format!("req-{id}"),
        "eventID": id, "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": "111122223333", "eventCategory": "Management"
    });
    if let Some(code) = error {
        record["errorCode"] = code.into();
        record["errorMessage"] = "You are not authorized to perform this operation.".into();
    }
    record
}

#[tokio::test]
async fn network_exposure_marks_only_successful_changes_that_let_the_internet_in() {
    let dir = tempfile::tempdir().unwrap();
    let world = serde_json::json!({"groupId": "sg-1", "ipPermissions": {"items": [{"ipProtocol": "tcp",
        "fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}});
    let acl = |action: &str, egress: bool| {
        serde_json::json!({"networkAclId": "acl-1", "ruleNumber": 100, "protocol": "-1", "egress": egress,
            "ruleAction": action, "cidrBlock": "0.0.0.0/0"})
    };
    let refused = Some("Client.UnauthorizedOperation");
    let records = [
        ec2_change("a-opened", "AuthorizeSecurityGroupIngress", world.clone(), None),
        ec2_change("b-revoked", "RevokeSecurityGroupIngress", world.clone(), None),
        ec2_change("c-refused", "AuthorizeSecurityGroupIngress", world.clone(), refused),
        ec2_change("d-acl-deny", "CreateNetworkAclEntry", acl("deny", false), None),
        ec2_change("e-acl-allow", "CreateNetworkAclEntry", acl("allow", false), None),
        ec2_change("f-outbound", "AuthorizeSecurityGroupEgress", world, None),
        ec2_change("g-acl-outbound", "CreateNetworkAclEntry", acl("allow", true), None),
    ];
    let archive = archive_of(
        dir.path(),
        "111122223333_CloudTrail_us-east-1_20240610T1100Z_net.json",
        &serde_json::json!({ "Records": records }),
    )
    .await;
    let report = "network-exposure-changes";
    assert_eq!(
        column_in(&archive, report, &[], "event_id").await,
        strings(&[
            "a-opened",
            "b-revoked",
            "c-refused",
            "d-acl-deny",
            "e-acl-allow",
            "f-outbound",
            "g-acl-outbound"
        ]),
        "every change is listed"
    );
    assert_eq!(
        column_in(&archive, report, &[], "open_to_internet").await,
        strings(&["true", "false", "false", "false", "true", "false", "false"]),
        "a revocation, a refused call, a deny rule and an outbound rule let nothing in"
    );
}

#[tokio::test]
async fn access_denied_spikes_are_per_principal_and_hour_above_the_threshold() {
    assert_eq!(
        column("access-denied-spikes", &[], "principal").await,
        strings(&["arn:aws:iam::111122223333:user/ci-bot", "mallory@gmail.com"])
    );
    assert_eq!(
        column("access-denied-spikes", &[], "denied").await,
        strings(&["12", "12"])
    );
    assert_eq!(
        column("access-denied-spikes", &[], "actions").await,
        strings(&["1", "1"])
    );
    assert_eq!(
        column("access-denied-spikes", &[], "first_denied").await,
        strings(&["2024-06-10T10:10:00Z", "2024-06-10T13:00:00Z"])
    );
    // alice's nine refusals make a spike only with a lower threshold.
    let lower = column("access-denied-spikes", &[("min_failures", "9")], "principal").await;
    assert!(
        lower.contains(&"arn:aws:iam::111122223333:user/alice".to_string()),
        "{lower:?}"
    );
}

#[tokio::test]
async fn access_denied_by_tenant_adds_up_every_principal() {
    assert_eq!(
        column("access-denied-by-tenant", &[], "tenant").await,
        strings(&["111122223333"])
    );
    assert_eq!(column("access-denied-by-tenant", &[], "denied").await, strings(&["21"]));
    assert_eq!(
        column("access-denied-by-tenant", &[], "principals").await,
        strings(&["2"])
    );
}

#[tokio::test]
async fn first_seen_regions_compare_each_tenant_with_its_baseline() {
    // acme-prod worked in us-central1 before (its zone us-central1-a is that region).
    assert_eq!(
        column("first-seen-regions", &[], "region").await,
        strings(&["ap-southeast-1", "europe-west1", "asia-east1"])
    );
    assert_eq!(
        column("first-seen-regions", &[], "tenant").await,
        strings(&["111122223333", "acme-prod", "acme-prod"])
    );
}

#[tokio::test]
async fn first_seen_source_ips_compare_each_principal_with_its_baseline() {
    assert_eq!(
        column("first-seen-source-ips", &[], "principal").await,
        strings(&["arn:aws:iam::111122223333:user/ci-bot"])
    );
    assert_eq!(
        column("first-seen-source-ips", &[], "source_ip").await,
        strings(&["192.0.2.66"])
    );
}

#[tokio::test]
async fn secret_retrieval_bursts_need_many_successful_reads_in_an_hour() {
    assert_eq!(
        column("secret-retrieval-bursts", &[], "principal").await,
        strings(&["arn:aws:sts::444455556666:assumed-role/CrossAccountAdmin/ci-deployer"])
    );
    assert_eq!(
        column("secret-retrieval-bursts", &[], "secrets").await,
        strings(&["12"])
    );
    for (name, value) in [
        ("reads", "12"),
        ("first_read", "2024-06-10T10:45:00Z"),
        ("last_read", "2024-06-10T10:50:30Z"),
    ] {
        assert_eq!(
            column("secret-retrieval-bursts", &[], name).await,
            strings(&[value]),
            "{name}"
        );
    }
}

#[tokio::test]
async fn sharing_finds_permissions_added_not_removed() {
    assert_eq!(
        ids("snapshot-and-image-sharing", &[]).await,
        strings(&["aws-sess-share-snapshot", "gcp-snapshot-share", "az-snapshot-export"])
    );
    assert_eq!(
        column("snapshot-and-image-sharing", &[], "shared_with").await,
        strings(&["999988887777", "", ""])
    );
}

#[tokio::test]
async fn cross_account_activity_finds_the_hop_into_another_account() {
    assert_eq!(ids("cross-account-activity", &[]).await, strings(&["aws-assume-cross"]));
    assert_eq!(
        column("cross-account-activity", &[], "target_account").await,
        strings(&["444455556666"])
    );
}

#[tokio::test]
async fn reconnaissance_bursts_count_distinct_read_actions_in_ten_minutes() {
    assert_eq!(
        column("reconnaissance-bursts", &[], "principal").await,
        strings(&["arn:aws:iam::111122223333:user/ci-bot"])
    );
    assert_eq!(
        column("reconnaissance-bursts", &[], "distinct_actions").await,
        strings(&["16"])
    );
    // Counted over the burst's read-only calls only, each event once.
    for (name, value) in [("services", "10"), ("events", "16"), ("failures", "0")] {
        assert_eq!(
            column("reconnaissance-bursts", &[], name).await,
            strings(&[value]),
            "{name}"
        );
    }
    assert!(
        column("reconnaissance-bursts", &[("min_actions", "17")], "principal")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn principal_ip_and_resource_activity_follow_one_value_exactly() {
    let mallory = ids("principal-activity", &[("principal", "mallory@gmail.com")]).await;
    assert_eq!(mallory.len(), 24, "{mallory:?}");
    assert!(mallory.iter().all(|id| id.starts_with("gcp-")));
    let ip = ids("ip-activity", &[("ip", "198.51.100.77")]).await;
    assert_eq!(ip.len(), 12, "every Azure call came from there: {ip:?}");
    let function = ids(
        "resource-activity",
        &[(
            "resource",
            "arn:aws:lambda:us-east-1:444455556666:function:billing-export",
        )],
    )
    .await;
    assert_eq!(
        function,
        strings(&[
            "aws-sess-create-function",
            "aws-sess-function-config",
            "aws-sess-function-permission",
            "aws-sess-get-function"
        ]),
        "changes first, then reads"
    );
}

#[tokio::test]
async fn role_session_activity_joins_the_assumption_with_what_the_session_did() {
    let found = ids("role-session-activity", &[]).await;
    let session_events: Vec<String> = found.iter().filter(|id| id.starts_with("aws-sess-")).cloned().collect();
    assert_eq!(
        found.len(),
        session_events.len(),
        "only the session's events: {found:?}"
    );
    assert_eq!(found.len(), 30, "{found:?}");
    assert_eq!(
        column("role-session-activity", &[], "assume_event_id").await,
        vec!["aws-assume-cross".to_string(); 30]
    );
    assert!(ids("role-session-activity", &[("session_hours", "0")]).await.is_empty());
}

#[tokio::test]
async fn function_deployments_answer_who_deployed_and_configured_it() {
    assert_eq!(
        ids("function-deployments", &[]).await,
        strings(&[
            "aws-sess-create-function",
            "aws-sess-function-config",
            "aws-sess-function-permission",
            "gcp-function-create",
            "gcp-function-iam",
            "az-function-app"
        ])
    );
}

#[tokio::test]
async fn storage_exposure_changes_leave_out_reads() {
    assert_eq!(
        ids("storage-exposure-changes", &[]).await,
        strings(&["aws-sess-bucket-policy", "gcp-bucket-public", "az-storage-write"])
    );
}

#[tokio::test]
async fn error_summary_groups_every_failure() {
    let failures: Vec<u64> = column("error-summary", &[], "failures")
        .await
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(
        failures.iter().sum::<u64>(),
        12 + 9 + 12 + 1 + 1,
        "ci-bot, alice, mallory, bob's sign-in, the refused Azure delete"
    );
}

#[tokio::test]
async fn parameters_are_checked_and_explained() {
    let location = Location::open(archive().to_str().unwrap(), &StoreOptions::default()).unwrap();
    let session = Session::open(
        location,
        SessionOptions {
            redact: true,
            journal: None,
            facts: true,
            engine: Default::default(),
        },
    )
    .await
    .unwrap();
    let library = ReportLibrary::builtin();
    let report = library.get("access-key-activity").unwrap();
    let missing = report.bind(&session, &[]).await.unwrap_err().to_string();
    assert!(
        missing.contains("needs a value for its parameter `access_key`"),
        "{missing}"
    );
    assert!(
        !missing.contains("--"),
        "the engine speaks of the report, not of flags: {missing}"
    );
    let unknown = report
        .bind(&session, &[("acces_key".into(), "x".into())])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        unknown.contains("no parameter 'acces_key'") && unknown.contains("access_key"),
        "{unknown}"
    );
    let spikes = library.get("access-denied-spikes").unwrap();
    let bad = spikes
        .bind(&session, &[("min_failures".into(), "many".into())])
        .await
        .unwrap_err()
        .to_string();
    assert!(bad.contains("expected a whole number, not 'many'"), "{bad}");
    assert!(!bad.contains("--"), "{bad}");
    // A relative time counts back from the newest event, as in views.
    let q = report
        .bind(
            &session,
            &[("access_key".into(), "x".into()), ("since".into(), "1d".into())],
        )
        .await
        .unwrap();
    let since = &q.params.iter().find(|(n, _)| n == "since").unwrap().1;
    let datafusion::common::ScalarValue::TimestampMicrosecond(Some(micros), _) = since else {
        panic!("{since:?}")
    };
    assert_eq!(
        trailscope::engine::window::format_time(*micros),
        "2024-06-09T15:08:01Z",
        "a day before the end of the newest event's second"
    );
}

#[tokio::test]
async fn coverage_counts_each_tenants_days_and_puts_the_longest_silent_first() {
    let column = |name: &'static str| column("coverage", &[], name);
    assert_eq!(
        column("tenant").await,
        strings(&[
            "444455556666",
            "111122223333",
            "8f3c1a2b-4d5e-4f60-9a7b-1c2d3e4f5a6b",
            "acme-prod"
        ])
    );
    // The AWS account delivered on 4 of the 22 days from its first event to its last.
    assert_eq!(column("days_with_events").await, strings(&["1", "4", "2", "2"]));
    assert_eq!(column("days_in_span").await, strings(&["1", "22", "17", "20"]));
    assert_eq!(column("events").await, strings(&["30", "52", "12", "28"]));
    assert_eq!(column("first_event").await[1..2], strings(&["2024-05-20T09:00:00Z"]));
}

/// The Entra ID fixtures (tests/fixtures/entra/: diagnostic settings and Graph), ingested once.
fn entra_archive() -> &'static PathBuf {
    static ARCHIVE: OnceLock<PathBuf> = OnceLock::new();
    ARCHIVE.get_or_init(|| ingested("entra", 17))
}

async fn entra(report: &str, params: &[(&str, &str)], name: &str) -> Vec<String> {
    column_in(entra_archive(), report, params, name).await
}

#[tokio::test]
async fn risky_entra_sign_ins_are_those_at_or_above_the_level_asked() {
    let carol = strings(&["d9e3a4f5-6c7b-4a8d-9e0f-1a2b3c4d5500"]);
    assert_eq!(entra("entra-risky-sign-ins", &[], "event_id").await, carol);
    assert_eq!(
        entra("entra-risky-sign-ins", &[("level", "high")], "event_id").await,
        carol
    );
    assert_eq!(
        entra("entra-risky-sign-ins", &[], "risk_during_sign_in").await,
        strings(&["high"])
    );
}

#[tokio::test]
async fn entra_sign_ins_without_mfa_are_successful_interactive_single_factor_ones() {
    // Alice's sign-in used MFA; Bob's failed; the others are not interactive user sign-ins.
    assert_eq!(
        entra("entra-sign-ins-without-mfa", &[], "event_id").await,
        strings(&["d9e3a4f5-6c7b-4a8d-9e0f-1a2b3c4d5500"])
    );
}

#[tokio::test]
async fn entra_app_credentials_consents_and_permissions_name_the_app() {
    let actions = entra("entra-app-credentials", &[], "action").await;
    let kinds: std::collections::BTreeSet<&str> = actions.iter().map(|a| a.trim_end()).collect();
    assert_eq!(
        kinds,
        [
            "Add application",
            "Add app role assignment to service principal",
            "Add service principal credentials",
            "Consent to application",
            "Update application – Certificates and secrets management",
        ]
        .into_iter()
        .collect()
    );
    let resources = entra("entra-app-credentials", &[], "resource").await;
    let credential = actions
        .iter()
        .position(|a| a == "Add service principal credentials")
        .unwrap();
    assert_eq!(
        resources[credential], "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
        "the app's id"
    );
    // Every new secret is a new credential too.
    let new = column_in(entra_archive(), "new-credentials", &[], "action").await;
    assert!(new.iter().any(|a| a == "Add service principal credentials"), "{new:?}");
    assert!(new.iter().any(|a| a.starts_with("Update application")), "{new:?}");
}

#[tokio::test]
async fn entra_role_changes_name_the_role_and_the_member() {
    assert_eq!(
        entra("entra-role-changes", &[], "role").await,
        strings(&["Global Administrator"])
    );
    assert_eq!(
        entra("entra-role-changes", &[], "member").await,
        strings(&["bob.ops@contoso.com"])
    );
    assert_eq!(
        entra("entra-role-changes", &[], "principal").await,
        strings(&["7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b"])
    );
}

#[tokio::test]
async fn entra_role_changes_follow_pim_and_removals_and_leave_out_requests() {
    let dir = tempfile::tempdir().unwrap();
    let audit = |id: &str, activity: &str, targets: serde_json::Value| {
        serde_json::json!({"id": id, "category": "RoleManagement", "correlationId": id, "result": "success",
            "activityDisplayName": activity, "activityDateTime": "2024-06-20T09:00:00Z", "loggedByService": "PIM",
            "operationType": "Assign", "initiatedBy": {"user": {"userPrincipalName": "bob.ops@contoso.com"}},
            "targetResources": targets, "additionalDetails": []})
    };
    let role = |name: &str| serde_json::json!({"id": "62e90394-69f5-4237-9190-012177145e10", "displayName": name, "type": "Role"});
    let member = serde_json::json!({"id": "u1", "type": "User", "userPrincipalName": "mallory@contoso.com"});
    let removed = serde_json::json!({"id": "u2", "type": "User", "userPrincipalName": "carol.fin@contoso.com",
        "modifiedProperties": [{"displayName": "Role.DisplayName", "oldValue": "\"Security Administrator\"", "newValue": null}]});
    let page = serde_json::json!({"value": [
        audit("a-pim", "Add member to role completed (PIM activation)", serde_json::json!([role("Global Administrator"), role("Global Administrator"), member])),
        audit("b-removed", "Remove member from role", serde_json::json!([removed])),
        audit("c-denied", "Add member to role request denied (PIM activation)", serde_json::json!([role("Global Administrator"), member])),
    ]});
    let archive = archive_of(dir.path(), "directoryAudits.json", &page).await;
    let report = "entra-role-changes";
    assert_eq!(
        column_in(&archive, report, &[], "event_id").await,
        strings(&["a-pim", "b-removed"])
    );
    assert_eq!(
        column_in(&archive, report, &[], "role").await,
        strings(&["Global Administrator", "Security Administrator"])
    );
    assert_eq!(
        column_in(&archive, report, &[], "member").await,
        strings(&["mallory@contoso.com", "carol.fin@contoso.com"])
    );
}
