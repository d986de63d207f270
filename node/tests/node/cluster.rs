//! Three `sealbid serve` processes formed into one cluster with the `sealbid cluster` commands
//! (certificates, add-learner, promote), then whole tenders (procurement, land-use right, coal)
//! run through a follower's API: writes sent to a follower succeed, every node holds the same state, and a
//! supervisor's replay of the log fetched from another follower verifies.

use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use sealbid_crypto::identity::IdentityKeyPair;

use crate::support::{KillOnDrop, Platform};

/// A free port on 127.0.0.1 (released before the node binds it).
fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// Runs `program` with `arguments` and `environment` to completion; its standard output,
/// asserting success.
fn run(program: &str, arguments: &[&str], environment: &[(&str, &str)]) -> String {
    let output = Command::new(program)
        .args(arguments)
        .envs(environment.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{program} {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `sealbid` with `arguments` to completion; its standard output, asserting success.
fn sealbid(arguments: &[&str]) -> String {
    run(env!("CARGO_BIN_EXE_sealbid"), arguments, &[])
}

/// One node process.
struct Node {
    folder: String,
    api: String,
    rpc: String,
    process: KillOnDrop,
}

impl Node {
    fn start(folder: &std::path::Path, node_id: u64, join: bool) -> Self {
        let (api, rpc) = (free_address(), free_address());
        let folder = folder.display().to_string();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sealbid"));
        command
            .args([
                "serve",
                "--data-dir",
                &folder,
                "--listen",
                &api,
                "--cluster-listen",
                &rpc,
            ])
            .args(["--node-id", &node_id.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if join {
            command.arg("--join");
        }
        Self {
            folder,
            api,
            rpc,
            process: KillOnDrop(Some(command.spawn().unwrap())),
        }
    }

    /// Waits (up to 30 s) until `path` answers 200 on this node's API.
    async fn wait_for(&self, http: &reqwest::Client, path: &str) {
        for _ in 0..150 {
            if let Ok(response) = http.get(format!("https://{}{path}", self.api)).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("node at {} never answered 200 on {path}", self.api);
    }

    /// SIGTERM, and a clean exit.
    fn stop(mut self) {
        let status = self.process.stop("TERM");
        assert!(status.success(), "node {} exited with {status}", self.folder);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_node_processes_form_a_cluster_and_a_follower_takes_whole_tenders() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().display().to_string();
    let folders = sealbid(&["cluster", "certificates", "--nodes", "3", "--out", &out]);
    assert_eq!(folders.lines().count(), 3, "{folders}");

    let first = Node::start(&folder.path().join("node-1"), 1, false);
    let second = Node::start(&folder.path().join("node-2"), 2, true);
    let third = Node::start(&folder.path().join("node-3"), 3, true);
    let authority = std::fs::read(folder.path().join("node-1/tls/authority.pem")).unwrap();
    let http = sealbid_api::client::https_client(&authority).unwrap();
    first.wait_for(&http, "/readyz").await;
    second.wait_for(&http, "/livez").await;
    third.wait_for(&http, "/livez").await;

    // Membership: learners catch up, then become voters. Requests may go through any member
    // that knows the leader (node 3's promotion goes through node 2).
    let data_dir = &first.folder;
    let add_learner = |via: &str, node_id: &str, address: &str| {
        let arguments = ["--via", via, "--node-id", node_id, "--address", address];
        sealbid(&[&["cluster", "add-learner", "--data-dir", data_dir][..], &arguments[..]].concat())
    };
    let promote = |via: &str, node_id: &str| {
        sealbid(&[
            "cluster",
            "promote",
            "--data-dir",
            data_dir,
            "--via",
            via,
            "--node-id",
            node_id,
        ])
    };
    add_learner(&first.rpc, "2", &second.rpc);
    promote(&first.rpc, "2");
    add_learner(&second.rpc, "3", &third.rpc);
    let promoted = sealbid(&[
        "cluster",
        "promote",
        "--data-dir",
        data_dir,
        "--via",
        &second.rpc,
        "--node-id",
        "3",
        "--json",
    ]);
    let promoted: serde_json::Value = serde_json::from_str(&promoted).unwrap();
    assert_eq!(promoted, serde_json::json!({ "node_id": 3, "membership": "voter" }));
    // The leader answered once the change was committed; node 3 learns it with the next
    // message from the leader.
    let third_status = || -> serde_json::Value {
        serde_json::from_str(&sealbid(&[
            "cluster",
            "status",
            "--data-dir",
            &first.folder,
            "--node",
            &third.rpc,
        ]))
        .unwrap()
    };
    let mut status = third_status();
    for _ in 0..50 {
        if status["voters"] == serde_json::json!([1, 2, 3]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = third_status();
    }
    assert_eq!(status["voters"], serde_json::json!([1, 2, 3]), "{status}");
    assert!(status["leader"].as_u64().is_some(), "{status}");
    second.wait_for(&http, "/readyz").await;

    // A whole tender through node 2, a follower: every write is forwarded to the leader.
    let operator_key = std::fs::read(folder.path().join("node-1/operator.pk8")).unwrap();
    let operator = IdentityKeyPair::from_pkcs8(&operator_key).unwrap();
    let follower = Platform::remote(format!("https://{}", second.api), authority.clone(), operator, 0);
    let offers = crate::tender::procurement(&follower, 3).await;
    // Every node erased the replaced and the withdrawn offer from its data folder.
    let folders: Vec<std::path::PathBuf> = (1..=3).map(|node| folder.path().join(format!("node-{node}"))).collect();
    let folders: Vec<&std::path::Path> = folders.iter().map(std::path::PathBuf::as_path).collect();
    crate::tender::wait_erased(&folders, &offers).await;
    crate::tender::land_use_and_coal(&follower, 4).await;

    // Node 3 serves the same log and state; a supervisor's replay of it verifies.
    let head = |node: &Node| {
        let client = sealbid_api::client::Client::new(&format!("https://{}", node.api), &authority).unwrap();
        async move { client.audit_head().await.unwrap() }
    };
    let leader_head = head(&first).await;
    let mut third_head = head(&third).await;
    for _ in 0..50 {
        if third_head == leader_head {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        third_head = head(&third).await;
    }
    assert_eq!(third_head, leader_head, "node 3 holds the leader's log and state");
    let client = sealbid_api::client::Client::new(&format!("https://{}", third.api), &authority).unwrap();
    let (fetched_head, entries) = sealbid_node::audit::fetch(&client, None, |_, _| {}).await.unwrap();
    // Every node signs with the cluster's one log key: node 3's checkpoint verifies under the
    // key node 1 published.
    let published: Vec<String> = (1..=3)
        .map(|node| std::fs::read_to_string(folder.path().join(format!("node-{node}/log.pub"))).unwrap())
        .collect();
    assert!(published.iter().all(|key| *key == published[0]), "{published:?}");
    let log_key = sealbid_node::checkpoints::load_log_key(&folder.path().join("node-1/log.pub")).unwrap();
    let checkpoint = sealbid_node::checkpoints::verify_checkpoint(&fetched_head.checkpoint, &log_key).unwrap();
    let report = sealbid_node::audit::verify(&fetched_head.head, &[checkpoint], &entries, |_| {}).unwrap();
    assert!(report.state_hash_checked, "{report:?}");

    // Every node raised the same early warnings (the replay's equal state hash covers them, in
    // the archive digest, too): a supervisor reads each tender's from every node.
    let supervisor = sealbid_testkit::key(30, 1_001).unwrap();
    let grant = sealbid_testkit::grant(&supervisor, sealbid_ledger::types::Role::Supervisor, "监察室");
    crate::tender::run(&follower, &follower.operator, grant).await;
    // A supervisor's signed read of `path` on the node whose API is at `api`.
    let read_on = |api: &str, path: String| {
        let platform = Platform::remote(
            format!("https://{api}"),
            authority.clone(),
            IdentityKeyPair::from_seed(&[0; 32]).unwrap(),
            0,
        );
        let supervisor = &supervisor;
        async move { crate::signed_reads::read(&platform, &path, supervisor).await }
    };
    let warnings_on = |node: &Node| {
        let read_on = &read_on;
        let api = node.api.clone();
        async move {
            let mut all = Vec::new();
            for tender in ["T-000001", "T-000002", "T-000003"] {
                let path = format!("/v1/supervision/tenders/{tender}/warnings");
                let (status, body) = read_on(&api, path).await;
                if status != StatusCode::OK {
                    return None;
                }
                all.push(body["warnings"].clone());
            }
            Some(all)
        }
    };
    // Each node answers once it applied the grant.
    let mut read = Vec::new();
    for _ in 0..50 {
        read = vec![
            warnings_on(&first).await,
            warnings_on(&second).await,
            warnings_on(&third).await,
        ];
        if read.iter().all(Option::is_some) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first_warnings = read[0].clone().expect("node 1 serves every tender's warnings");
    assert_eq!(read, vec![Some(first_warnings.clone()); 3]);
    let raised: usize = first_warnings
        .iter()
        .map(|warnings| warnings.as_array().map_or(0, Vec::len))
        .sum();
    assert!(raised > 0, "the tenders raise warnings: {first_warnings:?}");

    // A supervisor's report of a fork and its decision on it, sent to the follower, are the
    // same on every node: the red warning about the log and the dismissal with it.
    let rewritten = fetched_head.checkpoint.replacen(
        &format!("\n{}\n", fetched_head.head.size),
        &format!("\n{}\n", fetched_head.head.size + 1),
        1,
    );
    let report = sealbid_ledger::command::Action::ReportLogFork {
        witnessed: fetched_head.checkpoint.clone(),
        presented: rewritten,
    };
    crate::tender::run(&follower, &supervisor, report).await;
    let (_, all) = crate::signed_reads::read(&follower, "/v1/supervision/warnings", &supervisor).await;
    let fork = all["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|warning| warning["indicator"] == "integrity" && warning.get("tender").is_none())
        .unwrap_or_else(|| panic!("{all}"))
        .clone();
    let dismissal = sealbid_ledger::command::Action::DisposeWarning {
        tender: None,
        warning: serde_json::from_value(fork["id"].clone()).unwrap(),
        disposition: sealbid_ledger::warnings::disposition::Disposition::Dismiss,
        reason: "A drill: the presented checkpoint was made up".into(),
    };
    crate::tender::run(&follower, &supervisor, dismissal).await;
    let decided_on = |node: &Node| {
        let read = read_on(&node.api, "/v1/supervision/warnings".to_owned());
        async move { read.await.1["warnings"].clone() }
    };
    let mut decided = Vec::new();
    for _ in 0..50 {
        decided = vec![
            decided_on(&first).await,
            decided_on(&second).await,
            decided_on(&third).await,
        ];
        if decided.iter().all(|warnings| warnings.to_string().contains("A drill")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        decided[0].to_string().contains("\"disposition\":\"dismiss\""),
        "{:?}",
        decided[0]
    );
    assert_eq!(decided, vec![decided[0].clone(); 3]);

    for node in [third, second, first] {
        node.stop();
    }
}

/// The script, and the environment that gives it this test's binary and ports of its own.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ops/local-cluster");
const SCRIPT_ENVIRONMENT: [(&str, &str); 2] = [
    ("SEALBID_BIN", env!("CARGO_BIN_EXE_sealbid")),
    ("SEALBID_LOCAL_PORT", "19440"),
];

/// Runs `ops/local-cluster action folder`.
fn local_cluster(action: &str, folder: &std::path::Path) -> String {
    run(SCRIPT, &[action, &folder.display().to_string()], &SCRIPT_ENVIRONMENT)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_local_cluster_starts_three_voters_and_stops_them() {
    let folder = tempfile::tempdir().unwrap();
    // Stops the nodes even if an assertion below fails.
    struct StopOnDrop<'a>(&'a std::path::Path);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            let _ = Command::new(SCRIPT)
                .args(["stop", &self.0.display().to_string()])
                .envs(SCRIPT_ENVIRONMENT)
                .output();
        }
    }
    let _stop = StopOnDrop(folder.path());
    let started = local_cluster("start", folder.path());
    assert!(started.contains("node 3: API https://127.0.0.1:19443"), "{started}");
    let status: serde_json::Value = serde_json::from_str(&local_cluster("status", folder.path())).unwrap();
    assert_eq!(status["voters"], serde_json::json!([1, 2, 3]), "{status}");
    let authority = std::fs::read(folder.path().join("node-1/tls/authority.pem")).unwrap();
    let http = sealbid_api::client::https_client(&authority).unwrap();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(response) = http.get("https://127.0.0.1:19443/readyz").send().await
            && response.status() == StatusCode::OK
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stopped = local_cluster("stop", folder.path());
    assert!(ready, "node 3 never became ready");
    assert_eq!(stopped.lines().count(), 3, "{stopped}");
    assert!(
        http.get("https://127.0.0.1:19441/livez").send().await.is_err(),
        "node 1 still answers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_joining_without_the_cluster_log_key_is_refused() {
    let folder = tempfile::tempdir().unwrap();
    let settings = sealbid_node::Layer {
        data_dir: Some(folder.path().join("data").display().to_string()),
        listen: Some("127.0.0.1:0".into()),
        cluster_listen: Some("127.0.0.1:0".into()),
        node_id: Some(2),
        bootstrap: Some(false),
        ..sealbid_node::Layer::default()
    }
    .settle()
    .unwrap();
    match sealbid_node::Application::build(&settings).await {
        Err(error) => assert!(error.to_string().contains("log.pk8"), "{error}"),
        Ok(_) => panic!("a node joining with a log key of its own must be refused"),
    }
    assert!(!folder.path().join("data").exists(), "nothing is created");
}
