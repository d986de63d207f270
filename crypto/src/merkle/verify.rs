//! Checking inclusion and consistency proofs (RFC 9162 §2.1.3.2 and §2.1.4.2), in the
//! decomposed form of transparency-dev/merkle, whose test vectors these functions pass.
//!
//! Hashes arrive as byte slices because they come from untrusted input: a leaf hash that is
//! not 32 bytes is refused; roots are compared byte for byte.

use super::{Hash, node_hash};

/// Why a proof does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The leaf hash is not 32 bytes.
    #[error("the leaf hash is {0} bytes, not 32")]
    LeafHashLength(usize),
    /// The proof has the wrong number of hashes for these sizes.
    #[error("the proof has {found} hashes; these sizes need {expected}")]
    WrongProofLength {
        /// How many the sizes call for.
        expected: usize,
        /// How many were given.
        found: usize,
    },
    /// The newer tree is smaller than the older one.
    #[error("tree size {size2} is smaller than {size1}")]
    SizesOutOfOrder {
        /// The older size.
        size1: u64,
        /// The newer size.
        size2: u64,
    },
    /// A consistency proof from the empty tree proves nothing.
    #[error("a consistency proof from the empty tree proves nothing")]
    EmptyOlderTree,
    /// The proof leads to a different root.
    #[error("the proof leads to a different root")]
    RootMismatch,
}

/// Verifies that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`.
pub fn verify_inclusion<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    proof: &[P],
    root: &[u8],
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(index, size, leaf_hash, proof)?;
    if computed.0 != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The root that an inclusion proof leads to.
pub fn root_from_inclusion_proof<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    proof: &[P],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let leaf = Hash::from_slice(leaf_hash).map_err(|error| ProofError::LeafHashLength(error.0))?;
    let (inner, border) = decompose_inclusion_proof(index, size);
    check_length(proof, inner + border)?;
    let (inner_proof, border_proof) = proof.split_at(inner);
    let hash = chain_border_right(chain_inner(leaf.0.to_vec(), inner_proof, index), border_proof);
    Hash::from_slice(&hash).map_err(|error| ProofError::LeafHashLength(error.0))
}

/// Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1`
/// leaves with root `root1`.
pub fn verify_consistency<P: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    proof: &[P],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size2 < size1 {
        return Err(ProofError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == 0 {
        return Err(ProofError::EmptyOlderTree);
    }
    if size1 == size2 {
        check_length(proof, 0)?;
        return if root1 == root2 {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let (inner, border) = decompose_inclusion_proof(size1 - 1, size2);
    let shift = size1.trailing_zeros();
    let inner = inner.saturating_sub(shift as usize);
    // When the old tree is a perfect subtree its root is the first node of the path;
    // otherwise the proof starts with the node the path begins from.
    let old_tree_is_perfect = size1 == 1u64 << shift;
    let (seed, proof) = match (old_tree_is_perfect, proof.split_first()) {
        (true, _) => (root1, proof),
        (false, Some((first, rest))) => (first.as_ref(), rest),
        (false, None) => {
            return Err(ProofError::WrongProofLength {
                expected: 1 + inner + border,
                found: 0,
            });
        }
    };
    check_length(proof, inner + border).map_err(|_| ProofError::WrongProofLength {
        expected: usize::from(!old_tree_is_perfect) + inner + border,
        found: usize::from(!old_tree_is_perfect) + proof.len(),
    })?;
    let (inner_proof, border_proof) = proof.split_at(inner);
    let mask = (size1 - 1) >> shift;
    let hash1 = chain_border_right(chain_inner_right(seed.to_vec(), inner_proof, mask), border_proof);
    if hash1 != root1 {
        return Err(ProofError::RootMismatch);
    }
    let hash2 = chain_border_right(chain_inner(seed.to_vec(), inner_proof, mask), border_proof);
    if hash2 != root2 {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Refuses a proof whose length is not `expected`.
fn check_length<P>(proof: &[P], expected: usize) -> Result<(), ProofError> {
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            found: proof.len(),
        });
    }
    Ok(())
}

/// Splits an inclusion proof's length into the part inside the perfect subtree that holds
/// the leaf (`inner`) and the part along the tree's right border (`border`).
fn decompose_inclusion_proof(index: u64, size: u64) -> (usize, usize) {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner as usize, border as usize)
}

/// Hashes `seed` up the inner path; bit i of `index` says on which side proof\[i\] goes.
fn chain_inner<P: AsRef<[u8]>>(seed: Vec<u8>, proof: &[P], index: u64) -> Vec<u8> {
    proof.iter().enumerate().fold(seed, |seed, (level, sibling)| {
        let hash = if bit(index, level) == 0 {
            node_hash(&seed, sibling.as_ref())
        } else {
            node_hash(sibling.as_ref(), &seed)
        };
        hash.0.to_vec()
    })
}

/// Like [`chain_inner`], but only the right-side steps: the old tree's view of the path.
fn chain_inner_right<P: AsRef<[u8]>>(seed: Vec<u8>, proof: &[P], index: u64) -> Vec<u8> {
    proof.iter().enumerate().fold(seed, |seed, (level, sibling)| {
        if bit(index, level) == 1 {
            node_hash(sibling.as_ref(), &seed).0.to_vec()
        } else {
            seed
        }
    })
}

/// Hashes `seed` up the right border: every sibling is on the left.
fn chain_border_right<P: AsRef<[u8]>>(seed: Vec<u8>, proof: &[P]) -> Vec<u8> {
    proof
        .iter()
        .fold(seed, |seed, sibling| node_hash(sibling.as_ref(), &seed).0.to_vec())
}

/// Bit `position` of `value` (0 beyond the 64th).
fn bit(value: u64, position: usize) -> u64 {
    u32::try_from(position)
        .ok()
        .and_then(|position| value.checked_shr(position))
        .unwrap_or(0)
        & 1
}
