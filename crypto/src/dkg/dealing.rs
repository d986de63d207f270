//! Round 1: a dealer's commitments and sealed shares with their proofs, the public checks, and
//! a recipient's private check of its own share.

use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};

use super::knowledge::KnowledgeProof;
use super::polynomial::{Polynomial, share_matches};
use super::{CommitteeParameters, DkgError, Fault, MemberNumber};
use crate::curve::{CurvePoint, CurveScalar};
use crate::encoding::to_canonical;
use crate::seal::{
    Envelope, OpeningKey, SealContext, TAG_BYTES, open, parse_ephemeral_key, seal_with_ephemeral_secret,
};

/// The length of a sealed share: a 32-byte scalar and the AEAD tag.
const SEALED_SHARE_BYTES: usize = 32 + TAG_BYTES;

/// One dealer's round-1 message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Dealing {
    /// The key-generation session.
    pub session: String,
    /// Who dealt.
    pub dealer: MemberNumber,
    /// Feldman commitments a_0·G … a_{t−1}·G.
    pub commitments: Vec<CurvePoint>,
    /// Proof that the dealer knows a_0 (no commitment chosen to cancel the others').
    pub constant_proof: KnowledgeProof,
    /// Member j's share f(j), 32 bytes big-endian, sealed to member j's key; position j−1.
    pub shares: Vec<Envelope>,
    /// For each share, proof that the dealer knows its envelope's ephemeral secret (no
    /// envelope copied from another dealer, so no complaint reveals another dealer's share).
    pub share_proofs: Vec<KnowledgeProof>,
}

/// What a dealing's proofs are bound to: the session, the dealer and (for a share) the recipient.
fn statement(session: &str, dealer: MemberNumber, recipient: Option<MemberNumber>) -> Result<Vec<u8>, DkgError> {
    #[derive(Serialize)]
    struct Statement<'a> {
        session: &'a str,
        dealer: MemberNumber,
        #[serde(skip_serializing_if = "Option::is_none")]
        recipient: Option<MemberNumber>,
    }
    Ok(to_canonical(&Statement {
        session,
        dealer,
        recipient,
    })?)
}

impl Dealing {
    /// Deals a fresh random polynomial as member `dealer`.
    pub fn create(
        parameters: &CommitteeParameters,
        dealer: MemberNumber,
        random: &dyn SecureRandom,
    ) -> Result<Self, DkgError> {
        parameters.validate()?;
        parameters.member_key(dealer)?;
        let polynomial = Polynomial::random(parameters.threshold, random)?;
        let constant_proof = KnowledgeProof::create(
            polynomial.constant_term(),
            &statement(&parameters.session, dealer, None)?,
            random,
        )?;
        let (shares, share_proofs) = parameters
            .members()
            .map(|recipient| {
                let share = polynomial.evaluate(recipient).to_bytes();
                let mut bytes = [0u8; 32];
                bytes.copy_from_slice(share.as_slice());
                Self::seal_share(parameters, dealer, recipient, &bytes, random)
            })
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .unzip();
        Ok(Self {
            session: parameters.session.clone(),
            dealer,
            commitments: polynomial.commitments(),
            constant_proof,
            shares,
            share_proofs,
        })
    }

    /// Seals one share for `recipient` with a fresh ephemeral secret, and proves knowledge of
    /// that secret. [`Dealing::create`] uses it for every share.
    pub fn seal_share(
        parameters: &CommitteeParameters,
        dealer: MemberNumber,
        recipient: MemberNumber,
        share: &[u8; 32],
        random: &dyn SecureRandom,
    ) -> Result<(Envelope, KnowledgeProof), DkgError> {
        let ephemeral_secret = CurveScalar::random(random)?;
        let context = SealContext::committee_share(&parameters.session, dealer, recipient);
        let envelope =
            seal_with_ephemeral_secret(share, &context, parameters.member_key(recipient)?, &ephemeral_secret)?;
        let proof = KnowledgeProof::create(
            &ephemeral_secret,
            &statement(&parameters.session, dealer, Some(recipient))?,
            random,
        )?;
        Ok((envelope, proof))
    }

    /// The checks anyone can make: session, dealer, counts, well-formed envelopes of the right
    /// length, and every proof. An error names the dealer.
    pub fn check_form(&self, parameters: &CommitteeParameters) -> Result<(), DkgError> {
        parameters.check_session(&self.session)?;
        parameters.member_key(self.dealer)?;
        let malformed = |reason: String| DkgError::Faulty {
            fault: Fault::MalformedDealing {
                dealer: self.dealer,
                reason,
            },
        };
        if self.commitments.len() != usize::from(parameters.threshold) {
            return Err(malformed(format!(
                "{} commitments for threshold {}",
                self.commitments.len(),
                parameters.threshold
            )));
        }
        let members = parameters.member_keys.len();
        if self.shares.len() != members || self.share_proofs.len() != members {
            return Err(malformed(format!(
                "{} shares and {} share proofs for {members} members",
                self.shares.len(),
                self.share_proofs.len()
            )));
        }
        let constant = self
            .commitments
            .first()
            .ok_or_else(|| malformed("no commitments".into()))?;
        if !self
            .constant_proof
            .verify(constant, &statement(&self.session, self.dealer, None)?)
        {
            return Err(malformed("the proof of the constant term does not verify".into()));
        }
        for (recipient, (envelope, proof)) in parameters.members().zip(self.shares.iter().zip(&self.share_proofs)) {
            let ephemeral =
                parse_ephemeral_key(envelope).map_err(|error| malformed(format!("share {recipient}: {error}")))?;
            if envelope.ciphertext.len() != SEALED_SHARE_BYTES {
                return Err(malformed(format!(
                    "share {recipient} is not {SEALED_SHARE_BYTES} bytes"
                )));
            }
            if !proof.verify(&ephemeral, &statement(&self.session, self.dealer, Some(recipient))?) {
                return Err(malformed(format!(
                    "the proof of share {recipient}'s ephemeral key does not verify"
                )));
            }
        }
        Ok(())
    }

    /// The sealed share for `recipient`.
    pub(super) fn share_for(&self, recipient: MemberNumber) -> Result<&Envelope, DkgError> {
        usize::from(recipient)
            .checked_sub(1)
            .and_then(|position| self.shares.get(position))
            .ok_or(DkgError::NotAMember(recipient))
    }

    /// Whether `share` is this dealer's correct share for `recipient`.
    pub(super) fn matches(&self, recipient: MemberNumber, share: &CurveScalar) -> bool {
        share_matches(&self.commitments, recipient, &share.0)
    }

    /// What `recipient` does in round 2: open its share with its own key and check it against
    /// the commitments. An error means the recipient should complain about this dealer. The
    /// dealing's public form is the caller's to check first ([`Dealing::check_form`]).
    pub fn receive(
        &self,
        parameters: &CommitteeParameters,
        recipient: MemberNumber,
        key: &OpeningKey,
    ) -> Result<CurveScalar, DkgError> {
        parameters.check_session(&self.session)?;
        let bad_share = || DkgError::Faulty {
            fault: Fault::BadShare {
                dealer: self.dealer,
                recipient,
            },
        };
        let context = SealContext::committee_share(&parameters.session, self.dealer, recipient);
        let plaintext = open(self.share_for(recipient)?, &context, key).map_err(|_| bad_share())?;
        let share = CurveScalar::from_bytes(&plaintext).map_err(|_| bad_share())?;
        if !self.matches(recipient, &share) {
            return Err(bad_share());
        }
        Ok(share)
    }
}
