//! The ledger crate's integration tests: one binary, one module per area.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod archive;
mod arrival;
mod awards;
mod calendar;
mod complaints;
mod disclosure;
mod dispositions;
mod envelopes;
mod objections;
mod ocds;
mod performance;
mod properties;
mod protocol_example;
mod readiness;
mod registration;
mod rejections;
mod source;
mod supervision;
mod support;
mod warnings;
