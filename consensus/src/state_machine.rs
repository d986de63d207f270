//! The replicated state machine: the ledger in memory; its audit history, audit-log nodes and
//! archived tenders in SQLite; and snapshots, in a file, that carry the ledger state with the
//! audit log's right edge.
//!
//! The ledger itself is not written on every apply: after a restart the node restores its last
//! snapshot and openraft re-applies the committed log after it. History rows, audit nodes and
//! archive records are queued on the node's [`Writer`] after every applied batch without waiting
//! for them (rewriting them on a re-apply is harmless: they are determined by the log). Before a
//! snapshot file is written, the state machine waits for an empty writer request: every row
//! queued before it is then durable, so a snapshot never exists without the rows it covers.

use std::convert::Infallible;
use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, EntryPayload, LogId, OptionalSend, SnapshotMeta, StorageError, StorageIOError, StoredMembership,
};
use prometheus::Histogram;
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;
use tokio::sync::{RwLock, watch};

use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::merkle::{Hash, NodeStore};
use sealbid_ledger::command::{EntryBody, Source};
use sealbid_ledger::events::AuditEvent;
use sealbid_ledger::subject::Subject;
use sealbid_ledger::tender::ArchiveRecord;
use sealbid_ledger::types::{Market, TenderId};
use sealbid_ledger::{ApplyError, Fatal, Ledger};

use crate::history;
use crate::snapshot_file::SnapshotFile;
use crate::types::{EntryBatch, LedgerReply, TypeConfig};
use crate::wire;
use crate::writer::{Statement, Value, Writer};

/// Audit-log nodes the ledger wrote and the database has not yet, shared with the store.
type PendingNodes = Arc<std::sync::Mutex<Vec<(u8, u64, Hash)>>>;

/// The ledger's node store: it holds the tree's right edge for reopening and buffers new nodes
/// until the state machine writes them to SQLite after each batch.
#[derive(Debug, Default)]
pub struct BufferedNodeStore {
    /// The right edge the tree was opened with.
    frontier: Vec<(u8, u64, Hash)>,
    /// Written by the tree, drained by the state machine.
    pending: PendingNodes,
}

impl NodeStore for BufferedNodeStore {
    type Error = Infallible;

    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, Infallible> {
        Ok(self
            .frontier
            .iter()
            .find(|node| node.0 == level && node.1 == index)
            .map(|node| node.2))
    }

    fn put_nodes(&mut self, nodes: &[(u8, u64, Hash)]) -> Result<(), Infallible> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(nodes);
        Ok(())
    }
}

/// What a snapshot holds.
#[derive(Debug, Serialize, Deserialize)]
struct SnapshotContents {
    /// The ledger state and the audit log's size.
    ledger: sealbid_ledger::Snapshot,
    /// The audit log's right edge, enough to keep appending.
    audit_frontier: Vec<(u8, u64, Hash)>,
}

/// The state machine's data, behind one lock.
#[derive(Debug)]
struct Data {
    /// The last log id applied.
    last_applied: Option<LogId<u64>>,
    /// The last membership applied.
    last_membership: StoredMembership<u64, BasicNode>,
    /// The ledger.
    ledger: Ledger<BufferedNodeStore>,
    /// The ledger's unwritten audit nodes.
    pending: PendingNodes,
    /// Numbers snapshot ids.
    snapshots_built: u64,
    /// The ledger's state hash as of the last applied batch or installed snapshot, once a
    /// reader has asked for it: computed at most once per batch (it costs a pass over the
    /// whole state), emptied by the next.
    state_hash: OnceLock<Hash>,
}

impl Data {
    /// A ledger restored from `contents` (or empty).
    fn restore(contents: Option<SnapshotContents>) -> Result<(Ledger<BufferedNodeStore>, PendingNodes), Fatal> {
        let pending = PendingNodes::default();
        let ledger = match contents {
            None => Ledger::new(BufferedNodeStore {
                frontier: Vec::new(),
                pending: Arc::clone(&pending),
            }),
            Some(contents) => {
                let store = BufferedNodeStore {
                    frontier: contents.audit_frontier,
                    pending: Arc::clone(&pending),
                };
                Ledger::restore(contents.ledger, store)?
            }
        };
        Ok((ledger, pending))
    }
}

/// What readers take after each applied batch (or installed snapshot) without the ledger's
/// lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedView {
    /// Entries in the audit log.
    pub audit_size: u64,
    /// The audit log's root.
    pub audit_root: Hash,
    /// Sealed bids held in open tenders.
    pub bids: usize,
}

impl AppliedView {
    /// The view of `ledger`.
    fn of(ledger: &Ledger<BufferedNodeStore>) -> Self {
        Self {
            audit_size: ledger.audit().size(),
            audit_root: ledger.audit().root(),
            bids: ledger.state().tenders.values().map(|tender| tender.bid_count).sum(),
        }
    }
}

/// The audit head with the ledger's state hash, all of one applied batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedHead {
    /// The audit log's size, root and bids.
    pub view: AppliedView,
    /// The state hash (docs/protocol.md §6.1).
    pub state_hash: Hash,
}

/// What one applied batch (or an installed snapshot) writes.
#[derive(Debug, Default)]
struct Rows {
    /// History: each applied entry's canonical bytes by audit index, with what it concerns.
    entries: Vec<(u64, Vec<u8>, Subject)>,
    /// The ledger's answer (JSON) to each, for answering a command sent again.
    responses: Vec<(u64, String)>,
    /// The source address of each command that carries one (for supervisors).
    sources: Vec<(u64, Source)>,
    /// Each tender published: its market and office (for supervisors' filters).
    published: Vec<(TenderId, Market, PublicKey)>,
    /// Audit-log nodes drained from the ledger's buffer.
    nodes: Vec<(u8, u64, Hash)>,
    /// Tenders that became final.
    archived: Vec<ArchiveRecord>,
    /// The information service's notices.
    notices: Vec<sealbid_ledger::notices::Notice>,
}

/// The state machine on the node's database. Cloning shares it.
#[derive(Debug, Clone)]
pub struct StateMachineStore {
    /// The node's database, for reads.
    pool: SqlitePool,
    /// The node's one writer.
    writer: Writer,
    /// Where the current snapshot is kept.
    snapshot_file: SnapshotFile,
    /// The ledger and openraft's bookkeeping. Apply and installs write; queries and admission
    /// read, side by side (a mutex made every reader queue behind every other, and apply
    /// behind them all).
    data: Arc<RwLock<Data>>,
    /// The ledger's last-seen timestamp, published after every batch and install, so that the
    /// leader's clock can read its floor without waiting for the lock.
    clock_floor_ms: Arc<AtomicU64>,
    /// The audit log's size and root as of the last applied batch or installed snapshot,
    /// published so that reading them needs no lock and waiting for an entry to be applied is a
    /// notification.
    view: Arc<watch::Sender<AppliedView>>,
    /// The ledger's arrival window (genesis configuration), published likewise: the leader
    /// checks every command's arrival stamp against it while it holds the stamping lock.
    arrival_window_ms: Arc<AtomicU64>,
    /// The audit size of the last snapshot restored or installed: every entry below it must
    /// be in the history, and one installed from a peer may leave a hole to fill.
    history_size: Arc<AtomicU64>,
    /// Every history row below this audit index has been written (or belongs to a hole a
    /// snapshot left, which the filler fills): readers wait for it (notified) instead of the
    /// writer.
    history_written: Arc<watch::Sender<u64>>,
    /// Seconds per apply, when the node measures them.
    apply_seconds: Option<Histogram>,
    /// The Raft log index of the last entry applied (or snapshot installed) that ended a
    /// tender's bidding: after it, the node erases superseded envelopes ([`crate::eraser`]).
    bidding_ended: Arc<watch::Sender<u64>>,
}

impl StateMachineStore {
    /// The same store, observing every apply's seconds in `apply_seconds`.
    pub fn measured(mut self, apply_seconds: Histogram) -> Self {
        self.apply_seconds = Some(apply_seconds);
        self
    }

    /// Opens the state machine reading from `pool`, writing through `writer` and keeping its
    /// snapshot in `snapshot_file`: the last snapshot, if any, restored.
    pub async fn open(
        pool: SqlitePool,
        writer: Writer,
        snapshot_file: SnapshotFile,
    ) -> Result<Self, StorageError<u64>> {
        let stored = snapshot_file
            .load()
            .await
            .map_err(|error| StorageIOError::read_snapshot(None, &error))?;
        let (meta, contents) = match stored {
            None => (None, None),
            Some((meta, bytes)) => {
                let contents: SnapshotContents =
                    wire::decode_named(&bytes).map_err(|error| StorageIOError::read_snapshot(None, &error))?;
                (Some(meta), Some(contents))
            }
        };
        let (ledger, pending) = Data::restore(contents).map_err(|error| StorageIOError::read_snapshot(None, &error))?;
        // A node stopped between a close and its erasure finishes it after a restart: the
        // eraser starts from the restored snapshot.
        let restored_index = meta
            .as_ref()
            .and_then(|meta| meta.last_log_id)
            .map_or(0, |log_id| log_id.index);
        let data = Data {
            last_applied: meta.as_ref().and_then(|meta| meta.last_log_id),
            last_membership: meta.map(|meta| meta.last_membership).unwrap_or_default(),
            ledger,
            pending,
            snapshots_built: 0,
            state_hash: OnceLock::new(),
        };
        let clock_floor_ms = Arc::new(AtomicU64::new(data.ledger.last_seen_timestamp_ms()));
        let view = Arc::new(watch::Sender::new(AppliedView::of(&data.ledger)));
        let arrival_window_ms = Arc::new(AtomicU64::new(data.ledger.state().config().arrival_window_ms));
        let history_size = Arc::new(AtomicU64::new(data.ledger.audit().size()));
        let history_written = Arc::new(watch::Sender::new(data.ledger.audit().size()));
        Ok(Self {
            pool,
            writer,
            snapshot_file,
            data: Arc::new(RwLock::new(data)),
            clock_floor_ms,
            view,
            arrival_window_ms,
            history_size,
            history_written,
            apply_seconds: None,
            bidding_ended: Arc::new(watch::Sender::new(restored_index)),
        })
    }

    /// The ledger's last-seen timestamp as of the last applied batch or installed snapshot.
    pub fn clock_floor_ms(&self) -> u64 {
        self.clock_floor_ms.load(Ordering::SeqCst)
    }

    /// The audit log's size as of the last applied batch or installed snapshot.
    pub fn audit_size(&self) -> u64 {
        self.view.borrow().audit_size
    }

    /// The audit log's size, root and bids as of the last applied batch or installed snapshot.
    pub fn view(&self) -> AppliedView {
        *self.view.borrow()
    }

    /// The audit head and state hash of the last applied batch or installed snapshot. The hash
    /// is computed by the first caller after each batch (off the async threads, with apply
    /// waiting meanwhile) and read by every other.
    pub async fn head(&self) -> AppliedHead {
        let data = Arc::clone(&self.data).read_owned().await;
        let view = AppliedView::of(&data.ledger);
        if let Some(state_hash) = data.state_hash.get() {
            return AppliedHead {
                view,
                state_hash: *state_hash,
            };
        }
        let computed =
            tokio::task::spawn_blocking(move || *data.state_hash.get_or_init(|| data.ledger.state_hash())).await;
        match computed {
            Ok(state_hash) => AppliedHead { view, state_hash },
            // The computation panicked: propagate, as it would have on this thread.
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }

    /// Notified with the Raft log index of each applied entry that ended a tender's bidding
    /// (its close or cancellation), and of each installed snapshot.
    pub fn bidding_ended(&self) -> watch::Receiver<u64> {
        self.bidding_ended.subscribe()
    }

    /// The ledger's arrival window as of the last applied batch or installed snapshot.
    pub fn arrival_window_ms(&self) -> u64 {
        self.arrival_window_ms.load(Ordering::SeqCst)
    }

    /// The audit size below which this node must hold every history entry (see
    /// [`crate::history`]).
    pub fn history_size(&self) -> u64 {
        self.history_size.load(Ordering::SeqCst)
    }

    /// Waits until every history row below `size` is written, for at most `timeout`; whether
    /// they are.
    pub async fn wait_history_written(&self, size: u64, timeout: std::time::Duration) -> bool {
        wait_until(self.history_written.subscribe(), |written| *written >= size, timeout).await
    }

    /// Waits until the applied audit log holds more than `audit_index` entries, for at most
    /// `timeout`; whether it does.
    pub async fn wait_applied(&self, audit_index: u64, timeout: std::time::Duration) -> bool {
        let size = audit_index.saturating_add(1);
        wait_until(self.view.subscribe(), |view| view.audit_size >= size, timeout).await
    }

    /// The node's database, for reading history.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The node's writer, for filling history.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Runs `read` on the ledger (for queries).
    pub async fn read<T>(&self, read: impl FnOnce(&Ledger<BufferedNodeStore>) -> T) -> T {
        read(&self.data.read().await.ledger)
    }

    /// Publishes what readers take without the lock: the applied view and the arrival window.
    fn publish(&self, ledger: &Ledger<BufferedNodeStore>) {
        self.view.send_replace(AppliedView::of(ledger));
        self.arrival_window_ms
            .store(ledger.state().config().arrival_window_ms, Ordering::SeqCst);
    }

    /// Queues a batch's rows; with `wait`, returns once they are durable.
    async fn write_batch(&self, rows: Rows, wait: bool) -> Result<(), StorageError<u64>> {
        let Rows {
            entries,
            responses,
            sources,
            published,
            nodes,
            archived,
            notices,
        } = rows;
        if entries.is_empty() && nodes.is_empty() && archived.is_empty() {
            return Ok(());
        }
        let entries_end = entries.iter().map(|(index, _, _)| index.saturating_add(1)).max();
        let mut statements = Vec::with_capacity(entries.len() + responses.len() + nodes.len() + archived.len());
        statements.extend(
            entries
                .into_iter()
                .map(|(index, bytes, subject)| history::applied_entry_row(index, bytes, &subject)),
        );
        statements.extend(
            responses
                .into_iter()
                .map(|(index, response)| history::response_row(index, response)),
        );
        statements.extend(
            sources
                .iter()
                .map(|(index, source)| history::source_row(*index, source)),
        );
        statements.extend(
            published
                .iter()
                .map(|(tender, market, office)| history::tender_subject_row(tender, *market, office)),
        );
        statements.extend(
            nodes
                .iter()
                .map(|(level, index, hash)| history::node_row(*level, *index, hash)),
        );
        for record in archived {
            let text = serde_json::to_string(&record).map_err(|error| write_failed(&error))?;
            statements.push(Statement::row(
                "INSERT OR REPLACE INTO archive (tender, record) VALUES",
                vec![Value::Text(record.tender.id.to_string()), Value::Text(text)],
            ));
        }
        for notice in notices {
            let text = serde_json::to_string(&notice).map_err(|error| write_failed(&error))?;
            statements.push(history::notice_row(notice.audit_index, notice.position, text));
        }
        let written_size = entries_end;
        let history_written = Arc::clone(&self.history_written);
        let result = if wait {
            self.writer.write(statements).await
        } else {
            let completion: crate::writer::Completion = Box::new(move |result| {
                if let (Ok(()), Some(size)) = (result, written_size) {
                    raise(&history_written, size);
                }
            });
            self.writer.submit(statements, Some(completion)).await
        };
        result.map_err(|error| write_failed(&error))
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachineStore {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<u64>> {
        // Copy under the lock, serialise and write without it, so apply goes on meanwhile.
        let (contents, meta) = {
            let mut data = self.data.write().await;
            data.snapshots_built += 1;
            let contents = SnapshotContents {
                ledger: data.ledger.snapshot(),
                audit_frontier: data.ledger.audit().frontier(),
            };
            let index = data.last_applied.map_or(0, |log_id| log_id.index);
            let meta = SnapshotMeta {
                last_log_id: data.last_applied,
                last_membership: data.last_membership.clone(),
                snapshot_id: format!("{index}-{}", data.snapshots_built),
            };
            (contents, meta)
        };
        // The copy shares the bids' bytes with the state (`Bid` holds them in `Arc`s), and the
        // encoding goes straight into the file: a snapshot costs little more memory than the
        // state's structure, never the state again and its encoding beside it.
        self.durable_so_far().await?;
        self.snapshot_file
            .save_with(&meta, move |file| {
                wire::encode_named_into(file, &contents).map_err(std::io::Error::other)
            })
            .await
            .map_err(|error| StorageIOError::write_snapshot(None, &error))?;
        // openraft keeps only the metadata of a snapshot built (0.9's state-machine worker
        // answers `BuildSnapshot(meta)`); to send one, it reads `get_current_snapshot`, from the
        // file.
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(Vec::new())),
        })
    }
}

impl StateMachineStore {
    /// Makes `bytes` the current snapshot, once every row queued before it is durable (the
    /// audit nodes, history and archive records of the entries it covers).
    async fn save_snapshot(
        &self,
        meta: &SnapshotMeta<u64, BasicNode>,
        bytes: Arc<Vec<u8>>,
    ) -> Result<(), StorageError<u64>> {
        self.durable_so_far().await?;
        self.snapshot_file
            .save(meta, bytes)
            .await
            .map_err(|error| StorageIOError::write_snapshot(None, &error).into())
    }

    /// Returns once every row queued so far is durable: a snapshot saved after it never covers
    /// entries whose audit nodes, history or archive records could still be lost.
    async fn durable_so_far(&self) -> Result<(), StorageError<u64>> {
        self.writer
            .write(Vec::new())
            .await
            .map_err(|error| StorageIOError::write_snapshot(None, &error).into())
    }
}

/// Applies the ledger entries of one Raft entry in order, adding the rows they leave to `rows`:
/// one reply each, and whether one of them ended a tender's bidding.
fn apply_batch(
    ledger: &mut Ledger<BufferedNodeStore>,
    batch: &EntryBatch,
    rows: &mut Rows,
) -> Result<(Vec<LedgerReply>, bool), Box<StorageError<u64>>> {
    let mut replies = Vec::with_capacity(batch.entries.len());
    let mut bidding_ended = false;
    for ledger_entry in &batch.entries {
        replies.push(match ledger.apply(ledger_entry) {
            Ok(applied) => {
                bidding_ended |= applied.events.iter().any(|event| {
                    matches!(
                        event,
                        AuditEvent::TenderClosed { .. } | AuditEvent::TenderCancelled { .. }
                    )
                });
                rows.archived.extend(applied.archived);
                rows.notices.extend(applied.notices);
                let response =
                    serde_json::to_string(&applied.response).map_err(|error| Box::new(write_failed(&error)))?;
                rows.responses.push((applied.audit_index, response));
                if let EntryBody::Command(received) = &ledger_entry.body
                    && let Some(source) = received.arrival.source
                {
                    rows.sources.push((applied.audit_index, source));
                }
                let entry =
                    String::from_utf8(applied.entry_bytes.clone()).map_err(|error| Box::new(write_failed(&error)))?;
                if let (sealbid_ledger::events::Response::TenderPublished { tender }, Some(market), Some(office)) =
                    (&applied.response, applied.subject.market, applied.subject.office)
                {
                    rows.published.push((tender.clone(), market, office));
                }
                rows.entries
                    .push((applied.audit_index, applied.entry_bytes, applied.subject));
                LedgerReply::Applied {
                    response: applied.response,
                    audit_index: applied.audit_index,
                    leaf_hash: applied.leaf_hash,
                    entry,
                }
            }
            Err(ApplyError::Rejected(rejection)) => LedgerReply::rejected(&rejection),
            Err(ApplyError::Fatal(fatal)) => return Err(Box::new(StorageIOError::write_state_machine(&fatal).into())),
        });
    }
    Ok((replies, bidding_ended))
}

impl RaftStateMachine<TypeConfig> for StateMachineStore {
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, BasicNode>), StorageError<u64>> {
        let data = self.data.read().await;
        Ok((data.last_applied, data.last_membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Vec<LedgerReply>>, StorageError<u64>>
    where
        I: IntoIterator<Item = openraft::Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let _timer = self.apply_seconds.as_ref().map(Histogram::start_timer);
        let mut replies = Vec::new();
        let mut rows = Rows::default();
        // The batch's audit nodes and archive records are queued before the lock is released,
        // so a snapshot (queued later) never becomes durable without them.
        let mut data = self.data.write().await;
        let mut bidding_ended = None;
        for entry in entries {
            data.last_applied = Some(entry.log_id);
            replies.push(match entry.payload {
                EntryPayload::Blank => Vec::new(),
                EntryPayload::Membership(membership) => {
                    data.last_membership = StoredMembership::new(Some(entry.log_id), membership);
                    Vec::new()
                }
                EntryPayload::Normal(batch) => {
                    let (batch_replies, ended) =
                        apply_batch(&mut data.ledger, &batch, &mut rows).map_err(|error| *error)?;
                    if ended {
                        bidding_ended = Some(entry.log_id.index);
                    }
                    batch_replies
                }
            });
        }
        data.state_hash = OnceLock::new();
        rows.nodes = std::mem::take(&mut *data.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        self.write_batch(rows, false).await?;
        self.clock_floor_ms
            .fetch_max(data.ledger.last_seen_timestamp_ms(), Ordering::SeqCst);
        self.publish(&data.ledger);
        drop(data);
        if let Some(index) = bidding_ended {
            raise(&self.bidding_ended, index);
        }
        Ok(replies)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError<u64>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<u64>> {
        let bytes = snapshot.into_inner();
        let signature = Some(meta.signature());
        let contents: SnapshotContents =
            wire::decode_named(&bytes).map_err(|error| StorageIOError::read_snapshot(signature.clone(), &error))?;
        let frontier = contents.audit_frontier.clone();
        let (ledger, pending) =
            Data::restore(Some(contents)).map_err(|error| StorageIOError::read_snapshot(signature.clone(), &error))?;
        self.write_batch(
            Rows {
                nodes: frontier,
                ..Rows::default()
            },
            true,
        )
        .await?;
        self.save_snapshot(meta, Arc::new(bytes)).await?;
        let mut data = self.data.write().await;
        data.ledger = ledger;
        data.pending = pending;
        data.state_hash = OnceLock::new();
        data.last_applied = meta.last_log_id;
        data.last_membership = meta.last_membership.clone();
        self.clock_floor_ms
            .fetch_max(data.ledger.last_seen_timestamp_ms(), Ordering::SeqCst);
        self.history_size
            .fetch_max(data.ledger.audit().size(), Ordering::SeqCst);
        raise(&self.history_written, data.ledger.audit().size());
        self.publish(&data.ledger);
        drop(data);
        // The log this node held before the snapshot is purged behind it: erase its traces.
        if let Some(log_id) = meta.last_log_id {
            raise(&self.bidding_ended, log_id.index);
        }
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError<u64>> {
        let stored = self
            .snapshot_file
            .load()
            .await
            .map_err(|error| StorageIOError::read_snapshot(None, &error))?;
        Ok(stored.map(|(meta, data)| Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}

/// Raises `value` to `to` if it is lower, notifying its waiters.
fn raise(value: &watch::Sender<u64>, to: u64) {
    value.send_if_modified(|current| {
        let raised = to > *current;
        *current = (*current).max(to);
        raised
    });
}

/// Waits until the value `receiver` watches is `reached`, for at most `timeout`; whether it is.
pub(crate) async fn wait_until<T>(
    mut receiver: watch::Receiver<T>,
    reached: impl FnMut(&T) -> bool,
    timeout: std::time::Duration,
) -> bool {
    tokio::time::timeout(timeout, receiver.wait_for(reached))
        .await
        .is_ok_and(|reached| reached.is_ok())
}

/// A state-machine write error for openraft.
fn write_failed<E: std::error::Error + 'static>(error: &E) -> StorageError<u64> {
    StorageIOError::write_state_machine(error).into()
}
