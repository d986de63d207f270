//! The README's run command: `sealbid serve` with no configuration at all, in an empty folder,
//! starts a one-node platform on https://127.0.0.1:8443 that answers over HTTPS, and stops
//! cleanly on Ctrl-C (SIGINT). A second start reuses the folder.

use std::time::Duration;

use crate::support::{DEFAULT_PORTS, start_serve};

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
