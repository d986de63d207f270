//! Elements of P-256's base field for [`super::batch`]: fiat-crypto's formally verified
//! Montgomery-domain arithmetic behind a small value type. fiat keeps every element fully
//! reduced (below p), so two elements are equal exactly when their limbs are.
//!
//! For public data only (the opening's disclosed key and the bids' ephemeral points): the
//! inversion takes variable time.

use fiat_crypto::p256_64::{
    fiat_p256_add, fiat_p256_from_bytes, fiat_p256_from_montgomery, fiat_p256_montgomery_domain_field_element,
    fiat_p256_mul, fiat_p256_non_montgomery_domain_field_element, fiat_p256_opp, fiat_p256_set_one, fiat_p256_square,
    fiat_p256_sub, fiat_p256_to_bytes, fiat_p256_to_montgomery,
};
use p256::NistP256;
use p256::elliptic_curve::PrimeField;
use p256::elliptic_curve::hazmat::FieldArithmetic;

/// p256's own field element, used for the one inversion a batch step needs.
type P256Element = <NistP256 as FieldArithmetic>::FieldElement;

/// An element of the field modulo p = 2^256 − 2^224 + 2^192 + 2^96 − 1, in Montgomery form.
#[derive(Clone, Copy)]
pub(crate) struct Element(fiat_p256_montgomery_domain_field_element);

impl Element {
    /// Zero.
    pub(crate) const ZERO: Self = Self(fiat_p256_montgomery_domain_field_element([0; 4]));

    /// One.
    pub(crate) const ONE: Self = {
        let mut one = fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat_p256_set_one(&mut one);
        Self(one)
    };

    /// An element from 32 big-endian bytes; `None` unless they are below p.
    pub(crate) fn from_be_bytes(bytes: &[u8; 32]) -> Option<Self> {
        // p256 checks the range (fiat's conversion requires it).
        let canonical: P256Element = Option::from(P256Element::from_repr((*bytes).into()))?;
        let mut little_endian = *bytes;
        little_endian.reverse();
        let mut limbs = [0u64; 4];
        fiat_p256_from_bytes(&mut limbs, &little_endian);
        let mut element = fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat_p256_to_montgomery(&mut element, &fiat_p256_non_montgomery_domain_field_element(limbs));
        debug_assert!(canonical.to_repr().as_slice() == bytes.as_slice());
        Some(Self(element))
    }

    /// The element's 32 big-endian bytes.
    pub(crate) fn to_be_bytes(self) -> [u8; 32] {
        let mut plain = fiat_p256_non_montgomery_domain_field_element([0; 4]);
        fiat_p256_from_montgomery(&mut plain, &self.0);
        let mut bytes = [0u8; 32];
        fiat_p256_to_bytes(&mut bytes, &plain.0);
        bytes.reverse();
        bytes
    }

    /// self + other.
    #[inline]
    pub(crate) fn add(self, other: Self) -> Self {
        let mut out = Self::ZERO;
        fiat_p256_add(&mut out.0, &self.0, &other.0);
        out
    }

    /// self − other.
    #[inline]
    pub(crate) fn sub(self, other: Self) -> Self {
        let mut out = Self::ZERO;
        fiat_p256_sub(&mut out.0, &self.0, &other.0);
        out
    }

    /// −self.
    #[inline]
    pub(crate) fn negate(self) -> Self {
        let mut out = Self::ZERO;
        fiat_p256_opp(&mut out.0, &self.0);
        out
    }

    /// self · other.
    #[inline]
    pub(crate) fn mul(self, other: Self) -> Self {
        let mut out = Self::ZERO;
        fiat_p256_mul(&mut out.0, &self.0, &other.0);
        out
    }

    /// self².
    #[inline]
    pub(crate) fn square(self) -> Self {
        let mut out = Self::ZERO;
        fiat_p256_square(&mut out.0, &self.0);
        out
    }

    /// 1 / self in variable time (p256's variable-time Bernstein–Yang inversion); `None` for zero.
    pub(crate) fn invert_vartime(self) -> Option<Self> {
        let canonical: P256Element = Option::from(P256Element::from_repr(self.to_be_bytes().into()))?;
        let inverse: P256Element = Option::from(canonical.invert_vartime())?;
        let bytes: [u8; 32] = inverse.to_repr().into();
        Self::from_be_bytes(&bytes)
    }
}

impl PartialEq for Element {
    fn eq(&self, other: &Self) -> bool {
        self.0.0 == other.0.0
    }
}

impl std::fmt::Debug for Element {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Element({:02x?})", self.to_be_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// p256's element for the same bytes, for comparison.
    fn reference(bytes: &[u8; 32]) -> P256Element {
        Option::from(P256Element::from_repr((*bytes).into())).unwrap()
    }

    fn reference_bytes(element: P256Element) -> [u8; 32] {
        element.to_repr().into()
    }

    /// 32 bytes below p (the top byte below 0xff is enough).
    fn below_p() -> impl Strategy<Value = [u8; 32]> {
        any::<[u8; 32]>().prop_map(|mut bytes| {
            bytes[0] &= 0x7f;
            bytes
        })
    }

    proptest! {
        #[test]
        fn arithmetic_agrees_with_p256(a in below_p(), b in below_p()) {
            let (x, y) = (Element::from_be_bytes(&a).unwrap(), Element::from_be_bytes(&b).unwrap());
            let (rx, ry) = (reference(&a), reference(&b));
            prop_assert_eq!(x.to_be_bytes(), a);
            prop_assert_eq!(x.add(y).to_be_bytes(), reference_bytes(rx + ry));
            prop_assert_eq!(x.sub(y).to_be_bytes(), reference_bytes(rx - ry));
            prop_assert_eq!(x.negate().to_be_bytes(), reference_bytes(-rx));
            prop_assert_eq!(x.mul(y).to_be_bytes(), reference_bytes(rx * ry));
            prop_assert_eq!(x.square().to_be_bytes(), reference_bytes(rx * rx));
            let inverse = x.invert_vartime().unwrap();
            prop_assert_eq!(inverse.mul(x).to_be_bytes(), reference_bytes(P256Element::ONE));
        }
    }

    #[test]
    fn zero_has_no_inverse_and_p_is_not_an_element() {
        assert_eq!(Element::ZERO.invert_vartime(), None);
        let mut p = [0xffu8; 32];
        p[4..8].copy_from_slice(&[0, 0, 0, 1]);
        p[8..20].fill(0);
        assert_eq!(Element::from_be_bytes(&p), None);
        // p − 1 is the largest element, and (p − 1) + 1 = 0.
        p[31] = 0xfe;
        let mut one = [0u8; 32];
        one[31] = 1;
        let largest = Element::from_be_bytes(&p).unwrap();
        assert_eq!(largest.add(Element::from_be_bytes(&one).unwrap()), Element::ZERO);
    }
}
