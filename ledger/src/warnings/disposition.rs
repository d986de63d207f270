//! What supervisors decide about a warning (预警处置): acknowledge it, dismiss it with a reason,
//! or escalate it to a higher authority. A red warning holds its tender's award until a
//! supervisor acknowledges or dismisses it; an escalated one still holds it, and may be
//! acknowledged or dismissed once, later. A red warning about the log itself (no tender) holds
//! every award.
//!
//! Data flow: a supervisor's `dispose_warning` command ([`crate::command::Action`]) is checked
//! here ([`Warning::may_take`]) and recorded on the warning, which keeps every disposition in
//! order; the award asks [`Warning::holds_award_of`] of every warning held.

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::rejection::Rejection;
use crate::types::TenderId;
use crate::warnings::{Level, Warning};

/// The most dispositions one warning takes: an escalation, then an acknowledgement or a
/// dismissal.
pub const DISPOSITIONS_PER_WARNING_MAX: usize = 2;

/// What a supervisor decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// The warning is noted: the supervisor follows it up (an order, a referral) and the tender
    /// may go on. Final.
    Acknowledge,
    /// The warning is unfounded (a shared office network, say); the reason says why. Final.
    Dismiss,
    /// The warning goes to a higher authority (the supervision department, the public security
    /// organ); a red one keeps holding the award until someone acknowledges or dismisses it.
    Escalate,
}

impl Disposition {
    /// Whether it settles the warning: nothing more may be decided, and a red one no longer
    /// holds the award.
    pub fn settles(self) -> bool {
        match self {
            Disposition::Acknowledge | Disposition::Dismiss => true,
            Disposition::Escalate => false,
        }
    }

    /// Its name, as in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Disposition::Acknowledge => "acknowledge",
            Disposition::Dismiss => "dismiss",
            Disposition::Escalate => "escalate",
        }
    }
}

/// One decision on a warning, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DispositionRecord {
    /// What was decided.
    pub disposition: Disposition,
    /// The supervisor who decided.
    pub supervisor: PublicKey,
    /// Why.
    pub reason: String,
    /// The deciding entry's timestamp.
    pub disposed_at_ms: u64,
    /// The deciding entry's audit index.
    pub audit_index: u64,
}

impl Warning {
    /// The decision in force: the last one.
    pub fn disposition(&self) -> Option<Disposition> {
        self.dispositions.last().map(|record| record.disposition)
    }

    /// Whether a supervisor acknowledged or dismissed it.
    pub fn settled(&self) -> bool {
        self.disposition().is_some_and(Disposition::settles)
    }

    /// Whether it holds an award: red, and not settled. One of a tender holds that tender's
    /// award; one about the log itself (no tender) holds every award.
    pub fn holds_award(&self) -> bool {
        self.level == Level::Red && !self.settled()
    }

    /// Whether it holds `tender`'s award.
    pub fn holds_award_of(&self, tender: &TenderId) -> bool {
        self.holds_award() && self.tender.as_ref().is_none_or(|own| own == tender)
    }

    /// Whether `disposition` may be decided now: never after a settling one, and an escalation
    /// only once.
    pub fn may_take(&self, disposition: Disposition) -> Result<(), Rejection> {
        let refused = || Rejection::WarningDisposed {
            warning: self.id.clone(),
            disposition: self.disposition().map_or("none", Disposition::name),
        };
        match self.disposition() {
            Some(current) if current.settles() => Err(refused()),
            Some(Disposition::Escalate) if disposition == Disposition::Escalate => Err(refused()),
            _ => Ok(()),
        }
    }
}
