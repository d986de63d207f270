//! The numeric screens behind the indicators, as pure functions of prices and times. Integer
//! arithmetic throughout, except the coefficient of variation, which is IEEE 754 double
//! arithmetic in a fixed order (every operation correctly rounded, so the same on every
//! platform) and compared, like everything else, against integer thresholds.

use crate::warnings::thresholds::BASIS_POINTS_PER_ONE;

/// How a lot's sorted prices step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progression {
    /// Constant difference: the mean step, in fen.
    Difference {
        /// (largest − smallest price) / (prices − 1), rounded down.
        step_fen: u64,
    },
    /// Constant ratio: the mean ratio between neighbours, in millionths.
    Ratio {
        /// The mean of next / previous, in millionths, rounded down.
        ratio_millionths: u64,
    },
}

/// One in millionths.
const MILLIONTHS_PER_ONE: u128 = 1_000_000;

/// Whether `sorted` (ascending, at least three, all distinct and above zero) steps by a
/// constant difference or, failing that, a constant ratio: the largest and smallest step differ
/// by at most `tolerance_bp` of the mean step. `None` for fewer than three prices or any two
/// equal.
pub fn regular_progression(sorted: &[u64], tolerance_bp: u64) -> Option<Progression> {
    if sorted.len() < 3 || neighbours(sorted).any(|(lower, upper)| lower >= upper) || sorted.first() == Some(&0) {
        return None;
    }
    let steps = (sorted.len() - 1) as u128;
    let differences: Vec<u128> = neighbours(sorted)
        .map(|(lower, upper)| u128::from(upper - lower))
        .collect();
    if constant(&differences, steps, tolerance_bp) {
        let total = differences.iter().sum::<u128>();
        return Some(Progression::Difference {
            step_fen: u64::try_from(total / steps).unwrap_or(u64::MAX),
        });
    }
    // Each ratio's excess over one, in millionths of the smaller price.
    let excesses: Vec<u128> = neighbours(sorted)
        .map(|(lower, upper)| u128::from(upper - lower) * MILLIONTHS_PER_ONE / u128::from(lower))
        .collect();
    if excesses.contains(&0) || !constant(&excesses, steps, tolerance_bp) {
        return None;
    }
    let mean_excess = excesses.iter().sum::<u128>() / steps;
    Some(Progression::Ratio {
        ratio_millionths: u64::try_from(MILLIONTHS_PER_ONE + mean_excess).unwrap_or(u64::MAX),
    })
}

/// Each value of `values` with the one after it.
fn neighbours(values: &[u64]) -> impl Iterator<Item = (u64, u64)> + '_ {
    values.iter().copied().zip(values.iter().copied().skip(1))
}

/// Whether `steps_values` (`steps` of them) are constant within `tolerance_bp` of their mean:
/// (largest − smallest) · 10,000 · steps ≤ tolerance · Σ.
fn constant(steps_values: &[u128], steps: u128, tolerance_bp: u64) -> bool {
    let (Some(largest), Some(smallest)) = (steps_values.iter().max(), steps_values.iter().min()) else {
        return false;
    };
    let total: u128 = steps_values.iter().sum();
    (largest - smallest) * u128::from(BASIS_POINTS_PER_ONE) * steps <= u128::from(tolerance_bp) * total
}

/// The coefficient of variation of `prices` (population standard deviation over the mean), in
/// basis points rounded down; `None` for no prices or a mean of zero.
pub fn coefficient_of_variation_bp(prices: &[u64]) -> Option<u64> {
    if prices.is_empty() {
        return None;
    }
    let count = prices.len() as f64;
    let mean = prices.iter().map(|&price| price as f64).sum::<f64>() / count;
    if mean <= 0.0 {
        return None;
    }
    let variance = prices
        .iter()
        .map(|&price| {
            let deviation = price as f64 - mean;
            deviation * deviation
        })
        .sum::<f64>()
        / count;
    let ratio_bp = variance.sqrt() / mean * BASIS_POINTS_PER_ONE as f64;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a non-negative ratio; `as` saturates, and prices below 2^53 give far less"
    )]
    Some(ratio_bp.floor() as u64)
}

/// The Tukey fences of `history` (any order): Q1 − 1.5·IQR and Q3 + 1.5·IQR, the quartiles by
/// nearest rank on the sorted values (Q1 the value at position ⌊(n − 1)/4⌋, Q3 at
/// ⌊3(n − 1)/4⌋, from 0). `None` for an empty history.
pub fn tukey_fences(history: impl IntoIterator<Item = u64>) -> Option<(i64, i64)> {
    let mut sorted: Vec<i64> = history
        .into_iter()
        .map(|value| i64::try_from(value).unwrap_or(i64::MAX))
        .collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_unstable();
    let last = sorted.len() - 1;
    let first_quartile = *sorted.get(last / 4)?;
    let third_quartile = *sorted.get(last * 3 / 4)?;
    let spread = third_quartile - first_quartile;
    Some((
        first_quartile.saturating_sub(spread.saturating_mul(3) / 2),
        third_quartile.saturating_add(spread.saturating_mul(3) / 2),
    ))
}

/// `part` as a share of `whole`, in basis points rounded down (0 for a whole of zero).
pub fn share_bp(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    u64::try_from(u128::from(part) * u128::from(BASIS_POINTS_PER_ONE) / u128::from(whole)).unwrap_or(u64::MAX)
}

/// The densest run of `sorted_times_ms` (ascending) spanning at most `window_ms` from its first
/// time to its last: its first and last positions, the earliest such run when several are as
/// long. `None` for no times.
pub fn densest_window(sorted_times_ms: &[u64], window_ms: u64) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut start = 0;
    for (end, &time_ms) in sorted_times_ms.iter().enumerate() {
        while sorted_times_ms
            .get(start)
            .is_some_and(|&start_ms| time_ms - start_ms > window_ms)
        {
            start += 1;
        }
        if best.is_none_or(|(first, last)| end - start > last - first) {
            best = Some((start, end));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progressions_are_found_within_the_tolerance_and_not_beyond() {
        assert_eq!(
            regular_progression(&[1_000, 1_100, 1_200, 1_300], 0),
            Some(Progression::Difference { step_fen: 100 })
        );
        // Steps 100 and 101: 1 apart, 0.5 % of the mean step of 100.5.
        assert_eq!(
            regular_progression(&[1_000, 1_100, 1_201], 100),
            Some(Progression::Difference { step_fen: 100 })
        );
        assert_eq!(regular_progression(&[1_000, 1_100, 1_201], 49), None);
        assert_eq!(
            regular_progression(&[1_000, 1_100, 1_210, 1_331], 10),
            Some(Progression::Ratio {
                ratio_millionths: 1_100_000
            })
        );
        assert_eq!(regular_progression(&[1_000, 1_100], 10_000), None);
        assert_eq!(regular_progression(&[1_000, 1_000, 1_100], 10_000), None);
    }

    #[test]
    fn the_coefficient_of_variation_is_in_basis_points() {
        // Mean 100, standard deviation 1: 1 % = 100 bp.
        assert_eq!(coefficient_of_variation_bp(&[99, 101, 99, 101]), Some(100));
        assert_eq!(coefficient_of_variation_bp(&[100, 100]), Some(0));
        assert_eq!(coefficient_of_variation_bp(&[]), None);
    }

    #[test]
    fn fences_and_windows() {
        // Quartiles 2 and 4 of 1..=5 by nearest rank: fences 2 − 3 and 4 + 3.
        assert_eq!(tukey_fences([5, 1, 4, 2, 3]), Some((-1, 7)));
        assert_eq!(tukey_fences([]), None);
        assert_eq!(densest_window(&[0, 10, 11, 12, 40], 2), Some((1, 3)));
        assert_eq!(densest_window(&[0, 10], 0), Some((0, 0)));
        assert_eq!(share_bp(1, 3), 3_333);
    }
}
