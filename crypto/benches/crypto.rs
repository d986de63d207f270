//! Criterion benchmarks of the crypto crate's costs that matter at the bid-opening burst and at
//! the opening itself. Figures and method: crypto/BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    missing_docs
)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ring::rand::SystemRandom;
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{CommitteeParameters, Dealing, ReleasedShare, Response, finish, member_share};
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::{MemoryNodeStore, MerkleTree, leaf_hash, verify_inclusion};
use sealbid_crypto::seal::{Envelope, OpeningKey, SealContext, open, open_offer, open_offers, seal, seal_offer};
use sealbid_crypto::signed::SignedMessage;
use std::hint::black_box;

/// The size of a bid's plaintext in these benchmarks.
const BID_BYTES: usize = 2048;

fn signatures(criterion: &mut Criterion) {
    let key = IdentityKeyPair::from_seed(&[3; 32]).unwrap();
    let message = vec![0x5a; BID_BYTES];
    let signature = key.sign(&message);
    criterion.bench_function("ed25519_sign_2KiB", |bench| {
        bench.iter(|| key.sign(black_box(&message)))
    });
    criterion.bench_function("ed25519_verify_2KiB", |bench| {
        bench.iter(|| key.public_key().verify(black_box(&message), &signature).unwrap())
    });
}

fn envelopes(criterion: &mut Criterion) {
    let random = SystemRandom::new();
    let opening_key = OpeningKey::new(CurveScalar::random(&random).unwrap());
    let bidder = IdentityKeyPair::from_seed(&[4; 32]).unwrap();
    let context = SealContext::bid("tender-2026-0042", "1", &bidder.public_key().to_string());
    let offer = vec![0x42; BID_BYTES];
    criterion.bench_function("seal_2KiB", |bench| {
        bench.iter(|| seal(black_box(&offer), &context, &opening_key.public_point(), &random).unwrap())
    });
    let envelope = seal(&offer, &context, &opening_key.public_point(), &random).unwrap();
    criterion.bench_function("open_2KiB_constant_time_key", |bench| {
        bench.iter(|| open(black_box(&envelope), &context, &opening_key).unwrap())
    });
    let disclosed = OpeningKey::disclosed(*opening_key.secret());
    criterion.bench_function("open_2KiB_disclosed_key", |bench| {
        bench.iter(|| open(black_box(&envelope), &context, &disclosed).unwrap())
    });
    // What the opening does per bid: check the bidder's signature over the envelope, then open it.
    let signed = SignedMessage::sign(&bidder, &envelope).unwrap();
    criterion.bench_function("open_and_verify_signed_2KiB_bid", |bench| {
        bench.iter(|| {
            let envelope: sealbid_crypto::seal::Envelope = black_box(&signed).verify().unwrap();
            open(&envelope, &context, &disclosed).unwrap()
        })
    });
}

/// The opening's decryption: offers (padded to the suite's 256 bytes) opened one by one, and in
/// batches of several sizes with one disclosed key (per-envelope figures: time / count).
fn offer_batches(criterion: &mut Criterion) {
    let random = SystemRandom::new();
    let key = OpeningKey::disclosed(CurveScalar::random(&random).unwrap());
    let offer = br#"{"bidder":"ed25519:bidder","lot":"1","price_fen":123456789,"tender":"T-2026-0042"}"#;
    let contexts: Vec<SealContext> = (0..512)
        .map(|bidder| SealContext::bid("T-2026-0042", "1", &format!("ed25519:bidder-{bidder}")))
        .collect();
    let envelopes: Vec<Envelope> = contexts
        .iter()
        .map(|context| seal_offer(offer, context, &key.public_point(), &random).unwrap())
        .collect();
    criterion.bench_function("open_offer_disclosed_key", |bench| {
        bench.iter(|| open_offer(black_box(&envelopes[0]), &contexts[0], &key).unwrap())
    });
    let mut group = criterion.benchmark_group("open_offers_disclosed_key");
    for count in [4usize, 8, 16, 32, 128, 512] {
        let pairs: Vec<(&Envelope, &SealContext)> = envelopes.iter().zip(&contexts).take(count).collect();
        group.throughput(Throughput::Elements(count as u64));
        group.bench_function(format!("{count}"), |bench| {
            bench.iter(|| open_offers(black_box(&pairs), &key))
        });
    }
    group.finish();
}

/// A committee of `members` fresh keys with threshold `threshold`.
fn committee(threshold: u16, members: u16) -> (CommitteeParameters, Vec<OpeningKey>) {
    let random = SystemRandom::new();
    let keys: Vec<OpeningKey> = (0..members)
        .map(|_| OpeningKey::new(CurveScalar::random(&random).unwrap()))
        .collect();
    let parameters = CommitteeParameters {
        session: "tender-2026-0042".into(),
        threshold,
        member_keys: keys.iter().map(OpeningKey::public_point).collect(),
    };
    (parameters, keys)
}

/// Every member's released share after a clean key generation.
fn run_key_generation(parameters: &CommitteeParameters, keys: &[OpeningKey]) -> Vec<ReleasedShare> {
    let random = SystemRandom::new();
    let dealings: Vec<Dealing> = parameters
        .members()
        .map(|dealer| Dealing::create(parameters, dealer, &random).unwrap())
        .collect();
    let responses: Vec<Response> = parameters
        .members()
        .map(|member| Response::create(parameters, member, &keys[usize::from(member) - 1], &dealings, &random).unwrap())
        .collect();
    let outcome = finish(parameters, &dealings, &responses).unwrap();
    parameters
        .members()
        .map(|member| member_share(parameters, &outcome, &dealings, member, &keys[usize::from(member) - 1]).unwrap())
        .collect()
}

fn key_generation(criterion: &mut Criterion) {
    let random = SystemRandom::new();
    for (threshold, members) in [(3u16, 5u16), (5, 9)] {
        let (parameters, keys) = committee(threshold, members);
        criterion.bench_function(&format!("dkg_whole_committee_t{threshold}_n{members}"), |bench| {
            bench.iter(|| run_key_generation(&parameters, &keys))
        });
        criterion.bench_function(&format!("dkg_one_dealing_t{threshold}_n{members}"), |bench| {
            bench.iter(|| Dealing::create(&parameters, 1, &random).unwrap())
        });
        let dealings: Vec<Dealing> = parameters
            .members()
            .map(|dealer| Dealing::create(&parameters, dealer, &random).unwrap())
            .collect();
        let responses: Vec<Response> = parameters
            .members()
            .map(|member| {
                Response::create(&parameters, member, &keys[usize::from(member) - 1], &dealings, &random).unwrap()
            })
            .collect();
        let outcome = finish(&parameters, &dealings, &responses).unwrap();
        let shares: Vec<ReleasedShare> = parameters
            .members()
            .map(|member| {
                member_share(&parameters, &outcome, &dealings, member, &keys[usize::from(member) - 1]).unwrap()
            })
            .collect();
        criterion.bench_function(&format!("rebuild_key_t{threshold}_n{members}"), |bench| {
            bench.iter(|| outcome.rebuild(black_box(&shares[..usize::from(threshold)])).unwrap())
        });
    }
}

fn merkle(criterion: &mut Criterion) {
    const LEAVES: u64 = 1 << 20;
    let mut tree = MerkleTree::new(MemoryNodeStore::new());
    let leaves: Vec<_> = (0..LEAVES).map(|index| leaf_hash(&index.to_be_bytes())).collect();
    tree.append_leaf_hashes(&leaves).unwrap();
    let size = tree.size();
    let index = 777_777;
    criterion.bench_function("inclusion_proof_generate_1Mi_leaves", |bench| {
        bench.iter(|| tree.inclusion_proof(black_box(index), size).unwrap())
    });
    let proof = tree.inclusion_proof(index, size).unwrap();
    let root = tree.root();
    criterion.bench_function("inclusion_proof_verify_1Mi_leaves", |bench| {
        bench.iter(|| verify_inclusion(black_box(index), size, &leaves[index as usize].0, &proof, &root.0).unwrap())
    });
    criterion.bench_function("append_1000_leaves_in_one_batch", |bench| {
        bench.iter_batched(
            || MerkleTree::new(MemoryNodeStore::new()),
            |mut fresh| fresh.append_leaf_hashes(&leaves[..1000]).unwrap(),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, signatures, envelopes, offer_batches, key_generation, merkle);
criterion_main!(benches);
