//! One node of the cluster: its Raft, its stores, and the client path. Any node takes a
//! command; the leader stamps it with its clock (never below any timestamp already in the log)
//! and proposes it; a follower forwards it to the leader. The caller gets the reply only once
//! the entry is committed and applied.

use std::collections::{BTreeMap, BTreeSet};

use openraft::ChangeMembers;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openraft::error::ClientWriteError;
use openraft::{BasicNode, Raft};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use sealbid_crypto::merkle::Hash;
use sealbid_ledger::Ledger;
use sealbid_ledger::command::{Entry, EntryBody};

use crate::database::{DatabaseError, open};
use crate::history::{self, HistoryError};
use crate::log_store::LogStore;
use crate::network::{Network, https_client, paths};
use crate::proofs::{self, AuditProofError, ProofRequest};
use crate::snapshot_file::SnapshotFile;
use crate::state_machine::{BufferedNodeStore, StateMachineStore};
use crate::tls::{ClusterTls, TlsError};
use crate::types::{LedgerReply, TypeConfig};
use crate::writer::Writer;

/// How often a command is retried when leadership moves under it.
const SUBMIT_ATTEMPTS_MAX: usize = 10;
/// How long to wait for a leader before retrying.
const LEADER_WAIT: Duration = Duration::from_millis(200);
/// How long a command may take from proposal to applied reply before its outcome is reported
/// unknown.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a peer may take to send a batch of audit history.
const HISTORY_TIMEOUT: Duration = Duration::from_secs(30);
/// The history filler's pause when it has nothing to do or a fetch failed.
const HISTORY_PAUSE: Duration = Duration::from_millis(500);

/// What a node needs to start.
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    /// This node's id in the cluster.
    pub node_id: u64,
    /// Its SQLite database file.
    pub database: PathBuf,
    /// openraft's timing and snapshot settings.
    pub raft: openraft::Config,
}

impl ReplicaConfig {
    /// openraft's timing for nodes on one site (heartbeats every 100 ms, elections after 500 to
    /// 1,000 ms of silence), a snapshot every `snapshot_every` entries with the log before it
    /// purged, and up to 30 s to install a snapshot.
    pub fn raft(snapshot_every: u64) -> openraft::Config {
        openraft::Config {
            heartbeat_interval: 100,
            election_timeout_min: 500,
            election_timeout_max: 1000,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(snapshot_every),
            max_in_snapshot_log_to_keep: 0,
            install_snapshot_timeout: 30_000,
            ..openraft::Config::default()
        }
    }
}

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// TLS.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// openraft's configuration or storage.
    #[error("raft: {0}")]
    Raft(String),
}

/// Why a command was not answered.
#[derive(Debug, Clone, thiserror::Error, Serialize, Deserialize, PartialEq, Eq)]
pub enum SubmitError {
    /// No leader could take it in time (an election is going on); retry.
    #[error("no leader is available; retry shortly")]
    NoLeader,
    /// This node is not the leader and was asked not to forward.
    #[error("this node is not the leader")]
    NotLeader,
    /// The command was sent but no answer came in time: it may or may not be in the log.
    /// Resubmitting the same signed command is safe: a second copy is refused as a replay.
    #[error("no answer in time: the command may have been applied; resubmitting it is safe")]
    Unknown,
    /// Raft failed (this node is shutting down, say).
    #[error("replication failed: {0}")]
    Raft(String),
    /// A membership change named a node that is not a member.
    #[error("node {0} is not a member of the cluster")]
    NotMember(u64),
}

/// A node's view, for operators and tests.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// This node.
    pub node_id: u64,
    /// The leader it knows of.
    pub leader: Option<u64>,
    /// The last log index applied.
    pub last_applied: Option<u64>,
    /// The ledger's state hash, hex.
    pub state_hash: String,
    /// Entries in the audit log.
    pub audit_size: u64,
    /// Sealed bids held in open tenders.
    pub bids: usize,
    /// The voting members in the membership this node knows.
    pub voters: BTreeSet<u64>,
    /// Every member (voters and learners) with its node-to-node address.
    pub members: BTreeMap<u64, String>,
}

/// A running node.
pub struct Replica {
    /// This node's id.
    pub node_id: u64,
    /// openraft.
    pub raft: Raft<TypeConfig>,
    /// The ledger, for reads.
    state_machine: StateMachineStore,
    /// The highest timestamp in the log (see [`LogStore::highest_timestamp_ms`]).
    highest_timestamp_ms: Arc<AtomicU64>,
    /// The committed log index openraft last reported ([`u64::MAX`]: none yet).
    committed_index: Arc<AtomicU64>,
    /// Every history entry below this index is held: the filler's scans start here.
    history_complete_below: AtomicU64,
    /// Stamping and proposing happen under this lock, so entries enter the log in stamp order.
    proposing: Mutex<()>,
    /// HTTPS client for forwarding to the leader.
    client: reqwest::Client,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Replica")
            .field("node_id", &self.node_id)
            .finish_non_exhaustive()
    }
}

impl Replica {
    /// Opens the database and starts Raft.
    pub async fn start(config: ReplicaConfig, tls: &ClusterTls) -> Result<Self, StartError> {
        let pool = open(&config.database).await?;
        let writer = Writer::start(pool.clone());
        let log_store = LogStore::open(pool.clone(), writer.clone())
            .await
            .map_err(|error| StartError::Raft(error.to_string()))?;
        let highest_timestamp_ms = log_store.highest_timestamp_ms();
        let committed_index = log_store.committed_index();
        let state_machine = StateMachineStore::open(pool, writer, SnapshotFile::beside(&config.database))
            .await
            .map_err(|error| StartError::Raft(error.to_string()))?;
        let raft_config = Arc::new(
            config
                .raft
                .validate()
                .map_err(|error| StartError::Raft(error.to_string()))?,
        );
        let raft = Raft::new(
            config.node_id,
            raft_config,
            Network::new(tls)?,
            log_store,
            state_machine.clone(),
        )
        .await
        .map_err(|error| StartError::Raft(error.to_string()))?;
        Ok(Self {
            node_id: config.node_id,
            raft,
            state_machine,
            highest_timestamp_ms,
            committed_index,
            history_complete_below: AtomicU64::new(0),
            proposing: Mutex::new(()),
            client: https_client(tls)?,
        })
    }

    /// Makes a new cluster of `members` (id → `host:port`); call on one node only. A node that
    /// already belongs to a cluster (restarted from its database) ignores it.
    pub async fn initialize(&self, members: BTreeMap<u64, String>) -> Result<(), SubmitError> {
        if self
            .raft
            .is_initialized()
            .await
            .map_err(|error| SubmitError::Raft(error.to_string()))?
        {
            return Ok(());
        }
        let nodes: BTreeMap<u64, BasicNode> = members
            .into_iter()
            .map(|(id, address)| (id, BasicNode { addr: address }))
            .collect();
        self.raft
            .initialize(nodes)
            .await
            .map_err(|error| SubmitError::Raft(error.to_string()))
    }

    /// Leader: adds `node_id` at `address` as a learner and waits until it has caught up.
    pub async fn add_learner(&self, node_id: u64, address: String) -> Result<(), SubmitError> {
        self.raft
            .add_learner(node_id, BasicNode { addr: address }, true)
            .await
            .map(|_| ())
            .map_err(|error| SubmitError::Raft(error.to_string()))
    }

    /// Leader: removes node `node_id` from the cluster, voter or learner.
    pub async fn remove_node(&self, node_id: u64) -> Result<(), SubmitError> {
        let membership = self.raft.metrics().borrow().membership_config.membership().clone();
        let change = if membership.voter_ids().any(|voter| voter == node_id) {
            ChangeMembers::RemoveVoters(BTreeSet::from([node_id]))
        } else if membership.get_node(&node_id).is_some() {
            ChangeMembers::RemoveNodes(BTreeSet::from([node_id]))
        } else {
            return Err(SubmitError::NotMember(node_id));
        };
        self.raft
            .change_membership(change, false)
            .await
            .map(|_| ())
            .map_err(|error| SubmitError::Raft(error.to_string()))
    }

    /// Leader: makes `voters` the voting members; voters not among them leave the cluster,
    /// learners stay learners.
    pub async fn change_voters(&self, voters: BTreeSet<u64>) -> Result<(), SubmitError> {
        self.raft
            .change_membership(voters, false)
            .await
            .map(|_| ())
            .map_err(|error| SubmitError::Raft(error.to_string()))
    }

    /// The leader's clock for the next entry: now, but never below a timestamp in the log or
    /// one the ledger has seen (a log purged behind a snapshot keeps it only there).
    fn stamp(&self) -> u64 {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis());
        let now_ms = u64::try_from(now_ms).unwrap_or(u64::MAX);
        let floor_ms = now_ms.max(self.state_machine.clock_floor_ms());
        let previous = self.highest_timestamp_ms.fetch_max(floor_ms, Ordering::SeqCst);
        previous.max(floor_ms)
    }

    /// Applies `body` through the cluster and returns the ledger's reply. With `forward`, a
    /// follower sends it to the leader.
    pub async fn submit(&self, body: EntryBody, forward: bool) -> Result<LedgerReply, SubmitError> {
        for _ in 0..SUBMIT_ATTEMPTS_MAX {
            match self.raft.current_leader().await {
                Some(leader) if leader == self.node_id => match self.propose(body.clone()).await? {
                    Some(reply) => return Ok(reply),
                    None => continue,
                },
                Some(_) if !forward => return Err(SubmitError::NotLeader),
                Some(leader) => match self.forward(leader, &body).await {
                    Ok(reply) => return Ok(reply),
                    // Not sent: safe to try again.
                    Err(SubmitError::NoLeader | SubmitError::NotLeader) => tokio::time::sleep(LEADER_WAIT).await,
                    // Sent but unanswered: the command may be in the log; the caller decides.
                    Err(error) => return Err(error),
                },
                None => tokio::time::sleep(LEADER_WAIT).await,
            }
        }
        Err(SubmitError::NoLeader)
    }

    /// Stamps and proposes as leader; `None` if leadership moved meanwhile.
    async fn propose(&self, body: EntryBody) -> Result<Option<LedgerReply>, SubmitError> {
        let receiver = {
            let _order = self.proposing.lock().await;
            let entry = Entry {
                timestamp_ms: self.stamp(),
                body,
            };
            self.raft
                .client_write_ff(entry)
                .await
                .map_err(|error| SubmitError::Raft(error.to_string()))?
        };
        let outcome = tokio::time::timeout(REPLY_TIMEOUT, receiver)
            .await
            .map_err(|_| SubmitError::Unknown)?;
        match outcome {
            Ok(Ok(response)) => Ok(Some(response.data)),
            Ok(Err(ClientWriteError::ForwardToLeader(_))) => Ok(None),
            Ok(Err(error)) => Err(SubmitError::Raft(error.to_string())),
            Err(error) => Err(SubmitError::Raft(error.to_string())),
        }
    }

    /// Sends `body` to the leader, which proposes it without forwarding further.
    async fn forward(&self, leader: u64, body: &EntryBody) -> Result<LedgerReply, SubmitError> {
        let address = {
            let metrics = self.raft.metrics();
            let metrics = metrics.borrow();
            metrics
                .membership_config
                .membership()
                .get_node(&leader)
                .map(|node| node.addr.clone())
        }
        .ok_or(SubmitError::NoLeader)?;
        let response = self
            .client
            .post(format!("https://{address}{}", paths::SUBMIT))
            .header(paths::FORWARDED_HEADER, "1")
            .json(body)
            .timeout(REPLY_TIMEOUT)
            .send()
            .await
            .map_err(|error| {
                if error.is_connect() {
                    SubmitError::NoLeader
                } else {
                    SubmitError::Unknown
                }
            })?;
        let result: Result<LedgerReply, SubmitError> = response.json().await.map_err(|_| SubmitError::Unknown)?;
        result
    }

    /// Reads the ledger as of every entry committed before the call (openraft's linearizable
    /// read: the leader confirms it still leads and waits until it has applied that far). On a
    /// follower it answers [`SubmitError::NotLeader`].
    pub async fn read_current<T>(&self, read: impl FnOnce(&Ledger<BufferedNodeStore>) -> T) -> Result<T, SubmitError> {
        self.raft
            .ensure_linearizable()
            .await
            .map_err(|error| match error.forward_to_leader() {
                Some(_) => SubmitError::NotLeader,
                None => SubmitError::Raft(error.to_string()),
            })?;
        Ok(self.state_machine.read(read).await)
    }

    /// Reads the ledger as this node has applied it (no round trip; a follower may lag the
    /// leader by the entries in flight).
    pub async fn read_applied<T>(&self, read: impl FnOnce(&Ledger<BufferedNodeStore>) -> T) -> T {
        self.state_machine.read(read).await
    }

    /// The archive record of a finished tender, as stored (JSON), if this node holds it. Waits
    /// (at most [`HISTORY_TIMEOUT`]) until the rows of every entry this node applied are written,
    /// so a tender archived by an entry already answered is found.
    pub async fn archived(&self, tender: &str) -> Result<Option<String>, HistoryError> {
        self.rows_written(self.applied_audit_size()).await?;
        let row = sqlx::query("SELECT record FROM archive WHERE tender = ?")
            .bind(tender)
            .fetch_optional(self.state_machine.pool())
            .await?;
        Ok(row.map(|row| sqlx::Row::get(&row, "record")))
    }

    /// The highest log index this node knows to be committed.
    pub fn committed_index(&self) -> Option<u64> {
        match self.committed_index.load(Ordering::SeqCst) {
            u64::MAX => None,
            index => Some(index),
        }
    }

    /// As [`Replica::history`], once the rows of the entries this node has applied in that range
    /// are written (they are written just after apply; this waits at most [`HISTORY_TIMEOUT`]): a
    /// client that holds a receipt then finds its entry.
    pub async fn history_settled(&self, from: u64, count: u64) -> Result<Vec<(u64, String)>, HistoryError> {
        self.rows_written(from.saturating_add(count).min(self.applied_audit_size()))
            .await?;
        self.history(from, count).await
    }

    /// Waits (at most [`HISTORY_TIMEOUT`]) until the rows of the first `size` applied audit
    /// entries are written.
    async fn rows_written(&self, size: u64) -> Result<(), HistoryError> {
        if self.state_machine.wait_history_written(size, HISTORY_TIMEOUT).await {
            Ok(())
        } else {
            Err(HistoryError::NotWrittenYet { size })
        }
    }

    /// The inclusion or consistency proof `request` over the audit log this node has applied
    /// (waiting, at most [`HISTORY_TIMEOUT`], until its nodes are written).
    pub async fn audit_proof(&self, request: ProofRequest) -> Result<Vec<Hash>, AuditProofError> {
        let applied = self.applied_audit_size();
        if request.tree_size() > applied {
            return Err(AuditProofError::NotApplied {
                applied,
                size: request.tree_size(),
            });
        }
        self.rows_written(request.tree_size())
            .await
            .map_err(|error| AuditProofError::Read(error.to_string()))?;
        proofs::build(self.state_machine.pool(), request).await
    }

    /// How many audit entries this node has applied (no lock: published after every batch).
    pub fn applied_audit_size(&self) -> u64 {
        self.state_machine.audit_size()
    }

    /// Audit history entries `[from, from + count)` held here, as canonical entry text.
    pub async fn history(&self, from: u64, count: u64) -> Result<Vec<(u64, String)>, HistoryError> {
        let entries = history::read_entries(self.state_machine.pool(), from, count).await?;
        entries
            .into_iter()
            .map(|(index, bytes)| {
                String::from_utf8(bytes)
                    .map(|text| (index, text))
                    .map_err(|_| HistoryError::NotAnEntry {
                        index,
                        reason: "this node's copy is not UTF-8: its storage is damaged".into(),
                    })
            })
            .collect()
    }

    /// Fills the first hole in this node's audit history (left by a snapshot from a peer) with
    /// up to [`history::ENTRIES_PER_FETCH_MAX`] entries from another member. Returns how many
    /// entries it kept; 0 when there is no hole.
    pub async fn fill_history(&self) -> Result<u64, HistoryError> {
        let pool = self.state_machine.pool();
        let size = self.state_machine.history_size();
        let complete_below = self.history_complete_below.load(Ordering::SeqCst);
        let Some((start, end)) = history::first_hole(pool, complete_below, size).await? else {
            self.history_complete_below.fetch_max(size, Ordering::SeqCst);
            return Ok(0);
        };
        // Everything below the hole is held: later scans start at it.
        self.history_complete_below.fetch_max(start, Ordering::SeqCst);
        let count = (end - start).min(history::ENTRIES_PER_FETCH_MAX);
        let peers: Vec<String> = {
            let metrics = self.raft.metrics();
            let metrics = metrics.borrow();
            metrics
                .membership_config
                .membership()
                .nodes()
                .filter(|(node_id, _)| **node_id != self.node_id)
                .map(|(_, node)| node.addr.clone())
                .collect()
        };
        let mut last_error = HistoryError::WrongRange {
            wanted: (start, start + count),
            got: Vec::new(),
        };
        for address in peers {
            match self.fetch_history(&address, start, count).await {
                Ok(entries) => {
                    let kept = entries.len() as u64;
                    match history::fill(pool, self.state_machine.writer(), (start, start + count), entries).await {
                        Ok(()) => return Ok(kept),
                        Err(error) => last_error = error,
                    }
                }
                Err(error) => tracing::warn!(%address, %error, "cannot fetch audit history"),
            }
        }
        Err(last_error)
    }

    /// Asks the peer at `address` for history entries.
    async fn fetch_history(&self, address: &str, from: u64, count: u64) -> Result<Vec<(u64, Vec<u8>)>, reqwest::Error> {
        let entries: Vec<(u64, String)> = self
            .client
            .get(format!("https://{address}{}?from={from}&count={count}", paths::HISTORY))
            .timeout(HISTORY_TIMEOUT)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(entries
            .into_iter()
            .map(|(index, text)| (index, text.into_bytes()))
            .collect())
    }

    /// Fills history holes in the background for as long as the node runs: at most one fetch
    /// per [`HISTORY_PAUSE`] when there is nothing to do or a fetch failed.
    pub fn spawn_history_filler(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let replica = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(replica) = replica.upgrade() else { return };
                let kept = match replica.fill_history().await {
                    Ok(kept) => kept,
                    Err(error) => {
                        tracing::warn!(%error, "cannot fill the audit history yet");
                        0
                    }
                };
                drop(replica);
                if kept == 0 {
                    tokio::time::sleep(HISTORY_PAUSE).await;
                }
            }
        })
    }

    /// This node's view.
    pub async fn status(&self) -> ReplicaStatus {
        let (state_hash, audit_size, bids) = self
            .state_machine
            .read(|ledger| {
                let bids = ledger.state().tenders.values().map(|tender| tender.bid_count).sum();
                (ledger.state_hash(), ledger.audit().size(), bids)
            })
            .await;
        let metrics = self.raft.metrics().borrow().clone();
        ReplicaStatus {
            node_id: self.node_id,
            leader: metrics.current_leader,
            last_applied: metrics.last_applied.map(|log_id| log_id.index),
            state_hash: state_hash.0.iter().map(|byte| format!("{byte:02x}")).collect(),
            audit_size,
            bids,
            voters: metrics.membership_config.membership().voter_ids().collect(),
            members: metrics
                .membership_config
                .membership()
                .nodes()
                .map(|(node_id, node)| (*node_id, node.addr.clone()))
                .collect(),
        }
    }
}
