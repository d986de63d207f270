//! Criterion benchmarks of the ledger: the apply rate of pre-signed bid submissions, the
//! opening of a tender of 10,000 bids, and the early-warning indicators on such a tender and
//! over a history of 1,000 archived tenders. Figures and method: ledger/BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    missing_docs,
    dead_code
)]

#[path = "../tests/ledger/support.rs"]
mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sealbid_ledger::command::{Action, Entry, LedgerConfig};
use sealbid_ledger::types::{LotId, Market};
use sealbid_ledger::{Ledger, Snapshot};

use support::{Harness, lot};

/// A ledger with one procurement tender of `lots` lots in bidding and `bidders` bidders, and
/// `lots × bidders` signed submissions ready to apply.
fn prepared(lots: usize, bidders: usize) -> (Harness, Vec<Entry>) {
    let config = LedgerConfig {
        bids_per_tender_max: lots * bidders,
        ..LedgerConfig::default()
    };
    let mut harness = Harness::with_config(3, bidders, config);
    let lot_specs = (0..lots).map(|index| lot(&index.to_string())).collect();
    let tender = harness.publish(harness.spec(Market::Procurement, lot_specs, 2));
    let mut entries = Vec::with_capacity(lots * bidders);
    for lot_index in 0..lots {
        for bidder in 0..bidders {
            let lot_id = lot_index.to_string();
            let price = 1_000_000 + (bidder * 7919 + lot_index * 104_729) as u64 % 900_000;
            let envelope = harness.seal_offer(&tender, &lot_id, bidder, price, None);
            let key = std::rc::Rc::clone(&harness.bidders[bidder]);
            let action = Action::SubmitBid {
                tender: tender.clone(),
                lot: LotId::parse(&lot_id).unwrap(),
                envelope_sha256: harness.carry(envelope),
            };
            let message = harness.sign(&key, action);
            entries.push(harness.entry(harness.received(message)));
        }
    }
    (harness, entries)
}

/// A copy of the harness's ledger, for one iteration.
fn copy(snapshot: &Snapshot, harness: &Harness) -> Ledger<sealbid_crypto::merkle::MemoryNodeStore> {
    Ledger::restore(snapshot.clone(), harness.ledger.audit().store().clone()).unwrap()
}

fn apply_submissions(criterion: &mut Criterion) {
    let (harness, entries) = prepared(100, 1_000);
    let snapshot = harness.ledger.snapshot();
    let mut group = criterion.benchmark_group("apply");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60))
        .throughput(Throughput::Elements(entries.len() as u64));
    group.bench_function("100000_presigned_submissions", |bench| {
        bench.iter_batched(
            || copy(&snapshot, &harness),
            |mut ledger| {
                for entry in &entries {
                    black_box(ledger.apply(entry).unwrap());
                }
                ledger
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn open_tender(criterion: &mut Criterion) {
    let (mut harness, entries) = prepared(10, 1_000);
    for entry in &entries {
        harness.ledger.apply(entry).unwrap();
    }
    let tender = harness.ledger.state().tenders.keys().next().unwrap().clone();
    harness.close(&tender);
    harness.release_shares(&tender, 2);
    let office = std::rc::Rc::clone(&harness.office);
    let open = harness.sign(&office, Action::OpenTender { tender: tender.clone() });
    let open = harness.entry(harness.received(open));
    let snapshot = harness.ledger.snapshot();
    let mut group = criterion.benchmark_group("opening");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(10_000));
    group.bench_function("open_tender_of_10000_bids", |bench| {
        bench.iter_batched(
            || copy(&snapshot, &harness),
            |mut ledger| {
                black_box(ledger.apply(&open).unwrap());
                ledger
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// The record of an awarded tender of `bids` bids on one lot, their arrivals 100 ms apart.
fn awarded(bids: usize) -> sealbid_ledger::tender::ArchiveRecord {
    let config = LedgerConfig {
        bids_per_tender_max: bids,
        ..LedgerConfig::default()
    };
    let mut harness = Harness::with_config(3, bids, config);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    for bidder in 0..bids {
        harness.now_ms += 100;
        let price = 1_000_000 + (bidder * 7919) as u64 % 900_000;
        harness.bid(&tender, "1", bidder, price, None).unwrap();
    }
    harness.close_and_open(&tender);
    harness.award(&tender);
    harness.archived.pop().unwrap()
}

fn warnings(criterion: &mut Criterion) {
    use sealbid_ledger::warnings::history::History;
    use sealbid_ledger::warnings::indicators::{at_award, at_close, at_opening};
    use sealbid_ledger::warnings::thresholds::WarningThresholds;

    let thresholds = WarningThresholds::default();
    let large = awarded(10_000).tender;
    let small = awarded(5).tender;
    // A market's history after 1,000 archived tenders: every bound of the history reached.
    let mut full = History::default();
    for number in 0..1_000 {
        let mut tender = small.clone();
        tender.id = sealbid_ledger::types::TenderId::numbered(10_000 + number);
        black_box(at_award(&tender, &mut full, &thresholds));
    }
    let mut group = criterion.benchmark_group("warnings");
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    group.bench_function("at_close_10000_bids", |bench| {
        bench.iter(|| black_box(at_close(&large, &thresholds)))
    });
    group.bench_function("at_opening_10000_bids", |bench| {
        bench.iter(|| black_box(at_opening(&large, &thresholds)))
    });
    // The worst case of converging-signals: every bid from one address, the prices in 5,000
    // tied pairs (5,000 identical-prices warnings, each a pair with the shared address).
    let mut tied = large.clone();
    let tag = sealbid_crypto::merkle::Hash([7; 32]);
    tied.bids
        .values_mut()
        .flat_map(|lot_bids| lot_bids.values_mut())
        .for_each(|bid| bid.source_tag = Some(tag));
    if let Some(opening) = tied.opening.as_mut() {
        for (position, bid) in opening.bids.iter_mut().enumerate() {
            bid.price_fen = sealbid_ledger::types::Fen::new(1_000_000 + position as u64 / 2).ok();
        }
    }
    group.bench_function("at_opening_10000_bids_one_address_5000_ties", |bench| {
        bench.iter(|| black_box(at_opening(&tied, &thresholds)))
    });
    group.bench_function("at_award_10000_bids_after_1000_tenders", |bench| {
        bench.iter_batched(
            || full.clone(),
            |mut history| black_box(at_award(&large, &mut history, &thresholds)),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("at_award_5_bids_after_1000_tenders", |bench| {
        bench.iter_batched(
            || full.clone(),
            |mut history| black_box(at_award(&small, &mut history, &thresholds)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, apply_submissions, open_tender, warnings);
criterion_main!(benches);
