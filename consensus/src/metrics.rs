//! The replication path's metrics (`sealbid_` prefix, base units), registered in the registry
//! the node passes in, so that the API's `/metrics` serves them beside its own: how full the
//! batches are, what the database commit (with its fsync) and apply cost, how often commands
//! were answered busy, what admission refused, and how far this node has erased superseded
//! envelopes. (How many commands are in flight is read from
//! the replica when the API renders its metrics.) No per-bidder labels.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Buckets for counts of commands in one batch or request, up to the batch bound (1,024).
const BATCH_BUCKETS: [f64; 12] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 768.0, 1024.0];
/// Buckets in seconds for a database commit or an apply: fine in the milliseconds.
const SECONDS_BUCKETS: [f64; 14] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 1.0, 4.0,
];

/// Every metric of the replication path. Cloning shares them.
#[derive(Debug, Clone)]
pub struct ConsensusMetrics {
    /// Ledger entries per Raft entry this node proposed as leader.
    pub batch_entries: Histogram,
    /// Requests of forwarded commands this node sent to a leader.
    pub forwarded_requests: IntCounter,
    /// Commands per forwarded request.
    pub forwarded_request_commands: Histogram,
    /// Seconds per database transaction of the writer, its fsync included.
    pub commit_seconds: Histogram,
    /// Seconds per apply of committed Raft entries to the ledger.
    pub apply_seconds: Histogram,
    /// Commands answered busy at once because the bound on commands in flight was reached.
    pub busy_answers: IntCounter,
    /// Commands admission refused before anything was proposed, by refusal code.
    pub admission_refusals: IntCounterVec,
    /// Times the leader this node knows of changed (to another node or to none).
    pub leader_changes: IntCounter,
    /// The Raft log index of the last entry that ended a tender's bidding after which this node
    /// erased the envelopes of replaced and withdrawn bids from disk ([`crate::eraser`]).
    pub envelopes_erased_through: IntGauge,
}

impl ConsensusMetrics {
    /// Makes every metric and registers it in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let metrics = Self::new()?;
        registry.register(Box::new(metrics.batch_entries.clone()))?;
        registry.register(Box::new(metrics.forwarded_requests.clone()))?;
        registry.register(Box::new(metrics.forwarded_request_commands.clone()))?;
        registry.register(Box::new(metrics.commit_seconds.clone()))?;
        registry.register(Box::new(metrics.apply_seconds.clone()))?;
        registry.register(Box::new(metrics.busy_answers.clone()))?;
        registry.register(Box::new(metrics.admission_refusals.clone()))?;
        registry.register(Box::new(metrics.leader_changes.clone()))?;
        registry.register(Box::new(metrics.envelopes_erased_through.clone()))?;
        Ok(metrics)
    }

    /// Every metric, registered nowhere (a node without a metrics endpoint, a test).
    pub fn unregistered() -> Self {
        // The names and buckets are constants: making them fails only on a programming error.
        #[allow(clippy::expect_used)]
        Self::new().expect("the consensus metrics are well-formed")
    }

    /// Makes every metric.
    fn new() -> Result<Self, prometheus::Error> {
        let histogram = |name: &str, help: &str, buckets: &[f64]| {
            Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))
        };
        Ok(Self {
            batch_entries: histogram(
                "sealbid_batch_entries",
                "Ledger entries per Raft entry this node proposed as leader.",
                &BATCH_BUCKETS,
            )?,
            forwarded_requests: IntCounter::new(
                "sealbid_forwarded_requests_total",
                "Requests of forwarded commands this node sent to a leader.",
            )?,
            forwarded_request_commands: histogram(
                "sealbid_forwarded_request_commands",
                "Commands per forwarded request.",
                &BATCH_BUCKETS,
            )?,
            commit_seconds: histogram(
                "sealbid_database_commit_seconds",
                "Seconds per database transaction of the writer, its fsync included.",
                &SECONDS_BUCKETS,
            )?,
            apply_seconds: histogram(
                "sealbid_apply_seconds",
                "Seconds per apply of committed Raft entries to the ledger.",
                &SECONDS_BUCKETS,
            )?,
            busy_answers: IntCounter::new(
                "sealbid_busy_answers_total",
                "Commands answered busy at once: the bound on commands in flight was reached.",
            )?,
            admission_refusals: IntCounterVec::new(
                Opts::new(
                    "sealbid_admission_refusals_total",
                    "Commands admission refused before anything was proposed, by refusal code.",
                ),
                &["code"],
            )?,
            leader_changes: IntCounter::new(
                "sealbid_leader_changes_total",
                "Times the leader this node knows of changed.",
            )?,
            envelopes_erased_through: IntGauge::new(
                "sealbid_envelopes_erased_through_log_index",
                "The Raft log index of the last close (or cancellation) after which this node erased replaced and withdrawn envelopes from disk.",
            )?,
        })
    }
}
