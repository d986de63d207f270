//! `GET /v1/tenders`: the tenders, open, final or both, a page at a time in tender-number order,
//! filtered by market, office and deadline. Open tenders come from the applied state, final
//! ones from the archive; a page looks at up to `count` tenders of the status asked from
//! `from` on and answers those that match the filters, and its `Link: rel="next"` header names
//! where the next page starts whenever it looked at `count` of them.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};

use sealbid_ledger::query::tender_view;
use sealbid_ledger::tender::{ArchiveRecord, Tender};
use sealbid_ledger::types::{Market, TenderId};

use crate::ApiState;
use crate::problem::Problem;

/// Tenders one page looks at, at most.
pub const TENDERS_PER_PAGE_MAX: u64 = 100;

/// Which tenders a listing covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenderStatus {
    /// Tenders not yet final: published, taking bids, closed, opened, publicizing candidates
    /// (the default).
    #[default]
    Open,
    /// Final tenders (awarded, failed or cancelled), archived.
    Final,
    /// Both.
    All,
}

/// The page and the filters of a listing.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TenderListQuery {
    /// `open` (default), `final` or `all`.
    pub status: Option<TenderStatus>,
    /// Only this market's tenders: `procurement`, `construction`, `land_use_right`,
    /// `property_rights`, `coal_coke`.
    #[param(value_type = Option<String>)]
    pub market: Option<Market>,
    /// Only this office's tenders: its key, `ed25519:…`.
    pub office: Option<String>,
    /// Only tenders whose deadline in force is at or after this instant (ms since the epoch).
    pub deadline_from_ms: Option<u64>,
    /// Only tenders whose deadline in force is before this instant (ms since the epoch).
    pub deadline_before_ms: Option<u64>,
    /// The first tender number to look at (default 1): tenders `T-<from>` on.
    pub from: Option<u64>,
    /// How many tenders to look at (default and most: 100).
    pub count: Option<u64>,
}

/// The tenders, a page at a time.
#[utoipa::path(get, path = "/v1/tenders", tag = "queries", params(TenderListQuery),
    responses(
        (status = 200, description = "The tenders of the page that match, by number; each as `GET /v1/tenders/{id}` shows its `tender` member. `Link: rel=\"next\"` names the next page when there may be one", body = [sealbid_ledger::query::TenderView]),
        (status = 400, description = "A query that does not parse, or an office that is not a key", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn tenders(
    request: actix_web::HttpRequest,
    state: web::Data<ApiState>,
    query: web::Query<TenderListQuery>,
) -> Result<HttpResponse, Problem> {
    let office = query
        .office
        .as_deref()
        .map(|text| crate::queries::query_key("office", text))
        .transpose()?;
    let status = query.status.unwrap_or_default();
    let from_number = query.from.unwrap_or(1).max(1);
    let count = query
        .count
        .unwrap_or(TENDERS_PER_PAGE_MAX)
        .clamp(1, TENDERS_PER_PAGE_MAX);
    let matches = |tender: &Tender| {
        query.market.is_none_or(|market| tender.spec.market == market)
            && office.as_ref().is_none_or(|office| tender.office == *office)
            && query.deadline_from_ms.is_none_or(|from| tender.deadline_ms >= from)
            && query
                .deadline_before_ms
                .is_none_or(|before| tender.deadline_ms < before)
    };
    // The open tenders first, then the archive: a tender that ends between the two reads is in
    // both (the archive's record wins), never in neither.
    let mut looked_at: BTreeMap<u64, (bool, serde_json::Value)> = state
        .replica
        .read_applied(|ledger| {
            ledger
                .state()
                .tenders
                .values()
                .filter(|_| status != TenderStatus::Final)
                .filter_map(|tender| tender.id.number().map(|number| (number, tender)))
                .filter(|(number, _)| *number >= from_number)
                .map(|(number, tender)| Ok((number, (matches(tender), serde_json::to_value(tender_view(tender))?))))
                .collect::<Result<_, serde_json::Error>>()
        })
        .await
        .map_err(crate::queries::encoding_problem)?;
    if status != TenderStatus::Open {
        let archived = state
            .replica
            .archived_from(&TenderId::numbered(from_number), count)
            .await
            .map_err(|error| Problem::unavailable("storage-unavailable", error.to_string()))?;
        for text in &archived {
            let record: ArchiveRecord = serde_json::from_str(text).map_err(crate::queries::encoding_problem)?;
            if let Some(number) = record.tender.id.number() {
                let view =
                    serde_json::to_value(tender_view(&record.tender)).map_err(crate::queries::encoding_problem)?;
                looked_at.insert(number, (matches(&record.tender), view));
            }
        }
    }
    let looked_at: Vec<(u64, (bool, serde_json::Value))> = looked_at
        .into_iter()
        .take(usize::try_from(count).unwrap_or(usize::MAX))
        .collect();
    let last = looked_at.last().map(|(number, _)| *number);
    let full = u64::try_from(looked_at.len()).unwrap_or(u64::MAX) == count;
    let body: Vec<serde_json::Value> = looked_at
        .into_iter()
        .filter(|(_, (kept, _))| *kept)
        .map(|(_, (_, view))| view)
        .collect();
    let mut answer = HttpResponse::Ok();
    if let Some(last) = last.filter(|_| full) {
        answer.insert_header((
            "link",
            crate::queries::next_link(&request, "from", &(last + 1).to_string()),
        ));
    }
    Ok(answer.json(body))
}
