//! One handler per command, grouped by what they act on. Each checks everything before it
//! changes anything.

pub(crate) mod bids;
pub(crate) mod committee;
pub(crate) mod opening;
pub(crate) mod participants;
pub(crate) mod tenders;

use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::SignedMessage;

use crate::command::Action;
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State};

/// Routes a verified, fresh command to its handler, with the envelope it carried (checked
/// against its action by [`bids::carried_envelope`]).
pub(crate) fn dispatch(
    state: &mut State,
    context: &EntryContext,
    message: &SignedMessage,
    action: &Action,
    envelope: Option<&Envelope>,
) -> Result<Effect, Rejection> {
    let signer = &message.signer;
    match action {
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
        Action::Respond { tender, response } => committee::respond(state, signer, tender, response),
        Action::FinishKeyGeneration { tender } => committee::finish_key_generation(state, signer, tender),
        Action::ReleaseShare { tender, share } => committee::release_share(state, signer, tender, share),
        Action::SealReservePrice { tender, lot, envelope } => {
            bids::seal_reserve_price(state, context, signer, tender, lot, envelope)
        }
        Action::SubmitBid { tender, lot, .. } => bids::submit(state, context, message, tender, lot, envelope),
        Action::ReplaceBid { tender, lot, .. } => bids::replace(state, context, message, tender, lot, envelope),
        Action::WithdrawBid { tender, lot } => bids::withdraw(state, context, signer, tender, lot),
        Action::OpenTender { tender } => opening::open(state, signer, tender),
        Action::DisqualifyBid {
            tender,
            lot,
            bidder,
            reason,
        } => opening::disqualify(state, signer, tender, lot, bidder, reason),
        Action::AwardTender { tender } => opening::award(state, signer, tender),
    }
}
