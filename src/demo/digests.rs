//! CloudTrail's own integrity evidence for the demo's delivery files: the hourly digest files a
//! trail with log file validation writes, in AWS's layout and format, chained as CloudTrail
//! chains them. They are not signed (a signature travels in the S3 object's metadata, which a
//! folder does not have): `verify` reports their signatures as unavailable.
//!
//! One digest is written per account, region and hour that has deliveries (the demo delivers at
//! midnight), listing each delivery file of the hour with the SHA-256 of its uncompressed content,
//! except the one file planted for `coverage` to find ([`super::UNLISTED_TENANT`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::records::rfc3339;

/// The organisation's trail, its home region, and the bucket it delivers logs and digests to.
pub const TRAIL: &str = "org-trail";
pub const BUCKET: &str = "acme-org-cloudtrail";
/// The fingerprint a digest names its signing key by. Made up: the demo signs nothing.
const FINGERPRINT: &str = "5d2c6b2a4f3e1d0c9b8a7f6e5d4c3b2a";

const HOUR: i64 = 3_600_000_000;

/// One CloudTrail delivery file the demo wrote.
pub struct Delivery {
    pub account: String,
    pub region: String,
    /// Its key in the bucket (`AWSLogs/…/….json.gz`), as the demo's staging folder lays it out.
    pub object: String,
    /// The delivery time its name says, in microseconds.
    pub delivered: i64,
    /// Hex SHA-256 of its uncompressed content.
    pub hash: String,
    pub oldest: i64,
    pub newest: i64,
}

/// The trail's digests, written hour by hour, each chained to the one before of its account and
/// region.
#[derive(Default)]
pub struct Digests {
    /// The last digest of each `(account, region)`: its object and the SHA-256 of its content.
    previous: BTreeMap<(String, String), (String, String)>,
    pub written: usize,
}

impl Digests {
    /// Writes under `staging` the digests of these deliveries, one per account, region and
    /// hour, hours in order (each after the digests of earlier hours).
    pub fn write(&mut self, staging: &Path, deliveries: Vec<Delivery>) -> std::io::Result<()> {
        let mut hours: BTreeMap<(i64, String, String), Vec<Delivery>> = BTreeMap::new();
        for d in deliveries {
            let hour = d.delivered - d.delivered.rem_euclid(HOUR);
            hours
                .entry((hour, d.account.clone(), d.region.clone()))
                .or_default()
                .push(d);
        }
        for ((start, account, region), mut logs) in hours {
            logs.sort_by(|a, b| a.object.cmp(&b.object));
            // The planted finding: a file in the bucket that CloudTrail did not deliver.
            logs.retain(|l| !unlisted(&l.account, &l.region, l.delivered));
            self.write_one(staging, &account, &region, start, &logs)?;
        }
        Ok(())
    }

    fn write_one(
        &mut self,
        staging: &Path,
        account: &str,
        region: &str,
        start: i64,
        logs: &[Delivery],
    ) -> std::io::Result<()> {
        let end = start + HOUR;
        let end_time = chrono::DateTime::from_timestamp_micros(end).expect("demo times are valid");
        let object = format!(
            "AWSLogs/{account}/CloudTrail-Digest/{region}/{}/{account}_CloudTrail-Digest_{region}_{TRAIL}_{region}_{}.json.gz",
            end_time.format("%Y/%m/%d"),
            end_time.format("%Y%m%dT%H%M%SZ")
        );
        let times = |pick: fn(&Delivery) -> i64, newest: bool| -> Value {
            let t = if newest {
                logs.iter().map(pick).max()
            } else {
                logs.iter().map(pick).min()
            };
            t.map_or(Value::Null, |t| rfc3339(t, false).into())
        };
        let key = (account.to_string(), region.to_string());
        let previous = self.previous.get(&key);
        let body = json!({
            "awsAccountId": account,
            "digestStartTime": rfc3339(start, false),
            "digestEndTime": rfc3339(end, false),
            "digestS3Bucket": BUCKET,
            "digestS3Object": object,
            "digestPublicKeyFingerprint": FINGERPRINT,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": times(|d| d.newest, true),
            "oldestEventTime": times(|d| d.oldest, false),
            "previousDigestS3Bucket": previous.map(|_| BUCKET),
            "previousDigestS3Object": previous.map(|(o, _)| o.as_str()),
            "previousDigestHashValue": previous.map(|(_, h)| h.as_str()),
            "previousDigestHashAlgorithm": previous.map(|_| "SHA-256"),
            // The previous digest's signature would be here; the demo's digests have none.
            "previousDigestSignature": Value::Null,
            "logFiles": logs.iter().map(|l| json!({
                "s3Bucket": BUCKET,
                "s3Object": l.object,
                "hashValue": l.hash,
                "hashAlgorithm": "SHA-256",
                "newestEventTime": rfc3339(l.newest, false),
                "oldestEventTime": rfc3339(l.oldest, false),
            })).collect::<Vec<_>>(),
        });
        let text = serde_json::to_vec(&body).expect("a digest serialises");
        let path = staging.join(&object);
        std::fs::create_dir_all(path.parent().expect("a file has a folder"))?;
        let mut gz = flate2::write::GzEncoder::new(
            std::io::BufWriter::new(std::fs::File::create(&path)?),
            flate2::Compression::fast(),
        );
        gz.write_all(&text)?;
        gz.finish()?.flush()?;
        self.previous.insert(key, (object, hex(&Sha256::digest(&text))));
        self.written += 1;
        Ok(())
    }
}

/// Whether this is the delivery file the demo's digests leave out (see [`super::UNLISTED_TENANT`]).
fn unlisted(account: &str, region: &str, delivered: i64) -> bool {
    account == super::UNLISTED_TENANT
        && region == super::UNLISTED_REGION
        && crate::archive::layout::utc_day(delivered) == super::UNLISTED_DAY
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::sources::aws::digest::parse;

    fn delivery(account: &str, day: &str) -> Delivery {
        let delivered = crate::sources::parse_time(&format!("{day}T00:00:00Z")).unwrap();
        let name = format!(
            "{account}_CloudTrail_us-east-1_{}T0000Z_demo.json.gz",
            day.replace('-', "")
        );
        Delivery {
            account: account.into(),
            region: "us-east-1".into(),
            object: format!(
                "AWSLogs/{account}/CloudTrail/us-east-1/{}/{name}",
                day.replace('-', "/")
            ),
            delivered,
            hash: format!("hash-of-{account}-{day}"),
            oldest: delivered + 60_000_000,
            newest: delivered + 2 * HOUR,
        }
    }

    fn read(staging: &Path, object: &str) -> Vec<u8> {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(staging.join(object)).unwrap())
            .read_to_end(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn each_hour_with_deliveries_has_a_digest_chained_to_the_one_before_and_the_planted_file_is_left_out() {
        let staging = tempfile::tempdir().unwrap();
        let mut digests = Digests::default();
        let account = super::super::UNLISTED_TENANT;
        digests
            .write(staging.path(), vec![delivery(account, "2026-10-27")])
            .unwrap();
        digests
            .write(staging.path(), vec![delivery(account, super::super::UNLISTED_DAY)])
            .unwrap();
        assert_eq!(digests.written, 2);
        let first_object = format!(
            "AWSLogs/{account}/CloudTrail-Digest/us-east-1/2026/10/27/{account}_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261027T010000Z.json.gz"
        );
        let first_text = read(staging.path(), &first_object);
        let first = parse(&first_text).unwrap();
        assert_eq!(
            (first.start.as_str(), first.end.as_str()),
            ("2026-10-27T00:00:00Z", "2026-10-27T01:00:00Z")
        );
        assert_eq!(
            (first.object.as_str(), first.bucket.as_str()),
            (first_object.as_str(), BUCKET)
        );
        assert_eq!(first.logs.len(), 1);
        assert_eq!(first.logs[0].object, delivery(account, "2026-10-27").object);
        assert_eq!(first.logs[0].hash, format!("hash-of-{account}-2026-10-27"));
        assert_eq!(first.previous_hash, None);
        let second = parse(&read(
            staging.path(),
            &first_object.replace("10/27", "10/28").replace("20261027", "20261028"),
        ))
        .unwrap();
        assert!(second.logs.is_empty(), "the planted file is not listed: {second:?}");
        assert_eq!(second.previous_object.as_deref(), Some(first_object.as_str()));
        assert_eq!(second.previous_hash, Some(hex(&Sha256::digest(&first_text))));
    }
}
