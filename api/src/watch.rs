//! Supervisors watch the log live (电子监察: 实时监控). `GET /v1/supervision/stream` is a
//! supervisor's signed read answered with Server-Sent Events: every applied entry in readable
//! form (who, what, which tender, when it arrived and when the leader stamped it), filtered by
//! tender, market or office, from any audit index on, so that a client that lost its connection
//! resumes where it stopped. `GET /v1/supervision/tenders/{id}/timeline` gives one tender's
//! entries in the same form.
//!
//! The handler is a thin shell: [`describe`] turns a stored row into a [`WatchedEntry`],
//! [`Filter::admits`] decides, [`crate::sse::event`] writes the SSE text; the stream pages through the
//! node's history and waits on the replica's applied-index watch channel between entries.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use sealbid_consensus::history::WatchedRow;
use sealbid_crypto::identity::PublicKey;
use sealbid_ledger::command::{Command, Entry, EntryBody};
use sealbid_ledger::disclosure;
use sealbid_ledger::state::State;
use sealbid_ledger::subject::Subject;
use sealbid_ledger::types::{Market, TenderId};

use crate::ApiState;
use crate::problem::Problem;
use crate::queries::{parse_tender, path_tender};
use crate::signed_reads::supervisor;
use crate::sse::{self, event};

/// Streams open at once on a node, at most: one more is answered `503 busy`.
pub const STREAMS_MAX: usize = 64;
/// Entries read from history per page.
const PAGE_ENTRIES: u64 = 100;
/// How long a quiet stream waits before it sends a keep-alive comment, so that proxies and clients see the
/// connection alive.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The bound on open streams.
#[derive(Debug)]
pub struct Watchers {
    /// One permit per open stream.
    permits: Arc<tokio::sync::Semaphore>,
}

impl Default for Watchers {
    fn default() -> Self {
        Self {
            permits: Arc::new(tokio::sync::Semaphore::new(STREAMS_MAX)),
        }
    }
}

/// An applied entry as a supervisor reads it live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchedEntry {
    /// Its audit index (also the event's `id`).
    pub index: u64,
    /// The leader's timestamp, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// `genesis`, `close` or the command's action (`submit_bid`, …).
    pub kind: String,
    /// Who signed it (`None` for the genesis and the leader's close).
    pub signer: Option<PublicKey>,
    /// The signer's name in the registry, if it has one.
    pub signer_name: Option<String>,
    /// The node that received the command.
    pub node_id: Option<u64>,
    /// When that node received it, by its clock.
    pub received_at_ms: Option<u64>,
    /// The tender it concerns.
    pub tender: Option<TenderId>,
    /// That tender's market.
    pub market: Option<Market>,
    /// That tender's office, or the office a correction order concerns.
    pub office: Option<PublicKey>,
    /// The action, as signed.
    pub action: Option<serde_json::Value>,
    /// What the ledger answered (`None` for an entry this node took from a peer's history).
    pub response: Option<serde_json::Value>,
    /// The entry's canonical text, the leaf's bytes: SHA-256(`00` ‖ it) is its leaf hash.
    pub entry: String,
}

/// Which entries a supervisor asked for: each filter given must match the entry's subject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Entries of this tender.
    pub tender: Option<TenderId>,
    /// Entries of tenders of this market.
    pub market: Option<Market>,
    /// Entries of this office's tenders, and correction orders addressed to it.
    pub office: Option<PublicKey>,
}

impl Filter {
    /// Whether the entry whose subject is `subject` passes.
    pub fn admits(&self, subject: &Subject) -> bool {
        matches(self.tender.as_ref(), subject.tender.as_ref())
            && matches(self.market.as_ref(), subject.market.as_ref())
            && matches(self.office.as_ref(), subject.office.as_ref())
    }
}

/// Whether a filter `wanted` (none: anything) admits `found`.
fn matches<T: PartialEq>(wanted: Option<&T>, found: Option<&T>) -> bool {
    wanted.is_none() || wanted == found
}

/// The stream's parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// The first audit index to send (absent: the next entry applied).
    pub from: Option<u64>,
    /// Only this tender's entries.
    pub tender: Option<String>,
    /// Only entries of this market's tenders (`procurement`, …).
    pub market: Option<String>,
    /// Only entries of this office's tenders and orders to it (its key text).
    pub office: Option<String>,
}

/// A tender timeline's parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// The first audit index to look at (default 0).
    pub from: Option<u64>,
    /// How many entries at most (default 100, at most 1,000).
    pub count: Option<u64>,
}

/// `row` in readable form, with names from `state`; `None` for text that is not an entry
/// (damaged storage, which the caller reports).
pub fn describe(row: &WatchedRow, state: &State) -> Option<WatchedEntry> {
    let entry: Entry = serde_json::from_str(&row.entry).ok()?;
    let (signer, arrival, action) = match &entry.body {
        EntryBody::Command(received) => {
            let command = serde_json::from_str::<Command>(&received.signed.payload).ok();
            (
                Some(received.signed.signer),
                Some(received.arrival),
                command.and_then(|command| serde_json::to_value(command.action).ok()),
            )
        }
        EntryBody::Genesis(_) | EntryBody::Close { .. } | EntryBody::Lapse(_) => (None, None, None),
    };
    Some(WatchedEntry {
        index: row.index,
        timestamp_ms: entry.timestamp_ms,
        kind: disclosure::kind(&entry).to_owned(),
        signer,
        signer_name: signer.and_then(|key| state.participants.get(&key).map(|participant| participant.name.clone())),
        node_id: arrival.map(|arrival| arrival.node_id),
        received_at_ms: arrival.map(|arrival| arrival.received_at_ms),
        tender: row.subject.tender.clone(),
        market: row.subject.market,
        office: row.subject.office,
        action,
        response: row.response.as_deref().and_then(|text| serde_json::from_str(text).ok()),
        entry: row.entry.clone(),
    })
}

/// The filters of `query`, parsed; a 400 problem for one that does not parse.
fn filter(query: &StreamQuery) -> Result<Filter, Problem> {
    let malformed = Problem::malformed_query;
    Ok(Filter {
        tender: query.tender.as_deref().map(parse_tender).transpose()?,
        market: query
            .market
            .as_deref()
            .map(|text| {
                serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
                    malformed(format!(
                        "market {text:?}: one of procurement, construction, land_use_right, property_rights, coal_coke"
                    ))
                })
            })
            .transpose()?,
        office: query
            .office
            .as_deref()
            .map(|text| crate::queries::query_key("office", text))
            .transpose()?,
    })
}

/// Where a stream is.
struct Cursor {
    /// The node's state and history.
    state: web::Data<ApiState>,
    /// The next audit index to look at.
    next: u64,
    /// What to send.
    filter: Filter,
    /// Events ready to send.
    ready: VecDeque<Bytes>,
    /// When the reader's signature expires, ms by this node's clock: the stream ends then.
    ends_at_ms: u64,
    /// The stream has sent its last event.
    ended: bool,
    /// Holds the stream's place under [`STREAMS_MAX`].
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Cursor {
    /// Fills `ready` with the next events: entries that pass the filter, a keep-alive comment
    /// after a quiet spell, or the end.
    async fn fill(&mut self) {
        let now_ms = self.state.replica.now_ms();
        if now_ms >= self.ends_at_ms {
            let data = serde_json::json!({ "reason": "signature-expired", "next": self.next }).to_string();
            self.ready.push_back(event("end", None, &data));
            self.ended = true;
            return;
        }
        if self.state.replica.applied_audit_size() <= self.next {
            let wait = KEEP_ALIVE.min(Duration::from_millis(self.ends_at_ms - now_ms));
            if !self.state.replica.wait_applied(self.next, wait).await {
                self.ready.push_back(Bytes::from_static(sse::KEEP_ALIVE_COMMENT));
            }
            return;
        }
        let rows = match self.state.replica.watched(self.next, PAGE_ENTRIES).await {
            Ok(rows) => rows,
            Err(error) => return self.fail("storage-unavailable", &error.to_string()),
        };
        let Some(last) = rows.last().map(|row| row.index) else {
            // Applied here but not in this node's history (a snapshot's hole being filled).
            let detail = format!(
                "entry {} is not in this node's history yet: resume later from it",
                self.next
            );
            return self.fail("history-incomplete", &detail);
        };
        let admitted: Vec<&WatchedRow> = rows.iter().filter(|row| self.filter.admits(&row.subject)).collect();
        let described = self
            .state
            .replica
            .read_applied(|ledger| {
                admitted
                    .iter()
                    .map(|row| describe(row, ledger.state()).ok_or(row.index))
                    .collect::<Vec<_>>()
            })
            .await;
        for watched in described {
            match watched.map(|watched| serde_json::to_string(&watched).map(|data| (watched.index, data))) {
                Ok(Ok((index, data))) => self.ready.push_back(event("entry", Some(index), &data)),
                Ok(Err(error)) => return self.fail("encoding-failed", &error.to_string()),
                Err(index) => return self.fail("storage-damaged", &format!("entry {index} does not parse")),
            }
        }
        self.next = last + 1;
    }

    /// Ends the stream with an `error` event carrying `code` and `detail`.
    fn fail(&mut self, code: &str, detail: &str) {
        let data = serde_json::json!({ "code": code, "detail": detail, "next": self.next }).to_string();
        self.ready.push_back(event("error", None, &data));
        self.ended = true;
    }
}

/// `GET /v1/supervision/stream`: every applied entry from `from` on that passes the filters, as
/// Server-Sent Events, until the reader's signature expires.
#[utoipa::path(get, path = "/v1/supervision/stream", tag = "signed reads", params(StreamQuery),
    responses(
        (status = 200, description = "text/event-stream: `entry` events (id = audit index, data = the entry in readable form), keep-alive comments, and a last `end` or `error` event", content_type = "text/event-stream", body = String),
        (status = 400, description = "A malformed or unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unsigned, or the signature is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The reader is not a supervisor", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "This node serves as many streams as it may (`busy`)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn stream(
    request: HttpRequest,
    state: web::Data<ApiState>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, Problem> {
    let filter = filter(&query)?;
    let expires_seconds = supervisor(&request, &state, "watching the log live").await?;
    let permit = Arc::clone(&state.watchers.permits).try_acquire_owned().map_err(|_| {
        Problem::unavailable(
            "busy",
            format!("this node serves {STREAMS_MAX} streams already: retry shortly, or watch through another node"),
        )
    })?;
    let next = query.from.unwrap_or_else(|| state.replica.applied_audit_size());
    let cursor = Cursor {
        state: state.clone(),
        next,
        filter,
        ready: VecDeque::new(),
        ends_at_ms: expires_seconds.saturating_mul(1_000),
        ended: false,
        _permit: permit,
    };
    let events = futures_util::stream::unfold(cursor, |mut cursor| async move {
        loop {
            if let Some(bytes) = cursor.ready.pop_front() {
                return Some((Ok::<Bytes, actix_web::Error>(bytes), cursor));
            }
            if cursor.ended {
                return None;
            }
            cursor.fill().await;
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-store"))
        .streaming(events))
}

/// `GET /v1/supervision/tenders/{id}/timeline`: the entries concerning one tender, in order, in
/// the stream's readable form.
#[utoipa::path(get, path = "/v1/supervision/tenders/{id}/timeline", tag = "signed reads",
    params(("id" = String, Path, description = "The tender id"), TimelineQuery),
    responses(
        (status = 200, description = "The tender's entries from `from` on, in readable form", body = Timeline),
        (status = 400, description = "A malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unsigned, or the signature is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The reader is not a supervisor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "An id that cannot be a tender's", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The node's history cannot be read now", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn timeline(
    request: HttpRequest,
    state: web::Data<ApiState>,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, Problem> {
    let id = path_tender(&id)?;
    supervisor(&request, &state, "reading a tender's timeline").await?;
    let count = query
        .count
        .unwrap_or(PAGE_ENTRIES)
        .min(sealbid_consensus::history::ENTRIES_PER_FETCH_MAX);
    let rows = state
        .replica
        .timeline(id.as_str(), query.from.unwrap_or(0), count)
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?;
    let entries = state
        .replica
        .read_applied(|ledger| {
            rows.iter()
                .map(|row| describe(row, ledger.state()).ok_or(row.index))
                .collect::<Result<Vec<_>, u64>>()
        })
        .await
        .map_err(|index| Problem::internal("storage-damaged", format!("entry {index} does not parse")))?;
    Ok(HttpResponse::Ok().json(Timeline { tender: id, entries }))
}

/// A tender's timeline: the entries concerning it, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Timeline {
    /// The tender.
    tender: TenderId,
    /// Its entries from the page's first index on.
    entries: Vec<WatchedEntry>,
}
