//! Objections on the statutory clock, through the real ledger on 2026's published calendar: a
//! construction tender's objection to its documents (10 days before the deadline, answered in 3
//! days rolled past National Day; it holds the close, and an answer that amends moves the
//! deadline), an objection at its opening (the same day, holding every other act of the
//! office), a procurement query on 财政部94号令's working days (it holds the award, not the
//! close), the candidate publicity of a construction tender (3 days rolled to a 调休 Sunday,
//! an objection to the result holding the award, the result notices) and of a procurement
//! tender (1 working day and 7 for queries), the leader's lapse entry when an answer period
//! ends, and a year without a calendar.
//! Every refusal changes nothing. The instants were converted from China Standard Time by
//! another program, not by the code under test.

use std::rc::Rc;

use sealbid_ledger::Rejection;
use sealbid_ledger::award::LotOutcome;
use sealbid_ledger::command::{Action, EntryBody, Lapse, LedgerConfig};
use sealbid_ledger::disclosure::{Withheld, withheld};
use sealbid_ledger::events::Response;
use sealbid_ledger::objections::{OBJECTIONS_PER_TENDER_MAX, ObjectionMatter};
use sealbid_ledger::query::tender_view;
use sealbid_ledger::tender::Phase;
use sealbid_ledger::types::{LotId, Market, ObjectionId, TenderId};
use sealbid_ledger::warnings::{Indicator, Level};

use crate::calendar::{calendar_file, publication};
use crate::rejections::{refused, refused_command};
use crate::support::{Harness, lot};
use crate::warnings::{raised, value};

/// One day, ms.
pub(crate) const DAY_MS: u64 = 24 * 60 * 60 * 1000;

// Instants, ms since the Unix epoch, of times in China Standard Time (UTC+8), 2026.
/// 09-15 09:00, a Tuesday.
pub(crate) const SEP_15_09H: u64 = 1_789_434_000_000;
/// 09-15 15:00.
const SEP_15_15H: u64 = 1_789_455_600_000;
/// 09-15 16:00.
const SEP_15_16H: u64 = 1_789_459_200_000;
/// 09-16 00:00: the end of the opening's day.
const SEP_16: u64 = 1_789_488_000_000;
/// 09-16 10:00, a Wednesday.
pub(crate) const SEP_16_10H: u64 = 1_789_524_000_000;
/// 09-18 10:00, a Friday.
pub(crate) const SEP_18_10H: u64 = 1_789_696_800_000;
/// 09-21 00:00: three days after 16 September end on Saturday 19 September, a day off, and roll
/// to Sunday 20 September, a 调休 working day, which ends here.
pub(crate) const SEP_21: u64 = 1_789_920_000_000;
/// 09-22 00:00: three days after 18 September end with Monday 21 September.
const SEP_22: u64 = 1_790_006_400_000;
/// 09-29 11:00, a Tuesday two days before National Day.
const SEP_29_11H: u64 = 1_790_650_800_000;
/// 10-08 23:59.
const OCT_8_23H59: u64 = 1_791_475_140_000;
/// 10-09 00:00: three days after 29 September end on 2 October, a holiday, and roll over the
/// holiday to Thursday 8 October, which ends here.
pub(crate) const OCT_9: u64 = 1_791_475_200_000;
/// 10-10 10:00, ten days before the first deadline.
const OCT_10_10H: u64 = 1_791_597_600_000;
/// 10-12 09:00, a Monday.
const OCT_12_09H: u64 = 1_791_766_800_000;
/// 10-12 10:00.
pub(crate) const OCT_12_10H: u64 = 1_791_770_400_000;
/// 10-14 23:00.
pub(crate) const OCT_14_23H: u64 = 1_791_990_000_000;
/// 10-15 00:00: 7 working days after 29 September (30 Sep, 8, 9, 10 (调休 Saturday), 12, 13 and
/// 14 October) end here.
const OCT_15: u64 = 1_791_993_600_000;
/// 10-16 00:00: three days after 12 October end with Thursday 15 October.
const OCT_16: u64 = 1_792_080_000_000;
/// 10-20 10:00, the first deadline.
pub(crate) const OCT_20_10H: u64 = 1_792_461_600_000;
/// 10-22 00:00: 1 working day after 20 October (Wednesday 21 October) ends here.
pub(crate) const OCT_22: u64 = 1_792_598_400_000;
/// 10-24 00:00: 7 working days after 14 October (15, 16, 19 to 23) end here.
const OCT_24: u64 = 1_792_771_200_000;
/// 10-31 00:00: 7 working days after 21 October (22, 23, 26 to 30) end here.
const OCT_31: u64 = 1_793_376_000_000;
/// 10-27 09:00: 12 October 09:00 plus the 15 days' notice of 招标投标法 Art. 23.
const OCT_27_09H: u64 = 1_793_062_800_000;

/// A harness from `start_ms` with 2026's calendar published, 3 members and `bidders` bidders.
pub(crate) fn harness_in_2026(start_ms: u64, bidders: usize) -> Harness {
    let mut harness = Harness::starting_at(start_ms, 3, bidders, LedgerConfig::default());
    let operator = Rc::clone(&harness.operator);
    harness.run(&operator, publication(&calendar_file())).unwrap();
    harness
}

/// A tender of `market`, lot "1", threshold 2, deadline `deadline_ms`, 15 days' notice for
/// amendments (招标投标法 Art. 23).
pub(crate) fn publish(harness: &mut Harness, market: Market, deadline_ms: u64) -> TenderId {
    let mut spec = harness.spec(market, vec![lot("1")], 2);
    spec.deadline_ms = deadline_ms;
    spec.notice_period_ms = 15 * DAY_MS;
    harness.publish(spec)
}

fn file(tender: &TenderId, matter: ObjectionMatter, text: &str) -> Action {
    Action::FileObjection {
        tender: tender.clone(),
        matter,
        text: text.into(),
    }
}

fn answer(tender: &TenderId, objection: &ObjectionId, amends: bool) -> Action {
    Action::AnswerObjection {
        tender: tender.clone(),
        objection: objection.clone(),
        answer: "the office's answer".into(),
        amends,
    }
}

/// Bidder `bidder` files an objection; its id and answer due time.
pub(crate) fn filed(
    harness: &mut Harness,
    tender: &TenderId,
    bidder: usize,
    matter: ObjectionMatter,
) -> (ObjectionId, u64) {
    let key = Rc::clone(&harness.bidders[bidder]);
    let applied = harness
        .run(&key, file(tender, matter, "the requirement favours one maker"))
        .unwrap();
    let Response::ObjectionFiled {
        objection,
        answer_due_ms,
    } = applied.response
    else {
        panic!("{applied:?}")
    };
    (objection, answer_due_ms)
}

pub(crate) fn office_answers(
    harness: &mut Harness,
    tender: &TenderId,
    objection: &ObjectionId,
    amends: bool,
) -> Response {
    harness.office_runs(answer(tender, objection, amends)).unwrap().response
}

/// Bidder `bidder` objects about `matter` and is refused out of time: the window closed at
/// `closed_at_ms`, or (`None`) the tender is not in the matter's phase.
fn refused_out_of_time(
    harness: &mut Harness,
    tender: &TenderId,
    bidder: usize,
    matter: ObjectionMatter,
    closed_at_ms: Option<u64>,
) {
    let key = Rc::clone(&harness.bidders[bidder]);
    refused_command(harness, &key, file(tender, matter, "out of time"), |rejection| {
        *rejection
            == Rejection::ObjectionOutOfTime {
                tender: tender.clone(),
                matter,
                closed_at_ms,
            }
    });
}

/// Bidding closes, two members release their shares, and the office opens on 15 September at
/// 15:00.
pub(crate) fn open_on_sep_15(harness: &mut Harness, tender: &TenderId) {
    harness.close(tender);
    harness.release_shares(tender, 2);
    harness.now_ms = SEP_15_15H;
    harness
        .office_runs(Action::OpenTender { tender: tender.clone() })
        .unwrap();
}

/// Checks that the last entry is withheld until `tender`'s close; the tender's public view.
pub(crate) fn withheld_until_close(harness: &Harness, tender: &TenderId) -> serde_json::Value {
    let filing = harness.log.last().unwrap().clone();
    assert_eq!(
        withheld(harness.ledger.state(), &filing),
        Some(Withheld::UntilClose(tender.clone()))
    );
    serde_json::to_value(tender_view(&harness.ledger.state().tenders[tender])).unwrap()
}

/// The award waits while `objection`, answered, may still be taken to a complaint (its window
/// closes at `closes_at_ms`); from then on, the office awards.
fn award_after_complaint_window(
    harness: &mut Harness,
    tender: &TenderId,
    objection: &ObjectionId,
    closes_at_ms: u64,
) -> std::collections::BTreeMap<LotId, LotOutcome> {
    let office = Rc::clone(&harness.office);
    let award = Action::AwardTender { tender: tender.clone() };
    refused_command(harness, &office, award, |rejection| {
        *rejection
            == Rejection::ComplaintWindowOpen {
                tender: tender.clone(),
                objection: objection.clone(),
                closes_at_ms,
            }
    });
    harness.now_ms = closes_at_ms;
    harness.award(tender).1
}

fn lapse(tender: &TenderId, objection: &ObjectionId) -> EntryBody {
    EntryBody::Lapse(Lapse::ObjectionUnanswered {
        tender: tender.clone(),
        objection: objection.clone(),
    })
}

fn pending(objection: &ObjectionId) -> impl Fn(&Rejection) -> bool + '_ {
    move |rejection| matches!(rejection, Rejection::ObjectionPending { objection: held, .. } if held == objection)
}

#[test]
fn a_documents_objection_rolls_over_national_day_holds_the_close_and_its_answer_moves_the_deadline() {
    let mut harness = harness_in_2026(SEP_15_09H, 3);
    let tender = publish(&mut harness, Market::Construction, OCT_20_10H);

    harness.now_ms = SEP_29_11H;
    let (first, due_ms) = filed(&mut harness, &tender, 0, ObjectionMatter::Documents);
    assert_eq!(
        due_ms, OCT_9,
        "3 days, the last on a holiday, roll to the first working day"
    );
    // While the tender takes bids the filing is withheld and the public view names no objector.
    let filing = harness.log.last().unwrap().clone();
    let view = withheld_until_close(&harness, &tender);
    assert_eq!(view["objections"][0]["objector"], serde_json::Value::Null, "{view}");
    assert_eq!(view["objections"][0]["answer_due_ms"], OCT_9);

    // No lapse before the answer period ends; the leader finds it at its end.
    harness.now_ms = OCT_8_23H59;
    assert!(harness.ledger.lapses_due(harness.now_ms).is_empty());
    refused(&mut harness, lapse(&tender, &first), |rejection| {
        matches!(rejection, Rejection::NotLapsed(_))
    });
    harness.now_ms = OCT_9;
    let due = harness.ledger.lapses_due(harness.now_ms);
    assert_eq!(
        due,
        vec![Lapse::ObjectionUnanswered {
            tender: tender.clone(),
            objection: first.clone()
        }]
    );
    let lapsed = harness.apply(lapse(&tender, &first)).unwrap();
    let warnings = raised(&harness, &tender, Indicator::ObjectionUnanswered);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].level, Level::Yellow);
    assert_eq!(warnings[0].audit_index, lapsed.audit_index);
    assert_eq!(warnings[0].evidence.bidders, vec![harness.bidders[0].public_key()]);
    assert_eq!(value(&warnings[0], "answer_due_ms"), OCT_9 as i64);
    let held = &harness.ledger.state().tenders[&tender].objections[0];
    assert_eq!(held.lapsed.map(|lapse| lapse.audit_index), Some(lapsed.audit_index));
    assert!(harness.ledger.lapses_due(harness.now_ms).is_empty());
    refused(&mut harness, lapse(&tender, &first), |rejection| {
        matches!(rejection, Rejection::NotLapsed(_))
    });

    // Ten days before the deadline the window has closed.
    harness.now_ms = OCT_10_10H;
    refused_out_of_time(&mut harness, &tender, 1, ObjectionMatter::Documents, Some(OCT_10_10H));

    // The overdue answer changes the documents: an amendment, and the deadline moves out to 15
    // days after it.
    harness.now_ms = OCT_12_09H;
    let other_office = Rc::clone(&harness.bidders[2]);
    refused_command(
        &mut harness,
        &other_office,
        answer(&tender, &first, false),
        |rejection| *rejection == Rejection::NotTheTendersOffice(tender.clone()),
    );
    let office = Rc::clone(&harness.office);
    let unknown = ObjectionId::numbered(99);
    refused_command(&mut harness, &office, answer(&tender, &unknown, false), |rejection| {
        matches!(rejection, Rejection::UnknownObjection { .. })
    });
    assert_eq!(
        office_answers(&mut harness, &tender, &first, true),
        Response::TenderAmended {
            deadline_ms: OCT_27_09H
        }
    );
    let state_tender = &harness.ledger.state().tenders[&tender];
    assert_eq!(state_tender.deadline_ms, OCT_27_09H);
    assert_eq!(state_tender.amendments.last().unwrap().notice, "the office's answer");
    let recorded = state_tender.objections[0].answer.as_ref().unwrap();
    assert!(recorded.amends && recorded.overdue);
    refused_command(&mut harness, &office, answer(&tender, &first, false), |rejection| {
        *rejection == Rejection::ObjectionAnswered(first.clone())
    });

    // A second objection, unanswered at the deadline, holds the close: the leader does not
    // propose it, and a close entry is refused.
    harness.now_ms = OCT_12_10H;
    let (second, due_ms) = filed(&mut harness, &tender, 1, ObjectionMatter::Documents);
    assert_eq!(due_ms, OCT_16);
    let window_ms = harness.ledger.state().config().arrival_window_ms;
    harness.now_ms = OCT_27_09H + window_ms;
    assert!(harness.ledger.tenders_due_to_close(harness.now_ms).is_empty());
    refused(
        &mut harness,
        EntryBody::Close { tender: tender.clone() },
        pending(&second),
    );
    let office_close = Action::CloseTender { tender: tender.clone() };
    refused_command(&mut harness, &office, office_close, pending(&second));
    // Past the deadline an answer can no longer amend; a plain one releases the close.
    refused_command(&mut harness, &office, answer(&tender, &second, true), |rejection| {
        matches!(rejection, Rejection::Late { .. })
    });
    assert_eq!(office_answers(&mut harness, &tender, &second, false), Response::Applied);
    assert_eq!(
        harness.ledger.tenders_due_to_close(harness.now_ms),
        vec![tender.clone()]
    );
    harness.apply(EntryBody::Close { tender: tender.clone() }).unwrap();
    // Closed: the objections name their objectors, and the filing is public.
    let view = serde_json::to_value(tender_view(&harness.ledger.state().tenders[&tender])).unwrap();
    assert_eq!(
        view["objections"][0]["objector"],
        harness.bidders[0].public_key().to_string()
    );
    assert_eq!(withheld(harness.ledger.state(), &filing), None);
    // Too late for the documents now.
    refused_out_of_time(&mut harness, &tender, 1, ObjectionMatter::Documents, None);
}

#[test]
fn an_opening_objection_is_answered_the_same_day_before_the_office_does_anything_else() {
    let mut harness = harness_in_2026(SEP_15_09H, 5);
    // A ceiling of 850: bidder 0's 900 is invalid at the opening, and it may still object.
    let mut spec = harness.spec(Market::Construction, vec![lot("1")], 2);
    spec.deadline_ms = SEP_15_09H + 2 * 60 * 60 * 1000;
    spec.lots[0].ceiling_price_fen = Some(sealbid_ledger::types::Fen::new(850).unwrap());
    let tender = harness.publish(spec);
    for (bidder, price) in [(0, 900), (1, 800), (2, 700), (3, 750)] {
        harness.bid(&tender, "1", bidder, price, None).unwrap();
    }
    refused_out_of_time(&mut harness, &tender, 0, ObjectionMatter::Opening, None);
    open_on_sep_15(&mut harness, &tender);

    harness.now_ms = SEP_15_16H;
    let opened = harness.ledger.state().tenders[&tender].opening.clone().unwrap();
    assert!(
        opened
            .bids
            .iter()
            .any(|bid| bid.bidder == harness.bidders[0].public_key()
                && matches!(bid.status, sealbid_ledger::tender::BidStatus::Invalid { .. })),
        "{opened:?}"
    );
    let stranger = Rc::clone(&harness.bidders[4]);
    refused_command(
        &mut harness,
        &stranger,
        file(&tender, ObjectionMatter::Opening, "x"),
        |rejection| *rejection == Rejection::NotAParty(tender.clone()),
    );
    let (objection, due_ms) = filed(&mut harness, &tender, 0, ObjectionMatter::Opening);
    assert_eq!(due_ms, SEP_16, "answered at once: by the end of the opening's day");
    let office = Rc::clone(&harness.office);
    let lot_one = LotId::parse("1").unwrap();
    let disqualify = Action::DisqualifyBid {
        tender: tender.clone(),
        lot: lot_one,
        bidder: harness.bidders[1].public_key(),
        reason: "forged licence".into(),
    };
    refused_command(&mut harness, &office, disqualify, pending(&objection));
    let publish_candidates = || Action::PublishCandidates { tender: tender.clone() };
    refused_command(&mut harness, &office, publish_candidates(), pending(&objection));
    let cancel = Action::CancelTender {
        tender: tender.clone(),
        reason: "to avoid the answer".into(),
    };
    refused_command(&mut harness, &office, cancel, pending(&objection));

    // Only an answer about the documents changes them.
    refused_command(&mut harness, &office, answer(&tender, &objection, true), |rejection| {
        matches!(rejection, Rejection::Invalid(_))
    });

    // The day is over: no more opening objections, and the leader records the lapse.
    harness.now_ms = SEP_16;
    refused_out_of_time(&mut harness, &tender, 1, ObjectionMatter::Opening, Some(SEP_16));
    let body = EntryBody::Lapse(harness.ledger.lapses_due(harness.now_ms).remove(0));
    harness.apply(body).unwrap();
    assert_eq!(raised(&harness, &tender, Indicator::ObjectionUnanswered).len(), 1);
    // Still held until answered; then the evaluation goes on to the award.
    refused_command(&mut harness, &office, publish_candidates(), pending(&objection));
    office_answers(&mut harness, &tender, &objection, false);
    // 10 days from the answer on 16 September end with Monday 28 September (past the
    // Mid-Autumn days off), after the candidates' publicity.
    harness.publish_candidates(&tender);
    let results = award_after_complaint_window(&mut harness, &tender, &objection, 1_790_611_200_000);
    let LotOutcome::Awarded { winners } = &results[&LotId::parse("1").unwrap()] else {
        panic!("{results:?}")
    };
    assert_eq!(winners[0].bidder, harness.bidders[2].public_key(), "the lowest offer");
}

#[test]
fn a_procurement_query_runs_on_working_days_and_holds_the_award_but_not_the_close() {
    let mut harness = harness_in_2026(SEP_29_11H, 3);
    let tender = publish(&mut harness, Market::Procurement, OCT_20_10H);
    // The committee proves it can open, so that no red `committee-unready` holds the award.
    harness.prove_readiness(&tender, 1);
    harness.prove_readiness(&tender, 2);
    for (bidder, price) in [(0, 900), (1, 800), (2, 700)] {
        harness.bid(&tender, "1", bidder, price, None).unwrap();
    }
    harness.now_ms = OCT_14_23H;
    let (query, due_ms) = filed(&mut harness, &tender, 0, ObjectionMatter::Documents);
    assert_eq!(due_ms, OCT_24, "7 working days");
    harness.now_ms = OCT_15;
    refused_out_of_time(&mut harness, &tender, 1, ObjectionMatter::Documents, Some(OCT_15));
    // The close is not held; the award is.
    let window_ms = harness.ledger.state().config().arrival_window_ms;
    harness.now_ms = OCT_20_10H + window_ms;
    assert_eq!(
        harness.ledger.tenders_due_to_close(harness.now_ms),
        vec![tender.clone()]
    );
    harness.close_and_open(&tender);
    // The result announcement lasts 1 working day (Wednesday 21 October), and queries on the
    // result come within the 7 working days after it: the award may be made from 31 October.
    let published = harness.publish_candidates(&tender);
    assert_eq!(
        published.response,
        Response::CandidatesPublished {
            ends_ms: OCT_22,
            award_from_ms: OCT_31
        }
    );
    let office = Rc::clone(&harness.office);
    refused_command(
        &mut harness,
        &office,
        Action::AwardTender { tender: tender.clone() },
        pending(&query),
    );
    office_answers(&mut harness, &tender, &query, false);
    let answered = harness.ledger.state().tenders[&tender].objections[0]
        .answer
        .clone()
        .unwrap();
    assert!(answered.overdue, "answered after {OCT_24}");
    // 15 working days after the answer period that ended with 23 October end with Friday
    // 13 November.
    award_after_complaint_window(&mut harness, &tender, &query, 1_794_585_600_000);
    assert_eq!(harness.archived.last().unwrap().tender.phase, Phase::Awarded);
    assert_eq!(harness.archived.last().unwrap().tender.objections[0].id, query);
}

/// A construction tender with four bids (900, 800, 700 and 750), bidding until 15 September
/// 11:00 and opened that day at 15:00.
pub(crate) fn opened_with_four_bids(harness: &mut Harness) -> TenderId {
    let tender = publish(harness, Market::Construction, SEP_15_09H + 2 * 60 * 60 * 1000);
    harness.prove_readiness(&tender, 1);
    harness.prove_readiness(&tender, 2);
    for (bidder, price) in [(0, 900), (1, 800), (2, 700), (3, 750)] {
        harness.bid(&tender, "1", bidder, price, None).unwrap();
    }
    open_on_sep_15(harness, &tender);
    tender
}

#[test]
fn the_candidates_are_published_for_three_days_and_an_objection_to_the_result_holds_the_award() {
    let mut harness = harness_in_2026(SEP_15_09H, 4);
    let tender = opened_with_four_bids(&mut harness);
    let office = Rc::clone(&harness.office);
    let award = || Action::AwardTender { tender: tender.clone() };
    refused_command(&mut harness, &office, award(), |rejection| {
        matches!(
            rejection,
            Rejection::WrongPhase {
                phase: Phase::Opened,
                ..
            }
        )
    });
    refused_out_of_time(&mut harness, &tender, 0, ObjectionMatter::Evaluation, None);

    // Published on Wednesday: three days end on Saturday 19 September, a day off, and roll to
    // Sunday 20 September, a 调休 working day.
    harness.now_ms = SEP_16_10H;
    let published = harness
        .office_runs(Action::PublishCandidates { tender: tender.clone() })
        .unwrap();
    assert_eq!(
        published.response,
        Response::CandidatesPublished {
            ends_ms: SEP_21,
            award_from_ms: SEP_21
        }
    );
    let publicity = harness.ledger.state().tenders[&tender].publicity.clone().unwrap();
    let ranked: Vec<(u16, String, u64)> = publicity.lots[&LotId::parse("1").unwrap()]
        .candidates
        .iter()
        .map(|candidate| {
            (
                candidate.rank,
                candidate.organisation.clone(),
                candidate.price_fen.get(),
            )
        })
        .collect();
    assert_eq!(
        ranked,
        vec![
            (1, "Bidder 2 Co.".to_owned(), 700),
            (2, "Bidder 3 Co.".to_owned(), 750),
            (3, "Bidder 1 Co.".to_owned(), 800)
        ],
        "at most three, best first"
    );
    refused_command(&mut harness, &office, award(), |rejection| {
        *rejection
            == Rejection::PublicityRunning {
                tender: tender.clone(),
                award_from_ms: SEP_21,
            }
    });
    // Bidding closed long ago: a bid now is late, as after the close.
    let late_bid = harness.bid(&tender, "1", 0, 600, None).unwrap_err();
    assert!(
        matches!(late_bid, sealbid_ledger::ApplyError::Rejected(Rejection::Late { .. })),
        "{late_bid:?}"
    );
    // The third-ranked bidder objects to the result during the publicity.
    harness.now_ms = SEP_18_10H;
    let (objection, due_ms) = filed(&mut harness, &tender, 1, ObjectionMatter::Evaluation);
    assert_eq!(due_ms, SEP_22, "3 days: Monday 21 September");
    // Under the tendering law the office does nothing else on the tender before it answers.
    let disqualify = Action::DisqualifyBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
        bidder: harness.bidders[2].public_key(),
        reason: "its licence was forged, as the objection says".into(),
    };
    refused_command(&mut harness, &office, disqualify.clone(), pending(&objection));
    harness.now_ms = SEP_21;
    refused_command(&mut harness, &office, award(), pending(&objection));
    let cancel = Action::CancelTender {
        tender: tender.clone(),
        reason: "instead of an answer".into(),
    };
    refused_command(&mut harness, &office, cancel, pending(&objection));
    refused_out_of_time(&mut harness, &tender, 0, ObjectionMatter::Evaluation, Some(SEP_21));
    harness.now_ms = SEP_22;
    let body = EntryBody::Lapse(harness.ledger.lapses_due(harness.now_ms).remove(0));
    harness.apply(body).unwrap();

    // The objection is upheld: the office re-evaluates, which withdraws the candidates, and
    // publishes them again; the publicity runs again from then.
    office_answers(&mut harness, &tender, &objection, false);
    harness.office_runs(disqualify).unwrap();
    let reevaluated = &harness.ledger.state().tenders[&tender];
    assert_eq!(
        (reevaluated.phase, reevaluated.publicity.as_ref()),
        (Phase::Opened, None)
    );
    refused_command(&mut harness, &office, award(), |rejection| {
        matches!(
            rejection,
            Rejection::WrongPhase {
                phase: Phase::Opened,
                ..
            }
        )
    });
    let republished_at_ms = harness.now_ms;
    harness.publish_candidates(&tender);
    let publicity = harness.ledger.state().tenders[&tender].publicity.clone().unwrap();
    assert_eq!(publicity.published_at_ms, republished_at_ms);
    let ranked: Vec<(u16, String)> = publicity.lots[&LotId::parse("1").unwrap()]
        .candidates
        .iter()
        .map(|candidate| (candidate.rank, candidate.organisation.clone()))
        .collect();
    assert_eq!(
        ranked,
        vec![
            (1, "Bidder 3 Co.".to_owned()),
            (2, "Bidder 1 Co.".to_owned()),
            (3, "Bidder 0 Co.".to_owned())
        ],
        "the disqualified bid is no candidate"
    );

    // The award applies the published outcome once the objection can no longer be taken to a
    // complaint (10 days from the answer on 22 September, rolled past National Day), and
    // every bidder gets its notice.
    let results = award_after_complaint_window(&mut harness, &tender, &objection, OCT_9);
    assert_eq!(
        results,
        publicity
            .lots
            .iter()
            .map(|(lot, publicized)| (lot.clone(), publicized.outcome.clone()))
            .collect()
    );
    let record = harness.archived.last().unwrap();
    let notices: Vec<(usize, bool)> = record
        .tender
        .result_notices
        .iter()
        .map(|notice| {
            let bidder = harness
                .bidders
                .iter()
                .position(|key| key.public_key() == notice.bidder)
                .unwrap();
            (bidder, notice.won)
        })
        .collect();
    let mut expected = vec![(0, false), (1, false), (2, false), (3, true)];
    expected.sort_by_key(|(bidder, _)| harness.bidders[*bidder].public_key());
    assert_eq!(notices, expected);
    assert_eq!(raised(&harness, &tender, Indicator::ObjectionUnanswered).len(), 1);
}

#[test]
fn a_suspension_does_not_silence_objections_but_holds_an_amending_answer_and_a_tender_takes_at_most_a_thousand() {
    let mut harness = harness_in_2026(SEP_29_11H, 2);
    let supervisor = harness.grant_supervisor();
    let tender = publish(&mut harness, Market::Construction, OCT_20_10H);
    let (first, _) = filed(&mut harness, &tender, 0, ObjectionMatter::Documents);
    let suspend = Action::SuspendTender {
        tender: tender.clone(),
        reason: "a complaint about the qualification terms".into(),
    };
    harness.run(&supervisor, suspend).unwrap();
    let office = Rc::clone(&harness.office);
    refused_command(&mut harness, &office, answer(&tender, &first, true), |rejection| {
        matches!(rejection, Rejection::TenderSuspended { .. })
    });
    let (second, _) = filed(&mut harness, &tender, 1, ObjectionMatter::Documents);
    assert_eq!(office_answers(&mut harness, &tender, &second, false), Response::Applied);
    refused_command(&mut harness, &office, answer(&tender, &second, false), |rejection| {
        *rejection == Rejection::ObjectionAnswered(second.clone())
    });
    let resume = Action::ResumeTender {
        tender: tender.clone(),
        deadline_ms: None,
    };
    harness.run(&supervisor, resume).unwrap();

    // Up to 1,000 objections on one tender; the next is refused and changes nothing.
    let key = Rc::clone(&harness.bidders[0]);
    for _ in 2..OBJECTIONS_PER_TENDER_MAX {
        harness
            .run(&key, file(&tender, ObjectionMatter::Documents, "one more"))
            .unwrap();
    }
    assert_eq!(
        harness.ledger.state().tenders[&tender].objections.len(),
        OBJECTIONS_PER_TENDER_MAX
    );
    refused_command(
        &mut harness,
        &key,
        file(&tender, ObjectionMatter::Documents, "one too many"),
        |rejection| matches!(rejection, Rejection::Limit { limit, .. } if *limit == OBJECTIONS_PER_TENDER_MAX),
    );
}

#[test]
fn a_lot_that_fails_is_publicized_with_its_candidates_and_every_bidder_is_told_it_did_not_win() {
    let mut harness = harness_in_2026(SEP_15_09H, 3);
    let tender = publish(&mut harness, Market::Construction, SEP_15_09H + 2 * 60 * 60 * 1000);
    harness.prove_readiness(&tender, 1);
    harness.prove_readiness(&tender, 2);
    for (bidder, price) in [(0, 900), (1, 800), (2, 700)] {
        harness.bid(&tender, "1", bidder, price, None).unwrap();
    }
    open_on_sep_15(&mut harness, &tender);
    // Two valid bids are left of the three the lot needs.
    let disqualify = Action::DisqualifyBid {
        tender: tender.clone(),
        lot: LotId::parse("1").unwrap(),
        bidder: harness.bidders[2].public_key(),
        reason: "no bid bond".into(),
    };
    harness.office_runs(disqualify).unwrap();
    harness.publish_candidates(&tender);
    let publicized = harness.ledger.state().tenders[&tender].publicity.clone().unwrap();
    let lot_one = &publicized.lots[&LotId::parse("1").unwrap()];
    assert!(matches!(lot_one.outcome, LotOutcome::Failed { .. }), "{lot_one:?}");
    assert_eq!(lot_one.candidates.len(), 2, "the valid bids, ranked: {lot_one:?}");
    let (_, results) = harness.award(&tender);
    assert_eq!(results[&LotId::parse("1").unwrap()], lot_one.outcome);
    let record = harness.archived.last().unwrap();
    assert_eq!(record.tender.phase, Phase::Failed);
    assert_eq!(record.tender.result_notices.len(), 3, "one per bid opened");
    assert!(record.tender.result_notices.iter().all(|notice| !notice.won));
}

#[test]
fn a_procurement_amendment_reopens_the_queries_on_the_documents_for_seven_working_days() {
    let mut harness = harness_in_2026(SEP_29_11H, 2);
    let tender = publish(&mut harness, Market::Procurement, OCT_20_10H);
    // Published on 29 September, the documents take queries until 15 October; amended on
    // Monday 12 October, they take them for the 7 working days after it (13 to 16, 19 to 21).
    harness.now_ms = OCT_12_10H;
    let amend = Action::AmendTender {
        tender: tender.clone(),
        notice: "the technical specification is revised".into(),
        deadline_ms: None,
    };
    harness.office_runs(amend).unwrap();
    harness.now_ms = OCT_15 + 60 * 60 * 1000;
    filed(&mut harness, &tender, 0, ObjectionMatter::Documents);
    harness.now_ms = OCT_22;
    refused_out_of_time(&mut harness, &tender, 1, ObjectionMatter::Documents, Some(OCT_22));
}

#[test]
fn a_period_in_a_year_without_a_published_calendar_is_refused() {
    // The harness's clock is in 2027, whose calendar nobody published.
    let mut harness = Harness::new(3, 1);
    for market in [Market::Procurement, Market::Construction] {
        let mut spec = harness.spec(market, vec![lot("1")], 2);
        spec.deadline_ms = harness.now_ms + 30 * DAY_MS;
        let tender = harness.publish(spec);
        let key = Rc::clone(&harness.bidders[0]);
        refused_command(
            &mut harness,
            &key,
            file(&tender, ObjectionMatter::Documents, "x"),
            |rejection| *rejection == Rejection::CalendarNotPublished { year: 2027 },
        );
    }
}
