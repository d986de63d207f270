//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa), at
//! `/openapi.json`, and `/docs/`: an interactive viewer of it (Swagger UI, vendored: its assets
//! are built into the binary, and it loads nothing from elsewhere).

use actix_web::HttpResponse;
use utoipa::OpenApi;

use crate::audit::{AuditEntry, AuditProof, LogKey, TreeHead};
use crate::commands::{CommandBody, Receipt};
use crate::problem::Problem;

/// The API's document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "sealbid",
        description = "Sealed-bid public-resource trading: signed commands, tenders, the audit trail. \
                       Errors are RFC 9457 problem+json with a stable `type` (urn:sealbid:problem:<code>)."
    ),
    paths(
        crate::commands::submit,
        crate::tender_list::tenders,
        crate::queries::tender,
        crate::queries::bids,
        crate::queries::key_generation,
        crate::queries::warnings,
        crate::queries::tender_ocds,
        crate::queries::participant_list,
        crate::queries::calendars,
        crate::queries::performance,
        crate::notices::page,
        crate::changes::changes,
        crate::queries::ocds_releases,
        crate::notices::atom,
        crate::signed_reads::entries,
        crate::signed_reads::sources,
        crate::signed_reads::tender_bids,
        crate::signed_reads::corrections,
        crate::signed_reads::all_warnings,
        crate::signed_reads::tender_warnings,
        crate::watch::stream,
        crate::watch::timeline,
        crate::signed_reads::registry,
        crate::signed_reads::me,
        crate::audit::entries,
        crate::audit::head,
        crate::audit::log_key,
        crate::audit::checkpoint,
        crate::audit::inclusion,
        crate::audit::consistency,
        crate::audit::receipt,
        crate::witness::submit,
        crate::witness::witnessed,
        crate::health::livez,
        crate::health::readyz,
        crate::health::metrics,
        document,
        page,
        viewer,
        crate::portal::page,
        crate::portal::asset,
    ),
    components(schemas(
        Receipt,
        CommandBody,
        Problem,
        AuditEntry,
        TreeHead,
        LogKey,
        AuditProof,
        crate::signed_reads::CommandSource,
        crate::witness::CosignatureSubmission,
        crate::witness::CosignatureAccepted,
        crate::witness::Witnessed,
        sealbid_ledger::command::Command
    ))
)]
pub struct ApiDocument;

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", body = crate::answer_schemas::OpenApiDocument)))]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDocument::openapi())
}

/// `GET /docs`: the interactive viewer lives at `/docs/`, where its assets' relative paths
/// resolve.
#[utoipa::path(get, path = "/docs", tag = "operations",
    responses((status = 308, description = "To `/docs/`, the interactive viewer")))]
pub async fn page() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("location", "/docs/"))
        .finish()
}

/// `GET /docs/{file}`: the interactive viewer of this document (Swagger UI), its page and
/// assets built into the binary; nothing is loaded from elsewhere (no validator badge either).
#[utoipa::path(get, path = "/docs/{file}", tag = "operations",
    params(("file" = String, Path, description = "The viewer's file: empty for its page")),
    responses(
        (status = 200, description = "The viewer's page or asset", body = String, content_type = "text/html"),
        (status = 404, description = "No such file", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn viewer(file: actix_web::web::Path<String>) -> Result<HttpResponse, Problem> {
    let config = std::sync::Arc::new(
        utoipa_swagger_ui::Config::from(crate::paths::OPENAPI)
            .validator_url("none")
            .try_it_out_enabled(true),
    );
    let served = utoipa_swagger_ui::serve(&file, config)
        .map_err(|error| Problem::internal("viewer-failed", error.to_string()))?
        .ok_or_else(|| {
            Problem::not_found(format!(
                "the viewer has no file {}",
                sealbid_ledger::types::excerpt(&file)
            ))
        })?;
    let mut answer = HttpResponse::Ok();
    answer.content_type(served.content_type);
    if served.gzpipped {
        answer.insert_header(("content-encoding", "gzip"));
    }
    Ok(answer.body(served.bytes.into_owned()))
}
