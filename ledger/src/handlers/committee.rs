//! The committee's key generation and the release of shares after the close.

use sealbid_crypto::dkg::{Dealing, ReleasedShare, Response as DkgResponse, finish};
use sealbid_crypto::identity::PublicKey;

use crate::events::{AuditEvent, Response};
use crate::rejection::Rejection;
use crate::state::{Effect, State, require_office, require_phase};
use crate::tender::{Phase, Tender};
use crate::types::TenderId;

/// Refuses a signer that is not committee member `member` of the tender.
fn require_member(tender: &Tender, signer: &PublicKey, member: u16) -> Result<(), Rejection> {
    if tender.member_number(signer) != Some(member) {
        return Err(Rejection::NotThatCommitteeMember {
            tender: tender.id.clone(),
            member,
        });
    }
    Ok(())
}

/// A member's round-1 dealing: only while round 1 is open.
pub(crate) fn deal(
    state: &mut State,
    signer: &PublicKey,
    id: &TenderId,
    dealing: &Dealing,
) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    require_phase(tender, Phase::KeyGeneration, "generating its key")?;
    require_member(tender, signer, dealing.dealer)?;
    if tender.dealing_closed {
        return Err(Rejection::Invalid(
            "round 1 of the key generation is over: no more dealings".into(),
        ));
    }
    if tender.dealings.iter().any(|existing| existing.dealer == dealing.dealer) {
        return Err(Rejection::Invalid(format!(
            "member {} has dealt already",
            dealing.dealer
        )));
    }
    dealing.check_form(&tender.committee)?;
    let tender = state.tender_mut(id)?;
    tender.dealings.push(dealing.clone());
    tender.dealing_closed = tender.dealings.len() == usize::from(tender.committee.member_count());
    Ok(Effect::respond(Response::Applied))
}

/// A member's round-2 response, once round 1 is over; the key generation finishes once every
/// member responded.
pub(crate) fn respond(
    state: &mut State,
    signer: &PublicKey,
    id: &TenderId,
    response: &DkgResponse,
) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    require_phase(tender, Phase::KeyGeneration, "generating its key")?;
    require_member(tender, signer, response.member)?;
    if !tender.dealing_closed {
        return Err(Rejection::Invalid(format!(
            "round 1 of the key generation is still open ({} of {} dealings): respond after it",
            tender.dealings.len(),
            tender.committee.member_count()
        )));
    }
    if response.session != tender.committee.session {
        return Err(Rejection::Invalid(format!(
            "the response is for session {}",
            response.session
        )));
    }
    if tender
        .responses
        .iter()
        .any(|existing| existing.member == response.member)
    {
        return Err(Rejection::Invalid(format!(
            "member {} has responded already",
            response.member
        )));
    }
    let members = tender.committee.member_count();
    let mut accused = std::collections::BTreeSet::new();
    if response
        .complaints
        .iter()
        .any(|complaint| complaint.dealer == 0 || complaint.dealer > members || !accused.insert(complaint.dealer))
    {
        return Err(Rejection::Invalid(
            "a complaint names a dealer outside the committee, or one twice".into(),
        ));
    }
    let tender = state.tender_mut(id)?;
    tender.responses.push(response.clone());
    if tender.responses.len() < usize::from(members) {
        return Ok(Effect::respond(Response::Applied));
    }
    match finish_on(tender) {
        Ok(effect) => Ok(effect),
        Err(rejection) => Ok(Effect {
            events: vec![AuditEvent::KeyGenerationFailed {
                tender: id.clone(),
                reason: rejection.to_string(),
            }],
            ..Effect::respond(Response::Applied)
        }),
    }
}

/// The office moves the key generation on when members are silent: during round 1 it closes
/// the round with the dealings present (at least t); during round 2 it finishes with the
/// responses present (a silent member is taken to accept).
pub(crate) fn finish_key_generation(state: &mut State, signer: &PublicKey, id: &TenderId) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    require_office(tender, signer)?;
    require_phase(tender, Phase::KeyGeneration, "generating its key")?;
    if !tender.dealing_closed {
        if tender.dealings.len() < usize::from(tender.committee.threshold) {
            return Err(Rejection::Invalid(format!(
                "only {} dealings; closing round 1 needs at least {}",
                tender.dealings.len(),
                tender.committee.threshold
            )));
        }
        state.tender_mut(id)?.dealing_closed = true;
        return Ok(Effect::respond(Response::Applied));
    }
    finish_on(state.tender_mut(id)?)
}

/// Decides the key generation; on success the tender opens for bids.
fn finish_on(tender: &mut Tender) -> Result<Effect, Rejection> {
    let outcome = finish(&tender.committee, &tender.dealings, &tender.responses)?;
    let events = outcome
        .faults
        .iter()
        .map(|fault| AuditEvent::CommitteeFault {
            tender: tender.id.clone(),
            fault: fault.clone(),
        })
        .collect();
    let opening_key = outcome.opening_key;
    tender.committee_key = Some(outcome);
    tender.phase = Phase::Bidding;
    Ok(Effect {
        events,
        ..Effect::respond(Response::KeyGenerationFinished { opening_key })
    })
}

/// A member releases its share after the close; it is checked against the commitments.
pub(crate) fn release_share(
    state: &mut State,
    signer: &PublicKey,
    id: &TenderId,
    share: &ReleasedShare,
) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    require_phase(tender, Phase::Closed, "closed")?;
    require_member(tender, signer, share.member)?;
    if tender.shares.iter().any(|existing| existing.member == share.member) {
        return Err(Rejection::Invalid(format!(
            "member {} has released its share already",
            share.member
        )));
    }
    let outcome = tender
        .committee_key
        .as_ref()
        .ok_or_else(|| Rejection::Invalid("the tender has no key".into()))?;
    outcome.verify_share(share)?;
    let threshold = outcome.threshold;
    let tender = state.tender_mut(id)?;
    tender.shares.push(share.clone());
    Ok(Effect::respond(Response::ShareAccepted {
        valid_shares: tender.shares.len(),
        threshold,
    }))
}
