//! The participants' desks in a real browser (Debian's `chromium` over WebDriver, as in
//! `portal.rs`). The page's wire (wire.js) first recomputes the protocol's examples in the
//! browser. Then a land-use-right sale runs through the pages: the office makes its key in the
//! page, publishes and seals its reserve; a bidder makes its key, registers, seals and submits,
//! withdraws, submits again and replaces, and verifies a receipt against the log's key; the
//! supervisor's page shows the warning the close raises without being reloaded; a committee
//! member imports its key files, proves it still holds its share while bids are taken and
//! releases it after the close; the office opens and awards; the public page shows the result.
//! A second test runs the supervisor's and the office's other acts, with refusals said in
//! Chinese, a lost answer whose signed command is kept across a reload, and a month refused. The node's opening recovers exactly the price typed. Screenshots
//! of each step go to the test's target folder (`portal-screenshots/desk-*.png`).

use std::time::Duration;

use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use sealbid_crypto::identity::{IdentityKeyPair, PublicKey};
use sealbid_ledger::command::Action;
use sealbid_ledger::types::{LotId, Role, TenderId};
use sealbid_testkit::{key, sealed_offer};
use serde_json::{Value, json};

use crate::portal::{attribute_of, browser, click, finish, screenshot, text_of, wait_for};
use crate::support::Platform;
use crate::tender::{cast, run, submit};

/// Loads `url` afresh (a reload, even when only its fragment differs from the page shown) and
/// waits until the page shows `ready`.
async fn open(client: &Client, url: &str, ready: &str) {
    client.goto(url).await.unwrap();
    client.refresh().await.unwrap();
    wait_for(client, &format!("main[data-ready=\"{ready}\"]"), 30).await;
}

/// The fenced block after `<!-- example: name -->` in docs/protocol.md.
fn example(name: &str) -> String {
    let protocol = include_str!("../../../docs/protocol.md");
    let marker = format!("<!-- example: {name} -->\n```text\n");
    let start = protocol.find(&marker).unwrap_or_else(|| panic!("no example {name}")) + marker.len();
    let end = start + protocol[start..].find("\n```").unwrap();
    protocol[start..end].to_owned()
}

/// What wire.js computes in the browser from the protocol's examples, each check by name.
const WIRE_CHECKS: &str = r#"
const [examples, done] = arguments;
(async () => {
  const checks = {};
  const seed = new Uint8Array(32).fill(1);
  const identity = await Identity.fromSeed(seed);
  checks.identity_public_key = identity.text === examples.identity;
  const signed = JSON.parse(examples.signed);
  checks.canonical_payload = canonical(JSON.parse(signed.payload)) === signed.payload;
  checks.signature = base64url(await identity.sign(utf8(signed.payload))) === signed.signature;
  checks.key_file_round_trip = (await Identity.fromFile(identity.file())).text === identity.text;
  const envelope = JSON.parse(examples.envelope);
  checks.envelope_sha256 = (await envelopeDigest(envelope)) === JSON.parse(examples.envelope_sha256);
  const opening = fromHex(examples.opening_key);
  const offer = JSON.parse(examples.plaintext);
  const context = { bidder: offer.bidder, kind: "bid", lot: offer.lot, tender: offer.tender };
  const secret = new Uint8Array(32).fill(0x11);
  checks.opens_the_example = sameBytes(await openEnvelope(secret, opening, context, envelope), paddedOffer(offer));
  const fresh = await sealOffer(base64url(opening), "bid", offer.bidder, offer);
  checks.seals_272_bytes = fromBase64url(fresh.ciphertext).length === 272;
  checks.own_envelope_opens = sameBytes(await openEnvelope(secret, opening, context, fresh), paddedOffer(offer));
  try {
    await openEnvelope(secret, opening, { ...context, lot: "2" }, fresh);
    checks.other_context_refused = false;
  } catch (error) {
    checks.other_context_refused = error.message === "the envelope does not open";
  }
  try {
    await openEnvelope(secret, opening, context, { ...envelope, version: 2 });
    checks.other_version_refused = false;
  } catch (error) {
    checks.other_version_refused = error.message === "the envelope is not of suite 1";
  }
  const verifier = await parseVerifierKey(examples.verifier_key);
  const checkpoint = await verifiedCheckpoint(examples.checkpoint + "\n", verifier);
  const receipt = JSON.parse(examples.receipt);
  const root = await rootOfInclusion(receipt.index, checkpoint.size, fromBase64url(receipt.leaf_hash), receipt.inclusion_proof.map(fromBase64url));
  checks.inclusion_proof = sameBytes(root, checkpoint.root);
  try {
    await verifiedCheckpoint(examples.checkpoint.replace("\n3\n", "\n4\n") + "\n", verifier);
    checks.altered_checkpoint_refused = false;
  } catch (error) {
    checks.altered_checkpoint_refused = error.message === "the checkpoint's signature does not verify";
  }
  // Yuan as typed become fen exactly, never through a float; what is not an amount is refused.
  checks.yuan_to_fen = fenOf("1,234,567.89", "price_yuan") === 123456789 && fenOf("0.1", "price_yuan") === 10
    && fenOf("¥ 5,000,000", "price_yuan") === 500000000 && fenOf("90071992547409.91", "price_yuan") === 9007199254740991;
  const refusedAmount = (typed) => { try { fenOf(typed, "price_yuan"); return false; } catch { return true; } };
  checks.non_amounts_refused = ["0", "1.234", "-5", "1e6", "", "90071992547409.92"].every(refusedAmount);
  // §1: each byte string has one text form; padding, the standard alphabet and non-zero
  // trailing bits are refused ("AQ" is the one form of 0x01, "AR" the same bits plus a stray one).
  const refusedText = (text) => { try { fromBase64url(text); return false; } catch { return true; } };
  checks.one_base64url_form = sameBytes(fromBase64url("AQ"), new Uint8Array([1])) && sameBytes(fromBase64url("_-8"), new Uint8Array([0xff, 0xef]))
    && ["AR", "AQ==", "AQE=", "/+8", "A", "AQJ"].every(refusedText) && sameBytes(fromBase64url("AQI"), new Uint8Array([1, 2]));
  return checks;
})().then(done, (error) => done({ failed: error.message }));
"#;

/// Runs [`WIRE_CHECKS`] in the page and asserts every check held.
async fn wire_matches_the_protocol(client: &Client) {
    let examples = json!({
        "identity": example("identity-public-key"),
        "signed": example("signed-message"),
        "envelope": example("envelope"),
        "envelope_sha256": example("envelope-sha256"),
        "opening_key": example("opening-public-key"),
        "plaintext": example("envelope-plaintext"),
        "verifier_key": example("note-verifier-key"),
        "checkpoint": example("signed-checkpoint"),
        "receipt": example("receipt"),
    });
    let checks = client.execute_async(WIRE_CHECKS, vec![examples]).await.unwrap();
    let checks = checks.as_object().unwrap();
    assert_eq!(checks.len(), 15, "every check ran: {checks:?}");
    for (name, held) in checks {
        assert_eq!(held, &Value::Bool(true), "wire check {name}: {checks:?}");
    }
}

/// The outcome line: `(sequence, state, sentence)`.
async fn outcome(client: &Client) -> (u64, String, String) {
    let line = client
        .execute(
            "const line = document.getElementById('outcome'); return [Number(line.dataset.sequence), line.dataset.state ?? '', line.textContent];",
            Vec::new(),
        )
        .await
        .unwrap();
    let line = line.as_array().unwrap();
    (
        line[0].as_u64().unwrap(),
        line[1].as_str().unwrap().to_owned(),
        line[2].as_str().unwrap().to_owned(),
    )
}

/// Clicks `css` (or, for a file input, chooses `file`) and waits (at most 60 s) for the outcome
/// it reports; `(state, sentence)`.
async fn press(client: &Client, css: &str, file: Option<&std::path::Path>) -> (String, String) {
    let (before, _, _) = outcome(client).await;
    let target = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css}: {error}"));
    match file {
        Some(path) => target.send_keys(&path.display().to_string()).await.unwrap(),
        None => target.click().await.unwrap(),
    }
    for _ in 0..600 {
        let (sequence, state, sentence) = outcome(client).await;
        if sequence > before && state != "working" {
            return (state, sentence);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("pressing {css} reported nothing");
}

/// As [`press`], asserting the action was done; its sentence.
async fn done(client: &Client, css: &str) -> String {
    let (state, sentence) = press(client, css, None).await;
    assert_eq!(state, "done", "{css}: {sentence}");
    sentence
}

/// Types `value` into the input `id`, replacing what it held.
async fn type_into(client: &Client, id: &str, value: &str) {
    let input = client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|error| panic!("no #{id}: {error}"));
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

/// Chooses `value` in the select `id`.
async fn choose(client: &Client, id: &str, value: &str) {
    let select = client.find(Locator::Id(id)).await.unwrap();
    select.select_by_value(value).await.unwrap();
}

/// China Standard Time `seconds_ahead` from now by the browser's clock, as the desks read it.
async fn china_time_ahead(client: &Client, seconds_ahead: u64) -> String {
    let script = "return new Date(Date.now() + 8 * 3600 * 1000 + arguments[0] * 1000).toISOString().slice(0, 19).replace('T', ' ');";
    let value = client.execute(script, vec![json!(seconds_ahead)]).await.unwrap();
    value.as_str().unwrap().to_owned()
}

/// Makes a key in the desk's page; its public key.
async fn make_key(client: &Client) -> PublicKey {
    let sentence = done(client, "#key-new").await;
    assert!(!sentence.is_empty());
    PublicKey::parse(&text_of(client, "#public-key").await).unwrap()
}

/// The platform's PKCS#8 v2 key file of the 32-byte `seed`.
fn key_file(seed: [u8; 32]) -> Vec<u8> {
    let identity = IdentityKeyPair::from_seed(&seed).unwrap();
    let mut file = hex_bytes("3051020101300506032b657004220420");
    file.extend_from_slice(&seed);
    file.extend_from_slice(&hex_bytes("812100"));
    file.extend_from_slice(&identity.public_key().0);
    assert_eq!(
        IdentityKeyPair::from_pkcs8(&file).unwrap().public_key(),
        identity.public_key()
    );
    file
}

/// Bytes of hexadecimal `text`.
fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_runs_through_the_participants_pages() {
    const LABEL: u8 = 11;
    let platform = Platform::start().await;
    let cast = cast(&platform, LABEL, 1).await;
    let registrar = key(LABEL, 1_002).unwrap();
    let browser = browser(&platform).await;
    let client = &browser.client;
    let home = format!("{}/", platform.base);
    let files = tempfile::tempdir().unwrap();

    // The page's wire computes the protocol's examples exactly.
    open(client, &home, "#/").await;
    wire_matches_the_protocol(client).await;

    // The office makes its key in the page and the operator grants it the role; the key file
    // the page exports is the platform's own format.
    open(client, &format!("{home}#/office"), "#/office").await;
    let office = make_key(client).await;
    run(
        &platform,
        &platform.operator,
        Action::GrantRole {
            actor: office,
            role: Role::Office,
            name: "福州市自然资源和规划局".into(),
        },
    )
    .await;
    let exported = client
        .execute(
            "return Array.from(atob(document.getElementById('key-export').href.split(',')[1]), (c) => c.charCodeAt(0));",
            Vec::new(),
        )
        .await
        .unwrap();
    let exported: Vec<u8> = serde_json::from_value(exported).unwrap();
    assert_eq!(IdentityKeyPair::from_pkcs8(&exported).unwrap().public_key(), office);

    // It publishes a land-use-right sale in the page; a deadline with no time is refused first.
    open(client, &format!("{home}#/office"), "#/office").await;
    assert!(text_of(client, "#who").await.contains("福州市自然资源和规划局"));
    type_into(client, "publish-title", "鼓楼区 2026-08 号地块国有建设用地使用权出让").await;
    choose(client, "publish-market", "land_use_right").await;
    let lot_id = client.find(Locator::Css(".lot-row .lot-id")).await.unwrap();
    lot_id.send_keys("A").await.unwrap();
    let lot_title = client.find(Locator::Css(".lot-row .lot-title")).await.unwrap();
    lot_title.send_keys("2026-08 号地块").await.unwrap();
    let committee: Vec<String> = cast.committee.identities().iter().map(ToString::to_string).collect();
    type_into(client, "publish-committee", &committee.join("\n")).await;
    type_into(client, "publish-threshold", "2").await;
    type_into(client, "publish-deadline", "tomorrow").await;
    let (state, sentence) = press(client, "#publish-tender", None).await;
    assert_eq!(state, "failed", "{sentence}");
    assert!(sentence.contains("YYYY-MM-DD"), "{sentence}");
    let (status, _, tenders) = platform.get("/v1/tenders?status=all").await;
    assert_eq!(
        (status, tenders),
        (StatusCode::OK, json!([])),
        "a refused form sends nothing"
    );
    // The form kept what was typed: only the deadline changes.
    type_into(client, "publish-deadline", &china_time_ahead(client, 3_600).await).await;
    let sentence = done(client, "#publish-tender").await;
    assert!(sentence.starts_with("项目 T-000001 已发布"), "{sentence}");
    screenshot(client, "desk-1-office-published").await;
    // The other desks in English, until the public page at the end.
    click(client, "#lang-en").await;
    let tender = TenderId::parse("T-000001").unwrap();
    let mut committee = cast.committee;
    for (identity, action) in committee.deals(&tender).unwrap() {
        run(&platform, identity, action).await;
    }
    for (identity, action) in committee.responses(&tender).unwrap() {
        run(&platform, identity, action).await;
    }
    let (_, _, view) = platform.get("/v1/tenders/T-000001").await;
    assert_eq!(view["tender"]["phase"], "bidding", "{view}");
    let opening_key = serde_json::from_value(view["tender"]["opening_key"].clone()).unwrap();

    // The office seals its reserve price in the page.
    open(client, &format!("{home}#/office"), "#/office").await;
    type_into(client, "reserve-price", "5,000,000").await;
    let sentence = done(client, "#reserve").await;
    assert!(
        sentence.contains("Reserve price of T-000001 lot A sealed"),
        "{sentence}"
    );

    // A bidder makes its key and applies to register; the registrar approves it.
    open(client, &format!("{home}#/bidder"), "#/bidder").await;
    let bidder = make_key(client).await;
    wait_for(client, "#registration-status[data-status=\"none\"]", 30).await;
    type_into(client, "organisation", "福州闽江置业有限公司").await;
    type_into(client, "credit-code", "91350100M000100Y43").await;
    done(client, "#register").await;
    wait_for(client, "#registration-status[data-status=\"pending\"]", 30).await;
    run(&platform, &registrar, Action::ApproveBidder { bidder }).await;
    open(client, &format!("{home}#/bidder"), "#/bidder").await;
    assert!(
        text_of(client, "#registration-status")
            .await
            .contains("福州闽江置业有限公司")
    );
    screenshot(client, "desk-2-bidder-approved").await;

    // It bids, withdraws, bids again and replaces, all sealed in the page; a price that is not
    // an amount is refused in the page and sends nothing, a second withdrawal by the node.
    type_into(client, "bid-price", "5,300,000.00").await;
    assert!(
        done(client, "#bid-submit")
            .await
            .contains("Bid on T-000001 lot A accepted at")
    );
    assert!(done(client, "#bid-withdraw").await.contains("withdrawn"));
    let (state, sentence) = press(client, "#bid-withdraw", None).await;
    assert_eq!(state, "failed", "{sentence}");
    assert!(sentence.starts_with("Refused (no-bid): "), "{sentence}");
    assert!(
        sentence.contains("(no-bid)"),
        "the node's refusal and its code: {sentence}"
    );
    type_into(client, "bid-price", "five million").await;
    let (state, sentence) = press(client, "#bid-submit", None).await;
    assert_eq!(
        (state.as_str(), sentence.contains("yuan")),
        ("failed", true),
        "{sentence}"
    );
    type_into(client, "bid-price", "5200000").await;
    done(client, "#bid-submit").await;
    type_into(client, "bid-price", "5,234,567.89").await;
    let sentence = done(client, "#bid-replace").await;
    assert!(sentence.contains("replaced at CN¥5,234,567.89"), "{sentence}");
    wait_for(client, "#held tr[data-tender=\"T-000001\"][data-lot=\"A\"]", 30).await;
    // Another bidder, from the same address, bids lower.
    let parcel = LotId::parse("A").unwrap();
    let rival = &cast.bidders[0];
    let envelope = sealed_offer(&tender, &parcel, rival, 510_000_000, None, &opening_key).unwrap();
    submit(&platform, rival, &tender, &parcel, &envelope).await;

    // The bidder checks a receipt against the log key the trading centre publishes.
    let folder = platform.folder().unwrap();
    let log_key = std::fs::read_to_string(folder.join("data").join("log.pub")).unwrap();
    type_into(client, "log-key", log_key.trim()).await;
    done(client, "#log-key-save").await;
    let rows = client.find_all(Locator::Css("#receipts tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 4, "four receipts kept");
    client
        .find(Locator::Css("#receipts tbody tr:last-child .verify"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        client,
        "#receipts tbody tr:last-child .verdict[data-state=\"verified\"]",
        30,
    )
    .await;
    screenshot(client, "desk-3-bidder-receipt").await;

    // Committee member 1 imports its key files in the page. A file that is not a key file is
    // refused (said in Chinese in the Chinese page), and the page keeps no key. While bids are
    // taken the member proves in the page that it still holds its share.
    let mut seed = [LABEL.wrapping_add(100); 32];
    seed[..8].copy_from_slice(&0u64.to_be_bytes());
    let identity_file = files.path().join("member-1.pk8");
    std::fs::write(&identity_file, key_file(seed)).unwrap();
    let encryption_file = files.path().join("member-1.enc");
    std::fs::write(&encryption_file, committee.members[0].1.secret().to_bytes()).unwrap();
    let other_encryption_file = files.path().join("member-2.enc");
    std::fs::write(&other_encryption_file, committee.members[1].1.secret().to_bytes()).unwrap();
    click(client, "#lang-zh").await;
    open(client, &format!("{home}#/committee"), "#/committee").await;
    let (state, sentence) = press(client, "#key-file", Some(&encryption_file)).await;
    assert_eq!(state, "failed", "{sentence}");
    assert!(
        sentence.starts_with("未能完成: 不是 Ed25519 密钥文件") && sentence.contains("此文件有 32 字节"),
        "{sentence}"
    );
    assert!(
        client.find_all(Locator::Id("key-export")).await.unwrap().is_empty(),
        "no key kept"
    );
    click(client, "#lang-en").await;
    open(client, &format!("{home}#/committee"), "#/committee").await;
    let (state, sentence) = press(client, "#key-file", Some(&encryption_file)).await;
    assert_eq!(state, "failed", "{sentence}");
    assert!(sentence.contains("not an Ed25519 key file"), "{sentence}");
    let (state, sentence) = press(client, "#key-file", Some(&identity_file)).await;
    assert_eq!(state, "done", "{sentence}");
    let (state, sentence) = press(client, "#encryption-file", Some(&encryption_file)).await;
    assert_eq!(state, "done", "{sentence}");
    let row = "#committees tr[data-tender=\"T-000001\"]";
    assert!(!text_of(client, row).await.contains("CST"), "no proof yet");
    let sentence = done(client, "#prove-T-000001").await;
    assert!(
        sentence.starts_with("Proved holding the share for T-000001 (member 1, deadline "),
        "{sentence}"
    );
    let (_, _, view) = platform.get("/v1/tenders/T-000001").await;
    assert!(
        view["tender"]["readiness"]["1"]["audit_index"].is_u64(),
        "the ledger checked and kept the proof: {view}"
    );
    assert!(text_of(client, row).await.contains("CST"), "the proof's time is shown");

    // The supervisor's page is open when bidding closes: the close's warning shows up on it
    // without a reload (both bids came from one address).
    open(client, &format!("{home}#/supervisor"), "#/supervisor").await;
    let supervisor = make_key(client).await;
    run(
        &platform,
        &platform.operator,
        Action::GrantRole {
            actor: supervisor,
            role: Role::Supervisor,
            name: "福州市公共资源交易监督办".into(),
        },
    )
    .await;
    open(client, &format!("{home}#/office"), "#/office").await;
    type_into(client, "amend-notice", "投标截止时间提前").await;
    type_into(client, "amend-deadline", &china_time_ahead(client, 6).await).await;
    assert!(done(client, "#amend").await.contains("T-000001 amended"));
    open(client, &format!("{home}#/supervisor"), "#/supervisor").await;
    client
        .execute("document.body.dataset.marker = 'loaded once';", Vec::new())
        .await
        .unwrap();
    wait_for(client, "#performance-chart", 10).await;
    assert!(
        client
            .find_all(Locator::Css("#warnings tr[data-indicator=\"shared-address\"]"))
            .await
            .unwrap()
            .is_empty()
    );
    wait_for(client, "#live tr[data-kind=\"close\"]", 60).await;
    wait_for(
        client,
        "#warnings tr[data-indicator=\"shared-address\"][data-level=\"yellow\"]",
        30,
    )
    .await;
    let marker = client
        .execute("return document.body.dataset.marker;", Vec::new())
        .await
        .unwrap();
    assert_eq!(marker, json!("loaded once"), "the page was not reloaded");
    client
        .execute("document.getElementById('warnings').scrollIntoView();", Vec::new())
        .await
        .unwrap();
    screenshot(client, "desk-4-supervisor-warning").await;
    // The supervisor acknowledges it in the page; without a reason nothing is sent.
    let row = client
        .find(Locator::Css("#warnings tr[data-indicator=\"shared-address\"]"))
        .await
        .unwrap();
    let warning = row.attr("data-warning").await.unwrap().unwrap();
    choose(client, "dispose-warning", &format!("T-000001 {warning}")).await;
    choose(client, "dispose-disposition", "acknowledge").await;
    let (state, sentence) = press(client, "#dispose", None).await;
    assert_eq!(
        (state.as_str(), sentence.contains("Reason: required")),
        ("failed", true),
        "{sentence}"
    );
    type_into(client, "dispose-reason", "两家公司的投标来自同一地址，已约谈核实").await;
    let sentence = done(client, "#dispose").await;
    assert!(
        sentence.starts_with(&format!("Warning {warning}: Acknowledge")),
        "{sentence}"
    );
    wait_for(client, &format!("#warnings tr[data-warning=\"{warning}\"]"), 30).await;
    let disposed = text_of(client, &format!("#warnings tr[data-warning=\"{warning}\"]")).await;
    assert!(disposed.contains("Acknowledge"), "{disposed}");

    // After the close, committee member 1 releases its share in the page; member 2 releases
    // from its own machine. Another member's encryption key opens none of this member's shares:
    // nothing is sent.
    open(client, &format!("{home}#/committee"), "#/committee").await;
    let (state, sentence) = press(client, "#encryption-file", Some(&other_encryption_file)).await;
    assert_eq!(state, "done", "{sentence}");
    let (status, _, before) = platform.get("/v1/audit/head").await;
    assert_eq!(status, StatusCode::OK);
    let (state, sentence) = press(client, "#release-T-000001", None).await;
    assert_eq!(state, "failed", "{sentence}");
    assert!(
        sentence.contains("not the one registered for this member"),
        "{sentence}"
    );
    assert_eq!(
        platform.get("/v1/audit/head").await.2["size"],
        before["size"],
        "nothing was sent"
    );
    let (state, sentence) = press(client, "#encryption-file", Some(&encryption_file)).await;
    assert_eq!(state, "done", "{sentence}");
    let sentence = done(client, "#release-T-000001").await;
    assert!(
        sentence.contains("Share for T-000001 released: 1 of the 2"),
        "{sentence}"
    );
    screenshot(client, "desk-5-committee-released").await;
    let (identity, action) = committee.release(&tender, 2).unwrap();
    run(&platform, identity, action).await;

    // The office opens and awards in the page.
    open(client, &format!("{home}#/office"), "#/office").await;
    let sentence = done(client, "#open").await;
    assert!(
        sentence.contains("T-000001 opened: 2 valid bid(s), 0 not valid"),
        "{sentence}"
    );
    let opened_bids = text_of(client, "#my-tenders").await;
    assert!(
        opened_bids.contains("福州闽江置业有限公司 CN¥5,234,567.89"),
        "named, in yuan: {opened_bids}"
    );
    let (_, _, bids) = platform.get("/v1/tenders/T-000001/bids").await;
    let opened = bids["opened"]["bids"].as_array().unwrap();
    let own = opened.iter().find(|bid| bid["bidder"] == bidder.to_string()).unwrap();
    assert_eq!(
        (own["price_fen"].as_u64(), &own["status"]),
        (Some(523_456_789), &json!("valid")),
        "{bids}"
    );
    assert_eq!(bids["opened"]["reserves"]["A"], json!(500_000_000), "{bids}");
    screenshot(client, "desk-6-office-opened").await;
    let sentence = done(client, "#award").await;
    assert!(sentence.contains("T-000001 awarded"), "{sentence}");
    let (_, _, view) = platform.get("/v1/tenders/T-000001").await;
    let won = &view["results"]["A"]["awarded"]["winners"][0];
    assert_eq!(
        (won["bidder"].as_str(), won["price_fen"].as_u64()),
        (Some(bidder.to_string().as_str()), Some(523_456_789)),
        "{view}"
    );

    // The public page shows the result; the last outcome read in Chinese.
    click(client, "#lang-zh").await;
    open(client, &format!("{home}#/tender/T-000001"), "#/tender/T-000001").await;
    let results = text_of(client, "#results").await;
    assert!(
        results.contains("福州闽江置业有限公司") && results.contains("5,234,567.89"),
        "{results}"
    );
    assert_eq!(text_of(client, "#phase").await, "已定标");
    screenshot(client, "desk-7-public-result").await;

    // Nothing the pages loaded came from anywhere but the node.
    finish(browser, platform).await;
}

/// Makes the answer to the page's next command get lost after the node applied it, as when the
/// connection drops on the way back; other requests (the stream, the warnings) go through.
const LOSE_NEXT_COMMAND_ANSWER: &str = r##"
const original = window.fetch;
window.fetch = async (resource, ...rest) => {
  if (String(resource) !== "/v1/commands") return original(resource, ...rest);
  window.fetch = original;
  await original(resource, ...rest);
  throw new TypeError("the connection was reset");
};
"##;

/// Presses `css` with the answer to its command lost after the node applied it; the page says
/// no answer came.
async fn press_losing_the_answer(client: &Client, css: &str) {
    client.execute(LOSE_NEXT_COMMAND_ANSWER, Vec::new()).await.unwrap();
    let (state, sentence) = press(client, css, None).await;
    assert_eq!(state, "failed", "{sentence}");
    assert!(sentence.contains("no answer from the node"), "{sentence}");
}

/// Counts the page's requests of the supervision stream on the body (`data-stream-requests`),
/// makes the first fail as a dropped connection does, and shows the supervisor's desk.
const FIRST_STREAM_FAILS: &str = r##"
const original = window.fetch;
window.fetch = async (resource, ...rest) => {
  if (!String(resource).includes("/v1/supervision/stream")) return original(resource, ...rest);
  const count = Number(document.body.dataset.streamRequests ?? 0) + 1;
  document.body.dataset.streamRequests = String(count);
  if (count === 1) throw new TypeError("the connection was reset");
  return original(resource, ...rest);
};
location.hash = "#/supervisor";
"##;

/// The seed `sealbid_testkit::key(label, index)` derives.
fn seed_of(label: u8, index: u64) -> [u8; 32] {
    let mut seed = [label; 32];
    seed[..8].copy_from_slice(&index.to_be_bytes());
    seed
}

/// The tender's view, from the API.
async fn tender_view(platform: &Platform) -> Value {
    let (status, _, view) = platform.get("/v1/tenders/T-000001").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view["tender"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_and_offices_act_in_their_pages() {
    const LABEL: u8 = 12;
    let platform = Platform::start().await;
    crate::tender::publish_test_calendars(&platform).await;
    let mut cast = cast(&platform, LABEL, 3).await;
    let deadline_ms = crate::support::now_ms() + crate::tender::BIDDING_MS;
    let lot_spec = crate::tender::lot("1");
    let (tender, opening_key) = crate::tender::publish_until(
        &platform,
        &mut cast,
        sealbid_ledger::types::Market::Construction,
        lot_spec,
        deadline_ms,
    )
    .await;
    let lot = LotId::parse("1").unwrap();
    for (index, price) in [100_000_000u64, 110_000_000, 120_000_000].into_iter().enumerate() {
        let envelope = sealed_offer(&tender, &lot, &cast.bidders[index], price, None, &opening_key).unwrap();
        submit(&platform, &cast.bidders[index], &tender, &lot, &envelope).await;
    }
    let browser = browser(&platform).await;
    let client = &browser.client;
    let home = format!("{}/", platform.base);
    let files = tempfile::tempdir().unwrap();
    open(client, &home, "#/").await;
    click(client, "#lang-en").await;

    // A supervisor's key made in the page holds no role until it is granted: the desk says so.
    open(client, &format!("{home}#/supervisor"), "#/supervisor").await;
    let supervisor = make_key(client).await;
    assert!(text_of(client, "#who").await.contains("(missing-role)"));
    run(
        &platform,
        &platform.operator,
        Action::GrantRole {
            actor: supervisor,
            role: Role::Supervisor,
            name: "Supervision bureau".into(),
        },
    )
    .await;

    // The live stream's first connection fails: the desk reconnects by itself, and an entry
    // appended after that shows up in it without a reload.
    open(client, &home, "#/").await;
    client.execute(FIRST_STREAM_FAILS, Vec::new()).await.unwrap();
    wait_for(client, "main[data-ready=\"#/supervisor\"]", 30).await;
    wait_for(client, "body[data-stream-requests=\"2\"]", 30).await;

    // A bidder complains; the supervisor accepts the complaint in the page, which suspends the
    // tender, and dismisses it, which resumes it. Deciding twice is refused by the node.
    let complaint = Action::FileComplaint {
        tender: tender.clone(),
        matter: sealbid_ledger::complaints::ComplaintMatter::Other,
        objection: None,
        known_at_ms: Some(crate::support::now_ms()),
        text: "招标文件设置了排斥潜在投标人的资格条件".into(),
    };
    run(&platform, &cast.bidders[0], complaint).await;
    wait_for(client, "#live tr[data-kind=\"file_complaint\"]", 30).await;
    assert!(
        text_of(client, "#stream-state")
            .await
            .starts_with("Receiving entries from")
    );
    open(client, &format!("{home}#/supervisor"), "#/supervisor").await;
    wait_for(client, "#complaints tr[data-complaint=\"CP-000001\"]", 30).await;
    choose(client, "complaint-review", "accepted_suspend").await;
    let (state, sentence) = press(client, "#review", None).await;
    assert_eq!(
        (state.as_str(), sentence.contains("Text: required")),
        ("failed", true),
        "{sentence}"
    );
    type_into(client, "complaint-text", "投诉材料齐全，予以受理，暂停招标投标活动").await;
    let sentence = done(client, "#review").await;
    assert!(sentence.starts_with("Complaint CP-000001 reviewed"), "{sentence}");
    assert!(
        tender_view(&platform).await["suspended_since_ms"].is_u64(),
        "the acceptance suspended the tender"
    );
    choose(client, "complaint-decision", "dismissed").await;
    type_into(client, "complaint-text", "经调查，资格条件符合规定，驳回投诉").await;
    let sentence = done(client, "#decide").await;
    assert!(sentence.starts_with("Complaint CP-000001 decided"), "{sentence}");
    assert!(
        tender_view(&platform).await["suspended_since_ms"].is_null(),
        "the decision resumed the tender"
    );
    type_into(client, "complaint-text", "再次决定").await;
    let (state, sentence) = press(client, "#decide", None).await;
    assert_eq!(state, "failed", "{sentence}");
    assert!(sentence.starts_with("Refused (complaint-decided): "), "{sentence}");
    // In the Chinese page the refusal is said in Chinese; the node's own detail is the line's title.
    click(client, "#lang-zh").await;
    open(client, &format!("{home}#/supervisor"), "#/supervisor").await;
    wait_for(client, "#complaints tr[data-complaint=\"CP-000001\"]", 30).await;
    choose(client, "complaint-decision", "dismissed").await;
    type_into(client, "complaint-text", "再次决定").await;
    let (state, sentence) = press(client, "#decide", None).await;
    assert_eq!(
        (state.as_str(), sentence.as_str()),
        ("failed", "被拒绝 (complaint-decided): 投诉已经作出处理决定")
    );
    let detail = attribute_of(client, "#outcome", "title").await.unwrap_or_default();
    assert!(detail.contains("CP-000001"), "the node's detail: {detail}");
    click(client, "#lang-en").await;
    open(client, &format!("{home}#/supervisor"), "#/supervisor").await;

    // It suspends and resumes the tender in the page. The suspension's answer is lost on the
    // way back (the page's command is made to fail after the node answered): the page keeps
    // the signed command, and sending the same bytes again gets the original receipt.
    choose(client, "suspend-tender", "T-000001").await;
    type_into(client, "suspend-reason", "核查投标人资格").await;
    press_losing_the_answer(client, "#suspend").await;
    assert!(
        tender_view(&platform).await["suspended_since_ms"].is_u64(),
        "the node applied it"
    );
    let sentence = done(client, "#send-again").await;
    assert!(sentence.starts_with("T-000001 suspended"), "{sentence}");
    assert!(
        sentence.contains("applied before, this is its original receipt"),
        "{sentence}"
    );
    // The resumption's answer is lost too, and the page is reloaded: the tab kept the signed
    // command, and sending it again gets its original receipt.
    choose(client, "suspend-tender", "T-000001").await;
    press_losing_the_answer(client, "#resume").await;
    assert!(
        tender_view(&platform).await["suspended_since_ms"].is_null(),
        "the node applied it"
    );
    open(client, &format!("{home}#/supervisor"), "#/supervisor").await;
    let (_, state, sentence) = outcome(client).await;
    assert_eq!(state, "failed", "{sentence}");
    assert!(sentence.contains("it is kept and can be sent again"), "{sentence}");
    let sentence = done(client, "#send-again").await;
    assert!(
        sentence.starts_with("The kept command was applied")
            && sentence.contains("applied before, this is its original receipt"),
        "{sentence}"
    );
    // Once sent, it is no longer offered.
    open(client, &format!("{home}#/supervisor"), "#/supervisor").await;
    assert!(client.find_all(Locator::Id("send-again")).await.unwrap().is_empty());
    assert!(tender_view(&platform).await["suspended_since_ms"].is_null());

    // The month's performance chart counts the supervisors' two acts, both on time.
    open(client, &format!("{home}#/supervisor"), "#/supervisor").await;
    let chart = text_of(client, "#performance-chart").await;
    assert!(chart.contains("Supervision") && chart.contains("2 / 2"), "{chart}");
    let bar = attribute_of(client, "#performance-chart rect.on-time", "width")
        .await
        .unwrap();
    assert!(bar.parse::<f64>().unwrap() > 0.0, "{bar}");
    // A month that is not one is refused in the page, which keeps the chart it shows.
    type_into(client, "performance-month", "2026-13").await;
    let (before, _, _) = outcome(client).await;
    client
        .execute(
            "document.getElementById('performance-month').dispatchEvent(new Event('change'));",
            Vec::new(),
        )
        .await
        .unwrap();
    let (sequence, state, sentence) = outcome(client).await;
    assert_eq!(
        (sequence, state.as_str(), sentence.as_str()),
        (before + 1, "failed", "Month: YYYY-MM")
    );
    assert_eq!(text_of(client, "#performance-chart").await, chart);
    client
        .execute("document.getElementById('complaints').scrollIntoView();", Vec::new())
        .await
        .unwrap();
    screenshot(client, "desk-8-supervisor-complaints").await;

    // The office imports its key file, ends bidding by an amendment, and after the committee's
    // shares opens, disqualifies the lowest bid, publishes the candidates and at last cancels.
    let office_file = files.path().join("office.pk8");
    std::fs::write(&office_file, key_file(seed_of(LABEL, 1_000))).unwrap();
    open(client, &format!("{home}#/office"), "#/office").await;
    let (state, sentence) = press(client, "#key-file", Some(&office_file)).await;
    assert_eq!(state, "done", "{sentence}");
    assert_eq!(
        text_of(client, "#public-key").await,
        cast.office.public_key().to_string()
    );
    type_into(client, "amend-notice", "Bidding ends shortly").await;
    type_into(client, "amend-deadline", &china_time_ahead(client, 4).await).await;
    done(client, "#amend").await;
    crate::tender::wait_closed(&platform, &tender).await;
    for member in 1..=2 {
        let (identity, action) = cast.committee.release(&tender, member).unwrap();
        run(&platform, identity, action).await;
    }
    open(client, &format!("{home}#/office"), "#/office").await;
    let sentence = done(client, "#open").await;
    assert!(
        sentence.starts_with("T-000001 opened: 3 valid bid(s), 0 not valid"),
        "{sentence}"
    );
    let lowest = cast.bidders[0].public_key().to_string();
    choose(client, "disqualify-bid", &format!("1 {lowest}")).await;
    type_into(client, "disqualify-reason", "资格证明文件不全").await;
    let sentence = done(client, "#disqualify").await;
    assert!(
        sentence.starts_with("A bid on T-000001 lot 1 disqualified"),
        "{sentence}"
    );
    let (_, _, bids) = platform.get("/v1/tenders/T-000001/bids").await;
    let disqualified = bids["opened"]["bids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|bid| bid["bidder"] == lowest)
        .unwrap();
    assert_eq!(
        disqualified["status"]["disqualified"]["reason"], "资格证明文件不全",
        "{bids}"
    );
    let shown = text_of(client, "#my-tenders").await;
    assert!(shown.contains("disqualified: 资格证明文件不全"), "{shown}");
    let sentence = done(client, "#publish-candidates").await;
    assert!(sentence.starts_with("Candidates of T-000001 published"), "{sentence}");
    assert_eq!(tender_view(&platform).await["phase"], "publicity");
    screenshot(client, "desk-9-office-candidates").await;
    let (state, sentence) = press(client, "#cancel", None).await;
    assert_eq!(
        (state.as_str(), sentence.contains("Reason: required")),
        ("failed", true),
        "{sentence}"
    );
    assert_eq!(
        tender_view(&platform).await["phase"],
        "publicity",
        "a refused form sends nothing"
    );
    type_into(client, "cancel-reason", "项目资金未落实，终止招标").await;
    assert!(done(client, "#cancel").await.starts_with("T-000001 cancelled"));

    // The public page shows the cancelled tender and the candidates it had published.
    open(client, &format!("{home}#/tender/T-000001"), "#/tender/T-000001").await;
    assert_eq!(text_of(client, "#phase").await, "Cancelled");
    let candidates = text_of(client, "#candidates").await;
    assert!(
        candidates.contains("1,100,000.00") && !candidates.contains("1,000,000.00"),
        "{candidates}"
    );
    let decided = text_of(client, "#complaint-decisions tr[data-complaint=\"CP-000001\"]").await;
    assert!(
        decided.contains("Dismissed") && decided.contains("经调查，资格条件符合规定，驳回投诉"),
        "{decided}"
    );
    assert_eq!(text_of(client, "#cancellation p").await, "项目资金未落实，终止招标");
    screenshot(client, "desk-10-public-cancelled").await;
    // Nothing the pages loaded came from anywhere but the node.
    finish(browser, platform).await;
}
