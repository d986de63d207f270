//! The crypto crate's integration tests: one binary, one module per area.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod committee;
mod envelope;
mod merkle;
mod notes_and_receipts;
mod protocol_examples;
mod support;
mod vectors;
