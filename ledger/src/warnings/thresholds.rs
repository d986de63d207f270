//! The thresholds the indicators apply: set in the genesis configuration, changed only by a
//! supervisor's signed `set_warning_thresholds` (never by the operator alone), and named in
//! every warning they produced.

use serde::{Deserialize, Serialize};

use crate::rejection::Rejection;

/// Basis points in one: 10,000 bp = 100 %.
pub const BASIS_POINTS_PER_ONE: u64 = 10_000;

/// The most recent tenders a bidder's withdrawal record looks back over: its bound in the state.
pub const RECENT_TENDERS_MAX: u64 = 64;

/// The longest window a submission cluster may span.
pub const CLUSTER_WINDOW_MS_MAX: u64 = 60 * 60 * 1000;

/// The shortest and the longest lead before the deadline by which a committee must have proved
/// it can open: a minute and 30 days.
pub const READINESS_LEAD_MS_RANGE: std::ops::RangeInclusive<u64> = 60_000..=30 * 24 * 60 * 60 * 1000;

/// Every threshold of the early-warning indicators (docs/protocol.md §10.8). Integers only: the
/// same numbers give the same warnings on every replica and in every replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WarningThresholds {
    /// `regular-differences`: the gaps (or ratios) between a lot's sorted valid prices count as
    /// constant when the largest and the smallest step differ by at most this share of the
    /// mean step, in basis points.
    pub regular_differences_tolerance_bp: u64,
    /// `low-variation`: a lot's valid prices whose coefficient of variation is below this, in
    /// basis points, raise it...
    pub low_variation_cv_bp: u64,
    /// ... when the lot has at least this many valid prices.
    pub low_variation_bids_min: u64,
    /// `cover-spread`: how many past lots of the market the spread is judged against, at least.
    pub cover_spread_history_min: u64,
    /// `submission-cluster`: the window, from a lot's earliest arrival in it to its latest...
    pub submission_cluster_window_ms: u64,
    /// ... that holds at least this many of the lot's bidders...
    pub submission_cluster_bidders_min: u64,
    /// ... and at least this share of them, in basis points.
    pub submission_cluster_share_bp: u64,
    /// `near-ceiling`, `near-reserve`: a winning price within this share of the lot's ceiling
    /// or reserve price, in basis points.
    pub near_price_bp: u64,
    /// `losing-streak`: a bidder that took part in this many tenders in a row without winning a
    /// lot (raised when the streak reaches it).
    pub losing_streak_tenders: u64,
    /// `rotation`: the same group of bidders on at least this many lots of a market, the wins
    /// shared by every one of them.
    pub rotation_lots_min: u64,
    /// `repeated-withdrawal`: a bidder that withdrew, or whose bid was invalid, in at least this
    /// many...
    pub repeated_withdrawal_tenders_min: u64,
    /// ... of the most recent tenders it took part in (at most [`RECENT_TENDERS_MAX`]).
    pub repeated_withdrawal_recent_tenders: u64,
    /// `committee-unready`: how long before the deadline at least t committee members must have
    /// proved they hold their shares.
    pub committee_readiness_lead_ms: u64,
}

impl Default for WarningThresholds {
    fn default() -> Self {
        Self {
            regular_differences_tolerance_bp: 100,
            low_variation_cv_bp: 100,
            low_variation_bids_min: 4,
            cover_spread_history_min: 10,
            submission_cluster_window_ms: 5_000,
            submission_cluster_bidders_min: 3,
            submission_cluster_share_bp: 5_000,
            near_price_bp: 200,
            losing_streak_tenders: 10,
            rotation_lots_min: 4,
            repeated_withdrawal_tenders_min: 3,
            repeated_withdrawal_recent_tenders: 10,
            committee_readiness_lead_ms: 24 * 60 * 60 * 1000,
        }
    }
}

impl WarningThresholds {
    /// Refuses thresholds outside their ranges: shares at most 100 %, counts that make sense
    /// (at least 2 for groups, at least 1 otherwise), windows at most an hour.
    pub fn check(&self) -> Result<(), Rejection> {
        let shares = [
            (
                "regular_differences_tolerance_bp",
                self.regular_differences_tolerance_bp,
            ),
            ("low_variation_cv_bp", self.low_variation_cv_bp),
            ("submission_cluster_share_bp", self.submission_cluster_share_bp),
            ("near_price_bp", self.near_price_bp),
        ];
        for (name, value) in shares {
            if value > BASIS_POINTS_PER_ONE {
                return Err(out_of_range(name, "at most 10000 basis points"));
            }
        }
        let groups = [
            ("low_variation_bids_min", self.low_variation_bids_min),
            ("submission_cluster_bidders_min", self.submission_cluster_bidders_min),
            ("rotation_lots_min", self.rotation_lots_min),
        ];
        for (name, value) in groups {
            if !(2..=1_000).contains(&value) {
                return Err(out_of_range(name, "between 2 and 1000"));
            }
        }
        let counts = [
            ("cover_spread_history_min", self.cover_spread_history_min),
            ("losing_streak_tenders", self.losing_streak_tenders),
            ("repeated_withdrawal_tenders_min", self.repeated_withdrawal_tenders_min),
        ];
        for (name, value) in counts {
            if !(1..=1_000).contains(&value) {
                return Err(out_of_range(name, "between 1 and 1000"));
            }
        }
        if !(self.repeated_withdrawal_tenders_min..=RECENT_TENDERS_MAX)
            .contains(&self.repeated_withdrawal_recent_tenders)
        {
            return Err(out_of_range(
                "repeated_withdrawal_recent_tenders",
                "between repeated_withdrawal_tenders_min and 64",
            ));
        }
        if !(1..=CLUSTER_WINDOW_MS_MAX).contains(&self.submission_cluster_window_ms) {
            return Err(out_of_range("submission_cluster_window_ms", "between 1 and 3600000"));
        }
        if !READINESS_LEAD_MS_RANGE.contains(&self.committee_readiness_lead_ms) {
            return Err(out_of_range(
                "committee_readiness_lead_ms",
                "between 60000 and 2592000000",
            ));
        }
        Ok(())
    }
}

/// The rejection of a threshold outside its range.
fn out_of_range(name: &'static str, range: &'static str) -> Rejection {
    Rejection::Invalid(format!("warning threshold {name} must be {range}"))
}

/// The thresholds in force, and the entry that set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ThresholdsInForce {
    /// The thresholds.
    pub thresholds: WarningThresholds,
    /// The audit index of the entry that set them: 0, the genesis, or a supervisor's
    /// `set_warning_thresholds`.
    pub set_at_audit_index: u64,
}
