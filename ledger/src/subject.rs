//! What an entry concerns: its tender, that tender's market and office, or the office a
//! supervisor's order is addressed to. Supervisors filter the live stream and read a tender's
//! timeline by it; every replica derives the same subject from the same log.

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::command::Action;
use crate::state::State;
use crate::types::{Market, TenderId};

/// What an entry concerns; every member is absent for an entry about no tender and no office (a
/// role's grant, a registration, the genesis).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subject {
    /// The tender it acts on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tender: Option<TenderId>,
    /// That tender's market.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<Market>,
    /// That tender's office, or the office a correction order is addressed to (or replied by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<PublicKey>,
}

impl Subject {
    /// Whether the entry concerns nothing.
    pub fn is_empty(&self) -> bool {
        self.tender.is_none() && self.market.is_none() && self.office.is_none()
    }

    /// The subject of a command's `action` in `state`, the state before the command is applied
    /// (a tender's publication has none yet: its subject is [`Subject::of_tender`] of the new
    /// tender, after it).
    pub fn of_action(state: &State, action: &Action) -> Self {
        match action {
            Action::OrderCorrection { office, tender, .. } => Self {
                office: Some(*office),
                ..tender
                    .as_ref()
                    .map(|tender| Self::of_tender(state, tender))
                    .unwrap_or_default()
            },
            Action::ReplyCorrection { correction, .. } => match state.corrections.get(correction) {
                Some(order) => Self {
                    office: Some(order.office),
                    ..order
                        .tender
                        .as_ref()
                        .map(|tender| Self::of_tender(state, tender))
                        .unwrap_or_default()
                },
                None => Self::default(),
            },
            Action::SuspendTender { tender, .. }
            | Action::ResumeTender { tender, .. }
            | Action::FileObjection { tender, .. }
            | Action::AnswerObjection { tender, .. }
            | Action::FileComplaint { tender, .. }
            | Action::ReviewComplaint { tender, .. }
            | Action::DecideComplaint { tender, .. }
            | Action::DisposeWarning {
                tender: Some(tender), ..
            } => Self::of_tender(state, tender),
            action => action
                .moved_tender()
                .map(|tender| Self::of_tender(state, tender))
                .unwrap_or_default(),
        }
    }

    /// `tender`, with its market and office when it is open (the leader's close of it, say, or
    /// its publication, from the state after it).
    pub fn of_tender(state: &State, tender: &TenderId) -> Self {
        let open = state.tenders.get(tender);
        Self {
            tender: Some(tender.clone()),
            market: open.map(|open| open.spec.market),
            office: open.map(|open| open.office),
        }
    }
}
