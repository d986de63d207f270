//! When each bid is sent: an open-model arrival schedule that ramps towards the deadline, as
//! bidders do. Pure and reproducible from a seed.
//!
//! Bids arrive with an intensity that grows exponentially over the bidding window of length D:
//! the share of bids sent by time t is F(t) = (e^{k·t/D} − 1) / (e^k − 1), k the sharpness
//! (k → 0 is a uniform rate). With the default k = 4 about 56 % of the bids arrive in the last
//! fifth of the window and the rate peaks in its last second at about k·e^k/(e^k − 1) times the
//! mean. Arrival j is F⁻¹((j + u_j)/N), u_j uniform in [0, 1): one arrival per stratum, so the
//! schedule is smooth but not regular.

use crate::random::SeededRandom;

/// The shape of the bidding window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ramp {
    /// Bids in the window.
    pub bids: usize,
    /// The window's length: the last bid is due before it ends.
    pub window_ms: u64,
    /// k: how strongly arrivals crowd towards the end (0 = uniform).
    pub sharpness: f64,
}

impl Ramp {
    /// The share of bids sent by `fraction` (0..=1) of the window.
    pub fn cumulative_share(&self, fraction: f64) -> f64 {
        let k = self.sharpness;
        if k.abs() < 1e-9 {
            return fraction;
        }
        (k * fraction).exp_m1() / k.exp_m1()
    }

    /// The fraction of the window by which `share` of the bids are sent (F⁻¹).
    pub fn time_of_share(&self, share: f64) -> f64 {
        let k = self.sharpness;
        if k.abs() < 1e-9 {
            return share;
        }
        (share * k.exp_m1()).ln_1p() / k
    }

    /// The offered rate at the very end of the window, bids per second.
    pub fn peak_rate_per_second(&self) -> f64 {
        let window_seconds = self.window_ms as f64 / 1_000.0;
        let mean = self.bids as f64 / window_seconds;
        let k = self.sharpness;
        if k.abs() < 1e-9 {
            return mean;
        }
        mean * k * k.exp() / k.exp_m1()
    }

    /// Every arrival, as µs from the window's start, ascending.
    pub fn arrivals_us(&self, random: &mut SeededRandom) -> Vec<u64> {
        let count = self.bids as f64;
        let window_us = self.window_ms as f64 * 1_000.0;
        (0..self.bids)
            .map(|stratum| {
                let share = (stratum as f64 + random.next_unit()) / count;
                // In range by construction: share < 1, so the time is below the window.
                #[allow(clippy::cast_possible_truncation)]
                let offset_us = (self.time_of_share(share) * window_us) as u64;
                offset_us
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
mod tests {
    use super::Ramp;
    use crate::random::SeededRandom;

    fn ramp(sharpness: f64) -> Ramp {
        Ramp {
            bids: 10_000,
            window_ms: 60_000,
            sharpness,
        }
    }

    #[test]
    fn arrivals_are_ascending_inside_the_window_and_one_per_bid() {
        let arrivals = ramp(4.0).arrivals_us(&mut SeededRandom::new(1));
        assert_eq!(arrivals.len(), 10_000);
        assert!(arrivals.windows(2).all(|pair| pair[0] <= pair[1]));
        assert!(arrivals.iter().all(|offset| *offset < 60_000_000));
    }

    #[test]
    fn most_bids_arrive_in_the_last_fifth_and_the_last_second_is_the_busiest() {
        let arrivals = ramp(4.0).arrivals_us(&mut SeededRandom::new(2));
        let late = arrivals.iter().filter(|offset| **offset >= 48_000_000).count();
        assert!((5_400..5_800).contains(&late), "{late} in the last fifth");
        let mut per_second = [0usize; 60];
        for offset in &arrivals {
            per_second[(*offset / 1_000_000) as usize] += 1;
        }
        let busiest = per_second.iter().enumerate().max_by_key(|(_, count)| **count).unwrap();
        assert_eq!(busiest.0, 59, "{per_second:?}");
        // The offered peak: 10,000 / 60 s × 4e⁴/(e⁴ − 1) ≈ 679 bids/s; the last second holds
        // the average over it, a little below.
        let peak = ramp(4.0).peak_rate_per_second();
        assert!((678.0..680.0).contains(&peak), "{peak}");
        assert!((620..=680).contains(busiest.1), "{}", busiest.1);
    }

    #[test]
    fn sharpness_zero_is_a_uniform_rate() {
        let arrivals = ramp(0.0).arrivals_us(&mut SeededRandom::new(3));
        let first_half = arrivals.iter().filter(|offset| **offset < 30_000_000).count();
        assert_eq!(first_half, 5_000, "one arrival per stratum splits evenly");
        assert!((ramp(0.0).peak_rate_per_second() - 166.666).abs() < 0.01);
    }

    #[test]
    fn the_inverse_undoes_the_share() {
        let ramp = ramp(4.0);
        for fraction in [0.0, 0.1, 0.5, 0.9, 0.999] {
            let back = ramp.time_of_share(ramp.cumulative_share(fraction));
            assert!((back - fraction).abs() < 1e-9, "{fraction} → {back}");
        }
    }

    #[test]
    fn a_seed_fixes_the_schedule() {
        let schedule = |seed| ramp(4.0).arrivals_us(&mut SeededRandom::new(seed));
        assert_eq!(schedule(9), schedule(9));
        assert_ne!(schedule(9), schedule(10));
    }
}
