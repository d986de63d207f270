//! `POST /v1/commands`: a signed ledger command, answered once it is committed and applied (on
//! the leader and on this node, so the client's next read here sees it) with its receipt (the
//! audit-log position and leaf hash). Sending the same signed command again
//! answers the same receipt, marked `replayed`, instead of applying it twice.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use sealbid_consensus::{LedgerReply, SubmitError};
use sealbid_crypto::encoding::from_canonical;
use sealbid_crypto::identity::{PublicKey, Signature};
use sealbid_crypto::merkle::Hash;
use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Entry, EntryBody};
use sealbid_ledger::events::Response;

use crate::ApiState;
use crate::limits::TimedJson;
use crate::problem::Problem;

/// The largest command body accepted: a sealed bid with its offer is a few KiB, a committee
/// member's dealing for a large committee some tens.
pub const COMMAND_BYTES_MAX: usize = 512 * 1024;

/// The answer to an applied command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The entry's position in the audit log.
    pub audit_index: u64,
    /// The entry's leaf hash (base64url): check it against a checkpoint with an inclusion proof.
    #[schema(value_type = String)]
    pub leaf_hash: Hash,
    /// What the ledger answered. A replay carries the original answer, unless the node took
    /// the entry from a peer's history after a snapshot (then it is absent).
    pub response: Option<Response>,
    /// Whether this command had been applied before and this is its earlier receipt.
    pub replayed: bool,
    /// The entry's canonical JSON, the leaf's bytes: the command with its arrival stamp and the
    /// leader's timestamp. The log may serve it withheld for a while (`GET
    /// /v1/audit/entries`); this copy proves the sender's own entry meanwhile.
    pub entry: String,
}

/// The body of `POST /v1/commands`: a signed message's three members and, for a bid, the
/// envelope beside it (outside the signed bytes, so that it can be erased once the bid is
/// replaced or withdrawn).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandBody {
    /// The signer's identity key, `ed25519:` and base64url.
    #[schema(value_type = String)]
    pub signer: PublicKey,
    /// The command's RFC 8785 canonical JSON (`{nonce, expires_at_ms, action}`), exactly the
    /// bytes signed: a `Command` (its schema is in this document's components).
    #[schema(content_media_type = "application/json")]
    pub payload: String,
    /// Ed25519 over the payload's UTF-8 bytes, base64url.
    #[schema(value_type = String)]
    pub signature: Signature,
    /// A bid's sealed offer (`submit_bid`, `replace_bid` only), whose SHA-256 the payload signs
    /// as `envelope_sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Envelope>,
}

impl CommandBody {
    /// The body for `signed`, with a bid's `envelope`.
    pub fn new(signed: SignedMessage, envelope: Option<Envelope>) -> Self {
        Self {
            signer: signed.signer,
            payload: signed.payload,
            signature: signed.signature,
            envelope,
        }
    }

    /// The signed message and the envelope.
    pub fn into_parts(self) -> (SignedMessage, Option<Envelope>) {
        let signed = SignedMessage {
            signer: self.signer,
            payload: self.payload,
            signature: self.signature,
        };
        (signed, self.envelope)
    }
}

/// Submits a signed command.
#[utoipa::path(
    post,
    path = "/v1/commands",
    tag = "commands",
    request_body(content = CommandBody, description = "A signed ledger command", content_type = "application/json"),
    responses(
        (status = 200, description = "Applied (or applied before: `replayed`)", body = Receipt),
        (status = 400, description = "Malformed JSON, an unknown field, or a malformed command", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The signature does not verify", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The signer may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "What the command refers to does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within the body timeout (10 s by default): send it again", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflicts with the ledger's state (phase, replayed nonce, deadline, duplicate)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 512 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Breaks a rule of the ledger", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests in flight from this address: send it again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Busy (the node's bound on commands in flight), no leader, or the node is catching up: send the same command again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "No answer in time: send the same command again to learn its receipt", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn submit(
    request: actix_web::HttpRequest,
    state: web::Data<ApiState>,
    body: TimedJson<CommandBody>,
) -> Result<HttpResponse, Problem> {
    let started = Instant::now();
    let TimedJson(body) = body;
    let (message, envelope) = body.into_parts();
    let source_address = request.peer_addr().map(|address| address.ip());
    let result = state
        .replica
        .submit_command(message.clone(), envelope, source_address)
        .await;
    state.metrics.commit_latency.observe(started.elapsed().as_secs_f64());
    let outcome = match result {
        Ok(LedgerReply::Applied {
            response,
            audit_index,
            leaf_hash,
            entry,
        }) => {
            // Read your writes: a follower answers once it has applied the entry too, so the
            // client's next read on this node sees it.
            wait_applied(&state, audit_index).await;
            Ok(Receipt {
                audit_index,
                leaf_hash,
                response: Some(response),
                replayed: false,
                entry,
            })
        }
        Ok(LedgerReply::Rejected {
            first_audit_index: Some(first),
            code,
            kind,
            reason,
        }) => match earlier_receipt(&state, first, &message).await {
            Ok(Some(receipt)) => Ok(receipt),
            Ok(None) => Err(Problem::rejected(&code, kind, &reason)),
            Err(problem) => Err(problem),
        },
        Ok(LedgerReply::Rejected { code, kind, reason, .. }) => Err(Problem::rejected(&code, kind, &reason)),
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

/// How long a node waits to apply an entry the leader applied (a follower may trail it).
const APPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits (at most [`APPLY_WAIT`], notified after every applied batch) until this node has
/// applied audit entry `audit_index`; whether it has.
pub(crate) async fn wait_applied(state: &ApiState, audit_index: u64) -> bool {
    state.replica.wait_applied(audit_index, APPLY_WAIT).await
}

/// The receipt of the command at `audit_index` if it is exactly `message`; `None` if another
/// command used the nonce.
async fn earlier_receipt(
    state: &ApiState,
    audit_index: u64,
    message: &SignedMessage,
) -> Result<Option<Receipt>, Problem> {
    if !wait_applied(state, audit_index).await {
        return Err(Problem::unavailable(
            "history-incomplete",
            format!("this node has not applied audit entry {audit_index} yet; send the command again shortly"),
        ));
    }
    let found = state
        .replica
        .history_settled(audit_index, 1)
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?
        .into_iter()
        .next();
    let Some((index, text)) = found.filter(|(index, _)| *index == audit_index) else {
        return Err(Problem::unavailable(
            "history-incomplete",
            format!(
                "this node is still fetching audit entry {audit_index} from a peer; send the command again shortly"
            ),
        ));
    };
    let entry: Entry = from_canonical(text.as_bytes())
        .map_err(|error| Problem::internal("storage-damaged", format!("audit entry {index}: {error}")))?;
    let EntryBody::Command(earlier) = entry.body else {
        return Ok(None);
    };
    if earlier.signed != *message {
        return Ok(None);
    }
    let response = state
        .replica
        .response(audit_index)
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?
        .map(|text| serde_json::from_str::<Response>(&text))
        .transpose()
        .map_err(|error| Problem::internal("storage-damaged", format!("the answer to audit entry {index}: {error}")))?;
    Ok(Some(Receipt {
        audit_index,
        leaf_hash: sealbid_crypto::merkle::leaf_hash(text.as_bytes()),
        response,
        replayed: true,
        entry: text,
    }))
}

/// A problem for a command that did not reach a reply.
fn submit_problem(error: &SubmitError) -> Problem {
    match error {
        SubmitError::Busy { .. } => Problem::unavailable("busy", error.to_string()),
        SubmitError::ArrivalOutOfWindow { .. } => Problem::unavailable("arrival-out-of-window", error.to_string()),
        SubmitError::NoLeader | SubmitError::NotLeader => Problem::unavailable("no-leader", error.to_string()),
        SubmitError::Unknown => Problem::new(
            StatusCode::GATEWAY_TIMEOUT,
            "outcome-unknown",
            "No answer in time",
            error.to_string(),
        ),
        SubmitError::NotMember(_) => Problem::internal("internal-entry", error.to_string()),
        SubmitError::Raft(_) => Problem::unavailable(
            "replication-failed",
            format!(
                "{error}; if the command was proposed it may still be applied: sending the same signed command again is safe"
            ),
        ),
    }
}
