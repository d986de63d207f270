//! Where the timed steps of [`crate::performance`] begin and end: the instants each handler
//! records when its act is done, and the cases the state shows running late.

use crate::objections::ObjectionClock;
use crate::performance::{Actor, Done, Late, Step};
use crate::state::State;
use crate::tender::{Phase, Tender};

/// 实施条例 Art. 54: the candidates are published within 3 days of the evaluation report.
const TENDERING_PUBLICITY_DAYS: u32 = 3;
/// 财政部87号令 Arts. 68-69: the winner determined within 5 working days of the evaluation
/// report, and announced within 2 working days after.
const PROCUREMENT_PUBLICITY_WORKING_DAYS: u32 = 7;

/// When `tender`'s candidates are due, from its opening (the evaluation report is taken as
/// received at the opening: the ledger has no entry of its own for it); `None` for a market
/// without candidate publicity, before the opening, or on a calendar not published.
pub(crate) fn publicity_due_ms(state: &State, tender: &Tender) -> Option<u64> {
    let rules = tender.spec.market.rules();
    if !rules.candidate_publicity {
        return None;
    }
    let opened_at_ms = tender.opened_at_ms?;
    let calendars = crate::calendar::Calendars(&state.calendars);
    match rules.objection_clock {
        ObjectionClock::Tendering => calendars.calendar_days_end_ms(opened_at_ms, TENDERING_PUBLICITY_DAYS),
        ObjectionClock::GovernmentProcurement => {
            calendars.working_days_end_ms(opened_at_ms, PROCUREMENT_PUBLICITY_WORKING_DAYS)
        }
    }
    .ok()
}

/// The candidates' first publication of `tender` at `timestamp_ms`, as a step done; `None` for
/// a publication again after a re-evaluation, which is not timed.
pub(crate) fn publicity_done(state: &State, tender: &Tender, timestamp_ms: u64) -> Option<Done> {
    if tender.publicity_published {
        return None;
    }
    let due_ms = publicity_due_ms(state, tender)?;
    Some(Done {
        actor: Actor::Office(tender.office),
        step: Step::CandidatePublicity,
        started_at_ms: tender.opened_at_ms?,
        due_ms,
        done_at_ms: timestamp_ms,
        on_time: timestamp_ms < due_ms,
    })
}

/// When `tender`'s award is due: the end of its bid validity, in calendar days from the
/// deadline in force (实施条例 Art. 25: 从提交投标文件的截止之日起算); `None` for a tender that
/// sets none, or on a calendar not published.
pub(crate) fn award_due_ms(state: &State, tender: &Tender) -> Option<u64> {
    let days = tender.spec.bid_validity_days?;
    crate::calendar::Calendars(&state.calendars)
        .calendar_days_end_ms(tender.deadline_ms, days)
        .ok()
}

/// `tender`'s award at `timestamp_ms`, as a step done; `None` when its award is not timed.
pub(crate) fn award_done(state: &State, tender: &Tender, timestamp_ms: u64) -> Option<Done> {
    let due_ms = award_due_ms(state, tender)?;
    Some(Done {
        actor: Actor::Office(tender.office),
        step: Step::Award,
        started_at_ms: tender.deadline_ms.min(due_ms),
        due_ms,
        done_at_ms: timestamp_ms,
        on_time: timestamp_ms < due_ms,
    })
}

/// Every case running late at `now_ms`: objections unanswered past their period, candidates
/// not published in time, awards not made within the bid validity, correction orders
/// unanswered past their due time, and complaints not reviewed or decided in time.
pub(crate) fn running_late(state: &State, now_ms: u64) -> Vec<Late> {
    let late = |actor: Actor, step, tender: Option<&Tender>, case: Option<String>, due_ms: u64| Late {
        actor: actor.key(),
        name: None,
        step,
        tender: tender.map(|tender| tender.id.clone()),
        case,
        due_ms,
        late_by_ms: now_ms.saturating_sub(due_ms),
    };
    let mut cases = Vec::new();
    for tender in state.tenders.values() {
        let office = Actor::Office(tender.office);
        for objection in tender.objections.iter().filter(|objection| objection.is_pending()) {
            if objection.answer_due_ms <= now_ms {
                let case = Some(objection.id.to_string());
                cases.push(late(
                    office,
                    Step::ObjectionAnswer,
                    Some(tender),
                    case,
                    objection.answer_due_ms,
                ));
            }
        }
        if tender.phase == Phase::Opened
            && !tender.publicity_published
            && let Some(due_ms) = publicity_due_ms(state, tender)
            && due_ms <= now_ms
        {
            cases.push(late(office, Step::CandidatePublicity, Some(tender), None, due_ms));
        }
        if tender.phase.is_past_close()
            && let Some(due_ms) = award_due_ms(state, tender)
            && due_ms <= now_ms
        {
            cases.push(late(office, Step::Award, Some(tender), None, due_ms));
        }
        for complaint in &tender.complaints {
            let case = || Some(complaint.id.to_string());
            if complaint.review.is_none() && complaint.review_due_ms <= now_ms {
                let due_ms = complaint.review_due_ms;
                cases.push(late(
                    Actor::Supervisors,
                    Step::ComplaintReview,
                    Some(tender),
                    case(),
                    due_ms,
                ));
            }
            if let Some(due_ms) = complaint.decision_due_ms
                && complaint.is_open()
                && complaint.review.is_some()
                && due_ms <= now_ms
            {
                cases.push(late(
                    Actor::Supervisors,
                    Step::ComplaintDecision,
                    Some(tender),
                    case(),
                    due_ms,
                ));
            }
        }
    }
    for correction in state.corrections.values() {
        if correction.overdue(now_ms) {
            let tender = correction.tender.as_ref().and_then(|id| state.tenders.get(id));
            let case = Some(correction.id.to_string());
            let actor = Actor::Office(correction.office);
            cases.push(late(actor, Step::CorrectionReply, tender, case, correction.due_ms));
        }
    }
    cases
}
