//! Column widths chosen by what the columns mean. A table of audit events is read by who did
//! what to which resource, so those columns are the last to be cut and the first to be given
//! room; times, numbers and booleans are never cut (a cut one is no use); a column with no
//! value in the rows looked at shrinks to a mark; other text makes do with a little.

/// A column as [`fit`] weighs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column<'a> {
    pub name: &'a str,
    /// The longest cell or the header, in characters.
    pub natural: usize,
    /// Times, numbers, booleans: a cut one is no use.
    pub fixed: bool,
    /// No value in the rows looked at.
    pub empty: bool,
    /// The cursor's column in the workbench: gets up to a third of the width.
    pub wanted: bool,
}

/// The widths [`fit`] chose, one for each of the leading columns that fit; the columns after
/// them are left out (named at a table's foot, or scrolled to in the workbench).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fitted {
    pub widths: Vec<usize>,
}

/// The columns that say who did what to which resource, in the order room is given to them.
const TELLING: [&str; 5] = ["principal", "action", "resource", "candidate", "actions"];

/// Time columns, whatever type they arrive as (the workbench's cells are text).
const TIMES: [&str; 4] = ["event_time", "first_seen", "last_seen", "bucket"];

/// The least a telling column is cut to while there is room: an ARN's account and final name
/// with their `…`s (`…111122223333:…/ci-session`).
const TELLING_LEAST: usize = 22;

/// What each telling column is given before any is given its whole width: an ARN's account
/// and a long final name (`…210987654321:…/ci-deployer-8841`), an action's whole verb.
const TELLING_SHARE: usize = 32;

/// The least a telling column is cut to when even that leaves one off the screen: still the end
/// of a name (`…deployer`).
const TELLING_FLOOR: usize = 8;

/// The least other text is cut to.
const TEXT_LEAST: usize = 10;

/// An empty column's width: its header's start and `…` (`so…`).
const COLLAPSED: usize = 3;

impl Column<'_> {
    /// Its place among the telling columns (the order room is given in); `None` for the others.
    fn telling(&self) -> Option<usize> {
        TELLING.iter().position(|t| *t == self.name)
    }

    /// Times are never cut, whatever type they arrive as.
    fn never_cut(&self) -> bool {
        self.fixed || TIMES.contains(&self.name)
    }

    /// The width that shows every value whole (a column is never narrower than one).
    fn whole(&self) -> usize {
        self.natural.max(1)
    }

    /// The narrowest this column is worth showing at.
    fn least(&self) -> usize {
        let natural = self.whole();
        if self.empty {
            natural.min(COLLAPSED)
        } else if self.never_cut() {
            natural
        } else if self.telling().is_some() {
            natural.min(TELLING_LEAST)
        } else {
            natural.min(TEXT_LEAST)
        }
    }
}

/// Widths for the leading `columns` that fit `total` characters with `spacing` between columns
/// (always at least one column). Each column first gets its least width; when the columns up to
/// the last telling one (principal, action, resource, candidate, actions) do not fit so, the
/// telling ones give up width alike, down to a floor, so they stay on screen. The room left goes
/// to the telling columns in their order (up to their natural width), then to the wanted column
/// (up to a third of `total`), then to the other cut columns, the least cut first (two missing
/// characters hide more than a long ARN's middle).
///
/// Columns after the telling ones (and after the wanted one) give way as far as that gives the
/// telling columns more of their width, as few as it takes: who did what to which resource,
/// whole, matters more than one more column, which is a scroll or a wider terminal away. What
/// is still cut, [`cut`](super::cut) cuts keeping its telling parts.
pub fn fit(columns: &[Column], total: usize, spacing: usize) -> Fitted {
    if columns.is_empty() {
        return Fitted { widths: Vec::new() };
    }
    let mut least: Vec<usize> = columns.iter().map(Column::least).collect();
    keep_the_telling_columns_on_screen(columns, &mut least, total, spacing);
    let shown = leading_that_fit(&least, total, spacing);
    let widths = |shown: usize| share(&columns[..shown], &least[..shown], total, spacing);
    let telling_room = |widths: &Vec<usize>| -> usize {
        widths
            .iter()
            .zip(columns)
            .filter(|(_, c)| c.telling().is_some())
            .map(|(w, c)| (*w).min(c.whole()))
            .sum()
    };
    let kept = columns[..shown]
        .iter()
        .rposition(|c| c.telling().is_some() || c.wanted)
        .map_or(1, |i| i + 1);
    // As many columns as leave the telling ones the most room (the most columns among equals).
    let widths = (kept..=shown)
        .map(|k| (k, widths(k)))
        .max_by_key(|(k, w)| (telling_room(w), *k))
        .map(|(_, w)| w)
        .unwrap_or_else(|| widths(shown));
    Fitted { widths }
}

/// Lowers the telling columns' least widths alike (the widest first, down to `TELLING_FLOOR`)
/// until every column up to the last telling one fits `total`.
fn keep_the_telling_columns_on_screen(columns: &[Column], least: &mut [usize], total: usize, spacing: usize) {
    let Some(last) = columns.iter().rposition(|c| c.telling().is_some()) else {
        return;
    };
    let needed = |least: &[usize]| {
        least[..=last]
            .iter()
            .sum::<usize>()
            .saturating_add(spacing.saturating_mul(last))
    };
    while needed(least) > total {
        let widest = (0..=last)
            .filter(|&i| columns[i].telling().is_some() && least[i] > TELLING_FLOOR)
            .max_by_key(|&i| (least[i], std::cmp::Reverse(i)));
        match widest {
            Some(i) => least[i] -= 1,
            None => return,
        }
    }
}

/// How many leading columns fit `total` at their least widths; at least one.
fn leading_that_fit(least: &[usize], total: usize, spacing: usize) -> usize {
    let mut used = 0usize;
    let fitting = least
        .iter()
        .enumerate()
        .take_while(|(i, w)| {
            used = used
                .saturating_add(**w)
                .saturating_add(if *i > 0 { spacing } else { 0 });
            used <= total
        })
        .count();
    fitting.max(1)
}

/// The shown columns' widths: their least, then the room left shared as [`fit`] says.
fn share(columns: &[Column], least: &[usize], total: usize, spacing: usize) -> Vec<usize> {
    let mut widths = least.to_vec();
    // A lone column wider than the screen (a time on a very narrow one) is cut to it.
    if let [only] = widths.as_mut_slice() {
        *only = (*only).min(total.max(1));
    }
    let used = widths
        .iter()
        .sum::<usize>()
        .saturating_add(spacing.saturating_mul(widths.len() - 1));
    let mut room = total.saturating_sub(used);
    let mut give = |i: usize, up_to: usize, widths: &mut Vec<usize>| {
        let more = up_to.saturating_sub(widths[i]).min(room);
        widths[i] += more;
        room -= more;
    };
    let mut telling: Vec<usize> = (0..columns.len()).filter(|&i| columns[i].telling().is_some()).collect();
    telling.sort_by_key(|&i| columns[i].telling());
    // Each telling column first gets enough for a cut value to keep its telling parts, so that
    // a long principal does not leave the action cut at its end; then each its whole width.
    for &i in &telling {
        give(i, columns[i].whole().min(TELLING_SHARE), &mut widths);
    }
    for i in telling {
        give(i, columns[i].whole(), &mut widths);
    }
    if let Some(i) = columns.iter().position(|c| c.wanted) {
        give(i, columns[i].whole().min(total / 3), &mut widths);
    }
    let mut others: Vec<usize> = (0..columns.len())
        .filter(|&i| !columns[i].never_cut() && widths[i] < columns[i].whole())
        .collect();
    // An empty column's header comes last: it shows no value.
    others.sort_by_key(|&i| (columns[i].empty, columns[i].whole() - widths[i]));
    for i in others {
        give(i, columns[i].whole(), &mut widths);
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::cut;

    /// The workbench's tables: one space between columns, inside the pane's border.
    const SPACING: usize = 1;
    const SCREEN_200: usize = 198;
    const SCREEN_120: usize = 118;
    const SCREEN_80: usize = 78;

    /// A column measured from one realistic value (and its header), as a caller measures it
    /// from the rows it looked at.
    fn measured<'a>((name, value): (&'a str, &str)) -> Column<'a> {
        Column {
            name,
            natural: name.chars().count().max(value.chars().count()),
            fixed: name == "event_time",
            empty: value.is_empty(),
            wanted: false,
        }
    }

    fn fitted(values: &[(&str, &str)], total: usize) -> Vec<usize> {
        let columns: Vec<Column> = values.iter().copied().map(measured).collect();
        let widths = fit(&columns, total, SPACING).widths;
        let used = widths.iter().sum::<usize>() + SPACING * (widths.len() - 1);
        assert!(used <= total, "{widths:?} is {used} wide, more than {total}");
        widths
    }

    /// The values a column shows at the widths chosen.
    fn shown(values: &[(&str, &str)], widths: &[usize]) -> Vec<String> {
        values.iter().zip(widths).map(|((_, v), w)| cut(v, *w)).collect()
    }

    /// The timeline's "Events of the bucket", from a mixed bucket: an assumed role (55
    /// characters), a GCP method (63) and a GCP function (60).
    fn bucket_events<'a>(principal: &'a str, resource: &'a str) -> [(&'a str, &'a str); 10] {
        [
            ("event_time", "2026-10-30T22:20:45.123456Z"),
            ("principal", principal),
            (
                "action",
                "google.api.servicemanagement.v0.ServiceManager.ActivateServices",
            ),
            ("resource", resource),
            ("outcome", "failure"),
            ("error_code", "PERMISSION_DENIED"),
            ("source_ip", "198.51.100.203"),
            ("cloud", "azure"),
            ("tenant", "acme-payments-prod"),
            ("event_id", "54be3fe7-a0ac-404f-9eb6-ac360adfca2e"),
        ]
    }
    const ASSUMED_ROLE: &str = "arn:aws:sts::111122223333:assumed-role/deploy/ci-runner";
    const SERVICE_ACCOUNT: &str = "deployer@acme-ml.iam.gserviceaccount.com";
    const FUNCTION: &str = "projects/acme-ml/locations/us-east1/functions/billing-export";

    /// The resource view's "Changes, then reads": nobody acted as another (`source_identity`
    /// is empty).
    fn changes_then_reads() -> [(&'static str, &'static str); 8] {
        [
            ("event_time", "2026-10-30T22:20:45.123456Z"),
            ("principal", ASSUMED_ROLE),
            ("source_identity", ""),
            (
                "action",
                "google.api.servicemanagement.v0.ServiceManager.ActivateServices",
            ),
            ("outcome", "failure"),
            ("error_code", "PERMISSION_DENIED"),
            ("source_ip", "198.51.100.203"),
            ("event_id", "54be3fe7-a0ac-404f-9eb6-ac360adfca2e"),
        ]
    }

    #[test]
    fn on_a_200_column_screen_a_buckets_events_show_principal_action_and_resource_whole() {
        let events = bucket_events(SERVICE_ACCOUNT, FUNCTION);
        let widths = fitted(&events, SCREEN_200);
        // The columns after the three give way for them: a scroll away.
        assert_eq!(widths, [27, 40, 63, 60]);
        assert_eq!(shown(&events, &widths)[1..4], [events[1].1, events[2].1, events[3].1]);
    }

    #[test]
    fn when_the_three_cannot_all_be_whole_the_minor_columns_give_way_and_the_cut_one_keeps_its_telling_parts() {
        // 27 + 55 + 63 + 60 and three spaces is 208: more than 198.
        let events = bucket_events(ASSUMED_ROLE, FUNCTION);
        let widths = fitted(&events, SCREEN_200);
        assert_eq!(
            widths,
            [27, 55, 63, 50],
            "source_ip and the rest are a scroll away, not 34 wide"
        );
        let cells = shown(&events, &widths);
        assert_eq!(cells[1], ASSUMED_ROLE);
        assert_eq!(cells[2], events[2].1);
        assert!(
            cells[3].starts_with("projects/") && cells[3].ends_with("/billing-export"),
            "{}",
            cells[3]
        );
    }

    #[test]
    fn on_a_200_column_screen_the_changes_show_principal_and_action_whole_and_an_empty_column_collapses() {
        let changes = changes_then_reads();
        let widths = fitted(&changes, SCREEN_200);
        assert_eq!(widths, [27, 55, 3, 63, 7, 12, 14, 10]);
        assert_eq!(cut("source_identity", widths[2]), "so…");
    }

    #[test]
    fn on_a_120_column_screen_as_much_shows_as_fits_and_cut_values_keep_their_telling_parts() {
        let events = bucket_events(ASSUMED_ROLE, FUNCTION);
        let widths = fitted(&events, SCREEN_120);
        assert_eq!(
            widths,
            [27, 32, 32, 24],
            "the minor columns give way to the telling ones"
        );
        let cells = shown(&events, &widths);
        assert!(
            cells[1].contains("111122223333") && cells[1].ends_with("/ci-runner"),
            "{}",
            cells[1]
        );
        assert!(cells[2].ends_with("…ActivateServices"), "{}", cells[2]);
        assert!(cells[3].ends_with("/billing-export"), "{}", cells[3]);

        let changes = changes_then_reads();
        let widths = fitted(&changes, SCREEN_120);
        assert_eq!(widths, [27, 53, 3, 32]);
        let cells = shown(&changes, &widths);
        assert!(
            cells[1].contains("111122223333") && cells[1].ends_with("/ci-runner"),
            "{}",
            cells[1]
        );
        assert!(cells[3].ends_with("…ActivateServices"), "the verb stays: {}", cells[3]);
    }

    #[test]
    fn on_an_80_column_screen_time_principal_action_and_resource_are_all_on_screen() {
        let events = bucket_events(ASSUMED_ROLE, FUNCTION);
        let widths = fitted(&events, SCREEN_80);
        assert_eq!(widths, [27, 16, 16, 16]);
        assert_eq!(
            shown(&events, &widths)[1..4],
            ["…eploy/ci-runner", "ActivateService…", "…/billing-export"]
        );

        let changes = changes_then_reads();
        assert_eq!(fitted(&changes, SCREEN_80), [27, 23, 3, 22]);
    }

    #[test]
    fn a_bucket_of_aws_events_keeps_outcome_and_error_beside_the_whole_three() {
        let events = [
            ("event_time", "2026-10-30T22:20:45Z"),
            (
                "principal",
                "arn:aws:sts::210987654321:assumed-role/DeployAdmin/ci-deployer-8841",
            ),
            ("action", "CreateFunction20150331"),
            (
                "resource",
                "arn:aws:lambda:eu-west-1:356789012345:function:invoice-sync",
            ),
            ("outcome", "failure"),
            ("error_code", "AccessDenied"),
            ("source_ip", "203.0.113.66"),
            ("cloud", "aws"),
            ("tenant", "210987654321"),
            ("event_id", "54be3fe7-a0ac-404f-9eb6-ac360adfca2e"),
        ];
        assert_eq!(fitted(&events, SCREEN_200), [20, 67, 22, 59, 7, 12]);
    }

    #[test]
    fn the_wanted_column_gets_up_to_a_third_after_the_telling_ones() {
        let agent = "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/sts#1.30.3";
        let message = "User: arn:aws:iam::356789012345:user/ci-deployer is not authorized to perform: iam:CreateUser";
        let values = [
            ("event_time", "2026-10-30T22:20:45Z"),
            ("principal", SERVICE_ACCOUNT),
            ("error_message", message),
            ("user_agent", agent),
        ];
        let mut columns: Vec<Column> = values.iter().copied().map(measured).collect();
        // The least cut first: the whole user agent, the message cut.
        assert_eq!(fit(&columns, SCREEN_200, SPACING).widths, [20, 40, 46, 89]);
        // The cursor on the message: a third of the screen for it first, then, now the least
        // cut, the rest of it.
        columns[2].wanted = true;
        assert_eq!(fit(&columns, SCREEN_200, SPACING).widths, [20, 40, 93, 42]);
    }

    #[test]
    fn times_are_never_cut_and_a_pipe_gets_every_column_whole() {
        let events = bucket_events(ASSUMED_ROLE, FUNCTION);
        let columns: Vec<Column> = events.iter().copied().map(measured).collect();
        let natural: Vec<usize> = columns.iter().map(|c| c.natural).collect();
        assert_eq!(fit(&columns, usize::MAX, 3).widths, natural);
        for total in [40, 60, 80, 120, 160, 200] {
            assert_eq!(fit(&columns, total, 3).widths[0], 27, "at {total}");
        }
        // Always one column, cut to the screen when even that does not fit.
        assert_eq!(fit(&columns, 20, 3).widths, [20]);
        assert_eq!(fit(&[], 80, 3).widths, Vec::<usize>::new());
    }
}
