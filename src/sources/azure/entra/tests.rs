//! Each column's mapping, checked on Entra ID logs in the shapes Microsoft documents them: the
//! diagnostic-settings export and Microsoft Graph's `directoryAudit` and `signIn` objects.

use crate::sources::{CloudChoice, Event, Outcome, read_file};

const AUDIT: &str = include_str!("../../../../tests/fixtures/entra/diagnostic/AuditLogs.json");
const SIGN_INS: &str = include_str!("../../../../tests/fixtures/entra/diagnostic/SignInLogs.jsonl");
const OTHER_SIGN_INS: &str = include_str!("../../../../tests/fixtures/entra/diagnostic/OtherSignInLogs.jsonl");
const GRAPH_AUDITS: &str = include_str!("../../../../tests/fixtures/entra/graph/directoryAudits.json");
const GRAPH_SIGN_INS: &str = include_str!("../../../../tests/fixtures/entra/graph/signIns.json");
const TENANT: &str = "4f7a1c2e-8d3b-4a6f-9e1d-2c3b4a5f6e7d";

fn events(text: &str) -> Vec<Event> {
    let read = read_file(text.as_bytes(), "PT1H.json", CloudChoice::Auto).unwrap();
    let events: Vec<Event> = read.events().cloned().collect();
    assert_eq!(
        events.len(),
        read.records.len(),
        "every record is an event: {:?}",
        read.records
    );
    events
}

fn by_id<'a>(events: &'a [Event], prefix: &str) -> &'a Event {
    events.iter().find(|e| e.event_id.starts_with(prefix)).unwrap()
}

fn micros(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_micros()
}

#[test]
fn a_credential_added_to_a_service_principal_names_who_from_where_and_the_app() {
    let all = events(AUDIT);
    assert_eq!(all.len(), 5);
    let e = by_id(&all, "Directory_1c2d3e4f");
    assert_eq!(e.category, "entra_audit");
    assert_eq!(
        e.event_time,
        micros("2024-06-20T09:14:07.512345Z"),
        "activityDateTime, to the microsecond"
    );
    assert_eq!(e.tenant, TENANT);
    assert_eq!(
        (e.principal.as_str(), e.principal_type.as_deref()),
        ("alice.admin@contoso.com", Some("User"))
    );
    assert_eq!(e.action, "Add service principal credentials");
    assert_eq!(e.service, "Core Directory");
    assert_eq!(
        e.resource.as_deref(),
        Some("0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"),
        "the app id its sign-ins are named by, not the object id"
    );
    assert_eq!(e.resource_type.as_deref(), Some("entra/serviceprincipal"));
    assert_eq!(e.source_ip.as_deref(), Some("198.51.100.24"));
    assert_eq!(e.user_agent.as_deref(), Some("python-requests/2.31.0"));
    assert_eq!((e.outcome, e.read_only), (Outcome::Success, Some(false)));
    assert_eq!(e.request_id.as_deref(), Some("1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5"));

    // An application's id from its `AppId` property; an app as the initiator, by its app id.
    assert_eq!(
        by_id(&all, "Directory_4f5a6b7c").resource.as_deref(),
        Some("8a9b0c1d-2e3f-4a5b-9c6d-7e8f9a0b1c2d")
    );
    let role = by_id(&all, "Directory_3e4f5a6b");
    assert_eq!(
        (
            role.principal.as_str(),
            role.principal_type.as_deref(),
            role.resource.as_deref()
        ),
        (
            "7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b",
            Some("ServicePrincipal"),
            Some("bob.ops@contoso.com")
        )
    );
    let failed = by_id(&all, "Directory_6b7c8d9e");
    assert_eq!(failed.outcome, Outcome::Failure);
    assert_eq!(failed.error_code.as_deref(), Some("failure"));
    assert!(failed.error_message.as_deref().unwrap().contains("already exist"));
}

#[test]
fn graph_audits_are_the_same_events_as_the_export_keeps() {
    let exported = events(AUDIT);
    let graph = events(GRAPH_AUDITS);
    assert_eq!(graph.len(), 3);
    let (a, b) = (
        by_id(&exported, "Directory_1c2d3e4f"),
        by_id(&graph, "Directory_1c2d3e4f"),
    );
    assert_eq!(
        (a.event_id.as_str(), a.event_time, &a.principal, &a.action, &a.resource),
        (b.event_id.as_str(), b.event_time, &b.principal, &b.action, &b.resource),
        "one event, one id, one time, one mapping"
    );
    assert_eq!(b.tenant, "unknown", "Graph's objects name no tenant");
    // The secrets-and-certificates update of an application names its app id in additionalDetails.
    let update = by_id(&graph, "Directory_8d9e0f1a");
    assert!(
        update
            .action
            .starts_with("Update application – Certificates and secrets management")
    );
    assert_eq!(update.resource.as_deref(), Some("8a9b0c1d-2e3f-4a5b-9c6d-7e8f9a0b1c2d"));
}

#[test]
fn sign_ins_are_named_by_their_kind_and_an_error_code_is_a_failure() {
    let all = events(SIGN_INS);
    assert_eq!(all.len(), 3);
    let ok = by_id(&all, "b7c1e2d3");
    assert_eq!(ok.category, "entra_signin");
    assert_eq!(ok.event_time, micros("2024-06-20T08:58:12.443322Z"));
    assert_eq!(
        (ok.action.as_str(), ok.principal.as_str()),
        ("UserSignIn", "alice.admin@contoso.com")
    );
    assert_eq!(ok.principal_type.as_deref(), Some("User"));
    assert_eq!(ok.service, "microsoft.aadiam");
    assert_eq!(
        ok.resource.as_deref(),
        Some("797f4846-ba00-4fd7-ba43-dac1f8f63013"),
        "the resource's app id (Azure Service Management): its name is in raw"
    );
    assert_eq!((ok.outcome, ok.read_only), (Outcome::Success, None));
    assert_eq!(ok.source_ip.as_deref(), Some("198.51.100.24"));
    assert!(ok.user_agent.as_deref().unwrap().starts_with("Mozilla/5.0"));
    let bad = by_id(&all, "c8d2f3e4");
    assert_eq!(bad.outcome, Outcome::Failure);
    assert_eq!(bad.error_code.as_deref(), Some("50126"));
    assert_eq!(
        bad.error_message.as_deref(),
        Some("Error validating credentials due to invalid username or password.")
    );
}

#[test]
fn service_principals_and_managed_identities_sign_in_as_their_app_with_their_credential() {
    let all = events(OTHER_SIGN_INS);
    let kinds: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "NonInteractiveUserSignIn",
            "ServicePrincipalSignIn",
            "ManagedIdentitySignIn"
        ]
    );
    let sp = &all[1];
    assert_eq!(
        (sp.principal.as_str(), sp.principal_type.as_deref()),
        ("0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", Some("ServicePrincipal"))
    );
    assert_eq!(
        sp.access_key_id.as_deref(),
        Some("9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"),
        "the secret the audit log saw added"
    );
    let mi = &all[2];
    assert_eq!(mi.principal_type.as_deref(), Some("ManagedIdentity"));
    assert_eq!(mi.source_ip, None, "an empty address is none");
}

#[test]
fn graph_sign_ins_take_their_kind_from_the_event_types() {
    let all = events(GRAPH_SIGN_INS);
    assert_eq!(all.len(), 3);
    assert_eq!(by_id(&all, "1b5f9a0c").action, "NonInteractiveUserSignIn");
    let sp = by_id(&all, "0a4e8f9b");
    assert_eq!(
        (sp.action.as_str(), sp.principal.as_str()),
        ("ServicePrincipalSignIn", "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6")
    );
    assert_eq!(
        (sp.outcome, sp.error_code.as_deref()),
        (Outcome::Failure, Some("7000215"))
    );
    let same = by_id(&all, "b7c1e2d3");
    assert_eq!(same.action, "UserSignIn");
    assert_eq!(same.event_id, by_id(&events(SIGN_INS), "b7c1e2d3").event_id);
}

#[test]
fn a_permission_granted_names_the_app_that_gets_it_not_the_api() {
    let graph = events(GRAPH_AUDITS);
    let grant = by_id(&graph, "Directory_7c8d9e0f");
    assert_eq!(grant.action, "Add app role assignment to service principal");
    assert_eq!(grant.resource.as_deref(), Some("c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"));
}

#[test]
fn other_services_audit_logs_and_sign_up_objects_are_not_taken_for_entra() {
    // Intune exports a category `AuditLogs` too, shaped as its own.
    let intune = r#"{"time":"2024-06-20T09:00:00Z","resourceId":"/providers/Microsoft.Intune","operationName":"Delete ManagedDevice","category":"AuditLogs","resultType":"Success","properties":{"ActivityDate":"2024-06-20T09:00:00Z","Actor":{"UPN":"admin@contoso.com"},"AuditEventId":"7a1b"}}"#;
    let read = read_file(intune.as_bytes(), "PT1H.json", CloudChoice::Auto).unwrap();
    let e: Vec<&Event> = read.events().collect();
    assert_eq!(e.len(), 1, "{:?}", read.records);
    assert_eq!(
        (e[0].category, e[0].action.as_str()),
        ("activity", "delete manageddevice")
    );
    // A Graph selfServiceSignUp has a status and a user, but is no sign-in.
    let sign_up = r#"{"id":"s1","createdDateTime":"2024-06-20T09:00:00Z","appId":"a","userPrincipalName":"x@contoso.com","status":{"errorCode":0},"userFlowId":"B2C_1_signup"}"#;
    let read = read_file(sign_up.as_bytes(), "signup.json", CloudChoice::Auto).unwrap();
    assert_eq!(read.events().count(), 0, "not a record of a known shape");
}

#[test]
fn a_role_given_names_its_member_as_the_resource() {
    let record = r#"{"id":"Directory_pim","activityDisplayName":"Add member to role completed (PIM activation)","activityDateTime":"2024-06-20T09:00:00Z","category":"RoleManagement","loggedByService":"PIM","result":"success","initiatedBy":{"user":{"userPrincipalName":"bob.ops@contoso.com"}},"targetResources":[{"id":"62e90394-69f5-4237-9190-012177145e10","displayName":"Global Administrator","type":"Role"},{"id":"r2","displayName":"Global Administrator","type":"Role"},{"id":"u1","type":"User","userPrincipalName":"bob.ops@contoso.com"}]}"#;
    let e = &events(&format!(r#"{{"value":[{record}]}}"#))[0];
    assert_eq!(
        (e.resource.as_deref(), e.resource_type.as_deref()),
        (Some("bob.ops@contoso.com"), Some("entra/user"))
    );
    assert_eq!(e.service, "PIM");
}
