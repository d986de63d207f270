//! The envelopes served beside bid entries. A bid's command signs only its envelope's digest;
//! a reader who replays the log needs the envelopes of the bids that were live at the opening,
//! and no one can have those of bids replaced or withdrawn (every node erased them). This finds,
//! for each entry served, the envelope of the bid it placed, if that bid is still held: in the
//! state for a tender in memory, in its archive record for a final one.

use std::collections::BTreeMap;

use sealbid_crypto::seal::Envelope;
use sealbid_ledger::command::Entry;
use sealbid_ledger::envelopes::{EnvelopeAt, Placement, envelope_at, held_envelope, placement};
use sealbid_ledger::tender::ArchiveRecord;
use sealbid_ledger::types::TenderId;

use crate::ApiState;
use crate::problem::Problem;

/// The envelopes of the bids `entries` placed (each entry with its audit index) that are still
/// held, by audit index.
pub(crate) async fn bid_envelopes<'a>(
    state: &ApiState,
    entries: impl IntoIterator<Item = (u64, &'a Entry)>,
) -> Result<BTreeMap<u64, Envelope>, Problem> {
    let placements: Vec<(u64, Placement)> = entries
        .into_iter()
        .filter_map(|(index, entry)| placement(entry).map(|placed| (index, placed)))
        .collect();
    if placements.is_empty() {
        return Ok(BTreeMap::new());
    }
    let (mut found, archived) = state
        .replica
        .read_applied(|ledger| {
            let mut found = BTreeMap::new();
            let mut archived: BTreeMap<TenderId, Vec<(u64, &Placement)>> = BTreeMap::new();
            for (index, placed) in &placements {
                match envelope_at(ledger.state(), placed, *index) {
                    EnvelopeAt::Held(envelope) => {
                        found.insert(*index, envelope.clone());
                    }
                    EnvelopeAt::Archived(tender) => archived.entry(tender.clone()).or_default().push((*index, placed)),
                    EnvelopeAt::Erased | EnvelopeAt::NotABid => {}
                }
            }
            (found, archived)
        })
        .await;
    for (tender, placed) in archived {
        // A node that caught up through a snapshot may hold no record of a tender archived
        // before it: it serves those bids without envelopes, and a replay says so at the
        // opening (another node serves them).
        let Some(text) = state
            .replica
            .archived(&tender.to_string())
            .await
            .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?
        else {
            continue;
        };
        let record: ArchiveRecord = serde_json::from_str(&text).map_err(|error| {
            Problem::internal("storage-damaged", format!("the archive record of {tender}: {error}"))
        })?;
        for (index, placement) in placed {
            if let Some(envelope) = held_envelope(&record.tender, placement, index) {
                found.insert(index, envelope.clone());
            }
        }
    }
    Ok(found)
}
