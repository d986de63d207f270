//! The README's walkthrough of a whole tender, run as written: `sealbid serve` with no
//! configuration in an empty folder, then the README's `sh` block after the walkthrough marker,
//! in bash with `set -euo pipefail`, the `sealbid` under test first on the PATH.

use std::process::Command;
use std::time::Duration;

use sealbid_node::participant::load_key;

use crate::support::{DEFAULT_PORTS, start_serve};

/// The marker that precedes the walkthrough's block in README.md.
const MARKER: &str = "<!-- walkthrough:";

/// The walkthrough block of the README.
fn walkthrough() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let after_marker = &readme[readme.find(MARKER).expect("the README has the walkthrough marker")..];
    let block = &after_marker[after_marker.find("```sh\n").unwrap() + "```sh\n".len()..];
    block[..block.find("\n```").unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_runs_as_written() {
    let _ports = DEFAULT_PORTS.lock().await;
    let folder = tempfile::tempdir().unwrap();
    let (mut server, _lines, _printed) = start_serve(folder.path());

    let binary_folder = std::path::Path::new(env!("CARGO_BIN_EXE_sealbid")).parent().unwrap();
    let path = format!(
        "{}:{}",
        binary_folder.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!("set -euo pipefail\n{}", walkthrough());
    // Its own process group, so that a walkthrough that hangs is killed with every command it
    // started.
    let child = tokio::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(folder.path())
        .env("PATH", path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let group = child.id().unwrap();
    let output = match tokio::time::timeout(Duration::from_secs(300), child.wait_with_output()).await {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("sh")
                .args(["-c", &format!("kill -KILL -{group}")])
                .status();
            panic!("the walkthrough did not end within 5 minutes");
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "walkthrough failed:\n{stdout}\n{stderr}");

    // The tender went the way the README says: the late bid refused with the ledger's reason,
    // the offers opened, four receipts checked, the log verified twice by the supervisor (live
    // while the bids were sealed, and after the opening).
    assert!(stdout.contains("late bid refused, as it must be"), "{stdout}");
    let refusal = stderr
        .lines()
        .find(|line| line.contains("closed"))
        .unwrap_or_else(|| panic!("the late bid's refusal says why: {stderr}"));
    assert!(refusal.contains("T-000001"), "{refusal}");
    let bidder_3 = load_key(&folder.path().join("demo/bidder-3.pk8")).unwrap().public_key();
    assert_eq!(
        stdout
            .lines()
            .filter(|line| line.contains("which the current one"))
            .count(),
        4,
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|line| line.starts_with("verified: ")).count(),
        2,
        "both replays, the supervisor's while the bids were sealed too, reach the head: {stdout}"
    );
    // The signed reads: the bidder's own registration, the registrar's whole registry.
    assert!(stdout.contains("\"status\": \"approved\""), "{stdout}");
    let registry = std::fs::read_to_string(folder.path().join("demo/registry.json")).unwrap();
    assert!(registry.contains(&bidder_3.to_string()), "{registry}");
    let status = server.stop("INT");
    assert!(status.success(), "sealbid serve exited with {status}");
}
