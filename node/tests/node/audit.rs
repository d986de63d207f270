//! A supervisor's audit: the log fetched over HTTPS replays to the published head; a copy with
//! one byte changed fails, and the message names the entry.

use std::process::Command;

use ring::rand::SystemRandom;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_ledger::command::Action;
use sealbid_ledger::types::Role;
use sealbid_node::audit::{AuditError, fetch, read_file, verify, write_file};

use crate::support::Platform;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetched_log_verifies_and_a_changed_byte_is_named() {
    let platform = Platform::start().await;
    for (number, role) in [Role::Office, Role::Supervisor, Role::Office, Role::Supervisor]
        .into_iter()
        .enumerate()
    {
        let actor = IdentityKeyPair::generate(&SystemRandom::new()).unwrap().0;
        let action = Action::GrantRole {
            actor: actor.public_key(),
            role,
            name: format!("participant {number}"),
        };
        let (status, _, body) = platform
            .post("/v1/commands", &platform.sign(&platform.operator, action))
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    }
    let application = platform.application.as_ref().unwrap();
    let authority = std::fs::read(&application.data_dir.authority).unwrap();
    let client = sealbid_api::client::Client::new(&platform.base, &authority).unwrap();
    let (head, entries) = fetch(&client, |_, _| {}).await.unwrap();
    assert_eq!(head.size, 5);
    assert_eq!(entries.len(), 5);

    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("audit.jsonl");
    write_file(&file, &head, &entries).unwrap();
    let (read_head, read_entries) = read_file(&file).unwrap();
    let report = verify(&read_head, &read_entries, |_| {}).unwrap();
    assert_eq!(report.entries, 5);
    assert_eq!(report.head, head);

    // One byte changed inside entry 3's signed payload: its signature no longer verifies.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[4] = lines[4].replacen("participant 2", "participant 7", 1);
    let tampered = folder.path().join("tampered.jsonl");
    std::fs::write(&tampered, lines.join("\n") + "\n").unwrap();
    let (tampered_head, tampered_entries) = read_file(&tampered).unwrap();
    match verify(&tampered_head, &tampered_entries, |_| {}) {
        Err(AuditError::Entry { index: 3, reason }) => assert!(reason.contains("signature"), "{reason}"),
        other => panic!("expected entry 3 to fail, got {other:?}"),
    }

    // The binary says the same and exits non-zero; the untouched copy passes.
    let binary = env!("CARGO_BIN_EXE_sealbid");
    let passed = Command::new(binary)
        .args(["audit", "verify"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(passed.status.success(), "{}", String::from_utf8_lossy(&passed.stderr));
    assert!(String::from_utf8_lossy(&passed.stdout).contains("verified: 5 entries"));
    let failed = Command::new(binary)
        .args(["audit", "verify"])
        .arg(&tampered)
        .output()
        .unwrap();
    assert!(!failed.status.success());
    let message = String::from_utf8_lossy(&failed.stderr);
    assert!(message.contains("audit entry 3"), "{message}");

    // A head that does not match the entries.
    let mut head_changed = lines.clone();
    head_changed[0] = serde_json::to_string(&sealbid_api::audit::TreeHead {
        size: 4,
        ..head.clone()
    })
    .unwrap();
    let changed = folder.path().join("head.jsonl");
    std::fs::write(&changed, head_changed.join("\n") + "\n").unwrap();
    let (changed_head, _) = read_file(&changed).unwrap();
    assert!(matches!(
        verify(&changed_head, &entries, |_| {}),
        Err(AuditError::Head { .. })
    ));
    // A line that is not JSON names its line.
    std::fs::write(&changed, "{\"size\": 1,\n").unwrap();
    assert!(matches!(read_file(&changed), Err(AuditError::Format { line: 1, .. })));
    platform.stop().await;
}
