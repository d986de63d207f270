//! The node's SQLite database: one file in WAL mode with `synchronous = FULL`, so that a
//! committed transaction has been fsynced before the call returns, and `secure_delete` on, so
//! that deleted rows (a purged Raft log that carried envelopes since erased) are overwritten
//! with zeros rather than left in free pages.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// How long a connection waits for another writer before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections in the pool: one writer at a time in SQLite, the others read.
const CONNECTIONS_MAX: u32 = 4;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// SQLite refused to open or configure the file.
    #[error("cannot open the database {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// SQLite's error.
        source: sqlx::Error,
    },
    /// The schema migrations failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Opens (creating if needed) and migrates the database at `path`.
pub async fn open(path: &Path) -> Result<SqlitePool, DatabaseError> {
    let open_error = |source| DatabaseError::Open {
        path: path.display().to_string(),
        source,
    };
    let options = SqliteConnectOptions::from_str("sqlite://")
        .map_err(open_error)?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .pragma("secure_delete", "on")
        .busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(CONNECTIONS_MAX)
        .connect_with(options)
        .await
        .map_err(open_error)?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}
