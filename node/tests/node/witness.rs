//! Supervisors witness the log over HTTPS with `sealbid supervisor witness`: two witnesses
//! co-sign as bids flow, the node serves their cosignatures with its checkpoints and keeps only
//! valid ones of its own tree; a receipt verifies with `--witness` for both and fails when a
//! required witness has not co-signed; `audit verify` counts them; and a second platform that
//! signs a rewritten log with the same log key is refused by both witnesses, which report it
//! there as a red integrity warning, their state files unchanged.

use std::path::Path;

use reqwest::StatusCode;
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::cosignature::Cosigner;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::Hash;
use sealbid_crypto::note::{self, NoteSigner};
use sealbid_ledger::types::{LotId, Market, Role};
use sealbid_node::Layer;
use sealbid_node::participant::SavedReceipt;
use sealbid_testkit::{grant, sealed_offer};
use serde_json::Value;

use crate::cli::{refused, sealbid};
use crate::signed_reads::read;
use crate::supervision::keygen;
use crate::support::{Platform, now_ms};
use crate::tender::{BIDDING_MS, Cast, cast, lot, publish_until, run, submit};

/// Bidder `bidder` of `cast` bids on `tender`; its receipt saved to `path` as the CLI saves one.
async fn bid_with_receipt(
    platform: &Platform,
    cast: &Cast,
    tender: &sealbid_ledger::types::TenderId,
    opening_key: &sealbid_crypto::curve::CurvePoint,
    bidder: usize,
    path: &Path,
) {
    let lot_id = LotId::parse("1").unwrap();
    let envelope = sealed_offer(
        tender,
        &lot_id,
        &cast.bidders[bidder],
        100_000 + bidder as u64 * 7_000,
        None,
        opening_key,
    )
    .unwrap();
    let answer = submit(platform, &cast.bidders[bidder], tender, &lot_id, &envelope).await;
    let index = answer["audit_index"].as_u64().unwrap();
    let (status, _, log) = platform.get(&format!("/v1/audit/receipt?index={index}")).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let saved = SavedReceipt {
        command: serde_json::from_value(answer).unwrap(),
        log: serde_json::from_value(log).unwrap(),
    };
    std::fs::write(path, serde_json::to_string(&saved).unwrap()).unwrap();
}

/// One run of `sealbid supervisor witness` (its JSON line), with the witness key file `key`
/// and state file `state`.
fn witness_once(platform: &Platform, authority: &Path, log_key: &str, key: &str, state: &Path) -> Value {
    let printed = sealbid(
        platform,
        authority,
        &[
            "supervisor",
            "witness",
            "--key",
            key,
            "--log-key",
            log_key,
            "--state",
            &state.display().to_string(),
            "--json",
        ],
    );
    serde_json::from_str(printed.trim()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_witness_the_log_and_refuse_a_rewritten_one() {
    const LABEL: u8 = 23;
    let platform = Platform::start().await;
    let data_dir = &platform.application.as_ref().unwrap().data_dir;
    let authority = data_dir.authority.clone();
    let log_pub = data_dir.root.join("log.pub").display().to_string();
    let log_key = data_dir.log_key().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let file = |name: &str| folder.path().join(name);
    let cli = |arguments: &[&str]| sealbid(&platform, &authority, arguments);
    let mut cast = cast(&platform, LABEL, 3).await;

    // Two supervisors run witnesses; a third never does.
    let mut witnesses = Vec::new();
    for name in ["li", "wang", "zhao"] {
        let (key_file, key) = keygen(folder.path(), &format!("{name}.pk8"));
        run(&platform, &platform.operator, grant(&key, Role::Supervisor, "监察")).await;
        let verifier = cli(&["supervisor", "witness-key", "--key", &key_file])
            .trim()
            .to_owned();
        witnesses.push((key_file, key, verifier));
    }
    let states = [file("li.state"), file("wang.state")];

    // Bids flow; each witness co-signs after each one, every checkpoint extending the last.
    let (tender, opening_key) = publish_until(
        &platform,
        &mut cast,
        Market::Procurement,
        lot("1"),
        now_ms() + BIDDING_MS,
    )
    .await;
    let receipt = file("receipt-0.json");
    bid_with_receipt(&platform, &cast, &tender, &opening_key, 0, &receipt).await;
    let mut sizes = Vec::new();
    for bidder in 1..3 {
        for (witness, state) in witnesses.iter().zip(&states) {
            let outcome = witness_once(&platform, &authority, &log_pub, &witness.0, state);
            assert_eq!(outcome["outcome"], "cosigned", "{outcome}");
            sizes.push(outcome["size"].as_u64().unwrap());
        }
        bid_with_receipt(
            &platform,
            &cast,
            &tender,
            &opening_key,
            bidder,
            &file(&format!("receipt-{bidder}.json")),
        )
        .await;
    }
    assert!(sizes[2] > sizes[0], "{sizes:?}");
    // Each co-signs the checkpoint after the last bid; a second look finds nothing new, and the
    // node serves both lines with its checkpoint.
    for (witness, state) in witnesses.iter().zip(&states) {
        let outcome = witness_once(&platform, &authority, &log_pub, &witness.0, state);
        assert_eq!(outcome["outcome"], "cosigned", "{outcome}");
        assert!(outcome["size"].as_u64().unwrap() > sizes[2], "{outcome}");
        let again = witness_once(&platform, &authority, &log_pub, &witness.0, state);
        assert_eq!(
            (&again["outcome"], &again["size"]),
            (&"unchanged".into(), &outcome["size"]),
            "{again}"
        );
    }
    let (_, current) = platform.get_text("/v1/audit/checkpoint").await;
    let current_note = note::parse(&current).unwrap();
    for (_, _, verifier) in &witnesses[..2] {
        let verifier = sealbid_crypto::cosignature::CosignerVerifier::parse(verifier).unwrap();
        verifier.verify(&current_note).unwrap();
    }
    let (status, _, witnessed) = platform.get("/v1/audit/witnessed").await;
    assert_eq!(status, StatusCode::OK, "{witnessed}");
    assert_eq!(witnessed["checkpoints"].as_array().unwrap().len(), 1, "{witnessed}");

    // The first receipt verifies with both witnesses; naming the third as required fails.
    let receipt_text = receipt.display().to_string();
    let verify = |keys: &[&str], required: Option<&str>| {
        let mut arguments = vec!["bidder", "receipts", "verify", "--log-key", &log_pub, &receipt_text];
        for key in keys {
            arguments.extend(["--witness", key]);
        }
        if let Some(required) = required {
            arguments.extend(["--witnesses-required", required]);
        }
        arguments.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let both = verify(&[&witnesses[0].2, &witnesses[1].2], None);
    let printed = cli(&crate::cli::arguments(&both));
    assert!(printed.contains("co-signed by sealbid-witness/"), "{printed}");
    let with_third = verify(&[&witnesses[0].2, &witnesses[2].2], None);
    let refusal = refused(&platform, &authority, &crate::cli::arguments(&with_third));
    assert!(refusal.contains("1 of the 2 witnesses required"), "{refusal}");
    cli(&crate::cli::arguments(&verify(
        &[&witnesses[0].2, &witnesses[2].2],
        Some("1"),
    )));

    // The node keeps only a supervisor's valid cosignature of its own tree.
    let size = current_note.text.lines().nth(1).unwrap().parse::<u64>().unwrap();
    let cosign = |key: IdentityKeyPair, checkpoint: &str| {
        let cosigner = Cosigner::new("test/witness", key).unwrap();
        let line = cosigner
            .cosignature_line(&note::parse(checkpoint).unwrap(), now_ms() / 1_000)
            .unwrap();
        serde_json::json!({"witness": cosigner.verifier().to_string(), "checkpoint": format!("{checkpoint}{line}")})
    };
    let outsider = IdentityKeyPair::from_seed(&[77; 32]).unwrap();
    let supervisor = || IdentityKeyPair::from_pkcs8(&std::fs::read(&witnesses[2].0).unwrap()).unwrap();
    let origin = current_note.text.lines().next().unwrap().to_owned();
    let log_signer = NoteSigner::new(&origin, log_key).unwrap();
    let forged = note::sign(&Checkpoint::new(&origin, size, Hash([9; 32])).to_text(), &[&log_signer]).unwrap();
    let stranger = NoteSigner::new(&origin, IdentityKeyPair::from_seed(&[78; 32]).unwrap()).unwrap();
    let foreign = note::sign(&current_note.text, &[&stranger]).unwrap();
    let mut tampered = cosign(supervisor(), &current);
    tampered["checkpoint"] = tampered["checkpoint"]
        .as_str()
        .unwrap()
        .replacen(&format!("\n{size}\n"), &format!("\n{}\n", size - 1), 1)
        .into();
    for (body, status, code) in [
        (cosign(outsider, &current), StatusCode::FORBIDDEN, "missing-role"),
        (tampered, StatusCode::UNPROCESSABLE_ENTITY, "not-this-log"),
        (
            cosign(supervisor(), &foreign),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not-this-log",
        ),
        (
            cosign(supervisor(), &forged),
            StatusCode::CONFLICT,
            "checkpoint-not-in-log",
        ),
        (
            serde_json::json!({"witness": "nonsense", "checkpoint": current}),
            StatusCode::BAD_REQUEST,
            "malformed-witness-key",
        ),
    ] {
        let (found, _, problem) = platform.post("/v1/audit/cosignatures", &body).await;
        assert_eq!((found, problem["code"].as_str()), (status, Some(code)), "{problem}");
    }
    let (_, again) = platform.get_text("/v1/audit/checkpoint").await;
    assert_eq!(note::parse(&again).unwrap().signatures.len(), 3, "{again}");

    // A supervisor's audit counts the witnesses on the checkpoints it fetched.
    let audit_file = file("audit.jsonl").display().to_string();
    cli(&["audit", "fetch", "--out", &audit_file]);
    let verify_audit = |keys: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sealbid"));
        command.args(["audit", "verify", &audit_file, "--log-key", &log_pub, "--json"]);
        for key in keys {
            command.args(["--witness", key]);
        }
        command.output().unwrap()
    };
    let audited = verify_audit(&[&witnesses[0].2, &witnesses[1].2]);
    assert!(audited.status.success(), "{}", String::from_utf8_lossy(&audited.stderr));
    let report: Value = serde_json::from_slice(&audited.stdout).unwrap();
    assert_eq!(report["witnesses"].as_array().unwrap().len(), 2, "{report}");
    let refusal = verify_audit(&[&witnesses[2].2]);
    assert!(!refusal.status.success());
    let message = String::from_utf8_lossy(&refusal.stderr);
    assert!(message.contains("0 of the 1 witnesses required"), "{message}");

    // The operator starts a second platform with the same log key and a log of its own, longer
    // than the one co-signed: both witnesses refuse it and report it there.
    let rewritten = tempfile::tempdir().unwrap();
    let rewritten_data = rewritten.path().join("data");
    std::fs::create_dir(&rewritten_data).unwrap();
    std::fs::copy(data_dir.root.join("log.pk8"), rewritten_data.join("log.pk8")).unwrap();
    let other = Platform::start_with(
        Layer {
            data_dir: Some(rewritten_data.display().to_string()),
            ..Layer::default()
        },
        std::sync::Arc::new(sealbid_consensus::clock::SystemClock),
    )
    .await;
    let other_authority = rewritten_data.join("tls/authority.pem");
    for (_, key, _) in &witnesses {
        run(&other, &other.operator, grant(key, Role::Supervisor, "监察")).await;
    }
    for index in 0..=size {
        let mut seed = [79; 32];
        seed[..8].copy_from_slice(&index.to_be_bytes());
        let filler = IdentityKeyPair::from_seed(&seed).unwrap();
        run(&other, &other.operator, grant(&filler, Role::Office, "another office")).await;
    }
    for (witness, state) in witnesses.iter().zip(&states) {
        let before = std::fs::read(state).unwrap();
        let refusal = refused(
            &other,
            &other_authority,
            &[
                "supervisor",
                "witness",
                "--key",
                &witness.0,
                "--log-key",
                &log_pub,
                "--state",
                &state.display().to_string(),
            ],
        );
        assert!(refusal.contains("refused to co-sign"), "{refusal}");
        assert_eq!(
            std::fs::read(state).unwrap(),
            before,
            "a refusal changed the witness's state"
        );
    }
    let (status, warnings) = read(&other, "/v1/supervision/warnings", &witnesses[0].1).await;
    assert_eq!(status, StatusCode::OK, "{warnings}");
    let integrity: Vec<&Value> = warnings["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|warning| warning["indicator"] == "integrity")
        .collect();
    assert_eq!(integrity.len(), 2, "{warnings}");
    assert!(
        integrity
            .iter()
            .all(|warning| warning["level"] == "red" && warning.get("tender").is_none())
    );
}
