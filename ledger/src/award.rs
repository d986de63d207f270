//! The award rules of the four markets, as pure functions of a lot's valid bids.
//!
//! | market | rule |
//! |---|---|
//! | procurement, construction | lowest price wins; fewer valid bids than the tender's minimum fails the lot (流标) |
//! | land-use right, property rights | highest price at or above the sealed reserve wins; none at or above it fails the lot |
//! | coal/coke | fill the lot's tonnes by descending price, pay-as-bid; the marginal bid is partly filled if at least the minimum lot size remains |
//!
//! Ties go to the earlier log position (the smaller audit index).

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::command::LotSpec;
use crate::market::AwardRule;
use crate::types::{Fen, Market};

/// A valid bid entering the award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Whose.
    pub bidder: PublicKey,
    /// Its log position, for ties.
    pub audit_index: u64,
    /// Its price (per tonne for coal/coke).
    pub price_fen: Fen,
    /// Coal/coke: tonnes asked for.
    pub quantity_tonnes: Option<u64>,
}

/// One winner of a lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Winner {
    /// Who.
    pub bidder: PublicKey,
    /// Its bid's audit index.
    pub audit_index: u64,
    /// Its price (per tonne for coal/coke).
    pub price_fen: Fen,
    /// Coal/coke: the tonnes it gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filled_tonnes: Option<u64>,
    /// What it pays, in fen.
    pub pay_fen: u64,
}

/// Why a lot failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// Fewer valid bids than the tender requires.
    TooFewValidBids {
        /// Valid bids.
        valid: usize,
        /// Required.
        required: u16,
    },
    /// The reserve price could not be read.
    NoReservePrice,
    /// No valid bid reached the reserve price.
    NoBidAtReserve,
    /// No valid bid at all.
    NoValidBids,
}

/// A lot's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LotOutcome {
    /// Awarded to these winners, best first.
    Awarded {
        /// The winners.
        winners: Vec<Winner>,
    },
    /// Failed (流标).
    Failed {
        /// Why.
        reason: FailureReason,
    },
}

/// Applies `market`'s award rule ([`crate::market::MarketRules`]) to a lot's valid bids.
pub fn award_lot(
    market: Market,
    lot: &LotSpec,
    valid_bids_min: u16,
    reserve: Option<Fen>,
    candidates: &[Candidate],
) -> LotOutcome {
    match market.rules().award {
        AwardRule::LowestPrice => lowest_price(valid_bids_min, candidates),
        AwardRule::HighestAtReserve => highest_at_reserve(reserve, candidates),
        AwardRule::DescendingFill => descending_fill(lot, candidates),
    }
}

/// A single winner paying its own price.
fn single_winner(candidate: &Candidate) -> LotOutcome {
    LotOutcome::Awarded {
        winners: vec![Winner {
            bidder: candidate.bidder,
            audit_index: candidate.audit_index,
            price_fen: candidate.price_fen,
            filled_tonnes: None,
            pay_fen: candidate.price_fen.get(),
        }],
    }
}

/// 最低价: the lowest price, if enough valid bids.
fn lowest_price(valid_bids_min: u16, candidates: &[Candidate]) -> LotOutcome {
    if candidates.len() < usize::from(valid_bids_min.max(1)) {
        return LotOutcome::Failed {
            reason: FailureReason::TooFewValidBids {
                valid: candidates.len(),
                required: valid_bids_min.max(1),
            },
        };
    }
    match candidates
        .iter()
        .min_by_key(|candidate| (candidate.price_fen, candidate.audit_index))
    {
        Some(best) => single_winner(best),
        None => LotOutcome::Failed {
            reason: FailureReason::NoValidBids,
        },
    }
}

/// The highest price at or above the reserve.
fn highest_at_reserve(reserve: Option<Fen>, candidates: &[Candidate]) -> LotOutcome {
    let Some(reserve) = reserve else {
        return LotOutcome::Failed {
            reason: FailureReason::NoReservePrice,
        };
    };
    let best = candidates
        .iter()
        .filter(|candidate| candidate.price_fen >= reserve)
        .max_by_key(|candidate| (candidate.price_fen, std::cmp::Reverse(candidate.audit_index)));
    match (best, candidates.is_empty()) {
        (Some(best), _) => single_winner(best),
        (None, true) => LotOutcome::Failed {
            reason: FailureReason::NoValidBids,
        },
        (None, false) => LotOutcome::Failed {
            reason: FailureReason::NoBidAtReserve,
        },
    }
}

/// Multi-unit: fill by descending price, pay-as-bid, the marginal bid partly filled.
fn descending_fill(lot: &LotSpec, candidates: &[Candidate]) -> LotOutcome {
    let lot_size_min = lot.lot_size_tonnes_min.unwrap_or(1).max(1);
    let mut remaining = lot.quantity_tonnes.unwrap_or(0);
    let mut ranked: Vec<&Candidate> = candidates.iter().collect();
    ranked.sort_by_key(|candidate| (std::cmp::Reverse(candidate.price_fen), candidate.audit_index));
    let mut winners = Vec::new();
    for candidate in ranked {
        let filled = candidate.quantity_tonnes.unwrap_or(0).min(remaining);
        if filled < lot_size_min {
            break;
        }
        remaining -= filled;
        winners.push(Winner {
            bidder: candidate.bidder,
            audit_index: candidate.audit_index,
            price_fen: candidate.price_fen,
            filled_tonnes: Some(filled),
            pay_fen: candidate.price_fen.get().saturating_mul(filled),
        });
    }
    if winners.is_empty() {
        return LotOutcome::Failed {
            reason: FailureReason::NoValidBids,
        };
    }
    LotOutcome::Awarded { winners }
}
