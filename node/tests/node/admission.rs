//! Admission at the edge and on time by arrival, against the real application over HTTPS: a
//! command refused before it is proposed leaves the audit log and the Raft log as they were; a
//! command sent again is answered from the nonce index; a node at its bound answers busy at
//! once; a bid is on time if it arrived before the deadline, however late it reaches the
//! leader; the leader closes bidding by itself. Time moves through a manual clock, not sleeps.

use std::sync::Arc;

use reqwest::StatusCode;
use sealbid_api::commands::CommandBody;
use sealbid_consensus::clock::{Clock, ManualClock, SystemClock};
use sealbid_consensus::{LedgerReply, SubmitError};
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Action, Command, EntryBody, LedgerConfig, LotSpec};
use sealbid_ledger::types::{LotId, Market, Role, TenderId};
use sealbid_node::Layer;
use sealbid_testkit::{bidder, grant, key, sealed_offer, submission};
use serde_json::Value;

use crate::support::{Platform, now_ms};
use crate::tender::{cast, publish_until, run, wait_closed};

/// The leader's raft log length, in-process.
fn last_log_index(platform: &Platform) -> Option<u64> {
    let application = platform.application.as_ref().expect("an in-process platform");
    application.replica.raft.metrics().borrow().last_log_index
}

/// Posts `body`, expects the problem `code` with `status`, and checks that neither the audit
/// log nor the Raft log moved.
async fn refused_unlogged(platform: &Platform, body: &impl serde::Serialize, status: StatusCode, code: &str) -> Value {
    let before = (platform.log_position().await, last_log_index(platform));
    let counted = format!("sealbid_admission_refusals_total{{code=\"{code}\"}}");
    let refusals_before = platform.metric(&counted).await;
    let (answer_status, content_type, answer) = platform.post("/v1/commands", body).await;
    assert_eq!(answer_status, status, "{answer}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(answer["code"], code, "{answer}");
    let after = (platform.log_position().await, last_log_index(platform));
    assert_eq!(after, before, "{code}: the refused command reached a log");
    assert_eq!(platform.metric(&counted).await, refusals_before + 1.0, "{counted}");
    answer
}

#[tokio::test]
async fn refused_commands_never_enter_the_log_and_a_resent_one_is_answered_from_the_nonce_index() {
    let platform = Platform::start().await;
    let operator = &platform.operator;
    let office = key(7, 1).unwrap();
    let grant_office = platform.sign(operator, grant(&office, Role::Office, "Office"));

    // A bad signature.
    let mut forged = grant_office.clone();
    forged.signature = sealbid_crypto::identity::Signature([9; 64]);
    refused_unlogged(&platform, &forged, StatusCode::UNAUTHORIZED, "bad-signature").await;

    // Signed, but not canonical JSON (a space inside).
    let spaced = grant_office.payload.replacen(':', ": ", 1);
    let spaced = SignedMessage {
        signature: operator.sign(spaced.as_bytes()),
        payload: spaced,
        signer: operator.public_key(),
    };
    refused_unlogged(&platform, &spaced, StatusCode::BAD_REQUEST, "malformed-command").await;

    // Expired ten seconds ago (beyond the arrival window, so at any timestamp the leader could
    // give it).
    let expired = SignedMessage::sign(
        operator,
        &Command {
            nonce: 1_000_001,
            expires_at_ms: now_ms() - 10_000,
            action: grant(&office, Role::Office, "Office"),
        },
    )
    .unwrap();
    refused_unlogged(&platform, &expired, StatusCode::UNPROCESSABLE_ENTITY, "expired-command").await;

    // A stranger's key, acting as the admin.
    let stranger = key(7, 2).unwrap();
    let by_stranger = platform.sign(&stranger, grant(&office, Role::Office, "Office"));
    let answer = refused_unlogged(&platform, &by_stranger, StatusCode::FORBIDDEN, "missing-role").await;
    assert!(answer["detail"].as_str().unwrap().contains("Admin"), "{answer}");

    // Applied once: a new entry in both logs, with its answer.
    let before = (platform.log_position().await, last_log_index(&platform));
    let (status, _, receipt) = platform.post("/v1/commands", &grant_office).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["replayed"], false);
    let after = (platform.log_position().await, last_log_index(&platform));
    assert_eq!(after.0.0, before.0.0 + 1, "one audit entry");
    assert!(after.1 > before.1, "one Raft entry");

    // Sent again: the same receipt and the original response, and no log moves.
    let (status, _, again) = platform.post("/v1/commands", &grant_office).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["replayed"], true);
    assert_eq!(again["audit_index"], receipt["audit_index"]);
    assert_eq!(again["leaf_hash"], receipt["leaf_hash"]);
    assert_eq!(again["response"], receipt["response"], "the original response");
    assert_eq!((platform.log_position().await, last_log_index(&platform)), after);
    platform.stop().await;
}

#[tokio::test]
async fn a_node_at_its_bound_answers_busy_at_once_and_stamps_nothing() {
    let overrides = Layer {
        commands_in_flight_max: Some(2),
        ..Layer::default()
    };
    let platform = Platform::start_with(overrides, Arc::new(SystemClock)).await;
    let replica = Arc::clone(&platform.application.as_ref().unwrap().replica);
    let office = key(8, 1).unwrap();
    let command = platform.sign(&platform.operator, grant(&office, Role::Office, "Office"));

    let held = [replica.reserve_command().unwrap(), replica.reserve_command().unwrap()];
    assert_eq!(replica.commands_in_flight(), 2);
    assert_eq!(platform.metric("sealbid_commands_in_flight").await, 2.0);
    let before = (platform.log_position().await, last_log_index(&platform));
    let response = platform
        .http
        .post(format!("{}/v1/commands", platform.base))
        .json(&command)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "busy", "{problem}");
    assert_eq!(problem["retry_after_seconds"], 1, "{problem}");
    assert_eq!((platform.log_position().await, last_log_index(&platform)), before);
    assert_eq!(platform.metric("sealbid_busy_answers_total").await, 1.0);

    // Once a place is free, the same signed command is applied.
    drop(held);
    assert_eq!(replica.commands_in_flight(), 0);
    assert_eq!(platform.metric("sealbid_commands_in_flight").await, 0.0);
    let (status, _, receipt) = platform.post("/v1/commands", &command).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["replayed"], false);
    platform.stop().await;
}

/// A bidder's first bid on lot 1, signed, with its envelope beside it.
fn bid(
    platform: &Platform,
    bidder: &IdentityKeyPair,
    tender: &TenderId,
    opening_key: &sealbid_crypto::curve::CurvePoint,
    price: u64,
) -> CommandBody {
    let lot = LotId::parse("1").unwrap();
    let envelope = sealed_offer(tender, &lot, bidder, price, None, opening_key).unwrap();
    bid_of(platform, bidder, tender, envelope)
}

/// A bidder's bid of `envelope` on lot 1, signed, with the envelope beside it.
fn bid_of(platform: &Platform, bidder: &IdentityKeyPair, tender: &TenderId, envelope: Envelope) -> CommandBody {
    let lot = LotId::parse("1").unwrap();
    let signed = platform.sign(bidder, submission(tender, &lot, &envelope).unwrap());
    CommandBody::new(signed, Some(envelope))
}

/// `body` as node `node_id` received it at `received_at_ms`.
fn received(body: CommandBody, node_id: u64, received_at_ms: u64) -> EntryBody {
    let (signed, envelope) = body.into_parts();
    EntryBody::command(signed, node_id, received_at_ms).with_envelope(envelope.unwrap())
}

#[tokio::test]
async fn a_pending_bidders_bid_and_an_envelope_of_another_length_never_enter_the_log() {
    let platform = Platform::start().await;
    let mut cast = cast(&platform, 12, 3).await;
    let lot = LotSpec {
        id: LotId::parse("1").unwrap(),
        title: "lot 1".into(),
        quantity_tonnes: None,
        lot_size_tonnes_min: None,
        ceiling_price_fen: None,
    };
    let (tender, opening_key) = publish_until(&platform, &mut cast, Market::Procurement, lot, now_ms() + 600_000).await;

    // A company that applied but is not approved yet is told so, and nothing is logged.
    let (applicant, registration) = bidder(12_900).unwrap();
    run(&platform, &applicant, registration).await;
    let pending = bid(&platform, &applicant, &tender, &opening_key, 900);
    let answer = refused_unlogged(&platform, &pending, StatusCode::FORBIDDEN, "registration-pending").await;
    assert!(answer["detail"].as_str().unwrap().contains("pending"), "{answer}");

    // An approved bidder's envelope cut short, or padded out past the suite's one length.
    let lot_one = LotId::parse("1").unwrap();
    for length in [100, 273] {
        let mut envelope = sealed_offer(&tender, &lot_one, &cast.bidders[0], 900, None, &opening_key).unwrap();
        envelope.ciphertext.resize(length, 0);
        let body = bid_of(&platform, &cast.bidders[0], &tender, envelope);
        let answer = refused_unlogged(&platform, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid-command").await;
        assert!(answer["detail"].as_str().unwrap().contains("exactly 272"), "{answer}");
    }

    // A bid without the envelope its command signs the digest of, with another envelope, and an
    // envelope beside a command that signs none.
    let mut without = bid(&platform, &cast.bidders[0], &tender, &opening_key, 900);
    without.envelope = None;
    let answer = refused_unlogged(&platform, &without, StatusCode::BAD_REQUEST, "envelope-missing").await;
    assert!(answer["detail"].as_str().unwrap().contains("envelope"), "{answer}");
    let mut swapped = bid(&platform, &cast.bidders[0], &tender, &opening_key, 900);
    swapped.envelope = bid(&platform, &cast.bidders[0], &tender, &opening_key, 800).envelope;
    refused_unlogged(
        &platform,
        &swapped,
        StatusCode::UNPROCESSABLE_ENTITY,
        "envelope-mismatch",
    )
    .await;
    let withdraw = platform.sign(
        &cast.bidders[0],
        Action::WithdrawBid {
            tender: tender.clone(),
            lot: lot_one,
        },
    );
    let beside = CommandBody::new(
        withdraw,
        bid(&platform, &cast.bidders[0], &tender, &opening_key, 900).envelope,
    );
    refused_unlogged(&platform, &beside, StatusCode::BAD_REQUEST, "unexpected-envelope").await;
    platform.stop().await;
}

#[tokio::test]
async fn on_time_is_decided_by_arrival_and_the_leader_closes_bidding_by_itself() {
    let clock = Arc::new(ManualClock::new(now_ms()));
    let platform = Platform::start_with(Layer::default(), Arc::clone(&clock) as Arc<dyn Clock>).await;
    let replica = Arc::clone(&platform.application.as_ref().unwrap().replica);
    let window_ms = LedgerConfig::default().arrival_window_ms;
    let mut cast = cast(&platform, 9, 4).await;
    let deadline_ms = clock.now_ms() + 60_000;
    let lot = LotSpec {
        id: LotId::parse("1").unwrap(),
        title: "lot 1".into(),
        quantity_tonnes: None,
        lot_size_tonnes_min: None,
        ceiling_price_fen: None,
    };
    let (tender, opening_key) = publish_until(&platform, &mut cast, Market::Procurement, lot, deadline_ms).await;

    // Half a window after the deadline by the leader's clock. A bid that a follower (node 2)
    // received 1 ms before the deadline reaches the leader now: on time.
    clock.set(deadline_ms + window_ms / 2);
    let forwarded = received(
        bid(&platform, &cast.bidders[0], &tender, &opening_key, 900),
        2,
        deadline_ms - 1,
    );
    match replica.submit(forwarded, false).await {
        Ok(LedgerReply::Applied { .. }) => {}
        other => panic!("a bid that arrived before the deadline is on time: {other:?}"),
    }
    // One received 1 ms after the deadline: late, though it reaches the leader just as early.
    let late = received(
        bid(&platform, &cast.bidders[1], &tender, &opening_key, 800),
        2,
        deadline_ms + 1,
    );
    match replica.submit(late, false).await {
        Ok(LedgerReply::Rejected { code, .. }) => assert_eq!(code, "late-bid"),
        other => panic!("a bid that arrived after the deadline is late: {other:?}"),
    }
    // One stamped by a node whose clock runs more than the window ahead of the leader's is not
    // proposed.
    let position = platform.log_position().await;
    let ahead = received(
        bid(&platform, &cast.bidders[2], &tender, &opening_key, 700),
        2,
        clock.now_ms() + window_ms + 1,
    );
    match replica.submit(ahead, false).await {
        Err(SubmitError::ArrivalOutOfWindow { window_ms: window, .. }) => assert_eq!(window, window_ms),
        other => panic!("a stamp too far ahead is refused: {other:?}"),
    }
    assert_eq!(platform.log_position().await, position);
    // One that arrived long before the deadline and waited on its way: on time.
    let waited = received(
        bid(&platform, &cast.bidders[2], &tender, &opening_key, 700),
        2,
        deadline_ms - 10 * window_ms,
    );
    match replica.submit(waited, false).await {
        Ok(LedgerReply::Applied { .. }) => {}
        other => panic!("a bid that waited on its way is on time by its arrival: {other:?}"),
    }

    // Through the API this node stamps the arrival with its own clock: after the deadline.
    let (status, _, answer) = platform
        .post(
            "/v1/commands",
            &bid(&platform, &cast.bidders[3], &tender, &opening_key, 600),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["code"], "late-bid");

    // Before the window has passed, the office cannot close it either.
    let close = platform.sign(&cast.office, Action::CloseTender { tender: tender.clone() });
    let (status, _, answer) = platform.post("/v1/commands", &close).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["code"], "before-deadline");

    // Once it has, the leader closes it: a close entry in the audit log, no office command.
    let (_, _, head) = platform.get("/v1/audit/head").await;
    let size_before_close = head["size"].as_u64().unwrap();
    clock.set(deadline_ms + window_ms);
    wait_closed(&platform, &tender).await;
    let (status, _, entries) = platform
        .get(&format!("/v1/audit/entries?from={size_before_close}&count=10"))
        .await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    let entries: Vec<Value> = entries
        .as_array()
        .unwrap_or_else(|| panic!("{entries}"))
        .iter()
        .map(|entry| serde_json::from_str(entry["entry"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["body"]["close"]["tender"], tender.to_string(), "{entries:?}");
    assert!(entries[0]["timestamp_ms"].as_u64().unwrap() >= deadline_ms + window_ms);

    // The two bids that arrived in time are the bids held.
    let (_, _, view) = platform.get(&format!("/v1/tenders/{tender}")).await;
    assert_eq!(view["tender"]["bid_count"], 2, "{view}");
    platform.stop().await;
}
