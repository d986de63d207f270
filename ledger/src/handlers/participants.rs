//! Roles and bidder registration: a key applies, a registrar approves, rejects or revokes.

use std::collections::BTreeSet;

use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::dkg::KnowledgeProof;
use sealbid_crypto::identity::PublicKey;

use crate::command::encryption_key_statement;
use crate::credit_code::CreditCode;
use crate::events::{AuditEvent, Response};
use crate::rejection::Rejection;
use crate::state::{Effect, Participant, Registration, State, check_text};
use crate::types::{RegistrationStatus, Role};

/// Admin grants `role` to `actor`.
pub(crate) fn grant_role(
    state: &mut State,
    signer: &PublicKey,
    actor: &PublicKey,
    role: Role,
    name: &str,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Admin)?;
    check_text(&state.config(), name, "name")?;
    if role == Role::Bidder {
        return Err(Rejection::Invalid(
            "bidders register themselves with their credit code".into(),
        ));
    }
    if state
        .participants
        .get(actor)
        .is_some_and(|participant| participant.roles.contains(&role))
    {
        return Err(Rejection::DuplicateRegistration(format!(
            "{actor} already holds the {role:?} role"
        )));
    }
    let incompatible = match role {
        Role::Supervisor => Some(Role::Admin),
        Role::Admin => Some(Role::Supervisor),
        _ => None,
    };
    if let Some(held) = incompatible
        && state
            .participants
            .get(actor)
            .is_some_and(|participant| participant.roles.contains(&held))
    {
        return Err(Rejection::IncompatibleRoles {
            actor: *actor,
            held,
            asked: role,
        });
    }
    let participant = state.participants.entry(*actor).or_insert_with(|| Participant {
        key: *actor,
        name: name.into(),
        roles: BTreeSet::new(),
        credit_code: None,
        encryption_key: None,
        registration: None,
    });
    participant.roles.insert(role);
    Ok(Effect {
        events: vec![AuditEvent::RoleGranted { actor: *actor, role }],
        ..Effect::respond(Response::Applied)
    })
}

/// A committee member registers its own encryption key, proving it holds the secret. Nobody
/// else, the operator included, can register a key for it.
pub(crate) fn register_encryption_key(
    state: &mut State,
    signer: &PublicKey,
    encryption_key: &CurvePoint,
    proof: &KnowledgeProof,
) -> Result<Effect, Rejection> {
    let participant = state.require_role(signer, Role::CommitteeMember)?;
    if participant.encryption_key.is_some() {
        return Err(Rejection::DuplicateRegistration(
            "this member's encryption key is registered already".into(),
        ));
    }
    let statement = encryption_key_statement(signer).map_err(|error| Rejection::Malformed(error.to_string()))?;
    if !proof.verify(encryption_key, &statement) {
        return Err(Rejection::Invalid(
            "the proof of the encryption key's secret does not verify".into(),
        ));
    }
    if state
        .participants
        .values()
        .any(|other| other.encryption_key.as_ref() == Some(encryption_key))
    {
        return Err(Rejection::DuplicateRegistration(
            "this encryption key belongs to another member".into(),
        ));
    }
    if let Some(participant) = state.participants.get_mut(signer) {
        participant.encryption_key = Some(*encryption_key);
    }
    Ok(Effect::respond(Response::Applied))
}

/// A key applies to register as a bidder for an organisation. The application is pending: it
/// holds neither the bidder role nor the credit code until a registrar approves it, so several
/// keys may apply with one code and the registrar, checking the documents, approves the real one.
pub(crate) fn register_bidder(
    state: &mut State,
    signer: &PublicKey,
    organisation: &str,
    credit_code: &str,
) -> Result<Effect, Rejection> {
    let code = CreditCode::parse(credit_code)?;
    check_text(&state.config(), organisation, "organisation name")?;
    match registration_of(state, signer).map(Registration::status) {
        Some(RegistrationStatus::Pending) => {
            return Err(Rejection::DuplicateRegistration(
                "this key's registration is pending already".into(),
            ));
        }
        Some(RegistrationStatus::Approved) => {
            return Err(Rejection::DuplicateRegistration(
                "this key is already registered as a bidder".into(),
            ));
        }
        Some(RegistrationStatus::Rejected | RegistrationStatus::Revoked) | None => {}
    }
    refuse_taken_code(state, &code, signer)?;
    let participant = state.participants.entry(*signer).or_insert_with(|| Participant {
        key: *signer,
        name: organisation.into(),
        roles: BTreeSet::new(),
        credit_code: None,
        encryption_key: None,
        registration: None,
    });
    // A key applying again after a rejection may correct its name; a key that holds other roles
    // keeps the name others know it by.
    if participant.roles.is_empty() {
        participant.name = organisation.into();
    }
    participant.credit_code = Some(code);
    participant.registration = Some(Registration::Pending);
    Ok(Effect::respond(Response::Applied))
}

/// A registrar approves a pending registration: the key becomes a bidder and holds its code.
pub(crate) fn approve_bidder(state: &mut State, signer: &PublicKey, bidder: &PublicKey) -> Result<Effect, Rejection> {
    check_decision(state, signer, bidder, RegistrationStatus::Pending, "approved")?;
    let code = state
        .participants
        .get(bidder)
        .and_then(|participant| participant.credit_code.clone())
        .ok_or(Rejection::NoRegistration(*bidder))?;
    refuse_taken_code(state, &code, bidder)?;
    // Every check is done: nothing below refuses, so a refusal changes nothing.
    if let Some(participant) = state.participants.get_mut(bidder) {
        participant.registration = Some(Registration::Approved);
        participant.roles.insert(Role::Bidder);
    }
    state.credit_codes.insert(code, *bidder);
    Ok(Effect {
        events: vec![AuditEvent::RoleGranted {
            actor: *bidder,
            role: Role::Bidder,
        }],
        ..Effect::respond(Response::Applied)
    })
}

/// A registrar refuses a pending registration.
pub(crate) fn reject_bidder(
    state: &mut State,
    signer: &PublicKey,
    bidder: &PublicKey,
    reason: &str,
) -> Result<Effect, Rejection> {
    check_decision(state, signer, bidder, RegistrationStatus::Pending, "rejected")?;
    check_text(&state.config(), reason, "reason")?;
    if let Some(participant) = state.participants.get_mut(bidder) {
        participant.registration = Some(Registration::Rejected { reason: reason.into() });
    }
    Ok(Effect::respond(Response::Applied))
}

/// A registrar withdraws an approved registration: the key may no longer bid, its bids already
/// in a tender are invalid at the opening, and its code is free.
pub(crate) fn revoke_bidder(
    state: &mut State,
    signer: &PublicKey,
    bidder: &PublicKey,
    reason: &str,
) -> Result<Effect, Rejection> {
    check_decision(state, signer, bidder, RegistrationStatus::Approved, "revoked")?;
    check_text(&state.config(), reason, "reason")?;
    let participant = state
        .participants
        .get_mut(bidder)
        .ok_or(Rejection::NoRegistration(*bidder))?;
    participant.registration = Some(Registration::Revoked { reason: reason.into() });
    participant.roles.remove(&Role::Bidder);
    if let Some(code) = participant.credit_code.clone() {
        state.credit_codes.remove(&code);
    }
    Ok(Effect {
        events: vec![AuditEvent::RoleRevoked {
            actor: *bidder,
            role: Role::Bidder,
        }],
        ..Effect::respond(Response::Applied)
    })
}

/// The checks every registrar's decision shares: the signer is a registrar deciding another
/// key's registration, and that registration stands at `needed`.
fn check_decision(
    state: &State,
    signer: &PublicKey,
    bidder: &PublicKey,
    needed: RegistrationStatus,
    decision: &'static str,
) -> Result<(), Rejection> {
    state.require_role(signer, Role::Registrar)?;
    if signer == bidder {
        return Err(Rejection::OwnRegistration);
    }
    let status = registration_of(state, bidder)
        .ok_or(Rejection::NoRegistration(*bidder))?
        .status();
    if status != needed {
        return Err(Rejection::RegistrationStatus {
            status,
            needed,
            decision,
        });
    }
    Ok(())
}

/// Where `key`'s registration as a bidder stands, if it applied.
fn registration_of<'a>(state: &'a State, key: &PublicKey) -> Option<&'a Registration> {
    state
        .participants
        .get(key)
        .and_then(|participant| participant.registration.as_ref())
}

/// Refuses a code an approved registration of another key holds.
fn refuse_taken_code(state: &State, code: &CreditCode, applicant: &PublicKey) -> Result<(), Rejection> {
    match state.credit_codes.get(code) {
        Some(holder) if holder != applicant => Err(Rejection::DuplicateRegistration(format!(
            "credit code {} is already registered to another key",
            code.as_str()
        ))),
        _ => Ok(()),
    }
}
