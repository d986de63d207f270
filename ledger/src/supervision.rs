//! What supervisors order offices to do (电子招标投标办法 Arts. 48-52): correction orders and the
//! offices' replies. A tender's suspension lives with the tender ([`crate::tender::Suspension`]).

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::types::{CorrectionId, TenderId};

/// The most correction orders the state holds at once (open ones, and answered ones whose
/// tender is not final yet): a supervisor's order past it is refused until some are answered.
pub const CORRECTIONS_HELD_MAX: usize = 10_000;

/// A supervisor's order to an office, held from its entry until it is answered and its tender
/// (if it names one) is final; the log keeps it for ever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Correction {
    /// Its id.
    pub id: CorrectionId,
    /// The supervisor who ordered it.
    pub supervisor: PublicKey,
    /// The office addressed.
    pub office: PublicKey,
    /// The tender concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tender: Option<TenderId>,
    /// What is to be corrected, and why.
    pub reason: String,
    /// The ordering entry's timestamp.
    pub ordered_at_ms: u64,
    /// When the reply is due.
    pub due_ms: u64,
    /// The ordering entry's audit index.
    pub audit_index: u64,
    /// The office's reply, once it came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<CorrectionReply>,
}

/// An office's signed reply to a correction order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionReply {
    /// The replying entry's timestamp.
    pub replied_at_ms: u64,
    /// What the office did.
    pub text: String,
    /// The replying entry's audit index.
    pub audit_index: u64,
}

impl Correction {
    /// Whether the reply is overdue at `now_ms`: unanswered past its due time.
    pub fn overdue(&self, now_ms: u64) -> bool {
        self.reply.is_none() && now_ms > self.due_ms
    }
}
