//! The audit trail: entries by range (each the canonical bytes that are the audit log's leaf, or,
//! while it would tell who takes part in bidding, only its kind, time and leaf hash);
//! the log's current size and root, with the ledger's state hash; the current checkpoint signed
//! with the log's key (C2SP tlog-checkpoint in a signed note); inclusion and consistency proofs
//! (RFC 9162); and receipts that carry a signed checkpoint with the entry's inclusion proof.
//! Supervisors fetch the entries and replay the ledger; bidders check their receipts and that
//! every later checkpoint extends the one they hold.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use sealbid_consensus::history::ENTRIES_PER_FETCH_MAX;
use sealbid_consensus::proofs::{AuditProofError, ProofRequest};
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::{Hash, leaf_hash};
use sealbid_crypto::note::{self, NoteError, NoteSigner};
use sealbid_crypto::receipt::Receipt;
use sealbid_crypto::seal::Envelope;
use sealbid_ledger::command::Entry;
use sealbid_ledger::disclosure;

use crate::ApiState;
use crate::envelopes::bid_envelopes;
use crate::problem::Problem;

/// Which entries to send.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// The first audit index.
    pub from: u64,
    /// How many; at most [`ENTRIES_PER_FETCH_MAX`] are sent (default 100).
    pub count: Option<u64>,
}

/// One entry of the audit log, as the public may read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Its audit index.
    pub index: u64,
    /// The entry, or what may be said of it yet.
    #[serde(flatten)]
    pub content: EntryContent,
    /// Beside an entry in full that placed a bid still held (live, or live at its tender's
    /// end): the bid's envelope, whose SHA-256 the command signs. A replaced or withdrawn bid's
    /// envelope is erased and never served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Envelope>,
}

/// An entry in full, or withheld ([`sealbid_ledger::disclosure`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryContent {
    /// The entry's canonical JSON, exactly the bytes hashed into the leaf.
    Entry(String),
    /// An entry the public may not read yet.
    Withheld(WithheldEntry),
}

/// What anyone may know of a withheld entry: nothing that names a tender, lot or bidder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithheldEntry {
    /// `submit_bid`, `replace_bid`, `withdraw_bid`, `register_bidder`, `approve_bidder`,
    /// `reject_bidder`, `revoke_bidder`, or a supervisor's entry on a tender that takes bids
    /// (`suspend_tender`, `resume_tender`, `order_correction`, `reply_correction`), or a
    /// supervisor's decision on a warning of a tender not final (`dispose_warning`).
    pub kind: String,
    /// Its leaf hash (base64url), the same as the full entry's.
    #[schema(value_type = String)]
    pub leaf_hash: Hash,
    /// The leader's timestamp of the entry.
    pub timestamp_ms: u64,
}

impl AuditEntry {
    /// The entry's full text, if it is not withheld.
    pub fn text(&self) -> Option<&str> {
        match &self.content {
            EntryContent::Entry(text) => Some(text),
            EntryContent::Withheld(_) => None,
        }
    }

    /// The entry's leaf hash: computed from the text, or as served for a withheld entry.
    pub fn leaf_hash(&self) -> Hash {
        match &self.content {
            EntryContent::Entry(text) => leaf_hash(text.as_bytes()),
            EntryContent::Withheld(withheld) => withheld.leaf_hash,
        }
    }
}

/// The audit log's size and root as this node has applied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TreeHead {
    /// Entries in the log.
    pub size: u64,
    /// The Merkle root (base64url).
    #[schema(value_type = String)]
    pub root: Hash,
    /// The ledger's state hash (base64url): equal on every node that applied the same log, and
    /// unchanged by a refused command.
    #[schema(value_type = String)]
    pub state_hash: Hash,
}

/// Entries `[from, from + count)`; fewer at the end of the log. Entries that would tell who takes
/// part in bidding are served withheld ([`sealbid_ledger::disclosure`]).
#[utoipa::path(get, path = "/v1/audit/entries", tag = "audit", params(Range),
    responses(
        (status = 200, description = "Entries in index order (fewer at the end of the log), some withheld", body = Vec<AuditEntry>),
        (status = 400, description = "A malformed or unknown parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn entries(state: web::Data<ApiState>, range: web::Query<Range>) -> Result<HttpResponse, Problem> {
    let decoded = decode_entries(settled_entries(&state, &range).await?)?;
    // The state is read after the entries: it has applied at least every entry read, so each
    // tender they name is in it (or archived, so final).
    let body: Vec<(AuditEntry, Entry)> = state
        .replica
        .read_applied(|ledger| {
            decoded
                .into_iter()
                .map(|(index, text, entry)| (public_entry(ledger.state(), index, text, &entry), entry))
                .collect()
        })
        .await;
    let released = body
        .iter()
        .filter(|(public, _)| public.text().is_some())
        .map(|(public, entry)| (public.index, entry));
    let mut envelopes = bid_envelopes(&state, released).await?;
    let body: Vec<AuditEntry> = body
        .into_iter()
        .map(|(public, _)| AuditEntry {
            envelope: envelopes.remove(&public.index),
            ..public
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `entries` (index and canonical text, as stored) decoded.
pub(crate) fn decode_entries(entries: Vec<(u64, String)>) -> Result<Vec<(u64, String, Entry)>, Problem> {
    entries
        .into_iter()
        .map(|(index, text)| {
            let entry: Entry = serde_json::from_str(&text).map_err(|error| {
                Problem::internal(
                    "storage-damaged",
                    format!("audit entry {index} does not decode: {error}"),
                )
            })?;
            Ok((index, text, entry))
        })
        .collect()
}

/// The entries `range` names (at most [`ENTRIES_PER_FETCH_MAX`]) as this node holds them, once
/// their rows are written: (audit index, canonical text).
pub(crate) async fn settled_entries(state: &ApiState, range: &Range) -> Result<Vec<(u64, String)>, Problem> {
    state
        .replica
        .history_settled(range.from, range_count(range))
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))
}

/// How many entries `range` asks for: 100 by default, at most [`ENTRIES_PER_FETCH_MAX`].
pub(crate) fn range_count(range: &Range) -> u64 {
    range.count.unwrap_or(100).min(ENTRIES_PER_FETCH_MAX)
}

/// Entry `index` (`text`, decoded as `entry`) as the public may read it in `ledger_state`.
fn public_entry(ledger_state: &sealbid_ledger::State, index: u64, text: String, entry: &Entry) -> AuditEntry {
    let content = match disclosure::withheld(ledger_state, entry) {
        None => EntryContent::Entry(text),
        Some(_) => EntryContent::Withheld(WithheldEntry {
            kind: disclosure::kind(entry).to_owned(),
            leaf_hash: leaf_hash(text.as_bytes()),
            timestamp_ms: entry.timestamp_ms,
        }),
    };
    AuditEntry {
        index,
        content,
        envelope: None,
    }
}

/// The current tree head.
#[utoipa::path(get, path = "/v1/audit/head", tag = "audit",
    responses((status = 200, description = "The audit log's size, root and the state hash", body = TreeHead)))]
pub async fn head(state: web::Data<ApiState>) -> HttpResponse {
    let head = state.replica.applied_head().await;
    HttpResponse::Ok().json(TreeHead {
        size: head.view.audit_size,
        root: head.view.audit_root,
        state_hash: head.state_hash,
    })
}

/// The key that signs this log's checkpoints and the log's name: what a holder of a receipt
/// trusts. Every node of a cluster holds the same key (`sealbid cluster certificates` writes it).
#[derive(Debug)]
pub struct LogSigner {
    /// The log's origin line: the first line of every checkpoint.
    pub origin: String,
    /// Signs checkpoints (its name is the origin).
    pub signer: NoteSigner,
}

impl LogSigner {
    /// A signer for the log named after `key`: `sealbid/` and the first 8 bytes of its public
    /// key in hex, so that two platforms' logs never share an origin.
    pub fn new(key: IdentityKeyPair) -> Result<Self, NoteError> {
        let public = key.public_key();
        let origin = format!(
            "sealbid/{}",
            public
                .0
                .iter()
                .take(8)
                .map(|byte| format!("{byte:02x}"))
                .collect::<String>()
        );
        let signer = NoteSigner::new(&origin, key)?;
        Ok(Self { origin, signer })
    }

    /// The signed checkpoint of the tree of `size` leaves with `root`.
    pub fn checkpoint(&self, size: u64, root: Hash) -> Result<String, NoteError> {
        note::sign(&Checkpoint::new(&self.origin, size, root).to_text(), &[&self.signer])
    }
}

/// Who signs this log's checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LogKey {
    /// The log's origin: the first line of its checkpoints and the `origin` of its receipts.
    pub origin: String,
    /// The checkpoint-signing key as a signed-note verifier key (`name+id+base64`).
    pub verifier_key: String,
}

/// Which inclusion proof.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The entry's audit index.
    pub index: u64,
    /// The tree size (a checkpoint's); at most this node's applied size.
    pub size: u64,
}

/// Which consistency proof.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree's size (at least 1).
    pub from: u64,
    /// The newer tree's size; at most this node's applied size.
    pub to: u64,
}

/// Which entry a receipt is wanted for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// The entry's audit index (a command's receipt names it).
    pub index: u64,
}

/// A Merkle proof (RFC 9162) and what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditProof {
    /// The older size (consistency) or the entry's index (inclusion).
    pub from: u64,
    /// The tree size the proof is in.
    pub size: u64,
    /// The proof's hashes (base64url), leaf side first.
    #[schema(value_type = Vec<String>)]
    pub proof: Vec<Hash>,
}

/// `GET /v1/audit/log-key`.
#[utoipa::path(get, path = "/v1/audit/log-key", tag = "audit",
    responses((status = 200, description = "The log's origin and the key that signs its checkpoints", body = LogKey)))]
pub async fn log_key(state: web::Data<ApiState>) -> HttpResponse {
    HttpResponse::Ok().json(LogKey {
        origin: state.log.origin.clone(),
        verifier_key: state.log.signer.verifier().to_string(),
    })
}

/// `GET /v1/audit/checkpoint`: the log's current head as a signed note (C2SP tlog-checkpoint),
/// with every witness's cosignature this node holds of it.
#[utoipa::path(get, path = "/v1/audit/checkpoint", tag = "audit",
    responses(
        (status = 200, description = "The current checkpoint, signed, with the cosignatures held of it", body = String, content_type = "text/plain"),
        (status = 503, description = "The node's storage cannot be read now", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn checkpoint(state: web::Data<ApiState>) -> Result<HttpResponse, Problem> {
    let view = state.replica.applied_view();
    let (size, root) = (view.audit_size, view.audit_root);
    let note = crate::witness::cosigned_checkpoint(&state, size, root).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(note))
}

/// `GET /v1/audit/proof/inclusion`.
#[utoipa::path(get, path = "/v1/audit/proof/inclusion", tag = "audit", params(InclusionQuery),
    responses(
        (status = 200, description = "The entry's inclusion proof in the tree of that size", body = AuditProof),
        (status = 400, description = "An index not below the size, or a size beyond the log", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A size beyond this node's applied log while it may lag, or nodes it does not hold yet", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn inclusion(state: web::Data<ApiState>, query: web::Query<InclusionQuery>) -> Result<HttpResponse, Problem> {
    let request = ProofRequest::Inclusion {
        index: query.index,
        size: query.size,
    };
    let proof = proof_of(&state, request).await?;
    Ok(HttpResponse::Ok().json(AuditProof {
        from: query.index,
        size: query.size,
        proof,
    }))
}

/// `GET /v1/audit/proof/consistency`.
#[utoipa::path(get, path = "/v1/audit/proof/consistency", tag = "audit", params(ConsistencyQuery),
    responses(
        (status = 200, description = "The consistency proof between the two sizes", body = AuditProof),
        (status = 400, description = "An empty older tree, sizes out of order, or a size beyond the log", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A size beyond this node's applied log while it may lag, or nodes it does not hold yet", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn consistency(
    state: web::Data<ApiState>,
    query: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, Problem> {
    let request = ProofRequest::Consistency {
        old_size: query.from,
        new_size: query.to,
    };
    let proof = proof_of(&state, request).await?;
    Ok(HttpResponse::Ok().json(AuditProof {
        from: query.from,
        size: query.to,
        proof,
    }))
}

/// `GET /v1/audit/receipt`: a receipt for an entry with the current signed checkpoint and the
/// entry's inclusion proof in it (`sealbid_crypto::receipt::Receipt`).
#[utoipa::path(get, path = "/v1/audit/receipt", tag = "audit", params(ReceiptQuery),
    responses(
        (status = 200, description = "The entry's receipt: signed checkpoint and inclusion proof", body = sealbid_crypto::receipt::Receipt),
        (status = 404, description = "No such entry: this node holds every entry committed, and the log is shorter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "This node has not applied the entry (within 5 s) while it may lag, or does not hold the tree's nodes yet", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn receipt(state: web::Data<ApiState>, query: web::Query<ReceiptQuery>) -> Result<HttpResponse, Problem> {
    let view = applied_through(&state, query.index)
        .await
        .map_err(|beyond| match beyond {
            Beyond::NotInLog { size } => Problem::new(
                actix_web::http::StatusCode::NOT_FOUND,
                "unknown-entry",
                "No such audit entry",
                format!(
                    "the log holds {size} entries (indexes 0 to {}): entry {} is not in it",
                    size.saturating_sub(1),
                    query.index
                ),
            ),
            Beyond::NotApplied { size } => proof_problem(AuditProofError::NotApplied {
                applied: size,
                size: query.index.saturating_add(1),
            }),
        })?;
    let (size, root) = (view.audit_size, view.audit_root);
    let request = ProofRequest::Inclusion {
        index: query.index,
        size,
    };
    let inclusion_proof = state.replica.audit_proof(request).await.map_err(proof_problem)?;
    let entry = state
        .replica
        .history(query.index, 1)
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Problem::unavailable(
                "proof-unavailable",
                format!("this node does not hold audit entry {} yet", query.index),
            )
        })?;
    Ok(HttpResponse::Ok().json(Receipt {
        origin: state.log.origin.clone(),
        index: query.index,
        leaf_hash: leaf_hash(entry.1.as_bytes()),
        checkpoint: crate::witness::cosigned_checkpoint(&state, size, root).await?,
        inclusion_proof,
    }))
}

/// Why an audit position is not served.
enum Beyond {
    /// The node knows a leader and has applied every entry it knows committed: the log holds
    /// only `size` entries.
    NotInLog {
        /// The log's size.
        size: u64,
    },
    /// The node has applied `size` entries and may lag: the position may be applied soon.
    NotApplied {
        /// The entries applied here.
        size: u64,
    },
}

/// The applied view once this node holds audit entry `index`. An entry just answered by another
/// node (or by this one, a moment ago) may not be applied here yet, so this waits as a
/// command's answer waits; it answers at once for a position further beyond the log than the
/// leader can have in flight, when this node holds every entry it knows committed.
async fn applied_through(state: &ApiState, index: u64) -> Result<sealbid_consensus::AppliedView, Beyond> {
    let view = state.replica.applied_view();
    if index < view.audit_size {
        return Ok(view);
    }
    // Twice the bound: a follower learns the commit index a heartbeat after the leader.
    let far_ahead = u64::try_from(2 * sealbid_consensus::ENTRIES_IN_FLIGHT_MAX).unwrap_or(u64::MAX);
    if index - view.audit_size < far_ahead || !holds_whole_log(state) {
        crate::commands::wait_applied(state, index).await;
    }
    let view = state.replica.applied_view();
    if index < view.audit_size {
        Ok(view)
    } else if holds_whole_log(state) {
        Err(Beyond::NotInLog { size: view.audit_size })
    } else {
        Err(Beyond::NotApplied { size: view.audit_size })
    }
}

/// Whether an audit entry this node has not applied is in no node's log either: the node knows
/// a leader and has applied every entry it knows committed.
fn holds_whole_log(state: &ApiState) -> bool {
    let metrics = state.replica.raft.metrics().borrow().clone();
    let applied = metrics.last_applied.map(|log_id| log_id.index);
    metrics.current_leader.is_some()
        && state
            .replica
            .committed_index()
            .is_none_or(|committed| applied.is_some_and(|applied| applied >= committed))
}

/// A proof over a tree of `tree_size` entries, once this node holds them, or a problem: `400
/// proof-out-of-range` for a tree larger than the log.
async fn proof_of(state: &ApiState, request: ProofRequest) -> Result<Vec<Hash>, Problem> {
    if let Some(last) = request.tree_size().checked_sub(1)
        && let Err(Beyond::NotInLog { size }) = applied_through(state, last).await
    {
        return Err(Problem::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "proof-out-of-range",
            "No such proof",
            format!(
                "the log holds {size} entries: there is no tree of {} entries",
                request.tree_size()
            ),
        ));
    }
    state.replica.audit_proof(request).await.map_err(proof_problem)
}

/// The checkpoint of (`size`, `root`) signed with the log's key.
pub(crate) fn signed_checkpoint(state: &ApiState, size: u64, root: Hash) -> Result<String, Problem> {
    state
        .log
        .checkpoint(size, root)
        .map_err(|error| Problem::internal("signing-failed", format!("the checkpoint could not be signed: {error}")))
}

/// A proof that could not be built, as a problem.
pub(crate) fn proof_problem(error: AuditProofError) -> Problem {
    match error {
        AuditProofError::Invalid(reason) => Problem::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "proof-out-of-range",
            "No such proof",
            reason,
        ),
        error @ (AuditProofError::NotHeld { .. } | AuditProofError::NotApplied { .. }) => {
            Problem::unavailable("proof-unavailable", error.to_string())
        }
        error @ AuditProofError::Read(_) => Problem::unavailable("storage-unavailable", error.to_string()),
    }
}
