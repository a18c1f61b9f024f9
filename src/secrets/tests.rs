use super::*;

fn key() -> FingerprintKey {
    FingerprintKey::from_bytes([7; 32])
}

fn masked(raw: &str) -> String {
    Masker::new(Some(key()))
        .record(raw)
        .unwrap()
        .unwrap_or_else(|| raw.to_string())
}

/// Masks `raw`, checks that it stays JSON, that `secret` is gone and that `kept` is still there.
fn hides(raw: &str, secret: &str, kept: &[&str]) -> String {
    let out = masked(raw);
    assert!(!out.contains(secret), "{secret} is still in {out}");
    serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    for k in kept {
        assert!(out.contains(k), "{k} was lost: {out}");
    }
    // Nothing is left to find.
    assert_eq!(Masker::new(Some(key())).record(&out), Ok(None), "{out}");
    out
}

#[test]
fn hmac_matches_rfc_4231() {
    // Test case 2 of RFC 4231, with its 4-byte key padded the way HMAC pads it (zeros).
    let mut k = [0u8; 32];
    k[..4].copy_from_slice(b"Jefe");
    let mac = FingerprintKey::from_bytes(k).mac(b"what do ya want for nothing?");
    assert_eq!(
        hex(&mac),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn leaked_credentials_become_markers_with_their_kind_and_the_rest_is_kept_byte_for_byte() {
    let raw = r#"{"responseElements": {"credentials":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKEN","expiration":"May 2"}},  "x" : 1}"#;
    let out = hides(
        raw,
        "wJalrXUtnFEMI",
        &[
            r#""accessKeyId":"ASIAEXAMPLE""#,
            r#""expiration":"May 2""#,
            r#"},  "x" : 1}"#,
        ],
    );
    let fp = key().fingerprint("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assert!(
        out.contains(&format!(r#""secretAccessKey":"[MASKED:aws-secret-key:{fp}]""#)),
        "{out}"
    );
    assert!(out.contains("[MASKED:aws-session-token:"), "{out}");
    assert!(!out.contains("IQoJb3JpZ2lu"));
}

#[test]
fn the_same_secret_has_the_same_fingerprint_wherever_it_appears() {
    let a = masked(r#"{"password":"hunter2-long"}"#);
    let b = masked(r#"{"note":"db password=hunter2-long"}"#);
    let fp = key().fingerprint("hunter2-long");
    assert!(a.contains(&fp) && b.contains(&fp), "{a} {b}");
    let other = Masker::new(Some(FingerprintKey::from_bytes([8; 32])))
        .record(r#"{"password":"hunter2-long"}"#)
        .unwrap()
        .unwrap();
    assert!(!other.contains(&fp), "another archive's key gives another fingerprint");
}

#[test]
fn environment_lists_appsettings_and_deployment_parameters_hide_their_values() {
    hides(
        r#"{"containerDefinitions":[{"environment":[{"name":"DB_PASSWORD","value":"pa55word!"},{"name":"LOG_LEVEL","value":"debug"}]}]}"#,
        "pa55word!",
        &[r#""value":"debug""#, r#""name":"DB_PASSWORD""#],
    );
    hides(
        r#"{"environment":[{"value":"sk_1234","name":"STRIPE_API_KEY"}]}"#,
        "sk_1234",
        &["STRIPE_API_KEY"],
    );
    hides(
        r#"{"properties":{"siteConfig":{"appSettings":[{"name":"DbConnection","value":"Server=tcp:db.example.net;User ID=app;Password=Zx9!vq;"}]}}}"#,
        "Zx9!vq",
        &["Server=tcp:db.example.net", "User ID=app"],
    );
    hides(
        r#"{"parameters":{"adminPassword":{"value":"P@ssw0rd-2024"},"vmSize":{"value":"Standard_B2s"}}}"#,
        "P@ssw0rd-2024",
        &["Standard_B2s"],
    );
    hides(
        r#"{"parameters":[{"parameterKey":"DbPassword","parameterValue":"cfn-s3cret"}]}"#,
        "cfn-s3cret",
        &["DbPassword"],
    );
    hides(
        r#"{"name":"/prod/db/password","type":"String","value":"ssm-plain-1"}"#,
        "ssm-plain-1",
        &["/prod/db/password"],
    );
}

#[test]
fn keys_written_with_escapes_and_values_of_any_type_are_read_as_what_they_are() {
    hides(r#"{"pass\u0077ord":"escaped-key-1"}"#, "escaped-key-1", &[]);
    hides(r#"{"password":"\u0068unter\u0032"}"#, "\\u0068unter", &[]);
    hides(r#"{"pin_secret":123456789}"#, "123456789", &[]);
    hides(r#"{"passwords":["first-pw","second-pw"]}"#, "second-pw", &[]);
    let out = hides(r#"{"dbPassword": 4242, "port": 4242}"#, "\"dbPassword\": 4242", &[]);
    assert!(out.contains(r#""port": 4242"#), "{out}");
}

#[test]
fn json_inside_a_string_is_walked_and_stays_json_escaped() {
    let out = hides(
        r#"{"requestbody":"{\"password\":\"hunter2\",\"user\":\"eve\",\"env\":[{\"name\":\"API_TOKEN\",\"value\":\"t0k3n\"}]}"}"#,
        "hunter2",
        &[r#"\"user\":\"eve\""#],
    );
    assert!(!out.contains("t0k3n"), "{out}");
}

#[test]
fn presigned_urls_sas_and_connection_strings_lose_their_signatures_and_keys() {
    let out = hides(
        r#"{"url":"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20240502&X-Amz-Security-Token=IQoJb3JpZ2luX2VjPRESIGNED&X-Amz-Signature=9f3b2c1a0e&X-Amz-Expires=300"}"#,
        "9f3b2c1a0e",
        &["X-Amz-Credential=ASIAEXAMPLE", "X-Amz-Expires=300"],
    );
    assert!(!out.contains("IQoJb3JpZ2luX2VjPRESIGNED"), "{out}");
    hides(
        r#"{"uri":"https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2024-05-03&sp=r&sig=AbC%2Bdef123%3D"}"#,
        "AbC%2Bdef123",
        &["sv=2022-11-02", "sp=r"],
    );
    hides(
        r#"{"cs":"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=bXlrZXkxMjM0NTY3ODkw==;EndpointSuffix=core.windows.net"}"#,
        "bXlrZXkxMjM0NTY3ODkw",
        &["AccountName=acct", "EndpointSuffix=core.windows.net"],
    );
    hides(
        r#"{"u":"postgres://app:Sup3r-Secret@db.internal:5432/prod"}"#,
        "Sup3r-Secret",
        &["postgres://app:", "@db.internal:5432/prod"],
    );
}

#[test]
fn free_text_in_messages_scripts_and_user_agents_is_searched() {
    hides(
        r#"{"errorMessage":"login failed for user=app password=Winter2024! at db"}"#,
        "Winter2024!",
        &["login failed for user=app", "at db"],
    );
    hides(
        r##"{"metadata":{"items":[{"key":"startup-script","value":"#!/bin/bash\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\naws_secret_access_key = AnotherSecretKeyValue0123456789abcdefghij\ncurl x"}]}}"##,
        "wJalrXUtnFEMIK7MDENG",
        &["#!/bin/bash", "curl x"],
    );
    hides(
        r#"{"userAgent":"curl/8 Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"}"#,
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        &["curl/8"],
    );
    hides(
        r#"{"note":"tokens ghp_0123456789abcdefghijklmnopqrstuvwxyzAB xoxb-123456789012-abcdefghij AIzaSyA1234567890abcdefghijklmnopqrstuv sk_live_0123456789abcdefABCD"}"#,
        "ghp_0123456789",
        &["tokens"],
    );
    let out = masked(
        r#"{"note":"tokens ghp_0123456789abcdefghijklmnopqrstuvwxyzAB xoxb-123456789012-abcdefghij AIzaSyA1234567890abcdefghijklmnopqrstuv sk_live_0123456789abcdefABCD"}"#,
    );
    for gone in ["xoxb-1234", "AIzaSyA123", "sk_live_0123"] {
        assert!(!out.contains(gone), "{gone} in {out}");
    }
}

#[test]
fn private_keys_are_masked_with_or_without_their_end_line() {
    let out = hides(
        r#"{"private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"}"#,
        "MIIEvQIBADAN",
        &[],
    );
    assert!(out.contains("[MASKED:private-key:"), "{out}");
    let out = hides(
        r#"{"userData":"echo '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"}"#,
        "b3BlbnNzaC1rZXktdjEA",
        &["-----BEGIN OPENSSH PRIVATE KEY-----"],
    );
    assert!(out.contains("echo '"), "{out}");
}

#[test]
fn names_settings_and_identifiers_stay_readable() {
    for raw in [
        r#"{"requestParameters":{"secretId":"prod/db","SecretARN":"arn:aws:secretsmanager:us-east-1:1:secret:prod/db"}}"#,
        r#"{"metadataOptions":{"httpTokens":"optional"},"clientToken":"a1b2-c3","nextToken":"eyJwYWdlIjoyfQ=="}"#,
        r#"{"sessionContext":{"sessionCredentialFromConsole":"true"},"passwordResetRequired":false}"#,
        r#"{"minimumPasswordLength":14,"maxPasswordAge":90,"passwordReusePrevention":5}"#,
        r#"{"additionalEventData":{"SignatureVersion":"SigV4","AuthenticationMethod":"AuthHeader"}}"#,
        r#"{"userIdentity":{"accessKeyId":"AKIAIOSFODNN7EXAMPLE"},"eventName":"GetSecretValue"}"#,
        r#"{"errorMessage":"User: arn:aws:iam::1:user/x is not authorized to perform: secretsmanager:GetSecretValue on resource: prod/db"}"#,
        r#"{"errorCode":"ExpiredToken","errorMessage":"ExpiredToken: The security token included in the request is expired"}"#,
        r#"{"password":"HIDDEN_DUE_TO_SECURITY_REASONS","newPassword":"","oldPassword":null}"#,
        r#"{"sessionId":"s-1","tokenValue":"Value hidden due to security reasons."}"#,
        r#"{"authorizationInfo":[{"permission":"iam.serviceAccountKeys.create","granted":true}]}"#,
        r#"{"env":[{"name":"DB_PASSWORD_LENGTH","value":"16"},{"name":"key","value":"logs/x.json"}]}"#,
    ] {
        assert_eq!(masked(raw), raw, "nothing to hide in {raw}");
    }
}

#[test]
fn free_text_masking_needs_no_key_and_leaves_plain_text_borrowed() {
    assert!(matches!(mask_text("GetObject on bucket logs"), Cow::Borrowed(_)));
    assert_eq!(
        mask_text("cannot cast 'Bearer abcdef1234567890' to Int64"),
        "cannot cast 'Bearer [MASKED:bearer-token]' to Int64"
    );
}

#[test]
fn everything_inside_a_secret_is_secret_but_what_only_describes_it() {
    hides(
        r#"{"passwords":{"alice":"hunter2-a","bob":"hunter2-b"},"credentials":{"user":"u1","pass":"p-word-9","expiration":"soon"}}"#,
        "hunter2-a",
        &[r#""expiration":"soon""#],
    );
    hides(
        r#"{"secrets":[{"name":"db","value":"S3cr3t-aca"}],"authorization":{"action":"Microsoft.Web/sites/write","scope":"/subscriptions/x"}}"#,
        "S3cr3t-aca",
        &["Microsoft.Web/sites/write", "/subscriptions/x"],
    );
    assert!(!masked(r#"{"credentials":{"user":"u1","pass":"p-word-9"}}"#).contains("p-word-9"));
}

#[test]
fn separated_names_variables_passwords_starting_with_a_dollar_and_validation_errors() {
    hides(
        r#"{"env":{"Api Key":"spaced-name-1","master-key":"dashed-name-2","SENDGRID_KEY":"SG.abc.def"}}"#,
        "spaced-name-1",
        &[],
    );
    assert!(!masked(r#"{"master-key":"dashed-name-2"}"#).contains("dashed-name-2"));
    assert!(!masked(r#"{"SENDGRID_KEY":"SG.abc.def"}"#).contains("SG.abc.def"));
    hides(
        r#"{"parameters":[{"parameterKey":"DBPassword","parameterValue":"$Tr0ng!pw"}]}"#,
        "$Tr0ng!pw",
        &[],
    );
    let kept = r#"{"environment":{"DB_PASSWORD":"${DB_PASSWORD}"}}"#;
    assert_eq!(masked(kept), kept, "a reference to a variable is not the secret");
    hides(
        r#"{"errorMessage":"1 validation error detected: Value 'Hunter2!x' at 'password' failed to satisfy constraint"}"#,
        "Hunter2!x",
        &["failed to satisfy constraint"],
    );
    hides(r#"{"u":"redis://:redis-pass-1@cache:6379"}"#, "redis-pass-1", &[]);
    hides(
        r#"{"cs":"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=c2VjcmV0a2V5MTIz="}"#,
        "c2VjcmV0a2V5MTIz",
        &["SharedAccessKeyName=Root"],
    );
}

#[test]
fn condition_keys_and_working_directories_stay_readable() {
    for raw in [
        r#"{"policy":"{\"Condition\":{\"StringLike\":{\"token.actions.githubusercontent.com:sub\":\"repo:acme/app:ref:refs/heads/main\",\"secretsmanager:VersionStage\":\"AWSCURRENT\"}}}"}"#,
        r#"{"inScopeOf":{"credentialsIssuedTo":"arn:aws:iam::1:role/x"},"uniqueTokenIdentifier":"abc"}"#,
        r#"{"script":"export PWD=/home/app OLDPWD=/tmp"}"#,
        r#"{"resultType":"Success","resultSignature":"Succeeded.OK"}"#,
    ] {
        assert_eq!(masked(raw), raw, "nothing to hide in {raw}");
    }
}

#[test]
fn a_record_nested_deeper_than_a_walk_goes_is_refused_not_half_searched() {
    let deep = format!("{}{{\"password\":\"deep-pw\"}}{}", "[".repeat(140), "]".repeat(140));
    assert!(Masker::new(Some(key())).record(&deep).is_err());
    let fine = format!("{}{{\"password\":\"deep-pw\"}}{}", "[".repeat(100), "]".repeat(100));
    assert!(!masked(&fine).contains("deep-pw"));
}
