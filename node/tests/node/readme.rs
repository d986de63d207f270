//! The README's walkthrough of a whole tender, run as written: `sealbid serve` with no
//! configuration in an empty folder, then the README's `sh` block after the walkthrough marker,
//! in bash with `set -euo pipefail`, the `sealbid` under test first on the PATH; twice, as the
//! README says it is safe to run again.

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
async fn the_readme_walkthrough_runs_as_written_and_again() {
    let _ports = DEFAULT_PORTS.lock().await;
    let folder = tempfile::tempdir().unwrap();
    let (mut server, _lines, _printed) = start_serve(folder.path());

    // The second run reuses the participants the first set up and trades a tender of its own.
    for tender in ["T-000001", "T-000002"] {
        let (stdout, stderr) = run_walkthrough(folder.path()).await;
        check_run(folder.path(), tender, &stdout, &stderr);
    }
    let status = server.stop("INT");
    assert!(status.success(), "sealbid serve exited with {status}");
}

/// Runs the walkthrough in `folder` with bash, the `sealbid` under test first on the PATH; its
/// standard output and error, once it succeeded.
async fn run_walkthrough(folder: &std::path::Path) -> (String, String) {
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
        .current_dir(folder)
        .env("PATH", path)
        .env_remove("SEALBID_KEY")
        .env_remove("SEALBID_API")
        .env_remove("SEALBID_AUTHORITY")
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
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "walkthrough failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

/// Checks that a run traded `tender` the way the README says: the late bid refused with the
/// ledger's reason, the resent command answered with its first receipt, the offers opened and
/// read in yuan, four receipts checked, the log verified twice by the supervisor (live while the
/// bids were sealed, and after the opening).
fn check_run(folder: &std::path::Path, tender: &str, stdout: &str, stderr: &str) {
    assert!(stdout.contains("late bid refused, as it must be"), "{stdout}");
    let refusal = stderr
        .lines()
        .find(|line| line.contains("closed"))
        .unwrap_or_else(|| panic!("the late bid's refusal says why: {stderr}"));
    assert!(refusal.starts_with("error: the platform refused it (409"), "{refusal}");
    assert!(refusal.contains(tender), "{refusal}");
    assert!(
        stdout.contains(&format!(
            "Bid on {tender} lot 1 accepted, receipt saved to demo/receipt-1.json"
        )),
        "{stdout}"
    );
    let resent = stdout
        .lines()
        .find(|line| line.contains("applied before"))
        .unwrap_or_else(|| panic!("the resent bid is answered with its receipt: {stdout}"));
    assert!(
        resent.starts_with(&format!(
            "Bid on {tender} lot 1 accepted; it had been applied before, as audit entry "
        )) && resent.ends_with(": this is its original receipt"),
        "{resent}"
    );
    assert!(
        stdout.contains(&format!("Tender {tender} opened: 3 valid bids, 0 not usable")),
        "{stdout}"
    );
    assert!(stdout.contains("bid ¥79,000.00 (valid"), "{stdout}");
    let bidder_3 = load_key(&folder.join("demo/bidder-3.pk8")).unwrap().public_key();
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
    let registry = std::fs::read_to_string(folder.join("demo/registry.json")).unwrap();
    assert!(registry.contains(&bidder_3.to_string()), "{registry}");
}
