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

/// Resolves once `node_id` no longer leads in `raft`'s view (or Raft stopped).
pub(crate) async fn lost(raft: &Raft<TypeConfig>, node_id: u64) {
    let mut metrics = raft.server_metrics();
    while metrics.borrow().current_leader == Some(node_id) {
        if metrics.changed().await.is_err() {
            return;
        }
    }
}

/// Resolves once `raft` knows of a leader other than `leader` (an election in progress, with
/// no leader known, does not count), or Raft stopped.
pub(crate) async fn other_than(raft: &Raft<TypeConfig>, leader: u64) {
    let mut metrics = raft.server_metrics();
    while metrics.borrow().current_leader.is_none_or(|current| current == leader) {
        if metrics.changed().await.is_err() {
            return;
        }
    }
}

/// Resolves once `raft` knows of a leader (or Raft stopped).
pub(crate) async fn known(raft: &Raft<TypeConfig>) {
    let mut metrics = raft.server_metrics();
    while metrics.borrow().current_leader.is_none() {
        if metrics.changed().await.is_err() {
            return;
        }
    }
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

/// Counts every change of the leader `server_metrics` report (to another node or to none), for
/// as long as Raft runs.
pub(crate) async fn count_changes(
    mut server_metrics: watch::Receiver<RaftServerMetrics<u64, BasicNode>>,
    leader_changes: IntCounter,
) {
    let mut leader = server_metrics.borrow().current_leader;
    while server_metrics.changed().await.is_ok() {
        let now = server_metrics.borrow().current_leader;
        if now != leader {
            leader_changes.inc();
            leader = now;
        }
    }
}
