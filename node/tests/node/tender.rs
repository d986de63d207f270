//! Whole tenders over HTTPS, as the three kinds of users run them: the office publishes, the
//! committee generates the opening key, bidders submit, replace and withdraw sealed offers, a
//! late bid is refused, the leader closes bidding by itself, two members release their shares
//! and the office opens. Procurement (lowest price) then publishes its ranked candidates, and
//! its award waits for the publicity (the award after it runs on a test clock, in
//! `publicity.rs`); land-use right (highest at or above the sealed reserve) and coal/coke
//! (multi-unit, highest price first) are awarded at once. Every bidder finds its receipt in
//! the audit trail and a supervisor's replay of the whole log verifies.

use std::time::Duration;

use reqwest::StatusCode;
use sealbid_api::commands::CommandBody;
use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::{leaf_hash, verify_consistency};
use sealbid_crypto::note::NoteVerifier;
use sealbid_crypto::seal::Envelope;
use sealbid_ledger::command::{Action, LotSpec, TenderSpec};
use sealbid_ledger::events::Response;
use sealbid_ledger::types::{LotId, Market, Role, TenderId};
use sealbid_node::checkpoints::verify_checkpoint;
use sealbid_testkit::{Committee, approval, bidder, grant, key, replacement, sealed_offer, sealed_reserve, submission};
use serde_json::Value;

use crate::support::{Platform, now_ms};

/// Prices are in fen; a yuan is 100 fen.
const YUAN: u64 = 100;

/// Bidding stays open this long after publication; once the bids are in, the office amends the
/// deadline to [`CLOSING_MS`] ahead, so a slow machine never turns an early bid into a late one.
pub const BIDDING_MS: u64 = 10 * 60 * 1000;
/// How far ahead the amended deadline lies (the notice period is a second; the margin covers
/// the amendment's own ordering).
const CLOSING_MS: u64 = 3_000;

/// The people of a tender.
pub struct Cast {
    pub office: IdentityKeyPair,
    pub committee: Committee,
    pub bidders: Vec<IdentityKeyPair>,
}

/// Submits `action` signed by `key`; the receipt, asserting it was applied.
pub async fn run(platform: &Platform, key: &IdentityKeyPair, action: Action) -> Value {
    let (status, _, receipt) = platform.post("/v1/commands", &platform.sign(key, action)).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    receipt
}

/// Submits a bid's `action` signed by `key` with `envelope` beside it; the receipt, asserting
/// it was applied.
pub async fn run_bid(platform: &Platform, key: &IdentityKeyPair, action: Action, envelope: &Envelope) -> Value {
    let body = CommandBody::new(platform.sign(key, action), Some(envelope.clone()));
    let (status, _, receipt) = platform.post("/v1/commands", &body).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    receipt
}

/// Bidder `key` submits `envelope` on `lot`; the receipt.
pub async fn submit(
    platform: &Platform,
    key: &IdentityKeyPair,
    tender: &TenderId,
    lot: &LotId,
    envelope: &Envelope,
) -> Value {
    run_bid(platform, key, submission(tender, lot, envelope).unwrap(), envelope).await
}

/// Bidder `key` replaces its bid on `lot` by `envelope`; the receipt.
pub async fn replace(
    platform: &Platform,
    key: &IdentityKeyPair,
    tender: &TenderId,
    lot: &LotId,
    envelope: &Envelope,
) -> Value {
    run_bid(platform, key, replacement(tender, lot, envelope).unwrap(), envelope).await
}

/// The ledger's response in a receipt.
pub fn response(receipt: &Value) -> Response {
    serde_json::from_value(receipt["response"].clone()).unwrap()
}

/// Registers an office, a supervisor, a 2-of-3 committee and `bidders` bidders.
pub async fn cast(platform: &Platform, label: u8, bidders: u64) -> Cast {
    let office = key(label, 1_000).unwrap();
    let supervisor = key(label, 1_001).unwrap();
    run(
        platform,
        &platform.operator,
        grant(&office, Role::Office, "Municipal trading office"),
    )
    .await;
    run(
        platform,
        &platform.operator,
        grant(&supervisor, Role::Supervisor, "Supervision bureau"),
    )
    .await;
    let committee = Committee::new(label.wrapping_add(100), 3, 2).unwrap();
    for (identity, _) in &committee.members {
        run(
            platform,
            &platform.operator,
            grant(identity, Role::CommitteeMember, "Committee member"),
        )
        .await;
    }
    for (identity, registration) in committee.registrations().unwrap() {
        run(platform, identity, registration).await;
    }
    // The trading centre's registrar approves each bidder's application.
    let registrar = key(label, 1_002).unwrap();
    run(
        platform,
        &platform.operator,
        grant(&registrar, Role::Registrar, "Registration desk"),
    )
    .await;
    let mut keys = Vec::new();
    for index in 0..bidders {
        let (bidder_key, registration) = bidder(u64::from(label) * 1_000 + index).unwrap();
        run(platform, &bidder_key, registration).await;
        run(platform, &registrar, approval(&bidder_key)).await;
        keys.push(bidder_key);
    }
    Cast {
        office,
        committee,
        bidders: keys,
    }
}

/// A one-lot tender of `cast`'s office and 2-of-3 committee, bidding until `deadline_ms`.
pub fn spec(cast: &Cast, market: Market, lot: LotSpec, deadline_ms: u64) -> TenderSpec {
    TenderSpec {
        title: format!("{market:?} test tender"),
        market,
        lots: vec![lot],
        deadline_ms,
        notice_period_ms: 1_000,
        valid_bids_min: 3,
        committee: cast.committee.identities(),
        threshold: 2,
        bid_validity_days: None,
    }
}

/// Publishes a one-lot tender and runs the key generation; the tender and its opening key.
async fn publish(platform: &Platform, cast: &mut Cast, market: Market, lot: LotSpec) -> (TenderId, CurvePoint) {
    publish_until(platform, cast, market, lot, now_ms() + BIDDING_MS).await
}

/// As [`publish`], with the deadline `deadline_ms`.
pub async fn publish_until(
    platform: &Platform,
    cast: &mut Cast,
    market: Market,
    lot: LotSpec,
    deadline_ms: u64,
) -> (TenderId, CurvePoint) {
    let receipt = run(
        platform,
        &cast.office,
        Action::PublishTender(spec(cast, market, lot, deadline_ms)),
    )
    .await;
    let Response::TenderPublished { tender } = response(&receipt) else {
        panic!("{receipt}")
    };
    for (identity, action) in cast.committee.deals(&tender).unwrap() {
        run(platform, identity, action).await;
    }
    let mut opening_key = None;
    for (identity, action) in cast.committee.responses(&tender).unwrap() {
        if let Response::KeyGenerationFinished { opening_key: key } = response(&run(platform, identity, action).await) {
            opening_key = Some(key);
        }
    }
    (tender, opening_key.expect("the key generation finished"))
}

/// The office moves the deadline to [`CLOSING_MS`] from now; returns once it has passed.
pub async fn end_bidding(platform: &Platform, cast: &Cast, tender: &TenderId) {
    let deadline_ms = now_ms() + CLOSING_MS;
    let amend = Action::AmendTender {
        tender: tender.clone(),
        notice: "bidding ends shortly".into(),
        deadline_ms: Some(deadline_ms),
    };
    run(platform, &cast.office, amend).await;
    let now = now_ms();
    if deadline_ms >= now {
        tokio::time::sleep(Duration::from_millis(deadline_ms - now + 100)).await;
    }
}

/// Waits (at most 15 s) until the leader has closed bidding by itself, at the deadline plus the
/// arrival window: no office command closes it.
pub async fn wait_closed(platform: &Platform, tender: &TenderId) {
    for _ in 0..150 {
        let (status, _, body) = platform.get(&format!("/v1/tenders/{tender}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["tender"]["phase"] != "bidding" {
            assert_eq!(body["tender"]["phase"], "closed", "{body}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tender {tender} was not closed by the leader");
}

/// Waits for the leader's close, releases members 1 and 2's shares and opens.
pub async fn close_and_open(platform: &Platform, cast: &Cast, tender: &TenderId) {
    wait_closed(platform, tender).await;
    for member in 1..=2 {
        let (identity, action) = cast.committee.release(tender, member).unwrap();
        run(platform, identity, action).await;
    }
    run(platform, &cast.office, Action::OpenTender { tender: tender.clone() }).await;
}

/// As [`close_and_open`], then awards a tender of a market without candidate publicity; the
/// results as JSON.
async fn close_open_award(platform: &Platform, cast: &Cast, tender: &TenderId) -> Value {
    close_and_open(platform, cast, tender).await;
    let receipt = run(platform, &cast.office, Action::AwardTender { tender: tender.clone() }).await;
    let Response::TenderAwarded { .. } = response(&receipt) else {
        panic!("{receipt}")
    };
    let (status, _, body) = platform.get(&format!("/v1/tenders/{tender}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["results"].clone()
}

/// The winners of lot `lot` in `results`: (bidder key text, price, filled tonnes).
fn winners(results: &Value, lot: &str) -> Vec<(String, u64, Option<u64>)> {
    results[lot]["awarded"]["winners"]
        .as_array()
        .unwrap_or_else(|| panic!("lot {lot} was not awarded: {results}"))
        .iter()
        .map(|winner| {
            (
                winner["bidder"].as_str().unwrap().to_string(),
                winner["price_fen"].as_u64().unwrap(),
                winner["filled_tonnes"].as_u64(),
            )
        })
        .collect()
}

/// The operator publishes a test calendar (weekends off, no holidays) for the platform clock's
/// year and the next, where none is published yet: the statutory periods need one.
pub async fn publish_test_calendars(platform: &Platform) {
    let year = sealbid_ledger::calendar::CalendarDate::of_timestamp(platform.now_ms())
        .0
        .year();
    let (status, _, published) = platform.get("/v1/calendars").await;
    assert_eq!(status, StatusCode::OK, "{published}");
    for year in [year, year + 1] {
        if published.get(year.to_string()).is_none() {
            let spec = sealbid_ledger::calendar::CalendarSpec {
                year,
                holidays: Vec::new(),
                working_days: Vec::new(),
            };
            run(platform, &platform.operator, Action::PublishCalendar(spec)).await;
        }
    }
}

/// The office publishes `tender`'s ranked candidates; when the publicity ends and from when
/// the award may be made.
pub async fn publish_candidates(platform: &Platform, cast: &Cast, tender: &TenderId) -> (u64, u64) {
    publish_test_calendars(platform).await;
    let receipt = run(
        platform,
        &cast.office,
        Action::PublishCandidates { tender: tender.clone() },
    )
    .await;
    let Response::CandidatesPublished { ends_ms, award_from_ms } = response(&receipt) else {
        panic!("{receipt}")
    };
    (ends_ms, award_from_ms)
}

/// Every receipt's leaf is in the audit trail at its index; the log's receipt for it (signed
/// checkpoint, inclusion proof) verifies under the log's key, and the checkpoint fetched with
/// the log extends it (consistency proof); the whole log replays and the checkpoint is its prefix.
pub async fn verify_receipts_and_audit(platform: &Platform, receipts: &[Value]) -> sealbid_node::audit::AuditReport {
    let client = sealbid_api::client::Client::new(&platform.base, &platform.authority).unwrap();
    let log_key = NoteVerifier::parse(&client.log_key().await.unwrap().verifier_key).unwrap();
    let mut log_receipts = Vec::new();
    for receipt in receipts {
        let index = receipt["audit_index"].as_u64().unwrap();
        log_receipts.push(client.receipt(index).await.unwrap());
    }
    // More entries after the receipts were issued, so the consistency proofs span a real gap.
    let auditor = IdentityKeyPair::generate(&ring::rand::SystemRandom::new()).unwrap().0;
    run(
        platform,
        &platform.operator,
        grant(&auditor, Role::Supervisor, "auditor"),
    )
    .await;
    let (head, entries) = sealbid_node::audit::fetch(&client, None, |_, _| {}).await.unwrap();
    let current = verify_checkpoint(&head.checkpoint, &log_key).unwrap();
    for (receipt, log_receipt) in receipts.iter().zip(&log_receipts) {
        let index = receipt["audit_index"].as_u64().unwrap() as usize;
        let leaf = serde_json::to_value(entries[index].leaf_hash()).unwrap();
        assert_eq!(receipt["leaf_hash"], leaf, "receipt {receipt}");
        let own_entry = receipt["entry"].as_str().unwrap();
        assert_eq!(
            Some(own_entry),
            entries[index].text(),
            "the answer's entry is the logged one"
        );
        assert_eq!(serde_json::to_value(leaf_hash(own_entry.as_bytes())).unwrap(), leaf);
        assert_eq!(serde_json::to_value(log_receipt.leaf_hash).unwrap(), leaf);
        let held = log_receipt
            .verify(&log_key.name, std::slice::from_ref(&log_key), 1)
            .unwrap();
        assert!(held.size < current.size);
        let proof = client.consistency_proof(held.size, current.size).await.unwrap();
        verify_consistency(held.size, current.size, &proof.proof, &held.root.0, &current.root.0).unwrap();
    }
    sealbid_node::audit::verify(&head.head, &[current], &entries, |_| {}).unwrap()
}

pub fn lot(id: &str) -> LotSpec {
    LotSpec {
        id: LotId::parse(id).unwrap(),
        title: format!("lot {id}"),
        quantity_tonnes: None,
        lot_size_tonnes_min: None,
        ceiling_price_fen: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_procurement_tender_from_publication_to_its_candidate_publicity() {
    let platform = Platform::start().await;
    let offers = procurement(&platform, 1).await;
    wait_erased(&[platform.folder().unwrap()], &offers).await;
    platform.stop().await;
}

/// The offers of the procurement tender whose fate the erasure decides.
pub struct Offers {
    /// Bidder 0's first offer (replaced) and bidder 1's (withdrawn): erased after the close.
    pub superseded: Vec<Envelope>,
    /// Bidder 0's replacement, which won: kept, and opened.
    pub live: Envelope,
}

/// The base64url text of `envelope`'s ciphertext, as JSON and MessagePack files hold it.
fn ciphertext_text(envelope: &Envelope) -> String {
    sealbid_crypto::encoding::base64url_encode(&envelope.ciphertext)
}

/// The files under `folder`, recursively.
fn files_under(folder: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(listing) = std::fs::read_dir(&next) else {
            continue;
        };
        for item in listing.flatten() {
            let path = item.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Whether any file under `folders` holds `envelope`'s ciphertext, as raw bytes or as text.
fn held_anywhere(folders: &[&std::path::Path], envelope: &Envelope) -> Vec<std::path::PathBuf> {
    let text = ciphertext_text(envelope);
    let mut holding = Vec::new();
    for folder in folders {
        for file in files_under(folder) {
            // A file may vanish while the node renames or truncates it: then it holds nothing.
            let Ok(bytes) = std::fs::read(&file) else { continue };
            let found = |needle: &[u8]| bytes.windows(needle.len()).any(|window| window == needle);
            if found(&envelope.ciphertext) || found(text.as_bytes()) {
                holding.push(file);
            }
        }
    }
    holding
}

/// Waits (up to 60 s) until no file in the nodes' data `folders` holds a superseded offer's
/// ciphertext, while the live offer's is still held (so the search can find what is there).
pub async fn wait_erased(folders: &[&std::path::Path], offers: &Offers) {
    let mut holding = Vec::new();
    for _ in 0..240 {
        holding = offers
            .superseded
            .iter()
            .flat_map(|envelope| held_anywhere(folders, envelope))
            .collect();
        if holding.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        holding.is_empty(),
        "a replaced or withdrawn offer is still held in {holding:?}"
    );
    assert!(
        !held_anywhere(folders, &offers.live).is_empty(),
        "the live offer is held (in the archive record)"
    );
}

/// A procurement tender among 5 bidders (cast from `label`), checked step by step; the offers
/// replaced, withdrawn and kept.
pub async fn procurement(platform: &Platform, label: u8) -> Offers {
    let mut cast = cast(platform, label, 5).await;
    let (tender, opening_key) = publish(platform, &mut cast, Market::Procurement, lot("1")).await;
    let lot_id = LotId::parse("1").unwrap();
    let bid = |index: usize, price: u64| {
        sealed_offer(&tender, &lot_id, &cast.bidders[index], price, None, &opening_key).unwrap()
    };
    let mut receipts = Vec::new();
    let mut first_offers = Vec::new();
    for (index, price) in [900 * YUAN, 800 * YUAN, 1_000 * YUAN, 700 * YUAN, 950 * YUAN]
        .into_iter()
        .enumerate()
    {
        let envelope = bid(index, price);
        receipts.push(submit(platform, &cast.bidders[index], &tender, &lot_id, &envelope).await);
        first_offers.push(envelope);
    }
    // Bidder 0 replaces its offer with the lowest; bidder 1 withdraws.
    let lowest = sealed_offer(&tender, &lot_id, &cast.bidders[0], 650 * YUAN, None, &opening_key).unwrap();
    receipts.push(replace(platform, &cast.bidders[0], &tender, &lot_id, &lowest).await);
    let withdraw = Action::WithdrawBid {
        tender: tender.clone(),
        lot: lot_id.clone(),
    };
    receipts.push(run(platform, &cast.bidders[1], withdraw).await);
    let (_, _, withheld) = platform.get(&format!("/v1/tenders/{tender}/bids")).await;
    assert!(withheld["withheld"]["deadline_ms"].is_u64(), "{withheld}");

    // A share before the close is refused, and changes nothing.
    let before = platform.state_hash().await;
    let (identity, early_share) = cast.committee.release(&tender, 1).unwrap();
    let answer = platform
        .post("/v1/commands", &platform.sign(identity, early_share))
        .await;
    assert_eq!(answer.0, StatusCode::CONFLICT, "{}", answer.2);
    assert_eq!(answer.2["code"], "wrong-phase");
    assert_eq!(platform.state_hash().await, before, "the early share changed nothing");

    // After the deadline, a bid is late.
    end_bidding(platform, &cast, &tender).await;
    let before = platform.state_hash().await;
    let late_envelope = bid(1, 600 * YUAN);
    let late_bid = CommandBody::new(
        platform.sign(&cast.bidders[1], submission(&tender, &lot_id, &late_envelope).unwrap()),
        Some(late_envelope),
    );
    let late = platform.post("/v1/commands", &late_bid).await;
    assert_eq!(late.0, StatusCode::CONFLICT, "{}", late.2);
    assert_eq!(late.1, "application/problem+json");
    assert_eq!(late.2["code"], "late-bid");
    assert_eq!(platform.state_hash().await, before, "the late bid changed nothing");

    wait_closed(platform, &tender).await;
    let (_, _, sealed) = platform.get(&format!("/v1/tenders/{tender}/bids")).await;
    assert_eq!(sealed["sealed"]["counts"]["1"], 4, "{sealed}");
    close_and_open(platform, &cast, &tender).await;
    let (ends_ms, award_from_ms) = publish_candidates(platform, &cast, &tender).await;
    // 财政部87号令 Art. 69 and 94号令 Art. 10(3): a working day of publicity, then seven for
    // queries on the result.
    assert!(
        award_from_ms > ends_ms && ends_ms > now_ms(),
        "{ends_ms} {award_from_ms}"
    );
    let (_, _, view) = platform.get(&format!("/v1/tenders/{tender}")).await;
    assert_eq!(view["tender"]["phase"], "publicity", "{view}");
    let publicized = &view["tender"]["publicity"]["lots"]["1"];
    let candidates = publicized["candidates"].as_array().unwrap();
    let ranked: Vec<(u64, String, u64)> = candidates
        .iter()
        .map(|candidate| {
            (
                candidate["rank"].as_u64().unwrap(),
                candidate["bidder"].as_str().unwrap().to_string(),
                candidate["price_fen"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(u64, String, u64)> = [(0, 650 * YUAN), (3, 700 * YUAN), (4, 950 * YUAN)]
        .into_iter()
        .zip(1..)
        .map(|((index, price), rank)| (rank, cast.bidders[index].public_key().to_string(), price))
        .collect();
    assert_eq!(ranked, expected, "three candidates, the lowest offer first: {view}");
    assert!(
        candidates[0]["organisation"].as_str().unwrap().starts_with("Bidder"),
        "{view}"
    );
    assert_eq!(view["tender"]["result_notices"], serde_json::json!([]), "{view}");

    // The award before the publicity and the queries' window have run is refused.
    let award = Action::AwardTender { tender: tender.clone() };
    crate::support::refused(platform, &cast.office, award, StatusCode::CONFLICT, "publicity-running").await;
    let (_, _, opened) = platform.get(&format!("/v1/tenders/{tender}/bids")).await;
    assert!(opened.get("opened").is_some(), "{opened}");
    let offers = Offers {
        superseded: vec![first_offers[0].clone(), first_offers[1].clone()],
        live: lowest,
    };
    let report = verify_receipts_and_audit(platform, &receipts).await;
    assert_eq!(
        report.erased_envelopes, 2,
        "the replaced and the withdrawn bid replay by their digest"
    );
    superseded_never_served(platform, &tender, &receipts, &offers).await;
    offers
}

/// No route serves a superseded offer: the log serves the replaced and the withdrawn bids'
/// entries without an envelope (the replacement's with its own), and the opening lists only
/// the bids that were live.
async fn superseded_never_served(platform: &Platform, tender: &TenderId, receipts: &[Value], offers: &Offers) {
    let client = sealbid_api::client::Client::new(&platform.base, &platform.authority).unwrap();
    let size = client.audit_head().await.unwrap().size;
    let entries = client.audit_entries(0, size).await.unwrap();
    let envelope_at = |receipt: &Value| {
        entries[receipt["audit_index"].as_u64().unwrap() as usize]
            .envelope
            .clone()
    };
    assert_eq!(envelope_at(&receipts[0]), None, "the replaced bid's envelope is erased");
    assert_eq!(
        envelope_at(&receipts[1]),
        None,
        "the withdrawn bid's envelope is erased"
    );
    assert_eq!(
        envelope_at(&receipts[5]),
        Some(offers.live.clone()),
        "the live bid's envelope is served"
    );
    let mut served = serde_json::to_string(&entries).unwrap();
    for path in [format!("/v1/tenders/{tender}"), format!("/v1/tenders/{tender}/bids")] {
        served.push_str(&platform.get(&path).await.2.to_string());
    }
    for envelope in &offers.superseded {
        assert!(
            !served.contains(&ciphertext_text(envelope)),
            "a superseded offer is served"
        );
    }
    assert!(served.contains(&ciphertext_text(&offers.live)));
    let (_, _, opened) = platform.get(&format!("/v1/tenders/{tender}/bids")).await;
    let opened_bids = opened["opened"]["bids"]
        .as_array()
        .unwrap_or_else(|| panic!("{opened}"));
    let indexes: Vec<u64> = opened_bids
        .iter()
        .map(|bid| bid["audit_index"].as_u64().unwrap())
        .collect();
    for withdrawn_or_replaced in [&receipts[0], &receipts[1]] {
        assert!(
            !indexes.contains(&withdrawn_or_replaced["audit_index"].as_u64().unwrap()),
            "{opened}"
        );
    }
    assert_eq!(opened_bids.len(), 4, "{opened}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_land_use_right_transfer_and_a_coal_sale() {
    let platform = Platform::start().await;
    land_use_and_coal(&platform, 2).await;
    finished_tenders_are_listed(&platform).await;
    platform.stop().await;
}

/// The ids of a tender listing's answer.
fn listed(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("a listing is an array: {body}"))
        .iter()
        .map(|tender| tender["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Once the land-use right (T-000001) and the coal sale (T-000002) are awarded, they are no
/// longer open, and `GET /v1/tenders` lists them as final, filtered and a page at a time; the
/// CLI lists them and reads the coal sale's results in yuan.
async fn finished_tenders_are_listed(platform: &Platform) {
    let (status, _, open) = platform.get("/v1/tenders").await;
    assert_eq!(
        (status, listed(&open)),
        (StatusCode::OK, Vec::<String>::new()),
        "{open}"
    );
    let (_, _, finals) = platform.get("/v1/tenders?status=final").await;
    assert_eq!(listed(&finals), ["T-000001", "T-000002"], "{finals}");
    assert_eq!(finals[0]["spec"]["market"], "land_use_right", "{finals}");
    assert_eq!(finals[1]["phase"], "awarded", "{finals}");
    let (_, _, coal) = platform.get("/v1/tenders?status=final&market=coal_coke").await;
    assert_eq!(listed(&coal), ["T-000002"], "{coal}");
    let (_, _, none) = platform.get("/v1/tenders?status=all&deadline_before_ms=1").await;
    assert_eq!(listed(&none), Vec::<String>::new(), "{none}");
    let office = finals[0]["office"].as_str().unwrap().replace(':', "%3A");
    let (_, _, by_office) = platform.get(&format!("/v1/tenders?status=final&office={office}")).await;
    assert_eq!(listed(&by_office), ["T-000001", "T-000002"], "{by_office}");

    // A page of one names the next page, keeping the filters; the last page names none.
    let page = |query: &str| {
        let url = format!("{}/v1/tenders?{query}", platform.base);
        async move {
            let response = platform.http.get(url).send().await.unwrap();
            let link = response
                .headers()
                .get("link")
                .map(|value| value.to_str().unwrap().to_owned());
            (link, response.json::<Value>().await.unwrap())
        }
    };
    let (link, first) = page("status=all&count=1").await;
    assert_eq!(listed(&first), ["T-000001"], "{first}");
    let link = link.expect("a full page names the next one");
    assert_eq!(
        link,
        format!("<{}/v1/tenders?status=all&count=1&from=2>; rel=\"next\"", platform.base)
    );
    let (_, second) = page("status=all&count=1&from=2").await;
    assert_eq!(listed(&second), ["T-000002"], "{second}");
    let (link, last) = page("status=all&count=10").await;
    assert_eq!((link, listed(&last).len()), (None, 2), "{last}");

    // The public participants, by role and a page at a time, following the Link header.
    let (_, _, everyone) = platform.get("/v1/participants").await;
    let everyone = everyone.as_array().unwrap().clone();
    assert!(everyone.len() >= 3, "{everyone:?}");
    let (_, _, offices) = platform.get("/v1/participants?role=office").await;
    let offices = offices.as_array().unwrap();
    assert!(
        !offices.is_empty()
            && offices
                .iter()
                .all(|office| office["roles"].as_array().unwrap().contains(&"office".into()))
    );
    let (_, _, bidders) = platform.get("/v1/participants?role=bidder").await;
    assert_eq!(bidders, serde_json::json!([]), "the registry of bidders is not public");
    let mut paged = Vec::new();
    let mut next = Some(format!("{}/v1/participants?count=1", platform.base));
    for _ in 0..everyone.len() + 1 {
        let Some(url) = next.take() else { break };
        let response = platform.http.get(url).send().await.unwrap();
        next = response.headers().get("link").map(|link| {
            let link = link.to_str().unwrap();
            link[1..link.find('>').unwrap()].to_owned()
        });
        paged.extend(
            response
                .json::<Value>()
                .await
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
    }
    assert_eq!(
        paged, everyone,
        "a page at a time, the same participants in the same order"
    );
    for query in ["role=nobody", "after=ed25519:short", "count=-1"] {
        let (status, _, problem) = platform.get(&format!("/v1/participants?{query}")).await;
        assert_eq!(
            (status, &problem["code"]),
            (StatusCode::BAD_REQUEST, &"malformed-query".into()),
            "{query}"
        );
    }

    // A query that does not parse is a 400 problem.
    for query in ["status=closed", "office=ed25519:short", "count=many", "colour=red"] {
        let (status, content_type, problem) = platform.get(&format!("/v1/tenders?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {problem}");
        assert_eq!(content_type, "application/problem+json", "{query}");
    }

    // Every public JSON answer matches the schema the OpenAPI document gives it.
    let document = crate::openapi::document(platform).await;
    let month = {
        let date = sealbid_ledger::calendar::CalendarDate::of_timestamp(platform.now_ms()).0;
        format!("{}-{:02}", date.year(), u8::from(date.month()))
    };
    for (route, path) in [
        ("/v1/tenders", "/v1/tenders?status=all".to_owned()),
        ("/v1/tenders/{id}", "/v1/tenders/T-000001".to_owned()),
        ("/v1/tenders/{id}", "/v1/tenders/T-000002".to_owned()),
        ("/v1/tenders/{id}/bids", "/v1/tenders/T-000002/bids".to_owned()),
        (
            "/v1/tenders/{id}/key-generation",
            "/v1/tenders/T-000001/key-generation".to_owned(),
        ),
        ("/v1/tenders/{id}/warnings", "/v1/tenders/T-000002/warnings".to_owned()),
        ("/v1/tenders/{id}/ocds", "/v1/tenders/T-000001/ocds".to_owned()),
        ("/v1/ocds/releases", "/v1/ocds/releases".to_owned()),
        ("/v1/participants", "/v1/participants".to_owned()),
        ("/v1/calendars", "/v1/calendars".to_owned()),
        ("/v1/notices", "/v1/notices".to_owned()),
        ("/v1/performance", format!("/v1/performance?month={month}")),
        ("/v1/audit/head", "/v1/audit/head".to_owned()),
        ("/v1/audit/entries", "/v1/audit/entries?from=0&count=100".to_owned()),
        ("/v1/audit/receipt", "/v1/audit/receipt?index=3".to_owned()),
        (
            "/v1/audit/proof/inclusion",
            "/v1/audit/proof/inclusion?index=1&size=4".to_owned(),
        ),
        (
            "/v1/audit/proof/consistency",
            "/v1/audit/proof/consistency?from=2&to=5".to_owned(),
        ),
        ("/v1/audit/log-key", "/v1/audit/log-key".to_owned()),
        ("/v1/audit/witnessed", "/v1/audit/witnessed".to_owned()),
        ("/readyz", "/readyz".to_owned()),
        ("/openapi.json", "/openapi.json".to_owned()),
        ("/v1/tenders/{id}", "/v1/tenders/T-999999".to_owned()),
    ] {
        let (status, _, body) = platform.get(&path).await;
        crate::openapi::conforms(&document, route, status, &body);
    }

    let application = platform.application.as_ref().unwrap();
    let authority = application.data_dir.authority.clone();
    let listing = crate::cli::sealbid(platform, &authority, &["tender", "list", "--status", "final"]);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert!(
        lines[1].starts_with("T-000002  coal_coke") && lines[1].contains("awarded"),
        "{listing}"
    );
    assert!(lines[1].contains(" CST "), "{listing}");
    let results = crate::cli::sealbid(platform, &authority, &["tender", "results", "--tender", "T-000002"]);
    assert!(results.contains("bid ¥950.00 (valid"), "{results}");
    assert!(results.contains("lot C1 awarded to "), "{results}");
    assert!(results.contains(" at ¥920.00"), "{results}");
}

/// A land-use-right transfer and a coal/coke sale among 4 bidders (cast from `label`).
pub async fn land_use_and_coal(platform: &Platform, label: u8) {
    let mut cast = cast(platform, label, 4).await;
    let mut receipts = Vec::new();

    // Land-use right: the highest offer at or above the office's sealed reserve.
    let (tender, opening_key) = publish(platform, &mut cast, Market::LandUseRight, lot("A")).await;
    let parcel = LotId::parse("A").unwrap();
    let reserve = Action::SealReservePrice {
        tender: tender.clone(),
        lot: parcel.clone(),
        envelope: sealed_reserve(&tender, &parcel, &cast.office, 5_000_000 * YUAN, &opening_key).unwrap(),
    };
    run(platform, &cast.office, reserve).await;
    for (index, price) in [4_800_000 * YUAN, 5_200_000 * YUAN, 5_100_000 * YUAN]
        .into_iter()
        .enumerate()
    {
        let envelope = sealed_offer(&tender, &parcel, &cast.bidders[index], price, None, &opening_key).unwrap();
        receipts.push(submit(platform, &cast.bidders[index], &tender, &parcel, &envelope).await);
    }
    end_bidding(platform, &cast, &tender).await;
    let results = close_open_award(platform, &cast, &tender).await;
    let won = winners(&results, "A");
    assert_eq!(won[0].0, cast.bidders[1].public_key().to_string(), "{results}");
    assert_eq!(won[0].1, 5_200_000 * YUAN);

    // Coal/coke: 1,000 tonnes filled from the highest price down, in lots of at least 100.
    let mut coal = lot("C1");
    coal.quantity_tonnes = Some(1_000);
    coal.lot_size_tonnes_min = Some(100);
    let (tender, opening_key) = publish(platform, &mut cast, Market::CoalCoke, coal).await;
    let lot_id = LotId::parse("C1").unwrap();
    for (index, (price, tonnes)) in [
        (900 * YUAN, 600u64),
        (950 * YUAN, 300),
        (920 * YUAN, 500),
        (880 * YUAN, 400),
    ]
    .into_iter()
    .enumerate()
    {
        let envelope = sealed_offer(
            &tender,
            &lot_id,
            &cast.bidders[index],
            price,
            Some(tonnes),
            &opening_key,
        )
        .unwrap();
        receipts.push(submit(platform, &cast.bidders[index], &tender, &lot_id, &envelope).await);
    }
    end_bidding(platform, &cast, &tender).await;
    let results = close_open_award(platform, &cast, &tender).await;
    let filled: Vec<(String, u64, Option<u64>)> = winners(&results, "C1");
    let expected = vec![
        (cast.bidders[1].public_key().to_string(), 950 * YUAN, Some(300)),
        (cast.bidders[2].public_key().to_string(), 920 * YUAN, Some(500)),
        (cast.bidders[0].public_key().to_string(), 900 * YUAN, Some(200)),
    ];
    assert_eq!(filled, expected, "{results}");
    verify_receipts_and_audit(platform, &receipts).await;
}
