//! Objections (异议; 质疑 in government procurement) that a bidder files with a tender's office,
//! the office's answers, and the statutory clock both run on. Pure: every instant is computed
//! from entry timestamps on the published calendar ([`crate::calendar`]).
//!
//! Data flow: `file_objection` is checked against its matter's filing window
//! ([`Rules::filing_closes_ms`]) and records an [`Objection`] on its tender with the time its
//! answer is due ([`Rules::answer_due_ms`]); `answer_objection` records the office's answer (an
//! answer that changes the tender documents is also an amendment, which may move the deadline).
//! While an objection is unanswered it holds its tender ([`Objection::holds`]): every pending
//! objection holds the award; under the tendering law a documents objection also holds the
//! close (实施条例 Art. 22: "作出答复前，应当暂停招标投标活动"), and an objection to the opening or
//! to the evaluation result every other act of the office (Arts. 44 and 54). When the answer period ends unanswered,
//! the leader commits an unsigned [`crate::command::Lapse`] entry, which marks the objection
//! unanswered (the objector may take it to a supervisor as a complaint) and raises an
//! `objection-unanswered` warning; the objection still holds its tender until answered.
//!
//! The clocks (docs/protocol.md §10.10):
//!
//! | matter | tendering law (招标投标法, 实施条例) | government procurement (财政部94号令) |
//! |---|---|---|
//! | documents | filed before the deadline less 10 days (Art. 22); answered within 3 days | filed within 7 working days of the documents (publication or the latest amendment) and before the close (Art. 10); answered within 7 working days (Art. 13) |
//! | opening | filed on the day of the opening, answered the same day ("at once", Art. 44) | filed within 7 working days of the opening (Art. 10); answered within 7 working days |
//! | evaluation | filed during the candidate publicity (Art. 54); answered within 3 days | filed before the award may be made: within 7 working days after the publicity (Art. 10(3)); answered within 7 working days |

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::calendar::{CalendarDate, CalendarError, Calendars};
use crate::tender::{Phase, Tender};
use crate::types::ObjectionId;

/// One day, ms.
const DAY_MS: u64 = 24 * 60 * 60 * 1000;
/// 实施条例 Art. 22: an objection to the tender documents comes 10 days before the deadline.
const DOCUMENTS_LEAD_DAYS: u64 = 10;
/// 实施条例 Arts. 22 and 54: the office answers within 3 days.
const TENDERING_ANSWER_DAYS: u32 = 3;
/// 财政部94号令 Arts. 10 and 13: a query within 7 working days, answered within 7 working days.
const PROCUREMENT_WORKING_DAYS: u32 = 7;
/// The most objections one tender holds: past it, one more is refused until the tender is
/// final (a tender's bidders and the office are the only parties, so only a flood comes near).
pub const OBJECTIONS_PER_TENDER_MAX: usize = 1_000;

/// What an objection is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ObjectionMatter {
    /// The tender documents (招标文件; 采购文件), while the tender takes no bids yet or takes
    /// them: 实施条例 Art. 22, 94号令 Art. 10(1).
    Documents,
    /// The opening (开标; the procurement process): 实施条例 Art. 44, 94号令 Art. 10(2).
    Opening,
    /// The evaluation result, as the candidate publicity shows it: 实施条例 Art. 54, 94号令
    /// Art. 10(3).
    Evaluation,
}

impl ObjectionMatter {
    /// The matter's name, as in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            ObjectionMatter::Documents => "documents",
            ObjectionMatter::Opening => "opening",
            ObjectionMatter::Evaluation => "evaluation",
        }
    }
}

/// Which law's clock a market's objections run on ([`crate::market::MarketRules`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectionClock {
    /// 招标投标法 and 实施条例: days, and an opening objection answered at once.
    Tendering,
    /// 政府采购质疑和投诉办法 (财政部94号令): working days.
    GovernmentProcurement,
}

/// A bidder's objection, held on its tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Objection {
    /// Its id.
    pub id: ObjectionId,
    /// What it is about.
    pub matter: ObjectionMatter,
    /// The bidder who filed it.
    pub objector: PublicKey,
    /// What the bidder objects to, and why.
    pub text: String,
    /// The filing entry's timestamp.
    pub filed_at_ms: u64,
    /// The filing entry's audit index.
    pub audit_index: u64,
    /// When the answer period ends: an answer in an entry stamped before it is in time.
    pub answer_due_ms: u64,
    /// The office's answer, once it came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<ObjectionAnswer>,
    /// When the leader recorded that the answer period ended unanswered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapsed: Option<ObjectionLapse>,
}

/// The office's answer to an objection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectionAnswer {
    /// The answer.
    pub text: String,
    /// The answering entry's timestamp.
    pub answered_at_ms: u64,
    /// The answering entry's audit index.
    pub audit_index: u64,
    /// Whether the answer changed the tender documents (then it is also an amendment).
    pub amends: bool,
    /// Whether it came after the answer period.
    pub overdue: bool,
}

/// The record that an answer period ended without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectionLapse {
    /// The lapse entry's timestamp.
    pub lapsed_at_ms: u64,
    /// The lapse entry's audit index.
    pub audit_index: u64,
}

/// What an unanswered objection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The award only.
    Award,
    /// The close and the award.
    Close,
    /// Every act of the office on the tender but the answer.
    OfficeActs,
}

impl Objection {
    /// Whether it is still waiting for the office's answer.
    pub fn is_pending(&self) -> bool {
        self.answer.is_none()
    }

    /// Whether a lapse entry stamped `timestamp_ms` records it: unanswered, not recorded yet,
    /// and its answer period over.
    pub fn lapses_by(&self, timestamp_ms: u64) -> bool {
        self.is_pending() && self.lapsed.is_none() && self.answer_due_ms <= timestamp_ms
    }

    /// What it holds while unanswered, under `clock`.
    pub fn holds(&self, clock: ObjectionClock) -> Hold {
        match (clock, self.matter) {
            (ObjectionClock::Tendering, ObjectionMatter::Documents) => Hold::Close,
            (ObjectionClock::Tendering, ObjectionMatter::Opening | ObjectionMatter::Evaluation) => Hold::OfficeActs,
            (ObjectionClock::GovernmentProcurement, _) => Hold::Award,
        }
    }
}

/// Why an objection cannot be filed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilingRefusal {
    /// The tender is not in a phase where the matter can be objected to.
    Phase,
    /// The window could not be computed.
    Calendar(CalendarError),
}

/// The objection rules of one tender.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// The clock of the tender's market.
    pub clock: ObjectionClock,
    /// The published calendars.
    pub calendars: Calendars<'a>,
}

impl Rules<'_> {
    /// When the window to object to `matter` on `tender` ends: an objection in an entry stamped
    /// before it is in time.
    pub fn filing_closes_ms(&self, tender: &Tender, matter: ObjectionMatter) -> Result<u64, FilingRefusal> {
        match matter {
            ObjectionMatter::Documents => {
                if !matches!(tender.phase, Phase::KeyGeneration | Phase::Bidding) {
                    return Err(FilingRefusal::Phase);
                }
                match self.clock {
                    ObjectionClock::Tendering => Ok(tender.deadline_ms.saturating_sub(DOCUMENTS_LEAD_DAYS * DAY_MS)),
                    ObjectionClock::GovernmentProcurement => {
                        let documents_ms = tender
                            .amendments
                            .last()
                            .map_or(tender.published_at_ms, |amendment| amendment.timestamp_ms);
                        let window = self
                            .calendars
                            .working_days_end_ms(documents_ms, PROCUREMENT_WORKING_DAYS)
                            .map_err(FilingRefusal::Calendar)?;
                        Ok(window.min(tender.deadline_ms))
                    }
                }
            }
            ObjectionMatter::Opening => {
                let opened_at_ms = match (tender.phase, tender.opened_at_ms) {
                    (Phase::Opened | Phase::Publicity, Some(opened_at_ms)) => opened_at_ms,
                    _ => return Err(FilingRefusal::Phase),
                };
                match self.clock {
                    ObjectionClock::Tendering => Ok(end_of_day_ms(opened_at_ms)),
                    ObjectionClock::GovernmentProcurement => self
                        .calendars
                        .working_days_end_ms(opened_at_ms, PROCUREMENT_WORKING_DAYS)
                        .map_err(FilingRefusal::Calendar),
                }
            }
            ObjectionMatter::Evaluation => match (tender.phase, &tender.publicity) {
                (Phase::Publicity, Some(publicity)) => Ok(publicity.award_from_ms),
                _ => Err(FilingRefusal::Phase),
            },
        }
    }

    /// When the answer to an objection about `matter` filed at `filed_at_ms` is due.
    pub fn answer_due_ms(&self, matter: ObjectionMatter, filed_at_ms: u64) -> Result<u64, CalendarError> {
        match (self.clock, matter) {
            (ObjectionClock::Tendering, ObjectionMatter::Documents | ObjectionMatter::Evaluation) => {
                self.calendars.calendar_days_end_ms(filed_at_ms, TENDERING_ANSWER_DAYS)
            }
            (ObjectionClock::Tendering, ObjectionMatter::Opening) => Ok(end_of_day_ms(filed_at_ms)),
            (ObjectionClock::GovernmentProcurement, _) => self
                .calendars
                .working_days_end_ms(filed_at_ms, PROCUREMENT_WORKING_DAYS),
        }
    }
}

/// 24:00 China Standard Time of the day of `timestamp_ms`.
fn end_of_day_ms(timestamp_ms: u64) -> u64 {
    let date = CalendarDate::of_timestamp(timestamp_ms);
    date.start_ms().saturating_add(DAY_MS)
}

/// The first unanswered objection of `tender` that holds what `hold` names, under `clock`: an
/// award is held by every one, the close by those that hold the close, an office act by those
/// that hold every office act.
pub fn first_holding(tender: &Tender, clock: ObjectionClock, hold: Hold) -> Option<&Objection> {
    tender
        .objections
        .iter()
        .filter(|objection| objection.is_pending())
        .find(|objection| {
            let held = objection.holds(clock);
            match hold {
                Hold::Award => true,
                Hold::Close => held == Hold::Close,
                Hold::OfficeActs => held == Hold::OfficeActs,
            }
        })
}
