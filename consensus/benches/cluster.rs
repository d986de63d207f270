//! The cluster benchmark: three `sealbid-replica` processes (release build) on 127.0.0.1, one
//! tender of 100 lots, 1,000 bidders; 100,000 sealed bids (padded to 256 bytes) submitted by 1, 64 and 256
//! concurrent writers; committed bids per second and commit latency (from the request's send
//! to its reply, so queueing inside a writer does not hide latency), each node's resident memory
//! before, after the bids and after the tender is opened and made final, and the databases' size.
//! A construction award waits days for its candidate publicity, so the office cancels the
//! opened tender instead: that archives it as the award does.
//! Figures and method: consensus/BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    missing_docs,
    dead_code,
    unused_imports
)]

#[path = "../tests/consensus/processes.rs"]
mod processes;
#[path = "../tests/consensus/support.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use processes::{Cluster, Scene, applied, now_ms};
use ring::rand::SystemRandom;
use sealbid_consensus::LedgerReply;
use sealbid_crypto::dkg::{finish, member_share};
use sealbid_crypto::seal::{SealContext, seal_offer};
use sealbid_ledger::command::Action;
use sealbid_ledger::events::Response;
use sealbid_ledger::types::LotId;

/// Lots × bidders = bids.
const LOTS: usize = 100;
const BIDDERS: usize = 1_000;
/// The size of each offer before it is padded (every offer is padded to the suite's 256 bytes).
const OFFER_BYTES: usize = 200;
/// (writers, bids) per phase; the phases add up to LOTS × BIDDERS.
const PHASES: [(usize, usize); 3] = [(1, 1_000), (64, 20_000), (256, 79_000)];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

/// Resident memory of each node, MiB.
fn resident_mib(cluster: &Cluster) -> Vec<u64> {
    cluster
        .nodes
        .iter()
        .filter_map(|node| node.pid())
        .map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
            let line = status.lines().find(|line| line.starts_with("VmRSS:")).unwrap();
            line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
        })
        .collect()
}

/// Storage of each node (database, its WAL and the snapshot file), MiB.
fn database_mib(cluster: &Cluster) -> Vec<u64> {
    (0..cluster.nodes.len())
        .map(|index| {
            ["", "-wal", ".snapshot"]
                .iter()
                .filter_map(|suffix| {
                    std::fs::metadata(cluster.folder.path().join(format!("node-{index}.sqlite{suffix}"))).ok()
                })
                .map(|metadata| metadata.len())
                .sum::<u64>()
                / (1024 * 1024)
        })
        .collect()
}

fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    let position = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[position]
}

async fn run() {
    // Snapshots every 20,000 entries: a snapshot copies the whole state, which grows to
    // 100,000 bids here.
    let cluster = Cluster::start_with_snapshots_every(3, 0, 20_000).await;
    let idle = resident_mib(&cluster);
    println!("resident memory at start (MiB per node): {idle:?}");
    let mut scene = Scene::set_up(&cluster.client, LOTS, BIDDERS).await;

    let sealing = Instant::now();
    let mut bodies = Vec::with_capacity(LOTS * BIDDERS);
    let payload = vec![b'x'; OFFER_BYTES];
    for lot in 0..LOTS {
        for bidder in 0..BIDDERS {
            let key = &scene.bidders[bidder];
            let lot_id = LotId::parse(&lot.to_string()).unwrap();
            let context = SealContext::bid(scene.tender.as_str(), lot_id.as_str(), &key.public_key().to_string());
            let envelope = seal_offer(&payload, &context, &scene.opening_key, &SystemRandom::new()).unwrap();
            let action = Action::SubmitBid {
                tender: scene.tender.clone(),
                lot: lot_id,
                envelope_sha256: envelope.sha256().unwrap(),
            };
            bodies.push(scene.signer.command(key, action).with_envelope(envelope));
        }
    }
    println!(
        "sealed and signed {} bids in {:.1} s (not part of the figures below)",
        bodies.len(),
        sealing.elapsed().as_secs_f64()
    );

    let bodies = Arc::new(bodies);
    let mut start = 0;
    println!("| writers | bids | committed bids/s | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    for (writers, count) in PHASES {
        let next = Arc::new(AtomicUsize::new(start));
        let end = start + count;
        let began = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for writer in 0..writers {
            let (client, bodies, next) = (cluster.client.clone(), Arc::clone(&bodies), Arc::clone(&next));
            tasks.spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index >= end {
                        return latencies;
                    }
                    let sent = Instant::now();
                    let reply = client.submit(&bodies[index], writer).await;
                    assert!(matches!(reply, Some(LedgerReply::Applied { .. })), "{reply:?}");
                    latencies.push(sent.elapsed().as_micros() as u64);
                }
            });
        }
        let mut latencies = Vec::with_capacity(count);
        while let Some(result) = tasks.join_next().await {
            latencies.extend(result.unwrap());
        }
        let elapsed = began.elapsed().as_secs_f64();
        latencies.sort_unstable();
        println!(
            "| {writers} | {count} | {:.0} | {:.1} | {:.1} | {:.1} |",
            count as f64 / elapsed,
            percentile(&latencies, 0.5) as f64 / 1000.0,
            percentile(&latencies, 0.99) as f64 / 1000.0,
            *latencies.last().unwrap() as f64 / 1000.0,
        );
        start = end;
    }
    let addresses: Vec<String> = cluster.nodes.iter().map(|node| node.address.clone()).collect();
    let statuses = cluster.client.agreement(&addresses).await;
    println!("bids held: {}", statuses[0].bids);
    println!(
        "resident memory after {} bids (MiB per node): {:?}",
        bodies.len(),
        resident_mib(&cluster)
    );
    println!(
        "storage after the bids (database, WAL, snapshot; MiB per node): {:?}",
        database_mib(&cluster)
    );

    // Move the deadline to now (the notice period is a second), let the leader close the tender
    // once the deadline and the arrival window have passed, release, open, cancel.
    let deadline_ms = now_ms() + 1_500;
    let amend = scene.signer.command(
        &scene.office,
        Action::AmendTender {
            tender: scene.tender.clone(),
            notice: "closing".into(),
            deadline_ms: Some(deadline_ms),
        },
    );
    applied(cluster.client.submit(&amend, 0).await);
    let window_ms = sealbid_ledger::command::LedgerConfig::default().arrival_window_ms;
    tokio::time::sleep(Duration::from_millis(1_500 + window_ms + 500)).await;
    let outcome = finish(&scene.parameters, &scene.dealings, &scene.responses).unwrap();
    for member in 1..=2u16 {
        let (identity, encryption) = &scene.members[usize::from(member) - 1];
        let share = member_share(&scene.parameters, &outcome, &scene.dealings, member, encryption).unwrap();
        let release = scene.signer.command(
            identity,
            Action::ReleaseShare {
                tender: scene.tender.clone(),
                share,
            },
        );
        applied(cluster.client.submit(&release, 0).await);
    }
    let opening = Instant::now();
    let open = scene.signer.command(
        &scene.office,
        Action::OpenTender {
            tender: scene.tender.clone(),
        },
    );
    let opened = applied(cluster.client.submit(&open, 0).await);
    println!(
        "opening {} bids through the cluster: {:.1} s ({opened:?})",
        bodies.len(),
        opening.elapsed().as_secs_f64()
    );
    let cancel = scene.signer.command(
        &scene.office,
        Action::CancelTender {
            tender: scene.tender.clone(),
            reason: "The benchmark ends at the opening".into(),
        },
    );
    let Response::Applied = applied(cluster.client.submit(&cancel, 0).await) else {
        panic!()
    };
    let _ = cluster.client.agreement(&addresses).await;
    // Give the nodes a moment to settle (the archived tender has left every ledger).
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!(
        "resident memory after the tender is final (MiB per node): {:?}",
        resident_mib(&cluster)
    );
    println!(
        "storage after the tender is final (database, WAL, snapshot; MiB per node): {:?}",
        database_mib(&cluster)
    );
}
