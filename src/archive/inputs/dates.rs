//! Dates in delivery keys: `…/2026/01/05/…` (CloudTrail, GCS log sinks) and
//! `…/y=2026/m=01/d=05/…` (Azure diagnostic settings). A folder level that is a year starts one.

use chrono::NaiveDate;
use object_store::path::Path;

/// How a layout writes its date folders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `2026/01/05`
    Plain,
    /// `y=2026/m=01/d=05`
    Keyed,
}

/// The style of a folder name that is a year, if it is one.
pub fn year_style(name: &str) -> Option<Style> {
    let (style, digits) = match name.strip_prefix("y=") {
        Some(rest) => (Style::Keyed, rest),
        None => (Style::Plain, name),
    };
    let year: u32 = (digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()?;
    (1990..=2200).contains(&year).then_some(style)
}

/// Whether a folder name is a month of a year written in `style` (`05`, `m=05`).
pub fn is_month(name: &str, style: Style) -> bool {
    let digits = match style {
        Style::Plain => Some(name),
        Style::Keyed => name.strip_prefix("m="),
    };
    digits.is_some_and(|d| {
        d.len() == 2 && d.bytes().all(|b| b.is_ascii_digit()) && d.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
    })
}

/// The key a listing of `folder` starts after to begin at `day`: every key of that day and later
/// sorts after it, every key of an earlier day before it (the fields are zero-padded).
pub fn offset(folder: &Path, style: Style, day: NaiveDate) -> Path {
    let parts = match style {
        Style::Plain => [day.format("%Y"), day.format("%m"), day.format("%d")].map(|p| p.to_string()),
        Style::Keyed => [day.format("y=%Y"), day.format("m=%m"), day.format("d=%d")].map(|p| p.to_string()),
    };
    parts.into_iter().fold(folder.clone(), |path, part| path.join(part))
}

/// The day a key under the date folder `folder` is filed under: a year of four digits within
/// the years [`year_style`] takes, a month and a day of two. A key that only looks like one
/// (`20260/01/01`, `4294705153/01/01`) has none.
pub fn day_of(folder: &Path, key: &Path) -> Option<NaiveDate> {
    match earliest_day_of(folder, key)? {
        (day, 3) => Some(day),
        _ => None,
    }
}

/// The first day a key or folder under `folder` can hold, and how many of its date fields
/// (year, month, day) it names: `2026/12/` gives 2026-12-01 and 2.
pub fn earliest_day_of(folder: &Path, key: &Path) -> Option<(NaiveDate, usize)> {
    let mut rest = key.prefix_match(folder)?;
    let year = rest.next()?;
    year_style(year.as_ref())?;
    let year: i32 = year.as_ref().trim_start_matches("y=").parse().ok()?;
    let mut field = |prefix: &str| -> Option<u32> {
        let part = rest.next()?;
        let digits = part.as_ref().strip_prefix(prefix).unwrap_or(part.as_ref());
        (digits.len() == 2 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse().ok())
            .flatten()
    };
    match field("m=") {
        None => Some((NaiveDate::from_ymd_opt(year, 1, 1)?, 1)),
        Some(m) => match field("d=") {
            None => Some((NaiveDate::from_ymd_opt(year, m, 1)?, 2)),
            Some(d) => Some((NaiveDate::from_ymd_opt(year, m, d)?, 3)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_start_dates_and_offsets_sort_before_their_day() {
        assert_eq!(year_style("2026"), Some(Style::Plain));
        assert_eq!(year_style("y=2026"), Some(Style::Keyed));
        assert_eq!(year_style("111122223333"), None);
        assert_eq!(year_style("0001"), None);
        let folder = Path::from("AWSLogs/1111/CloudTrail/us-east-1");
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let at = offset(&folder, Style::Plain, day);
        assert_eq!(at.as_ref(), "AWSLogs/1111/CloudTrail/us-east-1/2026/01/05");
        assert!(at.as_ref() < "AWSLogs/1111/CloudTrail/us-east-1/2026/01/05/x.json.gz");
        assert!(at.as_ref() > "AWSLogs/1111/CloudTrail/us-east-1/2026/01/04/x.json.gz");
        let azure = Path::from("insights-activity-logs/resourceId=/SUBSCRIPTIONS/S");
        let key = Path::from("insights-activity-logs/resourceId=/SUBSCRIPTIONS/S/y=2026/m=01/d=05/h=09/m=00/PT1H.json");
        assert_eq!(day_of(&azure, &key), Some(day));
        assert!(offset(&azure, Style::Keyed, day).as_ref() < key.as_ref());
        assert_eq!(
            day_of(&folder, &Path::from("AWSLogs/1111/CloudTrail/us-east-1/2026/01/05/x")),
            Some(day)
        );
    }

    #[test]
    fn a_key_that_only_looks_dated_has_no_day() {
        let folder = Path::from("t");
        for key in [
            "t/4294705153/01/01/a",
            "t/20260/01/01/a",
            "t/0001/01/01/a",
            "t/2026/1/05/a",
            "t/2026/01/+5/a",
        ] {
            assert_eq!(day_of(&folder, &Path::from(key)), None, "{key}");
        }
        assert_eq!(
            earliest_day_of(&folder, &Path::from("t/2026/12")),
            NaiveDate::from_ymd_opt(2026, 12, 1).map(|d| (d, 2))
        );
    }
}
