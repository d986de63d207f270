//! Actors and the signed commands they send, for sealbid's tests, benchmarks and load test.
//! Pure: no I/O, no clock (callers pass the time); identity and committee keys derive from
//! seeds, so the same actors appear on every run (dealings, proofs and seals still draw fresh
//! randomness, as they must).
//!
//! A [`Signer`] numbers nonces and signs [`Action`]s; a [`Committee`] holds members' identity
//! and encryption keys and produces every step of the key generation and the share release;
//! [`bidder`] and [`sealed_offer`] make bidders and their sealed bids. The caller submits the
//! commands however it reaches the ledger (a ledger in memory, a cluster, the HTTPS API).

use ring::rand::SystemRandom;
use sealbid_crypto::curve::{CurvePoint, CurveScalar};
use sealbid_crypto::dkg::{
    CommitteeParameters, Dealing, KnowledgeProof, ReleasedShare, Response as DkgResponse, finish, member_share,
};
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::seal::{Envelope, OpeningKey};
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Action, Command, Offer, ReserveOffer, encryption_key_statement};
use sealbid_ledger::types::{Fen, LotId, Role, TenderId};

/// How long a command stays valid after it is signed.
pub const COMMAND_LIFETIME_MS: u64 = 10 * 60 * 1000;

/// Why a command could not be made (a bug in the caller's inputs, never in the ledger).
#[derive(Debug, thiserror::Error)]
#[error("testkit: {0}")]
pub struct KitError(String);

/// Maps any error into a [`KitError`].
fn kit<E: std::fmt::Display>(error: E) -> KitError {
    KitError(error.to_string())
}

/// Signs commands with fresh nonces.
#[derive(Debug, Default)]
pub struct Signer {
    /// The last nonce used.
    nonce: u64,
}

impl Signer {
    /// `action` signed by `key`, valid from `now_ms` for [`COMMAND_LIFETIME_MS`].
    pub fn sign(&mut self, key: &IdentityKeyPair, action: Action, now_ms: u64) -> Result<SignedMessage, KitError> {
        self.nonce += 1;
        let command = Command {
            nonce: self.nonce,
            expires_at_ms: now_ms + COMMAND_LIFETIME_MS,
            action,
        };
        SignedMessage::sign(key, &command).map_err(kit)
    }
}

/// The identity key derived from `label` and `index` (the same on every run).
pub fn key(label: u8, index: u64) -> Result<IdentityKeyPair, KitError> {
    let mut seed = [label; 32];
    seed[..8].copy_from_slice(&index.to_be_bytes());
    IdentityKeyPair::from_seed(&seed).map_err(kit)
}

/// The operator's grant of `role` to `actor`.
pub fn grant(actor: &IdentityKeyPair, role: Role, name: &str) -> Action {
    Action::GrantRole {
        actor: actor.public_key(),
        role,
        name: name.to_owned(),
    }
}

/// Bidder `index`: its key and its registration (organisation name, a valid credit code).
pub fn bidder(index: u64) -> Result<(IdentityKeyPair, Action), KitError> {
    let organisation = format!("MA{:06}", index % 1_000_000);
    let credit_code =
        sealbid_ledger::credit_code::CreditCode::from_parts('9', '1', "350100", &organisation).map_err(kit)?;
    let registration = Action::RegisterBidder {
        organisation: format!("Bidder {index} Co., Ltd."),
        credit_code: credit_code.as_str().to_owned(),
    };
    Ok((key(7, index)?, registration))
}

/// A registrar's approval of `bidder`'s registration.
pub fn approval(bidder: &IdentityKeyPair) -> Action {
    Action::ApproveBidder {
        bidder: bidder.public_key(),
    }
}

/// `bidder`'s offer of `price_fen` (and `quantity_tonnes`, for coal/coke) on a lot, sealed to
/// `opening_key`.
pub fn sealed_offer(
    tender: &TenderId,
    lot: &LotId,
    bidder: &IdentityKeyPair,
    price_fen: u64,
    quantity_tonnes: Option<u64>,
    opening_key: &CurvePoint,
) -> Result<Envelope, KitError> {
    let offer = Offer {
        tender: tender.clone(),
        lot: lot.clone(),
        bidder: bidder.public_key(),
        price_fen: Fen::new(price_fen).map_err(kit)?,
        quantity_tonnes,
    };
    offer.seal(opening_key, &SystemRandom::new()).map_err(kit)
}

/// A bid's submission of `envelope` on `lot`: the action signs the envelope's digest, and the
/// envelope travels beside the command.
pub fn submission(tender: &TenderId, lot: &LotId, envelope: &Envelope) -> Result<Action, KitError> {
    Ok(Action::SubmitBid {
        tender: tender.clone(),
        lot: lot.clone(),
        envelope_sha256: envelope.sha256().map_err(kit)?,
    })
}

/// A bid's replacement by `envelope`, as [`submission`].
pub fn replacement(tender: &TenderId, lot: &LotId, envelope: &Envelope) -> Result<Action, KitError> {
    Ok(Action::ReplaceBid {
        tender: tender.clone(),
        lot: lot.clone(),
        envelope_sha256: envelope.sha256().map_err(kit)?,
    })
}

/// The office's reserve price on a lot, sealed to `opening_key`.
pub fn sealed_reserve(
    tender: &TenderId,
    lot: &LotId,
    office: &IdentityKeyPair,
    price_fen: u64,
    opening_key: &CurvePoint,
) -> Result<Envelope, KitError> {
    let reserve = ReserveOffer {
        tender: tender.clone(),
        lot: lot.clone(),
        price_fen: Fen::new(price_fen).map_err(kit)?,
    };
    reserve
        .seal(&office.public_key(), opening_key, &SystemRandom::new())
        .map_err(kit)
}

/// A tender's opening committee: members' identity and encryption keys, and what they dealt and
/// answered during the key generation.
#[derive(Debug)]
pub struct Committee {
    /// Member i+1's identity key and encryption key.
    pub members: Vec<(IdentityKeyPair, OpeningKey)>,
    /// Shares needed to open.
    pub threshold: u16,
    /// The key generation's parameters, once a tender is set.
    parameters: Option<CommitteeParameters>,
    /// Each member's dealing.
    dealings: Vec<Dealing>,
    /// Each member's response.
    responses: Vec<DkgResponse>,
}

impl Committee {
    /// `size` members (keys derived from `label`), `threshold` of whom open.
    pub fn new(label: u8, size: u16, threshold: u16) -> Result<Self, KitError> {
        let members = (0..u64::from(size))
            .map(|index| {
                let mut secret = [label.wrapping_add(1); 32];
                secret[..8].copy_from_slice(&(index + 1).to_be_bytes());
                Ok((
                    key(label, index)?,
                    OpeningKey::new(CurveScalar::from_bytes(&secret).map_err(kit)?),
                ))
            })
            .collect::<Result<Vec<_>, KitError>>()?;
        Ok(Self {
            members,
            threshold,
            parameters: None,
            dealings: Vec::new(),
            responses: Vec::new(),
        })
    }

    /// Each member's identity key.
    pub fn identities(&self) -> Vec<sealbid_crypto::identity::PublicKey> {
        self.members.iter().map(|(identity, _)| identity.public_key()).collect()
    }

    /// Each member's registration of its encryption key, with the member's key.
    pub fn registrations(&self) -> Result<Vec<(&IdentityKeyPair, Action)>, KitError> {
        self.members
            .iter()
            .map(|(identity, encryption)| {
                let statement = encryption_key_statement(&identity.public_key()).map_err(kit)?;
                let proof =
                    KnowledgeProof::create(encryption.secret(), &statement, &SystemRandom::new()).map_err(kit)?;
                let action = Action::RegisterEncryptionKey {
                    encryption_key: encryption.public_point(),
                    proof,
                };
                Ok((identity, action))
            })
            .collect()
    }

    /// Each member's dealing for `tender`.
    pub fn deals(&mut self, tender: &TenderId) -> Result<Vec<(&IdentityKeyPair, Action)>, KitError> {
        let parameters = CommitteeParameters {
            session: tender.to_string(),
            threshold: self.threshold,
            member_keys: self
                .members
                .iter()
                .map(|(_, encryption)| encryption.public_point())
                .collect(),
        };
        self.dealings = (1..=self.members.len())
            .map(|dealer| {
                let dealer = u16::try_from(dealer).map_err(kit)?;
                Dealing::create(&parameters, dealer, &SystemRandom::new()).map_err(kit)
            })
            .collect::<Result<_, _>>()?;
        self.parameters = Some(parameters);
        Ok(self
            .members
            .iter()
            .zip(&self.dealings)
            .map(|((identity, _), dealing)| {
                let action = Action::Deal {
                    tender: tender.clone(),
                    dealing: dealing.clone(),
                };
                (identity, action)
            })
            .collect())
    }

    /// Each member's response to the dealings (after [`Committee::deals`]).
    pub fn responses(&mut self, tender: &TenderId) -> Result<Vec<(&IdentityKeyPair, Action)>, KitError> {
        let parameters = self.parameters.as_ref().ok_or_else(|| KitError("deal first".into()))?;
        self.responses = (1..=self.members.len())
            .zip(&self.members)
            .map(|(member, (_, encryption))| {
                let member = u16::try_from(member).map_err(kit)?;
                DkgResponse::create(parameters, member, encryption, &self.dealings, &SystemRandom::new()).map_err(kit)
            })
            .collect::<Result<_, _>>()?;
        Ok(self
            .members
            .iter()
            .zip(&self.responses)
            .map(|((identity, _), response)| {
                let action = Action::Respond {
                    tender: tender.clone(),
                    response: response.clone(),
                };
                (identity, action)
            })
            .collect())
    }

    /// Member `member`'s (from 1) share release for `tender` (after [`Committee::responses`]).
    pub fn release(&self, tender: &TenderId, member: u16) -> Result<(&IdentityKeyPair, Action), KitError> {
        let parameters = self.parameters.as_ref().ok_or_else(|| KitError("deal first".into()))?;
        let outcome = finish(parameters, &self.dealings, &self.responses).map_err(kit)?;
        let (identity, encryption) = self
            .members
            .get(usize::from(member).wrapping_sub(1))
            .ok_or_else(|| KitError(format!("no member {member}")))?;
        let share: ReleasedShare =
            member_share(parameters, &outcome, &self.dealings, member, encryption).map_err(kit)?;
        Ok((
            identity,
            Action::ReleaseShare {
                tender: tender.clone(),
                share,
            },
        ))
    }
}
