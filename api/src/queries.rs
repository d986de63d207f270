//! Reads: tenders (open ones from the ledger, finished ones from the archive), a tender's bids
//! as anyone may see them, a final tender's early warnings, the official calendars and the
//! registered participants. Reads answer from the state this node has applied; a follower may
//! lag the leader by the entries in flight.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};

use sealbid_ledger::ocds::{Publisher, record_package};
use sealbid_ledger::performance::{Month, report};
use sealbid_ledger::query::{WarningsView, bids_view, public_participants, results, tender_view};
use sealbid_ledger::state::State;
use sealbid_ledger::tender::{ArchiveRecord, Tender};
use sealbid_ledger::types::TenderId;
use sealbid_ledger::warnings::thresholds::ThresholdsInForce;

use crate::ApiState;
use crate::problem::Problem;

/// One tender, open or archived, with its results once it has them.
#[utoipa::path(get, path = "/v1/tenders/{id}", tag = "queries",
    params(("id" = String, Path, description = "The tender id, such as T-000001")),
    responses(
        (status = 200, description = "The tender (open or archived) and its results", body = TenderAnswer),
        (status = 404, description = "No such tender (also an id that cannot be a tender's)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn tender(
    request: actix_web::HttpRequest,
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let view = open_or_archived(&state, &id, |_, tender, archived_at_ms| {
        serde_json::to_value(TenderAnswer {
            tender: tender_view(tender),
            results: results(tender),
            archived_at_ms,
        })
    })
    .await?;
    answer(&request, view)
}

/// The answer about one tender.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct TenderAnswer<'a> {
    /// What anyone may see of it.
    tender: sealbid_ledger::query::TenderView<'a>,
    /// Each lot's outcome, once awarded or failed.
    #[schema(value_type = Option<std::collections::BTreeMap<String, sealbid_ledger::award::LotOutcome>>)]
    results: Option<&'a std::collections::BTreeMap<sealbid_ledger::types::LotId, sealbid_ledger::award::LotOutcome>>,
    /// When it was archived, for a finished tender.
    #[serde(skip_serializing_if = "Option::is_none")]
    archived_at_ms: Option<u64>,
}

/// A tender's bids: nothing while it takes bids, counts and receipts once closed, everything once
/// opened.
#[utoipa::path(get, path = "/v1/tenders/{id}/bids", tag = "queries",
    params(("id" = String, Path, description = "The tender id")),
    responses(
        (status = 200, description = "Withheld while the tender takes bids; counts and receipts once closed; every bid once opened", body = sealbid_ledger::query::BidsView),
        (status = 404, description = "No such tender (also an id that cannot be a tender's)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn bids(
    request: actix_web::HttpRequest,
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let view = open_or_archived(&state, &id, |_, tender, _| serde_json::to_value(bids_view(tender))).await?;
    answer(&request, view)
}

/// A tender's key generation: what its committee members read to deal, respond and release.
#[utoipa::path(get, path = "/v1/tenders/{id}/key-generation", tag = "queries",
    params(("id" = String, Path, description = "The tender id")),
    responses(
        (status = 200, description = "Parameters, members, dealings, responses and the outcome once finished", body = sealbid_ledger::query::KeyGeneration),
        (status = 404, description = "No such tender (also an id that cannot be a tender's)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn key_generation(
    request: actix_web::HttpRequest,
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let view = open_or_archived(&state, &id, |_, tender, _| {
        serde_json::to_value(sealbid_ledger::query::key_generation(tender))
    })
    .await?;
    answer(&request, view)
}

/// A final tender's early warnings, with what supervisors decided about each: the public reads
/// them once the tender is awarded, failed or cancelled (an open tender's are the supervisors',
/// `GET /v1/supervision/tenders/{id}/warnings`).
#[utoipa::path(get, path = "/v1/tenders/{id}/warnings", tag = "queries",
    params(("id" = String, Path, description = "The tender id")),
    responses(
        (status = 200, description = "The thresholds in force now and the final tender's warnings, in the order raised, each with its dispositions", body = WarningsView),
        (status = 404, description = "No such tender (also an id that cannot be a tender's)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tender is not final yet: its warnings are the supervisors'", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn warnings(state: web::Data<ApiState>, id: web::Path<String>) -> Result<HttpResponse, Problem> {
    let id = path_tender(&id)?;
    let (thresholds, open) = state
        .replica
        .read_applied(|ledger| (ledger.state().thresholds(), ledger.state().tenders.contains_key(&id)))
        .await;
    if open {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "tender-not-final",
            "The tender is not final",
            format!("tender {id}'s warnings are the supervisors' until it is awarded, failed or cancelled"),
        ));
    }
    Ok(HttpResponse::Ok().json(archived_warnings(&state, &id, thresholds).await?))
}

/// The archived tender `id`'s warnings, in the open tenders' form ([`WarningsView`]).
pub(crate) async fn archived_warnings(
    state: &ApiState,
    id: &TenderId,
    thresholds: ThresholdsInForce,
) -> Result<serde_json::Value, Problem> {
    let record = archived(state, id).await?;
    serde_json::to_value(WarningsView {
        thresholds,
        warnings: record.warnings.iter().collect(),
    })
    .map_err(encoding_problem)
}

/// `view` of tender `id`: from the ledger while open, from the archive once finished (with the
/// time it was archived).
async fn open_or_archived(
    state: &ApiState,
    id: &str,
    view: impl Fn(&State, &Tender, Option<u64>) -> serde_json::Result<serde_json::Value>,
) -> Result<View, Problem> {
    let id = path_tender(id)?;
    let open = state
        .replica
        .read_applied(|ledger| {
            let ledger_state = ledger.state();
            ledger_state
                .tenders
                .get(&id)
                .map(|tender| view(ledger_state, tender, None))
        })
        .await
        .transpose()
        .map_err(encoding_problem)?;
    if let Some(body) = open {
        return Ok(View { body, archived: false });
    }
    let record = archived(state, &id).await?;
    let body = state
        .replica
        .read_applied(|ledger| view(ledger.state(), &record.tender, Some(record.archived_at_ms)))
        .await
        .map_err(encoding_problem)?;
    Ok(View { body, archived: true })
}

/// `https://host[:port]` as the request reached this node: the base of the links the API
/// hands out.
pub(crate) fn base_url(request: &actix_web::HttpRequest) -> String {
    // The API speaks only HTTPS; the server does not know it (TLS ends in the connection
    // wrapper), so the scheme is not the request's.
    format!("https://{}", request.connection_info().host())
}

/// A key given as the query parameter `parameter`, or `400 malformed-query` naming it.
pub(crate) fn query_key(parameter: &str, text: &str) -> Result<sealbid_crypto::identity::PublicKey, Problem> {
    sealbid_crypto::identity::PublicKey::parse(text)
        .map_err(|error| Problem::malformed_query(format!("{parameter}: {error}; a key looks like ed25519:…")))
}

/// The `Link` header naming the next page: this request's route and parameters, with `cursor`
/// (the parameter a page starts from) set to `value`.
pub(crate) fn next_link(request: &actix_web::HttpRequest, cursor: &str, value: &str) -> String {
    let prefix = format!("{cursor}=");
    let mut query: String = request
        .query_string()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with(&prefix))
        .map(|pair| format!("{pair}&"))
        .collect();
    query.push_str(&format!("{cursor}={value}"));
    format!("<{}{}?{query}>; rel=\"next\"", base_url(request), request.path())
}

/// A view of one tender, and whether it came from the archive (then it never changes).
struct View {
    /// The answer.
    body: serde_json::Value,
    /// Whether the tender is final.
    archived: bool,
}

/// How long a final tender's views may be kept, s: a year (they never change).
const ARCHIVED_MAX_AGE_SECONDS: u64 = 365 * 24 * 60 * 60;

/// The answer for `view`. A final tender's never changes: it gets an `ETag` (its body's
/// SHA-256) and `Cache-Control: public, max-age=31536000, immutable`, and a request whose
/// `If-None-Match` names that tag is answered `304` without a body. An open tender's changes:
/// `Cache-Control: no-cache`.
fn answer(request: &actix_web::HttpRequest, view: View) -> Result<HttpResponse, Problem> {
    use actix_web::http::header;
    if !view.archived {
        return Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .json(view.body));
    }
    let bytes = serde_json::to_vec(&view.body).map_err(encoding_problem)?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    let tag: String = digest.as_ref().iter().map(|byte| format!("{byte:02x}")).collect();
    let tag = format!("\"{tag}\"");
    let cache = format!("public, max-age={ARCHIVED_MAX_AGE_SECONDS}, immutable");
    let matches = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.trim_start_matches("W/") == tag
        });
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, cache));
    Ok(if matches {
        response.finish()
    } else {
        response.content_type("application/json").body(bytes)
    })
}

/// Participants one page holds at most, and when the client does not say.
pub const PARTICIPANTS_PER_PAGE_MAX: u64 = 1_000;

/// Which participants to list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ParticipantRange {
    /// Only holders of this role: `admin`, `office`, `committee_member`, `supervisor`,
    /// `registrar`.
    #[param(value_type = Option<String>)]
    pub role: Option<sealbid_ledger::types::Role>,
    /// The page starts after this key (`ed25519:…`): the last key of the page before.
    pub after: Option<String>,
    /// How many at most (default and most: 1,000).
    pub count: Option<u64>,
}

/// The role-holders with their roles (no bidder or applicant: the registry of bidders is not
/// public), by key, a page at a time; a `Link` header (`rel="next"`) names the next page.
#[utoipa::path(get, path = "/v1/participants", tag = "queries", params(ParticipantRange),
    responses(
        (status = 200, description = "Role-holders that never applied as bidders, and their roles, by key", body = [sealbid_ledger::state::Participant]),
        (status = 400, description = "A query that does not parse", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn participant_list(
    request: actix_web::HttpRequest,
    state: web::Data<ApiState>,
    range: web::Query<ParticipantRange>,
) -> Result<HttpResponse, Problem> {
    participant_page(&request, &state, &range, Listing::Public).await
}

/// Which participants a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The role-holders that never applied as bidders ([`public_participants`]).
    Public,
    /// Every key the ledger knows, bidders and applicants included: the registry.
    Registry,
}

/// One page of `listing`'s participants by key, from after `range.after`, holding
/// `range.role`, at most `range.count`; a full page names the next in its `Link` header.
pub async fn participant_page(
    request: &actix_web::HttpRequest,
    state: &ApiState,
    range: &ParticipantRange,
    listing: Listing,
) -> Result<HttpResponse, Problem> {
    let after = range
        .after
        .as_deref()
        .map(|text| query_key("after", text))
        .transpose()?;
    let count = range
        .count
        .unwrap_or(PARTICIPANTS_PER_PAGE_MAX)
        .clamp(1, PARTICIPANTS_PER_PAGE_MAX);
    let (body, last) = state
        .replica
        .read_applied(|ledger| {
            let listed: Box<dyn Iterator<Item = &sealbid_ledger::state::Participant>> = match listing {
                Listing::Public => Box::new(public_participants(ledger.state())),
                Listing::Registry => Box::new(sealbid_ledger::query::participants(ledger.state())),
            };
            let page: Vec<_> = listed
                .filter(|participant| after.as_ref().is_none_or(|after| participant.key > *after))
                .filter(|participant| range.role.is_none_or(|role| participant.roles.contains(&role)))
                .take(usize::try_from(count).unwrap_or(usize::MAX))
                .collect();
            let full = u64::try_from(page.len()).unwrap_or(u64::MAX) == count;
            (
                serde_json::to_value(&page),
                page.last().filter(|_| full).map(|participant| participant.key),
            )
        })
        .await;
    let mut answer = HttpResponse::Ok();
    if let Some(last) = last {
        answer.insert_header((
            "link",
            next_link(request, "after", &last.to_string().replace(':', "%3A")),
        ));
    }
    Ok(answer.json(body.map_err(encoding_problem)?))
}

/// The official calendars the operator published, by year: what statutory periods are
/// computed on.
#[utoipa::path(get, path = "/v1/calendars", tag = "queries",
    responses((status = 200, description = "Each published year's holidays and 调休 working days, and the entry that published it", body = std::collections::BTreeMap<String, sealbid_ledger::calendar::YearCalendar>)))]
pub async fn calendars(state: web::Data<ApiState>) -> Result<HttpResponse, Problem> {
    let body = state
        .replica
        .read_applied(|ledger| serde_json::to_value(&ledger.state().calendars))
        .await
        .map_err(encoding_problem)?;
    Ok(HttpResponse::Ok().json(body))
}

/// The OCID prefix of this platform's tenders: a tender's OCID is it, `-` and the tender id.
pub const OCID_PREFIX: &str = "ocds-sealbid";
/// The publisher the OCDS packages name.
pub const OCDS_PUBLISHER: &str = "sealbid";

/// A tender's OCDS 1.1 record package (with the bid extension): a release per event the ledger
/// recorded and the compiled release; nothing about bidders before the opening.
#[utoipa::path(get, path = "/v1/tenders/{id}/ocds", tag = "queries",
    params(("id" = String, Path, description = "The tender id, such as T-000001")),
    responses(
        (status = 200, description = "The tender's OCDS record package", body = crate::answer_schemas::OcdsRecordPackage),
        (status = 404, description = "No such tender (also an id that cannot be a tender's)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn tender_ocds(
    request: actix_web::HttpRequest,
    state: web::Data<ApiState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let uri = format!("{}{}", base_url(&request), request.path());
    let publisher = Publisher {
        ocid_prefix: OCID_PREFIX,
        name: OCDS_PUBLISHER,
        uri: &uri,
    };
    // Not cached as a final tender's other views are: it names the participants as the
    // ledger names them now.
    let view = open_or_archived(&state, &id, |ledger_state, tender, final_at_ms| {
        Ok(record_package(ledger_state, tender, &publisher, final_at_ms))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view.body))
}

/// Tenders whose releases one page holds at most.
pub const OCDS_TENDERS_PER_PAGE_MAX: u64 = 100;
/// Tenders per page when the client does not say.
const OCDS_TENDERS_PER_PAGE_DEFAULT: u64 = 10;

/// Which tenders' releases to send.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OcdsRange {
    /// The first tender number (default 1): tenders `T-<from>` on.
    pub from: Option<u64>,
    /// How many tenders at most (default 10, at most 100).
    pub count: Option<u64>,
}

/// Every release of the tenders from a tender number on, open and archived, by tender number,
/// as one OCDS release package; a `Link` header (`rel="next"`) names the next page.
#[utoipa::path(get, path = "/v1/ocds/releases", tag = "queries", params(OcdsRange),
    responses(
        (status = 200, description = "An OCDS 1.1 release package of the tenders' releases", body = crate::answer_schemas::OcdsReleasePackage),
        (status = 400, description = "A query that does not parse", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No tender from that number on", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn ocds_releases(
    request: actix_web::HttpRequest,
    state: web::Data<ApiState>,
    range: web::Query<OcdsRange>,
) -> Result<HttpResponse, Problem> {
    let from_number = range.from.unwrap_or(1);
    let count = range
        .count
        .unwrap_or(OCDS_TENDERS_PER_PAGE_DEFAULT)
        .clamp(1, OCDS_TENDERS_PER_PAGE_MAX);
    // The open tenders first, then the archive: a tender that ends between the two reads is in
    // both (the archive's record wins), never in neither.
    let mut releases: BTreeMap<u64, Vec<serde_json::Value>> = state
        .replica
        .read_applied(|ledger| {
            let ledger_state = ledger.state();
            let open: BTreeMap<u64, &Tender> = ledger_state
                .tenders
                .values()
                .filter_map(|tender| tender.id.number().map(|number| (number, tender)))
                .filter(|(number, _)| *number >= from_number)
                .collect();
            // Only the first `count` open tenders can be on the page.
            open.into_iter()
                .take(usize::try_from(count).unwrap_or(usize::MAX))
                .map(|(number, tender)| {
                    (
                        number,
                        sealbid_ledger::ocds::releases(ledger_state, tender, OCID_PREFIX, None),
                    )
                })
                .collect()
        })
        .await;
    let archived: Vec<ArchiveRecord> = state
        .replica
        .archived_from(&TenderId::numbered(from_number), count)
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?
        .iter()
        .map(|text| serde_json::from_str(text))
        .collect::<Result<_, _>>()
        .map_err(encoding_problem)?;
    let archived_releases: Vec<(u64, Vec<serde_json::Value>)> = state
        .replica
        .read_applied(|ledger| {
            archived
                .iter()
                .filter_map(|record| {
                    let number = record.tender.id.number()?;
                    let final_at_ms = Some(record.archived_at_ms);
                    Some((
                        number,
                        sealbid_ledger::ocds::releases(ledger.state(), &record.tender, OCID_PREFIX, final_at_ms),
                    ))
                })
                .collect()
        })
        .await;
    releases.extend(archived_releases);
    let page: Vec<(u64, Vec<serde_json::Value>)> = releases
        .into_iter()
        .take(usize::try_from(count).unwrap_or(usize::MAX))
        .collect();
    let last = page.last().map(|(number, _)| *number);
    let package: Vec<serde_json::Value> = page.into_iter().flat_map(|(_, releases)| releases).collect();
    let Some(last) = last else {
        return Err(Problem::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "no-tenders",
            "No tender from that number on",
            format!("no tender is numbered {from_number} or more"),
        ));
    };
    let base = base_url(&request);
    let uri = format!("{base}{}", request.uri());
    let body = sealbid_ledger::ocds::release_package(package, OCDS_PUBLISHER, &uri);
    let next = format!(
        "<{base}/v1/ocds/releases?from={}&count={count}>; rel=\"next\"",
        last + 1
    );
    Ok(HttpResponse::Ok().insert_header(("link", next)).json(body))
}

/// Which month's performance evaluation.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// The month, `YYYY-MM`, in China Standard Time.
    pub month: String,
}

/// The performance evaluation (绩效评估) of a month: for every office, and for the
/// supervisors, each timed step done that month against the time allowed, and every case
/// running late as of the last applied entry.
#[utoipa::path(get, path = "/v1/performance", tag = "queries", params(MonthQuery),
    responses((status = 200, description = "The month's tallies by actor and step, and the cases running late", body = sealbid_ledger::performance::Report),
        (status = 400, description = "No month, or not YYYY-MM", body = Problem, content_type = "application/problem+json")))]
pub async fn performance(state: web::Data<ApiState>, query: web::Query<MonthQuery>) -> Result<HttpResponse, Problem> {
    let month = Month::parse(&query.month).ok_or_else(|| {
        Problem::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "malformed-month",
            "The month is not valid",
            format!("{:?}: a month looks like 2026-11 (YYYY-MM)", query.month),
        )
    })?;
    let body = state
        .replica
        .read_applied(|ledger| serde_json::to_value(report(ledger.state(), month)))
        .await
        .map_err(encoding_problem)?;
    Ok(HttpResponse::Ok().json(body))
}

/// A tender id from a path: one that cannot be a tender id names no tender either, so it is
/// `404 unknown-tender`, as an id of the right form that no tender has.
pub(crate) fn path_tender(text: &str) -> Result<TenderId, Problem> {
    TenderId::parse(text).map_err(|error| {
        Problem::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "unknown-tender",
            "No such tender",
            format!("no tender has this id: {error}; a tender id looks like T-000001"),
        )
    })
}

/// A tender id from a query parameter, or a problem naming the expected form.
pub(crate) fn parse_tender(text: &str) -> Result<TenderId, Problem> {
    TenderId::parse(text).map_err(|error| {
        Problem::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "malformed-tender-id",
            "The tender id is not valid",
            format!("{error}; a tender id looks like T-000001"),
        )
    })
}

/// The archived tender `id`, or a not-found problem.
pub(crate) async fn archived(state: &ApiState, id: &TenderId) -> Result<ArchiveRecord, Problem> {
    let text = state
        .replica
        .archived(&id.to_string())
        .await
        .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?
        .ok_or_else(|| {
            Problem::new(
                actix_web::http::StatusCode::NOT_FOUND,
                "unknown-tender",
                "No such tender",
                format!("no tender {id} on this ledger, open or archived"),
            )
        })?;
    serde_json::from_str(&text).map_err(|error| Problem::internal("storage-damaged", error.to_string()))
}

/// A view that could not be encoded: a bug, reported as such.
pub(crate) fn encoding_problem(error: serde_json::Error) -> Problem {
    Problem::internal(
        "encoding-failed",
        format!("the answer could not be encoded: {error}; report this"),
    )
}
