//! P-256 points and scalars as the protocol carries them, on top of the `p256` crate's
//! arithmetic (ring has no static keys and no curve arithmetic).
//!
//! On the wire a point is SEC1 compressed (33 bytes) and a scalar is 32 big-endian bytes, both
//! base64url in JSON. The identity point and out-of-range scalars never parse, so code holding
//! a [`CurvePoint`] or [`CurveScalar`] can trust it.
//!
//! The opening's many multiplications by one disclosed key have their own path, `batch`, on
//! fiat-crypto's field arithmetic (the `p256` crate's points cost about three times as much per
//! bid there; crypto/BENCHMARKS.md).

use p256::elliptic_curve::group::GroupEncoding;
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::sec1::{FromSec1Point, ToSec1Point};
use p256::elliptic_curve::{Field, Group, PrimeField};
use p256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar};
use ring::rand::SecureRandom;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::encoding::{base64url_decode, base64url_encode};

pub(crate) mod batch;
mod field;

/// How many 32-byte draws [`CurveScalar::random`] makes before it reports a broken random
/// source (a draw fails with probability about 2^-32).
const RANDOM_SCALAR_ATTEMPTS_MAX: usize = 8;

/// Why a point or scalar was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CurveError {
    /// Not a SEC1 encoding of a point on P-256 other than the identity.
    #[error("not a valid P-256 point")]
    BadPoint,
    /// Not 32 big-endian bytes of a non-zero integer below the group order.
    #[error("not a valid non-zero P-256 scalar")]
    BadScalar,
    /// The random source failed.
    #[error("the random source failed")]
    Random,
}

/// A point on P-256 other than the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CurvePoint(pub(crate) AffinePoint);

impl CurvePoint {
    /// Parses a SEC1 point, compressed (33 bytes) or uncompressed (65 bytes).
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, CurveError> {
        let point = AffinePoint::from_sec1_bytes(bytes).map_err(|_| CurveError::BadPoint)?;
        Self::from_affine(point)
    }

    /// Wraps an affine point, refusing the identity.
    pub(crate) fn from_affine(point: AffinePoint) -> Result<Self, CurveError> {
        if bool::from(ProjectivePoint::from(point).is_identity()) {
            return Err(CurveError::BadPoint);
        }
        Ok(Self(point))
    }

    /// Wraps a projective point, refusing the identity.
    pub(crate) fn from_projective(point: ProjectivePoint) -> Result<Self, CurveError> {
        Self::from_affine(point.to_affine())
    }

    /// The point as a projective point for arithmetic.
    pub(crate) fn projective(&self) -> ProjectivePoint {
        ProjectivePoint::from(self.0)
    }

    /// SEC1 compressed encoding: 33 bytes.
    pub fn to_compressed(&self) -> [u8; 33] {
        let mut bytes = [0u8; 33];
        bytes.copy_from_slice(self.0.to_bytes().as_slice());
        bytes
    }

    /// SEC1 uncompressed encoding: 65 bytes (the form ring's ECDH takes).
    pub fn to_uncompressed(&self) -> [u8; 65] {
        let mut bytes = [0u8; 65];
        bytes.copy_from_slice(self.0.to_sec1_point(false).as_bytes());
        bytes
    }

    /// The affine x coordinate, big-endian: the ECDH shared secret when this point is one.
    pub(crate) fn x_coordinate(&self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(self.0.x().as_slice());
        bytes
    }
}

impl std::fmt::Debug for CurvePoint {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "CurvePoint({})", base64url_encode(&self.to_compressed()))
    }
}

impl Serialize for CurvePoint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64url_encode(&self.to_compressed()))
    }
}

impl<'de> Deserialize<'de> for CurvePoint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = base64url_decode(&text).map_err(serde::de::Error::custom)?;
        if bytes.len() != 33 {
            return Err(serde::de::Error::custom("a point is 33 bytes, SEC1 compressed"));
        }
        Self::from_sec1(&bytes).map_err(serde::de::Error::custom)
    }
}

/// A non-zero scalar modulo the P-256 group order: a secret key, a share or a coefficient.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CurveScalar(pub(crate) Scalar);

impl CurveScalar {
    /// Draws a uniformly random non-zero scalar (rejection sampling on 32-byte draws).
    pub fn random(random: &dyn SecureRandom) -> Result<Self, CurveError> {
        for _ in 0..RANDOM_SCALAR_ATTEMPTS_MAX {
            let mut bytes = [0u8; 32];
            random.fill(&mut bytes).map_err(|_| CurveError::Random)?;
            if let Ok(scalar) = Self::from_bytes(&bytes) {
                return Ok(scalar);
            }
        }
        Err(CurveError::Random)
    }

    /// Parses 32 big-endian bytes; zero and values at or above the group order are refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CurveError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| CurveError::BadScalar)?;
        let scalar = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(array))).ok_or(CurveError::BadScalar)?;
        Self::from_scalar(scalar)
    }

    /// Wraps a scalar, refusing zero.
    pub(crate) fn from_scalar(scalar: Scalar) -> Result<Self, CurveError> {
        if bool::from(scalar.is_zero()) {
            return Err(CurveError::BadScalar);
        }
        Ok(Self(scalar))
    }

    /// 32 big-endian bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(self.0.to_bytes().as_slice());
        bytes
    }

    /// This scalar times the base point: the public key of this secret.
    pub fn public_point(&self) -> CurvePoint {
        // A non-zero scalar below the order times the generator is never the identity.
        CurvePoint(ProjectivePoint::mul_by_generator(&self.0).to_affine())
    }
}

impl std::fmt::Debug for CurveScalar {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("CurveScalar(..)")
    }
}

impl Serialize for CurveScalar {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64url_encode(&self.to_bytes()))
    }
}

impl<'de> Deserialize<'de> for CurveScalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = base64url_decode(&text).map_err(serde::de::Error::custom)?;
        Self::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn points_round_trip_in_both_encodings() {
        let point = CurveScalar::random(&SystemRandom::new()).unwrap().public_point();
        assert_eq!(CurvePoint::from_sec1(&point.to_compressed()), Ok(point));
        assert_eq!(CurvePoint::from_sec1(&point.to_uncompressed()), Ok(point));
    }

    #[test]
    fn identity_zero_and_out_of_range_are_refused() {
        assert_eq!(CurvePoint::from_sec1(&[0]), Err(CurveError::BadPoint));
        assert_eq!(CurvePoint::from_sec1(&[0; 33]), Err(CurveError::BadPoint));
        let point = CurveScalar::from_bytes(&[9; 32]).unwrap().public_point();
        let mut wrong_tag = point.to_compressed();
        wrong_tag[0] = 0x04;
        assert_eq!(CurvePoint::from_sec1(&wrong_tag), Err(CurveError::BadPoint));
        let mut off_curve = point.to_uncompressed();
        off_curve[64] ^= 1;
        assert_eq!(CurvePoint::from_sec1(&off_curve), Err(CurveError::BadPoint));
        assert_eq!(CurveScalar::from_bytes(&[0; 32]), Err(CurveError::BadScalar));
        assert_eq!(CurveScalar::from_bytes(&[0xff; 32]), Err(CurveError::BadScalar));
        assert_eq!(CurveScalar::from_bytes(&[1; 31]), Err(CurveError::BadScalar));
    }
}
