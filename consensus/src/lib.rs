//! sealbid's replicated ledger: openraft, with its log, vote, state machine, audit-log nodes,
//! archive and snapshots in one SQLite database per node (sqlx, WAL, `synchronous = FULL`).
//!
//! Data flow: a client's ledger entry (stamped by the leader) is proposed to openraft; the
//! [`LogStore`] appends each batch of entries in one transaction, so one fsync carries many
//! bids; once a majority has it, openraft hands committed entries to the
//! [`StateMachineStore`], which applies them to the ledger and answers each with a
//! [`LedgerReply`]. The state machine writes the audit log's new nodes and archived tenders
//! after every batch, and its snapshots carry the ledger state with the audit log's right edge.
//!
//! This crate holds the storage layer so far; node-to-node RPC, the client path and membership
//! changes come with the cluster tests.

mod database;
mod log_store;
mod state_machine;
mod types;

pub use database::{DatabaseError, open as open_database};
pub use log_store::LogStore;
pub use state_machine::{BufferedNodeStore, StateMachineStore};
pub use types::{LedgerReply, TypeConfig};
