use std::path::PathBuf;

/// What can go wrong reading or writing an archive. Each names the input it concerns.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("'{url}' is not an archive location: {reason}")]
    BadLocation { url: String, reason: String },
    #[error("cannot reach the archive at {url}: {message}")]
    Store { url: String, message: String },
    #[error("cannot read {path}: {source}")]
    ReadSource { path: PathBuf, source: std::io::Error },
    #[error("source {0} does not exist")]
    MissingSource(String),
    #[error("cannot write Parquet for {partition}: {source}")]
    Encode {
        partition: String,
        source: parquet::errors::ParquetError,
    },
    #[error("cannot build the record batch: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("another ingest or compaction is writing to {archive}: {holder}; run this one when it is done")]
    Busy { archive: String, holder: String },
    #[error("{0} (not read, nor copied to the quarantine)")]
    TooLarge(String),
    #[error("the ingest ledger entry {path} is damaged: {message}")]
    Ledger { path: String, message: String },
    #[error("the sealed tier's {path} cannot be used: {message}")]
    Sealed { path: String, message: String },
    #[error(
        "access to the sealed tier of {0} (_sealed/) was denied: revealing secrets or fingerprinting one needs read access to it, which the archive's owners grant"
    )]
    SealedDenied(String),
    #[error("the integrity chain's {path} cannot be used: {message}")]
    Chain { path: String, message: String },
    /// An owners' policy under `_policy/` that cannot be used.
    #[error("the archive's policy {path} cannot be read: {message}; its owners must fix or rewrite it")]
    Policy { path: String, message: String },
    #[error(
        "the archive at {archive} is in format {found}, written by a newer trailscope (this one reads up to format {supported}): upgrade trailscope"
    )]
    NewerFormat {
        archive: String,
        found: u32,
        supported: u32,
    },
}

impl ArchiveError {
    pub fn store(url: impl Into<String>, err: object_store::Error) -> Self {
        ArchiveError::Store {
            url: url.into(),
            message: explain(&err),
        }
    }
}

/// An object-store failure as what the user should check, keeping the store's own words only
/// when no better sentence is known.
fn explain(err: &object_store::Error) -> String {
    use object_store::Error as E;
    // A store that found no credentials says which sources it tried: that is the sentence.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(c) = cause {
        if let Some(missing) = c.downcast_ref::<super::credentials::CredentialsError>() {
            return missing.to_string();
        }
        cause = c.source();
    }
    let text = err.to_string();
    let has = |needle: &str| text.contains(needle);
    match err {
        E::NotFound { path, .. } => format!("{path} was not found"),
        _ if has("NoSuchBucket") || has("ContainerNotFound") || has("The specified bucket does not exist") => {
            "the bucket or container does not exist (check its name, and the region or endpoint)".into()
        }
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => {
            "access was denied: the credentials found (AWS_ACCESS_KEY_ID or the profile AWS_PROFILE, GOOGLE_APPLICATION_CREDENTIALS or gcloud's login, the Azure key or login) lack a permission this needs".into()
        }
        _ if has("AccessDenied") || has("InvalidAccessKeyId") || has("SignatureDoesNotMatch") || has("403 Forbidden") => {
            "access was denied: check the AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile AWS_PROFILE names)".into()
        }
        _ if has("credential") || has("Credential") => {
            "no usable credentials were found: set the cloud's credential variables (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_ACCOUNT_KEY, …)".into()
        }
        _ if has("Connection refused") || has("dns error") || has("error sending request") || has("timed out") => {
            "the storage endpoint cannot be reached (check AWS_ENDPOINT_URL or the network)".into()
        }
        _ => text.lines().next().unwrap_or_default().to_string(),
    }
}
