//! Waits on who leads, for the waits that must end when leadership moves: a proposal whose
//! leader was deposed, a forward to a leader that another one replaced; and the count of
//! leader changes. They watch openraft's
//! server metrics, which change with the vote, the leader or the membership only (the full
//! metrics change with every entry, and every waiting command would wake each time).

use openraft::metrics::RaftServerMetrics;
use openraft::{BasicNode, Raft};
use prometheus::IntCounter;
use tokio::sync::watch;

use crate::types::TypeConfig;

/// Resolves once the leader `raft` knows of (if any) satisfies `wanted`, or Raft stopped.
async fn until(raft: &Raft<TypeConfig>, mut wanted: impl FnMut(Option<u64>) -> bool) {
    let mut metrics = raft.server_metrics();
    // An error means Raft stopped: the wait is over either way.
    let _stopped = metrics
        .wait_for(|metrics| wanted(metrics.current_leader))
        .await
        .is_err();
}

/// Resolves once `node_id` no longer leads in `raft`'s view (or Raft stopped).
pub(crate) async fn lost(raft: &Raft<TypeConfig>, node_id: u64) {
    until(raft, |leader| leader != Some(node_id)).await;
}

/// Resolves once `raft` knows of a leader other than `leader` (an election in progress, with
/// no leader known, does not count), or Raft stopped.
pub(crate) async fn other_than(raft: &Raft<TypeConfig>, leader: u64) {
    until(raft, |current| current.is_some_and(|current| current != leader)).await;
}

/// Resolves once `raft` knows of a leader (or Raft stopped).
pub(crate) async fn known(raft: &Raft<TypeConfig>) {
    until(raft, |leader| leader.is_some()).await;
}

/// The node-to-node address of member `node_id` in `raft`'s membership, if it is one.
pub(crate) fn member_address(raft: &Raft<TypeConfig>, node_id: u64) -> Option<String> {
    let metrics = raft.metrics();
    let metrics = metrics.borrow();
    metrics
        .membership_config
        .membership()
        .get_node(&node_id)
        .map(|node| node.addr.clone())
}

/// Counts (and logs at info) every change of the leader `server_metrics` report (to another
/// node or to none), for as long as Raft runs.
pub(crate) async fn count_changes(
    mut server_metrics: watch::Receiver<RaftServerMetrics<u64, BasicNode>>,
    leader_changes: IntCounter,
) {
    let mut leader = server_metrics.borrow().current_leader;
    while server_metrics.changed().await.is_ok() {
        let (now, term) = {
            let metrics = server_metrics.borrow();
            (metrics.current_leader, metrics.vote.leader_id().get_term())
        };
        if now != leader {
            leader_changes.inc();
            match now {
                Some(node_id) => tracing::info!(leader = node_id, term, "the cluster has a new leader"),
                None => tracing::info!(previous = ?leader, "the cluster has no leader"),
            }
            leader = now;
        }
    }
}
