//! The openraft type configuration: what the log carries and what applying it answers.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

use sealbid_crypto::merkle::Hash;
use sealbid_ledger::events::Response;

openraft::declare_raft_types!(
    /// sealbid's Raft: log entries are ledger entries stamped by the leader.
    pub TypeConfig:
        D = sealbid_ledger::command::Entry,
        R = LedgerReply,
        NodeId = u64,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// What applying one log entry answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerReply {
    /// A blank or membership entry: nothing for a client.
    Internal,
    /// The ledger accepted the entry.
    Applied {
        /// Its response.
        response: Response,
        /// Its audit-log index (for the receipt).
        audit_index: u64,
        /// Its leaf hash.
        leaf_hash: Hash,
    },
    /// The ledger refused the command; nothing changed.
    Rejected {
        /// The refusal's stable identifier ([`sealbid_ledger::Rejection::code`]).
        code: String,
        /// Its kind.
        kind: sealbid_ledger::RejectionKind,
        /// Why, as a person can act on it.
        reason: String,
        /// For a replayed nonce: the audit index of the command that used it first.
        first_audit_index: Option<u64>,
    },
}

impl LedgerReply {
    /// The reply that refuses a command for `rejection`.
    pub fn rejected(rejection: &sealbid_ledger::Rejection) -> Self {
        LedgerReply::Rejected {
            code: rejection.code().to_owned(),
            kind: rejection.kind(),
            reason: rejection.to_string(),
            first_audit_index: match rejection {
                sealbid_ledger::Rejection::ReplayedNonce { first_audit_index, .. } => Some(*first_audit_index),
                _ => None,
            },
        }
    }
}
