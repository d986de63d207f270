//! Supervisors over HTTPS and the `sealbid supervisor` CLI: the live stream sends every entry
//! of a tender in order, resumes without a gap, ends when its signature expires and refuses
//! readers without the role; a suspended tender refuses a bid and
//! the office's close with `409 tender-suspended`, and no audit entry or state records them; the office reads the
//! suspension and a correction order at once and replies; resuming moves the deadline by
//! exactly the time suspended, and bids are taken again.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use sealbid_api::sse::StreamEvent;
use sealbid_api::watch::WatchedEntry;
use sealbid_consensus::clock::ManualClock;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_ledger::command::{Action, Entry};
use sealbid_ledger::types::{LotId, Market, Role};
use sealbid_testkit::{grant, sealed_offer, submission};
use serde_json::Value;

use crate::cli::{refused, sealbid};
use crate::signed_reads::read;
use crate::support::{Platform, now_ms};
use crate::tender::{BIDDING_MS, cast, lot, publish_until, run, run_bid, submit};

/// Makes a key with `sealbid key new` in `folder`; its file and the key.
pub(crate) fn keygen(folder: &Path, name: &str) -> (String, IdentityKeyPair) {
    let path = folder.join(name);
    crate::cli::new_key(&path.display().to_string());
    let key = IdentityKeyPair::from_pkcs8(&std::fs::read(&path).unwrap()).unwrap();
    (path.display().to_string(), key)
}

/// A supervisor's key made with the CLI in `folder` and granted its role by the operator; its
/// file and the key.
async fn supervisor_with_cli(platform: &Platform, folder: &Path) -> (String, IdentityKeyPair) {
    let (file, supervisor) = keygen(folder, "supervisor.pk8");
    run(
        platform,
        &platform.operator,
        grant(&supervisor, Role::Supervisor, "监察室"),
    )
    .await;
    (file, supervisor)
}

/// The leader's timestamp of the entry in a receipt the CLI printed with `--json`.
fn entry_timestamp_ms(printed: &str) -> u64 {
    let receipt: Value = serde_json::from_str(printed.trim()).unwrap();
    let entry: Entry = serde_json::from_str(receipt["entry"].as_str().unwrap()).unwrap();
    entry.timestamp_ms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_suspends_a_tender_orders_a_correction_and_resumes_it() {
    const LABEL: u8 = 14;
    let platform = Platform::start().await;
    let authority = platform.application.as_ref().unwrap().data_dir.authority.clone();
    let folder = tempfile::tempdir().unwrap();
    let mut cast = cast(&platform, LABEL, 2).await;
    let (supervisor_file, _) = supervisor_with_cli(&platform, folder.path()).await;
    let (office_file, office) = keygen(folder.path(), "office.pk8");
    run(
        &platform,
        &platform.operator,
        grant(&office, Role::Office, "County office"),
    )
    .await;
    cast.office = office;
    let (tender, opening_key) = publish_until(
        &platform,
        &mut cast,
        Market::Procurement,
        lot("1"),
        now_ms() + BIDDING_MS,
    )
    .await;
    let lot_id = LotId::parse("1").unwrap();
    let envelope = sealed_offer(&tender, &lot_id, &cast.bidders[0], 70_000, None, &opening_key).unwrap();
    submit(&platform, &cast.bidders[0], &tender, &lot_id, &envelope).await;
    let tender_path = format!("/v1/tenders/{tender}");
    let (_, _, before) = platform.get(&tender_path).await;
    let deadline_ms = before["tender"]["deadline_ms"].as_u64().unwrap();
    assert_eq!(before["tender"]["suspended_since_ms"], Value::Null, "{before}");
    let tender_text = tender.to_string();
    let cli = |arguments: &[&str]| sealbid(&platform, &authority, arguments);

    // A bidder may not suspend; the supervisor does.
    let bidder_action = Action::SuspendTender {
        tender: tender.clone(),
        reason: "mine".into(),
    };
    let (status, _, problem) = platform
        .post("/v1/commands", &platform.sign(&cast.bidders[1], bidder_action))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("missing-role"))
    );
    let reason = "complaint about the qualification terms under review";
    let suspended = cli(&[
        "supervisor",
        "suspend",
        "--key",
        &supervisor_file,
        "--tender",
        &tender_text,
        "--reason",
        reason,
        "--json",
    ]);
    let suspended_at_ms = entry_timestamp_ms(&suspended);
    let (_, _, view) = platform.get(&tender_path).await;
    assert_eq!(view["tender"]["suspended_since_ms"], suspended_at_ms, "{view}");
    let (_, _, public_entries) = platform.get("/v1/audit/entries?from=0&count=1000").await;
    assert!(
        !public_entries.to_string().contains(reason),
        "the reason is withheld while the tender takes bids"
    );

    // While suspended, a bid and the office's close are refused, and nothing reaches the audit
    // log or the state (the log refuses them: a resumption may be on its way, §10.5).
    let (audit_size, _) = platform.log_position().await;
    let hash = platform.state_hash().await;
    let second = sealed_offer(&tender, &lot_id, &cast.bidders[1], 69_000, None, &opening_key).unwrap();
    let body = sealbid_api::commands::CommandBody::new(
        platform.sign(&cast.bidders[1], submission(&tender, &lot_id, &second).unwrap()),
        Some(second.clone()),
    );
    let (status, content_type, problem) = platform.post("/v1/commands", &body).await;
    assert_eq!(
        (status, content_type.as_str(), problem["code"].as_str()),
        (
            StatusCode::CONFLICT,
            "application/problem+json",
            Some("tender-suspended")
        ),
        "{problem}"
    );
    let close = Action::CloseTender { tender: tender.clone() };
    let (status, _, problem) = platform.post("/v1/commands", &platform.sign(&cast.office, close)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("tender-suspended"))
    );
    let refusal = refused(
        &platform,
        &authority,
        &[
            "supervisor",
            "suspend",
            "--key",
            &supervisor_file,
            "--tender",
            &tender_text,
            "--reason",
            "again",
        ],
    );
    assert!(refusal.contains("tender-suspended"), "{refusal}");
    assert_eq!(platform.log_position().await.0, audit_size);
    assert_eq!(platform.state_hash().await, hash);

    // A correction order: the office reads it, and the suspension, at once, and replies.
    let due_ms = now_ms() + 24 * 60 * 60 * 1000;
    let ordered = cli(&[
        "supervisor",
        "correct",
        "--key",
        &supervisor_file,
        "--office",
        &cast.office.public_key().to_string(),
        "--tender",
        &tender_text,
        "--reason",
        "publish the scoring method in full",
        "--due-ms",
        &due_ms.to_string(),
    ]);
    assert!(ordered.contains("C-000001"), "{ordered}");
    let own: Value = serde_json::from_str(&cli(&["office", "correction", "list", "--key", &office_file])).unwrap();
    assert_eq!(own["corrections"][0]["id"], "C-000001", "{own}");
    assert_eq!(own["corrections"][0]["due_ms"], due_ms);
    assert_eq!(own["suspended_tenders"][0]["tender"], tender_text);
    assert_eq!(own["suspended_tenders"][0]["suspension"]["reason"], reason);
    let (status, problem) = read(&platform, "/v1/supervision/corrections", &cast.bidders[0]).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("missing-role"))
    );
    cli(&[
        "office",
        "correction",
        "reply",
        "--key",
        &office_file,
        "--correction",
        "C-000001",
        "--reply",
        "scoring method published as amendment 1",
    ]);
    let refusal = refused(
        &platform,
        &authority,
        &[
            "office",
            "correction",
            "reply",
            "--key",
            &office_file,
            "--correction",
            "C-000001",
            "--reply",
            "twice",
        ],
    );
    assert!(refusal.contains("correction-answered"), "{refusal}");
    let held: Value = serde_json::from_str(&cli(&["supervisor", "corrections", "--key", &supervisor_file])).unwrap();
    assert_eq!(
        held[0]["reply"]["text"], "scoring method published as amendment 1",
        "{held}"
    );

    // Resumed: the deadline moves out by exactly the time suspended, and bids are taken again.
    let resumed = cli(&[
        "supervisor",
        "resume",
        "--key",
        &supervisor_file,
        "--tender",
        &tender_text,
        "--json",
    ]);
    let resumed_at_ms = entry_timestamp_ms(&resumed);
    let moved_ms = deadline_ms + (resumed_at_ms - suspended_at_ms);
    let receipt: Value = serde_json::from_str(resumed.trim()).unwrap();
    assert_eq!(
        receipt["response"]["tender_resumed"]["deadline_ms"], moved_ms,
        "{receipt}"
    );
    let (_, _, view) = platform.get(&tender_path).await;
    assert_eq!(view["tender"]["deadline_ms"], moved_ms, "{view}");
    assert_eq!(view["tender"]["suspended_since_ms"], Value::Null);
    let third = sealed_offer(&tender, &lot_id, &cast.bidders[1], 69_500, None, &opening_key).unwrap();
    run_bid(
        &platform,
        &cast.bidders[1],
        submission(&tender, &lot_id, &third).unwrap(),
        &third,
    )
    .await;

    // The supervisor watches the tender from its start, as lines and as JSON, and reads its
    // timeline, which holds the suspension and the order.
    let lines = cli(&[
        "supervisor",
        "watch",
        "--key",
        &supervisor_file,
        "--from",
        "0",
        "--tender",
        &tender_text,
        "--count",
        "1",
    ]);
    assert!(lines.starts_with('#'), "{lines}");
    assert!(lines.contains("+08:00 publish_tender "), "Beijing time: {lines}");
    assert!(
        lines.contains(&format!("publish_tender {tender_text} by County office, arrived ")),
        "{lines}"
    );
    let printed = cli(&[
        "supervisor",
        "watch",
        "--key",
        &supervisor_file,
        "--from",
        "0",
        "--tender",
        &tender_text,
        "--count",
        "3",
        "--json",
    ]);
    let watched: Vec<Value> = printed
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(watched.len(), 3, "{printed}");
    assert!(watched.iter().all(|entry| entry["tender"] == tender_text), "{printed}");
    let timeline: Value = serde_json::from_str(&cli(&[
        "supervisor",
        "timeline",
        "--key",
        &supervisor_file,
        "--tender",
        &tender_text,
    ]))
    .unwrap();
    let kinds: Vec<&str> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "publish_tender",
        "submit_bid",
        "suspend_tender",
        "order_correction",
        "reply_correction",
        "resume_tender",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    platform.stop().await;
}

/// Reads the stream at `path` as `reader` (a signature living `lifetime_seconds`) until
/// `wanted` entries came, or the stream ended (at most 60 s); the entries and the events that
/// were not entries.
async fn stream_entries(
    client: &sealbid_api::client::Client,
    path: &str,
    reader: &IdentityKeyPair,
    lifetime_seconds: u64,
    wanted: usize,
) -> (Vec<WatchedEntry>, Vec<StreamEvent>) {
    let mut entries = Vec::new();
    let mut others = Vec::new();
    let watched = client.watch(path, reader, lifetime_seconds, |event| {
        if event.name == "entry" {
            let entry: WatchedEntry = serde_json::from_str(&event.data).unwrap();
            assert_eq!(event.id, Some(entry.index), "the event's id is the entry's index");
            entries.push(entry);
        } else {
            others.push(event);
        }
        entries.len() < wanted
    });
    tokio::time::timeout(Duration::from_secs(60), watched)
        .await
        .expect("the stream answers within 60 s")
        .unwrap();
    (entries, others)
}

/// Whether the entry `text` concerns `tender` by its own content: the leader's close of it, a
/// command whose action names it, or (on a log with one tender) the publication.
fn concerns(text: &str, tender: &str) -> bool {
    let entry: Value = serde_json::from_str(text).unwrap();
    if entry["body"]["close"]["tender"] == tender {
        return true;
    }
    let Some(payload) = entry["body"]["command"]["signed"]["payload"].as_str() else {
        return false;
    };
    let command: Value = serde_json::from_str(payload).unwrap();
    let (name, members) = command["action"].as_object().unwrap().iter().next().unwrap();
    name == "publish_tender" || members["tender"] == tender
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_sends_every_entry_of_a_tender_in_order_and_resumes_without_gaps() {
    const LABEL: u8 = 15;
    let platform = Platform::start().await;
    crate::tender::procurement(&platform, LABEL).await;
    let supervisor = sealbid_testkit::key(LABEL, 1_001).unwrap();
    let office = sealbid_testkit::key(LABEL, 1_000).unwrap().public_key();
    let client = sealbid_api::client::Client::new(&platform.base, &platform.authority).unwrap();
    let (size, _) = platform.log_position().await;
    let every: Vec<String> = client
        .supervised_entries(0, size, &supervisor)
        .await
        .unwrap()
        .iter()
        .map(|entry| entry.text().unwrap().to_owned())
        .collect();
    assert_eq!(every.len() as u64, size);
    let expected: Vec<u64> = (0..size)
        .filter(|&index| concerns(&every[index as usize], "T-000001"))
        .collect();
    assert!(expected.len() >= 15, "a whole tender: {expected:?}");

    // The tender's entries in two streams: the second resumes right after the first stopped.
    let filtered = |from: u64| {
        format!(
            "/v1/supervision/stream?from={from}&tender=T-000001&market=procurement&office={}",
            office.to_string().replace(':', "%3A")
        )
    };
    let half = expected.len() / 2;
    let (first, _) = stream_entries(&client, &filtered(0), &supervisor, 60, half).await;
    let resume_from = first.last().unwrap().index + 1;
    let (second, _) = stream_entries(&client, &filtered(resume_from), &supervisor, 60, expected.len() - half).await;
    let streamed: Vec<&WatchedEntry> = first.iter().chain(&second).collect();
    assert_eq!(streamed.iter().map(|entry| entry.index).collect::<Vec<_>>(), expected);
    for entry in &streamed {
        assert_eq!(
            entry.entry, every[entry.index as usize],
            "entry {} as logged",
            entry.index
        );
        assert_eq!(
            entry.tender.as_ref().map(ToString::to_string).as_deref(),
            Some("T-000001")
        );
        assert_eq!(entry.market, Some(Market::Procurement));
        assert_eq!(entry.office, Some(office));
    }
    let bid = streamed.iter().find(|entry| entry.kind == "submit_bid").unwrap();
    assert!(
        bid.signer_name
            .as_deref()
            .is_some_and(|name| name.starts_with("Bidder")),
        "{bid:?}"
    );
    assert!(bid.received_at_ms.is_some() && bid.node_id == Some(1), "{bid:?}");
    assert_eq!(bid.response.as_ref().unwrap()["bid_accepted"]["audit_index"], bid.index);
    assert!(
        streamed
            .iter()
            .any(|entry| entry.kind == "close" && entry.signer.is_none())
    );

    // Unfiltered, every entry from 0 in order; the tender's timeline gives its entries too.
    let (all, _) = stream_entries(&client, "/v1/supervision/stream?from=0", &supervisor, 60, size as usize).await;
    assert_eq!(
        all.iter().map(|entry| entry.index).collect::<Vec<_>>(),
        (0..size).collect::<Vec<_>>()
    );
    let (status, timeline) = read(
        &platform,
        "/v1/supervision/tenders/T-000001/timeline?count=1000",
        &supervisor,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{timeline}");
    let indexes: Vec<u64> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, expected);

    // Refused: unsigned, a reader without the role, filters that do not parse.
    let unsigned = platform.get("/v1/supervision/stream?from=0").await;
    assert_eq!(
        (unsigned.0, unsigned.2["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("signature-required"))
    );
    let bidder = sealbid_testkit::bidder(u64::from(LABEL) * 1_000).unwrap().0;
    for (path, reader, status, code) in [
        (
            "/v1/supervision/stream?from=0",
            &bidder,
            StatusCode::FORBIDDEN,
            "missing-role",
        ),
        (
            "/v1/supervision/tenders/T-000001/timeline",
            &bidder,
            StatusCode::FORBIDDEN,
            "missing-role",
        ),
        (
            "/v1/supervision/stream?market=fish",
            &supervisor,
            StatusCode::BAD_REQUEST,
            "malformed-query",
        ),
        (
            "/v1/supervision/stream?office=nobody",
            &supervisor,
            StatusCode::BAD_REQUEST,
            "malformed-query",
        ),
        (
            "/v1/supervision/stream?tender=no%20such",
            &supervisor,
            StatusCode::BAD_REQUEST,
            "malformed-tender-id",
        ),
        (
            "/v1/supervision/stream?colour=red",
            &supervisor,
            StatusCode::BAD_REQUEST,
            "malformed-query",
        ),
    ] {
        let (found, problem) = read(&platform, path, reader).await;
        assert_eq!(
            (found, problem["code"].as_str()),
            (status, Some(code)),
            "{path}: {problem}"
        );
    }
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_delivers_entries_as_they_are_applied_and_ends_when_its_signature_expires() {
    let clock = Arc::new(ManualClock::new(now_ms()));
    let platform = Platform::start_with(sealbid_node::Layer::default(), clock.clone()).await;
    let supervisor = sealbid_testkit::key(16, 1_001).unwrap();
    run(
        &platform,
        &platform.operator,
        grant(&supervisor, Role::Supervisor, "监察室"),
    )
    .await;
    let client = sealbid_api::client::Client::new(&platform.base, &platform.authority).unwrap();
    let (head, _) = platform.log_position().await;

    // The stream opens at the head and waits; an entry applied then reaches it. Events come to
    // the test through a bounded channel, so the clock moves only once the first entry arrived.
    let path = format!("/v1/supervision/stream?from={head}");
    let (sender, mut events) = tokio::sync::mpsc::channel::<StreamEvent>(64);
    let watcher = {
        let (client, path) = (client.clone(), path.clone());
        tokio::spawn(async move {
            let supervisor = sealbid_testkit::key(16, 1_001).unwrap();
            client
                .watch(&path, &supervisor, 60, |event| sender.try_send(event).is_ok())
                .await
        })
    };
    let first = sealbid_testkit::key(16, 2_001).unwrap();
    run(
        &platform,
        &platform.operator,
        grant(&first, Role::Office, "first office"),
    )
    .await;
    let delivered = tokio::time::timeout(Duration::from_secs(30), events.recv())
        .await
        .expect("the entry reaches the stream within 30 s")
        .expect("the stream is open");
    assert_eq!((delivered.name.as_str(), delivered.id), ("entry", Some(head)));
    let entry: WatchedEntry = serde_json::from_str(&delivered.data).unwrap();
    assert_eq!(entry.kind, "grant_role");

    // The signature expires: the next wake-up (the entry after it) ends the stream instead.
    clock.advance(61_000);
    let second = sealbid_testkit::key(16, 2_002).unwrap();
    run(
        &platform,
        &platform.operator,
        grant(&second, Role::Office, "second office"),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(60), watcher)
        .await
        .expect("the stream ends within 60 s")
        .unwrap()
        .unwrap();
    let mut rest = Vec::new();
    while let Ok(event) = events.try_recv() {
        rest.push(event);
    }
    assert!(rest.iter().all(|event| event.name != "entry"), "{rest:?}");
    let end = rest.iter().find(|event| event.name == "end").expect("an end event");
    let end: Value = serde_json::from_str(&end.data).unwrap();
    assert_eq!(end["reason"], "signature-expired");
    assert_eq!(end["next"], head + 1);

    // Resumed from `next` with a fresh signature: the entry the first stream did not send.
    let (resumed, _) = stream_entries(
        &client,
        &format!("/v1/supervision/stream?from={}", head + 1),
        &supervisor,
        300,
        1,
    )
    .await;
    assert_eq!(
        resumed.iter().map(|entry| entry.index).collect::<Vec<_>>(),
        vec![head + 1]
    );
    assert_eq!(resumed[0].signer, Some(platform.operator.public_key()));
    assert_eq!(resumed[0].signer_name.as_deref(), Some("operator"));
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_reads_the_warnings_sets_the_thresholds_and_releases_a_held_award() {
    const LABEL: u8 = 16;
    let platform = Platform::start().await;
    let authority = platform.application.as_ref().unwrap().data_dir.authority.clone();
    let folder = tempfile::tempdir().unwrap();
    let mut cast = cast(&platform, LABEL, 3).await;
    let (supervisor_file, supervisor) = supervisor_with_cli(&platform, folder.path()).await;
    let cli = |arguments: &[&str]| sealbid(&platform, &authority, arguments);

    // Thresholds from a file: a share above 100 % is refused and changes nothing; the rest are
    // set, and every warning from then on names the entry that set them.
    let (audit_size, _) = platform.log_position().await;
    let mut thresholds =
        serde_json::to_value(sealbid_ledger::warnings::thresholds::WarningThresholds::default()).unwrap();
    thresholds["near_price_bp"] = 20_000.into();
    let file = folder.path().join("thresholds.json");
    std::fs::write(&file, thresholds.to_string()).unwrap();
    let file_text = file.display().to_string();
    let set = [
        "supervisor",
        "thresholds",
        "--key",
        &supervisor_file,
        "--file",
        &file_text,
    ];
    let refusal = refused(&platform, &authority, &set);
    assert!(refusal.contains("near_price_bp"), "{refusal}");
    assert_eq!(
        platform.log_position().await.0,
        audit_size,
        "the refusal reached the log"
    );
    thresholds["near_price_bp"] = 300.into();
    thresholds["submission_cluster_window_ms"] = 60_000.into();
    std::fs::write(&file, thresholds.to_string()).unwrap();
    let receipt: Value = serde_json::from_str(cli(&[&set[..], &["--json"]].concat()).trim()).unwrap();
    let set_at = receipt["audit_index"].as_u64().unwrap();

    // Three bids within the minute, two at one price: a submission cluster at the close, and
    // identical prices at the opening. A coal/coke sale is awarded right after its opening (no
    // candidate publicity), so the award waits only for the warning.
    let mut coal = lot("1");
    coal.quantity_tonnes = Some(1_000);
    coal.lot_size_tonnes_min = Some(100);
    let (tender, opening_key) =
        publish_until(&platform, &mut cast, Market::CoalCoke, coal, now_ms() + BIDDING_MS).await;
    let lot_id = LotId::parse("1").unwrap();
    let mut placed = Vec::new();
    for (bidder, price) in cast.bidders.iter().zip([70_000, 70_000, 90_000]) {
        let envelope = sealed_offer(&tender, &lot_id, bidder, price, Some(400), &opening_key).unwrap();
        placed.push(
            submit(&platform, bidder, &tender, &lot_id, &envelope).await["audit_index"]
                .as_u64()
                .unwrap(),
        );
    }
    // The public change feed names no bidder's tender while it takes bids; once it closes, it
    // does.
    let document = crate::openapi::document(&platform).await;
    let change_of = |page: &Value, index: u64| {
        page["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|change| change["audit_index"] == index)
            .cloned()
            .unwrap_or_else(|| panic!("no change {index}: {page}"))
    };
    let (status, _, feed) = platform.get("/v1/changes?count=1000").await;
    crate::openapi::conforms(&document, "/v1/changes", status, &feed);
    for index in &placed {
        let change = change_of(&feed, *index);
        assert_eq!(change["kind"], "submit_bid", "{change}");
        assert_eq!(change["withheld"], true, "{change}");
        assert!(
            change.get("tender").is_none() && change.get("office").is_none(),
            "{change}"
        );
    }
    let published = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["kind"] == "publish_tender" && change["tender"] == tender.to_string())
        .unwrap_or_else(|| panic!("the publication names its tender: {feed}"));
    assert_eq!(published["withheld"], false);
    let size = platform.get("/v1/audit/head").await.2["size"].as_u64().unwrap();
    assert_eq!(feed["next"], size, "{feed}");
    let (_, _, two) = platform.get(&format!("/v1/changes?from={}&count=2", placed[0])).await;
    assert_eq!(two["changes"].as_array().unwrap().len(), 2, "{two}");
    assert_eq!(two["next"], placed[0] + 2, "{two}");
    let (_, _, beyond) = platform.get(&format!("/v1/changes?from={}", size + 10)).await;
    assert_eq!(beyond, serde_json::json!({"changes": [], "next": size + 10}));
    for bad in ["from=-1", "count=lots", "colour=red"] {
        let (status, _, problem) = platform.get(&format!("/v1/changes?{bad}")).await;
        assert_eq!(
            (status, &problem["code"]),
            (StatusCode::BAD_REQUEST, &"malformed-query".into()),
            "{bad}"
        );
    }

    crate::tender::end_bidding(&platform, &cast, &tender).await;
    crate::tender::wait_closed(&platform, &tender).await;
    let (_, _, feed) = platform.get("/v1/changes?count=1000").await;
    for index in &placed {
        let change = change_of(&feed, *index);
        assert_eq!(
            (&change["withheld"], &change["tender"]),
            (&false.into(), &tender.to_string().into()),
            "{change}"
        );
    }

    let tender_path = format!("/v1/supervision/tenders/{tender}/warnings");
    let printed = cli(&[
        "supervisor",
        "warnings",
        "--key",
        &supervisor_file,
        "--tender",
        &tender.to_string(),
    ]);
    let answer: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(answer["thresholds"]["set_at_audit_index"], set_at, "{answer}");
    assert_eq!(answer["thresholds"]["thresholds"]["near_price_bp"], 300, "{answer}");
    // Every test client comes from 127.0.0.1: the three bids share an address, and they came
    // within the minute.
    let warnings = answer["warnings"].as_array().unwrap();
    let codes: Vec<&str> = warnings
        .iter()
        .map(|warning| warning["indicator"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["shared-address", "submission-cluster"], "{answer}");
    for (warning, id) in warnings.iter().zip(["W-000001", "W-000002"]) {
        assert_eq!(warning["id"], id);
        assert_eq!(warning["tender"], tender.to_string());
        assert_eq!(warning["lot"], "1");
        assert_eq!(warning["thresholds_set_at_audit_index"], set_at);
        assert_eq!(warning["evidence"]["entries"], serde_json::json!(placed), "{warning}");
    }
    assert_eq!(warnings[0]["level"], "yellow");
    assert_eq!(warnings[0]["evidence"]["values"]["bids"], 3);
    assert_eq!(warnings[1]["level"], "notice");
    assert_eq!(
        warnings[1]["evidence"]["values"]["submission_cluster_window_ms"],
        60_000
    );
    // The leaf of a bid holds its source tag, not the address.
    let (_, entries) = read(
        &platform,
        &format!("/v1/supervision/entries?from={}&count=1", placed[0]),
        &supervisor,
    )
    .await;
    let leaf = entries[0]["entry"].as_str().unwrap();
    assert!(leaf.contains("\"source_tag\"") && !leaf.contains("127.0.0.1"), "{leaf}");
    // The open tenders' list holds the same warnings.
    let (status, all) = read(&platform, "/v1/supervision/warnings", &supervisor).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["warnings"], answer["warnings"]);
    // The supervisors' answers match the schemas the OpenAPI document gives them.
    for (route, path) in [
        ("/v1/supervision/warnings", "/v1/supervision/warnings".to_owned()),
        ("/v1/supervision/tenders/{id}/warnings", tender_path.clone()),
        (
            "/v1/supervision/tenders/{id}/bids",
            format!("/v1/supervision/tenders/{tender}/bids"),
        ),
        (
            "/v1/supervision/tenders/{id}/timeline",
            format!("/v1/supervision/tenders/{tender}/timeline"),
        ),
        (
            "/v1/supervision/entries",
            "/v1/supervision/entries?from=0&count=50".to_owned(),
        ),
        (
            "/v1/supervision/sources",
            "/v1/supervision/sources?from=0&count=50".to_owned(),
        ),
        ("/v1/supervision/corrections", "/v1/supervision/corrections".to_owned()),
        ("/v1/registry", "/v1/registry".to_owned()),
        ("/v1/me", "/v1/me".to_owned()),
    ] {
        let (status, body) = read(&platform, &path, &supervisor).await;
        crate::openapi::conforms(&document, route, status, &body);
    }
    let (status, own) = read(&platform, "/v1/me", &cast.bidders[0]).await;
    crate::openapi::conforms(&document, "/v1/me", status, &own);

    // Only a supervisor reads them, signed; a malformed or unknown tender is a clear problem.
    let (status, _, problem) = platform.get("/v1/supervision/warnings").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("signature-required"))
    );
    let (status, problem) = read(&platform, &tender_path, &cast.bidders[0]).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("missing-role"))
    );
    let (status, problem) = read(&platform, "/v1/supervision/tenders/nonsense!/warnings", &supervisor).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown-tender"))
    );
    let (status, problem) = read(&platform, "/v1/supervision/tenders/T-999999/warnings", &supervisor).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown-tender"))
    );

    disposes_of_the_red_warning_that_holds_the_award(&platform, &authority, &cast, &supervisor_file, &tender).await;
}

/// `tender` has closed with three bids from 127.0.0.1, two at one price: at the opening the
/// ledger raises the red `converging-signals`, which holds the award until the supervisor (key
/// file `supervisor_file`) dismisses it; the public then reads the warnings and the decision.
async fn disposes_of_the_red_warning_that_holds_the_award(
    platform: &Platform,
    authority: &Path,
    cast: &crate::tender::Cast,
    supervisor_file: &str,
    tender: &sealbid_ledger::types::TenderId,
) {
    let cli = |arguments: &[&str]| sealbid(platform, authority, arguments);
    for member in 1..=2 {
        let (identity, action) = cast.committee.release(tender, member).unwrap();
        run(platform, identity, action).await;
    }
    run(platform, &cast.office, Action::OpenTender { tender: tender.clone() }).await;
    let printed = cli(&[
        "supervisor",
        "warnings",
        "--key",
        supervisor_file,
        "--tender",
        &tender.to_string(),
    ]);
    let answer: Value = serde_json::from_str(&printed).unwrap();
    let red = answer["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|warning| warning["indicator"] == "converging-signals")
        .unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(red["level"], "red", "{red}");
    let red_id = red["id"].as_str().unwrap().to_owned();

    // The award is held, with the warning named; nothing reaches the audit log or the state.
    let award = platform.sign(&cast.office, Action::AwardTender { tender: tender.clone() });
    let (audit_size, _) = platform.log_position().await;
    let state_hash = platform.state_hash().await;
    let (status, _, problem) = platform.post("/v1/commands", &award).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("award-held")),
        "{problem}"
    );
    assert!(problem["detail"].as_str().unwrap().contains(&red_id), "{problem}");
    // The public does not read an open tender's warnings.
    let public_path = format!("/v1/tenders/{tender}/warnings");
    let (status, _, problem) = platform.get(&public_path).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("tender-not-final")),
        "{problem}"
    );

    // A decision that is not one of the three, or by a key without the role, is refused.
    let tender_text = tender.to_string();
    let dispose = |key: &str, disposition: &str| {
        [
            "supervisor",
            "dispose",
            "--key",
            key,
            "--tender",
            &tender_text,
            "--warning",
            &red_id,
            "--disposition",
            disposition,
            "--reason",
            "One office network, declared in the bids",
        ]
        .map(str::to_owned)
    };
    let refusal = refused(
        platform,
        authority,
        &crate::cli::arguments(&dispose(supervisor_file, "ignore")),
    );
    assert!(refusal.contains("acknowledge"), "{refusal}");
    let folder = tempfile::tempdir().unwrap();
    let (outsider_file, _) = keygen(folder.path(), "outsider.pk8");
    let refusal = refused(
        platform,
        authority,
        &crate::cli::arguments(&dispose(&outsider_file, "dismiss")),
    );
    assert!(refusal.contains("missing-role"), "{refusal}");
    assert_eq!(platform.log_position().await.0, audit_size, "a refusal reached the log");
    assert_eq!(platform.state_hash().await, state_hash, "a refusal changed the state");

    // The supervisor dismisses it; the decision is withheld from the public log until the
    // award, which now goes ahead.
    let printed = cli(&crate::cli::arguments(
        &[&dispose(supervisor_file, "dismiss")[..], &["--json".to_owned()]].concat(),
    ));
    let decided_at = serde_json::from_str::<Value>(printed.trim()).unwrap()["audit_index"]
        .as_u64()
        .unwrap();
    let (_, _, served) = platform
        .get(&format!("/v1/audit/entries?from={decided_at}&count=1"))
        .await;
    assert_eq!(served[0]["withheld"]["kind"], "dispose_warning", "{served}");
    run(platform, &cast.office, Action::AwardTender { tender: tender.clone() }).await;
    let (status, _, public) = platform.get(&public_path).await;
    assert_eq!(status, StatusCode::OK, "{public}");
    let decided = public["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|warning| warning["id"] == red_id.as_str())
        .unwrap_or_else(|| panic!("{public}"));
    assert_eq!(decided["dispositions"][0]["disposition"], "dismiss", "{decided}");
    assert_eq!(decided["dispositions"][0]["audit_index"], decided_at, "{decided}");
    assert_eq!(
        decided["dispositions"][0]["reason"],
        "One office network, declared in the bids"
    );
    let (_, _, served) = platform
        .get(&format!("/v1/audit/entries?from={decided_at}&count=1"))
        .await;
    assert!(
        served[0]["entry"].as_str().unwrap().contains("dispose_warning"),
        "{served}"
    );
}
