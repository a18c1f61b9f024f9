//! Saved reports: `.sql` files whose header comments name and describe them and declare typed
//! parameters with defaults. Values are bound as parameters, never spliced into the text.
//!
//! ```sql
//! -- name: root-activity
//! -- title: Root user activity
//! -- description: Every call made with an AWS account's root user.
//! -- param: since timestamp = archive_end() - interval '30 days' | start of the period
//! -- param: until timestamp = archive_end() + interval '1 microsecond' | end of the period (excluded)
//! SELECT … FROM events WHERE event_time >= $since AND event_time < $until
//! ```
//! A default is an SQL expression; `archive_end()` is the newest event's time, so that a report
//! over an archive of last year's incident covers that incident.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use datafusion::common::ScalarValue;

use super::views::{Query, timestamp};
use super::window::{TimeSpec, TimeWindow};
use super::{EngineError, Session};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_reports.rs"));
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    Timestamp,
    Text,
    Integer,
    Boolean,
}

impl ParamKind {
    fn parse(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "timestamp" => Some(ParamKind::Timestamp),
            "text" | "string" => Some(ParamKind::Text),
            "integer" | "int" | "bigint" => Some(ParamKind::Integer),
            "boolean" | "bool" => Some(ParamKind::Boolean),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ParamKind::Timestamp => "timestamp",
            ParamKind::Text => "text",
            ParamKind::Integer => "integer",
            ParamKind::Boolean => "boolean",
        }
    }

    /// `expr` as a value of this kind, in SQL. A time is kept in microseconds, as `event_time`
    /// is: SQL's `TIMESTAMP` is nanoseconds, which end in 2262.
    fn cast(self, expr: &str) -> String {
        match self {
            ParamKind::Timestamp => format!("arrow_cast(({expr}), 'Timestamp(µs, \"UTC\")')"),
            ParamKind::Text => format!("CAST(({expr}) AS VARCHAR)"),
            ParamKind::Integer => format!("CAST(({expr}) AS BIGINT)"),
            ParamKind::Boolean => format!("CAST(({expr}) AS BOOLEAN)"),
        }
    }
}

/// A report's parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportParam {
    pub name: String,
    pub kind: ParamKind,
    /// An SQL expression; `None` means the user must give a value.
    pub default: Option<String>,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub name: String,
    pub title: String,
    pub description: String,
    pub params: Vec<ReportParam>,
    pub sql: String,
    /// `built-in NAME.sql`, or the file it was read from, as said to the user.
    pub origin: String,
    /// The file a user's report was read from; `None` for a built-in report.
    pub file: Option<PathBuf>,
    /// A user's report named like a built-in one, which it replaces: whoever runs it must be
    /// told that it is not the built-in report of this name.
    pub replaces_builtin: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("the report {origin} is not valid: {message}")]
pub struct ReportError {
    pub origin: String,
    pub message: String,
}

/// What makes a report's parameters unusable as given: one that needs a value and has none, or
/// a value that is not of the parameter's kind. Said in words of the report, not of how the
/// value was given (the command line's `--param`, the workbench's form).
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum ParamError {
    #[error(
        "the report {report} needs a value for its parameter `{param}` ({}{})",
        kind.name(),
        if description.is_empty() { String::new() } else { format!(": {description}") }
    )]
    Missing {
        report: String,
        param: String,
        kind: ParamKind,
        description: String,
    },
    #[error("the parameter `{param}` of the report {report} expected {expected}, not '{value}'")]
    Invalid {
        report: String,
        param: String,
        value: String,
        /// What the parameter's kind takes (`a whole number`).
        expected: &'static str,
    },
}

impl ParamError {
    /// The parameter at fault.
    pub fn param(&self) -> &str {
        match self {
            ParamError::Missing { param, .. } | ParamError::Invalid { param, .. } => param,
        }
    }
}

impl Report {
    /// Reads a report from its text. `fallback_name` (the file's stem) names a report without a
    /// `-- name:` line.
    pub fn parse(text: &str, fallback_name: &str, origin: &str) -> Result<Report, ReportError> {
        let err = |message: String| ReportError {
            origin: origin.to_string(),
            message,
        };
        let mut report = Report {
            name: fallback_name.to_string(),
            title: String::new(),
            description: String::new(),
            params: Vec::new(),
            sql: String::new(),
            origin: origin.to_string(),
            file: None,
            replaces_builtin: false,
        };
        let mut body = Vec::new();
        let mut in_header = true;
        for line in text.lines() {
            let trimmed = line.trim();
            if in_header && let Some(comment) = trimmed.strip_prefix("--") {
                let comment = comment.trim();
                if let Some((key, value)) = comment.split_once(':') {
                    let value = value.trim();
                    match key.trim() {
                        "name" => report.name = value.to_string(),
                        "title" => report.title = value.to_string(),
                        "description" => {
                            if !report.description.is_empty() {
                                report.description.push(' ');
                            }
                            report.description.push_str(value);
                        }
                        "param" => report.params.push(parse_param(value).map_err(&err)?),
                        _ => {}
                    }
                }
                continue;
            }
            if in_header && trimmed.is_empty() {
                continue;
            }
            in_header = false;
            body.push(line);
        }
        report.sql = body.join("\n").trim().trim_end_matches(';').trim().to_string();
        if report.sql.is_empty() {
            return Err(err("it has no SQL after its header".into()));
        }
        if report.title.is_empty() {
            report.title = report.name.clone();
        }
        for p in &report.params {
            if !report.sql.contains(&format!("${}", p.name)) {
                return Err(err(format!(
                    "the parameter {} is declared but its SQL never uses ${}",
                    p.name, p.name
                )));
            }
        }
        Ok(report)
    }

    /// Whether this is one of the reports built into trailscope.
    pub fn is_builtin(&self) -> bool {
        self.file.is_none()
    }

    /// For a user's report that replaces the built-in report of its name, what whoever runs it
    /// must know: that it is not the built-in, and where it was read from.
    pub fn replacement(&self) -> Option<String> {
        let file = self.file.as_ref().filter(|_| self.replaces_builtin)?;
        Some(format!(
            "the report {} is not the built-in report of this name: it is read from {}",
            self.name,
            file.display()
        ))
    }

    /// The period a bound query of this report covers: its `since` and `until`, when it has both.
    pub fn window(&self, query: &Query) -> Option<TimeWindow> {
        let time = |name: &str| {
            query.params.iter().find(|(n, _)| n == name).and_then(|(_, v)| match v {
                ScalarValue::TimestampMicrosecond(Some(t), _) => Some(*t),
                _ => None,
            })
        };
        Some(TimeWindow {
            from: time("since")?,
            to: time("until")?,
            chosen: "the report's since and until".to_string(),
        })
    }

    /// The report's query with every parameter bound: given values parsed by type, the others
    /// from their defaults.
    pub async fn bind(&self, session: &Session, given: &[(String, String)]) -> Result<Query, EngineError> {
        for (name, _) in given {
            if !self.params.iter().any(|p| &p.name == name) {
                let known: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
                return Err(EngineError::Usage(format!(
                    "the report {} has no parameter '{name}' (its parameters: {})",
                    self.name,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
        let mut params = Vec::new();
        for p in &self.params {
            let value = match given.iter().rev().find(|(n, _)| n == &p.name) {
                Some((_, v)) => parse_value(session, self, p, v).await?,
                None => match &p.default {
                    Some(default) => session.scalar(&format!("SELECT {}", p.kind.cast(default))).await?,
                    None => {
                        return Err(ParamError::Missing {
                            report: self.name.clone(),
                            param: p.name.clone(),
                            kind: p.kind,
                            description: p.description.clone(),
                        }
                        .into());
                    }
                },
            };
            params.push((p.name.clone(), normalise(value)));
        }
        Ok(Query {
            title: self.title.clone(),
            sql: self.sql.clone(),
            params,
            facts: None,
        })
    }
}

/// Timestamps are bound as microseconds in UTC, whatever produced them.
fn normalise(value: ScalarValue) -> ScalarValue {
    let micros = match &value {
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(v.div_euclid(1000)),
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampMillisecond(Some(v), _) => Some(v * 1000),
        ScalarValue::TimestampSecond(Some(v), _) => Some(v * 1_000_000),
        _ => None,
    };
    micros.map_or(value, timestamp)
}

/// `since timestamp = archive_end() - interval '7 days' | start of the period`
fn parse_param(text: &str) -> Result<ReportParam, String> {
    let (declaration, description) = match text.split_once(" | ") {
        Some((d, desc)) => (d, desc.trim().to_string()),
        None => (text, String::new()),
    };
    let (head, default) = match declaration.split_once('=') {
        Some((h, d)) => (h, Some(d.trim().to_string()).filter(|d| !d.is_empty())),
        None => (declaration, None),
    };
    let mut words = head.split_whitespace();
    let (Some(name), Some(kind), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!(
            "'-- param: {text}' should read '-- param: NAME TYPE [= DEFAULT] [| DESCRIPTION]'"
        ));
    };
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("'{name}' is not a parameter name (letters, digits and _)"));
    }
    let kind = ParamKind::parse(kind)
        .ok_or_else(|| format!("'{kind}' is not a parameter type (timestamp, text, integer, boolean)"))?;
    Ok(ReportParam {
        name: name.to_string(),
        kind,
        default,
        description,
    })
}

/// What a timestamp parameter takes, as `TimeSpec` reads it.
const A_TIME: &str = "a time like 2024-06-01, 2024-06-01T13:00 (UTC), RFC 3339, a span back from the newest \
                      event like 24h or 7d, or now";

async fn parse_value(
    session: &Session,
    report: &Report,
    p: &ReportParam,
    value: &str,
) -> Result<ScalarValue, EngineError> {
    let bad = |expected: &'static str| {
        EngineError::from(ParamError::Invalid {
            report: report.name.clone(),
            param: p.name.clone(),
            value: value.to_string(),
            expected,
        })
    };
    Ok(match p.kind {
        ParamKind::Text => ScalarValue::Utf8(Some(value.to_string())),
        ParamKind::Integer => ScalarValue::Int64(Some(value.trim().parse().map_err(|_| bad("a whole number"))?)),
        ParamKind::Boolean => ScalarValue::Boolean(Some(match value.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => true,
            "false" | "no" | "0" => false,
            _ => return Err(bad("true or false")),
        })),
        ParamKind::Timestamp => {
            let spec: TimeSpec = value.parse().map_err(|_| bad(A_TIME))?;
            let micros = match spec {
                TimeSpec::At(t) => t,
                TimeSpec::Now => chrono::Utc::now().timestamp_micros(),
                TimeSpec::Before(span) => super::window::anchor(session.archive_end().await?) - span,
            };
            timestamp(micros)
        }
    })
}

/// The built-in reports and the user's own, by name (a user's report of the same name wins).
#[derive(Clone, Debug, Default)]
pub struct ReportLibrary {
    reports: BTreeMap<String, Report>,
}

impl ReportLibrary {
    pub fn builtin() -> ReportLibrary {
        let mut library = ReportLibrary::default();
        for (file, text) in builtin::BUILTIN {
            let stem = file.trim_end_matches(".sql");
            let report = Report::parse(text, stem, &format!("built-in {file}"))
                .expect("the built-in reports are valid (tested)");
            library.reports.insert(report.name.clone(), report);
        }
        library
    }

    /// Adds every `.sql` file of `dir`. Returns the problems found; valid reports are added,
    /// and one named like a report already there replaces it (a user's report wins over the
    /// built-in of its name, and records that it replaces it).
    pub fn add_dir(&mut self, dir: &Path) -> Vec<ReportError> {
        let mut problems = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(ReportError {
                    origin: dir.display().to_string(),
                    message: format!("the folder cannot be read: {e}"),
                });
                return problems;
            }
        };
        let mut files: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        for path in files {
            let origin = path.display().to_string();
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            match std::fs::read_to_string(&path) {
                Ok(text) => match Report::parse(&text, &stem, &origin) {
                    Ok(mut report) => {
                        report.replaces_builtin = self
                            .reports
                            .get(&report.name)
                            .is_some_and(|before| before.file.is_none() || before.replaces_builtin);
                        report.file = Some(path);
                        self.reports.insert(report.name.clone(), report);
                    }
                    Err(e) => problems.push(e),
                },
                Err(e) => problems.push(ReportError {
                    origin,
                    message: e.to_string(),
                }),
            }
        }
        problems
    }

    pub fn get(&self, name: &str) -> Option<&Report> {
        self.reports.get(name)
    }

    pub fn all(&self) -> impl Iterator<Item = &Report> {
        self.reports.values()
    }

    /// The reports whose names contain `name`, for "did you mean".
    pub fn like(&self, name: &str) -> Vec<&str> {
        self.reports
            .keys()
            .filter(|k| k.contains(name) || name.contains(k.as_str()))
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_header_declares_its_name_description_and_typed_parameters() {
        let text = "-- name: root-activity\n-- title: Root user activity\n-- description: Every call\n-- description: made as root.\n\
                    -- param: since timestamp = archive_end() - interval '7 days' | start of the period\n-- param: who text\n\
                    SELECT * FROM events\nWHERE event_time >= $since AND principal = $who;\n";
        let r = Report::parse(text, "file", "test").unwrap();
        assert_eq!(r.name, "root-activity");
        assert_eq!(r.description, "Every call made as root.");
        assert_eq!(
            r.params[0],
            ReportParam {
                name: "since".into(),
                kind: ParamKind::Timestamp,
                default: Some("archive_end() - interval '7 days'".into()),
                description: "start of the period".into()
            }
        );
        assert_eq!(r.params[1].default, None);
        assert!(r.sql.starts_with("SELECT") && r.sql.ends_with("$who"));
    }

    #[test]
    fn a_broken_report_says_what_is_wrong() {
        let unused = Report::parse("-- param: x text\nSELECT 1", "f", "f.sql").unwrap_err();
        assert!(unused.message.contains("never uses $x"), "{unused}");
        let typo = Report::parse("-- param: x txet\nSELECT $x", "f", "f.sql").unwrap_err();
        assert!(typo.message.contains("'txet' is not a parameter type"), "{typo}");
        assert!(Report::parse("-- name: empty\n", "f", "f.sql").is_err());
    }

    #[test]
    fn a_parameter_error_speaks_of_the_report_and_its_parameter_not_of_flags() {
        let missing = EngineError::from(ParamError::Missing {
            report: "principal-activity".into(),
            param: "principal".into(),
            kind: ParamKind::Text,
            description: "the principal, whole".into(),
        });
        assert_eq!(
            missing.to_string(),
            "the report principal-activity needs a value for its parameter `principal` (text: the principal, whole)"
        );
        let invalid = EngineError::from(ParamError::Invalid {
            report: "root-activity".into(),
            param: "since".into(),
            value: "x".into(),
            expected: A_TIME,
        });
        assert!(
            invalid
                .to_string()
                .starts_with("the parameter `since` of the report root-activity expected a time like 2024-06-01"),
            "{invalid}"
        );
        assert!(invalid.to_string().ends_with(", not 'x'"), "{invalid}");
        for e in [&missing, &invalid] {
            assert!(!e.to_string().contains("--"), "{e}");
            assert!(e.is_usage(), "{e}");
        }
    }

    #[test]
    fn a_users_report_named_like_a_built_in_one_replaces_it_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("my-root.sql");
        std::fs::write(&own, "-- name: root-activity\n-- title: Mine\nSELECT 1").unwrap();
        std::fs::write(dir.path().join("extra.sql"), "-- title: Extra\nSELECT 2").unwrap();
        let mut library = ReportLibrary::builtin();
        assert!(library.get("root-activity").unwrap().is_builtin());
        assert!(library.add_dir(dir.path()).is_empty());

        let replaced = library.get("root-activity").unwrap();
        assert_eq!(replaced.title, "Mine", "the user's file still wins");
        assert!(replaced.replaces_builtin && !replaced.is_builtin());
        assert_eq!(replaced.file.as_deref(), Some(own.as_path()));
        let note = replaced.replacement().unwrap();
        assert!(
            note.contains("not the built-in report") && note.contains("my-root.sql"),
            "{note}"
        );

        let extra = library.get("extra").unwrap();
        assert!(!extra.replaces_builtin && extra.replacement().is_none());
        assert!(library.get("logging-tampering").unwrap().replacement().is_none());

        // Replaced again from a second folder: still not the built-in.
        let second = tempfile::tempdir().unwrap();
        std::fs::write(second.path().join("root-activity.sql"), "SELECT 3").unwrap();
        assert!(library.add_dir(second.path()).is_empty());
        assert!(library.get("root-activity").unwrap().replaces_builtin);
    }

    #[test]
    fn every_built_in_report_is_valid_and_there_are_at_least_twenty() {
        let library = ReportLibrary::builtin();
        assert!(library.all().count() >= 20, "{}", library.all().count());
        for r in library.all() {
            assert!(!r.description.is_empty(), "{} needs a description", r.name);
            assert!(r.title != r.name, "{} needs a title", r.name);
            super::super::readonly::check(&r.sql).unwrap_or_else(|e| panic!("{}: {e}", r.name));
        }
    }
}
