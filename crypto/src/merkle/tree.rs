//! Appending to the tree and producing roots and proofs from its node store.

use super::{Hash, NodeStore, node_hash};

/// Why a tree operation failed. `E` is the node store's own error.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TreeError<E: std::error::Error + 'static> {
    /// The node store failed.
    #[error("node store: {0}")]
    Store(#[source] E),
    /// A node that the tree's size says must exist is not in the store.
    #[error("the node store lacks node {index} at level {level}")]
    MissingNode {
        /// Its level.
        level: u8,
        /// Its index within the level.
        index: u64,
    },
    /// A leaf index at or beyond the tree size it was asked about.
    #[error("leaf {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The size asked about.
        size: u64,
    },
    /// A tree size larger than the tree, or sizes in the wrong order.
    #[error("tree size {requested} is not available (the tree has {size} leaves)")]
    SizeOutOfRange {
        /// The size asked for.
        requested: u64,
        /// The tree's size.
        size: u64,
    },
    /// A consistency proof from the empty tree proves nothing.
    #[error("a consistency proof needs a non-empty older tree")]
    EmptyOlderTree,
}

/// An append-only RFC 6962 Merkle tree over a node store.
#[derive(Debug)]
pub struct MerkleTree<S> {
    /// Every complete aligned subtree's hash.
    store: S,
    /// Number of leaves.
    size: u64,
    /// The right edge: roots of the perfect subtrees that make up `size`, left to right, as
    /// (level, hash); levels strictly decrease. At most 64 entries.
    frontier: Vec<(u8, Hash)>,
}

impl<S: NodeStore> MerkleTree<S> {
    /// An empty tree on an empty store.
    pub fn new(store: S) -> Self {
        Self {
            store,
            size: 0,
            frontier: Vec::new(),
        }
    }

    /// Reopens a tree of `size` leaves on a store that holds its nodes.
    pub fn open(store: S, size: u64) -> Result<Self, TreeError<S::Error>> {
        let mut tree = Self {
            store,
            size,
            frontier: Vec::new(),
        };
        let mut start = 0u64;
        for level in (0..64u8).rev() {
            if size & (1u64 << level) != 0 {
                tree.frontier.push((level, tree.stored_node(level, start >> level)?));
                start += 1u64 << level;
            }
        }
        Ok(tree)
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The node store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the node store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// Appends leaves by their leaf hashes, writing all new nodes in one store call; returns
    /// the index of the first. On a store error the tree is unchanged.
    pub fn append_leaf_hashes(&mut self, leaves: &[Hash]) -> Result<u64, TreeError<S::Error>> {
        let first = self.size;
        let count = u64::try_from(leaves.len()).unwrap_or(u64::MAX);
        let Some(new_size) = first.checked_add(count).filter(|size| *size < (1u64 << 63)) else {
            return Err(TreeError::SizeOutOfRange {
                requested: u64::MAX,
                size: self.size,
            });
        };
        let mut frontier = self.frontier.clone();
        let mut writes = Vec::with_capacity(leaves.len().saturating_mul(2));
        for (index, leaf) in (first..new_size).zip(leaves) {
            writes.push((0, index, *leaf));
            frontier.push((0, *leaf));
            while let [.., (left_level, left), (right_level, right)] = frontier[..] {
                if left_level != right_level {
                    break;
                }
                let level = left_level + 1;
                let parent = node_hash(&left.0, &right.0);
                frontier.truncate(frontier.len() - 2);
                frontier.push((level, parent));
                writes.push((level, index >> level, parent));
            }
        }
        self.store.put_nodes(&writes).map_err(TreeError::Store)?;
        self.frontier = frontier;
        self.size = new_size;
        Ok(first)
    }

    /// The right edge as (level, index, hash): the nodes [`MerkleTree::open`] reads. With them
    /// alone a store can reopen the tree and keep appending, which is what a snapshot needs.
    pub fn frontier(&self) -> Vec<(u8, u64, Hash)> {
        let mut start = 0u64;
        self.frontier
            .iter()
            .map(|&(level, hash)| {
                let node = (level, start >> level, hash);
                start += 1u64 << level;
                node
            })
            .collect()
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        let mut nodes = self.frontier.iter().rev().map(|(_, hash)| *hash);
        match nodes.next() {
            None => Hash::empty_tree(),
            Some(rightmost) => nodes.fold(rightmost, |right, left| node_hash(&left.0, &right.0)),
        }
    }

    /// The root of the tree as it was at `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, TreeError<S::Error>> {
        match size {
            0 => Ok(Hash::empty_tree()),
            _ if size == self.size => Ok(self.root()),
            _ if size > self.size => Err(TreeError::SizeOutOfRange {
                requested: size,
                size: self.size,
            }),
            _ => self.range_hash(0, size),
        }
    }

    /// The leaf hash at `index`.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash, TreeError<S::Error>> {
        if index >= self.size {
            return Err(TreeError::IndexOutOfRange { index, size: self.size });
        }
        self.stored_node(0, index)
    }

    /// The RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves, leaf first.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TreeError<S::Error>> {
        self.check_size(size)?;
        if index >= size {
            return Err(TreeError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.inclusion_path(index, 0, size, &mut proof)?;
        Ok(proof)
    }

    /// The RFC 9162 consistency proof between the trees of `old_size` and `new_size` leaves.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, TreeError<S::Error>> {
        self.check_size(new_size)?;
        if old_size == 0 {
            return Err(TreeError::EmptyOlderTree);
        }
        if old_size > new_size {
            return Err(TreeError::SizeOutOfRange {
                requested: old_size,
                size: new_size,
            });
        }
        let mut proof = Vec::new();
        self.consistency_subproof(old_size, 0, new_size, true, &mut proof)?;
        Ok(proof)
    }

    /// Refuses sizes beyond the tree.
    fn check_size(&self, size: u64) -> Result<(), TreeError<S::Error>> {
        if size > self.size {
            return Err(TreeError::SizeOutOfRange {
                requested: size,
                size: self.size,
            });
        }
        Ok(())
    }

    /// RFC 9162 §2.1.3.1 PATH, over the leaves `start..end`.
    fn inclusion_path(
        &self,
        index: u64,
        start: u64,
        end: u64,
        proof: &mut Vec<Hash>,
    ) -> Result<(), TreeError<S::Error>> {
        let count = end - start;
        if count <= 1 {
            return Ok(());
        }
        let split = start + largest_power_of_two_below(count);
        if index < split {
            self.inclusion_path(index, start, split, proof)?;
            proof.push(self.range_hash(split, end)?);
        } else {
            self.inclusion_path(index, split, end, proof)?;
            proof.push(self.range_hash(start, split)?);
        }
        Ok(())
    }

    /// RFC 9162 §2.1.4.1 SUBPROOF, over the leaves `start..end`, for the old tree ending at
    /// `old_end`.
    fn consistency_subproof(
        &self,
        old_end: u64,
        start: u64,
        end: u64,
        whole_old_tree: bool,
        proof: &mut Vec<Hash>,
    ) -> Result<(), TreeError<S::Error>> {
        if old_end == end {
            if !whole_old_tree {
                proof.push(self.range_hash(start, end)?);
            }
            return Ok(());
        }
        let split = start + largest_power_of_two_below(end - start);
        if old_end <= split {
            self.consistency_subproof(old_end, start, split, whole_old_tree, proof)?;
            proof.push(self.range_hash(split, end)?);
        } else {
            self.consistency_subproof(old_end, split, end, false, proof)?;
            proof.push(self.range_hash(start, split)?);
        }
        Ok(())
    }

    /// MTH of the leaves `start..end` (non-empty; `start` aligned as RFC 9162's recursion
    /// guarantees): a stored node when the range is a perfect subtree, else computed from them.
    fn range_hash(&self, start: u64, end: u64) -> Result<Hash, TreeError<S::Error>> {
        let count = end - start;
        if count.is_power_of_two() {
            let level = u8::try_from(count.trailing_zeros()).unwrap_or(u8::MAX);
            return self.stored_node(level, start >> level);
        }
        let split = start + largest_power_of_two_below(count);
        Ok(node_hash(
            &self.range_hash(start, split)?.0,
            &self.range_hash(split, end)?.0,
        ))
    }

    /// A node that must exist.
    fn stored_node(&self, level: u8, index: u64) -> Result<Hash, TreeError<S::Error>> {
        self.store
            .node(level, index)
            .map_err(TreeError::Store)?
            .ok_or(TreeError::MissingNode { level, index })
    }
}

/// The largest power of two strictly below `count` (`count` ≥ 2).
fn largest_power_of_two_below(count: u64) -> u64 {
    1u64 << (63 - (count - 1).leading_zeros())
}
