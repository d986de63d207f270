//! The README's run command: `sealbid serve` with no configuration at all, in an empty folder,
//! starts a one-node platform on https://127.0.0.1:8443 that answers over HTTPS, and stops
//! cleanly on Ctrl-C (SIGINT). A second start reuses the folder. SIGHUP reloads its certificate
//! and key and never stops it.

use std::time::Duration;

use sealbid_consensus::tls::ClusterCertificates;

use crate::support::{DEFAULT_PORTS, remaining_lines, start_serve, start_serve_logging};

/// Starts `sealbid serve` in `folder`, waits for it to announce itself, checks the API, then
/// interrupts it; returns what it printed.
async fn serve_once(folder: &std::path::Path) -> String {
    let (mut child, receiver, mut printed) = start_serve(folder);
    let authority = std::fs::read(folder.join("sealbid-data/tls/authority.pem")).unwrap();
    let http = sealbid_api::client::https_client(&authority).unwrap();
    let ready = http.get("https://127.0.0.1:8443/readyz").send().await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::OK);

    let status = child.stop("INT");
    assert!(status.success(), "sealbid serve exited with {status}");
    while let Ok(line) = receiver.recv_timeout(Duration::from_secs(5)) {
        printed.push_str(&line);
        printed.push('\n');
    }
    printed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealbid_serve_with_no_configuration_runs_a_one_node_platform() {
    let _ports = DEFAULT_PORTS.lock().await;
    let folder = tempfile::tempdir().unwrap();
    let first = serve_once(folder.path()).await;
    assert!(first.contains("serving https://127.0.0.1:8443"), "{first}");
    assert!(first.contains("sealbid-data/operator.pk8"), "{first}");
    assert!(first.contains("created now"), "{first}");
    let log_key = std::fs::read_to_string(folder.path().join("sealbid-data/log.pub")).unwrap();
    assert!(log_key.starts_with("sealbid/"), "{log_key}");
    assert!(first.contains(&format!("log key:       {}", log_key.trim())), "{first}");
    assert!(first.contains("stopped"), "{first}");
    let second = serve_once(folder.path()).await;
    assert!(
        !second.contains("created now"),
        "the second start reuses the key: {second}"
    );
}

/// `/readyz` over a new connection that trusts only `authority`; its status, or why no answer
/// came (a certificate that authority did not sign fails the handshake).
async fn ready_trusting(authority: &[u8]) -> Result<reqwest::StatusCode, String> {
    let http = sealbid_api::client::https_client(authority).unwrap();
    let answer = http.get("https://127.0.0.1:8443/readyz").send().await;
    answer
        .map(|answer| answer.status())
        .map_err(|error| format!("{error:?}"))
}

/// Waits (at most 10 s) until `sealbid_tls_reloads_total{outcome}` reads `count` on a node
/// whose certificate `authority` signed.
async fn wait_reloads(authority: &[u8], outcome: &str, count: u64) {
    let http = sealbid_api::client::https_client(authority).unwrap();
    let line = format!("sealbid_tls_reloads_total{{outcome=\"{outcome}\"}} {count}");
    for _ in 0..100 {
        let metrics = http.get("https://127.0.0.1:8443/metrics").send().await.unwrap();
        if metrics.text().await.unwrap().lines().any(|shown| shown == line) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_and_never_stops_the_node() {
    let _ports = DEFAULT_PORTS.lock().await;
    let folder = tempfile::tempdir().unwrap();
    let (mut child, _receiver, _printed, log) = start_serve_logging(folder.path(), std::process::Stdio::piped(), None);
    let log = log.unwrap();
    let tls = folder.path().join("sealbid-data/tls");
    let first = std::fs::read(tls.join("authority.pem")).unwrap();
    assert_eq!(ready_trusting(&first).await, Ok(reqwest::StatusCode::OK));

    // The operator installs another certificate and key (from an authority of its own here) and
    // sends SIGHUP: new connections get the new certificate, and the node keeps running.
    let hosts = ["127.0.0.1".to_owned(), "localhost".to_owned()];
    let rotated = ClusterCertificates::generate(1, &hosts).unwrap();
    let (certificate, key) = &rotated.identities[0];
    std::fs::write(tls.join("node.pem"), certificate).unwrap();
    std::fs::write(tls.join("node.key"), key).unwrap();
    child.signal("HUP");
    let second = rotated.authority.as_bytes();
    let mut answered = ready_trusting(second).await;
    for _ in 0..100 {
        if answered.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answered = ready_trusting(second).await;
    }
    assert_eq!(answered, Ok(reqwest::StatusCode::OK));
    let refused = ready_trusting(&first).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|error| error.contains("InvalidCertificate")),
        "the old certificate is no longer presented: {refused:?}"
    );
    wait_reloads(second, "applied", 1).await;
    assert!(child.running());

    // A key that is not the certificate's is refused: the pair in use is kept.
    let other = ClusterCertificates::generate(1, &hosts).unwrap();
    std::fs::write(tls.join("node.key"), &other.identities[0].1).unwrap();
    child.signal("HUP");
    wait_reloads(second, "refused", 1).await;
    assert_eq!(ready_trusting(second).await, Ok(reqwest::StatusCode::OK));
    wait_reloads(second, "applied", 1).await;
    assert!(child.running());

    let status = child.stop("TERM");
    assert!(status.success(), "sealbid serve exited with {status}");

    // Its log, written to a pipe: one JSON object per line, no colour codes, the node's own
    // events at info without RUST_LOG.
    let lines = remaining_lines(&log);
    let events: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}")))
        .collect();
    assert!(
        lines.iter().all(|line| !line.contains('\u{1b}')),
        "no colour codes: {lines:?}"
    );
    let said = |level: &str, message: &str| {
        events.iter().any(|event| {
            event["level"] == level && event["message"].as_str().is_some_and(|text| text.starts_with(message))
        })
    };
    for (level, message) in [
        ("INFO", "the node started"),
        ("INFO", "the cluster has a new leader"),
        ("INFO", "reloaded the node's certificate and key"),
        ("WARN", "kept the node's certificate and key: the reload failed"),
        ("INFO", "the node stopped"),
    ] {
        assert!(said(level, message), "{level} {message} in {lines:?}");
    }
    let refused = events.iter().find(|event| event["level"] == "WARN").unwrap();
    assert_eq!(
        refused["error"], "the private key is not the certificate's",
        "{refused}"
    );
}

#[test]
fn a_start_that_cannot_listen_creates_nothing() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sealbid"))
        .arg("serve")
        .current_dir(folder.path())
        .env_remove("SEALBID_CONFIG")
        .env("SEALBID_LISTEN", address.to_string())
        .env("SEALBID_CLUSTER_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains(&format!("cannot listen on {address}")), "{said}");
    let left: Vec<_> = std::fs::read_dir(folder.path()).unwrap().collect();
    assert!(left.is_empty(), "no data folder, certificate or key: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_answer_is_logged_with_its_request_id() {
    let _ports = DEFAULT_PORTS.lock().await;
    let folder = tempfile::tempdir().unwrap();
    let filter = Some("warn,sealbid_api=debug");
    let (mut child, _receiver, _printed, log) =
        start_serve_logging(folder.path(), std::process::Stdio::piped(), filter);
    let authority = std::fs::read(folder.path().join("sealbid-data/tls/authority.pem")).unwrap();
    let http = sealbid_api::client::https_client(&authority).unwrap();
    for (id, path) in [("ready-1", "/readyz"), ("missing-2", "/v1/tenders/T-999999")] {
        let answer = http
            .get(format!("https://127.0.0.1:8443{path}"))
            .header("x-request-id", id)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.headers()["x-request-id"], id);
    }
    let status = child.stop("TERM");
    assert!(status.success(), "sealbid serve exited with {status}");
    let events: Vec<serde_json::Value> = remaining_lines(&log.unwrap())
        .into_iter()
        .map(|line| serde_json::from_str(&line).unwrap_or_else(|error| panic!("{error}: {line}")))
        .collect();
    for (id, path, status) in [("ready-1", "/readyz", 200), ("missing-2", "/v1/tenders/T-999999", 404)] {
        let answered = events.iter().find(|event| event["span"]["request_id"] == id);
        let answered = answered.unwrap_or_else(|| panic!("no answer logged for {id}: {events:?}"));
        assert_eq!(answered["message"], "answered", "{answered}");
        assert_eq!(answered["status"], status, "{answered}");
        assert_eq!(answered["span"]["path"], path, "{answered}");
        assert_eq!(answered["span"]["method"], "GET", "{answered}");
        assert!(
            answered["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
            "{answered}"
        );
    }
}
