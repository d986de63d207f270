//! Erasing the envelopes of replaced and withdrawn bids from disk once bidding ends.
//!
//! A bid's envelope travels beside its signed command, outside the audit leaf; a replaced or
//! withdrawn bid leaves the ledger's state at once, and with it its envelope. What remains are
//! the Raft log entries that carried it. When an applied entry ends a tender's bidding (its
//! close, or a cancellation), every node, on its own, takes a snapshot past that entry, purges
//! its Raft log up to the snapshot (the database deletes with `secure_delete` on, so the rows
//! are overwritten, not just unlinked) and then checkpoints its write-ahead log and truncates it
//! to nothing, so no file in its data folder holds a superseded envelope. It runs in the
//! background, usually done before the committee releases the shares that rebuild the key;
//! nothing makes the shares wait for it.
//!
//! The state machine publishes the last such entry's log index; this task waits on it.

use std::time::Duration;

use openraft::Raft;
use prometheus::IntGauge;
use sqlx::{Row, SqlitePool};
use tokio::sync::watch;

use crate::state_machine::wait_until;
use crate::types::TypeConfig;

/// How long to wait for a snapshot past the target, per attempt.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(30);
/// Snapshot attempts per target (a trigger while a snapshot is being built is ignored).
const SNAPSHOT_ATTEMPTS: usize = 3;
/// How long to wait for the log to be purged up to the target (a leader purges once no
/// follower is being sent the entries).
const PURGE_WAIT: Duration = Duration::from_secs(30);
/// Checkpoint attempts while readers hold an older view of the database.
const CHECKPOINT_ATTEMPTS: usize = 20;
/// The pause between checkpoint attempts, and before a failed erasure is tried again.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// Why one erasure did not finish (it is tried again).
#[derive(Debug, thiserror::Error)]
enum EraseError {
    /// Raft stopped.
    #[error("Raft stopped: {0}")]
    Stopped(String),
    /// No snapshot or purge reached the entry in time.
    #[error("the {what} did not reach log index {target} in time")]
    Late {
        /// A snapshot or the purge.
        what: &'static str,
        /// The log index.
        target: u64,
    },
    /// The checkpoint failed or stayed busy.
    #[error("the WAL checkpoint: {0}")]
    Checkpoint(String),
}

/// Erases, after every entry whose index `bidding_ended` publishes, for as long as Raft runs;
/// `erased_through` shows the last index erased.
pub(crate) async fn run(
    raft: Raft<TypeConfig>,
    pool: SqlitePool,
    mut bidding_ended: watch::Receiver<u64>,
    erased_through: IntGauge,
) {
    let mut erased = 0;
    loop {
        let Ok(target) = bidding_ended
            .wait_for(|index| *index > erased)
            .await
            .map(|index| *index)
        else {
            return;
        };
        match erase_through(&raft, &pool, target).await {
            Ok(()) => {
                erased = target;
                erased_through.set(i64::try_from(target).unwrap_or(i64::MAX));
                tracing::info!(log_index = target, "superseded envelopes erased");
            }
            Err(EraseError::Stopped(_)) => return,
            Err(error) => {
                tracing::warn!(%error, log_index = target, "erasing superseded envelopes: trying again");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}

/// A snapshot past `target`, the log purged up to it, the WAL checkpointed and truncated.
async fn erase_through(raft: &Raft<TypeConfig>, pool: &SqlitePool, target: u64) -> Result<(), EraseError> {
    snapshot_past(raft, target).await?;
    raft.trigger()
        .purge_log(target)
        .await
        .map_err(|error| EraseError::Stopped(error.to_string()))?;
    if !wait_until(
        raft.metrics(),
        |metrics| index_of(metrics.purged) >= Some(target),
        PURGE_WAIT,
    )
    .await
    {
        return Err(EraseError::Late { what: "purge", target });
    }
    truncate_wal(pool).await
}

/// Waits for a snapshot that covers `target`, triggering one as needed.
async fn snapshot_past(raft: &Raft<TypeConfig>, target: u64) -> Result<(), EraseError> {
    for _ in 0..SNAPSHOT_ATTEMPTS {
        if index_of(raft.metrics().borrow().snapshot) >= Some(target) {
            return Ok(());
        }
        raft.trigger()
            .snapshot()
            .await
            .map_err(|error| EraseError::Stopped(error.to_string()))?;
        if wait_until(
            raft.metrics(),
            |metrics| index_of(metrics.snapshot) >= Some(target),
            SNAPSHOT_WAIT,
        )
        .await
        {
            return Ok(());
        }
    }
    Err(EraseError::Late {
        what: "snapshot",
        target,
    })
}

/// A log id's index.
fn index_of(log_id: Option<openraft::LogId<u64>>) -> Option<u64> {
    log_id.map(|log_id| log_id.index)
}

/// Copies every WAL frame into the database and truncates the WAL to zero bytes, so the old
/// frames (which held the purged rows before they were overwritten) are gone; tried again while
/// a reader holds an older view.
async fn truncate_wal(pool: &SqlitePool) -> Result<(), EraseError> {
    for _ in 0..CHECKPOINT_ATTEMPTS {
        let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(pool)
            .await
            .map_err(|error| EraseError::Checkpoint(error.to_string()))?;
        let busy: i64 = row
            .try_get(0)
            .map_err(|error| EraseError::Checkpoint(error.to_string()))?;
        if busy == 0 {
            return Ok(());
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
    Err(EraseError::Checkpoint(format!(
        "still busy after {CHECKPOINT_ATTEMPTS} attempts"
    )))
}
