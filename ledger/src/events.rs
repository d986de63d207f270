//! What applying an entry tells its sender ([`Response`]) and the supervisors
//! ([`AuditEvent`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::dkg::Fault;
use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::merkle::Hash;

use crate::award::LotOutcome;
use crate::types::{CorrectionId, LotId, TenderId, WarningId};

/// The answer to an applied entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Applied; nothing more to say.
    Applied,
    /// The genesis entry took effect.
    Initialised,
    /// A tender was published with this id.
    TenderPublished {
        /// The new tender's id.
        tender: TenderId,
    },
    /// An amendment took effect; the deadline now in force.
    TenderAmended {
        /// The deadline in force.
        deadline_ms: u64,
    },
    /// The key generation finished: bids are sealed to this key from now on.
    KeyGenerationFinished {
        /// The tender's opening key Y.
        opening_key: CurvePoint,
    },
    /// A bid was accepted (submitted or replaced); keep the audit index for the receipt.
    BidAccepted {
        /// The entry's audit-log index.
        audit_index: u64,
        /// The entry's leaf hash.
        leaf_hash: Hash,
    },
    /// A share was accepted.
    ShareAccepted {
        /// Valid shares released so far.
        valid_shares: usize,
        /// Shares the opening needs.
        threshold: u16,
    },
    /// The bids were opened.
    TenderOpened {
        /// Valid bids.
        valid: usize,
        /// Bids that could not be used.
        invalid: usize,
    },
    /// The tender was awarded or failed, per lot.
    TenderAwarded {
        /// Each lot's outcome.
        results: BTreeMap<LotId, LotOutcome>,
    },
    /// A suspended tender was resumed; the deadline now in force.
    TenderResumed {
        /// The deadline in force.
        deadline_ms: u64,
    },
    /// The candidates are published.
    CandidatesPublished {
        /// When the publicity ends.
        ends_ms: u64,
        /// From when the award may be made.
        award_from_ms: u64,
    },
    /// An objection was recorded with this id.
    ObjectionFiled {
        /// The objection's id, for the office's answer.
        objection: crate::types::ObjectionId,
        /// When the answer period ends.
        answer_due_ms: u64,
    },
    /// A complaint was recorded with this id.
    ComplaintFiled {
        /// The complaint's id, for the supervisors' review and decision.
        complaint: crate::types::ComplaintId,
        /// When the review period ends.
        review_due_ms: u64,
    },
    /// A correction order was recorded with this id.
    CorrectionOrdered {
        /// The order's id, for the office's reply.
        correction: CorrectionId,
    },
}

/// Something supervisors watch (电子监察): every state change worth a look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    /// A role was granted.
    RoleGranted {
        /// To whom.
        actor: PublicKey,
        /// Which.
        role: crate::types::Role,
    },
    /// A role was taken away (a bidder's registration revoked).
    RoleRevoked {
        /// From whom.
        actor: PublicKey,
        /// Which.
        role: crate::types::Role,
    },
    /// A tender was published.
    TenderPublished {
        /// The tender.
        tender: TenderId,
    },
    /// An amendment moved the deadline.
    DeadlineMoved {
        /// The tender.
        tender: TenderId,
        /// The new deadline.
        deadline_ms: u64,
    },
    /// The key generation found misbehaviour.
    CommitteeFault {
        /// The tender.
        tender: TenderId,
        /// Who did what.
        fault: Fault,
    },
    /// Every member responded but the key generation could not finish (the office may
    /// cancel and republish).
    KeyGenerationFailed {
        /// The tender.
        tender: TenderId,
        /// Why.
        reason: String,
    },
    /// Bidding closed.
    TenderClosed {
        /// The tender.
        tender: TenderId,
        /// Bids at the close.
        bids: usize,
    },
    /// A bid could not be used at the opening.
    BidInvalid {
        /// The tender.
        tender: TenderId,
        /// The lot.
        lot: LotId,
        /// Whose.
        bidder: PublicKey,
        /// Why.
        reason: String,
    },
    /// A bid was disqualified in evaluation.
    BidDisqualified {
        /// The tender.
        tender: TenderId,
        /// The lot.
        lot: LotId,
        /// Whose.
        bidder: PublicKey,
        /// The office's reason.
        reason: String,
    },
    /// A lot failed (流标).
    LotFailed {
        /// The tender.
        tender: TenderId,
        /// The lot.
        lot: LotId,
    },
    /// The tender was cancelled.
    TenderCancelled {
        /// The tender.
        tender: TenderId,
        /// Why.
        reason: String,
    },
    /// A supervisor suspended the tender (实施条例 Art. 62).
    TenderSuspended {
        /// The tender.
        tender: TenderId,
        /// The supervisor.
        supervisor: PublicKey,
        /// Why.
        reason: String,
    },
    /// A supervisor resumed the tender.
    TenderResumed {
        /// The tender.
        tender: TenderId,
        /// How long it was suspended, ms.
        suspended_for_ms: u64,
    },
    /// A supervisor ordered an office to correct something (电子招标投标办法 Art. 52).
    CorrectionOrdered {
        /// The order.
        correction: CorrectionId,
        /// The office it is addressed to.
        office: PublicKey,
        /// The tender it concerns, if any.
        tender: Option<TenderId>,
        /// When the reply is due, ms since the Unix epoch.
        due_ms: u64,
    },
    /// The office replied to a correction order.
    CorrectionReplied {
        /// The order.
        correction: CorrectionId,
        /// The office.
        office: PublicKey,
        /// Whether the reply came after the due time.
        late: bool,
    },
    /// The office published a tender's ranked candidates.
    CandidatesPublished {
        /// The tender.
        tender: TenderId,
        /// When the publicity ends.
        ends_ms: u64,
    },
    /// A bidder objected to a tender's office.
    ObjectionFiled {
        /// The tender.
        tender: TenderId,
        /// The objection.
        objection: crate::types::ObjectionId,
        /// Its matter.
        matter: crate::objections::ObjectionMatter,
        /// When the answer is due.
        answer_due_ms: u64,
    },
    /// The office answered an objection.
    ObjectionAnswered {
        /// The tender.
        tender: TenderId,
        /// The objection.
        objection: crate::types::ObjectionId,
        /// Whether the answer changed the documents.
        amends: bool,
        /// Whether it came after the answer period.
        overdue: bool,
    },
    /// An objection's answer period ended without an answer.
    ObjectionUnanswered {
        /// The tender.
        tender: TenderId,
        /// The objection.
        objection: crate::types::ObjectionId,
    },
    /// A bidder complained to the supervisors.
    ComplaintFiled {
        /// The tender.
        tender: TenderId,
        /// The complaint.
        complaint: crate::types::ComplaintId,
        /// Its matter.
        matter: crate::complaints::ComplaintMatter,
        /// When the review is due.
        review_due_ms: u64,
    },
    /// A supervisor reviewed a complaint.
    ComplaintReviewed {
        /// The tender.
        tender: TenderId,
        /// The complaint.
        complaint: crate::types::ComplaintId,
        /// The review.
        review: crate::complaints::Review,
        /// Whether it came after the review period.
        overdue: bool,
    },
    /// A supervisor decided a complaint.
    ComplaintDecided {
        /// The tender.
        tender: TenderId,
        /// The complaint.
        complaint: crate::types::ComplaintId,
        /// The decision.
        decision: crate::complaints::Decision,
        /// Whether it came after the decision period.
        overdue: bool,
    },
    /// A complaint's review or decision period ended without the act.
    ComplaintOverdue {
        /// The tender.
        tender: TenderId,
        /// The complaint.
        complaint: crate::types::ComplaintId,
        /// Which period: `review` or `decision`.
        period: crate::complaints::Period,
    },
    /// A supervisor decided on a warning.
    WarningDisposed {
        /// The warning's tender, if it has one.
        tender: Option<TenderId>,
        /// The warning.
        warning: WarningId,
        /// Its level.
        level: crate::warnings::Level,
        /// The decision.
        disposition: crate::warnings::disposition::Disposition,
    },
    /// A supervisor's witness reported two checkpoints of the log that cannot both be true.
    LogForkReported {
        /// The supervisor.
        supervisor: PublicKey,
        /// The size of the checkpoint it co-signed.
        witnessed_size: u64,
        /// The size of the checkpoint presented later.
        presented_size: u64,
    },
}
