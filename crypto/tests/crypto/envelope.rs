//! Sealed envelopes: property tests of the round trip and of every kind of tampering.

use proptest::prelude::*;
use ring::rand::SystemRandom;
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::seal::{Envelope, EnvelopeKind, OpeningKey, SealContext, SealError, open, seal};

fn opening_key() -> OpeningKey {
    OpeningKey::new(CurveScalar::random(&SystemRandom::new()).unwrap())
}

fn context_strategy() -> impl Strategy<Value = SealContext> {
    ("[A-Za-z0-9-]{1,24}", "[0-9]{1,3}", "ed25519:[A-Za-z0-9_-]{43}")
        .prop_map(|(tender, lot, bidder)| SealContext::bid(&tender, &lot, &bidder))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_then_open_returns_the_plaintext(
        plaintext in proptest::collection::vec(any::<u8>(), 0..4096),
        context in context_strategy(),
    ) {
        let key = opening_key();
        let envelope = seal(&plaintext, &context, &key.public_point(), &SystemRandom::new()).unwrap();
        prop_assert_eq!(open(&envelope, &context, &key).unwrap(), plaintext.clone());
        let reparsed = Envelope::from_canonical(&envelope.to_canonical().unwrap()).unwrap();
        prop_assert_eq!(open(&reparsed, &context, &key).unwrap(), plaintext);
    }

    #[test]
    fn flipping_any_byte_makes_open_fail(
        plaintext in proptest::collection::vec(any::<u8>(), 1..512),
        context in context_strategy(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let key = opening_key();
        let envelope = seal(&plaintext, &context, &key.public_point(), &SystemRandom::new()).unwrap();
        let total = envelope.ephemeral_key.len() + envelope.ciphertext.len();
        let position = position.index(total);
        let mut tampered = envelope.clone();
        if position < tampered.ephemeral_key.len() {
            tampered.ephemeral_key[position] ^= flip;
        } else {
            tampered.ciphertext[position - envelope.ephemeral_key.len()] ^= flip;
        }
        let result = open(&tampered, &context, &key);
        prop_assert!(
            matches!(result, Err(SealError::Rejected | SealError::BadEphemeralKey)),
            "tampered byte {} opened: {:?}", position, result
        );
    }

    #[test]
    fn changing_the_context_makes_open_fail(
        context in context_strategy(),
        field in 0usize..4,
        suffix in "[a-z0-9]{1,4}",
    ) {
        let key = opening_key();
        let envelope = seal(b"price=1000000", &context, &key.public_point(), &SystemRandom::new()).unwrap();
        let mut other = context.clone();
        match field {
            0 => other.tender.push_str(&suffix),
            1 => other.lot.push_str(&suffix),
            2 => other.bidder.push_str(&suffix),
            _ => other.kind = EnvelopeKind::ReservePrice,
        }
        prop_assert_eq!(open(&envelope, &other, &key), Err(SealError::Rejected));
    }
}

#[test]
fn truncated_or_tagless_ciphertext_is_rejected() {
    let key = opening_key();
    let context = SealContext::bid("T-9", "2", "b");
    let envelope = seal(b"offer", &context, &key.public_point(), &SystemRandom::new()).unwrap();
    for length in [0, 1, 15, 16, envelope.ciphertext.len() - 1] {
        let mut truncated = envelope.clone();
        truncated.ciphertext.truncate(length);
        assert_eq!(
            open(&truncated, &context, &key),
            Err(SealError::Rejected),
            "length {length}"
        );
    }
}

#[test]
fn malformed_envelope_text_is_a_typed_error() {
    for text in ["", "{}", "[]", r#"{"version":1}"#, "not json"] {
        assert!(Envelope::from_canonical(text.as_bytes()).is_err(), "{text}");
    }
}
