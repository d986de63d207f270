//! Candidate publicity (中标候选人公示; the result announcement of government procurement) and
//! the result notices. Pure: the periods are computed from entry timestamps on the published
//! calendar ([`crate::calendar`]).
//!
//! Data flow: after the opening and the evaluation (disqualifications), the office's
//! `publish_candidates` applies the award rule to every lot, publishes the ranked candidates
//! (up to three per lot: rank, bidder, organisation, price) and the outcome the award will
//! apply, and fixes when the publicity ends and from when the award may be made
//! ([`periods`]). Bidders may object to the evaluation result in that time
//! ([`crate::objections`]). The award is refused before then and while an objection is
//! unanswered; it applies the published outcome, and records a result notice for every bidder
//! whose bid was opened ([`ResultNotice`]: 招标投标法 Art. 45, 电子招标投标办法 Arts. 35-36).
//!
//! Which markets publish candidates ([`crate::market::MarketRules::candidate_publicity`]):
//! construction (实施条例 Art. 54: at least 3 days; objections during it) and government
//! procurement (财政部87号令 Art. 69: 1 working day; queries on the result within the 7 working
//! days after it, 94号令 Art. 10(3), so the award waits for them). The auctions (land-use right,
//! property rights, coal/coke) publish their result with the award.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::award::LotOutcome;
use crate::calendar::{CalendarError, Calendars};
use crate::objections::ObjectionClock;
use crate::types::{Fen, LotId};

/// 实施条例 Art. 54: the publicity lasts at least 3 days.
const TENDERING_PUBLICITY_DAYS: u32 = 3;
/// 财政部87号令 Art. 69: the result announcement lasts 1 working day.
const PROCUREMENT_PUBLICITY_WORKING_DAYS: u32 = 1;
/// 财政部94号令 Art. 10(3): queries on the result within 7 working days after the announcement.
const PROCUREMENT_QUERY_WORKING_DAYS: u32 = 7;
/// 实施条例 Art. 54: at most three candidates per lot, ranked.
pub const CANDIDATES_PER_LOT_MAX: usize = 3;

/// A tender's candidate publicity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Publicity {
    /// The publishing entry's timestamp.
    pub published_at_ms: u64,
    /// The publishing entry's audit index.
    pub audit_index: u64,
    /// When the publicity ends (24:00 China Standard Time of its last day).
    pub ends_ms: u64,
    /// From when the award may be made: the end of the publicity, or, in government
    /// procurement, of the queries' window after it. Objections to the evaluation result are
    /// filed before it.
    pub award_from_ms: u64,
    /// Each lot's ranked candidates and the outcome the award applies.
    pub lots: BTreeMap<LotId, PublicizedLot>,
}

/// One lot as the publicity shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicizedLot {
    /// The candidates, best first (at most [`CANDIDATES_PER_LOT_MAX`]).
    pub candidates: Vec<RankedCandidate>,
    /// What the award will apply: the first candidate wins, or the lot fails.
    pub outcome: LotOutcome,
}

/// A ranked candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankedCandidate {
    /// 1 for the best.
    pub rank: u16,
    /// The bidder.
    pub bidder: PublicKey,
    /// Its organisation's registered name.
    pub organisation: String,
    /// Its price.
    pub price_fen: Fen,
    /// Its bid's audit index.
    pub audit_index: u64,
}

/// The notice the award sends a bidder on a lot it bid on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultNotice {
    /// The bidder.
    pub bidder: PublicKey,
    /// The lot.
    pub lot: LotId,
    /// Whether it won (中标通知书) or not (the result told to every other bidder).
    pub won: bool,
}

/// When a publicity published at `published_at_ms` ends, and from when the award may be made,
/// under `clock`.
pub fn periods(
    clock: ObjectionClock,
    calendars: Calendars<'_>,
    published_at_ms: u64,
) -> Result<(u64, u64), CalendarError> {
    match clock {
        ObjectionClock::Tendering => {
            let ends_ms = calendars.calendar_days_end_ms(published_at_ms, TENDERING_PUBLICITY_DAYS)?;
            Ok((ends_ms, ends_ms))
        }
        ObjectionClock::GovernmentProcurement => {
            let ends_ms = calendars.working_days_end_ms(published_at_ms, PROCUREMENT_PUBLICITY_WORKING_DAYS)?;
            // The window counts from the day the publicity ends: its last day is not counted.
            let last_day_ms = ends_ms.saturating_sub(1);
            let award_from_ms = calendars.working_days_end_ms(last_day_ms, PROCUREMENT_QUERY_WORKING_DAYS)?;
            Ok((ends_ms, award_from_ms))
        }
    }
}
