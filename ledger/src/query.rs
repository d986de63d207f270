//! Read-only views. While a tender takes bids its public views say nothing of its bids, not
//! even how many there are ([`crate::disclosure`]); a closed tender shows only counts, hashes
//! and receipts of its bids; an opened one shows everything. The views work on a live [`Tender`] or on the tender inside an
//! [`crate::tender::ArchiveRecord`] fetched from storage.

use std::collections::BTreeMap;

use serde::Serialize;

use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::dkg::{CommitteeOutcome, CommitteeParameters, Dealing, Response};
use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::merkle::Hash;

use crate::award::LotOutcome;
use crate::disclosure::phase_takes_bids as takes_bids;
use crate::state::{Participant, State};
use crate::supervision::Correction;
use crate::tender::{Amendment, OpenedBid, Phase, Suspension, Tender};
use crate::types::{Fen, LotId, TenderId};

/// What anyone may see of a tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenderView<'a> {
    /// The id.
    pub id: &'a TenderId,
    /// Its office.
    pub office: &'a PublicKey,
    /// What was published.
    pub spec: &'a crate::command::TenderSpec,
    /// Where it is.
    pub phase: Phase,
    /// The deadline in force.
    pub deadline_ms: u64,
    /// Its amendments.
    pub amendments: &'a [Amendment],
    /// The key to seal bids to, once generated.
    pub opening_key: Option<CurvePoint>,
    /// Bids held; `None` while the tender takes bids (their number is not public before the
    /// close).
    pub bid_count: Option<usize>,
    /// Shares released.
    pub shares_released: usize,
    /// When a supervisor suspended it, if it is suspended: nothing on it moves, and bids
    /// arriving now are refused, until a supervisor resumes it (the deadline then moves).
    pub suspended_since_ms: Option<u64>,
    /// The committee members that proved they hold their shares, by member number, with the
    /// latest proof's entry and time.
    pub readiness: &'a BTreeMap<u16, crate::tender::Readiness>,
    /// The objections filed, in order; the objector is left out while the tender takes bids
    /// (it would name a possible bidder).
    pub objections: Vec<ObjectionView<'a>>,
    /// The complaints filed, in order; the complainant is left out while the tender takes bids.
    pub complaints: Vec<ComplaintView<'a>>,
    /// The ranked candidates and the publicity's periods, once published.
    pub publicity: Option<&'a crate::publicity::Publicity>,
    /// The award's notices to the bidders, once awarded.
    pub result_notices: &'a [crate::publicity::ResultNotice],
}

/// An objection as anyone may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectionView<'a> {
    /// Its id.
    pub id: &'a crate::types::ObjectionId,
    /// What it is about.
    pub matter: crate::objections::ObjectionMatter,
    /// Who filed it; `None` while the tender takes bids.
    pub objector: Option<&'a PublicKey>,
    /// When it was filed.
    pub filed_at_ms: u64,
    /// When the answer is due.
    pub answer_due_ms: u64,
    /// The office's answer, once given.
    pub answer: Option<&'a crate::objections::ObjectionAnswer>,
    /// When the answer period ended unanswered, if it did.
    pub lapsed: Option<&'a crate::objections::ObjectionLapse>,
}

/// A complaint as anyone may see it: everything the ledger holds, but the complainant while the
/// tender takes bids (it would name a possible bidder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintView<'a> {
    /// Its id.
    pub id: &'a crate::types::ComplaintId,
    /// What it is about.
    pub matter: crate::complaints::ComplaintMatter,
    /// Who filed it; `None` while the tender takes bids.
    pub complainant: Option<&'a PublicKey>,
    /// The objection it follows, if its matter needs one.
    pub objection: Option<&'a crate::types::ObjectionId>,
    /// For another matter, when the complainant says it knew.
    pub known_at_ms: Option<u64>,
    /// When it was filed.
    pub filed_at_ms: u64,
    /// When the review is due.
    pub review_due_ms: u64,
    /// The review, once done.
    pub review: Option<&'a crate::complaints::Act<crate::complaints::Review>>,
    /// When the decision is due, once known.
    pub decision_due_ms: Option<u64>,
    /// The decision, once made.
    pub decision: Option<&'a crate::complaints::Act<crate::complaints::Decision>>,
    /// When the review period ended without a review, if it did.
    pub review_lapsed: Option<&'a crate::objections::ObjectionLapse>,
    /// When the decision period ended without a decision, if it did.
    pub decision_lapsed: Option<&'a crate::objections::ObjectionLapse>,
}

impl<'a> ComplaintView<'a> {
    /// The view of `complaint` on a tender in `phase`.
    fn of(complaint: &'a crate::complaints::Complaint, phase: Phase) -> Self {
        Self {
            id: &complaint.id,
            matter: complaint.matter,
            complainant: (!takes_bids(phase)).then_some(&complaint.complainant),
            objection: complaint.objection.as_ref(),
            known_at_ms: complaint.known_at_ms,
            filed_at_ms: complaint.filed_at_ms,
            review_due_ms: complaint.review_due_ms,
            review: complaint.review.as_ref(),
            decision_due_ms: complaint.decision_due_ms,
            decision: complaint.decision.as_ref(),
            review_lapsed: complaint.review_lapsed.as_ref(),
            decision_lapsed: complaint.decision_lapsed.as_ref(),
        }
    }
}

/// A sealed bid as anyone may see it before the opening: no bidder, no content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SealedBidView {
    /// The lot.
    pub lot: LotId,
    /// Its audit index.
    pub audit_index: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
}

/// A tender's bids as anyone may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BidsView<'a> {
    /// While the tender takes bids: nothing, until the close after this deadline.
    Withheld {
        /// The deadline in force.
        deadline_ms: u64,
    },
    /// Before the opening: counts per lot, and each bid's audit index and hash.
    Sealed {
        /// Bids per lot.
        counts: BTreeMap<&'a LotId, usize>,
        /// Each bid, ordered by audit index.
        bids: Vec<SealedBidView>,
    },
    /// After the opening: everything.
    Opened {
        /// Every bid with its price and status.
        bids: &'a [OpenedBid],
        /// The reserve prices read at the opening.
        #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, Option<u64>>))]
        reserves: &'a BTreeMap<LotId, Option<Fen>>,
    },
}

/// One of a bidder's own bids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnBid<'a> {
    /// The tender.
    pub tender: &'a TenderId,
    /// The lot.
    pub lot: &'a LotId,
    /// Its audit index (for its receipt).
    pub audit_index: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
}

/// The public view of a tender.
pub fn tender_view(tender: &Tender) -> TenderView<'_> {
    TenderView {
        id: &tender.id,
        office: &tender.office,
        spec: &tender.spec,
        phase: tender.phase,
        deadline_ms: tender.deadline_ms,
        amendments: &tender.amendments,
        opening_key: tender.committee_key.as_ref().map(|outcome| outcome.opening_key),
        bid_count: (!takes_bids(tender.phase)).then_some(tender.bid_count),
        shares_released: tender.shares.len(),
        suspended_since_ms: tender.suspension.as_ref().map(|suspension| suspension.suspended_at_ms),
        readiness: &tender.readiness,
        objections: tender
            .objections
            .iter()
            .map(|objection| ObjectionView {
                id: &objection.id,
                matter: objection.matter,
                objector: (!takes_bids(tender.phase)).then_some(&objection.objector),
                filed_at_ms: objection.filed_at_ms,
                answer_due_ms: objection.answer_due_ms,
                answer: objection.answer.as_ref(),
                lapsed: objection.lapsed.as_ref(),
            })
            .collect(),
        complaints: tender
            .complaints
            .iter()
            .map(|complaint| ComplaintView::of(complaint, tender.phase))
            .collect(),
        publicity: tender.publicity.as_ref(),
        result_notices: &tender.result_notices,
    }
}

/// A tender's bids: withheld until the close, sealed until the opening, then in full.
pub fn bids_view(tender: &Tender) -> BidsView<'_> {
    if takes_bids(tender.phase) {
        return BidsView::Withheld {
            deadline_ms: tender.deadline_ms,
        };
    }
    if let Some(opening) = &tender.opening {
        return BidsView::Opened {
            bids: &opening.bids,
            reserves: &opening.reserves,
        };
    }
    let counts = tender.bids.iter().map(|(lot, bids)| (lot, bids.len())).collect();
    let mut bids: Vec<SealedBidView> = tender
        .bids
        .iter()
        .flat_map(|(lot, bids)| {
            bids.values().map(move |bid| SealedBidView {
                lot: lot.clone(),
                audit_index: bid.audit_index,
                leaf_hash: bid.leaf_hash,
            })
        })
        .collect();
    bids.sort_by_key(|bid| bid.audit_index);
    BidsView::Sealed { counts, bids }
}

/// A tender's results, once awarded or failed.
pub fn results(tender: &Tender) -> Option<&BTreeMap<LotId, LotOutcome>> {
    tender.results.as_ref()
}

/// Every registered participant.
pub fn participants(state: &State) -> impl Iterator<Item = &Participant> {
    state.participants.values()
}

/// The participants anyone may see: role-holders that never applied as bidders. The registry
/// of bidders maps keys to companies, which the public may not learn ([`crate::disclosure`]).
pub fn public_participants(state: &State) -> impl Iterator<Item = &Participant> {
    state
        .participants
        .values()
        .filter(|participant| participant.registration.is_none())
}

/// A bid as a supervisor sees it live: whose it is, not what it offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveBid<'a> {
    /// The lot.
    pub lot: &'a LotId,
    /// The bidder.
    pub bidder: &'a PublicKey,
    /// The entry that placed it (its submission or last replacement).
    pub audit_index: u64,
    /// That entry's leaf hash.
    pub leaf_hash: Hash,
}

/// A tender's bids as a supervisor sees them at any time: every bid held, with its bidder,
/// ordered by audit index (withdrawn bids are gone; their entries remain in the log).
pub fn live_bids(tender: &Tender) -> Vec<LiveBid<'_>> {
    let mut bids: Vec<LiveBid<'_>> = tender
        .bids
        .iter()
        .flat_map(|(lot, bids)| {
            bids.iter().map(move |(bidder, bid)| LiveBid {
                lot,
                bidder,
                audit_index: bid.audit_index,
                leaf_hash: bid.leaf_hash,
            })
        })
        .collect();
    bids.sort_by_key(|bid| bid.audit_index);
    bids
}

/// What a key may read of itself: its registration and roles, its bids in open tenders, and,
/// for an office, the supervisors' orders to it and the suspensions of its tenders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnView<'a> {
    /// The participant, if the ledger knows the key.
    pub participant: Option<&'a Participant>,
    /// Its bids in open tenders.
    pub bids: Vec<OwnBid<'a>>,
    /// Correction orders addressed to it that the state holds (open, or answered while their
    /// tender is not final), by id.
    pub corrections: Vec<&'a Correction>,
    /// Its tenders that a supervisor suspended, with the suspension.
    pub suspended_tenders: Vec<SuspendedTender<'a>>,
    /// The objections of open tenders it filed, or that it must answer as the tenders' office,
    /// in full.
    pub objections: Vec<OwnObjection<'a>>,
}

/// An objection a key filed or must answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnObjection<'a> {
    /// The tender.
    pub tender: &'a TenderId,
    /// The objection.
    pub objection: &'a crate::objections::Objection,
}

/// A suspended tender, as its office reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuspendedTender<'a> {
    /// The tender.
    pub tender: &'a TenderId,
    /// The suspension in force.
    pub suspension: &'a Suspension,
}

/// `key`'s view of itself.
pub fn own_view<'a>(state: &'a State, key: &'a PublicKey) -> OwnView<'a> {
    OwnView {
        participant: state.participants.get(key),
        bids: own_bids(state, key),
        corrections: state
            .corrections
            .values()
            .filter(|correction| &correction.office == key)
            .collect(),
        suspended_tenders: state
            .tenders
            .values()
            .filter(|tender| &tender.office == key)
            .filter_map(|tender| {
                tender.suspension.as_ref().map(|suspension| SuspendedTender {
                    tender: &tender.id,
                    suspension,
                })
            })
            .collect(),
        objections: state
            .tenders
            .values()
            .flat_map(|tender| {
                tender
                    .objections
                    .iter()
                    .filter(move |objection| &objection.objector == key || &tender.office == key)
                    .map(move |objection| OwnObjection {
                        tender: &tender.id,
                        objection,
                    })
            })
            .collect(),
    }
}

/// Every correction order the state holds, by id: what supervisors follow up.
pub fn corrections(state: &State) -> impl Iterator<Item = &Correction> {
    state.corrections.values()
}

/// The early warnings the state holds, with the thresholds in force: what supervisors read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WarningsView<'a> {
    /// The thresholds in force now, and the entry that set them.
    pub thresholds: crate::warnings::thresholds::ThresholdsInForce,
    /// The warnings held, in the order raised: all of them, or those of one tender.
    pub warnings: Vec<&'a crate::warnings::Warning>,
}

/// The warnings held, of `tender` if given, in the order raised.
pub fn warnings<'a>(state: &'a State, tender: Option<&TenderId>) -> WarningsView<'a> {
    WarningsView {
        thresholds: state.thresholds(),
        warnings: state
            .warnings
            .values()
            .filter(|warning| tender.is_none_or(|tender| warning.tender.as_ref() == Some(tender)))
            .collect(),
    }
}

/// A bidder's own bids in open tenders.
pub fn own_bids<'a>(state: &'a State, bidder: &'a PublicKey) -> Vec<OwnBid<'a>> {
    state
        .tenders
        .values()
        .flat_map(|tender| {
            tender.bids.iter().filter_map(move |(lot, bids)| {
                bids.get(bidder).map(|bid| OwnBid {
                    tender: &tender.id,
                    lot,
                    audit_index: bid.audit_index,
                    leaf_hash: bid.leaf_hash,
                })
            })
        })
        .collect()
}

/// A tender's key generation as its committee members need it: the parameters, the members'
/// identity keys in member order, and every dealing and response in the log so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyGeneration {
    /// The tender.
    pub tender: TenderId,
    /// Member j's identity key is at position j−1.
    pub members: Vec<PublicKey>,
    /// The session (the tender id), threshold and members' encryption keys.
    pub parameters: CommitteeParameters,
    /// Round-1 messages, one per dealer.
    pub dealings: Vec<Dealing>,
    /// Whether round 1 is over (responses may come).
    pub dealing_closed: bool,
    /// Round-2 messages, one per member.
    pub responses: Vec<Response>,
    /// The result, once the key generation finished.
    pub outcome: Option<CommitteeOutcome>,
}

/// The key generation of `tender`.
pub fn key_generation(tender: &Tender) -> KeyGeneration {
    KeyGeneration {
        tender: tender.id.clone(),
        members: tender.spec.committee.clone(),
        parameters: tender.committee.clone(),
        dealings: tender.dealings.clone(),
        dealing_closed: tender.dealing_closed,
        responses: tender.responses.clone(),
        outcome: tender.committee_key.clone(),
    }
}
