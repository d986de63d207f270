//! The audit trail: entries by range (each the canonical bytes that are the audit log's leaf)
//! and the log's current size and root, with the ledger's state hash. Supervisors fetch these and replay the ledger.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use sealbid_consensus::history::ENTRIES_PER_FETCH_MAX;
use sealbid_crypto::merkle::Hash;

use crate::ApiState;
use crate::problem::Problem;

/// Which entries to send.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// The first audit index.
    pub from: u64,
    /// How many; at most [`ENTRIES_PER_FETCH_MAX`] are sent (default 100).
    pub count: Option<u64>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its audit index.
    pub index: u64,
    /// The entry's canonical JSON, exactly the bytes hashed into the leaf.
    pub entry: String,
}

/// The audit log's size and root as this node has applied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeHead {
    /// Entries in the log.
    pub size: u64,
    /// The Merkle root (base64url).
    pub root: Hash,
    /// The ledger's state hash (base64url): equal on every node that applied the same log, and
    /// unchanged by a refused command.
    pub state_hash: Hash,
}

/// Entries `[from, from + count)`; fewer at the end of the log.
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
