//! sealbid's replicated ledger: openraft, with its log, vote, state machine, audit-log nodes,
//! archive and snapshots in one SQLite database per node (sqlx, WAL, `synchronous = FULL`).
//!
//! Data flow: a client's ledger entry (stamped by the leader) is proposed to openraft; the
//! [`LogStore`] queues its entries for the node's one [`Writer`], which commits every write
//! waiting in one transaction, so one fsync carries many bids; once a majority has it, openraft hands committed entries to the
//! [`StateMachineStore`], which applies them to the ledger and answers each with a
//! [`LedgerReply`]. The state machine writes the audit log's new nodes and archived tenders
//! after every batch, and its snapshots carry the ledger state with the audit log's right edge.
//!
//! Nodes talk over mutual-TLS HTTPS ([`tls`], [`network`], [`server`]); a [`Replica`] takes a
//! command on any node, has the leader stamp and propose it, and answers once it is applied.

mod database;
pub mod history;
mod log_store;
pub mod network;
mod recent;
mod replica;
pub mod server;
mod state_machine;
pub mod tls;
mod types;
mod writer;

pub use database::{DatabaseError, open as open_database};
pub use log_store::LogStore;
pub use replica::{Replica, ReplicaConfig, ReplicaStatus, StartError, SubmitError};
pub use state_machine::{BufferedNodeStore, StateMachineStore};
pub use types::{LedgerReply, TypeConfig};
pub use writer::{WriteError, Writer};
