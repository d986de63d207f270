//! Reads by role, signed by the reader (RFC 9421 with Ed25519): unsigned, badly signed and
//! wrongly scoped reads of the role-only routes get 401 problems, readers without the role 403,
//! and nothing else; a supervisor's signed read sees the live bids and every entry in full, so
//! its replay reaches the head while the tender takes bids; a registrar reads the whole
//! registry; a bidder reads its own registration and bids.

use reqwest::StatusCode;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::note::NoteVerifier;
use sealbid_ledger::types::{LotId, Market, Role};
use sealbid_node::checkpoints::verify_checkpoint;
use sealbid_testkit::{grant, key, sealed_offer};
use serde_json::Value;

use crate::support::{Platform, now_ms};
use crate::tender::{BIDDING_MS, cast, lot, publish_until, run, submit};

/// What a test does to a signed read's fields before sending it.
type Tamper = Box<dyn FnOnce(&mut http::HeaderMap)>;

/// Unix time now, in seconds.
fn now_seconds() -> u64 {
    now_ms() / 1_000
}

/// GETs `path` signed by `reader` as created at `created_seconds` for `lifetime_seconds`, after
/// `tamper` has had its way with the signed request's fields; the answer.
async fn signed_get(
    platform: &Platform,
    path: &str,
    reader: &IdentityKeyPair,
    created_seconds: u64,
    lifetime_seconds: u64,
    tamper: impl FnOnce(&mut http::HeaderMap),
) -> (StatusCode, Value) {
    let url = format!("{}{path}", platform.base);
    let mut request = http::Request::builder().uri(&url).body(String::new()).unwrap();
    sealbid_api::reader::sign_read(&mut request, reader, created_seconds, lifetime_seconds)
        .await
        .unwrap();
    tamper(request.headers_mut());
    send(platform, &url, request.headers()).await
}

/// GETs `url` with `headers`; the status and the JSON answer (a problem is checked as one).
async fn send(platform: &Platform, url: &str, headers: &http::HeaderMap) -> (StatusCode, Value) {
    let client = sealbid_api::client::https_client(&platform.authority).unwrap();
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_bytes());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let media_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned());
    let body: Value = response.json().await.unwrap();
    if !status.is_success() {
        assert_eq!(media_type.as_deref(), Some("application/problem+json"), "{body}");
    }
    (status, body)
}

/// A signed read of `path` at the current time by the platform's clock.
pub(crate) async fn read(platform: &Platform, path: &str, reader: &IdentityKeyPair) -> (StatusCode, Value) {
    signed_get(platform, path, reader, platform.now_ms() / 1_000, 60, |_| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_by_role_are_signed_and_a_supervisor_sees_the_live_bids() {
    const LABEL: u8 = 11;
    let platform = Platform::start().await;
    let mut cast = cast(&platform, LABEL, 2).await;
    let supervisor = key(LABEL, 1_001).unwrap();
    let registrar = key(LABEL, 1_002).unwrap();
    let (tender, opening_key) = publish_until(
        &platform,
        &mut cast,
        Market::Procurement,
        lot("1"),
        now_ms() + BIDDING_MS,
    )
    .await;
    let lot_id = LotId::parse("1").unwrap();
    for bidder in &cast.bidders {
        let envelope = sealed_offer(&tender, &lot_id, bidder, 50_000, None, &opening_key).unwrap();
        submit(&platform, bidder, &tender, &lot_id, &envelope).await;
    }
    let live_bids = format!("/v1/supervision/tenders/{tender}/bids");
    let role_only = [
        "/v1/supervision/entries?from=0&count=5".to_owned(),
        "/v1/supervision/sources?from=0&count=5".to_owned(),
        live_bids.clone(),
        "/v1/registry".to_owned(),
        "/v1/me".to_owned(),
    ];

    // Unsigned: 401 signature-required on every role-only route.
    for path in &role_only {
        let (status, body) = send(&platform, &format!("{}{path}", platform.base), &http::HeaderMap::new()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("signature-required")),
            "{path}: {body}"
        );
    }

    // Badly signed: 401 bad-read-signature, whatever is wrong.
    let stranger = key(LABEL, 4_000).unwrap();
    let now = now_seconds();
    let other_key = stranger.public_key().to_string();
    let cases: Vec<(&str, u64, u64, Tamper)> = vec![
        ("expired", now - 600, 60, Box::new(|_| {})),
        ("created ahead of the clock", now + 600, 60, Box::new(|_| {})),
        ("living too long", now, 3_600, Box::new(|_| {})),
        (
            "naming another key",
            now,
            60,
            Box::new(move |headers| {
                let input = headers["signature-input"].to_str().unwrap().to_owned();
                let start = input.find("keyid=\"").unwrap() + 7;
                let end = start + input[start..].find('"').unwrap();
                let changed = format!("{}{other_key}{}", &input[..start], &input[end..]);
                headers.insert("signature-input", changed.parse().unwrap());
            }),
        ),
        (
            "covering too little",
            now,
            60,
            Box::new(move |headers| {
                let changed = format!(
                    "sealbid=(\"@method\");created={now};expires={};keyid=\"{}\";alg=\"ed25519\"",
                    now + 60,
                    supervisor_text()
                );
                headers.insert("signature-input", changed.parse().unwrap());
            }),
        ),
        (
            "a garbled field",
            now,
            60,
            Box::new(|headers| {
                headers.insert("signature-input", "sealbid=((".parse().unwrap());
            }),
        ),
        (
            "a signature of other bytes",
            now,
            60,
            Box::new(|headers| {
                let signature = format!("sealbid=:{}:", "A".repeat(86) + "==");
                headers.insert("signature", signature.parse().unwrap());
            }),
        ),
    ];
    for (what, created, lifetime, tamper) in cases {
        let (status, body) = signed_get(&platform, &live_bids, &supervisor, created, lifetime, tamper).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("bad-read-signature")),
            "{what}: {body}"
        );
    }
    // A signature for one route does not read another.
    let url = format!("{}{live_bids}", platform.base);
    let mut request = http::Request::builder()
        .uri(format!("{}/v1/registry", platform.base))
        .body(String::new())
        .unwrap();
    sealbid_api::reader::sign_read(&mut request, &supervisor, now, 60)
        .await
        .unwrap();
    let (status, body) = send(&platform, &url, request.headers()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad-read-signature")),
        "{body}"
    );

    // Signed by a key without the role: 403.
    for (path, reader) in [
        (&live_bids, &cast.bidders[0]),
        (&"/v1/registry".to_owned(), &cast.bidders[0]),
        (&live_bids, &registrar),
    ] {
        let (status, body) = read(&platform, path, reader).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("missing-role")),
            "{path}: {body}"
        );
        assert!(
            !body.to_string().contains(&cast.bidders[1].public_key().to_string()),
            "{body}"
        );
    }

    // The supervisor sees the live bids, with their bidders, and every entry in full.
    let (status, body) = read(&platform, &live_bids, &supervisor).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["phase"], "bidding");
    let bidders: Vec<&str> = body["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bid| bid["bidder"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = cast
        .bidders
        .iter()
        .map(|bidder| bidder.public_key().to_string())
        .collect();
    assert_eq!(bidders, expected);
    let client = sealbid_api::client::Client::new(&platform.base, &platform.authority).unwrap();
    let log_key = NoteVerifier::parse(&client.log_key().await.unwrap().verifier_key).unwrap();
    let (copy, entries) = sealbid_node::audit::fetch(&client, Some(&supervisor), |_, _| {})
        .await
        .unwrap();
    assert!(entries.iter().all(|entry| entry.text().is_some()));
    let checkpoint = verify_checkpoint(&copy.checkpoint, &log_key).unwrap();
    let report = sealbid_node::audit::verify(&copy.head, &[checkpoint], &entries, |_| {}).unwrap();
    assert_eq!((report.replayed, report.withheld), (copy.head.size, 0));
    assert!(
        report.state_hash_checked,
        "the supervisor's replay reaches the head while bids are sealed"
    );

    // The supervisor reads where each command came from: every command entry's commitment is
    // to its recorded address (this test's client, 127.0.0.1) and salt.
    let (status, sources) = read(
        &platform,
        &format!("/v1/supervision/sources?from=0&count={}", copy.head.size),
        &supervisor,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sources}");
    let sources: Vec<sealbid_api::signed_reads::CommandSource> = serde_json::from_value(sources).unwrap();
    let mut commands = 0;
    for entry in &entries {
        let parsed: sealbid_ledger::command::Entry = serde_json::from_str(entry.text().unwrap()).unwrap();
        let sealbid_ledger::command::EntryBody::Command(received) = parsed.body else {
            continue;
        };
        commands += 1;
        let source = sources.iter().find(|source| source.index == entry.index).unwrap();
        assert_eq!(source.address.to_string(), "127.0.0.1");
        let recorded = sealbid_ledger::command::Source {
            address: source.address,
            salt: source.salt,
        };
        assert_eq!(
            received.arrival.source_sha256,
            Some(recorded.commitment()),
            "entry {}",
            entry.index
        );
        assert!(received.arrival.source.is_none(), "the entry itself holds no address");
    }
    assert_eq!(sources.len(), commands, "one source per command, none for the genesis");

    // The registrar reads the whole registry, the bidders in it.
    let (status, registry) = read(&platform, "/v1/registry", &registrar).await;
    assert_eq!(status, StatusCode::OK, "{registry}");
    let text = registry.to_string();
    assert!(
        expected.iter().all(|bidder| text.contains(bidder.as_str())),
        "{registry}"
    );
    // A page at a time, each read signed afresh: the bidders one by one, then none.
    let mut paged = Vec::new();
    let mut path = "/v1/registry?role=bidder&count=1".to_owned();
    for _ in 0..expected.len() + 1 {
        let (status, page) = read(&platform, &path, &registrar).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let Some(participant) = page.as_array().unwrap().first() else {
            break;
        };
        assert_eq!(page.as_array().unwrap().len(), 1, "{page}");
        let key = participant["key"].as_str().unwrap().to_owned();
        path = format!("/v1/registry?role=bidder&count=1&after={}", key.replace(':', "%3A"));
        paged.push(key);
    }
    let mut bidders_by_key = expected.clone();
    bidders_by_key.sort_by_key(|text| sealbid_crypto::identity::PublicKey::parse(text).unwrap().0);
    assert_eq!(paged, bidders_by_key, "every bidder once, by key");
    let (status, refused) = read(&platform, "/v1/registry?count=many", &registrar).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed-query")),
        "{refused}"
    );

    // A bidder reads its own registration and bids; a key the ledger does not know, nothing.
    let (status, own) = read(&platform, "/v1/me", &cast.bidders[1]).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["participant"]["key"], expected[1]);
    assert_eq!(own["participant"]["registration"]["status"], "approved");
    assert_eq!(own["bids"].as_array().unwrap().len(), 1, "{own}");
    assert_eq!(own["bids"][0]["tender"], tender.to_string());
    let (status, unknown) = read(&platform, "/v1/me", &stranger).await;
    assert_eq!(status, StatusCode::OK, "{unknown}");
    assert_eq!(
        unknown,
        serde_json::json!({"participant": null, "bids": [], "corrections": [], "objections": [], "suspended_tenders": []})
    );

    // Granting the role opens the route to that key.
    run(
        &platform,
        &platform.operator,
        grant(&stranger, Role::Supervisor, "Second supervisor"),
    )
    .await;
    let (status, body) = read(&platform, &live_bids, &stranger).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    platform.stop().await;

    /// The supervisor's key text (cast label [`LABEL`]).
    fn supervisor_text() -> String {
        key(LABEL, 1_001).unwrap().public_key().to_string()
    }
}

/// The content of the fenced block after `<!-- example: name -->` in docs/protocol.md.
fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/protocol.md");
    let document = std::fs::read_to_string(path).unwrap();
    let marker = format!("<!-- example: {name} -->\n```text\n");
    let start = document.find(&marker).map_or(0, |at| at + marker.len());
    let body = &document[start..];
    body[..body.find("\n```").unwrap_or(0)].to_string()
}

/// docs/protocol.md §9.10's example: the signature base of a read of `/v1/me` by the examples'
/// key (seed 32 × 0x01) at 1,800,000,000 s for 60 s, and the two fields that sign it.
#[tokio::test]
async fn the_documented_read_signature() {
    let reader = IdentityKeyPair::from_seed(&[1; 32]).unwrap();
    let mut request = http::Request::builder()
        .uri("https://sealbid.example/v1/me")
        .body(String::new())
        .unwrap();
    sealbid_api::reader::sign_read(&mut request, &reader, 1_800_000_000, 60)
        .await
        .unwrap();
    let fields = format!(
        "Signature-Input: {}\nSignature: {}",
        request.headers()["signature-input"].to_str().unwrap(),
        request.headers()["signature"].to_str().unwrap()
    );
    let key = reader.public_key();
    let base = format!(
        "\"@method\": GET\n\"@authority\": sealbid.example\n\"@path\": /v1/me\n\"@query\": ?\n\
         \"@signature-params\": (\"@method\" \"@authority\" \"@path\" \"@query\");created=1800000000;expires=1800000060;\
         alg=\"ed25519\";keyid=\"{key}\""
    );
    assert_eq!(
        (example("read-signature-base"), example("read-signature-fields")),
        (base.clone(), fields.clone()),
        "docs/protocol.md should read:\n<!-- example: read-signature-base -->\n```text\n{base}\n```\n\
         <!-- example: read-signature-fields -->\n```text\n{fields}\n```"
    );
    // The documented signature is Ed25519 over the documented base, by the documented key.
    let signature_text = fields
        .lines()
        .nth(1)
        .unwrap()
        .trim_start_matches("Signature: sealbid=:")
        .trim_end_matches(':');
    let signature = base64_standard(signature_text);
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key.0)
        .verify(base.as_bytes(), &signature)
        .unwrap();
}

/// Standard, padded base64 (RFC 4648 §4), decoded.
fn base64_standard(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}
