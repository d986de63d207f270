//! The committee proves it can open before the deadline: each member's proof that it holds its
//! share is checked against its public share and recorded; a forged or misplaced one is refused
//! and changes nothing; and a tender whose committee has fewer than t proofs by the set time
//! before the deadline raises a red `committee-unready` that holds its award.

use std::rc::Rc;

use ring::rand::SystemRandom;
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{DkgError, ReadinessProof, ReleasedShare};
use sealbid_ledger::Rejection;
use sealbid_ledger::command::Action;
use sealbid_ledger::tender::Phase;
use sealbid_ledger::types::{Market, TenderId};
use sealbid_ledger::warnings::thresholds::WarningThresholds;
use sealbid_ledger::warnings::{Indicator, Level, Warning};

use crate::rejections::refused_command;
use crate::support::{HOUR_MS, Harness, lot};
use crate::warnings::{harness, raised, value};

/// Proofs due an hour before the deadline (the harness's tenders close two hours after
/// publication).
fn an_hour_ahead() -> WarningThresholds {
    WarningThresholds {
        committee_readiness_lead_ms: HOUR_MS,
        ..WarningThresholds::default()
    }
}

/// A procurement tender of the harness, committee of 3, threshold 2.
fn tender(harness: &mut Harness) -> TenderId {
    harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2))
}

fn prove(tender: &TenderId, readiness: ReadinessProof) -> Action {
    Action::ProveReadiness {
        tender: tender.clone(),
        readiness,
    }
}

/// The tender's `committee-unready` warnings.
fn unready(harness: &Harness, tender: &TenderId) -> Vec<Warning> {
    raised(harness, tender, Indicator::CommitteeUnready)
}

#[test]
fn a_members_proof_is_recorded_and_a_forged_or_misplaced_one_is_refused() {
    let mut harness = harness(3, an_hour_ahead());
    let tender = tender(&mut harness);
    let applied = harness.prove_readiness(&tender, 1);
    let recorded = harness.ledger.state().tenders[&tender].readiness[&1];
    assert_eq!(recorded.audit_index, applied.audit_index);
    assert_eq!(recorded.proved_at_ms, harness.now_ms);

    // A member that lost its share proves with another secret: refused.
    let member = Rc::clone(&harness.members[1].0);
    let lost = ReleasedShare {
        session: tender.to_string(),
        member: 2,
        share: CurveScalar::random(&SystemRandom::new()).unwrap(),
    };
    let deadline_ms = harness.ledger.state().tenders[&tender].deadline_ms;
    let forged = ReadinessProof::create(&lost, deadline_ms, &SystemRandom::new()).unwrap();
    refused_command(&mut harness, &member, prove(&tender, forged), |rejection| {
        *rejection == Rejection::from(DkgError::BadReadinessProof { member: 2 })
    });
    // Member 2 with member 3's proof; the office, who is no member.
    let others = harness.readiness_proof(&tender, 3);
    refused_command(&mut harness, &member, prove(&tender, others.clone()), |rejection| {
        matches!(rejection, Rejection::NotThatCommitteeMember { member: 3, .. })
    });
    let office = Rc::clone(&harness.office);
    refused_command(&mut harness, &office, prove(&tender, others), |rejection| {
        matches!(rejection, Rejection::NotThatCommitteeMember { member: 3, .. })
    });
    // A proof for the deadline before an amendment no longer verifies.
    let stale = harness.readiness_proof(&tender, 2);
    harness
        .office_runs(Action::AmendTender {
            tender: tender.clone(),
            notice: "Bidding extended by a day".into(),
            deadline_ms: Some(deadline_ms + 24 * HOUR_MS),
        })
        .unwrap();
    refused_command(&mut harness, &member, prove(&tender, stale), |rejection| {
        *rejection == Rejection::from(DkgError::BadReadinessProof { member: 2 })
    });
    assert_eq!(harness.ledger.state().tenders[&tender].readiness.len(), 1);
    // After the close there is nothing to prove.
    let proof = harness.readiness_proof(&tender, 2);
    harness.close(&tender);
    refused_command(&mut harness, &member, prove(&tender, proof), |rejection| {
        matches!(rejection, Rejection::WrongPhase { .. })
    });
}

#[test]
fn fewer_than_t_proofs_by_the_set_time_raise_a_red_warning_that_holds_the_award() {
    let mut harness = harness(3, an_hour_ahead());
    let tender = tender(&mut harness);
    let deadline_ms = harness.ledger.state().tenders[&tender].deadline_ms;
    harness.now_ms += 10 * 60_000;
    let proof = harness.prove_readiness(&tender, 1);
    // A bid before the set time judges nothing; the first entry on the tender after it does.
    harness.now_ms += 10 * 60_000;
    harness.bid(&tender, "1", 0, 100_000, None).unwrap();
    assert!(unready(&harness, &tender).is_empty());
    harness.now_ms = deadline_ms - HOUR_MS + 1;
    harness.bid(&tender, "1", 1, 120_000, None).unwrap();
    let bid_index = harness.ledger.audit().size() - 1;
    let warnings = unready(&harness, &tender);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = &warnings[0];
    assert_eq!((warning.level, warning.lot.as_ref()), (Level::Red, None));
    assert_eq!(warning.audit_index, bid_index);
    assert_eq!(warning.evidence.entries, [proof.audit_index]);
    assert_eq!(value(warning, "proved"), 1);
    assert_eq!(value(warning, "threshold"), 2);
    assert_eq!(value(warning, "due_ms"), (deadline_ms - HOUR_MS) as i64);
    // Judged once: the next entry raises nothing more, and a proof now comes too late to count.
    harness.prove_readiness(&tender, 2);
    harness.bid(&tender, "1", 2, 130_000, None).unwrap();
    assert_eq!(unready(&harness, &tender).len(), 1);

    // The opening can go ahead (two members hold their shares after all); the award waits for
    // a supervisor.
    harness.close_and_open(&tender);
    harness.publish_candidates(&tender);
    let office = Rc::clone(&harness.office);
    refused_command(
        &mut harness,
        &office,
        Action::AwardTender { tender: tender.clone() },
        |rejection| {
            *rejection
                == Rejection::AwardHeld {
                    tender: tender.clone(),
                    warning: warning.id.clone(),
                }
        },
    );
    assert_eq!(harness.ledger.state().tenders[&tender].phase, Phase::Publicity);
}

#[test]
fn t_proofs_in_time_raise_nothing_and_an_unjudged_tender_is_judged_at_its_close() {
    let mut harness = harness(3, an_hour_ahead());
    let ready = tender(&mut harness);
    let silent = tender(&mut harness);
    harness.prove_readiness(&ready, 1);
    harness.prove_readiness(&ready, 3);
    harness.prove_readiness(&silent, 2);
    // No entry on either tender between the set time and the close: the close judges them.
    harness.close(&ready);
    harness.close(&silent);
    assert!(unready(&harness, &ready).is_empty());
    let warnings = unready(&harness, &silent);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(value(&warnings[0], "proved"), 1);
    let close_index = harness.ledger.audit().size() - 1;
    assert_eq!(warnings[0].audit_index, close_index);
}

#[test]
fn a_tender_whose_bidding_opened_after_the_set_time_is_not_judged() {
    // Proofs due a day ahead of a deadline two hours away: the committee never had the time.
    let mut harness = harness(3, WarningThresholds::default());
    let tender = tender(&mut harness);
    harness.bid(&tender, "1", 0, 100_000, None).unwrap();
    harness.close(&tender);
    assert!(unready(&harness, &tender).is_empty());
    assert!(harness.ledger.state().tenders[&tender].readiness_judged);
}
