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
    #[error("the ingest ledger entry {path} is damaged: {message}")]
    Ledger { path: String, message: String },
}

impl ArchiveError {
    pub fn store(url: impl Into<String>, err: object_store::Error) -> Self {
        let message = match &err {
            object_store::Error::NotFound { path, .. } => format!("{path} was not found"),
            other => other.to_string(),
        };
        ArchiveError::Store {
            url: url.into(),
            message,
        }
    }
}
