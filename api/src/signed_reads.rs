//! Reads for role-holders, each signed by its reader ([`crate::reader`]): a supervisor reads
//! every audit entry in full, where each command came from, every tender's bids with their
//! bidders, live, the correction orders and the early warnings; a role-holder
//! reads the whole registry of participants; any key reads its own registration and bids.
//! An unsigned or badly signed read is answered 401, a reader without the role 403.

use actix_web::{HttpRequest, HttpResponse, web};

use sealbid_ledger::query::{corrections as held_corrections, live_bids, own_view, warnings};
use sealbid_ledger::types::Role;

use crate::ApiState;
use crate::audit::{AuditEntry, EntryContent, Range, decode_entries, range_count, settled_entries};
use crate::envelopes::bid_envelopes;
use crate::problem::Problem;
use crate::queries::{Listing, ParticipantRange, archived_warnings, encoding_problem, participant_page, path_tender};
use crate::reader::{authenticate, authenticate_until, require_role};

/// The roles that may read the whole registry: every role but a bidder's.
const REGISTRY_ROLES: [Role; 5] = [
    Role::Admin,
    Role::Office,
    Role::CommitteeMember,
    Role::Supervisor,
    Role::Registrar,
];

/// This node's clock, in seconds, for checking a read's signature.
fn now_seconds(state: &ApiState) -> u64 {
    state.replica.now_ms() / 1_000
}

/// Refuses `request` unless a supervisor signed it (for `what`); the signature's `expires`
/// (Unix seconds), which bounds a read that lasts (a stream).
pub(crate) async fn supervisor(request: &HttpRequest, state: &ApiState, what: &str) -> Result<u64, Problem> {
    let (reader, expires_seconds) = authenticate_until(request, now_seconds(state)).await?;
    require_role(state, &reader, &[Role::Supervisor], what).await?;
    Ok(expires_seconds)
}

/// `GET /v1/supervision/entries`: entries `[from, from + count)` in full, none withheld.
#[utoipa::path(get, path = "/v1/supervision/entries", tag = "signed reads", params(Range),
    responses(
        (status = 200, description = "Entries in index order, every one in full", body = Vec<AuditEntry>),
        (status = 400, description = "A malformed or unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unsigned, or the signature is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The reader is not a supervisor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn entries(
    request: HttpRequest,
    state: web::Data<ApiState>,
    range: web::Query<Range>,
) -> Result<HttpResponse, Problem> {
    supervisor(&request, &state, "reading every entry live").await?;
    let decoded = decode_entries(settled_entries(&state, &range).await?)?;
    let mut envelopes = bid_envelopes(&state, decoded.iter().map(|(index, _, entry)| (*index, entry))).await?;
    let body: Vec<AuditEntry> = decoded
        .into_iter()
        .map(|(index, text, _)| AuditEntry {
            index,
            content: EntryContent::Entry(text),
            envelope: envelopes.remove(&index),
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Where a command came from, as a supervisor reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandSource {
    /// The command entry's audit index.
    pub index: u64,
    /// The client's IP address as the receiving node saw it.
    #[schema(value_type = String)]
    pub address: std::net::IpAddr,
    /// The salt of the commitment in the entry's arrival stamp (16 bytes, base64url).
    #[serde(with = "sealbid_crypto::encoding::base64url_array")]
    #[schema(value_type = String)]
    pub salt: [u8; 16],
}

/// `GET /v1/supervision/sources`: the source addresses of the commands at audit indexes
/// `[from, from + count)`, those this node recorded.
#[utoipa::path(get, path = "/v1/supervision/sources", tag = "signed reads", params(Range),
    responses(
        (status = 200, description = "Each recorded command's address and commitment salt, by audit index", body = Vec<CommandSource>),
        (status = 400, description = "A malformed or unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unsigned, or the signature is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The reader is not a supervisor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sources(
    request: HttpRequest,
    state: web::Data<ApiState>,
    range: web::Query<Range>,
) -> Result<HttpResponse, Problem> {
    supervisor(&request, &state, "reading where commands came from").await?;
    let sources = state
        .replica
        .sources(range.from, range_count(&range))
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?;
    let body: Vec<CommandSource> = sources
        .into_iter()
        .map(|(index, source)| CommandSource {
            index,
            address: source.address,
            salt: source.salt,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// A tender's bids as a supervisor reads them.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LiveBids<'a> {
    /// The tender.
    tender: &'a sealbid_ledger::types::TenderId,
    /// Where it is.
    phase: sealbid_ledger::tender::Phase,
    /// Every bid held, with its bidder, by audit index.
    bids: Vec<sealbid_ledger::query::LiveBid<'a>>,
}

/// `GET /v1/supervision/tenders/{id}/bids`: every bid the tender holds, with its bidder.
#[utoipa::path(get, path = "/v1/supervision/tenders/{id}/bids", tag = "signed reads",
    params(("id" = String, Path, description = "The tender id")),
    responses(
        (status = 200, description = "The tender's phase and every bid held, with its bidder", body = LiveBids),
        (status = 401, description = "Unsigned, or the signature is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The reader is not a supervisor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No open tender of that id", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn tender_bids(
    request: HttpRequest,
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path_tender(&id)?;
    supervisor(&request, &state, "reading a tender's bids live").await?;
    let body = state
        .replica
        .read_applied(|ledger| {
            ledger.state().tenders.get(&id).map(|tender| {
                serde_json::to_value(LiveBids {
                    tender: &tender.id,
                    phase: tender.phase,
                    bids: live_bids(tender),
                })
            })
        })
        .await
        .transpose()
        .map_err(encoding_problem)?
        .ok_or_else(|| {
            Problem::new(
                actix_web::http::StatusCode::NOT_FOUND,
                "unknown-tender",
                "No such tender",
                format!("no open tender {id}: a finished tender's bids are public (/v1/tenders/{id}/bids)"),
            )
        })?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /v1/supervision/corrections`: every correction order the ledger holds, open or answered
/// while its tender is not final, by id.
#[utoipa::path(get, path = "/v1/supervision/corrections", tag = "signed reads",
    responses(
        (status = 200, description = "The correction orders held, by id, each with its reply once it came", body = [sealbid_ledger::supervision::Correction]),
        (status = 401, description = "Unsigned, or the signature is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The reader is not a supervisor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn corrections(request: HttpRequest, state: web::Data<ApiState>) -> Result<HttpResponse, Problem> {
    supervisor(&request, &state, "reading the correction orders").await?;
    let body = state
        .replica
        .read_applied(|ledger| serde_json::to_value(held_corrections(ledger.state()).collect::<Vec<_>>()))
        .await
        .map_err(encoding_problem)?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /v1/supervision/warnings`: the thresholds in force and every warning of the open
/// tenders, in the order raised.
#[utoipa::path(get, path = "/v1/supervision/warnings", tag = "signed reads",
    responses(
        (status = 200, description = "The thresholds in force (and the entry that set them) and the open tenders' warnings, in the order raised", body = sealbid_ledger::query::WarningsView),
        (status = 401, description = "Unsigned, or the signature is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The reader is not a supervisor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn all_warnings(request: HttpRequest, state: web::Data<ApiState>) -> Result<HttpResponse, Problem> {
    supervisor(&request, &state, "reading the early warnings").await?;
    let body = state
        .replica
        .read_applied(|ledger| serde_json::to_value(warnings(ledger.state(), None)))
        .await
        .map_err(encoding_problem)?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /v1/supervision/tenders/{id}/warnings`: a tender's warnings, open or archived.
#[utoipa::path(get, path = "/v1/supervision/tenders/{id}/warnings", tag = "signed reads",
    params(("id" = String, Path, description = "The tender id")),
    responses(
        (status = 200, description = "The thresholds in force and the tender's warnings, in the order raised (from its archive record once it is final)", body = sealbid_ledger::query::WarningsView),
        (status = 401, description = "Unsigned, or the signature is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The reader is not a supervisor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tender, open or archived", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn tender_warnings(
    request: HttpRequest,
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path_tender(&id)?;
    supervisor(&request, &state, "reading a tender's early warnings").await?;
    let (thresholds, open) = state
        .replica
        .read_applied(|ledger| {
            let state = ledger.state();
            let open = state
                .tenders
                .contains_key(&id)
                .then(|| serde_json::to_value(warnings(state, Some(&id))));
            (state.thresholds(), open)
        })
        .await;
    if let Some(body) = open {
        return Ok(HttpResponse::Ok().json(body.map_err(encoding_problem)?));
    }
    Ok(HttpResponse::Ok().json(archived_warnings(&state, &id, thresholds).await?))
}

/// `GET /v1/registry`: every participant, bidders and applicants included, by key a page at a
/// time (as `GET /v1/participants`; each page is a read signed afresh).
#[utoipa::path(get, path = "/v1/registry", tag = "signed reads", params(ParticipantRange),
    responses(
        (status = 200, description = "Every key the ledger knows, with roles, names, credit codes and registrations, by key; a full page names the next in its Link header", body = [sealbid_ledger::state::Participant]),
        (status = 400, description = "A query that does not parse", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unsigned, or the signature is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The reader holds no role but a bidder's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn registry(
    request: HttpRequest,
    state: web::Data<ApiState>,
    range: web::Query<ParticipantRange>,
) -> Result<HttpResponse, Problem> {
    let reader = authenticate(&request, now_seconds(&state)).await?;
    require_role(&state, &reader, &REGISTRY_ROLES, "the registry of participants").await?;
    participant_page(&request, &state, &range, Listing::Registry).await
}

/// `GET /v1/me`: the reader's own registration, roles and bids in open tenders.
#[utoipa::path(get, path = "/v1/me", tag = "signed reads",
    responses(
        (status = 200, description = "The reader as the ledger knows it (null if it does not) and its bids", body = sealbid_ledger::query::OwnView),
        (status = 401, description = "Unsigned, or the signature is not valid", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(request: HttpRequest, state: web::Data<ApiState>) -> Result<HttpResponse, Problem> {
    let reader = authenticate(&request, now_seconds(&state)).await?;
    let body = state
        .replica
        .read_applied(|ledger| serde_json::to_value(own_view(ledger.state(), &reader)))
        .await
        .map_err(encoding_problem)?;
    Ok(HttpResponse::Ok().json(body))
}
