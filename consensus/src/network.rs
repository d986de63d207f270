//! The client side of node-to-node RPC: openraft's append, vote and snapshot calls in postcard
//! ([`crate::wire`]) over mutual-TLS HTTPS, each with the timeout openraft gives it.

use std::time::Duration;

use openraft::BasicNode;
use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::tls::{ClusterTls, TlsError};
use crate::types::TypeConfig;
use crate::wire;

/// The paths of the RPC endpoints, shared with the server.
pub mod paths {
    /// AppendEntries.
    pub const APPEND: &str = "/raft/append";
    /// RequestVote.
    pub const VOTE: &str = "/raft/vote";
    /// InstallSnapshot (one chunk).
    pub const SNAPSHOT: &str = "/raft/snapshot";
    /// A client's entry body (JSON), taken as from this node's own client: forwarded to the
    /// leader if this node is a follower.
    pub const SUBMIT: &str = "/cluster/submit";
    /// Commands a follower forwards to the leader, many per request (postcard: a sequence of
    /// entry bodies; the answer, one result per body in order).
    pub const FORWARD: &str = "/cluster/forward";
    /// Operator: add a learner.
    pub const LEARNERS: &str = "/cluster/learners";
    /// Operator: set the voters.
    pub const VOTERS: &str = "/cluster/voters";
    /// Operator: remove a node (`{"node_id": N}`).
    pub const REMOVE: &str = "/cluster/remove";
    /// Audit history entries, for a peer filling its hole (`?from=&count=`).
    pub const HISTORY: &str = "/cluster/history";
    /// The node's clock (`{"clock_ms": n}`), for a follower comparing its own with the leader's.
    pub const CLOCK: &str = "/cluster/clock";
}

/// How long an HTTPS connection to a peer may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Builds connections to peers; one HTTPS client (and connection pool) for all of them.
#[derive(Debug, Clone)]
pub struct Network {
    /// Mutual-TLS client, ring provider.
    client: reqwest::Client,
}

impl Network {
    /// A network client presenting this node's identity.
    pub fn new(tls: &ClusterTls) -> Result<Self, TlsError> {
        Ok(Self {
            client: https_client(tls)?,
        })
    }
}

/// The mutual-TLS HTTPS client a node (or an operator's tool) uses to reach nodes.
pub fn https_client(tls: &ClusterTls) -> Result<reqwest::Client, TlsError> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls.client_config()?)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|error| TlsError::Verifier(error.to_string()))
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Connection;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> Connection {
        Connection {
            client: self.client.clone(),
            target,
            address: node.addr.clone(),
        }
    }
}

/// Calls to one peer.
#[derive(Debug)]
pub struct Connection {
    /// The shared HTTPS client.
    client: reqwest::Client,
    /// The peer's node id.
    target: u64,
    /// The peer's `host:port`.
    address: String,
}

impl Connection {
    /// Posts `request` to `path` and decodes the peer's `Result`.
    async fn call<Request, Response, E>(
        &self,
        path: &str,
        request: &Request,
        timeout: Duration,
    ) -> Result<Response, RPCError<u64, BasicNode, E>>
    where
        Request: Serialize,
        Response: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let url = format!("https://{}{path}", self.address);
        let body = wire::encode(request).map_err(|error| RPCError::Network(NetworkError::new(&error)))?;
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, wire::CONTENT_TYPE)
            .body(body)
            .timeout(timeout)
            .send()
            .await
            .map_err(|error| {
                if error.is_connect() || error.is_timeout() {
                    RPCError::Unreachable(Unreachable::new(&error))
                } else {
                    RPCError::Network(NetworkError::new(&error))
                }
            })?;
        let bytes = response
            .bytes()
            .await
            .map_err(|error| RPCError::Network(NetworkError::new(&error)))?;
        let result: Result<Response, E> =
            wire::decode(&bytes).map_err(|error| RPCError::Network(NetworkError::new(&error)))?;
        result.map_err(|error| RPCError::RemoteError(RemoteError::new(self.target, error)))
    }
}

impl RaftNetwork<TypeConfig> for Connection {
    async fn append_entries(
        &mut self,
        request: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        self.call(paths::APPEND, &request, option.hard_ttl()).await
    }

    async fn install_snapshot(
        &mut self,
        request: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<u64>, RPCError<u64, BasicNode, RaftError<u64, InstallSnapshotError>>> {
        self.call(paths::SNAPSHOT, &request, option.hard_ttl()).await
    }

    async fn vote(
        &mut self,
        request: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        self.call(paths::VOTE, &request, option.hard_ttl()).await
    }
}
