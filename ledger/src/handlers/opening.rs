//! The opening: rebuild the key from released shares, decrypt and check every bid and reserve
//! price, then evaluation (disqualification) and the award.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use sealbid_crypto::encoding::{INTEGER_MAGNITUDE_MAX, from_canonical};
use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::seal::{Envelope, EnvelopeKind, OpeningKey, SealContext, open_offer, open_offers};

use crate::award::LotOutcome;
use crate::command::{Offer, ReserveOffer};
use crate::events::{AuditEvent, Response};
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State, check_text, require_office, require_phase};
use crate::tender::{Bid, BidStatus, OpenedBid, Opening, Phase, Tender};
use crate::types::{Fen, LotId, Role, TenderId};

/// The office opens every bid with the key rebuilt from t released shares.
pub(crate) fn open(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    require_office(tender, signer)?;
    require_phase(tender, Phase::Closed, "closed")?;
    let outcome = tender
        .committee_key
        .as_ref()
        .ok_or_else(|| Rejection::Invalid("the tender has no key".into()))?;
    if tender.shares.len() < usize::from(outcome.threshold) {
        return Err(Rejection::NotEnoughShares {
            valid: tender.shares.len(),
            threshold: outcome.threshold,
        });
    }
    let revoked = revoked_bidders(state, tender);
    if let Some(audit_index) = first_without_envelope(tender, &revoked) {
        return Err(Rejection::EnvelopeErased { audit_index });
    }
    let key = outcome.rebuild(&tender.shares)?;
    let opening = open_all(tender, &key, &revoked);
    let events: Vec<AuditEvent> = opening
        .bids
        .iter()
        .filter_map(|bid| match &bid.status {
            BidStatus::Invalid { reason } => Some(AuditEvent::BidInvalid {
                tender: id.clone(),
                lot: bid.lot.clone(),
                bidder: bid.bidder,
                reason: reason.clone(),
            }),
            _ => None,
        })
        .collect();
    let invalid = events.len();
    let valid = opening.bids.len() - invalid;
    let thresholds = state.thresholds().thresholds;
    let tender = state.tender_mut(id)?;
    tender.opening = Some(opening);
    tender.phase = Phase::Opened;
    tender.opened_at_ms = Some(context.timestamp_ms);
    let findings = crate::warnings::indicators::at_opening(tender, &thresholds);
    state.raise(Some(id), context, findings);
    Ok(Effect {
        events,
        ..Effect::respond(Response::TenderOpened { valid, invalid })
    })
}

/// The audit index of the first live bid, not revoked, without its envelope: none on a
/// replica; in a replay, a bid whose envelope the log did not serve.
fn first_without_envelope(tender: &Tender, revoked: &BTreeSet<PublicKey>) -> Option<u64> {
    tender
        .bids
        .values()
        .flat_map(|lot_bids| lot_bids.iter())
        .filter(|(bidder, bid)| bid.envelope.is_none() && !revoked.contains(*bidder))
        .map(|(_, bid)| bid.audit_index)
        .min()
}

/// The tender's bidders whose registration is no longer approved (a registrar revoked it after
/// they bid): their bids are invalid at the opening, so a squatter's bid can never win.
fn revoked_bidders(state: &State, tender: &Tender) -> BTreeSet<PublicKey> {
    tender
        .bids
        .values()
        .flat_map(|lot_bids| lot_bids.keys())
        .filter(|bidder| {
            state
                .participants
                .get(bidder)
                .is_none_or(|participant| !participant.roles.contains(&Role::Bidder))
        })
        .copied()
        .collect()
}

/// Decrypts and checks every reserve price and bid; the bids of `revoked` bidders are invalid
/// and stay unopened.
fn open_all(tender: &Tender, key: &OpeningKey, revoked: &BTreeSet<PublicKey>) -> Opening {
    let reserves = if tender.spec.market.has_reserve_price() {
        tender
            .spec
            .lots
            .iter()
            .map(|lot| {
                (
                    lot.id.clone(),
                    tender
                        .reserves
                        .get(&lot.id)
                        .and_then(|envelope| read_reserve(tender, &lot.id, envelope, key)),
                )
            })
            .collect()
    } else {
        BTreeMap::new()
    };
    // Decrypting is the opening's cost. The bids are opened in chunks across the machine's
    // cores (rayon); within a chunk the key's multiplications are shared (`open_offers`). Each
    // bid's result depends on that bid alone, and they are gathered in their order, so the
    // result is the same on any machine and for any chunking.
    let sealed: Vec<(&LotId, &PublicKey, &Bid)> = tender
        .bids
        .iter()
        .flat_map(|(lot, lot_bids)| lot_bids.iter().map(move |(bidder, bid)| (lot, bidder, bid)))
        .collect();
    let mut bids: Vec<OpenedBid> = sealed
        .par_chunks(OPENING_CHUNK_BIDS)
        .flat_map_iter(|chunk| open_chunk(tender, chunk, key, revoked))
        .collect();
    bids.sort_by_key(|bid| bid.audit_index);
    Opening {
        opening_secret: *key.secret(),
        reserves,
        bids,
    }
}

/// The reserve price of `lot`, if its envelope opens and reads right.
fn read_reserve(tender: &Tender, lot: &LotId, envelope: &Envelope, key: &OpeningKey) -> Option<Fen> {
    let context = SealContext {
        kind: EnvelopeKind::ReservePrice,
        tender: tender.id.to_string(),
        lot: lot.to_string(),
        bidder: tender.office.to_string(),
    };
    let plaintext = open_offer(envelope, &context, key).ok()?;
    let reserve: ReserveOffer = from_canonical(&plaintext).ok()?;
    (reserve.tender == tender.id && &reserve.lot == lot).then_some(reserve.price_fen)
}

/// A revoked bidder's bid, left unopened.
fn revoked_bid(lot: &LotId, bidder: &PublicKey, bid: &Bid) -> OpenedBid {
    OpenedBid {
        bidder: *bidder,
        lot: lot.clone(),
        audit_index: bid.audit_index,
        price_fen: None,
        quantity_tonnes: None,
        status: BidStatus::Invalid {
            reason: "the bidder's registration was revoked before the opening".into(),
        },
    }
}

/// Bids opened together by one core: enough that the shared work is small beside each bid's
/// (crypto/BENCHMARKS.md, `open_offers_disclosed_key`), few enough to spread a large tender over
/// every core.
const OPENING_CHUNK_BIDS: usize = 1024;

/// Opens a chunk of bids: each one's envelope, then its plaintext against the bid and lot. A
/// revoked bidder's bid stays unopened. Signatures are not checked again: every replica checked
/// them when the bids entered the log.
fn open_chunk(
    tender: &Tender,
    chunk: &[(&LotId, &PublicKey, &Bid)],
    key: &OpeningKey,
    revoked: &BTreeSet<PublicKey>,
) -> Vec<OpenedBid> {
    let sealed: Vec<Result<(&Envelope, SealContext), String>> = chunk
        .iter()
        .map(|&(lot, bidder, bid)| sealed_offer(tender, lot, bidder, bid))
        .collect();
    let requests: Vec<(&Envelope, &SealContext)> = sealed
        .iter()
        .zip(chunk)
        .filter(|(_, (_, bidder, _))| !revoked.contains(*bidder))
        .filter_map(|(sealed, _)| sealed.as_ref().ok().map(|(envelope, context)| (*envelope, context)))
        .collect();
    let mut plaintexts = open_offers(&requests, key).into_iter();
    chunk
        .iter()
        .zip(sealed)
        .map(|(&(lot, bidder, bid), sealed)| {
            if revoked.contains(bidder) {
                return revoked_bid(lot, bidder, bid);
            }
            let offer = sealed.and_then(|_| {
                let plaintext = plaintexts.next().ok_or("the bid was not opened")?;
                let plaintext = plaintext.map_err(|error| format!("envelope: {error}"))?;
                read_offer(tender, lot, bidder, &plaintext)
            });
            opened_bid(lot, bidder, bid, offer)
        })
        .collect()
}

/// The bid's envelope and the context it was sealed under, or why it cannot be opened.
fn sealed_offer<'bid>(
    tender: &Tender,
    lot: &LotId,
    bidder: &PublicKey,
    bid: &'bid Bid,
) -> Result<(&'bid Envelope, SealContext), String> {
    if &bid.command.signer != bidder {
        return Err("the bid's command is signed by another key".into());
    }
    // The envelope was checked against the digest its command signs when the bid entered the
    // log, and the opening refuses to start while a bid lacks one.
    let envelope = bid.envelope.as_deref().ok_or("the bid has no envelope")?;
    Ok((
        envelope,
        SealContext::bid(tender.id.as_str(), lot.as_str(), &bidder.to_string()),
    ))
}

/// The opened bid: its price (and quantity), or invalid with the reason.
fn opened_bid(lot: &LotId, bidder: &PublicKey, bid: &Bid, offer: Result<Offer, String>) -> OpenedBid {
    let mut opened = OpenedBid {
        bidder: *bidder,
        lot: lot.clone(),
        audit_index: bid.audit_index,
        price_fen: None,
        quantity_tonnes: None,
        status: BidStatus::Valid,
    };
    match offer {
        Ok(offer) => {
            opened.price_fen = Some(offer.price_fen);
            opened.quantity_tonnes = offer.quantity_tonnes;
        }
        Err(reason) => opened.status = BidStatus::Invalid { reason },
    }
    opened
}

/// The checked offer in a bid's plaintext, or why it cannot be used.
fn read_offer(tender: &Tender, lot: &LotId, bidder: &PublicKey, plaintext: &[u8]) -> Result<Offer, String> {
    let offer: Offer = from_canonical(plaintext).map_err(|error| format!("offer: {error}"))?;
    if offer.tender != tender.id || &offer.lot != lot || &offer.bidder != bidder {
        return Err("the offer names another tender, lot or bidder".into());
    }
    check_quantity(tender, lot, &offer)?;
    check_ceiling(tender, lot, &offer)?;
    Ok(offer)
}

/// A price above the lot's ceiling price makes the bid invalid (实施条例 Art. 51(5)).
fn check_ceiling(tender: &Tender, lot: &LotId, offer: &Offer) -> Result<(), String> {
    match tender.lot(lot).and_then(|spec| spec.ceiling_price_fen) {
        Some(ceiling) if offer.price_fen > ceiling => Err(format!(
            "the price of {} fen is above the ceiling price of {} fen",
            offer.price_fen.get(),
            ceiling.get()
        )),
        _ => Ok(()),
    }
}

/// Coal/coke offers need a quantity within the lot; other markets' offers have none.
fn check_quantity(tender: &Tender, lot: &LotId, offer: &Offer) -> Result<(), String> {
    let spec = tender.lot(lot).ok_or("unknown lot")?;
    match (tender.spec.market.is_multi_unit(), offer.quantity_tonnes) {
        (false, None) => Ok(()),
        (false, Some(_)) => Err("a quantity is only for coal/coke offers".into()),
        (true, None) => Err("a coal/coke offer needs its tonnes".into()),
        (true, Some(quantity)) => {
            let lot_size_min = spec.lot_size_tonnes_min.unwrap_or(1).max(1);
            if quantity < lot_size_min {
                return Err(format!("{quantity} t is below the minimum lot of {lot_size_min} t"));
            }
            if quantity > spec.quantity_tonnes.unwrap_or(0) {
                return Err(format!(
                    "{quantity} t is more than the lot's {} t",
                    spec.quantity_tonnes.unwrap_or(0)
                ));
            }
            match offer.price_fen.get().checked_mul(quantity) {
                Some(total) if total <= INTEGER_MAGNITUDE_MAX => Ok(()),
                _ => Err("price times quantity is too large".into()),
            }
        }
    }
}

/// The office disqualifies a valid opened bid, with a written reason.
pub(crate) fn disqualify(
    state: &mut State,
    signer: &PublicKey,
    id: &TenderId,
    lot: &LotId,
    bidder: &PublicKey,
    reason: &str,
) -> Result<Effect, Rejection> {
    let config = state.config();
    let tender = state.tender(id)?;
    require_office(tender, signer)?;
    if !matches!(tender.phase, Phase::Opened | Phase::Publicity) {
        return Err(Rejection::WrongPhase {
            tender: id.clone(),
            phase: tender.phase,
            needed: "opened (or its candidates publicized)",
        });
    }
    crate::handlers::objections::require_none_holding(tender, crate::objections::Hold::OfficeActs)?;
    check_text(&config, reason, "reason")?;
    let position = tender
        .opening
        .as_ref()
        .and_then(|opening| {
            opening
                .bids
                .iter()
                .position(|bid| &bid.lot == lot && &bid.bidder == bidder && bid.status == BidStatus::Valid)
        })
        .ok_or_else(|| Rejection::NoSuchOpenedBid {
            lot: lot.clone(),
            bidder: *bidder,
        })?;
    let tender = state.tender_mut(id)?;
    if let Some(bid) = tender
        .opening
        .as_mut()
        .and_then(|opening| opening.bids.get_mut(position))
    {
        bid.status = BidStatus::Disqualified { reason: reason.into() };
    }
    // A re-evaluation during the publicity (an objection upheld) withdraws the candidates: the
    // office publishes them again, and the publicity runs again from then.
    if tender.phase == Phase::Publicity {
        tender.phase = Phase::Opened;
        tender.publicity = None;
    }
    Ok(Effect {
        events: vec![AuditEvent::BidDisqualified {
            tender: id.clone(),
            lot: lot.clone(),
            bidder: *bidder,
            reason: reason.into(),
        }],
        ..Effect::respond(Response::Applied)
    })
}

/// The office applies the award rule to every lot; the tender becomes final. Where the market
/// publishes candidates, the award applies the published outcome once the publicity has run; an
/// unanswered objection holds it, and so does a red warning not yet acknowledged or dismissed by
/// a supervisor. Every bidder whose bid was opened gets a result notice.
pub(crate) fn award(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    require_office(tender, signer)?;
    let results = crate::handlers::publicity::results_to_award(tender, context.timestamp_ms)?;
    crate::handlers::objections::require_none_holding(tender, crate::objections::Hold::Award)?;
    crate::handlers::complaints::require_award_free(state, tender, context.timestamp_ms)?;
    if let Some(warning) = state.award_hold(id) {
        return Err(Rejection::AwardHeld {
            tender: id.clone(),
            warning: warning.id.clone(),
        });
    }
    let notices = crate::handlers::publicity::result_notices(tender, &results);
    let done = crate::handlers::performance::award_done(state, tender, context.timestamp_ms);
    let events: Vec<AuditEvent> = results
        .iter()
        .filter(|(_, outcome)| matches!(outcome, LotOutcome::Failed { .. }))
        .map(|(lot, _)| AuditEvent::LotFailed {
            tender: id.clone(),
            lot: lot.clone(),
        })
        .collect();
    let any_awarded = results
        .values()
        .any(|outcome| matches!(outcome, LotOutcome::Awarded { .. }));
    let thresholds = state.thresholds().thresholds;
    let tender = state.tender_mut(id)?;
    tender.phase = if any_awarded { Phase::Awarded } else { Phase::Failed };
    tender.results = Some(results.clone());
    tender.result_notices = notices;
    let findings = match state.tenders.get(id) {
        Some(tender) => crate::warnings::indicators::at_award(tender, &mut state.history, &thresholds),
        None => Vec::new(),
    };
    state.raise(Some(id), context, findings);
    if let Some(done) = done {
        state.performance.record(&done);
    }
    Ok(Effect {
        events,
        finished: Some(id.clone()),
        ..Effect::respond(Response::TenderAwarded { results })
    })
}
