//! C2SP tlog-cosignature/v1 with Ed25519 (signature type 0x04): a witness's statement that, as
//! of a time, the checkpoint it signs is the largest consistent tree head of the log it has
//! seen. Supervisors run witnesses over the audit log, so that an operator cannot show
//! different logs to different readers without a witness refusing.
//!
//! A cosignature is a note signature line on the checkpoint, `— <name> base64(key id ‖
//! timestamp ‖ signature)`: the key id the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public
//! key), the timestamp 8 bytes big-endian (POSIX seconds), and the Ed25519 signature of
//! `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint's whole note text.

use crate::identity::{IdentityKeyPair, PublicKey, Signature};
use crate::note::{Note, NoteError, NoteSignature, check_key_name, key_text, split_typed_key, typed_key_id};

/// The signature-type byte of Ed25519 cosigner keys.
const COSIGNATURE_TYPE: u8 = 0x04;
/// The bytes of a cosignature after its key id: the timestamp, then the Ed25519 signature.
const TIMESTAMPED_SIGNATURE_BYTES: usize = 8 + 64;
/// The largest timestamp a cosignature may carry (2^63 − 1).
const TIMESTAMP_SECONDS_MAX: u64 = i64::MAX as u64;

/// Why a cosignature was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CosignatureError {
    /// The key text or the note is malformed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The note carries no cosignature by the key.
    #[error("no cosignature by witness {0}")]
    Missing(String),
    /// The key's cosignature is not 8 timestamp bytes and a 64-byte signature, or its
    /// timestamp passes 2^63 − 1.
    #[error("the cosignature by witness {0} is malformed")]
    Malformed(String),
    /// The key's cosignature does not verify.
    #[error("the cosignature by witness {0} does not verify")]
    BadSignature(String),
}

/// The message a cosigner signs: the header and time lines, then the checkpoint's note text.
pub fn signed_message(checkpoint_text: &str, timestamp_seconds: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp_seconds}\n{checkpoint_text}").into_bytes()
}

/// A witness's verifier key: `name+hexid+base64(0x04 ‖ public key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignerVerifier {
    /// The witness's name (a schema-less URL, say).
    pub name: String,
    /// The key id.
    pub key_id: u32,
    /// The Ed25519 public key.
    pub public_key: PublicKey,
}

/// A cosignature found and verified on a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedCosignature {
    /// When the witness signed, POSIX seconds.
    pub timestamp_seconds: u64,
}

impl CosignerVerifier {
    /// A verifier for `public_key` under `name`.
    pub fn new(name: &str, public_key: PublicKey) -> Result<Self, NoteError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.into(),
            key_id: typed_key_id(name, COSIGNATURE_TYPE, &public_key),
            public_key,
        })
    }

    /// Parses the verifier key text.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let (name, id, key) = split_typed_key(text, COSIGNATURE_TYPE)?;
        let public_key = PublicKey(key.try_into().map_err(|_| NoteError::MalformedKey)?);
        let verifier = Self::new(name, public_key)?;
        if verifier.key_id != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(verifier)
    }

    /// Whether `signature` is a line of this key (its name and key id).
    pub fn names(&self, signature: &NoteSignature) -> bool {
        signature.name == self.name && signature.key_id == self.key_id
    }

    /// Verifies this witness's cosignature on `note`: the first line of its name and key id
    /// must be a valid one. Other lines are ignored.
    pub fn verify(&self, note: &Note) -> Result<VerifiedCosignature, CosignatureError> {
        let line = note
            .signatures
            .iter()
            .find(|signature| self.names(signature))
            .ok_or_else(|| CosignatureError::Missing(self.name.clone()))?;
        let malformed = || CosignatureError::Malformed(self.name.clone());
        if line.signature.len() != TIMESTAMPED_SIGNATURE_BYTES {
            return Err(malformed());
        }
        let (timestamp, signature) = line.signature.split_at(8);
        let timestamp_seconds = u64::from_be_bytes(timestamp.try_into().map_err(|_| malformed())?);
        if timestamp_seconds > TIMESTAMP_SECONDS_MAX {
            return Err(malformed());
        }
        let signature = Signature(signature.try_into().map_err(|_| malformed())?);
        self.public_key
            .verify(&signed_message(&note.text, timestamp_seconds), &signature)
            .map_err(|_| CosignatureError::BadSignature(self.name.clone()))?;
        Ok(VerifiedCosignature { timestamp_seconds })
    }
}

impl std::fmt::Display for CosignerVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&key_text(&self.name, self.key_id, COSIGNATURE_TYPE, &self.public_key))
    }
}

/// A witness's signing key.
#[derive(Debug)]
pub struct Cosigner {
    /// The matching verifier (name, id, public key).
    verifier: CosignerVerifier,
    /// The Ed25519 key pair (a supervisor's identity key).
    key_pair: IdentityKeyPair,
}

impl Cosigner {
    /// A cosigner named `name` with `key_pair`.
    pub fn new(name: &str, key_pair: IdentityKeyPair) -> Result<Self, NoteError> {
        Ok(Self {
            verifier: CosignerVerifier::new(name, key_pair.public_key())?,
            key_pair,
        })
    }

    /// The key that verifies this cosigner's cosignatures.
    pub fn verifier(&self) -> &CosignerVerifier {
        &self.verifier
    }

    /// This cosigner's signature line on the checkpoint `note` at `timestamp_seconds`
    /// (`— name base64(…)` and a newline), to append to the note.
    pub fn cosignature_line(&self, note: &Note, timestamp_seconds: u64) -> Result<String, CosignatureError> {
        if timestamp_seconds > TIMESTAMP_SECONDS_MAX {
            return Err(CosignatureError::Malformed(self.verifier.name.clone()));
        }
        let mut signature = timestamp_seconds.to_be_bytes().to_vec();
        signature.extend_from_slice(&self.key_pair.sign(&signed_message(&note.text, timestamp_seconds)).0);
        Ok(NoteSignature {
            name: self.verifier.name.clone(),
            key_id: self.verifier.key_id,
            signature,
        }
        .to_line())
    }
}
