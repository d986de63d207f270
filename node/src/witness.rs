//! A supervisor's witness of the audit log (`sealbid supervisor witness`): it fetches the
//! node's current checkpoint, checks it is signed with the log's key and extends the last one
//! it co-signed (a consistency proof from the node), and co-signs it (C2SP
//! tlog-cosignature/v1, with the supervisor's key) or, on a checkpoint that cannot extend it,
//! refuses. The last co-signed checkpoint lives in a state file the witness keeps; a refusal
//! leaves it as it was.
//!
//! Data flow: [`observe`] fetches and judges ([`judge`], pure), giving an [`Observation`]; the
//! caller co-signs ([`cosign`]) or reports the fork (a `report_log_fork` command). Readers
//! that require witnesses (`receipts verify`, `audit verify`) check them with
//! [`Requirement`] and [`cosigned_by`].

use std::path::Path;

use sealbid_api::client::Client;
use sealbid_api::witness::{CosignatureAccepted, CosignatureSubmission};
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::cosignature::{Cosigner, CosignerVerifier};
use sealbid_crypto::merkle::verify_consistency;
use sealbid_crypto::note::{self, NoteVerifier};

use crate::checkpoints::verify_checkpoint;
use crate::participant::ParticipantError;

/// What the witness keeps between runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessState {
    /// The last checkpoint it co-signed, as the node served it (signed with the log's key).
    pub checkpoint: String,
}

/// A checkpoint as the witness holds it: the signed note and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCheckpoint {
    /// The signed note.
    pub note: String,
    /// Its checkpoint, signed with the log's key.
    pub checkpoint: Checkpoint,
}

/// What the witness found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// A checkpoint that extends the last co-signed one (or the first one seen): co-sign it.
    Extends(HeldCheckpoint),
    /// The checkpoint co-signed last, again: nothing new.
    Unchanged,
    /// An older checkpoint (a node that lags) consistent as far as can be told: nothing to do.
    Behind(HeldCheckpoint),
    /// A checkpoint that cannot extend the last co-signed one: refuse it.
    Fork {
        /// The checkpoint co-signed last.
        witnessed: HeldCheckpoint,
        /// The checkpoint presented.
        presented: HeldCheckpoint,
        /// Why it cannot extend it.
        reason: String,
    },
}

/// The state in `path`, or `None` when the file does not exist yet (the first run).
pub fn load_state(path: &Path, log_key: &NoteVerifier) -> Result<Option<HeldCheckpoint>, ParticipantError> {
    let failed = |reason: String| ParticipantError::File {
        path: path.display().to_string(),
        reason,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(failed(error.to_string())),
    };
    let state: WitnessState = serde_json::from_str(&text).map_err(|error| failed(error.to_string()))?;
    let checkpoint = verify_checkpoint(&state.checkpoint, log_key).map_err(|error| failed(error.to_string()))?;
    Ok(Some(HeldCheckpoint {
        note: state.checkpoint,
        checkpoint,
    }))
}

/// Writes `held` to `path` as the last co-signed checkpoint (a new file renamed over the old).
pub fn save_state(path: &Path, held: &HeldCheckpoint) -> Result<(), ParticipantError> {
    let failed = |reason: String| ParticipantError::File {
        path: path.display().to_string(),
        reason,
    };
    let state = WitnessState {
        checkpoint: held.note.clone(),
    };
    let text = serde_json::to_string_pretty(&state).map_err(|error| failed(error.to_string()))?;
    let temporary = path.with_extension("new");
    std::fs::write(&temporary, text).map_err(|error| failed(error.to_string()))?;
    std::fs::rename(&temporary, path).map_err(|error| failed(error.to_string()))
}

/// Judges `presented` against `last` (the last co-signed), with `proof` the consistency proof
/// from `last`'s size to `presented`'s when `presented` is larger.
pub fn judge(
    last: Option<&HeldCheckpoint>,
    presented: HeldCheckpoint,
    proof: Option<&[sealbid_crypto::merkle::Hash]>,
) -> Observation {
    let Some(last) = last else {
        return Observation::Extends(presented);
    };
    let (old, new) = (&last.checkpoint, &presented.checkpoint);
    let fork = |reason: String| Observation::Fork {
        witnessed: last.clone(),
        presented: presented.clone(),
        reason,
    };
    if new.size < old.size {
        return Observation::Behind(presented);
    }
    if new.size == old.size {
        return if new.root == old.root {
            Observation::Unchanged
        } else {
            fork(format!("two checkpoints of {} entries with different roots", new.size))
        };
    }
    match verify_consistency(old.size, new.size, proof.unwrap_or_default(), &old.root.0, &new.root.0) {
        Ok(()) => Observation::Extends(presented),
        Err(error) => fork(format!(
            "the checkpoint of {} entries does not extend the one of {} co-signed ({error})",
            new.size, old.size
        )),
    }
}

/// Fetches the node's current checkpoint (checked against `log_key`) and judges it against
/// `last`.
pub async fn observe(
    client: &Client,
    log_key: &NoteVerifier,
    last: Option<&HeldCheckpoint>,
) -> Result<Observation, ParticipantError> {
    let note = client.checkpoint().await?;
    let checkpoint = verify_checkpoint(&note, log_key)
        .map_err(|error| ParticipantError::Verification(format!("the node's checkpoint: {error}")))?;
    let presented = HeldCheckpoint { note, checkpoint };
    let proof = match last {
        Some(last) if presented.checkpoint.size > last.checkpoint.size => Some(
            client
                .consistency_proof(last.checkpoint.size, presented.checkpoint.size)
                .await?
                .proof,
        ),
        _ => None,
    };
    Ok(judge(last, presented, proof.as_deref()))
}

/// Co-signs `held` at `timestamp_seconds` and sends the cosignature to the node.
pub async fn cosign(
    client: &Client,
    cosigner: &Cosigner,
    held: &HeldCheckpoint,
    timestamp_seconds: u64,
) -> Result<CosignatureAccepted, ParticipantError> {
    let parsed = note::parse(&held.note).map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    let line = cosigner
        .cosignature_line(&parsed, timestamp_seconds)
        .map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    let submission = CosignatureSubmission {
        witness: cosigner.verifier().to_string(),
        checkpoint: format!("{}{line}", held.note),
    };
    Ok(client.submit_cosignature(&submission).await?)
}

/// The default witness name of a key: `sealbid-witness/` and the key's text after `ed25519:`.
pub fn default_name(key: &sealbid_crypto::identity::PublicKey) -> String {
    let text = key.to_string();
    format!("sealbid-witness/{}", text.strip_prefix("ed25519:").unwrap_or(&text))
}

/// Parses `--witness` key texts.
pub fn parse_witnesses(texts: &[String]) -> Result<Vec<CosignerVerifier>, ParticipantError> {
    texts
        .iter()
        .map(|text| {
            CosignerVerifier::parse(text.trim()).map_err(|error| {
                ParticipantError::usage(
                    format!("witness key {text:?}: {error}; `sealbid supervisor witness-key` prints one"),
                    None,
                )
            })
        })
        .collect()
}

/// How many of `witnesses` must have co-signed: `required`, or all of them.
pub fn witnesses_required(witnesses: &[CosignerVerifier], required: Option<usize>) -> Result<usize, ParticipantError> {
    let required = required.unwrap_or(witnesses.len());
    if required > witnesses.len() {
        return Err(ParticipantError::usage(
            format!(
                "{required} witnesses required, but only {} given with --witness",
                witnesses.len()
            ),
            None,
        ));
    }
    Ok(required)
}

/// What a reader requires of the witnesses (`--witness`, `--witnesses-required`), with the
/// witnessed checkpoints the node serves (`GET /v1/audit/witnessed`), fetched once.
#[derive(Debug, Default)]
pub struct Requirement {
    /// The witnesses named.
    witnesses: Vec<CosignerVerifier>,
    /// How many of them must have co-signed.
    required: usize,
    /// The witnessed checkpoints served, each signed with the log's key.
    served: Vec<(Checkpoint, note::Note)>,
}

impl Requirement {
    /// The requirement of `required` of `witnesses`, with the node's witnessed checkpoints
    /// (checked against `log_key`); fetches nothing when no witness is named.
    pub async fn fetch(
        client: &Client,
        log_key: &NoteVerifier,
        witnesses: Vec<CosignerVerifier>,
        required: usize,
    ) -> Result<Self, ParticipantError> {
        let mut served = Vec::new();
        if !witnesses.is_empty() {
            for text in client.witnessed().await?.checkpoints {
                let checkpoint = verify_checkpoint(&text, log_key).map_err(|error| {
                    ParticipantError::Verification(format!("a witnessed checkpoint the node serves: {error}"))
                })?;
                let parsed = note::parse(&text).map_err(|error| ParticipantError::Invalid(error.to_string()))?;
                served.push((checkpoint, parsed));
            }
        }
        Ok(Self {
            witnesses,
            required,
            served,
        })
    }

    /// The names of the witnesses that co-signed a served checkpoint that extends `held`;
    /// refused unless at least the required number did.
    pub async fn check(&self, client: &Client, held: &Checkpoint) -> Result<Vec<String>, ParticipantError> {
        // Whether each served checkpoint extends `held`, asked of the node once at most.
        let mut extending: Vec<Option<bool>> = vec![None; self.served.len()];
        let mut satisfied = Vec::new();
        let mut missing = Vec::new();
        for witness in &self.witnesses {
            let mut found = false;
            for (position, (checkpoint, parsed)) in self.served.iter().enumerate() {
                if checkpoint.size < held.size || witness.verify(parsed).is_err() {
                    continue;
                }
                let known = extending.get(position).copied().flatten();
                let extends = match known {
                    Some(extends) => extends,
                    None => extends(client, held, checkpoint).await?,
                };
                if let Some(slot) = extending.get_mut(position) {
                    *slot = Some(extends);
                }
                if extends {
                    found = true;
                    break;
                }
            }
            if found {
                satisfied.push(witness.name.clone());
            } else {
                missing.push(witness.name.clone());
            }
        }
        if satisfied.len() < self.required {
            return Err(ParticipantError::Verification(format!(
                "{} of the {} witnesses required co-signed a checkpoint that extends the one of {} entries; \
                 missing: {}",
                satisfied.len(),
                self.required,
                held.size,
                missing.join(", ")
            )));
        }
        Ok(satisfied)
    }
}

/// Whether `later` extends `held` (a consistency proof from the node).
async fn extends(client: &Client, held: &Checkpoint, later: &Checkpoint) -> Result<bool, ParticipantError> {
    if later.size == held.size {
        return Ok(later.root == held.root);
    }
    let proof = client.consistency_proof(held.size, later.size).await?;
    Ok(verify_consistency(held.size, later.size, &proof.proof, &held.root.0, &later.root.0).is_ok())
}

/// The names of the `witnesses` with a valid cosignature on one of `notes` (signed notes);
/// what an audit counts once every note is found a prefix of the log.
pub fn cosigned_by(notes: &[String], witnesses: &[CosignerVerifier]) -> Vec<String> {
    let parsed: Vec<note::Note> = notes.iter().filter_map(|text| note::parse(text).ok()).collect();
    witnesses
        .iter()
        .filter(|witness| parsed.iter().any(|note| witness.verify(note).is_ok()))
        .map(|witness| witness.name.clone())
        .collect()
}
