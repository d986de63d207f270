//! Roles and bidder registration.

use std::collections::BTreeSet;

use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::dkg::KnowledgeProof;
use sealbid_crypto::identity::PublicKey;

use crate::command::encryption_key_statement;
use crate::credit_code::CreditCode;
use crate::events::{AuditEvent, Response};
use crate::rejection::Rejection;
use crate::state::{Effect, Participant, State, check_text};
use crate::types::Role;

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
    let participant = state.participants.entry(*actor).or_insert_with(|| Participant {
        key: *actor,
        name: name.into(),
        roles: BTreeSet::new(),
        credit_code: None,
        encryption_key: None,
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

/// A key registers itself as a bidder for an organisation.
pub(crate) fn register_bidder(
    state: &mut State,
    signer: &PublicKey,
    organisation: &str,
    credit_code: &str,
) -> Result<Effect, Rejection> {
    let code = CreditCode::parse(credit_code)?;
    check_text(&state.config(), organisation, "organisation name")?;
    if state
        .participants
        .get(signer)
        .is_some_and(|participant| participant.roles.contains(&Role::Bidder))
    {
        return Err(Rejection::DuplicateRegistration(
            "this key is already registered as a bidder".into(),
        ));
    }
    if state.credit_codes.contains_key(&code) {
        return Err(Rejection::DuplicateRegistration(format!(
            "credit code {} is already registered to another key",
            code.as_str()
        )));
    }
    let participant = state.participants.entry(*signer).or_insert_with(|| Participant {
        key: *signer,
        name: organisation.into(),
        roles: BTreeSet::new(),
        credit_code: None,
        encryption_key: None,
    });
    participant.roles.insert(Role::Bidder);
    participant.credit_code = Some(code.clone());
    state.credit_codes.insert(code, *signer);
    Ok(Effect::respond(Response::Applied))
}
