//! Registration that proves something: a bidder's application waits for the trading centre's
//! registrar, who approves, rejects or revokes it; only an approved bidder bids, and a squatter
//! holding another company's credit code can be revoked so that the real company registers.

use std::rc::Rc;

use sealbid_crypto::identity::{IdentityKeyPair, PublicKey};
use sealbid_ledger::Rejection;
use sealbid_ledger::command::Action;
use sealbid_ledger::state::Registration;
use sealbid_ledger::tender::BidStatus;
use sealbid_ledger::types::{LotId, Market, RegistrationStatus, Role, TenderId};

use crate::rejections::refused_command;
use crate::support::{Harness, credit_code, lot};

/// A harness with one tender in bidding and a fresh key that has not applied yet.
fn applicant(seed: u8) -> (Harness, TenderId, Rc<IdentityKeyPair>) {
    let mut harness = Harness::new(3, 0);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    (
        harness,
        tender,
        Rc::new(IdentityKeyPair::from_seed(&[seed; 32]).unwrap()),
    )
}

fn register(organisation: &str, index: usize) -> Action {
    Action::RegisterBidder {
        organisation: organisation.into(),
        credit_code: credit_code(index),
    }
}

/// `key`'s bid on lot 1, sealed for real.
fn bid(harness: &Harness, tender: &TenderId, key: &IdentityKeyPair) -> Action {
    let offer = sealbid_ledger::command::Offer {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
        bidder: key.public_key(),
        price_fen: sealbid_ledger::types::Fen::new(1_000).unwrap(),
        quantity_tonnes: None,
    };
    let opening_key = harness.ledger.state().tenders[tender]
        .committee_key
        .as_ref()
        .unwrap()
        .opening_key;
    let envelope = offer.seal(&opening_key, &ring::rand::SystemRandom::new()).unwrap();
    Action::SubmitBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
        envelope_sha256: harness.carry(envelope),
    }
}

fn registration(harness: &Harness, key: &PublicKey) -> Option<Registration> {
    harness.ledger.state().participants[key].registration.clone()
}

fn wrong_status(status: RegistrationStatus) -> impl Fn(&Rejection) -> bool {
    move |rejection| matches!(rejection, Rejection::RegistrationStatus { status: found, .. } if *found == status)
}

fn not_approved(status: RegistrationStatus) -> impl Fn(&Rejection) -> bool {
    move |rejection| *rejection == Rejection::RegistrationNotApproved { status }
}

#[test]
fn a_pending_bidder_cannot_bid_until_the_registrar_approves_it() {
    let (mut harness, tender, key) = applicant(70);
    harness.run(&key, register("Pending Co.", 70)).unwrap();
    assert_eq!(registration(&harness, &key.public_key()), Some(Registration::Pending));
    let pending = harness.ledger.state().participants[&key.public_key()].clone();
    assert!(!pending.roles.contains(&Role::Bidder), "pending holds no role");
    assert!(
        harness.ledger.state().credit_codes.is_empty(),
        "a pending application holds no credit code"
    );
    let action = bid(&harness, &tender, &key);
    refused_command(
        &mut harness,
        &key,
        action.clone(),
        not_approved(RegistrationStatus::Pending),
    );
    let refusal = Rejection::RegistrationNotApproved {
        status: RegistrationStatus::Pending,
    };
    assert_eq!(refusal.code(), "registration-pending");
    assert!(
        refusal.may_change(),
        "a lagging node leaves a pending bidder's command to the leader"
    );

    harness
        .registrar_runs(Action::ApproveBidder {
            bidder: key.public_key(),
        })
        .unwrap();
    assert_eq!(registration(&harness, &key.public_key()), Some(Registration::Approved));
    harness.run(&key, action).unwrap();
}

#[test]
fn a_rejected_bidder_cannot_bid_and_may_apply_again() {
    let (mut harness, tender, key) = applicant(71);
    harness.run(&key, register("Typo Co.", 71)).unwrap();
    let reject = Action::RejectBidder {
        bidder: key.public_key(),
        reason: "the business licence does not match the name".into(),
    };
    harness.registrar_runs(reject).unwrap();
    assert!(matches!(
        registration(&harness, &key.public_key()),
        Some(Registration::Rejected { reason }) if reason.contains("licence")
    ));
    let action = bid(&harness, &tender, &key);
    refused_command(
        &mut harness,
        &key,
        action.clone(),
        not_approved(RegistrationStatus::Rejected),
    );
    // A rejected application cannot be approved without applying again.
    let registrar = Rc::clone(&harness.registrar);
    let approve = Action::ApproveBidder {
        bidder: key.public_key(),
    };
    refused_command(&mut harness, &registrar, approve.clone(), |rejection| {
        *rejection
            == Rejection::RegistrationStatus {
                status: RegistrationStatus::Rejected,
                needed: RegistrationStatus::Pending,
                decision: "approved",
            }
    });
    harness.run(&key, register("Typo Co., Ltd.", 71)).unwrap();
    assert_eq!(
        harness.ledger.state().participants[&key.public_key()].name,
        "Typo Co., Ltd.",
        "the corrected name replaces the rejected one"
    );
    harness.registrar_runs(approve).unwrap();
    harness.run(&key, action).unwrap();
}

#[test]
fn a_squatter_is_revoked_and_the_real_company_registers_with_its_code() {
    let (mut harness, tender, squatter) = applicant(72);
    let real = Rc::new(IdentityKeyPair::from_seed(&[73; 32]).unwrap());
    // Both apply with the real company's code: the squatter's application blocks nobody.
    harness.run(&squatter, register("Real Lighting Co.", 72)).unwrap();
    harness.run(&real, register("Real Lighting Co.", 72)).unwrap();
    harness
        .registrar_runs(Action::ApproveBidder {
            bidder: squatter.public_key(),
        })
        .unwrap();
    // Once a code is approved for one key, it is not approved for another.
    let registrar = Rc::clone(&harness.registrar);
    let approve_real = Action::ApproveBidder {
        bidder: real.public_key(),
    };
    refused_command(&mut harness, &registrar, approve_real.clone(), |rejection| {
        matches!(rejection, Rejection::DuplicateRegistration(_))
    });
    refused_command(
        &mut harness,
        &real,
        register("Real Lighting Co.", 72),
        |rejection| matches!(rejection, Rejection::DuplicateRegistration(reason) if reason.contains("pending")),
    );
    let squatter_bid = bid(&harness, &tender, &squatter);
    harness.run(&squatter, squatter_bid).unwrap();

    let revoke = Action::RevokeBidder {
        bidder: squatter.public_key(),
        reason: "the company's licence shows another legal representative".into(),
    };
    let revoked = harness.registrar_runs(revoke).unwrap();
    assert_eq!(
        revoked.events,
        vec![sealbid_ledger::events::AuditEvent::RoleRevoked {
            actor: squatter.public_key(),
            role: Role::Bidder
        }]
    );
    assert!(
        !harness.ledger.state().participants[&squatter.public_key()]
            .roles
            .contains(&Role::Bidder)
    );
    assert!(harness.ledger.state().credit_codes.is_empty(), "the code is free");
    let withdraw = Action::WithdrawBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
    };
    refused_command(
        &mut harness,
        &squatter,
        withdraw,
        not_approved(RegistrationStatus::Revoked),
    );

    harness.registrar_runs(approve_real).unwrap();
    let code = harness.ledger.state().participants[&real.public_key()]
        .credit_code
        .clone()
        .unwrap();
    assert_eq!(harness.ledger.state().credit_codes[&code], real.public_key());
    let real_bid = bid(&harness, &tender, &real);
    harness.run(&real, real_bid).unwrap();

    // The squatter's bid stays in the log but is never opened: it cannot win.
    harness.close_and_open(&tender);
    let sealbid_ledger::query::BidsView::Opened { bids, .. } =
        sealbid_ledger::query::bids_view(&harness.ledger.state().tenders[&tender])
    else {
        panic!("the tender is opened")
    };
    let status_of = |key: &IdentityKeyPair| {
        let opened = bids.iter().find(|opened| opened.bidder == key.public_key()).unwrap();
        (opened.price_fen, opened.status.clone())
    };
    let (price, status) = status_of(&squatter);
    assert_eq!(price, None, "a revoked bidder's offer is not opened");
    assert!(
        matches!(&status, BidStatus::Invalid { reason } if reason.contains("revoked")),
        "{status:?}"
    );
    assert_eq!(status_of(&real).1, BidStatus::Valid);
}

#[test]
fn a_revoked_or_rejected_key_may_apply_again_but_not_for_a_code_another_key_holds() {
    let (mut harness, tender, key) = applicant(76);
    let registrar = Rc::clone(&harness.registrar);
    let office = Rc::clone(&harness.office);
    harness.run(&key, register("Revoked Co.", 76)).unwrap();
    harness
        .registrar_runs(Action::ApproveBidder {
            bidder: key.public_key(),
        })
        .unwrap();
    let revoke = |reason: &str| Action::RevokeBidder {
        bidder: key.public_key(),
        reason: reason.into(),
    };
    // Only a registrar revokes, and with a proper reason.
    refused_command(&mut harness, &office, revoke("squatter"), |rejection| {
        *rejection == Rejection::MissingRole(Role::Registrar)
    });
    refused_command(&mut harness, &registrar, revoke(" "), |rejection| {
        rejection.code() == "empty-text"
    });
    harness.registrar_runs(revoke("squatter")).unwrap();
    refused_command(
        &mut harness,
        &registrar,
        revoke("again"),
        wrong_status(RegistrationStatus::Revoked),
    );
    // A revoked key applies again: pending, and it cannot replace a bid meanwhile.
    harness.run(&key, register("Revoked Co.", 76)).unwrap();
    assert_eq!(registration(&harness, &key.public_key()), Some(Registration::Pending));
    let replace = match bid(&harness, &tender, &key) {
        Action::SubmitBid {
            tender,
            lot,
            envelope_sha256,
        } => Action::ReplaceBid {
            tender,
            lot,
            envelope_sha256,
        },
        other => panic!("{other:?}"),
    };
    refused_command(&mut harness, &key, replace, not_approved(RegistrationStatus::Pending));
    // Meanwhile another key is approved with that code: the pending one cannot be approved, and
    // once rejected cannot apply with the code again.
    let other = Rc::new(IdentityKeyPair::from_seed(&[77; 32]).unwrap());
    harness.run(&other, register("Revoked Co.", 76)).unwrap();
    harness
        .registrar_runs(Action::ApproveBidder {
            bidder: other.public_key(),
        })
        .unwrap();
    let approve = Action::ApproveBidder {
        bidder: key.public_key(),
    };
    refused_command(&mut harness, &registrar, approve, |rejection| {
        matches!(rejection, Rejection::DuplicateRegistration(_))
    });
    harness
        .registrar_runs(Action::RejectBidder {
            bidder: key.public_key(),
            reason: "the code belongs to an approved company".into(),
        })
        .unwrap();
    refused_command(&mut harness, &key, register("Revoked Co.", 76), |rejection| {
        matches!(rejection, Rejection::DuplicateRegistration(_))
    });
    // A key that holds roles but never applied has no registration to decide.
    let office_key = office.public_key();
    refused_command(
        &mut harness,
        &registrar,
        Action::ApproveBidder { bidder: office_key },
        |rejection| *rejection == Rejection::NoRegistration(office_key),
    );
}

#[test]
fn registrar_decisions_are_refused_to_others_and_out_of_turn() {
    let (mut harness, _, key) = applicant(74);
    let registrar = Rc::clone(&harness.registrar);
    let office = Rc::clone(&harness.office);
    let approve = Action::ApproveBidder {
        bidder: key.public_key(),
    };
    // Nobody has applied yet.
    refused_command(&mut harness, &registrar, approve.clone(), |rejection| {
        *rejection == Rejection::NoRegistration(key.public_key())
    });
    harness.run(&key, register("Applicant Co.", 74)).unwrap();
    // Only a registrar decides, and never on its own application.
    for signer in [&office, &key] {
        refused_command(&mut harness, signer, approve.clone(), |rejection| {
            *rejection == Rejection::MissingRole(Role::Registrar)
        });
    }
    harness.run(&registrar, register("Desk Co.", 75)).unwrap();
    let own = Action::ApproveBidder {
        bidder: registrar.public_key(),
    };
    refused_command(&mut harness, &registrar, own, |rejection| {
        *rejection == Rejection::OwnRegistration
    });
    // A pending registration is not revoked; an approved one is not approved or rejected again.
    let revoke = Action::RevokeBidder {
        bidder: key.public_key(),
        reason: "none".into(),
    };
    refused_command(
        &mut harness,
        &registrar,
        revoke,
        wrong_status(RegistrationStatus::Pending),
    );
    // Reasons are checked like every text.
    for (reason, expected) in [
        ("", "empty-text"),
        ("bad\u{202e}reason", "control-character"),
        ("a\nb", "control-character"),
    ] {
        let reject = Action::RejectBidder {
            bidder: key.public_key(),
            reason: reason.into(),
        };
        refused_command(&mut harness, &registrar, reject, |rejection| {
            rejection.code() == expected
        });
    }
    harness.registrar_runs(approve.clone()).unwrap();
    refused_command(
        &mut harness,
        &registrar,
        approve,
        wrong_status(RegistrationStatus::Approved),
    );
    let reject = Action::RejectBidder {
        bidder: key.public_key(),
        reason: "late".into(),
    };
    refused_command(
        &mut harness,
        &registrar,
        reject,
        wrong_status(RegistrationStatus::Approved),
    );
    // The operator grants the registrar role; bidders are never granted, they apply.
    let operator = Rc::clone(&harness.operator);
    let grant = Action::GrantRole {
        actor: key.public_key(),
        role: Role::Bidder,
        name: "Applicant Co.".into(),
    };
    refused_command(&mut harness, &operator, grant, |rejection| {
        matches!(rejection, Rejection::Invalid(_))
    });
    let state = harness.ledger.state();
    assert!(matches!(
        state.participants[&key.public_key()].registration,
        Some(Registration::Approved)
    ));
}
