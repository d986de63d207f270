//! History leaves memory: final tenders are handed out as archive records, the in-memory state
//! follows the open tenders only, and the state hash still covers everything.

use sealbid_ledger::command::Action;
use sealbid_ledger::query::{BidsView, bids_view, own_bids, tender_view};
use sealbid_ledger::tender::Phase;
use sealbid_ledger::types::{LotId, Market};

use crate::support::{Harness, lot};

/// Runs one procurement tender with three bids to its award; returns the archive record.
fn run_tender(harness: &mut Harness) -> sealbid_ledger::tender::ArchiveRecord {
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    for bidder in 0..3 {
        harness.bid(&tender, "1", bidder, 100 + bidder as u64, None).unwrap();
    }
    harness.close_and_open(&tender);
    let (applied, _) = harness.award(&tender);
    applied.archived.expect("an awarded tender is archived")
}

#[test]
fn final_tenders_leave_memory_and_the_state_stays_the_same_size() {
    let mut harness = Harness::new(3, 3);
    let first = run_tender(&mut harness);
    assert_eq!(first.tender.phase, Phase::Awarded);
    assert!(harness.ledger.state().tenders.is_empty());
    // The warning indicators' history is bounded on its own (warnings::history), and so are
    // the performance tallies, by months (performance::PERFORMANCE_MONTHS_MAX); the rest of the
    // state follows the open tenders only.
    let without_history = |state: &sealbid_ledger::State| {
        let mut state = state.clone();
        state.history = Default::default();
        state.performance = Default::default();
        serde_json::to_vec(&state).unwrap().len()
    };
    let size_after_one = without_history(harness.ledger.state());
    let hash_after_one = harness.ledger.state_hash();
    for _ in 0..9 {
        run_tender(&mut harness);
    }
    let state = harness.ledger.state();
    assert!(state.tenders.is_empty());
    assert_eq!(state.archived_count, 10);
    let size_after_ten = without_history(state);
    assert!(
        size_after_ten <= size_after_one + 64,
        "memory grew with history: {size_after_one} bytes after one tender, {size_after_ten} after ten"
    );
    assert_ne!(
        harness.ledger.state_hash(),
        hash_after_one,
        "the archive digest keeps history in the hash"
    );
}

#[test]
fn a_cancelled_tender_is_archived_with_its_reason() {
    let mut harness = Harness::new(3, 1);
    let tender = harness.publish(harness.spec(Market::LandUseRight, vec![lot("A-7")], 2));
    harness.bid(&tender, "A-7", 0, 5_000_000, None).unwrap();
    let applied = harness
        .office_runs(Action::CancelTender {
            tender: tender.clone(),
            reason: "planning permission withdrawn".into(),
        })
        .unwrap();
    let record = applied.archived.unwrap();
    assert_eq!(record.tender.phase, Phase::Cancelled);
    assert_eq!(
        record.tender.cancellation.as_deref(),
        Some("planning permission withdrawn")
    );
    assert_eq!(record.tender.bid_count, 1);
    assert!(!harness.ledger.state().tenders.contains_key(&tender));
    let refused = harness.refuse(&harness.office.clone(), Action::AwardTender { tender: tender.clone() });
    assert!(matches!(refused, sealbid_ledger::Rejection::UnknownTender(_)));
}

#[test]
fn bids_are_withheld_until_the_close_and_show_no_bidder_until_the_opening() {
    let mut harness = Harness::new(3, 3);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1"), lot("2")], 2));
    let before = serde_json::to_value(tender_view(&harness.ledger.state().tenders[&tender])).unwrap();
    harness.bid(&tender, "1", 0, 100, None).unwrap();
    harness.bid(&tender, "2", 1, 200, None).unwrap();
    harness.bid(&tender, "1", 2, 300, None).unwrap();
    let state_tender = &harness.ledger.state().tenders[&tender];
    assert_eq!(
        serde_json::to_value(tender_view(state_tender)).unwrap(),
        before,
        "the public view of a tender taking bids moves with its bids"
    );
    assert_eq!(before["bid_count"], serde_json::Value::Null);
    assert_eq!(
        bids_view(state_tender),
        BidsView::Withheld {
            deadline_ms: state_tender.deadline_ms
        }
    );
    assert!(tender_view(state_tender).opening_key.is_some());
    let first_bidder = harness.bidders[0].public_key();
    let mine = own_bids(harness.ledger.state(), &first_bidder);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].lot.as_str(), "1");

    harness.close(&tender);
    let state_tender = &harness.ledger.state().tenders[&tender];
    assert_eq!(tender_view(state_tender).bid_count, Some(3));
    let view = bids_view(state_tender);
    let BidsView::Sealed { counts, bids } = &view else {
        panic!("{view:?}")
    };
    assert_eq!(counts[&LotId::parse("1").unwrap()], 2);
    assert_eq!(bids.len(), 3);
    let text = serde_json::to_string(&view).unwrap();
    for bidder in &harness.bidders {
        assert!(
            !text.contains(&bidder.public_key().to_string()),
            "a sealed view names a bidder"
        );
    }

    let threshold = usize::from(harness.ledger.state().tenders[&tender].spec.threshold);
    harness.release_shares(&tender, threshold);
    harness
        .office_runs(Action::OpenTender { tender: tender.clone() })
        .unwrap();
    let view = bids_view(&harness.ledger.state().tenders[&tender]);
    let BidsView::Opened { bids, .. } = view else { panic!() };
    assert_eq!(
        bids.iter()
            .filter_map(|bid| bid.price_fen.map(|price| price.get()))
            .collect::<Vec<_>>(),
        vec![100, 200, 300]
    );
}

#[test]
fn a_late_amendment_moves_the_deadline_out_by_the_notice_period() {
    let mut harness = Harness::new(3, 0);
    let tender = harness.publish(harness.spec(Market::Construction, vec![lot("1")], 2));
    let deadline = harness.ledger.state().tenders[&tender].deadline_ms;
    let notice = harness.ledger.state().tenders[&tender].spec.notice_period_ms;
    let early = Action::AmendTender {
        tender: tender.clone(),
        notice: "drawing 3 corrected".into(),
        deadline_ms: None,
    };
    harness.office_runs(early).unwrap();
    assert_eq!(
        harness.ledger.state().tenders[&tender].deadline_ms,
        deadline,
        "far enough ahead: unchanged"
    );
    harness.now_ms = deadline - notice / 2;
    let late = Action::AmendTender {
        tender: tender.clone(),
        notice: "quantities revised".into(),
        deadline_ms: None,
    };
    let applied = harness.office_runs(late).unwrap();
    assert_eq!(
        harness.ledger.state().tenders[&tender].deadline_ms,
        harness.now_ms + notice
    );
    assert!(matches!(
        applied.events[0],
        sealbid_ledger::events::AuditEvent::DeadlineMoved { .. }
    ));
}
