//! Determinism: random command sequences replay to the same state hash; a snapshot restored
//! mid-way and continued reaches the same hash as a straight replay.

use std::rc::Rc;

use proptest::prelude::*;
use sealbid_crypto::merkle::MemoryNodeStore;
use sealbid_ledger::command::{Action, Entry, EntryBody};
use sealbid_ledger::types::{LotId, Market};
use sealbid_ledger::{Ledger, Snapshot};

use crate::support::{HOUR_MS, Harness, lot};

/// One random step of a tender's life; many will be refused, which is part of the test.
#[derive(Debug, Clone)]
enum Step {
    Bid { bidder: usize, price: u64 },
    Replace { bidder: usize, price: u64 },
    Withdraw { bidder: usize },
    Wait { minutes: u64 },
    Amend { minutes_before_deadline: u64 },
    Close,
    Release { members: usize },
    Open,
    Disqualify { bidder: usize },
    Publish,
    WaitDays { days: u64 },
    Award,
    ReplayLast,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0usize..4, 1u64..1_000).prop_map(|(bidder, price)| Step::Bid { bidder, price }),
        1 => (0usize..4, 1u64..1_000).prop_map(|(bidder, price)| Step::Replace { bidder, price }),
        1 => (0usize..4).prop_map(|bidder| Step::Withdraw { bidder }),
        2 => (1u64..90).prop_map(|minutes| Step::Wait { minutes }),
        1 => (1u64..60).prop_map(|minutes_before_deadline| Step::Amend { minutes_before_deadline }),
        1 => Just(Step::Close),
        1 => (1usize..=3).prop_map(|members| Step::Release { members }),
        1 => Just(Step::Open),
        1 => (0usize..4).prop_map(|bidder| Step::Disqualify { bidder }),
        1 => Just(Step::Publish),
        1 => (1u64..12).prop_map(|days| Step::WaitDays { days }),
        1 => Just(Step::Award),
        1 => Just(Step::ReplayLast),
    ]
}

/// Runs the steps on a harness; returns its whole log.
fn run(steps: &[Step]) -> (Harness, Vec<Entry>) {
    let mut harness = Harness::new(3, 4);
    // The candidate publicity's periods need the calendars of the years the run may reach.
    harness.publish_test_calendar(2027);
    harness.publish_test_calendar(2028);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    let lot_one = LotId::parse("1").unwrap();
    let mut released = 0usize;
    for step in steps {
        harness.now_ms += 1_000;
        let _ = match step.clone() {
            Step::Bid { bidder, price } => {
                match harness
                    .ledger
                    .state()
                    .tenders
                    .get(&tender)
                    .and_then(|state| state.committee_key.as_ref())
                {
                    Some(_) => harness
                        .bid(&tender, "1", bidder, price, None)
                        .map(|_| ())
                        .map_err(|_| ()),
                    None => Err(()),
                }
            }
            Step::Replace { bidder, price } if harness.ledger.state().tenders.contains_key(&tender) => {
                let envelope = harness.seal_offer(&tender, "1", bidder, price, None);
                let key = Rc::clone(&harness.bidders[bidder]);
                harness
                    .run(
                        &key,
                        Action::ReplaceBid {
                            tender: tender.clone(),
                            lot: lot_one.clone(),
                            envelope_sha256: harness.carry(envelope),
                        },
                    )
                    .map(|_| ())
                    .map_err(|_| ())
            }
            Step::Replace { .. } => Err(()),
            Step::Withdraw { bidder } => {
                let key = Rc::clone(&harness.bidders[bidder]);
                harness
                    .run(
                        &key,
                        Action::WithdrawBid {
                            tender: tender.clone(),
                            lot: lot_one.clone(),
                        },
                    )
                    .map(|_| ())
                    .map_err(|_| ())
            }
            Step::Wait { minutes } => {
                harness.now_ms += minutes * 60_000;
                Ok(())
            }
            Step::Amend {
                minutes_before_deadline,
            } => {
                let deadline = harness.now_ms + 2 * HOUR_MS - minutes_before_deadline * 60_000;
                let action = Action::AmendTender {
                    tender: tender.clone(),
                    notice: "clarification".into(),
                    deadline_ms: Some(deadline),
                };
                harness.office_runs(action).map(|_| ()).map_err(|_| ())
            }
            Step::Close => harness
                .apply(EntryBody::Close { tender: tender.clone() })
                .map(|_| ())
                .map_err(|_| ()),
            Step::Release { members } => {
                if harness
                    .ledger
                    .state()
                    .tenders
                    .get(&tender)
                    .is_some_and(|state| state.phase == sealbid_ledger::tender::Phase::Closed)
                    && released == 0
                {
                    harness.release_shares(&tender, members);
                    released = members;
                }
                Ok(())
            }
            Step::Open => harness
                .office_runs(Action::OpenTender { tender: tender.clone() })
                .map(|_| ())
                .map_err(|_| ()),
            Step::Disqualify { bidder } => {
                let action = Action::DisqualifyBid {
                    tender: tender.clone(),
                    lot: lot_one.clone(),
                    bidder: harness.bidders[bidder].public_key(),
                    reason: "evaluation".into(),
                };
                harness.office_runs(action).map(|_| ()).map_err(|_| ())
            }
            Step::Publish => harness
                .office_runs(Action::PublishCandidates { tender: tender.clone() })
                .map(|_| ())
                .map_err(|_| ()),
            Step::WaitDays { days } => {
                harness.now_ms += days * 24 * HOUR_MS;
                Ok(())
            }
            Step::Award => harness
                .office_runs(Action::AwardTender { tender: tender.clone() })
                .map(|_| ())
                .map_err(|_| ()),
            Step::ReplayLast => match harness.log.last().cloned() {
                Some(entry) => harness.apply(entry.body).map(|_| ()).map_err(|_| ()),
                None => Err(()),
            },
        };
    }
    let log = harness.log.clone();
    (harness, log)
}

/// Applies a log to a fresh ledger, ignoring rejections (as a replica does).
fn replay(log: &[Entry], ledger: &mut Ledger<MemoryNodeStore>) {
    for entry in log {
        match ledger.apply(entry) {
            Ok(_) | Err(sealbid_ledger::ApplyError::Rejected(_)) => {}
            Err(fatal) => panic!("{fatal}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn replays_agree_and_snapshots_continue_identically(
        steps in proptest::collection::vec(step(), 1..40),
        cut in any::<prop::sample::Index>(),
    ) {
        let (harness, log) = run(&steps);
        let mut first = Ledger::new(MemoryNodeStore::new());
        replay(&log, &mut first);
        let mut second = Ledger::new(MemoryNodeStore::new());
        replay(&log, &mut second);
        prop_assert_eq!(first.state_hash(), harness.ledger.state_hash());
        prop_assert_eq!(second.state_hash(), first.state_hash());

        let cut = cut.index(log.len() + 1);
        let mut before = Ledger::new(MemoryNodeStore::new());
        replay(&log[..cut], &mut before);
        let bytes = serde_json::to_vec(&before.snapshot()).unwrap();
        let snapshot: Snapshot = serde_json::from_slice(&bytes).unwrap();
        let mut restored = Ledger::restore(snapshot, before.audit().store().clone()).unwrap();
        prop_assert_eq!(restored.state_hash(), before.state_hash());
        replay(&log[cut..], &mut restored);
        prop_assert_eq!(restored.state_hash(), first.state_hash());
    }
}
