//! Performance evaluation (绩效评估): for every office, and for the supervisors, every step with
//! a statutory clock, the time taken against the time allowed. Pure: the ledger records each
//! step when its act is applied, from the act's entry timestamp, so every replica and a
//! supervisor's replay hold the same tallies.
//!
//! Data flow: a handler that completes a timed step (an objection's answer, the candidates'
//! first publication, an award within the bid validity, a correction order's reply, a
//! complaint's review and decision) calls
//! [`Performance::record`] with a [`Done`]; the tally of its month (China Standard Time, the
//! month of the act), actor and step grows. [`report`] reads one month's tallies and, from the
//! state as of its last entry, the cases still running late (docs/protocol.md §10.12).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::calendar::CalendarDate;

/// A step with a statutory clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// An office answers an objection (§10.10).
    ObjectionAnswer,
    /// An office publishes a tender's candidates after its opening: construction within 3 days
    /// (实施条例 Art. 54), procurement within 7 working days (财政部87号令 Arts. 68-69).
    CandidatePublicity,
    /// An office awards a tender, with its result notices, within the bid validity the tender
    /// set (实施条例 Art. 25), counted in days from the deadline.
    Award,
    /// An office replies to a supervisor's correction order by its due time.
    CorrectionReply,
    /// The supervisors review a complaint (§10.11).
    ComplaintReview,
    /// The supervisors decide an accepted complaint (§10.11).
    ComplaintDecision,
}

impl Step {
    /// The step's name, as in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Step::ObjectionAnswer => "objection_answer",
            Step::CandidatePublicity => "candidate_publicity",
            Step::Award => "award",
            Step::CorrectionReply => "correction_reply",
            Step::ComplaintReview => "complaint_review",
            Step::ComplaintDecision => "complaint_decision",
        }
    }
}

/// Who a step is due from: an office, or the supervisors as one body (any supervisor may act).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Actor {
    /// The office (its key).
    Office(PublicKey),
    /// The supervisors.
    Supervisors,
}

impl Actor {
    /// The actor as a map key and in the JSON: the office's key text, or `supervisors`.
    pub fn key(&self) -> String {
        match self {
            Actor::Office(key) => key.to_string(),
            Actor::Supervisors => "supervisors".to_owned(),
        }
    }
}

/// What one actor did on one step in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    /// Steps done.
    pub count: u64,
    /// Of them, done in time.
    pub on_time: u64,
    /// Of them, done after their period.
    pub overdue: u64,
    /// The time they took, summed, ms.
    pub taken_ms: u64,
    /// The time they were allowed, summed, ms.
    pub allowed_ms: u64,
}

impl Tally {
    /// Adds `other` to this tally.
    fn add(&mut self, other: &Tally) {
        self.count = self.count.saturating_add(other.count);
        self.on_time = self.on_time.saturating_add(other.on_time);
        self.overdue = self.overdue.saturating_add(other.overdue);
        self.taken_ms = self.taken_ms.saturating_add(other.taken_ms);
        self.allowed_ms = self.allowed_ms.saturating_add(other.allowed_ms);
    }

    /// The share done in time, in per mille (rounded down); `None` when nothing was done.
    pub fn on_time_per_mille(&self) -> Option<u64> {
        (self.count > 0).then(|| self.on_time.saturating_mul(1_000) / self.count)
    }
}

/// A step done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    /// Who it was due from.
    pub actor: Actor,
    /// Which step.
    pub step: Step,
    /// When its period began.
    pub started_at_ms: u64,
    /// When its period ended.
    pub due_ms: u64,
    /// When it was done (its entry's timestamp).
    pub done_at_ms: u64,
    /// Whether it was in time (each step's own rule: before `due_ms`, or for a correction
    /// reply at or before it).
    pub on_time: bool,
}

/// A month, `YYYY-MM`, in China Standard Time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    /// The year, 1000 to 9999.
    pub year: u16,
    /// The month, 1 to 12.
    pub month: u8,
}

impl Month {
    /// Parses `YYYY-MM` exactly.
    pub fn parse(text: &str) -> Option<Self> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 || !(year.bytes().chain(month.bytes())).all(|byte| byte.is_ascii_digit())
        {
            return None;
        }
        let year: u16 = year.parse().ok()?;
        let month: u8 = month.parse().ok()?;
        ((1_000..=9_999).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// The month of the instant `timestamp_ms` in China Standard Time.
    pub fn of_timestamp(timestamp_ms: u64) -> Self {
        let date = CalendarDate::of_timestamp(timestamp_ms).0;
        Self {
            year: u16::try_from(date.year()).unwrap_or(u16::MAX),
            month: u8::from(date.month()),
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{:04}-{:02}", self.year, self.month)
    }
}

/// The most months whose tallies the state keeps: the newest ten years. A step recorded in a
/// newer month drops the oldest month past it (the log keeps every act for ever).
pub const PERFORMANCE_MONTHS_MAX: usize = 120;

/// The tallies, by month (`YYYY-MM`), actor ([`Actor::key`]) and step: a few numbers per
/// office, step and month, for the newest [`PERFORMANCE_MONTHS_MAX`] months.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Performance(pub BTreeMap<String, BTreeMap<String, BTreeMap<Step, Tally>>>);

impl Performance {
    /// Whether nothing was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records a step done, in the month it was done.
    pub fn record(&mut self, done: &Done) {
        debug_assert!(done.started_at_ms <= done.due_ms, "a period ends after it begins");
        let tally = Tally {
            count: 1,
            on_time: u64::from(done.on_time),
            overdue: u64::from(!done.on_time),
            taken_ms: done.done_at_ms.saturating_sub(done.started_at_ms),
            allowed_ms: done.due_ms.saturating_sub(done.started_at_ms),
        };
        self.0
            .entry(Month::of_timestamp(done.done_at_ms).to_string())
            .or_default()
            .entry(done.actor.key())
            .or_default()
            .entry(done.step)
            .or_default()
            .add(&tally);
        while self.0.len() > PERFORMANCE_MONTHS_MAX {
            self.0.pop_first();
        }
    }

    /// The month's tallies by actor, each with its total over the steps.
    pub fn month(&self, month: Month) -> Vec<ActorTallies> {
        self.0
            .get(&month.to_string())
            .map(|actors| {
                actors
                    .iter()
                    .map(|(actor, steps)| {
                        let mut total = Tally::default();
                        steps.values().for_each(|tally| total.add(tally));
                        ActorTallies {
                            actor: actor.clone(),
                            name: None,
                            steps: steps.clone(),
                            total,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One actor's tallies in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActorTallies {
    /// The office's key, or `supervisors`.
    pub actor: String,
    /// The office's name as its role was granted; `None` for the supervisors.
    pub name: Option<String>,
    /// By step.
    pub steps: BTreeMap<Step, Tally>,
    /// Over every step.
    pub total: Tally,
}

/// A case still running late: its step's period ended and its act has not come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Late {
    /// Who it is due from: the office's key, or `supervisors`.
    pub actor: String,
    /// The office's name; `None` for the supervisors.
    pub name: Option<String>,
    /// Which step.
    pub step: Step,
    /// The tender, if the case has one.
    pub tender: Option<crate::types::TenderId>,
    /// The case: the objection, the correction order or the complaint (none for a
    /// publicity, which is the tender's).
    pub case: Option<String>,
    /// When its period ended.
    pub due_ms: u64,
    /// How late it is at the report's instant, ms.
    pub late_by_ms: u64,
}

/// The performance report of one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// The month.
    pub month: String,
    /// The instant the report is as of: the last applied entry's timestamp.
    pub as_of_ms: u64,
    /// The month's tallies, by actor.
    pub actors: Vec<ActorTallies>,
    /// Every case running late at `as_of_ms`, whatever its month, oldest due first.
    pub running_late: Vec<Late>,
}

/// The report of `month` from `state`.
pub fn report(state: &crate::state::State, month: Month) -> Report {
    let as_of_ms = state.last_timestamp_ms;
    let name = |actor: &str| {
        let key = PublicKey::parse(actor).ok()?;
        state.participants.get(&key).map(|participant| participant.name.clone())
    };
    let mut running_late = crate::handlers::performance::running_late(state, as_of_ms);
    running_late.sort_by(|left, right| {
        (left.due_ms, &left.actor, left.step, &left.case).cmp(&(right.due_ms, &right.actor, right.step, &right.case))
    });
    for case in &mut running_late {
        case.name = name(&case.actor);
    }
    let mut actors = state.performance.month(month);
    for actor in &mut actors {
        actor.name = name(&actor.actor);
    }
    Report {
        month: month.to_string(),
        as_of_ms,
        actors,
        running_late,
    }
}
