//! What a responder has already looked at: suppressions (known-benign hits, by rule and value,
//! kept in a TOML file beside the team's rules) and the hits an earlier run reported (for
//! `--new`, kept per archive in the user's state folder).
//!
//! A suppression file:
//!
//! ```toml
//! [[suppress]]
//! rule = "4db60cc0-36fb-42b7-9b58-a5b53019fb74"   # the rule's id (or "*" for any rule)
//! field = "principal"       # principal, resource, tenant, action, source_ip, cloud or event_id
//! value = "arn:aws:iam::111122223333:role/terraform"
//! reason = "the Terraform pipeline rotates trails"
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Hit, RuleSet};

/// The fields of a hit a suppression can name.
pub const FIELDS: [&str; 7] = [
    "principal",
    "resource",
    "tenant",
    "action",
    "source_ip",
    "cloud",
    "event_id",
];

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    pub rule: String,
    pub field: String,
    pub value: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppressions {
    #[serde(default)]
    suppress: Vec<Suppression>,
}

impl Suppressions {
    /// The suppressions of a file; a field no hit has is refused, so a typo silences nothing
    /// without being said.
    pub fn load(path: &Path) -> Result<Suppressions, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let found: Suppressions = toml::from_str(&text)
            .map_err(|e| format!("{} is not a suppression file: {}", path.display(), e.message()))?;
        for s in &found.suppress {
            if !FIELDS.contains(&s.field.as_str()) {
                return Err(format!(
                    "{}: the suppression of rule {} names the field '{}': it takes one of {}",
                    path.display(),
                    s.rule,
                    s.field,
                    FIELDS.join(", ")
                ));
            }
        }
        Ok(found)
    }

    pub fn len(&self) -> usize {
        self.suppress.len()
    }

    pub fn is_empty(&self) -> bool {
        self.suppress.is_empty()
    }

    /// The suppression that silences `hit`, if one does.
    pub fn silencing(&self, set: &RuleSet, hit: &Hit) -> Option<&Suppression> {
        let rule = &set.rules[hit.rule];
        self.suppress.iter().find(|s| {
            (s.rule == "*" || s.rule == rule.id || s.rule.eq_ignore_ascii_case(&rule.title))
                && field(hit, &s.field).is_some_and(|v| v == s.value)
        })
    }
}

fn field<'a>(hit: &'a Hit, name: &str) -> Option<&'a str> {
    match name {
        "principal" => Some(&hit.principal),
        "resource" => hit.resource.as_deref(),
        "tenant" => Some(&hit.tenant),
        "action" => Some(&hit.action),
        "source_ip" => hit.source_ip.as_deref(),
        "cloud" => Some(&hit.cloud),
        "event_id" => Some(&hit.event_id),
        _ => None,
    }
}

/// The hits earlier runs reported on one archive, by rule id and event id.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    path: Option<PathBuf>,
    keys: BTreeSet<String>,
}

impl Seen {
    /// What the file at `path` holds (nothing when there is no file yet).
    pub fn load(path: &Path) -> Result<Seen, String> {
        let keys = match std::fs::read_to_string(path) {
            Ok(text) => text.lines().filter(|l| !l.is_empty()).map(str::to_string).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Ok(Seen {
            path: Some(path.to_path_buf()),
            keys,
        })
    }

    /// The file of one archive's reported hits in `dir`.
    pub fn file_for(dir: &Path, archive: &str) -> PathBuf {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(archive.as_bytes());
        let name: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        dir.join(format!("{name}.seen"))
    }

    fn key(set: &RuleSet, hit: &Hit) -> String {
        // A correlation's hit is its group's window: its first event stands for it. An event id
        // is the record's (anyone's): escaped, so that it cannot write a line of its own.
        let escaped = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('\t', "\\t")
                .replace('\n', "\\n")
                .replace('\r', "\\r")
        };
        format!("{}\t{}", escaped(&set.rules[hit.rule].id), escaped(&hit.event_id))
    }

    pub fn has(&self, set: &RuleSet, hit: &Hit) -> bool {
        self.keys.contains(&Self::key(set, hit))
    }

    /// Adds the hits and writes the file (through a temporary file: a run that ends half-way
    /// leaves the earlier list).
    pub fn record(&mut self, set: &RuleSet, hits: &[Hit]) -> Result<(), String> {
        self.keys.extend(hits.iter().map(|h| Self::key(set, h)));
        let Some(path) = &self.path else { return Ok(()) };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut text = String::new();
        for k in &self.keys {
            text.push_str(k);
            text.push('\n');
        }
        let temp = path.with_extension("seen.tmp");
        std::fs::write(&temp, text)
            .and_then(|()| std::fs::rename(&temp, path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}
