//! Supervisors' suspensions and correction orders, through the real ledger: a suspended
//! tender refuses everything that would move it and its deadline is held; offices answer
//! correction orders with a signed reply.

use std::rc::Rc;

use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_ledger::command::{Action, EntryBody};
use sealbid_ledger::disclosure::{Withheld, withheld};
use sealbid_ledger::events::{AuditEvent, Response};
use sealbid_ledger::query::{own_view, tender_view};
use sealbid_ledger::subject::Subject;
use sealbid_ledger::tender::Phase;
use sealbid_ledger::types::{CorrectionId, LotId, Market, Role, TenderId};
use sealbid_ledger::{Ledger, Rejection};

use crate::rejections::{refused, refused_command};
use crate::support::{HOUR_MS, Harness, lot};

/// A harness with a supervisor (seed 6) and one procurement tender taking bids.
fn with_supervisor() -> (Harness, Rc<IdentityKeyPair>, TenderId) {
    let mut harness = Harness::new(3, 4);
    let supervisor = harness.grant_supervisor();
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    (harness, supervisor, tender)
}

fn suspend(tender: &TenderId) -> Action {
    Action::SuspendTender {
        tender: tender.clone(),
        reason: "complaint about the qualification terms".into(),
    }
}

fn resume(tender: &TenderId, deadline_ms: Option<u64>) -> Action {
    Action::ResumeTender {
        tender: tender.clone(),
        deadline_ms,
    }
}

fn is_suspended(tender: &TenderId, since_ms: u64) -> impl Fn(&Rejection) -> bool {
    move |rejection| {
        rejection.code() == "tender-suspended"
            && matches!(rejection, Rejection::TenderSuspended { tender: found, since_ms: found_since }
                if found == tender && *found_since == since_ms)
    }
}

fn bid_action(harness: &Harness, tender: &TenderId, bidder: usize, price_fen: u64) -> Action {
    let envelope = harness.seal_offer(tender, "1", bidder, price_fen, None);
    Action::SubmitBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
        envelope_sha256: harness.carry(envelope),
    }
}

#[test]
fn a_suspended_tender_takes_no_bid_does_not_close_and_its_deadline_moves_by_the_suspension() {
    let (mut harness, supervisor, tender) = with_supervisor();
    harness.bid(&tender, "1", 0, 100, None).unwrap();
    let deadline_ms = harness.ledger.state().tenders[&tender].deadline_ms;
    // Bidder 1's bid arrives now, but is ordered after the suspension: it keeps its place.
    let early_arrival_ms = harness.now_ms;
    let action = bid_action(&harness, &tender, 1, 110);
    let early = harness.sign(&harness.bidders[1].clone(), action);

    harness.now_ms += 30_000;
    let suspended_at_ms = harness.now_ms;
    let applied = harness.run(&supervisor, suspend(&tender)).unwrap();
    assert!(applied.events.contains(&AuditEvent::TenderSuspended {
        tender: tender.clone(),
        supervisor: supervisor.public_key(),
        reason: "complaint about the qualification terms".into(),
    }));
    assert_eq!(
        tender_view(&harness.ledger.state().tenders[&tender]).suspended_since_ms,
        Some(suspended_at_ms)
    );
    let body = harness.received_at(early, 2, early_arrival_ms);
    harness.apply(body).unwrap();

    // While suspended, nothing moves: a new bid, an amendment, a cancellation, the leader's close
    // after the deadline, the office's close.
    harness.now_ms += 10 * 60 * 1000;
    let late_bid = bid_action(&harness, &tender, 2, 120);
    let third = Rc::clone(&harness.bidders[2]);
    refused_command(&mut harness, &third, late_bid, is_suspended(&tender, suspended_at_ms));
    let office = Rc::clone(&harness.office);
    let amendment = Action::AmendTender {
        tender: tender.clone(),
        notice: "clarification".into(),
        deadline_ms: None,
    };
    refused_command(&mut harness, &office, amendment, is_suspended(&tender, suspended_at_ms));
    let cancellation = Action::CancelTender {
        tender: tender.clone(),
        reason: "escape the supervisor".into(),
    };
    refused_command(
        &mut harness,
        &office,
        cancellation,
        is_suspended(&tender, suspended_at_ms),
    );
    harness.now_ms = deadline_ms + 3 * HOUR_MS;
    assert!(harness.ledger.tenders_due_to_close(harness.now_ms).is_empty());
    refused(
        &mut harness,
        EntryBody::Close { tender: tender.clone() },
        is_suspended(&tender, suspended_at_ms),
    );
    let close = Action::CloseTender { tender: tender.clone() };
    refused_command(&mut harness, &office, close, is_suspended(&tender, suspended_at_ms));
    let bid_during_suspension_ms = harness.now_ms;
    let action = bid_action(&harness, &tender, 3, 130);
    let during = harness.sign(&harness.bidders[3].clone(), action);

    // Resumed (within the waiting bid's lifetime): the deadline moves out by exactly the time
    // suspended.
    harness.now_ms += 30_000;
    let resumed_at_ms = harness.now_ms;
    let applied = harness.run(&supervisor, resume(&tender, None)).unwrap();
    let moved_ms = deadline_ms + (resumed_at_ms - suspended_at_ms);
    assert_eq!(applied.response, Response::TenderResumed { deadline_ms: moved_ms });
    assert!(applied.events.contains(&AuditEvent::DeadlineMoved {
        tender: tender.clone(),
        deadline_ms: moved_ms,
    }));
    let state_tender = &harness.ledger.state().tenders[&tender];
    assert_eq!(state_tender.deadline_ms, moved_ms);
    assert!(state_tender.suspension.is_none());
    assert_eq!(tender_view(state_tender).suspended_since_ms, None);

    // A bid that arrived during the suspension stays refused when it is ordered later; one that
    // arrives now is on time, and the tender closes at its moved deadline.
    let body = harness.received_at(during, 1, bid_during_suspension_ms);
    refused(&mut harness, body, is_suspended(&tender, suspended_at_ms));
    harness.bid(&tender, "1", 2, 120, None).unwrap();
    let window_ms = harness.ledger.state().config().arrival_window_ms;
    harness.now_ms = moved_ms + window_ms - 1;
    assert!(harness.ledger.tenders_due_to_close(harness.now_ms).is_empty());
    harness.now_ms = moved_ms + window_ms;
    assert_eq!(
        harness.ledger.tenders_due_to_close(harness.now_ms),
        vec![tender.clone()]
    );
    harness.apply(EntryBody::Close { tender: tender.clone() }).unwrap();
    harness.release_shares(&tender, 2);
    harness
        .office_runs(Action::OpenTender { tender: tender.clone() })
        .unwrap();
    let opened = &harness.ledger.state().tenders[&tender];
    assert_eq!(opened.opening.as_ref().unwrap().bids.len(), 3, "bidders 0, 1 and 2");

    // A supervisor's replay of the same log reaches the same state.
    let mut replay = Ledger::replaying(sealbid_crypto::merkle::MemoryNodeStore::new());
    for entry in &harness.log {
        let _ = replay.apply(entry);
    }
    assert_eq!(replay.state_hash(), harness.ledger.state_hash());
}

#[test]
fn after_the_close_a_suspension_holds_the_opening_and_the_award_and_the_deadline_stays() {
    let (mut harness, supervisor, tender) = with_supervisor();
    for bidder in 0..3 {
        harness.bid(&tender, "1", bidder, 100 + bidder as u64, None).unwrap();
    }
    harness.close(&tender);
    let deadline_ms = harness.ledger.state().tenders[&tender].deadline_ms;
    let suspended_at_ms = harness.now_ms;
    harness.run(&supervisor, suspend(&tender)).unwrap();
    let member = Rc::clone(&harness.members[0].0);
    let state_tender = &harness.ledger.state().tenders[&tender];
    let share = sealbid_crypto::dkg::member_share(
        &state_tender.committee,
        state_tender.committee_key.as_ref().unwrap(),
        &state_tender.dealings,
        1,
        &harness.members[0].1,
    )
    .unwrap();
    let release = Action::ReleaseShare {
        tender: tender.clone(),
        share,
    };
    refused_command(&mut harness, &member, release, is_suspended(&tender, suspended_at_ms));
    // Bidding had ended: the deadline cannot be reopened.
    harness.now_ms += HOUR_MS;
    let reopen = resume(&tender, Some(harness.now_ms + HOUR_MS));
    refused_command(&mut harness, &supervisor, reopen, |rejection| {
        rejection.code() == "invalid-command"
    });
    let applied = harness.run(&supervisor, resume(&tender, None)).unwrap();
    assert_eq!(applied.response, Response::TenderResumed { deadline_ms });
    assert!(
        !applied
            .events
            .iter()
            .any(|event| matches!(event, AuditEvent::DeadlineMoved { .. }))
    );

    harness.release_shares(&tender, 2);
    let suspended_at_ms = harness.now_ms;
    harness.run(&supervisor, suspend(&tender)).unwrap();
    let office = Rc::clone(&harness.office);
    let open = Action::OpenTender { tender: tender.clone() };
    refused_command(&mut harness, &office, open, is_suspended(&tender, suspended_at_ms));
    harness.run(&supervisor, resume(&tender, None)).unwrap();
    harness
        .office_runs(Action::OpenTender { tender: tender.clone() })
        .unwrap();
    let suspended_at_ms = harness.now_ms;
    harness.run(&supervisor, suspend(&tender)).unwrap();
    let disqualify = Action::DisqualifyBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
        bidder: harness.bidders[0].public_key(),
        reason: "forged certificate".into(),
    };
    refused_command(
        &mut harness,
        &office,
        disqualify,
        is_suspended(&tender, suspended_at_ms),
    );
    let award = Action::AwardTender { tender: tender.clone() };
    refused_command(&mut harness, &office, award, is_suspended(&tender, suspended_at_ms));
    harness.run(&supervisor, resume(&tender, None)).unwrap();
    let (_, results) = harness.award(&tender);
    assert_eq!(results.len(), 1);
    assert!(
        !harness.ledger.state().tenders.contains_key(&tender),
        "awarded and archived"
    );
}

#[test]
fn a_supervisor_may_set_the_deadline_at_the_resumption() {
    let (mut harness, supervisor, tender) = with_supervisor();
    harness.run(&supervisor, suspend(&tender)).unwrap();
    harness.now_ms += HOUR_MS;
    let past = resume(&tender, Some(harness.now_ms));
    refused_command(&mut harness, &supervisor, past, |rejection| {
        rejection.code() == "invalid-command"
    });
    let beyond_horizon = resume(&tender, Some(harness.now_ms + 732 * 24 * HOUR_MS));
    refused_command(&mut harness, &supervisor, beyond_horizon, |rejection| {
        rejection.code() == "invalid-command"
    });
    let chosen_ms = harness.now_ms + 30 * 60 * 1000;
    let applied = harness.run(&supervisor, resume(&tender, Some(chosen_ms))).unwrap();
    assert_eq!(applied.response, Response::TenderResumed { deadline_ms: chosen_ms });
    assert_eq!(harness.ledger.state().tenders[&tender].deadline_ms, chosen_ms);
}

#[test]
fn only_supervisors_suspend_and_resume_and_each_only_once() {
    let (mut harness, supervisor, tender) = with_supervisor();
    let office = Rc::clone(&harness.office);
    refused_command(&mut harness, &office, suspend(&tender), |rejection| {
        *rejection == Rejection::MissingRole(Role::Supervisor)
    });
    refused_command(&mut harness, &supervisor, resume(&tender, None), |rejection| {
        rejection.code() == "tender-not-suspended"
    });
    let unknown = TenderId::parse("T-999999").unwrap();
    refused_command(&mut harness, &supervisor, suspend(&unknown), |rejection| {
        rejection.code() == "unknown-tender"
    });
    let empty = Action::SuspendTender {
        tender: tender.clone(),
        reason: " ".into(),
    };
    refused_command(&mut harness, &supervisor, empty, |rejection| {
        rejection.code() == "empty-text"
    });
    let suspended_at_ms = harness.now_ms;
    harness.run(&supervisor, suspend(&tender)).unwrap();
    refused_command(
        &mut harness,
        &supervisor,
        suspend(&tender),
        is_suspended(&tender, suspended_at_ms),
    );
    refused_command(&mut harness, &office, resume(&tender, None), |rejection| {
        *rejection == Rejection::MissingRole(Role::Supervisor)
    });
    // The suspending entry and the resumption are the supervisors'; their reasons are kept
    // from the public while the tender takes bids, like its bids.
    let suspending = harness
        .log
        .iter()
        .rev()
        .find(|entry| kind_is(entry, "suspend_tender"))
        .unwrap();
    assert_eq!(
        withheld(harness.ledger.state(), suspending),
        Some(Withheld::UntilClose(tender.clone()))
    );
    assert_eq!(harness.ledger.state().tenders[&tender].phase, Phase::Bidding);
}

fn kind_is(entry: &sealbid_ledger::command::Entry, name: &str) -> bool {
    sealbid_ledger::disclosure::kind(entry) == name
}

fn order(office: &IdentityKeyPair, tender: Option<&TenderId>, due_ms: u64) -> Action {
    Action::OrderCorrection {
        office: office.public_key(),
        tender: tender.cloned(),
        reason: "publish the evaluation criteria in full".into(),
        due_ms,
    }
}

fn reply(correction: &CorrectionId) -> Action {
    Action::ReplyCorrection {
        correction: correction.clone(),
        reply: "amended notice published".into(),
    }
}

#[test]
fn an_office_answers_a_correction_order_once_and_its_reply_is_recorded() {
    let (mut harness, supervisor, tender) = with_supervisor();
    let office = Rc::clone(&harness.office);
    let other_office = Rc::new(IdentityKeyPair::from_seed(&[7; 32]).unwrap());
    let operator = Rc::clone(&harness.operator);
    harness
        .run(
            &operator,
            Action::GrantRole {
                actor: other_office.public_key(),
                role: Role::Office,
                name: "another office".into(),
            },
        )
        .unwrap();
    let due_ms = harness.now_ms + 24 * HOUR_MS;

    // Refused orders change nothing.
    let to_a_bidder = order(&harness.bidders[0].clone(), None, due_ms);
    refused_command(&mut harness, &supervisor, to_a_bidder, |rejection| {
        rejection.code() == "invalid-command"
    });
    let not_its_tender = order(&other_office, Some(&tender), due_ms);
    refused_command(&mut harness, &supervisor, not_its_tender, |rejection| {
        rejection.code() == "invalid-command"
    });
    let due_now = order(&office, Some(&tender), harness.now_ms);
    refused_command(&mut harness, &supervisor, due_now, |rejection| {
        rejection.code() == "invalid-command"
    });
    let by_the_office = order(&office, Some(&tender), due_ms);
    refused_command(&mut harness, &office, by_the_office, |rejection| {
        *rejection == Rejection::MissingRole(Role::Supervisor)
    });

    let applied = harness.run(&supervisor, order(&office, Some(&tender), due_ms)).unwrap();
    let correction = CorrectionId::parse("C-000001").unwrap();
    assert_eq!(
        applied.response,
        Response::CorrectionOrdered {
            correction: correction.clone()
        }
    );
    let office_key = office.public_key();
    let view = own_view(harness.ledger.state(), &office_key);
    assert_eq!(view.corrections.len(), 1, "the office reads its order at once");
    assert_eq!(view.corrections[0].reason, "publish the evaluation criteria in full");
    assert!(
        own_view(harness.ledger.state(), &other_office.public_key())
            .corrections
            .is_empty()
    );
    let ordering = harness.log.last().unwrap().clone();
    assert_eq!(
        withheld(harness.ledger.state(), &ordering),
        Some(Withheld::UntilClose(tender.clone()))
    );

    refused_command(&mut harness, &other_office, reply(&correction), |rejection| {
        rejection.code() == "not-the-corrections-office"
    });
    let bidder = harness.bidders[0].clone();
    refused_command(&mut harness, &bidder, reply(&correction), |rejection| {
        *rejection == Rejection::MissingRole(Role::Office)
    });
    let unknown = CorrectionId::parse("C-000009").unwrap();
    refused_command(&mut harness, &office, reply(&unknown), |rejection| {
        rejection.code() == "unknown-correction"
    });

    // Answered after its due time: recorded, and marked late.
    harness.now_ms = due_ms + 1;
    let applied = harness.run(&office, reply(&correction)).unwrap();
    assert_eq!(
        applied.events,
        vec![AuditEvent::CorrectionReplied {
            correction: correction.clone(),
            office: office_key,
            late: true,
        }]
    );
    let held = &harness.ledger.state().corrections[&correction];
    let recorded = held.reply.as_ref().unwrap();
    assert_eq!(recorded.text, "amended notice published");
    assert_eq!(recorded.replied_at_ms, due_ms + 1);
    assert!(!held.overdue(harness.now_ms));
    let replying = harness.log.last().unwrap().clone();
    assert_eq!(
        withheld(harness.ledger.state(), &replying),
        Some(Withheld::UntilClose(tender.clone()))
    );
    refused_command(&mut harness, &office, reply(&correction), |rejection| {
        rejection.code() == "correction-answered"
    });

    // The tender's end releases both entries and the answered order leaves the state.
    harness
        .office_runs(Action::CancelTender {
            tender: tender.clone(),
            reason: "requirements changed".into(),
        })
        .unwrap();
    assert!(harness.ledger.state().corrections.is_empty());
    assert_eq!(withheld(harness.ledger.state(), &ordering), None);
    assert_eq!(withheld(harness.ledger.state(), &replying), None);
}

#[test]
fn an_order_naming_no_tender_is_public_and_leaves_the_state_when_answered_on_time() {
    let (mut harness, supervisor, _tender) = with_supervisor();
    let office = Rc::clone(&harness.office);
    let due_ms = harness.now_ms + HOUR_MS;
    harness.run(&supervisor, order(&office, None, due_ms)).unwrap();
    let correction = CorrectionId::parse("C-000001").unwrap();
    assert_eq!(withheld(harness.ledger.state(), harness.log.last().unwrap()), None);
    harness.now_ms = due_ms + 1;
    assert!(harness.ledger.state().corrections[&correction].overdue(harness.now_ms));
    harness.now_ms = due_ms;
    let applied = harness.run(&office, reply(&correction)).unwrap();
    assert!(matches!(
        applied.events.as_slice(),
        [AuditEvent::CorrectionReplied { late: false, .. }]
    ));
    assert!(harness.ledger.state().corrections.is_empty());
    refused_command(&mut harness, &office, reply(&correction), |rejection| {
        rejection.code() == "unknown-correction"
    });
    // The next order is numbered on.
    let applied = harness
        .run(&supervisor, order(&office, None, due_ms + HOUR_MS))
        .unwrap();
    assert_eq!(
        applied.response,
        Response::CorrectionOrdered {
            correction: CorrectionId::parse("C-000002").unwrap()
        }
    );
}

#[test]
fn every_applied_entry_names_the_tender_market_and_office_it_concerns() {
    let (mut harness, supervisor, tender) = with_supervisor();
    let office = harness.office.public_key();
    let of_tender = Subject {
        tender: Some(tender.clone()),
        market: Some(Market::Procurement),
        office: Some(office),
    };
    assert_eq!(harness.bid(&tender, "1", 0, 100, None).unwrap().subject, of_tender);
    assert_eq!(harness.run(&supervisor, suspend(&tender)).unwrap().subject, of_tender);
    assert_eq!(
        harness.run(&supervisor, resume(&tender, None)).unwrap().subject,
        of_tender
    );
    let due_ms = harness.now_ms + HOUR_MS;
    let addressed = Subject {
        office: Some(office),
        ..Subject::default()
    };
    let office_key = Rc::clone(&harness.office);
    assert_eq!(
        harness
            .run(&supervisor, order(&office_key, None, due_ms))
            .unwrap()
            .subject,
        addressed
    );
    let correction = CorrectionId::parse("C-000001").unwrap();
    assert_eq!(harness.run(&office_key, reply(&correction)).unwrap().subject, addressed);
    let operator = Rc::clone(&harness.operator);
    let grant = Action::GrantRole {
        actor: IdentityKeyPair::from_seed(&[8; 32]).unwrap().public_key(),
        role: Role::Registrar,
        name: "second desk".into(),
    };
    assert!(harness.run(&operator, grant).unwrap().subject.is_empty());
    // The publication names the tender it created; the close and the award name theirs, the
    // award although the tender leaves the state with it.
    let spec = harness.spec(Market::LandUseRight, vec![lot("north")], 2);
    let published = harness.office_runs(Action::PublishTender(spec)).unwrap();
    let Response::TenderPublished { tender: second } = &published.response else {
        panic!("{published:?}")
    };
    assert_eq!(published.subject.tender.as_ref(), Some(second));
    assert_eq!(published.subject.market, Some(Market::LandUseRight));
    for bidder in 1..4 {
        harness.bid(&tender, "1", bidder, 100 + bidder as u64, None).unwrap();
    }
    harness.close_and_open(&tender);
    let (awarded, _) = harness.award(&tender);
    assert_eq!(awarded.subject, of_tender);
    // A replay derives the same: the leader's close of the tender names it too.
    let mut replay = Ledger::new(sealbid_crypto::merkle::MemoryNodeStore::new());
    let mut close_subjects = Vec::new();
    for entry in &harness.log {
        let applied = replay.apply(entry);
        if let (EntryBody::Close { .. }, Ok(applied)) = (&entry.body, applied) {
            close_subjects.push(applied.subject);
        }
    }
    assert_eq!(close_subjects, vec![of_tender]);
}
