//! Roles and bidder registration.

use std::collections::BTreeSet;

use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::identity::PublicKey;

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
    encryption_key: Option<&CurvePoint>,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Admin)?;
    check_text(&state.config(), name, "name")?;
    if name.trim().is_empty() {
        return Err(Rejection::Invalid("a name is required".into()));
    }
    if role == Role::Bidder {
        return Err(Rejection::Invalid(
            "bidders register themselves with their credit code".into(),
        ));
    }
    if role == Role::CommitteeMember && encryption_key.is_none() {
        return Err(Rejection::Invalid(
            "a committee member needs a P-256 encryption key".into(),
        ));
    }
    let existing = state.participants.get(actor);
    if existing.is_some_and(|participant| participant.roles.contains(&role)) {
        return Err(Rejection::DuplicateRegistration(format!(
            "{actor} already holds the {role:?} role"
        )));
    }
    let current_key = existing.and_then(|participant| participant.encryption_key);
    if let (Some(current), Some(new)) = (current_key, encryption_key)
        && current != *new
    {
        return Err(Rejection::Invalid(
            "this actor already has a different encryption key".into(),
        ));
    }
    let participant = state.participants.entry(*actor).or_insert_with(|| Participant {
        key: *actor,
        name: name.into(),
        roles: BTreeSet::new(),
        credit_code: None,
        encryption_key: None,
    });
    participant.roles.insert(role);
    if participant.encryption_key.is_none() {
        participant.encryption_key = encryption_key.copied();
    }
    Ok(Effect {
        events: vec![AuditEvent::RoleGranted { actor: *actor, role }],
        ..Effect::respond(Response::Applied)
    })
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
    if organisation.trim().is_empty() {
        return Err(Rejection::Invalid("the organisation's name is required".into()));
    }
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
