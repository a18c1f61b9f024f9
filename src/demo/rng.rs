//! A small, fixed pseudo-random generator (SplitMix64): the same seed gives the same demo
//! archive on every machine and every version, which a library generator does not promise.

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1A4_F87B)
    }

    /// A generator of its own for a part of the demo, so that parts do not shift each other.
    pub fn fork(&mut self, salt: u64) -> Rng {
        Rng(self.next_u64() ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An item chosen by weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| *w as u64).sum();
        let mut at = self.below(total);
        for (item, w) in items {
            if at < *w as u64 {
                return item;
            }
            at -= *w as u64;
        }
        &items[items.len() - 1].0
    }

    /// A random UUID (version 4 layout), as CloudTrail and Azure write event ids.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }

    /// `n` characters from `alphabet`.
    pub fn token(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| *self.pick(alphabet) as char).collect()
    }
}

/// Items drawn by fixed integer weights, their running sums computed once: drawing from a table
/// of hundreds of items stays a binary search.
#[derive(Debug)]
pub struct Table<T> {
    items: Vec<T>,
    sums: Vec<u64>,
}

impl<T> Table<T> {
    pub fn new(weighted: impl IntoIterator<Item = (T, u64)>) -> Self {
        let mut sum = 0;
        let (items, sums) = weighted
            .into_iter()
            .map(|(item, w)| {
                sum += w.max(1);
                (item, sum)
            })
            .unzip();
        Table { items, sums }
    }

    /// Items in rank order, weighted as [`zipf`] weighs ranks.
    pub fn ranked(items: impl IntoIterator<Item = T>) -> Self {
        Table::new(items.into_iter().enumerate().map(|(rank, item)| (item, zipf(rank))))
    }

    /// Items in rank order with a steeper tail (about 1/(rank + 3)^2), for a cloud whose volume
    /// would otherwise give its rarest actions dozens of calls a month.
    pub fn steep(items: impl IntoIterator<Item = T>) -> Self {
        Table::new(items.into_iter().enumerate().map(|(rank, item)| {
            let x = rank as u64 + 3;
            (item, 1_000_000_000_000 / (x * x))
        }))
    }

    pub fn draw(&self, rng: &mut Rng) -> &T {
        let at = rng.below(*self.sums.last().expect("a table has items"));
        &self.items[self.sums.partition_point(|s| *s <= at)]
    }

    #[cfg(test)]
    pub fn items(&self) -> &[T] {
        &self.items
    }
}

/// The weight of the item of `rank` (0 the most frequent) in a Zipf-like long tail, about
/// 1/(rank + 3)^1.5: a few items dominate, the tail's items come a handful of times each. Integers
/// only, so that every machine draws the same demo.
pub fn zipf(rank: usize) -> u64 {
    let x = rank as u64 + 3;
    1_000_000_000_000 / (x * (x * 1_000_000).isqrt())
}

pub const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const LOWER_DIGITS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sequence_forever() {
        let mut a = Rng::new(7);
        let first: Vec<u64> = (0..3).map(|_| a.next_u64()).collect();
        let mut b = Rng::new(7);
        assert_eq!(first, (0..3).map(|_| b.next_u64()).collect::<Vec<_>>());
        // Pinned: a change here changes every demo archive.
        assert_eq!(Rng::new(7).uuid(), Rng::new(7).uuid());
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
        let mut r = Rng::new(1);
        assert!((0..1000).all(|_| r.below(10) < 10));
    }

    #[test]
    fn a_ranked_table_has_a_long_tail() {
        let table = Table::ranked(0..200usize);
        let mut r = Rng::new(3);
        let mut counts = [0u32; 200];
        for _ in 0..200_000 {
            counts[*table.draw(&mut r)] += 1;
        }
        assert!(counts[0] > 25_000 && counts[0] < 45_000, "{}", counts[0]);
        assert!(counts[199] > 20 && counts[199] < 200, "{}", counts[199]);
        assert_eq!(zipf(0), 1_000_000_000_000 / (3 * 1732));
    }
}
