//! A bid signs its envelope's digest and carries the envelope beside it: the leaf never holds
//! the ciphertext, a replaced or withdrawn envelope leaves the state and is never opened, and a
//! replay without the erased envelopes reaches the same state.

use std::rc::Rc;

use sealbid_crypto::encoding::base64url_encode;
use sealbid_crypto::merkle::MemoryNodeStore;
use sealbid_crypto::seal::Envelope;
use sealbid_ledger::command::{Action, Entry, EntryBody};
use sealbid_ledger::envelopes::{EnvelopeAt, envelope_at, placement};
use sealbid_ledger::tender::BidStatus;
use sealbid_ledger::types::{LotId, Market, TenderId};
use sealbid_ledger::{ApplyError, Ledger, Rejection};

use crate::support::{Harness, lot};

/// A tender taking bids on lot 1, with three bidders.
fn bidding() -> (Harness, TenderId) {
    let mut harness = Harness::new(3, 3);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    (harness, tender)
}

/// The ciphertext of `envelope` as the JSON encodings write it.
fn ciphertext_text(envelope: &Envelope) -> String {
    base64url_encode(&envelope.ciphertext)
}

/// The body of the command `action` signed by bidder `bidder`, carrying `envelope` (or none).
fn body(harness: &mut Harness, bidder: usize, action: Action, envelope: Option<Envelope>) -> EntryBody {
    let key = Rc::clone(&harness.bidders[bidder]);
    let signed = harness.sign(&key, action);
    let body = EntryBody::command(signed, 1, harness.now_ms);
    match envelope {
        Some(envelope) => body.with_envelope(envelope),
        None => body,
    }
}

/// Applies `body`, expecting `rejection`, and checks that nothing changed.
fn refused(harness: &mut Harness, body: EntryBody, rejection: &Rejection) {
    let state_hash = harness.ledger.state_hash();
    let size = harness.ledger.audit().size();
    assert_eq!(harness.apply(body), Err(ApplyError::Rejected(rejection.clone())));
    assert_eq!(harness.ledger.state_hash(), state_hash);
    assert_eq!(harness.ledger.audit().size(), size);
}

#[test]
fn the_leaf_signs_the_envelopes_digest_and_holds_no_ciphertext() {
    let (mut harness, tender) = bidding();
    let envelope = harness.seal_offer(&tender, "1", 0, 1_000, None);
    let digest = envelope.sha256().unwrap();
    let action = Action::SubmitBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
        envelope_sha256: digest,
    };
    let with_envelope = body(&mut harness, 0, action, Some(envelope.clone()));
    let applied = harness.apply(with_envelope).unwrap();

    let leaf = String::from_utf8(applied.entry_bytes.clone()).unwrap();
    assert!(!leaf.contains(&ciphertext_text(&envelope)), "{leaf}");
    assert!(!leaf.contains("\"envelope\""), "{leaf}");
    // The signed payload names the digest.
    let leaf_entry: Entry = serde_json::from_str(&leaf).unwrap();
    let EntryBody::Command(received) = &leaf_entry.body else {
        panic!("a command")
    };
    let command: sealbid_ledger::command::Command = serde_json::from_str(&received.signed.payload).unwrap();
    assert_eq!(command.action.envelope_sha256(), Some(&digest));
    // The leaf is the entry without its envelope.
    let entry = harness.log.last().unwrap().clone();
    let leaf_entry = entry.leaf_form().unwrap();
    assert_eq!(
        sealbid_crypto::encoding::to_canonical(&leaf_entry).unwrap(),
        applied.entry_bytes
    );
    // The state holds the envelope with the bid, for the opening.
    let bidder = harness.bidders[0].public_key();
    let bid = &harness.ledger.state().tenders[&tender].bids[&LotId::parse("1").unwrap()][&bidder];
    assert_eq!(bid.envelope.as_deref(), Some(&envelope));
    let placed = placement(&leaf_entry).unwrap();
    assert_eq!(
        envelope_at(harness.ledger.state(), &placed, applied.audit_index),
        EnvelopeAt::Held(&envelope)
    );
    // A snapshot's copy of the state shares the bid's command and envelope instead of copying
    // them (what keeps a snapshot of a burst's bids from doubling a node's memory), and carries
    // the same values.
    let snapshot = harness.ledger.snapshot();
    let copied = &snapshot.state.tenders[&tender].bids[&LotId::parse("1").unwrap()][&bidder];
    assert!(std::sync::Arc::ptr_eq(&copied.command, &bid.command));
    assert!(std::sync::Arc::ptr_eq(
        copied.envelope.as_ref().unwrap(),
        bid.envelope.as_ref().unwrap()
    ));
    assert_eq!(&snapshot.state, harness.ledger.state());
}

#[test]
fn a_bid_without_its_envelope_or_with_another_is_refused_and_changes_nothing() {
    let (mut harness, tender) = bidding();
    let envelope = harness.seal_offer(&tender, "1", 0, 1_000, None);
    let other = harness.seal_offer(&tender, "1", 0, 2_000, None);
    let submit = Action::SubmitBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
        envelope_sha256: envelope.sha256().unwrap(),
    };

    let missing = body(&mut harness, 0, submit.clone(), None);
    refused(&mut harness, missing, &Rejection::EnvelopeMissing);
    let mismatched = body(&mut harness, 0, submit.clone(), Some(other.clone()));
    refused(&mut harness, mismatched, &Rejection::EnvelopeMismatch);
    let withdraw = Action::WithdrawBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
    };
    let unexpected = body(&mut harness, 0, withdraw.clone(), Some(envelope.clone()));
    refused(&mut harness, unexpected, &Rejection::UnexpectedEnvelope);

    // Admission refuses them alike, before anything reaches the log.
    let signer = harness.bidders[0].public_key();
    let command = |action: Action| sealbid_ledger::command::Command {
        nonce: 9_000,
        expires_at_ms: harness.now_ms + 60_000,
        action,
    };
    let now_ms = harness.now_ms;
    let admit =
        |action: Action, carried: Option<&Envelope>| harness.ledger.admit(&signer, &command(action), carried, now_ms);
    assert_eq!(admit(submit.clone(), None), Err(Rejection::EnvelopeMissing));
    assert_eq!(admit(submit.clone(), Some(&other)), Err(Rejection::EnvelopeMismatch));
    assert_eq!(admit(withdraw, Some(&envelope)), Err(Rejection::UnexpectedEnvelope));
    assert_eq!(admit(submit.clone(), Some(&envelope)), Ok(()));

    // The refusals have their own codes.
    assert_eq!(Rejection::EnvelopeMissing.code(), "envelope-missing");
    assert_eq!(Rejection::EnvelopeMismatch.code(), "envelope-mismatch");
    assert_eq!(Rejection::UnexpectedEnvelope.code(), "unexpected-envelope");

    // The same bid with its own envelope is accepted.
    let carried = body(&mut harness, 0, submit, Some(envelope));
    harness.apply(carried).unwrap();
}

/// What the three bidders did: 0 submitted and replaced, 1 submitted and withdrew, 2 submitted.
struct Bidding {
    /// The tender, opened.
    tender: TenderId,
    /// Bidder 0's first envelope (replaced) and bidder 1's (withdrawn).
    superseded: Vec<Envelope>,
    /// Their entries' positions in the harness's log.
    superseded_positions: Vec<usize>,
    /// The live envelopes: bidder 0's second and bidder 2's.
    live: Vec<Envelope>,
    /// The position of bidder 2's submission in the log.
    live_position: usize,
}

/// Runs the bidding of [`Bidding`], then closes and opens the tender.
fn bid_replace_withdraw_open(harness: &mut Harness, tender: TenderId) -> Bidding {
    let lot_one = || LotId::parse("1").unwrap();
    let first = harness.seal_offer(&tender, "1", 0, 3_000, None);
    harness.submit_envelope(&tender, "1", 0, first.clone());
    let first_position = harness.log.len() - 1;
    let second = harness.seal_offer(&tender, "1", 0, 1_500, None);
    let key = Rc::clone(&harness.bidders[0]);
    let replace = Action::ReplaceBid {
        tender: tender.clone(),
        lot: lot_one(),
        envelope_sha256: harness.carry(second.clone()),
    };
    harness.run(&key, replace).unwrap();
    let withdrawn = harness.seal_offer(&tender, "1", 1, 1_000, None);
    harness.submit_envelope(&tender, "1", 1, withdrawn.clone());
    let withdrawn_position = harness.log.len() - 1;
    let key = Rc::clone(&harness.bidders[1]);
    let withdraw = Action::WithdrawBid {
        tender: tender.clone(),
        lot: lot_one(),
    };
    harness.run(&key, withdraw).unwrap();
    let third = harness.seal_offer(&tender, "1", 2, 2_000, None);
    harness.submit_envelope(&tender, "1", 2, third.clone());
    let live_position = harness.log.len() - 1;
    harness.close_and_open(&tender);
    Bidding {
        tender,
        superseded: vec![first, withdrawn],
        superseded_positions: vec![first_position, withdrawn_position],
        live: vec![second, third],
        live_position,
    }
}

#[test]
fn replaced_and_withdrawn_envelopes_leave_the_state_and_are_never_opened() {
    let (mut harness, tender) = bidding();
    let bidding = bid_replace_withdraw_open(&mut harness, tender);

    let snapshot = serde_json::to_string(&harness.ledger.snapshot()).unwrap();
    for envelope in &bidding.superseded {
        assert!(
            !snapshot.contains(&ciphertext_text(envelope)),
            "a superseded envelope is in the state"
        );
    }
    for envelope in &bidding.live {
        assert!(
            snapshot.contains(&ciphertext_text(envelope)),
            "a live envelope is missing from the state"
        );
    }
    let tender = &harness.ledger.state().tenders[&bidding.tender];
    let opening = tender.opening.as_ref().unwrap();
    let opened: Vec<(usize, Option<u64>)> = opening
        .bids
        .iter()
        .map(|bid| {
            let bidder = harness
                .bidders
                .iter()
                .position(|key| key.public_key() == bid.bidder)
                .unwrap();
            assert_eq!(bid.status, BidStatus::Valid);
            (bidder, bid.price_fen.map(|price| price.get()))
        })
        .collect();
    assert_eq!(opened, vec![(0, Some(1_500)), (2, Some(2_000))]);
    // The routes' lookup finds the superseded entries erased and the live one held.
    for position in &bidding.superseded_positions {
        let entry = harness.log[*position].leaf_form().unwrap();
        let placed = placement(&entry).unwrap();
        let audit_index = audit_index_of(&harness, *position);
        assert_eq!(
            envelope_at(harness.ledger.state(), &placed, audit_index),
            EnvelopeAt::Erased
        );
    }
}

/// The audit index of the entry at `position` in the harness's log (every entry in these tests
/// is applied, so it is its position).
fn audit_index_of(harness: &Harness, position: usize) -> u64 {
    assert_eq!(
        harness.log.len() as u64,
        harness.ledger.audit().size(),
        "every entry was applied"
    );
    position as u64
}

/// `entries` with the envelope of the entries at `erased` left out, as the audit log serves them.
fn served(entries: &[Entry], erased: &[usize]) -> Vec<Entry> {
    entries
        .iter()
        .enumerate()
        .map(|(position, entry)| {
            if erased.contains(&position) {
                entry.leaf_form().unwrap()
            } else {
                entry.clone()
            }
        })
        .collect()
}

#[test]
fn a_replay_without_the_erased_envelopes_reaches_the_same_state() {
    let (mut harness, tender) = bidding();
    let bidding = bid_replace_withdraw_open(&mut harness, tender);
    harness.award(&bidding.tender);
    let log = served(&harness.log, &bidding.superseded_positions);

    let mut replay = Ledger::replaying(MemoryNodeStore::new());
    for entry in &log {
        replay.apply(entry).unwrap();
    }
    assert_eq!(replay.state_hash(), harness.ledger.state_hash());

    // A replica refuses a bid without its envelope.
    let mut replica = Ledger::new(MemoryNodeStore::new());
    let first_erased = bidding.superseded_positions[0];
    for entry in &log[..first_erased] {
        replica.apply(entry).unwrap();
    }
    assert_eq!(
        replica.apply(&log[first_erased]),
        Err(ApplyError::Rejected(Rejection::EnvelopeMissing))
    );

    // A replay whose log lacks a live bid's envelope cannot open the tender.
    let lacking = served(&harness.log, &[bidding.live_position]);
    let mut replay = Ledger::replaying(MemoryNodeStore::new());
    let opening = lacking
        .iter()
        .map(|entry| replay.apply(entry))
        .find(Result::is_err)
        .unwrap();
    assert_eq!(
        opening,
        Err(ApplyError::Rejected(Rejection::EnvelopeErased {
            audit_index: bidding.live_position as u64
        }))
    );
}
