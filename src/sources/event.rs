use super::Cloud;

/// Whether the call did what was asked, by each cloud's own semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    /// The first step of a call whose end is another record (Azure's `Started`/`Accepted`, the
    /// first entry of a GCP long-running operation): it neither succeeded nor failed yet, so it
    /// is counted as neither (nor as a change).
    Started,
    /// An observation about calls, not a call (a CloudTrail Insight: a rate of calls or errors
    /// out of the ordinary): nothing succeeded or failed.
    Observed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Started => "started",
            Outcome::Observed => "observed",
        }
    }
}

/// One audit event in the archive's `events` schema (see `archive::schema`).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Microseconds since the Unix epoch, UTC.
    pub event_time: i64,
    pub event_id: String,
    pub cloud: Cloud,
    pub tenant: String,
    pub region: Option<String>,
    pub principal: String,
    pub principal_type: Option<String>,
    pub session_issuer: Option<String>,
    pub source_identity: Option<String>,
    /// For a call that starts a session (AWS `AssumeRole*`, `GetFederationToken`): the principal
    /// the new session acts as, as its own events name it in `principal`.
    pub assumed_principal: Option<String>,
    pub access_key_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub service: String,
    /// Which log of its cloud the event came from (see `schema::COLUMNS`): management or data
    /// events, an Insight, GCP's four audit logs, the Activity Log or Entra ID's logs.
    pub category: &'static str,
    pub action: String,
    pub resource: Option<String>,
    pub resource_type: Option<String>,
    pub outcome: Outcome,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub read_only: Option<bool>,
    pub request_id: Option<String>,
    pub source_object: String,
    pub source_index: u32,
    /// For a record whose secrets were replaced in `raw` (and in every column): the key of its
    /// verbatim original in the archive's sealed tier. Set by the archive, never by a source.
    pub sealed_id: Option<String>,
    pub raw: String,
}
