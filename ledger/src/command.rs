//! What the log carries: entries, the genesis configuration, signed commands and their actions,
//! and the plaintexts that bidders and offices seal.

use serde::{Deserialize, Serialize};

use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::dkg::{Dealing, KnowledgeProof, ReleasedShare, Response};
use sealbid_crypto::encoding::{EncodingError, to_canonical};
use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::merkle::Hash;
use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::SignedMessage;

use crate::types::{CorrectionId, Fen, LotId, Market, Role, TenderId};

/// One log entry: the leader's timestamp and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Milliseconds since the Unix epoch, stamped by the leader; never decreases along the log.
    pub timestamp_ms: u64,
    /// The entry's content.
    pub body: EntryBody,
}

/// What an entry holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum EntryBody {
    /// The first entry: the operator's key and the ledger's bounds.
    Genesis(Genesis),
    /// A command signed by an actor, as a node received it; its payload is a [`Command`].
    Command(ReceivedCommand),
    /// The leader closing a tender once its deadline and the arrival window have passed,
    /// unsigned: anyone replaying the log checks that the timestamp has reached them.
    Close {
        /// The tender to close.
        tender: TenderId,
    },
    /// The leader recording that a statutory period ended without the act it required,
    /// unsigned: anyone replaying the log checks that the timestamp has reached the period's
    /// end and that the act is still missing.
    Lapse(Lapse),
}

/// A statutory period that ended without its act, and the consequence the ledger draws.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Lapse {
    /// The office did not answer an objection in time: it counts as unanswered, and an
    /// `objection-unanswered` warning is raised; the objection still holds its tender.
    ObjectionUnanswered {
        /// The objection's tender.
        tender: TenderId,
        /// The objection.
        objection: crate::types::ObjectionId,
    },
    /// No supervisor reviewed a complaint in time: it is marked overdue, and a yellow
    /// `complaint-overdue` warning is raised.
    ComplaintReviewOverdue {
        /// The complaint's tender.
        tender: TenderId,
        /// The complaint.
        complaint: crate::types::ComplaintId,
    },
    /// No supervisor decided an open complaint in time: it is marked overdue and escalated, a
    /// red `complaint-overdue` warning (which holds the award until a supervisor disposes of it).
    ComplaintDecisionOverdue {
        /// The complaint's tender.
        tender: TenderId,
        /// The complaint.
        complaint: crate::types::ComplaintId,
    },
}

impl Lapse {
    /// The tender whose period lapsed.
    pub fn tender(&self) -> &TenderId {
        match self {
            Lapse::ObjectionUnanswered { tender, .. }
            | Lapse::ComplaintReviewOverdue { tender, .. }
            | Lapse::ComplaintDecisionOverdue { tender, .. } => tender,
        }
    }
}

impl EntryBody {
    /// A command body: `signed` as it arrived at node `node_id` at `received_at_ms`.
    pub fn command(signed: SignedMessage, node_id: u64, received_at_ms: u64) -> Self {
        Self::Command(ReceivedCommand {
            arrival: Arrival {
                node_id,
                received_at_ms,
                source_sha256: None,
                source_tag: None,
                source: None,
            },
            signed,
            envelope: None,
        })
    }

    /// The same body carrying `envelope`, the sealed offer whose digest a bid's command signs.
    pub fn with_envelope(mut self, envelope: Envelope) -> Self {
        if let Self::Command(received) = &mut self {
            received.envelope = Some(envelope);
        }
        self
    }
}

impl Entry {
    /// The entry as its leaf holds it: a command's source address and a bid's envelope left out
    /// (the commitment `source_sha256` and the signed `envelope_sha256` stay). `None` when the
    /// entry holds neither (then it is its own leaf).
    pub fn leaf_form(&self) -> Option<Entry> {
        let EntryBody::Command(received) = &self.body else {
            return None;
        };
        if received.arrival.source.is_none() && received.envelope.is_none() {
            return None;
        }
        let mut leaf = self.clone();
        if let EntryBody::Command(received) = &mut leaf.body {
            received.arrival.source = None;
            received.envelope = None;
        }
        Some(leaf)
    }
}

/// A signed command with the stamp of the node that received it from its signer. The stamp is
/// outside the signed bytes: the signer cannot choose it, the receiving node vouches for it, and
/// the leader checks it against its own clock (see [`LedgerConfig::arrival_window_ms`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceivedCommand {
    /// Where and when the command arrived.
    pub arrival: Arrival,
    /// The command exactly as its signer made it.
    pub signed: SignedMessage,
    /// A bid's sealed offer, whose digest the command signs (`envelope_sha256`): carried to
    /// every replica in the cluster's log, never in the leaf ([`Entry::leaf_form`]), so that a
    /// replaced or withdrawn offer can be erased while the leaf still proves it was made.
    #[serde(default)]
    pub envelope: Option<Envelope>,
}

/// JSON (the leaf, the API) leaves an absent envelope out; the cluster's binary encoding, which
/// does not name fields, writes every field.
impl Serialize for ReceivedCommand {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let with_envelope = !serializer.is_human_readable() || self.envelope.is_some();
        let mut state = serializer.serialize_struct("ReceivedCommand", 2 + usize::from(with_envelope))?;
        state.serialize_field("arrival", &self.arrival)?;
        state.serialize_field("signed", &self.signed)?;
        if with_envelope {
            state.serialize_field("envelope", &self.envelope)?;
        } else {
            state.skip_field("envelope")?;
        }
        state.end()
    }
}

/// Which node received a command, and when by its clock: what decides whether a bid is on
/// time (电子招标投标办法 Art. 27: a bid received before the deadline is accepted); and,
/// committed to but kept from the public, the address it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrival {
    /// The receiving node's id.
    pub node_id: u64,
    /// Its clock when the command arrived, ms since the Unix epoch.
    pub received_at_ms: u64,
    /// [`Source::commitment`] of the address the command came from, when the node recorded
    /// it: in the leaf, so the address is fixed, but reveals nothing of it.
    #[serde(default)]
    pub source_sha256: Option<Hash>,
    /// A bid-changing command's [`Source::tag`]: equal for two commands on one tender from one
    /// address, unrelated across tenders, and unguessable without the cluster's key. In the leaf,
    /// so that every replica and replay finds the bids of one tender that came from one address
    /// (`shared-address`, [`crate::warnings`]) without learning the address.
    #[serde(default)]
    pub source_tag: Option<Hash>,
    /// The address itself, for supervisors only (实施条例 Art. 40: bidders acting from one
    /// address): carried to every replica in the cluster's log, never in the leaf
    /// ([`Entry::leaf_form`]), stored apart from the audit history.
    #[serde(default)]
    pub source: Option<Source>,
}

/// JSON (the leaf, the API) leaves an absent source out; the cluster's binary encoding, which
/// does not name fields, writes every field.
impl Serialize for Arrival {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let every_field = !serializer.is_human_readable();
        let with_commitment = every_field || self.source_sha256.is_some();
        let with_tag = every_field || self.source_tag.is_some();
        let with_source = every_field || self.source.is_some();
        let fields = 2 + usize::from(with_commitment) + usize::from(with_tag) + usize::from(with_source);
        let mut state = serializer.serialize_struct("Arrival", fields)?;
        state.serialize_field("node_id", &self.node_id)?;
        state.serialize_field("received_at_ms", &self.received_at_ms)?;
        if with_commitment {
            state.serialize_field("source_sha256", &self.source_sha256)?;
        } else {
            state.skip_field("source_sha256")?;
        }
        if with_tag {
            state.serialize_field("source_tag", &self.source_tag)?;
        } else {
            state.skip_field("source_tag")?;
        }
        if with_source {
            state.serialize_field("source", &self.source)?;
        } else {
            state.skip_field("source")?;
        }
        state.end()
    }
}

/// The network address a command came from, with the salt of its commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The client's IP address (no port), as the receiving node saw it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub address: std::net::IpAddr,
    /// 16 random bytes chosen by the receiving node, so that the commitment cannot be found by
    /// trying every address.
    #[serde(with = "sealbid_crypto::encoding::base64url_array")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub salt: [u8; 16],
}

/// The cluster's key for source tags: every node holds the same one, so a tag does not depend on
/// which node received the command.
#[derive(Clone)]
pub struct SourceTagKey(ring::hmac::Key);

impl SourceTagKey {
    /// The key derived from `secret`, secret material every node of the cluster holds alike:
    /// HMAC-SHA256 keyed with `sealbid source tag key v1` over it.
    pub fn derive(secret: &[u8]) -> Self {
        let derivation = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"sealbid source tag key v1");
        let derived = ring::hmac::sign(&derivation, secret);
        Self(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref()))
    }
}

impl std::fmt::Debug for SourceTagKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SourceTagKey(…)")
    }
}

impl Source {
    /// HMAC-SHA256 under the cluster's `key` of the tender id's text, a zero byte, and the
    /// address's text: equal for two commands on `tender` from this address, whichever node
    /// received them.
    pub fn tag(&self, key: &SourceTagKey, tender: &TenderId) -> Hash {
        let mut context = ring::hmac::Context::with_key(&key.0);
        context.update(tender.as_str().as_bytes());
        context.update(&[0]);
        context.update(self.address.to_string().as_bytes());
        let mut hash = [0u8; 32];
        hash.copy_from_slice(context.sign().as_ref());
        Hash(hash)
    }

    /// SHA-256(salt ‖ the address's text), the address's text as Rust prints an `IpAddr`
    /// (dotted decimal; RFC 5952 for IPv6).
    pub fn commitment(&self) -> Hash {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        context.update(&self.salt);
        context.update(self.address.to_string().as_bytes());
        let mut hash = [0u8; 32];
        hash.copy_from_slice(context.finish().as_ref());
        Hash(hash)
    }
}

/// The genesis entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The operator's key; it holds the admin role.
    pub operator: PublicKey,
    /// The bounds every replica applies.
    pub config: LedgerConfig,
}

/// Every bound of the ledger. It is part of the genesis entry, so all replicas (and a
/// supervisor's replay) apply the same limits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerConfig {
    /// How far past the entry's timestamp a command's expiry may lie; also how long its nonce
    /// is remembered to refuse replays.
    pub command_lifetime_ms_max: u64,
    /// The most tenders open (not yet awarded, failed or cancelled) at once.
    pub open_tenders_max: usize,
    /// The most lots in one tender.
    pub lots_per_tender_max: usize,
    /// The most bids in one tender (all lots).
    pub bids_per_tender_max: usize,
    /// The most amendments to one tender.
    pub amendments_per_tender_max: usize,
    /// The longest free text (titles, notices, reasons, names).
    pub text_bytes_max: usize,
    /// How far a command's arrival stamp may lie ahead of its entry's timestamp (the most a
    /// receiving node's clock may run ahead of the leader's), and how long after its deadline a
    /// tender closes: time for every bid that arrived before the deadline to reach the leader and
    /// be ordered before the close.
    pub arrival_window_ms: u64,
    /// The early-warning thresholds from the genesis on; the defaults when absent. Only a
    /// supervisor's `set_warning_thresholds` changes them later.
    #[serde(default)]
    pub warning_thresholds: Option<crate::warnings::thresholds::WarningThresholds>,
}

/// JSON (the leaf, the API) leaves absent thresholds out, so a genesis without them keeps its
/// bytes; the cluster's binary encoding, which does not name fields, writes every field.
impl Serialize for LedgerConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let with_thresholds = !serializer.is_human_readable() || self.warning_thresholds.is_some();
        let mut state = serializer.serialize_struct("LedgerConfig", 7 + usize::from(with_thresholds))?;
        state.serialize_field("command_lifetime_ms_max", &self.command_lifetime_ms_max)?;
        state.serialize_field("open_tenders_max", &self.open_tenders_max)?;
        state.serialize_field("lots_per_tender_max", &self.lots_per_tender_max)?;
        state.serialize_field("bids_per_tender_max", &self.bids_per_tender_max)?;
        state.serialize_field("amendments_per_tender_max", &self.amendments_per_tender_max)?;
        state.serialize_field("text_bytes_max", &self.text_bytes_max)?;
        state.serialize_field("arrival_window_ms", &self.arrival_window_ms)?;
        if with_thresholds {
            state.serialize_field("warning_thresholds", &self.warning_thresholds)?;
        } else {
            state.skip_field("warning_thresholds")?;
        }
        state.end()
    }
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            command_lifetime_ms_max: 60 * 60 * 1000,
            open_tenders_max: 10_000,
            lots_per_tender_max: 100,
            bids_per_tender_max: 100_000,
            amendments_per_tender_max: 100,
            text_bytes_max: 4096,
            arrival_window_ms: 2_000,
            warning_thresholds: None,
        }
    }
}

/// The payload of a signed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// Chosen at random by the signer; with the signer's key, it is accepted once.
    pub nonce: u64,
    /// The command is refused in entries stamped after this time.
    pub expires_at_ms: u64,
    /// What the signer asks for.
    pub action: Action,
}

/// Everything an actor can ask the ledger to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Admin: give `actor` a role.
    GrantRole {
        /// Who receives the role.
        actor: PublicKey,
        /// The role.
        role: Role,
        /// The actor's name, as shown to others.
        name: String,
    },
    /// Committee member: register its own P-256 encryption key, to which key-generation shares
    /// are sealed, proving it holds the secret (see [`encryption_key_statement`]).
    RegisterEncryptionKey {
        /// The key.
        encryption_key: CurvePoint,
        /// Proof of knowledge of its secret, bound to the signer's identity.
        proof: KnowledgeProof,
    },
    /// Anyone: apply to register the signing key as a bidder; the registration is pending until
    /// a registrar approves it.
    RegisterBidder {
        /// The organisation's registered name.
        organisation: String,
        /// Its unified social credit code (GB 32100-2015).
        credit_code: String,
    },
    /// Registrar: approve a pending registration after checking the company's documents; the
    /// key becomes a bidder and holds the credit code.
    ApproveBidder {
        /// The applicant's key.
        bidder: PublicKey,
    },
    /// Registrar: refuse a pending registration.
    RejectBidder {
        /// The applicant's key.
        bidder: PublicKey,
        /// Why.
        reason: String,
    },
    /// Registrar: withdraw an approved registration (a squatter's, say); the key may no longer
    /// bid and its credit code is free for another registration.
    RevokeBidder {
        /// The bidder's key.
        bidder: PublicKey,
        /// Why.
        reason: String,
    },
    /// Office: publish a tender; the ledger assigns its id.
    PublishTender(TenderSpec),
    /// Office (the tender's): publish an amendment or clarification; it may move the deadline.
    AmendTender {
        /// The tender.
        tender: TenderId,
        /// The amendment's text.
        notice: String,
        /// A new deadline, if the amendment sets one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline_ms: Option<u64>,
    },
    /// Office (the tender's): cancel before the award.
    CancelTender {
        /// The tender.
        tender: TenderId,
        /// Why.
        reason: String,
    },
    /// Committee member: round 1 of the tender's key generation.
    Deal {
        /// The tender.
        tender: TenderId,
        /// The dealing; its dealer number must be the signer's.
        dealing: Dealing,
    },
    /// Committee member: round 2 of the tender's key generation.
    Respond {
        /// The tender.
        tender: TenderId,
        /// The response; its member number must be the signer's.
        response: Response,
    },
    /// Office: finish the key generation with the messages in the log (it also finishes by
    /// itself once every member has responded).
    FinishKeyGeneration {
        /// The tender.
        tender: TenderId,
    },
    /// Office (the tender's): seal a lot's reserve price (land-use and property rights).
    SealReservePrice {
        /// The tender.
        tender: TenderId,
        /// The lot.
        lot: LotId,
        /// A [`ReserveOffer`] sealed to the opening key, kind `reserve_price`, bidder = office key.
        envelope: Envelope,
    },
    /// Bidder: submit a sealed bid on a lot. The envelope travels beside the signed command
    /// ([`ReceivedCommand::envelope`]); the command signs its digest.
    SubmitBid {
        /// The tender.
        tender: TenderId,
        /// The lot.
        lot: LotId,
        /// [`Envelope::sha256`] of an [`Offer`] sealed to the opening key, kind `bid`, bidder =
        /// the signer's key text.
        envelope_sha256: Hash,
    },
    /// Bidder: replace its bid on a lot, before the close; the replaced envelope is erased.
    ReplaceBid {
        /// The tender.
        tender: TenderId,
        /// The lot.
        lot: LotId,
        /// [`Envelope::sha256`] of the new sealed offer, which travels beside the command.
        envelope_sha256: Hash,
    },
    /// Bidder: withdraw its bid on a lot, before the close.
    WithdrawBid {
        /// The tender.
        tender: TenderId,
        /// The lot.
        lot: LotId,
    },
    /// Office (the tender's): close bidding; refused before the deadline.
    CloseTender {
        /// The tender.
        tender: TenderId,
    },
    /// Committee member: release its share of the opening key, after the close.
    ReleaseShare {
        /// The tender.
        tender: TenderId,
        /// The share; its member number must be the signer's.
        share: ReleasedShare,
    },
    /// Office (the tender's): rebuild the key from t released shares, open and rank every bid.
    OpenTender {
        /// The tender.
        tender: TenderId,
    },
    /// Committee member (its own number): prove, while the tender takes bids, that it still
    /// holds its share (a proof of knowledge for its public share; nothing secret released).
    ProveReadiness {
        /// The tender.
        tender: TenderId,
        /// The proof.
        readiness: sealbid_crypto::dkg::ReadinessProof,
    },
    /// Office (the tender's): disqualify an opened bid in evaluation, with a written reason.
    DisqualifyBid {
        /// The tender.
        tender: TenderId,
        /// The lot.
        lot: LotId,
        /// Whose bid.
        bidder: PublicKey,
        /// Why.
        reason: String,
    },
    /// Office (the tender's), construction and government procurement: end the evaluation and
    /// publish the ranked candidates; the award waits for the publicity.
    PublishCandidates {
        /// The tender.
        tender: TenderId,
    },
    /// Office (the tender's): apply the award rule and publish the result (after the
    /// candidate publicity, where the market has one).
    AwardTender {
        /// The tender.
        tender: TenderId,
    },
    /// Supervisor: suspend a tender that is not final (实施条例 Art. 62). While it is suspended
    /// nothing on it moves: no close, no opening, no evaluation, no award, no amendment or
    /// cancellation, no key-generation message, readiness proof or share, and no bid that
    /// arrives from then on.
    SuspendTender {
        /// The tender.
        tender: TenderId,
        /// Why.
        reason: String,
    },
    /// Supervisor: resume a suspended tender. A deadline that had not passed when it was
    /// suspended moves out by the time it was suspended, or to `deadline_ms` if set.
    ResumeTender {
        /// The tender.
        tender: TenderId,
        /// The deadline from now on, instead of the held one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline_ms: Option<u64>,
    },
    /// Supervisor: order an office to correct something, by a due time (电子招标投标办法
    /// Art. 52: the office must carry out a supervisory order); the ledger assigns its id.
    OrderCorrection {
        /// The office addressed.
        office: PublicKey,
        /// The tender concerned, if any; it must be one of that office's open tenders.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tender: Option<TenderId>,
        /// What is to be corrected, and why.
        reason: String,
        /// When the office's reply is due, ms since the Unix epoch.
        due_ms: u64,
    },
    /// Office (the one addressed): reply to a correction order, saying what it did.
    ReplyCorrection {
        /// The order.
        correction: CorrectionId,
        /// The reply.
        reply: String,
    },
    /// Supervisor: the early-warning thresholds from this entry on (the genesis sets the first).
    SetWarningThresholds {
        /// Every threshold.
        thresholds: crate::warnings::thresholds::WarningThresholds,
    },
    /// Supervisor: decide on a warning of an open tender (acknowledge, dismiss or escalate it);
    /// a red warning holds the tender's award until one is acknowledged or dismissed.
    DisposeWarning {
        /// The warning's tender; absent for a warning about the log itself.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tender: Option<TenderId>,
        /// The warning.
        warning: crate::types::WarningId,
        /// What the supervisor decides.
        disposition: crate::warnings::disposition::Disposition,
        /// Why.
        reason: String,
    },
    /// Admin (the operator): publish a year's official calendar, once: its public holidays
    /// (days off) and the weekend days made working days (调休). Statutory periods are computed
    /// on it ([`crate::calendar`]).
    PublishCalendar(crate::calendar::CalendarSpec),
    /// Bidder: object to the tender's office (异议; 质疑 in government procurement) about its
    /// documents, its opening or its evaluation result, within the matter's window; the ledger
    /// assigns its id.
    FileObjection {
        /// The tender.
        tender: TenderId,
        /// What the objection is about.
        matter: crate::objections::ObjectionMatter,
        /// What the bidder objects to, and why.
        text: String,
    },
    /// Office (the tender's): answer an objection; an answer that changes the tender documents
    /// (`amends`) is also an amendment, which may move the deadline out.
    AnswerObjection {
        /// The tender.
        tender: TenderId,
        /// The objection.
        objection: crate::types::ObjectionId,
        /// The answer.
        answer: String,
        /// Whether the answer changes the tender documents.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        amends: bool,
    },
    /// Bidder: complain to the supervisors (投诉) about a tender that is not final, within the
    /// matter's window; a matter that needs an objection first names the complainant's own
    /// (`objection`), another matter when the complainant knew (`known_at_ms`). The ledger
    /// assigns its id.
    FileComplaint {
        /// The tender.
        tender: TenderId,
        /// What the complaint is about.
        matter: crate::complaints::ComplaintMatter,
        /// The complainant's objection on the same matter, for a matter that needs one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        objection: Option<crate::types::ObjectionId>,
        /// For another matter: when the complainant knew of it, ms since the Unix epoch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        known_at_ms: Option<u64>,
        /// What the complaint is, and why.
        text: String,
    },
    /// Supervisor: review a complaint (accept it, possibly suspending the tender; not accept it,
    /// for a reason from the list; or refer it), once.
    ReviewComplaint {
        /// The tender.
        tender: TenderId,
        /// The complaint.
        complaint: crate::types::ComplaintId,
        /// The review.
        review: crate::complaints::Review,
        /// Its written reasons.
        text: String,
    },
    /// Supervisor: decide an accepted complaint (dismiss it, or uphold it with a handling),
    /// once; a suspension its acceptance made ends with it.
    DecideComplaint {
        /// The tender.
        tender: TenderId,
        /// The complaint.
        complaint: crate::types::ComplaintId,
        /// The decision.
        decision: crate::complaints::Decision,
        /// Its written reasons (the handling decision, 处理决定).
        text: String,
    },
    /// Supervisor, as a witness of the log: report two checkpoints of this log that cannot both
    /// be true (the one it co-signed, and one presented later that does not extend it). The
    /// ledger raises a red `integrity` warning about the log itself, which holds every award.
    ReportLogFork {
        /// The checkpoint the witness co-signed, as a signed note.
        witnessed: String,
        /// The checkpoint presented later, as a signed note.
        presented: String,
    },
}

impl Action {
    /// The role a signer must hold for this action, if any: what a node checks against its
    /// applied view before proposing a command. The ledger's handlers check it again, with
    /// everything else (an office's actions also need the tender's own office, a member's its
    /// own member number); so a command refused for this role would be refused by them too.
    pub fn required_role(&self) -> Option<Role> {
        match self {
            Action::GrantRole { .. } | Action::PublishCalendar(_) => Some(Role::Admin),
            Action::RegisterBidder { .. } => None,
            Action::ApproveBidder { .. } | Action::RejectBidder { .. } | Action::RevokeBidder { .. } => {
                Some(Role::Registrar)
            }
            Action::RegisterEncryptionKey { .. }
            | Action::Deal { .. }
            | Action::Respond { .. }
            | Action::ReleaseShare { .. }
            | Action::ProveReadiness { .. } => Some(Role::CommitteeMember),
            Action::PublishTender(_)
            | Action::AmendTender { .. }
            | Action::CancelTender { .. }
            | Action::FinishKeyGeneration { .. }
            | Action::SealReservePrice { .. }
            | Action::CloseTender { .. }
            | Action::OpenTender { .. }
            | Action::DisqualifyBid { .. }
            | Action::AwardTender { .. }
            | Action::PublishCandidates { .. }
            | Action::AnswerObjection { .. }
            | Action::ReplyCorrection { .. } => Some(Role::Office),
            Action::SubmitBid { .. }
            | Action::ReplaceBid { .. }
            | Action::WithdrawBid { .. }
            | Action::FileObjection { .. }
            | Action::FileComplaint { .. } => Some(Role::Bidder),
            Action::SuspendTender { .. }
            | Action::ReviewComplaint { .. }
            | Action::DecideComplaint { .. }
            | Action::ResumeTender { .. }
            | Action::OrderCorrection { .. }
            | Action::SetWarningThresholds { .. }
            | Action::DisposeWarning { .. }
            | Action::ReportLogFork { .. } => Some(Role::Supervisor),
        }
    }

    /// The tender an action moves, which a suspension holds: every tender's action but the
    /// supervisors' own (a suspension, a resumption, a correction order, a warning's
    /// disposition) and the objections and their answers, which a suspension does not silence
    /// (an answer that amends the documents is held by its handler).
    pub fn moved_tender(&self) -> Option<&TenderId> {
        match self {
            Action::AmendTender { tender, .. }
            | Action::CancelTender { tender, .. }
            | Action::Deal { tender, .. }
            | Action::Respond { tender, .. }
            | Action::FinishKeyGeneration { tender }
            | Action::SealReservePrice { tender, .. }
            | Action::SubmitBid { tender, .. }
            | Action::ReplaceBid { tender, .. }
            | Action::WithdrawBid { tender, .. }
            | Action::CloseTender { tender }
            | Action::ReleaseShare { tender, .. }
            | Action::ProveReadiness { tender, .. }
            | Action::OpenTender { tender }
            | Action::DisqualifyBid { tender, .. }
            | Action::PublishCandidates { tender }
            | Action::AwardTender { tender } => Some(tender),
            Action::GrantRole { .. }
            | Action::RegisterEncryptionKey { .. }
            | Action::RegisterBidder { .. }
            | Action::ApproveBidder { .. }
            | Action::RejectBidder { .. }
            | Action::RevokeBidder { .. }
            | Action::PublishTender(_)
            | Action::SuspendTender { .. }
            | Action::ResumeTender { .. }
            | Action::OrderCorrection { .. }
            | Action::ReplyCorrection { .. }
            | Action::SetWarningThresholds { .. }
            | Action::DisposeWarning { .. }
            | Action::ReportLogFork { .. }
            | Action::PublishCalendar(_)
            | Action::FileObjection { .. }
            | Action::AnswerObjection { .. }
            | Action::FileComplaint { .. }
            | Action::ReviewComplaint { .. }
            | Action::DecideComplaint { .. } => None,
        }
    }

    /// The action's name: its member name in a command's JSON (`submit_bid`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Action::GrantRole { .. } => "grant_role",
            Action::RegisterEncryptionKey { .. } => "register_encryption_key",
            Action::RegisterBidder { .. } => "register_bidder",
            Action::ApproveBidder { .. } => "approve_bidder",
            Action::RejectBidder { .. } => "reject_bidder",
            Action::RevokeBidder { .. } => "revoke_bidder",
            Action::PublishTender(_) => "publish_tender",
            Action::AmendTender { .. } => "amend_tender",
            Action::CancelTender { .. } => "cancel_tender",
            Action::Deal { .. } => "deal",
            Action::Respond { .. } => "respond",
            Action::FinishKeyGeneration { .. } => "finish_key_generation",
            Action::SealReservePrice { .. } => "seal_reserve_price",
            Action::SubmitBid { .. } => "submit_bid",
            Action::ReplaceBid { .. } => "replace_bid",
            Action::WithdrawBid { .. } => "withdraw_bid",
            Action::CloseTender { .. } => "close_tender",
            Action::ReleaseShare { .. } => "release_share",
            Action::ProveReadiness { .. } => "prove_readiness",
            Action::OpenTender { .. } => "open_tender",
            Action::DisqualifyBid { .. } => "disqualify_bid",
            Action::PublishCandidates { .. } => "publish_candidates",
            Action::AwardTender { .. } => "award_tender",
            Action::SuspendTender { .. } => "suspend_tender",
            Action::ResumeTender { .. } => "resume_tender",
            Action::OrderCorrection { .. } => "order_correction",
            Action::ReplyCorrection { .. } => "reply_correction",
            Action::SetWarningThresholds { .. } => "set_warning_thresholds",
            Action::DisposeWarning { .. } => "dispose_warning",
            Action::ReportLogFork { .. } => "report_log_fork",
            Action::PublishCalendar(_) => "publish_calendar",
            Action::FileObjection { .. } => "file_objection",
            Action::AnswerObjection { .. } => "answer_objection",
            Action::FileComplaint { .. } => "file_complaint",
            Action::ReviewComplaint { .. } => "review_complaint",
            Action::DecideComplaint { .. } => "decide_complaint",
        }
    }

    /// The sealed reserve price a command holds in its signed bytes.
    pub fn reserve_envelope(&self) -> Option<&Envelope> {
        match self {
            Action::SealReservePrice { envelope, .. } => Some(envelope),
            _ => None,
        }
    }

    /// The digest of the sealed offer a bid's submission or replacement signs: the envelope
    /// itself travels beside the command.
    pub fn envelope_sha256(&self) -> Option<&Hash> {
        match self {
            Action::SubmitBid { envelope_sha256, .. } | Action::ReplaceBid { envelope_sha256, .. } => {
                Some(envelope_sha256)
            }
            _ => None,
        }
    }

    /// The tender a bid-changing action (a bid's submission, replacement or withdrawal, or a
    /// reserve price) is for: refused once the tender has closed.
    pub fn bidding_tender(&self) -> Option<&TenderId> {
        match self {
            Action::SubmitBid { tender, .. }
            | Action::ReplaceBid { tender, .. }
            | Action::WithdrawBid { tender, .. }
            | Action::SealReservePrice { tender, .. } => Some(tender),
            _ => None,
        }
    }
}

/// What an office publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenderSpec {
    /// The tender's title.
    pub title: String,
    /// Its market, which fixes the award rule.
    pub market: Market,
    /// Its lots (标段/地块), at least one.
    pub lots: Vec<LotSpec>,
    /// Bids must be ordered before the close and stamped before this time.
    pub deadline_ms: u64,
    /// An amendment stamped closer than this to the deadline moves the deadline out to its
    /// timestamp plus this period.
    pub notice_period_ms: u64,
    /// Procurement and construction: fewer valid bids on a lot than this fails the lot (流标).
    pub valid_bids_min: u16,
    /// The opening committee, in member-number order (member 1 first).
    pub committee: Vec<PublicKey>,
    /// How many committee members' shares open the bids.
    pub threshold: u16,
    /// How long the bids stay binding (投标有效期, 实施条例 Art. 25), in days counted from the
    /// deadline, 1 to 1,000: the award is due within it ([`crate::performance`]). Absent: the
    /// tender sets none, and its award is not timed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_validity_days: Option<u32>,
}

/// One lot of a tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LotSpec {
    /// The lot's id, unique within the tender.
    pub id: LotId,
    /// What it is.
    pub title: String,
    /// Coal/coke: the tonnes offered for sale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_tonnes: Option<u64>,
    /// Coal/coke: the smallest quantity a bid may ask for or be filled with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_size_tonnes_min: Option<u64>,
    /// Procurement and construction: the ceiling price (最高投标限价), published with the
    /// tender; a bid above it is invalid at the opening (实施条例 Art. 51(5)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling_price_fen: Option<Fen>,
}

/// What a bidder seals: its offer on one lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// The tender; must match the bid's.
    pub tender: TenderId,
    /// The lot; must match the bid's.
    pub lot: LotId,
    /// The bidder; must match the bid's signer.
    pub bidder: PublicKey,
    /// The price: in total, or per tonne for coal/coke.
    pub price_fen: Fen,
    /// Coal/coke: the tonnes wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_tonnes: Option<u64>,
}

impl Offer {
    /// This offer sealed to the tender's `opening_key`, bound to its tender, lot and bidder (the
    /// context the ledger checks at the opening). Sealing happens on the bidder's machine.
    pub fn seal(
        &self,
        opening_key: &CurvePoint,
        random: &dyn ring::rand::SecureRandom,
    ) -> Result<Envelope, sealbid_crypto::seal::SealError> {
        let plaintext = to_canonical(self)?;
        let context =
            sealbid_crypto::seal::SealContext::bid(self.tender.as_str(), self.lot.as_str(), &self.bidder.to_string());
        sealbid_crypto::seal::seal_offer(&plaintext, &context, opening_key, random)
    }
}

/// What an office seals as a lot's reserve price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReserveOffer {
    /// The tender.
    pub tender: TenderId,
    /// The lot.
    pub lot: LotId,
    /// The reserve price.
    pub price_fen: Fen,
}

impl ReserveOffer {
    /// This reserve price sealed by `office` to the tender's `opening_key`, padded like a bid.
    pub fn seal(
        &self,
        office: &PublicKey,
        opening_key: &CurvePoint,
        random: &dyn ring::rand::SecureRandom,
    ) -> Result<Envelope, sealbid_crypto::seal::SealError> {
        let plaintext = to_canonical(self)?;
        let context = sealbid_crypto::seal::SealContext {
            kind: sealbid_crypto::seal::EnvelopeKind::ReservePrice,
            tender: self.tender.to_string(),
            lot: self.lot.to_string(),
            bidder: office.to_string(),
        };
        sealbid_crypto::seal::seal_offer(&plaintext, &context, opening_key, random)
    }
}

/// What a committee member's proof of its encryption key is bound to: the canonical JSON of
/// `{"identity": <its identity key>, "purpose": "committee_encryption_key"}`.
pub fn encryption_key_statement(identity: &PublicKey) -> Result<Vec<u8>, EncodingError> {
    #[derive(Serialize)]
    struct Statement<'a> {
        identity: &'a PublicKey,
        purpose: &'static str,
    }
    to_canonical(&Statement {
        identity,
        purpose: "committee_encryption_key",
    })
}
