//! The composition root: [`Application::build`] turns [`Settings`] into a running node: the
//! data folder prepared, the replica started on its database, node-to-node RPC and the public
//! API listening; with `bootstrap` (the default), the one-node cluster initialised and the
//! ledger's genesis entry written on first start, otherwise the node waits for a leader to add
//! it. Tests build it the same way, on port 0 and a temporary folder.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use sealbid_api::audit::LogSigner;
use sealbid_api::{ApiState, Metrics, MetricsError};
use sealbid_consensus::clock::{Clock, SystemClock};
use sealbid_consensus::{ConsensusMetrics, LedgerReply, Replica, ReplicaConfig};
use sealbid_ledger::command::{EntryBody, Genesis, LedgerConfig};

use crate::data_dir::DataDir;
use crate::settings::Settings;

/// How long a new one-node cluster may take to elect itself.
const LEADER_WAIT: Duration = Duration::from_secs(10);

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The data folder.
    #[error(transparent)]
    DataDir(#[from] crate::data_dir::DataDirError),
    /// A listener could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The replica could not start.
    #[error("cannot start the replica: {0}")]
    Replica(#[from] sealbid_consensus::StartError),
    /// The cluster could not be initialised or did not elect a leader.
    #[error("cannot form the cluster: {0}")]
    Cluster(String),
    /// TLS or a server could not be set up.
    #[error("cannot serve: {0}")]
    Serve(String),
    /// The metrics registry.
    #[error(transparent)]
    Metrics(#[from] sealbid_api::MetricsError),
}

/// A running node.
pub struct Application {
    /// Where the public API listens (the real port when 0 was asked for).
    pub api_address: SocketAddr,
    /// Where node-to-node RPC listens.
    pub cluster_address: SocketAddr,
    /// The data folder and its files.
    pub data_dir: DataDir,
    /// The replica, for tests and shutdown.
    pub replica: Arc<Replica>,
    /// The process's soft limit on open files after the node raised it to what its connection
    /// bounds need (0: it could not read it).
    pub open_files: u64,
    /// The node's own metrics (certificate reloads).
    node_metrics: crate::node_metrics::NodeMetrics,
    /// Stops the API server.
    api: actix_web::dev::ServerHandle,
    /// Ends when the API server stops.
    api_task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Stops the node-to-node RPC server.
    cluster: actix_web::dev::ServerHandle,
    /// The replica's background tasks: filling audit history left out by snapshots, closing
    /// tenders as leader at their deadline plus the arrival window, comparing the clock with the
    /// leader's.
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Application")
            .field("api_address", &self.api_address)
            .field("cluster_address", &self.cluster_address)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Starts a node from `settings` (on the current Tokio runtime), on the system clock.
    pub async fn build(settings: &Settings) -> Result<Self, BuildError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Starts a node from `settings` whose arrivals, entries and deadlines follow `clock`
    /// (tests set it instead of sleeping).
    pub async fn build_with_clock(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, BuildError> {
        // The names the node's certificate is valid for, besides 127.0.0.1 and localhost: the
        // addresses it listens on (unless every address) and the host it advertises to peers.
        let advertised_host = settings
            .cluster_advertise
            .as_deref()
            .and_then(|advertised| advertised.rsplit_once(':'))
            .map(|(host, _)| host.trim_start_matches('[').trim_end_matches(']').to_owned());
        let hosts: Vec<String> = [settings.listen.ip(), settings.cluster_listen.ip()]
            .iter()
            .filter(|ip| !ip.is_unspecified())
            .map(ToString::to_string)
            .chain(advertised_host)
            .collect();
        let log_key_path = settings.data_dir.join(crate::data_dir::LOG_KEY_FILE);
        if !settings.bootstrap && !log_key_path.exists() {
            // A joining node signs checkpoints with the cluster's key, never one of its own.
            return Err(BuildError::Cluster(format!(
                "{} is missing: a joining node signs checkpoints with the cluster's key; make its folder \
                 with `sealbid cluster certificates` or copy log.pk8 from the first node's folder",
                log_key_path.display()
            )));
        }
        // The ports first: a start that cannot listen creates no data folder, certificate or key.
        let api_listener = bind(settings.listen)?;
        let cluster_listener = bind(settings.cluster_listen)?;
        let data_dir = DataDir::prepare(&settings.data_dir, &hosts)?;
        let open_files = crate::client_limits::raise_open_files(&settings.client_limits);
        let local = |listener: &TcpListener, asked: SocketAddr| listener.local_addr().unwrap_or(asked);
        let api_address = local(&api_listener, settings.listen);
        let cluster_address = local(&cluster_listener, settings.cluster_listen);
        // What the membership records for this node: the advertised address, else the bound one.
        let advertised = settings
            .cluster_advertise
            .clone()
            .unwrap_or_else(|| cluster_address.to_string());

        // One registry for the node: the API serves the replication path's metrics with its own.
        let metrics = Metrics::new()?;
        let consensus_metrics = ConsensusMetrics::register(metrics.registry()).map_err(MetricsError::from)?;
        let node_metrics =
            crate::node_metrics::NodeMetrics::register(metrics.registry()).map_err(MetricsError::from)?;
        let config = ReplicaConfig {
            node_id: settings.node_id,
            database: data_dir.database.clone(),
            raft: ReplicaConfig::raft(settings.snapshot_every),
            clock,
            commands_in_flight_max: settings.commands_in_flight_max,
            metrics: consensus_metrics,
            source_tag_key: Some(data_dir.source_tag_key()?),
        };
        let replica = Arc::new(Replica::start(config, &data_dir.tls).await?);
        let cluster = sealbid_consensus::server::serve(Arc::clone(&replica), cluster_listener, &data_dir.tls)
            .map_err(|error| BuildError::Serve(error.to_string()))?;
        let cluster_handle = cluster.handle();
        tokio::spawn(cluster);
        let background = vec![
            replica.spawn_history_filler(),
            replica.spawn_closer(),
            replica.spawn_clock_watch(),
        ];

        let serving = async {
            let initialized = replica
                .raft
                .is_initialized()
                .await
                .map_err(|error| BuildError::Cluster(error.to_string()))?;
            // A one-node platform (new with `bootstrap`, or restarted alone in its cluster)
            // needs its leader and genesis before it serves; a member of a larger cluster, or a
            // node waiting to join one, serves at once and reports itself not ready meanwhile.
            let alone = initialized && restored_alone(&replica, settings.node_id).await;
            if !initialized && settings.bootstrap {
                replica
                    .initialize(BTreeMap::from([(settings.node_id, advertised.clone())]))
                    .await
                    .map_err(|error| BuildError::Cluster(error.to_string()))?;
            }
            if (!initialized && settings.bootstrap) || alone {
                wait_for_leader(&replica).await?;
                write_genesis(&replica, &data_dir).await?;
            }
            let log = LogSigner::new(data_dir.log_key()?)
                .map_err(|error| BuildError::Serve(format!("the log key: {error}")))?;
            let public_path = data_dir.root.join(crate::checkpoints::LOG_PUBLIC_FILE);
            std::fs::write(&public_path, format!("{}\n", log.signer.verifier()))
                .map_err(|error| BuildError::Serve(format!("{}: {error}", public_path.display())))?;
            let state = ApiState {
                replica: Arc::clone(&replica),
                metrics,
                log,
                watchers: sealbid_api::watch::Watchers::default(),
            };
            let tls = data_dir
                .tls
                .public_server_config()
                .map_err(|error| BuildError::Serve(error.to_string()))?;
            sealbid_api::serve(state, api_listener, tls, &settings.client_limits)
                .map_err(|error| BuildError::Serve(error.to_string()))
        };
        let api = match serving.await {
            Ok(api) => api,
            Err(error) => {
                // Nothing keeps running after a failed start.
                cluster_handle.stop(false).await;
                background.iter().for_each(tokio::task::JoinHandle::abort);
                if let Err(shutdown) = replica.raft.shutdown().await {
                    tracing::warn!(%shutdown, "Raft did not shut down cleanly");
                }
                return Err(error);
            }
        };
        let api_handle = api.handle();
        Ok(Self {
            api_address,
            cluster_address,
            data_dir,
            replica,
            open_files,
            node_metrics,
            api: api_handle,
            api_task: tokio::spawn(api),
            cluster: cluster_handle,
            background,
        })
    }

    /// Serves until SIGINT (Ctrl-C) or SIGTERM, then stops gracefully: the API first (requests
    /// in flight finish), then node-to-node RPC, then Raft. SIGHUP (a service manager's reload,
    /// or a closed terminal) never stops the node: it reloads the node's certificate and key.
    pub async fn run_until_interrupted(self) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut hangup = signal(SignalKind::hangup())?;
        loop {
            tokio::select! {
                _ = terminate.recv() => break,
                _ = interrupt.recv() => break,
                _ = hangup.recv() => self.reload_tls(),
            }
        }
        self.stop().await;
        Ok(())
    }

    /// Reloads the node's certificate and key from its data folder, and says how it went.
    pub fn reload_tls(&self) {
        let outcome = match self.data_dir.reload_tls() {
            Ok(()) => {
                tracing::info!(folder = %self.data_dir.root.display(), "reloaded the node's certificate and key");
                "applied"
            }
            Err(error) => {
                tracing::warn!(%error, "kept the node's certificate and key: the reload failed");
                "refused"
            }
        };
        self.node_metrics.tls_reloads.with_label_values(&[outcome]).inc();
    }

    /// Stops both servers and Raft.
    pub async fn stop(self) {
        self.api.stop(true).await;
        let _ = self.api_task.await;
        self.cluster.stop(true).await;
        self.background.iter().for_each(tokio::task::JoinHandle::abort);
        if let Err(error) = self.replica.raft.shutdown().await {
            tracing::warn!(%error, "Raft did not shut down cleanly");
        }
    }
}

/// Whether the membership this initialised node restored holds only itself (it may take a
/// moment to appear in the metrics after start; waits at most [`LEADER_WAIT`]).
async fn restored_alone(replica: &Replica, node_id: u64) -> bool {
    let mut metrics = replica.raft.metrics();
    let members = tokio::time::timeout(LEADER_WAIT, async {
        loop {
            let members: Vec<u64> = metrics
                .borrow()
                .membership_config
                .membership()
                .nodes()
                .map(|(id, _)| *id)
                .collect();
            if !members.is_empty() || metrics.changed().await.is_err() {
                return members;
            }
        }
    })
    .await
    .unwrap_or_default();
    members == [node_id]
}

/// Binds `address`.
fn bind(address: SocketAddr) -> Result<TcpListener, BuildError> {
    TcpListener::bind(address).map_err(|source| BuildError::Listen { address, source })
}

/// Waits until the cluster has a leader, for at most [`LEADER_WAIT`].
async fn wait_for_leader(replica: &Replica) -> Result<(), BuildError> {
    let mut metrics = replica.raft.metrics();
    let wait = tokio::time::timeout(LEADER_WAIT, async {
        loop {
            if metrics.borrow().current_leader.is_some() {
                return Ok(());
            }
            if metrics.changed().await.is_err() {
                return Err(BuildError::Cluster("Raft stopped".into()));
            }
        }
    });
    wait.await
        .map_err(|_| BuildError::Cluster(format!("no leader within {} s", LEADER_WAIT.as_secs())))?
}

/// Writes the genesis entry (the operator's key and the default bounds) unless the ledger has
/// one already.
async fn write_genesis(replica: &Replica, data_dir: &DataDir) -> Result<(), BuildError> {
    let operator = data_dir.operator.public_key();
    let existing = replica
        .read_applied(|ledger| ledger.state().genesis.as_ref().map(|genesis| genesis.operator))
        .await;
    if let Some(ledger_operator) = existing {
        if ledger_operator != operator {
            return Err(BuildError::Cluster(format!(
                "the operator key {} ({operator}) is not this ledger's operator ({ledger_operator}): \
                 restore the key the ledger was started with",
                data_dir.operator_key_path.display()
            )));
        }
        return Ok(());
    }
    let genesis = Genesis {
        operator: data_dir.operator.public_key(),
        config: LedgerConfig::default(),
    };
    match replica.submit(EntryBody::Genesis(genesis), true).await {
        Ok(LedgerReply::Applied { .. }) => Ok(()),
        Ok(LedgerReply::Rejected { code, .. }) if code == "already-initialised" => Ok(()),
        Ok(other) => Err(BuildError::Cluster(format!("genesis not applied: {other:?}"))),
        Err(error) => Err(BuildError::Cluster(format!("genesis not applied: {error}"))),
    }
}
