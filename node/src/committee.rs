//! `sealbid committee …`: a committee member's side of a tender's opening key, run on the
//! member's own machine. The member keeps two keys: its identity key (it signs the member's
//! commands) and its encryption key (a P-256 scalar; the other members seal its shares to it).
//!
//! A tender's key generation has two rounds read from and written to the log: every member
//! deals (`dkg deal`), then every member checks the shares dealt to it and responds
//! (`dkg respond`); the ledger then fixes the opening key. After the close each member releases
//! its share of the key (`release-share`); t of them open the tender. No step keeps state on
//! the member's machine: what a step needs is read from `/v1/tenders/{id}/key-generation`.

use std::path::Path;

use ring::rand::SystemRandom;
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{Dealing, KnowledgeProof, Response, finish, member_share};
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::seal::OpeningKey;
use sealbid_ledger::command::{Action, encryption_key_statement};
use sealbid_ledger::query::KeyGeneration;
use sealbid_ledger::types::TenderId;

use crate::participant::{ParticipantError, write_new_file};

/// Bytes of an encryption key file: the scalar, big-endian.
const ENCRYPTION_KEY_BYTES: usize = 32;

/// A new encryption key written to `path` (owner-only, never overwritten).
pub fn encryption_keygen(path: &Path) -> Result<OpeningKey, ParticipantError> {
    let secret = CurveScalar::random(&SystemRandom::new()).map_err(|error| ParticipantError::File {
        path: path.display().to_string(),
        reason: error.to_string(),
    })?;
    write_new_file(path, &secret.to_bytes())?;
    Ok(OpeningKey::new(secret))
}

/// The encryption key in `path`.
pub fn load_encryption_key(path: &Path) -> Result<OpeningKey, ParticipantError> {
    let failed = |reason: String| ParticipantError::File {
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|error| failed(error.to_string()))?;
    if bytes.len() != ENCRYPTION_KEY_BYTES {
        return Err(failed(format!(
            "{} bytes; an encryption key file holds {ENCRYPTION_KEY_BYTES} (made by `sealbid committee keygen`)",
            bytes.len()
        )));
    }
    let secret = CurveScalar::from_bytes(&bytes).map_err(|error| failed(error.to_string()))?;
    Ok(OpeningKey::new(secret))
}

/// The command registering `encryption`'s public key for `identity`, with the proof that the
/// member knows its secret.
pub fn register(identity: &IdentityKeyPair, encryption: &OpeningKey) -> Result<Action, ParticipantError> {
    let invalid = |error: &dyn std::fmt::Display| ParticipantError::Invalid(error.to_string());
    let statement = encryption_key_statement(&identity.public_key()).map_err(|error| invalid(&error))?;
    let proof = KnowledgeProof::create(encryption.secret(), &statement, &SystemRandom::new())
        .map_err(|error| invalid(&error))?;
    Ok(Action::RegisterEncryptionKey {
        encryption_key: encryption.public_point(),
        proof,
    })
}

/// The signer's member number on the tender's committee.
fn member_number(generation: &KeyGeneration, identity: &IdentityKeyPair) -> Result<u16, ParticipantError> {
    let key = identity.public_key();
    let position = generation
        .members
        .iter()
        .position(|member| *member == key)
        .ok_or_else(|| {
            ParticipantError::Invalid(format!("{key} is not on tender {}'s committee", generation.tender))
        })?;
    u16::try_from(position + 1).map_err(|error| ParticipantError::Invalid(error.to_string()))
}

/// The signer's member number, once `encryption` is found to be the key the committee's
/// parameters hold for that member.
fn member_with_key(
    generation: &KeyGeneration,
    identity: &IdentityKeyPair,
    encryption: &OpeningKey,
) -> Result<u16, ParticipantError> {
    let member = member_number(generation, identity)?;
    let registered = generation
        .parameters
        .member_key(member)
        .map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    if *registered != encryption.public_point() {
        return Err(ParticipantError::Invalid(format!(
            "this encryption key is not the one member {member} registered for tender {}",
            generation.tender
        )));
    }
    Ok(member)
}

/// Round 1: the signer's dealing for the tender.
pub fn deal(generation: &KeyGeneration, identity: &IdentityKeyPair) -> Result<Action, ParticipantError> {
    let member = member_number(generation, identity)?;
    if generation.dealing_closed {
        return Err(ParticipantError::Invalid(format!(
            "tender {}'s dealing round is over",
            generation.tender
        )));
    }
    let dealing = Dealing::create(&generation.parameters, member, &SystemRandom::new())
        .map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    Ok(Action::Deal {
        tender: generation.tender.clone(),
        dealing,
    })
}

/// Round 2: the signer's response to every dealing in the log.
pub fn respond(
    generation: &KeyGeneration,
    identity: &IdentityKeyPair,
    encryption: &OpeningKey,
) -> Result<Action, ParticipantError> {
    let member = member_with_key(generation, identity, encryption)?;
    if !generation.dealing_closed {
        return Err(ParticipantError::Invalid(format!(
            "tender {} is still in its dealing round ({} of {} dealt): respond once every member has dealt",
            generation.tender,
            generation.dealings.len(),
            generation.members.len()
        )));
    }
    let response = Response::create(
        &generation.parameters,
        member,
        encryption,
        &generation.dealings,
        &SystemRandom::new(),
    )
    .map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    Ok(Action::Respond {
        tender: generation.tender.clone(),
        response,
    })
}

/// After the close: the signer's share of the opening key.
pub fn release_share(
    generation: &KeyGeneration,
    identity: &IdentityKeyPair,
    encryption: &OpeningKey,
) -> Result<Action, ParticipantError> {
    Ok(Action::ReleaseShare {
        tender: generation.tender.clone(),
        share: own_share(generation, identity, encryption)?,
    })
}

/// While the tender takes bids: the signer's proof that it holds its share, for the deadline
/// in force `deadline_ms` (nothing secret leaves the machine).
pub fn prove_readiness(
    generation: &KeyGeneration,
    identity: &IdentityKeyPair,
    encryption: &OpeningKey,
    deadline_ms: u64,
) -> Result<Action, ParticipantError> {
    let share = own_share(generation, identity, encryption)?;
    let readiness = sealbid_crypto::dkg::ReadinessProof::create(&share, deadline_ms, &SystemRandom::new())
        .map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    Ok(Action::ProveReadiness {
        tender: generation.tender.clone(),
        readiness,
    })
}

/// The signer's share of the opening key, from the dealings the node served, checked against
/// the outcome they give.
fn own_share(
    generation: &KeyGeneration,
    identity: &IdentityKeyPair,
    encryption: &OpeningKey,
) -> Result<sealbid_crypto::dkg::ReleasedShare, ParticipantError> {
    let member = member_with_key(generation, identity, encryption)?;
    let Some(published) = &generation.outcome else {
        return Err(ParticipantError::Invalid(format!(
            "tender {} has no opening key yet: its key generation has not finished",
            generation.tender
        )));
    };
    // The member rebuilds the outcome from the dealings and responses the node served: a node
    // whose published key contradicts its own messages is caught here. (Those messages come
    // from the same node; checking them against the log is the supervisor's audit.)
    let outcome = finish(&generation.parameters, &generation.dealings, &generation.responses)
        .map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    if outcome != *published {
        return Err(ParticipantError::Invalid(format!(
            "the node's opening key for tender {} differs from the one the log's dealings and responses give",
            generation.tender
        )));
    }
    member_share(
        &generation.parameters,
        &outcome,
        &generation.dealings,
        member,
        encryption,
    )
    .map_err(|error| ParticipantError::Invalid(error.to_string()))
}

/// Parses a tender id.
pub fn tender(text: &str) -> Result<TenderId, ParticipantError> {
    TenderId::parse(text).map_err(|error| ParticipantError::Invalid(format!("tender {text:?}: {error}")))
}
