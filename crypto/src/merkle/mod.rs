//! The audit log's Merkle tree, as RFC 6962 / RFC 9162 define it: SHA-256, leaves hashed with
//! a 0x00 prefix, interior nodes with 0x01.
//!
//! [`MerkleTree`] appends leaves and answers roots and proofs from a [`NodeStore`] that the
//! caller provides (in memory here, SQLite in the consensus crate). The store holds the hash
//! of every complete, aligned subtree; the tree keeps only the right edge (at most 64 hashes)
//! in memory, so an append costs O(1) amortised hashing and O(log n) stored nodes, and no proof
//! needs the leaves. [`verify_inclusion`] and [`verify_consistency`] check proofs from anyone.

mod hash;
mod store;
mod tree;
mod verify;

pub use hash::{HASH_BYTES, Hash, HashLengthError, leaf_hash, node_hash};
pub use store::{MemoryNodeStore, NodeStore};
pub use tree::{MerkleTree, TreeError};
pub use verify::{ProofError, root_from_inclusion_proof, verify_consistency, verify_inclusion};
