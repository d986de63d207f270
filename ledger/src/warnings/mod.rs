//! Early warnings (电子监察: 预警): indicators of collusion and of trading gone wrong, computed
//! by the ledger from the log alone, so every replica and a supervisor's offline replay raise
//! the same warnings with the same evidence. A warning is a lead for a person, not a finding:
//! one signal alone proves nothing (a shared office network is innocent).
//!
//! Data flow: the handlers call the indicators at fixed points of a tender's life, each a pure
//! function of the tender and the [`history`] of its market and bidders: the close
//! ([`indicators::at_close`]), the opening ([`indicators::at_opening`]) and the award
//! ([`indicators::at_award`], which also updates the history). Each gives [`Finding`]s; the
//! state numbers them into [`Warning`]s (`W-000001`, …) with the entry that raised them and the
//! thresholds in force ([`thresholds`]). Two red warnings come from elsewhere: the committee's
//! readiness, judged once at the set time before the deadline (`committee-unready`), and a
//! supervisor's witness reporting a fork of the log (`integrity`, about no tender). Supervisors
//! then decide on each ([`disposition`]): a red warning holds its tender's award (one about the
//! log, every award) until one does.

pub mod disposition;
pub mod history;
pub mod indicators;
pub mod screens;
pub mod thresholds;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::types::{LotId, TenderId, WarningId};

/// The most warnings of open tenders the state holds: past it, the oldest leave memory. A
/// final tender's warnings leave with it, in its archive record.
pub const WARNINGS_HELD_MAX: usize = 100_000;

/// What a warning indicates; its code is stable (docs/protocol.md §10.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Indicator {
    /// Commands of two or more bidders of one lot came from one address (实施条例 Art. 40(1)).
    SharedAddress,
    /// Two or more valid bids of one lot at the same price (实施条例 Art. 40(4); cardinal R028).
    IdenticalPrices,
    /// A lot's valid prices in constant difference or constant ratio (实施条例 Art. 40(4)).
    RegularDifferences,
    /// A lot's valid prices vary too little (the variance screen).
    LowVariation,
    /// The gap between the winning and the second price far outside the market's history
    /// (cardinal R024/R058).
    CoverSpread,
    /// Most of a lot's bidders submitted within seconds of each other.
    SubmissionCluster,
    /// A single bid, or fewer valid bids than the minimum (cardinal R018; 实施条例 Art. 44).
    FewBids,
    /// The winning price close to the lot's ceiling price (最高投标限价).
    NearCeiling,
    /// The winning price close to the lot's reserve price (底价).
    NearReserve,
    /// Every bid but the winner's disqualified, or the best price disqualified (cardinal
    /// R035/R036).
    DisqualificationPattern,
    /// A bidder that bids often and never wins.
    LosingStreak,
    /// Wins rotating among a fixed group of bidders.
    Rotation,
    /// A bidder that withdrew, or whose bid was invalid, in several recent tenders.
    RepeatedWithdrawal,
    /// Two or more bidders of one lot named both by a shared address and by a price pattern
    /// (identical prices or regular differences): two of 实施条例 Art. 40's cases at once.
    ConvergingSignals,
    /// Fewer than t committee members proved they hold their shares by the set time before
    /// the deadline: the opening may fail.
    CommitteeUnready,
    /// An office let an objection's answer period end without answering it (实施条例 Arts. 22,
    /// 44, 54; 财政部94号令 Art. 13).
    ObjectionUnanswered,
    /// A supervisor let a complaint's review or decision period end without the act (实施条例
    /// Art. 61; 财政部94号令 Arts. 21 and 28): yellow for the review, red for the decision.
    ComplaintOverdue,
    /// Something that must never happen did.
    Integrity,
}

impl Indicator {
    /// The stable code, as it appears in the JSON.
    pub fn code(self) -> &'static str {
        match self {
            Indicator::SharedAddress => "shared-address",
            Indicator::IdenticalPrices => "identical-prices",
            Indicator::RegularDifferences => "regular-differences",
            Indicator::LowVariation => "low-variation",
            Indicator::CoverSpread => "cover-spread",
            Indicator::SubmissionCluster => "submission-cluster",
            Indicator::FewBids => "few-bids",
            Indicator::NearCeiling => "near-ceiling",
            Indicator::NearReserve => "near-reserve",
            Indicator::DisqualificationPattern => "disqualification-pattern",
            Indicator::LosingStreak => "losing-streak",
            Indicator::Rotation => "rotation",
            Indicator::RepeatedWithdrawal => "repeated-withdrawal",
            Indicator::ConvergingSignals => "converging-signals",
            Indicator::CommitteeUnready => "committee-unready",
            Indicator::ObjectionUnanswered => "objection-unanswered",
            Indicator::ComplaintOverdue => "complaint-overdue",
            Indicator::Integrity => "integrity",
        }
    }
}

/// How serious a warning is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 预警: worth a look.
    Notice,
    /// 黄牌: a pattern the rules name as a sign of collusion, or a statutory duty missed.
    Yellow,
    /// 红牌: something that must never happen, or signals strong enough that the tender's
    /// award waits for a supervisor's decision.
    Red,
}

/// What a warning rests on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The audit indexes of the entries concerned (the bids, in log order).
    pub entries: Vec<u64>,
    /// The bidders concerned, in key order.
    pub bidders: Vec<PublicKey>,
    /// The values measured, and the thresholds they were judged against, by name.
    pub values: BTreeMap<String, i64>,
}

/// What an indicator found, before the state numbers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which indicator.
    pub indicator: Indicator,
    /// How serious.
    pub level: Level,
    /// The lot, when it concerns one.
    pub lot: Option<LotId>,
    /// What it rests on.
    pub evidence: Evidence,
}

impl Finding {
    /// A finding on `lot` resting on `bids` (the audit index and bidder of each) and `values`.
    pub(crate) fn on_lot(
        indicator: Indicator,
        level: Level,
        lot: &LotId,
        bids: impl IntoIterator<Item = (u64, PublicKey)>,
        values: impl IntoIterator<Item = (&'static str, i64)>,
    ) -> Self {
        let (entries, bidders) = bids.into_iter().unzip();
        Self {
            indicator,
            level,
            lot: Some(lot.clone()),
            evidence: evidence(entries, bidders, values),
        }
    }
}

/// A warning raised by the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Warning {
    /// Its id, in the order raised.
    pub id: WarningId,
    /// Which indicator.
    pub indicator: Indicator,
    /// How serious.
    pub level: Level,
    /// The tender; absent for a warning about the log itself (a witness's report of a fork),
    /// which concerns every tender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tender: Option<TenderId>,
    /// The lot, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<LotId>,
    /// The timestamp of the entry that raised it.
    pub raised_at_ms: u64,
    /// The audit index of the entry that raised it.
    pub audit_index: u64,
    /// The audit index of the entry that set the thresholds it was judged by (0: the genesis).
    pub thresholds_set_at_audit_index: u64,
    /// What it rests on.
    pub evidence: Evidence,
    /// What supervisors decided about it, in order (at most
    /// [`disposition::DISPOSITIONS_PER_WARNING_MAX`]).
    #[serde(default)]
    pub dispositions: Vec<disposition::DispositionRecord>,
}

/// A value for [`Evidence::values`]: every quantity the ledger holds is below 2^53, so it fits.
pub(crate) fn value(quantity: u64) -> i64 {
    i64::try_from(quantity).unwrap_or(i64::MAX)
}

/// Evidence of `entries` and `bidders` (sorted and deduplicated here) with `values`.
pub(crate) fn evidence(
    mut entries: Vec<u64>,
    mut bidders: Vec<PublicKey>,
    values: impl IntoIterator<Item = (&'static str, i64)>,
) -> Evidence {
    entries.sort_unstable();
    entries.dedup();
    bidders.sort_unstable();
    bidders.dedup();
    Evidence {
        entries,
        bidders,
        values: values
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
    }
}
