//! Each column's mapping, checked on Cloud Logging exports in the shapes GCP writes them.

use crate::sources::{CloudChoice, Event, Mapped, Outcome, read_file};

const SINK: &str = include_str!(
    "../../../tests/fixtures/gcp/acme-audit-sink/cloudaudit.googleapis.com/activity/2024/05/02/09:00:00_09:59:59_S0.json"
);
const GCLOUD_ARRAY: &str = include_str!("../../../tests/fixtures/gcp/gcloud-logging-read.json");
const SINGLE: &str = include_str!("../../../tests/fixtures/gcp/compute-instances-insert.json");
const REDACTED: &str = include_str!("../../../tests/fixtures/bad/redacted-timestamp.json");

fn events(text: &str) -> Vec<Event> {
    read_file(text.as_bytes(), "fixture.json", CloudChoice::Auto)
        .unwrap()
        .events()
        .cloned()
        .collect()
}

fn micros(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_micros()
}

#[test]
fn a_cloud_function_deployment_maps_every_column() {
    let all = events(SINK);
    assert_eq!(all.len(), 3);
    let e = &all[0];
    assert_eq!(e.event_time, micros("2024-05-02T09:20:11.408913Z"));
    assert_eq!(e.event_id, "1x9k2fd3a7b");
    assert_eq!(e.tenant, "acme-prod");
    assert_eq!(e.region.as_deref(), Some("europe-west1"));
    assert_eq!(e.principal, "deployer@acme-prod.iam.gserviceaccount.com");
    assert_eq!(e.principal_type.as_deref(), Some("ServiceAccount"));
    assert_eq!(e.session_issuer, None);
    assert_eq!(
        e.source_identity.as_deref(),
        Some("alice@acme.example"),
        "who impersonated the service account"
    );
    assert_eq!(e.access_key_id, None);
    assert_eq!(e.source_ip.as_deref(), Some("203.0.113.50"));
    assert_eq!(
        e.user_agent.as_deref(),
        Some("google-cloud-sdk gcloud/473.0.0 command/gcloud.functions.deploy")
    );
    assert_eq!(e.service, "cloudfunctions.googleapis.com");
    assert_eq!(e.action, "google.cloud.functions.v2.FunctionService.CreateFunction");
    assert_eq!(
        e.resource.as_deref(),
        Some("projects/acme-prod/locations/europe-west1/functions/billing-export")
    );
    assert_eq!(e.resource_type.as_deref(), Some("cloud_function"));
    assert_eq!(
        e.outcome,
        Outcome::Started,
        "the operation's first entry: its last one ends it"
    );
    assert_eq!(e.read_only, Some(false));
    assert_eq!(
        e.request_id.as_deref(),
        Some("operations/YWNtZS1wcm9kL2V1cm9wZS13ZXN0MS9iaWxsaW5nLWV4cG9ydC8xMjM")
    );
    assert_eq!(e.raw, SINK.lines().next().unwrap());
}

#[test]
fn a_service_account_key_is_the_credential_and_an_empty_status_is_success() {
    let e = &events(SINK)[1];
    assert_eq!(
        e.access_key_id.as_deref(),
        Some(
            "//iam.googleapis.com/projects/acme-prod/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com/keys/4f1d3c2b1a0918273645"
        )
    );
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.error_code, None);
}

#[test]
fn a_nonzero_status_code_is_a_failure_named_by_its_canonical_code() {
    let e = &events(SINK)[2];
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.error_code.as_deref(), Some("PERMISSION_DENIED"));
    assert_eq!(
        e.error_message.as_deref(),
        Some("Permission 'iam.serviceAccounts.create' denied on resource (or it may not exist).")
    );
    assert_eq!(e.principal_type.as_deref(), Some("User"));
}

#[test]
fn gcloud_json_arrays_are_read_and_entries_that_are_not_audit_logs_are_skipped() {
    let read = read_file(GCLOUD_ARRAY.as_bytes(), "gcloud.json", CloudChoice::Auto).unwrap();
    assert_eq!(read.records.len(), 2);
    let e = read.events().next().unwrap();
    assert_eq!(e.tenant, "acme-data");
    assert_eq!(e.read_only, Some(true), "a data-access read");
    assert_eq!(e.region.as_deref(), Some("us-central1"));
    assert_eq!(e.resource_type.as_deref(), Some("gcs_bucket"));
    assert!(matches!(&read.records[1].1, Mapped::Skipped(r) if r.contains("not an audit log")));
}

#[test]
fn a_single_entry_file_without_timestamp_uses_the_receive_time() {
    let all = events(SINGLE);
    assert_eq!(all.len(), 1);
    let e = &all[0];
    assert_eq!(e.event_time, micros("2024-05-02T09:17:27.018273Z"));
    assert_eq!(e.principal_type.as_deref(), Some("GoogleSystem"));
    assert_eq!(
        e.region.as_deref(),
        Some("europe-west1"),
        "the zone europe-west1-b is in that region"
    );
    assert_eq!(e.read_only, Some(false), "system events change things");
    assert_eq!(
        e.outcome,
        Outcome::Success,
        "a status with only a message is not an error"
    );
    assert_eq!(
        e.request_id.as_deref(),
        Some("systemevent-1714641446000-5d073c8e7bc80-aac87ca9-e79ba671")
    );
}

#[test]
fn a_redacted_timestamp_is_rejected_with_its_reason() {
    let read = read_file(REDACTED.as_bytes(), "redacted.json", CloudChoice::Auto).unwrap();
    assert!(matches!(&read.records[0].1, Mapped::Rejected(r) if r.contains("0000-00-00T00:00:00.000Z")));
}

#[test]
fn an_eventarc_entry_whose_payload_lost_its_type_is_still_an_audit_entry() {
    let all = events(include_str!(
        "../../../tests/fixtures/gcp/eventarc-logentrydata-bigquery.json"
    ));
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].action, "jobservice.jobcompleted");
    assert_eq!(all[0].source_ip.as_deref(), Some("2001:db8:0:200:1a75:e914:115b:e970"));
    assert_eq!(all[0].read_only, Some(false), "jobcompleted is not a get or list");
}

#[test]
fn an_operations_first_entry_is_started_and_its_last_entry_ends_it() {
    let entry = |operation: &str, status: &str| {
        format!(
            r#"{{"insertId":"op-1","timestamp":"2024-05-02T09:20:11Z","operation":{operation},
            "protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo":{{"principalEmail":"a@acme.example"}},"methodName":"v1.compute.instances.delete",
            "serviceName":"compute.googleapis.com","resourceName":"projects/p/zones/z/instances/vm1"{status}}},
            "resource":{{"type":"gce_instance","labels":{{"project_id":"p"}}}}}}"#
        )
        .replace('\n', "")
    };
    let outcome = |operation: &str, status: &str| events(&entry(operation, status))[0].outcome;
    let not_found = r#","status":{"code":5,"message":"not found"}"#;
    assert_eq!(outcome(r#"{"id":"o","first":true}"#, ""), Outcome::Started);
    assert_eq!(outcome(r#"{"id":"o","last":true}"#, ""), Outcome::Success);
    assert_eq!(outcome(r#"{"id":"o","last":true}"#, not_found), Outcome::Failure);
    assert_eq!(outcome(r#"{"id":"o","first":true,"last":true}"#, ""), Outcome::Success);
    assert_eq!(
        outcome(r#"{"id":"o","first":true}"#, not_found),
        Outcome::Failure,
        "refused at once"
    );
    assert_eq!(outcome(r#"{"id":"o"}"#, ""), Outcome::Success);
}
