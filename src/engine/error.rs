/// What can go wrong opening an archive or running a query. Each says what to fix, in words of
/// the archive and the question: the command line and the workbench each say how to fix it
/// with their own flags and keys, from the variant's fields.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    /// The cluster the queries were to run on cannot run them (see `cluster`).
    #[error(transparent)]
    Cluster(#[from] super::cluster::ClusterError),
    /// The archive (its display form) has no events to query.
    #[error("the archive at {0} holds no events yet: ingest some audit logs into it first")]
    EmptyArchive(String),
    /// A time window whose start is not before its end.
    #[error(transparent)]
    EmptyWindow(#[from] super::window::EmptyWindow),
    /// A report's parameter that needs a value and has none, or has one of the wrong kind.
    #[error(transparent)]
    Param(#[from] super::reports::ParamError),
    #[error("{0}")]
    Refused(String),
    /// A value the user gave that cannot be used (a time, a parameter, a view's name).
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Sql(String),
    #[error("the query failed: {0}")]
    Execution(String),
    #[error("cannot write {path}: {message}")]
    Output { path: String, message: String },
    /// The reader of the output went away (`trailscope query … | head -1`).
    #[error("the output was closed")]
    OutputClosed,
    /// The query's record in the archive's journal is required and could not be written.
    #[error("the query did not run: {0}")]
    NotJournaled(String),
}

impl EngineError {
    /// Whether the user's input (the SQL, a parameter) is at fault rather than the system.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            EngineError::Refused(_)
                | EngineError::Sql(_)
                | EngineError::Usage(_)
                | EngineError::EmptyWindow(_)
                | EngineError::Param(_)
                | EngineError::Cluster(
                    super::cluster::ClusterError::BadEngine { .. }
                        | super::cluster::ClusterError::Reveal
                        | super::cluster::ClusterError::Format { .. }
                )
        )
    }

    pub(crate) fn from_datafusion(e: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as D;
        if let Some(cluster) = super::cluster::as_cluster_error(&e) {
            return EngineError::Cluster(cluster.clone());
        }
        match e.find_root() {
            D::SQL(..) => EngineError::Sql(parse_error(root_message(&e))),
            D::Plan(_) | D::SchemaError(..) | D::NotImplemented(_) => EngineError::Sql(root_message(&e)),
            _ => EngineError::Execution(root_message(&e)),
        }
    }
}

/// DataFusion's message without its error-kind prefixes ("Error during planning: ").
fn root_message(e: &datafusion::error::DataFusionError) -> String {
    let text = e.find_root().to_string();
    for prefix in [
        "Error during planning: ",
        "SQL error: ",
        "Schema error: ",
        "This feature is not implemented: ",
        "External error: ",
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return rest.trim().to_string();
        }
    }
    text.trim().to_string()
}

/// `ParserError("Expected: …")` as a sentence.
fn parse_error(message: String) -> String {
    match message
        .strip_prefix("ParserError(\"")
        .and_then(|m| m.strip_suffix("\")"))
    {
        Some(inner) => format!("the SQL does not parse: {}", inner.replace("\\\"", "\"")),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_archive_is_said_in_words_of_the_archive_not_of_a_command_line() {
        let e = EngineError::EmptyArchive("s3://audit/prod".into());
        assert_eq!(
            e.to_string(),
            "the archive at s3://audit/prod holds no events yet: ingest some audit logs into it first"
        );
        assert!(!e.to_string().contains("--") && !e.is_usage());
    }
}
