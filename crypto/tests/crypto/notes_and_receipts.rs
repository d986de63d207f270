//! Signed notes, checkpoints and receipts: the happy path and every way they can be wrong.

use proptest::prelude::*;
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::{Hash, MemoryNodeStore, MerkleTree, ProofError, leaf_hash};
use sealbid_crypto::note::{self, NoteError, NoteSigner, NoteVerifier};
use sealbid_crypto::receipt::{Receipt, ReceiptError};

const ORIGIN: &str = "sealbid.test/trading-centre";

fn signer(name: &str, seed: u8) -> NoteSigner {
    NoteSigner::new(name, IdentityKeyPair::from_seed(&[seed; 32]).unwrap()).unwrap()
}

/// A log of `count` entries, a checkpoint signed by `node`, and the receipt of entry `index`.
fn receipt_for(count: u64, index: u64, node: &NoteSigner) -> Receipt {
    let mut tree = MerkleTree::new(MemoryNodeStore::new());
    let entries: Vec<Hash> = (0..count)
        .map(|entry| leaf_hash(format!("entry {entry}").as_bytes()))
        .collect();
    tree.append_leaf_hashes(&entries).unwrap();
    let checkpoint = Checkpoint::new(ORIGIN, tree.size(), tree.root());
    Receipt {
        origin: ORIGIN.into(),
        index,
        leaf_hash: entries[index as usize],
        checkpoint: note::sign(&checkpoint.to_text(), &[node]).unwrap(),
        inclusion_proof: tree.inclusion_proof(index, count).unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn receipts_verify_for_every_entry(count in 1u64..500, pick in any::<prop::sample::Index>()) {
        let node = signer("node-1", 1);
        let index = pick.index(count as usize) as u64;
        let receipt = receipt_for(count, index, &node);
        let checkpoint = receipt.verify(ORIGIN, &[node.verifier().clone()], 1).unwrap();
        prop_assert_eq!(checkpoint.size, count);
        let reparsed = Receipt::from_canonical(&receipt.to_canonical().unwrap()).unwrap();
        prop_assert_eq!(reparsed, receipt);
    }
}

#[test]
fn a_receipt_is_refused_for_each_kind_of_forgery() {
    let node = signer("node-1", 1);
    let trusted = [node.verifier().clone()];
    let receipt = receipt_for(10, 3, &node);

    let stranger = signer("node-1", 2);
    let by_stranger = receipt_for(10, 3, &stranger);
    assert_eq!(
        by_stranger.verify(ORIGIN, &trusted, 1),
        Err(ReceiptError::Note(NoteError::NotEnoughSignatures {
            found: 0,
            required: 1
        }))
    );

    let mut other_leaf = receipt.clone();
    other_leaf.leaf_hash = leaf_hash(b"entry 4");
    assert_eq!(
        other_leaf.verify(ORIGIN, &trusted, 1),
        Err(ReceiptError::Proof(ProofError::RootMismatch))
    );

    let mut other_index = receipt.clone();
    other_index.index = 4;
    assert!(matches!(
        other_index.verify(ORIGIN, &trusted, 1),
        Err(ReceiptError::Proof(_))
    ));

    let mut other_log = receipt.clone();
    other_log.origin = "sealbid.test/another-centre".into();
    assert!(matches!(
        other_log.verify(ORIGIN, &trusted, 1),
        Err(ReceiptError::OriginMismatch { .. })
    ));

    let mut rewritten = receipt.clone();
    rewritten.checkpoint = rewritten.checkpoint.replacen("\n10\n", "\n11\n", 1);
    assert_eq!(
        rewritten.verify(ORIGIN, &trusted, 1),
        Err(ReceiptError::Note(NoteError::BadSignature("node-1".into())))
    );

    let mut long_proof = receipt.clone();
    long_proof.inclusion_proof = vec![Hash([0; 32]); 65];
    assert_eq!(long_proof.verify(ORIGIN, &trusted, 1), Err(ReceiptError::ProofTooLong));

    // A genuine receipt of another log signed by the same node is not a receipt of this log.
    assert!(matches!(
        receipt.verify("sealbid.test/another-centre", &trusted, 1),
        Err(ReceiptError::OriginMismatch { .. })
    ));
    assert!(receipt.matches_entry(b"entry 3"));
    assert!(!receipt.matches_entry(b"entry 4"));

    assert_eq!(
        receipt.verify(ORIGIN, &trusted, 2),
        Err(ReceiptError::Note(NoteError::NotEnoughSignatures {
            found: 1,
            required: 2
        }))
    );
}

#[test]
fn a_witness_cosigns_and_both_signatures_count() {
    let node = signer("node-1", 1);
    let witness = signer("supervisor-li", 9);
    let mut receipt = receipt_for(5, 0, &node);
    receipt.checkpoint = note::cosign(&receipt.checkpoint, &[&witness]).unwrap();
    let trusted = [node.verifier().clone(), witness.verifier().clone()];
    receipt.verify(ORIGIN, &trusted, 2).unwrap();
    let signers = note::parse(&receipt.checkpoint).unwrap().verify(&trusted, 2).unwrap();
    assert_eq!(signers.len(), 2);
    // The same key signing twice still counts once.
    let doubled = note::cosign(&receipt.checkpoint, &[&witness]).unwrap();
    assert_eq!(
        note::parse(&doubled).unwrap().verify(&trusted[1..], 2),
        Err(NoteError::NotEnoughSignatures { found: 1, required: 2 })
    );
}

#[test]
fn malformed_notes_and_keys_are_refused() {
    let node = signer("node-1", 1);
    let good = note::sign("log\n1\nAAAA\n", &[&node]).unwrap();
    assert!(note::parse(&good).is_ok());
    for bad in [
        String::new(),
        "text without signatures\n".into(),
        good.replace('\u{2014}', "-"),
        good.trim_end().to_string(),
        good.replacen("log", "lo\u{7}g", 1),
        format!("{good}\u{2014} node-1 !!!!\n"),
        format!("{good}\u{2014} node-1 AAAA\n"),
        "no final newline\n\n\u{2014} a AAAAAAA=\n".replace("no final newline\n", "no final newline"),
    ] {
        assert!(note::parse(&bad).is_err(), "{bad:?}");
    }
    let too_many = std::iter::repeat_n(good.lines().last().unwrap().to_string() + "\n", 101).collect::<String>();
    assert!(note::parse(&format!("log\n1\nAAAA\n\n{too_many}")).is_err());

    assert_eq!(
        note::sign("no newline", &[&node]),
        Err(NoteError::MalformedText("the text must end with a newline"))
    );
    assert!(NoteSigner::new("two words", IdentityKeyPair::from_seed(&[1; 32]).unwrap()).is_err());
    assert!(NoteSigner::new("a+b", IdentityKeyPair::from_seed(&[1; 32]).unwrap()).is_err());
    let verifier = node.verifier().to_string();
    assert_eq!(NoteVerifier::parse(&verifier).unwrap(), *node.verifier());
    let id = verifier.split('+').nth(1).unwrap();
    let wrong_id = verifier.replacen(id, if id == "00000000" { "00000001" } else { "00000000" }, 1);
    assert_eq!(NoteVerifier::parse(&wrong_id), Err(NoteError::KeyIdMismatch));
    let renamed = verifier.replacen("node-1", "node-2", 1);
    assert_eq!(NoteVerifier::parse(&renamed), Err(NoteError::KeyIdMismatch));
    for bad in ["", "node-1", "node-1+zzzzzzzz+AQ==", "PRIVATE+KEY+node-1+00000000+AQ=="] {
        assert!(NoteVerifier::parse(bad).is_err(), "{bad}");
        assert!(NoteSigner::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_trusted_key_with_a_wrong_signature_is_an_error_not_a_skip() {
    let node = signer("node-1", 1);
    let signed = note::sign("log\n1\nAAAA\n", &[&node]).unwrap();
    let other_text = signed.replacen("log\n", "gol\n", 1);
    assert_eq!(
        note::parse(&other_text).unwrap().verify(&[node.verifier().clone()], 1),
        Err(NoteError::BadSignature("node-1".into()))
    );
}
