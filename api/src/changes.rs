//! `GET /v1/changes`: the change feed for integrators. Every applied entry, in log order, as one
//! line: its audit index, time, kind and what it concerns (tender, market, office), so that a
//! client polls from where it stopped and fetches only the tenders that changed. What the public
//! log withholds (§6.2 of the protocol: a bid until its tender closes, a registration while any
//! tender takes bids, a supervisor's entry on a tender not final) keeps its index, time and kind
//! and names nothing. A thin shell over the node's history rows and the ledger's disclosure rule.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use sealbid_crypto::identity::PublicKey;
use sealbid_ledger::command::Entry;
use sealbid_ledger::disclosure;
use sealbid_ledger::types::{Market, TenderId};

use crate::ApiState;
use crate::problem::Problem;

/// Changes one page holds at most.
pub const CHANGES_PER_PAGE_MAX: u64 = 1_000;
/// Changes in a page when the client does not say.
const CHANGES_PER_PAGE_DEFAULT: u64 = 100;

/// Which changes to send.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeRange {
    /// The first audit index (default 0).
    pub from: Option<u64>,
    /// How many at most (default 100, at most 1,000).
    pub count: Option<u64>,
}

/// One applied entry, as the change feed tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    /// Its audit index.
    pub audit_index: u64,
    /// The leader's timestamp of the entry, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// What it is: the command's action (`publish_tender`, `submit_bid`, …), `close`, a lapse
    /// (`objection_unanswered`, …) or `genesis`.
    pub kind: String,
    /// Whether the public log withholds the entry now: then it names nothing more.
    pub withheld: bool,
    /// The tender it acts on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tender: Option<TenderId>,
    /// That tender's market.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub market: Option<Market>,
    /// That tender's office, or the office a correction order is addressed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<PublicKey>,
}

/// A page of the change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangePage {
    /// The changes, by audit index.
    pub changes: Vec<Change>,
    /// Where to read on: the index after the last change sent, or `from` when there was none.
    pub next: u64,
}

/// The change feed from an audit index on.
#[utoipa::path(get, path = "/v1/changes", tag = "queries", params(ChangeRange),
    responses(
        (status = 200, description = "The entries from `from` on, each with its time, kind and (unless withheld) what it concerns, and where to read on", body = ChangePage),
        (status = 400, description = "A query that does not parse", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The node's history cannot be read now", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn changes(state: web::Data<ApiState>, range: web::Query<ChangeRange>) -> Result<HttpResponse, Problem> {
    let from = range.from.unwrap_or(0);
    let count = range
        .count
        .unwrap_or(CHANGES_PER_PAGE_DEFAULT)
        .clamp(1, CHANGES_PER_PAGE_MAX);
    let rows = state
        .replica
        .watched(from, count)
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?;
    let decoded = rows
        .into_iter()
        .map(|row| {
            let entry: Entry = serde_json::from_str(&row.entry).map_err(|error| {
                Problem::internal(
                    "storage-damaged",
                    format!("audit entry {} does not decode: {error}", row.index),
                )
            })?;
            Ok((row, entry))
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    // Judged against the state now, as the public log serves each entry now.
    let changes: Vec<Change> = state
        .replica
        .read_applied(|ledger| {
            decoded
                .into_iter()
                .map(|(row, entry)| {
                    let withheld = disclosure::withheld(ledger.state(), &entry).is_some();
                    let subject = if withheld { Default::default() } else { row.subject };
                    Change {
                        audit_index: row.index,
                        timestamp_ms: entry.timestamp_ms,
                        kind: disclosure::kind(&entry).to_owned(),
                        withheld,
                        tender: subject.tender,
                        market: subject.market,
                        office: subject.office,
                    }
                })
                .collect()
        })
        .await;
    let next = changes
        .last()
        .map_or(from, |change| change.audit_index.saturating_add(1));
    Ok(HttpResponse::Ok().json(ChangePage { changes, next }))
}
