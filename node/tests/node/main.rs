//! The node's integration tests: the real application (`Application::build`) on port 0 and a
//! temporary data folder, spoken to over real HTTPS.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod admission;
mod api;
mod audit;
mod cli;
mod cluster;
mod data_dir;
mod desks;
mod disclosure;
mod flood;
mod openapi;
mod portal;
mod publicity;
mod readme;
mod serve;
mod settings;
mod signed_reads;
mod supervision;
mod support;
mod tender;
mod witness;
