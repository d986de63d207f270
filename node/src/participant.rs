//! The participants' side of the CLI: identity keys in PKCS#8 files, commands signed on the
//! participant's machine and sent to the API, offers sealed locally to the tender's opening key
//! (the plaintext never leaves the machine), and receipts checked against the log's signed
//! checkpoints and the audit trail.
//!
//! Nonces are the signing time in microseconds, so the CLI keeps no state between calls.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use ring::rand::SystemRandom;
use sealbid_api::client::{Client, ClientError};
use sealbid_api::commands::Receipt;
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::{Hash, leaf_hash, verify_consistency};
use sealbid_crypto::note::NoteVerifier;
use sealbid_crypto::receipt::Receipt as LogReceipt;
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
    /// A signed command got no answer, or the node could not take it now: it may have been
    /// applied or not, and is saved to be sent again as it is.
    #[error("{source}")]
    Unanswered {
        /// The file holding the signed command.
        saved: String,
        /// What happened to the request (boxed: a problem document is large).
        source: Box<ClientError>,
    },
    /// A flag or argument is wrong: nothing was signed or sent.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// Which flag to give or fix.
        hint: Option<String>,
    },
    /// A receipt, checkpoint or served entry did not check.
    #[error("{0}")]
    Verification(String),
    /// Anything else that went wrong here.
    #[error("{0}")]
    Invalid(String),
}

impl ParticipantError {
    /// A usage error saying `message`, with `hint`.
    pub fn usage(message: impl Into<String>, hint: Option<&str>) -> Self {
        Self::Usage {
            message: message.into(),
            hint: hint.map(str::to_owned),
        }
    }
}

/// A new identity key written to `path` (owner-only); its public key.
pub fn keygen(path: &Path) -> Result<IdentityKeyPair, ParticipantError> {
    let (key, pkcs8) = IdentityKeyPair::generate(&SystemRandom::new()).map_err(|error| ParticipantError::File {
        path: path.display().to_string(),
        reason: error.to_string(),
    })?;
    write_new_file(path, &pkcs8)?;
    Ok(key)
}

/// Writes a new file (a key, a saved command) at `path`, readable by its owner only, and syncs
/// it; an existing file is never overwritten.
pub fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), ParticipantError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let failed = |reason: String| ParticipantError::File {
        path: path.display().to_string(),
        reason,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|error| {
            failed(format!(
                "{error} (the CLI never overwrites a key or a saved command: name another file)"
            ))
        })?;
    file.write_all(bytes).map_err(|error| failed(error.to_string()))?;
    file.sync_all().map_err(|error| failed(error.to_string()))
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

/// The digest a bid signs for `envelope`.
pub fn envelope_sha256(envelope: &Envelope) -> Result<Hash, ParticipantError> {
    envelope
        .sha256()
        .map_err(|error| ParticipantError::Invalid(format!("the envelope: {error}")))
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
            "tender {tender} has no opening key yet: its committee has not finished the key generation \
             (`sealbid committee dkg status --tender {tender}` shows how far it is)"
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
    let invalid = |error: &dyn std::fmt::Display| ParticipantError::usage(error.to_string(), None);
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

/// What a participant keeps for an applied command: the API's answer and the log's receipt
/// (a signed checkpoint and the entry's inclusion proof in it).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SavedReceipt {
    /// The API's answer to the command.
    pub command: Receipt,
    /// The signed checkpoint and inclusion proof fetched right after.
    pub log: LogReceipt,
}

/// How often the log's receipt is asked for before giving up.
const RECEIPT_ATTEMPTS: u32 = 5;

/// The log's receipt for the entry `command` answered, asked for up to [`RECEIPT_ATTEMPTS`]
/// times a second apart (a node that lags answers 503 until it has applied the entry).
pub async fn fetch_log_receipt(client: &Client, command: Receipt) -> Result<SavedReceipt, ParticipantError> {
    let mut attempt = 1;
    loop {
        match client.receipt(command.audit_index).await {
            Ok(log) => return Ok(SavedReceipt { command, log }),
            Err(error) if attempt >= RECEIPT_ATTEMPTS => {
                return Err(ParticipantError::Invalid(format!(
                    "the command was applied as audit entry {}, but the log's receipt could not be fetched: {error}",
                    command.audit_index
                )));
            }
            Err(_) => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// What verifying a receipt established.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceiptCheck {
    /// The entry's audit index.
    pub audit_index: u64,
    /// The size of the signed checkpoint the receipt proves inclusion in.
    pub checkpoint_size: u64,
    /// The size of the node's current signed checkpoint, proven to extend it.
    pub current_size: u64,
    /// The witnesses (`--witness`) found to have co-signed a checkpoint that extends it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
}

/// Checks `saved` against the log's key and the node's current state: the receipt's
/// checkpoint is signed by `log_key` and includes the entry; the node's current checkpoint is
/// signed too and extends it (consistency proof); the entry in the command's answer and the one
/// the node serves (in full, or withheld with its leaf hash) both hash to the leaf; and the
/// `witnesses` required co-signed a checkpoint that extends the receipt's.
pub async fn verify_receipt(
    client: &Client,
    log_key: &NoteVerifier,
    current: &Checkpoint,
    saved: &SavedReceipt,
    witnesses: &crate::witness::Requirement,
) -> Result<ReceiptCheck, ParticipantError> {
    let index = saved.command.audit_index;
    let failed = |reason: String| ParticipantError::Verification(format!("receipt for audit entry {index}: {reason}"));
    if saved.log.index != index || saved.log.leaf_hash != saved.command.leaf_hash {
        return Err(failed(
            "the log receipt is for another entry than the command's answer".into(),
        ));
    }
    let held = saved
        .log
        .verify(&log_key.name, std::slice::from_ref(log_key), 1)
        .map_err(|error| failed(error.to_string()))?;
    if held.size > current.size {
        return Err(failed(format!(
            "the node's checkpoint ({} entries) is older than the receipt's ({}): ask another node",
            current.size, held.size
        )));
    }
    if held.size == current.size {
        if held.root != current.root {
            return Err(failed(
                "the log was rewritten: two signed checkpoints of one size differ".into(),
            ));
        }
    } else {
        let proof = client.consistency_proof(held.size, current.size).await?;
        verify_consistency(held.size, current.size, &proof.proof, &held.root.0, &current.root.0).map_err(|error| {
            failed(format!(
                "the current checkpoint does not extend the receipt's: the log was rewritten ({error})"
            ))
        })?;
    }
    if leaf_hash(saved.command.entry.as_bytes()) != saved.command.leaf_hash {
        return Err(failed(
            "the entry in the command's answer does not hash to its leaf".into(),
        ));
    }
    let entries = client.audit_entries(index, 1).await?;
    let served = entries
        .into_iter()
        .find(|entry| entry.index == index)
        .ok_or_else(|| failed("the node does not serve this entry".into()))?;
    if served.leaf_hash() != saved.command.leaf_hash {
        return Err(failed(
            "the entry the node serves differs from the one acknowledged".into(),
        ));
    }
    Ok(ReceiptCheck {
        audit_index: index,
        checkpoint_size: held.size,
        current_size: current.size,
        witnesses: witnesses.check(client, &held).await?,
    })
}
