//! Records written by hand from a rule's text, where the generic samples cannot say what the
//! rule is for: a rule whose two fields are one place of the record, or whose value a real
//! record keeps elsewhere than the field's name says. Each record is a merge patch (RFC 7396)
//! on the base record of the rule's kind (`records::base`).

use serde_json::{Value, json};

pub struct Override {
    pub rule: &'static str,
    /// Why the generic samples are not enough.
    pub why: &'static str,
    /// Whether the generic samples are left out (they cannot be made), or these are added to them.
    pub replaces_generic: bool,
    pub positives: Vec<(&'static str, Value)>,
    pub negatives: Vec<(&'static str, Value)>,
}

pub fn all() -> Vec<Override> {
    vec![
        Override {
            rule: "8dee7a0d-43fd-4b3c-8cd1-605e189d195e",
            why: "OperationName and properties.message would \
                  both be the activity's name; the rule's properties.message is the text of the modified \
                  property UserType (Guest → Member), as the record's JSON writes it",
            replaces_generic: true,
            positives: vec![(
                "Update user whose UserType changed from Guest to Member",
                entra_update_user(r#"["Guest"]"#, r#"["Member"]"#),
            )],
            negatives: vec![
                (
                    "UserType changed from Member to Guest",
                    entra_update_user(r#"["Member"]"#, r#"["Guest"]"#),
                ),
                ("the same change under another activity (Add user)", {
                    let mut r = entra_update_user(r#"["Guest"]"#, r#"["Member"]"#);
                    r["operationName"] = json!("Add user");
                    r["properties"]["activityDisplayName"] = json!("Add user");
                    r
                }),
            ],
        },
        Override {
            rule: "fa84aaf5-8142-43cd-9ec2-78cfebf878ce",
            why: "the rule's Status is what the portal shows as the Status \
                  Reason of the audit event (Microsoft's security-operations guide: Activity 'Admin registered \
                  security info', Status Reason 'Admin registered temporary access pass method for user'), \
                  which a directoryAudit keeps in resultReason, its result being 'success'",
            replaces_generic: false,
            positives: vec![(
                "a TAP registered, as Entra ID records it",
                entra_security_info("Admin registered temporary access pass method for user"),
            )],
            negatives: vec![(
                "another method registered (phone)",
                entra_security_info("Admin registered phone method for user"),
            )],
        },
        Override {
            rule: "76737c19-66ee-4c07-b65a-a03301d1573d",
            why: "GKE's audit entry of a break-glass pod carries the word as \
                  a key, the entry's label imagepolicywebhook.image-policy.k8s.io/break-glass and the pod's \
                  label image-policy.k8s.io/break-glass (as Binary Authorization's documentation and log \
                  filters have it), not as a value",
            replaces_generic: false,
            positives: vec![("a pod created with break-glass, as GKE logs it", gke_pod_create(true))],
            negatives: vec![("the same pod created without break-glass", gke_pod_create(false))],
        },
        Override {
            rule: "db014773-7375-4f4e-b83b-133337c0ffee",
            why: "the quoted values are in the \
                  policy document, which PutUserPolicy's requestParameters hold as a string of JSON",
            replaces_generic: false,
            positives: vec![(
                "S3 Browser's policy template put, as CloudTrail records it",
                put_user_policy("s3:GetObject"),
            )],
            negatives: vec![("a policy allowing s3:PutObject", put_user_policy("s3:PutObject"))],
        },
    ]
}

fn put_user_policy(action: &str) -> Value {
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": [action], "Resource": ["arn:aws:s3:::<YOUR-BUCKET-NAME>/*"]}]
    });
    json!({
        "eventSource": "iam.amazonaws.com",
        "eventName": "PutUserPolicy",
        "userAgent": "S3 Browser 11.5.7 https://s3browser.com",
        "readOnly": false,
        "requestParameters": {
            "userName": "backup-agent",
            "policyName": "s3browser-bucket-policy",
            "policyDocument": document.to_string()
        },
        "responseElements": null
    })
}

fn entra_update_user(old: &str, new: &str) -> Value {
    json!({
        "operationName": "Update user",
        "properties": {
            "category": "UserManagement",
            "activityDisplayName": "Update user",
            "operationType": "Update",
            "targetResources": [{
                "id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
                "displayName": null,
                "type": "User",
                "userPrincipalName": "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com",
                "modifiedProperties": [
                    {"displayName": "UserType", "oldValue": old, "newValue": new},
                    {"displayName": "Included Updated Properties", "oldValue": null, "newValue": "\"UserType\""}
                ]
            }]
        }
    })
}

fn entra_security_info(reason: &str) -> Value {
    json!({
        "operationName": "Admin registered security info",
        "properties": {
            "category": "UserManagement",
            "activityDisplayName": "Admin registered security info",
            "loggedByService": "Authentication Methods",
            "result": "success",
            "resultReason": reason,
            "operationType": "Add",
            "targetResources": [{
                "id": "5c7d9e1f-3a4b-4c6d-8e0f-1a2b3c4d5e6f",
                "displayName": "Bob User",
                "type": "User",
                "userPrincipalName": "bob@contoso.com",
                "modifiedProperties": []
            }]
        }
    })
}

fn gke_pod_create(break_glass: bool) -> Value {
    let labels = match break_glass {
        true => json!({"app": "hello", "image-policy.k8s.io/break-glass": "true"}),
        false => json!({"app": "hello"}),
    };
    let mut entry = json!({
        "protoPayload": {
            "serviceName": "k8s.io",
            "methodName": "io.k8s.core.v1.pods.create",
            "resourceName": "core/v1/namespaces/default/pods/breakglass-pod",
            "authorizationInfo": [{
                "permission": "io.k8s.core.v1.pods.create",
                "granted": true,
                "resource": "core/v1/namespaces/default/pods/breakglass-pod"
            }],
            "request": {
                "@type": "core.k8s.io/v1.Pod",
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "breakglass-pod", "labels": labels},
                "spec": {"containers": [{"name": "hello", "image": "gcr.io/google-samples/hello-app:1.0"}]}
            }
        },
        "resource": {"type": "k8s_cluster", "labels": {"project_id": "acme-prod", "location": "us-central1", "cluster_name": "prod-1"}},
        "labels": {"authorization.k8s.io/decision": "allow"}
    });
    if break_glass {
        entry["labels"]["imagepolicywebhook.image-policy.k8s.io/break-glass"] = json!("true");
    }
    entry
}
