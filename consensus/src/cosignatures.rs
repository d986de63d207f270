//! The witnesses' cosignatures this node holds: each checked by the API before it is stored
//! (a supervisor's key, a valid cosignature, a checkpoint of this node's own tree), kept per
//! witness for its latest [`COSIGNATURES_PER_WITNESS_MAX`] tree sizes, and served appended to
//! the checkpoints of those sizes.

use sqlx::{Row, SqlitePool};

use sealbid_crypto::merkle::Hash;

use crate::history::HistoryError;
use crate::writer::{Statement, Value, Writer};

/// The tree sizes kept per witness: older cosignatures of a witness leave as newer come.
pub const COSIGNATURES_PER_WITNESS_MAX: i64 = 1_000;

/// One witness's cosignature of one checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCosignature {
    /// The witness's verifier key text.
    pub witness: String,
    /// The tree size co-signed.
    pub size: u64,
    /// The tree's root at that size.
    pub root: Hash,
    /// The note's signature line, with its newline.
    pub line: String,
}

/// A tree size as SQLite's integer (every one the log reaches is below 2^63).
fn integer(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Stores `cosignature` (replacing the witness's earlier one of the same size) and drops the
/// witness's cosignatures beyond its newest [`COSIGNATURES_PER_WITNESS_MAX`] sizes.
pub async fn store(writer: &Writer, cosignature: &StoredCosignature) -> Result<(), HistoryError> {
    let statements = vec![
        Statement::new(
            "INSERT OR REPLACE INTO cosignature (witness, size, root, line) VALUES (?, ?, ?, ?)",
            vec![
                Value::Text(cosignature.witness.clone()),
                Value::Integer(integer(cosignature.size)),
                Value::Blob(cosignature.root.0.to_vec()),
                Value::Text(cosignature.line.clone()),
            ],
        ),
        Statement::new(
            "DELETE FROM cosignature WHERE witness = ? AND size NOT IN \
             (SELECT size FROM cosignature WHERE witness = ? ORDER BY size DESC LIMIT ?)",
            vec![
                Value::Text(cosignature.witness.clone()),
                Value::Text(cosignature.witness.clone()),
                Value::Integer(COSIGNATURES_PER_WITNESS_MAX),
            ],
        ),
    ];
    writer.write(statements).await?;
    Ok(())
}

/// Every cosignature held of the tree of `size` leaves with `root`, in witness order.
pub async fn at(pool: &SqlitePool, size: u64, root: &Hash) -> Result<Vec<StoredCosignature>, HistoryError> {
    let rows =
        sqlx::query("SELECT witness, size, root, line FROM cosignature WHERE size = ? AND root = ? ORDER BY witness")
            .bind(integer(size))
            .bind(root.0.to_vec())
            .fetch_all(pool)
            .await?;
    rows.iter().map(stored).collect()
}

/// Each witness's newest cosignature, in witness order.
pub async fn latest(pool: &SqlitePool) -> Result<Vec<StoredCosignature>, HistoryError> {
    let rows = sqlx::query(
        "SELECT witness, size, root, line FROM cosignature AS held \
         WHERE size = (SELECT MAX(size) FROM cosignature WHERE witness = held.witness) ORDER BY witness",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(stored).collect()
}

/// A row as a cosignature; a damaged row is an error.
fn stored(row: &sqlx::sqlite::SqliteRow) -> Result<StoredCosignature, HistoryError> {
    let damaged = |reason: &str| HistoryError::DamagedCosignature(reason.to_owned());
    let root: Vec<u8> = row.try_get("root")?;
    let size: i64 = row.try_get("size")?;
    Ok(StoredCosignature {
        witness: row.try_get("witness")?,
        size: u64::try_from(size).map_err(|_| damaged("has a negative size"))?,
        root: Hash::from_slice(&root).map_err(|_| damaged("has a root that is not 32 bytes"))?,
        line: row.try_get("line")?,
    })
}
