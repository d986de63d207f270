//! `POST /v1/commands`: a signed ledger command, answered once it is committed and applied with
//! its receipt (the audit-log position and leaf hash). Sending the same signed command again
//! answers the same receipt, marked `replayed`, instead of applying it twice.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use sealbid_consensus::{LedgerReply, SubmitError};
use sealbid_crypto::encoding::from_canonical;
use sealbid_crypto::merkle::Hash;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Entry, EntryBody};
use sealbid_ledger::events::Response;

use crate::ApiState;
use crate::problem::Problem;

/// The largest command body accepted: a sealed bid with its offer is a few KiB, a committee
/// member's dealing for a large committee some tens.
pub const COMMAND_BYTES_MAX: usize = 512 * 1024;

/// The answer to an applied command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The entry's position in the audit log.
    pub audit_index: u64,
    /// The entry's leaf hash (base64url): check it against a checkpoint with an inclusion proof.
    pub leaf_hash: Hash,
    /// What the ledger answered; absent when this is a replay of an applied command.
    pub response: Option<Response>,
    /// Whether this command had been applied before and this is its earlier receipt.
    pub replayed: bool,
}

/// Submits a signed command.
pub async fn submit(state: web::Data<ApiState>, message: web::Json<SignedMessage>) -> Result<HttpResponse, Problem> {
    let started = Instant::now();
    let message = message.into_inner();
    let result = state.replica.submit(EntryBody::Command(message.clone()), true).await;
    state.metrics.commit_latency.observe(started.elapsed().as_secs_f64());
    let outcome = match result {
        Ok(LedgerReply::Applied {
            response,
            audit_index,
            leaf_hash,
        }) => Ok(Receipt {
            audit_index,
            leaf_hash,
            response: Some(response),
            replayed: false,
        }),
        Ok(LedgerReply::Rejected {
            first_audit_index: Some(first),
            code,
            kind,
            reason,
        }) => match earlier_receipt(&state, first, &message).await {
            Some(receipt) => Ok(receipt),
            None => Err(Problem::rejected(&code, kind, &reason)),
        },
        Ok(LedgerReply::Rejected { code, kind, reason, .. }) => Err(Problem::rejected(&code, kind, &reason)),
        Ok(LedgerReply::Internal) => Err(Problem::unavailable(
            "internal-entry",
            "the command was answered as an internal entry; report this",
        )),
        Err(error) => Err(submit_problem(&error)),
    };
    let label = match &outcome {
        Ok(receipt) if receipt.replayed => "replayed",
        Ok(_) => "accepted",
        Err(problem) => problem.code.as_str(),
    };
    state.metrics.submissions.with_label_values(&[label]).inc();
    outcome.map(|receipt| HttpResponse::Ok().json(receipt))
}

/// The receipt of the command at `audit_index` if it is exactly `message`.
async fn earlier_receipt(state: &ApiState, audit_index: u64, message: &SignedMessage) -> Option<Receipt> {
    let found = state
        .replica
        .history_settled(audit_index, 1)
        .await
        .ok()?
        .into_iter()
        .next();
    let (index, text) = found?;
    let entry: Entry = from_canonical(text.as_bytes()).ok()?;
    match entry.body {
        EntryBody::Command(earlier) if index == audit_index && earlier == *message => Some(Receipt {
            audit_index,
            leaf_hash: sealbid_crypto::merkle::leaf_hash(text.as_bytes()),
            response: None,
            replayed: true,
        }),
        _ => None,
    }
}

/// A problem for a command that did not reach a reply.
fn submit_problem(error: &SubmitError) -> Problem {
    match error {
        SubmitError::NoLeader | SubmitError::NotLeader => Problem::unavailable("no-leader", error.to_string()),
        SubmitError::Unknown => Problem::new(
            StatusCode::GATEWAY_TIMEOUT,
            "outcome-unknown",
            "No answer in time",
            error.to_string(),
        ),
        SubmitError::Raft(_) => Problem::unavailable("replication-failed", error.to_string()),
    }
}
