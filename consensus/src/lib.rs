//! sealbid's replicated ledger: openraft, with its log, vote, audit history, audit-log nodes and
//! archive in one SQLite database per node (sqlx, WAL, `synchronous = FULL`) and its current
//! snapshot in a file beside it.
//!
//! Data flow: the ledger entries waiting on the leader are proposed to openraft together, as one
//! log entry ([`EntryBatch`], stamped once by the leader); the [`LogStore`] queues log entries
//! (postcard, [`wire`]) for the node's one [`Writer`], which commits every write waiting in one
//! transaction, so one fsync carries many bids; once a majority has them, openraft hands
//! committed entries to the [`StateMachineStore`], which applies each batch's ledger entries in
//! order and answers each with a [`LedgerReply`]. After every batch the state machine queues the entries'
//! canonical bytes (the audit [`history`]), the audit log's new nodes and archived tenders; its
//! snapshots carry the ledger state with the audit log's right edge ([`SnapshotFile`]).
//!
//! Nodes talk over mutual-TLS HTTPS ([`tls`], [`network`], [`server`]); a [`Replica`] takes a
//! command on any node, and answers once it is applied. The receiving node admits it first
//! (a bound on commands in flight, the signature off the async threads, then the ledger's
//! admission checks against the state it has applied: what admission refuses never enters the log)
//! and stamps its arrival with its [`clock`]; a follower forwards the commands waiting for the
//! leader in one request; the leader checks each stamp against its own clock and proposes the
//! waiting entries as one batch. The path's metrics are [`ConsensusMetrics`]. The leader also closes each tender once its deadline plus
//! the arrival window has passed. A replica also fills the history a snapshot from a peer left
//! out, and, after each close, erases the envelopes of replaced and withdrawn bids from its
//! disk ([`eraser`]): a bid's envelope travels beside its command, outside the audit leaf.
//! Each node keeps the witnesses' cosignatures of its checkpoints that it received
//! ([`cosignatures`]).

pub mod clock;
pub mod cosignatures;
mod database;
mod eraser;
mod forwarder;
pub mod history;
mod leadership;
mod log_store;
mod metrics;
pub mod network;
pub mod proofs;
mod proposer;
mod recent;
mod replica;
pub mod server;
mod snapshot_file;
mod state_machine;
pub mod tls;
mod types;
pub mod wire;
mod writer;

pub use database::{DatabaseError, open as open_database};
pub use log_store::LogStore;
pub use metrics::ConsensusMetrics;
pub use proposer::ENTRIES_IN_FLIGHT_MAX;
pub use replica::{InFlight, Replica, ReplicaConfig, ReplicaStatus, StartError, SubmitError};
pub use snapshot_file::{SnapshotFile, SnapshotFileError};
pub use state_machine::{AppliedHead, AppliedView, BufferedNodeStore, StateMachineStore};
pub use types::{EntryBatch, LedgerReply, TypeConfig};
pub use writer::{WriteError, Writer};
