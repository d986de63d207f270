//! Inclusion and consistency proofs of the audit log, built from the Merkle nodes in SQLite.
//!
//! The tree code in `sealbid-crypto` is synchronous and reads nodes one at a time; the database
//! is asynchronous. Which nodes a proof reads depends only on the sizes and the index, never on
//! the hashes, so a proof is built in two passes: a dry run on a store that answers every read
//! with a placeholder and writes down the (level, index) asked for, one query fetching exactly
//! those nodes, and the real computation on an in-memory store holding them.

use std::cell::RefCell;
use std::convert::Infallible;

use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use sealbid_crypto::merkle::{Hash, MemoryNodeStore, MerkleTree, NodeStore, TreeError};

/// Which proof to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofRequest {
    /// RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves.
    Inclusion {
        /// The leaf.
        index: u64,
        /// The tree's size.
        size: u64,
    },
    /// RFC 9162 consistency proof from the tree of `old_size` leaves to that of `new_size`.
    Consistency {
        /// The older tree's size (at least 1).
        old_size: u64,
        /// The newer tree's size.
        new_size: u64,
    },
}

impl ProofRequest {
    /// The tree size the proof needs this node to hold.
    pub fn tree_size(&self) -> u64 {
        match *self {
            Self::Inclusion { size, .. } => size,
            Self::Consistency { new_size, .. } => new_size,
        }
    }
}

/// Why a proof could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AuditProofError {
    /// The sizes or index do not describe a proof (an index beyond the size, an empty older
    /// tree, an older tree larger than the newer one).
    #[error("{0}")]
    Invalid(String),
    /// The tree asked for is larger than the log this node has applied (it lags, or the entries
    /// do not exist yet).
    #[error(
        "this node has applied {applied} audit entries, fewer than the {size} asked for; retry, or ask another node"
    )]
    NotApplied {
        /// Entries this node has applied.
        applied: u64,
        /// The tree size asked for.
        size: u64,
    },
    /// This node lacks a node of the tree (its history is still being filled after a snapshot).
    #[error(
        "this node does not hold the audit log's node at level {level}, index {index} yet; ask another node or retry"
    )]
    NotHeld {
        /// The node's level.
        level: u8,
        /// Its index in the level.
        index: u64,
    },
    /// The database could not be read, or holds a damaged node.
    #[error("cannot read the audit log's nodes: {0}")]
    Read(String),
}

/// Builds `request` from the nodes in `pool`. The caller makes sure the nodes of the first
/// `request.tree_size()` leaves are written.
pub async fn build(pool: &SqlitePool, request: ProofRequest) -> Result<Vec<Hash>, AuditProofError> {
    let recorder = RecordingStore::default();
    run(&recorder, request).map_err(|error| tree_error(&error))?;
    let wanted = recorder.wanted.into_inner();
    let mut store = MemoryNodeStore::new();
    store
        .put_nodes(&fetch(pool, &wanted).await?)
        .map_err(|error| match error {})?;
    run(store, request).map_err(|error| tree_error(&error))
}

/// The proof `request` computed on `store`.
fn run<S: NodeStore>(store: S, request: ProofRequest) -> Result<Vec<Hash>, TreeError<S::Error>> {
    let tree = MerkleTree::open(store, request.tree_size())?;
    match request {
        ProofRequest::Inclusion { index, size } => tree.inclusion_proof(index, size),
        ProofRequest::Consistency { old_size, new_size } => tree.consistency_proof(old_size, new_size),
    }
}

/// The tree's refusal as this module's error.
fn tree_error(error: &TreeError<Infallible>) -> AuditProofError {
    match error {
        TreeError::MissingNode { level, index } => AuditProofError::NotHeld {
            level: *level,
            index: *index,
        },
        other => AuditProofError::Invalid(other.to_string()),
    }
}

/// The nodes `wanted`, as many as the database holds.
async fn fetch(pool: &SqlitePool, wanted: &[(u8, u64)]) -> Result<Vec<(u8, u64, Hash)>, AuditProofError> {
    let mut nodes = Vec::with_capacity(wanted.len());
    // SQLite allows 32,766 bound values; a proof reads at most ~130 nodes, so one query serves.
    for chunk in wanted.chunks(1_000) {
        let mut query: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT level, node_index, hash FROM audit_node WHERE (level, node_index) IN (VALUES ");
        let mut separated = query.separated(", ");
        for (level, index) in chunk {
            separated.push("(");
            separated.push_bind_unseparated(i64::from(*level));
            separated.push_unseparated(", ");
            separated.push_bind_unseparated(i64::try_from(*index).unwrap_or(i64::MAX));
            separated.push_unseparated(")");
        }
        query.push(")");
        let rows = query
            .build()
            .fetch_all(pool)
            .await
            .map_err(|error| AuditProofError::Read(error.to_string()))?;
        for row in rows {
            let level: i64 = row.get("level");
            let index: i64 = row.get("node_index");
            let bytes: Vec<u8> = row.get("hash");
            let level = u8::try_from(level).map_err(|_| AuditProofError::Read(format!("level {level}")))?;
            let index = u64::try_from(index).map_err(|_| AuditProofError::Read(format!("index {index}")))?;
            let hash = Hash::from_slice(&bytes)
                .map_err(|_| AuditProofError::Read(format!("node {level}/{index} is not a hash")))?;
            nodes.push((level, index, hash));
        }
    }
    Ok(nodes)
}

/// A store that holds nothing, answers every read with a placeholder, and notes what was read.
#[derive(Debug, Default)]
struct RecordingStore {
    /// The (level, index) of every read, in order.
    wanted: RefCell<Vec<(u8, u64)>>,
}

impl NodeStore for &RecordingStore {
    type Error = Infallible;

    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, Infallible> {
        self.wanted.borrow_mut().push((level, index));
        Ok(Some(Hash::empty_tree()))
    }

    fn put_nodes(&mut self, _nodes: &[(u8, u64, Hash)]) -> Result<(), Infallible> {
        Ok(())
    }
}
