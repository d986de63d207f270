//! Publishing, amending, cancelling and closing tenders.

use std::collections::{BTreeMap, BTreeSet};

use sealbid_crypto::dkg::{COMMITTEE_MEMBERS_MAX, CommitteeParameters};
use sealbid_crypto::identity::PublicKey;

use crate::command::TenderSpec;
use crate::events::{AuditEvent, Response};
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State, check_text, require_office};
use crate::tender::{Amendment, Phase, Tender};
use crate::types::{Role, TenderId};

/// A day, ms.
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// How far after the entry that sets it a deadline may lie (and the longest notice period):
/// 731 days, two years.
pub const DEADLINE_HORIZON_MS: u64 = 731 * DAY_MS;

/// The longest bid validity a tender may set, days.
pub const BID_VALIDITY_DAYS_MAX: u32 = 1_000;

/// Refuses `deadline_ms` more than [`DEADLINE_HORIZON_MS`] after `timestamp_ms`.
pub(crate) fn check_horizon(deadline_ms: u64, timestamp_ms: u64, what: &str) -> Result<(), Rejection> {
    if deadline_ms > timestamp_ms.saturating_add(DEADLINE_HORIZON_MS) {
        return Err(Rejection::Invalid(format!(
            "{what} may lie at most {} days after the entry that sets it",
            DEADLINE_HORIZON_MS / DAY_MS
        )));
    }
    Ok(())
}

/// Office publishes a tender.
pub(crate) fn publish(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    spec: &TenderSpec,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Office)?;
    let config = state.config();
    if state.tenders.len() >= config.open_tenders_max {
        return Err(Rejection::Limit {
            what: "open tenders",
            limit: config.open_tenders_max,
        });
    }
    check_spec(state, context, spec)?;
    let member_keys = spec
        .committee
        .iter()
        .map(|member| {
            state
                .participants
                .get(member)
                .and_then(|participant| participant.encryption_key)
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Rejection::Invalid("every committee member needs a registered encryption key".into()))?;
    let number = state.tenders_published + 1;
    let id = TenderId::numbered(number);
    let committee = CommitteeParameters {
        session: id.to_string(),
        threshold: spec.threshold,
        member_keys,
    };
    committee.validate()?;
    let tender = Tender {
        id: id.clone(),
        office: *signer,
        spec: spec.clone(),
        published_at_ms: context.timestamp_ms,
        deadline_ms: spec.deadline_ms,
        amendments: Vec::new(),
        phase: Phase::KeyGeneration,
        committee,
        dealings: Vec::new(),
        dealing_closed: false,
        responses: Vec::new(),
        committee_key: None,
        reserves: BTreeMap::new(),
        bids: BTreeMap::new(),
        bid_count: 0,
        shares: Vec::new(),
        opening: None,
        results: None,
        cancellation: None,
        suspension: None,
        suspensions: Vec::new(),
        withdrawn: BTreeMap::new(),
        bidding_since_ms: None,
        readiness: BTreeMap::new(),
        readiness_judged: false,
        opened_at_ms: None,
        objections: Vec::new(),
        complaints: Vec::new(),
        publicity_published: false,
        publicity: None,
        result_notices: Vec::new(),
    };
    state.tenders.insert(id.clone(), tender);
    state.tenders_published = number;
    Ok(Effect {
        events: vec![AuditEvent::TenderPublished { tender: id.clone() }],
        ..Effect::respond(Response::TenderPublished { tender: id })
    })
}

/// Checks a tender's content against the market's rules and the ledger's bounds.
fn check_spec(state: &State, context: &EntryContext, spec: &TenderSpec) -> Result<(), Rejection> {
    let config = state.config();
    check_text(&config, &spec.title, "title")?;
    if spec
        .bid_validity_days
        .is_some_and(|days| !(1..=BID_VALIDITY_DAYS_MAX).contains(&days))
    {
        return Err(Rejection::Invalid(format!(
            "bid_validity_days must be 1 to {BID_VALIDITY_DAYS_MAX}"
        )));
    }
    if spec.lots.is_empty() {
        return Err(Rejection::Invalid("a tender needs at least one lot".into()));
    }
    if spec.lots.len() > config.lots_per_tender_max {
        return Err(Rejection::Limit {
            what: "lots per tender",
            limit: config.lots_per_tender_max,
        });
    }
    let mut lot_ids = BTreeSet::new();
    for lot in &spec.lots {
        check_text(&config, &lot.title, "lot title")?;
        if !lot_ids.insert(&lot.id) {
            return Err(Rejection::Invalid(format!("lot {} appears twice", lot.id)));
        }
        let has_quantity = lot.quantity_tonnes.is_some() || lot.lot_size_tonnes_min.is_some();
        match (spec.market.is_multi_unit(), lot.quantity_tonnes) {
            (true, Some(quantity))
                if quantity > 0 && (1..=quantity).contains(&lot.lot_size_tonnes_min.unwrap_or(1)) => {}
            (true, _) => {
                return Err(Rejection::Invalid(format!(
                    "coal/coke lot {} needs its tonnes, and a minimum lot size between 1 and those tonnes",
                    lot.id
                )));
            }
            (false, _) if has_quantity => {
                return Err(Rejection::Invalid(format!(
                    "lot {}: tonnes are for coal/coke lots only",
                    lot.id
                )));
            }
            (false, _) => {}
        }
        if lot.ceiling_price_fen.is_some() && !spec.market.rules().ceiling_price {
            return Err(Rejection::Invalid(format!(
                "lot {}: a ceiling price is for procurement and construction lots only",
                lot.id
            )));
        }
    }
    if spec.deadline_ms <= context.timestamp_ms {
        return Err(Rejection::Invalid("the deadline must be in the future".into()));
    }
    check_horizon(spec.deadline_ms, context.timestamp_ms, "the deadline")?;
    if spec.notice_period_ms > DEADLINE_HORIZON_MS {
        return Err(Rejection::Invalid(format!(
            "the notice period may be at most {} days",
            DEADLINE_HORIZON_MS / DAY_MS
        )));
    }
    if spec.committee.is_empty() || spec.committee.len() > usize::from(COMMITTEE_MEMBERS_MAX) {
        return Err(Rejection::Invalid(format!(
            "a committee has 1 to {COMMITTEE_MEMBERS_MAX} members"
        )));
    }
    if spec.committee.iter().collect::<BTreeSet<_>>().len() != spec.committee.len() {
        return Err(Rejection::Invalid("a committee member appears twice".into()));
    }
    for member in &spec.committee {
        state
            .require_role(member, Role::CommitteeMember)
            .map_err(|_| Rejection::Invalid(format!("{member} is not a committee member")))?;
    }
    if spec.threshold == 0 || usize::from(spec.threshold) > spec.committee.len() {
        return Err(Rejection::Invalid(
            "the threshold must be between 1 and the committee's size".into(),
        ));
    }
    let floor = spec.market.rules().valid_bids_min_floor;
    if spec.valid_bids_min < floor {
        return Err(Rejection::Invalid(format!(
            "a {:?} tender fails with fewer than {floor} valid bids; its minimum cannot be lower",
            spec.market
        )));
    }
    Ok(())
}

/// Office amends a tender before the close; a late amendment moves the deadline out.
pub(crate) fn amend(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    id: &TenderId,
    notice: &str,
    deadline_ms: Option<u64>,
) -> Result<Effect, Rejection> {
    let config = state.config();
    let tender = state.tender(id)?;
    require_office(tender, signer)?;
    if !matches!(tender.phase, Phase::KeyGeneration | Phase::Bidding) {
        return Err(Rejection::WrongPhase {
            tender: id.clone(),
            phase: tender.phase,
            needed: "before the close",
        });
    }
    check_text(&config, notice, "notice")?;
    // An amendment counts by its order, not its arrival: it moves the deadline from its
    // timestamp, and may not do so once the deadline has passed in the log.
    if context.timestamp_ms >= tender.deadline_ms {
        return Err(Rejection::Late {
            tender: id.clone(),
            deadline_ms: tender.deadline_ms,
            arrived_at_ms: context.timestamp_ms,
        });
    }
    if tender.amendments.len() >= config.amendments_per_tender_max {
        return Err(Rejection::Limit {
            what: "amendments per tender",
            limit: config.amendments_per_tender_max,
        });
    }
    let requested = deadline_ms.unwrap_or(tender.deadline_ms);
    if requested <= context.timestamp_ms {
        return Err(Rejection::Invalid("the new deadline must be in the future".into()));
    }
    check_horizon(requested, context.timestamp_ms, "the new deadline")?;
    let earliest = context.timestamp_ms.saturating_add(tender.spec.notice_period_ms);
    let new_deadline = requested.max(earliest);
    let moved = new_deadline != tender.deadline_ms;
    let tender = state.tender_mut(id)?;
    tender.deadline_ms = new_deadline;
    tender.amendments.push(Amendment {
        timestamp_ms: context.timestamp_ms,
        notice: notice.into(),
        deadline_ms: new_deadline,
    });
    let events = if moved {
        vec![AuditEvent::DeadlineMoved {
            tender: id.clone(),
            deadline_ms: new_deadline,
        }]
    } else {
        vec![]
    };
    Ok(Effect {
        events,
        ..Effect::respond(Response::TenderAmended {
            deadline_ms: new_deadline,
        })
    })
}

/// Office cancels a tender before it is final.
pub(crate) fn cancel(state: &mut State, signer: &PublicKey, id: &TenderId, reason: &str) -> Result<Effect, Rejection> {
    let config = state.config();
    let tender = state.tender(id)?;
    require_office(tender, signer)?;
    crate::handlers::objections::require_none_holding(tender, crate::objections::Hold::OfficeActs)?;
    check_text(&config, reason, "reason")?;
    let tender = state.tender_mut(id)?;
    tender.phase = Phase::Cancelled;
    tender.cancellation = Some(reason.into());
    Ok(Effect {
        events: vec![AuditEvent::TenderCancelled {
            tender: id.clone(),
            reason: reason.into(),
        }],
        finished: Some(id.clone()),
        ..Effect::respond(Response::Applied)
    })
}

/// Closes bidding, once the entry's timestamp has reached the deadline plus the arrival window
/// (the leader's own close, or the office's), unless a supervisor suspended the tender or an
/// unanswered objection to its documents holds it (实施条例 Art. 22).
pub(crate) fn close(state: &mut State, context: &EntryContext, id: &TenderId) -> Result<Effect, Rejection> {
    let tender = state.tender(id)?;
    crate::state::require_phase(tender, Phase::Bidding, "bidding")?;
    crate::state::require_not_suspended(tender)?;
    crate::handlers::objections::require_none_holding(tender, crate::objections::Hold::Close)?;
    let closes_at_ms = tender.deadline_ms.saturating_add(state.config().arrival_window_ms);
    if context.timestamp_ms < closes_at_ms {
        return Err(Rejection::BeforeDeadline {
            tender: id.clone(),
            deadline_ms: tender.deadline_ms,
            closes_at_ms,
            timestamp_ms: context.timestamp_ms,
        });
    }
    // Nothing refuses the close from here on: the committee's readiness is judged first, if no
    // entry on the tender did since the set time.
    crate::handlers::committee::judge_readiness(state, context, id);
    let tender = state.tender(id)?;
    let findings = crate::warnings::indicators::at_close(tender, &state.thresholds().thresholds);
    let tender = state.tender_mut(id)?;
    tender.phase = Phase::Closed;
    let bids = tender.bid_count;
    state.raise(Some(id), context, findings);
    Ok(Effect {
        events: vec![AuditEvent::TenderClosed {
            tender: id.clone(),
            bids,
        }],
        ..Effect::respond(Response::Applied)
    })
}
