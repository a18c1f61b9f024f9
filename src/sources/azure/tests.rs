//! Each column's mapping, checked on Activity Log exports in the shapes Azure writes them.

use crate::sources::{CloudChoice, Event, Outcome, read_file};

const DIAGNOSTIC: &str = include_str!(
    "../../../tests/fixtures/azure/insights-activity-logs/resourceId=/SUBSCRIPTIONS/8F3C1A2B-4D5E-4F60-9A7B-1C2D3E4F5A6B/y=2024/m=05/d=02/h=09/m=00/PT1H.json"
);
const RECORDS: &str = include_str!("../../../tests/fixtures/azure/activity-records-2019.json");
const REST: &str = include_str!("../../../tests/fixtures/azure/rest-activity-events.json");
const SDK: &str = include_str!("../../../tests/fixtures/azure/sdk-event-data.jsonl");

fn events(text: &str) -> Vec<Event> {
    read_file(text.as_bytes(), "PT1H.json", CloudChoice::Auto)
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
fn a_role_assignment_by_an_app_in_the_diagnostic_export_maps_every_column() {
    let all = events(DIAGNOSTIC);
    assert_eq!(all.len(), 3);
    let e = &all[0];
    assert_eq!(e.event_time, micros("2024-05-02T09:41:07.123456Z"));
    assert!(
        e.event_id.starts_with("sha256:") && e.event_id.len() == 39,
        "the export has no id: one is derived"
    );
    assert_eq!(
        e.tenant, "8f3c1a2b-4d5e-4f60-9a7b-1c2d3e4f5a6b",
        "the subscription, lower-cased"
    );
    assert_eq!(e.region.as_deref(), Some("global"));
    assert_eq!(
        e.principal, "d3b07384-d113-4ec6-a3f1-9b5c1e8f7a20",
        "an app is named by its app id"
    );
    assert_eq!(e.principal_type.as_deref(), Some("ServicePrincipal"));
    assert_eq!(e.source_ip.as_deref(), Some("198.51.100.77"));
    assert_eq!(e.service, "microsoft.authorization");
    assert_eq!(
        e.action, "microsoft.authorization/roleassignments/write",
        "lower-cased: Azure names are case-insensitive"
    );
    assert_eq!(
        e.resource.as_deref(),
        Some(
            "/subscriptions/8f3c1a2b-4d5e-4f60-9a7b-1c2d3e4f5a6b/providers/microsoft.authorization/roleassignments/0e7f2a4c-9b1d-4c3e-8f5a-6b7c8d9e0f1a"
        )
    );
    assert_eq!(
        e.resource_type.as_deref(),
        Some("microsoft.authorization/roleassignments")
    );
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.read_only, Some(false));
    assert_eq!(e.request_id.as_deref(), Some("4a6b8c0d-2e4f-4061-8a2c-3e5f7a9b1c3d"));
    assert_eq!(e.raw, DIAGNOSTIC.lines().next().unwrap());
    assert_ne!(all[0].event_id, all[1].event_id, "derived ids differ between records");
}

#[test]
fn started_is_not_a_failure_and_failed_carries_its_status() {
    let all = events(DIAGNOSTIC);
    assert_eq!(
        all[1].outcome,
        Outcome::Started,
        "a Start step did not fail, nor succeed yet"
    );
    let denied = &all[2];
    assert_eq!(denied.outcome, Outcome::Failure);
    assert_eq!(denied.error_code.as_deref(), Some("Forbidden"));
    assert!(denied.error_message.as_deref().unwrap().contains("AuthorizationFailed"));
    assert_eq!(denied.principal, "eve@contoso.example", "a user is named by their UPN");
    assert_eq!(denied.principal_type.as_deref(), Some("User"));
}

#[test]
fn the_older_records_wrapper_is_read() {
    let all = events(RECORDS);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].tenant, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    assert_eq!(all[0].principal, "admin@contoso.example");
    assert_eq!(
        all[0].resource_type.as_deref(),
        Some("microsoft.support/supporttickets")
    );
}

#[test]
fn the_rest_shape_maps_ids_status_and_provider() {
    let all = events(REST);
    assert_eq!(all.len(), 1);
    let e = &all[0];
    assert_eq!(e.event_id, "6f5e4d3c-2b1a-4098-8765-4321fedcba98");
    assert_eq!(e.event_time, micros("2024-05-02T10:02:44.444829Z"));
    assert_eq!(
        e.tenant, "8f3c1a2b-4d5e-4f60-9a7b-1c2d3e4f5a6b",
        "the same subscription as the diagnostic export"
    );
    assert_eq!(e.service, "microsoft.keyvault");
    assert_eq!(e.action, "microsoft.keyvault/vaults/write");
    assert_eq!(e.resource_type.as_deref(), Some("microsoft.keyvault/vaults"));
    assert_eq!(e.source_ip.as_deref(), Some("198.51.100.77"));
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.region, None);
}

#[test]
fn the_sdk_snake_case_shape_maps_the_same_columns() {
    let all = events(SDK);
    assert_eq!(all.len(), 1);
    let e = &all[0];
    assert_eq!(e.event_id, "9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a");
    assert_eq!(e.event_time, micros("2022-02-09T03:04:54.297853Z"));
    assert_eq!(e.tenant, "0f9e8d7c-6b5a-4493-8281-706f5e4d3c2b");
    assert_eq!(e.principal, "fakeemail@fakedomain.com");
    assert_eq!(e.source_ip.as_deref(), Some("192.0.2.99"));
    assert_eq!(e.service, "microsoft.compute");
    assert_eq!(e.action, "microsoft.compute/virtualmachines/delete");
    assert_eq!(
        e.resource.as_deref(),
        Some(
            "/subscriptions/0f9e8d7c-6b5a-4493-8281-706f5e4d3c2b/resourcegroups/lab-rg/providers/microsoft.compute/virtualmachines/lab-vm"
        )
    );
    assert_eq!(
        e.outcome,
        Outcome::Started,
        "Started is not a failure, nor a success yet"
    );
    assert_eq!(e.read_only, Some(false));
    assert_eq!(e.request_id.as_deref(), Some("c0c54eb6-3a17-42e2-b6f6-37484ac276c4"));
}
