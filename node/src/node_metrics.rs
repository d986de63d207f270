//! The node's own metrics, registered in the node's one registry and served at `/metrics` with
//! the API's and the replication path's: reloads of the node's certificate and key (SIGHUP),
//! by outcome, so that an operator is told when a reload kept the old pair.

use prometheus::{IntCounterVec, Opts, Registry};

/// The node's metrics.
#[derive(Debug, Clone)]
pub struct NodeMetrics {
    /// Certificate reloads, by outcome: `applied` (the new pair is presented) or `refused` (it
    /// could not be read, did not parse or did not belong together; the old pair is kept).
    pub tls_reloads: IntCounterVec,
}

impl NodeMetrics {
    /// Registers the node's metrics in `registry`; both outcomes start at zero.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let tls_reloads = IntCounterVec::new(
            Opts::new(
                "sealbid_tls_reloads_total",
                "Reloads of the node's certificate and key, by outcome (applied, refused).",
            ),
            &["outcome"],
        )?;
        for outcome in ["applied", "refused"] {
            tls_reloads.with_label_values(&[outcome]);
        }
        registry.register(Box::new(tls_reloads.clone()))?;
        Ok(Self { tls_reloads })
    }
}
