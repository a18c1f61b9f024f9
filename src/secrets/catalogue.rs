//! The catalogue of secret shapes: which names say that a value is a secret, and which values
//! are secrets by their own shape. Shapes follow gitleaks' rules (MIT-licensed data,
//! github.com/gitleaks/gitleaks, `config/gitleaks.toml`) where they fit audit records, and the
//! clouds' own formats (session tokens, presigned URLs, SAS signatures, connection strings).
//!
//! Every rule has a literal anchor in [`ANCHORS`]: a text that holds none of them holds no
//! secret this catalogue recognises, which is how most records are passed in one quick scan.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use regex::Regex;

/// Words that make a name (a JSON key, the name of a name/value pair, `NAME=value` in free
/// text) name a secret, compared with the name lower-cased and without `_ - . /` and spaces.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "credential",
    "authorization",
    "signature",
    "accountkey",
    "connectionstring",
    "masterkey",
    "sharedaccesskey",
    "primarykey",
    "secondarykey",
    "cookie",
    "sig",
];

/// Name endings that say the value only names, describes or configures a secret (`secretId`,
/// `secretArn`, `tokenType`, `minimumPasswordLength`, `passwordLastUsed`): an investigator
/// needs those.
const NOT_SECRET_ENDINGS: &[&str] = &[
    "id",
    "ids",
    "arn",
    "arns",
    "name",
    "names",
    "type",
    "types",
    "kind",
    "expiration",
    "expiry",
    "expires",
    "expiresat",
    "expiresin",
    "version",
    "versions",
    "status",
    "state",
    "count",
    "length",
    "age",
    "policy",
    "policies",
    "prevention",
    "required",
    "enabled",
    "lastused",
    "date",
    "time",
    "timestamp",
    "period",
    "duration",
    "ttl",
    "algorithm",
    "method",
    "format",
    "mode",
    "source",
    "location",
    "uri",
    "url",
    "path",
    "scope",
    "scopes",
    "provider",
    "endpoint",
    "info",
    "label",
    "description",
    "selectors",
    "identifier",
    "issuedto",
];

/// Names that hold a secret word but whose values are settings, flags or one-use request
/// identifiers an investigation reads (`httpTokens: optional` is whether an instance still
/// allows IMDSv1; `nextToken` is a page marker).
const NOT_SECRET_NAMES: &[&str] = &[
    "httptokens",
    "clienttoken",
    "clientrequesttoken",
    "idempotencytoken",
    "nexttoken",
    "pagetoken",
    "nextpagetoken",
    "continuationtoken",
    "paginationtoken",
    "starttoken",
    "sessioncredentialfromconsole",
    "secretsmanager",
    "tokencode",
    "signatureversion",
    // A presigned URL's credential is the access key id and its scope, not a secret.
    "xamzcredential",
    "xgoogcredential",
    // Azure's outcome of an operation (`Succeeded.OK`).
    "resultsignature",
    // The shell's working directories.
    "pwd",
    "oldpwd",
];

/// Values that stand for a secret without being one: the clouds' own redactions and empty
/// placeholders. Masking them would seal records that hold nothing.
const PLACEHOLDERS: &[&str] = &[
    "hidden_due_to_security_reasons",
    "redacted",
    "[redacted]",
    "<redacted>",
    "***",
    "****",
    "********",
    "null",
    "none",
    "undefined",
    "xxx",
    "<hidden>",
];

/// `name` lower-cased (ASCII only, as the quick scan compares) without separators, as names are
/// compared.
pub fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | '/' | ' ' | ':'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a name only names, describes or configures a secret (`secretId`, `tokenType`,
/// `expiration`, `nextToken`): its value stays readable even inside a secret.
pub fn describes(name: &str) -> bool {
    describes_normalised(&normalise(name))
}

fn describes_normalised(n: &str) -> bool {
    NOT_SECRET_NAMES.contains(&n) || NOT_SECRET_ENDINGS.iter().any(|e| n.ends_with(e))
}

/// The kind of secret a name announces, if it announces one.
pub fn secret_name(name: &str) -> Option<&'static str> {
    // A name with a colon is a policy's condition key or an ARN
    // (`token.actions.githubusercontent.com:sub`, `secretsmanager:VersionStage`): a setting.
    if name.contains(':') {
        return None;
    }
    let n = normalise(name);
    // An environment variable's name ending in `_KEY` (`SENDGRID_KEY`, `ENCRYPTION_KEY`).
    let env_key = name.ends_with("_KEY")
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    // `sig` alone is an Azure SAS signature; inside a longer name it is too short to mean it.
    // Most names hold no secret word: they are passed before their endings are looked at.
    let word = SECRET_WORDS
        .iter()
        .any(|w| if *w == "sig" { n == "sig" } else { n.contains(w) });
    if !env_key && !word || describes_normalised(&n) {
        return None;
    }
    Some(kind_of_name(&n))
}

/// The marker kind for a name already known to name a secret.
fn kind_of_name(n: &str) -> &'static str {
    let has = |w: &str| n.contains(w);
    if has("securitytoken") || has("sessiontoken") {
        "aws-session-token"
    } else if has("secretaccesskey") || has("secretkey") && has("aws") {
        "aws-secret-key"
    } else if has("password") || has("passwd") || has("pwd") || has("passphrase") {
        "password"
    } else if has("privatekey") {
        "private-key"
    } else if has("apikey") {
        "api-key"
    } else if has("connectionstring") {
        "connection-string"
    } else if has("accountkey")
        || has("masterkey")
        || has("sharedaccesskey")
        || has("primarykey")
        || has("secondarykey")
    {
        "account-key"
    } else if n == "sig" {
        "sas-signature"
    } else if has("signature") {
        "signature"
    } else if has("cookie") {
        "cookie"
    } else if has("authorization") {
        "authorization"
    } else if has("credential") {
        "credential"
    } else if has("token") {
        "token"
    } else if has("secret") {
        "secret"
    } else {
        "api-key"
    }
}

/// Whether a value found under a secret's name is worth hiding: not empty, not a flag, not a
/// placeholder, not a marker already, not a reference to a variable (`$DB_PASSWORD`).
pub fn maskable(value: &str) -> bool {
    static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{[^{}]*\}\}|%\([A-Za-z_][A-Za-z0-9_]*\)s)$")
            .expect("a valid pattern")
    });
    let v = value.trim();
    // A reference to a variable (`$DB_PASSWORD`, `${TOKEN}`, `{{ secret }}`) is not the secret; a
    // password that merely starts with `$` is.
    if v.is_empty() || v.starts_with("[MASKED") || REFERENCE.is_match(v) {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    // CloudTrail writes both `HIDDEN_DUE_TO_SECURITY_REASONS` and "Value hidden due to security
    // reasons." (an SSM session's tokenValue).
    let hidden = lower.contains("hidden due to security reasons") || lower.contains("hidden_due_to_security_reasons");
    !(lower == "true" || lower == "false" || hidden || PLACEHOLDERS.contains(&lower.as_str()))
}

/// Keys that hold the value of the object they are in: `"adminPassword": {"value": "…"}`
/// (an Azure deployment's parameters), `{"name": "DB_PASSWORD", "value": "…"}` (ECS, Azure
/// app settings, Kubernetes), `{"ParameterKey": …, "ParameterValue": …}` (CloudFormation).
pub fn holds_value(key: &str) -> bool {
    matches!(
        normalise(key).as_str(),
        "value"
            | "values"
            | "defaultvalue"
            | "parametervalue"
            | "secretvalue"
            | "settingvalue"
            | "text"
            | "plaintext"
            | "data"
    )
}

/// Keys that name the value beside them in a name/value pair.
pub fn names_sibling(key: &str) -> bool {
    matches!(
        normalise(key).as_str(),
        "name" | "key" | "parameterkey" | "parametername" | "variable" | "variablename" | "settingname" | "envname"
    )
}

/// A rule recognising a secret by its shape in free text.
pub struct Rule {
    pub kind: &'static str,
    pub pattern: Regex,
    /// The capture group that is the secret (the rest is context kept).
    pub group: usize,
    /// An extra check of the secret found (a minimum of entropy, say).
    pub check: fn(&str) -> bool,
}

fn any(_: &str) -> bool {
    true
}

/// Opaque tokens hold a digit or are long; `Bearer authentication` is not a token.
fn token_like(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit()) || s.len() >= 20
}

fn rule(kind: &'static str, pattern: &str, group: usize, check: fn(&str) -> bool) -> Rule {
    Rule {
        kind,
        pattern: Regex::new(pattern).expect("a valid pattern"),
        group,
        check,
    }
}

/// Secrets recognised by their shape, wherever they appear.
pub static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    vec![
        // AWS STS session tokens: base64 of a protobuf whose first bytes are fixed.
        rule(
            "aws-session-token",
            r"(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9+/=]{16,}",
            0,
            any,
        ),
        // A private key, with or without its END line (a truncated field cuts it off).
        rule(
            "private-key",
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----([\s\S]+?)(?:-----END [A-Z0-9 ]*-----|\z)",
            1,
            any,
        ),
        rule(
            "jwt",
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
            0,
            any,
        ),
        rule(
            "bearer-token",
            r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{8,}=*)",
            1,
            token_like,
        ),
        rule(
            "basic-credentials",
            r#"(?i)authorization["']?\s*[:=]\s*["']?basic\s+([A-Za-z0-9+/]{8,}=*)"#,
            1,
            any,
        ),
        rule(
            "github-token",
            r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})",
            0,
            any,
        ),
        rule("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", 0, any),
        rule(
            "slack-webhook",
            r"hooks\.slack\.com/(?:services|workflows)/([A-Za-z0-9_/]{10,})",
            1,
            any,
        ),
        rule("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}", 0, any),
        rule("google-oauth-token", r"\bya29\.[0-9A-Za-z_-]{20,}", 0, any),
        rule("google-client-secret", r"\bGOCSPX-[A-Za-z0-9_-]{20,}", 0, any),
        rule("stripe-key", r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}", 0, any),
        rule("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", 0, any),
        // Entra ID (Azure AD) client secrets: three characters, a digit, `Q~`, then 31–34.
        rule(
            "azure-client-secret",
            r"(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:$|[^A-Za-z0-9_~.-])",
            1,
            any,
        ),
        // A password written into a URL: scheme://user:password@host.
        rule(
            "url-password",
            r#"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^/\s:@"'<>]{0,128}:([^/\s@"'<>]{1,256})@"#,
            1,
            maskable,
        ),
    ]
});

/// `NAME=value`, `NAME: value`, `"NAME": "value"` in free text, where NAME names a secret
/// (checked with [`secret_name`]): connection strings (`AccountKey=…;Password=…`), presigned
/// URLs (`X-Amz-Security-Token=…`, `X-Amz-Signature=…`, SAS `sig=…`), shell lines
/// (`export DB_PASSWORD=…`), error messages (`password=…`), escaped JSON in a string.
pub static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)([A-Za-z0-9_.\-]*(?:passw|passphrase|pwd|secret|token|api[_.-]?key|private[_.-]?key|credential|signature|account[_.-]?key|connection[_.-]?string|master[_.-]?key|shared[_.-]?access[_.-]?key|primary[_.-]?key|secondary[_.-]?key|cookie|sig|_KEY)[A-Za-z0-9_.\-]*)(["']?)(\s*=\s*|\s*:\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s"',;&<>(){}\[\]]+)"#,
    )
    .expect("a valid pattern")
});

/// Literal texts at least one of which every rule needs (ASCII case ignored). `\u` and `\/` are
/// among them: a JSON escape can spell any name or value.
pub const ANCHORS: &[&str] = &[
    "passw",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "credential",
    "authoriz",
    "signature",
    "sig=",
    "\"sig\"",
    "accountkey",
    "masterkey",
    "sharedaccesskey",
    "primarykey",
    "secondarykey",
    // Names with a separator before `key`: `api_key`, `private-key`, `account.key`, `API KEY`,
    // `SENDGRID_KEY`.
    "_key",
    "-key",
    ".key",
    " key",
    "connection",
    "cookie",
    "bearer",
    "-----begin",
    "iqojb3jpz2lu",
    "fwogzxivyxdz",
    "fqogzxivyxdz",
    "eyj",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "hooks.slack.com",
    "aiza",
    "ya29.",
    "gocspx-",
    "k_live_",
    "k_test_",
];

/// Further anchors, kept apart only to keep each list readable.
const MORE_ANCHORS: &[&str] = &["npm_", "q~", "://", "\\u", "\\/", "value '"];

/// The anchors as one automaton, matched ASCII case-insensitively. (Measured on an ingest: the
/// packed SIMD searchers lose on anchors this short and this many; a dense DFA searches twice as
/// fast but takes some 50 ms to build, which every command that prints a message would pay.)
static PREFILTER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(ANCHORS.iter().chain(MORE_ANCHORS.iter()))
        .expect("valid anchors")
});

/// Whether `text` may hold a secret of the catalogue (false means it certainly holds none).
pub fn may_hold_secret(text: &str) -> bool {
    PREFILTER.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_secrets_are_told_from_names_about_secrets() {
        for name in [
            "password",
            "DB_PASSWORD",
            "secretAccessKey",
            "sessionToken",
            "X-Amz-Security-Token",
            "clientSecret",
            "private_key",
            "AccountKey",
            "sig",
            "adminPassword",
            "apiKey",
            "secretString",
            "Authorization",
        ] {
            assert!(secret_name(name).is_some(), "{name}");
        }
        for name in [
            "secretId",
            "SecretARN",
            "tokenType",
            "httpTokens",
            "nextToken",
            "minimumPasswordLength",
            "passwordLastUsed",
            "SignatureVersion",
            "accessKeyId",
            "signing",
            "kmsKeyId",
            "key",
            "secretsmanager",
            "passwordResetRequired",
        ] {
            assert_eq!(secret_name(name), None, "{name}");
        }
        assert_eq!(secret_name("X-Amz-Security-Token"), Some("aws-session-token"));
        assert_eq!(secret_name("aws_secret_access_key"), Some("aws-secret-key"));
        assert_eq!(secret_name("DB_PASSWORD"), Some("password"));
    }

    #[test]
    fn every_rule_and_name_is_covered_by_an_anchor() {
        for text in [
            "IQoJb3JpZ2luX2VjEXAMPLEEXAMPLE",
            "-----BEGIN RSA PRIVATE KEY-----",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "Bearer abcdefgh1234",
            "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
            "xoxb-1234567890-abc",
            "AIzaSyA1234567890abcdefghijklmnopqrstu",
            "abc1Q~abcdefghijklmnopqrstuvwxyz01234",
            "postgres://u:p@h",
            "DB_PWD=x",
            "ACCOUNT_KEY=x",
            "sig=abc",
            "npm_abcdefghijklmnopqrstuvwxyz0123456789",
        ] {
            assert!(may_hold_secret(text), "{text}");
        }
        assert!(!may_hold_secret(
            r#"{"eventName":"GetObject","userAgent":"aws-cli/2.0","accessKeyId":"AKIAEXAMPLE"}"#
        ));
    }
}
