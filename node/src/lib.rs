//! The sealbid node: the only composition root. It owns the `sealbid` binary's settings
//! ([`settings`]: defaults, a TOML file, `SEALBID_` variables, flags), the data folder
//! ([`data_dir`]: database, certificates, operator and log keys) and
//! [`application::Application`], which wires the replica (`sealbid-consensus`), its
//! node-to-node RPC and the public API (`sealbid-api`) together; the participants' CLI
//! ([`participant`], [`committee`], [`supervisor_cli`]); signed [`checkpoints`] as their holders check them; and the
//! supervisor's [`audit`]: fetch the log, replay it; and the supervisor's [`witness`] of the
//! log. Nothing imports this crate.

pub mod application;
pub mod audit;
pub mod checkpoints;
pub mod client_limits;
pub mod cluster;
pub mod committee;
pub mod committee_cli;
pub mod data_dir;
pub mod ocds_cli;
pub mod participant;
pub mod participant_cli;
pub mod report_cli;
pub mod settings;
pub mod supervisor_cli;
pub mod witness;

pub use application::{Application, BuildError};
pub use settings::{Layer, Settings, SettingsError};
