//! Checkpoints as their holders check them: the log's verifier key read from a file (a node
//! writes its own to `log.pub` in its data folder), and a signed checkpoint verified against it.

use std::path::Path;

use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::note::NoteVerifier;
use sealbid_crypto::receipt;

/// The file, in a data folder, holding the log's verifier key (`name+id+base64`).
pub const LOG_PUBLIC_FILE: &str = "log.pub";

/// Why a checkpoint is not trusted.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointCheckError {
    /// The key file could not be read or holds no verifier key.
    #[error("log key {path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The checkpoint is not signed by the trusted key, or is malformed.
    #[error("the checkpoint is not valid: {0}")]
    Invalid(String),
}

/// The verifier key in `path`.
pub fn load_log_key(path: &Path) -> Result<NoteVerifier, CheckpointCheckError> {
    let failed = |reason: String| CheckpointCheckError::Key {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|error| failed(error.to_string()))?;
    NoteVerifier::parse(text.trim()).map_err(|error| failed(format!("{error}; expected name+id+base64")))
}

/// The checkpoint in `signed_note` once `key` is found to have signed it for its own log.
pub fn verify_checkpoint(signed_note: &str, key: &NoteVerifier) -> Result<Checkpoint, CheckpointCheckError> {
    receipt::verify_checkpoint(signed_note, &key.name, std::slice::from_ref(key), 1)
        .map_err(|error| CheckpointCheckError::Invalid(format!("{error} (trusted key {})", key.name)))
}
