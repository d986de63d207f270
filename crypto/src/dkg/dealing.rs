//! Round 1: a dealer's commitments and sealed shares, their public checks, and a recipient's
//! private check of its own share.

use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};

use super::polynomial::{Polynomial, share_matches};
use super::{CommitteeParameters, DkgError, Fault, MemberNumber};
use crate::curve::{CurvePoint, CurveScalar};
use crate::seal::{Envelope, OpeningKey, SealContext, open, parse_ephemeral_key, seal};

/// One dealer's round-1 message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dealing {
    /// The key-generation session.
    pub session: String,
    /// Who dealt.
    pub dealer: MemberNumber,
    /// Feldman commitments a_0·G … a_{t−1}·G.
    pub commitments: Vec<CurvePoint>,
    /// Member j's share f(j), 32 bytes big-endian, sealed to member j's key; position j−1.
    pub shares: Vec<Envelope>,
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
        let shares = parameters
            .members()
            .map(|recipient| {
                let share = polynomial.evaluate(recipient).to_bytes();
                let context = SealContext::committee_share(&parameters.session, dealer, recipient);
                seal(share.as_slice(), &context, parameters.member_key(recipient)?, random).map_err(DkgError::from)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            session: parameters.session.clone(),
            dealer,
            commitments: polynomial.commitments(),
            shares,
        })
    }

    /// The checks anyone can make: session, dealer, counts, and well-formed envelopes.
    /// An error names the dealer.
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
        if self.shares.len() != parameters.member_keys.len() {
            return Err(malformed(format!(
                "{} shares for {} members",
                self.shares.len(),
                parameters.member_keys.len()
            )));
        }
        for (position, envelope) in self.shares.iter().enumerate() {
            parse_ephemeral_key(envelope).map_err(|error| malformed(format!("share {}: {error}", position + 1)))?;
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
    /// the commitments. An error means the recipient should complain about this dealer.
    pub fn receive(
        &self,
        parameters: &CommitteeParameters,
        recipient: MemberNumber,
        key: &OpeningKey,
    ) -> Result<CurveScalar, DkgError> {
        self.check_form(parameters)?;
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
