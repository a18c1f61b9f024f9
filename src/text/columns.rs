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

/// Time columns, whatever type they arrive as (the command line's cells are text).
const TIMES: [&str; 4] = ["event_time", "first_seen", "last_seen", "bucket"];

/// The least a telling column is cut to while there is room: an ARN's account and final name
/// with their `…`s (`…111122223333:…/ci-session`).
const TELLING_LEAST: usize = 22;

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
        // A count named like one (the resources list's `actions`) tells nothing to cut around.
        if self.fixed {
            return None;
        }
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
/// to the telling columns alike (the narrowest first, in the order principal, action, resource
/// when as narrow; each up to its natural width), then to the wanted column (up to a third of
/// `total`), then to the other cut columns, the least cut first (two missing characters hide
/// more than a long ARN's middle).
///
/// Columns after the telling ones (and after the wanted one) give way, the last first, each only
/// when the telling columns can use all the room it leaves: who did what to which resource, whole,
/// matters more than one more column, which is a wider terminal away. They give way only when
/// that takes the telling columns as far as giving way can (whole, or short by less than one more
/// column's room); otherwise every column stays: [`cut`](super::cut) keeps the telling parts of a
/// cut value, and the others still say something.
pub fn fit(columns: &[Column], total: usize, spacing: usize) -> Fitted {
    fit_with(columns, total, spacing, false)
}

/// As [`fit`], for a table that scrolls sideways (the workbench's): the columns after the telling
/// ones give way whenever the telling columns can use their room, whole or not, since a column
/// that gives way is a key away. A new user found the opposite intolerable: an empty
/// `source_identity` and a `source_ip` given 17 and 34 columns while principal and action were
/// cut to 20.
pub fn fit_scrolled(columns: &[Column], total: usize, spacing: usize) -> Fitted {
    fit_with(columns, total, spacing, true)
}

fn fit_with(columns: &[Column], total: usize, spacing: usize, scrolls: bool) -> Fitted {
    if columns.is_empty() {
        return Fitted { widths: Vec::new() };
    }
    let mut least: Vec<usize> = columns.iter().map(Column::least).collect();
    keep_the_telling_columns_on_screen(columns, &mut least, total, spacing);
    let leading = leading_that_fit(&least, total, spacing);
    let widths = |shown: usize| share(&columns[..shown], &least[..shown], total, spacing);
    // What the telling columns still want at these widths.
    let wanting = |widths: &[usize]| -> usize {
        widths
            .iter()
            .zip(columns)
            .filter(|(_, c)| c.telling().is_some())
            .map(|(w, c)| c.whole() - w)
            .sum()
    };
    // Only columns after every telling one (and after the wanted one) may give way.
    let kept = columns
        .iter()
        .rposition(|c| c.telling().is_some() || c.wanted)
        .map_or(1, |i| i + 1);
    let mut shown = leading;
    let mut fitted = widths(shown);
    while shown > kept && wanting(&fitted) >= least[shown - 1] + spacing {
        shown -= 1;
        fitted = widths(shown);
    }
    // On a table that cannot scroll, a column left out is gone: it gives way only when that
    // makes the telling columns whole.
    if !scrolls && shown == kept && shown < leading && wanting(&fitted) > 0 {
        fitted = widths(leading);
    }
    Fitted { widths: fitted }
}

/// Lowers the telling columns' least widths alike (the widest first, down to `TELLING_FLOOR`) so
/// that every column up to the last telling one fits `total`; when even the floor leaves that one
/// off the screen, up to the last telling one it can bring on. Nothing is lowered for a telling
/// column that stays off the screen anyway.
fn keep_the_telling_columns_on_screen(columns: &[Column], least: &mut [usize], total: usize, spacing: usize) {
    let needed = |least: &[usize], last: usize| {
        least[..=last]
            .iter()
            .sum::<usize>()
            .saturating_add(spacing.saturating_mul(last))
    };
    let floored: Vec<usize> = columns
        .iter()
        .zip(least.iter())
        .map(|(c, l)| {
            if c.telling().is_some() {
                (*l).min(TELLING_FLOOR)
            } else {
                *l
            }
        })
        .collect();
    let Some(last) = (0..columns.len())
        .rev()
        .filter(|&i| columns[i].telling().is_some())
        .find(|&i| needed(&floored, i) <= total)
    else {
        return;
    };
    while needed(least, last) > total {
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
    // The telling columns alike, one character at a time to the narrowest (in their order when as
    // narrow), each up to whole: one long principal (an SSO role's ARN runs past 100 characters)
    // must not take the room of the action and the resource.
    while room > 0
        && let Some(i) = (0..columns.len())
            .filter(|&i| columns[i].telling().is_some() && widths[i] < columns[i].whole())
            .min_by_key(|&i| (widths[i], columns[i].telling()))
    {
        widths[i] += 1;
        room -= 1;
    }
    let mut give = |width: &mut usize, up_to: usize| {
        let more = up_to.saturating_sub(*width).min(room);
        *width += more;
        room -= more;
    };
    if let Some(i) = columns.iter().position(|c| c.wanted) {
        give(&mut widths[i], columns[i].whole().min(total / 3));
    }
    // The least cut first; an empty column's header last: it shows no value.
    let mut others: Vec<usize> = (0..columns.len())
        .filter(|&i| !columns[i].never_cut() && widths[i] < columns[i].whole())
        .collect();
    others.sort_by_key(|&i| (columns[i].empty, columns[i].whole() - widths[i]));
    for i in others {
        give(&mut widths[i], columns[i].whole());
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
        let widths = fit_scrolled(&columns, total, SPACING).widths;
        let used = widths.iter().sum::<usize>() + SPACING * (widths.len() - 1);
        assert!(used <= total, "{widths:?} is {used} wide, more than {total}");
        widths
    }

    /// The values a column shows at the widths chosen.
    fn shown(values: &[(&str, &str)], widths: &[usize]) -> Vec<String> {
        values.iter().zip(widths).map(|((_, v), w)| cut(v, *w)).collect()
    }

    /// The timeline's "Events of the bucket", from a bucket of several clouds: the principal
    /// given, a GCP method (63 characters) and a GCP function (60).
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
    const SERVICE_ACCOUNT: &str = "deployer@acme.iam.gserviceaccount.com";
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
        // The columns after the outcome give way for the three: a scroll away.
        assert_eq!(widths, [27, 37, 63, 60, 7]);
        assert_eq!(shown(&events, &widths)[1..4], [events[1].1, events[2].1, events[3].1]);
    }

    #[test]
    fn when_the_three_cannot_all_be_whole_the_columns_after_them_give_way_and_the_cut_ones_keep_their_telling_parts() {
        // 27 + 55 + 63 + 60 and three spaces is 208: more than 198.
        let events = bucket_events(ASSUMED_ROLE, FUNCTION);
        let widths = fitted(&events, SCREEN_200);
        // source_ip and the rest are a scroll away: not 34 columns while the three are cut.
        assert_eq!(widths, [27, 55, 57, 56]);
        let cells = shown(&events, &widths);
        assert_eq!(cells[1], ASSUMED_ROLE);
        assert!(cells[2].ends_with("…ActivateServices"), "{}", cells[2]);
        assert!(cells[3].starts_with("projects/acme-ml/") && cells[3].ends_with("/billing-export"));
        // A table that cannot scroll (the command line's) keeps every column: one left out is gone.
        let columns: Vec<Column> = events.iter().copied().map(measured).collect();
        assert_eq!(fit(&columns, SCREEN_200, SPACING).widths.len(), events.len());
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
        assert_eq!(widths, [27, 30, 29, 29]);
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
        let cells = shown(&changes, &widths);
        assert!(
            cells[1].contains("111122223333") && cells[1].ends_with("/ci-runner"),
            "{}",
            cells[1]
        );
        assert!(cells[3].ends_with("…ActivateServices"), "{}", cells[3]);
        assert_eq!(widths, [27, 43, 3, 42]);
    }

    #[test]
    fn a_count_named_like_a_telling_column_does_not_keep_the_columns_before_it_on_screen() {
        // The resources list: a long resource first, then counts and times; `actions` is a count.
        let list = [
            (
                "resource",
                "arn:aws:kms:us-east-1:123837392027:key/1c7e8d9a-097e-49d8-99ef-747ce3e5f8f4",
            ),
            ("resource_type", "AWS::KMS::Key"),
            ("events", "164"),
            ("changes", "0"),
            ("first_seen", "2023-07-10T11:58:10Z"),
            ("last_seen", "2023-07-10T12:08:04Z"),
            ("principals", "1"),
            ("actions", "2"),
            ("failures", "0"),
        ];
        let columns: Vec<Column> = list
            .iter()
            .map(|&(name, value)| Column {
                fixed: !matches!(name, "resource" | "resource_type"),
                ..measured((name, value))
            })
            .collect();
        let widths = fit_scrolled(&columns, 138, SPACING).widths;
        assert_eq!(
            widths,
            [70, 10, 6, 7, 20, 20],
            "last_seen's room is more than the resource wants"
        );
        let resource = cut(list[0].1, widths[0]);
        assert!(
            resource.contains("123837392027") && resource.ends_with("747ce3e5f8f4"),
            "{resource}"
        );
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
    fn no_column_gives_way_for_a_few_characters_of_a_telling_one() {
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
        // The address would give the principal 3 more characters (its `arn:`): it stays.
        let widths = fitted(&events, SCREEN_200);
        assert_eq!(widths, [20, 64, 22, 59, 7, 10, 10]);
        assert_eq!(
            cut(events[1].1, widths[1]),
            "…aws:sts::210987654321:assumed-role/DeployAdmin/ci-deployer-8841"
        );
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
        assert_eq!(fit(&columns, SCREEN_200, SPACING).widths, [20, 37, 49, 89]);
        // The cursor on the message: a third of the screen for it first, then, now the least
        // cut, the rest of it.
        columns[2].wanted = true;
        assert_eq!(fit(&columns, SCREEN_200, SPACING).widths, [20, 37, 93, 45]);
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

    #[test]
    fn a_telling_column_off_the_screen_takes_no_other_column_with_it() {
        // The resource view's "Who touched it" on an 80-column terminal (` │ ` between columns):
        // `actions` cannot come on screen, so nothing gives way for the principal to be whole.
        let who = [
            (
                "principal",
                "arn:aws:sts::444455556666:assumed-role/CrossAccountAdmin/ci-deployer",
            ),
            ("events", "4"),
            ("changes", "3"),
            ("first_seen", "2024-06-10T10:40:00Z"),
            ("last_seen", "2024-06-10T10:43:00Z"),
            (
                "actions",
                "AddPermission20150331v2, CreateFunction20150331, UpdateFunctionConfiguration20150331v2",
            ),
        ];
        let mut columns: Vec<Column> = who.iter().copied().map(measured).collect();
        for fixed in &mut columns[1..5] {
            fixed.fixed = true;
        }
        assert_eq!(fit(&columns, 80, 3).widths, [38, 6, 7, 20]);
    }
}
