//! The short burst of the test suite: about 1,000 bids over a few seconds against a three-node
//! cluster of real `sealbid` processes on loopback, then close, shares and opening of every
//! tender. Nothing acknowledged may be lost; every bid sent before the deadline is accepted and
//! every later one refused as late; the report, JSON and charts are written. (The long runs are
//! documented commands in BENCHMARKS.md.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use sealbid_loadtest::burst::{Options, run};

/// The `sealbid` binary cargo built beside this test (`cargo test --workspace` builds it).
fn sealbid_binary() -> PathBuf {
    let test = std::env::current_exe().unwrap();
    let profile_folder = test.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile_folder.join("sealbid");
    assert!(
        binary.exists(),
        "{} is missing: run the tests with `cargo test --workspace`, which builds it",
        binary.display()
    );
    binary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_burst_loses_no_receipt_and_refuses_late_bids() {
    let out = tempfile::tempdir().unwrap();
    let options = Options {
        tenders: 5,
        bids: 1_000,
        late_bids: 5,
        window_seconds: 5,
        sharpness: 4.0,
        seed: 7,
        concurrency: 64,
        deadline_margin_ms: 3_000,
        targets: Vec::new(),
        authority: None,
        operator_key: None,
        log_key: None,
        sealbid_binary: sealbid_binary(),
        kill_leader_at: None,
        restart_after: 5.0,
        etcd: false,
        etcd_binary: PathBuf::from("etcd"),
        out: out.path().to_path_buf(),
        max_p99_ms: None,
        min_peak_rate: None,
        progress: false,
    };
    let summary = run(&options).await.unwrap();
    let text = summary.to_text();

    // Every bid was answered; whatever was accepted is in the signed log and in its opening.
    assert_eq!(summary.sealbid.sent, 1_000, "{text}");
    assert_eq!(summary.sealbid.failed, 0, "{text}");
    assert_eq!(summary.verification.lost, 0, "{text}");
    assert_eq!(
        summary.verification.receipts,
        summary.sealbid.accepted + summary.late.accepted,
        "{text}"
    );
    // On time by arrival: no bid sent before the deadline is refused as late; every on-time bid
    // is accepted unless the load test's own queue (64 connections) sent it after the deadline.
    assert_eq!(summary.sealbid.late_refusals_sent_before_deadline, 0, "{text}");
    assert_eq!(
        summary.sealbid.accepted + summary.sealbid.late_refusals_sent_after_deadline,
        1_000,
        "{text}"
    );
    assert_eq!(summary.verification.opened_without_receipt, 0, "{text}");
    // The late bids were all refused, as late.
    assert_eq!(summary.late.sent, 5, "{text}");
    assert_eq!(summary.late.refused.get("late-bid"), Some(&5), "{text}");
    // Every tender was opened and timed; the thresholds (only lost receipts here) held.
    assert_eq!(summary.openings.len(), 5, "{text}");
    assert!(
        summary.openings.iter().all(|opening| opening.opening_ms > 0.0),
        "{text}"
    );
    assert!(summary.passed(), "{text}");
    assert_eq!(summary.node_memory_peak_mib.len(), 3, "{text}");

    // The report's files.
    for file in ["summary.json", "report.txt", "latency.svg", "throughput.svg"] {
        let written = std::fs::read_to_string(out.path().join(file)).unwrap();
        assert!(!written.is_empty(), "{file} is empty");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["verification"]["lost"], 0);
    assert!(
        std::fs::read_to_string(out.path().join("latency.svg"))
            .unwrap()
            .contains("<svg")
    );
}
