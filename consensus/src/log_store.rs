//! openraft's log and vote in SQLite. Writes go through the node's [`Writer`]: an `append`
//! queues its entries and returns, the writer commits them with whatever else is waiting in one
//! transaction, and openraft's flush callback fires only after that commit. (openraft 0.9 waits
//! for that callback before it goes on, so on the leader one append is in flight at a time; the
//! batching comes from the other writes sharing the transaction and from followers receiving
//! many entries per AppendEntries.) The newest entries are also kept in memory
//! ([`RecentEntries`]): readers see them as soon as `append` returns, as openraft requires, and
//! the leader sends them to followers without reading them back from SQLite.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use openraft::storage::{LogFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::{EntryPayload, LogId, OptionalSend, RaftLogId, StorageError, StorageIOError, Vote};
use sqlx::{Row, SqlitePool};

use crate::recent::RecentEntries;
use crate::types::TypeConfig;
use crate::wire;
use crate::writer::{Completion, Statement, Value, WriteError, Writer};

/// The log entry type.
type Entry = openraft::Entry<TypeConfig>;

/// The `raft_meta` row holding the last purged log id.
const LAST_PURGED: &str = "last_purged_log_id";
/// The `raft_meta` row holding the last committed log id.
const COMMITTED: &str = "committed_log_id";

/// The newest entries, shared by the store's clones.
type Recent = Arc<Mutex<RecentEntries>>;

/// Ledger entries kept in memory in durable log entries: a few seconds of the bid-opening burst,
/// some 12 MiB of 3 KiB bids.
const RECENT_ENTRIES_MAX: usize = 4_096;

/// The Raft log on the node's database. Cloning shares the pool, the writer and the newest
/// entries.
#[derive(Debug, Clone)]
pub struct LogStore {
    /// The node's database, for reads.
    pool: SqlitePool,
    /// The node's one writer.
    writer: Writer,
    /// The newest entries, durable or still waiting for the writer.
    recent: Recent,
    /// The highest leader timestamp of any ledger entry appended to this log: a new leader
    /// stamps no lower, so timestamps never decrease along the log across leader changes.
    highest_timestamp_ms: Arc<AtomicU64>,
    /// The committed log index openraft last reported ([`u64::MAX`]: none yet), for
    /// readiness checks.
    committed_index: Arc<AtomicU64>,
}

impl LogStore {
    /// The log store reading from `pool` (already migrated) and writing through `writer`.
    pub fn new(pool: SqlitePool, writer: Writer) -> Self {
        Self {
            pool,
            writer,
            recent: Arc::new(Mutex::new(RecentEntries::new(RECENT_ENTRIES_MAX))),
            highest_timestamp_ms: Arc::default(),
            committed_index: Arc::new(AtomicU64::new(u64::MAX)),
        }
    }

    /// The log store as [`LogStore::new`], with the highest timestamp read from the log's last
    /// entries.
    pub async fn open(pool: SqlitePool, writer: Writer) -> Result<Self, StorageError<u64>> {
        let store = Self::new(pool, writer);
        let last: Vec<Entry> = {
            let rows = sqlx::query("SELECT entry FROM raft_log ORDER BY log_index DESC LIMIT 64")
                .fetch_all(&store.pool)
                .await
                .map_err(|error| StorageIOError::read_logs(&error))?;
            rows.iter()
                .map(|row| wire::decode(row.get::<&[u8], _>("entry")))
                .collect::<Result<_, _>>()
                .map_err(|error| StorageIOError::read_logs(&error))?
        };
        store.note_timestamps(&last);
        Ok(store)
    }

    /// The shared committed index ([`u64::MAX`]: none yet).
    pub fn committed_index(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.committed_index)
    }

    /// The shared highest timestamp.
    pub fn highest_timestamp_ms(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.highest_timestamp_ms)
    }

    /// Raises the highest timestamp to those of `entries`.
    fn note_timestamps<'a>(&self, entries: impl IntoIterator<Item = &'a Entry>) {
        for entry in entries {
            if let EntryPayload::Normal(batch) = &entry.payload {
                for ledger_entry in &batch.entries {
                    self.highest_timestamp_ms
                        .fetch_max(ledger_entry.timestamp_ms, Ordering::SeqCst);
                }
            }
        }
    }

    /// Reads a JSON value from `raft_meta`.
    async fn meta<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StorageError<u64>> {
        let row = sqlx::query("SELECT value FROM raft_meta WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StorageIOError::read(&error))?;
        row.map(|row| serde_json::from_str(row.get::<&str, _>("value")))
            .transpose()
            .map_err(|error| StorageIOError::read(&error).into())
    }
}

/// Sets a `raft_meta` row.
fn upsert_meta(name: &str, value: String) -> Statement {
    Statement::new(
        "INSERT INTO raft_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        vec![Value::Text(name.to_owned()), Value::Text(value)],
    )
}

/// The newest entries, even if a panicking holder poisoned the lock (every change to them is a
/// single step, so they stay consistent).
fn lock(recent: &Recent) -> std::sync::MutexGuard<'_, RecentEntries> {
    recent.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Converts a range of log indexes to `[start, end)`.
fn bounds<RB: RangeBounds<u64>>(range: &RB) -> (i64, i64) {
    let start = match range.start_bound() {
        Bound::Included(start) => *start,
        Bound::Excluded(start) => start.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(end) => end.saturating_add(1),
        Bound::Excluded(end) => *end,
        Bound::Unbounded => u64::MAX,
    };
    (to_sql(start), to_sql(end))
}

/// SQLite integers are signed; log indexes stay far below 2^63.
fn to_sql(index: u64) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError<u64>> {
        let waiting = {
            let recent = lock(&self.recent);
            if let Some(entries) = recent.covering(range.clone()) {
                return Ok(entries);
            }
            recent.in_range(range.clone())
        };
        // Memory first, then the database: an entry leaves memory only after its commit, so
        // in this order none can slip between the two reads.
        let (start, end) = bounds(&range);
        let rows = sqlx::query("SELECT entry FROM raft_log WHERE log_index >= ? AND log_index < ? ORDER BY log_index")
            .bind(start)
            .bind(end)
            .fetch_all(&self.pool)
            .await
            .map_err(|error| StorageIOError::read_logs(&error))?;
        let mut entries = BTreeMap::new();
        for row in &rows {
            let entry: Entry =
                wire::decode(row.get::<&[u8], _>("entry")).map_err(|error| StorageIOError::read_logs(&error))?;
            entries.insert(entry.get_log_id().index, entry);
        }
        entries.extend(waiting.into_iter().map(|entry| (entry.get_log_id().index, entry)));
        Ok(entries.into_values().collect())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<u64>> {
        let last_purged_log_id: Option<LogId<u64>> = self.meta(LAST_PURGED).await?;
        let waiting_last = lock(&self.recent).last_log_id();
        let row = sqlx::query("SELECT entry FROM raft_log ORDER BY log_index DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StorageIOError::read_logs(&error))?;
        let last_entry: Option<Entry> = row
            .map(|row| wire::decode(row.get::<&[u8], _>("entry")))
            .transpose()
            .map_err(|error| StorageIOError::read_logs(&error))?;
        let last_log_id = waiting_last
            .or(last_entry.map(|entry| *entry.get_log_id()))
            .or(last_purged_log_id);
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError<u64>> {
        let text = serde_json::to_string(vote).map_err(|error| StorageIOError::write_vote(&error))?;
        let statement = Statement::new(
            "INSERT INTO raft_vote (id, vote) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET vote = excluded.vote",
            vec![Value::Text(text)],
        );
        self.writer
            .write(vec![statement])
            .await
            .map_err(|error| StorageIOError::write_vote(&error).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError<u64>> {
        let row = sqlx::query("SELECT vote FROM raft_vote WHERE id = 0")
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StorageIOError::read_vote(&error))?;
        row.map(|row| serde_json::from_str(row.get::<&str, _>("vote")))
            .transpose()
            .map_err(|error| StorageIOError::read_vote(&error).into())
    }

    /// Queued without waiting: openraft does not need the committed id to be durable (a node
    /// that restarts with an older one learns the newer from the leader).
    async fn save_committed(&mut self, committed: Option<LogId<u64>>) -> Result<(), StorageError<u64>> {
        if let Some(committed) = committed {
            // Raise it from "none" (u64::MAX) or from a lower index; never lower it.
            let _ = self
                .committed_index
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |current| {
                    (current == u64::MAX || current < committed.index).then_some(committed.index)
                });
        }
        let text = serde_json::to_string(&committed).map_err(|error| StorageIOError::write(&error))?;
        self.writer
            .submit(vec![upsert_meta(COMMITTED, text)], None)
            .await
            .map_err(|error| StorageIOError::write(&error).into())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<u64>>, StorageError<u64>> {
        Ok(self.meta::<Option<LogId<u64>>>(COMMITTED).await?.flatten())
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageError<u64>>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut statements = Vec::new();
        let mut log_ids = Vec::new();
        let mut appended = Vec::new();
        for entry in entries {
            self.note_timestamps([&entry]);
            let bytes = wire::encode(&entry).map_err(|error| StorageIOError::write_logs(&error))?;
            let log_id = *entry.get_log_id();
            statements.push(Statement::row(
                "INSERT OR REPLACE INTO raft_log (log_index, entry) VALUES",
                vec![Value::Integer(to_sql(log_id.index)), Value::Blob(bytes)],
            ));
            log_ids.push(log_id);
            appended.push(entry);
        }
        lock(&self.recent).append(appended);
        let recent = Arc::clone(&self.recent);
        let completion: Completion = Box::new(move |result: Result<(), WriteError>| {
            if result.is_ok() {
                lock(&recent).mark_durable(&log_ids);
            }
            callback.log_io_completed(result.map_err(std::io::Error::other));
        });
        self.writer
            .submit(statements, Some(completion))
            .await
            .map_err(|error| StorageIOError::write_logs(&error).into())
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        lock(&self.recent).truncate(log_id.index);
        let statement = Statement::new(
            "DELETE FROM raft_log WHERE log_index >= ?",
            vec![Value::Integer(to_sql(log_id.index))],
        );
        self.writer
            .write(vec![statement])
            .await
            .map_err(|error| StorageIOError::write_logs(&error).into())
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        let text = serde_json::to_string(&log_id).map_err(|error| StorageIOError::write_logs(&error))?;
        lock(&self.recent).purge(log_id.index);
        let delete = Statement::new(
            "DELETE FROM raft_log WHERE log_index <= ?",
            vec![Value::Integer(to_sql(log_id.index))],
        );
        self.writer
            .write(vec![upsert_meta(LAST_PURGED, text), delete])
            .await
            .map_err(|error| StorageIOError::write_logs(&error).into())
    }
}
