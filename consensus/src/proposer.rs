//! The leader's batching: every ledger entry proposed on this node waits in one bounded queue,
//! and one task takes all that wait (up to [`BATCH_ENTRIES_MAX`] and about
//! [`BATCH_BYTES_MAX`]) into one Raft entry ([`EntryBatch`]), stamped once with the leader's
//! clock. At most [`BATCHES_IN_FLIGHT_MAX`] batches are between proposal and apply at once, so
//! while they replicate the next batch fills: under light load a command goes alone and at once,
//! under a burst one Raft round, one replication message and one fsync carry hundreds.
//!
//! Each ledger entry is still its own audit leaf with its own reply: applying a batch answers one
//! [`LedgerReply`] per entry, in order, and each waiting caller gets its own. A queue's order is
//! the log's order, so an entry queued after another is stamped and applied after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use openraft::Raft;
use openraft::error::ClientWriteError;
use prometheus::Histogram;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use sealbid_ledger::command::{Entry, EntryBody};

use crate::clock::Clock;
use crate::leadership;
use crate::replica::SubmitError;
use crate::state_machine::StateMachineStore;
use crate::types::{EntryBatch, LedgerReply, TypeConfig};

/// The most ledger entries in one Raft entry.
pub(crate) const BATCH_ENTRIES_MAX: usize = 1024;
/// A batch takes no further entry once it holds this many bytes of commands (so a batch is at
/// most this plus one command: see [`crate::server::SUBMIT_BYTES_MAX`]).
pub(crate) const BATCH_BYTES_MAX: usize = 1024 * 1024;
/// The most batches proposed and not yet applied at once.
const BATCHES_IN_FLIGHT_MAX: usize = 4;
/// The most ledger entries (audit leaves) the leader has proposed and not applied at once: a
/// node that has applied every entry it knows committed is at most about this far behind.
pub const ENTRIES_IN_FLIGHT_MAX: usize = BATCHES_IN_FLIGHT_MAX * BATCH_ENTRIES_MAX;
/// How long a batch may take from proposal to applied reply before its outcome is reported
/// unknown.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// What became of one proposed entry: its reply, or `None` when leadership moved before it
/// was answered (it may or may not be in the log: the caller sends it to the new leader, where
/// a command already applied is refused as a replay and answered with its earlier receipt).
pub(crate) type Proposed = Result<Option<LedgerReply>, SubmitError>;

/// One entry waiting to be proposed, with where its answer goes.
struct Proposal {
    /// The entry's body; the batch's stamp is its timestamp.
    body: EntryBody,
    /// The waiting caller.
    answer: oneshot::Sender<Proposed>,
}

/// The handle to the node's proposer task; dropping it ends the task once the queue is empty.
#[derive(Debug)]
pub(crate) struct Proposer {
    /// The queue, bounded: a caller waits for room.
    queue: mpsc::Sender<Proposal>,
}

/// What the proposer task needs to stamp and propose.
pub(crate) struct Stamping {
    /// This node.
    pub node_id: u64,
    /// openraft, to propose and to watch leadership.
    pub raft: Raft<TypeConfig>,
    /// The leader's clock.
    pub clock: Arc<dyn Clock>,
    /// The highest timestamp in the log (see [`crate::LogStore::highest_timestamp_ms`]).
    pub highest_timestamp_ms: Arc<AtomicU64>,
    /// The state machine: its clock floor and the ledger's arrival window.
    pub state_machine: StateMachineStore,
    /// Ledger entries per proposed batch.
    pub batch_entries: Histogram,
}

impl Proposer {
    /// Starts the proposer task with room for `queue_max` waiting entries.
    pub(crate) fn start(stamping: Stamping, queue_max: usize) -> Self {
        let (queue, receiver) = mpsc::channel(queue_max.max(1));
        tokio::spawn(run(stamping, receiver));
        Self { queue }
    }

    /// Proposes `body` in the next batch and waits for its reply.
    pub(crate) async fn propose(&self, body: EntryBody) -> Proposed {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Proposal { body, answer })
            .await
            .map_err(|_| SubmitError::Raft("this node's proposer has stopped".into()))?;
        answered
            .await
            .map_err(|_| SubmitError::Raft("this node's proposer dropped the command".into()))?
    }
}

/// The proposer task: a batch whenever entries wait and fewer than [`BATCHES_IN_FLIGHT_MAX`]
/// are in flight.
async fn run(stamping: Stamping, mut receiver: mpsc::Receiver<Proposal>) {
    let batches_in_flight = Arc::new(Semaphore::new(BATCHES_IN_FLIGHT_MAX));
    while let Some(first) = receiver.recv().await {
        let Ok(place) = Arc::clone(&batches_in_flight).acquire_owned().await else {
            return;
        };
        let proposals = take_waiting(first, &mut receiver, BATCH_ENTRIES_MAX, BATCH_BYTES_MAX, |proposal| {
            &proposal.body
        });
        propose_batch(&stamping, proposals, place).await;
    }
}

/// `first` and whatever else waits in `receiver`, without waiting: at most `count_max` items, and
/// no further item once they hold `bytes_max` bytes of bodies (see [`body_bytes`]).
pub(crate) fn take_waiting<Item>(
    first: Item,
    receiver: &mut mpsc::Receiver<Item>,
    count_max: usize,
    bytes_max: usize,
    body: impl Fn(&Item) -> &EntryBody,
) -> Vec<Item> {
    let mut bytes = body_bytes(body(&first));
    let mut items = vec![first];
    while items.len() < count_max && bytes < bytes_max {
        let Ok(next) = receiver.try_recv() else { break };
        bytes = bytes.saturating_add(body_bytes(body(&next)));
        items.push(next);
    }
    items
}

/// About how many bytes `body` adds to a batch or a forwarded request.
pub(crate) fn body_bytes(body: &EntryBody) -> usize {
    match body {
        EntryBody::Command(received) => received
            .signed
            .payload
            .len()
            .saturating_add(received.envelope.as_ref().map_or(0, |envelope| {
                envelope.ciphertext.len().saturating_add(envelope.ephemeral_key.len())
            }))
            .saturating_add(256),
        EntryBody::Genesis(_) | EntryBody::Close { .. } | EntryBody::Lapse(_) => 256,
    }
}

/// Stamps `proposals` with one timestamp and proposes them as one Raft entry; a task waits for
/// the reply and answers each caller. A command whose arrival stamp lies more than the
/// ledger's arrival window ahead of the stamp is answered [`SubmitError::ArrivalOutOfWindow`]
/// here, unproposed (the ledger would refuse it); a stamp behind it is never refused, however
/// long the command waited.
async fn propose_batch(stamping: &Stamping, proposals: Vec<Proposal>, place: OwnedSemaphorePermit) {
    let timestamp_ms = stamp(stamping);
    let window_ms = stamping.state_machine.arrival_window_ms();
    let mut entries = Vec::with_capacity(proposals.len());
    let mut answers = Vec::with_capacity(proposals.len());
    for Proposal { body, answer } in proposals {
        if let EntryBody::Command(received) = &body
            && received.arrival.received_at_ms > timestamp_ms.saturating_add(window_ms)
        {
            let _unheard = answer.send(Err(SubmitError::ArrivalOutOfWindow {
                node_id: received.arrival.node_id,
                received_at_ms: received.arrival.received_at_ms,
                leader_ms: timestamp_ms,
                window_ms,
            }));
            continue;
        }
        entries.push(Entry { timestamp_ms, body });
        answers.push(answer);
    }
    if entries.is_empty() {
        return;
    }
    #[allow(clippy::cast_precision_loss)] // at most BATCH_ENTRIES_MAX
    stamping.batch_entries.observe(entries.len() as f64);
    match stamping.raft.client_write_ff(EntryBatch { entries }).await {
        Ok(replied) => {
            let (raft, node_id) = (stamping.raft.clone(), stamping.node_id);
            tokio::spawn(async move {
                let _place = place;
                answer_all(answers, wait_reply(&raft, node_id, replied).await);
            });
        }
        Err(error) => answer_all(answers, Err(SubmitError::Raft(error.to_string()))),
    }
}

/// The receiver of one proposed batch's reply.
type Replied = oneshot::Receiver<openraft::raft::ClientWriteResult<TypeConfig>>;

/// Waits for a batch's replies; `Ok(None)` when leadership moved first. A leader deposed
/// meanwhile may never answer its proposals (one caught up through a snapshot drops them): it
/// stops waiting as soon as it knows it no longer leads.
async fn wait_reply(
    raft: &Raft<TypeConfig>,
    node_id: u64,
    replied: Replied,
) -> Result<Option<Vec<LedgerReply>>, SubmitError> {
    let outcome = tokio::select! {
        outcome = tokio::time::timeout(REPLY_TIMEOUT, replied) => outcome.map_err(|_| SubmitError::Unknown)?,
        () = leadership::lost(raft, node_id) => return Ok(None),
    };
    match outcome {
        Ok(Ok(response)) => Ok(Some(response.data)),
        Ok(Err(ClientWriteError::ForwardToLeader(_))) => Ok(None),
        Ok(Err(error)) => Err(SubmitError::Raft(error.to_string())),
        Err(error) => Err(SubmitError::Raft(error.to_string())),
    }
}

/// Gives each caller its reply (a caller that gave up is skipped).
fn answer_all(answers: Vec<oneshot::Sender<Proposed>>, outcome: Result<Option<Vec<LedgerReply>>, SubmitError>) {
    match outcome {
        Ok(Some(replies)) => {
            let count = replies.len();
            debug_assert_eq!(count, answers.len(), "one reply per entry of the batch");
            let mut replies = replies.into_iter();
            for answer in answers {
                let reply = replies.next().ok_or_else(|| {
                    SubmitError::Raft(format!(
                        "the batch was answered with {count} replies, fewer than its entries"
                    ))
                });
                let _unheard = answer.send(reply.map(Some));
            }
        }
        Ok(None) => answers.into_iter().for_each(|answer| {
            let _unheard = answer.send(Ok(None));
        }),
        Err(error) => answers.into_iter().for_each(|answer| {
            let _unheard = answer.send(Err(error.clone()));
        }),
    }
}

/// The leader's clock for the next batch: now, but never below a timestamp in the log or one
/// the ledger has seen (a log purged behind a snapshot keeps it only there).
fn stamp(stamping: &Stamping) -> u64 {
    let floor_ms = stamping.clock.now_ms().max(stamping.state_machine.clock_floor_ms());
    let previous = stamping.highest_timestamp_ms.fetch_max(floor_ms, Ordering::SeqCst);
    previous.max(floor_ms)
}
