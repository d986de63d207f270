//! The consensus crate's integration tests: one binary, one module per area.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod cluster;
mod processes;
mod state_machine;
mod storage_suite;
mod support;
