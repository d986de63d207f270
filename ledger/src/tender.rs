//! A tender as the ledger holds it, from publication to its final record.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{CommitteeOutcome, CommitteeParameters, Dealing, ReleasedShare, Response};
use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::merkle::Hash;
use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::SignedMessage;

use crate::award::LotOutcome;
use crate::types::{Fen, LotId, TenderId};

/// Where a tender is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Published; the committee is generating the opening key. No bids yet.
    KeyGeneration,
    /// The opening key exists; bids are accepted until the deadline.
    Bidding,
    /// Closed; committee members release their shares.
    Closed,
    /// Opened: every bid is decrypted, checked and ranked; evaluation may disqualify bids.
    Opened,
    /// The ranked candidates are published (construction, government procurement): the award
    /// waits for the publicity to run and for every objection to be answered.
    Publicity,
    /// Final: awarded (per lot; some lots may have failed).
    Awarded,
    /// Final: every lot failed (流标).
    Failed,
    /// Final: cancelled by the office.
    Cancelled,
}

impl Phase {
    /// Whether the tender is final and leaves memory.
    pub fn is_final(self) -> bool {
        matches!(self, Phase::Awarded | Phase::Failed | Phase::Cancelled)
    }

    /// Whether bidding has closed and the tender is not final yet: every bid now is late.
    pub fn is_past_close(self) -> bool {
        matches!(self, Phase::Closed | Phase::Opened | Phase::Publicity)
    }
}

/// A published amendment or clarification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Amendment {
    /// When it was ordered.
    pub timestamp_ms: u64,
    /// Its text.
    pub notice: String,
    /// The deadline after it.
    pub deadline_ms: u64,
}

/// A sealed bid, as submitted.
///
/// The command and the envelope, nearly all of a bid's bytes, are shared (`Arc`): a copy of the
/// state, as a snapshot takes one, shares them instead of copying them. They are never changed
/// after the bid is placed. Serialised as the values themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    /// The signed submit or replace command, kept whole: it signs the envelope's digest.
    pub command: Arc<SignedMessage>,
    /// The sealed offer, which the opening decrypts. Always held by a replica; `None` only in a
    /// replay of a log that served the entry without it (a bid replaced or withdrawn later,
    /// whose envelope every node erased), which the opening refuses to open.
    pub envelope: Option<Arc<Envelope>>,
    /// The audit-log position of the entry that placed this bid: its receipt, and the
    /// tie-breaker (earlier wins).
    pub audit_index: u64,
    /// That entry's leaf hash.
    pub leaf_hash: Hash,
    /// When that entry's command arrived (its arrival stamp), for `submission-cluster`.
    #[serde(default)]
    pub arrived_at_ms: u64,
    /// That entry's source tag, if the receiving node gave one, for `shared-address`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_tag: Option<Hash>,
}

/// What the opening found for one bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BidStatus {
    /// Decrypted and well formed.
    Valid,
    /// Could not be used; the opening went on without it.
    Invalid {
        /// Why.
        reason: String,
    },
    /// Disqualified in evaluation.
    Disqualified {
        /// The office's written reason.
        reason: String,
    },
}

/// One opened bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenedBid {
    /// Whose.
    pub bidder: PublicKey,
    /// The lot.
    pub lot: LotId,
    /// Its audit-log position (ties go to the smaller).
    pub audit_index: u64,
    /// The price, when the plaintext was readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_fen: Option<Fen>,
    /// Coal/coke: the tonnes asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_tonnes: Option<u64>,
    /// Valid, invalid or disqualified.
    pub status: BidStatus,
}

/// The public result of the opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// The rebuilt opening key, published so that anyone can re-decrypt every bid.
    pub opening_secret: CurveScalar,
    /// Reserve prices, per lot (land-use and property rights); `None` if none could be read.
    pub reserves: BTreeMap<LotId, Option<Fen>>,
    /// Every bid, ordered by audit index.
    pub bids: Vec<OpenedBid>,
}

/// A tender in memory, from publication until it is final.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    /// Its id.
    pub id: TenderId,
    /// The office that published it; only it runs the tender.
    pub office: PublicKey,
    /// What was published.
    pub spec: crate::command::TenderSpec,
    /// When.
    pub published_at_ms: u64,
    /// The deadline in force (amendments may have moved it).
    pub deadline_ms: u64,
    /// Amendments, in order.
    pub amendments: Vec<Amendment>,
    /// Where it is.
    pub phase: Phase,
    /// The committee's key-generation parameters (session = tender id).
    pub committee: CommitteeParameters,
    /// Round-1 messages, one per dealer.
    pub dealings: Vec<Dealing>,
    /// Round 1 is over (every member dealt, or the office closed it): no more dealings, and
    /// responses may come. A response covers every dealing there is.
    pub dealing_closed: bool,
    /// Round-2 messages, one per member.
    pub responses: Vec<Response>,
    /// The key generation's result; bids are sealed to its opening key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committee_key: Option<CommitteeOutcome>,
    /// Sealed reserve prices, per lot.
    pub reserves: BTreeMap<LotId, Envelope>,
    /// Sealed bids: lot → bidder → bid.
    pub bids: BTreeMap<LotId, BTreeMap<PublicKey, Bid>>,
    /// How many bids are in `bids`.
    pub bid_count: usize,
    /// Shares released after the close, valid ones only.
    pub shares: Vec<ReleasedShare>,
    /// The opening's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening: Option<Opening>,
    /// The award, per lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<BTreeMap<LotId, LotOutcome>>,
    /// Why it was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<String>,
    /// The suspension in force, if a supervisor suspended the tender (实施条例 Art. 62): nothing
    /// on it moves until a supervisor resumes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspension: Option<Suspension>,
    /// Suspensions that ended, in order: a bid that arrived during one is refused, whenever it
    /// is ordered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suspensions: Vec<SuspensionPeriod>,
    /// Bidders that withdrew a bid, with the audit index of their last withdrawal, for
    /// `repeated-withdrawal`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub withdrawn: BTreeMap<PublicKey, u64>,
    /// When the key generation finished and bidding opened (its entry's timestamp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bidding_since_ms: Option<u64>,
    /// The committee members that proved they hold their shares, by member number: the latest
    /// proof of each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub readiness: BTreeMap<u16, Readiness>,
    /// Whether the committee's readiness was judged (`committee-unready`): once, at the first
    /// entry on the tender at or after the set time, or at its close.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readiness_judged: bool,
    /// When the tender was opened (the opening entry's timestamp): the day an opening objection
    /// may be filed on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at_ms: Option<u64>,
    /// Bidders' objections to the office, in the order filed ([`crate::objections`]), up to
    /// [`crate::objections::OBJECTIONS_PER_TENDER_MAX`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objections: Vec<crate::objections::Objection>,
    /// Bidders' complaints to the supervisors, in the order filed ([`crate::complaints`]), up to
    /// [`crate::complaints::COMPLAINTS_PER_TENDER_MAX`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub complaints: Vec<crate::complaints::Complaint>,
    /// Whether the candidates were ever published: only the first publication is timed
    /// ([`crate::performance`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub publicity_published: bool,
    /// The candidate publicity, once published ([`crate::publicity`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publicity: Option<crate::publicity::Publicity>,
    /// The award's notices to every bidder whose bid was opened, by lot and then bidder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub result_notices: Vec<crate::publicity::ResultNotice>,
}

/// A committee member's proof that it holds its share, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// The proving entry's audit index.
    pub audit_index: u64,
    /// Its timestamp.
    pub proved_at_ms: u64,
}

/// A supervisor's suspension of a tender, in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suspension {
    /// The timestamp of the entry that suspended it: bids that arrived before it are judged as
    /// if there were no suspension; every other command on the tender waits for the resumption.
    pub suspended_at_ms: u64,
    /// The supervisor who suspended it.
    pub supervisor: PublicKey,
    /// Why.
    pub reason: String,
    /// The audit index of the suspending entry.
    pub audit_index: u64,
}

/// A suspension that ended: from its entry's timestamp to the resuming entry's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuspensionPeriod {
    /// When it began (the suspending entry's timestamp).
    pub from_ms: u64,
    /// When it ended (the resuming entry's timestamp); a bid that arrived in `[from_ms,
    /// until_ms)` is refused.
    pub until_ms: u64,
}

impl Tender {
    /// The lot spec for `lot`.
    pub fn lot(&self, lot: &LotId) -> Option<&crate::command::LotSpec> {
        self.spec.lots.iter().find(|spec| &spec.id == lot)
    }

    /// Whether `bidder` has a bid on `lot`.
    pub fn has_bid(&self, lot: &LotId, bidder: &PublicKey) -> bool {
        self.bids.get(lot).is_some_and(|bids| bids.contains_key(bidder))
    }

    /// The suspension a command that arrived at `arrived_at_ms` met: the one in force if it began
    /// at or before then, or an ended one that was in force then. `Some(since_ms)` gives when
    /// that suspension began.
    pub fn suspended_at_arrival(&self, arrived_at_ms: u64) -> Option<u64> {
        let current = self
            .suspension
            .as_ref()
            .filter(|suspension| suspension.suspended_at_ms <= arrived_at_ms)
            .map(|suspension| suspension.suspended_at_ms);
        current.or_else(|| {
            self.suspensions
                .iter()
                .find(|period| (period.from_ms..period.until_ms).contains(&arrived_at_ms))
                .map(|period| period.from_ms)
        })
    }

    /// The member number of `key` on the committee (1-based).
    pub fn member_number(&self, key: &PublicKey) -> Option<u16> {
        self.spec
            .committee
            .iter()
            .position(|member| member == key)
            .and_then(|position| u16::try_from(position + 1).ok())
    }
}

/// A tender's final record, handed out of memory to storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveRecord {
    /// When it became final.
    pub archived_at_ms: u64,
    /// The whole tender, with its bids, opening and results.
    pub tender: Tender,
    /// The warnings raised on it, in the order raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::warnings::Warning>,
}
