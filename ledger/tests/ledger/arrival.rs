//! On time by arrival: a bid is on time if and only if it arrived (by the receiving node's
//! stamp) before the deadline, however late it is ordered before the close; the tender closes
//! only once the deadline plus the arrival window has passed; an arrival stamp too far ahead of
//! the entry's timestamp is refused. And admission: what a node refuses before proposing is refused by
//! apply too.

use std::rc::Rc;

use sealbid_ledger::command::{Action, Command, EntryBody};
use sealbid_ledger::state::verify_command;
use sealbid_ledger::tender::Phase;
use sealbid_ledger::types::{LotId, Market, Role, TenderId};
use sealbid_ledger::{ApplyError, Rejection};

use crate::support::{Harness, lot};

fn bidding() -> (Harness, TenderId) {
    let mut harness = Harness::new(3, 3);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    (harness, tender)
}

/// Bidder `bidder`'s signed first bid on lot 1 at `price`.
fn signed_bid(
    harness: &mut Harness,
    tender: &TenderId,
    bidder: usize,
    price: u64,
) -> sealbid_crypto::signed::SignedMessage {
    let envelope = harness.seal_offer(tender, "1", bidder, price, None);
    let key = Rc::clone(&harness.bidders[bidder]);
    harness.sign(
        &key,
        Action::SubmitBid {
            tender: tender.clone(),
            lot: LotId::parse("1").unwrap(),
            envelope_sha256: harness.carry(envelope),
        },
    )
}

#[test]
fn a_bid_that_arrived_before_the_deadline_is_on_time_however_late_it_is_ordered() {
    let (mut harness, tender) = bidding();
    let deadline_ms = harness.ledger.state().tenders[&tender].deadline_ms;
    let window_ms = harness.ledger.state().config().arrival_window_ms;
    assert!(window_ms > 10, "the default window leaves room to test inside it");

    // Arrived 1 ms before the deadline at node 2, ordered by the leader a window later.
    harness.now_ms = deadline_ms - 1 + window_ms;
    let on_time = signed_bid(&mut harness, &tender, 0, 100);
    let applied = harness
        .apply(harness.received_at(on_time, 2, deadline_ms - 1))
        .expect("arrived before the deadline");
    let bids = &harness.ledger.state().tenders[&tender].bids;
    assert_eq!(bids.values().map(|lot| lot.len()).sum::<usize>(), 1);
    assert_eq!(
        bids.values().next().unwrap().values().next().unwrap().audit_index,
        applied.audit_index
    );

    // Arrived at the deadline exactly: late, though ordered before the close.
    let late = signed_bid(&mut harness, &tender, 1, 90);
    let size = harness.ledger.audit().size();
    let result = harness.apply(harness.received_at(late, 3, deadline_ms));
    assert!(
        matches!(result, Err(ApplyError::Rejected(Rejection::Late { arrived_at_ms, .. })) if arrived_at_ms == deadline_ms),
        "{result:?}"
    );
    assert_eq!(harness.ledger.audit().size(), size);
}

#[test]
fn a_stamp_too_far_ahead_of_the_leader_is_refused_and_one_behind_it_is_not() {
    let (mut harness, tender) = bidding();
    let window_ms = harness.ledger.state().config().arrival_window_ms;
    let now_ms = harness.now_ms;
    // A node whose clock runs ahead of the leader's by more than the window.
    let message = signed_bid(&mut harness, &tender, 0, 100);
    let hash = harness.ledger.state_hash();
    let result = harness.apply(harness.received_at(message, 2, now_ms + window_ms + 1));
    assert!(
        matches!(result, Err(ApplyError::Rejected(Rejection::ArrivalOutOfWindow { window_ms: w, .. })) if w == window_ms),
        "{result:?}"
    );
    assert_eq!(harness.ledger.state_hash(), hash);
    // At the window's edge, and long behind the timestamp (a command that waited on its way),
    // the stamp is accepted.
    for (bidder, received_at_ms) in [(0, now_ms + window_ms), (1, now_ms - 10 * window_ms)] {
        let message = signed_bid(&mut harness, &tender, bidder, 100);
        harness
            .apply(harness.received_at(message, 2, received_at_ms))
            .unwrap_or_else(|error| panic!("{received_at_ms}: {error:?}"));
    }
}

#[test]
fn a_tender_closes_only_once_the_deadline_and_the_window_have_passed() {
    let (mut harness, tender) = bidding();
    let deadline_ms = harness.ledger.state().tenders[&tender].deadline_ms;
    let window_ms = harness.ledger.state().config().arrival_window_ms;
    assert_eq!(
        harness.ledger.tenders_due_to_close(deadline_ms + window_ms - 1),
        Vec::<TenderId>::new()
    );

    // At the deadline, and just before the window has passed, neither the leader nor the
    // office can close it.
    for now_ms in [deadline_ms, deadline_ms + window_ms - 1] {
        harness.now_ms = now_ms;
        let result = harness.apply(EntryBody::Close { tender: tender.clone() });
        assert!(
            matches!(&result, Err(ApplyError::Rejected(Rejection::BeforeDeadline { closes_at_ms, .. })) if *closes_at_ms == deadline_ms + window_ms),
            "{result:?}"
        );
        let office = Rc::clone(&harness.office);
        let refusal = harness.refuse(&office, Action::CloseTender { tender: tender.clone() });
        assert_eq!(refusal.code(), "before-deadline");
    }

    harness.now_ms = deadline_ms + window_ms;
    assert_eq!(
        harness.ledger.tenders_due_to_close(harness.now_ms),
        vec![tender.clone()]
    );
    harness.apply(EntryBody::Close { tender: tender.clone() }).unwrap();
    assert_eq!(harness.ledger.state().tenders[&tender].phase, Phase::Closed);
    assert_eq!(
        harness.ledger.tenders_due_to_close(harness.now_ms),
        Vec::<TenderId>::new()
    );

    // After the close a bid is late, whatever its stamp: no node can slip one in behind it.
    let message = signed_bid(&mut harness, &tender, 0, 100);
    for received_at_ms in [harness.now_ms, deadline_ms - 1] {
        let result = harness.apply(harness.received_at(message.clone(), 2, received_at_ms));
        assert!(
            matches!(result, Err(ApplyError::Rejected(Rejection::Late { .. }))),
            "{result:?}"
        );
    }
}

#[test]
fn admission_refuses_what_apply_refuses_and_names_what_a_lagging_node_must_leave_to_the_leader() {
    let (mut harness, tender) = bidding();
    let now_ms = harness.now_ms;
    let stranger = sealbid_crypto::identity::IdentityKeyPair::from_seed(&[99; 32]).unwrap();
    let bidder = Rc::clone(&harness.bidders[0]);
    let action = Action::WithdrawBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
    };
    let command = |nonce: u64, expires_at_ms: u64| Command {
        nonce,
        expires_at_ms,
        action: action.clone(),
    };

    // A stranger's key holds no bidder role: refused, and a lagging node leaves it to the leader.
    let refusal = harness
        .ledger
        .admit(&stranger.public_key(), &command(1, now_ms + 1_000), None, now_ms)
        .unwrap_err();
    assert_eq!(refusal, Rejection::MissingRole(Role::Bidder));
    assert!(refusal.may_change());
    let applied = harness.refuse(&stranger, action.clone());
    assert_eq!(applied, Rejection::MissingRole(Role::Bidder));

    // Expired before the earliest timestamp the leader could give it (the arrival window
    // before its arrival): refused on any node. Expired a moment ago, it may still be in time
    // at such a timestamp, and how far ahead a command expires is judged at the timestamp: both
    // are left to the log.
    let window_ms = harness.ledger.state().config().arrival_window_ms;
    let expired = harness
        .ledger
        .admit(&bidder.public_key(), &command(2, now_ms - window_ms - 1), None, now_ms)
        .unwrap_err();
    assert!(matches!(expired, Rejection::Expired { .. }) && !expired.may_change());
    for expires_at_ms in [now_ms - 1, now_ms + 2 * crate::support::HOUR_MS] {
        assert_eq!(
            harness
                .ledger
                .admit(&bidder.public_key(), &command(3, expires_at_ms), None, now_ms),
            Ok(()),
            "{expires_at_ms}"
        );
    }
    // A used nonce names the entry that used it.
    let first = signed_bid(&mut harness, &tender, 0, 100);
    let first_command = verify_command(&first).unwrap();
    let applied = harness.apply(harness.received(first.clone())).unwrap();
    assert_eq!(
        harness.ledger.admit(&first.signer, &first_command, None, now_ms),
        Err(Rejection::ReplayedNonce {
            nonce: first_command.nonce,
            first_audit_index: applied.audit_index,
        })
    );

    // A bad signature and a non-canonical payload are refused before any state is read.
    let mut forged = first.clone();
    forged.signature = sealbid_crypto::identity::Signature([7; 64]);
    assert_eq!(verify_command(&forged), Err(Rejection::BadSignature));
    // Signed as sent, but not in canonical form (a space after the brace).
    let spaced = first.payload.replacen('{', "{ ", 1);
    let spaced = sealbid_crypto::signed::SignedMessage {
        signature: bidder.sign(spaced.as_bytes()),
        payload: spaced,
        ..first.clone()
    };
    assert!(
        matches!(verify_command(&spaced), Err(Rejection::Malformed(_))),
        "{:?}",
        verify_command(&spaced)
    );
    let not_a_command = sealbid_crypto::signed::SignedMessage::sign(&bidder, &serde_json::json!({"nonce": 1})).unwrap();
    assert!(matches!(verify_command(&not_a_command), Err(Rejection::Malformed(_))));

    // Once the tender has closed, a bid is refused at admission as late.
    harness.close(&tender);
    let late = signed_bid(&mut harness, &tender, 1, 90);
    let late_command = verify_command(&late).unwrap();
    let late_envelope = harness.envelopes.borrow()[late_command.action.envelope_sha256().unwrap()].clone();
    let refusal = harness
        .ledger
        .admit(&late.signer, &late_command, Some(&late_envelope), harness.now_ms)
        .unwrap_err();
    assert!(matches!(refusal, Rejection::Late { .. }) && !refusal.may_change());
}
