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

mod cosignatures {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use ring::digest::{SHA256, digest};
    use sealbid_crypto::cosignature::{CosignatureError, Cosigner, CosignerVerifier, signed_message};
    use sealbid_crypto::identity::IdentityKeyPair;
    use sealbid_crypto::note::{self, NoteError};

    use super::{ORIGIN, receipt_for, signer};

    fn cosigner(name: &str, seed: u8) -> Cosigner {
        Cosigner::new(name, IdentityKeyPair::from_seed(&[seed; 32]).unwrap()).unwrap()
    }

    #[test]
    fn the_signed_message_is_the_header_the_time_and_the_whole_checkpoint() {
        // The example of C2SP tlog-cosignature's "Ed25519 signed message".
        let body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(
            signed_message(body, 1_679_315_147),
            b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }

    #[test]
    fn the_key_id_and_key_text_follow_signature_type_4() {
        let witness = cosigner("witness.example/w1", 7);
        let public = IdentityKeyPair::from_seed(&[7; 32]).unwrap().public_key();
        let mut input = b"witness.example/w1\n\x04".to_vec();
        input.extend_from_slice(&public.0);
        let hash = digest(&SHA256, &input);
        let expected = u32::from_be_bytes(hash.as_ref()[..4].try_into().unwrap());
        assert_eq!(witness.verifier().key_id, expected);
        let text = witness.verifier().to_string();
        let mut key_bytes = vec![0x04];
        key_bytes.extend_from_slice(&public.0);
        assert_eq!(
            text,
            format!("witness.example/w1+{expected:08x}+{}", STANDARD.encode(key_bytes))
        );
        assert_eq!(CosignerVerifier::parse(&text).unwrap(), *witness.verifier());
        // A log key (type 0x01) is not a witness key, and a wrong id is refused.
        let log_key = signer("witness.example/w1", 7).verifier().to_string();
        assert_eq!(CosignerVerifier::parse(&log_key), Err(NoteError::MalformedKey));
        let wrong_id = text.replacen(&format!("{expected:08x}"), "00000000", 1);
        assert_eq!(CosignerVerifier::parse(&wrong_id), Err(NoteError::KeyIdMismatch));
    }

    #[test]
    fn a_cosigned_checkpoint_verifies_for_the_log_and_the_witness_and_fails_when_changed() {
        let node = signer(ORIGIN, 1);
        let receipt = receipt_for(5, 0, &node);
        let checkpoint = note::parse(&receipt.checkpoint).unwrap();
        let witness = cosigner("supervisor.example/li", 9);
        let line = witness.cosignature_line(&checkpoint, 1_700_000_000).unwrap();
        // The line is the key id, the timestamp big-endian and the signature.
        let encoded = line.trim_end().rsplit(' ').next().unwrap();
        let bytes = STANDARD.decode(encoded).unwrap();
        assert_eq!(bytes.len(), 4 + 8 + 64);
        assert_eq!(bytes[4..12], 1_700_000_000u64.to_be_bytes());
        let cosigned = format!("{}{line}", receipt.checkpoint);
        let parsed = note::parse(&cosigned).unwrap();
        assert_eq!(
            witness.verifier().verify(&parsed).unwrap().timestamp_seconds,
            1_700_000_000
        );
        // The log's own signature still counts, the witness's line is not one of its keys.
        parsed.verify(std::slice::from_ref(node.verifier()), 1).unwrap();
        // Another witness has not signed; a changed root breaks the cosignature.
        let other = cosigner("supervisor.example/wang", 10);
        assert_eq!(
            other.verifier().verify(&parsed),
            Err(CosignatureError::Missing("supervisor.example/wang".into()))
        );
        let mut changed = parsed.clone();
        changed.text = changed.text.replace("\n5\n", "\n6\n");
        assert_eq!(
            witness.verifier().verify(&changed),
            Err(CosignatureError::BadSignature("supervisor.example/li".into()))
        );
        // A plain signature under the witness's name and id is not a timestamped one.
        let mut short = parsed;
        let position = short
            .signatures
            .iter()
            .position(|signature| witness.verifier().names(signature))
            .unwrap();
        short.signatures[position].signature.truncate(64);
        assert_eq!(
            witness.verifier().verify(&short),
            Err(CosignatureError::Malformed("supervisor.example/li".into()))
        );
        assert!(witness.cosignature_line(&checkpoint, u64::MAX).is_err());
    }
}
