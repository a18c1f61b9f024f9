//! Secrets that leak into audit records (access key secrets, session tokens, passwords in
//! environment variables and connection strings, presigned URLs, private keys, bearer tokens)
//! are found here and replaced by a marker that keeps an investigation possible without the
//! secret: `[MASKED:aws-session-token:3f9a1c2e5b7d9f01]`, its kind and a keyed fingerprint.
//! The same secret gets the same fingerprint wherever it appears, so "where else was this
//! leaked key used?" is still one query; without the key (kept in the archive's sealed tier)
//! nobody can test a guess against a fingerprint.
//!
//! [`catalogue`] holds what is recognised; [`json`] walks a record's text.

pub mod catalogue;
mod json;

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// The key of the fingerprints in markers: 32 random bytes, one per archive.
#[derive(Clone)]
pub struct FingerprintKey([u8; 32]);

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FingerprintKey(…)")
    }
}

impl FingerprintKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        FingerprintKey(bytes)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A new random key.
    pub fn generate() -> Result<Self, String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
        Ok(FingerprintKey(bytes))
    }

    /// HMAC-SHA256 (RFC 2104) of `message` under this key.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        let mut inner = Sha256::new();
        let mut outer = Sha256::new();
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        inner.update(block.map(|b| b ^ 0x36));
        inner.update(message);
        outer.update(block.map(|b| b ^ 0x5c));
        outer.update(inner.finalize());
        outer.finalize().into()
    }

    /// The fingerprint of a secret: the first 64 bits of its HMAC, in hex.
    pub fn fingerprint(&self, secret: &str) -> String {
        hex(&self.mac(secret.as_bytes())[..8])
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The marker that stands for a secret.
pub fn marker(kind: &str, fingerprint: Option<&str>) -> String {
    match fingerprint {
        Some(f) => format!("[MASKED:{kind}:{f}]"),
        None => format!("[MASKED:{kind}]"),
    }
}

/// Finds secrets and writes markers for them, remembering the kinds it found.
pub struct Masker {
    key: Option<FingerprintKey>,
    /// The kinds of secret replaced, in the order found.
    pub found: Vec<&'static str>,
}

impl Masker {
    /// A masker whose markers carry fingerprints under `key` (none without a key: a reader who
    /// may not read the sealed tier, masking what an older archive holds).
    pub fn new(key: Option<FingerprintKey>) -> Self {
        Masker { key, found: Vec::new() }
    }

    pub fn marker(&mut self, kind: &'static str, secret: &str) -> String {
        self.found.push(kind);
        let fingerprint = self.key.as_ref().map(|k| k.fingerprint(secret));
        marker(kind, fingerprint.as_deref())
    }

    /// A JSON record with its secrets replaced, or `None` when it holds none. Keys are read
    /// decoded; values under a secret's name are secrets whatever their type; strings are
    /// searched for secret shapes (and walked when they are JSON themselves). The rest of the
    /// text is kept byte for byte. The result is walked again until nothing changes, so what
    /// comes out holds nothing the catalogue recognises; a record that cannot be walked, or
    /// that keeps changing, is an error (ingest refuses it rather than keep what it could not
    /// search).
    pub fn record(&mut self, raw: &str) -> Result<Option<String>, String> {
        if !catalogue::may_hold_secret(raw) {
            return Ok(None);
        }
        let mut current: Cow<'_, str> = Cow::Borrowed(raw);
        for _ in 0..4 {
            let mut walk = json::Walk::new(&current, self);
            let next = match walk.document(0) {
                Ok(()) => {
                    let edits = std::mem::take(&mut walk.edits);
                    json::apply(&current, edits)
                }
                Err(()) => return Err("it could not be searched for secrets (nested too deep to walk)".into()),
            };
            if next == *current {
                return Ok(match current {
                    Cow::Borrowed(_) => None,
                    Cow::Owned(text) => Some(text),
                });
            }
            current = Cow::Owned(next);
            if !catalogue::may_hold_secret(&current) {
                return Ok(Some(current.into_owned()));
            }
        }
        Err("masking its secrets did not settle (a record of a shape never seen)".into())
    }

    /// A record's text for showing when it may not be JSON (an archive of format 1 read with
    /// secrets hidden): walked as JSON when it is, searched as free text when it is not.
    pub fn any_text<'a>(&mut self, raw: &'a str) -> Cow<'a, str> {
        match self.record(raw) {
            Ok(Some(masked)) => Cow::Owned(masked),
            Ok(None) => Cow::Borrowed(raw),
            Err(_) => Cow::Owned(self.free_text(raw).into_owned()),
        }
    }

    /// Free text (an error message, a user agent, a reason, SQL) with its secrets replaced.
    pub fn text<'a>(&mut self, text: &'a str) -> Cow<'a, str> {
        self.free_text(text)
    }

    fn free_text_changed(&mut self, text: &str) -> Option<String> {
        match self.free_text(text) {
            Cow::Borrowed(_) => None,
            Cow::Owned(t) => Some(t),
        }
    }

    fn free_text<'a>(&mut self, text: &'a str) -> Cow<'a, str> {
        if !catalogue::may_hold_secret(text) {
            return Cow::Borrowed(text);
        }
        let mut edits = Vec::new();
        for rule in catalogue::RULES.iter() {
            for caps in rule.pattern.captures_iter(text) {
                let Some(found) = caps.get(rule.group) else { continue };
                if !catalogue::maskable(found.as_str()) || !(rule.check)(found.as_str()) {
                    continue;
                }
                let text = self.marker(rule.kind, found.as_str());
                edits.push(json::Edit {
                    range: found.range(),
                    text,
                });
            }
        }
        for caps in catalogue::NAMED.captures_iter(text) {
            let (Some(name), Some(quote), Some(sep), Some(value)) =
                (caps.get(1), caps.get(2), caps.get(3), caps.get(4))
            else {
                continue;
            };
            let Some(kind) = catalogue::secret_name(name.as_str()) else {
                continue;
            };
            let (range, secret) = match value.as_str().as_bytes()[0] {
                b'"' | b'\'' if value.len() >= 2 => {
                    let range = value.start() + 1..value.end() - 1;
                    (range.clone(), &text[range])
                }
                _ => (value.range(), value.as_str()),
            };
            // A value written as a JSON string is fingerprinted decoded, as the walk does.
            let decoded = value
                .as_str()
                .starts_with('"')
                .then(|| serde_json::from_str::<String>(value.as_str()).ok())
                .flatten();
            let secret_text = decoded.as_deref().unwrap_or(secret);
            if !catalogue::maskable(secret) {
                continue;
            }
            // `NAME: value` unquoted reads like prose ("ExpiredToken: The security token…",
            // "secretsmanager:GetSecretValue"): only a value that looks like a secret counts.
            let colon = !sep.as_str().contains('=');
            if colon && quote.as_str().is_empty() {
                let spaced = sep.as_str().ends_with(|c: char| c.is_whitespace());
                let opaque = secret.len() >= 8 && secret.chars().any(|c| !c.is_ascii_alphabetic());
                if !spaced || !opaque {
                    continue;
                }
            }
            let text = self.marker(kind, secret_text);
            edits.push(json::Edit { range, text });
        }
        self.validation_messages(text, &mut edits);
        if edits.is_empty() {
            return Cow::Borrowed(text);
        }
        Cow::Owned(json::apply(text, edits))
    }
}

impl Masker {
    /// AWS's validation errors quote the value refused and name the field:
    /// `Value 'hunter2' at 'password' failed to satisfy constraint`.
    fn validation_messages(&mut self, text: &str, edits: &mut Vec<json::Edit>) {
        static QUOTED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"Value '([^']{1,512})' at '([A-Za-z0-9_.\-]{1,128})'").expect("a valid pattern")
        });
        if !text.contains("Value '") {
            return;
        }
        for caps in QUOTED.captures_iter(text) {
            let (Some(value), Some(field)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            let Some(kind) = catalogue::secret_name(field.as_str()) else {
                continue;
            };
            if catalogue::maskable(value.as_str()) {
                let marker = self.marker(kind, value.as_str());
                edits.push(json::Edit {
                    range: value.range(),
                    text: marker,
                });
            }
        }
    }
}

/// Free text with recognised secrets replaced by markers without fingerprints: what is shown or
/// recorded of a message, a reason or a query's SQL.
pub fn mask_text(text: &str) -> Cow<'_, str> {
    if !catalogue::may_hold_secret(text) {
        return Cow::Borrowed(text);
    }
    match Masker::new(None).free_text(text) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(t) => Cow::Owned(t),
    }
}

#[cfg(test)]
mod tests;
