//! Many points times one public scalar, together: the opening's ECDH.
//!
//! An opening multiplies every bid's ephemeral point by the same rebuilt key, and the opening
//! publishes that key, so the work may take variable time and may be shared between the bids:
//! - the scalar is recoded once, in width-5 non-adjacent form ([`Plan`]);
//! - every point runs the same chain of doublings and additions, in affine coordinates, so the
//!   one division each step needs is done for all points with a single field inversion
//!   (Montgomery's trick: three multiplications per point instead of an inversion each), and
//!   no point needs converting back from projective coordinates at the end;
//! - the field arithmetic is fiat-crypto's ([`super::field`]).
//!
//! Exceptional steps. The affine formulas divide by 2y (doubling) and by x₂ − x₁ (addition), so
//! they need the accumulator A ≠ O and, to add B, A ≠ ±B. P-256's group has prime order n and
//! no point with y = 0. Every point P runs the same chain: at each step A = m·P and B = t·P
//! for integers m and t that depend on the scalar only. So a step is exceptional for one point
//! exactly when it is for all, exactly when m ≡ 0 or m ≡ ±t (mod n). For a scalar below n
//! none is: after a doubling m is even and t is odd, and m stays far below n until the last
//! addition, where m ≡ ±t would need the scalar ≡ 0 or a last digit its own value rules out.
//! [`Plan::new`] checks every step anyway, so that this is a checked contract and not only an
//! argument: a scalar failing it gets no plan, and its caller multiplies point by point. The
//! batch inversion checks it once more at run time: a zero divisor is reported, never divided
//! by.

use p256::Scalar;
use p256::elliptic_curve::Field;

use super::field::Element;
use super::{CurvePoint, CurveScalar};

/// The recoding window, bits: digits are odd and below 2^(WINDOW_BITS−1) in magnitude.
const WINDOW_BITS: u32 = 5;
/// Odd multiples P, 3P, …, 15P kept per point.
const TABLE_ENTRIES: usize = 1 << (WINDOW_BITS - 2);

/// The scalar's chain: its width-5 NAF digits, most significant first. The first is positive.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    digits_most_significant_first: Vec<i8>,
}

impl Plan {
    /// The chain for `scalar`, or `None` if a step of it is exceptional (see the module doc).
    pub(crate) fn new(scalar: &CurveScalar) -> Option<Self> {
        Self::from_be_bytes(&scalar.to_bytes())
    }

    /// The chain for the 256-bit big-endian integer `bytes` (not reduced modulo n).
    fn from_be_bytes(bytes: &[u8; 32]) -> Option<Self> {
        let mut digits = recode(bytes);
        digits.reverse();
        let plan = Self {
            digits_most_significant_first: digits,
        };
        plan.every_step_regular().then_some(plan)
    }

    /// Replays the chain on the multiples themselves (modulo n): the accumulator is never O
    /// before a doubling and never ±(the addend) before an addition; and it ends at the scalar.
    fn every_step_regular(&self) -> bool {
        let Some((&top, rest)) = self.digits_most_significant_first.split_first() else {
            return false;
        };
        // The table: (2k + 1)·P = (2k − 1)·P + 2·P, never exceptional for k < 8 (odd ≠ ±2).
        let mut multiple = signed_scalar(top);
        for &digit in rest {
            if bool::from(multiple.is_zero()) {
                return false;
            }
            multiple = multiple.double();
            if digit != 0 {
                let addend = signed_scalar(digit);
                if multiple == addend || multiple == -addend {
                    return false;
                }
                multiple += addend;
            }
        }
        top > 0 && !bool::from(multiple.is_zero())
    }
}

/// `digit` as a scalar modulo n.
fn signed_scalar(digit: i8) -> Scalar {
    let magnitude = Scalar::from(u64::from(digit.unsigned_abs()));
    if digit < 0 { -magnitude } else { magnitude }
}

/// The width-5 NAF of the 256-bit big-endian integer `bytes`, least significant digit first:
/// Σ digitᵢ·2^i equals it, every non-zero digit is odd with |digit| < 16, and of any five
/// consecutive digits at most one is non-zero.
fn recode(bytes: &[u8; 32]) -> Vec<i8> {
    // Five little-endian limbs: adding back a negative digit may carry past bit 255.
    let mut limbs = [0u64; 5];
    for (index, chunk) in bytes.rchunks_exact(8).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if let Some(limb) = limbs.get_mut(index) {
            *limb = u64::from_be_bytes(word);
        }
    }
    let window_mask = (1u64 << WINDOW_BITS) - 1;
    let half_window = 1i16 << (WINDOW_BITS - 1);
    let mut digits = Vec::with_capacity(258);
    while limbs.iter().any(|&limb| limb != 0) {
        let mut digit: i16 = 0;
        if limbs[0] & 1 == 1 {
            // Below 2^5, so the conversion is exact.
            digit = i16::from(u8::try_from(limbs[0] & window_mask).unwrap_or(0));
            if digit >= half_window {
                digit -= 1 << WINDOW_BITS;
            }
            // The low five bits become zero: no borrow leaves limb 0, a carry may.
            if digit > 0 {
                limbs[0] -= u64::from(digit.unsigned_abs());
            } else {
                add_small(&mut limbs, u64::from(digit.unsigned_abs()));
            }
        }
        digits.push(i8::try_from(digit).unwrap_or(0));
        shift_right_one(&mut limbs);
    }
    digits
}

/// limbs += value, carrying.
fn add_small(limbs: &mut [u64; 5], value: u64) {
    let mut carry = value;
    for limb in limbs.iter_mut() {
        let (sum, overflow) = limb.overflowing_add(carry);
        *limb = sum;
        carry = u64::from(overflow);
        if carry == 0 {
            break;
        }
    }
}

/// limbs >>= 1.
fn shift_right_one(limbs: &mut [u64; 5]) {
    for index in 0..limbs.len() {
        let high = limbs.get(index + 1).map_or(0, |next| next << 63);
        if let Some(limb) = limbs.get_mut(index) {
            *limb = (*limb >> 1) | high;
        }
    }
}

/// A point in affine coordinates, never the identity.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Affine {
    x: Element,
    y: Element,
}

impl Affine {
    fn from_point(point: &CurvePoint) -> Option<Self> {
        let bytes = point.to_uncompressed();
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        x.copy_from_slice(bytes.get(1..33)?);
        y.copy_from_slice(bytes.get(33..65)?);
        Some(Self {
            x: Element::from_be_bytes(&x)?,
            y: Element::from_be_bytes(&y)?,
        })
    }
}

/// The chain's contract was broken: a divisor was zero (or a point did not convert). Nothing
/// was divided by zero, and no result is given.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ZeroDivisor;

/// The x coordinates (big-endian, the ECDH shared secrets) of `scalar · point` for every point,
/// in order, following `plan` (made for `scalar`).
pub(crate) fn multiply_all(plan: &Plan, points: &[CurvePoint]) -> Result<Vec<[u8; 32]>, ZeroDivisor> {
    let bases: Vec<Affine> = points
        .iter()
        .map(Affine::from_point)
        .collect::<Option<_>>()
        .ok_or(ZeroDivisor)?;
    if bases.is_empty() {
        return Ok(Vec::new());
    }
    let mut work = Work::new(bases.len());
    let tables = odd_multiples(&bases, &mut work)?;
    let (&top, rest) = plan.digits_most_significant_first.split_first().ok_or(ZeroDivisor)?;
    let mut accumulators: Vec<Affine> = tables.iter().map(|table| entry(table, top)).collect();
    let mut addends = Vec::with_capacity(tables.len());
    for &digit in rest {
        double_all(&mut accumulators, &mut work)?;
        if digit != 0 {
            addends.clear();
            addends.extend(tables.iter().map(|table| entry(table, digit)));
            add_all(&mut accumulators, &addends, &mut work)?;
        }
    }
    Ok(accumulators.iter().map(|point| point.x.to_be_bytes()).collect())
}

/// |digit|·P from the table of odd multiples, negated for a negative digit.
fn entry(table: &[Affine; TABLE_ENTRIES], digit: i8) -> Affine {
    let index = usize::from(digit.unsigned_abs() / 2);
    let point = table.get(index).copied().unwrap_or(table[0]);
    if digit < 0 {
        Affine {
            x: point.x,
            y: point.y.negate(),
        }
    } else {
        point
    }
}

/// Each point's odd multiples P, 3P, …, 15P.
fn odd_multiples(bases: &[Affine], work: &mut Work) -> Result<Vec<[Affine; TABLE_ENTRIES]>, ZeroDivisor> {
    let mut doubled = bases.to_vec();
    double_all(&mut doubled, work)?;
    let mut tables: Vec<[Affine; TABLE_ENTRIES]> = bases.iter().map(|&base| [base; TABLE_ENTRIES]).collect();
    let mut current = bases.to_vec();
    for index in 1..TABLE_ENTRIES {
        add_all(&mut current, &doubled, work)?;
        for (table, point) in tables.iter_mut().zip(&current) {
            if let Some(slot) = table.get_mut(index) {
                *slot = *point;
            }
        }
    }
    Ok(tables)
}

/// Scratch space reused by every step: the divisors, then their inverses; the running products.
struct Work {
    divisors: Vec<Element>,
    products: Vec<Element>,
}

impl Work {
    fn new(lanes: usize) -> Self {
        Self {
            divisors: Vec::with_capacity(lanes),
            products: Vec::with_capacity(lanes),
        }
    }

    /// Replaces every divisor by its inverse with one field inversion (Montgomery's trick).
    fn invert_divisors(&mut self) -> Result<(), ZeroDivisor> {
        self.products.clear();
        let mut running = None::<Element>;
        for &divisor in &self.divisors {
            let product = running.map_or(divisor, |product| product.mul(divisor));
            self.products.push(product);
            running = Some(product);
        }
        // Zero divides nothing: one zero divisor makes the whole product zero.
        let mut inverse = running.ok_or(ZeroDivisor)?.invert_vartime().ok_or(ZeroDivisor)?;
        // Walking back, `inverse` is 1 / (d₀ ⋯ dᵢ): times d₀ ⋯ dᵢ₋₁ it is 1 / dᵢ.
        let before = self.products.iter().rev().skip(1);
        for (divisor, product_before) in self.divisors.iter_mut().skip(1).rev().zip(before) {
            let original = *divisor;
            *divisor = inverse.mul(*product_before);
            inverse = inverse.mul(original);
        }
        if let Some(first) = self.divisors.first_mut() {
            *first = inverse;
        }
        Ok(())
    }
}

/// points[i] ← 2·points[i] for every i: λ = (3x² − 3) / 2y, x' = λ² − 2x, y' = λ(x − x') − y.
fn double_all(points: &mut [Affine], work: &mut Work) -> Result<(), ZeroDivisor> {
    work.divisors.clear();
    work.divisors.extend(points.iter().map(|point| point.y.add(point.y)));
    work.invert_divisors()?;
    for (point, inverse) in points.iter_mut().zip(&work.divisors) {
        let x_squared = point.x.square();
        // a = −3: 3x² + a = 3(x² − 1).
        let x_squared_minus_one = x_squared.sub(Element::ONE);
        let numerator = x_squared_minus_one.add(x_squared_minus_one).add(x_squared_minus_one);
        let slope = numerator.mul(*inverse);
        let x = slope.square().sub(point.x.add(point.x));
        let y = slope.mul(point.x.sub(x)).sub(point.y);
        *point = Affine { x, y };
    }
    Ok(())
}

/// points[i] ← points[i] + addends[i]: λ = (y₂ − y₁) / (x₂ − x₁), x' = λ² − x₁ − x₂,
/// y' = λ(x₁ − x') − y₁.
fn add_all(points: &mut [Affine], addends: &[Affine], work: &mut Work) -> Result<(), ZeroDivisor> {
    work.divisors.clear();
    work.divisors
        .extend(points.iter().zip(addends).map(|(point, addend)| addend.x.sub(point.x)));
    work.invert_divisors()?;
    for ((point, addend), inverse) in points.iter_mut().zip(addends).zip(&work.divisors) {
        let slope = addend.y.sub(point.y).mul(*inverse);
        let x = slope.square().sub(point.x).sub(addend.x);
        let y = slope.mul(point.x.sub(x)).sub(point.y);
        *point = Affine { x, y };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ring::rand::SystemRandom;

    /// The reference: p256's own variable-time multiplication, point by point.
    fn reference(scalar: &CurveScalar, points: &[CurvePoint]) -> Vec<[u8; 32]> {
        points
            .iter()
            .map(|point| {
                CurvePoint::from_projective(point.projective().mul_vartime(&scalar.0))
                    .unwrap()
                    .x_coordinate()
            })
            .collect()
    }

    fn scalar_from_seed(seed: [u8; 32]) -> CurveScalar {
        let mut bytes = seed;
        bytes[0] &= 0x7f;
        bytes[31] |= 1;
        CurveScalar::from_bytes(&bytes).unwrap()
    }

    /// The digits' value, modulo n.
    fn evaluate(digits_least_significant_first: &[i8]) -> Scalar {
        digits_least_significant_first
            .iter()
            .rev()
            .fold(Scalar::ZERO, |sum, &digit| sum.double() + signed_scalar(digit))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn batches_agree_with_p256_point_by_point(seed in any::<[u8; 32]>(), bases in prop::collection::vec(any::<[u8; 32]>(), 1..12)) {
            let scalar = scalar_from_seed(seed);
            let points: Vec<CurvePoint> = bases.into_iter().map(|base| scalar_from_seed(base).public_point()).collect();
            let plan = Plan::new(&scalar).unwrap();
            prop_assert_eq!(multiply_all(&plan, &points).unwrap(), reference(&scalar, &points));
        }

        #[test]
        fn the_recoding_is_a_width_five_naf_of_the_scalar(seed in any::<[u8; 32]>()) {
            let scalar = scalar_from_seed(seed);
            let digits = recode(&scalar.to_bytes());
            prop_assert_eq!(evaluate(&digits), scalar.0);
            for window in digits.windows(5) {
                prop_assert!(window.iter().filter(|&&digit| digit != 0).count() <= 1);
            }
            prop_assert!(digits.iter().all(|&digit| digit == 0 || (digit % 2 != 0 && digit.unsigned_abs() < 16)));
        }
    }

    #[test]
    fn small_large_and_negative_digit_scalars_agree() {
        let random = SystemRandom::new();
        let points: Vec<CurvePoint> = (0..5)
            .map(|_| CurveScalar::random(&random).unwrap().public_point())
            .collect();
        let minus_one = CurveScalar::from_scalar(-Scalar::ONE).unwrap();
        let minus_seventeen = CurveScalar::from_scalar(-Scalar::from(17u64)).unwrap();
        let mut all_ones = [0xffu8; 32];
        all_ones[0] = 0x7f;
        for scalar in [
            CurveScalar::from_scalar(Scalar::from(35u64)).unwrap(),
            CurveScalar::from_scalar(Scalar::from(0xffff_ffffu64)).unwrap(),
            CurveScalar::from_bytes(&all_ones).unwrap(),
            minus_one,
            minus_seventeen,
        ] {
            let plan = Plan::new(&scalar).unwrap();
            assert_eq!(
                multiply_all(&plan, &points).unwrap(),
                reference(&scalar, &points),
                "{:?}",
                scalar.to_bytes()
            );
        }
    }

    /// The group order n, big-endian.
    const ORDER: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6,
        0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
    ];

    /// n + small, big-endian (no carry out of the last byte for the values used).
    fn order_plus(small: u8) -> [u8; 32] {
        let mut bytes = ORDER;
        bytes[31] += small;
        bytes
    }

    #[test]
    fn exceptional_chains_get_no_plan() {
        // n + 30 ≡ 30: its last digit is 15 and the accumulator before that addition is
        // n + 15 ≡ 15·P, the addend itself; an affine addition would divide by zero.
        assert_eq!(recode(&order_plus(30)).first(), Some(&15));
        assert!(Plan::from_be_bytes(&order_plus(30)).is_none());
        // Zero has no chain at all, and n ≡ 0 ends at the identity.
        assert!(Plan::from_be_bytes(&[0; 32]).is_none());
        assert!(Plan::from_be_bytes(&ORDER).is_none());
        // n + 32 ≡ 32 is regular: its chain gives 32·P.
        let plan = Plan::from_be_bytes(&order_plus(32)).unwrap();
        let points = [CurveScalar::from_bytes(&[7; 32]).unwrap().public_point()];
        let thirty_two = CurveScalar::from_scalar(Scalar::from(32u64)).unwrap();
        assert_eq!(multiply_all(&plan, &points).unwrap(), reference(&thirty_two, &points));
    }

    #[test]
    fn a_zero_divisor_is_reported_not_divided_by() {
        let mut work = Work::new(3);
        work.divisors = vec![Element::ONE, Element::ZERO, Element::ONE];
        assert_eq!(work.invert_divisors(), Err(ZeroDivisor));
        work.divisors.clear();
        assert_eq!(work.invert_divisors(), Err(ZeroDivisor));
    }

    #[test]
    fn an_empty_batch_is_empty() {
        let plan = Plan::new(&CurveScalar::from_scalar(Scalar::from(9u64)).unwrap()).unwrap();
        assert_eq!(multiply_all(&plan, &[]), Ok(Vec::new()));
    }
}
