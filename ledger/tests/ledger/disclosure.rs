//! What the public may read of the log while tenders take bids: bids withheld until their
//! tender's close, registrations while any tender takes bids, everything else at once.

use std::rc::Rc;

use sealbid_ledger::command::{Action, Entry, EntryBody};
use sealbid_ledger::disclosure::{Withheld, kind, withheld};
use sealbid_ledger::query::public_participants;
use sealbid_ledger::types::{LotId, Market, TenderId};

use crate::support::{Harness, lot};

/// The action's member name in `entry`'s signed payload, read from the JSON itself.
fn action_member(entry: &Entry) -> Option<String> {
    let EntryBody::Command(received) = &entry.body else {
        return None;
    };
    let payload: serde_json::Value = serde_json::from_str(&received.signed.payload).unwrap();
    let action = payload["action"].as_object().unwrap();
    assert_eq!(action.len(), 1, "{payload}");
    action.keys().next().cloned()
}

/// How each entry of the harness's log is served now, with the action it holds.
fn served(harness: &Harness) -> Vec<(Option<String>, Option<Withheld>)> {
    harness
        .log
        .iter()
        .map(|entry| (action_member(entry), withheld(harness.ledger.state(), entry)))
        .collect()
}

fn is_registration(action: Option<&str>) -> bool {
    matches!(
        action,
        Some("register_bidder" | "approve_bidder" | "reject_bidder" | "revoke_bidder")
    )
}

fn is_bid(action: Option<&str>) -> bool {
    matches!(action, Some("submit_bid" | "replace_bid" | "withdraw_bid"))
}

/// Bidders 0 and 1 bid on lot 1, bidder 0 replaces its bid and bidder 1 withdraws.
fn bid_replace_withdraw(harness: &mut Harness, tender: &TenderId) {
    harness.bid(tender, "1", 0, 100, None).unwrap();
    harness.bid(tender, "1", 1, 200, None).unwrap();
    let envelope = harness.seal_offer(tender, "1", 0, 90, None);
    let first = Rc::clone(&harness.bidders[0]);
    harness
        .run(
            &first,
            Action::ReplaceBid {
                tender: tender.clone(),
                lot: LotId::parse("1").unwrap(),
                envelope_sha256: harness.carry(envelope),
            },
        )
        .unwrap();
    let second = Rc::clone(&harness.bidders[1]);
    harness
        .run(
            &second,
            Action::WithdrawBid {
                tender: tender.clone(),
                lot: LotId::parse("1").unwrap(),
            },
        )
        .unwrap();
}

#[test]
fn bids_are_withheld_until_the_close_and_registrations_while_a_tender_takes_bids() {
    let mut harness = Harness::new(3, 3);
    assert!(
        served(&harness).iter().all(|(_, withheld)| withheld.is_none()),
        "with no tender taking bids everything is public"
    );
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    bid_replace_withdraw(&mut harness, &tender);

    let during = served(&harness);
    assert_eq!(during.iter().filter(|(action, _)| is_bid(action.as_deref())).count(), 4);
    assert_eq!(
        during
            .iter()
            .filter(|(action, _)| is_registration(action.as_deref()))
            .count(),
        6
    );
    for (action, served) in &during {
        let expected = if is_bid(action.as_deref()) {
            Some(Withheld::UntilClose(tender.clone()))
        } else if is_registration(action.as_deref()) {
            Some(Withheld::WhileBidding)
        } else {
            None
        };
        assert_eq!(*served, expected, "{action:?}");
    }
    let public = serde_json::to_string(&public_participants(harness.ledger.state()).collect::<Vec<_>>()).unwrap();
    for bidder in &harness.bidders {
        assert!(!public.contains(&bidder.public_key().to_string()), "{public}");
    }
    assert!(public.contains(&harness.office.public_key().to_string()));

    harness.close(&tender);
    assert!(
        served(&harness).iter().all(|(_, withheld)| withheld.is_none()),
        "the close releases everything when no other tender takes bids"
    );
}

#[test]
fn a_close_releases_only_its_own_tenders_bids() {
    let mut harness = Harness::new(3, 3);
    let first = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    harness.bid(&first, "1", 0, 100, None).unwrap();
    let mut spec = harness.spec(Market::Procurement, vec![lot("1")], 2);
    spec.deadline_ms += 10 * crate::support::HOUR_MS;
    let second = harness.publish(spec);
    harness.bid(&second, "1", 1, 100, None).unwrap();
    harness.close(&first);

    let after = served(&harness);
    let bids: Vec<&Option<Withheld>> = after
        .iter()
        .filter(|(action, _)| is_bid(action.as_deref()))
        .map(|(_, withheld)| withheld)
        .collect();
    assert_eq!(bids, [&None, &Some(Withheld::UntilClose(second.clone()))]);
    assert!(
        after
            .iter()
            .filter(|(action, _)| is_registration(action.as_deref()))
            .all(|(_, withheld)| *withheld == Some(Withheld::WhileBidding)),
        "registrations stay withheld while the second tender takes bids"
    );
}

#[test]
fn a_cancellation_releases_the_tenders_bids() {
    let mut harness = Harness::new(3, 2);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    bid_replace_withdraw(&mut harness, &tender);
    assert!(served(&harness).iter().any(|(_, withheld)| withheld.is_some()));
    harness
        .office_runs(Action::CancelTender {
            tender: tender.clone(),
            reason: "the budget was withdrawn".into(),
        })
        .unwrap();
    assert!(served(&harness).iter().all(|(_, withheld)| withheld.is_none()));
}

#[test]
fn every_entry_kind_is_the_name_the_log_holds() {
    let mut harness = Harness::new(3, 3);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    bid_replace_withdraw(&mut harness, &tender);
    harness.bid(&tender, "1", 2, 300, None).unwrap();
    harness.close_and_open(&tender);
    harness.award(&tender);
    let mut kinds = std::collections::BTreeSet::new();
    for entry in &harness.log {
        let expected = match &entry.body {
            EntryBody::Genesis(_) => "genesis".to_owned(),
            EntryBody::Close { .. } => "close".to_owned(),
            EntryBody::Lapse(_) => "lapse".to_owned(),
            EntryBody::Command(_) => action_member(entry).unwrap(),
        };
        assert_eq!(kind(entry), expected);
        kinds.insert(expected);
    }
    assert!(kinds.len() >= 14, "the run covers most kinds: {kinds:?}");
}
