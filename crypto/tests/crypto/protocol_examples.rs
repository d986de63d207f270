//! The worked examples in docs/protocol.md are checked here: each block the document shows is
//! recomputed (or, for the one envelope made with fresh randomness, opened) and must match to
//! the byte. On a mismatch the test prints the blocks as they should read.

use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::sec1::FromSec1Point;
use p256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar};
use ring::rand::SystemRandom;
use ring::{aead, hkdf};
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::cosignature::{Cosigner, CosignerVerifier};
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{CommitteeOutcome, ReleasedShare};
use sealbid_crypto::encoding::to_canonical;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::{MemoryNodeStore, MerkleTree, leaf_hash};
use sealbid_crypto::note::{self, NoteSigner, NoteVerifier};
use sealbid_crypto::receipt::Receipt;
use sealbid_crypto::seal::{Envelope, OpeningKey, SealContext, Suite, open_offer, seal_offer};
use sealbid_crypto::signed::SignedMessage;

use crate::support::repository_root;

/// The examples of docs/protocol.md, and what differs from them.
struct Examples {
    /// The document's text.
    document: String,
    /// Blocks as they should read, for every example that differs.
    mismatches: Vec<String>,
}

impl Examples {
    fn load() -> Self {
        let document = std::fs::read_to_string(repository_root().join("docs/protocol.md")).unwrap();
        Self {
            document,
            mismatches: Vec::new(),
        }
    }

    /// The content of the fenced block right after `<!-- example: name -->`.
    fn get(&self, name: &str) -> Option<String> {
        let marker = format!("<!-- example: {name} -->\n```");
        let start = self.document.find(&marker)? + marker.len();
        let body = &self.document[start..];
        let body = &body[body.find('\n')? + 1..];
        Some(body[..body.find("\n```")?].to_string())
    }

    /// Records a mismatch between the document and `computed`.
    fn check(&mut self, name: &str, computed: &str) {
        if self.get(name).as_deref() != Some(computed) {
            self.mismatches
                .push(format!("<!-- example: {name} -->\n```text\n{computed}\n```"));
        }
    }

    fn finish(self) {
        assert!(
            self.mismatches.is_empty(),
            "docs/protocol.md should read:\n\n{}",
            self.mismatches.join("\n\n")
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

/// The bidder of every example: Ed25519 seed 32 × 0x01.
fn bidder() -> IdentityKeyPair {
    IdentityKeyPair::from_seed(&[1; 32]).unwrap()
}

#[test]
fn identity_and_signed_message_examples() {
    let mut examples = Examples::load();
    examples.check("identity-public-key", &bidder().public_key().to_string());
    // A withdraw_bid command (§10.2), written as JSON: this crate cannot name the ledger's types;
    // ledger/tests/ledger/protocol_example.rs checks that the block is that command.
    let payload = serde_json::json!({
        "action": { "withdraw_bid": { "lot": "1", "tender": "T-000042" } },
        "expires_at_ms": 1_800_000_060_000u64,
        "nonce": 2,
    });
    let message = SignedMessage::sign(&bidder(), &payload).unwrap();
    examples.check("signed-message", &text(to_canonical(&message).unwrap()));
    examples.finish();
}

#[test]
fn envelope_example_opens_and_its_key_schedule_matches() {
    let mut examples = Examples::load();
    let secret = CurveScalar::from_bytes(&[0x11; 32]).unwrap();
    let key = OpeningKey::new(secret);
    examples.check("opening-public-key", &hex(&key.public_point().to_compressed()));
    let context = SealContext::bid("T-000042", "1", &bidder().public_key().to_string());
    let associated_data = context.associated_data(Suite::P256HkdfSha256Aes256Gcm).unwrap();
    examples.check("seal-associated-data", &text(associated_data.clone()));
    let plaintext = examples
        .get("envelope-plaintext")
        .expect("the envelope-plaintext example");

    let envelope = match examples
        .get("envelope")
        .map(|json| Envelope::from_canonical(json.as_bytes()))
    {
        Some(Ok(envelope)) if open_offer(&envelope, &context, &key).is_ok() => envelope,
        _ => {
            let fresh = seal_offer(
                plaintext.as_bytes(),
                &context,
                &key.public_point(),
                &SystemRandom::new(),
            )
            .unwrap();
            examples.check("envelope", &text(fresh.to_canonical().unwrap()));
            fresh
        }
    };
    assert_eq!(open_offer(&envelope, &context, &key).unwrap(), plaintext.as_bytes());

    // The key schedule, recomputed here with p256 and ring directly, as a client would.
    let ephemeral = AffinePoint::from_sec1_bytes(&envelope.ephemeral_key).unwrap();
    let secret_scalar = Option::<Scalar>::from(<Scalar as p256::elliptic_curve::PrimeField>::from_repr(
        FieldBytes::from([0x11u8; 32]),
    ))
    .unwrap();
    let shared = (ProjectivePoint::from(ephemeral) * secret_scalar).to_affine().x();
    let salt = [
        envelope.ephemeral_key.clone(),
        key.public_point().to_uncompressed().to_vec(),
    ]
    .concat();
    let info = [b"sealbid/envelope/v1".as_slice(), &[0], &associated_data].concat();
    struct Length;
    impl hkdf::KeyType for Length {
        fn len(&self) -> usize {
            44
        }
    }
    let mut material = [0u8; 44];
    hkdf::Salt::new(hkdf::HKDF_SHA256, &salt)
        .extract(shared.as_slice())
        .expand(&[&info], Length)
        .unwrap()
        .fill(&mut material)
        .unwrap();
    let schedule = format!(
        "shared secret  {}\nhkdf salt      {}\nhkdf info      {}\naes-256 key    {}\ngcm nonce      {}",
        hex(shared.as_slice()),
        hex(&salt),
        hex(&info),
        hex(&material[..32]),
        hex(&material[32..])
    );
    examples.check("envelope-key-schedule", &schedule);

    // Decrypted with that key and nonce, the plaintext is the offer padded as §4.2 says.
    let aes_key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, &material[..32]).unwrap());
    let nonce = aead::Nonce::try_assume_unique_for_key(&material[32..]).unwrap();
    let mut buffer = envelope.ciphertext.clone();
    let padded = aes_key
        .open_in_place(nonce, aead::Aad::from(&associated_data), &mut buffer)
        .unwrap();
    let mut expected = plaintext.as_bytes().to_vec();
    expected.push(0x80);
    expected.resize(256, 0);
    assert_eq!(
        padded,
        expected.as_slice(),
        "the offer, 80, then 00 bytes up to 256 in all"
    );
    examples.finish();
}

#[test]
fn committee_example_rebuilds_the_documented_secret() {
    let mut examples = Examples::load();
    let scalar = |value: u8| {
        let mut bytes = [0u8; 32];
        bytes[31] = value;
        CurveScalar::from_bytes(&bytes).unwrap()
    };
    // f(z) = 7 + 11·z: the sum of the qualified dealers' polynomials in a 2-of-3 committee.
    let outcome = CommitteeOutcome {
        session: "T-000042".into(),
        threshold: 2,
        member_count: 3,
        opening_key: scalar(7).public_point(),
        qualified_dealers: vec![1, 2, 3],
        commitments: vec![scalar(7).public_point(), scalar(11).public_point()],
        faults: vec![],
    };
    examples.check("dkg-outcome", &text(to_canonical(&outcome).unwrap()));
    for (member, value) in [(1u16, 18u8), (3, 40)] {
        let share = ReleasedShare {
            session: "T-000042".into(),
            member,
            share: scalar(value),
        };
        examples.check(
            &format!("dkg-released-share-{member}"),
            &text(to_canonical(&share).unwrap()),
        );
    }
    // What a supervisor does with the documented messages alone.
    let documented: CommitteeOutcome =
        sealbid_crypto::encoding::from_canonical(examples.get("dkg-outcome").unwrap_or_default().as_bytes())
            .unwrap_or(outcome);
    let shares: Vec<ReleasedShare> = [1, 3]
        .iter()
        .filter_map(|member| examples.get(&format!("dkg-released-share-{member}")))
        .filter_map(|json| sealbid_crypto::encoding::from_canonical(json.as_bytes()).ok())
        .collect();
    if shares.len() == 2 {
        let key = documented.rebuild(&shares).unwrap();
        examples.check("dkg-rebuilt-secret", &hex(&key.secret().to_bytes()));
    }
    examples.finish();
}

#[test]
fn log_checkpoint_and_receipt_examples() {
    let mut examples = Examples::load();
    let mut tree = MerkleTree::new(MemoryNodeStore::new());
    let leaves: Vec<_> = ["entry 0", "entry 1", "entry 2"]
        .iter()
        .map(|entry| leaf_hash(entry.as_bytes()))
        .collect();
    tree.append_leaf_hashes(&leaves).unwrap();
    let lines: Vec<String> = leaves
        .iter()
        .enumerate()
        .map(|(index, leaf)| format!("leaf {index}  {}", hex(&leaf.0)))
        .collect();
    examples.check(
        "merkle-leaves-and-root",
        &format!("{}\nroot    {}", lines.join("\n"), hex(&tree.root().0)),
    );

    let node = NoteSigner::new("node-1", IdentityKeyPair::from_seed(&[2; 32]).unwrap()).unwrap();
    examples.check("note-verifier-key", &node.verifier().to_string());
    let checkpoint = Checkpoint::new("sealbid.example/city-centre", tree.size(), tree.root());
    let signed = note::sign(&checkpoint.to_text(), &[&node]).unwrap();
    examples.check("signed-checkpoint", signed.trim_end_matches('\n'));
    let receipt = Receipt {
        origin: checkpoint.origin.clone(),
        index: 1,
        leaf_hash: leaves[1],
        checkpoint: signed,
        inclusion_proof: tree.inclusion_proof(1, 3).unwrap(),
    };
    examples.check("receipt", &text(receipt.to_canonical().unwrap()));

    // A witness with the seed 03 … 03 co-signs that checkpoint at 2027-01-01T00:00:00Z.
    let witness = Cosigner::new("witness.example/w1", IdentityKeyPair::from_seed(&[3; 32]).unwrap()).unwrap();
    examples.check("witness-verifier-key", &witness.verifier().to_string());
    let line = witness
        .cosignature_line(&note::parse(&receipt.checkpoint).unwrap(), 1_798_761_600)
        .unwrap();
    let cosigned = format!("{}{line}", receipt.checkpoint);
    examples.check("cosigned-checkpoint", cosigned.trim_end_matches('\n'));
    if let (true, Some(key), Some(documented)) = (
        examples.mismatches.is_empty(),
        examples.get("witness-verifier-key"),
        examples.get("cosigned-checkpoint"),
    ) {
        let verifier = CosignerVerifier::parse(&key).unwrap();
        let note = note::parse(&format!("{documented}\n")).unwrap();
        assert_eq!(verifier.verify(&note).unwrap().timestamp_seconds, 1_798_761_600);
    }

    // The documented receipt verifies under the documented key (once the document is current).
    if let (true, Some(json), Some(key)) = (
        examples.mismatches.is_empty(),
        examples.get("receipt"),
        examples.get("note-verifier-key"),
    ) {
        let documented = Receipt::from_canonical(json.as_bytes()).unwrap();
        documented
            .verify("sealbid.example/city-centre", &[NoteVerifier::parse(&key).unwrap()], 1)
            .unwrap();
    }
    examples.finish();
}
