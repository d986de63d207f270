//! The indicators, at the three points of a tender's life where their inputs are final: the
//! close (who bid when), the opening (the prices) and the award (the winners, the market's and
//! the bidders' history, which the award then extends). Each returns its findings in a fixed
//! order (lots in the tender's order, bidders in key order), so every replica numbers them alike.

use std::collections::{BTreeMap, BTreeSet};

use sealbid_crypto::identity::PublicKey;

use crate::award::{LotOutcome, Winner};
use crate::command::LotSpec;
use crate::market::{AwardRule, MarketRules};
use crate::tender::{BidStatus, OpenedBid, Tender};
use crate::warnings::history::{History, LotRecord, MarketHistory, ROTATION_GROUP_MAX};
use crate::warnings::screens::{
    Progression, coefficient_of_variation_bp, densest_window, regular_progression, share_bp, tukey_fences,
};
use crate::warnings::thresholds::{BASIS_POINTS_PER_ONE, WarningThresholds};
use crate::warnings::{Finding, Indicator, Level, evidence, value};

/// At the close, per lot: `integrity` for a held bid that arrived at or after the deadline or
/// while the tender was suspended, `shared-address` and `submission-cluster`.
pub fn at_close(tender: &Tender, thresholds: &WarningThresholds) -> Vec<Finding> {
    let mut findings = Vec::new();
    for lot in &tender.spec.lots {
        let Some(lot_bids) = tender.bids.get(&lot.id) else {
            continue;
        };
        let late: Vec<(u64, PublicKey, u64)> = lot_bids
            .iter()
            .filter(|(_, bid)| {
                bid.arrived_at_ms >= tender.deadline_ms || tender.suspended_at_arrival(bid.arrived_at_ms).is_some()
            })
            .map(|(bidder, bid)| (bid.audit_index, *bidder, bid.arrived_at_ms))
            .collect();
        if let Some(latest_ms) = late.iter().map(|(_, _, arrived_at_ms)| *arrived_at_ms).max() {
            findings.push(Finding::on_lot(
                Indicator::Integrity,
                Level::Red,
                &lot.id,
                late.iter().map(|(audit_index, bidder, _)| (*audit_index, *bidder)),
                [
                    ("deadline_ms", value(tender.deadline_ms)),
                    ("latest_arrival_ms", value(latest_ms)),
                ],
            ));
        }
        findings.extend(shared_address(lot, lot_bids));
        let mut arrivals: Vec<(u64, u64, PublicKey)> = lot_bids
            .iter()
            .map(|(bidder, bid)| (bid.arrived_at_ms, bid.audit_index, *bidder))
            .collect();
        arrivals.sort_unstable();
        findings.extend(submission_cluster(lot, &arrivals, thresholds));
    }
    findings
}

/// `shared-address`: one finding per source tag that two or more of the lot's bids carry, in the
/// order of each group's first bid.
fn shared_address(lot: &LotSpec, lot_bids: &BTreeMap<PublicKey, crate::tender::Bid>) -> Vec<Finding> {
    let mut by_tag: BTreeMap<sealbid_crypto::merkle::Hash, Vec<(u64, PublicKey)>> = BTreeMap::new();
    for (bidder, bid) in lot_bids {
        if let Some(tag) = bid.source_tag {
            by_tag.entry(tag).or_default().push((bid.audit_index, *bidder));
        }
    }
    let mut groups: Vec<Vec<(u64, PublicKey)>> = by_tag.into_values().filter(|group| group.len() >= 2).collect();
    for group in &mut groups {
        group.sort_unstable();
    }
    groups.sort_unstable();
    groups
        .into_iter()
        .map(|group| {
            let bids = value(group.len() as u64);
            Finding::on_lot(
                Indicator::SharedAddress,
                Level::Yellow,
                &lot.id,
                group,
                [("bids", bids)],
            )
        })
        .collect()
}

/// `submission-cluster`: the densest window of a lot's arrivals (time, audit index, bidder;
/// sorted), if it holds enough of the lot's bidders.
fn submission_cluster(
    lot: &LotSpec,
    arrivals: &[(u64, u64, PublicKey)],
    thresholds: &WarningThresholds,
) -> Option<Finding> {
    let times: Vec<u64> = arrivals.iter().map(|(time_ms, _, _)| *time_ms).collect();
    let (first, last) = densest_window(&times, thresholds.submission_cluster_window_ms)?;
    let cluster = arrivals.get(first..=last)?;
    let bidders = cluster.len() as u64;
    let share = share_bp(bidders, arrivals.len() as u64);
    if bidders < thresholds.submission_cluster_bidders_min || share < thresholds.submission_cluster_share_bp {
        return None;
    }
    let span_ms = times.get(last)? - times.get(first)?;
    Some(Finding::on_lot(
        Indicator::SubmissionCluster,
        Level::Notice,
        &lot.id,
        cluster.iter().map(|(_, audit_index, bidder)| (*audit_index, *bidder)),
        [
            ("bidders_in_window", value(bidders)),
            ("lot_bidders", value(arrivals.len() as u64)),
            ("span_ms", value(span_ms)),
            ("share_bp", value(share)),
            (
                "submission_cluster_window_ms",
                value(thresholds.submission_cluster_window_ms),
            ),
            (
                "submission_cluster_bidders_min",
                value(thresholds.submission_cluster_bidders_min),
            ),
            (
                "submission_cluster_share_bp",
                value(thresholds.submission_cluster_share_bp),
            ),
        ],
    ))
}

/// A valid opened bid with its price, as the price indicators read it.
#[derive(Debug, Clone, Copy)]
struct ValidBid {
    /// Its audit index.
    audit_index: u64,
    /// Whose.
    bidder: PublicKey,
    /// Its price.
    price_fen: u64,
}

impl ValidBid {
    /// Its audit index and bidder, as evidence takes them.
    fn entry(&self) -> (u64, PublicKey) {
        (self.audit_index, self.bidder)
    }
}

/// A lot's valid opened bids with a price, in the order given.
fn valid_prices<'a>(bids: impl Iterator<Item = &'a OpenedBid>) -> Vec<ValidBid> {
    bids.filter(|bid| bid.status == BidStatus::Valid)
        .filter_map(|bid| {
            Some(ValidBid {
                audit_index: bid.audit_index,
                bidder: bid.bidder,
                price_fen: bid.price_fen?.get(),
            })
        })
        .collect()
}

/// At the opening, per lot over its valid prices: `identical-prices`, `regular-differences`,
/// `low-variation`, then `converging-signals` (the price patterns against the lot's source
/// tags).
pub fn at_opening(tender: &Tender, thresholds: &WarningThresholds) -> Vec<Finding> {
    let Some(opening) = &tender.opening else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for lot in &tender.spec.lots {
        let valid = valid_prices(opening.bids.iter().filter(|bid| bid.lot == lot.id));
        let mut patterns = identical_prices(lot, &valid);
        patterns.extend(regular_differences(lot, &valid, thresholds));
        let converging = tender
            .bids
            .get(&lot.id)
            .and_then(|lot_bids| converging_signals(lot, lot_bids, &patterns, &valid));
        findings.extend(patterns);
        findings.extend(low_variation(lot, &valid, thresholds));
        findings.extend(converging);
    }
    findings
}

/// `converging-signals`: the bidders of the lot that a shared-address group (one source tag of
/// `lot_bids`) and a price pattern (`patterns`: identical prices, regular differences) both
/// name, two or more of them together (each such group and pattern is a pair); red, so the
/// award waits for a supervisor.
fn converging_signals(
    lot: &LotSpec,
    lot_bids: &BTreeMap<PublicKey, crate::tender::Bid>,
    patterns: &[Finding],
    valid: &[ValidBid],
) -> Option<Finding> {
    let mut named: BTreeSet<PublicKey> = BTreeSet::new();
    let mut pairs = 0_u64;
    for pattern in patterns {
        // The pattern's bidders by source tag: two or more under one tag are in one
        // shared-address group.
        let mut by_tag: BTreeMap<sealbid_crypto::merkle::Hash, Vec<PublicKey>> = BTreeMap::new();
        for bidder in &pattern.evidence.bidders {
            if let Some(tag) = lot_bids.get(bidder).and_then(|bid| bid.source_tag) {
                by_tag.entry(tag).or_default().push(*bidder);
            }
        }
        for both in by_tag.into_values().filter(|both| both.len() >= 2) {
            pairs += 1;
            named.extend(both);
        }
    }
    if named.is_empty() {
        return None;
    }
    Some(Finding::on_lot(
        Indicator::ConvergingSignals,
        Level::Red,
        &lot.id,
        valid
            .iter()
            .filter(|bid| named.contains(&bid.bidder))
            .map(ValidBid::entry),
        [("bidders", value(named.len() as u64)), ("pairs", value(pairs))],
    ))
}

/// `identical-prices`: one finding per price shared by two or more valid bids.
fn identical_prices(lot: &LotSpec, valid: &[ValidBid]) -> Vec<Finding> {
    let mut by_price: BTreeMap<u64, Vec<&ValidBid>> = BTreeMap::new();
    for bid in valid {
        by_price.entry(bid.price_fen).or_default().push(bid);
    }
    by_price
        .into_iter()
        .filter(|(_, bids)| bids.len() >= 2)
        .map(|(price_fen, bids)| {
            let values = [("price_fen", value(price_fen)), ("bids", value(bids.len() as u64))];
            Finding::on_lot(
                Indicator::IdenticalPrices,
                Level::Yellow,
                &lot.id,
                bids.into_iter().map(ValidBid::entry),
                values,
            )
        })
        .collect()
}

/// `regular-differences`: the lot's valid prices, sorted, in constant difference or ratio.
fn regular_differences(lot: &LotSpec, valid: &[ValidBid], thresholds: &WarningThresholds) -> Option<Finding> {
    let mut prices: Vec<u64> = valid.iter().map(|bid| bid.price_fen).collect();
    prices.sort_unstable();
    let progression = regular_progression(&prices, thresholds.regular_differences_tolerance_bp)?;
    let step = match progression {
        Progression::Difference { step_fen } => ("step_fen", value(step_fen)),
        Progression::Ratio { ratio_millionths } => ("ratio_millionths", value(ratio_millionths)),
    };
    Some(Finding::on_lot(
        Indicator::RegularDifferences,
        Level::Yellow,
        &lot.id,
        valid.iter().map(ValidBid::entry),
        [
            step,
            ("bids", value(prices.len() as u64)),
            (
                "regular_differences_tolerance_bp",
                value(thresholds.regular_differences_tolerance_bp),
            ),
        ],
    ))
}

/// `low-variation`: the coefficient of variation of enough valid prices below the threshold.
fn low_variation(lot: &LotSpec, valid: &[ValidBid], thresholds: &WarningThresholds) -> Option<Finding> {
    if (valid.len() as u64) < thresholds.low_variation_bids_min {
        return None;
    }
    let prices: Vec<u64> = valid.iter().map(|bid| bid.price_fen).collect();
    let variation_bp = coefficient_of_variation_bp(&prices)?;
    if variation_bp >= thresholds.low_variation_cv_bp {
        return None;
    }
    Some(Finding::on_lot(
        Indicator::LowVariation,
        Level::Notice,
        &lot.id,
        valid.iter().map(ValidBid::entry),
        [
            ("cv_bp", value(variation_bp)),
            ("bids", value(prices.len() as u64)),
            ("low_variation_cv_bp", value(thresholds.low_variation_cv_bp)),
            ("low_variation_bids_min", value(thresholds.low_variation_bids_min)),
        ],
    ))
}

/// One lot at the award, as the per-lot indicators read it.
struct AwardedLot<'a> {
    /// Its spec.
    spec: &'a LotSpec,
    /// Every opened bid on it.
    bids: Vec<&'a OpenedBid>,
    /// Its valid bids with their prices.
    valid: Vec<ValidBid>,
    /// Its winners (none if it failed).
    winners: &'a [Winner],
    /// Its reserve price, if the market has one and it was read.
    reserve_fen: Option<u64>,
}

/// At the award, per lot: `few-bids`, `near-ceiling`, `near-reserve`,
/// `disqualification-pattern`, `cover-spread` and `rotation`; then per bidder: `losing-streak`
/// and `repeated-withdrawal`. The market's and the bidders' history take in the tender.
pub fn at_award(tender: &Tender, history: &mut History, thresholds: &WarningThresholds) -> Vec<Finding> {
    let (Some(opening), Some(results)) = (&tender.opening, &tender.results) else {
        return Vec::new();
    };
    let rules = MarketRules::of(tender.spec.market);
    let mut findings = Vec::new();
    for spec in &tender.spec.lots {
        let bids: Vec<&OpenedBid> = opening.bids.iter().filter(|bid| bid.lot == spec.id).collect();
        let lot = AwardedLot {
            spec,
            valid: valid_prices(bids.iter().copied()),
            bids,
            winners: match results.get(&spec.id) {
                Some(LotOutcome::Awarded { winners }) => winners,
                _ => &[],
            },
            reserve_fen: opening
                .reserves
                .get(&spec.id)
                .copied()
                .flatten()
                .map(|reserve| reserve.get()),
        };
        findings.extend(few_bids(tender, &lot));
        findings.extend(near_prices(&lot, thresholds));
        findings.extend(disqualification_pattern(rules, &lot));
        let market = history.markets.entry(tender.spec.market).or_default();
        findings.extend(cover_spread(rules, &lot, market, thresholds));
        findings.extend(rotation(tender, &lot, market, thresholds));
    }
    findings.extend(bidder_history(
        tender,
        opening.bids.as_slice(),
        results,
        history,
        thresholds,
    ));
    findings
}

/// `few-bids`: a single bid on the lot, or fewer valid bids than the tender's minimum.
fn few_bids(tender: &Tender, lot: &AwardedLot<'_>) -> Option<Finding> {
    let minimum = u64::from(tender.spec.valid_bids_min);
    let (bids, valid) = (lot.bids.len() as u64, lot.valid.len() as u64);
    if bids != 1 && valid >= minimum {
        return None;
    }
    Some(Finding::on_lot(
        Indicator::FewBids,
        Level::Notice,
        &lot.spec.id,
        lot.bids.iter().map(|bid| (bid.audit_index, bid.bidder)),
        [
            ("bids", value(bids)),
            ("valid_bids", value(valid)),
            ("valid_bids_min", value(minimum)),
        ],
    ))
}

/// `near-ceiling` and `near-reserve`: a single winner's price within `near_price_bp` of the
/// lot's ceiling (below it) or reserve (above it).
fn near_prices(lot: &AwardedLot<'_>, thresholds: &WarningThresholds) -> Vec<Finding> {
    let [winner] = lot.winners else {
        return Vec::new();
    };
    let price = winner.price_fen.get();
    let near = |gap: u64, base: u64| {
        u128::from(gap) * u128::from(BASIS_POINTS_PER_ONE) <= u128::from(base) * u128::from(thresholds.near_price_bp)
    };
    let finding = |indicator: Indicator, name: &'static str, base: u64| {
        Finding::on_lot(
            indicator,
            Level::Notice,
            &lot.spec.id,
            [(winner.audit_index, winner.bidder)],
            [
                ("winning_price_fen", value(price)),
                (name, value(base)),
                ("gap_bp", value(share_bp(price.abs_diff(base), base))),
                ("near_price_bp", value(thresholds.near_price_bp)),
            ],
        )
    };
    let mut findings = Vec::new();
    if let Some(ceiling) = lot.spec.ceiling_price_fen.map(|ceiling| ceiling.get())
        && price <= ceiling
        && near(ceiling - price, ceiling)
    {
        findings.push(finding(Indicator::NearCeiling, "ceiling_price_fen", ceiling));
    }
    if let Some(reserve) = lot.reserve_fen
        && price >= reserve
        && near(price - reserve, reserve)
    {
        findings.push(finding(Indicator::NearReserve, "reserve_price_fen", reserve));
    }
    findings
}

/// `disqualification-pattern`: on an awarded lot, every priced bid but the winners'
/// disqualified, at least two of them (yellow); or else the best price disqualified (notice).
fn disqualification_pattern(rules: MarketRules, lot: &AwardedLot<'_>) -> Option<Finding> {
    if lot.winners.is_empty() {
        return None;
    }
    let priced: Vec<&&OpenedBid> = lot.bids.iter().filter(|bid| bid.price_fen.is_some()).collect();
    let disqualified: Vec<&&OpenedBid> = priced
        .iter()
        .copied()
        .filter(|bid| matches!(bid.status, BidStatus::Disqualified { .. }))
        .collect();
    let price = |bid: &OpenedBid| bid.price_fen.map_or(0, |price| price.get());
    // The best price by the award rule; ties to the earlier bid.
    let best = match rules.award {
        AwardRule::LowestPrice => priced.iter().min_by_key(|bid| (price(bid), bid.audit_index)),
        AwardRule::HighestAtReserve | AwardRule::DescendingFill => priced
            .iter()
            .min_by_key(|bid| (std::cmp::Reverse(price(bid)), bid.audit_index)),
    }?;
    let all_but_winners = disqualified.len() >= 2 && disqualified.len() + lot.winners.len() == priced.len();
    let best_disqualified = matches!(best.status, BidStatus::Disqualified { .. });
    let level = match (all_but_winners, best_disqualified) {
        (true, _) => Level::Yellow,
        (false, true) => Level::Notice,
        (false, false) => return None,
    };
    Some(Finding::on_lot(
        Indicator::DisqualificationPattern,
        level,
        &lot.spec.id,
        disqualified.iter().map(|bid| (bid.audit_index, bid.bidder)),
        [
            ("disqualified", value(disqualified.len() as u64)),
            ("priced_bids", value(priced.len() as u64)),
            ("best_price_fen", value(price(best))),
            ("best_disqualified", i64::from(best_disqualified)),
        ],
    ))
}

/// `cover-spread`: a single winner's spread to the second valid price outside the Tukey fences
/// of the market's past spreads (once it has `cover_spread_history_min` of them); the spread
/// then joins the history.
fn cover_spread(
    rules: MarketRules,
    lot: &AwardedLot<'_>,
    market: &mut MarketHistory,
    thresholds: &WarningThresholds,
) -> Option<Finding> {
    let [winner] = lot.winners else {
        return None;
    };
    let others = lot
        .valid
        .iter()
        .filter(|bid| bid.audit_index != winner.audit_index)
        .map(|bid| bid.price_fen);
    let second = match rules.award {
        AwardRule::LowestPrice => others.min(),
        AwardRule::HighestAtReserve => others.max(),
        AwardRule::DescendingFill => None,
    }?;
    let price = winner.price_fen.get();
    let spread_bp = share_bp(price.abs_diff(second), price);
    let history_lots = market.cover_spreads_bp.len() as u64;
    let enough_history = history_lots >= thresholds.cover_spread_history_min;
    let fences = tukey_fences(market.cover_spreads_bp.iter().copied());
    market.remember_spread(spread_bp);
    let (low, high) = fences.filter(|_| enough_history)?;
    let spread = value(spread_bp);
    if (low..=high).contains(&spread) {
        return None;
    }
    Some(Finding::on_lot(
        Indicator::CoverSpread,
        Level::Notice,
        &lot.spec.id,
        [(winner.audit_index, winner.bidder)],
        [
            ("spread_bp", spread),
            ("low_fence_bp", low),
            ("high_fence_bp", high),
            ("winning_price_fen", value(price)),
            ("second_price_fen", value(second)),
            ("history_lots", value(history_lots)),
            ("cover_spread_history_min", value(thresholds.cover_spread_history_min)),
        ],
    ))
}

/// `rotation`: a single-winner lot of a small group joins the market's history; the group's
/// lots there, if at least `rotation_lots_min`, won by every member in turn.
fn rotation(
    tender: &Tender,
    lot: &AwardedLot<'_>,
    market: &mut MarketHistory,
    thresholds: &WarningThresholds,
) -> Option<Finding> {
    let [winner] = lot.winners else {
        return None;
    };
    let group: BTreeSet<PublicKey> = lot.valid.iter().map(|bid| bid.bidder).collect();
    if !(2..=ROTATION_GROUP_MAX).contains(&group.len()) {
        return None;
    }
    let group: Vec<PublicKey> = group.into_iter().collect();
    market.remember_lot(LotRecord {
        tender: tender.id.clone(),
        lot: lot.spec.id.clone(),
        bidders: group.clone(),
        winner: winner.bidder,
        winning_audit_index: winner.audit_index,
    });
    let lots: Vec<&LotRecord> = market.lots.iter().filter(|record| record.bidders == group).collect();
    let winners: BTreeSet<PublicKey> = lots.iter().map(|record| record.winner).collect();
    if (lots.len() as u64) < thresholds.rotation_lots_min || winners.len() != group.len() {
        return None;
    }
    Some(Finding {
        indicator: Indicator::Rotation,
        level: Level::Yellow,
        lot: Some(lot.spec.id.clone()),
        evidence: evidence(
            lots.iter().map(|record| record.winning_audit_index).collect(),
            group,
            [
                ("lots", value(lots.len() as u64)),
                ("rotation_lots_min", value(thresholds.rotation_lots_min)),
            ],
        ),
    })
}

/// `losing-streak` and `repeated-withdrawal`, per bidder in key order, as the bidders' history
/// takes in the tender.
fn bidder_history(
    tender: &Tender,
    bids: &[OpenedBid],
    results: &BTreeMap<crate::types::LotId, LotOutcome>,
    history: &mut History,
    thresholds: &WarningThresholds,
) -> Vec<Finding> {
    let mut entries: BTreeMap<PublicKey, (Vec<u64>, bool)> = BTreeMap::new();
    for bid in bids {
        let (audit_indexes, invalid) = entries.entry(bid.bidder).or_default();
        audit_indexes.push(bid.audit_index);
        *invalid |= matches!(bid.status, BidStatus::Invalid { .. });
    }
    let winners: BTreeSet<PublicKey> = results
        .values()
        .filter_map(|outcome| match outcome {
            LotOutcome::Awarded { winners } => Some(winners.iter().map(|winner| winner.bidder)),
            LotOutcome::Failed { .. } => None,
        })
        .flatten()
        .collect();
    let mut participants: BTreeSet<PublicKey> = entries.keys().copied().collect();
    participants.extend(tender.withdrawn.keys().copied());
    let mut findings = Vec::new();
    for bidder in participants {
        let record = history.bidders.entry(bidder).or_default();
        let placed = entries.get(&bidder);
        let (mut audit_indexes, invalid) = placed.cloned().unwrap_or_default();
        if placed.is_some() {
            record.tenders += 1;
            if winners.contains(&bidder) {
                record.tenders_won += 1;
                record.tenders_without_win = 0;
            } else {
                record.tenders_without_win += 1;
                if record.tenders_without_win == thresholds.losing_streak_tenders {
                    findings.push(Finding {
                        indicator: Indicator::LosingStreak,
                        level: Level::Notice,
                        lot: None,
                        evidence: evidence(
                            audit_indexes.clone(),
                            vec![bidder],
                            [
                                ("tenders_without_win", value(record.tenders_without_win)),
                                ("tenders", value(record.tenders)),
                                ("tenders_won", value(record.tenders_won)),
                                ("losing_streak_tenders", value(thresholds.losing_streak_tenders)),
                            ],
                        ),
                    });
                }
            }
        }
        let withdrawal = tender.withdrawn.get(&bidder).copied();
        let flagged = invalid || withdrawal.is_some();
        record.remember_tender(flagged);
        let recent = thresholds.repeated_withdrawal_recent_tenders;
        let count = record.withdrawn_or_invalid_in_last(recent);
        if flagged && count >= thresholds.repeated_withdrawal_tenders_min {
            audit_indexes.extend(withdrawal);
            findings.push(Finding {
                indicator: Indicator::RepeatedWithdrawal,
                level: Level::Notice,
                lot: None,
                evidence: evidence(
                    audit_indexes,
                    vec![bidder],
                    [
                        ("tenders_withdrawn_or_invalid", value(count)),
                        ("repeated_withdrawal_recent_tenders", value(recent)),
                        (
                            "repeated_withdrawal_tenders_min",
                            value(thresholds.repeated_withdrawal_tenders_min),
                        ),
                    ],
                ),
            });
        }
    }
    findings
}
