//! One node of the cluster: its Raft, its stores, and the client path. Any node takes a
//! command: it reserves a place among the commands in flight (or answers busy at once), checks
//! the signature on the blocking pool and the ledger's admission rules against its applied
//! state, and stamps the command's arrival with its clock. The leader checks that stamp against
//! its own clock, stamps the entry (never below any timestamp already in the log) and proposes
//! it; a follower forwards it to the leader. The caller gets the reply only once the entry is
//! committed and applied. The leader closes each tender once its deadline plus the arrival
//! window has passed ([`Replica::spawn_closer`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use openraft::ChangeMembers;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use openraft::{BasicNode, Raft};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::merkle::Hash;
use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Arrival, Command, EntryBody, ReceivedCommand, Source, SourceTagKey};
use sealbid_ledger::state::verify_command;
use sealbid_ledger::types::TenderId;
use sealbid_ledger::{Ledger, Rejection};

use crate::clock::Clock;
use crate::database::{DatabaseError, open};
use crate::forwarder::{Forwarder, Route};
use crate::history::{self, HistoryError};
use crate::leadership;
use crate::log_store::LogStore;
use crate::metrics::ConsensusMetrics;
use crate::network::{Network, https_client, paths};
use crate::proofs::{self, AuditProofError, ProofRequest};
use crate::proposer::{Proposer, Stamping};
use crate::snapshot_file::SnapshotFile;
use crate::state_machine::{AppliedHead, AppliedView, BufferedNodeStore, StateMachineStore};
use crate::tls::{ClusterTls, TlsError};
use crate::types::{LedgerReply, TypeConfig};
use crate::writer::Writer;

/// How often a command is retried when leadership moves under it.
const SUBMIT_ATTEMPTS_MAX: usize = 10;
/// How long to wait for a (new) leader to become known before retrying anyway.
const LEADER_WAIT: Duration = Duration::from_millis(200);
/// How long a peer may take to send a batch of audit history.
const HISTORY_TIMEOUT: Duration = Duration::from_secs(30);
/// The history filler's pause when it has nothing to do or a fetch failed.
const HISTORY_PAUSE: Duration = Duration::from_millis(500);
/// How often the leader looks for tenders due to close and periods that lapsed.
const CLOSE_TICK: Duration = Duration::from_millis(100);
/// How long the leader waits for a close or a lapse it proposed before proposing it again.
const CLOSE_RETRY_MS: u64 = 2_000;
/// How often a follower compares its clock with the leader's.
const CLOCK_CHECK_EVERY: Duration = Duration::from_secs(1);
/// The longest round trip a clock comparison uses (the reading is taken as of its middle, so
/// its error is at most half of it).
const CLOCK_CHECK_TIMEOUT: Duration = Duration::from_millis(500);
/// The most log entries in one AppendEntries: a batch holds at most
/// [`crate::proposer::BATCH_BYTES_MAX`] plus one command of at most
/// [`crate::server::SUBMIT_BYTES_MAX`], 2 MiB, and [`crate::server::RPC_BYTES_MAX`] is 16 MiB.
const APPEND_BATCHES_MAX: usize = 6;
const _: () = assert!(
    APPEND_BATCHES_MAX * (crate::proposer::BATCH_BYTES_MAX + crate::server::SUBMIT_BYTES_MAX)
        < crate::server::RPC_BYTES_MAX
);
/// Room in the proposer's and the forwarder's queues beyond the commands in flight: for closes,
/// the genesis and operators' entries.
const QUEUE_SLACK: usize = 64;
/// [`Replica::clock_offset_ms`] before the first comparison.
const CLOCK_OFFSET_UNKNOWN: u64 = u64::MAX;

/// An unsigned entry the leader commits by itself once its time has come.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum DueEntry {
    /// A tender's close at its deadline plus the arrival window.
    Close(TenderId),
    /// A statutory period that ended without its act.
    Lapse(sealbid_ledger::command::Lapse),
}

impl DueEntry {
    /// The entry's body.
    fn body(&self) -> EntryBody {
        match self {
            DueEntry::Close(tender) => EntryBody::Close { tender: tender.clone() },
            DueEntry::Lapse(lapse) => EntryBody::Lapse(lapse.clone()),
        }
    }
}

/// What a node needs to start.
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    /// This node's id in the cluster.
    pub node_id: u64,
    /// Its SQLite database file.
    pub database: PathBuf,
    /// openraft's timing and snapshot settings.
    pub raft: openraft::Config,
    /// What stamps arrivals and entries.
    pub clock: Arc<dyn Clock>,
    /// The most commands this node handles at once (its clients' and, on the leader, those
    /// forwarded to it); past it a command is answered [`SubmitError::Busy`] before anything
    /// is stamped or proposed.
    pub commands_in_flight_max: usize,
    /// The replication path's metrics (registered where the node serves them).
    pub metrics: ConsensusMetrics,
    /// The cluster's key for tagging where a bid-changing command came from (the same on every
    /// node, derived from the cluster's log key); `None` tags nothing, and `shared-address`
    /// warnings are then never raised for this node's commands.
    pub source_tag_key: Option<SourceTagKey>,
}

/// How often the leader sends a heartbeat when it has nothing else to send.
pub const HEARTBEAT_INTERVAL_MS: u64 = 50;

/// The least silence after which a follower stands for election: five heartbeats, so that a
/// leader slowed by a busy machine is not deposed.
pub const ELECTION_TIMEOUT_MIN_MS: u64 = 250;

/// The most silence after which a follower stands for election (also openraft's leader lease).
pub const ELECTION_TIMEOUT_MAX_MS: u64 = 400;

impl ReplicaConfig {
    /// openraft's timing for nodes on one site, a snapshot every `snapshot_every` log entries
    /// (each a batch of one or more ledger entries) with the log before it purged, up to 30 s to
    /// install a snapshot, and at most [`APPEND_BATCHES_MAX`] log entries per AppendEntries, so
    /// that one always fits
    /// in [`crate::server::RPC_BYTES_MAX`].
    ///
    /// The timing is set for writes back within 1 s of a leader's loss: heartbeats every
    /// [`HEARTBEAT_INTERVAL_MS`], elections after [`ELECTION_TIMEOUT_MIN_MS`] to
    /// [`ELECTION_TIMEOUT_MAX_MS`] of silence. openraft 0.9 makes a follower refuse votes for the
    /// election timeout's maximum after its last heartbeat (the leader's lease), so the first
    /// candidate after a crash is almost always refused and the second round wins: a new leader
    /// about two timeouts after the last heartbeat, 500 to 800 ms.
    pub fn raft(snapshot_every: u64) -> openraft::Config {
        openraft::Config {
            max_payload_entries: APPEND_BATCHES_MAX as u64,
            heartbeat_interval: HEARTBEAT_INTERVAL_MS,
            election_timeout_min: ELECTION_TIMEOUT_MIN_MS,
            election_timeout_max: ELECTION_TIMEOUT_MAX_MS,
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
    /// This node already handles as many commands as it may; nothing was stamped or proposed.
    #[error("this node is handling {limit} commands already; send the command again in a moment")]
    Busy {
        /// The bound on commands in flight.
        limit: usize,
    },
    /// The command's arrival stamp lies more than the arrival window ahead of the leader's
    /// clock: the receiving node's clock runs fast.
    #[error(
        "the command arrived at {received_at_ms} ms by node {node_id}'s clock, more than {window_ms} ms ahead of \
         the leader's {leader_ms} ms (that node's clock runs fast); nothing was proposed: send it again, to another node"
    )]
    ArrivalOutOfWindow {
        /// The node that stamped it.
        node_id: u64,
        /// Its stamp.
        received_at_ms: u64,
        /// The leader's clock.
        leader_ms: u64,
        /// The ledger's arrival window.
        window_ms: u64,
    },
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
    /// The last log index purged behind a snapshot: a node whose log ends before it can only
    /// catch up from this node through a snapshot.
    pub log_purged_to: Option<u64>,
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
    /// The committed log index openraft last reported ([`u64::MAX`]: none yet).
    committed_index: Arc<AtomicU64>,
    /// Every history entry below this index is held: the filler's scans start here.
    history_complete_below: AtomicU64,
    /// Takes every entry this node proposes as leader into batches, one Raft entry each, in
    /// queue order (the log's order).
    proposer: Proposer,
    /// Takes every command this node forwards to the leader into batched requests.
    forwarder: Forwarder,
    /// HTTPS client for the leader's clock and peers' history.
    client: reqwest::Client,
    /// What stamps arrivals and entries.
    clock: Arc<dyn Clock>,
    /// The replication path's metrics.
    metrics: ConsensusMetrics,
    /// Places for commands in flight: a command holds one from its arrival to its answer.
    in_flight: Arc<Semaphore>,
    /// The bound `in_flight` was made with.
    in_flight_max: usize,
    /// Places for signature checks on the blocking pool: as many as the machine has cores, so
    /// that checks queue here instead of crowding out Raft, apply and the writer.
    verifying: Semaphore,
    /// The closes and lapses this leader proposed, with when (its clock): proposed again only
    /// after [`CLOSE_RETRY_MS`].
    due_proposed: std::sync::Mutex<HashMap<DueEntry, u64>>,
    /// How far this node's clock was from the leader's at the last comparison, ms (0 on the
    /// leader; [`CLOCK_OFFSET_UNKNOWN`] before the first).
    clock_offset_ms: AtomicU64,
    /// Salts the commitments to clients' addresses.
    random: ring::rand::SystemRandom,
    /// Tags where bid-changing commands came from ([`ReplicaConfig::source_tag_key`]).
    source_tag_key: Option<SourceTagKey>,
}

/// `address` with a fresh salt from `random`.
fn source_of(address: IpAddr, random: &ring::rand::SystemRandom) -> Result<Source, SubmitError> {
    let mut salt = [0u8; 16];
    ring::rand::SecureRandom::fill(random, &mut salt)
        .map_err(|_| SubmitError::Raft("the system's random source failed".into()))?;
    Ok(Source { address, salt })
}

/// What admission made of a command.
enum Admission {
    /// It may be proposed, stamped with its arrival; `by_leader`: this node checked it against
    /// its state as leader.
    Admitted {
        /// The command with its arrival stamp.
        received: ReceivedCommand,
        /// Whether the check was a leader's.
        by_leader: bool,
    },
    /// It is refused: the reply to give, nothing proposed.
    Refused(LedgerReply),
}

/// A command's place among those a node handles at once; released when dropped.
#[derive(Debug)]
pub struct InFlight {
    /// The semaphore's permit.
    _permit: OwnedSemaphorePermit,
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
        let writer = Writer::measured(pool.clone(), config.metrics.commit_seconds.clone());
        let log_store = LogStore::open(pool.clone(), writer.clone())
            .await
            .map_err(|error| StartError::Raft(error.to_string()))?;
        let highest_timestamp_ms = log_store.highest_timestamp_ms();
        let committed_index = log_store.committed_index();
        let state_machine = StateMachineStore::open(pool, writer, SnapshotFile::beside(&config.database))
            .await
            .map_err(|error| StartError::Raft(error.to_string()))?
            .measured(config.metrics.apply_seconds.clone());
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
        let client = https_client(tls)?;
        // Every command in flight may wait in one of the queues; closes and the genesis besides.
        let queue_max = config.commands_in_flight_max.saturating_add(QUEUE_SLACK);
        let proposer = Proposer::start(
            Stamping {
                node_id: config.node_id,
                raft: raft.clone(),
                clock: Arc::clone(&config.clock),
                highest_timestamp_ms,
                state_machine: state_machine.clone(),
                batch_entries: config.metrics.batch_entries.clone(),
            },
            queue_max,
        );
        let forwarder = Forwarder::start(
            Route {
                raft: raft.clone(),
                client: client.clone(),
                metrics: config.metrics.clone(),
            },
            queue_max,
        );
        tokio::spawn(leadership::count_changes(
            raft.server_metrics(),
            config.metrics.leader_changes.clone(),
        ));
        tokio::spawn(crate::eraser::run(
            raft.clone(),
            state_machine.pool().clone(),
            state_machine.bidding_ended(),
            config.metrics.envelopes_erased_through.clone(),
        ));
        Ok(Self {
            node_id: config.node_id,
            raft,
            state_machine,
            committed_index,
            history_complete_below: AtomicU64::new(0),
            proposer,
            forwarder,
            client,
            clock: config.clock,
            metrics: config.metrics,
            in_flight: Arc::new(Semaphore::new(config.commands_in_flight_max)),
            verifying: Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)),
            random: ring::rand::SystemRandom::new(),
            source_tag_key: config.source_tag_key,
            in_flight_max: config.commands_in_flight_max,
            due_proposed: std::sync::Mutex::new(HashMap::new()),
            clock_offset_ms: AtomicU64::new(CLOCK_OFFSET_UNKNOWN),
        })
    }

    /// Reserves a place for one more command in flight, or answers [`SubmitError::Busy`] at
    /// once. [`Replica::submit`] holds one for every command it handles.
    pub fn reserve_command(&self) -> Result<InFlight, SubmitError> {
        Arc::clone(&self.in_flight)
            .try_acquire_owned()
            .map(|permit| InFlight { _permit: permit })
            .map_err(|_| {
                self.metrics.busy_answers.inc();
                SubmitError::Busy {
                    limit: self.in_flight_max,
                }
            })
    }

    /// How many commands this node is handling now.
    pub fn commands_in_flight(&self) -> usize {
        self.in_flight_max.saturating_sub(self.in_flight.available_permits())
    }

    /// This node's clock, ms since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// How far this node's clock was from the leader's at the last comparison, ms; `None`
    /// before the first. A node further off than [`Replica::arrival_window_ms`] gets every
    /// command it stamps refused by the leader, so it reports itself not ready.
    pub fn clock_offset_ms(&self) -> Option<u64> {
        match self.clock_offset_ms.load(Ordering::SeqCst) {
            CLOCK_OFFSET_UNKNOWN => None,
            offset_ms => Some(offset_ms),
        }
    }

    /// The ledger's arrival window (genesis configuration), ms.
    pub fn arrival_window_ms(&self) -> u64 {
        self.state_machine.arrival_window_ms()
    }

    /// Compares this node's clock with the leader's every [`CLOCK_CHECK_EVERY`], for as long as
    /// the node runs (see [`Replica::clock_offset_ms`]).
    pub fn spawn_clock_watch(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        self.spawn_every(
            CLOCK_CHECK_EVERY,
            |replica| async move { replica.compare_clock().await },
        )
    }

    /// Runs `step` every `period` for as long as the node runs (the task holds no strong
    /// reference between steps, and ends once the replica is dropped).
    fn spawn_every<Step, Stepping>(self: &Arc<Self>, period: Duration, step: Step) -> tokio::task::JoinHandle<()>
    where
        Step: Fn(Arc<Self>) -> Stepping + Send + 'static,
        Stepping: std::future::Future<Output = ()> + Send,
    {
        let replica = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                let Some(replica) = replica.upgrade() else { return };
                step(replica).await;
            }
        })
    }

    /// One comparison: the leader's clock read over RPC, taken as of the middle of the round
    /// trip. A failed or slow reading changes nothing.
    async fn compare_clock(&self) {
        let Some(leader) = self.raft.current_leader().await else {
            return;
        };
        if leader == self.node_id {
            self.clock_offset_ms.store(0, Ordering::SeqCst);
            return;
        }
        let Some(address) = leadership::member_address(&self.raft, leader) else {
            return;
        };
        let sent_ms = self.clock.now_ms();
        let reading = async {
            self.client
                .get(format!("https://{address}{}", paths::CLOCK))
                .timeout(CLOCK_CHECK_TIMEOUT)
                .send()
                .await?
                .error_for_status()?
                .json::<crate::server::ClockReading>()
                .await
        };
        match reading.await {
            Ok(reading) => {
                let middle_ms = sent_ms.midpoint(self.clock.now_ms());
                let offset_ms = reading.clock_ms.abs_diff(middle_ms);
                if offset_ms > self.arrival_window_ms() {
                    tracing::warn!(
                        offset_ms,
                        leader,
                        "this node's clock is off the leader's by more than the arrival window"
                    );
                }
                self.clock_offset_ms.store(offset_ms, Ordering::SeqCst);
            }
            Err(error) => tracing::debug!(%error, leader, "cannot read the leader's clock"),
        }
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

    /// Applies a client's signed command through the cluster and returns the ledger's reply.
    /// The command holds a place in flight throughout ([`Replica::reserve_command`]); this node
    /// stamps its arrival and admits it ([`Replica::admit`]): a refusal there is answered as
    /// [`LedgerReply::Rejected`] with nothing proposed. A follower forwards it to the leader.
    /// `envelope`: a bid's sealed offer, which travels beside the command (the command signs
    /// its digest). `source_address`: the client's address, recorded with the arrival
    /// (committed to in the leaf, kept for supervisors).
    pub async fn submit_command(
        &self,
        signed: SignedMessage,
        envelope: Option<Envelope>,
        source_address: Option<IpAddr>,
    ) -> Result<LedgerReply, SubmitError> {
        let _in_flight = self.reserve_command()?;
        let source = source_address
            .map(|address| source_of(address, &self.random))
            .transpose()?;
        let arrival = Arrival {
            node_id: self.node_id,
            received_at_ms: self.clock.now_ms(),
            source_sha256: source.as_ref().map(Source::commitment),
            // Set once admission has read the command's tender.
            source_tag: None,
            source,
        };
        match self.admit(signed, envelope, arrival).await? {
            Admission::Admitted { received, by_leader } => {
                self.route(EntryBody::Command(received), true, by_leader).await
            }
            Admission::Refused(reply) => Ok(self.refused(reply)),
        }
    }

    /// Counts a refusal of admission in the metrics, by code, and passes it on.
    fn refused(&self, reply: LedgerReply) -> LedgerReply {
        if let LedgerReply::Rejected { code, .. } = &reply {
            self.metrics
                .admission_refusals
                .with_label_values(&[code.as_str()])
                .inc();
        }
        reply
    }

    /// Applies `body` through the cluster and returns the ledger's reply. `from_client`: the
    /// body comes from this node's own client (a command is handled as by
    /// [`Replica::submit_command`], its arrival stamped here whatever stamp it came with);
    /// otherwise a follower forwarded it, stamped, and this node proposes it as leader (a
    /// command after the leader's admission, holding a place in flight) or refuses
    /// [`SubmitError::NotLeader`].
    pub async fn submit(&self, body: EntryBody, from_client: bool) -> Result<LedgerReply, SubmitError> {
        match body {
            EntryBody::Command(received) if from_client => {
                let address = received.arrival.source.map(|source| source.address);
                self.submit_command(received.signed, received.envelope, address).await
            }
            EntryBody::Command(_) => {
                let _in_flight = self.reserve_command()?;
                self.route(body, false, false).await
            }
            EntryBody::Genesis(_) | EntryBody::Close { .. } | EntryBody::Lapse(_) => {
                self.route(body, from_client, false).await
            }
        }
    }

    /// Proposes the commands a follower forwarded in one request, as [`Replica::submit`] does
    /// each (concurrently, so they share batches): one answer per command, in order.
    pub async fn submit_forwarded(self: Arc<Self>, bodies: Vec<EntryBody>) -> Vec<Result<LedgerReply, SubmitError>> {
        let count = bodies.len();
        let mut tasks = tokio::task::JoinSet::new();
        for (position, body) in bodies.into_iter().enumerate() {
            let replica = Arc::clone(&self);
            tasks.spawn(async move { (position, replica.submit(body, false).await) });
        }
        let mut answers: Vec<Result<LedgerReply, SubmitError>> = vec![Err(SubmitError::Unknown); count];
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((position, answer)) => {
                    if let Some(slot) = answers.get_mut(position) {
                        *slot = answer;
                    }
                }
                Err(error) => tracing::error!(%error, "a forwarded command's task failed"),
            }
        }
        answers
    }

    /// Proposes `body` as leader or, with `forward`, sends it to the leader. `leader_admitted`:
    /// whether a leader's applied state has passed the command through admission already.
    async fn route(
        &self,
        body: EntryBody,
        forward: bool,
        mut leader_admitted: bool,
    ) -> Result<LedgerReply, SubmitError> {
        for _ in 0..SUBMIT_ATTEMPTS_MAX {
            match self.raft.current_leader().await {
                Some(leader) if leader == self.node_id => {
                    if let EntryBody::Command(received) = &body
                        && !leader_admitted
                    {
                        // The receiving node checked the signature and canonical form (and every
                        // replica checks them again in apply): reading the payload is enough here.
                        let command = serde_json::from_str::<Command>(&received.signed.payload)
                            .map_err(|error| Rejection::Malformed(error.to_string()));
                        let refusal = match command {
                            Ok(command) => {
                                self.refusal_on_view(
                                    &received.signed.signer,
                                    &command,
                                    received.envelope.as_ref(),
                                    received.arrival,
                                    true,
                                )
                                .await
                            }
                            Err(rejection) => Some(LedgerReply::rejected(&rejection)),
                        };
                        if let Some(refused) = refusal {
                            return Ok(self.refused(refused));
                        }
                        leader_admitted = true;
                    }
                    match self.proposer.propose(body.clone()).await? {
                        Some(reply) => return Ok(reply),
                        None => continue,
                    }
                }
                Some(_) if !forward => return Err(SubmitError::NotLeader),
                Some(leader) => match self.forwarder.forward(leader, body.clone()).await {
                    Ok(reply) => return Ok(reply),
                    // Not sent, or given up for a new leader: safe to send again (the same
                    // signed command applied twice is refused as a replay). Straight away to a
                    // new leader; to the same one once another is known (notified) or after a
                    // pause, whichever comes first.
                    Err(SubmitError::NoLeader | SubmitError::NotLeader) => {
                        if self.raft.current_leader().await == Some(leader) {
                            let _waited =
                                tokio::time::timeout(LEADER_WAIT, leadership::other_than(&self.raft, leader)).await;
                        }
                    }
                    // Sent but unanswered: the command may be in the log; the caller decides.
                    Err(error) => return Err(error),
                },
                // Sent on as soon as a leader is elected (notified), at the latest after the wait.
                None => {
                    let _waited = tokio::time::timeout(LEADER_WAIT, leadership::known(&self.raft)).await;
                }
            }
        }
        Err(SubmitError::NoLeader)
    }

    /// Admission of a command that arrived from a client: its signature and canonical form,
    /// checked on the blocking pool, then the ledger's admission rules against the state this
    /// node has applied (a refusal that a later entry could change is left to the leader when
    /// this node is a follower).
    async fn admit(
        &self,
        signed: SignedMessage,
        envelope: Option<Envelope>,
        mut arrival: Arrival,
    ) -> Result<Admission, SubmitError> {
        let (signed, verified) = {
            let _place = self
                .verifying
                .acquire()
                .await
                .map_err(|error| SubmitError::Raft(error.to_string()))?;
            tokio::task::spawn_blocking(move || {
                let verified = verify_command(&signed);
                (signed, verified)
            })
            .await
            .map_err(|error| SubmitError::Raft(format!("the signature check did not finish: {error}")))?
        };
        let command = match verified {
            Ok(command) => command,
            Err(rejection) => return Ok(Admission::Refused(LedgerReply::rejected(&rejection))),
        };
        if let (Some(key), Some(source), Some(tender)) =
            (&self.source_tag_key, arrival.source, command.action.bidding_tender())
        {
            arrival.source_tag = Some(source.tag(key, tender));
        }
        let by_leader = self.raft.current_leader().await == Some(self.node_id);
        Ok(
            match self
                .refusal_on_view(&signed.signer, &command, envelope.as_ref(), arrival, by_leader)
                .await
            {
                Some(refused) => Admission::Refused(refused),
                None => Admission::Admitted {
                    received: ReceivedCommand {
                        arrival,
                        signed,
                        envelope,
                    },
                    by_leader,
                },
            },
        )
    }

    /// The ledger's admission rules for `received` against the state this node has applied
    /// ([`Ledger::admit`], at the command's arrival time), as the reply to give, if it is
    /// refused. With `definitive` false (a follower, whose state may lag), refusals that a later
    /// entry could change are not given.
    async fn refusal_on_view(
        &self,
        signer: &PublicKey,
        command: &Command,
        envelope: Option<&Envelope>,
        arrival: Arrival,
        definitive: bool,
    ) -> Option<LedgerReply> {
        let verdict = || {
            self.state_machine
                .read(|ledger| ledger.admit(signer, command, envelope, arrival.received_at_ms))
        };
        match verdict().await {
            Ok(()) => None,
            Err(rejection) if rejection.may_change() && !definitive => None,
            Err(rejection) if rejection.may_change() => {
                // A leader may not have applied every committed entry yet (just elected, say):
                // it refuses for a missing role or an unapproved registration only once it has;
                // if it cannot tell, the log decides.
                self.raft.ensure_linearizable().await.ok()?;
                verdict().await.err().map(|rejection| LedgerReply::rejected(&rejection))
            }
            Err(rejection) => Some(LedgerReply::rejected(&rejection)),
        }
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

    /// The audit log's size, root and bids as this node has applied them, without the ledger's
    /// lock.
    pub fn applied_view(&self) -> AppliedView {
        self.state_machine.view()
    }

    /// The audit head with the state hash as this node has applied them (the hash computed at
    /// most once per applied batch).
    pub async fn applied_head(&self) -> AppliedHead {
        self.state_machine.head().await
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

    /// Up to `count` notices (JSON) of the information service from audit index `from` on, in
    /// order, once the rows of every entry this node applied are written; with `newest`, the
    /// newest `count` at or before `from` instead, newest first.
    pub async fn notices(&self, from: u64, count: u64, newest: bool) -> Result<Vec<String>, HistoryError> {
        self.rows_written(self.applied_audit_size()).await?;
        let query = if newest {
            "SELECT notice FROM notice WHERE audit_index <= ? \
             ORDER BY audit_index DESC, position DESC LIMIT ?"
        } else {
            "SELECT notice FROM notice WHERE audit_index >= ? ORDER BY audit_index, position LIMIT ?"
        };
        let rows = sqlx::query(query)
            .bind(i64::try_from(from).unwrap_or(i64::MAX))
            .bind(i64::try_from(count).unwrap_or(i64::MAX))
            .fetch_all(self.state_machine.pool())
            .await?;
        Ok(rows.iter().map(|row| sqlx::Row::get(row, "notice")).collect())
    }

    /// Up to `count` archive records (JSON) of finished tenders whose number is `from` or more,
    /// by tender number, once the rows of every entry this node applied are written. Tender ids
    /// are `T-` and at least six digits, so (length, text) orders them by number.
    pub async fn archived_from(&self, from: &TenderId, count: u64) -> Result<Vec<String>, HistoryError> {
        self.rows_written(self.applied_audit_size()).await?;
        let from = from.to_string();
        let length = i64::try_from(from.len()).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT record FROM archive WHERE length(tender) > ? OR (length(tender) = ? AND tender >= ?) \
             ORDER BY length(tender), tender LIMIT ?",
        )
        .bind(length)
        .bind(length)
        .bind(from)
        .bind(i64::try_from(count).unwrap_or(i64::MAX))
        .fetch_all(self.state_machine.pool())
        .await?;
        Ok(rows.iter().map(|row| sqlx::Row::get(row, "record")).collect())
    }

    /// Stores a witness's cosignature, already checked against this node's own tree.
    pub async fn store_cosignature(
        &self,
        cosignature: &crate::cosignatures::StoredCosignature,
    ) -> Result<(), HistoryError> {
        crate::cosignatures::store(self.state_machine.writer(), cosignature).await
    }

    /// The cosignatures held of the tree of `size` leaves with `root`.
    pub async fn cosignatures_at(
        &self,
        size: u64,
        root: &sealbid_crypto::merkle::Hash,
    ) -> Result<Vec<crate::cosignatures::StoredCosignature>, HistoryError> {
        crate::cosignatures::at(self.state_machine.pool(), size, root).await
    }

    /// Each witness's newest cosignature held.
    pub async fn latest_cosignatures(&self) -> Result<Vec<crate::cosignatures::StoredCosignature>, HistoryError> {
        crate::cosignatures::latest(self.state_machine.pool()).await
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

    /// Waits (at most `timeout`, notified after every applied batch) until this node has
    /// applied audit entry `audit_index`; whether it has.
    pub async fn wait_applied(&self, audit_index: u64, timeout: Duration) -> bool {
        self.state_machine.wait_applied(audit_index, timeout).await
    }

    /// What the ledger answered the entry at `audit_index` (JSON), once its rows are written;
    /// `None` for an entry this node took from a peer's history.
    pub async fn response(&self, audit_index: u64) -> Result<Option<String>, HistoryError> {
        self.rows_written(audit_index.saturating_add(1).min(self.applied_audit_size()))
            .await?;
        history::read_response(self.state_machine.pool(), audit_index).await
    }

    /// The source addresses this node recorded for the commands at audit indexes `[from, from +
    /// count)` (waiting, as [`Replica::history_settled`] does, for their rows).
    pub async fn sources(&self, from: u64, count: u64) -> Result<Vec<(u64, Source)>, HistoryError> {
        self.rows_written(from.saturating_add(count).min(self.applied_audit_size()))
            .await?;
        history::read_sources(self.state_machine.pool(), from, count).await
    }

    /// Entries `[from, from + count)` as supervisors watch them (with the ledger's answer and
    /// what each concerns), once their rows are written (as [`Replica::history_settled`]).
    pub async fn watched(&self, from: u64, count: u64) -> Result<Vec<history::WatchedRow>, HistoryError> {
        self.rows_written(from.saturating_add(count).min(self.applied_audit_size()))
            .await?;
        history::read_watched(self.state_machine.pool(), from, count).await
    }

    /// The entries concerning `tender` from audit index `from` on, at most `count`, as
    /// supervisors watch them (entries this node applied; not those taken from a peer).
    pub async fn timeline(
        &self,
        tender: &str,
        from: u64,
        count: u64,
    ) -> Result<Vec<history::WatchedRow>, HistoryError> {
        self.rows_written(self.applied_audit_size()).await?;
        history::read_timeline(self.state_machine.pool(), tender, from, count).await
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

    /// As leader, closes every tender whose deadline plus the arrival window has passed by
    /// this node's clock, and records every statutory period that ended without its act (a
    /// lapse), for as long as the node runs: it looks every [`CLOSE_TICK`], and proposes an
    /// entry again if the one it proposed is not applied after [`CLOSE_RETRY_MS`]. A close goes
    /// through the same stamping lock as the commands, so every bid the leader took before it is
    /// ordered before it.
    pub fn spawn_closer(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        self.spawn_every(CLOSE_TICK, |replica| async move { replica.propose_due_entries().await })
    }

    /// One look of [`Replica::spawn_closer`]: proposes the closes and lapses due now, if this
    /// node leads.
    async fn propose_due_entries(&self) {
        if self.raft.current_leader().await != Some(self.node_id) {
            return;
        }
        let now_ms = self.clock.now_ms();
        let due: Vec<DueEntry> = self
            .state_machine
            .read(|ledger| {
                let closes = ledger.tenders_due_to_close(now_ms).into_iter().map(DueEntry::Close);
                closes
                    .chain(ledger.lapses_due(now_ms).into_iter().map(DueEntry::Lapse))
                    .collect()
            })
            .await;
        let to_propose: Vec<DueEntry> = {
            let mut proposed = self
                .due_proposed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            proposed.retain(|entry, _| due.contains(entry));
            due.into_iter()
                .filter(|entry| {
                    let again = proposed
                        .get(entry)
                        .is_none_or(|at_ms| now_ms.saturating_sub(*at_ms) >= CLOSE_RETRY_MS);
                    if again {
                        proposed.insert(entry.clone(), now_ms);
                    }
                    again
                })
                .collect()
        };
        for entry in to_propose {
            match self.submit(entry.body(), false).await {
                Ok(LedgerReply::Applied { audit_index, .. }) => match &entry {
                    DueEntry::Close(tender) => tracing::info!(%tender, audit_index, "closed bidding at the deadline"),
                    DueEntry::Lapse(lapse) => tracing::info!(?lapse, audit_index, "recorded a lapsed period"),
                },
                Ok(reply) => tracing::warn!(?entry, ?reply, "the entry was not applied"),
                Err(error) => tracing::warn!(?entry, %error, "cannot commit the entry yet"),
            }
        }
    }

    /// This node's view.
    pub async fn status(&self) -> ReplicaStatus {
        let AppliedHead {
            view: AppliedView { audit_size, bids, .. },
            state_hash,
        } = self.state_machine.head().await;
        let metrics = self.raft.metrics().borrow().clone();
        ReplicaStatus {
            node_id: self.node_id,
            leader: metrics.current_leader,
            last_applied: metrics.last_applied.map(|log_id| log_id.index),
            log_purged_to: metrics.purged.map(|log_id| log_id.index),
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
