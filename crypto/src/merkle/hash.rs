//! SHA-256 hashes of leaves and interior nodes.

use ring::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

/// The length of every hash in the tree.
pub const HASH_BYTES: usize = 32;

/// A SHA-256 hash in the tree (base64url in JSON).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hash(#[serde(with = "crate::encoding::base64url_array")] pub [u8; HASH_BYTES]);

/// A byte string that is not 32 bytes long was offered as a hash.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a hash is {HASH_BYTES} bytes, got {0}")]
pub struct HashLengthError(pub usize);

impl Hash {
    /// Parses exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, HashLengthError> {
        Ok(Self(bytes.try_into().map_err(|_| HashLengthError(bytes.len()))?))
    }

    /// The root of the empty tree: SHA-256 of the empty string.
    pub fn empty_tree() -> Self {
        sha256(&[])
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Hash(")?;
        self.0.iter().try_for_each(|byte| write!(formatter, "{byte:02x}"))?;
        formatter.write_str(")")
    }
}

/// SHA-256 over the concatenation of `parts`.
fn sha256(parts: &[&[u8]]) -> Hash {
    let mut context = Context::new(&SHA256);
    parts.iter().for_each(|part| context.update(part));
    let mut bytes = [0u8; HASH_BYTES];
    bytes.copy_from_slice(context.finish().as_ref());
    Hash(bytes)
}

/// The hash of a leaf: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    sha256(&[&[0x00], entry])
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right). Takes byte slices because
/// proof verification must also chain hashes that arrived with the wrong length.
pub fn node_hash(left: &[u8], right: &[u8]) -> Hash {
    sha256(&[&[0x01], left, right])
}
