//! Supervisors over HTTPS and the `sealbid supervisor` CLI: a suspended tender refuses a bid and
//! the office's close with `409 tender-suspended`, and no audit entry or state records them; the office reads the
//! suspension and a correction order at once and replies; resuming moves the deadline by
//! exactly the time suspended, and bids are taken again.

use std::path::Path;

use reqwest::StatusCode;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_ledger::command::{Action, Entry};
use sealbid_ledger::types::{LotId, Market, Role};
use sealbid_testkit::{grant, sealed_offer, submission};
use serde_json::Value;

use crate::cli::{refused, sealbid};
use crate::signed_reads::read;
use crate::support::{Platform, now_ms};
use crate::tender::{BIDDING_MS, cast, lot, publish_until, run, run_bid, submit};

/// Makes a key with `sealbid bidder keygen` in `folder`; its file and the key.
fn keygen(platform: &Platform, authority: &Path, folder: &Path, name: &str) -> (String, IdentityKeyPair) {
    let path = folder.join(name);
    sealbid(
        platform,
        authority,
        &["bidder", "keygen", "--out", &path.display().to_string()],
    );
    let key = IdentityKeyPair::from_pkcs8(&std::fs::read(&path).unwrap()).unwrap();
    (path.display().to_string(), key)
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
    let (supervisor_file, supervisor) = keygen(&platform, &authority, folder.path(), "supervisor.pk8");
    let (office_file, office) = keygen(&platform, &authority, folder.path(), "office.pk8");
    run(
        &platform,
        &platform.operator,
        grant(&supervisor, Role::Supervisor, "监察室"),
    )
    .await;
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
    platform.stop().await;
}
