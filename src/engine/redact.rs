//! Secrets that leaked into audit records (access key secrets, session tokens, passwords, bearer
//! tokens, private keys) are masked in every result unless the user asks to reveal them.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray, StringViewArray};
use datafusion::arrow::datatypes::DataType;
use regex::Regex;

pub const MASK: &str = "[MASKED]";

/// Words that make a JSON field's string value a secret, wherever the field appears and
/// whatever else its name holds (`password`, `DB_PASSWORD`, `sessionToken`, `clientSecret`).
const SECRET_WORDS: &str =
    "password|passwd|secret|token|apikey|api_key|privatekey|private_key|credential|authorization";

/// Name endings that say the field only names or describes a secret (`secretId`, `secretArn`,
/// `tokenType`): an investigator needs those.
const NOT_SECRET_ENDINGS: [&str; 12] = [
    "id",
    "ids",
    "arn",
    "arns",
    "name",
    "names",
    "type",
    "types",
    "expiration",
    "version",
    "status",
    "count",
];

/// Fields whose names hold a secret word but whose values are settings, flags or one-use
/// request identifiers an investigation reads (`httpTokens: optional` is whether an instance
/// still allows IMDSv1).
const NOT_SECRET_NAMES: [&str; 10] = [
    "httptokens",
    "clienttoken",
    "clientrequesttoken",
    "idempotencytoken",
    "nexttoken",
    "pagetoken",
    "nextpagetoken",
    "continuationtoken",
    "paginationtoken",
    "sessioncredentialfromconsole",
];

fn names_a_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    !NOT_SECRET_ENDINGS.iter().any(|e| key.ends_with(e)) && !NOT_SECRET_NAMES.contains(&key.as_str())
}

/// A value no secret can be: a flag.
fn is_flag(value: &str) -> bool {
    value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")
}

/// A secret field in JSON text (`"password": "x"`), the value up to its real closing quote.
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(")([A-Za-z0-9_.\-]*(?:{SECRET_WORDS})[A-Za-z0-9_.\-]*)("\s*:\s*")((?:[^"\\]|\\.)*)(")"#
    ))
    .expect("a valid pattern")
});
/// The same inside a JSON document that is itself a string value (`\"password\":\"x\"`).
static ESCAPED_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(\\")([A-Za-z0-9_.\-]*(?:{SECRET_WORDS})[A-Za-z0-9_.\-]*)(\\"\s*:\s*\\")((?:[^"\\]|\\[^"])*)(\\")"#
    ))
    .expect("a valid pattern")
});
static BEARER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*").expect("a valid pattern"));
static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----")
        .expect("a valid pattern")
});

/// The text with every secret replaced by [`MASK`]; `None` when there is nothing to mask.
pub fn mask(text: &str) -> Option<String> {
    if !(FIELD.is_match(text) || ESCAPED_FIELD.is_match(text) || BEARER.is_match(text) || PRIVATE_KEY.is_match(text)) {
        return None;
    }
    let hide = |c: &regex::Captures<'_>| {
        if c[4].is_empty() || is_flag(&c[4]) || !names_a_secret(&c[2]) {
            c[0].to_string()
        } else {
            format!("{}{}{}{MASK}{}", &c[1], &c[2], &c[3], &c[5])
        }
    };
    let text = FIELD.replace_all(text, hide);
    let text = ESCAPED_FIELD.replace_all(&text, hide);
    let text = BEARER.replace_all(&text, format!("${{1}}{MASK}"));
    let text = PRIVATE_KEY.replace_all(
        &text,
        format!("-----BEGIN ${{1}}PRIVATE KEY-----{MASK}-----END ${{1}}PRIVATE KEY-----"),
    );
    Some(text.into_owned())
}

/// The batch with secrets masked in every text column.
pub fn mask_batch(batch: &RecordBatch) -> RecordBatch {
    if batch.num_columns() == 0 {
        return batch.clone();
    }
    let columns: Vec<ArrayRef> = batch.columns().iter().map(mask_column).collect();
    RecordBatch::try_new(batch.schema(), columns).expect("masking keeps the schema")
}

/// A text column with its secrets masked (other columns come back as they are).
pub fn mask_column(column: &ArrayRef) -> ArrayRef {
    match column.data_type() {
        DataType::Utf8 => {
            let strings = column.as_string::<i32>();
            if !strings.iter().flatten().any(|s| mask(s).is_some()) {
                return column.clone();
            }
            Arc::new(
                strings
                    .iter()
                    .map(|s| s.map(|s| mask(s).unwrap_or_else(|| s.to_string())))
                    .collect::<StringArray>(),
            )
        }
        DataType::Utf8View => {
            let strings = column.as_string_view();
            if !strings.iter().flatten().any(|s| mask(s).is_some()) {
                return column.clone();
            }
            Arc::new(
                strings
                    .iter()
                    .map(|s| s.map(|s| mask(s).unwrap_or_else(|| s.to_string())))
                    .collect::<StringViewArray>(),
            )
        }
        _ => column.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaked_credentials_are_masked_and_the_rest_is_kept() {
        let raw = r#"{"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLE","expiration":"May 2"}}}"#;
        let masked = mask(raw).unwrap();
        assert!(
            !masked.contains("wJalrXUtnFEMI") && !masked.contains("IQoJb3JpZ2lu"),
            "{masked}"
        );
        assert!(
            masked.contains(r#""accessKeyId":"ASIAEXAMPLE""#),
            "an access key id is not a secret: {masked}"
        );
        assert!(masked.contains(r#""secretAccessKey":"[MASKED]""#));
        assert_eq!(mask(r#"{"eventName":"GetObject"}"#), None);
    }

    #[test]
    fn any_field_named_like_a_secret_is_masked_but_not_its_name_or_id() {
        let raw = r#"{"requestParameters":{"secretId":"prod/db","environment":{"variables":{"DB_PASSWORD":"s3cr3t","STRIPE_API_KEY_TOKEN":"sk_live_x"}},"password":"ab\"cd-tail"}}"#;
        let masked = mask(raw).unwrap();
        assert!(
            masked.contains(r#""secretId":"prod/db""#),
            "which secret was read stays visible: {masked}"
        );
        assert!(
            !masked.contains("s3cr3t") && !masked.contains("sk_live_x") && !masked.contains("cd-tail"),
            "{masked}"
        );
        assert!(
            serde_json::from_str::<serde_json::Value>(&masked).is_ok(),
            "still JSON: {masked}"
        );
    }

    #[test]
    fn settings_flags_and_request_tokens_named_like_secrets_are_kept() {
        let raw = r#"{"requestParameters":{"metadataOptions":{"httpTokens":"optional"},"clientToken":"a1b2-c3","nextToken":"eyJwYWdl"},"sessionContext":{"sessionCredentialFromConsole":"true"},"additionalEventData":{"apiToken":"true","sessionToken":"IQoJb3JpZ2luX2Vj"}}"#;
        let masked = mask(raw).unwrap();
        for kept in [
            r#""httpTokens":"optional""#,
            r#""clientToken":"a1b2-c3""#,
            r#""nextToken":"eyJwYWdl""#,
            r#""sessionCredentialFromConsole":"true""#,
            r#""apiToken":"true""#,
        ] {
            assert!(masked.contains(kept), "{kept} in {masked}");
        }
        assert!(masked.contains(r#""sessionToken":"[MASKED]""#), "{masked}");
    }

    #[test]
    fn escaped_json_bearer_tokens_and_private_keys_are_masked() {
        let escaped = r#"{"requestbody":"{\"password\":\"hunter2\",\"user\":\"eve\"}"}"#;
        let masked = mask(escaped).unwrap();
        assert!(
            !masked.contains("hunter2") && masked.contains(r#"\"user\":\"eve\""#),
            "{masked}"
        );
        assert_eq!(
            mask("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def").unwrap(),
            "Authorization: Bearer [MASKED]"
        );
        let pem = "key=-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA\\n-----END RSA PRIVATE KEY----- done";
        assert_eq!(
            mask(pem).unwrap(),
            "key=-----BEGIN RSA PRIVATE KEY-----[MASKED]-----END RSA PRIVATE KEY----- done"
        );
    }
}
