//! The participants' side of the CLI: identity keys in PKCS#8 files, commands signed on the
//! participant's machine and sent to the API, offers sealed locally to the tender's opening key
//! (the plaintext never leaves the machine), and receipts checked against the audit trail.
//!
//! Nonces are the signing time in microseconds, so the CLI keeps no state between calls.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use ring::rand::SystemRandom;
use sealbid_api::client::{Client, ClientError};
use sealbid_api::commands::Receipt;
use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::leaf_hash;
use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Action, Command, Offer};
use sealbid_ledger::types::{Fen, LotId, TenderId};

/// How long a command the CLI signs stays valid.
pub const COMMAND_LIFETIME_MS: u64 = 10 * 60 * 1000;

/// Why a participant's command failed.
#[derive(Debug, thiserror::Error)]
pub enum ParticipantError {
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The API refused or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Something given is not valid.
    #[error("{0}")]
    Invalid(String),
}

/// A new identity key written to `path` (owner-only); its public key.
pub fn keygen(path: &Path) -> Result<IdentityKeyPair, ParticipantError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let failed = |reason: String| ParticipantError::File {
        path: path.display().to_string(),
        reason,
    };
    let (key, pkcs8) = IdentityKeyPair::generate(&SystemRandom::new()).map_err(|error| failed(error.to_string()))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|error| failed(format!("{error} (the CLI never overwrites a key)")))?;
    file.write_all(&pkcs8).map_err(|error| failed(error.to_string()))?;
    file.sync_all().map_err(|error| failed(error.to_string()))?;
    Ok(key)
}

/// The identity key in `path`.
pub fn load_key(path: &Path) -> Result<IdentityKeyPair, ParticipantError> {
    let failed = |reason: String| ParticipantError::File {
        path: path.display().to_string(),
        reason,
    };
    let pkcs8 = std::fs::read(path).map_err(|error| failed(error.to_string()))?;
    IdentityKeyPair::from_pkcs8(&pkcs8).map_err(|error| failed(error.to_string()))
}

/// `action` signed by `key`, with the time as nonce.
pub fn sign(key: &IdentityKeyPair, action: Action) -> Result<SignedMessage, ParticipantError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    let now_ms = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
    let command = Command {
        nonce: u64::try_from(now.as_micros()).unwrap_or(u64::MAX),
        expires_at_ms: now_ms + COMMAND_LIFETIME_MS,
        action,
    };
    SignedMessage::sign(key, &command).map_err(|error| ParticipantError::Invalid(error.to_string()))
}

/// Signs `action` with `key` and submits it; the receipt.
pub async fn submit(client: &Client, key: &IdentityKeyPair, action: Action) -> Result<Receipt, ParticipantError> {
    Ok(client.submit(&sign(key, action)?).await?)
}

/// The opening key of `tender`, read from the API (published once the key generation ended).
pub async fn opening_key(client: &Client, tender: &TenderId) -> Result<CurvePoint, ParticipantError> {
    let view = client.tender(tender.as_str()).await?;
    let key = view
        .get("tender")
        .and_then(|tender| tender.get("opening_key"))
        .cloned()
        .unwrap_or_default();
    serde_json::from_value(key).map_err(|_| {
        ParticipantError::Invalid(format!(
            "tender {tender} has no opening key yet: its committee has not finished the key generation"
        ))
    })
}

/// `bidder`'s offer sealed to `opening_key`, here, on the bidder's machine.
pub fn seal_offer(
    tender: &TenderId,
    lot: &LotId,
    bidder: &IdentityKeyPair,
    price_fen: u64,
    quantity_tonnes: Option<u64>,
    opening_key: &CurvePoint,
) -> Result<Envelope, ParticipantError> {
    let invalid = |error: &dyn std::fmt::Display| ParticipantError::Invalid(error.to_string());
    let offer = Offer {
        tender: tender.clone(),
        lot: lot.clone(),
        bidder: bidder.public_key(),
        price_fen: Fen::new(price_fen).map_err(|error| invalid(&error))?,
        quantity_tonnes,
    };
    offer
        .seal(opening_key, &SystemRandom::new())
        .map_err(|error| invalid(&error))
}

/// Checks `receipt` against the audit trail: the entry at its index hashes to its leaf.
pub async fn verify_receipt(client: &Client, receipt: &Receipt) -> Result<(), ParticipantError> {
    let entries = client.audit_entries(receipt.audit_index, 1).await?;
    let entry = entries
        .into_iter()
        .find(|entry| entry.index == receipt.audit_index)
        .ok_or_else(|| ParticipantError::Invalid(format!("the audit trail has no entry {}", receipt.audit_index)))?;
    if leaf_hash(entry.entry.as_bytes()) != receipt.leaf_hash {
        return Err(ParticipantError::Invalid(format!(
            "audit entry {} does not match the receipt: the log differs from what was acknowledged",
            receipt.audit_index
        )));
    }
    Ok(())
}
