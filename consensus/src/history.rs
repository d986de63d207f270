//! The audit log's history on disk: every applied entry's canonical bytes (`audit_entry`) and
//! the Merkle tree's nodes (`audit_node`). Applying writes both as it goes; a node that caught
//! up through a snapshot has a hole below the snapshot's audit size, which it fills from a peer.
//! Fetched entries are checked before they are kept: each must be a ledger entry, and the tree
//! nodes rebuilt from them must equal every node already held (the snapshot's right edge among
//! them). The batch that completes a subtree held here is refused if it contradicts it; peers
//! are trusted not to lie (Raft's crash-fault model), this catches corruption and bugs. Not yet
//! handled: when a hole spans several batches and an earlier, unverifiable batch was wrong, the
//! batch that completes the subtree is refused on every retry (logged; the node keeps serving
//! and the hole stays) instead of the wrong rows being removed and fetched again.

use std::collections::BTreeMap;

use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::merkle::{Hash, leaf_hash, node_hash};
use sealbid_ledger::command::Source;
use sealbid_ledger::subject::Subject;
use sealbid_ledger::types::{Market, TenderId};
use sqlx::{Row, SqlitePool};

use crate::writer::{Statement, Value, WriteError, Writer};

/// Entries sent in one answer at most.
pub const ENTRIES_PER_FETCH_MAX: u64 = 1_000;

/// Why history could not be read or filled.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Reading the database failed.
    #[error("cannot read the audit history: {0}")]
    Read(#[from] sqlx::Error),
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A fetched entry is not a ledger entry.
    #[error("audit entry {index} from the peer is not a ledger entry: {reason}")]
    NotAnEntry {
        /// The entry's audit index.
        index: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A stored cosignature row is damaged.
    #[error("a stored cosignature {0}: the storage is damaged")]
    DamagedCosignature(String),
    /// The entries do not rebuild the tree this node holds.
    #[error("audit entries from the peer do not match this node's tree at level {level}, node {index}")]
    Mismatch {
        /// The node's level.
        level: u8,
        /// The node's index in its level.
        index: u64,
    },
    /// This node's rows for the entries it applied are not written yet (the writer is behind).
    #[error("this node has not written the rows of its first {size} audit entries yet; retry shortly")]
    NotWrittenYet {
        /// The audit size waited for.
        size: u64,
    },
    /// The peer sent other entries than those asked for.
    #[error("the peer answered with entries {got:?} for {wanted:?}")]
    WrongRange {
        /// The indexes asked for.
        wanted: (u64, u64),
        /// The indexes received.
        got: Vec<u64>,
    },
}

/// The statement that keeps one applied entry.
pub fn entry_row(audit_index: u64, bytes: Vec<u8>) -> Statement {
    Statement::row(
        "INSERT OR IGNORE INTO audit_entry (audit_index, entry) VALUES",
        vec![Value::Integer(to_sql(audit_index)), Value::Blob(bytes)],
    )
}

/// The statement that keeps the ledger's answer (JSON) to the entry at `audit_index`.
pub fn response_row(audit_index: u64, response: String) -> Statement {
    Statement::row(
        "INSERT OR IGNORE INTO command_response (audit_index, response) VALUES",
        vec![Value::Integer(to_sql(audit_index)), Value::Text(response)],
    )
}

/// The statement that keeps a notice (JSON) of the entry at `audit_index`.
pub fn notice_row(audit_index: u64, position: u16, notice: String) -> Statement {
    Statement::row(
        "INSERT OR IGNORE INTO notice (audit_index, position, notice) VALUES",
        vec![
            Value::Integer(to_sql(audit_index)),
            Value::Integer(i64::from(position)),
            Value::Text(notice),
        ],
    )
}

/// The statement that keeps the source address (and commitment salt) of the command at
/// `audit_index`.
pub fn source_row(audit_index: u64, source: &Source) -> Statement {
    Statement::row(
        "INSERT OR IGNORE INTO command_source (audit_index, address, salt) VALUES",
        vec![
            Value::Integer(to_sql(audit_index)),
            Value::Text(source.address.to_string()),
            Value::Blob(source.salt.to_vec()),
        ],
    )
}

/// The statement that keeps an entry this node applied, with what it concerns: its tender, or
/// the office an entry about no tender concerns (the tender's market and office are kept once,
/// by [`tender_subject_row`]).
pub fn applied_entry_row(audit_index: u64, bytes: Vec<u8>, subject: &Subject) -> Statement {
    let office = match (&subject.tender, &subject.office) {
        (None, Some(office)) => Value::Text(office.to_string()),
        _ => Value::Null,
    };
    Statement::row(
        "INSERT OR IGNORE INTO audit_entry (audit_index, entry, tender, office) VALUES",
        vec![
            Value::Integer(to_sql(audit_index)),
            Value::Blob(bytes),
            subject
                .tender
                .as_ref()
                .map_or(Value::Null, |tender| Value::Text(tender.to_string())),
            office,
        ],
    )
}

/// The statement that keeps a published tender's market and office.
pub fn tender_subject_row(tender: &TenderId, market: Market, office: &PublicKey) -> Statement {
    Statement::row(
        "INSERT OR IGNORE INTO tender_subject (tender, market, office) VALUES",
        vec![
            Value::Text(tender.to_string()),
            Value::Text(market_name(market)),
            Value::Text(office.to_string()),
        ],
    )
}

/// A market's name as the protocol writes it (`procurement`, …).
fn market_name(market: Market) -> String {
    match serde_json::to_value(market) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{market:?}"),
    }
}

/// An applied entry as supervisors watch it: its text, the ledger's answer and what it
/// concerns, when this node recorded them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedRow {
    /// Its audit index.
    pub index: u64,
    /// Its canonical text.
    pub entry: String,
    /// The ledger's answer (JSON); `None` for an entry taken from a peer's history.
    pub response: Option<String>,
    /// What it concerns; empty for an entry about nothing, or taken from a peer's history.
    pub subject: Subject,
}

/// The query of watched entries, up to its `WHERE`: each entry with the ledger's answer and its
/// tender's market and office ([`watched_row`] reads a row).
macro_rules! watched_entries {
    () => {
        "SELECT e.audit_index, e.entry, e.tender, e.office, r.response, \
         t.market AS tender_market, t.office AS tender_office FROM audit_entry e \
         LEFT JOIN command_response r ON r.audit_index = e.audit_index \
         LEFT JOIN tender_subject t ON t.tender = e.tender"
    };
}

/// The entries `[from, from + count)` held here (at most [`ENTRIES_PER_FETCH_MAX`]), as
/// supervisors watch them.
pub async fn read_watched(pool: &SqlitePool, from: u64, count: u64) -> Result<Vec<WatchedRow>, HistoryError> {
    let count = count.min(ENTRIES_PER_FETCH_MAX);
    let rows = sqlx::query(concat!(
        watched_entries!(),
        " WHERE e.audit_index >= ? AND e.audit_index < ? ORDER BY e.audit_index"
    ))
    .bind(to_sql(from))
    .bind(to_sql(from.saturating_add(count)))
    .fetch_all(pool)
    .await?;
    rows.iter().map(watched_row).collect()
}

/// The entries concerning `tender` from audit index `from` on (at most `count`, and at most
/// [`ENTRIES_PER_FETCH_MAX`]), in order, as supervisors watch them.
pub async fn read_timeline(
    pool: &SqlitePool,
    tender: &str,
    from: u64,
    count: u64,
) -> Result<Vec<WatchedRow>, HistoryError> {
    let count = count.min(ENTRIES_PER_FETCH_MAX);
    let rows = sqlx::query(concat!(
        watched_entries!(),
        " WHERE e.tender = ? AND e.audit_index >= ? ORDER BY e.audit_index LIMIT ?"
    ))
    .bind(tender)
    .bind(to_sql(from))
    .bind(to_sql(count))
    .fetch_all(pool)
    .await?;
    rows.iter().map(watched_row).collect()
}

/// One row of [`read_watched`] or [`read_timeline`].
fn watched_row(row: &sqlx::sqlite::SqliteRow) -> Result<WatchedRow, HistoryError> {
    let index = from_sql(row.get("audit_index"));
    let damaged = |reason: &str| HistoryError::NotAnEntry {
        index,
        reason: format!("{reason}: this node's storage is damaged"),
    };
    let entry: Vec<u8> = row.get("entry");
    let text = |column: &str| row.get::<Option<String>, _>(column);
    let tender = text("tender")
        .map(|tender| TenderId::parse(&tender).map_err(|_| damaged("its recorded tender is not a tender id")))
        .transpose()?;
    let market = text("tender_market")
        .map(|market| {
            serde_json::from_value(serde_json::Value::String(market))
                .map_err(|_| damaged("its tender's recorded market is not a market"))
        })
        .transpose()?;
    let office = text("office")
        .or_else(|| text("tender_office"))
        .map(|office| PublicKey::parse(&office).map_err(|_| damaged("its recorded office is not a key")))
        .transpose()?;
    Ok(WatchedRow {
        index,
        entry: String::from_utf8(entry).map_err(|_| damaged("its copy is not UTF-8"))?,
        response: row.get("response"),
        subject: Subject { tender, market, office },
    })
}

/// The sources of the commands at audit indexes `[from, from + count)` that this node recorded,
/// by index.
pub async fn read_sources(pool: &SqlitePool, from: u64, count: u64) -> Result<Vec<(u64, Source)>, HistoryError> {
    let rows = sqlx::query(
        "SELECT audit_index, address, salt FROM command_source WHERE audit_index >= ? AND audit_index < ? ORDER BY audit_index",
    )
    .bind(to_sql(from))
    .bind(to_sql(from.saturating_add(count)))
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let index = from_sql(row.get("audit_index"));
            let damaged = |reason: &str| HistoryError::NotAnEntry {
                index,
                reason: format!("its recorded source {reason}: this node's storage is damaged"),
            };
            let address: String = row.get("address");
            let salt: Vec<u8> = row.get("salt");
            Ok((
                index,
                Source {
                    address: address.parse().map_err(|_| damaged("is not an IP address"))?,
                    salt: salt.try_into().map_err(|_| damaged("has a salt of the wrong length"))?,
                },
            ))
        })
        .collect()
}

/// The ledger's answer (JSON) to the entry at `audit_index`, if this node applied it.
pub async fn read_response(pool: &SqlitePool, audit_index: u64) -> Result<Option<String>, HistoryError> {
    let row = sqlx::query("SELECT response FROM command_response WHERE audit_index = ?")
        .bind(to_sql(audit_index))
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|row| row.get("response")))
}

/// The statement that keeps one tree node.
pub fn node_row(level: u8, index: u64, hash: &Hash) -> Statement {
    Statement::row(
        "INSERT OR IGNORE INTO audit_node (level, node_index, hash) VALUES",
        vec![
            Value::Integer(i64::from(level)),
            Value::Integer(to_sql(index)),
            Value::Blob(hash.0.to_vec()),
        ],
    )
}

/// Entries `[from, from + count)` held here, in order (fewer if some are missing), with at most
/// [`ENTRIES_PER_FETCH_MAX`].
pub async fn read_entries(pool: &SqlitePool, from: u64, count: u64) -> Result<Vec<(u64, Vec<u8>)>, HistoryError> {
    let count = count.min(ENTRIES_PER_FETCH_MAX);
    let rows = sqlx::query(
        "SELECT audit_index, entry FROM audit_entry WHERE audit_index >= ? AND audit_index < ? ORDER BY audit_index",
    )
    .bind(to_sql(from))
    .bind(to_sql(from.saturating_add(count)))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|row| (from_sql(row.get("audit_index")), row.get("entry")))
        .collect())
}

/// The first run of missing entries in `[from, size)`, as `[start, end)`.
pub async fn first_hole(pool: &SqlitePool, from: u64, size: u64) -> Result<Option<(u64, u64)>, HistoryError> {
    if from >= size {
        return Ok(None);
    }
    // The first index in [from, size) whose entry is missing: `from`, or one past a held entry.
    let row = sqlx::query(
        "SELECT MIN(candidate) AS start FROM ( \
             SELECT ? AS candidate WHERE NOT EXISTS (SELECT 1 FROM audit_entry WHERE audit_index = ?) \
             UNION ALL \
             SELECT a.audit_index + 1 FROM audit_entry a WHERE a.audit_index >= ? AND a.audit_index + 1 < ? \
                 AND NOT EXISTS (SELECT 1 FROM audit_entry b WHERE b.audit_index = a.audit_index + 1))",
    )
    .bind(to_sql(from))
    .bind(to_sql(from))
    .bind(to_sql(from))
    .bind(to_sql(size))
    .fetch_one(pool)
    .await?;
    let Some(start) = row.get::<Option<i64>, _>("start") else {
        return Ok(None);
    };
    let start = from_sql(start);
    let next_held: Option<i64> = sqlx::query("SELECT MIN(audit_index) AS next FROM audit_entry WHERE audit_index > ?")
        .bind(to_sql(start))
        .fetch_one(pool)
        .await?
        .get("next");
    let end = next_held.map_or(size, from_sql).min(size);
    Ok((start < end).then_some((start, end)))
}

/// Checks `entries` (consecutive, from `wanted.0`) against this node's tree and keeps them
/// with the tree nodes they complete.
pub async fn fill(
    pool: &SqlitePool,
    writer: &Writer,
    wanted: (u64, u64),
    entries: Vec<(u64, Vec<u8>)>,
) -> Result<(), HistoryError> {
    let consecutive = entries
        .iter()
        .enumerate()
        .all(|(offset, (index, _))| Some(*index) == wanted.0.checked_add(offset as u64) && *index < wanted.1);
    if entries.is_empty() || !consecutive {
        return Err(HistoryError::WrongRange {
            wanted,
            got: entries.iter().map(|(index, _)| *index).collect(),
        });
    }
    let mut level: BTreeMap<u64, Hash> = BTreeMap::new();
    for (index, bytes) in &entries {
        sealbid_crypto::encoding::from_canonical::<sealbid_ledger::command::Entry>(bytes).map_err(|error| {
            HistoryError::NotAnEntry {
                index: *index,
                reason: error.to_string(),
            }
        })?;
        level.insert(*index, leaf_hash(bytes));
    }
    let mut statements: Vec<Statement> = entries
        .into_iter()
        .map(|(index, bytes)| entry_row(index, bytes))
        .collect();
    for height in 0..=63u8 {
        if level.is_empty() {
            break;
        }
        let held = held_nodes(pool, height, &level).await?;
        let mut parents = BTreeMap::new();
        for (&index, hash) in &level {
            if let Some(existing) = held.get(&index) {
                if existing != hash {
                    return Err(HistoryError::Mismatch { level: height, index });
                }
            } else {
                statements.push(node_row(height, index, hash));
            }
            let sibling = index ^ 1;
            let sibling_hash = level.get(&sibling).or_else(|| held.get(&sibling));
            if let Some(sibling_hash) = sibling_hash {
                let (left, right) = if index % 2 == 0 {
                    (hash, sibling_hash)
                } else {
                    (sibling_hash, hash)
                };
                parents.insert(index / 2, node_hash(&left.0, &right.0));
            }
        }
        level = parents;
    }
    writer.write(statements).await?;
    Ok(())
}

/// The nodes held at `height` among those in `level` and their siblings.
async fn held_nodes(
    pool: &SqlitePool,
    height: u8,
    level: &BTreeMap<u64, Hash>,
) -> Result<BTreeMap<u64, Hash>, HistoryError> {
    let (Some(first), Some(last)) = (level.keys().next(), level.keys().next_back()) else {
        return Ok(BTreeMap::new());
    };
    let rows =
        sqlx::query("SELECT node_index, hash FROM audit_node WHERE level = ? AND node_index >= ? AND node_index <= ?")
            .bind(i64::from(height))
            .bind(to_sql(first.saturating_sub(1)))
            .bind(to_sql(last.saturating_add(1)))
            .fetch_all(pool)
            .await?;
    let mut held = BTreeMap::new();
    for row in &rows {
        let bytes: Vec<u8> = row.get("hash");
        let index = from_sql(row.get("node_index"));
        let hash =
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| HistoryError::Mismatch { level: height, index })?;
        held.insert(index, Hash(hash));
    }
    Ok(held)
}

/// SQLite integers are signed; indexes stay far below 2^63.
fn to_sql(index: u64) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

/// The reverse of [`to_sql`]; negative values do not occur.
fn from_sql(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}
