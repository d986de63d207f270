//! The public API over HTTPS: a command's receipt, its replay, the audit trail and health; and
//! every kind of bad input answered with a 4xx problem that leaves the state as it was.

use reqwest::StatusCode;
use ring::rand::SystemRandom;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::leaf_hash;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::Action;
use sealbid_ledger::types::{Role, TenderId};
use serde_json::{Value, json};

use crate::support::Platform;

const PROBLEM: &str = "application/problem+json";

fn new_key() -> IdentityKeyPair {
    IdentityKeyPair::generate(&SystemRandom::new()).unwrap().0
}

fn grant(actor: &IdentityKeyPair, role: Role, name: &str) -> Action {
    Action::GrantRole {
        actor: actor.public_key(),
        role,
        name: name.into(),
    }
}

/// Asserts a problem with `status` and `code`, and returns its detail.
fn assert_problem(answer: &(StatusCode, String, Value), status: StatusCode, code: &str) -> String {
    let (got_status, content_type, body) = answer;
    assert_eq!(*got_status, status, "{body}");
    assert_eq!(content_type, PROBLEM, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["type"], format!("urn:sealbid:problem:{code}"), "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    let detail = body["detail"].as_str().unwrap().to_string();
    assert!(!detail.is_empty(), "{body}");
    detail
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_gets_a_receipt_in_the_audit_trail_and_its_replay_the_same_receipt() {
    let platform = Platform::start().await;
    let (status, _, ready) = platform.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{ready}");

    let office = new_key();
    let command = platform.sign(
        &platform.operator,
        grant(&office, Role::Office, "City procurement office"),
    );
    let (status, _, receipt) = platform.post("/v1/commands", &command).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["replayed"], false);
    let audit_index = receipt["audit_index"].as_u64().unwrap();
    assert_eq!(audit_index, 1, "the genesis entry is 0");

    // The audit trail holds the entry whose leaf hash the receipt names.
    let (status, _, entries) = platform.get("/v1/audit/entries?from=0&count=10").await;
    assert_eq!(status, StatusCode::OK);
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let entry = entries[1]["entry"].as_str().unwrap();
    let hash = serde_json::to_value(leaf_hash(entry.as_bytes())).unwrap();
    assert_eq!(receipt["leaf_hash"], hash);
    let (_, _, head) = platform.get("/v1/audit/head").await;
    assert_eq!(head["size"], 2);

    // The same signed command again: the same receipt, marked as a replay, nothing applied.
    let state_hash = platform.state_hash().await;
    let (status, _, again) = platform.post("/v1/commands", &command).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["replayed"], true);
    assert_eq!(again["audit_index"], receipt["audit_index"]);
    assert_eq!(again["leaf_hash"], receipt["leaf_hash"]);
    assert_eq!(platform.state_hash().await, state_hash);

    // The participant is listed with its role.
    let (_, _, participants) = platform.get("/v1/participants").await;
    assert!(
        participants
            .as_array()
            .unwrap()
            .iter()
            .any(|participant| participant["name"] == "City procurement office"),
        "{participants}"
    );

    // Metrics count the outcomes.
    let (status, metrics) = platform.get_text("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics.contains("sealbid_submissions_total{outcome=\"accepted\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("sealbid_submissions_total{outcome=\"replayed\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("sealbid_commit_latency_seconds_bucket"), "{metrics}");
    assert!(metrics.contains("sealbid_raft_leader 1"), "{metrics}");
    assert!(metrics.contains("\nsealbid_has_leader 1\n"), "{metrics}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        metrics.contains(&format!("\nsealbid_build_info{{version=\"{version}\"}} 1\n")),
        "{metrics}"
    );
    // The process's own, from /proc.
    assert!(
        platform.metric("process_resident_memory_bytes").await > 0.0,
        "{metrics}"
    );
    assert!(platform.metric("process_open_fds").await > 0.0, "{metrics}");
    assert!(metrics.contains("\nprocess_cpu_seconds_total "), "{metrics}");
    // The replication path's metrics are in the same registry: the genesis and the command
    // each went through a batch, a commit and an apply; the resent command was answered by
    // admission; nothing is in flight any more.
    assert!(platform.metric("sealbid_batch_entries_count").await >= 2.0, "{metrics}");
    assert!(platform.metric("sealbid_batch_entries_sum").await >= 2.0, "{metrics}");
    assert!(
        platform.metric("sealbid_database_commit_seconds_count").await >= 2.0,
        "{metrics}"
    );
    assert!(platform.metric("sealbid_apply_seconds_count").await >= 2.0, "{metrics}");
    assert_eq!(
        platform
            .metric("sealbid_admission_refusals_total{code=\"replayed-nonce\"}")
            .await,
        1.0,
        "{metrics}"
    );
    assert_eq!(platform.metric("sealbid_commands_in_flight").await, 0.0, "{metrics}");
    assert!(metrics.contains("sealbid_leader_changes_total"), "{metrics}");
    assert_eq!(platform.metric("sealbid_busy_answers_total").await, 0.0, "{metrics}");
    let (status, live) = platform.get_text("/livez").await;
    assert_eq!((status, live.as_str()), (StatusCode::OK, "live\n"));
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_problem_and_changes_nothing() {
    let platform = Platform::start().await;
    let operator = &platform.operator;
    let before = platform.state_hash().await;

    // Malformed JSON.
    let answer = platform.post_bytes("/v1/commands", b"{\"signer\": ".to_vec()).await;
    assert_problem(&answer, StatusCode::BAD_REQUEST, "malformed-json");

    // An oversized body.
    let answer = platform.post_bytes("/v1/commands", vec![b' '; 600 * 1024]).await;
    assert_problem(&answer, StatusCode::PAYLOAD_TOO_LARGE, "body-too-large");

    // An unknown field.
    let office = new_key();
    let command = platform.sign(operator, grant(&office, Role::Office, "office"));
    let mut with_extra = serde_json::to_value(&command).unwrap();
    with_extra["priority"] = json!("high");
    let answer = platform.post("/v1/commands", &with_extra).await;
    let detail = assert_problem(&answer, StatusCode::BAD_REQUEST, "malformed-json");
    assert!(detail.contains("priority"), "{detail}");

    // A wrong signature: the payload changed after signing.
    let mut forged = command.clone();
    forged.payload = forged.payload.replace("office", "offico");
    let answer = platform.post("/v1/commands", &forged).await;
    assert_problem(&answer, StatusCode::UNAUTHORIZED, "bad-signature");

    // A wrong role: someone without the admin role grants roles.
    let stranger = new_key();
    let command_by_stranger = platform.sign(&stranger, grant(&office, Role::Office, "office"));
    let answer = platform.post("/v1/commands", &command_by_stranger).await;
    assert_problem(&answer, StatusCode::FORBIDDEN, "missing-role");

    // An unknown tender, as a query and as a command's target; an id no tender can have is not
    // found either.
    let answer = platform.get("/v1/tenders/T-999999").await;
    assert_problem(&answer, StatusCode::NOT_FOUND, "unknown-tender");
    let answer = platform.get(&format!("/v1/tenders/{}", "T".repeat(40))).await;
    assert_problem(&answer, StatusCode::NOT_FOUND, "unknown-tender");
    // A long id is cut short in the problem's detail, and named once.
    let long = "T".repeat(2_000);
    let answer = platform.get(&format!("/v1/tenders/{long}")).await;
    assert_problem(&answer, StatusCode::NOT_FOUND, "unknown-tender");
    let detail = answer.2["detail"].as_str().unwrap();
    assert!(detail.len() < 300, "{detail}");
    assert_eq!(detail.matches(&"T".repeat(48)).count(), 1, "{detail}");
    assert!(detail.contains("(2000 bytes)"), "{detail}");
    assert_eq!(
        platform.state_hash().await,
        before,
        "no refused input changed the state"
    );

    // A replayed nonce with other content is a conflict, not the earlier receipt.
    let (status, _, _) = platform.post("/v1/commands", &command).await;
    assert_eq!(status, StatusCode::OK);
    let after_grant = platform.state_hash().await;
    let mut reused: Value = serde_json::from_str(&command.payload).unwrap();
    reused["action"]["grant_role"]["name"] = json!("another name");
    let reused: sealbid_ledger::command::Command = serde_json::from_value(reused).unwrap();
    let reused = SignedMessage::sign(operator, &reused).unwrap();
    let answer = platform.post("/v1/commands", &reused).await;
    let detail = assert_problem(&answer, StatusCode::CONFLICT, "replayed-nonce");
    assert!(detail.contains("nonce"), "{detail}");

    // A command for a tender that does not exist.
    let close = platform.sign(
        &office,
        Action::CloseTender {
            tender: TenderId::parse("T-999999").unwrap(),
        },
    );
    let answer = platform.post("/v1/commands", &close).await;
    assert_problem(&answer, StatusCode::NOT_FOUND, "unknown-tender");
    assert_eq!(
        platform.state_hash().await,
        after_grant,
        "no refused command changed the state"
    );

    // A method the route does not take, a body that is not JSON, a query that does not parse.
    let answer = platform.get("/v1/commands").await;
    assert_problem(&answer, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    // Every 405 names the methods the route takes; every read takes HEAD, answered as GET
    // without the body.
    let url = |path: &str| format!("{}{path}", platform.base);
    let response = platform.http.get(url("/v1/commands")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    let response = platform.http.delete(url("/v1/tenders")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    // No cross-origin reads: no Access-Control header for any origin, and no preflight.
    let foreign = platform
        .http
        .get(url("/v1/calendars"))
        .header("origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::OK);
    assert!(
        foreign
            .headers()
            .keys()
            .all(|name| !name.as_str().starts_with("access-control-")),
        "{:?}",
        foreign.headers()
    );
    let preflight = platform
        .http
        .request(reqwest::Method::OPTIONS, url("/v1/commands"))
        .header("origin", "https://elsewhere.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(preflight.headers().get("access-control-allow-origin").is_none());
    // Every answer carries a request id: the client's when it is a short plain token, else
    // the node's own (32 hexadecimal digits), 404s and 405s included.
    let id_of = |response: &reqwest::Response| response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let made = id_of(&platform.http.get(url("/v1/nothing-here")).send().await.unwrap());
    assert!(
        made.len() == 32 && made.chars().all(|character| character.is_ascii_hexdigit()),
        "{made}"
    );
    let other = id_of(&platform.http.get(url("/v1/nothing-here")).send().await.unwrap());
    assert_ne!(made, other, "each request its own id");
    let sent = platform
        .http
        .delete(url("/v1/tenders"))
        .header("x-request-id", "client-7.a_b")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&sent), "client-7.a_b");
    for refused_id in ["has space".to_owned(), "x".repeat(65)] {
        let answer = platform
            .http
            .get(url("/v1/calendars"))
            .header("x-request-id", refused_id.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(id_of(&answer).len(), 32, "{refused_id:?} is not echoed");
    }
    for path in [
        "/v1/calendars",
        "/v1/tenders/T-999999",
        "/v1/audit/head",
        "/v1/notices.atom",
    ] {
        let get = platform.http.get(url(path)).send().await.unwrap();
        let head = platform.http.head(url(path)).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "{path}"
        );
        assert!(head.bytes().await.unwrap().is_empty(), "{path}: HEAD has no body");
        assert!(!get.bytes().await.unwrap().is_empty(), "{path}");
    }
    let response = platform
        .http
        .post(format!("{}/v1/commands", platform.base))
        .header("content-type", "text/plain")
        .body(serde_json::to_vec(&command).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let answer = platform.get("/v1/audit/entries?from=first").await;
    assert_problem(&answer, StatusCode::BAD_REQUEST, "malformed-query");
    let answer = platform.get("/v1/audit/entries?from=0&colour=blue").await;
    assert_problem(&answer, StatusCode::BAD_REQUEST, "malformed-query");
    assert_eq!(
        platform.state_hash().await,
        after_grant,
        "no refused request changed the state"
    );

    // No such route.
    let answer = platform.get("/v1/nothing-here").await;
    assert_problem(&answer, StatusCode::NOT_FOUND, "not-found");
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_covers_every_route_and_the_page_renders_it() {
    let platform = Platform::start().await;
    let (status, content_type, document) = platform.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("application/json"), "{content_type}");
    assert!(document["openapi"].as_str().unwrap().starts_with("3."), "{document}");
    let documented = document["paths"].as_object().unwrap();
    for path in sealbid_api::paths::ALL {
        assert!(documented.contains_key(path), "{path} is not in the document");
    }
    assert_eq!(
        documented.len(),
        sealbid_api::paths::ALL.len(),
        "the document has routes the API lacks"
    );
    // Problems are documented with their media type.
    let refused = &document["paths"]["/v1/commands"]["post"]["responses"]["409"]["content"];
    assert!(refused.get("application/problem+json").is_some(), "{refused}");
    assert!(document["components"]["schemas"].get("Receipt").is_some());

    // The viewer: /docs sends to /docs/, whose page loads only the node's own files, and is
    // pointed at this document with the external validator badge off.
    let redirect = platform
        .http
        .get(format!("{}/docs", platform.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (redirect.status(), redirect.url().path()),
        (StatusCode::OK, "/docs/"),
        "followed to the viewer"
    );
    let (status, page) = platform.get_text("/docs/").await;
    assert_eq!(status, StatusCode::OK);
    let loaded: Vec<&str> = page
        .split(['"', '\''])
        .filter(|text| text.ends_with(".js") || text.ends_with(".css") || text.ends_with(".png"))
        .collect();
    assert!(loaded.contains(&"./swagger-ui-bundle.js"), "{page}");
    for asset in &loaded {
        assert!(!asset.contains("//"), "the page loads {asset} from elsewhere");
        let (status, _) = platform
            .get_text(&format!("/docs/{}", asset.trim_start_matches("./")))
            .await;
        assert_eq!(status, StatusCode::OK, "{asset}");
    }
    let (_, initializer) = platform.get_text("/docs/swagger-initializer.js").await;
    assert!(initializer.contains("\"url\": \"/openapi.json\""), "{initializer}");
    assert!(initializer.contains("\"validatorUrl\": \"none\""), "{initializer}");
    let (status, _, problem) = platform.get("/docs/no-such-file.js").await;
    assert_eq!(
        (status, &problem["code"]),
        (StatusCode::NOT_FOUND, &"not-found".into()),
        "{problem}"
    );
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_and_proofs_match_a_tree_built_from_the_entries() {
    use sealbid_crypto::merkle::{Hash, MemoryNodeStore, MerkleTree, verify_consistency, verify_inclusion};
    let platform = Platform::start().await;
    for number in 0..12 {
        let action = grant(&new_key(), Role::Supervisor, &format!("supervisor {number}"));
        let (status, _, body) = platform
            .post("/v1/commands", &platform.sign(&platform.operator, action))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let client = sealbid_api::client::Client::new(&platform.base, &platform.authority).unwrap();
    let log_key = sealbid_crypto::note::NoteVerifier::parse(&client.log_key().await.unwrap().verifier_key).unwrap();
    let checkpoint =
        sealbid_node::checkpoints::verify_checkpoint(&client.checkpoint().await.unwrap(), &log_key).unwrap();
    assert_eq!(checkpoint.size, 13, "the genesis and 12 grants");

    // A tree built here from the entries the node serves gives the same roots and proofs.
    let entries = client.audit_entries(0, 13).await.unwrap();
    let leaves: Vec<Hash> = entries.iter().map(sealbid_api::audit::AuditEntry::leaf_hash).collect();
    let mut tree = MerkleTree::new(MemoryNodeStore::new());
    tree.append_leaf_hashes(&leaves).unwrap();
    assert_eq!(tree.root(), checkpoint.root);
    for (index, size) in [(0, 1), (0, 13), (5, 13), (12, 13), (6, 7), (3, 8)] {
        let proof = client.inclusion_proof(index, size).await.unwrap();
        assert_eq!(
            proof.proof,
            tree.inclusion_proof(index, size).unwrap(),
            "{index} in {size}"
        );
        let root = tree.root_at(size).unwrap();
        verify_inclusion(index, size, &leaves[index as usize].0, &proof.proof, &root.0).unwrap();
    }
    for (from, to) in [(1, 13), (7, 13), (8, 13), (13, 13), (3, 5)] {
        let proof = client.consistency_proof(from, to).await.unwrap();
        assert_eq!(proof.proof, tree.consistency_proof(from, to).unwrap(), "{from} to {to}");
        let (old, new) = (tree.root_at(from).unwrap(), tree.root_at(to).unwrap());
        verify_consistency(from, to, &proof.proof, &old.0, &new.0).unwrap();
    }
    let receipt = client.receipt(4).await.unwrap();
    let held = receipt
        .verify(&log_key.name, std::slice::from_ref(&log_key), 1)
        .unwrap();
    assert_eq!((held.size, receipt.leaf_hash), (13, leaves[4]));

    // Proofs the node cannot give are 4xx problems naming why.
    for path in [
        "/v1/audit/proof/inclusion?index=13&size=13",
        "/v1/audit/proof/consistency?from=0&to=13",
        "/v1/audit/proof/consistency?from=9&to=4",
    ] {
        let answer = platform.get(path).await;
        assert_problem(&answer, StatusCode::BAD_REQUEST, "proof-out-of-range");
    }
    // Beyond the log, on a node that holds every committed entry: no such proof or entry, and
    // retrying cannot change that (far beyond, answered at once; just beyond, after the wait for
    // an entry another node may have answered).
    for path in [
        "/v1/audit/proof/inclusion?index=0&size=18446744073709551615",
        "/v1/audit/proof/consistency?from=1&to=18446744073709551615",
        "/v1/audit/proof/consistency?from=1&to=14",
    ] {
        let answer = platform.get(path).await;
        let detail = assert_problem(&answer, StatusCode::BAD_REQUEST, "proof-out-of-range");
        assert!(
            detail.starts_with("the log holds 13 entries: there is no tree of "),
            "{detail}"
        );
    }
    for index in [u64::MAX, 13] {
        let answer = platform.get(&format!("/v1/audit/receipt?index={index}")).await;
        let detail = assert_problem(&answer, StatusCode::NOT_FOUND, "unknown-entry");
        assert_eq!(
            detail,
            format!("the log holds 13 entries (indexes 0 to 12): entry {index} is not in it")
        );
    }
    for path in [
        "/v1/audit/proof/inclusion?index=0",
        "/v1/audit/proof/consistency?from=a&to=2",
        "/v1/audit/receipt?index=1&size=2",
    ] {
        let answer = platform.get(path).await;
        assert_problem(&answer, StatusCode::BAD_REQUEST, "malformed-query");
    }
    let answer = platform.get("/v1/tenders/T-999999/key-generation").await;
    assert_problem(&answer, StatusCode::NOT_FOUND, "unknown-tender");
    let answer = platform.get("/v1/tenders/not%20a%20tender/key-generation").await;
    assert_problem(&answer, StatusCode::NOT_FOUND, "unknown-tender");
    let (status, text) = platform.get_text("/v1/audit/checkpoint").await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.starts_with(&format!("{}\n13\n", log_key.name)), "{text}");
    platform.stop().await;
}
