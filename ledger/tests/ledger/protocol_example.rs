//! The ledger example of docs/protocol.md §10.3: the documented bid command is exactly what a
//! bidder signs for the documented envelope, and the envelope holds the documented offer.

use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::encoding::{from_canonical, to_canonical};
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::seal::{Envelope, OpeningKey, SealContext, open_offer};
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Action, Command, Offer};
use sealbid_ledger::types::{LotId, TenderId};

/// The content of the fenced block after `<!-- example: name -->` in docs/protocol.md.
fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/protocol.md");
    let document = std::fs::read_to_string(path).unwrap();
    let marker = format!("<!-- example: {name} -->\n```text\n");
    let start = document.find(&marker).unwrap_or_else(|| panic!("no example {name}")) + marker.len();
    let body = &document[start..];
    body[..body.find("\n```").unwrap()].to_string()
}

#[test]
fn the_documented_bid_command_and_offer() {
    let envelope = Envelope::from_canonical(example("envelope").as_bytes()).unwrap();
    let bidder = IdentityKeyPair::from_seed(&[1; 32]).unwrap();
    let action = Action::SubmitBid {
        tender: TenderId::parse("T-000042").unwrap(),
        lot: LotId::parse("1").unwrap(),
        envelope_sha256: envelope.sha256().unwrap(),
    };
    let command = Command {
        nonce: 1,
        expires_at_ms: 1_800_000_060_000,
        action,
    };
    let signed = SignedMessage::sign(&bidder, &command).unwrap();
    let digest = serde_json::to_string(&envelope.sha256().unwrap()).unwrap();
    assert_eq!(
        example("envelope-sha256"),
        digest,
        "docs/protocol.md should read:\n<!-- example: envelope-sha256 -->\n```text\n{digest}\n```"
    );
    // The digest is SHA-256 over the envelope's RFC 8785 bytes, as the document defines it.
    let documented = ring::digest::digest(&ring::digest::SHA256, example("envelope").as_bytes());
    assert_eq!(envelope.sha256().unwrap().0.as_slice(), documented.as_ref());
    let text = String::from_utf8(to_canonical(&signed).unwrap()).unwrap();
    assert_eq!(
        example("submit-bid-command"),
        text,
        "docs/protocol.md should read:\n<!-- example: submit-bid-command -->\n```text\n{text}\n```"
    );
    // The body sent: the signed message's members and the envelope beside them.
    let mut body = serde_json::to_value(&signed).unwrap();
    body["envelope"] = serde_json::to_value(&envelope).unwrap();
    let body = String::from_utf8(to_canonical(&body).unwrap()).unwrap();
    assert_eq!(
        example("submit-bid-body"),
        body,
        "docs/protocol.md should read:\n<!-- example: submit-bid-body -->\n```text\n{body}\n```"
    );

    let key = OpeningKey::new(CurveScalar::from_bytes(&[0x11; 32]).unwrap());
    let context = SealContext::bid("T-000042", "1", &bidder.public_key().to_string());
    let plaintext = open_offer(&envelope, &context, &key).unwrap();
    assert_eq!(
        String::from_utf8(plaintext.clone()).unwrap(),
        example("envelope-plaintext")
    );
    let offer: Offer = from_canonical(&plaintext).unwrap();
    assert_eq!(offer.bidder, bidder.public_key());
    assert_eq!(offer.price_fen.get(), 123_456_789);
    assert_eq!(offer.quantity_tonnes, None);
}

/// The state hash as docs/protocol.md §6.1 defines it, computed here from the definition: the
/// SHA-256 of the RFC 8785 bytes of `{audit_root, audit_size, state}`.
fn documented_state_hash(ledger: &sealbid_ledger::Ledger<sealbid_crypto::merkle::MemoryNodeStore>) -> [u8; 32] {
    let document = serde_json::json!({
        "audit_root": ledger.audit().root(),
        "audit_size": ledger.audit().size(),
        "state": ledger.snapshot().state,
    });
    let bytes = serde_json_canonicalizer::to_vec(&document).unwrap();
    ring::digest::digest(&ring::digest::SHA256, &bytes)
        .as_ref()
        .try_into()
        .unwrap()
}

#[test]
fn the_state_hash_is_the_sha256_of_the_canonical_state_document() {
    use crate::support::{Harness, lot};
    use sealbid_ledger::types::Market;
    let mut harness = Harness::new(3, 2);
    assert_eq!(harness.ledger.state_hash().0, documented_state_hash(&harness.ledger));
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    harness.bid(&tender, "1", 0, 1_000, None).unwrap();
    harness.bid(&tender, "1", 1, 2_000, None).unwrap();
    let hash = harness.ledger.state_hash();
    assert_eq!(hash.0, documented_state_hash(&harness.ledger));
    harness.close_and_open(&tender);
    assert_ne!(harness.ledger.state_hash(), hash, "the opening changed the state");
    assert_eq!(harness.ledger.state_hash().0, documented_state_hash(&harness.ledger));
}

#[test]
fn the_documented_signed_message_is_a_withdrawal() {
    let message: SignedMessage = from_canonical(example("signed-message").as_bytes()).unwrap();
    let command = sealbid_ledger::state::verify_command(&message).unwrap();
    let expected = Command {
        nonce: 2,
        expires_at_ms: 1_800_000_060_000,
        action: Action::WithdrawBid {
            tender: TenderId::parse("T-000042").unwrap(),
            lot: LotId::parse("1").unwrap(),
        },
    };
    assert_eq!(command, expected);
    let bidder = IdentityKeyPair::from_seed(&[1; 32]).unwrap();
    assert_eq!(SignedMessage::sign(&bidder, &expected).unwrap(), message);
}
