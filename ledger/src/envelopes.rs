//! Where a bid's envelope is. A bid's command signs only its envelope's digest; the envelope
//! travels beside it and lives in the state with the bid while the bid is live. A replaced or
//! withdrawn bid leaves the state, and with it its envelope: the only other copies, in the
//! cluster's log, are purged behind the snapshot every node takes at the tender's close. The
//! audit routes serve a released bid entry with its envelope when the bid is still live (the
//! state) or was live at its tender's end (the archive record), so a replay can open it, and
//! without one when it was erased.

use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::seal::Envelope;

use crate::command::{Command, Entry, EntryBody};
use crate::state::State;
use crate::tender::Tender;
use crate::types::{LotId, TenderId};

/// The bid an entry placed: a submission's or replacement's tender, lot and signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The tender.
    pub tender: TenderId,
    /// The lot.
    pub lot: LotId,
    /// The bidder.
    pub bidder: PublicKey,
}

/// What holds the envelope of the bid an entry placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeAt<'a> {
    /// The entry places no bid.
    NotABid,
    /// The bid is live in the state.
    Held(&'a Envelope),
    /// The bid was replaced or withdrawn: its envelope is erased.
    Erased,
    /// The tender is final and left the state: its archive record holds its last bids.
    Archived(&'a TenderId),
}

/// The bid `entry` placed, if it is a submission or replacement (its payload was checked
/// canonical when it entered the log; one that does not decode places none).
pub fn placement(entry: &Entry) -> Option<Placement> {
    let EntryBody::Command(received) = &entry.body else {
        return None;
    };
    let command: Command = serde_json::from_str(&received.signed.payload).ok()?;
    match command.action {
        crate::command::Action::SubmitBid { tender, lot, .. }
        | crate::command::Action::ReplaceBid { tender, lot, .. } => Some(Placement {
            tender,
            lot,
            bidder: received.signed.signer,
        }),
        _ => None,
    }
}

/// Where the envelope of the bid `placement` (placed by the entry at `audit_index`) is.
pub fn envelope_at<'a>(state: &'a State, placement: &'a Placement, audit_index: u64) -> EnvelopeAt<'a> {
    match state.tenders.get(&placement.tender) {
        Some(tender) => held_envelope(tender, placement, audit_index).map_or(EnvelopeAt::Erased, EnvelopeAt::Held),
        None => EnvelopeAt::Archived(&placement.tender),
    }
}

/// The envelope of the bid placed at `audit_index`, if it is still `tender`'s bid (a live
/// tender, or one from its archive record).
pub fn held_envelope<'a>(tender: &'a Tender, placement: &Placement, audit_index: u64) -> Option<&'a Envelope> {
    tender
        .bids
        .get(&placement.lot)
        .and_then(|lot_bids| lot_bids.get(&placement.bidder))
        .filter(|bid| bid.audit_index == audit_index)
        .and_then(|bid| bid.envelope.as_deref())
}
