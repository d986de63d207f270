//! Round 2: a member's response to the dealings, its complaints, and how anyone judges a
//! complaint without trusting either side.
//!
//! A complaint about dealer i's share reveals the ECDH shared point Z = x_j·E (E: the share
//! envelope's ephemeral key, x_j: the accuser's secret key) with a Chaum–Pedersen proof that
//! log_G(X_j) = log_E(Z). With Z anyone can open that one envelope (and nothing else the
//! accuser holds), so the dispute is settled publicly: a share that does not open or does not
//! match the commitments convicts the dealer; a valid one, or a bad proof, convicts the accuser.

use p256::elliptic_curve::Group;
use p256::elliptic_curve::ops::Reduce;
use p256::{FieldBytes, ProjectivePoint, Scalar};
use ring::digest::{SHA256, digest};
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};

use super::{CommitteeParameters, Dealing, DkgError, Fault, MemberNumber};
use crate::curve::{CurvePoint, CurveScalar};
use crate::seal::{OpeningKey, SealContext, open_with_shared_point, parse_ephemeral_key};

/// The domain label hashed into every equality proof's challenge.
const EQUALITY_PROOF_LABEL: &[u8] = b"sealbid/dkg/equality-proof/v1";
/// How many nonces proving may draw before reporting a broken random source.
const PROOF_ATTEMPTS_MAX: usize = 8;

/// A member's round-2 message: it accepts every well-formed dealing it does not complain about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DkgResponse))]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// The key-generation session.
    pub session: String,
    /// Who responds.
    pub member: MemberNumber,
    /// Its complaints, at most one per dealer.
    pub complaints: Vec<Complaint>,
}

impl Response {
    /// Checks every dealing addressed to `member` and complains about each bad share.
    pub fn create(
        parameters: &CommitteeParameters,
        member: MemberNumber,
        key: &OpeningKey,
        dealings: &[Dealing],
        random: &dyn SecureRandom,
    ) -> Result<Self, DkgError> {
        parameters.validate()?;
        parameters.member_key(member)?;
        let mut complaints = Vec::new();
        for dealing in dealings.iter().filter(|dealing| dealing.session == parameters.session) {
            // Complain only about a share that fails in a dealing whose public form holds: a
            // complaint reveals the shared point of that envelope, which is safe only for an
            // envelope whose ephemeral secret the dealer proved it knows.
            if dealing.receive(parameters, member, key).is_err() && dealing.check_form(parameters).is_ok() {
                complaints.push(Complaint::create(dealing, member, key, random)?);
            }
        }
        Ok(Self {
            session: parameters.session.clone(),
            member,
            complaints,
        })
    }
}

/// Evidence that a dealer's share for the accuser is bad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DkgComplaint))]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The accused dealer.
    pub dealer: MemberNumber,
    /// Z = x_j·E for the disputed envelope's ephemeral key E.
    pub shared_point: CurvePoint,
    /// Proof that Z was computed with the accuser's registered key.
    pub proof: EqualityProof,
}

impl Complaint {
    /// Builds the complaint of `accuser` (holding `key`) against `dealing`, revealing the
    /// shared point of that one share with a proof that it was computed with the accuser's key.
    pub fn create(
        dealing: &Dealing,
        accuser: MemberNumber,
        key: &OpeningKey,
        random: &dyn SecureRandom,
    ) -> Result<Self, DkgError> {
        let ephemeral = parse_ephemeral_key(dealing.share_for(accuser)?)?;
        let shared_point = key.shared_point(&ephemeral)?;
        let proof = EqualityProof::create(key, &ephemeral, &shared_point, random)?;
        Ok(Self {
            dealer: dealing.dealer,
            shared_point,
            proof,
        })
    }

    /// Decides who is at fault: the dealer (bad share) or the accuser (false complaint).
    /// `dealing` must be the accused dealer's well-formed dealing.
    pub fn judge(&self, parameters: &CommitteeParameters, accuser: MemberNumber, dealing: &Dealing) -> Fault {
        let false_complaint = Fault::FalseComplaint {
            accuser,
            dealer: self.dealer,
        };
        let bad_share = Fault::BadShare {
            dealer: self.dealer,
            recipient: accuser,
        };
        let (Ok(accuser_key), Ok(envelope)) = (parameters.member_key(accuser), dealing.share_for(accuser)) else {
            return false_complaint;
        };
        let Ok(ephemeral) = parse_ephemeral_key(envelope) else {
            return bad_share;
        };
        if !self.proof.verify(accuser_key, &ephemeral, &self.shared_point) {
            return false_complaint;
        }
        let context = SealContext::committee_share(&parameters.session, self.dealer, accuser);
        let share = open_with_shared_point(envelope, &context, accuser_key, &self.shared_point)
            .ok()
            .and_then(|plaintext| CurveScalar::from_bytes(&plaintext).ok());
        match share {
            Some(share) if dealing.matches(accuser, &share) => false_complaint,
            _ => bad_share,
        }
    }
}

/// A Chaum–Pedersen proof that log_G(A) = log_E(Z), made non-interactive with SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EqualityProof {
    /// c = H(label ‖ G ‖ A ‖ E ‖ Z ‖ k·G ‖ k·E) reduced modulo the group order.
    pub challenge: CurveScalar,
    /// s = k + c·x.
    pub response: CurveScalar,
}

impl EqualityProof {
    /// Proves that `shared` = key·`ephemeral` for the key behind `key.public_point()`.
    fn create(
        key: &OpeningKey,
        ephemeral: &CurvePoint,
        shared: &CurvePoint,
        random: &dyn SecureRandom,
    ) -> Result<Self, DkgError> {
        for _ in 0..PROOF_ATTEMPTS_MAX {
            let nonce = CurveScalar::random(random)?;
            let commitment_base = ProjectivePoint::mul_by_generator(&nonce.0);
            let commitment_ephemeral = ephemeral.projective() * nonce.0;
            let challenge = challenge(
                &key.public_point(),
                ephemeral,
                shared,
                &commitment_base,
                &commitment_ephemeral,
            );
            let response = nonce.0 + challenge * key.secret().0;
            if let (Ok(challenge), Ok(response)) =
                (CurveScalar::from_scalar(challenge), CurveScalar::from_scalar(response))
            {
                return Ok(Self { challenge, response });
            }
        }
        Err(DkgError::Random)
    }

    /// Checks the proof for public key `public`, base `ephemeral` and claimed `shared` point.
    pub fn verify(&self, public: &CurvePoint, ephemeral: &CurvePoint, shared: &CurvePoint) -> bool {
        let commitment_base =
            ProjectivePoint::mul_by_generator(&self.response.0) - public.projective() * self.challenge.0;
        let commitment_ephemeral = ephemeral.projective() * self.response.0 - shared.projective() * self.challenge.0;
        challenge(public, ephemeral, shared, &commitment_base, &commitment_ephemeral) == self.challenge.0
    }
}

/// The Fiat–Shamir challenge over compressed encodings (identity encodes as 33 zero bytes).
fn challenge(
    public: &CurvePoint,
    ephemeral: &CurvePoint,
    shared: &CurvePoint,
    commitment_base: &ProjectivePoint,
    commitment_ephemeral: &ProjectivePoint,
) -> Scalar {
    let generator = CurveScalar::from_scalar(Scalar::ONE).map(|one| one.public_point());
    let encode = |point: &ProjectivePoint| {
        CurvePoint::from_projective(*point)
            .map(|point| point.to_compressed())
            .unwrap_or([0; 33])
    };
    let mut input = EQUALITY_PROOF_LABEL.to_vec();
    input.extend_from_slice(&generator.map(|point| point.to_compressed()).unwrap_or([0; 33]));
    for point in [public, ephemeral, shared] {
        input.extend_from_slice(&point.to_compressed());
    }
    input.extend_from_slice(&encode(commitment_base));
    input.extend_from_slice(&encode(commitment_ephemeral));
    let hash = digest(&SHA256, &input);
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(hash.as_ref());
    <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(bytes))
}
