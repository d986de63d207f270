//! A signed message: the payload's canonical JSON text, the signer's identity key, and the
//! Ed25519 signature over exactly those payload bytes. The payload travels as a JSON string,
//! so that the signed bytes survive any re-encoding of the object around it and are stored as
//! they were signed.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::encoding::{EncodingError, from_canonical, to_canonical};
use crate::identity::{IdentityKeyPair, KeyError, PublicKey, Signature};

/// Why a signed message was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignedError {
    /// The signature does not verify under the named signer's key.
    #[error("the signature does not verify under the signer's key")]
    BadSignature,
    /// The payload is not canonical JSON of the expected shape.
    #[error("payload: {0}")]
    Payload(#[from] EncodingError),
}

/// A payload signed by one actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignedMessage {
    /// Who signed.
    pub signer: PublicKey,
    /// The payload's RFC 8785 canonical JSON, exactly the bytes signed.
    pub payload: String,
    /// Ed25519 over the UTF-8 bytes of `payload`.
    pub signature: Signature,
}

impl SignedMessage {
    /// Encodes `payload` canonically and signs it with `key`.
    pub fn sign<T: Serialize>(key: &IdentityKeyPair, payload: &T) -> Result<Self, EncodingError> {
        let bytes = to_canonical(payload)?;
        let signature = key.sign(&bytes);
        let payload = String::from_utf8(bytes).map_err(|error| EncodingError::Encode(error.to_string()))?;
        Ok(Self {
            signer: key.public_key(),
            payload,
            signature,
        })
    }

    /// Checks the signature, then decodes the payload (which must be canonical).
    pub fn verify<T: DeserializeOwned + Serialize>(&self) -> Result<T, SignedError> {
        self.signer
            .verify(self.payload.as_bytes(), &self.signature)
            .map_err(|_: KeyError| SignedError::BadSignature)?;
        Ok(from_canonical(self.payload.as_bytes())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Command {
        nonce: u64,
        tender: String,
    }

    #[test]
    fn signed_payload_verifies_and_tampering_is_caught() {
        let key = IdentityKeyPair::from_seed(&[1; 32]).unwrap();
        let command = Command {
            nonce: 9,
            tender: "T-1".into(),
        };
        let message = SignedMessage::sign(&key, &command).unwrap();
        assert_eq!(message.payload, r#"{"nonce":9,"tender":"T-1"}"#);
        assert_eq!(message.verify::<Command>().unwrap(), command);

        let mut altered = message.clone();
        altered.payload = altered.payload.replace("T-1", "T-2");
        assert_eq!(altered.verify::<Command>(), Err(SignedError::BadSignature));

        let mut other_signer = message.clone();
        other_signer.signer = IdentityKeyPair::from_seed(&[2; 32]).unwrap().public_key();
        assert_eq!(other_signer.verify::<Command>(), Err(SignedError::BadSignature));
    }

    #[test]
    fn a_validly_signed_but_non_canonical_payload_is_refused() {
        let key = IdentityKeyPair::from_seed(&[1; 32]).unwrap();
        let payload = r#"{"tender":"T-1","nonce":9}"#.to_string();
        let signature = key.sign(payload.as_bytes());
        let message = SignedMessage {
            signer: key.public_key(),
            payload,
            signature,
        };
        assert_eq!(
            message.verify::<Command>(),
            Err(SignedError::Payload(EncodingError::NotCanonical))
        );
    }
}
