//! Supervisors' decisions on warnings, through the real ledger: the red `converging-signals`
//! warning, the award it holds until a supervisor acknowledges or dismisses it, the refusals of
//! a decision that may not be taken, and the public's view of decisions once the tender is
//! final; a witness's report of a fork of the log, which holds every award.

use std::rc::Rc;

use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::{Hash, MemoryNodeStore};
use sealbid_crypto::note::{self, NoteSigner};
use sealbid_ledger::command::{Action, SourceTagKey};
use sealbid_ledger::disclosure::{Withheld, withheld};
use sealbid_ledger::tender::Phase;
use sealbid_ledger::types::{LotId, Market, Role, TenderId, WarningId};
use sealbid_ledger::warnings::disposition::Disposition;
use sealbid_ledger::warnings::thresholds::WarningThresholds;
use sealbid_ledger::warnings::{Indicator, Level, Warning};
use sealbid_ledger::{Ledger, Rejection};

use crate::rejections::refused_command;
use crate::support::{Harness, lot};
use crate::warnings::{bid_from, bid_index, harness, raised, value};

/// A procurement tender on lot 1 where each bidder bids `price` from `address` (in bidder
/// order), closed and opened.
fn opened_from(harness: &mut Harness, bids: &[(u64, &str)]) -> TenderId {
    let key = SourceTagKey::derive(b"the cluster's secret");
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    for (bidder, (price, address)) in bids.iter().enumerate() {
        bid_from(harness, &tender, bidder, *price, address, &key);
    }
    harness.close_and_open(&tender);
    tender
}

/// Bidders 0 and 2 bid one price from one address; 1 and 3 bid others from their own.
const CONVERGING: [(u64, &str); 4] = [
    (100_000, "198.51.100.7"),
    (120_000, "203.0.113.9"),
    (100_000, "198.51.100.7"),
    (150_000, "2001:db8::1"),
];

/// The one warning of `indicator` on `tender`.
fn only(harness: &Harness, tender: &TenderId, indicator: Indicator) -> Warning {
    let warnings = raised(harness, tender, indicator);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    warnings.into_iter().next().unwrap()
}

fn dispose(tender: &TenderId, warning: &WarningId, disposition: Disposition, reason: &str) -> Action {
    Action::DisposeWarning {
        tender: Some(tender.clone()),
        warning: warning.clone(),
        disposition,
        reason: reason.into(),
    }
}

fn award(tender: &TenderId) -> Action {
    Action::AwardTender { tender: tender.clone() }
}

/// The award of `tender`, refused as held by `warning`, changing nothing.
fn award_refused_as_held(harness: &mut Harness, tender: &TenderId, warning: &WarningId) {
    if harness.ledger.state().tenders[tender].phase == Phase::Opened {
        harness.publish_candidates(tender);
    }
    let office = Rc::clone(&harness.office);
    refused_command(harness, &office, award(tender), |rejection| {
        *rejection
            == Rejection::AwardHeld {
                tender: tender.clone(),
                warning: warning.clone(),
            }
    });
}

#[test]
fn converging_signals_fire_red_on_bidders_sharing_an_address_and_a_price_and_not_on_either_alone() {
    let mut harness = harness(4, WarningThresholds::default());
    let tender = opened_from(&mut harness, &CONVERGING);
    let warning = only(&harness, &tender, Indicator::ConvergingSignals);
    assert_eq!(warning.level, Level::Red);
    assert_eq!(warning.lot, Some(LotId::parse("1").unwrap()));
    assert_eq!(
        warning.evidence.entries,
        vec![
            bid_index(&harness, &tender, "1", 0),
            bid_index(&harness, &tender, "1", 2)
        ]
    );
    let mut bidders = vec![harness.bidders[0].public_key(), harness.bidders[2].public_key()];
    bidders.sort();
    assert_eq!(warning.evidence.bidders, bidders);
    assert_eq!(value(&warning, "bidders"), 2);
    assert_eq!(value(&warning, "pairs"), 1);
    // Raised by the opening, after the two yellow signals it rests on.
    let opening_index = harness.ledger.audit().size() - 1;
    assert_eq!(warning.audit_index, opening_index);
    let identical = only(&harness, &tender, Indicator::IdenticalPrices);
    let shared = only(&harness, &tender, Indicator::SharedAddress);
    assert!(shared.id < identical.id && identical.id < warning.id);

    // Near misses: the address shared but the prices a fen apart; the price shared but from
    // two addresses.
    let mut apart = CONVERGING;
    apart[2].0 = 100_001;
    let near = opened_from(&mut harness, &apart);
    assert_eq!(raised(&harness, &near, Indicator::SharedAddress).len(), 1);
    assert!(raised(&harness, &near, Indicator::ConvergingSignals).is_empty());
    let mut elsewhere = CONVERGING;
    elsewhere[2].1 = "198.51.100.8";
    let near = opened_from(&mut harness, &elsewhere);
    assert_eq!(raised(&harness, &near, Indicator::IdenticalPrices).len(), 1);
    assert!(raised(&harness, &near, Indicator::ConvergingSignals).is_empty());
}

#[test]
fn a_red_warning_holds_the_award_until_a_supervisor_acknowledges_or_dismisses_it() {
    let mut harness = harness(4, WarningThresholds::default());
    let supervisor = harness.grant_supervisor();
    let tender = opened_from(&mut harness, &CONVERGING);
    let red = only(&harness, &tender, Indicator::ConvergingSignals).id;
    award_refused_as_held(&mut harness, &tender, &red);

    // An escalation records the decision and keeps holding the award; a second one is refused.
    let escalation = dispose(&tender, &red, Disposition::Escalate, "Referred to the bureau");
    harness.run(&supervisor, escalation.clone()).unwrap();
    let escalated_at = harness.ledger.audit().size() - 1;
    award_refused_as_held(&mut harness, &tender, &red);
    refused_command(&mut harness, &supervisor, escalation, |rejection| {
        *rejection
            == Rejection::WarningDisposed {
                warning: red.clone(),
                disposition: "escalate",
            }
    });

    // The dismissal settles it: the award goes ahead, and the archive keeps both decisions.
    let dismissal = dispose(&tender, &red, Disposition::Dismiss, "One consortium, declared");
    harness.run(&supervisor, dismissal.clone()).unwrap();
    let dismissed_at = harness.ledger.audit().size() - 1;
    let (applied, _) = harness.award(&tender);
    let record = applied.archived.unwrap();
    let archived = record.warnings.iter().find(|warning| warning.id == red).unwrap();
    let decided: Vec<(Disposition, &str, u64)> = archived
        .dispositions
        .iter()
        .map(|record| (record.disposition, record.reason.as_str(), record.audit_index))
        .collect();
    assert_eq!(
        decided,
        [
            (Disposition::Escalate, "Referred to the bureau", escalated_at),
            (Disposition::Dismiss, "One consortium, declared", dismissed_at),
        ]
    );
    assert!(
        archived
            .dispositions
            .iter()
            .all(|record| record.supervisor == supervisor.public_key())
    );
    // Final, the tender's warnings are archived as they stand.
    refused_command(&mut harness, &supervisor, dismissal, |rejection| {
        *rejection == Rejection::UnknownTender(tender.clone())
    });
    // A replay of the log reaches the same decisions, archive and state.
    let mut replay = Ledger::replaying(MemoryNodeStore::new());
    let replayed = harness
        .log
        .iter()
        .filter_map(|entry| replay.apply(entry).ok().and_then(|applied| applied.archived))
        .last()
        .unwrap();
    assert_eq!(replayed.warnings, record.warnings);
    assert_eq!(replay.state_hash(), harness.ledger.state_hash());
}

#[test]
fn an_acknowledged_red_warning_releases_the_award_and_yellow_ones_never_hold_it() {
    let mut harness = harness(4, WarningThresholds::default());
    let supervisor = harness.grant_supervisor();
    let tender = opened_from(&mut harness, &CONVERGING);
    let red = only(&harness, &tender, Indicator::ConvergingSignals).id;
    let acknowledgement = dispose(&tender, &red, Disposition::Acknowledge, "Evaluation committee told");
    harness.run(&supervisor, acknowledgement.clone()).unwrap();
    // Settled, it takes no other decision.
    for disposition in [Disposition::Acknowledge, Disposition::Dismiss, Disposition::Escalate] {
        refused_command(
            &mut harness,
            &supervisor,
            dispose(&tender, &red, disposition, "again"),
            |rejection| {
                *rejection
                    == Rejection::WarningDisposed {
                        warning: red.clone(),
                        disposition: "acknowledge",
                    }
            },
        );
    }
    // The yellow signals were never decided on, and hold nothing.
    assert!(
        only(&harness, &tender, Indicator::SharedAddress)
            .dispositions
            .is_empty()
    );
    harness.award(&tender);
}

#[test]
fn a_decision_that_may_not_be_taken_is_refused_with_its_code_and_changes_nothing() {
    let mut harness = harness(4, WarningThresholds::default());
    let supervisor = harness.grant_supervisor();
    let tender = opened_from(&mut harness, &CONVERGING);
    let red = only(&harness, &tender, Indicator::ConvergingSignals).id;
    let other = opened_from(&mut harness, &CONVERGING);
    let office = Rc::clone(&harness.office);
    let bidder = Rc::clone(&harness.bidders[0]);
    for key in [&office, &bidder] {
        refused_command(
            &mut harness,
            key,
            dispose(&tender, &red, Disposition::Dismiss, "not mine to say"),
            |rejection| *rejection == Rejection::MissingRole(Role::Supervisor),
        );
    }
    let unknown = |tender: &TenderId, warning: &WarningId| {
        let (tender, warning) = (tender.clone(), warning.clone());
        move |rejection: &Rejection| {
            *rejection
                == Rejection::UnknownWarning {
                    tender: Some(tender.clone()),
                    warning: warning.clone(),
                }
        }
    };
    // Another tender's warning, a number never raised, and the number in another form.
    for warning in [
        red.clone(),
        WarningId::parse("W-999999").unwrap(),
        WarningId::parse("W-3").unwrap(),
    ] {
        refused_command(
            &mut harness,
            &supervisor,
            dispose(&other, &warning, Disposition::Dismiss, "unfounded"),
            unknown(&other, &warning),
        );
    }
    refused_command(
        &mut harness,
        &supervisor,
        dispose(
            &TenderId::parse("T-000099").unwrap(),
            &red,
            Disposition::Dismiss,
            "unfounded",
        ),
        |rejection| *rejection == Rejection::UnknownTender(TenderId::parse("T-000099").unwrap()),
    );
    for reason in ["", "line\nbreak"] {
        refused_command(
            &mut harness,
            &supervisor,
            dispose(&tender, &red, Disposition::Dismiss, reason),
            |rejection| {
                matches!(
                    rejection,
                    Rejection::EmptyText { .. } | Rejection::ControlCharacter { .. }
                )
            },
        );
    }
    assert!(
        only(&harness, &tender, Indicator::ConvergingSignals)
            .dispositions
            .is_empty()
    );
    award_refused_as_held(&mut harness, &tender, &red);
}

#[test]
fn a_decision_is_the_supervisors_until_the_tender_is_final_and_is_taken_while_it_is_suspended() {
    let mut harness = harness(4, WarningThresholds::default());
    let supervisor: Rc<IdentityKeyPair> = harness.grant_supervisor();
    let tender = opened_from(&mut harness, &CONVERGING);
    let red = only(&harness, &tender, Indicator::ConvergingSignals).id;
    harness
        .run(
            &supervisor,
            Action::SuspendTender {
                tender: tender.clone(),
                reason: "Complaint under review".into(),
            },
        )
        .unwrap();
    harness
        .run(
            &supervisor,
            dispose(&tender, &red, Disposition::Dismiss, "Complaint unfounded"),
        )
        .unwrap();
    let decision = harness.log.last().unwrap().clone();
    assert_eq!(
        withheld(harness.ledger.state(), &decision),
        Some(Withheld::UntilFinal(tender.clone()))
    );
    harness
        .run(
            &supervisor,
            Action::ResumeTender {
                tender: tender.clone(),
                deadline_ms: None,
            },
        )
        .unwrap();
    harness.award(&tender);
    assert_eq!(withheld(harness.ledger.state(), &decision), None);
}

/// A signed checkpoint of log `origin` at `size` with a root made of `root_byte`.
fn checkpoint_note(origin: &str, size: u64, root_byte: u8) -> String {
    let log = NoteSigner::new(origin, IdentityKeyPair::from_seed(&[42; 32]).unwrap()).unwrap();
    let checkpoint = Checkpoint::new(origin, size, Hash([root_byte; 32]));
    note::sign(&checkpoint.to_text(), &[&log]).unwrap()
}

fn fork(witnessed: String, presented: String) -> Action {
    Action::ReportLogFork { witnessed, presented }
}

#[test]
fn a_reported_fork_raises_a_red_warning_on_the_log_that_holds_every_award_until_settled() {
    let mut harness = harness(4, WarningThresholds::default());
    let supervisor = harness.grant_supervisor();
    let witnessed = checkpoint_note("sealbid/0011223344556677", 3, 1);
    let presented = checkpoint_note("sealbid/0011223344556677", 5, 2);
    harness.run(&supervisor, fork(witnessed, presented)).unwrap();
    let reported_at = harness.ledger.audit().size() - 1;
    let warning = harness.ledger.state().warnings.values().last().unwrap().clone();
    assert_eq!(
        (
            warning.indicator,
            warning.level,
            warning.tender.as_ref(),
            warning.lot.as_ref()
        ),
        (Indicator::Integrity, Level::Red, None, None)
    );
    assert_eq!(warning.evidence.entries, [reported_at]);
    assert_eq!(value(&warning, "witnessed_size"), 3);
    assert_eq!(value(&warning, "presented_size"), 5);

    // Every tender's award waits for it; a decision names no tender.
    let mut calm = CONVERGING;
    calm[2] = (110_000, "203.0.113.10");
    let tender = opened_from(&mut harness, &calm);
    award_refused_as_held(&mut harness, &tender, &warning.id);
    refused_command(
        &mut harness,
        &supervisor,
        dispose(&tender, &warning.id, Disposition::Dismiss, "not this tender's"),
        |rejection| {
            *rejection
                == Rejection::UnknownWarning {
                    tender: Some(tender.clone()),
                    warning: warning.id.clone(),
                }
        },
    );
    let acknowledgement = Action::DisposeWarning {
        tender: None,
        warning: warning.id.clone(),
        disposition: Disposition::Acknowledge,
        reason: "Referred to the public security organ; the honest nodes' log stands".into(),
    };
    harness.run(&supervisor, acknowledgement).unwrap();
    // A decision on the log itself is public at once.
    assert_eq!(withheld(harness.ledger.state(), harness.log.last().unwrap()), None);
    harness.award(&tender);
    // It concerns no tender, so it stays when the tender leaves.
    assert!(
        harness
            .ledger
            .state()
            .warnings
            .values()
            .any(|held| held.id == warning.id)
    );
}

#[test]
fn a_fork_report_that_is_not_one_is_refused_and_changes_nothing() {
    let mut harness = harness(2, WarningThresholds::default());
    let supervisor = harness.grant_supervisor();
    let office = Rc::clone(&harness.office);
    let origin = "sealbid/0011223344556677";
    refused_command(
        &mut harness,
        &office,
        fork(checkpoint_note(origin, 3, 1), checkpoint_note(origin, 5, 2)),
        |rejection| *rejection == Rejection::MissingRole(Role::Supervisor),
    );
    let oversized = format!("{}{}", "x".repeat(20_000), checkpoint_note(origin, 3, 1));
    for (witnessed, presented) in [
        // One tree head twice; two logs; not a signed note; not a checkpoint; too long.
        (checkpoint_note(origin, 3, 1), checkpoint_note(origin, 3, 1)),
        (
            checkpoint_note(origin, 3, 1),
            checkpoint_note("sealbid/ffeeddccbbaa9988", 5, 2),
        ),
        (
            "sealbid/0011223344556677\n3\n".to_owned(),
            checkpoint_note(origin, 5, 2),
        ),
        (
            note::sign(
                "not a checkpoint\n",
                &[&NoteSigner::new(origin, IdentityKeyPair::from_seed(&[1; 32]).unwrap()).unwrap()],
            )
            .unwrap(),
            checkpoint_note(origin, 5, 2),
        ),
        (oversized, checkpoint_note(origin, 5, 2)),
    ] {
        refused_command(&mut harness, &supervisor, fork(witnessed, presented), |rejection| {
            matches!(rejection, Rejection::Invalid(_))
        });
    }
    assert!(harness.ledger.state().warnings.is_empty());
}
