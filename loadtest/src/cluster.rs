//! A three-node sealbid cluster on loopback that the load test starts itself, as processes of
//! the `sealbid` binary: certificates from `sealbid cluster certificates`, node 1 bootstraps,
//! nodes 2 and 3 join as learners and are promoted. It can kill -9 a node, restart it, find
//! the leader, and read each node's resident memory. Every process is killed when it is
//! dropped; each node's output goes to `node-N.log` in the cluster's folder.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sealbid_api::client::Client;

/// How long a node may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Why the cluster could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A process or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A `sealbid` command failed.
    #[error("sealbid {command} failed: {output}")]
    Command {
        /// The subcommand.
        command: String,
        /// What it printed.
        output: String,
    },
    /// A node did not become ready.
    #[error("node {node} was not ready within {READY_TIMEOUT:?}; see {log}")]
    NotReady {
        /// The node.
        node: u64,
        /// Its log file.
        log: String,
    },
    /// The API client could not be made.
    #[error(transparent)]
    Client(#[from] sealbid_api::client::ClientError),
}

/// One node process.
#[derive(Debug)]
struct Node {
    /// Its id (1, 2, 3).
    id: u64,
    /// Its API address.
    api: String,
    /// Its node-to-node address.
    cluster: String,
    /// The running process, if any.
    child: Option<Child>,
}

/// The cluster.
#[derive(Debug)]
pub struct LocalCluster {
    /// The `sealbid` binary.
    binary: PathBuf,
    /// Holds the nodes' data folders and logs; removed on drop.
    folder: tempfile::TempDir,
    /// The nodes, in id order.
    nodes: Vec<Node>,
    /// The authority every node's certificate chains to.
    pub authority: Vec<u8>,
}

/// A free loopback port (bound and released; the node binds it right after).
fn free_port() -> Result<u16, ClusterError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|source| ClusterError::Io {
        what: "find a free port".into(),
        source,
    })?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|source| ClusterError::Io {
            what: "find a free port".into(),
            source,
        })
}

impl LocalCluster {
    /// Starts three nodes of `binary` and forms the cluster.
    pub async fn start(binary: &Path) -> Result<Self, ClusterError> {
        let folder = tempfile::Builder::new()
            .prefix("sealbid-loadtest-")
            .tempdir()
            .map_err(|source| ClusterError::Io {
                what: "make the cluster's folder".into(),
                source,
            })?;
        let out = folder.path().display().to_string();
        run_sealbid(binary, &["cluster", "certificates", "--nodes", "3", "--out", &out])?;
        let mut nodes = Vec::new();
        for id in 1..=3 {
            nodes.push(Node {
                id,
                api: format!("127.0.0.1:{}", free_port()?),
                cluster: format!("127.0.0.1:{}", free_port()?),
                child: None,
            });
        }
        let authority =
            std::fs::read(folder.path().join("node-1/tls/authority.pem")).map_err(|source| ClusterError::Io {
                what: "read the authority".into(),
                source,
            })?;
        let mut cluster = Self {
            binary: binary.to_path_buf(),
            folder,
            nodes,
            authority,
        };
        for id in 1..=3 {
            cluster.spawn(id, id != 1)?;
        }
        cluster.wait_ready(1).await?;
        let data_dir = cluster.data_dir(1).display().to_string();
        let via = cluster.node(1).map(|node| node.cluster.clone()).unwrap_or_default();
        for id in 2..=3 {
            let address = cluster.node(id).map(|node| node.cluster.clone()).unwrap_or_default();
            let id_text = id.to_string();
            let target = [
                "--data-dir",
                data_dir.as_str(),
                "--via",
                via.as_str(),
                "--node-id",
                id_text.as_str(),
            ];
            // The joining node may still be opening its listener: retry a few times.
            retry(|| {
                run_sealbid(
                    binary,
                    &[&["cluster", "add-learner"][..], &target, &["--address", &address]].concat(),
                )
            })
            .await?;
            retry(|| run_sealbid(binary, &[&["cluster", "promote"][..], &target[..]].concat())).await?;
        }
        for id in 2..=3 {
            cluster.wait_ready(id).await?;
        }
        Ok(cluster)
    }

    /// Node `id`.
    fn node(&self, id: u64) -> Option<&Node> {
        self.nodes.iter().find(|node| node.id == id)
    }

    /// Node `id`'s data folder.
    pub fn data_dir(&self, id: u64) -> PathBuf {
        self.folder.path().join(format!("node-{id}"))
    }

    /// Starts node `id`'s process (`join` on its first start for nodes 2 and 3), killing the
    /// one running, if any.
    fn spawn(&mut self, id: u64, join: bool) -> Result<(), ClusterError> {
        self.kill(id);
        let data_dir = self.data_dir(id);
        let log_path = self.folder.path().join(format!("node-{id}.log"));
        let io = |what: &str| {
            let what = what.to_string();
            move |source| ClusterError::Io { what, source }
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io("open the node's log"))?;
        let log_too = log.try_clone().map_err(io("open the node's log"))?;
        let binary = self.binary.clone();
        let Some(node) = self.nodes.iter_mut().find(|node| node.id == id) else {
            return Ok(());
        };
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .arg("--data-dir")
            .arg(&data_dir)
            .args([
                "--listen",
                &node.api,
                "--cluster-listen",
                &node.cluster,
                "--node-id",
                &id.to_string(),
            ])
            .env_remove("SEALBID_CONFIG")
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_too));
        if join {
            command.arg("--join");
        }
        node.child = Some(command.spawn().map_err(io("start a node"))?);
        Ok(())
    }

    /// Waits until node `id` answers `/readyz` with 200.
    async fn wait_ready(&self, id: u64) -> Result<(), ClusterError> {
        let http = sealbid_api::client::https_client(&self.authority)?;
        let api = self.node(id).map(|node| node.api.clone()).unwrap_or_default();
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        while tokio::time::Instant::now() < deadline {
            let ready = http.get(format!("https://{api}/readyz")).send().await;
            if ready.is_ok_and(|answer| answer.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(ClusterError::NotReady {
            node: id,
            log: self.folder.path().join(format!("node-{id}.log")).display().to_string(),
        })
    }

    /// One API client per node, in id order.
    pub fn clients(&self) -> Result<Vec<Client>, ClusterError> {
        self.nodes
            .iter()
            .map(|node| Ok(Client::new(&format!("https://{}", node.api), &self.authority)?))
            .collect()
    }

    /// Node `id`'s API address.
    pub fn api_address(&self, id: u64) -> Option<std::net::SocketAddr> {
        self.node(id).and_then(|node| node.api.parse().ok())
    }

    /// The process ids of the running nodes, by node id.
    pub fn process_ids(&self) -> Vec<(u64, u32)> {
        self.nodes
            .iter()
            .filter_map(|node| node.child.as_ref().map(|child| (node.id, child.id())))
            .collect()
    }

    /// The leader, as a live node's metrics name it.
    pub async fn leader(&self) -> Option<u64> {
        let http = sealbid_api::client::https_client(&self.authority).ok()?;
        for node in self.nodes.iter().filter(|node| node.child.is_some()) {
            let Ok(answer) = http.get(format!("https://{}/metrics", node.api)).send().await else {
                continue;
            };
            let Ok(text) = answer.text().await else { continue };
            let leader = text
                .lines()
                .find_map(|line| line.strip_prefix("sealbid_raft_leader "))
                .and_then(|value| value.trim().parse::<f64>().ok());
            if let Some(leader) = leader.filter(|leader| *leader >= 1.0) {
                // Node ids are small integers, exact in a double.
                #[allow(clippy::cast_possible_truncation)]
                return Some(leader as u64);
            }
        }
        None
    }

    /// Kills node `id` with SIGKILL.
    pub fn kill(&mut self, id: u64) {
        if let Some(mut child) = self
            .nodes
            .iter_mut()
            .find(|node| node.id == id)
            .and_then(|node| node.child.take())
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts node `id` again on its folder (it keeps its membership).
    pub fn restart(&mut self, id: u64) -> Result<(), ClusterError> {
        self.spawn(id, false)
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for id in 1..=3 {
            self.kill(id);
        }
    }
}

/// `step` until it succeeds, at most 20 times, half a second apart; its last error otherwise.
async fn retry(step: impl Fn() -> Result<String, ClusterError>) -> Result<String, ClusterError> {
    let mut result = step();
    for _ in 1..20 {
        if result.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        result = step();
    }
    result
}

/// Runs `sealbid` with `arguments`, failing with its output if it fails.
fn run_sealbid(binary: &Path, arguments: &[&str]) -> Result<String, ClusterError> {
    let output = Command::new(binary)
        .args(arguments)
        .output()
        .map_err(|source| ClusterError::Io {
            what: format!("run {}", binary.display()),
            source,
        })?;
    if !output.status.success() {
        return Err(ClusterError::Command {
            command: arguments.join(" "),
            output: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The resident memory of process `pid`, KiB (`VmRSS` in /proc), if readable.
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}
