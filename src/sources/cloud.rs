use std::fmt;
use std::str::FromStr;

/// The clouds whose audit logs trailscope reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cloud {
    Aws,
    Gcp,
    Azure,
}

impl Cloud {
    pub const ALL: [Cloud; 3] = [Cloud::Aws, Cloud::Gcp, Cloud::Azure];

    /// The name used in the archive's `cloud=` partition and in the `cloud` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Aws => "aws",
            Cloud::Gcp => "gcp",
            Cloud::Azure => "azure",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cloud {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "aws" => Ok(Cloud::Aws),
            "gcp" | "google" => Ok(Cloud::Gcp),
            "azure" => Ok(Cloud::Azure),
            other => Err(format!("unknown cloud '{other}' (expected aws, gcp or azure)")),
        }
    }
}

/// Which parser a source is read with: detected per record, or forced by `--cloud`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CloudChoice {
    #[default]
    Auto,
    Only(Cloud),
}

impl FromStr for CloudChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auto") {
            Ok(CloudChoice::Auto)
        } else {
            s.parse().map(CloudChoice::Only)
        }
    }
}
