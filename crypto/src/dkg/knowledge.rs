//! Schnorr proofs of knowledge of a discrete logarithm, bound to a statement: "I know x with
//! X = x·G, and I say so about this statement". The key generation uses them so that nobody can
//! publish a point whose secret it does not hold: a dealing's constant-term commitment (no
//! rogue-key opening keys), each sealed share's ephemeral key (no complaint can be turned into
//! a decryption oracle for someone else's share), and a member's encryption key.

use p256::elliptic_curve::Group;
use p256::elliptic_curve::ops::Reduce;
use p256::{FieldBytes, ProjectivePoint, Scalar};
use ring::digest::{SHA256, digest};
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};

use super::DkgError;
use crate::curve::{CurvePoint, CurveScalar};

/// The domain label hashed into every knowledge proof's challenge.
const KNOWLEDGE_PROOF_LABEL: &[u8] = b"sealbid/dkg/knowledge-proof/v1";
/// How many nonces proving may draw before reporting a broken random source.
const PROOF_ATTEMPTS_MAX: usize = 8;

/// A Schnorr proof of knowledge of the secret of a point, bound to a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KnowledgeProof {
    /// c = H(label ‖ len(statement) ‖ statement ‖ G ‖ X ‖ k·G) reduced modulo the order.
    pub challenge: CurveScalar,
    /// s = k + c·x.
    pub response: CurveScalar,
}

impl KnowledgeProof {
    /// Proves knowledge of `secret` (whose point is `secret`·G) for `statement`.
    pub fn create(secret: &CurveScalar, statement: &[u8], random: &dyn SecureRandom) -> Result<Self, DkgError> {
        let public = secret.public_point();
        for _ in 0..PROOF_ATTEMPTS_MAX {
            let nonce = CurveScalar::random(random)?;
            let commitment = ProjectivePoint::mul_by_generator(&nonce.0);
            let challenge = challenge(&public, statement, &commitment);
            let response = nonce.0 + challenge * secret.0;
            if let (Ok(challenge), Ok(response)) =
                (CurveScalar::from_scalar(challenge), CurveScalar::from_scalar(response))
            {
                return Ok(Self { challenge, response });
            }
        }
        Err(DkgError::Random)
    }

    /// Checks the proof for `public` and `statement`.
    pub fn verify(&self, public: &CurvePoint, statement: &[u8]) -> bool {
        let commitment = ProjectivePoint::mul_by_generator(&self.response.0) - public.projective() * self.challenge.0;
        challenge(public, statement, &commitment) == self.challenge.0
    }
}

/// The Fiat–Shamir challenge (a point at infinity hashes as 33 zero bytes).
fn challenge(public: &CurvePoint, statement: &[u8], commitment: &ProjectivePoint) -> Scalar {
    let generator = ProjectivePoint::GENERATOR;
    let encode = |point: &ProjectivePoint| {
        CurvePoint::from_projective(*point)
            .map(|point| point.to_compressed())
            .unwrap_or([0; 33])
    };
    let mut input = KNOWLEDGE_PROOF_LABEL.to_vec();
    input.extend_from_slice(&u32::try_from(statement.len()).unwrap_or(u32::MAX).to_be_bytes());
    input.extend_from_slice(statement);
    input.extend_from_slice(&encode(&generator));
    input.extend_from_slice(&public.to_compressed());
    input.extend_from_slice(&encode(commitment));
    let hash = digest(&SHA256, &input);
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(hash.as_ref());
    <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn a_proof_verifies_only_for_its_point_and_statement() {
        let random = SystemRandom::new();
        let secret = CurveScalar::random(&random).unwrap();
        let proof = KnowledgeProof::create(&secret, b"dealer 1", &random).unwrap();
        assert!(proof.verify(&secret.public_point(), b"dealer 1"));
        assert!(!proof.verify(&secret.public_point(), b"dealer 2"));
        let other = CurveScalar::random(&random).unwrap().public_point();
        assert!(!proof.verify(&other, b"dealer 1"));
        let mut altered = proof.clone();
        altered.response = CurveScalar::random(&random).unwrap();
        assert!(!altered.verify(&secret.public_point(), b"dealer 1"));
    }
}
