//! Early warnings through the real ledger: for every indicator a whole tender where it fires,
//! with its evidence, and a near miss where it does not; the thresholds a supervisor sets; and a
//! replay of the log that raises the same warnings.

use std::rc::Rc;

use sealbid_crypto::merkle::MemoryNodeStore;
use sealbid_ledger::command::{Action, EntryBody, LedgerConfig, LotSpec, Source, SourceTagKey};
use sealbid_ledger::tender::BidStatus;
use sealbid_ledger::types::{Fen, LotId, Market, Role, TenderId};
use sealbid_ledger::warnings::history::{COVER_SPREADS_KEPT, History};
use sealbid_ledger::warnings::indicators::{at_award, at_close};
use sealbid_ledger::warnings::thresholds::WarningThresholds;
use sealbid_ledger::warnings::{Indicator, Level, Warning};
use sealbid_ledger::{Ledger, Rejection};

use crate::rejections::refused_command;
use crate::support::{Harness, lot};

/// Thresholds that let history indicators fire within a few tenders.
fn short_history() -> WarningThresholds {
    WarningThresholds {
        cover_spread_history_min: 3,
        losing_streak_tenders: 3,
        rotation_lots_min: 3,
        repeated_withdrawal_tenders_min: 2,
        ..WarningThresholds::default()
    }
}

/// A ledger whose genesis sets `thresholds`, with three members and `bidders` bidders.
pub(crate) fn harness(bidders: usize, thresholds: WarningThresholds) -> Harness {
    let config = LedgerConfig {
        warning_thresholds: Some(thresholds),
        ..LedgerConfig::default()
    };
    Harness::with_config(3, bidders, config)
}

/// The warnings of `indicator` on `tender`, held in the state or, once it is final, in its
/// archive record.
pub(crate) fn raised(harness: &Harness, tender: &TenderId, indicator: Indicator) -> Vec<Warning> {
    let archived = harness
        .archived
        .iter()
        .filter(|record| &record.tender.id == tender)
        .flat_map(|record| record.warnings.iter());
    harness
        .ledger
        .state()
        .warnings
        .values()
        .chain(archived)
        .filter(|warning| warning.tender.as_ref() == Some(tender) && warning.indicator == indicator)
        .cloned()
        .collect()
}

/// The audit index of the live bid of `bidder` on lot `lot`.
pub(crate) fn bid_index(harness: &Harness, tender: &TenderId, lot: &str, bidder: usize) -> u64 {
    harness.ledger.state().tenders[tender].bids[&LotId::parse(lot).unwrap()][&harness.bidders[bidder].public_key()]
        .audit_index
}

/// One value of a warning's evidence.
pub(crate) fn value(warning: &Warning, name: &str) -> i64 {
    *warning
        .evidence
        .values
        .get(name)
        .unwrap_or_else(|| panic!("{name} in {warning:?}"))
}

/// A tender of `market` on one lot `spec`; each (bidder, price) bids, one minute apart (no
/// submission cluster); then the close and the opening. Returns the tender and the bids' audit
/// indexes.
fn opened(harness: &mut Harness, market: Market, spec: LotSpec, bids: &[(usize, u64)]) -> (TenderId, Vec<u64>) {
    let tender = harness.publish(harness.spec(market, vec![spec], 2));
    let mut indexes = Vec::new();
    for &(bidder, price) in bids {
        harness.now_ms += 60_000;
        harness.bid(&tender, "1", bidder, price, None).unwrap();
        indexes.push(bid_index(harness, &tender, "1", bidder));
    }
    harness.close_and_open(&tender);
    (tender, indexes)
}

/// [`opened`], then the award.
fn awarded(harness: &mut Harness, market: Market, bids: &[(usize, u64)]) -> (TenderId, Vec<u64>) {
    let (tender, indexes) = opened(harness, market, lot("1"), bids);
    harness.award(&tender);
    (tender, indexes)
}

#[test]
fn identical_prices_fire_on_two_equal_valid_prices_and_not_on_a_fen_apart() {
    let mut harness = harness(4, WarningThresholds::default());
    let (tender, indexes) = opened(
        &mut harness,
        Market::Procurement,
        lot("1"),
        &[(0, 100_000), (1, 100_000), (2, 120_000), (3, 150_000)],
    );
    let warnings = raised(&harness, &tender, Indicator::IdenticalPrices);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = &warnings[0];
    assert_eq!(warning.level, Level::Yellow);
    assert_eq!(warning.lot, Some(LotId::parse("1").unwrap()));
    assert_eq!(warning.evidence.entries, indexes[..2].to_vec());
    let mut bidders = vec![harness.bidders[0].public_key(), harness.bidders[1].public_key()];
    bidders.sort();
    assert_eq!(warning.evidence.bidders, bidders);
    assert_eq!(value(warning, "price_fen"), 100_000);
    assert_eq!(warning.thresholds_set_at_audit_index, 0);
    let (near, _) = opened(
        &mut harness,
        Market::Procurement,
        lot("1"),
        &[(0, 100_000), (1, 100_001), (2, 120_000), (3, 150_000)],
    );
    assert!(raised(&harness, &near, Indicator::IdenticalPrices).is_empty());
}

#[test]
fn regular_differences_fire_on_a_constant_step_and_not_outside_the_tolerance() {
    let mut harness = harness(3, WarningThresholds::default());
    let (tender, indexes) = opened(
        &mut harness,
        Market::Construction,
        lot("1"),
        &[(0, 1_200_000), (1, 1_100_000), (2, 1_000_000)],
    );
    let warnings = raised(&harness, &tender, Indicator::RegularDifferences);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].evidence.entries, indexes);
    assert_eq!(value(&warnings[0], "step_fen"), 100_000);
    assert_eq!(value(&warnings[0], "regular_differences_tolerance_bp"), 100);
    // Constant ratio: 10 % each step.
    let (ratio, _) = opened(
        &mut harness,
        Market::Construction,
        lot("1"),
        &[(0, 1_000_000), (1, 1_100_000), (2, 1_210_000)],
    );
    let warnings = raised(&harness, &ratio, Indicator::RegularDifferences);
    assert_eq!(value(&warnings[0], "ratio_millionths"), 1_100_000);
    // Steps of 100,000 and 102,000: 2 % apart, beyond the 1 % tolerance.
    let (near, _) = opened(
        &mut harness,
        Market::Construction,
        lot("1"),
        &[(0, 1_000_000), (1, 1_100_000), (2, 1_202_000)],
    );
    assert!(raised(&harness, &near, Indicator::RegularDifferences).is_empty());
}

#[test]
fn low_variation_needs_four_prices_close_together() {
    let mut harness = harness(4, WarningThresholds::default());
    let close_prices = [(0, 1_000_000), (1, 1_003_000), (2, 1_001_000), (3, 1_007_000)];
    let (tender, indexes) = opened(&mut harness, Market::Procurement, lot("1"), &close_prices);
    let warnings = raised(&harness, &tender, Indicator::LowVariation);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].level, Level::Notice);
    let mut entries = indexes.clone();
    entries.sort();
    assert_eq!(warnings[0].evidence.entries, entries);
    // Mean 1,002,750, population deviation about 2,680: 26 bp.
    assert_eq!(value(&warnings[0], "cv_bp"), 26);
    let (spread, _) = opened(
        &mut harness,
        Market::Procurement,
        lot("1"),
        &[(0, 1_000_000), (1, 1_030_000), (2, 1_010_000), (3, 1_070_000)],
    );
    assert!(raised(&harness, &spread, Indicator::LowVariation).is_empty());
    let (three, _) = opened(&mut harness, Market::Procurement, lot("1"), &close_prices[..3]);
    assert!(raised(&harness, &three, Indicator::LowVariation).is_empty());
}

#[test]
fn few_bids_fire_on_a_single_bid_and_on_fewer_valid_bids_than_the_minimum() {
    let mut harness = harness(3, WarningThresholds::default());
    let (single, indexes) = awarded(&mut harness, Market::LandUseRight, &[(0, 5_000_000)]);
    let warnings = raised(&harness, &single, Indicator::FewBids);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].evidence.entries, indexes);
    assert_eq!(value(&warnings[0], "bids"), 1);
    let (two, _) = awarded(&mut harness, Market::Procurement, &[(0, 100_000), (1, 120_000)]);
    let warnings = raised(&harness, &two, Indicator::FewBids);
    assert_eq!(value(&warnings[0], "valid_bids"), 2);
    assert_eq!(value(&warnings[0], "valid_bids_min"), 3);
    let (three, _) = awarded(
        &mut harness,
        Market::Procurement,
        &[(0, 100_000), (1, 130_000), (2, 170_000)],
    );
    assert!(raised(&harness, &three, Indicator::FewBids).is_empty());
}

/// A procurement lot with a ceiling price.
fn ceiling_lot(ceiling_fen: u64) -> LotSpec {
    LotSpec {
        ceiling_price_fen: Some(Fen::new(ceiling_fen).unwrap()),
        ..lot("1")
    }
}

#[test]
fn a_bid_above_the_ceiling_is_invalid_and_a_win_just_below_it_is_near_ceiling() {
    let mut harness = harness(4, WarningThresholds::default());
    let bids = [(0, 99_000), (1, 99_500), (2, 99_800), (3, 100_001)];
    let (tender, indexes) = opened(&mut harness, Market::Procurement, ceiling_lot(100_000), &bids);
    let opening = harness.ledger.state().tenders[&tender].opening.clone().unwrap();
    let above = opening.bids.iter().find(|bid| bid.audit_index == indexes[3]).unwrap();
    assert!(
        matches!(&above.status, BidStatus::Invalid { reason } if reason.contains("above the ceiling price")),
        "{above:?}"
    );
    harness.award(&tender);
    let warnings = raised(&harness, &tender, Indicator::NearCeiling);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].evidence.entries, vec![indexes[0]]);
    assert_eq!(value(&warnings[0], "gap_bp"), 100);
    assert_eq!(value(&warnings[0], "ceiling_price_fen"), 100_000);
    let (near_miss, _) = opened(
        &mut harness,
        Market::Procurement,
        ceiling_lot(100_000),
        &[(0, 97_000), (1, 99_500), (2, 99_800)],
    );
    harness.award(&near_miss);
    assert!(raised(&harness, &near_miss, Indicator::NearCeiling).is_empty());
}

#[test]
fn a_ceiling_price_is_refused_outside_procurement_and_construction() {
    let mut harness = harness(1, WarningThresholds::default());
    let spec = harness.spec(Market::LandUseRight, vec![ceiling_lot(100_000)], 2);
    let office = Rc::clone(&harness.office);
    refused_command(
        &mut harness,
        &office,
        Action::PublishTender(spec),
        |rejection| matches!(rejection, Rejection::Invalid(reason) if reason.contains("ceiling price")),
    );
}

#[test]
fn near_reserve_fires_on_a_win_just_above_the_reserve() {
    let mut harness = harness(2, WarningThresholds::default());
    for (price, fires) in [(5_050_000, true), (5_500_000, false)] {
        let tender = harness.publish(harness.spec(Market::LandUseRight, vec![lot("1")], 2));
        harness.seal_reserve(&tender, "1", 5_000_000);
        harness.bid(&tender, "1", 0, price, None).unwrap();
        harness.now_ms += 60_000;
        harness.bid(&tender, "1", 1, 4_000_000, None).unwrap();
        let winning = bid_index(&harness, &tender, "1", 0);
        harness.close_and_open(&tender);
        harness.award(&tender);
        let warnings = raised(&harness, &tender, Indicator::NearReserve);
        assert_eq!(!warnings.is_empty(), fires, "{price}: {warnings:?}");
        if fires {
            assert_eq!(warnings[0].evidence.entries, vec![winning]);
            assert_eq!(value(&warnings[0], "gap_bp"), 100);
            assert_eq!(value(&warnings[0], "reserve_price_fen"), 5_000_000);
        }
    }
}

/// The office disqualifies `bidder`'s bid on lot 1.
fn disqualify(harness: &mut Harness, tender: &TenderId, bidder: usize) {
    let action = Action::DisqualifyBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
        bidder: harness.bidders[bidder].public_key(),
        reason: "qualification documents incomplete".into(),
    };
    harness.office_runs(action).unwrap();
}

#[test]
fn disqualification_patterns_all_but_the_winner_and_the_best_price() {
    // Land-use rights: the highest price at or above the reserve wins, with no minimum of bids.
    let mut harness = harness(5, WarningThresholds::default());
    let bids = [
        (0, 1_400_000),
        (1, 1_300_000),
        (2, 1_200_000),
        (3, 1_100_000),
        (4, 1_050_000),
    ];
    let cases: [(&[usize], Option<Level>); 3] = [
        // Only bidder 4 is left standing.
        (&[0, 1, 2, 3], Some(Level::Yellow)),
        (&[0], Some(Level::Notice)),
        (&[2], None),
    ];
    for (disqualified, level) in cases {
        let tender = harness.publish(harness.spec(Market::LandUseRight, vec![lot("1")], 2));
        harness.seal_reserve(&tender, "1", 1_000_000);
        for &(bidder, price) in &bids {
            harness.now_ms += 60_000;
            harness.bid(&tender, "1", bidder, price, None).unwrap();
        }
        let mut expected: Vec<u64> = disqualified
            .iter()
            .map(|&bidder| bid_index(&harness, &tender, "1", bidder))
            .collect();
        expected.sort();
        harness.close_and_open(&tender);
        for &bidder in disqualified {
            disqualify(&mut harness, &tender, bidder);
        }
        harness.award(&tender);
        let warnings = raised(&harness, &tender, Indicator::DisqualificationPattern);
        assert_eq!(
            warnings.first().map(|warning| warning.level),
            level,
            "{disqualified:?}: {warnings:?}"
        );
        if level.is_some() {
            assert_eq!(warnings[0].evidence.entries, expected);
            assert_eq!(value(&warnings[0], "disqualified"), disqualified.len() as i64);
            assert_eq!(value(&warnings[0], "best_price_fen"), 1_400_000);
        }
    }
}

#[test]
fn cover_spread_fires_outside_the_markets_fences_once_it_has_history() {
    let mut harness = harness(3, short_history());
    // Spreads of 10 %, 11 % and 12 %.
    for second in [110_000, 111_000, 112_000] {
        let (tender, _) = awarded(
            &mut harness,
            Market::Construction,
            &[(0, 100_000), (1, second), (2, 190_000)],
        );
        // Before three lots of history there is nothing to judge by.
        assert!(raised(&harness, &tender, Indicator::CoverSpread).is_empty());
    }
    // Sorted 1,000, 1,100, 1,200: quartiles 1,000 and 1,100 by nearest rank, fences 850 and
    // 1,250 basis points.
    let (within, _) = awarded(
        &mut harness,
        Market::Construction,
        &[(0, 100_000), (1, 111_500), (2, 190_000)],
    );
    assert!(raised(&harness, &within, Indicator::CoverSpread).is_empty());
    let (outside, indexes) = awarded(
        &mut harness,
        Market::Construction,
        &[(0, 100_000), (1, 160_000), (2, 190_000)],
    );
    let warnings = raised(&harness, &outside, Indicator::CoverSpread);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].evidence.entries, vec![indexes[0]]);
    assert_eq!(value(&warnings[0], "spread_bp"), 6_000);
    // History 1,000, 1,100, 1,150, 1,200: quartiles 1,000 and 1,150, the high fence 1,375.
    assert_eq!(value(&warnings[0], "high_fence_bp"), 1_375);
    assert_eq!(value(&warnings[0], "history_lots"), 4);
    // Another market has its own history.
    let (other, _) = awarded(
        &mut harness,
        Market::Procurement,
        &[(0, 100_000), (1, 160_000), (2, 190_000)],
    );
    assert!(raised(&harness, &other, Indicator::CoverSpread).is_empty());
}

#[test]
fn cover_spread_judges_by_the_last_thousand_spreads_of_the_market() {
    let thresholds = WarningThresholds::default();
    let mut harness = harness(3, thresholds);
    let (_, _) = awarded(
        &mut harness,
        Market::Construction,
        &[(0, 100_000), (1, 110_000), (2, 190_000)],
    );
    let ten_percent = harness.archived.last().unwrap().tender.clone();
    let (_, indexes) = awarded(
        &mut harness,
        Market::Construction,
        &[(0, 100_000), (1, 160_000), (2, 190_000)],
    );
    let sixty_percent = harness.archived.last().unwrap().tender.clone();
    // More spreads of 10 % than the history keeps: it holds the last 1,000, and the fences close
    // on them.
    let mut history = History::default();
    for _ in 0..COVER_SPREADS_KEPT + 5 {
        at_award(&ten_percent, &mut history, &thresholds);
    }
    assert_eq!(
        history.markets[&Market::Construction].cover_spreads_bp.len(),
        COVER_SPREADS_KEPT
    );
    let findings = at_award(&sixty_percent, &mut history, &thresholds);
    let spreads: Vec<_> = findings
        .iter()
        .filter(|finding| finding.indicator == Indicator::CoverSpread)
        .collect();
    assert_eq!(spreads.len(), 1, "{findings:?}");
    assert_eq!(spreads[0].evidence.entries, vec![indexes[0]]);
    let values = &spreads[0].evidence.values;
    assert_eq!(values["history_lots"], COVER_SPREADS_KEPT as i64);
    assert_eq!((values["low_fence_bp"], values["high_fence_bp"]), (1_000, 1_000));
    assert_eq!(values["spread_bp"], 6_000);
}

#[test]
fn submission_cluster_fires_when_most_bidders_submit_within_seconds() {
    let mut harness = harness(4, WarningThresholds::default());
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    harness.bid(&tender, "1", 0, 100_000, None).unwrap();
    for (bidder, price) in [(1, 110_000), (2, 120_000), (3, 130_000)] {
        harness.now_ms += if bidder == 1 { 600_000 } else { 2_000 };
        harness.bid(&tender, "1", bidder, price, None).unwrap();
    }
    let clustered: Vec<u64> = (1..4).map(|bidder| bid_index(&harness, &tender, "1", bidder)).collect();
    harness.close(&tender);
    let warnings = raised(&harness, &tender, Indicator::SubmissionCluster);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].evidence.entries, clustered);
    assert_eq!(value(&warnings[0], "bidders_in_window"), 3);
    assert_eq!(value(&warnings[0], "span_ms"), 4_000);
    // Six seconds apart each: never three within five seconds.
    let near = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    for (bidder, price) in [(0, 100_000), (1, 110_000), (2, 120_000), (3, 130_000)] {
        harness.now_ms += 6_000;
        harness.bid(&near, "1", bidder, price, None).unwrap();
    }
    harness.close(&near);
    assert!(raised(&harness, &near, Indicator::SubmissionCluster).is_empty());
}

#[test]
fn losing_streak_fires_when_a_bidder_reaches_the_streak_without_a_win() {
    let mut harness = harness(4, short_history());
    let bids = [(0, 100_000), (1, 130_000), (2, 170_000)];
    let mut raised_per_tender = Vec::new();
    for _ in 0..3 {
        let (tender, _) = awarded(&mut harness, Market::Procurement, &bids);
        raised_per_tender.push(raised(&harness, &tender, Indicator::LosingStreak));
    }
    // Nothing before the streak reaches three; then bidders 1 and 2, who lost each, not bidder 0.
    assert!(
        raised_per_tender[0].is_empty() && raised_per_tender[1].is_empty(),
        "{raised_per_tender:?}"
    );
    let streaks = &raised_per_tender[2];
    assert_eq!(streaks.len(), 2, "{streaks:?}");
    let losers = [harness.bidders[1].public_key(), harness.bidders[2].public_key()];
    for warning in streaks {
        assert!(losers.contains(&warning.evidence.bidders[0]), "{warning:?}");
        assert_eq!(value(warning, "tenders_without_win"), 3);
        assert_eq!(warning.lot, None);
    }
    // Bidder 3 loses twice, wins, loses once: no streak of three.
    let mut harness = self::harness(4, short_history());
    for winner_price in [200_000, 200_000, 50_000, 200_000] {
        let (tender, _) = awarded(
            &mut harness,
            Market::Procurement,
            &[(3, winner_price), (0, 100_000), (1, 150_000)],
        );
        let streaks = raised(&harness, &tender, Indicator::LosingStreak);
        let key = harness.bidders[3].public_key();
        assert!(
            streaks.iter().all(|warning| warning.evidence.bidders != vec![key]),
            "{streaks:?}"
        );
    }
}

#[test]
fn rotation_fires_when_a_fixed_group_shares_the_wins() {
    for (winners, fires) in [([0, 1, 2], true), ([0, 1, 1], false)] {
        let mut harness = harness(3, short_history());
        let mut winning = Vec::new();
        let mut tender = None;
        for winner in winners {
            let bids: Vec<(usize, u64)> = (0..3)
                .map(|bidder| {
                    (
                        bidder,
                        if bidder == winner {
                            100_000
                        } else {
                            150_000 + bidder as u64 * 10_000
                        },
                    )
                })
                .collect();
            let (awarded_tender, indexes) = awarded(&mut harness, Market::Construction, &bids);
            winning.push(indexes[winner]);
            tender = Some(awarded_tender);
        }
        let warnings = raised(&harness, &tender.unwrap(), Indicator::Rotation);
        assert_eq!(!warnings.is_empty(), fires, "{winners:?}: {warnings:?}");
        if fires {
            assert_eq!(warnings[0].evidence.entries, winning);
            assert_eq!(warnings[0].evidence.bidders.len(), 3);
            assert_eq!(value(&warnings[0], "lots"), 3);
        }
    }
}

#[test]
fn repeated_withdrawal_fires_on_the_second_recent_withdrawal() {
    let mut harness = harness(4, short_history());
    for (round, fires) in [(0, false), (1, true)] {
        let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
        for (bidder, price) in [(0, 100_000), (1, 130_000), (2, 170_000), (3, 180_000)] {
            harness.now_ms += 60_000;
            harness.bid(&tender, "1", bidder, price, None).unwrap();
        }
        let withdrawal = harness.ledger.audit().size();
        let bidder = Rc::clone(&harness.bidders[3]);
        harness
            .run(
                &bidder,
                Action::WithdrawBid {
                    tender: tender.clone(),
                    lot: LotId::parse("1").unwrap(),
                },
            )
            .unwrap();
        harness.close_and_open(&tender);
        harness.award(&tender);
        let warnings = raised(&harness, &tender, Indicator::RepeatedWithdrawal);
        assert_eq!(!warnings.is_empty(), fires, "round {round}: {warnings:?}");
        if fires {
            assert_eq!(warnings[0].evidence.entries, vec![withdrawal]);
            assert_eq!(warnings[0].evidence.bidders, vec![bidder.public_key()]);
            assert_eq!(value(&warnings[0], "tenders_withdrawn_or_invalid"), 2);
        }
    }
}

#[test]
fn integrity_is_red_for_a_held_bid_that_arrived_at_the_deadline() {
    // The ledger refuses such a bid, so no log can hold one: the indicator is checked on a
    // tender altered after the fact, as a damaged state would hold it.
    let mut harness = harness(3, WarningThresholds::default());
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    for (bidder, price) in [(0, 100_000), (1, 130_000)] {
        harness.now_ms += 60_000;
        harness.bid(&tender, "1", bidder, price, None).unwrap();
    }
    let thresholds = WarningThresholds::default();
    let mut state_tender = harness.ledger.state().tenders[&tender].clone();
    assert!(at_close(&state_tender, &thresholds).is_empty());
    let key = harness.bidders[1].public_key();
    let lot_id = LotId::parse("1").unwrap();
    let late = state_tender.bids.get_mut(&lot_id).unwrap().get_mut(&key).unwrap();
    late.arrived_at_ms = state_tender.deadline_ms;
    let late_index = late.audit_index;
    let findings = at_close(&state_tender, &thresholds);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].indicator, Indicator::Integrity);
    assert_eq!(findings[0].level, Level::Red);
    assert_eq!(findings[0].evidence.entries, vec![late_index]);
}

#[test]
fn only_a_supervisor_who_is_not_the_operator_sets_the_thresholds_and_warnings_name_them() {
    let mut harness = harness(4, WarningThresholds::default());
    let supervisor = harness.grant_supervisor();
    let operator = Rc::clone(&harness.operator);
    // Nor may the operator make itself a supervisor, or a supervisor an admin.
    let operator_key = operator.public_key();
    refused_command(
        &mut harness,
        &operator,
        Action::GrantRole {
            actor: operator_key,
            role: Role::Supervisor,
            name: "监察".into(),
        },
        |rejection| {
            rejection.code() == "incompatible-roles"
                && matches!(
                    rejection,
                    Rejection::IncompatibleRoles {
                        held: Role::Admin,
                        asked: Role::Supervisor,
                        ..
                    }
                )
        },
    );
    refused_command(
        &mut harness,
        &operator,
        Action::GrantRole {
            actor: supervisor.public_key(),
            role: Role::Admin,
            name: "监察".into(),
        },
        |rejection| {
            matches!(
                rejection,
                Rejection::IncompatibleRoles {
                    held: Role::Supervisor,
                    asked: Role::Admin,
                    ..
                }
            )
        },
    );
    let stricter = WarningThresholds {
        low_variation_cv_bp: 1_000,
        ..WarningThresholds::default()
    };
    let set = Action::SetWarningThresholds { thresholds: stricter };
    // The operator alone cannot, nor can anyone set a share above 100 %: nothing changes.
    refused_command(&mut harness, &operator, set.clone(), |rejection| {
        rejection == &Rejection::MissingRole(Role::Supervisor)
    });
    let broken = WarningThresholds {
        near_price_bp: 10_001,
        ..WarningThresholds::default()
    };
    refused_command(
        &mut harness,
        &supervisor,
        Action::SetWarningThresholds { thresholds: broken },
        |rejection| matches!(rejection, Rejection::Invalid(reason) if reason.contains("near_price_bp")),
    );
    let set_at = harness.run(&supervisor, set).unwrap().audit_index;
    let in_force = harness.ledger.state().thresholds();
    assert_eq!((in_force.thresholds, in_force.set_at_audit_index), (stricter, set_at));
    // Prices 5 % apart: a coefficient of variation of about 4 %, below the new 10 %.
    let (tender, _) = opened(
        &mut harness,
        Market::Procurement,
        lot("1"),
        &[(0, 1_000_000), (1, 1_050_000), (2, 1_100_000), (3, 1_020_000)],
    );
    let warnings = raised(&harness, &tender, Indicator::LowVariation);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].thresholds_set_at_audit_index, set_at);
    assert_eq!(value(&warnings[0], "low_variation_cv_bp"), 1_000);
}

#[test]
fn a_replay_of_the_log_raises_the_same_warnings_and_the_archive_keeps_them() {
    let mut harness = harness(4, short_history());
    let bids = [(0, 100_000), (1, 100_000), (2, 150_000)];
    for _ in 0..2 {
        awarded(&mut harness, Market::Procurement, &bids);
    }
    let (tender, _) = opened(&mut harness, Market::Procurement, lot("1"), &bids);
    let (applied, _) = harness.award(&tender);
    let archived = applied.archived.unwrap();
    // The tender left memory with its warnings: identical prices at the opening, and at the
    // award the third loss in a row of bidders 1 and 2.
    let state = harness.ledger.state();
    assert!(state.warnings.is_empty(), "{:?}", state.warnings);
    let indicators: Vec<(Indicator, String)> = archived
        .warnings
        .iter()
        .map(|warning| (warning.indicator, warning.id.to_string()))
        .collect();
    assert_eq!(
        indicators,
        vec![
            (Indicator::IdenticalPrices, "W-000003".to_owned()),
            (Indicator::LosingStreak, "W-000004".to_owned()),
            (Indicator::LosingStreak, "W-000005".to_owned()),
        ]
    );
    assert_eq!(state.warnings_raised, 5);
    // A replay raises the same, with the same history and state hash, and archives the same.
    let mut replay = Ledger::replaying(MemoryNodeStore::new());
    let mut replayed_archive = None;
    for entry in &harness.log {
        if let Ok(applied) = replay.apply(entry)
            && let Some(record) = applied.archived
        {
            replayed_archive = Some(record);
        }
    }
    assert_eq!(replayed_archive.unwrap().warnings, archived.warnings);
    assert_eq!(replay.state().history, state.history);
    assert_eq!(replay.state().warnings_raised, 5);
    assert_eq!(replay.state_hash(), harness.ledger.state_hash());
}

/// Bidder `bidder`'s bid at `price` on lot 1, as come from `address` and tagged with the
/// cluster's `key`.
pub(crate) fn bid_from(
    harness: &mut Harness,
    tender: &TenderId,
    bidder: usize,
    price: u64,
    address: &str,
    key: &SourceTagKey,
) -> sealbid_ledger::Applied {
    let envelope = harness.seal_offer(tender, "1", bidder, price, None);
    let signer = Rc::clone(&harness.bidders[bidder]);
    let signed = harness.sign(
        &signer,
        Action::SubmitBid {
            tender: tender.clone(),
            lot: LotId::parse("1").unwrap(),
            envelope_sha256: harness.carry(envelope),
        },
    );
    let EntryBody::Command(mut received) = harness.received(signed) else {
        panic!("a command")
    };
    let source = Source {
        address: address.parse().unwrap(),
        salt: [bidder as u8; 16],
    };
    received.arrival.source = Some(source);
    received.arrival.source_sha256 = Some(source.commitment());
    received.arrival.source_tag = Some(source.tag(key, tender));
    harness.now_ms += 60_000;
    harness.apply(EntryBody::Command(received)).unwrap()
}

#[test]
fn shared_address_fires_on_bids_of_one_lot_tagged_alike() {
    let key = SourceTagKey::derive(b"the cluster's secret");
    let mut harness = harness(4, WarningThresholds::default());
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    let addresses = ["198.51.100.7", "203.0.113.9", "198.51.100.7", "2001:db8::1"];
    let leaves: Vec<String> = addresses
        .iter()
        .enumerate()
        .map(|(bidder, address)| {
            let applied = bid_from(
                &mut harness,
                &tender,
                bidder,
                100_000 + bidder as u64 * 10_000,
                address,
                &key,
            );
            String::from_utf8(applied.entry_bytes).unwrap()
        })
        .collect();
    harness.close(&tender);
    let warnings = raised(&harness, &tender, Indicator::SharedAddress);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].level, Level::Yellow);
    assert_eq!(
        warnings[0].evidence.entries,
        vec![
            bid_index(&harness, &tender, "1", 0),
            bid_index(&harness, &tender, "1", 2)
        ]
    );
    let mut bidders = vec![harness.bidders[0].public_key(), harness.bidders[2].public_key()];
    bidders.sort();
    assert_eq!(warnings[0].evidence.bidders, bidders);
    // The leaf holds the tag, never the address; another tender's tag for the same address
    // differs, so tenders are not linked.
    assert!(!leaves[0].contains("198.51.100.7"), "{}", leaves[0]);
    assert!(leaves[0].contains("\"source_tag\""), "{}", leaves[0]);
    let source = Source {
        address: "198.51.100.7".parse().unwrap(),
        salt: [0; 16],
    };
    let other = TenderId::parse("T-000099").unwrap();
    assert_ne!(source.tag(&key, &tender), source.tag(&key, &other));
    // Near miss: every bidder from its own address.
    let near = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    let addresses = ["198.51.100.7", "203.0.113.9", "198.51.100.8"];
    for (bidder, address) in addresses.iter().enumerate() {
        bid_from(
            &mut harness,
            &near,
            bidder,
            100_000 + bidder as u64 * 10_000,
            address,
            &key,
        );
    }
    harness.close(&near);
    assert!(raised(&harness, &near, Indicator::SharedAddress).is_empty());
}
