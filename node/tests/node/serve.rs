//! The README's run command: `sealbid serve` with no configuration at all, in an empty folder,
//! starts a one-node platform on https://127.0.0.1:8443 that answers over HTTPS, and stops
//! cleanly on Ctrl-C (SIGINT). A second start reuses the folder.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::KillOnDrop;

/// Starts `sealbid serve` in `folder`, waits for it to announce itself, checks the API, then
/// interrupts it; returns what it printed.
async fn serve_once(folder: &std::path::Path) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealbid"))
        .arg("serve")
        .current_dir(folder)
        .env_remove("SEALBID_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut child = KillOnDrop(Some(child));
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    let started = Instant::now();
    while !printed.contains("cluster RPC") {
        let line = receiver
            .recv_timeout(Duration::from_secs(30).saturating_sub(started.elapsed()))
            .unwrap_or_else(|_| panic!("sealbid serve did not start within 30 s: {printed}"));
        printed.push_str(&line);
        printed.push('\n');
    }
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
    let folder = tempfile::tempdir().unwrap();
    let first = serve_once(folder.path()).await;
    assert!(first.contains("serving https://127.0.0.1:8443"), "{first}");
    assert!(first.contains("sealbid-data/operator.pk8"), "{first}");
    assert!(first.contains("created now"), "{first}");
    assert!(first.contains("stopped"), "{first}");
    let second = serve_once(folder.path()).await;
    assert!(
        !second.contains("created now"),
        "the second start reuses the key: {second}"
    );
}
