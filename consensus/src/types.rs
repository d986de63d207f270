//! The openraft type configuration: what the log carries and what applying it answers.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

use sealbid_crypto::merkle::Hash;
use sealbid_ledger::command::Entry;
use sealbid_ledger::events::Response;

openraft::declare_raft_types!(
    /// sealbid's Raft: each log entry is a batch of ledger entries stamped by the leader; applying
    /// it answers one [`LedgerReply`] per ledger entry, in order.
    pub TypeConfig:
        D = EntryBatch,
        R = Vec<LedgerReply>,
        NodeId = u64,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// What one Raft log entry carries: the ledger entries the leader proposed together, applied in
/// order, each its own audit leaf with its own receipt. Batching is how one Raft round, one
/// replication message and one fsync carry many bids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryBatch {
    /// The ledger entries, in log order (never empty when the leader proposes it).
    pub entries: Vec<Entry>,
}

impl EntryBatch {
    /// A batch of one entry.
    pub fn one(entry: Entry) -> Self {
        Self { entries: vec![entry] }
    }
}

/// What applying one ledger entry answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerReply {
    /// The ledger accepted the entry.
    Applied {
        /// Its response.
        response: Response,
        /// Its audit-log index (for the receipt).
        audit_index: u64,
        /// Its leaf hash.
        leaf_hash: Hash,
        /// The entry's canonical JSON (the leaf's bytes): the sender's receipt carries it, so
        /// the sender can check its entry while the log serves it withheld.
        entry: String,
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
