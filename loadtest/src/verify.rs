//! After the run: nothing acknowledged may be missing. Every receipt the platform issued must
//! name an entry of the final log, checked against the final checkpoint signed with the log's
//! key (the whole log is fetched and its Merkle tree rebuilt here, so the root must equal the
//! checkpoint's); and every accepted bid must appear in its tender's opening.

use std::collections::{BTreeMap, BTreeSet};

use sealbid_api::client::Client;
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::merkle::{Hash, MemoryNodeStore, MerkleTree};
use sealbid_crypto::note::NoteVerifier;
use sealbid_crypto::receipt::verify_checkpoint;

use crate::platform::ScenarioError;

/// Entries fetched per request.
const PAGE_ENTRIES: u64 = 1_000;

/// An acknowledged bid to look for.
#[derive(Debug, Clone)]
pub struct Acknowledged {
    /// The receipt's audit index.
    pub audit_index: u64,
    /// The receipt's leaf hash.
    pub leaf_hash: Hash,
    /// The tender's id.
    pub tender: String,
    /// The bidder's key text.
    pub bidder: String,
}

/// What the check found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Verification {
    /// The final checkpoint's size.
    pub checkpoint_size: u64,
    /// Receipts checked.
    pub receipts: usize,
    /// Receipts whose entry is not in the final log with their leaf hash.
    pub receipts_not_in_log: usize,
    /// Accepted bids missing from their tender's opening.
    pub bids_not_opened: usize,
    /// Lost receipts: acknowledged, then missing from the log or the opening.
    pub lost: usize,
    /// Bids in an opening that no receipt acknowledged (applied while the client saw an error).
    pub opened_without_receipt: usize,
}

/// Checks `acknowledged` against the final signed checkpoint (verified with `log_key`) and the
/// openings of `tenders`; bids in an opening that nothing acknowledged are counted apart.
pub async fn verify(
    client: &Client,
    log_key: &NoteVerifier,
    acknowledged: &[Acknowledged],
    tenders: &[String],
) -> Result<Verification, ScenarioError> {
    let failed = |step: &str| {
        let step = step.to_string();
        move |source| ScenarioError::Client {
            step,
            source: Box::new(source),
        }
    };
    let signed = client.checkpoint().await.map_err(failed("fetch the checkpoint"))?;
    let checkpoint = trusted_checkpoint(&signed, log_key)?;
    let mut leaves = Vec::new();
    while (leaves.len() as u64) < checkpoint.size {
        let from = leaves.len() as u64;
        let page = client
            .audit_entries(from, PAGE_ENTRIES.min(checkpoint.size - from))
            .await
            .map_err(failed("fetch the audit log"))?;
        if page.is_empty() {
            return Err(ScenarioError::Unexpected(format!(
                "the node stopped sending entries at {from}"
            )));
        }
        leaves.extend(page.iter().map(sealbid_api::audit::AuditEntry::leaf_hash));
    }
    let mut tree = MerkleTree::new(MemoryNodeStore::new());
    tree.append_leaf_hashes(&leaves)
        .map_err(|error| ScenarioError::Unexpected(error.to_string()))?;
    if tree.root() != checkpoint.root {
        return Err(ScenarioError::Unexpected(
            "the fetched log does not give the signed checkpoint's root".into(),
        ));
    }
    let mut opened: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for tender in tenders {
        let bids = client
            .get_json(&format!("/v1/tenders/{tender}/bids"))
            .await
            .map_err(failed("fetch an opening"))?;
        let bidders = bids
            .pointer("/opened/bids")
            .and_then(serde_json::Value::as_array)
            .map(|bids| {
                bids.iter()
                    .filter_map(|bid| bid.get("bidder").and_then(serde_json::Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        opened.insert(tender.clone(), bidders);
    }
    let mut verification = Verification {
        checkpoint_size: checkpoint.size,
        receipts: acknowledged.len(),
        ..Verification::default()
    };
    let mut acknowledged_bids: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for receipt in acknowledged {
        let in_log = usize::try_from(receipt.audit_index)
            .ok()
            .and_then(|index| leaves.get(index))
            .is_some_and(|leaf| *leaf == receipt.leaf_hash);
        let in_opening = opened
            .get(&receipt.tender)
            .is_some_and(|bidders| bidders.contains(&receipt.bidder));
        verification.receipts_not_in_log += usize::from(!in_log);
        verification.bids_not_opened += usize::from(!in_opening);
        verification.lost += usize::from(!in_log || !in_opening);
        acknowledged_bids
            .entry(receipt.tender.as_str())
            .or_default()
            .insert(receipt.bidder.as_str());
    }
    verification.opened_without_receipt = opened
        .iter()
        .map(|(tender, bidders)| {
            let known = acknowledged_bids.get(tender.as_str());
            bidders
                .iter()
                .filter(|bidder| !known.is_some_and(|known| known.contains(bidder.as_str())))
                .count()
        })
        .sum();
    Ok(verification)
}

/// The checkpoint in `signed`, if `log_key` signed it for its own log.
pub fn trusted_checkpoint(signed: &str, log_key: &NoteVerifier) -> Result<Checkpoint, ScenarioError> {
    verify_checkpoint(signed, &log_key.name, std::slice::from_ref(log_key), 1)
        .map_err(|error| ScenarioError::Unexpected(format!("the final checkpoint: {error}")))
}
