//! CloudTrail digest files: what they list, how they chain, and how their signature is checked.
//!
//! A trail with log file validation writes, every hour and per region, a digest naming each log
//! file it delivered in that hour with the SHA-256 (hex) of its *uncompressed* content, and the
//! SHA-256 and signature of the previous digest. The digest's own signature (`SHA256withRSA`,
//! hex) travels in its S3 object's user metadata (`signature`, `signature-algorithm`), over
//!
//! ```text
//! digestEndTime \n digestS3Bucket/digestS3Object \n hex(SHA-256(uncompressed digest)) \n previousDigestSignature
//! ```
//!
//! where a first digest's missing previous signature is the text `null` (AWS's CLI and Java
//! validators build it so). The public keys are those `aws cloudtrail list-public-keys` prints:
//! base64 DER PKCS#1 RSA keys, found by the digest's `digestPublicKeyFingerprint`.

use serde::Deserialize;

/// One digest file, as far as validation needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Digest {
    pub account: String,
    /// The region whose logs it lists (from `digestS3Object`, else the file name).
    pub region: String,
    /// `digestStartTime`, `digestEndTime` exactly as written (the end is part of what is signed).
    pub start: String,
    pub end: String,
    pub bucket: String,
    pub object: String,
    pub fingerprint: String,
    pub signature_algorithm: String,
    pub previous_bucket: Option<String>,
    pub previous_object: Option<String>,
    /// Lower-case hex SHA-256 of the previous digest's uncompressed content.
    pub previous_hash: Option<String>,
    pub previous_signature: Option<String>,
    pub logs: Vec<ListedLog>,
}

/// One log file a digest lists.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedLog {
    pub bucket: String,
    pub object: String,
    /// Lower-case hex SHA-256 of the log file's uncompressed content.
    pub hash: String,
    pub algorithm: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDigest {
    aws_account_id: String,
    digest_start_time: String,
    digest_end_time: String,
    digest_s3_bucket: String,
    digest_s3_object: String,
    #[serde(default)]
    digest_public_key_fingerprint: Option<String>,
    #[serde(default)]
    digest_signature_algorithm: Option<String>,
    #[serde(default)]
    previous_digest_s3_bucket: Option<String>,
    #[serde(default)]
    previous_digest_s3_object: Option<String>,
    #[serde(default)]
    previous_digest_hash_value: Option<String>,
    #[serde(default)]
    previous_digest_signature: Option<String>,
    #[serde(default)]
    log_files: Vec<RawLog>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    s3_bucket: String,
    s3_object: String,
    hash_value: String,
    #[serde(default)]
    hash_algorithm: Option<String>,
}

/// Reads a digest from its uncompressed content.
pub fn parse(plain: &[u8]) -> Result<Digest, String> {
    let raw: RawDigest = serde_json::from_slice(plain).map_err(|e| format!("not a CloudTrail digest: {e}"))?;
    let region = region_of_digest(&raw.digest_s3_object)
        .ok_or_else(|| format!("no region in the digest's object name {}", raw.digest_s3_object))?;
    Ok(Digest {
        account: raw.aws_account_id,
        region,
        start: raw.digest_start_time,
        end: raw.digest_end_time,
        bucket: raw.digest_s3_bucket,
        object: raw.digest_s3_object,
        fingerprint: raw.digest_public_key_fingerprint.unwrap_or_default(),
        signature_algorithm: raw.digest_signature_algorithm.unwrap_or_default(),
        previous_bucket: raw.previous_digest_s3_bucket,
        previous_object: raw.previous_digest_s3_object,
        previous_hash: raw.previous_digest_hash_value.map(|h| h.to_ascii_lowercase()),
        previous_signature: raw.previous_digest_signature,
        logs: raw
            .log_files
            .into_iter()
            .map(|l| ListedLog {
                bucket: l.s3_bucket,
                object: l.s3_object,
                hash: l.hash_value.to_ascii_lowercase(),
                algorithm: l.hash_algorithm.unwrap_or_else(|| "SHA-256".into()),
            })
            .collect(),
    })
}

impl Digest {
    /// What CloudTrail signed, given the hex SHA-256 of the digest's uncompressed content.
    pub fn string_to_sign(&self, content_sha256: &str) -> String {
        self.signed_fields().string_to_sign(content_sha256)
    }

    pub fn signed_fields(&self) -> SignedFields<'_> {
        SignedFields {
            end: &self.end,
            bucket: &self.bucket,
            object: &self.object,
            fingerprint: &self.fingerprint,
            previous_signature: self.previous_signature.as_deref(),
        }
    }
}

/// A file's name without its folders and without `.gz` and `.json`: a log file downloaded (and
/// perhaps decompressed) keeps the name CloudTrail gave it, so the stem matches the digest's entry.
pub fn stem(name: &str) -> &str {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let last = last.strip_suffix(".gz").unwrap_or(last);
    last.strip_suffix(".json").unwrap_or(last)
}

/// What a CloudTrail log file's name says: `{account}_CloudTrail_{region}_{YYYYMMDDTHHmmZ}_{id}`.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryName {
    pub account: String,
    pub region: String,
    /// The delivery time in the name, in microseconds since the epoch (minute precision).
    pub delivered: i64,
}

/// Reads a CloudTrail log file's name (any folder, `.json` or `.json.gz`); `None` when it is not one.
pub fn delivery_name(name: &str) -> Option<DeliveryName> {
    let parts: Vec<&str> = stem(name).split('_').collect();
    let [account, "CloudTrail", region, time, _id] = parts.as_slice() else {
        return None;
    };
    let delivered = chrono::NaiveDateTime::parse_from_str(time, "%Y%m%dT%H%MZ").ok()?;
    (!account.is_empty() && account.chars().all(|c| c.is_ascii_digit())).then(|| DeliveryName {
        account: account.to_string(),
        region: region.to_string(),
        delivered: delivered.and_utc().timestamp_micros(),
    })
}

/// The region of a digest: the folder after `CloudTrail-Digest/`, else the third part of the name.
fn region_of_digest(object: &str) -> Option<String> {
    let segments: Vec<&str> = object.split('/').collect();
    if let Some(at) = segments.iter().position(|s| *s == "CloudTrail-Digest")
        && let Some(region) = segments.get(at + 1).filter(|r| !r.is_empty())
    {
        return Some(region.to_string());
    }
    let parts: Vec<&str> = stem(object).split('_').collect();
    match parts.as_slice() {
        [_, "CloudTrail-Digest", region, ..] if !region.is_empty() => Some(region.to_string()),
        _ => None,
    }
}

/// A time of a digest (`2024-06-10T11:00:00Z`) in microseconds since the epoch.
pub fn time(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// AWS's public keys for digests, as `aws cloudtrail list-public-keys` prints them.
#[derive(Clone, Debug, Default)]
pub struct PublicKeys {
    keys: Vec<PublicKey>,
}

#[derive(Clone, Debug)]
struct PublicKey {
    fingerprint: String,
    /// DER PKCS#1 `RSAPublicKey`.
    der: Vec<u8>,
    valid_from: Option<i64>,
    valid_to: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawKeys {
    public_key_list: Vec<RawKey>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawKey {
    value: String,
    fingerprint: String,
    #[serde(default)]
    validity_start_time: Option<serde_json::Value>,
    #[serde(default)]
    validity_end_time: Option<serde_json::Value>,
}

/// Why a signature does not hold.
#[derive(Clone, Debug, PartialEq)]
pub enum SignatureProblem {
    /// No key given has the digest's fingerprint (or none was valid at the digest's end).
    NoKey(String),
    /// The signature is not hex, or the algorithm is not `SHA256withRSA`.
    Malformed(String),
    /// The key is found, the signature does not verify: the digest or its signature was changed.
    Invalid,
}

impl std::fmt::Display for SignatureProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureProblem::NoKey(fp) => write!(
                f,
                "no public key given has fingerprint {fp} (valid at the digest's end); list-public-keys answers per region: give each region's keys"
            ),
            SignatureProblem::Malformed(why) => f.write_str(why),
            SignatureProblem::Invalid => {
                f.write_str("the signature does not verify with the public key of its fingerprint")
            }
        }
    }
}

impl PublicKeys {
    /// Reads the JSON of `aws cloudtrail list-public-keys` (`{"PublicKeyList": [...]}`).
    pub fn from_json(bytes: &[u8]) -> Result<PublicKeys, String> {
        use base64::Engine;
        let raw: RawKeys =
            serde_json::from_slice(bytes).map_err(|e| format!("not the output of list-public-keys: {e}"))?;
        let mut keys = Vec::new();
        for key in raw.public_key_list {
            let der = base64::engine::general_purpose::STANDARD
                .decode(key.value.trim())
                .map_err(|e| format!("the key with fingerprint {} is not base64: {e}", key.fingerprint))?;
            keys.push(PublicKey {
                fingerprint: key.fingerprint.to_ascii_lowercase(),
                der,
                valid_from: key.validity_start_time.as_ref().and_then(key_time),
                valid_to: key.validity_end_time.as_ref().and_then(key_time),
            });
        }
        Ok(PublicKeys { keys })
    }

    /// Both lists' keys.
    pub fn extend(&mut self, other: PublicKeys) {
        self.keys.extend(other.keys);
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks a digest's signature (hex, from its object's metadata) against the key of its
    /// fingerprint; `content_sha256` is the hex SHA-256 of the digest's uncompressed content.
    pub fn verify(
        &self,
        digest: &SignedFields<'_>,
        content_sha256: &str,
        signature_hex: &str,
        algorithm: Option<&str>,
    ) -> Result<(), SignatureProblem> {
        if let Some(algorithm) = algorithm.filter(|a| !a.eq_ignore_ascii_case("SHA256withRSA")) {
            return Err(SignatureProblem::Malformed(format!(
                "signature algorithm {algorithm} is not SHA256withRSA"
            )));
        }
        let signature = unhex(signature_hex.trim())
            .ok_or_else(|| SignatureProblem::Malformed("the signature is not hex".into()))?;
        let end = time(digest.end);
        let fingerprint = digest.fingerprint.to_ascii_lowercase();
        let candidates = self.keys.iter().filter(|k| {
            k.fingerprint == fingerprint
                && end.is_none_or(|t| k.valid_from.is_none_or(|f| f <= t) && k.valid_to.is_none_or(|to| t <= to))
        });
        let to_sign = digest.string_to_sign(content_sha256);
        let mut found = false;
        for key in candidates {
            found = true;
            let key = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &key.der);
            if key.verify(to_sign.as_bytes(), &signature).is_ok() {
                return Ok(());
            }
        }
        Err(if found {
            SignatureProblem::Invalid
        } else {
            SignatureProblem::NoKey(digest.fingerprint.to_string())
        })
    }
}

/// The fields of a digest its signature covers (kept in the archive, so `verify` can check
/// again later without the digest file).
#[derive(Clone, Copy, Debug)]
pub struct SignedFields<'a> {
    pub end: &'a str,
    pub bucket: &'a str,
    pub object: &'a str,
    pub fingerprint: &'a str,
    pub previous_signature: Option<&'a str>,
}

impl SignedFields<'_> {
    pub fn string_to_sign(&self, content_sha256: &str) -> String {
        format!(
            "{}\n{}/{}\n{}\n{}",
            self.end,
            self.bucket,
            self.object,
            content_sha256,
            self.previous_signature.unwrap_or("null")
        )
    }
}

/// The CLI prints times as ISO text; the API as seconds since the epoch.
fn key_time(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::String(s) => time(s),
        serde_json::Value::Number(n) => n.as_f64().map(|secs| (secs * 1e6) as i64),
        _ => None,
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_name_gives_account_region_and_time_whatever_its_folder_and_extension() {
        let name = "/logs/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02/111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json.gz";
        let found = delivery_name(name).unwrap();
        assert_eq!(found.account, "111122223333");
        assert_eq!(found.region, "us-east-1");
        assert_eq!(
            crate::engine::window::format_time(found.delivered),
            "2024-05-02T09:15:00Z"
        );
        assert_eq!(
            stem(name),
            stem("111122223333_CloudTrail_us-east-1_20240502T0915Z_k3Jx0aQ.json")
        );
        assert_eq!(delivery_name("aws.defense-evasion.cloudtrail-stop.json"), None);
        assert_eq!(delivery_name("x_CloudTrail_us-east-1_20240502T0915Z_id.json"), None);
    }

    #[test]
    fn a_first_digest_signs_the_word_null_for_its_missing_previous_signature() {
        let text = br#"{"awsAccountId":"1","digestStartTime":"a","digestEndTime":"2024-06-10T11:00:00Z",
            "digestS3Bucket":"b","digestS3Object":"AWSLogs/1/CloudTrail-Digest/eu-west-1/2024/06/10/x.json.gz",
            "previousDigestSignature":null,"logFiles":[{"s3Bucket":"b","s3Object":"k","hashValue":"AB","hashAlgorithm":"SHA-256"}]}"#;
        let digest = parse(text).unwrap();
        assert_eq!(digest.region, "eu-west-1");
        assert_eq!(digest.logs[0].hash, "ab");
        assert_eq!(
            digest.string_to_sign("ff"),
            "2024-06-10T11:00:00Z\nb/AWSLogs/1/CloudTrail-Digest/eu-west-1/2024/06/10/x.json.gz\nff\nnull"
        );
    }

    #[test]
    fn keys_are_read_from_list_public_keys_and_a_wrong_signature_is_named() {
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD.encode([0x30, 0x00]);
        let json = format!(
            r#"{{"PublicKeyList":[{{"Value":"{der}","ValidityStartTime":"2024-01-01T00:00:00+00:00","ValidityEndTime":"2025-01-01T00:00:00+00:00","Fingerprint":"AbC"}}]}}"#
        );
        let keys = PublicKeys::from_json(json.as_bytes()).unwrap();
        let fields = SignedFields {
            end: "2024-06-10T11:00:00Z",
            bucket: "b",
            object: "o",
            fingerprint: "abc",
            previous_signature: None,
        };
        assert_eq!(
            keys.verify(&fields, "00", "zz", None),
            Err(SignatureProblem::Malformed("the signature is not hex".into()))
        );
        assert_eq!(keys.verify(&fields, "00", "00ff", None), Err(SignatureProblem::Invalid));
        let later = SignedFields {
            end: "2026-06-10T11:00:00Z",
            ..fields
        };
        assert!(matches!(
            keys.verify(&later, "00", "00ff", None),
            Err(SignatureProblem::NoKey(_))
        ));
    }
}
