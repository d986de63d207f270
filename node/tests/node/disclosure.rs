//! Nothing public names a bidder while a tender takes bids: every public route, fetched during
//! bidding, holds none of the bidders' keys, names or credit codes, and the tender's public
//! views are the same before and after the bids. Each bidder still verifies its own receipt
//! from the entry in its command's answer; a supervisor's replay of a copy fetched then stops at
//! the first withheld entry and says so. After the close every entry is public and the replay
//! reaches the head.

use reqwest::StatusCode;
use sealbid_api::commands::Receipt;
use sealbid_crypto::encoding::from_canonical;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::leaf_hash;
use sealbid_crypto::note::NoteVerifier;
use sealbid_ledger::command::{Action, Entry, EntryBody};
use sealbid_ledger::types::{LotId, Market, TenderId};
use sealbid_node::checkpoints::verify_checkpoint;
use sealbid_node::participant::{fetch_log_receipt, verify_receipt};
use sealbid_testkit::{bidder, sealed_offer};
use serde_json::Value;

use crate::support::{Platform, now_ms};
use crate::tender::{BIDDING_MS, cast, end_bidding, lot, publish_until, replace, run, submit, wait_closed};

/// The tender's public views: the list, the tender, its bids and key generation, and the
/// participants.
async fn tender_views(platform: &Platform, tender: &TenderId) -> Vec<Value> {
    let mut views = Vec::new();
    for path in [
        "/v1/tenders".to_owned(),
        format!("/v1/tenders/{tender}"),
        format!("/v1/tenders/{tender}/bids"),
        format!("/v1/tenders/{tender}/key-generation"),
        "/v1/participants".to_owned(),
    ] {
        let (status, _, body) = platform.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        views.push(body);
    }
    views
}

/// Every public route's answer as text, with the audit routes for each of `indexes`.
async fn public_answers(platform: &Platform, tender: &TenderId, indexes: &[u64]) -> Vec<(String, String)> {
    let (_, _, head) = platform.get("/v1/audit/head").await;
    let size = head["size"].as_u64().unwrap();
    let mut paths = vec![
        "/v1/tenders".to_owned(),
        format!("/v1/tenders/{tender}"),
        format!("/v1/tenders/{tender}/bids"),
        format!("/v1/tenders/{tender}/key-generation"),
        "/v1/participants".to_owned(),
        format!("/v1/audit/entries?from=0&count={size}"),
        "/v1/audit/head".to_owned(),
        "/v1/audit/checkpoint".to_owned(),
        "/v1/audit/log-key".to_owned(),
        format!("/v1/audit/proof/consistency?from=1&to={size}"),
        "/metrics".to_owned(),
        "/readyz".to_owned(),
        "/openapi.json".to_owned(),
        // Problems anyone can be answered.
        "/v1/tenders/T-999999".to_owned(),
        "/v1/tenders/not-a-tender/bids".to_owned(),
        format!("/v1/audit/receipt?index={}", size + 5),
    ];
    for index in indexes {
        paths.push(format!("/v1/audit/receipt?index={index}"));
        paths.push(format!("/v1/audit/proof/inclusion?index={index}&size={size}"));
    }
    let mut answers = Vec::new();
    for path in paths {
        let (_, text) = platform.get_text(&path).await;
        answers.push((path, text));
    }
    answers
}

/// What names bidder `index` of the cast labelled `label`: its key (base64url, with and without
/// the `ed25519:` prefix), organisation name and credit code.
fn identifiers(label: u8, index: u64) -> Vec<String> {
    let (key, registration) = bidder(u64::from(label) * 1_000 + index).unwrap();
    let Action::RegisterBidder {
        organisation,
        credit_code,
    } = registration
    else {
        panic!("{registration:?}")
    };
    let text = key.public_key().to_string();
    let bare = text.trim_start_matches("ed25519:").to_owned();
    vec![text, bare, organisation, credit_code]
}

/// Bidders 0, 1 and 2 bid, bidder 0 replaces its offer and bidder 1 withdraws; the answers.
async fn bid_on(
    platform: &Platform,
    bidders: &[IdentityKeyPair],
    tender: &TenderId,
    opening_key: &sealbid_crypto::curve::CurvePoint,
) -> Vec<Value> {
    let lot_id = LotId::parse("1").unwrap();
    let mut answers = Vec::new();
    for (index, bidder_key) in bidders.iter().enumerate() {
        let envelope = sealed_offer(tender, &lot_id, bidder_key, 10_000 + index as u64, None, opening_key).unwrap();
        answers.push(submit(platform, bidder_key, tender, &lot_id, &envelope).await);
    }
    let envelope = sealed_offer(tender, &lot_id, &bidders[0], 9_000, None, opening_key).unwrap();
    answers.push(replace(platform, &bidders[0], tender, &lot_id, &envelope).await);
    let withdraw = Action::WithdrawBid {
        tender: tender.clone(),
        lot: lot_id,
    };
    answers.push(run(platform, &bidders[1], withdraw).await);
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_public_names_a_bidder_while_a_tender_takes_bids() {
    const LABEL: u8 = 9;
    let platform = Platform::start().await;
    let mut cast = cast(&platform, LABEL, 3).await;
    let (tender, opening_key) = publish_until(
        &platform,
        &mut cast,
        Market::Procurement,
        lot("1"),
        now_ms() + BIDDING_MS,
    )
    .await;
    let before = tender_views(&platform, &tender).await;
    let answers = bid_on(&platform, &cast.bidders, &tender, &opening_key).await;
    assert_eq!(
        tender_views(&platform, &tender).await,
        before,
        "a public view of the tender moved with its bids"
    );

    let indexes: Vec<u64> = answers
        .iter()
        .map(|answer| answer["audit_index"].as_u64().unwrap())
        .collect();
    let mut secrets: Vec<String> = (0..3).flat_map(|index| identifiers(LABEL, index)).collect();
    // The address every command came from (this test's client) is for supervisors only.
    secrets.push("127.0.0.1".into());
    for (path, text) in public_answers(&platform, &tender, &indexes).await {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{path} names a bidder ({secret}): {text}"
            );
        }
    }
    let (_, _, entries) = platform
        .get(&format!("/v1/audit/entries?from={}&count=1", indexes[0]))
        .await;
    assert_eq!(entries[0]["withheld"]["kind"], "submit_bid", "{entries}");
    assert_eq!(
        entries[0]["withheld"]["leaf_hash"], answers[0]["leaf_hash"],
        "{entries}"
    );

    // Each bidder's answer carries its own entry: its signed command, hashing to the leaf, and
    // the bidder's receipt verifies against the log while the log withholds the entry.
    let client = sealbid_api::client::Client::new(&platform.base, &platform.authority).unwrap();
    let log_key = NoteVerifier::parse(&client.log_key().await.unwrap().verifier_key).unwrap();
    let current = verify_checkpoint(&client.checkpoint().await.unwrap(), &log_key).unwrap();
    let signers = [0, 1, 2, 0, 1].map(|index: usize| cast.bidders[index].public_key());
    for (answer, signer) in answers.iter().zip(signers) {
        let receipt: Receipt = serde_json::from_value(answer.clone()).unwrap();
        assert_eq!(leaf_hash(receipt.entry.as_bytes()), receipt.leaf_hash);
        let entry: Entry = from_canonical(receipt.entry.as_bytes()).unwrap();
        let EntryBody::Command(received) = entry.body else {
            panic!("{entry:?}")
        };
        assert_eq!(received.signed.signer, signer);
        let saved = fetch_log_receipt(&client, receipt).await.unwrap();
        verify_receipt(
            &client,
            &log_key,
            &current,
            &saved,
            &sealbid_node::witness::Requirement::default(),
        )
        .await
        .unwrap();
    }

    // A supervisor's copy fetched now checks every leaf but replays only up to the first
    // withheld entry: the first bidder's registration.
    let (copy, entries) = sealbid_node::audit::fetch(&client, None, |_, _| {}).await.unwrap();
    let checkpoint = verify_checkpoint(&copy.checkpoint, &log_key).unwrap();
    let report = sealbid_node::audit::verify(&copy.head, &[checkpoint], &entries, |_| {}).unwrap();
    let first_registration = entries.iter().position(|entry| entry.text().is_none()).unwrap() as u64;
    assert_eq!(report.first_not_replayed, Some(first_registration));
    assert_eq!(report.replayed, first_registration);
    assert_eq!(
        report.withheld,
        3 * 2 + 5,
        "three registrations, three approvals and five bid entries"
    );
    assert!(!report.state_hash_checked);
    assert_eq!(report.entries, copy.head.size);

    // After the close every entry is public, and the replay reaches the head.
    end_bidding(&platform, &cast, &tender).await;
    wait_closed(&platform, &tender).await;
    let (copy, entries) = sealbid_node::audit::fetch(&client, None, |_, _| {}).await.unwrap();
    assert!(entries.iter().all(|entry| entry.text().is_some()));
    let checkpoint = verify_checkpoint(&copy.checkpoint, &log_key).unwrap();
    let report = sealbid_node::audit::verify(&copy.head, &[checkpoint], &entries, |_| {}).unwrap();
    assert_eq!((report.replayed, report.withheld), (copy.head.size, 0));
    assert!(report.state_hash_checked);
    let (_, _, bids) = platform.get(&format!("/v1/tenders/{tender}/bids")).await;
    assert_eq!(bids["sealed"]["counts"]["1"], 2, "{bids}");
    platform.stop().await;
}
