//! The user's config file (`~/.config/trailscope/config.toml`, or `--config FILE`):
//!
//! ```toml
//! archive = "prod"                 # the archive used when --archive is not given
//! redact = true                    # mask leaked secrets in results (--reveal overrides)
//! window = "7d"                    # how far back views look from the archive's newest event
//! engine = "ballista://10.0.0.5:50050"  # run queries on a cluster (--engine overrides)
//! report_dirs = ["~/audit-reports"]
//! rule_dirs = ["~/detections"]     # Sigma rules `detect` runs beside the built-in ones
//! suppressions = "~/detections/suppressions.toml"   # known-benign hits `detect` does not list
//! max_decompressed = "4GiB"        # the most a source file may expand to when decompressed
//!
//! [archives]                       # names for --archive
//! prod = "s3://audit-archive/prod"
//! lab = "/data/lab-archive"
//!
//! [coverage]                       # what `trailscope coverage` expects
//! expected = ["aws/123456789012", "gcp/my-project"]
//! expected_file = "~/expected-tenants.txt"   # one CLOUD/TENANT a line, # comments
//! stale_after = "3d"               # silence that counts as "stopped delivering"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// A name from `[archives]`, or a URL.
    pub archive: Option<String>,
    pub redact: Option<bool>,
    /// Where reading commands run their queries: `local` or `ballista://HOST:PORT`.
    pub engine: Option<String>,
    /// The default view window's length (`7d`, `24h`).
    pub window: Option<String>,
    #[serde(default)]
    pub report_dirs: Vec<PathBuf>,
    /// Folders (or files) of the user's Sigma rules.
    #[serde(default)]
    pub rule_dirs: Vec<PathBuf>,
    /// The suppression file `detect` reads (see `engine::detect::triage`).
    pub suppressions: Option<PathBuf>,
    #[serde(default)]
    pub archives: BTreeMap<String, String>,
    /// Key bindings of the workbench, `action = "key"`.
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    /// The most a source file may hold once decompressed (`4GiB`, `512MiB`, or bytes).
    pub max_decompressed: Option<String>,
    /// What `coverage` expects.
    #[serde(default)]
    pub coverage: CoverageConfig,
}

/// `[coverage]`: tenants that must deliver (beside the archive's own `_policy/coverage.json`),
/// and how long one may be silent.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CoverageConfig {
    /// `cloud/tenant`, e.g. `aws/123456789012`.
    #[serde(default)]
    pub expected: Vec<String>,
    /// A file of `cloud/tenant` lines (blank lines and `#` comments allowed); a relative path
    /// is relative to the config file's folder.
    pub expected_file: Option<PathBuf>,
    /// A span such as `3d` or `36h`.
    pub stale_after: Option<String>,
}

/// A size written as bytes or with a unit (`512MiB`, `4GiB`, `2GB`).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        "tib" | "t" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {message}")]
    Read { path: String, message: String },
    #[error("the config file {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    /// The default location: `$TRAILSCOPE_CONFIG`, else the platform's config folder.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("TRAILSCOPE_CONFIG") {
            return Some(PathBuf::from(p));
        }
        directories::ProjectDirs::from("", "", "trailscope").map(|d| d.config_dir().join("config.toml"))
    }

    /// Reads `path`; a missing file at the default location is an empty config, a missing file
    /// the user named is an error.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let (path, named) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => match Self::default_path() {
                Some(p) => (p, false),
                None => return Ok(Config::default()),
            },
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    message: e.to_string(),
                });
            }
        };
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.display().to_string(),
            message: e.message().to_string(),
        })?;
        config.report_dirs = config.report_dirs.iter().map(|d| expand_home(d)).collect();
        config.rule_dirs = config.rule_dirs.iter().map(|d| expand_home(d)).collect();
        config.suppressions = config.suppressions.as_deref().map(expand_home);
        if let Some(file) = &config.coverage.expected_file {
            let file = expand_home(file);
            config.coverage.expected_file = Some(match path.parent() {
                Some(dir) if file.is_relative() => dir.join(file),
                _ => file,
            });
        }
        Ok(config)
    }

    /// An archive argument as a location: a name from `[archives]`, or itself.
    pub fn resolve_archive<'a>(&'a self, archive: &'a str) -> &'a str {
        self.archives.get(archive).map(String::as_str).unwrap_or(archive)
    }
}

fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), directories::BaseDirs::new()) {
        (Ok(rest), Some(base)) => base.home_dir().join(rest),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_archives_resolve_and_unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "archive = \"prod\"\nredact = false\n[archives]\nprod = \"s3://audit/prod\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.resolve_archive("prod"), "s3://audit/prod");
        assert_eq!(config.resolve_archive("./other"), "./other");
        assert_eq!(config.redact, Some(false));
        std::fs::write(
            &path,
            "[coverage]\nexpected = [\"aws/123456789012\"]\nexpected_file = \"tenants.txt\"\nstale_after = \"2d\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.coverage.expected, ["aws/123456789012"]);
        assert_eq!(config.coverage.expected_file, Some(dir.path().join("tenants.txt")));
        std::fs::write(&path, "[coverage]\nexpect = []\n").unwrap();
        assert!(matches!(Config::load(Some(&path)), Err(ConfigError::Invalid { .. })));
        std::fs::write(&path, "archve = \"typo\"\n").unwrap();
        assert!(matches!(Config::load(Some(&path)), Err(ConfigError::Invalid { .. })));
        assert!(matches!(
            Config::load(Some(&dir.path().join("missing.toml"))),
            Err(ConfigError::Read { .. })
        ));
        assert_eq!(parse_size("4GiB"), Some(4 << 30));
        assert_eq!(parse_size("512 MiB"), Some(512 << 20));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("lots"), None);
    }
}
