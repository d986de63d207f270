//! Bidders file objections with a tender's office, the office answers, and the leader records
//! an answer period that ended unanswered ([`crate::objections`] holds the rules).

use sealbid_crypto::identity::PublicKey;

use crate::events::{AuditEvent, Response};
use crate::objections::{
    FilingRefusal, Hold, OBJECTIONS_PER_TENDER_MAX, Objection, ObjectionAnswer, ObjectionLapse, ObjectionMatter, Rules,
    first_holding,
};
use crate::performance::{Actor, Done, Step};
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State, check_text, require_office};
use crate::tender::Tender;
use crate::types::{ObjectionId, Role, TenderId};
use crate::warnings::{Finding, Indicator, Level, evidence, value};

/// The objection rules of `tender`, on the published calendars.
fn rules<'a>(state: &'a State, tender: &Tender) -> Rules<'a> {
    Rules {
        clock: tender.spec.market.rules().objection_clock,
        calendars: crate::calendar::Calendars(&state.calendars),
    }
}

/// Refuses what an unanswered objection of `tender` holds (`hold`).
pub(crate) fn require_none_holding(tender: &Tender, hold: Hold) -> Result<(), Rejection> {
    match first_holding(tender, tender.spec.market.rules().objection_clock, hold) {
        Some(objection) => Err(Rejection::ObjectionPending {
            tender: tender.id.clone(),
            objection: objection.id.clone(),
        }),
        None => Ok(()),
    }
}

/// Whether `signer` had a bid the opening of `tender` read, whatever the opening found it
/// (an invalid or disqualified bidder is the one most likely to object).
fn had_bid_opened(tender: &Tender, signer: &PublicKey) -> bool {
    tender
        .opening
        .as_ref()
        .is_some_and(|opening| opening.bids.iter().any(|bid| &bid.bidder == signer))
}

/// A bidder objects to `id`'s office about `matter`, within the matter's window.
pub(crate) fn file(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
    matter: ObjectionMatter,
    text: &str,
) -> Result<Effect, Rejection> {
    let config = state.config();
    state.require_role(signer, Role::Bidder)?;
    let tender = state.tender(id)?;
    check_text(&config, text, "objection")?;
    let rules = rules(state, tender);
    let closes_at_ms = rules
        .filing_closes_ms(tender, matter)
        .map_err(|refusal| match refusal {
            FilingRefusal::Phase => Rejection::ObjectionOutOfTime {
                tender: id.clone(),
                matter,
                closed_at_ms: None,
            },
            FilingRefusal::Calendar(error) => error.into(),
        })?;
    if context.timestamp_ms >= closes_at_ms {
        return Err(Rejection::ObjectionOutOfTime {
            tender: id.clone(),
            matter,
            closed_at_ms: Some(closes_at_ms),
        });
    }
    if matches!(matter, ObjectionMatter::Opening | ObjectionMatter::Evaluation) && !had_bid_opened(tender, signer) {
        return Err(Rejection::NotAParty(id.clone()));
    }
    if tender.objections.len() >= OBJECTIONS_PER_TENDER_MAX {
        return Err(Rejection::Limit {
            what: "objections per tender",
            limit: OBJECTIONS_PER_TENDER_MAX,
        });
    }
    let answer_due_ms = rules.answer_due_ms(matter, context.timestamp_ms)?;
    let number = state.objections_filed + 1;
    let objection_id = ObjectionId::numbered(number);
    let objection = Objection {
        id: objection_id.clone(),
        matter,
        objector: *signer,
        text: text.into(),
        filed_at_ms: context.timestamp_ms,
        audit_index: context.audit_index,
        answer_due_ms,
        answer: None,
        lapsed: None,
    };
    state.tender_mut(id)?.objections.push(objection);
    state.objections_filed = number;
    Ok(Effect {
        events: vec![AuditEvent::ObjectionFiled {
            tender: id.clone(),
            objection: objection_id.clone(),
            matter,
            answer_due_ms,
        }],
        ..Effect::respond(Response::ObjectionFiled {
            objection: objection_id,
            answer_due_ms,
        })
    })
}

/// Objection `objection` on `tender`, with its position.
fn find<'a>(tender: &'a Tender, objection: &ObjectionId) -> Result<(usize, &'a Objection), Rejection> {
    tender
        .objections
        .iter()
        .enumerate()
        .find(|(_, held)| &held.id == objection)
        .ok_or_else(|| Rejection::UnknownObjection {
            tender: tender.id.clone(),
            objection: objection.clone(),
        })
}

/// What the office says in answer to an objection.
pub(crate) struct Answer<'a> {
    /// The tender.
    pub tender: &'a TenderId,
    /// The objection.
    pub objection: &'a ObjectionId,
    /// The answer's text.
    pub text: &'a str,
    /// Whether it changes the tender documents.
    pub amends: bool,
}

/// The tender's office answers one of its objections; an answer that changes the documents is
/// also an amendment (refused as an amendment would be: after the deadline, or while the tender
/// is suspended).
pub(crate) fn answer(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    answer: &Answer<'_>,
) -> Result<Effect, Rejection> {
    let config = state.config();
    let tender = state.tender(answer.tender)?;
    require_office(tender, signer)?;
    let (index, held) = find(tender, answer.objection)?;
    if !held.is_pending() {
        return Err(Rejection::ObjectionAnswered(answer.objection.clone()));
    }
    check_text(&config, answer.text, "answer")?;
    let overdue = context.timestamp_ms >= held.answer_due_ms;
    let done = Done {
        actor: Actor::Office(tender.office),
        step: Step::ObjectionAnswer,
        started_at_ms: held.filed_at_ms,
        due_ms: held.answer_due_ms,
        done_at_ms: context.timestamp_ms,
        on_time: !overdue,
    };
    let mut effect = if answer.amends {
        if held.matter != ObjectionMatter::Documents {
            return Err(Rejection::Invalid(
                "only an answer to an objection about the documents can amend them".into(),
            ));
        }
        crate::state::require_not_suspended(tender)?;
        crate::handlers::tenders::amend(state, context, signer, answer.tender, answer.text, None)?
    } else {
        Effect::respond(Response::Applied)
    };
    let tender = state.tender_mut(answer.tender)?;
    if let Some(objection) = tender.objections.get_mut(index) {
        objection.answer = Some(ObjectionAnswer {
            text: answer.text.into(),
            answered_at_ms: context.timestamp_ms,
            audit_index: context.audit_index,
            amends: answer.amends,
            overdue,
        });
    }
    state.performance.record(&done);
    effect.events.push(AuditEvent::ObjectionAnswered {
        tender: answer.tender.clone(),
        objection: answer.objection.clone(),
        amends: answer.amends,
        overdue,
    });
    Ok(effect)
}

/// The leader records that `objection`'s answer period ended unanswered: refused before the
/// period's end, for an answered objection, and a second time.
pub(crate) fn lapse(
    state: &mut State,
    context: &EntryContext,
    id: &TenderId,
    objection: &ObjectionId,
) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    let (index, held) = find(tender, objection)?;
    if !held.is_pending() {
        return Err(Rejection::NotLapsed(format!("objection {objection} is answered")));
    }
    if held.lapsed.is_some() {
        return Err(Rejection::NotLapsed(format!("objection {objection} lapsed already")));
    }
    if context.timestamp_ms < held.answer_due_ms {
        return Err(Rejection::NotLapsed(format!(
            "objection {objection}'s answer is due only at {} ms",
            held.answer_due_ms
        )));
    }
    let finding = Finding {
        indicator: Indicator::ObjectionUnanswered,
        level: Level::Yellow,
        lot: None,
        evidence: evidence(
            vec![held.audit_index],
            vec![held.objector],
            [("answer_due_ms", value(held.answer_due_ms))],
        ),
    };
    let tender = state.tender_mut(id)?;
    if let Some(held) = tender.objections.get_mut(index) {
        held.lapsed = Some(ObjectionLapse {
            lapsed_at_ms: context.timestamp_ms,
            audit_index: context.audit_index,
        });
    }
    state.raise(Some(id), context, vec![finding]);
    Ok(Effect {
        events: vec![AuditEvent::ObjectionUnanswered {
            tender: id.clone(),
            objection: objection.clone(),
        }],
        ..Effect::respond(Response::Applied)
    })
}

/// The objections of open tenders whose answer period ended unanswered by `now_ms` and that no
/// lapse entry recorded yet: the leader records each.
pub(crate) fn lapses_due(state: &State, now_ms: u64) -> Vec<crate::command::Lapse> {
    state
        .tenders
        .values()
        .flat_map(|tender| {
            tender
                .objections
                .iter()
                .filter(move |objection| objection.lapses_by(now_ms))
                .map(|objection| crate::command::Lapse::ObjectionUnanswered {
                    tender: tender.id.clone(),
                    objection: objection.id.clone(),
                })
        })
        .collect()
}
