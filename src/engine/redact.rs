//! Secrets that leaked into audit records (access key secrets, session tokens, passwords, bearer
//! tokens, private keys) are masked in every result unless the user asks to reveal them.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray, StringViewArray};
use datafusion::arrow::datatypes::DataType;
use regex::Regex;

pub const MASK: &str = "[MASKED]";

/// Names of JSON fields whose string values are secrets, wherever they appear.
const SECRET_KEYS: &str = "secretAccessKey|secret_access_key|sessionToken|session_token|password|passwd|newPassword|oldPassword|\
secretString|secret_string|secretBinary|clientSecret|client_secret|privateKey|private_key|accessToken|access_token|\
refreshToken|refresh_token|idToken|id_token|apiKey|api_key|authorization|x-amz-security-token";

/// A secret field in JSON text, plain (`"password": "x"`) or escaped inside a string
/// (`\"password\":\"x\"`).
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(\\?"(?:{SECRET_KEYS})\\?"\s*:\s*\\?")((?:[^"\\]|\\[^"])*)(\\?")"#
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
    if !(FIELD.is_match(text) || BEARER.is_match(text) || PRIVATE_KEY.is_match(text)) {
        return None;
    }
    let text = FIELD.replace_all(text, |c: &regex::Captures<'_>| {
        if c[2].is_empty() {
            c[0].to_string()
        } else {
            format!("{}{MASK}{}", &c[1], &c[3])
        }
    });
    let text = BEARER.replace_all(&text, format!("${{1}}{MASK}"));
    let text = PRIVATE_KEY.replace_all(
        &text,
        format!("-----BEGIN ${{1}}PRIVATE KEY-----{MASK}-----END ${{1}}PRIVATE KEY-----"),
    );
    Some(text.into_owned())
}

/// The batch with secrets masked in every text column.
pub fn mask_batch(batch: &RecordBatch) -> RecordBatch {
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
