//! The information service's notices (信息服务; 电子招标投标办法 Arts. 32 and 42): what the platform
//! publishes about a tender, one notice per public act: its publication, each amendment, the
//! opening record with names and prices, the candidate publicity, the result, a cancellation,
//! and a supervisor's decision on a complaint. Pure: [`of_applied`] derives an entry's notices
//! from what the ledger answered and the state after it, so every node publishes the same.
//!
//! Data flow: [`crate::Ledger::apply`] hands each applied entry's response, events and archive
//! record here; the notices travel in [`crate::Applied::notices`] to the node, which keeps them
//! by audit index and serves them as a paged feed and as Atom (docs/protocol.md §10.14).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;

use crate::award::LotOutcome;
use crate::complaints::Decision;
use crate::events::{AuditEvent, Response};
use crate::state::State;
use crate::tender::{ArchiveRecord, BidStatus, Tender};
use crate::types::{ComplaintId, LotId, Market, TenderId};

/// One published notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    /// The entry that published it.
    pub audit_index: u64,
    /// Its place among that entry's notices (an upheld complaint's re-tender publishes the
    /// decision, then the cancellation).
    pub position: u16,
    /// The entry's timestamp.
    pub published_at_ms: u64,
    /// The tender.
    pub tender: TenderId,
    /// The tender's title.
    pub title: String,
    /// Its market.
    pub market: Market,
    /// Its office's key.
    pub office: PublicKey,
    /// Its office's name.
    pub office_name: String,
    /// What the notice says.
    pub content: Content,
}

/// What a notice says, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// The tender notice (招标公告): its lots and deadline.
    Tender {
        /// The deadline, ms since the Unix epoch.
        deadline_ms: u64,
        /// The lots: id and title.
        lots: Vec<(LotId, String)>,
    },
    /// An amendment or clarification (澄清或者修改), with the deadline after it.
    Amendment {
        /// Its text.
        notice: String,
        /// The deadline in force after it.
        deadline_ms: u64,
    },
    /// The opening record (开标记录, 电子招标投标办法 Art. 32): every bid read, with its bidder's
    /// name and its price.
    Opening {
        /// The bids, in log order.
        bids: Vec<OpenedLine>,
    },
    /// The candidate publicity (中标候选人公示).
    Candidates {
        /// When the publicity ends.
        ends_ms: u64,
        /// From when the award may be made.
        award_from_ms: u64,
        /// Each lot's ranked candidates.
        lots: BTreeMap<LotId, Vec<Ranked>>,
    },
    /// The result (中标结果公告): each lot's winners, or that it failed.
    Result {
        /// By lot.
        lots: BTreeMap<LotId, LotResult>,
    },
    /// The tender was cancelled (or is to be tendered again).
    Cancellation {
        /// Why.
        reason: String,
    },
    /// A supervisor's decision on a complaint (投诉处理决定, 电子招标投标办法 Art. 42). The
    /// complainant is not named.
    ComplaintDecision {
        /// The complaint.
        complaint: ComplaintId,
        /// The decision.
        decision: Decision,
        /// Its written reasons.
        text: String,
    },
}

impl Content {
    /// The kinds of notice, by the name each content's member has in JSON.
    pub const KINDS: [&'static str; 7] = [
        "tender",
        "amendment",
        "opening",
        "candidates",
        "result",
        "cancellation",
        "complaint_decision",
    ];

    /// This notice's kind: the name of its content's member in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Tender { .. } => "tender",
            Self::Amendment { .. } => "amendment",
            Self::Opening { .. } => "opening",
            Self::Candidates { .. } => "candidates",
            Self::Result { .. } => "result",
            Self::Cancellation { .. } => "cancellation",
            Self::ComplaintDecision { .. } => "complaint_decision",
        }
    }
}

/// One bid in the opening record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenedLine {
    /// The lot.
    pub lot: LotId,
    /// The bidder's key.
    pub bidder: PublicKey,
    /// The bidder's organisation.
    pub name: String,
    /// The price read, fen; `None` when the offer could not be read.
    pub price_fen: Option<u64>,
    /// Whether the opening could use the bid.
    pub valid: bool,
}

/// A ranked candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ranked {
    /// 1 for the best.
    pub rank: u16,
    /// The bidder's key.
    pub bidder: PublicKey,
    /// Its organisation.
    pub name: String,
    /// Its price, fen.
    pub price_fen: u64,
}

/// A lot's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LotResult {
    /// Awarded to these winners.
    Awarded {
        /// Each winner: key, organisation and what it pays, fen.
        winners: Vec<(PublicKey, String, u64)>,
    },
    /// The lot failed (流标).
    Failed,
}

/// A participant's name, or its key's text when the ledger has none.
fn name(state: &State, key: &PublicKey) -> String {
    state
        .participants
        .get(key)
        .map_or_else(|| key.to_string(), |participant| participant.name.clone())
}

/// What an applied entry publishes: `response`, `events` and `archived` as the ledger gave
/// them, the state after the entry, and the tender the entry concerns.
pub(crate) fn of_applied(
    state: &State,
    response: &Response,
    events: &[AuditEvent],
    archived: Option<&ArchiveRecord>,
    subject: Option<&TenderId>,
    audit_index: u64,
    published_at_ms: u64,
) -> Vec<Notice> {
    // Most entries (every bid) publish nothing: decide that before looking anything up.
    let publishes = matches!(
        response,
        Response::TenderPublished { .. }
            | Response::TenderAmended { .. }
            | Response::TenderOpened { .. }
            | Response::CandidatesPublished { .. }
            | Response::TenderAwarded { .. }
    ) || archived.is_some()
        || events
            .iter()
            .any(|event| matches!(event, AuditEvent::ComplaintDecided { .. }));
    if !publishes {
        return Vec::new();
    }
    let tender = subject
        .and_then(|id| state.tenders.get(id))
        .or(archived.map(|record| &record.tender));
    let Some(tender) = tender else {
        return Vec::new();
    };
    let mut contents = Vec::new();
    for event in events {
        if let AuditEvent::ComplaintDecided {
            complaint, decision, ..
        } = event
        {
            let text = tender
                .complaints
                .iter()
                .find(|held| &held.id == complaint)
                .and_then(|held| held.decision.as_ref())
                .map(|act| act.text.clone())
                .unwrap_or_default();
            contents.push(Content::ComplaintDecision {
                complaint: complaint.clone(),
                decision: *decision,
                text,
            });
        }
    }
    match response {
        Response::TenderPublished { .. } => contents.push(Content::Tender {
            deadline_ms: tender.deadline_ms,
            lots: tender
                .spec
                .lots
                .iter()
                .map(|lot| (lot.id.clone(), lot.title.clone()))
                .collect(),
        }),
        Response::TenderAmended { deadline_ms } => contents.push(Content::Amendment {
            notice: tender
                .amendments
                .last()
                .map(|amendment| amendment.notice.clone())
                .unwrap_or_default(),
            deadline_ms: *deadline_ms,
        }),
        Response::TenderOpened { .. } => contents.push(opening(state, tender)),
        Response::CandidatesPublished { .. } => contents.extend(candidates(tender)),
        Response::TenderAwarded { results } => contents.push(result(state, results)),
        _ => {}
    }
    if let Some(reason) = archived.and_then(|record| record.tender.cancellation.clone()) {
        contents.push(Content::Cancellation { reason });
    }
    contents
        .into_iter()
        .enumerate()
        .map(|(position, content)| Notice {
            audit_index,
            position: u16::try_from(position).unwrap_or(u16::MAX),
            published_at_ms,
            tender: tender.id.clone(),
            title: tender.spec.title.clone(),
            market: tender.spec.market,
            office: tender.office,
            office_name: name(state, &tender.office),
            content,
        })
        .collect()
}

/// The opening record of `tender`.
fn opening(state: &State, tender: &Tender) -> Content {
    let bids = tender
        .opening
        .iter()
        .flat_map(|opening| opening.bids.iter())
        .map(|bid| OpenedLine {
            lot: bid.lot.clone(),
            bidder: bid.bidder,
            name: name(state, &bid.bidder),
            price_fen: bid.price_fen.map(|price| price.get()),
            valid: !matches!(bid.status, BidStatus::Invalid { .. }),
        })
        .collect();
    Content::Opening { bids }
}

/// The candidate publicity of `tender`.
fn candidates(tender: &Tender) -> Option<Content> {
    let publicity = tender.publicity.as_ref()?;
    let lots = publicity
        .lots
        .iter()
        .map(|(lot, publicized)| {
            let ranked = publicized
                .candidates
                .iter()
                .map(|candidate| Ranked {
                    rank: candidate.rank,
                    bidder: candidate.bidder,
                    name: candidate.organisation.clone(),
                    price_fen: candidate.price_fen.get(),
                })
                .collect();
            (lot.clone(), ranked)
        })
        .collect();
    Some(Content::Candidates {
        ends_ms: publicity.ends_ms,
        award_from_ms: publicity.award_from_ms,
        lots,
    })
}

/// The result of an award.
fn result(state: &State, results: &BTreeMap<LotId, LotOutcome>) -> Content {
    let lots = results
        .iter()
        .map(|(lot, outcome)| {
            let result = match outcome {
                LotOutcome::Awarded { winners } => LotResult::Awarded {
                    winners: winners
                        .iter()
                        .map(|winner| (winner.bidder, name(state, &winner.bidder), winner.pay_fen))
                        .collect(),
                },
                LotOutcome::Failed { .. } => LotResult::Failed,
            };
            (lot.clone(), result)
        })
        .collect();
    Content::Result { lots }
}
