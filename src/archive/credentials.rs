//! Credentials where each cloud's own tools keep them, for the stores [`super::location`] opens.
//!
//! object_store's builders read the environment and little else; people keep their access in AWS
//! profiles (`~/.aws/config`: SSO, `credential_process`, assumed roles), in gcloud's application
//! default credentials and in the Azure CLI's login. This module adds those sources, remembers
//! which one gave the credentials (for [`super::Location::identity`]), and when none does, says
//! every source that was tried.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError as AwsError;
use object_store::CredentialProvider;
use object_store::aws::AwsCredential;

/// Why a store has no credentials to sign its requests with.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// No source held any.
    #[error("no {cloud} credentials: tried {tried}")]
    Missing { cloud: &'static str, tried: String },
    /// A source holds some, and could not give them.
    #[error("the {cloud} credentials of {from} could not be used: {reason}")]
    Failed {
        cloud: &'static str,
        from: String,
        reason: String,
    },
}

impl CredentialsError {
    fn into_store_error(self, store: &'static str) -> object_store::Error {
        object_store::Error::Generic {
            store,
            source: Box::new(self),
        }
    }
}

/// A list read as a sentence: `a, b and c`.
fn sentence(parts: &[String]) -> String {
    match parts {
        [] => "nothing".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// An error and its causes, as one line (aws-config puts the useful part in the causes).
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn home() -> Option<PathBuf> {
    env("HOME").or_else(|| env("USERPROFILE")).map(PathBuf::from)
}

// ---------------------------------------------------------------------------------------------
// AWS

/// The AWS profile the SDKs would use: `AWS_PROFILE`, else `default`.
pub fn aws_profile() -> String {
    env("AWS_PROFILE").unwrap_or_else(|| "default".into())
}

/// Where the profile files are, as the AWS CLI finds them (for messages).
fn aws_profile_files() -> String {
    let config = env("AWS_CONFIG_FILE").unwrap_or_else(|| "~/.aws/config".into());
    let credentials = env("AWS_SHARED_CREDENTIALS_FILE").unwrap_or_else(|| "~/.aws/credentials".into());
    format!("{config} and {credentials}")
}

/// The region the profile names (`region = …` in `~/.aws/config`), if any.
///
/// Called while a store is built, which is synchronous and may already be inside a runtime:
/// aws-config reads the files on a thread of its own, with a runtime of its own. It only reads
/// files (no instance metadata), so it is quick.
pub fn aws_profile_region(profile: &str) -> Option<String> {
    let config = env("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws/config")))?;
    if !config.is_file() {
        return None;
    }
    let profile = profile.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(async {
            use aws_config::meta::region::ProvideRegion;
            aws_config::profile::ProfileFileRegionProvider::builder()
                .profile_name(profile)
                .build()
                .region()
                .await
                .map(|r| r.to_string())
        })
    })
    .join()
    .ok()
    .flatten()
}

/// The S3 store's credentials when the environment holds no keys: the AWS SDK's own chain
/// (profile with SSO, `credential_process` and assumed roles, web identity, the ECS container
/// endpoint, the EC2 instance metadata), each tried in the SDK's order, the result kept until it
/// is about to expire.
#[derive(Debug)]
pub struct AwsSdkCredentials {
    profile: String,
    region: Option<String>,
    cache: tokio::sync::Mutex<Option<Cached>>,
    /// The source that gave the credentials last.
    from: std::sync::Mutex<Option<String>>,
}

#[derive(Debug)]
struct Cached {
    credential: Arc<AwsCredential>,
    expires: Option<SystemTime>,
}

/// Credentials are renewed this long before they expire, so a request never signs with a
/// credential that lapses in flight.
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

impl AwsSdkCredentials {
    pub fn new(profile: String, region: Option<String>) -> Self {
        AwsSdkCredentials {
            profile,
            region,
            cache: tokio::sync::Mutex::new(None),
            from: std::sync::Mutex::new(None),
        }
    }

    /// Which source gave the credentials (`profile 'audit'`), once some were resolved.
    pub fn source(&self) -> Option<String> {
        self.from.lock().expect("not poisoned").clone()
    }

    async fn resolve(&self) -> Result<(aws_credential_types::Credentials, String), CredentialsError> {
        let conf = ProviderConfig::default()
            // Pinned, not `latest`: the SDK's defaults (timeouts, retries) change with it.
            .with_behavior_version(Some(aws_config::BehaviorVersion::v2026_11_17()))
            .with_region(self.region.clone().map(aws_config::Region::new));
        let profile = &self.profile;
        let sources: Vec<(String, Box<dyn ProvideCredentials>)> = vec![
            (
                format!("profile '{profile}' in {}", aws_profile_files()),
                Box::new(
                    aws_config::profile::ProfileFileCredentialsProvider::builder()
                        .configure(&conf)
                        .profile_name(profile)
                        .build(),
                ),
            ),
            (
                "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".into(),
                Box::new(
                    aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder()
                        .configure(&conf)
                        .build(),
                ),
            ),
            (
                "the ECS container role".into(),
                Box::new(
                    aws_config::ecs::EcsCredentialsProvider::builder()
                        .configure(&conf)
                        .build(),
                ),
            ),
            (
                "the EC2 instance role".into(),
                Box::new(
                    aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                        .configure(&conf)
                        .build(),
                ),
            ),
        ];
        // Static keys in the environment never reach this provider (object_store takes them).
        let mut tried = vec!["the environment (AWS_ACCESS_KEY_ID)".to_string()];
        for (from, provider) in sources {
            match provider.provide_credentials().await {
                Ok(credentials) => return Ok((credentials, from)),
                Err(AwsError::CredentialsNotLoaded(_)) => tried.push(from),
                Err(e) => {
                    let mut reason = with_causes(&e);
                    if reason.to_ascii_lowercase().contains("sso") {
                        reason.push_str(&format!(" (run `aws sso login --profile {profile}`)"));
                    }
                    return Err(CredentialsError::Failed {
                        cloud: "AWS",
                        from,
                        reason,
                    });
                }
            }
        }
        Err(CredentialsError::Missing {
            cloud: "AWS",
            tried: sentence(&tried),
        })
    }
}

#[async_trait::async_trait]
impl CredentialProvider for AwsSdkCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        // One resolution at a time: a credential_process or SSO refresh runs once, not per request.
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref()
            && cached.expires.is_none_or(|t| t > SystemTime::now() + RENEW_BEFORE)
        {
            return Ok(cached.credential.clone());
        }
        let (credentials, from) = self.resolve().await.map_err(|e| e.into_store_error("S3"))?;
        let credential = Arc::new(AwsCredential {
            key_id: credentials.access_key_id().to_string(),
            secret_key: credentials.secret_access_key().to_string(),
            token: credentials.session_token().map(str::to_string),
        });
        *self.from.lock().expect("not poisoned") = Some(from);
        *cache = Some(Cached {
            credential: credential.clone(),
            expires: credentials.expiry(),
        });
        Ok(credential)
    }
}

// ---------------------------------------------------------------------------------------------
// GCP and Azure: object_store's own chains, with the sources named

/// A store's own credential provider, its failures said with the sources it had to try.
#[derive(Debug)]
pub struct Explained<T> {
    inner: Arc<dyn CredentialProvider<Credential = T>>,
    cloud: &'static str,
    store: &'static str,
    sources: Sources,
}

/// What a store's credentials come from.
#[derive(Clone, Debug)]
pub enum Sources {
    /// One source was configured; its failure is that source's.
    One(String),
    /// None was configured: the last resort (a metadata server) was asked after these.
    Fallback { tried: Vec<String> },
}

impl Sources {
    /// The source, as [`super::Location::identity`] names it.
    pub fn describe(&self) -> String {
        match self {
            Sources::One(from) => from.clone(),
            Sources::Fallback { tried } => tried.last().cloned().unwrap_or_default(),
        }
    }
}

impl<T> Explained<T> {
    pub fn new(
        inner: Arc<dyn CredentialProvider<Credential = T>>,
        cloud: &'static str,
        store: &'static str,
        sources: Sources,
    ) -> Self {
        Explained {
            inner,
            cloud,
            store,
            sources,
        }
    }
}

#[async_trait::async_trait]
impl<T: std::fmt::Debug + Send + Sync + 'static> CredentialProvider for Explained<T> {
    type Credential = T;

    async fn get_credential(&self) -> object_store::Result<Arc<T>> {
        self.inner.get_credential().await.map_err(|e| {
            let explained = match &self.sources {
                Sources::One(from) => CredentialsError::Failed {
                    cloud: self.cloud,
                    from: from.clone(),
                    reason: with_causes(&e),
                },
                Sources::Fallback { tried } => CredentialsError::Missing {
                    cloud: self.cloud,
                    tried: sentence(tried),
                },
            };
            explained.into_store_error(self.store)
        })
    }
}

/// Where the GCS store's credentials come from, given what the builder was told.
/// `explicit` names a configured service account or credentials file.
pub fn gcp_sources(explicit: Option<String>, adc_file: Option<PathBuf>) -> Sources {
    if let Some(from) = explicit {
        return Sources::One(from);
    }
    if let Some(file) = adc_file {
        return Sources::One(format!("gcloud's application default credentials ({})", file.display()));
    }
    Sources::Fallback {
        tried: vec![
            "GOOGLE_APPLICATION_CREDENTIALS (not set)".into(),
            "gcloud's application default credentials (none: run `gcloud auth application-default login`)".into(),
            "the GCE metadata server (a VM's service account)".into(),
        ],
    }
}

/// gcloud's application default credentials file, where object_store looks for it
/// (`~/.config/gcloud/`, or `%APPDATA%\gcloud\` on Windows) or where `CLOUDSDK_CONFIG` moves it.
pub fn gcloud_adc_file() -> Option<PathBuf> {
    let dir = match env("CLOUDSDK_CONFIG") {
        Some(dir) => PathBuf::from(dir),
        None if cfg!(windows) => PathBuf::from(env("APPDATA")?).join("gcloud"),
        None => home()?.join(".config/gcloud"),
    };
    Some(dir.join("application_default_credentials.json")).filter(|f| f.is_file())
}

/// Whether the Azure CLI holds a login (`az login` writes its profile under `~/.azure`, or
/// `AZURE_CONFIG_DIR`).
pub fn azure_cli_logged_in() -> bool {
    let dir = match env("AZURE_CONFIG_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => match home() {
            Some(h) => h.join(".azure"),
            None => return false,
        },
    };
    // The profile lists the subscriptions of the login; `az logout` empties it.
    std::fs::read(dir.join("azureProfile.json"))
        .map(|text| String::from_utf8_lossy(&text).contains("\"user\""))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_sources_reads_as_a_sentence() {
        assert_eq!(sentence(&[]), "nothing");
        assert_eq!(sentence(&["a".into()]), "a");
        assert_eq!(sentence(&["a".into(), "b".into(), "c".into()]), "a, b and c");
    }

    #[tokio::test]
    async fn a_failing_chain_says_every_source_it_tried() {
        #[derive(Debug)]
        struct Nothing;
        #[async_trait::async_trait]
        impl CredentialProvider for Nothing {
            type Credential = String;
            async fn get_credential(&self) -> object_store::Result<Arc<String>> {
                Err(object_store::Error::Generic {
                    store: "GCS",
                    source: "metadata server unreachable".into(),
                })
            }
        }
        let explained = Explained::new(Arc::new(Nothing), "GCP", "GCS", gcp_sources(None, None));
        let err = explained.get_credential().await.unwrap_err();
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert!(
            source.starts_with("no GCP credentials: tried GOOGLE_APPLICATION_CREDENTIALS"),
            "{source}"
        );
        assert!(source.contains("gcloud auth application-default login") && source.contains("metadata server"));

        let one = Explained::new(Arc::new(Nothing), "GCP", "GCS", Sources::One("key.json".into()));
        let err = one.get_credential().await.unwrap_err();
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert!(
            source.contains("of key.json could not be used") && source.contains("metadata server unreachable"),
            "{source}"
        );
    }
}
