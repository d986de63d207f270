//! The audit trail: entries by range (each the canonical bytes that are the audit log's leaf)
//! and the log's current size and root, with the ledger's state hash. Supervisors fetch these and replay the ledger.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use sealbid_consensus::history::ENTRIES_PER_FETCH_MAX;
use sealbid_crypto::merkle::Hash;

use crate::ApiState;
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

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Its audit index.
    pub index: u64,
    /// The entry's canonical JSON, exactly the bytes hashed into the leaf.
    pub entry: String,
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

/// Entries `[from, from + count)`; fewer at the end of the log.
#[utoipa::path(get, path = "/v1/audit/entries", tag = "audit", params(Range),
    responses(
        (status = 200, description = "Entries in index order (fewer at the end of the log)", body = Vec<AuditEntry>),
        (status = 400, description = "A malformed or unknown parameter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn entries(state: web::Data<ApiState>, range: web::Query<Range>) -> Result<HttpResponse, Problem> {
    let count = range.count.unwrap_or(100).min(ENTRIES_PER_FETCH_MAX);
    let entries = state
        .replica
        .history_settled(range.from, count)
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?;
    let body: Vec<AuditEntry> = entries
        .into_iter()
        .map(|(index, entry)| AuditEntry { index, entry })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// The current tree head.
#[utoipa::path(get, path = "/v1/audit/head", tag = "audit",
    responses((status = 200, description = "The audit log's size, root and the state hash", body = TreeHead)))]
pub async fn head(state: web::Data<ApiState>) -> HttpResponse {
    let head = state
        .replica
        .read_applied(|ledger| TreeHead {
            size: ledger.audit().size(),
            root: ledger.audit().root(),
            state_hash: ledger.state_hash(),
        })
        .await;
    HttpResponse::Ok().json(head)
}
