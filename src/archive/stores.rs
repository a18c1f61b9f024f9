//! Each cloud's object store, built from its usual environment variables, the caller's settings
//! and the credentials each cloud's own tools keep ([`super::credentials`]); and who those
//! credentials say the caller is.

use std::sync::Arc;

use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey, AwsCredentialProvider};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GcpCredential, GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::{ClientOptions, ObjectStore, RetryConfig, StaticCredentialProvider};

use super::credentials::{self, AwsSdkCredentials, Explained, Sources};
use super::location::StoreOptions;

/// A store's settings and how to reach it, shared by the three clouds.
pub(super) struct Setup<'a> {
    pub bucket: &'a str,
    pub options: &'a StoreOptions,
    pub retry: RetryConfig,
    pub client: ClientOptions,
}

/// Why a store could not be built, in words for `'<url>' is not an archive location: …`.
pub(super) type BuildError = String;

/// Where the identity behind a store's credentials can be read.
#[derive(Clone, Debug)]
pub(super) enum Credentials {
    Local,
    S3 {
        store: Arc<AmazonS3>,
        /// The SDK's chain, when the environment held no keys.
        sdk: Option<Arc<AwsSdkCredentials>>,
        /// Where static keys came from, otherwise.
        from: String,
    },
    Gcs {
        sources: Sources,
        file: Option<String>,
    },
    Azure {
        account: Option<String>,
        sources: Sources,
    },
}

fn setting<'a>(options: &'a StoreOptions, key: &str) -> Option<&'a str> {
    options
        .settings
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

fn unknown(key: &str) -> BuildError {
    format!("unknown store setting '{key}'")
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub(super) fn s3(setup: Setup) -> Result<(Arc<dyn ObjectStore>, Credentials), BuildError> {
    let mut b = AmazonS3Builder::from_env()
        .with_http_connector(super::requests::Counted)
        .with_bucket_name(setup.bucket)
        .with_retry(setup.retry)
        .with_client_options(setup.client);
    for (k, v) in &setup.options.settings {
        b = b.with_config(k.parse().map_err(|_| unknown(k))?, v);
    }
    // An endpoint written with http:// is a deliberate choice (a local S3-compatible server):
    // allow it rather than fail on a setting the user cannot guess.
    let value = |b: &AmazonS3Builder, key| b.get_config_value(&key).filter(|v| !v.is_empty());
    if value(&b, AmazonS3ConfigKey::Endpoint).is_some_and(|e| e.starts_with("http://")) {
        b = b.with_allow_http(true);
    }
    let profile = credentials::aws_profile();
    let mut region = value(&b, AmazonS3ConfigKey::Region).or_else(|| value(&b, AmazonS3ConfigKey::DefaultRegion));
    if region.is_none()
        && let Some(from_profile) = credentials::aws_profile_region(&profile)
    {
        b = b.with_region(&from_profile);
        region = Some(from_profile);
    }
    let keys = value(&b, AmazonS3ConfigKey::AccessKeyId).is_some();
    let anonymous = value(&b, AmazonS3ConfigKey::SkipSignature).is_some_and(|v| v == "true");
    // Static keys keep object_store's own handling; anything else is the AWS SDK's chain.
    let sdk = (!keys && !anonymous).then(|| Arc::new(AwsSdkCredentials::new(profile, region)));
    if let Some(sdk) = &sdk {
        b = b.with_credentials(sdk.clone() as AwsCredentialProvider);
    }
    let from = match (setting(setup.options, "aws_access_key_id"), anonymous) {
        (_, true) => "no credentials (unsigned requests)",
        (Some(_), _) => "the store settings",
        (None, _) => "the environment",
    };
    let store = Arc::new(b.build().map_err(|e| e.to_string())?);
    let credentials = Credentials::S3 {
        store: store.clone(),
        sdk,
        from: from.into(),
    };
    Ok((store, credentials))
}

pub(super) fn gcs(setup: Setup) -> Result<(Arc<dyn ObjectStore>, Credentials), BuildError> {
    let mut b = GoogleCloudStorageBuilder::from_env()
        .with_http_connector(super::requests::Counted)
        .with_bucket_name(setup.bucket)
        .with_retry(setup.retry);
    for (k, v) in &setup.options.settings {
        b = b.with_config(k.parse().map_err(|_| unknown(k))?, v);
    }
    let value = |b: &GoogleCloudStorageBuilder, key| b.get_config_value(&key).filter(|v| !v.is_empty());
    // The emulator convention of Google's own client libraries: a host to send every request
    // to, without credentials.
    let emulator = env("STORAGE_EMULATOR_HOST").filter(|_| value(&b, GoogleConfigKey::BaseUrl).is_none());
    if let Some(host) = &emulator {
        let url = if host.contains("://") {
            host.clone()
        } else {
            format!("http://{host}")
        };
        b = b
            .with_base_url(url.trim_end_matches('/'))
            .with_credentials(Arc::new(StaticCredentialProvider::new(GcpCredential {
                bearer: String::new(),
            })));
    }
    // As for S3: an http:// endpoint is a deliberate choice, not a mistake to refuse.
    let http = value(&b, GoogleConfigKey::BaseUrl).is_some_and(|u| u.starts_with("http://"));
    b = b.with_client_options(setup.client.with_allow_http(http));

    let account_file = value(&b, GoogleConfigKey::ServiceAccount);
    let explicit = account_file
        .as_ref()
        .map(|f| format!("the service account key file {f}"))
        .or_else(|| {
            value(&b, GoogleConfigKey::ServiceAccountKey)
                .map(|_| "the service account key in GOOGLE_SERVICE_ACCOUNT_KEY".into())
        })
        .or_else(|| {
            value(&b, GoogleConfigKey::ApplicationCredentials).map(|f| format!("GOOGLE_APPLICATION_CREDENTIALS ({f})"))
        });
    let mut adc = None;
    if explicit.is_none() && emulator.is_none() {
        // object_store looks in ~/.config/gcloud only; gcloud moves it with CLOUDSDK_CONFIG.
        adc = credentials::gcloud_adc_file();
        if let Some(file) = &adc {
            b = b.with_config(GoogleConfigKey::ApplicationCredentials, file.display().to_string());
        }
    }
    let file = account_file
        .or_else(|| value(&b, GoogleConfigKey::ApplicationCredentials))
        .or_else(|| value(&b, GoogleConfigKey::ServiceAccountKey));
    let sources = match &emulator {
        Some(host) => Sources::One(format!("none (the emulator at STORAGE_EMULATOR_HOST={host})")),
        None => credentials::gcp_sources(explicit, adc),
    };
    let first = b.clone().build().map_err(|e| e.to_string())?;
    let store = if emulator.is_some() {
        first
    } else {
        let explained = Explained::new(first.credentials().clone(), "GCP", "GCS", sources.clone());
        b.with_credentials(Arc::new(explained))
            .build()
            .map_err(|e| e.to_string())?
    };
    Ok((Arc::new(store), Credentials::Gcs { sources, file }))
}

pub(super) fn azure(setup: Setup) -> Result<(Arc<dyn ObjectStore>, Credentials), BuildError> {
    let mut b = MicrosoftAzureBuilder::from_env()
        .with_http_connector(super::requests::Counted)
        .with_container_name(setup.bucket)
        .with_retry(setup.retry)
        .with_client_options(setup.client);
    for (k, v) in &setup.options.settings {
        b = b.with_config(k.parse().map_err(|_| unknown(k))?, v);
    }
    let value = |b: &MicrosoftAzureBuilder, key| b.get_config_value(&key).filter(|v| !v.is_empty());
    let on = |b: &MicrosoftAzureBuilder, key| value(b, key).is_some_and(|v| matches!(v.as_str(), "true" | "1"));
    let account = value(&b, AzureConfigKey::AccountName);
    let emulator = on(&b, AzureConfigKey::UseEmulator);
    if account.is_none() && !emulator {
        return Err(
            "no storage account is named: set AZURE_STORAGE_ACCOUNT_NAME (az://container/prefix names the container only)"
                .into(),
        );
    }
    let client_id = value(&b, AzureConfigKey::ClientId);
    let tenant = value(&b, AzureConfigKey::AuthorityId);
    let service_principal = client_id.is_some() && tenant.is_some();
    let explicit = if emulator {
        Some("the emulator's well-known account key (AZURE_STORAGE_USE_EMULATOR)".to_string())
    } else if value(&b, AzureConfigKey::Token).is_some() {
        Some("the bearer token in AZURE_STORAGE_TOKEN".into())
    } else if value(&b, AzureConfigKey::AccessKey).is_some() {
        Some("the account key in AZURE_STORAGE_ACCOUNT_KEY".into())
    } else if service_principal && value(&b, AzureConfigKey::FederatedTokenFile).is_some() {
        Some("workload identity (AZURE_FEDERATED_TOKEN_FILE)".into())
    } else if service_principal && value(&b, AzureConfigKey::ClientSecret).is_some() {
        Some("the service principal's secret (AZURE_CLIENT_SECRET)".into())
    } else if value(&b, AzureConfigKey::SasKey).is_some() {
        Some("the SAS token in AZURE_STORAGE_SAS_KEY".into())
    } else if on(&b, AzureConfigKey::UseAzureCli) {
        Some("the Azure CLI's login (az login)".into())
    } else {
        None
    };
    // Nothing configured: a logged-in Azure CLI is what a person at a terminal means, unless
    // told otherwise or on a host that advertises a managed identity (App Service, Arc).
    let said_no_cli = env("AZURE_USE_AZURE_CLI").is_some() || setting(setup.options, "azure_use_azure_cli").is_some();
    let managed_host = env("IDENTITY_ENDPOINT").is_some() || env("MSI_ENDPOINT").is_some();
    let sources = match explicit {
        Some(from) => Sources::One(from),
        None if !said_no_cli && !managed_host && credentials::azure_cli_logged_in() => {
            b = b.with_use_azure_cli(true);
            Sources::One("the Azure CLI's login (az login)".into())
        }
        None => Sources::Fallback {
            tried: vec![
                "the environment (AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_KEY, AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE)".into(),
                "the Azure CLI (not logged in: run `az login`)".into(),
                "managed identity (the instance metadata service)".into(),
            ],
        },
    };
    let first = b.clone().build().map_err(|e| e.to_string())?;
    let store = if emulator {
        first
    } else {
        let explained = Explained::new(first.credentials().clone(), "Azure", "MicrosoftAzure", sources.clone());
        b.with_credentials(Arc::new(explained))
            .build()
            .map_err(|e| e.to_string())?
    };
    Ok((Arc::new(store), Credentials::Azure { account, sources }))
}

impl Credentials {
    /// Who the credentials say the caller is, and where they came from. Never a secret.
    pub(super) async fn identity(&self) -> String {
        match self {
            Credentials::Local => format!("local user {}", crate::identity::local_user()),
            Credentials::S3 { store, sdk, from } => match store.credentials().get_credential().await {
                Ok(c) => {
                    let from = sdk.as_ref().and_then(|s| s.source()).unwrap_or_else(|| from.clone());
                    format!("AWS access key {} (from {from})", c.key_id)
                }
                Err(_) => "AWS (no credentials could be resolved)".into(),
            },
            Credentials::Gcs { sources, file } => {
                format!("{} (from {})", gcp_identity(file.as_deref()), sources.describe())
            }
            Credentials::Azure { account, sources } => {
                let client = env("AZURE_CLIENT_ID");
                let who = match (client, account) {
                    (Some(c), _) => format!("Azure client {c}"),
                    (None, Some(a)) => format!("Azure storage account {a}"),
                    (None, None) => "Azure".into(),
                };
                format!("{who} (from {})", sources.describe())
            }
        }
    }
}

/// The account a GCP credentials file names: a service account's `client_email`, or the
/// OAuth client of gcloud's user login (the token itself says nothing of who it is).
fn gcp_identity(file: Option<&str>) -> String {
    let read = file
        .and_then(|f| {
            if f.trim_start().starts_with('{') {
                Some(f.to_string())
            } else {
                std::fs::read_to_string(f).ok()
            }
        })
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
    match read {
        Some(key) => match (
            key["client_email"].as_str(),
            key["type"].as_str(),
            key["client_id"].as_str(),
        ) {
            (Some(email), _, _) => format!("GCP service account {email}"),
            (None, Some("authorized_user"), _) => "GCP user of gcloud's login".into(),
            (None, _, Some(id)) => format!("GCP client {id}"),
            _ => "GCP (a credentials file without an account)".into(),
        },
        None => "GCP".into(),
    }
}

/// What, besides its bucket or container, tells one store from another of the same name: an
/// Azure storage account (every account's activity log container is `insights-activity-logs`),
/// or an S3 or GCS endpoint other than the cloud's own. Empty for AWS's and Google's own.
pub(super) fn namespace(scheme: &str, options: &StoreOptions) -> String {
    match scheme {
        "s3" | "s3a" => {
            let mut b = AmazonS3Builder::from_env();
            for (k, v) in &options.settings {
                if let Ok(key) = k.parse() {
                    b = b.with_config(key, v);
                }
            }
            b.get_config_value(&AmazonS3ConfigKey::Endpoint)
                .filter(|e| !e.is_empty())
                .map(|e| format!("endpoint={}", e.trim_end_matches('/')))
                .unwrap_or_default()
        }
        "gs" => {
            let mut b = GoogleCloudStorageBuilder::from_env();
            for (k, v) in &options.settings {
                if let Ok(key) = k.parse() {
                    b = b.with_config(key, v);
                }
            }
            b.get_config_value(&GoogleConfigKey::BaseUrl)
                .filter(|e| !e.is_empty())
                .or_else(|| env("STORAGE_EMULATOR_HOST"))
                .map(|e| format!("endpoint={}", e.trim_end_matches('/')))
                .unwrap_or_default()
        }
        _ => {
            let mut b = MicrosoftAzureBuilder::from_env();
            for (k, v) in &options.settings {
                if let Ok(key) = k.parse() {
                    b = b.with_config(key, v);
                }
            }
            let account = b.get_config_value(&AzureConfigKey::AccountName).unwrap_or_default();
            let endpoint = b
                .get_config_value(&AzureConfigKey::Endpoint)
                .filter(|e| !e.is_empty())
                .map(|e| format!(" endpoint={}", e.trim_end_matches('/')))
                .unwrap_or_default();
            format!("account={account}{endpoint}")
        }
    }
}

#[cfg(test)]
mod namespace_tests {
    use super::*;

    #[test]
    fn two_azure_accounts_are_two_namespaces() {
        let account = |name: &str| StoreOptions {
            settings: vec![("azure_storage_account_name".into(), name.into())],
        };
        assert_eq!(namespace("az", &account("acme")), "account=acme");
        assert_ne!(namespace("az", &account("acme")), namespace("az", &account("other")));
        let endpoint = StoreOptions {
            settings: vec![("aws_endpoint".into(), "http://127.0.0.1:9000/".into())],
        };
        assert_eq!(namespace("s3", &endpoint), "endpoint=http://127.0.0.1:9000");
    }
}
