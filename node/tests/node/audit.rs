//! A supervisor's audit: the log fetched over HTTPS replays to the published head and its
//! signed checkpoint; a copy with one byte changed fails naming the entry; a copy cut short
//! with its head rewritten to match fails on the signed checkpoint; a checkpoint signed by
//! another key is refused.

use std::process::Command;

use ring::rand::SystemRandom;
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::note::NoteVerifier;
use sealbid_ledger::command::Action;
use sealbid_ledger::types::Role;
use sealbid_node::audit::{AuditError, CopyHead, fetch, read_file, verify, write_file};
use sealbid_node::checkpoints::{CheckpointCheckError, verify_checkpoint};

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
    let (head, entries) = fetch(&client, None, |_, _| {}).await.unwrap();
    assert_eq!(head.head.size, 5);
    assert_eq!(entries.len(), 5);
    let log_key_path = application.data_dir.root.join("log.pub");
    let log_key = sealbid_node::checkpoints::load_log_key(&log_key_path).unwrap();
    let checkpoint = verify_checkpoint(&head.checkpoint, &log_key).unwrap();
    assert_eq!((checkpoint.size, checkpoint.root), (5, head.head.root));

    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("audit.jsonl");
    write_file(&file, &head, &entries).unwrap();
    let (read_head, read_entries) = read_file(&file).unwrap();
    assert_eq!(read_head, head);
    let report = verify(
        &read_head.head,
        std::slice::from_ref(&checkpoint),
        &read_entries,
        |_| {},
    )
    .unwrap();
    assert_eq!(report.entries, 5);
    assert_eq!(report.checkpoints, 1);
    assert_eq!(report.head, head.head);

    // One byte changed inside entry 3's signed payload: its signature no longer verifies.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[4] = lines[4].replacen("participant 2", "participant 7", 1);
    let tampered = folder.path().join("tampered.jsonl");
    std::fs::write(&tampered, lines.join("\n") + "\n").unwrap();
    let (tampered_head, tampered_entries) = read_file(&tampered).unwrap();
    match verify(
        &tampered_head.head,
        std::slice::from_ref(&checkpoint),
        &tampered_entries,
        |_| {},
    ) {
        Err(AuditError::Entry { index: 3, reason }) => assert!(reason.contains("signature"), "{reason}"),
        other => panic!("expected entry 3 to fail, got {other:?}"),
    }

    // The binary says the same and exits non-zero; the untouched copy passes.
    let binary = env!("CARGO_BIN_EXE_sealbid");
    let passed = Command::new(binary)
        .args(["audit", "verify"])
        .arg(&file)
        .arg("--log-key")
        .arg(&log_key_path)
        .output()
        .unwrap();
    assert!(passed.status.success(), "{}", String::from_utf8_lossy(&passed.stderr));
    assert!(String::from_utf8_lossy(&passed.stdout).contains("verified: 5 entries"));
    let failed = Command::new(binary)
        .args(["audit", "verify"])
        .arg(&tampered)
        .arg("--log-key")
        .arg(&log_key_path)
        .output()
        .unwrap();
    assert!(!failed.status.success());
    let message = String::from_utf8_lossy(&failed.stderr);
    assert!(message.contains("audit entry 3"), "{message}");

    // A head that does not match the entries.
    let mut head_changed = lines.clone();
    head_changed[0] = serde_json::to_string(&CopyHead {
        head: sealbid_api::audit::TreeHead {
            size: 4,
            ..head.head.clone()
        },
        checkpoint: head.checkpoint.clone(),
        witnessed: Vec::new(),
    })
    .unwrap();
    let changed = folder.path().join("head.jsonl");
    std::fs::write(&changed, head_changed.join("\n") + "\n").unwrap();
    let (changed_head, _) = read_file(&changed).unwrap();
    assert!(matches!(
        verify(&changed_head.head, std::slice::from_ref(&checkpoint), &entries, |_| {}),
        Err(AuditError::Head { .. })
    ));

    // A copy cut short to 4 entries with a head rewritten to match it: the head alone passes,
    // the checkpoint signed for 5 entries does not.
    let mut short = ledger_of(&entries[..4]);
    short.checkpoint = head.checkpoint.clone();
    assert!(verify(&short.head, &[], &entries[..4], |_| {}).is_ok());
    match verify(&short.head, std::slice::from_ref(&checkpoint), &entries[..4], |_| {}) {
        Err(AuditError::Head { reason }) => assert!(reason.contains("cut short"), "{reason}"),
        other => panic!("expected the cut-short copy to fail, got {other:?}"),
    }
    let cut = folder.path().join("cut.jsonl");
    write_file(&cut, &short, &entries[..4]).unwrap();
    let refused = Command::new(binary)
        .args(["audit", "verify"])
        .arg(&cut)
        .arg("--log-key")
        .arg(&log_key_path)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("cut short"));

    // A checkpoint with another root for an existing size (a rewritten log) is refused.
    let rewritten = Checkpoint {
        root: short.head.root,
        ..checkpoint.clone()
    };
    assert!(matches!(
        verify(&head.head, &[rewritten], &entries, |_| {}),
        Err(AuditError::Head { .. })
    ));

    // A checkpoint is trusted only under the log's key: another key, or another log's name,
    // is refused.
    let stranger = IdentityKeyPair::generate(&SystemRandom::new()).unwrap().0;
    let other_key = NoteVerifier::new(&log_key.name, stranger.public_key()).unwrap();
    assert!(matches!(
        verify_checkpoint(&head.checkpoint, &other_key),
        Err(CheckpointCheckError::Invalid(_))
    ));
    let signer = sealbid_api::audit::LogSigner::new(stranger).unwrap();
    let foreign = signer.checkpoint(5, head.head.root).unwrap();
    match verify_checkpoint(&foreign, signer.signer.verifier()) {
        Ok(_) => {}
        Err(error) => panic!("a note signed by its own key verifies under it: {error}"),
    }
    assert!(verify_checkpoint(&foreign, &log_key).is_err());

    // A line that is not JSON names its line.
    std::fs::write(&changed, "{\"size\": 1,\n").unwrap();
    assert!(matches!(read_file(&changed), Err(AuditError::Format { line: 1, .. })));
    platform.stop().await;
}

/// The head a log of `entries` replays to, with no checkpoint.
fn ledger_of(entries: &[sealbid_api::audit::AuditEntry]) -> CopyHead {
    let mut ledger = sealbid_ledger::Ledger::new(sealbid_crypto::merkle::MemoryNodeStore::new());
    for entry in entries {
        let parsed: sealbid_ledger::command::Entry =
            sealbid_crypto::encoding::from_canonical(entry.text().unwrap().as_bytes()).unwrap();
        ledger.apply(&parsed).unwrap();
    }
    CopyHead {
        head: sealbid_api::audit::TreeHead {
            size: ledger.audit().size(),
            root: ledger.audit().root(),
            state_hash: ledger.state_hash(),
        },
        checkpoint: String::new(),
        witnessed: Vec::new(),
    }
}
