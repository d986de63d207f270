//! Supervisors' commands: suspending and resuming a tender (实施条例 Art. 62), ordering an
//! office to correct something, and the office's reply (电子招标投标办法 Art. 52); the
//! early-warning thresholds, and the decisions on warnings.

use sealbid_crypto::identity::PublicKey;

use crate::disclosure::phase_takes_bids;
use crate::events::{AuditEvent, Response};
use crate::handlers::tenders::check_horizon;
use crate::performance::{Actor, Done, Step};
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State, check_text};
use crate::supervision::{CORRECTIONS_HELD_MAX, Correction, CorrectionReply};
use crate::tender::{Suspension, SuspensionPeriod};
use crate::types::{CorrectionId, Role, TenderId, WarningId};
use crate::warnings::disposition::{DISPOSITIONS_PER_WARNING_MAX, Disposition, DispositionRecord};
use crate::warnings::thresholds::{ThresholdsInForce, WarningThresholds};

/// The most times one tender may be suspended.
pub const SUSPENSIONS_PER_TENDER_MAX: usize = 100;

/// Supervisor suspends a tender that is not final.
pub(crate) fn suspend(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
    reason: &str,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Supervisor)?;
    let config = state.config();
    let tender = state.tender(id)?;
    crate::state::require_not_suspended(tender)?;
    check_text(&config, reason, "reason")?;
    if tender.suspensions.len() >= SUSPENSIONS_PER_TENDER_MAX {
        return Err(Rejection::Limit {
            what: "suspensions per tender",
            limit: SUSPENSIONS_PER_TENDER_MAX,
        });
    }
    state.tender_mut(id)?.suspension = Some(Suspension {
        suspended_at_ms: context.timestamp_ms,
        supervisor: *signer,
        reason: reason.into(),
        audit_index: context.audit_index,
    });
    Ok(Effect {
        events: vec![AuditEvent::TenderSuspended {
            tender: id.clone(),
            supervisor: *signer,
            reason: reason.into(),
        }],
        ..Effect::respond(Response::Applied)
    })
}

/// Supervisor resumes a suspended tender. If bidding was still open when it was suspended
/// (before the close, the deadline not yet passed), the deadline moves out by the time it was
/// suspended, or to `requested_deadline_ms`; otherwise it stays, and setting one is refused
/// (bids refused as late before the suspension could not come back).
pub(crate) fn resume(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
    requested_deadline_ms: Option<u64>,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Supervisor)?;
    let tender = state.tender(id)?;
    let suspension = tender
        .suspension
        .as_ref()
        .ok_or_else(|| Rejection::NotSuspended(id.clone()))?;
    let suspended_for_ms = context.timestamp_ms - suspension.suspended_at_ms;
    let bidding_was_open = phase_takes_bids(tender.phase) && suspension.suspended_at_ms < tender.deadline_ms;
    let deadline_ms = match (bidding_was_open, requested_deadline_ms) {
        (true, Some(requested)) => {
            if requested <= context.timestamp_ms {
                return Err(Rejection::Invalid("the new deadline must be in the future".into()));
            }
            check_horizon(requested, context.timestamp_ms, "the new deadline")?;
            requested
        }
        (true, None) => tender.deadline_ms.saturating_add(suspended_for_ms),
        (false, Some(_)) => {
            return Err(Rejection::Invalid(format!(
                "bidding on tender {id} had ended when it was suspended: its deadline stays"
            )));
        }
        (false, None) => tender.deadline_ms,
    };
    let moved = deadline_ms != tender.deadline_ms;
    let from_ms = suspension.suspended_at_ms;
    let tender = state.tender_mut(id)?;
    tender.suspension = None;
    tender.suspensions.push(SuspensionPeriod {
        from_ms,
        until_ms: context.timestamp_ms,
    });
    tender.deadline_ms = deadline_ms;
    let mut events = vec![AuditEvent::TenderResumed {
        tender: id.clone(),
        suspended_for_ms,
    }];
    if moved {
        events.push(AuditEvent::DeadlineMoved {
            tender: id.clone(),
            deadline_ms,
        });
    }
    Ok(Effect {
        events,
        ..Effect::respond(Response::TenderResumed { deadline_ms })
    })
}

/// What a correction order asks for.
pub(crate) struct Order<'a> {
    /// The office addressed.
    pub office: &'a PublicKey,
    /// The tender concerned.
    pub tender: Option<&'a TenderId>,
    /// What, and why.
    pub reason: &'a str,
    /// When the reply is due.
    pub due_ms: u64,
}

/// Supervisor orders an office to correct something by a due time.
pub(crate) fn order_correction(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    order: &Order<'_>,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Supervisor)?;
    let config = state.config();
    state
        .require_role(order.office, Role::Office)
        .map_err(|_| Rejection::Invalid(format!("{} is not an office", order.office)))?;
    if let Some(id) = order.tender
        && &state.tender(id)?.office != order.office
    {
        return Err(Rejection::Invalid(format!("tender {id} is not that office's")));
    }
    check_text(&config, order.reason, "reason")?;
    if order.due_ms <= context.timestamp_ms {
        return Err(Rejection::Invalid("the reply's due time must be in the future".into()));
    }
    check_horizon(order.due_ms, context.timestamp_ms, "the due time")?;
    if state.corrections.len() >= CORRECTIONS_HELD_MAX {
        return Err(Rejection::Limit {
            what: "correction orders held",
            limit: CORRECTIONS_HELD_MAX,
        });
    }
    let number = state.corrections_ordered + 1;
    let id = CorrectionId::numbered(number);
    state.corrections.insert(
        id.clone(),
        Correction {
            id: id.clone(),
            supervisor: *signer,
            office: *order.office,
            tender: order.tender.cloned(),
            reason: order.reason.into(),
            ordered_at_ms: context.timestamp_ms,
            due_ms: order.due_ms,
            audit_index: context.audit_index,
            reply: None,
        },
    );
    state.corrections_ordered = number;
    Ok(Effect {
        events: vec![AuditEvent::CorrectionOrdered {
            correction: id.clone(),
            office: *order.office,
            tender: order.tender.cloned(),
            due_ms: order.due_ms,
        }],
        ..Effect::respond(Response::CorrectionOrdered { correction: id })
    })
}

/// The office addressed replies to a correction order, once. The answered order stays in the
/// state while its tender is not final (so that the reply is withheld with the tender's other
/// entries), and leaves it then.
pub(crate) fn reply_correction(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &CorrectionId,
    reply: &str,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Office)?;
    let config = state.config();
    let correction = state
        .corrections
        .get(id)
        .ok_or_else(|| Rejection::UnknownCorrection(id.clone()))?;
    if &correction.office != signer {
        return Err(Rejection::NotTheCorrectionsOffice(id.clone()));
    }
    if correction.reply.is_some() {
        return Err(Rejection::CorrectionAnswered(id.clone()));
    }
    check_text(&config, reply, "reply")?;
    let late = context.timestamp_ms > correction.due_ms;
    let done = Done {
        actor: Actor::Office(correction.office),
        step: Step::CorrectionReply,
        started_at_ms: correction.ordered_at_ms,
        due_ms: correction.due_ms.max(correction.ordered_at_ms),
        done_at_ms: context.timestamp_ms,
        on_time: !late,
    };
    let tender_open = correction
        .tender
        .as_ref()
        .is_some_and(|tender| state.tenders.contains_key(tender));
    if tender_open {
        if let Some(correction) = state.corrections.get_mut(id) {
            correction.reply = Some(CorrectionReply {
                replied_at_ms: context.timestamp_ms,
                text: reply.into(),
                audit_index: context.audit_index,
            });
        }
    } else {
        state.corrections.remove(id);
    }
    state.performance.record(&done);
    Ok(Effect {
        events: vec![AuditEvent::CorrectionReplied {
            correction: id.clone(),
            office: *signer,
            late,
        }],
        ..Effect::respond(Response::Applied)
    })
}

/// Supervisor sets the early-warning thresholds from this entry on.
pub(crate) fn set_warning_thresholds(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    thresholds: &WarningThresholds,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Supervisor)?;
    thresholds.check()?;
    state.warning_thresholds = Some(ThresholdsInForce {
        thresholds: *thresholds,
        set_at_audit_index: context.audit_index,
    });
    Ok(Effect::respond(Response::Applied))
}

/// What a supervisor decides about a warning.
pub(crate) struct Decision<'a> {
    /// The warning's tender; none for a warning about the log itself.
    pub tender: Option<&'a TenderId>,
    /// The warning.
    pub warning: &'a WarningId,
    /// The decision.
    pub disposition: Disposition,
    /// Why.
    pub reason: &'a str,
}

/// Supervisor decides on a warning of an open tender, or about the log itself
/// ([`crate::warnings::disposition`]).
pub(crate) fn dispose_warning(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    decision: &Decision<'_>,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Supervisor)?;
    let config = state.config();
    if let Some(tender) = decision.tender {
        state.tender(tender)?;
    }
    check_text(&config, decision.reason, "reason")?;
    let warning = state.warning_mut(decision.tender, decision.warning)?;
    warning.may_take(decision.disposition)?;
    assert!(
        warning.dispositions.len() < DISPOSITIONS_PER_WARNING_MAX,
        "a warning takes at most an escalation and a settling decision"
    );
    warning.dispositions.push(DispositionRecord {
        disposition: decision.disposition,
        supervisor: *signer,
        reason: decision.reason.into(),
        disposed_at_ms: context.timestamp_ms,
        audit_index: context.audit_index,
    });
    let level = warning.level;
    Ok(Effect {
        events: vec![AuditEvent::WarningDisposed {
            tender: decision.tender.cloned(),
            warning: decision.warning.clone(),
            level,
            disposition: decision.disposition,
        }],
        ..Effect::respond(Response::Applied)
    })
}
