//! Each column's mapping, checked on CloudTrail fixtures in the shapes AWS delivers.

use crate::sources::{CloudChoice, Event, Mapped, Outcome, read_file};

const DELIVERY: &str =
    include_str!("../../../tests/fixtures/aws/111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json");
const ARRAY: &str = include_str!("../../../tests/fixtures/aws/aws.defense-evasion.cloudtrail-stop.json");
const LOGSTASH_LINES: &str = include_str!("../../../tests/fixtures/aws/cloudgoat_logstash.json");
const EVENT_HISTORY: &str = include_str!("../../../tests/fixtures/aws/event-history.jsonl");
const DIGEST: &str = include_str!(
    "../../../tests/fixtures/aws/111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20240502T101500Z.json"
);

fn events(text: &str) -> Vec<Event> {
    read_file(text.as_bytes(), "fixture.json", CloudChoice::Auto)
        .unwrap()
        .events()
        .cloned()
        .collect()
}

fn by_id<'a>(events: &'a [Event], suffix: &str) -> &'a Event {
    events.iter().find(|e| e.event_id.ends_with(suffix)).unwrap()
}

fn micros(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_micros()
}

#[test]
fn an_assumed_role_session_keeps_the_session_and_the_role_behind_it() {
    let all = events(DELIVERY);
    let e = by_id(&all, "4d01");
    assert_eq!(e.event_time, micros("2024-05-02T09:14:03Z"));
    assert_eq!(e.event_id, "0b7c8d8e-2f3a-4c1d-9e6b-6a2f1b3c4d01");
    assert_eq!(e.tenant, "111122223333");
    assert_eq!(e.region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        e.principal,
        "arn:aws:sts::111122223333:assumed-role/DeployRole/ci-deployer"
    );
    assert_eq!(e.principal_type.as_deref(), Some("AssumedRole"));
    assert_eq!(
        e.session_issuer.as_deref(),
        Some("arn:aws:iam::111122223333:role/DeployRole")
    );
    assert_eq!(e.source_identity.as_deref(), Some("alice@example.com"));
    assert_eq!(e.access_key_id.as_deref(), Some("ASIAEXAMPLESESSION01"));
    assert_eq!(e.source_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(
        e.user_agent.as_deref(),
        Some("aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64")
    );
    assert_eq!(e.service, "lambda.amazonaws.com");
    assert_eq!(e.action, "CreateFunction20150331");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.read_only, Some(false));
    assert_eq!(e.request_id.as_deref(), Some("5d7f3a1e-0b44-4c59-9a40-1e0b6f3c2a11"));
    assert_eq!(e.source_object, "fixture.json");
    assert_eq!(e.source_index, 0);
}

#[test]
fn a_lambda_function_name_becomes_its_function_arn() {
    let all = events(DELIVERY);
    let e = by_id(&all, "4d01");
    assert_eq!(
        e.resource.as_deref(),
        Some("arn:aws:lambda:eu-west-1:111122223333:function:billing-export")
    );
    assert_eq!(e.resource_type.as_deref(), Some("AWS::Lambda::Function"));
}

#[test]
fn resources_are_derived_from_the_request_when_the_record_lists_none() {
    let all = events(DELIVERY);
    assert_eq!(
        by_id(&all, "4d02").resource.as_deref(),
        Some("arn:aws:iam::111122223333:user/backup-svc")
    );
    assert_eq!(
        by_id(&all, "4d05").resource.as_deref(),
        Some("arn:aws:s3:::finance-reports/2024/q1.csv")
    );
    assert_eq!(by_id(&all, "4d05").resource_type.as_deref(), Some("AWS::S3::Object"));
    assert_eq!(
        by_id(&all, "4d04").resource.as_deref(),
        Some("arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-password-AbCdEf")
    );
    // The record's own resources list wins: AssumeRole names the role it assumed.
    assert_eq!(
        by_id(&all, "4d07").resource.as_deref(),
        Some("arn:aws:iam::444455556666:role/CrossAccountAdmin")
    );
    assert_eq!(by_id(&all, "4d07").resource_type.as_deref(), Some("AWS::IAM::Role"));
    // And the session it started, named as the session's own events name their principal.
    assert_eq!(
        by_id(&all, "4d07").assumed_principal.as_deref(),
        Some("arn:aws:sts::444455556666:assumed-role/CrossAccountAdmin/ci-deployer")
    );
    assert!(
        all.iter()
            .filter(|e| e.action != "AssumeRole")
            .all(|e| e.assumed_principal.is_none())
    );
    let stratus = events(ARRAY);
    assert_eq!(
        stratus[0].resource.as_deref(),
        Some("arn:aws:cloudtrail:us-west-2:555566667777:trail/org-trail")
    );
    assert_eq!(
        stratus[1].resource.as_deref(),
        Some("arn:aws:ec2:us-west-2::snapshot/snap-0123456789abcdef0")
    );
}

#[test]
fn a_failed_console_login_is_a_failure_though_it_has_no_error_code() {
    let all = events(DELIVERY);
    let e = by_id(&all, "4d03");
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.error_code, None);
    assert_eq!(e.error_message.as_deref(), Some("Failed authentication"));
    // The record has no ARN: it is rebuilt from the account and the user name.
    assert_eq!(e.principal, "arn:aws:iam::111122223333:user/bob");
    assert_eq!(e.access_key_id, None, "an empty accessKeyId is no key");
    let mfa = by_id(&all, "4d08");
    assert_eq!(mfa.outcome, Outcome::Success);
    assert_eq!(mfa.principal, "arn:aws:iam::111122223333:user/carol");
}

#[test]
fn an_error_code_makes_a_failure_with_its_message() {
    let all = events(DELIVERY);
    let e = by_id(&all, "4d06");
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.error_code.as_deref(), Some("AccessDenied"));
    assert!(
        e.error_message
            .as_deref()
            .unwrap()
            .starts_with("User: arn:aws:sts::111122223333:assumed-role/DeployRole")
    );
}

#[test]
fn aws_service_calls_have_the_service_as_principal_and_root_its_arn() {
    let all = events(DELIVERY);
    let svc = by_id(&all, "4d04");
    assert_eq!(svc.principal, "secretsmanager.amazonaws.com");
    assert_eq!(svc.principal_type.as_deref(), Some("AWSService"));
    let root = by_id(&all, "4d05");
    assert_eq!(root.principal, "arn:aws:iam::111122223333:root");
    assert_eq!(root.principal_type.as_deref(), Some("Root"));
    assert_eq!(root.read_only, Some(true));
}

#[test]
fn raw_is_each_record_exactly_as_delivered() {
    let all = events(ARRAY);
    assert!(
        ARRAY.contains(&all[0].raw),
        "the pretty-printed record is kept with its own whitespace"
    );
    assert!(all[0].raw.starts_with("{\n    \"awsRegion\": \"us-west-2\""));
    let lines = events(LOGSTASH_LINES);
    assert_eq!(lines[0].raw, LOGSTASH_LINES.lines().next().unwrap());
}

#[test]
fn records_that_went_through_logstash_keep_their_timestamp() {
    let lines = events(LOGSTASH_LINES);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].event_time, micros("2020-09-14T00:47:31Z"));
    assert_eq!(lines[0].resource.as_deref(), Some("arn:aws:s3:::cardholder-data"));
    assert_eq!(
        lines[1].event_time,
        micros("2020-09-14T00:44:20Z"),
        "eventTime wins over @timestamp"
    );
    assert_eq!(
        lines[1].resource.as_deref(),
        Some("arn:aws:ec2:us-east-1:123456789123:instance/i-0317f6c6b66ae9c40")
    );
}

#[test]
fn the_event_history_export_yields_the_embedded_record() {
    let all = events(EVENT_HISTORY);
    assert_eq!(all.len(), 1);
    let e = &all[0];
    assert_eq!(e.event_id, "1f2d6879-969f-4c15-b550-55015423e0c6");
    assert_eq!(e.event_time, micros("2022-02-07T22:19:04Z"));
    assert_eq!(e.principal, "arn:aws:iam::012345678901:user/fakeusername");
    assert_eq!(e.session_issuer, None, "an empty sessionIssuer is no issuer");
    assert!(e.raw.starts_with("{\"eventVersion\":\"1.08\""));
    let envelope: serde_json::Value = serde_json::from_str(EVENT_HISTORY.lines().next().unwrap()).unwrap();
    assert_eq!(e.raw, envelope["CloudTrailEvent"].as_str().unwrap());
}

#[test]
fn a_digest_file_is_skipped_not_rejected() {
    let read = read_file(DIGEST.as_bytes(), "digest.json", CloudChoice::Auto).unwrap();
    assert_eq!(read.records.len(), 1);
    assert!(matches!(&read.records[0].1, Mapped::Skipped(reason) if reason.contains("digest")));
}

#[test]
fn a_record_without_time_or_id_is_rejected_with_its_reason() {
    let no_time = r#"{"eventVersion":"1.08","eventID":"x","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#;
    let read = read_file(no_time.as_bytes(), "f", CloudChoice::Auto).unwrap();
    assert!(matches!(&read.records[0].1, Mapped::Rejected(r) if r.contains("eventTime")));
    let no_id = r#"{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#;
    let read = read_file(no_id.as_bytes(), "f", CloudChoice::Auto).unwrap();
    assert!(matches!(&read.records[0].1, Mapped::Rejected(r) if r.contains("eventID")));
    assert_eq!(
        read.records[0].2, no_id,
        "the rejected record's text is kept for quarantine"
    );
}

const INSIGHTS: &str = include_str!(
    "../../../tests/fixtures/cloudtrail-kinds/insights/123456789012_CloudTrail-Insight_us-east-1_20240620T1015Z_a1b2c3.json"
);
const DATA_EVENTS: &str = include_str!(
    "../../../tests/fixtures/cloudtrail-kinds/data-events/123456789012_CloudTrail_us-east-1_20240620T1020Z_d4e5f6.json"
);

#[test]
fn an_insight_names_the_api_and_the_principal_behind_most_of_its_calls_and_is_no_call() {
    let all = events(INSIGHTS);
    assert_eq!(all.len(), 3);
    let start = by_id(&all, "7f61");
    assert_eq!(start.category, "insight");
    assert_eq!(
        (start.service.as_str(), start.action.as_str()),
        ("iam.amazonaws.com", "DeleteAccessKey")
    );
    assert_eq!(
        (start.principal.as_str(), start.principal_type.as_deref()),
        ("arn:aws:iam::123456789012:user/ci-bot", Some("IAMUser")),
        "the attribution with the highest insight average"
    );
    assert_eq!(start.outcome, Outcome::Observed);
    assert_eq!(start.error_message.as_deref(), Some("ApiCallRateInsight Start"));
    let end = by_id(&all, "9e82");
    assert_eq!(
        end.request_id, start.request_id,
        "Start and End share their sharedEventID"
    );
    assert!(start.request_id.is_some());
    let errors = by_id(&all, "8a93");
    assert_eq!(errors.error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(errors.action, "AssumeRole");
}

#[test]
fn data_events_are_told_apart_with_their_object_or_function_as_the_resource() {
    let all = events(DATA_EVENTS);
    assert_eq!(all.len(), 4);
    assert!(
        all.iter().all(|e| e.category == "data"),
        "the 1.05 record too, by its S3 object"
    );
    let get = by_id(&all, "4a51");
    assert_eq!(
        get.resource.as_deref(),
        Some("arn:aws:s3:::contoso-finance-exports/reports/2024/06/payroll-2024-06.csv")
    );
    assert_eq!(get.resource_type.as_deref(), Some("AWS::S3::Object"));
    assert_eq!(
        get.principal,
        "arn:aws:sts::123456789012:assumed-role/DataAnalyst/j.doe"
    );
    let invoke = by_id(&all, "6c73");
    assert_eq!(
        invoke.resource.as_deref(),
        Some("arn:aws:lambda:us-east-1:123456789012:function:invoice-renderer")
    );
    // In a trail's delivery file: management events, and one data event among them.
    for e in events(DELIVERY) {
        let expected = if e.action == "GetObject" { "data" } else { "management" };
        assert_eq!(e.category, expected, "{}", e.action);
    }
}
