//! What the indicators remember of archived tenders, bounded, so that history indicators need
//! no archived tender in memory: per market, the spreads of its recent awards and the bidders
//! and winner of its recent lots; per bidder, how often it took part and won, its current run
//! without a win, and whether it withdrew (or its bid was invalid) in each recent tender.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::types::{LotId, Market, TenderId};
use crate::warnings::thresholds::RECENT_TENDERS_MAX;

/// The most award spreads kept per market.
pub const COVER_SPREADS_KEPT: usize = 1_000;

/// The most awarded lots kept per market, for rotation.
pub const LOTS_KEPT: usize = 256;

/// The largest group of bidders rotation looks at: a lot with more valid bidders is not kept.
pub const ROTATION_GROUP_MAX: usize = 8;

/// Everything remembered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Per market.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub markets: BTreeMap<Market, MarketHistory>,
    /// Per bidder that took part in an awarded or failed tender.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bidders: BTreeMap<PublicKey, BidderHistory>,
}

impl History {
    /// Whether nothing is remembered yet (left out of the state document then).
    pub fn is_empty(&self) -> bool {
        self.markets.is_empty() && self.bidders.is_empty()
    }
}

/// A market's recent awards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketHistory {
    /// The spread of each recent single-winner award with a second valid price, oldest first:
    /// |second − winning| / winning, in basis points (at most [`COVER_SPREADS_KEPT`]).
    pub cover_spreads_bp: VecDeque<u64>,
    /// Recent awarded lots with at most [`ROTATION_GROUP_MAX`] valid bidders, oldest first (at
    /// most [`LOTS_KEPT`]).
    pub lots: VecDeque<LotRecord>,
}

impl MarketHistory {
    /// Remembers a spread, forgetting the oldest past the bound.
    pub fn remember_spread(&mut self, spread_bp: u64) {
        self.cover_spreads_bp.push_back(spread_bp);
        while self.cover_spreads_bp.len() > COVER_SPREADS_KEPT {
            self.cover_spreads_bp.pop_front();
        }
    }

    /// Remembers a lot, forgetting the oldest past the bound.
    pub fn remember_lot(&mut self, record: LotRecord) {
        self.lots.push_back(record);
        while self.lots.len() > LOTS_KEPT {
            self.lots.pop_front();
        }
    }
}

/// An awarded lot, as rotation needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotRecord {
    /// The tender.
    pub tender: TenderId,
    /// The lot.
    pub lot: LotId,
    /// Its valid bidders, in key order.
    pub bidders: Vec<PublicKey>,
    /// Its winner.
    pub winner: PublicKey,
    /// The audit index of the winning bid.
    pub winning_audit_index: u64,
}

/// A bidder's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BidderHistory {
    /// Awarded or failed tenders it had a bid in at the opening.
    pub tenders: u64,
    /// Those in which it won a lot.
    pub tenders_won: u64,
    /// Those since its last win, in a row.
    pub tenders_without_win: u64,
    /// For each recent tender it took part in (a bid at the opening, or a withdrawal), oldest
    /// first, whether it withdrew or its bid was invalid there (at most [`RECENT_TENDERS_MAX`]).
    pub recent_withdrawn_or_invalid: VecDeque<bool>,
}

impl BidderHistory {
    /// Remembers whether it withdrew or bid invalidly in one more tender.
    pub fn remember_tender(&mut self, withdrawn_or_invalid: bool) {
        self.recent_withdrawn_or_invalid.push_back(withdrawn_or_invalid);
        while self.recent_withdrawn_or_invalid.len() as u64 > RECENT_TENDERS_MAX {
            self.recent_withdrawn_or_invalid.pop_front();
        }
    }

    /// In how many of its last `recent` tenders it withdrew or bid invalidly.
    pub fn withdrawn_or_invalid_in_last(&self, recent: u64) -> u64 {
        self.recent_withdrawn_or_invalid
            .iter()
            .rev()
            .take(usize::try_from(recent).unwrap_or(usize::MAX))
            .filter(|flagged| **flagged)
            .count() as u64
    }
}
