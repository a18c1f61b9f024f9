//! Correlation rules (Sigma 2's `event_count` and `value_count`) over the hits of the rules they
//! name: the events are grouped by the `group-by` fields' values, and a group is reported for
//! each stretch of `timespan` (measured from one of its events) whose count satisfies the
//! condition. After a report the next window starts after the reported one, so one burst is one
//! hit.

use std::collections::{BTreeMap, BTreeSet};

use super::sigma::{Correlation, CorrelationKind};

/// One event a correlation counts: its time, the values it is grouped by, the counted field's
/// value (value_count), and its index among the hits.
#[derive(Clone, Debug)]
pub struct Counted {
    pub time: i64,
    pub group: Vec<Option<String>>,
    pub value: Option<String>,
    pub event: usize,
}

/// A group's window that satisfied the condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Burst {
    pub group: Vec<Option<String>>,
    pub from: i64,
    pub to: i64,
    pub count: u64,
    /// The events in the window, by their index among the hits.
    pub events: Vec<usize>,
}

pub fn bursts(c: &Correlation, mut counted: Vec<Counted>) -> Vec<Burst> {
    counted.sort_by_key(|e| e.time);
    let mut groups: BTreeMap<Vec<Option<String>>, Vec<Counted>> = BTreeMap::new();
    for e in counted {
        groups.entry(e.group.clone()).or_default().push(e);
    }
    let holds = |n: u64| c.condition.iter().all(|(op, bound)| op.holds(n, *bound));
    let mut out = Vec::new();
    for (group, events) in groups {
        let mut start = 0;
        while start < events.len() {
            let from = events[start].time;
            let to = from.saturating_add(c.timespan);
            let inside: Vec<&Counted> = events[start..].iter().take_while(|e| e.time <= to).collect();
            let count = match &c.kind {
                CorrelationKind::EventCount => inside.len() as u64,
                CorrelationKind::ValueCount(_) => inside
                    .iter()
                    .filter_map(|e| e.value.as_deref())
                    .collect::<BTreeSet<_>>()
                    .len() as u64,
            };
            if holds(count) {
                out.push(Burst {
                    group: group.clone(),
                    from,
                    to: inside.last().map_or(from, |e| e.time),
                    count,
                    events: inside.iter().map(|e| e.event).collect(),
                });
                start += inside.len();
            } else {
                start += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::detect::sigma::Compare;

    const MIN: i64 = 60_000_000;

    fn correlation(kind: CorrelationKind, condition: Vec<(Compare, u64)>) -> Correlation {
        Correlation {
            kind,
            rules: vec!["r".into()],
            group_by: vec!["user".into()],
            timespan: 5 * MIN,
            condition,
            generate: false,
        }
    }

    fn event(i: usize, minute: i64, user: &str, value: &str) -> Counted {
        Counted {
            time: minute * MIN,
            group: vec![Some(user.into())],
            value: Some(value.into()),
            event: i,
        }
    }

    #[test]
    fn event_count_finds_the_span_that_holds_enough_events() {
        let c = correlation(CorrelationKind::EventCount, vec![(Compare::Gte, 3)]);
        // alice: 0, 4, 6, 9 → the window from 4 holds 4, 6, 9 (from 0: 0, 4 only).
        // bob: 0, 1 → never three.
        let events = vec![
            event(0, 0, "alice", "a"),
            event(1, 4, "alice", "a"),
            event(2, 6, "alice", "b"),
            event(3, 9, "alice", "c"),
            event(4, 0, "bob", "a"),
            event(5, 1, "bob", "a"),
        ];
        let found = bursts(&c, events);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].group, vec![Some("alice".to_string())]);
        assert_eq!((found[0].from, found[0].to, found[0].count), (4 * MIN, 9 * MIN, 3));
        assert_eq!(found[0].events, vec![1, 2, 3]);
    }

    #[test]
    fn a_burst_is_reported_once_and_the_span_is_inclusive() {
        let c = correlation(CorrelationKind::EventCount, vec![(Compare::Gte, 2)]);
        let events = (0..6).map(|i| event(i, i as i64 * 5, "u", "v")).collect();
        // Events 5 minutes apart: each pair is within the span (its end included); after a pair
        // is reported the next window starts at the next event: three bursts, not five.
        let found = bursts(&c, events);
        assert_eq!(
            found.iter().map(|b| b.events.clone()).collect::<Vec<_>>(),
            vec![vec![0, 1], vec![2, 3], vec![4, 5]]
        );
    }

    #[test]
    fn value_count_counts_distinct_values_and_bounds_both_ways() {
        let c = correlation(
            CorrelationKind::ValueCount("action".into()),
            vec![(Compare::Gt, 1), (Compare::Lte, 2)],
        );
        let events = vec![
            event(0, 0, "u", "List"),
            event(1, 1, "u", "List"),
            event(2, 2, "u", "Get"),
            // Alone in its own span: one value.
            event(3, 30, "u", "Put"),
            event(4, 40, "w", "A"),
            event(5, 41, "w", "B"),
            event(6, 42, "w", "C"),
        ];
        let found = bursts(&c, events);
        // u: two distinct in the first span; w: three is more than two, but from 41 there are two.
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].count, found[0].events.clone()), (2, vec![0, 1, 2]));
        assert_eq!((found[1].count, found[1].events.clone()), (2, vec![5, 6]));
    }
}
