//! Signing the chain: an Ed25519 key the platform team keeps away from the bucket's writers, so
//! that whoever can write the bucket cannot rewrite its history unnoticed.
//!
//! Keys are files: the private key as PKCS#8 (PEM `PRIVATE KEY` as `openssl genpkey -algorithm
//! ed25519` writes it, or DER), the public key as PEM `PUBLIC KEY` (`openssl pkey -pubout`), or
//! its 32 bytes in hex or base64.

use base64::Engine;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

/// A link's signature line.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Signature {
    /// Ed25519 over the link's first line, base64.
    pub ed25519: String,
    /// The public key it verifies with, base64 (which key signed; not a reason to trust it).
    pub key: String,
}

/// The key writers sign links with.
pub struct Signer {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({})", self.public_key().fingerprint())
    }
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the key's 32 bytes follow.
const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// The body of a PEM block of `label`, if the text is one.
fn pem(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = text[start..].find(&end)? + start;
    let body: String = text[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
    B64.decode(body).ok()
}

impl Signer {
    /// Reads a private key file.
    pub fn from_file(path: &std::path::Path) -> Result<Signer, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read the signing key {}: {e}", path.display()))?;
        let der = match std::str::from_utf8(&bytes) {
            Ok(text) if text.contains("-----BEGIN") => pem(text, "PRIVATE KEY")
                .ok_or_else(|| format!("the signing key {} is not a PEM PRIVATE KEY block", path.display()))?,
            _ => bytes,
        };
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| format!("the signing key {} is not an Ed25519 PKCS#8 key: {e}", path.display()))?;
        Ok(Signer { pair })
    }

    /// A new key pair as PKCS#8 PEM (for tests and for `trailscope` to hand out).
    pub fn generate_pem() -> Result<String, String> {
        let rng = ring::rand::SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|e| format!("no random bytes for a key: {e}"))?;
        Ok(wrap("PRIVATE KEY", doc.as_ref()))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.pair.public_key().as_ref().to_vec())
    }

    pub fn sign(&self, body: &[u8]) -> Signature {
        Signature {
            ed25519: B64.encode(self.pair.sign(body).as_ref()),
            key: B64.encode(self.pair.public_key().as_ref()),
        }
    }
}

fn wrap(label: &str, der: &[u8]) -> String {
    let body = B64.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// A public key that links must verify with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(Vec<u8>);

impl PublicKey {
    /// Reads a public key: PEM `PUBLIC KEY`, or the key's 32 bytes in hex or base64.
    pub fn parse(text: &str) -> Result<PublicKey, String> {
        if text.contains("-----BEGIN") {
            let der = pem(text, "PUBLIC KEY").ok_or("not a PEM PUBLIC KEY block")?;
            return match der.strip_prefix(&SPKI_PREFIX[..]) {
                Some(key) if key.len() == 32 => Ok(PublicKey(key.to_vec())),
                _ => Err("the PEM block is not an Ed25519 public key".into()),
            };
        }
        let t = text.trim();
        let raw = if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16).expect("hex"))
                .collect()
        } else {
            B64.decode(t)
                .map_err(|_| "neither a PEM block nor a key in hex or base64")?
        };
        if raw.len() != 32 {
            return Err(format!("an Ed25519 public key has 32 bytes, this has {}", raw.len()));
        }
        Ok(PublicKey(raw))
    }

    pub fn from_file(path: &std::path::Path) -> Result<PublicKey, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read the public key {}: {e}", path.display()))?;
        PublicKey::parse(&text).map_err(|e| format!("the public key {}: {e}", path.display()))
    }

    pub fn pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.0);
        wrap("PUBLIC KEY", &der)
    }

    /// Whether `signature` is this key's over `body`.
    pub fn verifies(&self, body: &[u8], signature: &Signature) -> bool {
        let Ok(sig) = B64.decode(&signature.ed25519) else {
            return false;
        };
        UnparsedPublicKey::new(&ED25519, &self.0).verify(body, &sig).is_ok()
    }

    /// The key's short name in reports: the first 16 hex digits of its SHA-256.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        crate::secrets::hex(&sha2::Sha256::digest(&self.0))[..16].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key.pem");
        std::fs::write(&file, Signer::generate_pem().unwrap()).unwrap();
        let signer = Signer::from_file(&file).unwrap();
        let public = PublicKey::parse(&signer.public_key().pem()).unwrap();
        let signature = signer.sign(b"link");
        assert!(public.verifies(b"link", &signature));
        assert!(!public.verifies(b"link!", &signature));
        std::fs::write(&file, Signer::generate_pem().unwrap()).unwrap();
        let other = Signer::from_file(&file).unwrap().public_key();
        assert!(!other.verifies(b"link", &signature));
    }

    #[test]
    fn an_openssl_public_key_is_read() {
        // `openssl pkey -pubout` of an Ed25519 key (RFC 8410's example key).
        let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        let key = PublicKey::parse(pem).unwrap();
        assert_eq!(key.0[0], 0x19);
        assert_eq!(PublicKey::parse(&key.pem()).unwrap(), key);
        assert!(PublicKey::parse("abcd").is_err());
    }
}
