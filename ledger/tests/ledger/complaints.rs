//! Complaints to the supervisors on the statutory clock, through the real ledger on 2026's
//! published calendar: a complaint about a construction tender's documents that must follow the
//! complainant's own answered objection, filed within 10 days of the answer, reviewed within 3
//! working days across National Day, accepted with a suspension and dismissed (the suspension
//! ends and the deadline moves); a complaint about the evaluation result that holds the award,
//! whose review and decision periods lapse (a yellow, then a red, escalated warning) and that is
//! upheld with a re-evaluation; another matter dated by when the complainant knew; every
//! not-accepted reason and a referral; a re-tender; and 财政部94号令's working-day clock.
//! Every refusal changes nothing. The instants were converted from China Standard Time by
//! another program, not by the code under test.

use std::rc::Rc;

use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_ledger::Rejection;
use sealbid_ledger::command::{Action, EntryBody, Lapse};
use sealbid_ledger::complaints::{ComplaintMatter, Decision, Handling, NotAcceptedReason, Review};
use sealbid_ledger::events::Response;
use sealbid_ledger::notices::Content;
use sealbid_ledger::objections::ObjectionMatter;
use sealbid_ledger::query::tender_view;
use sealbid_ledger::tender::Phase;
use sealbid_ledger::types::{ComplaintId, Market, ObjectionId, TenderId};
use sealbid_ledger::warnings::{Indicator, Level};

use crate::objections::{
    DAY_MS, OCT_9, OCT_12_10H, OCT_20_10H, OCT_22, SEP_15_09H, SEP_16_10H, SEP_18_10H, SEP_21, filed, harness_in_2026,
    office_answers, opened_with_four_bids, publish, withheld_until_close,
};
use crate::rejections::{refused, refused_command};
use crate::support::Harness;
use crate::warnings::raised;

// Instants, ms since the Unix epoch, of times in China Standard Time (UTC+8), 2026.
/// 09-22 10:00, a Tuesday.
const SEP_22_10H: u64 = 1_790_042_400_000;
/// 09-28 10:00, the Monday after the Mid-Autumn days off.
const SEP_28_10H: u64 = 1_790_560_800_000;
/// 09-29 00:00: 10 days after 18 September end with Monday 28 September; 3 working days after
/// 22 September (23, 24 and, past the days off, 28 September) end here too.
const SEP_29: u64 = 1_790_611_200_000;
/// 09-29 10:00.
const SEP_29_10H: u64 = 1_790_647_200_000;
/// 10-02 10:00, a National Day holiday.
const OCT_2_10H: u64 = 1_790_906_400_000;
/// 10-08 10:00, the first working day after National Day.
const OCT_8_10H: u64 = 1_791_424_800_000;
/// 10-13 00:00: 10 days after 2 October end with Monday 12 October.
const OCT_13: u64 = 1_791_820_800_000;
/// 10-16 10:00, a Friday.
const OCT_16_10H: u64 = 1_792_116_000_000;
/// 10-24 00:00: 5 working days after 16 October (19 to 23 October) end here.
const OCT_24: u64 = 1_792_771_200_000;
/// 10-24 10:00: the deadline of 20 October 10:00 moved out by a suspension of four days.
const OCT_24_10H: u64 = 1_792_807_200_000;
/// 11-12 00:00: 15 working days after the answer period that ended with 21 October.
const NOV_12: u64 = 1_794_412_800_000;
/// 11-17 00:00: 30 working days after 29 September end with Monday 16 November.
const NOV_17: u64 = 1_794_844_800_000;
/// 11-19 00:00: 30 working days after 8 October end with Wednesday 18 November.
const NOV_19: u64 = 1_795_017_600_000;
/// 11-20 10:00, a procurement tender's deadline.
const NOV_20_10H: u64 = 1_795_140_000_000;
/// 11-28 00:00: 30 working days after 16 October end with Friday 27 November.
const NOV_28: u64 = 1_795_795_200_000;

fn complaint(tender: &TenderId, matter: ComplaintMatter, objection: Option<&ObjectionId>) -> Action {
    Action::FileComplaint {
        tender: tender.clone(),
        matter,
        objection: objection.cloned(),
        known_at_ms: None,
        text: "the office's answer does not meet the objection".into(),
    }
}

fn other_matter(tender: &TenderId, known_at_ms: u64) -> Action {
    Action::FileComplaint {
        tender: tender.clone(),
        matter: ComplaintMatter::Other,
        objection: None,
        known_at_ms: Some(known_at_ms),
        text: "the office met one bidder before the opening".into(),
    }
}

fn review(tender: &TenderId, complaint: &ComplaintId, review: Review) -> Action {
    Action::ReviewComplaint {
        tender: tender.clone(),
        complaint: complaint.clone(),
        review,
        text: "reviewed".into(),
    }
}

fn decide(tender: &TenderId, complaint: &ComplaintId, decision: Decision) -> Action {
    Action::DecideComplaint {
        tender: tender.clone(),
        complaint: complaint.clone(),
        decision,
        text: "the handling decision".into(),
    }
}

/// Bidder `bidder` files `action`; the complaint's id and review due time.
fn complains(harness: &mut Harness, bidder: usize, action: Action) -> (ComplaintId, u64) {
    let key = Rc::clone(&harness.bidders[bidder]);
    let applied = harness.run(&key, action).unwrap();
    let Response::ComplaintFiled {
        complaint,
        review_due_ms,
    } = applied.response
    else {
        panic!("{applied:?}")
    };
    (complaint, review_due_ms)
}

/// The complaint as the ledger holds it.
fn held(harness: &Harness, tender: &TenderId, id: &ComplaintId) -> sealbid_ledger::complaints::Complaint {
    harness.ledger.state().tenders[tender]
        .complaints
        .iter()
        .find(|complaint| &complaint.id == id)
        .cloned()
        .unwrap()
}

fn review_lapse(tender: &TenderId, complaint: &ComplaintId) -> EntryBody {
    EntryBody::Lapse(Lapse::ComplaintReviewOverdue {
        tender: tender.clone(),
        complaint: complaint.clone(),
    })
}

fn decision_lapse(tender: &TenderId, complaint: &ComplaintId) -> EntryBody {
    EntryBody::Lapse(Lapse::ComplaintDecisionOverdue {
        tender: tender.clone(),
        complaint: complaint.clone(),
    })
}

fn not_lapsed(rejection: &Rejection) -> bool {
    matches!(rejection, Rejection::NotLapsed(_))
}

/// `lapse` (an entry body) is refused an instant before `due_ms`; at it, the leader finds it
/// the one lapse due, it applies, and it is refused a second time.
fn lapses_at(harness: &mut Harness, due_ms: u64, lapse: EntryBody) {
    harness.now_ms = due_ms - 1;
    refused(harness, lapse.clone(), not_lapsed);
    harness.now_ms = due_ms;
    let EntryBody::Lapse(expected) = &lapse else {
        panic!("{lapse:?} is no lapse")
    };
    assert_eq!(harness.ledger.lapses_due(due_ms), vec![expected.clone()]);
    harness.apply(lapse.clone()).unwrap();
    refused(harness, lapse, not_lapsed);
}

/// A construction tender with four bids (900, 800, 700 and 750), opened on 15 September, its
/// candidates published on the 16th; bidder 1 objects to the result on the 18th and the office
/// answers on the 21st at 00:00. The harness then, its supervisor, the tender and the objection.
fn objected_to_the_result() -> (Harness, Rc<IdentityKeyPair>, TenderId, ObjectionId) {
    let mut harness = harness_in_2026(SEP_15_09H, 4);
    let supervisor = harness.grant_supervisor();
    let tender = opened_with_four_bids(&mut harness);
    harness.now_ms = SEP_16_10H;
    harness
        .office_runs(Action::PublishCandidates { tender: tender.clone() })
        .unwrap();
    harness.now_ms = SEP_18_10H;
    let (objection, _) = filed(&mut harness, &tender, 1, ObjectionMatter::Evaluation);
    harness.now_ms = SEP_21;
    office_answers(&mut harness, &tender, &objection, false);
    (harness, supervisor, tender, objection)
}

#[test]
fn a_documents_complaint_follows_the_own_answered_objection_suspends_the_tender_and_its_dismissal_moves_the_deadline() {
    let mut harness = harness_in_2026(SEP_15_09H, 3);
    let supervisor = harness.grant_supervisor();
    let tender = publish(&mut harness, Market::Construction, OCT_20_10H);
    let key = |harness: &Harness, bidder: usize| Rc::clone(&harness.bidders[bidder]);

    // Without an objection first, the complaint is refused with its own code.
    harness.now_ms = SEP_16_10H;
    let first = key(&harness, 0);
    refused_command(
        &mut harness,
        &first,
        complaint(&tender, ComplaintMatter::Documents, None),
        |rejection| {
            *rejection
                == Rejection::ObjectionRequired {
                    tender: tender.clone(),
                    matter: ComplaintMatter::Documents,
                }
        },
    );
    assert_eq!(
        harness.ledger.lapses_due(harness.now_ms),
        vec![],
        "nothing runs before a filing"
    );
    let (objection, answer_due_ms) = filed(&mut harness, &tender, 0, ObjectionMatter::Documents);
    assert_eq!(answer_due_ms, SEP_21);
    // While the office may still answer, the complaint waits for the answer.
    harness.now_ms = SEP_18_10H;
    refused_command(
        &mut harness,
        &first,
        complaint(&tender, ComplaintMatter::Documents, Some(&objection)),
        |rejection| {
            *rejection
                == Rejection::ObjectionAwaitingAnswer {
                    objection: objection.clone(),
                    answer_due_ms: SEP_21,
                }
        },
    );
    office_answers(&mut harness, &tender, &objection, false);
    // Another bidder cannot lean on someone else's objection, nor on one about another matter.
    let second = key(&harness, 1);
    for (matter, named) in [
        (ComplaintMatter::Documents, Some(&objection)),
        (ComplaintMatter::Opening, Some(&objection)),
    ] {
        let bidder = if matter == ComplaintMatter::Documents {
            &second
        } else {
            &first
        };
        refused_command(&mut harness, bidder, complaint(&tender, matter, named), |rejection| {
            *rejection
                == Rejection::ObjectionRequired {
                    tender: tender.clone(),
                    matter,
                }
        });
    }
    // Members that do not fit the matter are refused.
    let mut dated = complaint(&tender, ComplaintMatter::Documents, Some(&objection));
    if let Action::FileComplaint { known_at_ms, .. } = &mut dated {
        *known_at_ms = Some(SEP_18_10H);
    }
    refused_command(&mut harness, &first, dated, |rejection| {
        matches!(rejection, Rejection::Invalid(_))
    });

    // 10 days from the answer: the last day is Monday 28 September.
    harness.now_ms = SEP_28_10H;
    let (id, review_due_ms) = complains(
        &mut harness,
        0,
        complaint(&tender, ComplaintMatter::Documents, Some(&objection)),
    );
    assert_eq!(id, ComplaintId::parse("CP-000001").unwrap());
    assert_eq!(
        review_due_ms, OCT_9,
        "3 working days: 29 and 30 September, then 8 October after National Day"
    );
    refused_command(
        &mut harness,
        &first,
        complaint(&tender, ComplaintMatter::Documents, Some(&objection)),
        |rejection| {
            *rejection
                == Rejection::DuplicateComplaint {
                    objection: objection.clone(),
                    complaint: id.clone(),
                }
        },
    );
    // While the tender takes bids the filing is withheld and the public view names no one.
    let view = withheld_until_close(&harness, &tender);
    assert_eq!(view["complaints"][0]["complainant"], serde_json::Value::Null, "{view}");
    assert_eq!(view["complaints"][0]["review_due_ms"], OCT_9);
    assert_eq!(view["complaints"][0]["objection"], objection.as_str());

    // A bidder cannot review; a decision needs an acceptance first.
    refused_command(
        &mut harness,
        &first,
        review(&tender, &id, Review::Accepted { suspend: true }),
        |rejection| matches!(rejection, Rejection::MissingRole(_)),
    );
    refused_command(
        &mut harness,
        &supervisor,
        decide(&tender, &id, Decision::Dismissed),
        |rejection| *rejection == Rejection::ComplaintNotAccepted(id.clone()),
    );
    refused_command(
        &mut harness,
        &supervisor,
        review(&tender, &ComplaintId::parse("CP-000009").unwrap(), Review::Referred),
        |rejection| matches!(rejection, Rejection::UnknownComplaint { .. }),
    );

    // Accepted on the last working day, suspending the tender during the investigation.
    harness.now_ms = OCT_8_10H;
    harness
        .run(&supervisor, review(&tender, &id, Review::Accepted { suspend: true }))
        .unwrap();
    let accepted = held(&harness, &tender, &id);
    assert!(!accepted.review.as_ref().unwrap().overdue);
    assert_eq!(
        accepted.decision_due_ms,
        Some(NOV_19),
        "30 working days from the acceptance"
    );
    assert_eq!(
        harness.ledger.state().tenders[&tender]
            .suspension
            .as_ref()
            .map(|suspension| (suspension.suspended_at_ms, suspension.reason.as_str())),
        Some((OCT_8_10H, "reviewed")),
        "suspended at the acceptance, for the review's reasons"
    );
    assert!(accepted.suspended);
    refused_command(
        &mut harness,
        &supervisor,
        review(&tender, &id, Review::Referred),
        |rejection| *rejection == Rejection::ComplaintReviewed(id.clone()),
    );
    let bid = harness.bid(&tender, "1", 1, 900, None).unwrap_err();
    assert!(
        matches!(
            bid,
            sealbid_ledger::ApplyError::Rejected(Rejection::TenderSuspended { .. })
        ),
        "{bid:?}"
    );

    // Dismissed four days later: the suspension ends and the deadline moves out by four days.
    harness.now_ms = OCT_12_10H;
    harness
        .run(&supervisor, decide(&tender, &id, Decision::Dismissed))
        .unwrap();
    let state = &harness.ledger.state().tenders[&tender];
    assert_eq!(state.suspension, None);
    assert_eq!(state.deadline_ms, OCT_24_10H);
    assert_eq!(state.phase, Phase::Bidding);
    let decided = held(&harness, &tender, &id);
    assert_eq!(decided.decision.as_ref().unwrap().outcome, Decision::Dismissed);
    assert!(!decided.is_open());
    refused_command(
        &mut harness,
        &supervisor,
        decide(&tender, &id, Decision::Dismissed),
        |rejection| *rejection == Rejection::ComplaintDecided(id.clone()),
    );
    assert!(
        harness.ledger.lapses_due(NOV_19).is_empty(),
        "a decided complaint lapses no more"
    );
}

#[test]
fn a_complaint_about_the_result_holds_the_award_lapses_twice_and_is_upheld_with_a_re_evaluation() {
    let (mut harness, supervisor, tender, objection) = objected_to_the_result();
    let office = Rc::clone(&harness.office);
    let award = || Action::AwardTender { tender: tender.clone() };

    // Answered, the objection may still go to a supervisor: the award waits for its window,
    // 10 days from the answer, the last day rolled over National Day to 8 October.
    refused_command(&mut harness, &office, award(), |rejection| {
        *rejection
            == Rejection::ComplaintWindowOpen {
                tender: tender.clone(),
                objection: objection.clone(),
                closes_at_ms: OCT_9,
            }
    });
    harness.now_ms = SEP_22_10H;
    let (id, review_due_ms) = complains(
        &mut harness,
        1,
        complaint(&tender, ComplaintMatter::Evaluation, Some(&objection)),
    );
    assert_eq!(review_due_ms, SEP_29);
    assert_eq!(
        held(&harness, &tender, &id).decision_due_ms,
        None,
        "due from the acceptance"
    );
    refused_command(&mut harness, &office, award(), |rejection| {
        *rejection
            == Rejection::ComplaintPending {
                tender: tender.clone(),
                complaint: id.clone(),
            }
    });

    // No review by its end: the leader records it, a yellow warning; not before, not twice.
    harness.now_ms = SEP_29 - 1;
    assert!(harness.ledger.lapses_due(harness.now_ms).is_empty());
    refused(&mut harness, decision_lapse(&tender, &id), not_lapsed);
    lapses_at(&mut harness, SEP_29, review_lapse(&tender, &id));
    let yellow = raised(&harness, &tender, Indicator::ComplaintOverdue);
    assert_eq!(
        yellow.iter().map(|warning| warning.level).collect::<Vec<_>>(),
        vec![Level::Yellow]
    );

    // Accepted late, without a suspension; the decision is due 30 working days later.
    harness.now_ms = SEP_29_10H;
    harness
        .run(&supervisor, review(&tender, &id, Review::Accepted { suspend: false }))
        .unwrap();
    let accepted = held(&harness, &tender, &id);
    assert!(accepted.review.as_ref().unwrap().overdue);
    assert_eq!(accepted.decision_due_ms, Some(NOV_17));
    assert_eq!(harness.ledger.state().tenders[&tender].suspension, None);

    // No decision by then: escalated, a red warning, which holds the award on its own.
    lapses_at(&mut harness, NOV_17, decision_lapse(&tender, &id));
    let levels: Vec<Level> = raised(&harness, &tender, Indicator::ComplaintOverdue)
        .iter()
        .map(|warning| warning.level)
        .collect();
    assert_eq!(levels, vec![Level::Yellow, Level::Red]);

    // Upheld: the evaluation is done again; the candidates are withdrawn.
    harness
        .run(
            &supervisor,
            decide(
                &tender,
                &id,
                Decision::Upheld {
                    handling: Handling::ReEvaluate,
                },
            ),
        )
        .unwrap();
    let reevaluated = &harness.ledger.state().tenders[&tender];
    assert_eq!(
        (reevaluated.phase, reevaluated.publicity.as_ref()),
        (Phase::Opened, None)
    );
    assert!(held(&harness, &tender, &id).decision.as_ref().unwrap().overdue);
    // Published again and run, the award is still held by the red warning until disposed of.
    harness.publish_candidates(&tender);
    harness.now_ms += 10 * DAY_MS;
    refused_command(&mut harness, &office, award(), |rejection| {
        matches!(rejection, Rejection::AwardHeld { .. })
    });
}

#[test]
fn another_matter_counts_from_when_the_complainant_knew_and_every_review_outcome_is_kept() {
    let mut harness = harness_in_2026(SEP_15_09H, 2);
    let supervisor = harness.grant_supervisor();
    let tender = publish(&mut harness, Market::Construction, OCT_20_10H);
    let bidder = Rc::clone(&harness.bidders[0]);
    harness.now_ms = OCT_12_10H;
    refused_command(
        &mut harness,
        &bidder,
        other_matter(&tender, SEP_15_09H - 1),
        |rejection| matches!(rejection, Rejection::Invalid(_)),
    );
    refused_command(
        &mut harness,
        &bidder,
        other_matter(&tender, OCT_12_10H + 1),
        |rejection| matches!(rejection, Rejection::Invalid(_)),
    );
    let mut undated = other_matter(&tender, OCT_2_10H);
    if let Action::FileComplaint { known_at_ms, .. } = &mut undated {
        *known_at_ms = None;
    }
    refused_command(&mut harness, &bidder, undated, |rejection| {
        matches!(rejection, Rejection::Invalid(_))
    });

    let reviews = [
        Review::NotAccepted {
            reason: NotAcceptedReason::NotAParty,
        },
        Review::NotAccepted {
            reason: NotAcceptedReason::NoGrounds,
        },
        Review::NotAccepted {
            reason: NotAcceptedReason::OutOfTime,
        },
        Review::NotAccepted {
            reason: NotAcceptedReason::AlreadyDecided,
        },
        Review::NotAccepted {
            reason: NotAcceptedReason::Incomplete,
        },
        Review::NotAccepted {
            reason: NotAcceptedReason::OtherProceedings,
        },
        Review::Referred,
    ];
    let mut ids = Vec::new();
    for _ in reviews {
        ids.push(complains(&mut harness, 0, other_matter(&tender, OCT_2_10H)).0);
    }
    // 10 days from 2 October: the window closed at 00:00 on 13 October.
    harness.now_ms = OCT_13;
    refused_command(&mut harness, &bidder, other_matter(&tender, OCT_2_10H), |rejection| {
        *rejection
            == Rejection::ComplaintOutOfTime {
                tender: tender.clone(),
                matter: ComplaintMatter::Other,
                closed_at_ms: OCT_13,
            }
    });
    for (id, outcome) in ids.iter().zip(reviews) {
        harness.run(&supervisor, review(&tender, id, outcome)).unwrap();
        let reviewed = held(&harness, &tender, id);
        assert_eq!(reviewed.review.as_ref().unwrap().outcome, outcome);
        assert_eq!(reviewed.decision_due_ms, None);
        assert!(!reviewed.is_open(), "{outcome:?} ends the complaint");
        refused_command(
            &mut harness,
            &supervisor,
            decide(&tender, id, Decision::Dismissed),
            |rejection| *rejection == Rejection::ComplaintNotAccepted(id.clone()),
        );
    }
    // The JSON of each outcome, as protocol.md gives it.
    let view = serde_json::to_value(tender_view(&harness.ledger.state().tenders[&tender])).unwrap();
    assert_eq!(
        view["complaints"][1]["review"]["outcome"],
        serde_json::json!({"not_accepted": {"reason": "no_grounds"}})
    );
    assert_eq!(view["complaints"][6]["review"]["outcome"], "referred");
    assert_eq!(view["complaints"][0]["known_at_ms"], OCT_2_10H);
    assert!(harness.ledger.lapses_due(NOV_28).is_empty());
}

#[test]
fn an_upheld_complaint_can_order_a_re_tender_and_a_re_evaluation_needs_an_opened_tender() {
    let mut harness = harness_in_2026(SEP_15_09H, 2);
    let supervisor = harness.grant_supervisor();
    let tender = publish(&mut harness, Market::Construction, OCT_20_10H);
    harness.now_ms = OCT_2_10H;
    let (id, _) = complains(&mut harness, 0, other_matter(&tender, SEP_28_10H));
    harness
        .run(&supervisor, review(&tender, &id, Review::Accepted { suspend: false }))
        .unwrap();
    // A re-evaluation and an annulled award need a tender past its opening.
    for handling in [Handling::ReEvaluate, Handling::AnnulAward] {
        refused_command(
            &mut harness,
            &supervisor,
            decide(&tender, &id, Decision::Upheld { handling }),
            |rejection| {
                matches!(
                    rejection,
                    Rejection::WrongPhase {
                        phase: Phase::Bidding,
                        ..
                    }
                )
            },
        );
    }
    let archived = harness.archived.len();
    let applied = harness
        .run(
            &supervisor,
            decide(
                &tender,
                &id,
                Decision::Upheld {
                    handling: Handling::ReTender,
                },
            ),
        )
        .unwrap();
    // The information service publishes the decision (without the complainant), then the
    // cancellation.
    let notices: Vec<Content> = applied.notices.iter().map(|notice| notice.content.clone()).collect();
    assert_eq!(
        notices,
        vec![
            Content::ComplaintDecision {
                complaint: id.clone(),
                decision: Decision::Upheld {
                    handling: Handling::ReTender
                },
                text: "the handling decision".into(),
            },
            Content::Cancellation {
                reason: "re-tender ordered by the decision on complaint CP-000001".into()
            }
        ]
    );
    assert_eq!(
        applied.notices.iter().map(|notice| notice.position).collect::<Vec<_>>(),
        [0, 1]
    );
    // A notice's kind is its content's member name in JSON, one of the kinds listed.
    for content in &notices {
        let json = serde_json::to_value(content).unwrap();
        let member = json.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(content.kind(), member);
        assert!(Content::KINDS.contains(&content.kind()), "{member}");
    }
    assert_eq!(
        notices.iter().map(Content::kind).collect::<Vec<_>>(),
        ["complaint_decision", "cancellation"]
    );
    assert!(
        !serde_json::to_string(&applied.notices)
            .unwrap()
            .contains(&harness.bidders[0].public_key().to_string())
    );
    assert!(
        !harness.ledger.state().tenders.contains_key(&tender),
        "final, it leaves memory"
    );
    assert_eq!(harness.archived.len(), archived + 1);
    let record = harness.archived.last().unwrap();
    assert_eq!(record.tender.phase, Phase::Cancelled);
    assert_eq!(
        record.tender.cancellation.as_deref(),
        Some("re-tender ordered by the decision on complaint CP-000001")
    );
    assert_eq!(
        record.tender.complaints[0].decision.as_ref().unwrap().outcome,
        Decision::Upheld {
            handling: Handling::ReTender
        }
    );
}

#[test]
fn procurement_complaints_follow_a_query_on_working_days_and_are_decided_within_thirty_of_the_filing() {
    let mut harness = harness_in_2026(OCT_12_10H - 60 * 60 * 1000, 2);
    let supervisor = harness.grant_supervisor();
    let tender = publish(&mut harness, Market::Procurement, NOV_20_10H);
    let bidder: Rc<IdentityKeyPair> = Rc::clone(&harness.bidders[0]);
    harness.now_ms = OCT_12_10H;
    // Under 财政部94号令 every complaint follows a query: another matter is refused.
    refused_command(&mut harness, &bidder, other_matter(&tender, OCT_12_10H), |rejection| {
        *rejection
            == Rejection::ObjectionRequired {
                tender: tender.clone(),
                matter: ComplaintMatter::Other,
            }
    });
    let (query, answer_due_ms) = filed(&mut harness, &tender, 0, ObjectionMatter::Documents);
    assert_eq!(answer_due_ms, OCT_22);
    harness.now_ms = OCT_16_10H;
    office_answers(&mut harness, &tender, &query, false);
    // Answered, the complaint may come at once; its window runs 15 working days after the
    // answer period, whenever the answer came.
    let (id, review_due_ms) = complains(
        &mut harness,
        0,
        complaint(&tender, ComplaintMatter::Documents, Some(&query)),
    );
    assert_eq!(review_due_ms, OCT_24, "5 working days");
    assert_eq!(
        held(&harness, &tender, &id).decision_due_ms,
        Some(NOV_28),
        "30 working days from the filing, known at once"
    );
    // The window closed 15 working days after the answer period (the time limit is checked
    // before the complaint already filed on the query).
    harness.now_ms = NOV_12;
    refused_command(
        &mut harness,
        &bidder,
        complaint(&tender, ComplaintMatter::Documents, Some(&query)),
        |rejection| {
            *rejection
                == Rejection::ComplaintOutOfTime {
                    tender: tender.clone(),
                    matter: ComplaintMatter::Documents,
                    closed_at_ms: NOV_12,
                }
        },
    );
    // Both periods lapse on their own dates: the review first, the decision from the filing.
    assert_eq!(
        harness.ledger.lapses_due(NOV_28),
        vec![
            Lapse::ComplaintReviewOverdue {
                tender: tender.clone(),
                complaint: id.clone()
            },
            Lapse::ComplaintDecisionOverdue {
                tender: tender.clone(),
                complaint: id.clone()
            }
        ]
    );
    harness
        .run(&supervisor, review(&tender, &id, Review::Accepted { suspend: false }))
        .unwrap();
    assert_eq!(
        held(&harness, &tender, &id).decision_due_ms,
        Some(NOV_28),
        "unchanged by the acceptance"
    );
}

#[test]
fn an_upheld_complaint_annuls_the_proposed_award_and_the_next_candidate_ranks_first() {
    let (mut harness, supervisor, tender, objection) = objected_to_the_result();
    harness.now_ms = SEP_22_10H;
    let (id, _) = complains(
        &mut harness,
        1,
        complaint(&tender, ComplaintMatter::Evaluation, Some(&objection)),
    );
    harness
        .run(&supervisor, review(&tender, &id, Review::Accepted { suspend: false }))
        .unwrap();
    let upheld = harness
        .run(
            &supervisor,
            decide(
                &tender,
                &id,
                Decision::Upheld {
                    handling: Handling::AnnulAward,
                },
            ),
        )
        .unwrap();
    assert_eq!(
        upheld.events.len(),
        2,
        "the decision and the winner's disqualification: {:?}",
        upheld.events
    );
    let annulled = &harness.ledger.state().tenders[&tender];
    assert_eq!((annulled.phase, annulled.publicity.as_ref()), (Phase::Opened, None));
    let winner = harness.bidders[2].public_key();
    let status = annulled
        .opening
        .as_ref()
        .unwrap()
        .bids
        .iter()
        .find(|bid| bid.bidder == winner)
        .map(|bid| bid.status.clone());
    assert_eq!(
        status,
        Some(sealbid_ledger::tender::BidStatus::Disqualified {
            reason: "the award was annulled by the decision on complaint CP-000001".into()
        })
    );
    // Published again, the next in rank is first.
    harness
        .office_runs(Action::PublishCandidates { tender: tender.clone() })
        .unwrap();
    let publicity = harness.ledger.state().tenders[&tender].publicity.clone().unwrap();
    let first = &publicity.lots[&sealbid_ledger::types::LotId::parse("1").unwrap()].candidates[0];
    assert_eq!((first.rank, first.bidder), (1, harness.bidders[3].public_key()));
}
