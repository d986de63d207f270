//! Identity keys: every actor (bidder, office, committee member, supervisor, operator, node) is
//! an Ed25519 key. Key pairs live in PKCS#8 v2 documents (ring's format); public keys travel as
//! the text `ed25519:` followed by the 32 key bytes in unpadded base64url.

use ring::rand::SecureRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::encoding::{base64url_decode, base64url_encode};

/// The prefix of an identity public key's text form.
const PUBLIC_KEY_PREFIX: &str = "ed25519:";

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The random source failed while generating a key.
    #[error("the random source failed")]
    Random,
    /// The PKCS#8 document is not an Ed25519 key pair.
    #[error("not an Ed25519 PKCS#8 v2 key document")]
    BadPkcs8,
    /// The text is not `ed25519:` followed by 32 bytes of base64url.
    #[error("not an identity public key (expected `ed25519:` and 43 base64url characters)")]
    BadPublicKey,
    /// The signature is not 64 bytes or does not verify under the key.
    #[error("signature does not verify")]
    BadSignature,
}

/// An Ed25519 key pair that signs for one actor.
pub struct IdentityKeyPair {
    /// ring's key pair: the secret never leaves it.
    key_pair: Ed25519KeyPair,
}

impl IdentityKeyPair {
    /// Generates a new key pair and returns it with its PKCS#8 v2 document (to store in a
    /// key file; the document is the only copy of the secret).
    pub fn generate(random: &dyn SecureRandom) -> Result<(Self, Vec<u8>), KeyError> {
        let document = Ed25519KeyPair::generate_pkcs8(random).map_err(|_| KeyError::Random)?;
        let pkcs8 = document.as_ref().to_vec();
        let key_pair = Self::from_pkcs8(&pkcs8)?;
        Ok((key_pair, pkcs8))
    }

    /// Reads a key pair from its PKCS#8 v2 document, checking that its public key matches.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, KeyError> {
        let key_pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| KeyError::BadPkcs8)?;
        Ok(Self { key_pair })
    }

    /// Makes a key pair from a 32-byte Ed25519 seed (the note key format stores seeds).
    pub fn from_seed(seed: &[u8; 32]) -> Result<Self, KeyError> {
        let key_pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| KeyError::BadPkcs8)?;
        Ok(Self { key_pair })
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(self.key_pair.public_key().as_ref());
        PublicKey(bytes)
    }

    /// Signs exactly `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        let mut bytes = [0u8; 64];
        bytes.copy_from_slice(self.key_pair.sign(message).as_ref());
        Signature(bytes)
    }
}

impl std::fmt::Debug for IdentityKeyPair {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IdentityKeyPair")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key: the identity of an actor.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Checks that `signature` is this key's signature over exactly `message`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(message, &signature.0)
            .map_err(|_| KeyError::BadSignature)
    }

    /// Parses the text form `ed25519:<base64url>`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let encoded = text.strip_prefix(PUBLIC_KEY_PREFIX).ok_or(KeyError::BadPublicKey)?;
        let bytes = base64url_decode(encoded).map_err(|_| KeyError::BadPublicKey)?;
        Ok(Self(bytes.try_into().map_err(|_| KeyError::BadPublicKey)?))
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{PUBLIC_KEY_PREFIX}{}", base64url_encode(&self.0))
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, formatter)
    }
}

impl std::str::FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(text: &str) -> Result<Self, KeyError> {
        Self::parse(text)
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An Ed25519 signature (64 bytes; base64url in JSON).
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signature(#[serde(with = "crate::encoding::base64url_array")] pub [u8; 64]);

impl std::fmt::Debug for Signature {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Signature({})", base64url_encode(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn pkcs8_round_trip_signs_and_verifies() {
        let (key_pair, pkcs8) = IdentityKeyPair::generate(&SystemRandom::new()).unwrap();
        let reloaded = IdentityKeyPair::from_pkcs8(&pkcs8).unwrap();
        assert_eq!(reloaded.public_key(), key_pair.public_key());
        let signature = reloaded.sign(b"bid");
        key_pair.public_key().verify(b"bid", &signature).unwrap();
        assert_eq!(
            key_pair.public_key().verify(b"bid!", &signature),
            Err(KeyError::BadSignature)
        );
    }

    #[test]
    fn rfc8032_test_1_signature() {
        // RFC 8032 §7.1, TEST 1: empty message.
        let seed: [u8; 32] = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .try_into()
            .unwrap();
        let key_pair = IdentityKeyPair::from_seed(&seed).unwrap();
        assert_eq!(
            key_pair.public_key().0.to_vec(),
            hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        let expected = hex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        );
        assert_eq!(key_pair.sign(b"").0.to_vec(), expected);
    }

    #[test]
    fn public_key_text_form_round_trips_and_rejects_garbage() {
        let key = IdentityKeyPair::from_seed(&[7; 32]).unwrap().public_key();
        let text = key.to_string();
        assert!(text.starts_with("ed25519:") && text.len() == 8 + 43, "{text}");
        assert_eq!(PublicKey::parse(&text), Ok(key));
        for bad in [
            "",
            "ed25519:",
            "ed25519:AAAA",
            &text.replace("ed25519:", "x25519:"),
            &format!("{text}A"),
        ] {
            assert_eq!(PublicKey::parse(bad), Err(KeyError::BadPublicKey), "{bad}");
        }
        assert_eq!(
            IdentityKeyPair::from_pkcs8(b"not a key").unwrap_err(),
            KeyError::BadPkcs8
        );
    }

    pub(crate) fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }
}
