//! The office publishes a tender's ranked candidates, and the award that follows the publicity
//! ([`crate::publicity`] holds the rules).

use std::collections::BTreeMap;

use sealbid_crypto::identity::PublicKey;

use crate::award::{Candidate, LotOutcome, award_lot};
use crate::events::{AuditEvent, Response};
use crate::publicity::{CANDIDATES_PER_LOT_MAX, Publicity, PublicizedLot, RankedCandidate, ResultNotice, periods};
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State, require_office, require_phase};
use crate::tender::{BidStatus, Phase, Tender};
use crate::types::{LotId, TenderId};

/// Each lot's valid bids as the award rule reads them, in opening order.
fn candidates(tender: &Tender, lot: &LotId) -> Vec<Candidate> {
    tender
        .opening
        .iter()
        .flat_map(|opening| opening.bids.iter())
        .filter(|bid| &bid.lot == lot && bid.status == BidStatus::Valid)
        .filter_map(|bid| {
            Some(Candidate {
                bidder: bid.bidder,
                audit_index: bid.audit_index,
                price_fen: bid.price_fen?,
                quantity_tonnes: bid.quantity_tonnes,
            })
        })
        .collect()
}

/// The award rule applied to every lot of an opened tender.
pub(crate) fn outcomes(tender: &Tender) -> BTreeMap<LotId, LotOutcome> {
    let reserves = tender.opening.as_ref().map(|opening| &opening.reserves);
    tender
        .spec
        .lots
        .iter()
        .map(|lot| {
            let reserve = reserves.and_then(|reserves| reserves.get(&lot.id).copied().flatten());
            let outcome = award_lot(
                tender.spec.market,
                lot,
                tender.spec.valid_bids_min,
                reserve,
                &candidates(tender, &lot.id),
            );
            (lot.id.clone(), outcome)
        })
        .collect()
}

/// A lot's candidates ranked by the lowest-price rule (price, then the earlier log position),
/// the first [`CANDIDATES_PER_LOT_MAX`], with their organisations' names.
fn ranked(state: &State, tender: &Tender, lot: &LotId) -> Vec<RankedCandidate> {
    let mut bids = candidates(tender, lot);
    bids.sort_by_key(|candidate| (candidate.price_fen, candidate.audit_index));
    bids.iter()
        .take(CANDIDATES_PER_LOT_MAX)
        .zip(1u16..)
        .map(|(candidate, rank)| RankedCandidate {
            rank,
            bidder: candidate.bidder,
            organisation: state
                .participants
                .get(&candidate.bidder)
                .map(|participant| participant.name.clone())
                .unwrap_or_default(),
            price_fen: candidate.price_fen,
            audit_index: candidate.audit_index,
        })
        .collect()
}

/// The office ends the evaluation of an opened tender and publishes its ranked candidates.
pub(crate) fn publish_candidates(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    require_office(tender, signer)?;
    let rules = tender.spec.market.rules();
    if !rules.candidate_publicity {
        return Err(Rejection::Invalid(format!(
            "a {:?} tender publishes its result with the award: it has no candidate publicity",
            tender.spec.market
        )));
    }
    require_phase(tender, Phase::Opened, "opened")?;
    crate::handlers::objections::require_none_holding(tender, crate::objections::Hold::OfficeActs)?;
    let calendars = crate::calendar::Calendars(&state.calendars);
    let (ends_ms, award_from_ms) = periods(rules.objection_clock, calendars, context.timestamp_ms)?;
    let lots = outcomes(tender)
        .into_iter()
        .map(|(lot, outcome)| {
            let candidates = ranked(state, tender, &lot);
            (lot, PublicizedLot { candidates, outcome })
        })
        .collect();
    let publicity = Publicity {
        published_at_ms: context.timestamp_ms,
        audit_index: context.audit_index,
        ends_ms,
        award_from_ms,
        lots,
    };
    let done = crate::handlers::performance::publicity_done(state, tender, context.timestamp_ms);
    let tender = state.tender_mut(id)?;
    tender.publicity = Some(publicity);
    tender.phase = Phase::Publicity;
    tender.publicity_published = true;
    if let Some(done) = done {
        state.performance.record(&done);
    }
    Ok(Effect {
        events: vec![AuditEvent::CandidatesPublished {
            tender: id.clone(),
            ends_ms,
        }],
        ..Effect::respond(Response::CandidatesPublished { ends_ms, award_from_ms })
    })
}

/// What the award applies to `tender` at `timestamp_ms`: the published outcome once the
/// publicity has run, or, where the market has none, the award rule on the opened bids.
pub(crate) fn results_to_award(tender: &Tender, timestamp_ms: u64) -> Result<BTreeMap<LotId, LotOutcome>, Rejection> {
    if !tender.spec.market.rules().candidate_publicity {
        require_phase(tender, Phase::Opened, "opened")?;
        return Ok(outcomes(tender));
    }
    require_phase(tender, Phase::Publicity, "publicity (publish_candidates)")?;
    let publicity = tender
        .publicity
        .as_ref()
        .ok_or_else(|| Rejection::Invalid("the tender has no publicity".into()))?;
    if timestamp_ms < publicity.award_from_ms {
        return Err(Rejection::PublicityRunning {
            tender: tender.id.clone(),
            award_from_ms: publicity.award_from_ms,
        });
    }
    Ok(publicity
        .lots
        .iter()
        .map(|(lot, publicized)| (lot.clone(), publicized.outcome.clone()))
        .collect())
}

/// The result notices of `results`: one for every bidder whose bid on a lot was opened, by lot
/// and then bidder.
pub(crate) fn result_notices(tender: &Tender, results: &BTreeMap<LotId, LotOutcome>) -> Vec<ResultNotice> {
    let mut notices: Vec<ResultNotice> = tender
        .opening
        .iter()
        .flat_map(|opening| opening.bids.iter())
        .map(|bid| ResultNotice {
            bidder: bid.bidder,
            lot: bid.lot.clone(),
            won: matches!(results.get(&bid.lot), Some(LotOutcome::Awarded { winners })
                if winners.iter().any(|winner| winner.bidder == bid.bidder)),
        })
        .collect();
    notices.sort_by(|left, right| (&left.lot, &left.bidder).cmp(&(&right.lot, &right.bidder)));
    notices
}
