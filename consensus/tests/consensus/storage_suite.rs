//! openraft's own storage test suite against the SQLite log store and state machine, each
//! built on a fresh database file in a temporary folder.

use openraft::testing::{StoreBuilder, Suite};
use openraft::{StorageError, StorageIOError};
use sealbid_consensus::{LogStore, SnapshotFile, StateMachineStore, TypeConfig, Writer, open_database};

/// Builds both stores on a new database; the folder lives as long as the guard.
struct SqliteStoreBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachineStore, tempfile::TempDir> for SqliteStoreBuilder {
    async fn build(&self) -> Result<(tempfile::TempDir, LogStore, StateMachineStore), StorageError<u64>> {
        let folder = tempfile::tempdir().map_err(|error| StorageIOError::write(&error))?;
        let pool = open_database(&folder.path().join("node.sqlite"))
            .await
            .map_err(|error| StorageIOError::write(&error))?;
        let writer = Writer::start(pool.clone());
        let snapshot_file = SnapshotFile::beside(&folder.path().join("node.sqlite"));
        let state_machine = StateMachineStore::open(pool.clone(), writer.clone(), snapshot_file).await?;
        Ok((folder, LogStore::new(pool, writer), state_machine))
    }
}

#[test]
fn openraft_storage_suite_passes_on_sqlite() {
    Suite::test_all(SqliteStoreBuilder).unwrap();
}
