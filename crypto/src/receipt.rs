//! The receipt a bidder keeps for an accepted entry: which log, which entry, its leaf hash,
//! a signed checkpoint of the log, and the proof that the entry is in that checkpoint's tree.
//! [`Receipt::verify`] checks all of it against the keys the bidder trusts; [`verify_checkpoint`]
//! checks a signed checkpoint alone.

use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::encoding::{EncodingError, from_canonical, to_canonical};
use crate::merkle::{Hash, ProofError, leaf_hash, verify_inclusion};
use crate::note::{self, NoteError, NoteVerifier};

/// The most proof hashes a receipt can carry (a tree of 2^63 leaves needs 63).
const PROOF_HASHES_MAX: usize = 64;

/// Why a receipt does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceiptError {
    /// The receipt is not canonical JSON of the receipt's shape.
    #[error("receipt: {0}")]
    Encoding(#[from] EncodingError),
    /// The checkpoint's note or signatures are bad.
    #[error("checkpoint signature: {0}")]
    Note(#[from] NoteError),
    /// The checkpoint body is malformed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The receipt or its checkpoint is for another log than the one expected.
    #[error("the receipt is for log {found:?}, not {expected:?}")]
    OriginMismatch {
        /// The log the holder expects.
        expected: String,
        /// The log the receipt or its checkpoint names.
        found: String,
    },
    /// The inclusion proof fails.
    #[error("inclusion proof: {0}")]
    Proof(#[from] ProofError),
    /// Too many proof hashes to be a real proof.
    #[error("the inclusion proof has more than {PROOF_HASHES_MAX} hashes")]
    ProofTooLong,
}

/// Proof that an entry is in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LogReceipt))]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The log's origin line.
    pub origin: String,
    /// The entry's position in the log, from 0.
    pub index: u64,
    /// SHA-256(0x00 ‖ entry bytes).
    pub leaf_hash: Hash,
    /// The signed note whose text is the checkpoint.
    pub checkpoint: String,
    /// The RFC 9162 inclusion proof of `index` in the checkpoint's tree.
    pub inclusion_proof: Vec<Hash>,
}

impl Receipt {
    /// Parses a receipt from its canonical JSON bytes.
    pub fn from_canonical(bytes: &[u8]) -> Result<Self, ReceiptError> {
        Ok(from_canonical(bytes)?)
    }

    /// The receipt's canonical JSON bytes.
    pub fn to_canonical(&self) -> Result<Vec<u8>, ReceiptError> {
        Ok(to_canonical(self)?)
    }

    /// Checks everything against the log the holder expects: the receipt and its checkpoint
    /// are for `origin`, at least `signatures_required` (and at least one) trusted keys signed
    /// the checkpoint, and the entry is in its tree. Returns the verified checkpoint.
    pub fn verify(
        &self,
        origin: &str,
        trusted: &[NoteVerifier],
        signatures_required: usize,
    ) -> Result<Checkpoint, ReceiptError> {
        if self.origin != origin {
            return Err(ReceiptError::OriginMismatch {
                expected: origin.into(),
                found: self.origin.clone(),
            });
        }
        if self.inclusion_proof.len() > PROOF_HASHES_MAX {
            return Err(ReceiptError::ProofTooLong);
        }
        let checkpoint = verify_checkpoint(&self.checkpoint, origin, trusted, signatures_required)?;
        verify_inclusion(
            self.index,
            checkpoint.size,
            &self.leaf_hash.0,
            &self.inclusion_proof,
            &checkpoint.root.0,
        )?;
        Ok(checkpoint)
    }

    /// Whether `entry` (its canonical bytes) is the entry this receipt is for.
    pub fn matches_entry(&self, entry: &[u8]) -> bool {
        leaf_hash(entry) == self.leaf_hash
    }
}

/// The checkpoint in `signed_note` once at least `signatures_required` (and at least one) of
/// the `trusted` keys are found to have signed it and it is for log `origin`.
pub fn verify_checkpoint(
    signed_note: &str,
    origin: &str,
    trusted: &[NoteVerifier],
    signatures_required: usize,
) -> Result<Checkpoint, ReceiptError> {
    let note = note::parse(signed_note)?;
    note.verify(trusted, signatures_required)?;
    let checkpoint = Checkpoint::parse(&note.text)?;
    if checkpoint.origin != origin {
        return Err(ReceiptError::OriginMismatch {
            expected: origin.into(),
            found: checkpoint.origin,
        });
    }
    Ok(checkpoint)
}
