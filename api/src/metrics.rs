//! Prometheus metrics (`sealbid_` prefix, base units): submissions by outcome, commit latency,
//! gauges read from the node at scrape time (Raft term, leader and whether there is one,
//! indexes, tenders by phase, commands in flight), the build's version, and the process's own
//! (`process_` prefix: CPU seconds, resident memory, open files, threads, start time; Linux).
//! The registry also serves what the node's other components register in it (the replication
//! path's metrics, `sealbid_consensus::ConsensusMetrics`). No per-bidder labels.

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

/// Commit-latency buckets in seconds: fine in the milliseconds, up to the reply timeout.
const LATENCY_BUCKETS_SECONDS: [f64; 16] = [
    0.000_5, 0.001, 0.002, 0.003, 0.005, 0.007_5, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 60.0,
];

/// Why the metrics could not be built or rendered.
#[derive(Debug, thiserror::Error)]
#[error("metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

/// The API's metrics and their registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Everything below, for rendering.
    registry: Registry,
    /// Commands submitted, by outcome (`accepted`, `replayed`, a refusal code, or an error).
    pub submissions: IntCounterVec,
    /// Seconds from a command's arrival to its applied (or refused) reply.
    pub commit_latency: Histogram,
    /// The node's current Raft term.
    pub raft_term: IntGauge,
    /// The leader's node id (0 when none is known).
    pub raft_leader: IntGauge,
    /// The commit index the node knows of.
    pub raft_commit_index: IntGauge,
    /// The last index the node applied.
    pub raft_applied_index: IntGauge,
    /// Open tenders by phase.
    pub tenders: IntGaugeVec,
    /// Commands the node is handling now (see `commands_in_flight_max`).
    pub commands_in_flight: IntGauge,
    /// 1 when this node knows a leader, 0 when it knows none (an election, or a lost quorum).
    pub has_leader: IntGauge,
}

impl Metrics {
    /// Registers every metric in a new registry.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let submissions = IntCounterVec::new(
            Opts::new("sealbid_submissions_total", "Commands submitted, by outcome."),
            &["outcome"],
        )?;
        let commit_latency = Histogram::with_opts(
            HistogramOpts::new(
                "sealbid_commit_latency_seconds",
                "Seconds from a command's arrival to its applied or refused reply.",
            )
            .buckets(LATENCY_BUCKETS_SECONDS.to_vec()),
        )?;
        let raft_term = IntGauge::new("sealbid_raft_term", "The node's current Raft term.")?;
        let raft_leader = IntGauge::new("sealbid_raft_leader", "The leader's node id; 0 when none is known.")?;
        let raft_commit_index = IntGauge::new("sealbid_raft_commit_index", "The commit index this node knows of.")?;
        let raft_applied_index = IntGauge::new("sealbid_raft_applied_index", "The last log index this node applied.")?;
        let tenders = IntGaugeVec::new(Opts::new("sealbid_tenders", "Open tenders by phase."), &["phase"])?;
        let commands_in_flight = IntGauge::new("sealbid_commands_in_flight", "Commands this node is handling now.")?;
        let has_leader = IntGauge::new("sealbid_has_leader", "1 when this node knows a leader, else 0.")?;
        let build_info = IntGaugeVec::new(
            Opts::new(
                "sealbid_build_info",
                "Always 1; the version of the running build in its label.",
            ),
            &["version"],
        )?;
        build_info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        registry.register(Box::new(submissions.clone()))?;
        registry.register(Box::new(commit_latency.clone()))?;
        registry.register(Box::new(raft_term.clone()))?;
        registry.register(Box::new(raft_leader.clone()))?;
        registry.register(Box::new(raft_commit_index.clone()))?;
        registry.register(Box::new(raft_applied_index.clone()))?;
        registry.register(Box::new(tenders.clone()))?;
        registry.register(Box::new(commands_in_flight.clone()))?;
        registry.register(Box::new(has_leader.clone()))?;
        registry.register(Box::new(build_info))?;
        #[cfg(target_os = "linux")]
        registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
        Ok(Self {
            registry,
            submissions,
            commit_latency,
            raft_term,
            raft_leader,
            raft_commit_index,
            raft_applied_index,
            tenders,
            commands_in_flight,
            has_leader,
        })
    }

    /// The registry, for the node's other components to register their metrics in (they are
    /// served with these).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> Result<String, MetricsError> {
        let mut buffer = Vec::new();
        prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8_lossy(&buffer).into_owned())
    }
}
