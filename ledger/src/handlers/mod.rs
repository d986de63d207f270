//! One handler per command, grouped by what they act on. Each checks everything before it
//! changes anything.

pub(crate) mod bids;
pub(crate) mod calendar;
pub(crate) mod committee;
pub(crate) mod complaints;
pub(crate) mod objections;
pub(crate) mod opening;
pub(crate) mod participants;
pub(crate) mod performance;
pub(crate) mod publicity;
pub(crate) mod supervision;
pub(crate) mod tenders;
pub(crate) mod witness;

use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::SignedMessage;

use crate::command::Action;
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State};

/// Routes a verified, fresh command to its handler, with the envelope it carried (checked
/// against its action by [`bids::carried_envelope`]). A command that would move a suspended
/// tender is refused here, before any handler sees it; a bid-changing one is judged by its
/// arrival instead ([`bids`]), so one that arrived before the suspension keeps its place.
pub(crate) fn dispatch(
    state: &mut State,
    context: &EntryContext,
    message: &SignedMessage,
    action: &Action,
    envelope: Option<&Envelope>,
) -> Result<Effect, Rejection> {
    let signer = &message.signer;
    if action.bidding_tender().is_none()
        && let Some(id) = action.moved_tender()
        && let Some(tender) = state.tenders.get(id)
    {
        crate::state::require_not_suspended(tender)?;
    }
    let effect = match action {
        Action::GrantRole { actor, role, name } => participants::grant_role(state, signer, actor, *role, name),
        Action::RegisterEncryptionKey { encryption_key, proof } => {
            participants::register_encryption_key(state, signer, encryption_key, proof)
        }
        Action::RegisterBidder {
            organisation,
            credit_code,
        } => participants::register_bidder(state, signer, organisation, credit_code),
        Action::ApproveBidder { bidder } => participants::approve_bidder(state, signer, bidder),
        Action::RejectBidder { bidder, reason } => participants::reject_bidder(state, signer, bidder, reason),
        Action::RevokeBidder { bidder, reason } => participants::revoke_bidder(state, signer, bidder, reason),
        Action::PublishTender(spec) => tenders::publish(state, context, signer, spec),
        Action::AmendTender {
            tender,
            notice,
            deadline_ms,
        } => tenders::amend(state, context, signer, tender, notice, *deadline_ms),
        Action::CancelTender { tender, reason } => tenders::cancel(state, signer, tender, reason),
        Action::CloseTender { tender } => {
            crate::state::require_office(state.tender(tender)?, signer)?;
            tenders::close(state, context, tender)
        }
        Action::Deal { tender, dealing } => committee::deal(state, signer, tender, dealing),
        Action::Respond { tender, response } => committee::respond(state, context, signer, tender, response),
        Action::FinishKeyGeneration { tender } => committee::finish_key_generation(state, context, signer, tender),
        Action::ProveReadiness { tender, readiness } => {
            committee::prove_readiness(state, context, signer, tender, readiness)
        }
        Action::ReleaseShare { tender, share } => committee::release_share(state, signer, tender, share),
        Action::SealReservePrice { tender, lot, envelope } => {
            bids::seal_reserve_price(state, context, signer, tender, lot, envelope)
        }
        Action::SubmitBid { tender, lot, .. } => bids::submit(state, context, message, tender, lot, envelope),
        Action::ReplaceBid { tender, lot, .. } => bids::replace(state, context, message, tender, lot, envelope),
        Action::WithdrawBid { tender, lot } => bids::withdraw(state, context, signer, tender, lot),
        Action::OpenTender { tender } => opening::open(state, context, signer, tender),
        Action::DisqualifyBid {
            tender,
            lot,
            bidder,
            reason,
        } => opening::disqualify(state, signer, tender, lot, bidder, reason),
        Action::PublishCandidates { tender } => publicity::publish_candidates(state, context, signer, tender),
        Action::AwardTender { tender } => opening::award(state, context, signer, tender),
        Action::SuspendTender { tender, reason } => supervision::suspend(state, context, signer, tender, reason),
        Action::ResumeTender { tender, deadline_ms } => {
            supervision::resume(state, context, signer, tender, *deadline_ms)
        }
        Action::OrderCorrection {
            office,
            tender,
            reason,
            due_ms,
        } => {
            let order = supervision::Order {
                office,
                tender: tender.as_ref(),
                reason,
                due_ms: *due_ms,
            };
            supervision::order_correction(state, context, signer, &order)
        }
        Action::ReplyCorrection { correction, reply } => {
            supervision::reply_correction(state, context, signer, correction, reply)
        }
        Action::SetWarningThresholds { thresholds } => {
            supervision::set_warning_thresholds(state, context, signer, thresholds)
        }
        Action::DisposeWarning {
            tender,
            warning,
            disposition,
            reason,
        } => {
            let decision = supervision::Decision {
                tender: tender.as_ref(),
                warning,
                disposition: *disposition,
                reason,
            };
            supervision::dispose_warning(state, context, signer, &decision)
        }
        Action::PublishCalendar(spec) => calendar::publish(state, context, signer, spec),
        Action::FileObjection { tender, matter, text } => {
            objections::file(state, context, signer, tender, *matter, text)
        }
        Action::AnswerObjection {
            tender,
            objection,
            answer,
            amends,
        } => {
            let answer = objections::Answer {
                tender,
                objection,
                text: answer,
                amends: *amends,
            };
            objections::answer(state, context, signer, &answer)
        }
        Action::FileComplaint {
            tender,
            matter,
            objection,
            known_at_ms,
            text,
        } => {
            let filing = complaints::Filing {
                tender,
                matter: *matter,
                objection: objection.as_ref(),
                known_at_ms: *known_at_ms,
                text,
            };
            complaints::file(state, context, signer, &filing)
        }
        Action::ReviewComplaint {
            tender,
            complaint,
            review,
            text,
        } => {
            let ruling = complaints::Ruling {
                tender,
                complaint,
                outcome: *review,
                text,
            };
            complaints::review(state, context, signer, &ruling)
        }
        Action::DecideComplaint {
            tender,
            complaint,
            decision,
            text,
        } => {
            let ruling = complaints::Ruling {
                tender,
                complaint,
                outcome: *decision,
                text,
            };
            complaints::decide(state, context, signer, &ruling)
        }
        Action::ReportLogFork { witnessed, presented } => {
            crate::handlers::witness::report_log_fork(state, context, signer, witnessed, presented)
        }
    }?;
    // An applied entry on a tender may be the first at or after the time its committee must
    // have proved it can open.
    if let Some(id) = action.moved_tender().or(action.bidding_tender()) {
        committee::judge_readiness(state, context, id);
    }
    Ok(effect)
}
