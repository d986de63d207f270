//! openraft's log and vote in SQLite. One `append` is one transaction, so one fsync carries
//! every entry of the batch, and the flush callback fires only after the commit.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};

use openraft::storage::{LogFlushed, LogState, RaftLogReader, RaftLogStorage};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use openraft::{EntryPayload, LogId, OptionalSend, RaftLogId, StorageError, StorageIOError, Vote};
use sqlx::{Row, SqlitePool};

use crate::types::TypeConfig;

/// The log entry type.
type Entry = openraft::Entry<TypeConfig>;

/// The `raft_meta` row holding the last purged log id.
const LAST_PURGED: &str = "last_purged_log_id";
/// The `raft_meta` row holding the last committed log id.
const COMMITTED: &str = "committed_log_id";

/// The Raft log on the node's database. Cloning shares the pool.
#[derive(Debug, Clone)]
pub struct LogStore {
    /// The node's database.
    pool: SqlitePool,
    /// The highest leader timestamp of any ledger entry appended to this log: a new leader
    /// stamps no lower, so timestamps never decrease along the log across leader changes.
    highest_timestamp_ms: Arc<AtomicU64>,
}

impl LogStore {
    /// The log store on `pool` (already migrated).
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            highest_timestamp_ms: Arc::default(),
        }
    }

    /// The log store on `pool`, with the highest timestamp read from the log's last entries.
    pub async fn open(pool: SqlitePool) -> Result<Self, StorageError<u64>> {
        let store = Self::new(pool);
        let last: Vec<Entry> = {
            let rows = sqlx::query("SELECT entry FROM raft_log ORDER BY log_index DESC LIMIT 64")
                .fetch_all(&store.pool)
                .await
                .map_err(|error| StorageIOError::read_logs(&error))?;
            rows.iter()
                .map(|row| serde_json::from_str(row.get::<&str, _>("entry")))
                .collect::<Result<_, _>>()
                .map_err(|error| StorageIOError::read_logs(&error))?
        };
        store.note_timestamps(&last);
        Ok(store)
    }

    /// The shared highest timestamp.
    pub fn highest_timestamp_ms(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.highest_timestamp_ms)
    }

    /// Raises the highest timestamp to those of `entries`.
    fn note_timestamps<'a>(&self, entries: impl IntoIterator<Item = &'a Entry>) {
        for entry in entries {
            if let EntryPayload::Normal(ledger_entry) = &entry.payload {
                self.highest_timestamp_ms
                    .fetch_max(ledger_entry.timestamp_ms, Ordering::SeqCst);
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
async fn upsert_meta<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    name: &str,
    value: String,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO raft_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(executor)
    .await?;
    Ok(())
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
        let (start, end) = bounds(&range);
        let rows = sqlx::query("SELECT entry FROM raft_log WHERE log_index >= ? AND log_index < ? ORDER BY log_index")
            .bind(start)
            .bind(end)
            .fetch_all(&self.pool)
            .await
            .map_err(|error| StorageIOError::read_logs(&error))?;
        rows.iter()
            .map(|row| serde_json::from_str(row.get::<&str, _>("entry")))
            .collect::<Result<Vec<Entry>, _>>()
            .map_err(|error| StorageIOError::read_logs(&error).into())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<u64>> {
        let last_purged_log_id: Option<LogId<u64>> = self.meta(LAST_PURGED).await?;
        let row = sqlx::query("SELECT entry FROM raft_log ORDER BY log_index DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StorageIOError::read_logs(&error))?;
        let last_entry: Option<Entry> = row
            .map(|row| serde_json::from_str(row.get::<&str, _>("entry")))
            .transpose()
            .map_err(|error| StorageIOError::read_logs(&error))?;
        let last_log_id = last_entry.map(|entry| *entry.get_log_id()).or(last_purged_log_id);
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
        sqlx::query(
            "INSERT INTO raft_vote (id, vote) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET vote = excluded.vote",
        )
        .bind(text)
        .execute(&self.pool)
        .await
        .map_err(|error| StorageIOError::write_vote(&error))?;
        Ok(())
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

    async fn save_committed(&mut self, committed: Option<LogId<u64>>) -> Result<(), StorageError<u64>> {
        let text = serde_json::to_string(&committed).map_err(|error| StorageIOError::write(&error))?;
        upsert_meta(&self.pool, COMMITTED, text)
            .await
            .map_err(|error| StorageIOError::write(&error))?;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<u64>>, StorageError<u64>> {
        Ok(self.meta::<Option<LogId<u64>>>(COMMITTED).await?.flatten())
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageError<u64>>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let result = self.append_in_one_transaction(entries).await;
        match &result {
            Ok(()) => callback.log_io_completed(Ok(())),
            Err(error) => callback.log_io_completed(Err(std::io::Error::other(error.to_string()))),
        }
        result
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        sqlx::query("DELETE FROM raft_log WHERE log_index >= ?")
            .bind(to_sql(log_id.index))
            .execute(&self.pool)
            .await
            .map_err(|error| StorageIOError::write_logs(&error))?;
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        let text = serde_json::to_string(&log_id).map_err(|error| StorageIOError::write_logs(&error))?;
        let mut transaction = self
            .pool
            .begin()
            .await
            .map_err(|error| StorageIOError::write_logs(&error))?;
        upsert_meta(&mut *transaction, LAST_PURGED, text)
            .await
            .map_err(|error| StorageIOError::write_logs(&error))?;
        sqlx::query("DELETE FROM raft_log WHERE log_index <= ?")
            .bind(to_sql(log_id.index))
            .execute(&mut *transaction)
            .await
            .map_err(|error| StorageIOError::write_logs(&error))?;
        transaction
            .commit()
            .await
            .map_err(|error| StorageIOError::write_logs(&error))?;
        Ok(())
    }
}

impl LogStore {
    /// Writes a batch of entries in one transaction: one fsync for the whole batch.
    async fn append_in_one_transaction<I>(&mut self, entries: I) -> Result<(), StorageError<u64>>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut transaction = self
            .pool
            .begin()
            .await
            .map_err(|error| StorageIOError::write_logs(&error))?;
        for entry in entries {
            self.note_timestamps([&entry]);
            let text = serde_json::to_string(&entry).map_err(|error| StorageIOError::write_logs(&error))?;
            sqlx::query("INSERT OR REPLACE INTO raft_log (log_index, entry) VALUES (?, ?)")
                .bind(to_sql(entry.get_log_id().index))
                .bind(text)
                .execute(&mut *transaction)
                .await
                .map_err(|error| StorageIOError::write_logs(&error))?;
        }
        transaction
            .commit()
            .await
            .map_err(|error| StorageIOError::write_logs(&error))?;
        Ok(())
    }
}
