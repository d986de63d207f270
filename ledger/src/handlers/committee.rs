//! The committee's key generation, its members' proofs while the tender takes bids that they
//! still hold their shares (and the judgement of them at the set time before the deadline),
//! and the release of shares after the close.

use sealbid_crypto::dkg::{Dealing, ReadinessProof, ReleasedShare, Response as DkgResponse, finish};
use sealbid_crypto::identity::PublicKey;

use crate::events::{AuditEvent, Response};
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State, require_office, require_phase};
use crate::tender::{Phase, Readiness, Tender};
use crate::types::TenderId;
use crate::warnings::{Finding, Indicator, Level, evidence, value};

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
    context: &EntryContext,
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
    match finish_on(tender, context) {
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
pub(crate) fn finish_key_generation(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
) -> Result<Effect, Rejection> {
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
    finish_on(state.tender_mut(id)?, context)
}

/// Decides the key generation; on success the tender opens for bids.
fn finish_on(tender: &mut Tender, context: &EntryContext) -> Result<Effect, Rejection> {
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
    tender.bidding_since_ms = Some(context.timestamp_ms);
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

/// A member proves, while the tender takes bids, that it still holds its share: a proof of
/// knowledge for its public share, bound to the deadline in force. The latest proof of each
/// member is recorded.
pub(crate) fn prove_readiness(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
    readiness: &ReadinessProof,
) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    require_phase(tender, Phase::Bidding, "taking bids")?;
    require_member(tender, signer, readiness.member)?;
    let outcome = tender
        .committee_key
        .as_ref()
        .ok_or_else(|| Rejection::Invalid("the tender has no key".into()))?;
    outcome.verify_readiness(readiness, tender.deadline_ms)?;
    state.tender_mut(id)?.readiness.insert(
        readiness.member,
        Readiness {
            audit_index: context.audit_index,
            proved_at_ms: context.timestamp_ms,
        },
    );
    Ok(Effect::respond(Response::Applied))
}

/// Judges, once, whether the committee of tender `id` proved it can open by the set time: at
/// the first entry on the tender at or after `deadline − committee_readiness_lead_ms` (or its
/// close), a tender whose bidding opened before that time and has fewer than t members whose
/// latest proof came by then raises a red `committee-unready`.
pub(crate) fn judge_readiness(state: &mut State, context: &EntryContext, id: &TenderId) {
    let lead_ms = state.thresholds().thresholds.committee_readiness_lead_ms;
    let Some(tender) = state.tenders.get_mut(id) else {
        return;
    };
    let due_ms = tender.deadline_ms.saturating_sub(lead_ms);
    if tender.readiness_judged || tender.phase != Phase::Bidding || context.timestamp_ms < due_ms {
        return;
    }
    tender.readiness_judged = true;
    let (Some(since_ms), Some(outcome)) = (tender.bidding_since_ms, tender.committee_key.as_ref()) else {
        return;
    };
    if since_ms >= due_ms {
        return;
    }
    let proved: Vec<u64> = tender
        .readiness
        .values()
        .filter(|readiness| readiness.proved_at_ms <= due_ms)
        .map(|readiness| readiness.audit_index)
        .collect();
    let threshold = u64::from(outcome.threshold);
    if proved.len() as u64 >= threshold {
        return;
    }
    let finding = Finding {
        indicator: Indicator::CommitteeUnready,
        level: Level::Red,
        lot: None,
        evidence: evidence(
            proved.clone(),
            Vec::new(),
            [
                ("proved", value(proved.len() as u64)),
                ("threshold", value(threshold)),
                ("members", value(u64::from(outcome.member_count))),
                ("due_ms", value(due_ms)),
                ("committee_readiness_lead_ms", value(lead_ms)),
            ],
        ),
    };
    state.raise(Some(id), context, vec![finding]);
}
