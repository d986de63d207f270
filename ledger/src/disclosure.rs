//! What the public may read of the log, and when (招标投标法 Art. 22, 电子招标投标办法 Art. 21,
//! 财政部87号令 Art. 28: no bidder's name, and not their number, before the opening).
//!
//! An entry that would tell who takes part in bidding is *withheld*: the public is served its
//! index, leaf hash, timestamp and kind, nothing that names a tender, lot or bidder. Two rules
//! decide, both pure functions of the entry and the applied state, so every node serves the
//! same and a verifier can check what it was served:
//! - a bid's submission, replacement or withdrawal is withheld while its tender takes bids (key
//!   generation or bidding), and released in full by the tender's close (or its cancellation);
//!   so is a bidder's objection to the tender's office, a supervisor's suspension or resumption
//!   of the tender, a correction order naming it,
//!   and the office's reply to that order (the office reads its orders, and the tender's
//!   suspension, at once: [`crate::query::own_view`]);
//! - a supervisor's decision on a warning is withheld while its tender is open, and released
//!   when the tender is final (awarded, failed or cancelled): warnings are the supervisors'
//!   until then, and the public reads them, decisions and all, with the final tender;
//! - a bidder's registration, and a registrar's decision on it, is withheld while **any** tender
//!   takes bids (the registry maps keys to companies: served while a tender takes bids, it
//!   would say who may be bidding on it), and served whenever none does.
//!
//! Everything else is public at once. The leaf hash of a withheld entry is its ordinary leaf
//! hash, so checkpoints, receipts and proofs work over the full log unchanged.

use crate::command::{Action, Command, Entry, EntryBody};
use crate::state::State;
use crate::tender::Phase;
use crate::types::TenderId;

/// Why the public may not read an entry yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withheld {
    /// A bid-changing or supervisory command of a tender that still takes bids: released by its
    /// close.
    UntilClose(TenderId),
    /// A supervisor's decision on a warning of a tender not final yet: released when it is.
    UntilFinal(TenderId),
    /// A registration entry while some tender takes bids: released when none does.
    WhileBidding,
    /// A command entry whose command does not decode. Never so for an entry of an applied log
    /// (it decoded when it was applied); kept from the public rather than served unread.
    Unreadable,
}

/// Why the entry is kept from the public in `state`, or `None` if anyone may read it.
pub fn withheld(state: &State, entry: &Entry) -> Option<Withheld> {
    let EntryBody::Command(received) = &entry.body else {
        return None;
    };
    let Ok(command) = serde_json::from_str::<Command>(&received.signed.payload) else {
        return Some(Withheld::Unreadable);
    };
    match command.action {
        Action::SubmitBid { tender, .. } | Action::ReplaceBid { tender, .. } | Action::WithdrawBid { tender, .. } => {
            takes_bids(state, &tender).then_some(Withheld::UntilClose(tender))
        }
        Action::SuspendTender { tender, .. }
        | Action::FileObjection { tender, .. }
        | Action::FileComplaint { tender, .. }
        | Action::ReviewComplaint { tender, .. }
        | Action::DecideComplaint { tender, .. }
        | Action::ResumeTender { tender, .. }
        | Action::OrderCorrection {
            tender: Some(tender), ..
        } => takes_bids(state, &tender).then_some(Withheld::UntilClose(tender)),
        Action::ReplyCorrection { correction, .. } => {
            // An answered order stays in the state until its tender is final; gone, it is public.
            let tender = state.corrections.get(&correction)?.tender.clone()?;
            takes_bids(state, &tender).then_some(Withheld::UntilClose(tender))
        }
        Action::DisposeWarning {
            tender: Some(tender), ..
        } => state
            .tenders
            .contains_key(&tender)
            .then_some(Withheld::UntilFinal(tender)),
        Action::RegisterBidder { .. }
        | Action::ApproveBidder { .. }
        | Action::RejectBidder { .. }
        | Action::RevokeBidder { .. } => any_tender_takes_bids(state).then_some(Withheld::WhileBidding),
        _ => None,
    }
}

/// Whether `tender` still takes bids (a tender no longer in the state is final).
pub fn takes_bids(state: &State, tender: &TenderId) -> bool {
    state
        .tenders
        .get(tender)
        .is_some_and(|tender| phase_takes_bids(tender.phase))
}

/// Whether a tender in `phase` has not closed yet (its bids and bidders are withheld).
pub fn phase_takes_bids(phase: Phase) -> bool {
    matches!(phase, Phase::KeyGeneration | Phase::Bidding)
}

/// Whether some tender still takes bids.
pub fn any_tender_takes_bids(state: &State) -> bool {
    state.tenders.values().any(|tender| phase_takes_bids(tender.phase))
}

/// The entry's kind as the public reads it: `genesis`, `close`, or a command's action
/// (`submit_bid`, `register_bidder`, …); `command` for a command that does not decode.
pub fn kind(entry: &Entry) -> &'static str {
    match &entry.body {
        EntryBody::Genesis(_) => "genesis",
        EntryBody::Close { .. } => "close",
        EntryBody::Lapse(_) => "lapse",
        EntryBody::Command(received) => {
            serde_json::from_str::<Command>(&received.signed.payload).map_or("command", |command| command.action.name())
        }
    }
}
