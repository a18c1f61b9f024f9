//! Time windows: what a user types (`2024-05-01`, RFC 3339, `24h`, `7d`, `now`) and the window a
//! view covers by default — the last seven days *of the archive's data*, so that an archive of
//! last year's incident opens on that incident, not on an empty week.

use chrono::{DateTime, NaiveDate, Utc};

use super::EngineError;

const MICROS_PER_SECOND: i64 = 1_000_000;
pub const DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// A point in time as the user wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSpec {
    /// UTC microseconds.
    At(i64),
    /// This long before the end of the archive's data.
    Before(i64),
    /// The wall clock's now.
    Now,
}

impl std::str::FromStr for TimeSpec {
    type Err = EngineError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("now") {
            return Ok(TimeSpec::Now);
        }
        if let Some(span) = parse_duration(s) {
            return Ok(TimeSpec::Before(span));
        }
        if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(TimeSpec::At(
                day.and_hms_opt(0, 0, 0)
                    .expect("midnight exists")
                    .and_utc()
                    .timestamp_micros(),
            ));
        }
        if let Ok(t) = crate::sources::parse_time(s) {
            return Ok(TimeSpec::At(t));
        }
        // A time without a zone is UTC, as every time trailscope shows is.
        for format in [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S%.f",
        ] {
            if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, format) {
                return Ok(TimeSpec::At(t.and_utc().timestamp_micros()));
            }
        }
        Err(EngineError::Usage(format!(
            "'{s}' is not a time: write 2024-05-01, 2024-05-01T13:00 (UTC), 2024-05-01T13:00:00+02:00, \
             a span back from the newest event like 24h or 7d, or now"
        )))
    }
}

/// Where relative times count back from: just after the newest event, on a whole second so
/// that windows read cleanly (the wall clock's now for an empty selection).
pub fn anchor(archive_end: Option<i64>) -> i64 {
    archive_end.map_or_else(
        || Utc::now().timestamp_micros(),
        |t| t.div_euclid(MICROS_PER_SECOND) * MICROS_PER_SECOND + MICROS_PER_SECOND,
    )
}

/// `90s`, `15m`, `24h`, `7d`, `2w` as microseconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let unit_at = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(unit_at);
    let n: i64 = n.parse().ok()?;
    let seconds = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(seconds * MICROS_PER_SECOND)
}

/// A window that holds no time: its start is not before its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmptyWindow {
    pub from: i64,
    pub to: i64,
    /// No end was given: the window ends just after the archive's newest event, and the start
    /// given is after that.
    pub end_after_the_data: bool,
}

impl EmptyWindow {
    /// Where the window starts and ends, without advice on how to fix it.
    pub fn bounds(&self) -> String {
        format!(
            "the window is empty: it starts at {} and ends at {}{}",
            format_time(self.from),
            format_time(self.to),
            if self.end_after_the_data {
                " (just after the archive's newest event)"
            } else {
                ""
            }
        )
    }
}

impl std::fmt::Display for EmptyWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.bounds())?;
        if self.end_after_the_data {
            f.write_str(": give it an end too, or an earlier start")?;
        }
        Ok(())
    }
}

impl std::error::Error for EmptyWindow {}

/// A half-open window `[from, to)` in UTC microseconds, with how it was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeWindow {
    pub from: i64,
    pub to: i64,
    pub chosen: String,
}

impl TimeWindow {
    /// The window for `from`/`to` as given. `archive_end` is the newest event's time (None for an
    /// empty selection); relative times count back from it, and without `to` the window ends
    /// just after it.
    pub fn resolve(
        from: Option<TimeSpec>,
        to: Option<TimeSpec>,
        archive_end: Option<i64>,
        default_span: i64,
    ) -> Result<Self, EngineError> {
        let now = Utc::now().timestamp_micros();
        let anchor = anchor(archive_end);
        let point = |spec: TimeSpec| match spec {
            TimeSpec::At(t) => t,
            TimeSpec::Before(span) => anchor - span,
            TimeSpec::Now => now,
        };
        let end = to.map_or(anchor, point);
        let start = from.map_or(end - default_span, point);
        if start >= end {
            return Err(EmptyWindow {
                from: start,
                to: end,
                end_after_the_data: to.is_none() && archive_end.is_some(),
            }
            .into());
        }
        let chosen = match (from, to) {
            (None, None) if archive_end.is_some() => {
                format!("the last {} of the archive's data", format_span(default_span))
            }
            (None, None) => format!("the last {}", format_span(default_span)),
            (Some(TimeSpec::Before(span)), None) if archive_end.is_some() => {
                format!("the last {} of the archive's data", format_span(span))
            }
            _ => "as given".to_string(),
        };
        Ok(TimeWindow {
            from: start,
            to: end,
            chosen,
        })
    }

    pub fn span(&self) -> i64 {
        self.to - self.from
    }

    /// Every UTC day the window touches, `YYYY-MM-DD`, first and last.
    pub fn days(&self) -> (String, String) {
        (
            crate::archive::layout::utc_day(self.from),
            crate::archive::layout::utc_day(self.to - 1),
        )
    }

    /// Bucket width for a histogram of this window: the smallest of a fixed ladder that keeps
    /// the bucket count at or under 120 (so, the ladder's steps being at most 3×, over 40).
    pub fn bucket(&self) -> Bucket {
        let span = self.span();
        *BUCKETS
            .iter()
            .find(|b| span / b.micros <= 120)
            .unwrap_or(BUCKETS.last().expect("the ladder is not empty"))
    }

    pub fn describe(&self) -> String {
        format!(
            "{} – {} ({})",
            format_time(self.from),
            format_time(self.to),
            self.chosen
        )
    }
}

/// `7 days`, `24 hours`, `90 minutes`.
pub fn format_span(micros: i64) -> String {
    let seconds = micros / MICROS_PER_SECOND;
    let (n, unit) = if seconds % 86_400 == 0 {
        (seconds / 86_400, "day")
    } else if seconds % 3600 == 0 {
        (seconds / 3600, "hour")
    } else if seconds % 60 == 0 {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// A histogram bucket width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub micros: i64,
    /// As an SQL interval literal's text (`5 minutes`).
    pub sql: &'static str,
}

impl Bucket {
    /// `5-minute`, `1-day`: the width as an adjective.
    pub fn label(&self) -> String {
        self.sql.replace(' ', "-").trim_end_matches('s').to_string()
    }
}

const fn b(seconds: i64, sql: &'static str) -> Bucket {
    Bucket {
        micros: seconds * MICROS_PER_SECOND,
        sql,
    }
}

const BUCKETS: [Bucket; 22] = [
    b(1, "1 second"),
    b(2, "2 seconds"),
    b(5, "5 seconds"),
    b(10, "10 seconds"),
    b(30, "30 seconds"),
    b(60, "1 minute"),
    b(120, "2 minutes"),
    b(300, "5 minutes"),
    b(600, "10 minutes"),
    b(1800, "30 minutes"),
    b(3600, "1 hour"),
    b(7200, "2 hours"),
    b(6 * 3600, "6 hours"),
    b(12 * 3600, "12 hours"),
    b(86_400, "1 day"),
    b(3 * 86_400, "3 days"),
    b(7 * 86_400, "7 days"),
    b(14 * 86_400, "14 days"),
    b(30 * 86_400, "30 days"),
    b(90 * 86_400, "90 days"),
    b(180 * 86_400, "180 days"),
    b(365 * 86_400, "365 days"),
];

/// A time as the user reads it: RFC 3339 in UTC, seconds unless finer is needed.
pub fn format_time(micros: i64) -> String {
    match DateTime::<Utc>::from_timestamp_micros(micros) {
        Some(t) if micros % MICROS_PER_SECOND == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => micros.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        crate::sources::parse_time(s).unwrap()
    }

    #[test]
    fn the_default_window_is_the_last_week_of_the_archives_data_not_of_the_clock() {
        let newest = at("2023-07-10T12:37:50Z");
        let w = TimeWindow::resolve(None, None, Some(newest), 7 * DAY).unwrap();
        assert_eq!(
            w.to,
            newest + 1_000_000,
            "the newest event is inside, and the end is a whole second"
        );
        assert_eq!(w.span(), 7 * DAY);
        assert!(w.describe().contains("last 7 days of the archive's data"));
    }

    #[test]
    fn relative_times_count_back_from_the_newest_event_and_dates_are_midnight_utc() {
        let newest = at("2023-07-10T12:00:00Z");
        let w = TimeWindow::resolve(Some("24h".parse().unwrap()), None, Some(newest), 7 * DAY).unwrap();
        assert_eq!(w.from, newest + 1_000_000 - DAY);
        assert_eq!(w.chosen, "the last 1 day of the archive's data");
        let w = TimeWindow::resolve(Some("30h".parse().unwrap()), None, Some(newest), 7 * DAY).unwrap();
        assert_eq!(w.chosen, "the last 30 hours of the archive's data");
        // Without a zone, a time is UTC.
        for written in ["2023-07-02T06:00", "2023-07-02T06:00:00", "2023-07-02 06:00"] {
            assert_eq!(
                written.parse::<TimeSpec>().unwrap(),
                TimeSpec::At(at("2023-07-02T06:00:00Z")),
                "{written}"
            );
        }
        let w = TimeWindow::resolve(
            Some("2023-07-01".parse().unwrap()),
            Some("2023-07-02T06:00:00Z".parse().unwrap()),
            Some(newest),
            7 * DAY,
        )
        .unwrap();
        assert_eq!(w.from, at("2023-07-01T00:00:00Z"));
        assert_eq!(w.days(), ("2023-07-01".to_string(), "2023-07-02".to_string()));
        assert!(matches!("yesterday".parse::<TimeSpec>(), Err(EngineError::Usage(_))));
        assert!(
            TimeWindow::resolve(
                Some("2023-07-05".parse().unwrap()),
                Some("2023-07-01".parse().unwrap()),
                None,
                7 * DAY
            )
            .is_err()
        );
    }

    #[test]
    fn an_empty_window_says_how_to_fix_it_in_words_of_the_window_not_of_flags() {
        let newest = at("2023-07-10T12:00:00Z");
        let after = TimeWindow::resolve(Some("2023-08-01".parse().unwrap()), None, Some(newest), 7 * DAY).unwrap_err();
        assert!(
            matches!(&after, EngineError::EmptyWindow(w) if w.end_after_the_data),
            "{after:?}"
        );
        assert_eq!(
            after.to_string(),
            "the window is empty: it starts at 2023-08-01T00:00:00Z and ends at 2023-07-10T12:00:01Z \
             (just after the archive's newest event): give it an end too, or an earlier start"
        );
        let backwards = TimeWindow::resolve(
            Some("2023-07-05".parse().unwrap()),
            Some("2023-07-01".parse().unwrap()),
            Some(newest),
            7 * DAY,
        )
        .unwrap_err();
        assert_eq!(
            backwards.to_string(),
            "the window is empty: it starts at 2023-07-05T00:00:00Z and ends at 2023-07-01T00:00:00Z"
        );
        for e in [after, backwards] {
            assert!(!e.to_string().contains("--"), "{e}");
            assert!(e.is_usage());
        }
    }

    #[test]
    fn a_histogram_holds_between_40_and_120_buckets_whatever_the_window() {
        for span in [
            90 * MICROS_PER_SECOND,
            3600 * MICROS_PER_SECOND,
            DAY,
            7 * DAY,
            30 * DAY,
            365 * DAY,
            5 * 365 * DAY,
        ] {
            let w = TimeWindow {
                from: 0,
                to: span,
                chosen: String::new(),
            };
            let n = span / w.bucket().micros;
            assert!((40..=120).contains(&n), "{span}: {n} buckets of {}", w.bucket().sql);
        }
    }
}
