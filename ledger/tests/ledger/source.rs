//! A command's source address: committed to in the leaf by a salted hash, carried beside it for
//! supervisors, never in the leaf's bytes; a source that does not match its commitment is
//! refused and changes nothing.

use std::net::IpAddr;
use std::rc::Rc;

use sealbid_crypto::merkle::leaf_hash;
use sealbid_ledger::command::{Action, EntryBody, Source};
use sealbid_ledger::types::{LotId, Market};
use sealbid_ledger::{ApplyError, Rejection};

use crate::support::{Harness, lot};

/// `body`'s command stamped as come from `source` (its commitment `commitment`).
fn stamped(body: EntryBody, source: Source, commitment: sealbid_crypto::merkle::Hash) -> EntryBody {
    let EntryBody::Command(mut received) = body else {
        panic!("a command body")
    };
    received.arrival.source = Some(source);
    received.arrival.source_sha256 = Some(commitment);
    EntryBody::Command(received)
}

/// Bidder 0's sealed bid on lot 1 of a new tender, signed, as node 1 received it.
fn bid_body(harness: &mut Harness) -> EntryBody {
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    let envelope = harness.seal_offer(&tender, "1", 0, 100, None);
    let bidder = Rc::clone(&harness.bidders[0]);
    let signed = harness.sign(
        &bidder,
        Action::SubmitBid {
            tender,
            lot: LotId::parse("1").unwrap(),
            envelope_sha256: harness.carry(envelope),
        },
    );
    harness.received(signed)
}

#[test]
fn the_leaf_commits_to_the_source_without_holding_it() {
    let mut harness = Harness::new(3, 1);
    let body = bid_body(&mut harness);
    let source = Source {
        address: "203.0.113.7".parse::<IpAddr>().unwrap(),
        salt: [0x2a; 16],
    };
    let with_source = stamped(body, source, source.commitment());
    let applied = harness.apply(with_source.clone()).unwrap();
    let leaf_text = String::from_utf8(applied.entry_bytes.clone()).unwrap();
    assert!(!leaf_text.contains("203.0.113.7"), "{leaf_text}");
    assert!(!leaf_text.contains("\"source\""), "{leaf_text}");
    assert!(leaf_text.contains("\"source_sha256\""), "{leaf_text}");
    assert_eq!(applied.leaf_hash, leaf_hash(&applied.entry_bytes));
    // The leaf is the entry without its source: the same as the leaf of an entry that never
    // carried one, commitment kept.
    let entry = harness.log.last().unwrap().clone();
    let leaf_entry = entry.leaf_form().unwrap();
    assert_eq!(
        sealbid_crypto::encoding::to_canonical(&leaf_entry).unwrap(),
        applied.entry_bytes
    );
    assert!(leaf_entry.leaf_form().is_none());
}

#[test]
fn a_source_that_does_not_match_its_commitment_is_refused() {
    let mut harness = Harness::new(3, 1);
    let body = bid_body(&mut harness);
    let source = Source {
        address: "198.51.100.1".parse::<IpAddr>().unwrap(),
        salt: [7; 16],
    };
    let other = Source {
        address: "198.51.100.2".parse::<IpAddr>().unwrap(),
        ..source
    };
    let (size, state_hash) = (harness.ledger.audit().size(), harness.ledger.state_hash());
    let refused = harness.apply(stamped(body, source, other.commitment()));
    assert!(
        matches!(refused, Err(ApplyError::Rejected(Rejection::Malformed(_)))),
        "{refused:?}"
    );
    assert_eq!(
        (harness.ledger.audit().size(), harness.ledger.state_hash()),
        (size, state_hash)
    );
}

/// docs/protocol.md §10.1's example: the commitment to 203.0.113.7 with a salt of 16 × 0x2a.
#[test]
fn the_documented_source_commitment() {
    let source = Source {
        address: "203.0.113.7".parse::<IpAddr>().unwrap(),
        salt: [0x2a; 16],
    };
    let text = format!(
        "{}\n{}",
        serde_json::to_string(&source).unwrap(),
        serde_json::to_string(&source.commitment()).unwrap()
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/protocol.md");
    let document = std::fs::read_to_string(path).unwrap();
    assert!(
        document.contains(&format!("<!-- example: source-commitment -->\n```text\n{text}\n```")),
        "docs/protocol.md should read:\n<!-- example: source-commitment -->\n```text\n{text}\n```"
    );
}
