//! Complaints (投诉) that a bidder files with a supervisor about a tender, the supervisor's review
//! (accepted, not accepted with a reason, or referred) and decision (dismissed, or upheld with a
//! handling), and the statutory clock they run on. Pure: every instant is computed from entry
//! timestamps on the published calendar ([`crate::calendar`]).
//!
//! Data flow: `file_complaint` is checked against its objection (the matters of 实施条例 Arts.
//! 22, 44 and 54, and every matter under 财政部94号令, go to the office first: [`Gate`]) and its
//! filing window ([`Rules::filing_closes_ms`]), and records a [`Complaint`] on its tender with the
//! time its review is due ([`Rules::review_due_ms`]). `review_complaint` records the review; an
//! accepted complaint may suspend the tender, and its decision becomes due
//! ([`Rules::decision_due_ms`]). `decide_complaint` records the decision and carries out its
//! handling; it resumes a suspension its acceptance made. While a complaint is open (not
//! reviewed, or accepted and not decided) it holds its tender's award; so does an answered
//! objection whose complaint window is still open ([`complaint_window_closes_ms`]), so the
//! office cannot cut off a complaint by awarding. When a review or decision period ends without
//! it, the leader commits an unsigned [`crate::command::Lapse`] entry that marks the complaint
//! overdue and raises a `complaint-overdue` warning (yellow for the review, red for the
//! decision: escalated, and the award waits for a supervisor's disposition).
//!
//! The clocks (docs/protocol.md §10.11):
//!
//! | period | tendering law (实施条例, 工程建设项目招标投标活动投诉处理办法) | government procurement (财政部94号令) |
//! |---|---|---|
//! | filing | 10 days from when the complainant knew (Art. 60): the objection's answer, or the end of its answer period; for another matter, the instant the complaint states | 15 working days from the end of the objection's answer period (Art. 17) |
//! | review | 3 working days from the filing (Art. 61) | 5 working days from the filing (Art. 21) |
//! | decision | 30 working days from the acceptance (Art. 61) | 30 working days from the filing (Art. 28) |

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::calendar::{CalendarError, Calendars};
use crate::objections::{Objection, ObjectionClock, ObjectionLapse, ObjectionMatter};
use crate::types::{ComplaintId, ObjectionId};

/// 实施条例 Art. 60: a complaint within 10 days of when the complainant knew.
const TENDERING_FILING_DAYS: u32 = 10;
/// 实施条例 Art. 61: the supervisor decides whether to accept within 3 working days.
const TENDERING_REVIEW_WORKING_DAYS: u32 = 3;
/// 财政部94号令 Art. 17: a complaint within 15 working days after the answer period.
const PROCUREMENT_FILING_WORKING_DAYS: u32 = 15;
/// 财政部94号令 Art. 21: the complaint reviewed within 5 working days.
const PROCUREMENT_REVIEW_WORKING_DAYS: u32 = 5;
/// 实施条例 Art. 61 and 财政部94号令 Art. 28: a decision within 30 working days.
const DECISION_WORKING_DAYS: u32 = 30;
/// The most complaints one tender holds (as for objections, only a flood comes near).
pub const COMPLAINTS_PER_TENDER_MAX: usize = 1_000;

/// What a complaint is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComplaintMatter {
    /// The tender documents (实施条例 Art. 22): an objection to the office comes first.
    Documents,
    /// The opening (Art. 44): an objection comes first.
    Opening,
    /// The evaluation result (Art. 54): an objection comes first.
    Evaluation,
    /// Any other breach of the law in the tender (Art. 60, first paragraph): tendering law
    /// only; under 财政部94号令 every complaint follows a query.
    Other,
}

impl ComplaintMatter {
    /// What the matter is, in words.
    pub fn name(self) -> &'static str {
        match self {
            ComplaintMatter::Documents => "tender documents",
            ComplaintMatter::Opening => "opening",
            ComplaintMatter::Evaluation => "evaluation result",
            ComplaintMatter::Other => "conduct of the tender",
        }
    }

    /// The objection matter that must have come first, if the matter is one.
    pub fn objection_matter(self) -> Option<ObjectionMatter> {
        match self {
            ComplaintMatter::Documents => Some(ObjectionMatter::Documents),
            ComplaintMatter::Opening => Some(ObjectionMatter::Opening),
            ComplaintMatter::Evaluation => Some(ObjectionMatter::Evaluation),
            ComplaintMatter::Other => None,
        }
    }
}

/// Why a supervisor does not accept a complaint (实施条例 Art. 61; 工程建设项目招标投标活动投诉
/// 处理办法 Art. 12; 财政部94号令 Art. 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotAcceptedReason {
    /// The complainant is no party to the tender and has no interest in it.
    NotAParty,
    /// The complaint states nothing specific and gives no lead.
    NoGrounds,
    /// The complaint came after its period.
    OutOfTime,
    /// The matter was decided already, and the complaint brings no new evidence.
    AlreadyDecided,
    /// The complaint lacks what a complaint must state, and was not completed.
    Incomplete,
    /// The matter is before an administrative review or a court.
    OtherProceedings,
}

/// A supervisor's review of a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Review {
    /// Accepted (受理): the decision is due in 30 working days; `suspend` also suspends the
    /// tender until the decision (实施条例 Art. 62).
    Accepted {
        /// Whether the acceptance suspends the tender.
        suspend: bool,
    },
    /// Not accepted (不予受理), for a reason from the list.
    NotAccepted {
        /// Why.
        reason: NotAcceptedReason,
    },
    /// Referred to the authority competent for it (告知向有权部门投诉): it ends here.
    Referred,
}

/// How an upheld complaint is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// The evaluation is done again: the candidates are withdrawn and the tender is back in
    /// `opened` (after its opening only).
    ReEvaluate,
    /// The tender is tendered again: this one is cancelled, and the office publishes a new one.
    ReTender,
    /// The award is annulled (中标无效): the publicized winners are disqualified and the
    /// candidates withdrawn, so the office publishes the next in rank, or cancels (during the
    /// candidate publicity only: no award is made while a complaint is open).
    AnnulAward,
}

/// A supervisor's decision on an accepted complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Decision {
    /// The complaint has no ground (驳回).
    Dismissed,
    /// The complaint is upheld, and handled so.
    Upheld {
        /// The handling.
        handling: Handling,
    },
}

/// A supervisor's period on a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// The review (受理审查).
    Review,
    /// The decision (处理决定).
    Decision,
}

/// The record of a supervisor's act on a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Act<T> {
    /// What the supervisor decided.
    pub outcome: T,
    /// Its written reasons.
    pub text: String,
    /// The supervisor.
    pub supervisor: PublicKey,
    /// The entry's timestamp.
    pub at_ms: u64,
    /// The entry's audit index.
    pub audit_index: u64,
    /// Whether it came after its period.
    pub overdue: bool,
}

/// A bidder's complaint, held on its tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Complaint {
    /// Its id.
    pub id: ComplaintId,
    /// What it is about.
    pub matter: ComplaintMatter,
    /// The bidder who filed it.
    pub complainant: PublicKey,
    /// The complainant's objection it follows, for a matter that needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objection: Option<ObjectionId>,
    /// For another matter: when the complainant says it knew, ms since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_at_ms: Option<u64>,
    /// What the complaint is, and why.
    pub text: String,
    /// The filing entry's timestamp.
    pub filed_at_ms: u64,
    /// The filing entry's audit index.
    pub audit_index: u64,
    /// When the review period ends.
    pub review_due_ms: u64,
    /// The review, once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Act<Review>>,
    /// Whether the acceptance suspended the tender (the decision resumes it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
    /// When the decision period ends: from the filing (government procurement) or from the
    /// acceptance (tendering law).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_due_ms: Option<u64>,
    /// The decision, once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Act<Decision>>,
    /// When the leader recorded that the review period ended without a review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_lapsed: Option<ObjectionLapse>,
    /// When the leader recorded that the decision period ended without a decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_lapsed: Option<ObjectionLapse>,
}

impl Complaint {
    /// Whether it is still running: not reviewed, or accepted and not decided. An open
    /// complaint holds its tender's award.
    pub fn is_open(&self) -> bool {
        match &self.review {
            None => true,
            Some(review) => matches!(review.outcome, Review::Accepted { .. }) && self.decision.is_none(),
        }
    }

    /// Whether a review lapse entry stamped `timestamp_ms` records it.
    pub fn review_lapses_by(&self, timestamp_ms: u64) -> bool {
        self.review.is_none() && self.review_lapsed.is_none() && self.review_due_ms <= timestamp_ms
    }

    /// Whether a decision lapse entry stamped `timestamp_ms` records it.
    pub fn decision_lapses_by(&self, timestamp_ms: u64) -> bool {
        self.is_open()
            && self.decision_lapsed.is_none()
            && self.decision_due_ms.is_some_and(|due_ms| due_ms <= timestamp_ms)
    }
}

/// Why a complaint cannot be filed as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Its matter needs the complainant's own objection on that matter first.
    ObjectionRequired,
    /// Its objection is still within its answer period, unanswered.
    AwaitingAnswer {
        /// The objection.
        objection: ObjectionId,
        /// When the answer period ends.
        answer_due_ms: u64,
    },
}

/// The complaint rules of one tender.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// The clock of the tender's market.
    pub clock: ObjectionClock,
    /// The published calendars.
    pub calendars: Calendars<'a>,
}

impl Rules<'_> {
    /// Whether `matter` may be complained of with `objection` (the complainant's objection,
    /// `None` if it names none) at `timestamp_ms`: the objection-gated matters need one on the
    /// same matter, answered or past its answer period.
    pub fn gate(&self, matter: ComplaintMatter, objection: Option<&Objection>, timestamp_ms: u64) -> Result<(), Gate> {
        let needed = match (self.clock, matter.objection_matter()) {
            (_, Some(needed)) => needed,
            (ObjectionClock::Tendering, None) => return Ok(()),
            (ObjectionClock::GovernmentProcurement, None) => return Err(Gate::ObjectionRequired),
        };
        let objection = objection
            .filter(|objection| objection.matter == needed)
            .ok_or(Gate::ObjectionRequired)?;
        if objection.is_pending() && timestamp_ms < objection.answer_due_ms {
            return Err(Gate::AwaitingAnswer {
                objection: objection.id.clone(),
                answer_due_ms: objection.answer_due_ms,
            });
        }
        Ok(())
    }

    /// When the window to complain ends: after `objection` (answered, or past its answer
    /// period), or, for another matter, after `known_at_ms`.
    pub fn filing_closes_ms(&self, objection: Option<&Objection>, known_at_ms: u64) -> Result<u64, CalendarError> {
        match objection {
            Some(objection) => complaint_window_closes_ms(self.clock, self.calendars, objection),
            None => self.calendars.calendar_days_end_ms(known_at_ms, TENDERING_FILING_DAYS),
        }
    }

    /// When the review of a complaint filed at `filed_at_ms` is due.
    pub fn review_due_ms(&self, filed_at_ms: u64) -> Result<u64, CalendarError> {
        let days = match self.clock {
            ObjectionClock::Tendering => TENDERING_REVIEW_WORKING_DAYS,
            ObjectionClock::GovernmentProcurement => PROCUREMENT_REVIEW_WORKING_DAYS,
        };
        self.calendars.working_days_end_ms(filed_at_ms, days)
    }

    /// When the decision is due, as known at the filing (`accepted_at_ms` `None`) or at the
    /// acceptance: government procurement counts from the filing, the tendering law from the
    /// acceptance (so `None` until then).
    pub fn decision_due_ms(&self, filed_at_ms: u64, accepted_at_ms: Option<u64>) -> Result<Option<u64>, CalendarError> {
        let from_ms = match (self.clock, accepted_at_ms) {
            (ObjectionClock::GovernmentProcurement, _) => filed_at_ms,
            (ObjectionClock::Tendering, Some(accepted_at_ms)) => accepted_at_ms,
            (ObjectionClock::Tendering, None) => return Ok(None),
        };
        self.calendars
            .working_days_end_ms(from_ms, DECISION_WORKING_DAYS)
            .map(Some)
    }
}

/// When the window to complain after `objection` ends, under `clock`: 10 days from its answer
/// (or from the end of its answer period, unanswered) under the tendering law (实施条例 Art. 60:
/// the answer period does not count); 15 working days after its answer period under 财政部94号令
/// (Art. 17), counted from the period's last day.
pub fn complaint_window_closes_ms(
    clock: ObjectionClock,
    calendars: Calendars<'_>,
    objection: &Objection,
) -> Result<u64, CalendarError> {
    match clock {
        ObjectionClock::Tendering => {
            let known_at_ms = objection
                .answer
                .as_ref()
                .map_or(objection.answer_due_ms.saturating_sub(1), |answer| {
                    answer.answered_at_ms
                });
            calendars.calendar_days_end_ms(known_at_ms, TENDERING_FILING_DAYS)
        }
        ObjectionClock::GovernmentProcurement => calendars.working_days_end_ms(
            objection.answer_due_ms.saturating_sub(1),
            PROCUREMENT_FILING_WORKING_DAYS,
        ),
    }
}
