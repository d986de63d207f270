//! Sealed bids and reserve prices: only before the close, only by their owner.

use std::sync::Arc;

use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::SignedMessage;

use crate::command::Action;
use crate::events::Response;
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State, require_office, require_phase};
use crate::tender::{Bid, Phase, Tender};
use crate::types::{LotId, Role, TenderId};

/// The checks every change to a bid or reserve shares: the tender takes bids, the command
/// arrived while the tender was not suspended and before the deadline (on time by arrival:
/// however long it then waited to be ordered, the close comes after it), the lot exists and the
/// envelope is well formed at the suite's one padded length.
fn check_bidding<'a>(
    state: &'a State,
    context: &EntryContext,
    id: &TenderId,
    lot: &LotId,
    envelope: Option<&Envelope>,
) -> Result<&'a Tender, Rejection> {
    let tender = state.tender(id)?;
    if !tender.phase.is_past_close()
        && let Some(since_ms) = tender.suspended_at_arrival(context.arrived_at_ms)
    {
        return Err(Rejection::TenderSuspended {
            tender: id.clone(),
            since_ms,
        });
    }
    if tender.phase.is_past_close() || (tender.phase == Phase::Bidding && context.arrived_at_ms >= tender.deadline_ms) {
        return Err(Rejection::Late {
            tender: id.clone(),
            deadline_ms: tender.deadline_ms,
            arrived_at_ms: context.arrived_at_ms,
        });
    }
    require_phase(tender, Phase::Bidding, "taking bids (its committee key must exist)")?;
    if tender.lot(lot).is_none() {
        return Err(Rejection::UnknownLot {
            tender: id.clone(),
            lot: lot.clone(),
        });
    }
    if let Some(envelope) = envelope {
        check_envelope(envelope)?;
    }
    Ok(tender)
}

/// An offer's envelope is well formed: a known version, a valid ephemeral key and the suite's
/// one padded length. Admission checks it too, as it needs no state.
pub(crate) fn check_envelope(envelope: &Envelope) -> Result<(), Rejection> {
    envelope
        .check_offer_form()
        .map_err(|error| Rejection::Invalid(format!("envelope: {error}")))
}

/// The envelope a command carries beside its signed bytes, against its action: a bid's
/// submission or replacement carries the envelope whose digest it signs, every other action
/// none. With `erased_accepted` (a replay of the audit log, where the envelopes of replaced and
/// withdrawn bids are erased), a bid may come without it.
pub(crate) fn carried_envelope<'a>(
    action: &Action,
    carried: Option<&'a Envelope>,
    erased_accepted: bool,
) -> Result<Option<&'a Envelope>, Rejection> {
    match (action.envelope_sha256(), carried) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(Rejection::UnexpectedEnvelope),
        (Some(_), None) if erased_accepted => Ok(None),
        (Some(_), None) => Err(Rejection::EnvelopeMissing),
        (Some(signed), Some(envelope)) => {
            let digest = envelope
                .sha256()
                .map_err(|error| Rejection::Malformed(format!("envelope: {error}")))?;
            if &digest != signed {
                return Err(Rejection::EnvelopeMismatch);
            }
            Ok(Some(envelope))
        }
    }
}

/// The office seals a lot's reserve price (land-use and property rights); a later one replaces it.
pub(crate) fn seal_reserve_price(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
    lot: &LotId,
    envelope: &Envelope,
) -> Result<Effect, Rejection> {
    let tender = check_bidding(state, context, id, lot, Some(envelope))?;
    require_office(tender, signer)?;
    if !tender.spec.market.has_reserve_price() {
        return Err(Rejection::Invalid(format!(
            "{:?} tenders have no reserve price",
            tender.spec.market
        )));
    }
    state.tender_mut(id)?.reserves.insert(lot.clone(), envelope.clone());
    Ok(Effect::respond(Response::Applied))
}

/// A bidder's first bid on a lot, with the envelope it carried (checked against the digest it
/// signed; `None` only in a replay, where it was erased).
pub(crate) fn submit(
    state: &mut State,
    context: &EntryContext,
    message: &SignedMessage,
    id: &TenderId,
    lot: &LotId,
    envelope: Option<&Envelope>,
) -> Result<Effect, Rejection> {
    state.require_role(&message.signer, Role::Bidder)?;
    let limit = state.config().bids_per_tender_max;
    let tender = check_bidding(state, context, id, lot, envelope)?;
    if tender.office == message.signer || tender.member_number(&message.signer).is_some() {
        return Err(Rejection::ConflictOfInterest(id.clone()));
    }
    if tender.has_bid(lot, &message.signer) {
        return Err(Rejection::DuplicateBid { lot: lot.clone() });
    }
    if tender.bid_count >= limit {
        return Err(Rejection::Limit {
            what: "bids per tender",
            limit,
        });
    }
    let tender = state.tender_mut(id)?;
    tender
        .bids
        .entry(lot.clone())
        .or_default()
        .insert(message.signer, bid(message, envelope, context));
    tender.bid_count += 1;
    Ok(accepted(context))
}

/// A bidder replaces its bid on a lot; the replaced bid, and its envelope, leave the state.
pub(crate) fn replace(
    state: &mut State,
    context: &EntryContext,
    message: &SignedMessage,
    id: &TenderId,
    lot: &LotId,
    envelope: Option<&Envelope>,
) -> Result<Effect, Rejection> {
    state.require_role(&message.signer, Role::Bidder)?;
    let tender = check_bidding(state, context, id, lot, envelope)?;
    if !tender.has_bid(lot, &message.signer) {
        return Err(Rejection::NoBid { lot: lot.clone() });
    }
    let tender = state.tender_mut(id)?;
    tender
        .bids
        .entry(lot.clone())
        .or_default()
        .insert(message.signer, bid(message, envelope, context));
    Ok(accepted(context))
}

/// A bidder withdraws its bid on a lot; the bid, and its envelope, leave the state.
pub(crate) fn withdraw(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
    lot: &LotId,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Bidder)?;
    let tender = check_bidding(state, context, id, lot, None)?;
    if !tender.has_bid(lot, signer) {
        return Err(Rejection::NoBid { lot: lot.clone() });
    }
    let tender = state.tender_mut(id)?;
    let lot_bids = tender.bids.entry(lot.clone()).or_default();
    lot_bids.remove(signer);
    if lot_bids.is_empty() {
        tender.bids.remove(lot);
    }
    tender.bid_count -= 1;
    tender.withdrawn.insert(*signer, context.audit_index);
    Ok(Effect::respond(Response::Applied))
}

/// The bid record of an accepted submission.
fn bid(message: &SignedMessage, envelope: Option<&Envelope>, context: &EntryContext) -> Bid {
    Bid {
        command: Arc::new(message.clone()),
        envelope: envelope.cloned().map(Arc::new),
        audit_index: context.audit_index,
        leaf_hash: context.leaf_hash,
        arrived_at_ms: context.arrived_at_ms,
        source_tag: context.source_tag,
    }
}

/// The response to an accepted bid.
fn accepted(context: &EntryContext) -> Effect {
    Effect::respond(Response::BidAccepted {
        audit_index: context.audit_index,
        leaf_hash: context.leaf_hash,
    })
}
