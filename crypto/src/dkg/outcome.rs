//! Finishing the key generation, each member's share of the key, and rebuilding the key from
//! released shares after the close.

use std::collections::{BTreeMap, BTreeSet};

use p256::elliptic_curve::Group;
use p256::{ProjectivePoint, Scalar};
use serde::{Deserialize, Serialize};

use super::polynomial::{evaluate_commitments, lagrange_at_zero};
use super::{CommitteeParameters, Dealing, DkgError, Fault, MemberNumber, Response};
use crate::curve::{CurvePoint, CurveScalar};
use crate::seal::OpeningKey;

/// The public result of a key generation: what the ledger stores for the tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CommitteeOutcome {
    /// The key-generation session.
    pub session: String,
    /// t.
    pub threshold: u16,
    /// n.
    pub member_count: MemberNumber,
    /// Y: the tender's opening key, to which bids are sealed.
    pub opening_key: CurvePoint,
    /// The dealers whose polynomials make up the key, ascending.
    pub qualified_dealers: Vec<MemberNumber>,
    /// A_k = Σ over qualified dealers of their C_k; member j's share x_j satisfies
    /// x_j·G = Σ_k A_k·j^k, and A_0 = Y.
    pub commitments: Vec<CurvePoint>,
    /// Every misbehaviour found, naming the member.
    pub faults: Vec<Fault>,
}

/// Decides the key generation from all round-1 dealings and round-2 responses in the log.
pub fn finish(
    parameters: &CommitteeParameters,
    dealings: &[Dealing],
    responses: &[Response],
) -> Result<CommitteeOutcome, DkgError> {
    parameters.validate()?;
    let mut faults = Vec::new();
    let mut candidates: BTreeMap<MemberNumber, &Dealing> = BTreeMap::new();
    let mut disqualified = BTreeSet::new();
    for dealing in dealings {
        match dealing.check_form(parameters) {
            Err(DkgError::Faulty { fault }) => {
                disqualified.insert(dealing.dealer);
                faults.push(fault);
            }
            Err(other) => return Err(other),
            Ok(()) => {
                if candidates
                    .insert(dealing.dealer, dealing)
                    .is_some_and(|previous| previous != dealing)
                {
                    disqualified.insert(dealing.dealer);
                    faults.push(Fault::Equivocation { dealer: dealing.dealer });
                }
            }
        }
    }
    for response in responses {
        parameters.check_session(&response.session)?;
        parameters.member_key(response.member)?;
        for complaint in &response.complaints {
            let Some(dealing) = candidates.get(&complaint.dealer) else {
                continue;
            };
            let fault = complaint.judge(parameters, response.member, dealing);
            if matches!(fault, Fault::BadShare { .. }) {
                disqualified.insert(complaint.dealer);
            }
            faults.push(fault);
        }
    }
    let qualified: Vec<&Dealing> = candidates
        .values()
        .copied()
        .filter(|dealing| !disqualified.contains(&dealing.dealer))
        .collect();
    if qualified.len() < usize::from(parameters.threshold) {
        return Err(DkgError::NotEnoughQualifiedDealers {
            qualified: qualified.len(),
            threshold: parameters.threshold,
        });
    }
    let commitments = (0..usize::from(parameters.threshold))
        .map(|degree| {
            let sum = qualified
                .iter()
                .filter_map(|dealing| dealing.commitments.get(degree))
                .fold(ProjectivePoint::IDENTITY, |sum, commitment| {
                    sum + commitment.projective()
                });
            CurvePoint::from_projective(sum).map_err(DkgError::from)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let opening_key = *commitments
        .first()
        .ok_or(DkgError::BadParameters("threshold 0".into()))?;
    Ok(CommitteeOutcome {
        session: parameters.session.clone(),
        threshold: parameters.threshold,
        member_count: parameters.member_count(),
        opening_key,
        qualified_dealers: qualified.iter().map(|dealing| dealing.dealer).collect(),
        commitments,
        faults,
    })
}

/// Member `member`'s share x_j of the opening key: the sum of the shares the qualified dealers
/// dealt it, checked against the outcome. Only that member can compute it (it needs `key`).
pub fn member_share(
    parameters: &CommitteeParameters,
    outcome: &CommitteeOutcome,
    dealings: &[Dealing],
    member: MemberNumber,
    key: &OpeningKey,
) -> Result<ReleasedShare, DkgError> {
    let mut sum = Scalar::ZERO;
    for dealer in &outcome.qualified_dealers {
        let dealing = dealings
            .iter()
            .find(|dealing| dealing.dealer == *dealer)
            .ok_or(DkgError::BadParameters(format!(
                "the dealing of qualified dealer {dealer} is missing"
            )))?;
        sum += dealing.receive(parameters, member, key)?.0;
    }
    let share = ReleasedShare {
        session: outcome.session.clone(),
        member,
        share: CurveScalar::from_scalar(sum)?,
    };
    outcome.verify_share(&share)?;
    Ok(share)
}

/// A member's share of the opening key, released after the close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleasedShare {
    /// The key-generation session.
    pub session: String,
    /// Whose share.
    pub member: MemberNumber,
    /// x_j.
    pub share: CurveScalar,
}

impl CommitteeOutcome {
    /// Checks a released share against the public commitments.
    pub fn verify_share(&self, released: &ReleasedShare) -> Result<(), DkgError> {
        if released.session != self.session {
            return Err(DkgError::WrongSession {
                expected: self.session.clone(),
                found: released.session.clone(),
            });
        }
        if released.member == 0 || released.member > self.member_count {
            return Err(DkgError::NotAMember(released.member));
        }
        let expected = evaluate_commitments(&self.commitments, released.member);
        if ProjectivePoint::mul_by_generator(&released.share.0) != expected {
            return Err(DkgError::InvalidShare {
                member: released.member,
            });
        }
        Ok(())
    }

    /// Rebuilds the opening key from released shares: every share must verify and come from a
    /// different member, at least t of them are needed, and the result is checked against Y.
    /// The key is [`OpeningKey::disclosed`]: it exists only after the close.
    pub fn rebuild(&self, shares: &[ReleasedShare]) -> Result<OpeningKey, DkgError> {
        let mut seen = BTreeSet::new();
        for released in shares {
            self.verify_share(released)?;
            if !seen.insert(released.member) {
                return Err(DkgError::DuplicateShare {
                    member: released.member,
                });
            }
        }
        let chosen = shares
            .get(..usize::from(self.threshold))
            .ok_or(DkgError::NotEnoughShares {
                valid: shares.len(),
                threshold: self.threshold,
            })?;
        let members: Vec<MemberNumber> = chosen.iter().map(|released| released.member).collect();
        let secret = lagrange_at_zero(&members)
            .iter()
            .zip(chosen)
            .fold(Scalar::ZERO, |sum, (coefficient, released)| {
                sum + released.share.0 * coefficient
            });
        let secret = CurveScalar::from_scalar(secret).map_err(|_| DkgError::KeyMismatch)?;
        let key = OpeningKey::disclosed(secret);
        if key.public_point() != self.opening_key {
            return Err(DkgError::KeyMismatch);
        }
        Ok(key)
    }
}

/// The statement a readiness proof is bound to: `sealbid/committee/readiness/v1`, the session,
/// the member number and the deadline in force, each on its own line.
pub fn readiness_statement(session: &str, member: MemberNumber, deadline_ms: u64) -> Vec<u8> {
    format!("sealbid/committee/readiness/v1\n{session}\n{member}\n{deadline_ms}\n").into_bytes()
}

/// A committee member's proof, before the close, that it still holds its share x_j: a proof of
/// knowledge of x_j for the public share x_j·G the commitments give, bound to the session, the
/// member and the tender's deadline. Nothing secret is released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReadinessProof {
    /// The key-generation session.
    pub session: String,
    /// Whose share.
    pub member: MemberNumber,
    /// The proof of knowledge of x_j.
    pub proof: super::KnowledgeProof,
}

impl ReadinessProof {
    /// Proves that `share`'s member holds it, for the deadline `deadline_ms`.
    pub fn create(
        share: &ReleasedShare,
        deadline_ms: u64,
        random: &dyn ring::rand::SecureRandom,
    ) -> Result<Self, DkgError> {
        let statement = readiness_statement(&share.session, share.member, deadline_ms);
        Ok(Self {
            session: share.session.clone(),
            member: share.member,
            proof: super::KnowledgeProof::create(&share.share, &statement, random)?,
        })
    }
}

impl CommitteeOutcome {
    /// Member `member`'s public share x_j·G, from the commitments.
    pub fn public_share(&self, member: MemberNumber) -> Result<CurvePoint, DkgError> {
        if member == 0 || member > self.member_count {
            return Err(DkgError::NotAMember(member));
        }
        Ok(CurvePoint::from_projective(evaluate_commitments(
            &self.commitments,
            member,
        ))?)
    }

    /// Checks a readiness proof for the deadline `deadline_ms` against the member's public
    /// share.
    pub fn verify_readiness(&self, readiness: &ReadinessProof, deadline_ms: u64) -> Result<(), DkgError> {
        if readiness.session != self.session {
            return Err(DkgError::WrongSession {
                expected: self.session.clone(),
                found: readiness.session.clone(),
            });
        }
        let public = self.public_share(readiness.member)?;
        let statement = readiness_statement(&readiness.session, readiness.member, deadline_ms);
        if !readiness.proof.verify(&public, &statement) {
            return Err(DkgError::BadReadinessProof {
                member: readiness.member,
            });
        }
        Ok(())
    }
}
