//! Operating a multi-node cluster: certificates for every node from one authority, and the
//! membership commands (status, add a learner, promote it to voter, remove a node) sent to the
//! nodes' RPC over mutual TLS with an identity from a data folder.
//!
//! A cluster forms like this: node 1 starts normally (it bootstraps a one-node cluster and
//! writes the genesis), the others start with `--join`; the operator adds each as a learner,
//! which catches up, then promotes it to voter.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use sealbid_consensus::network::paths;
use sealbid_consensus::server::{Learner, Removal};
use sealbid_consensus::tls::{ClusterCertificates, ClusterTls, TlsError};
use sealbid_consensus::{ReplicaStatus, SubmitError};

/// Why an operation on the cluster failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// TLS material is unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The node did not answer.
    #[error("node {address} did not answer: {source}")]
    Unreachable {
        /// The node.
        address: String,
        /// Why.
        source: reqwest::Error,
    },
    /// The node answered with a refusal.
    #[error("node {address} refused: {error}")]
    Refused {
        /// The node.
        address: String,
        /// Its answer.
        error: SubmitError,
    },
    /// The request makes no sense for this cluster.
    #[error("{0}")]
    Invalid(String),
}

/// Writes one data folder per node under `out` (`node-1`, `node-2`, …), each holding the
/// shared authority and its own certificate (valid for `hosts`) in `tls/`, and the cluster's
/// checkpoint key (`log.pk8`, the same in every folder); returns the folders.
/// The authority's private key is not kept: certify every node the cluster will have at once.
pub fn write_certificates(out: &Path, nodes: usize, hosts: &[String]) -> Result<Vec<PathBuf>, ClusterError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ClusterError::Io { path, source }
    };
    let certificates = ClusterCertificates::generate(nodes, hosts)?;
    // One checkpoint key for the whole cluster: a receipt from any node verifies with it.
    let (_, log_key) = sealbid_crypto::identity::IdentityKeyPair::generate(&ring::rand::SystemRandom::new())
        .map_err(|error| ClusterError::Invalid(format!("cannot make the log key: {error}")))?;
    let mut folders = Vec::new();
    for (index, (certificate, key)) in certificates.identities.iter().enumerate() {
        let folder = out.join(format!("node-{}", index + 1));
        let tls = folder.join("tls");
        if tls.exists() {
            return Err(ClusterError::Invalid(format!(
                "{} already holds certificates: choose an empty folder",
                tls.display()
            )));
        }
        std::fs::create_dir_all(&tls).map_err(io(&tls))?;
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).map_err(io(&folder))?;
        std::fs::write(tls.join("authority.pem"), &certificates.authority).map_err(io(&tls))?;
        std::fs::write(tls.join("node.pem"), certificate).map_err(io(&tls))?;
        let key_path = tls.join("node.key");
        std::fs::write(&key_path, key).map_err(io(&key_path))?;
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).map_err(io(&key_path))?;
        let log_key_path = folder.join(crate::data_dir::LOG_KEY_FILE);
        crate::data_dir::write_private(&log_key_path, &log_key).map_err(io(&log_key_path))?;
        folders.push(folder);
    }
    Ok(folders)
}

/// How long a membership request may take: adding a learner waits until it has caught up.
pub const ADMIN_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// An operator's client of the cluster's RPC.
#[derive(Debug, Clone)]
pub struct ClusterAdmin {
    /// Mutual-TLS HTTPS with a node identity.
    http: reqwest::Client,
}

impl ClusterAdmin {
    /// A client presenting the identity in `data_dir/tls`.
    pub fn from_data_dir(data_dir: &Path) -> Result<Self, ClusterError> {
        let read = |name: &str| {
            let path = data_dir.join("tls").join(name);
            std::fs::read(&path).map_err(|source| ClusterError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        let tls = ClusterTls::from_pem(&read("node.pem")?, &read("node.key")?, &read("authority.pem")?)?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls.client_config()?)
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(ADMIN_REQUEST_TIMEOUT)
            .build()
            .map_err(|error| ClusterError::Invalid(format!("cannot build the HTTPS client: {error}")))?;
        Ok(Self { http })
    }

    /// The view of the node at `address` (its RPC address).
    pub async fn status(&self, address: &str) -> Result<ReplicaStatus, ClusterError> {
        let unreachable = |source| ClusterError::Unreachable {
            address: address.to_owned(),
            source,
        };
        self.http
            .get(format!("https://{address}/cluster/status"))
            .send()
            .await
            .map_err(unreachable)?
            .json()
            .await
            .map_err(unreachable)
    }

    /// The leader's RPC address and its view, asking the node at `via`.
    async fn leader(&self, via: &str) -> Result<(String, ReplicaStatus), ClusterError> {
        let status = self.status(via).await?;
        let leader = status
            .leader
            .and_then(|leader| status.members.get(&leader).cloned())
            .ok_or_else(|| ClusterError::Invalid(format!("node {via} knows no leader yet; try again shortly")))?;
        let leader_status = self.status(&leader).await?;
        Ok((leader, leader_status))
    }

    /// Adds node `node_id` at RPC `address` as a learner; returns once it has caught up (or
    /// fails after [`ADMIN_REQUEST_TIMEOUT`]).
    pub async fn add_learner(&self, via: &str, node_id: u64, address: &str) -> Result<(), ClusterError> {
        let (leader, status) = self.leader(via).await?;
        if let Some(known) = status.members.get(&node_id).filter(|known| *known != address) {
            return Err(ClusterError::Invalid(format!(
                "node {node_id} is already a member at {known}: remove it first to give it another address"
            )));
        }
        let learner = Learner {
            node_id,
            address: address.to_owned(),
        };
        self.post(&leader, paths::LEARNERS, &learner).await
    }

    /// Makes learner `node_id` a voter.
    pub async fn promote(&self, via: &str, node_id: u64) -> Result<(), ClusterError> {
        let (leader, status) = self.leader(via).await?;
        if !status.members.contains_key(&node_id) {
            return Err(ClusterError::Invalid(format!(
                "node {node_id} is not a member: add it as a learner first"
            )));
        }
        let mut voters = status.voters;
        voters.insert(node_id);
        self.post(&leader, paths::VOTERS, &voters).await
    }

    /// Removes node `node_id` (voter or learner) from the cluster.
    pub async fn remove(&self, via: &str, node_id: u64) -> Result<(), ClusterError> {
        let (leader, status) = self.leader(via).await?;
        if !status.members.contains_key(&node_id) {
            return Err(ClusterError::Invalid(format!("node {node_id} is not a member")));
        }
        if status.voters.len() == 1 && status.voters.contains(&node_id) {
            return Err(ClusterError::Invalid("a cluster needs at least one voter".into()));
        }
        self.post(&leader, paths::REMOVE, &Removal { node_id }).await
    }

    /// Posts an operator request and reads its `Result<(), SubmitError>` answer.
    async fn post<T: serde::Serialize>(&self, address: &str, path: &str, body: &T) -> Result<(), ClusterError> {
        let unreachable = |source| ClusterError::Unreachable {
            address: address.to_owned(),
            source,
        };
        let answer: Result<(), SubmitError> = self
            .http
            .post(format!("https://{address}{path}"))
            .json(body)
            .send()
            .await
            .map_err(unreachable)?
            .json()
            .await
            .map_err(unreachable)?;
        answer.map_err(|error| ClusterError::Refused {
            address: address.to_owned(),
            error,
        })
    }
}
