//! The demo at an organisation's scale (`trailscope demo --tenants AWS,GCP,AZURE`): hundreds of
//! accounts, projects and subscriptions beside the named ones, with the skew of a real
//! organisation. A few tenants (the named production ones first) carry most of the traffic and a
//! long tail is quiet: weights fall as 1/rank (Zipf). Most quiet tenants still log something most
//! days; some are silent for spells of days, as sandboxes and dormant accounts are.

use super::cast::{AWS_ACCOUNTS, AWS_REGIONS, AZURE_SUBSCRIPTIONS, GCP_PROJECTS};
use super::rng::Rng;
use crate::sources::Cloud;

/// How many tenants of each cloud the organisation has, the demo's named ones included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tenants {
    pub aws: usize,
    pub gcp: usize,
    pub azure: usize,
}

/// The most tenants of one cloud: beyond this a demo archive outgrows any machine it runs on.
pub const MAX_TENANTS: usize = 100_000;

impl std::str::FromStr for Tenants {
    type Err = String;

    /// `AWS,GCP,AZURE`, e.g. `600,200,100`; each at least the named tenants of its cloud.
    fn from_str(s: &str) -> Result<Self, String> {
        let counts: Vec<usize> = s
            .split(',')
            .map(|n| n.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("'{s}' should be three counts, AWS,GCP,AZURE (e.g. 600,200,100)"))?;
        let [aws, gcp, azure] = counts[..] else {
            return Err(format!(
                "'{s}' should be three counts, AWS,GCP,AZURE (e.g. 600,200,100)"
            ));
        };
        let least = (AWS_ACCOUNTS.len(), GCP_PROJECTS.len(), AZURE_SUBSCRIPTIONS.len());
        if aws < least.0 || gcp < least.1 || azure < least.2 {
            return Err(format!(
                "the counts include the demo's named tenants: give at least {},{},{}",
                least.0, least.1, least.2
            ));
        }
        if aws.max(gcp).max(azure) > MAX_TENANTS {
            return Err(format!("at most {MAX_TENANTS} tenants of one cloud"));
        }
        Ok(Tenants { aws, gcp, azure })
    }
}

/// One account, project or subscription.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: String,
    /// The one AWS region a quiet account works in; `None`: the usual spread of regions.
    pub region: Option<&'static str>,
    /// Silent spells: silent on day `d` when `((d + phase) / days) % 3 == 0`.
    spells: Option<(u32, u32)>,
}

impl Tenant {
    fn named(id: &str) -> Tenant {
        Tenant {
            id: id.to_string(),
            region: None,
            spells: None,
        }
    }

    /// Whether this tenant logs nothing on the demo's `day` (counted from its first day).
    pub fn silent_on(&self, day: u32) -> bool {
        self.spells
            .is_some_and(|(days, phase)| ((day + phase) / days).is_multiple_of(3))
    }
}

/// Every tenant of each cloud, busiest first, and their cumulative weights for drawing.
#[derive(Debug)]
pub struct Org {
    clouds: [(Vec<Tenant>, Vec<u64>); 3],
}

const TEAMS: [&str; 16] = [
    "checkout",
    "catalog",
    "fraud",
    "ledger",
    "growth",
    "search",
    "media",
    "notify",
    "pricing",
    "risk",
    "crm",
    "geo",
    "inventory",
    "loyalty",
    "support",
    "platform",
];
const ENVS: [&str; 5] = ["prod", "staging", "dev", "sandbox", "qa"];

impl Org {
    /// The organisation of `tenants`: the named tenants, then extra ones whose ids and names
    /// follow from `seed` alone.
    pub fn new(tenants: Tenants, seed: u64) -> Org {
        let mut rng = Rng::new(seed ^ 0x0126_0126);
        let mut aws: Vec<Tenant> = AWS_ACCOUNTS.iter().map(|(id, _)| Tenant::named(id)).collect();
        let mut taken: std::collections::HashSet<String> = aws.iter().map(|t| t.id.clone()).collect();
        while aws.len() < tenants.aws {
            let id = format!("{:012}", 100_000_000_000 + rng.below(900_000_000_000));
            if taken.insert(id.clone()) {
                let region = *rng.weighted(&AWS_REGIONS);
                aws.push(extra(&mut rng, id, Some(region)));
            }
        }
        let mut gcp: Vec<Tenant> = GCP_PROJECTS.iter().map(|p| Tenant::named(p)).collect();
        while gcp.len() < tenants.gcp {
            let id = format!(
                "acme-{}-{}-{:03}",
                rng.pick(&TEAMS),
                rng.pick(&ENVS),
                gcp.len() - GCP_PROJECTS.len()
            );
            gcp.push(extra(&mut rng, id, None));
        }
        let mut azure: Vec<Tenant> = AZURE_SUBSCRIPTIONS.iter().map(|s| Tenant::named(s)).collect();
        while azure.len() < tenants.azure {
            let id = rng.uuid();
            azure.push(extra(&mut rng, id, None));
        }
        Org {
            clouds: [aws, gcp, azure].map(|list| {
                let cumulative = list
                    .iter()
                    .enumerate()
                    .scan(0u64, |sum, (rank, _)| {
                        // 1/(rank + 1), in integers fine enough for 100,000 tenants.
                        *sum += 1_000_000_000 / (rank as u64 + 1);
                        Some(*sum)
                    })
                    .collect();
                (list, cumulative)
            }),
        }
    }

    /// A tenant of `cloud`, by weight.
    pub fn draw(&self, cloud: Cloud, rng: &mut Rng) -> &Tenant {
        let (list, cumulative) = &self.clouds[index(cloud)];
        let at = rng.below(*cumulative.last().expect("every cloud has named tenants"));
        &list[cumulative.partition_point(|c| *c <= at)]
    }

    pub fn tenants(&self, cloud: Cloud) -> &[Tenant] {
        &self.clouds[index(cloud)].0
    }
}

fn index(cloud: Cloud) -> usize {
    match cloud {
        Cloud::Aws => 0,
        Cloud::Gcp => 1,
        Cloud::Azure => 2,
    }
}

/// A tenant beyond the named ones; one in eight has silent spells of 3 to 14 days.
fn extra(rng: &mut Rng, id: String, region: Option<&'static str>) -> Tenant {
    let spells = rng.chance(0.125).then(|| {
        let days = 3 + rng.below(12) as u32;
        (days, rng.below(days as u64 * 3) as u32)
    });
    Tenant { id, region, spells }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_parsed_and_must_hold_the_named_tenants() {
        let t: Tenants = "600, 200,100".parse().unwrap();
        assert_eq!((t.aws, t.gcp, t.azure), (600, 200, 100));
        assert!("600,200".parse::<Tenants>().is_err());
        assert!("600,x,100".parse::<Tenants>().is_err());
        assert!("10,200,100".parse::<Tenants>().unwrap_err().contains("at least 24,8,5"));
        assert!("24,8,5".parse::<Tenants>().is_ok());
    }

    #[test]
    fn the_organisation_follows_from_the_seed_and_is_skewed() {
        let tenants = Tenants {
            aws: 600,
            gcp: 200,
            azure: 100,
        };
        let (a, b) = (Org::new(tenants, 7), Org::new(tenants, 7));
        let ids = |o: &Org, c| o.tenants(c).iter().map(|t| t.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a, Cloud::Aws), ids(&b, Cloud::Aws));
        assert_ne!(ids(&a, Cloud::Aws), ids(&Org::new(tenants, 8), Cloud::Aws));
        for (cloud, n) in [(Cloud::Aws, 600), (Cloud::Gcp, 200), (Cloud::Azure, 100)] {
            let unique: std::collections::HashSet<_> = ids(&a, cloud).into_iter().collect();
            assert_eq!(unique.len(), n);
        }
        assert!(a.tenants(Cloud::Aws).iter().all(|t| t.id.len() == 12));
        // The first tenant is drawn far more often than the last; the last still now and then.
        let mut rng = Rng::new(1);
        let mut counts = std::collections::HashMap::new();
        for _ in 0..200_000 {
            *counts.entry(a.draw(Cloud::Aws, &mut rng).id.clone()).or_insert(0u32) += 1;
        }
        let first = counts[&a.tenants(Cloud::Aws)[0].id];
        let last = counts.get(&a.tenants(Cloud::Aws)[599].id).copied().unwrap_or(0);
        assert!(first > 100 * last.max(1), "first {first}, last {last}");
        assert!(counts.len() > 550, "{} tenants drawn", counts.len());
        // Some extra tenants have silent spells, the named ones none.
        let silent = a
            .tenants(Cloud::Aws)
            .iter()
            .filter(|t| (0..365).any(|d| t.silent_on(d)))
            .count();
        assert!((30..150).contains(&silent), "{silent}");
        assert!(
            a.tenants(Cloud::Aws)[..24]
                .iter()
                .all(|t| !(0..365).any(|d| t.silent_on(d)))
        );
    }
}
