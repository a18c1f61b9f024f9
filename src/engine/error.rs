/// What can go wrong opening an archive or running a query. Each says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    #[error("the archive at {0} holds no events yet: add some with `trailscope ingest --archive {0} SOURCE…`")]
    EmptyArchive(String),
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
            EngineError::Refused(_) | EngineError::Sql(_) | EngineError::Usage(_)
        )
    }

    pub(crate) fn from_datafusion(e: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as D;
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
