//! Every award rule through whole tenders on a real ledger: sealed bids, the committee's key,
//! the opening and the award. Data-driven: each case is a market, a reserve, bids and the
//! expected outcome.

use std::rc::Rc;

use sealbid_crypto::seal::EnvelopeKind;
use sealbid_ledger::award::{FailureReason, LotOutcome};
use sealbid_ledger::command::{Action, LotSpec};
use sealbid_ledger::events::{AuditEvent, Response};
use sealbid_ledger::query::{BidsView, bids_view};
use sealbid_ledger::tender::{BidStatus, Phase};
use sealbid_ledger::types::{LotId, Market};

use crate::support::{Harness, coal_lot, lot};

/// What a lot should come to: winners as (bidder, filled tonnes, pay), or a failure.
#[derive(Debug)]
enum Expected {
    Winners(Vec<(usize, Option<u64>, u64)>),
    Failed(FailureReason),
}

struct Case {
    name: &'static str,
    market: Market,
    lot: LotSpec,
    valid_bids_min: u16,
    reserve_fen: Option<u64>,
    /// (bidder, price, tonnes), in log order.
    bids: Vec<(usize, u64, Option<u64>)>,
    /// Bidders whose bids the office disqualifies after the opening.
    disqualified: Vec<usize>,
    expected: Expected,
}

fn case(name: &'static str, market: Market, bids: Vec<(usize, u64, Option<u64>)>, expected: Expected) -> Case {
    let lot = if market == Market::CoalCoke {
        coal_lot("1", 100, 10)
    } else {
        lot("1")
    };
    Case {
        name,
        market,
        lot,
        valid_bids_min: 3,
        reserve_fen: None,
        bids,
        disqualified: vec![],
        expected,
    }
}

fn cases() -> Vec<Case> {
    use Expected::{Failed, Winners};
    use Market::*;
    vec![
        case(
            "procurement: lowest price wins",
            Procurement,
            vec![(0, 500, None), (1, 300, None), (2, 400, None)],
            Winners(vec![(1, None, 300)]),
        ),
        case(
            "construction: a tie goes to the earlier bid",
            Construction,
            vec![(2, 300, None), (0, 300, None), (1, 400, None)],
            Winners(vec![(2, None, 300)]),
        ),
        case(
            "procurement: two valid bids fail a minimum of three (流标)",
            Procurement,
            vec![(0, 500, None), (1, 300, None)],
            Failed(FailureReason::TooFewValidBids { valid: 2, required: 3 }),
        ),
        Case {
            disqualified: vec![1],
            ..case(
                "procurement: the disqualified lowest loses to the next",
                Procurement,
                vec![(0, 500, None), (1, 300, None), (2, 400, None), (3, 450, None)],
                Winners(vec![(2, None, 400)]),
            )
        },
        Case {
            disqualified: vec![1],
            ..case(
                "procurement: disqualification can fail the lot",
                Procurement,
                vec![(0, 500, None), (1, 300, None), (2, 400, None)],
                Failed(FailureReason::TooFewValidBids { valid: 2, required: 3 }),
            )
        },
        Case {
            reserve_fen: Some(1_000),
            ..case(
                "land: highest at or above the reserve, ties to the earlier",
                LandUseRight,
                vec![(0, 900, None), (1, 1_200, None), (2, 1_500, None), (3, 1_500, None)],
                Winners(vec![(2, None, 1_500)]),
            )
        },
        Case {
            reserve_fen: Some(1_000),
            ..case(
                "land: a bid exactly at the reserve wins",
                LandUseRight,
                vec![(0, 1_000, None), (1, 999, None)],
                Winners(vec![(0, None, 1_000)]),
            )
        },
        Case {
            reserve_fen: Some(1_000),
            ..case(
                "land: nothing at the reserve fails the lot",
                LandUseRight,
                vec![(0, 900, None), (1, 999, None)],
                Failed(FailureReason::NoBidAtReserve),
            )
        },
        case(
            "land: no sealed reserve fails the lot",
            LandUseRight,
            vec![(0, 900, None)],
            Failed(FailureReason::NoReservePrice),
        ),
        Case {
            reserve_fen: Some(50_000),
            ..case(
                "property rights: one qualified bidder at the reserve",
                PropertyRights,
                vec![(0, 60_000, None)],
                Winners(vec![(0, None, 60_000)]),
            )
        },
        Case {
            reserve_fen: Some(50_000),
            ..case(
                "property rights: no bids at all",
                PropertyRights,
                vec![],
                Failed(FailureReason::NoValidBids),
            )
        },
        case(
            "coal: descending price, ties to the earlier, the marginal bid partly filled, pay-as-bid",
            CoalCoke,
            vec![
                (0, 500, Some(60)),
                (1, 600, Some(30)),
                (2, 550, Some(30)),
                (3, 550, Some(20)),
            ],
            Winners(vec![
                (1, Some(30), 18_000),
                (2, Some(30), 16_500),
                (3, Some(20), 11_000),
                (0, Some(20), 10_000),
            ]),
        ),
        Case {
            lot: coal_lot("1", 100, 30),
            ..case(
                "coal: a remainder below the minimum lot is not filled",
                CoalCoke,
                vec![(0, 500, Some(50)), (1, 600, Some(80))],
                Winners(vec![(1, Some(80), 48_000)]),
            )
        },
        case("coal: no bids", CoalCoke, vec![], Failed(FailureReason::NoValidBids)),
    ]
}

#[test]
fn every_award_rule_case() {
    for case in cases() {
        let mut harness = Harness::new(3, 4);
        let mut spec = harness.spec(case.market, vec![case.lot.clone()], 2);
        spec.valid_bids_min = case.valid_bids_min;
        let tender = harness.publish(spec);
        if let Some(reserve) = case.reserve_fen {
            harness.seal_reserve(&tender, "1", reserve);
        }
        for &(bidder, price, tonnes) in &case.bids {
            harness.bid(&tender, "1", bidder, price, tonnes).unwrap();
        }
        harness.close_and_open(&tender);
        for &bidder in &case.disqualified {
            let bidder = harness.bidders[bidder].public_key();
            let action = Action::DisqualifyBid {
                tender: tender.clone(),
                lot: LotId::parse("1").unwrap(),
                bidder,
                reason: "qualification documents incomplete".into(),
            };
            harness.office_runs(action).unwrap();
        }
        let (applied, results) = harness.award(&tender);
        let outcome = &results[&LotId::parse("1").unwrap()];
        let expected = match &case.expected {
            Expected::Failed(reason) => LotOutcome::Failed { reason: reason.clone() },
            Expected::Winners(winners) => {
                let LotOutcome::Awarded { winners: found } = outcome else {
                    panic!("{}: {outcome:?}", case.name)
                };
                let found: Vec<(usize, Option<u64>, u64)> = found
                    .iter()
                    .map(|winner| {
                        let index = harness
                            .bidders
                            .iter()
                            .position(|key| key.public_key() == winner.bidder)
                            .unwrap();
                        (index, winner.filled_tonnes, winner.pay_fen)
                    })
                    .collect();
                assert_eq!(&found, winners, "{}", case.name);
                outcome.clone()
            }
        };
        assert_eq!(outcome, &expected, "{}", case.name);
        let record = applied.archived.expect("a final tender is archived");
        let expected_phase = if matches!(case.expected, Expected::Failed(_)) {
            Phase::Failed
        } else {
            Phase::Awarded
        };
        assert_eq!(record.tender.phase, expected_phase, "{}", case.name);
    }
}

#[test]
fn a_large_tender_opens_each_bid_to_its_own_price_whatever_its_neighbours_hold() {
    // Enough bids, on two lots, that the opening shares the key's work between them; every
    // ninth envelope holds garbage and every eleventh was sealed under the other lot.
    let bidders = 60;
    let mut harness = Harness::new(3, bidders);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1"), lot("2")], 2));
    let mut expected = Vec::new();
    for bidder in 0..bidders {
        let lot = if bidder % 2 == 0 { "1" } else { "2" };
        let other_lot = if lot == "1" { "2" } else { "1" };
        let price = 10_000 + 37 * u64::try_from(bidder).unwrap();
        let key = harness.bidders[bidder].public_key();
        let envelope = if bidder % 9 == 4 {
            expected.push((key, None, "offer:"));
            harness.seal_bytes(&tender, lot, &key.to_string(), b"garbage", EnvelopeKind::Bid)
        } else if bidder % 11 == 5 {
            expected.push((key, None, "envelope:"));
            harness.seal_offer(&tender, other_lot, bidder, price, None)
        } else {
            expected.push((key, Some(price), ""));
            harness.seal_offer(&tender, lot, bidder, price, None)
        };
        harness.submit_envelope(&tender, lot, bidder, envelope);
    }
    let invalid = expected.iter().filter(|(_, price, _)| price.is_none()).count();
    let opened = harness.close_and_open(&tender);
    assert_eq!(
        opened.response,
        Response::TenderOpened {
            valid: bidders - invalid,
            invalid
        }
    );
    let BidsView::Opened { bids, .. } = bids_view(&harness.ledger.state().tenders[&tender]) else {
        panic!()
    };
    assert_eq!(bids.len(), bidders);
    for (key, price, reason_start) in expected {
        let bid = bids.iter().find(|bid| bid.bidder == key).unwrap();
        match price {
            Some(price) => {
                assert_eq!(bid.status, BidStatus::Valid);
                assert_eq!(bid.price_fen.map(|fen| fen.get()), Some(price));
            }
            None => {
                assert!(
                    matches!(&bid.status, BidStatus::Invalid { reason } if reason.starts_with(reason_start)),
                    "{:?}",
                    bid.status
                );
                assert_eq!(bid.price_fen, None);
            }
        }
    }
}

#[test]
fn invalid_bids_are_recorded_with_their_reason_and_the_opening_goes_on() {
    let mut harness = Harness::new(3, 6);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1"), lot("2")], 2));
    for (bidder, price) in [(0, 700), (1, 600), (2, 650)] {
        harness.bid(&tender, "1", bidder, price, None).unwrap();
    }
    // Bidder 3 seals garbage, bidder 4 an offer naming lot 2 inside a bid on lot 1, bidder 5
    // a quantity where none belongs.
    let bidder3 = harness.bidders[3].public_key().to_string();
    let garbage = harness.seal_bytes(&tender, "1", &bidder3, b"not an offer", EnvelopeKind::Bid);
    let wrong_lot = harness.seal_offer(&tender, "2", 4, 100, None);
    let quantity = harness.seal_offer(&tender, "1", 5, 100, Some(5));
    for (bidder, envelope) in [(3, garbage), (4, wrong_lot), (5, quantity)] {
        harness.submit_envelope(&tender, "1", bidder, envelope);
    }
    let opened = harness.close_and_open(&tender);
    assert_eq!(opened.response, Response::TenderOpened { valid: 3, invalid: 3 });
    let invalid: Vec<_> = opened
        .events
        .iter()
        .filter(|event| matches!(event, AuditEvent::BidInvalid { .. }))
        .collect();
    assert_eq!(invalid.len(), 3);
    let BidsView::Opened { bids, .. } = bids_view(&harness.ledger.state().tenders[&tender]) else {
        panic!()
    };
    let bids = bids.to_vec();
    let reasons: Vec<String> = bids
        .iter()
        .filter_map(|bid| match &bid.status {
            BidStatus::Invalid { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert!(reasons[0].starts_with("offer:"), "{reasons:?}");
    assert!(
        reasons[1].contains("envelope"),
        "the envelope was sealed under lot 2's context: {reasons:?}"
    );
    assert!(reasons[2].contains("quantity"), "{reasons:?}");
    let (_, results) = harness.award(&tender);
    assert_eq!(
        results[&LotId::parse("1").unwrap()],
        LotOutcome::Awarded {
            winners: vec![sealbid_ledger::award::Winner {
                bidder: harness.bidders[1].public_key(),
                audit_index: match bids.iter().find(|bid| bid.bidder == harness.bidders[1].public_key()) {
                    Some(bid) => bid.audit_index,
                    None => panic!(),
                },
                price_fen: sealbid_ledger::types::Fen::new(600).unwrap(),
                filled_tonnes: None,
                pay_fen: 600,
            }]
        }
    );
    assert_eq!(
        results[&LotId::parse("2").unwrap()],
        LotOutcome::Failed {
            reason: FailureReason::TooFewValidBids { valid: 0, required: 3 }
        }
    );
}

#[test]
fn replaced_bids_count_at_their_new_position_and_withdrawn_ones_not_at_all() {
    let mut harness = Harness::new(3, 4);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 3));
    harness.bid(&tender, "1", 0, 300, None).unwrap();
    harness.bid(&tender, "1", 1, 300, None).unwrap();
    harness.bid(&tender, "1", 2, 500, None).unwrap();
    harness.bid(&tender, "1", 3, 100, None).unwrap();
    // Bidder 0 re-seals the same price: its tie position moves behind bidder 1.
    let envelope = harness.seal_offer(&tender, "1", 0, 300, None);
    let key = Rc::clone(&harness.bidders[0]);
    harness
        .run(
            &key,
            Action::ReplaceBid {
                tender: tender.clone(),
                lot: LotId::parse("1").unwrap(),
                envelope_sha256: harness.carry(envelope),
            },
        )
        .unwrap();
    let key = Rc::clone(&harness.bidders[3]);
    harness
        .run(
            &key,
            Action::WithdrawBid {
                tender: tender.clone(),
                lot: LotId::parse("1").unwrap(),
            },
        )
        .unwrap();
    harness.close_and_open(&tender);
    let (_, results) = harness.award(&tender);
    let LotOutcome::Awarded { winners } = &results[&LotId::parse("1").unwrap()] else {
        panic!()
    };
    assert_eq!(winners[0].bidder, harness.bidders[1].public_key());
}

#[test]
fn offers_of_any_price_length_seal_to_one_envelope_length_and_open_to_their_prices() {
    let mut harness = Harness::new(3, 3);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    let largest_fen = sealbid_crypto::encoding::INTEGER_MAGNITUDE_MAX;
    let short = harness.seal_offer(&tender, "1", 0, 7, None);
    let long = harness.seal_offer(&tender, "1", 1, largest_fen, None);
    assert_eq!(short.ciphertext.len(), long.ciphertext.len());
    assert_eq!(
        short.ciphertext.len(),
        sealbid_crypto::seal::Suite::P256HkdfSha256Aes256Gcm.offer_ciphertext_bytes()
    );
    // Bidder 2's envelope has the padded length but no padding inside: it is taken, and found
    // invalid at the opening.
    let opening_key = harness.ledger.state().tenders[&tender]
        .committee_key
        .as_ref()
        .unwrap()
        .opening_key;
    let bidder2 = harness.bidders[2].public_key().to_string();
    let unpadded = sealbid_crypto::seal::seal(
        &[b'x'; 256],
        &sealbid_crypto::seal::SealContext::bid(tender.as_str(), "1", &bidder2),
        &opening_key,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    assert_eq!(unpadded.ciphertext.len(), short.ciphertext.len());
    for (bidder, envelope) in [(0, short), (1, long), (2, unpadded)] {
        harness.submit_envelope(&tender, "1", bidder, envelope);
    }
    harness.close_and_open(&tender);
    let BidsView::Opened { bids, .. } = bids_view(&harness.ledger.state().tenders[&tender]) else {
        panic!("the tender is opened")
    };
    let price_of = |bidder: usize| {
        let key = harness.bidders[bidder].public_key();
        let bid = bids.iter().find(|bid| bid.bidder == key).unwrap();
        (bid.price_fen.map(|fen| fen.get()), bid.status.clone())
    };
    assert_eq!(price_of(0), (Some(7), BidStatus::Valid));
    assert_eq!(price_of(1), (Some(largest_fen), BidStatus::Valid));
    let (price, status) = price_of(2);
    assert_eq!(price, None);
    assert!(
        matches!(&status, BidStatus::Invalid { reason } if reason.contains("padding")),
        "{status:?}"
    );
}
