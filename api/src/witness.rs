//! Supervisors witness the log (C2SP tlog-cosignature/v1): a witness fetches the current
//! checkpoint, checks it extends the last one it co-signed, and sends its cosignature here.
//! The node keeps a cosignature only if it is a supervisor's, valid, and of a checkpoint of
//! this node's own tree; it then serves every cosignature it holds of a checkpoint with that
//! checkpoint (the current one, a receipt's), and each witness's newest on
//! `GET /v1/audit/witnessed`.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use sealbid_consensus::cosignatures::StoredCosignature;
use sealbid_consensus::proofs::ProofRequest;
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::cosignature::CosignerVerifier;
use sealbid_crypto::merkle::{Hash, verify_consistency};
use sealbid_crypto::note;
use sealbid_ledger::types::Role;

use crate::ApiState;
use crate::problem::Problem;

/// How far ahead of this node's clock a cosignature's time may lie, seconds.
const COSIGNATURE_AHEAD_SECONDS_MAX: u64 = 300;

/// A witness's cosignature of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CosignatureSubmission {
    /// The witness's verifier key (`name+id+base64(0x04 ‖ key)`); its key holds the
    /// supervisor role.
    pub witness: String,
    /// The checkpoint as the log signed it, with the witness's cosignature line appended.
    pub checkpoint: String,
}

/// A cosignature this node now holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CosignatureAccepted {
    /// The witness's name.
    pub witness: String,
    /// The tree size co-signed.
    pub size: u64,
    /// When the witness signed, POSIX seconds.
    pub timestamp_seconds: u64,
}

/// Each witness's newest cosigned checkpoint this node holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Witnessed {
    /// Signed notes, largest tree first: a checkpoint signed with the log's key, then every
    /// cosignature held of it by a witness whose newest it is.
    pub checkpoints: Vec<String>,
}

/// `POST /v1/audit/cosignatures`: keeps a supervisor's cosignature of a checkpoint of this
/// node's tree.
#[utoipa::path(post, path = "/v1/audit/cosignatures", tag = "audit", request_body = CosignatureSubmission,
    responses(
        (status = 200, description = "The cosignature is held and served from now on", body = CosignatureAccepted),
        (status = 400, description = "Not a witness key, or not a signed checkpoint", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The witness's key does not hold the supervisor role", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A checkpoint signed with the log's key that is not this node's tree: a fork", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not this log's checkpoint, or the cosignature does not verify", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A tree larger than this node has applied", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn submit(
    state: web::Data<ApiState>,
    body: web::Json<CosignatureSubmission>,
) -> Result<HttpResponse, Problem> {
    let witness = CosignerVerifier::parse(body.witness.trim()).map_err(|error| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-witness-key",
            "Not a witness key",
            format!("{error}: a witness key is name+id+base64(0x04 ‖ 32-byte key)"),
        )
    })?;
    crate::reader::require_role(&state, &witness.public_key, &[Role::Supervisor], "witnessing the log").await?;
    let signed = note::parse(&body.checkpoint).map_err(|error| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-checkpoint",
            "Not a signed checkpoint",
            error.to_string(),
        )
    })?;
    let checkpoint = this_logs_checkpoint(&state, &signed)?;
    let cosignature = witness.verify(&signed).map_err(|error| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-cosignature",
            "The cosignature does not verify",
            error.to_string(),
        )
    })?;
    let now_seconds = state.replica.now_ms() / 1_000;
    if cosignature.timestamp_seconds > now_seconds + COSIGNATURE_AHEAD_SECONDS_MAX {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-cosignature",
            "The cosignature does not verify",
            format!(
                "its time {} s is more than {COSIGNATURE_AHEAD_SECONDS_MAX} s ahead of this node's clock ({now_seconds} s)",
                cosignature.timestamp_seconds
            ),
        ));
    }
    in_own_tree(&state, &checkpoint).await?;
    let line = signed
        .signatures
        .iter()
        .find(|line| witness.names(line))
        .map(note::NoteSignature::to_line)
        .unwrap_or_default();
    let stored = StoredCosignature {
        witness: witness.to_string(),
        size: checkpoint.size,
        root: checkpoint.root,
        line,
    };
    state
        .replica
        .store_cosignature(&stored)
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?;
    Ok(HttpResponse::Ok().json(CosignatureAccepted {
        witness: witness.name,
        size: checkpoint.size,
        timestamp_seconds: cosignature.timestamp_seconds,
    }))
}

/// The checkpoint of `signed` once the log's key is found to have signed it for this log, and
/// it has at least one entry.
fn this_logs_checkpoint(state: &ApiState, signed: &note::Note) -> Result<Checkpoint, Problem> {
    let not_this_log = |detail: String| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not-this-log",
            "Not a checkpoint of this log",
            detail,
        )
    };
    signed
        .verify(std::slice::from_ref(state.log.signer.verifier()), 1)
        .map_err(|error| not_this_log(format!("{error}: not signed with this log's key")))?;
    let checkpoint = Checkpoint::parse(&signed.text).map_err(|error| not_this_log(error.to_string()))?;
    if checkpoint.origin != state.log.origin {
        return Err(not_this_log(format!(
            "the checkpoint is of log {:?}, this is {:?}",
            checkpoint.origin, state.log.origin
        )));
    }
    if checkpoint.size == 0 {
        return Err(not_this_log("an empty tree has nothing to witness".into()));
    }
    Ok(checkpoint)
}

/// Refuses `checkpoint` unless it is this node's tree at its size.
async fn in_own_tree(state: &ApiState, checkpoint: &Checkpoint) -> Result<(), Problem> {
    let view = state.replica.applied_view();
    let forked = || {
        Problem::new(
            StatusCode::CONFLICT,
            "checkpoint-not-in-log",
            "The checkpoint is not this log's tree",
            format!(
                "signed with this log's key, the checkpoint of {} entries is not this node's tree of that size: \
                 the log was forked; report it (report_log_fork)",
                checkpoint.size
            ),
        )
    };
    if checkpoint.size > view.audit_size {
        return Err(Problem::unavailable(
            "proof-unavailable",
            format!(
                "this node has applied {} audit entries, fewer than the checkpoint's {}: retry, or send it to another node",
                view.audit_size, checkpoint.size
            ),
        ));
    }
    let request = ProofRequest::Consistency {
        old_size: checkpoint.size,
        new_size: view.audit_size,
    };
    // Of equal sizes the proof is empty, and verifying it compares the roots.
    let proof = state
        .replica
        .audit_proof(request)
        .await
        .map_err(crate::audit::proof_problem)?;
    verify_consistency(
        checkpoint.size,
        view.audit_size,
        &proof,
        &checkpoint.root.0,
        &view.audit_root.0,
    )
    .map_err(|_| forked())
}

/// The checkpoint of (`size`, `root`) signed with the log's key, with every cosignature this
/// node holds of it.
pub(crate) async fn cosigned_checkpoint(state: &ApiState, size: u64, root: Hash) -> Result<String, Problem> {
    let mut text = crate::audit::signed_checkpoint(state, size, root)?;
    let held = state
        .replica
        .cosignatures_at(size, &root)
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?;
    held.iter().for_each(|cosignature| text.push_str(&cosignature.line));
    Ok(text)
}

/// `GET /v1/audit/witnessed`: each witness's newest cosigned checkpoint.
#[utoipa::path(get, path = "/v1/audit/witnessed", tag = "audit",
    responses(
        (status = 200, description = "Each witness's newest cosigned checkpoint, largest tree first", body = Witnessed),
        (status = 503, description = "The node's storage cannot be read now", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn witnessed(state: web::Data<ApiState>) -> Result<HttpResponse, Problem> {
    let latest = state
        .replica
        .latest_cosignatures()
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?;
    let mut by_tree: BTreeMap<(std::cmp::Reverse<u64>, Hash), Vec<String>> = BTreeMap::new();
    for cosignature in latest {
        by_tree
            .entry((std::cmp::Reverse(cosignature.size), cosignature.root))
            .or_default()
            .push(cosignature.line);
    }
    let mut checkpoints = Vec::new();
    for ((std::cmp::Reverse(size), root), lines) in by_tree {
        let mut text = crate::audit::signed_checkpoint(&state, size, root)?;
        lines.iter().for_each(|line| text.push_str(line));
        checkpoints.push(text);
    }
    Ok(HttpResponse::Ok().json(Witnessed { checkpoints }))
}
