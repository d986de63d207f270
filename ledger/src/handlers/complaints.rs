//! Bidders complain to the supervisors about a tender, supervisors review and decide, and the
//! leader records a review or decision period that ended without its act
//! ([`crate::complaints`] holds the rules).

use sealbid_crypto::identity::PublicKey;

use crate::complaints::{
    Act, COMPLAINTS_PER_TENDER_MAX, Complaint, ComplaintMatter, Decision, Gate, Handling, Period, Review, Rules,
    complaint_window_closes_ms,
};
use crate::events::{AuditEvent, Response};
use crate::objections::ObjectionLapse;
use crate::performance::{Actor, Done, Step};
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State, check_text};
use crate::tender::{Phase, Tender};
use crate::types::{ComplaintId, ObjectionId, Role, TenderId};
use crate::warnings::{Finding, Indicator, Level, evidence, value};

/// The complaint rules of `tender`, on the published calendars.
fn rules<'a>(state: &'a State, tender: &Tender) -> Rules<'a> {
    Rules {
        clock: tender.spec.market.rules().objection_clock,
        calendars: crate::calendar::Calendars(&state.calendars),
    }
}

/// What a bidder's complaint says.
pub(crate) struct Filing<'a> {
    /// The tender.
    pub tender: &'a TenderId,
    /// The matter.
    pub matter: ComplaintMatter,
    /// The complainant's objection it follows.
    pub objection: Option<&'a ObjectionId>,
    /// For another matter, when the complainant knew.
    pub known_at_ms: Option<u64>,
    /// The complaint.
    pub text: &'a str,
}

/// Refuses a filing whose members do not fit its matter: an objection names only for a matter
/// that needs one, a time the complainant knew only for another matter.
fn check_members(filing: &Filing<'_>) -> Result<(), Rejection> {
    match (filing.matter, filing.objection, filing.known_at_ms) {
        (ComplaintMatter::Other, Some(_), _) => Err(Rejection::Invalid(
            "a complaint about another matter follows no objection: leave out objection".into(),
        )),
        (ComplaintMatter::Other, None, None) => Err(Rejection::Invalid(
            "a complaint about another matter says when the complainant knew of it: known_at_ms".into(),
        )),
        (ComplaintMatter::Documents | ComplaintMatter::Opening | ComplaintMatter::Evaluation, _, Some(_)) => {
            Err(Rejection::Invalid(
                "a complaint that follows an objection counts from the objection: leave out known_at_ms".into(),
            ))
        }
        _ => Ok(()),
    }
}

/// A bidder complains about `filing.tender`, within the matter's window.
pub(crate) fn file(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    filing: &Filing<'_>,
) -> Result<Effect, Rejection> {
    let config = state.config();
    state.require_role(signer, Role::Bidder)?;
    let id = filing.tender;
    let tender = state.tender(id)?;
    check_text(&config, filing.text, "complaint")?;
    check_members(filing)?;
    let objection = match filing.objection {
        Some(objection) => Some(
            tender
                .objections
                .iter()
                .find(|held| &held.id == objection)
                .ok_or_else(|| Rejection::UnknownObjection {
                    tender: id.clone(),
                    objection: objection.clone(),
                })?,
        ),
        None => None,
    };
    let own_objection = objection.filter(|objection| &objection.objector == signer);
    let rules = rules(state, tender);
    rules
        .gate(filing.matter, own_objection, context.timestamp_ms)
        .map_err(|gate| match gate {
            Gate::ObjectionRequired => Rejection::ObjectionRequired {
                tender: id.clone(),
                matter: filing.matter,
            },
            Gate::AwaitingAnswer {
                objection,
                answer_due_ms,
            } => Rejection::ObjectionAwaitingAnswer {
                objection,
                answer_due_ms,
            },
        })?;
    let known_at_ms = filing.known_at_ms.unwrap_or(context.timestamp_ms);
    if filing.known_at_ms.is_some() && !(tender.published_at_ms..=context.timestamp_ms).contains(&known_at_ms) {
        return Err(Rejection::Invalid(format!(
            "known_at_ms must lie between the tender's publication ({} ms) and the filing ({} ms)",
            tender.published_at_ms, context.timestamp_ms
        )));
    }
    let closes_at_ms = rules.filing_closes_ms(own_objection, known_at_ms)?;
    if context.timestamp_ms >= closes_at_ms {
        return Err(Rejection::ComplaintOutOfTime {
            tender: id.clone(),
            matter: filing.matter,
            closed_at_ms: closes_at_ms,
        });
    }
    if let Some(objection) = filing.objection
        && let Some(earlier) = tender
            .complaints
            .iter()
            .find(|complaint| complaint.objection.as_ref() == Some(objection))
    {
        return Err(Rejection::DuplicateComplaint {
            objection: objection.clone(),
            complaint: earlier.id.clone(),
        });
    }
    if tender.complaints.len() >= COMPLAINTS_PER_TENDER_MAX {
        return Err(Rejection::Limit {
            what: "complaints per tender",
            limit: COMPLAINTS_PER_TENDER_MAX,
        });
    }
    let review_due_ms = rules.review_due_ms(context.timestamp_ms)?;
    let decision_due_ms = rules.decision_due_ms(context.timestamp_ms, None)?;
    let number = state.complaints_filed + 1;
    let complaint_id = ComplaintId::numbered(number);
    let complaint = Complaint {
        id: complaint_id.clone(),
        matter: filing.matter,
        complainant: *signer,
        objection: filing.objection.cloned(),
        known_at_ms: filing.known_at_ms,
        text: filing.text.into(),
        filed_at_ms: context.timestamp_ms,
        audit_index: context.audit_index,
        review_due_ms,
        review: None,
        suspended: false,
        decision_due_ms,
        decision: None,
        review_lapsed: None,
        decision_lapsed: None,
    };
    state.tender_mut(id)?.complaints.push(complaint);
    state.complaints_filed = number;
    Ok(Effect {
        events: vec![AuditEvent::ComplaintFiled {
            tender: id.clone(),
            complaint: complaint_id.clone(),
            matter: filing.matter,
            review_due_ms,
        }],
        ..Effect::respond(Response::ComplaintFiled {
            complaint: complaint_id,
            review_due_ms,
        })
    })
}

/// Complaint `complaint` on `tender`, with its position.
fn find<'a>(tender: &'a Tender, complaint: &ComplaintId) -> Result<(usize, &'a Complaint), Rejection> {
    tender
        .complaints
        .iter()
        .enumerate()
        .find(|(_, held)| &held.id == complaint)
        .ok_or_else(|| Rejection::UnknownComplaint {
            tender: tender.id.clone(),
            complaint: complaint.clone(),
        })
}

/// Complaint `complaint`, found at `index` of `id` by [`find`], to change.
fn complaint_mut<'a>(
    state: &'a mut State,
    id: &TenderId,
    complaint: &ComplaintId,
    index: usize,
) -> Result<&'a mut Complaint, Rejection> {
    state
        .tender_mut(id)?
        .complaints
        .get_mut(index)
        .filter(|held| &held.id == complaint)
        .ok_or_else(|| Rejection::UnknownComplaint {
            tender: id.clone(),
            complaint: complaint.clone(),
        })
}

/// A supervisor's act on a complaint, as its command says it.
pub(crate) struct Ruling<'a, T> {
    /// The tender.
    pub tender: &'a TenderId,
    /// The complaint.
    pub complaint: &'a ComplaintId,
    /// The review or decision.
    pub outcome: T,
    /// Its written reasons.
    pub text: &'a str,
}

/// A supervisor reviews a complaint, once; an acceptance may suspend the tender.
pub(crate) fn review(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    ruling: &Ruling<'_, Review>,
) -> Result<Effect, Rejection> {
    let config = state.config();
    state.require_role(signer, Role::Supervisor)?;
    let tender = state.tender(ruling.tender)?;
    let (index, held) = find(tender, ruling.complaint)?;
    if held.review.is_some() {
        return Err(Rejection::ComplaintReviewed(ruling.complaint.clone()));
    }
    check_text(&config, ruling.text, "text")?;
    // Only an accepted complaint is decided: its decision is due from now on.
    let decision_due_ms = match ruling.outcome {
        Review::Accepted { .. } => {
            rules(state, tender).decision_due_ms(held.filed_at_ms, Some(context.timestamp_ms))?
        }
        Review::NotAccepted { .. } | Review::Referred => None,
    };
    let overdue = context.timestamp_ms >= held.review_due_ms;
    let done = Done {
        actor: Actor::Supervisors,
        step: Step::ComplaintReview,
        started_at_ms: held.filed_at_ms,
        due_ms: held.review_due_ms,
        done_at_ms: context.timestamp_ms,
        on_time: !overdue,
    };
    let suspend = matches!(ruling.outcome, Review::Accepted { suspend: true });
    let mut events = Vec::new();
    if suspend {
        // The review's text is the suspension's reason; its event names the complaint.
        let suspended = crate::handlers::supervision::suspend(state, context, signer, ruling.tender, ruling.text)?;
        events.extend(suspended.events);
    }
    let complaint = complaint_mut(state, ruling.tender, ruling.complaint, index)?;
    complaint.review = Some(Act {
        outcome: ruling.outcome,
        text: ruling.text.into(),
        supervisor: *signer,
        at_ms: context.timestamp_ms,
        audit_index: context.audit_index,
        overdue,
    });
    complaint.suspended = suspend;
    complaint.decision_due_ms = decision_due_ms;
    state.performance.record(&done);
    events.insert(
        0,
        AuditEvent::ComplaintReviewed {
            tender: ruling.tender.clone(),
            complaint: ruling.complaint.clone(),
            review: ruling.outcome,
            overdue,
        },
    );
    Ok(Effect {
        events,
        ..Effect::respond(Response::Applied)
    })
}

/// Refuses a handling that does not fit where `tender` is: a re-evaluation only after the
/// opening, an annulled award only while the candidates are publicized.
fn check_handling(tender: &Tender, decision: Decision) -> Result<(), Rejection> {
    let wrong_phase = |needed| {
        Err(Rejection::WrongPhase {
            tender: tender.id.clone(),
            phase: tender.phase,
            needed,
        })
    };
    match decision {
        Decision::Upheld {
            handling: Handling::ReEvaluate,
        } if !matches!(tender.phase, Phase::Opened | Phase::Publicity) => {
            wrong_phase("opened (or its candidates publicized), to evaluate again")
        }
        Decision::Upheld {
            handling: Handling::AnnulAward,
        } if tender.phase != Phase::Publicity => wrong_phase("publicity, to annul the award its candidates propose"),
        _ => Ok(()),
    }
}

/// Annuls the award `tender`'s publicity proposes: every publicized winner's bid is
/// disqualified for `reason`, and the candidates are withdrawn.
fn annul_award(tender: &mut Tender, reason: &str) -> Vec<AuditEvent> {
    let winners: Vec<u64> = tender
        .publicity
        .iter()
        .flat_map(|publicity| publicity.lots.values())
        .flat_map(|publicized| match &publicized.outcome {
            crate::award::LotOutcome::Awarded { winners } => winners.iter().map(|winner| winner.audit_index).collect(),
            crate::award::LotOutcome::Failed { .. } => Vec::new(),
        })
        .collect();
    let mut events = Vec::new();
    for bid in tender.opening.iter_mut().flat_map(|opening| opening.bids.iter_mut()) {
        if winners.contains(&bid.audit_index) {
            bid.status = crate::tender::BidStatus::Disqualified { reason: reason.into() };
            events.push(AuditEvent::BidDisqualified {
                tender: tender.id.clone(),
                lot: bid.lot.clone(),
                bidder: bid.bidder,
                reason: reason.into(),
            });
        }
    }
    tender.phase = Phase::Opened;
    tender.publicity = None;
    events
}

/// A supervisor decides an accepted complaint, once, and the handling is carried out; a
/// suspension the acceptance made ends first.
pub(crate) fn decide(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    ruling: &Ruling<'_, Decision>,
) -> Result<Effect, Rejection> {
    let config = state.config();
    state.require_role(signer, Role::Supervisor)?;
    let id = ruling.tender;
    let tender = state.tender(id)?;
    let (index, held) = find(tender, ruling.complaint)?;
    if held.decision.is_some() {
        return Err(Rejection::ComplaintDecided(ruling.complaint.clone()));
    }
    if !held
        .review
        .as_ref()
        .is_some_and(|review| matches!(review.outcome, Review::Accepted { .. }))
    {
        return Err(Rejection::ComplaintNotAccepted(ruling.complaint.clone()));
    }
    check_text(&config, ruling.text, "text")?;
    check_handling(tender, ruling.outcome)?;
    let overdue = held
        .decision_due_ms
        .is_some_and(|due_ms| context.timestamp_ms >= due_ms);
    let done = decision_done(tender, held, context.timestamp_ms, overdue);
    // The suspension is this acceptance's if it began at the acceptance's entry.
    let acceptance_index = held.review.as_ref().map(|review| review.audit_index);
    let resumes = held.suspended
        && tender
            .suspension
            .as_ref()
            .is_some_and(|suspension| Some(suspension.audit_index) == acceptance_index);
    let mut events = vec![AuditEvent::ComplaintDecided {
        tender: id.clone(),
        complaint: ruling.complaint.clone(),
        decision: ruling.outcome,
        overdue,
    }];
    if resumes {
        let resumed = crate::handlers::supervision::resume(state, context, signer, id, None)?;
        events.extend(resumed.events);
    }
    let complaint = complaint_mut(state, id, ruling.complaint, index)?;
    complaint.decision = Some(Act {
        outcome: ruling.outcome,
        text: ruling.text.into(),
        supervisor: *signer,
        at_ms: context.timestamp_ms,
        audit_index: context.audit_index,
        overdue,
    });
    if let Some(done) = done {
        state.performance.record(&done);
    }
    let mut finished = None;
    let tender = state.tender_mut(id)?;
    match ruling.outcome {
        Decision::Dismissed => {}
        Decision::Upheld {
            handling: Handling::ReEvaluate,
        } => {
            tender.phase = Phase::Opened;
            tender.publicity = None;
        }
        Decision::Upheld {
            handling: Handling::AnnulAward,
        } => {
            let reason = format!(
                "the award was annulled by the decision on complaint {}",
                ruling.complaint
            );
            events.extend(annul_award(tender, &reason));
        }
        Decision::Upheld {
            handling: Handling::ReTender,
        } => {
            let reason = format!("re-tender ordered by the decision on complaint {}", ruling.complaint);
            tender.phase = Phase::Cancelled;
            tender.cancellation = Some(reason.clone());
            events.push(AuditEvent::TenderCancelled {
                tender: id.clone(),
                reason,
            });
            finished = Some(id.clone());
        }
    }
    Ok(Effect {
        events,
        finished,
        ..Effect::respond(Response::Applied)
    })
}

/// A decision on `held` at `timestamp_ms`, as a step done: its period runs from the filing
/// (government procurement) or from the acceptance (tendering law).
fn decision_done(tender: &Tender, held: &Complaint, timestamp_ms: u64, overdue: bool) -> Option<Done> {
    let started_at_ms = match tender.spec.market.rules().objection_clock {
        crate::objections::ObjectionClock::GovernmentProcurement => held.filed_at_ms,
        crate::objections::ObjectionClock::Tendering => held.review.as_ref()?.at_ms,
    };
    Some(Done {
        actor: Actor::Supervisors,
        step: Step::ComplaintDecision,
        started_at_ms,
        due_ms: held.decision_due_ms?,
        done_at_ms: timestamp_ms,
        on_time: !overdue,
    })
}

/// The leader records that `complaint`'s `period` ended without its act: refused before the
/// period's end, after the act, and a second time.
pub(crate) fn lapse(
    state: &mut State,
    context: &EntryContext,
    id: &TenderId,
    complaint: &ComplaintId,
    period: Period,
) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    let (index, held) = find(tender, complaint)?;
    let (lapses, due_ms, level) = match period {
        Period::Review => (
            held.review_lapses_by(context.timestamp_ms),
            held.review_due_ms,
            Level::Yellow,
        ),
        Period::Decision => (
            held.decision_lapses_by(context.timestamp_ms),
            held.decision_due_ms.unwrap_or(u64::MAX),
            Level::Red,
        ),
    };
    if !lapses {
        return Err(Rejection::NotLapsed(format!(
            "complaint {complaint}'s {} period has not ended without it (due at {due_ms} ms)",
            match period {
                Period::Review => "review",
                Period::Decision => "decision",
            }
        )));
    }
    let finding = Finding {
        indicator: Indicator::ComplaintOverdue,
        level,
        lot: None,
        evidence: evidence(
            vec![held.audit_index],
            vec![held.complainant],
            [("due_ms", value(due_ms))],
        ),
    };
    let record = ObjectionLapse {
        lapsed_at_ms: context.timestamp_ms,
        audit_index: context.audit_index,
    };
    let held = complaint_mut(state, id, complaint, index)?;
    match period {
        Period::Review => held.review_lapsed = Some(record),
        Period::Decision => held.decision_lapsed = Some(record),
    }
    state.raise(Some(id), context, vec![finding]);
    Ok(Effect {
        events: vec![AuditEvent::ComplaintOverdue {
            tender: id.clone(),
            complaint: complaint.clone(),
            period,
        }],
        ..Effect::respond(Response::Applied)
    })
}

/// The complaints of open tenders whose review or decision period ended by `now_ms` without
/// its act and that no lapse entry recorded yet: the leader records each.
pub(crate) fn lapses_due(state: &State, now_ms: u64) -> Vec<crate::command::Lapse> {
    let mut due = Vec::new();
    for tender in state.tenders.values() {
        for complaint in &tender.complaints {
            if complaint.review_lapses_by(now_ms) {
                due.push(crate::command::Lapse::ComplaintReviewOverdue {
                    tender: tender.id.clone(),
                    complaint: complaint.id.clone(),
                });
            }
            if complaint.decision_lapses_by(now_ms) {
                due.push(crate::command::Lapse::ComplaintDecisionOverdue {
                    tender: tender.id.clone(),
                    complaint: complaint.id.clone(),
                });
            }
        }
    }
    due
}

/// Refuses the award of `tender` while a complaint on it is open, or while an answered
/// objection may still be taken to a complaint (its window open, no complaint after it yet).
pub(crate) fn require_award_free(state: &State, tender: &Tender, timestamp_ms: u64) -> Result<(), Rejection> {
    if let Some(open) = tender.complaints.iter().find(|complaint| complaint.is_open()) {
        return Err(Rejection::ComplaintPending {
            tender: tender.id.clone(),
            complaint: open.id.clone(),
        });
    }
    let rules = rules(state, tender);
    for objection in &tender.objections {
        let taken = tender
            .complaints
            .iter()
            .any(|complaint| complaint.objection.as_ref() == Some(&objection.id));
        if taken {
            continue;
        }
        let closes_at_ms = complaint_window_closes_ms(rules.clock, rules.calendars, objection)?;
        if timestamp_ms < closes_at_ms {
            return Err(Rejection::ComplaintWindowOpen {
                tender: tender.id.clone(),
                objection: objection.id.clone(),
                closes_at_ms,
            });
        }
    }
    Ok(())
}
