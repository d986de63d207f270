//! Scalar polynomials, their Feldman commitments, and Lagrange interpolation at zero.

use p256::elliptic_curve::Group;
use p256::{ProjectivePoint, Scalar};
use ring::rand::SecureRandom;

use super::{DkgError, MemberNumber};
use crate::curve::{CurvePoint, CurveScalar};

/// The scalar one, a harmless stand-in that is never used: polynomials have a constant term.
const ONE: CurveScalar = CurveScalar(Scalar::ONE);

/// A secret polynomial f(z) = a_0 + a_1 z + … + a_{t−1} z^{t−1}.
pub(super) struct Polynomial {
    /// a_0 … a_{t−1}; a_0 is the dealer's contribution to the joint secret.
    coefficients: Vec<CurveScalar>,
}

impl Polynomial {
    /// Draws t random non-zero coefficients.
    pub(super) fn random(threshold: u16, random: &dyn SecureRandom) -> Result<Self, DkgError> {
        let coefficients = (0..threshold)
            .map(|_| CurveScalar::random(random))
            .collect::<Result<_, _>>()?;
        Ok(Self { coefficients })
    }

    /// a_0, the dealer's contribution to the joint secret.
    pub(super) fn constant_term(&self) -> &CurveScalar {
        // `random` draws `threshold` ≥ 1 coefficients; parameters are validated before.
        self.coefficients.first().unwrap_or(&ONE)
    }

    /// Feldman commitments a_k·G.
    pub(super) fn commitments(&self) -> Vec<CurvePoint> {
        self.coefficients.iter().map(CurveScalar::public_point).collect()
    }

    /// f(member), by Horner's rule.
    pub(super) fn evaluate(&self, member: MemberNumber) -> Scalar {
        let at = Scalar::from(u64::from(member));
        self.coefficients
            .iter()
            .rev()
            .fold(Scalar::ZERO, |accumulator, coefficient| {
                accumulator * at + coefficient.0
            })
    }
}

/// Σ_k C_k · member^k: the public image f(member)·G of the committed polynomial.
pub(super) fn evaluate_commitments(commitments: &[CurvePoint], member: MemberNumber) -> ProjectivePoint {
    let at = Scalar::from(u64::from(member));
    commitments
        .iter()
        .rev()
        .fold(ProjectivePoint::IDENTITY, |accumulator, commitment| {
            accumulator * at + commitment.projective()
        })
}

/// Whether `share`·G equals the commitments evaluated at `member`.
pub(super) fn share_matches(commitments: &[CurvePoint], member: MemberNumber, share: &Scalar) -> bool {
    ProjectivePoint::mul_by_generator(share) == evaluate_commitments(commitments, member)
}

/// The Lagrange coefficients at zero for the distinct member numbers `members`.
pub(super) fn lagrange_at_zero(members: &[MemberNumber]) -> Vec<Scalar> {
    members
        .iter()
        .map(|&member| {
            let own = Scalar::from(u64::from(member));
            let (numerator, denominator) = members.iter().filter(|&&other| other != member).fold(
                (Scalar::ONE, Scalar::ONE),
                |(numerator, denominator), &other| {
                    let other = Scalar::from(u64::from(other));
                    (numerator * other, denominator * (other - own))
                },
            );
            // Distinct non-zero member numbers keep the denominator non-zero; the fallback
            // (zero) would only make the rebuilt key fail its check against Y.
            numerator * Option::<Scalar>::from(denominator.invert_vartime()).unwrap_or(Scalar::ZERO)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn interpolation_at_zero_recovers_the_constant_term() {
        let polynomial = Polynomial::random(3, &SystemRandom::new()).unwrap();
        let members = [2, 5, 7];
        let coefficients = lagrange_at_zero(&members);
        let secret = members
            .iter()
            .zip(&coefficients)
            .fold(Scalar::ZERO, |sum, (&member, coefficient)| {
                sum + polynomial.evaluate(member) * coefficient
            });
        assert_eq!(secret, polynomial.coefficients[0].0);
        let commitments = polynomial.commitments();
        assert!(share_matches(&commitments, 5, &polynomial.evaluate(5)));
        assert!(!share_matches(&commitments, 5, &polynomial.evaluate(4)));
    }
}
