//! Why an entry was not applied. A [`Rejection`] refuses one command and leaves the state
//! exactly as it was; a [`Fatal`] error means the log itself is wrong and the replica must stop.

use sealbid_crypto::dkg::DkgError;
use sealbid_crypto::identity::PublicKey;

use crate::credit_code::CreditCodeError;
use crate::tender::Phase;
use crate::types::{ComplaintId, CorrectionId, LotId, ObjectionId, RegistrationStatus, Role, TenderId, WarningId};

/// A command the ledger refuses. The state is unchanged; the message says what to do.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Rejection {
    /// The first entry must be the genesis entry.
    #[error("the ledger has no genesis entry yet")]
    NotInitialised,
    /// A second genesis entry.
    #[error("the ledger is already initialised")]
    AlreadyInitialised,
    /// The signature does not verify.
    #[error("the command's signature does not verify under its signer's key")]
    BadSignature,
    /// The payload is not a canonical command of a known shape.
    #[error("malformed command: {0}")]
    Malformed(String),
    /// A bid's submission or replacement came without the envelope whose digest it signs.
    #[error("a bid's command needs its envelope beside it (the `envelope` member): the command signs only its digest")]
    EnvelopeMissing,
    /// The envelope beside a bid's command is not the one whose digest it signs.
    #[error("the envelope's SHA-256 is not the `envelope_sha256` the command signs")]
    EnvelopeMismatch,
    /// An envelope came beside a command that signs none.
    #[error("only a bid's submission or replacement carries an envelope beside it")]
    UnexpectedEnvelope,
    /// A replay reached an opening with a live bid whose envelope the log did not serve.
    #[error(
        "the bid at audit entry {audit_index} has no envelope: the log served none, so the opening cannot be replayed"
    )]
    EnvelopeErased {
        /// The bid's audit index.
        audit_index: u64,
    },
    /// The command expired before it was ordered.
    #[error("the command expired at {expires_at_ms} ms; it was ordered at {timestamp_ms} ms: sign it again")]
    Expired {
        /// Its expiry.
        expires_at_ms: u64,
        /// The entry's timestamp.
        timestamp_ms: u64,
    },
    /// The expiry lies further ahead than the ledger remembers nonces.
    #[error("the command expires more than {lifetime_ms_max} ms after it was ordered: check the signer's clock")]
    ExpiryTooFar {
        /// The configured bound.
        lifetime_ms_max: u64,
    },
    /// The same signer used this nonce before: a replay.
    #[error("nonce {nonce} was already used by this signer (audit entry {first_audit_index}): a replayed command")]
    ReplayedNonce {
        /// The nonce.
        nonce: u64,
        /// The audit index of the command that used it first.
        first_audit_index: u64,
    },
    /// The signer lacks the role the command needs.
    #[error("the signer does not hold the {0:?} role")]
    MissingRole(Role),
    /// The signer is not the tender's office.
    #[error("only the office that published tender {0} may do this")]
    NotTheTendersOffice(TenderId),
    /// The signer is not on the tender's committee, or used another member's number.
    #[error("the signer is not member {member} of tender {tender}'s committee")]
    NotThatCommitteeMember {
        /// The tender.
        tender: TenderId,
        /// The member number claimed.
        member: u16,
    },
    /// No such tender open on this ledger (it may be archived: query storage).
    #[error("no open tender {0}")]
    UnknownTender(TenderId),
    /// No such lot in the tender.
    #[error("tender {tender} has no lot {lot}")]
    UnknownLot {
        /// The tender.
        tender: TenderId,
        /// The lot.
        lot: LotId,
    },
    /// The tender is not in the phase this command needs.
    #[error("tender {tender} is {phase:?}; this needs it to be {needed}")]
    WrongPhase {
        /// The tender.
        tender: TenderId,
        /// Its phase.
        phase: Phase,
        /// What the command needs.
        needed: &'static str,
    },
    /// A bid (or a change to one) that arrived at or after the deadline, or after the close.
    #[error("bidding on tender {tender} closed at its deadline, {deadline_ms} ms; this arrived at {arrived_at_ms} ms")]
    Late {
        /// The tender.
        tender: TenderId,
        /// The deadline.
        deadline_ms: u64,
        /// When the command arrived at the node that received it.
        arrived_at_ms: u64,
    },
    /// Close asked for before the deadline plus the arrival window.
    #[error(
        "tender {tender} closes at {closes_at_ms} ms (its deadline {deadline_ms} ms plus the arrival window), \
         not before (now {timestamp_ms} ms)"
    )]
    BeforeDeadline {
        /// The tender.
        tender: TenderId,
        /// The deadline.
        deadline_ms: u64,
        /// The earliest time it may close: the deadline plus the arrival window.
        closes_at_ms: u64,
        /// The entry's timestamp.
        timestamp_ms: u64,
    },
    /// A command's arrival stamp lies more than the arrival window ahead of its entry's
    /// timestamp: the receiving node's clock runs fast.
    #[error(
        "the command arrived at {received_at_ms} ms by its node's clock, more than {window_ms} ms ahead of the \
         leader's {timestamp_ms} ms: that node's clock runs fast; send it again, to another node"
    )]
    ArrivalOutOfWindow {
        /// The arrival stamp.
        received_at_ms: u64,
        /// The entry's timestamp.
        timestamp_ms: u64,
        /// The configured window.
        window_ms: u64,
    },
    /// A key that holds one of `admin` and `supervisor` may not be given the other: the
    /// operator does not supervise itself.
    #[error(
        "{actor} holds the {held:?} role, which does not go with {asked:?}: the operator does not supervise itself"
    )]
    IncompatibleRoles {
        /// The key.
        actor: PublicKey,
        /// The role it holds.
        held: Role,
        /// The role asked for.
        asked: Role,
    },
    /// The tender's office or a member of its committee may not bid on it.
    #[error("the office and the committee members of tender {0} may not bid on it")]
    ConflictOfInterest(TenderId),
    /// The bidder already has a bid on this lot.
    #[error("you already have a bid on lot {lot}: replace or withdraw it instead")]
    DuplicateBid {
        /// The lot.
        lot: LotId,
    },
    /// The bidder has no bid on this lot (a bid belongs to the bidder who submitted it).
    #[error("you have no bid on lot {lot} to change")]
    NoBid {
        /// The lot.
        lot: LotId,
    },
    /// A key or organisation is registered already.
    #[error("already registered: {0}")]
    DuplicateRegistration(String),
    /// The signer applied as a bidder, but no registrar has approved it (or one rejected or
    /// revoked it).
    #[error("this bidder's registration is {status}: only an approved bidder may bid")]
    RegistrationNotApproved {
        /// Pending, rejected or revoked.
        status: RegistrationStatus,
    },
    /// A registrar's decision on a key that has not applied.
    #[error("{0} has not applied to register as a bidder")]
    NoRegistration(PublicKey),
    /// A registrar's decision that does not fit the registration's status.
    #[error("the registration is {status}; only {needed} registrations can be {decision}")]
    RegistrationStatus {
        /// Where it stands.
        status: RegistrationStatus,
        /// Where it must stand.
        needed: RegistrationStatus,
        /// The decision asked for.
        decision: &'static str,
    },
    /// A registrar may not decide its own registration.
    #[error("a registrar may not decide its own registration")]
    OwnRegistration,
    /// The credit code is invalid.
    #[error("invalid unified social credit code: {0}")]
    InvalidCreditCode(#[from] CreditCodeError),
    /// The tender or a command breaks a rule of its content.
    #[error("invalid: {0}")]
    Invalid(String),
    /// A text (a name, title, notice or reason) is empty.
    #[error("the {what} is empty: write it")]
    EmptyText {
        /// Which text.
        what: &'static str,
    },
    /// A text holds a control character (NUL, an escape, CR, LF, …) or a bidirectional
    /// control, which can hide or reorder what a reader sees.
    #[error("the {what} holds U+{code_point:04X}, a control or bidirectional-control character: write it without")]
    ControlCharacter {
        /// Which text.
        what: &'static str,
        /// The character's code point.
        code_point: u32,
    },
    /// A bound of the ledger configuration would be exceeded.
    #[error("limit reached: {what} (at most {limit})")]
    Limit {
        /// What is bounded.
        what: &'static str,
        /// The bound.
        limit: usize,
    },
    /// A key-generation or share check failed; the error names the member at fault.
    #[error("committee: {0}")]
    Committee(String),
    /// The opening needs more valid shares.
    #[error("{valid} valid shares released; the opening needs {threshold}")]
    NotEnoughShares {
        /// Shares released and valid.
        valid: usize,
        /// The threshold.
        threshold: u16,
    },
    /// The bid to disqualify does not exist or is not valid.
    #[error("no valid opened bid by {bidder} on lot {lot}")]
    NoSuchOpenedBid {
        /// The lot.
        lot: LotId,
        /// The bidder.
        bidder: PublicKey,
    },
    /// A supervisor suspended the tender (实施条例 Art. 62), or had suspended it when a bid
    /// arrived: nothing on it moves until a supervisor resumes it.
    #[error(
        "tender {tender} is suspended by a supervisor since {since_ms} ms (or was when this arrived): \
         nothing on it moves until a supervisor resumes it"
    )]
    TenderSuspended {
        /// The tender.
        tender: TenderId,
        /// When the suspension began.
        since_ms: u64,
    },
    /// A resumption of a tender that is not suspended.
    #[error("tender {0} is not suspended")]
    NotSuspended(TenderId),
    /// No such correction order open on this ledger.
    #[error("no correction order {0} is open")]
    UnknownCorrection(CorrectionId),
    /// The signer is not the office the correction order is addressed to.
    #[error("correction order {0} is addressed to another office")]
    NotTheCorrectionsOffice(CorrectionId),
    /// The correction order was answered already.
    #[error("correction order {0} is answered already")]
    CorrectionAnswered(CorrectionId),
    /// No such warning of that open tender, or about the log itself when no tender is named
    /// (a final tender's warnings are archived as they stand).
    #[error("{} has no warning {warning} held: a final tender's warnings are archived as they stand", match tender {
        Some(tender) => format!("tender {tender}"),
        None => "the log itself".to_owned(),
    })]
    UnknownWarning {
        /// The tender named, if any.
        tender: Option<TenderId>,
        /// The warning named.
        warning: WarningId,
    },
    /// The warning was acknowledged or dismissed already, or escalated already (for an
    /// escalation).
    #[error("warning {warning} is decided already (its disposition: {disposition})")]
    WarningDisposed {
        /// The warning.
        warning: WarningId,
        /// The disposition in force.
        disposition: &'static str,
    },
    /// The year's calendar is published already.
    #[error("the calendar of {0} is published already")]
    CalendarPublished(i32),
    /// A period needs the official calendar of a year the operator has not published.
    #[error("the official calendar of {year} is not published yet: the operator publishes it (publish_calendar)")]
    CalendarNotPublished {
        /// The year.
        year: i32,
    },
    /// The award waits for the candidate publicity.
    #[error("tender {tender}'s award may be made from {award_from_ms} ms, when its candidate publicity has run")]
    PublicityRunning {
        /// The tender.
        tender: TenderId,
        /// From when the award may be made.
        award_from_ms: u64,
    },
    /// No such objection on that tender.
    #[error("tender {tender} has no objection {objection}")]
    UnknownObjection {
        /// The tender named.
        tender: TenderId,
        /// The objection named.
        objection: ObjectionId,
    },
    /// The objection was answered already.
    #[error("objection {0} is answered already")]
    ObjectionAnswered(ObjectionId),
    /// An unanswered objection holds what the command would do.
    #[error("tender {tender} is held by objection {objection} until the office answers it")]
    ObjectionPending {
        /// The tender.
        tender: TenderId,
        /// The first objection holding it.
        objection: ObjectionId,
    },
    /// The window to object to this matter is not open: the tender is not where the matter
    /// can be objected to, or the window ended.
    #[error("{} of tender {tender} {}", match matter {
        crate::objections::ObjectionMatter::Documents => "an objection to the documents",
        crate::objections::ObjectionMatter::Opening => "an objection to the opening",
        crate::objections::ObjectionMatter::Evaluation => "an objection to the evaluation result",
    }, match closed_at_ms {
        Some(closed_at_ms) => format!("had to be filed before {closed_at_ms} ms"),
        None => "cannot be filed in its phase".to_owned(),
    })]
    ObjectionOutOfTime {
        /// The tender.
        tender: TenderId,
        /// The matter.
        matter: crate::objections::ObjectionMatter,
        /// When its window ended; `None` when the tender is not in the matter's phase.
        closed_at_ms: Option<u64>,
    },
    /// The signer has no part in what it objects to: an objection to the opening or to the
    /// evaluation result comes from a bidder whose bid the opening read.
    #[error("the signer had no bid opened on tender {0}")]
    NotAParty(TenderId),
    /// A complaint about this matter needs the complainant's own objection on it first (实施条例
    /// Art. 60; under 财政部94号令 Art. 17 every complaint does).
    #[error("a complaint about the {} on tender {tender} needs the complainant's own objection on that matter first", matter.name())]
    ObjectionRequired {
        /// The tender.
        tender: TenderId,
        /// The matter.
        matter: crate::complaints::ComplaintMatter,
    },
    /// The objection a complaint follows is still within its answer period, unanswered.
    #[error("objection {objection} may still be answered until {answer_due_ms} ms: a complaint comes after the answer")]
    ObjectionAwaitingAnswer {
        /// The objection.
        objection: ObjectionId,
        /// When its answer period ends.
        answer_due_ms: u64,
    },
    /// The window to complain ended.
    #[error("a complaint about the {} on tender {tender} had to be filed before {closed_at_ms} ms", matter.name())]
    ComplaintOutOfTime {
        /// The tender.
        tender: TenderId,
        /// The matter.
        matter: crate::complaints::ComplaintMatter,
        /// When the window ended.
        closed_at_ms: u64,
    },
    /// The objection was taken to a complaint already.
    #[error("objection {objection} was taken to complaint {complaint} already")]
    DuplicateComplaint {
        /// The objection.
        objection: ObjectionId,
        /// The complaint that followed it.
        complaint: ComplaintId,
    },
    /// No such complaint on that tender.
    #[error("tender {tender} has no complaint {complaint}")]
    UnknownComplaint {
        /// The tender named.
        tender: TenderId,
        /// The complaint named.
        complaint: ComplaintId,
    },
    /// The complaint was reviewed already.
    #[error("complaint {0} is reviewed already")]
    ComplaintReviewed(ComplaintId),
    /// Only an accepted complaint is decided.
    #[error("complaint {0} is not accepted: only an accepted complaint is decided")]
    ComplaintNotAccepted(ComplaintId),
    /// The complaint was decided already.
    #[error("complaint {0} is decided already")]
    ComplaintDecided(ComplaintId),
    /// An open complaint holds the award.
    #[error("tender {tender}'s award is held by complaint {complaint} until a supervisor decides it")]
    ComplaintPending {
        /// The tender.
        tender: TenderId,
        /// The first open complaint.
        complaint: ComplaintId,
    },
    /// An objection may still be taken to a complaint: the award waits for its window.
    #[error(
        "tender {tender}'s award waits until {closes_at_ms} ms: objection {objection} may be taken to a complaint until then"
    )]
    ComplaintWindowOpen {
        /// The tender.
        tender: TenderId,
        /// The objection.
        objection: ObjectionId,
        /// When its complaint window closes.
        closes_at_ms: u64,
    },
    /// An unsigned lapse entry before its period ended, or for an act that was done.
    #[error("nothing lapses: {0}")]
    NotLapsed(String),
    /// A red warning on the tender waits for a supervisor's decision.
    #[error(
        "tender {tender}'s award is held by red warning {warning} until a supervisor acknowledges \
         or dismisses it"
    )]
    AwardHeld {
        /// The tender.
        tender: TenderId,
        /// The first warning holding it.
        warning: WarningId,
    },
}

/// What kind of refusal a [`Rejection`] is, for callers that map refusals to their own
/// classes (the API maps each to an HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RejectionKind {
    /// The command cannot be read: fix its form.
    Malformed,
    /// The signature does not prove who sent it.
    Unauthenticated,
    /// The signer may not do this.
    Forbidden,
    /// What it refers to does not exist.
    Unknown,
    /// It conflicts with the ledger's state (phase, replay, duplicate, deadline).
    Conflict,
    /// It is well formed but breaks a rule of its content or a bound.
    Invalid,
    /// It failed for a reason of the moment, not of the command: the same signed command sent
    /// again may be accepted.
    Transient,
}

impl Rejection {
    /// A stable identifier of the refusal, in kebab case: clients may match on it, and it never
    /// changes meaning.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::NotInitialised => "not-initialised",
            Rejection::AlreadyInitialised => "already-initialised",
            Rejection::BadSignature => "bad-signature",
            Rejection::Malformed(_) => "malformed-command",
            Rejection::EnvelopeMissing => "envelope-missing",
            Rejection::EnvelopeMismatch => "envelope-mismatch",
            Rejection::UnexpectedEnvelope => "unexpected-envelope",
            Rejection::EnvelopeErased { .. } => "envelope-erased",
            Rejection::Expired { .. } => "expired-command",
            Rejection::ExpiryTooFar { .. } => "expiry-too-far",
            Rejection::ReplayedNonce { .. } => "replayed-nonce",
            Rejection::MissingRole(_) => "missing-role",
            Rejection::NotTheTendersOffice(_) => "not-the-tenders-office",
            Rejection::NotThatCommitteeMember { .. } => "not-that-committee-member",
            Rejection::UnknownTender(_) => "unknown-tender",
            Rejection::UnknownLot { .. } => "unknown-lot",
            Rejection::WrongPhase { .. } => "wrong-phase",
            Rejection::Late { .. } => "late-bid",
            Rejection::BeforeDeadline { .. } => "before-deadline",
            Rejection::ArrivalOutOfWindow { .. } => "arrival-out-of-window",
            Rejection::ConflictOfInterest(_) => "conflict-of-interest",
            Rejection::IncompatibleRoles { .. } => "incompatible-roles",
            Rejection::DuplicateBid { .. } => "duplicate-bid",
            Rejection::NoBid { .. } => "no-bid",
            Rejection::DuplicateRegistration(_) => "duplicate-registration",
            Rejection::RegistrationNotApproved { status } => match status {
                RegistrationStatus::Pending => "registration-pending",
                RegistrationStatus::Rejected => "registration-rejected",
                RegistrationStatus::Revoked => "registration-revoked",
                RegistrationStatus::Approved => "missing-role",
            },
            Rejection::NoRegistration(_) => "no-registration",
            Rejection::RegistrationStatus { .. } => "wrong-registration-status",
            Rejection::OwnRegistration => "own-registration",
            Rejection::InvalidCreditCode(_) => "invalid-credit-code",
            Rejection::Invalid(_) => "invalid-command",
            Rejection::EmptyText { .. } => "empty-text",
            Rejection::ControlCharacter { .. } => "control-character",
            Rejection::Limit { .. } => "limit-reached",
            Rejection::Committee(_) => "committee-check-failed",
            Rejection::NotEnoughShares { .. } => "not-enough-shares",
            Rejection::NoSuchOpenedBid { .. } => "no-such-opened-bid",
            Rejection::TenderSuspended { .. } => "tender-suspended",
            Rejection::NotSuspended(_) => "tender-not-suspended",
            Rejection::UnknownCorrection(_) => "unknown-correction",
            Rejection::NotTheCorrectionsOffice(_) => "not-the-corrections-office",
            Rejection::CorrectionAnswered(_) => "correction-answered",
            Rejection::UnknownWarning { .. } => "unknown-warning",
            Rejection::WarningDisposed { .. } => "warning-disposed",
            Rejection::AwardHeld { .. } => "award-held",
            Rejection::CalendarPublished(_) => "calendar-published",
            Rejection::CalendarNotPublished { .. } => "calendar-not-published",
            Rejection::UnknownObjection { .. } => "unknown-objection",
            Rejection::PublicityRunning { .. } => "publicity-running",
            Rejection::ObjectionAnswered(_) => "objection-answered",
            Rejection::ObjectionPending { .. } => "objection-pending",
            Rejection::ObjectionOutOfTime { .. } => "objection-out-of-time",
            Rejection::NotAParty(_) => "not-a-party",
            Rejection::NotLapsed(_) => "not-lapsed",
            Rejection::ObjectionRequired { .. } => "objection-required",
            Rejection::ObjectionAwaitingAnswer { .. } => "objection-awaiting-answer",
            Rejection::ComplaintOutOfTime { .. } => "complaint-out-of-time",
            Rejection::DuplicateComplaint { .. } => "duplicate-complaint",
            Rejection::UnknownComplaint { .. } => "unknown-complaint",
            Rejection::ComplaintReviewed(_) => "complaint-reviewed",
            Rejection::ComplaintNotAccepted(_) => "complaint-not-accepted",
            Rejection::ComplaintDecided(_) => "complaint-decided",
            Rejection::ComplaintPending { .. } => "complaint-pending",
            Rejection::ComplaintWindowOpen { .. } => "complaint-window-open",
        }
    }

    /// The kind of refusal.
    pub fn kind(&self) -> RejectionKind {
        match self {
            Rejection::Malformed(_) | Rejection::EnvelopeMissing | Rejection::UnexpectedEnvelope => {
                RejectionKind::Malformed
            }
            Rejection::BadSignature => RejectionKind::Unauthenticated,
            Rejection::MissingRole(_)
            | Rejection::RegistrationNotApproved { .. }
            | Rejection::OwnRegistration
            | Rejection::NotTheTendersOffice(_)
            | Rejection::NotThatCommitteeMember { .. }
            | Rejection::ConflictOfInterest(_)
            | Rejection::NotTheCorrectionsOffice(_)
            | Rejection::NotAParty(_) => RejectionKind::Forbidden,
            Rejection::UnknownTender(_)
            | Rejection::UnknownLot { .. }
            | Rejection::NoBid { .. }
            | Rejection::NoRegistration(_)
            | Rejection::NoSuchOpenedBid { .. }
            | Rejection::UnknownCorrection(_)
            | Rejection::UnknownWarning { .. }
            | Rejection::UnknownObjection { .. }
            | Rejection::UnknownComplaint { .. } => RejectionKind::Unknown,
            Rejection::NotInitialised
            | Rejection::AlreadyInitialised
            | Rejection::ReplayedNonce { .. }
            | Rejection::WrongPhase { .. }
            | Rejection::Late { .. }
            | Rejection::BeforeDeadline { .. }
            | Rejection::DuplicateBid { .. }
            | Rejection::DuplicateRegistration(_)
            | Rejection::IncompatibleRoles { .. }
            | Rejection::RegistrationStatus { .. }
            | Rejection::NotEnoughShares { .. }
            | Rejection::TenderSuspended { .. }
            | Rejection::NotSuspended(_)
            | Rejection::CorrectionAnswered(_)
            | Rejection::WarningDisposed { .. }
            | Rejection::AwardHeld { .. }
            | Rejection::CalendarPublished(_)
            | Rejection::CalendarNotPublished { .. }
            | Rejection::ObjectionAnswered(_)
            | Rejection::ObjectionPending { .. }
            | Rejection::PublicityRunning { .. }
            | Rejection::ObjectionOutOfTime { .. }
            | Rejection::NotLapsed(_)
            | Rejection::ObjectionRequired { .. }
            | Rejection::ObjectionAwaitingAnswer { .. }
            | Rejection::ComplaintOutOfTime { .. }
            | Rejection::DuplicateComplaint { .. }
            | Rejection::ComplaintReviewed(_)
            | Rejection::ComplaintNotAccepted(_)
            | Rejection::ComplaintDecided(_)
            | Rejection::ComplaintPending { .. }
            | Rejection::ComplaintWindowOpen { .. } => RejectionKind::Conflict,
            Rejection::ArrivalOutOfWindow { .. } => RejectionKind::Transient,
            Rejection::Expired { .. }
            | Rejection::ExpiryTooFar { .. }
            | Rejection::InvalidCreditCode(_)
            | Rejection::EnvelopeMismatch
            | Rejection::EnvelopeErased { .. }
            | Rejection::Invalid(_)
            | Rejection::EmptyText { .. }
            | Rejection::ControlCharacter { .. }
            | Rejection::Limit { .. }
            | Rejection::Committee(_) => RejectionKind::Invalid,
        }
    }
}

impl Rejection {
    /// Whether a later entry could turn this refusal into acceptance: a role granted, a
    /// registration approved or the genesis applied. A node whose applied state lags the leader's must not refuse for these
    /// reasons alone; it leaves them to the leader.
    pub fn may_change(&self) -> bool {
        matches!(
            self,
            Rejection::MissingRole(_) | Rejection::RegistrationNotApproved { .. } | Rejection::NotInitialised
        )
    }
}

impl From<crate::calendar::CalendarError> for Rejection {
    fn from(error: crate::calendar::CalendarError) -> Self {
        match error {
            crate::calendar::CalendarError::YearNotPublished { year } => Rejection::CalendarNotPublished { year },
            other => Rejection::Invalid(other.to_string()),
        }
    }
}

impl From<DkgError> for Rejection {
    fn from(error: DkgError) -> Self {
        Rejection::Committee(error.to_string())
    }
}

/// The log itself is wrong: the replica must stop rather than diverge.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Fatal {
    /// An entry's timestamp is earlier than the previous entry's.
    #[error("entry timestamp {found_ms} ms is before the previous {previous_ms} ms")]
    TimestampWentBackwards {
        /// The previous entry's timestamp.
        previous_ms: u64,
        /// This entry's.
        found_ms: u64,
    },
    /// The audit log's node store failed.
    #[error("audit log store: {0}")]
    AuditStore(String),
    /// The entry could not be encoded to hash it.
    #[error("cannot encode the entry: {0}")]
    Encoding(String),
}

/// Why [`crate::Ledger::apply`] did not apply an entry.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ApplyError {
    /// The command is refused; the state is unchanged.
    #[error("rejected: {0}")]
    Rejected(#[from] Rejection),
    /// The log is wrong; stop.
    #[error("fatal: {0}")]
    Fatal(#[from] Fatal),
}
