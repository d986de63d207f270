//! The Merkle tree against the RFC 9162 definition, computed naively from the leaves.

use std::convert::Infallible;

use proptest::prelude::*;
use sealbid_crypto::merkle::{
    Hash, MemoryNodeStore, MerkleTree, NodeStore, ProofError, TreeError, leaf_hash, node_hash, verify_consistency,
    verify_inclusion,
};

/// MTH(D[n]) straight from RFC 9162 §2.1.1, over the leaf hashes.
fn reference_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::empty_tree(),
        1 => leaves[0],
        count => {
            let split = count.next_power_of_two() / 2;
            let split = if split == count { count / 2 } else { split };
            node_hash(&reference_root(&leaves[..split]).0, &reference_root(&leaves[split..]).0)
        }
    }
}

fn leaves(count: u64) -> Vec<Hash> {
    (0..count).map(|index| leaf_hash(&index.to_be_bytes())).collect()
}

fn tree_of(leaves: &[Hash]) -> MerkleTree<MemoryNodeStore> {
    let mut tree = MerkleTree::new(MemoryNodeStore::new());
    tree.append_leaf_hashes(leaves).unwrap();
    tree
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn roots_match_the_rfc_definition_at_every_size(count in 0u64..300, batch in 1usize..17) {
        let leaves = leaves(count);
        let mut tree = MerkleTree::new(MemoryNodeStore::new());
        for chunk in leaves.chunks(batch) {
            tree.append_leaf_hashes(chunk).unwrap();
            let size = tree.size() as usize;
            prop_assert_eq!(tree.root(), reference_root(&leaves[..size]));
        }
        for size in 0..=count {
            prop_assert_eq!(tree.root_at(size).unwrap(), reference_root(&leaves[..size as usize]));
        }
        prop_assert!(tree.store().len() < 2 * leaves.len() + 1, "nodes stored: {}", tree.store().len());
    }

    #[test]
    fn inclusion_proofs_verify_and_tampered_ones_fail(
        size in 1u64..2000,
        index_pick in any::<prop::sample::Index>(),
        tamper_pick in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let leaves = leaves(size);
        let tree = tree_of(&leaves);
        let index = index_pick.index(size as usize) as u64;
        let root = tree.root();
        let proof = tree.inclusion_proof(index, size).unwrap();
        verify_inclusion(index, size, &leaves[index as usize].0, &proof, &root.0).unwrap();

        if !proof.is_empty() {
            let mut tampered = proof.clone();
            tampered[tamper_pick.index(proof.len())].0[0] ^= 1 << bit;
            prop_assert!(verify_inclusion(index, size, &leaves[index as usize].0, &tampered, &root.0).is_err());
            prop_assert!(verify_inclusion(index, size, &leaves[index as usize].0, &proof[1..], &root.0).is_err());
        }
        let other_leaf = leaf_hash(b"not in the log");
        prop_assert_eq!(verify_inclusion(index, size, &other_leaf.0, &proof, &root.0), Err(ProofError::RootMismatch));
        prop_assert!(verify_inclusion(index ^ 1, size, &leaves[index as usize].0, &proof, &root.0).is_err());
        prop_assert!(verify_inclusion(index, size, &leaves[index as usize].0, &proof, &tree.root_at(size - 1).unwrap().0).is_err());
    }

    #[test]
    fn consistency_proofs_verify_and_tampered_ones_fail(
        new_size in 1u64..2000,
        old_pick in any::<prop::sample::Index>(),
        tamper_pick in any::<prop::sample::Index>(),
    ) {
        let leaves = leaves(new_size);
        let tree = tree_of(&leaves);
        let old_size = old_pick.index(new_size as usize) as u64 + 1;
        let old_root = tree.root_at(old_size).unwrap();
        let new_root = tree.root();
        let proof = tree.consistency_proof(old_size, new_size).unwrap();
        verify_consistency(old_size, new_size, &proof, &old_root.0, &new_root.0).unwrap();

        if !proof.is_empty() {
            let mut tampered = proof.clone();
            tampered[tamper_pick.index(proof.len())].0[31] ^= 0x80;
            prop_assert!(verify_consistency(old_size, new_size, &tampered, &old_root.0, &new_root.0).is_err());
        }
        let wrong_root = leaf_hash(b"rewritten history");
        prop_assert!(verify_consistency(old_size, new_size, &proof, &wrong_root.0, &new_root.0).is_err());
        prop_assert!(verify_consistency(old_size, new_size, &proof, &old_root.0, &wrong_root.0).is_err());
    }

    #[test]
    fn a_reopened_tree_continues_where_it_stopped(first in 0u64..200, second in 0u64..200) {
        let leaves = leaves(first + second);
        let tree = tree_of(&leaves[..first as usize]);
        // The frontier alone is enough to reopen the tree and keep appending.
        let mut frontier_only = MemoryNodeStore::new();
        frontier_only.put_nodes(&tree.frontier()).unwrap();
        prop_assert!(tree.frontier().len() <= 64);
        let mut from_frontier = MerkleTree::open(frontier_only, first).unwrap();
        from_frontier.append_leaf_hashes(&leaves[first as usize..]).unwrap();
        prop_assert_eq!(from_frontier.root(), reference_root(&leaves));
        let mut reopened = MerkleTree::open(tree.into_store(), first).unwrap();
        reopened.append_leaf_hashes(&leaves[first as usize..]).unwrap();
        prop_assert_eq!(reopened.root(), reference_root(&leaves));
    }
}

#[test]
fn out_of_range_requests_are_typed_errors() {
    let tree = tree_of(&leaves(5));
    assert!(matches!(
        tree.inclusion_proof(5, 5),
        Err(TreeError::IndexOutOfRange { index: 5, size: 5 })
    ));
    assert!(matches!(
        tree.inclusion_proof(0, 6),
        Err(TreeError::SizeOutOfRange { requested: 6, size: 5 })
    ));
    assert!(matches!(tree.consistency_proof(0, 5), Err(TreeError::EmptyOlderTree)));
    assert!(matches!(
        tree.consistency_proof(4, 3),
        Err(TreeError::SizeOutOfRange { .. })
    ));
    assert!(matches!(tree.root_at(6), Err(TreeError::SizeOutOfRange { .. })));
    assert!(matches!(tree.leaf_hash(5), Err(TreeError::IndexOutOfRange { .. })));
    assert!(matches!(
        MerkleTree::open(MemoryNodeStore::new(), 3),
        Err(TreeError::MissingNode { level: 1, index: 0 })
    ));
}

/// A store whose writes fail: the tree must be left as it was.
struct FailingStore(MemoryNodeStore);

#[derive(Debug, thiserror::Error)]
#[error("disk full")]
struct DiskFull;

impl NodeStore for FailingStore {
    type Error = DiskFull;
    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, DiskFull> {
        Ok(self
            .0
            .node(level, index)
            .unwrap_or_else(|never: Infallible| match never {}))
    }
    fn put_nodes(&mut self, _: &[(u8, u64, Hash)]) -> Result<(), DiskFull> {
        Err(DiskFull)
    }
}

#[test]
fn a_failed_store_write_leaves_the_tree_unchanged() {
    let leaves = leaves(3);
    let mut store = MemoryNodeStore::new();
    let mut tree = MerkleTree::new(&mut store);
    tree.append_leaf_hashes(&leaves).unwrap();
    let mut failing = MerkleTree::open(FailingStore(store), 3).unwrap();
    let root = failing.root();
    assert!(matches!(
        failing.append_leaf_hashes(&[leaf_hash(b"x")]),
        Err(TreeError::Store(DiskFull))
    ));
    assert_eq!(failing.size(), 3);
    assert_eq!(failing.root(), root);
}
