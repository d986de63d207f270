//! A small seeded generator (SplitMix64) for reproducible schedules, prices and shuffles. It is
//! not for keys: sealing and signing draw from the system's generator.

/// SplitMix64 (Steele, Lea and Flood, 2014): 64 bits of state, passes BigCrush, one multiply
/// chain per draw.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    /// The generator's state, advanced by the golden-ratio increment on every draw.
    state: u64,
}

impl SeededRandom {
    /// A generator whose draws are fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A uniform draw from [0, 1) with 53 bits of precision.
    pub fn next_unit(&mut self) -> f64 {
        // The top 53 bits fit a double's mantissa exactly.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform draw from `0..bound` (`bound` ≥ 1), without modulo bias worth measuring for
    /// the bounds used here (far below 2^32).
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound >= 1, "a range needs at least one value");
        u64::try_from((u128::from(self.next_u64()) * u128::from(bound)) >> 64).unwrap_or(bound - 1)
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for last in (1..items.len()).rev() {
            let other = usize::try_from(self.below(last as u64 + 1)).unwrap_or(last);
            items.swap(last, other);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
mod tests {
    use super::SeededRandom;

    #[test]
    fn the_same_seed_gives_the_same_draws_and_another_seed_others() {
        let draws = |seed| {
            let mut random = SeededRandom::new(seed);
            (0..8).map(|_| random.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
    }

    #[test]
    fn draws_stay_in_range_and_cover_it() {
        let mut random = SeededRandom::new(1);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            let value = random.below(10) as usize;
            seen[value] += 1;
            let unit = random.next_unit();
            assert!((0.0..1.0).contains(&unit));
        }
        // Each of ten values near its expected 1,000 (a loose bound: 6 standard deviations).
        assert!(seen.iter().all(|count| (820..1_180).contains(count)), "{seen:?}");
    }

    #[test]
    fn a_shuffle_is_a_permutation() {
        let mut items: Vec<u32> = (0..100).collect();
        SeededRandom::new(3).shuffle(&mut items);
        assert_ne!(items, (0..100).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..100).collect::<Vec<_>>());
    }
}
