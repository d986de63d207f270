//! Where the tree's node hashes live.

use std::collections::HashMap;
use std::convert::Infallible;

use super::Hash;

/// Storage for the hash of every complete, aligned subtree: the node at `level` and `index`
/// covers leaves `index·2^level .. (index+1)·2^level`. Level 0 holds the leaf hashes.
///
/// Nodes are written once and never change. The consensus crate implements this on SQLite;
/// [`MemoryNodeStore`] serves tests and tools.
pub trait NodeStore {
    /// The store's own failure (an I/O error, say).
    type Error: std::error::Error + 'static;

    /// The node's hash, or `None` if it was never written.
    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, Self::Error>;

    /// Writes the nodes of one append together (one transaction, in a durable store).
    fn put_nodes(&mut self, nodes: &[(u8, u64, Hash)]) -> Result<(), Self::Error>;
}

/// A borrowed store is a store: a tree can work on a store its caller keeps.
impl<S: NodeStore> NodeStore for &mut S {
    type Error = S::Error;

    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, Self::Error> {
        (**self).node(level, index)
    }

    fn put_nodes(&mut self, nodes: &[(u8, u64, Hash)]) -> Result<(), Self::Error> {
        (**self).put_nodes(nodes)
    }
}

/// A node store in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryNodeStore {
    /// (level, index) → hash.
    nodes: HashMap<(u8, u64), Hash>,
}

impl MemoryNodeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many nodes it holds (about twice the number of leaves).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether it holds no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

impl NodeStore for MemoryNodeStore {
    type Error = Infallible;

    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, Infallible> {
        Ok(self.nodes.get(&(level, index)).copied())
    }

    fn put_nodes(&mut self, nodes: &[(u8, u64, Hash)]) -> Result<(), Infallible> {
        self.nodes
            .extend(nodes.iter().map(|&(level, index, hash)| ((level, index), hash)));
        Ok(())
    }
}
