//! The sealbid node: the only composition root. It owns the `sealbid` binary's settings
//! ([`settings`]: defaults, a TOML file, `SEALBID_` variables, flags), the data folder
//! ([`data_dir`]: database, certificates, operator and log keys) and
//! [`application::Application`], which wires the replica (`sealbid-consensus`), its
//! node-to-node RPC and the public API (`sealbid-api`) together; the participants' CLI
//! ([`participant`], [`committee`], [`supervisor_cli`]); signed [`checkpoints`] as their holders check them; and the
//! supervisor's [`audit`]: fetch the log, replay it; and the supervisor's [`witness`] of the
//! log; the CLI's [`tender_cli`] reads of tenders, the sentences it prints on success
//! ([`outcome`], with [`display`] for times and money) and on failure ([`failure`]: a class and
//! exit code, a sentence and a hint). Nothing imports this crate.

pub mod application;
pub mod audit;
pub mod checkpoints;
pub mod client_limits;
pub mod cluster;
pub mod committee;
pub mod committee_cli;
pub mod data_dir;
pub mod display;
pub mod failure;
pub mod node_metrics;
pub mod ocds_cli;
pub mod outcome;
pub mod participant;
pub mod participant_cli;
pub mod report_cli;
pub mod settings;
pub mod supervisor_cli;
pub mod tender_cli;
pub mod witness;

pub use application::{Application, BuildError};
pub use settings::{Layer, Settings, SettingsError};
