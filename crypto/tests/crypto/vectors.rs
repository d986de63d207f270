//! The public test vectors in `../shared/vectors`, read as they are: every file must pass.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sealbid_crypto::merkle::{MemoryNodeStore, MerkleTree, leaf_hash, verify_consistency, verify_inclusion};
use sealbid_crypto::note::{self, NoteSigner, NoteVerifier};
use serde::Deserialize;

use crate::support::{hex, json_files, vectors_folder};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionCase {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    want_err: bool,
    desc: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConsistencyCase {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    want_err: bool,
    desc: String,
}

#[derive(Deserialize)]
struct ReferenceTree {
    leaf_inputs_hex: Vec<String>,
    leaf_hashes_hex: Vec<String>,
    root_hashes_hex: Vec<String>,
}

#[derive(Deserialize)]
struct SignedNoteCase {
    signer_key: String,
    verifier_key: String,
    text: String,
    signed_note: String,
}

fn decode(text: &str) -> Vec<u8> {
    STANDARD.decode(text).unwrap()
}

fn decode_all(proof: &Option<Vec<String>>) -> Vec<Vec<u8>> {
    proof.iter().flatten().map(|hash| decode(hash)).collect()
}

fn reference_tree() -> (ReferenceTree, MerkleTree<MemoryNodeStore>) {
    let path = vectors_folder().join("merkle/reference-tree.json");
    let reference: ReferenceTree = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut tree = MerkleTree::new(MemoryNodeStore::new());
    for input in &reference.leaf_inputs_hex {
        tree.append_leaf_hashes(&[leaf_hash(&hex(input))]).unwrap();
    }
    (reference, tree)
}

#[test]
fn every_inclusion_vector() {
    let files = json_files(&vectors_folder().join("merkle/inclusion"));
    assert_eq!(files.len(), 98, "the inclusion vectors changed; read them again");
    let (_, tree) = reference_tree();
    for file in files {
        let case: InclusionCase = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let proof = decode_all(&case.proof);
        let result = verify_inclusion(
            case.leaf_idx,
            case.tree_size,
            &decode(&case.leaf_hash),
            &proof,
            &decode(&case.root),
        );
        assert_eq!(
            result.is_err(),
            case.want_err,
            "{} ({}): {result:?}",
            file.display(),
            case.desc
        );
        if !case.want_err && case.tree_size <= tree.size() {
            let generated = tree.inclusion_proof(case.leaf_idx, case.tree_size).unwrap();
            let generated: Vec<Vec<u8>> = generated.iter().map(|hash| hash.0.to_vec()).collect();
            assert_eq!(generated, proof, "our proof differs from {}", file.display());
        }
    }
}

#[test]
fn every_consistency_vector() {
    let files = json_files(&vectors_folder().join("merkle/consistency"));
    assert_eq!(files.len(), 98, "the consistency vectors changed; read them again");
    let (_, tree) = reference_tree();
    for file in files {
        let case: ConsistencyCase = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let proof = decode_all(&case.proof);
        let result = verify_consistency(
            case.size1,
            case.size2,
            &proof,
            &decode(&case.root1),
            &decode(&case.root2),
        );
        assert_eq!(
            result.is_err(),
            case.want_err,
            "{} ({}): {result:?}",
            file.display(),
            case.desc
        );
        if !case.want_err && case.size1 > 0 && case.size2 <= tree.size() {
            let generated = tree.consistency_proof(case.size1, case.size2).unwrap();
            let generated: Vec<Vec<u8>> = generated.iter().map(|hash| hash.0.to_vec()).collect();
            assert_eq!(generated, proof, "our proof differs from {}", file.display());
        }
    }
}

#[test]
fn every_reference_tree_root_and_leaf_hash() {
    let (reference, tree) = reference_tree();
    assert_eq!(reference.root_hashes_hex.len(), 9);
    for (index, expected) in reference.leaf_hashes_hex.iter().enumerate() {
        assert_eq!(
            tree.leaf_hash(index as u64).unwrap().0.to_vec(),
            hex(expected),
            "leaf {index}"
        );
    }
    for (size, expected) in reference.root_hashes_hex.iter().enumerate() {
        assert_eq!(
            tree.root_at(size as u64).unwrap().0.to_vec(),
            hex(expected),
            "root of size {size}"
        );
    }
    // And growing the tree one leaf at a time, the running root matches at every size.
    let mut growing = MerkleTree::new(MemoryNodeStore::new());
    assert_eq!(growing.root().0.to_vec(), hex(&reference.root_hashes_hex[0]));
    for (input, expected) in reference.leaf_inputs_hex.iter().zip(&reference.root_hashes_hex[1..]) {
        growing.append_leaf_hashes(&[leaf_hash(&hex(input))]).unwrap();
        assert_eq!(growing.root().0.to_vec(), hex(expected));
    }
}

#[test]
fn signed_note_vector_byte_for_byte() {
    let path = vectors_folder().join("signed-note/sign.json");
    let case: SignedNoteCase = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let signer = NoteSigner::parse(&case.signer_key).unwrap();
    assert_eq!(signer.verifier().to_string(), case.verifier_key);
    assert_eq!(note::sign(&case.text, &[&signer]).unwrap(), case.signed_note);

    let verifier = NoteVerifier::parse(&case.verifier_key).unwrap();
    let parsed = note::parse(&case.signed_note).unwrap();
    assert_eq!(parsed.text, case.text);
    let trusted = [verifier];
    let signers = parsed.verify(&trusted, 1).unwrap();
    assert_eq!(signers, vec![&trusted[0]]);
}
