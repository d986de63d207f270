//! sealbid's public HTTPS API (actix-web over rustls with the ring provider).
//!
//! Data flow: a request is parsed at the edge into the ledger's types (a [`SignedMessage`]
//! command, a [`sealbid_ledger::types::TenderId`]); a bad one is answered at once with a
//! [`Problem`] (RFC 9457). Commands go to this node's [`Replica`], which forwards them to the
//! leader, and are answered after commit and apply with a [`commands::Receipt`]; refusals become
//! problems with the ledger's stable code. Reads answer from the ledger this node has applied, the
//! archive and the audit history on disk; reads that need a role are signed by the reader
//! (RFC 9421, [`reader`]) and checked against the ledger this node applied; the [`audit`] routes also sign checkpoints with the
//! log's key (given by the caller as an [`audit::LogSigner`]) and build inclusion and
//! consistency proofs from the Merkle nodes on disk. The information service's [`notices`] are
//! paged and served as Atom from the rows the node keeps as it applies entries. Every answer
//! carries a request id ([`request_id`]). `/metrics`, `/livez` and `/readyz` serve operators;
//! `/openapi.json` (and the page `/docs`) document every route, generated from the handlers.
//!
//! The caller (the `sealbid` node) builds the [`Replica`] and calls [`serve`] with a bound
//! listener and a TLS configuration: this crate opens no files and picks no ports.
//!
//! [`SignedMessage`]: sealbid_crypto::signed::SignedMessage

mod answer_schemas;
pub mod audit;
mod changes;
#[cfg(feature = "client")]
pub mod client;
pub mod commands;
mod envelopes;
mod head_deadline;
mod health;
pub mod limits;
pub mod metrics;
pub mod notices;
pub mod openapi;
mod portal;
pub mod problem;
mod queries;
pub mod reader;
pub mod request_id;
mod server;
pub mod signed_reads;
pub mod sse;
mod tender_list;
pub mod watch;
pub mod witness;

use std::sync::Arc;

use actix_web::web;

use sealbid_consensus::Replica;

pub use limits::ClientLimits;
pub use metrics::{Metrics, MetricsError};
pub use problem::Problem;
pub use server::serve;

/// Paths of the API.
pub mod paths {
    /// Submit a signed command.
    pub const COMMANDS: &str = "/v1/commands";
    /// Open tenders.
    pub const TENDERS: &str = "/v1/tenders";
    /// One tender (`{id}`).
    pub const TENDER: &str = "/v1/tenders/{id}";
    /// A tender's bids (`{id}`).
    pub const TENDER_BIDS: &str = "/v1/tenders/{id}/bids";
    /// A tender's key generation (`{id}`).
    pub const TENDER_KEY_GENERATION: &str = "/v1/tenders/{id}/key-generation";
    /// A final tender's early warnings with the supervisors' decisions (`{id}`).
    pub const TENDER_WARNINGS: &str = "/v1/tenders/{id}/warnings";
    /// A tender's OCDS record package (`{id}`).
    pub const TENDER_OCDS: &str = "/v1/tenders/{id}/ocds";
    /// Role-holders (the public part of the registry).
    pub const PARTICIPANTS: &str = "/v1/participants";
    /// The official calendars published, by year.
    pub const CALENDARS: &str = "/v1/calendars";
    /// Every tender's OCDS releases, paged by tender number (`?from=&count=`).
    pub const OCDS_RELEASES: &str = "/v1/ocds/releases";
    /// The information service's notices, paged (`?from=&count=`).
    pub const NOTICES: &str = "/v1/notices";
    /// The change feed: every applied entry, in order, with what it concerns.
    pub const CHANGES: &str = "/v1/changes";
    /// The newest notices as an Atom feed.
    pub const NOTICES_ATOM: &str = "/v1/notices.atom";
    /// The performance evaluation of one month (`?month=YYYY-MM`).
    pub const PERFORMANCE: &str = "/v1/performance";
    /// Every audit entry in full (a supervisor's signed read).
    pub const SUPERVISION_ENTRIES: &str = "/v1/supervision/entries";
    /// Where each command came from (a supervisor's signed read; `?from=&count=`).
    pub const SUPERVISION_SOURCES: &str = "/v1/supervision/sources";
    /// A tender's bids with their bidders (a supervisor's signed read; `{id}`).
    pub const SUPERVISION_TENDER_BIDS: &str = "/v1/supervision/tenders/{id}/bids";
    /// The correction orders the ledger holds (a supervisor's signed read).
    pub const SUPERVISION_CORRECTIONS: &str = "/v1/supervision/corrections";
    /// The thresholds in force and the open tenders' early warnings (a supervisor's signed read).
    pub const SUPERVISION_WARNINGS: &str = "/v1/supervision/warnings";
    /// A tender's early warnings, open or archived (a supervisor's signed read; `{id}`).
    pub const SUPERVISION_TENDER_WARNINGS: &str = "/v1/supervision/tenders/{id}/warnings";
    /// Every applied entry live, as Server-Sent Events (a supervisor's signed read).
    pub const SUPERVISION_STREAM: &str = "/v1/supervision/stream";
    /// One tender's entries in readable form (a supervisor's signed read; `{id}`).
    pub const SUPERVISION_TENDER_TIMELINE: &str = "/v1/supervision/tenders/{id}/timeline";
    /// The whole registry of participants (a role-holder's signed read).
    pub const REGISTRY: &str = "/v1/registry";
    /// The reader's own registration and bids (any key's signed read).
    pub const ME: &str = "/v1/me";
    /// Audit entries by range (`?from=&count=`).
    pub const AUDIT_ENTRIES: &str = "/v1/audit/entries";
    /// The audit log's size and root.
    pub const AUDIT_HEAD: &str = "/v1/audit/head";
    /// The log's origin and checkpoint key.
    pub const AUDIT_LOG_KEY: &str = "/v1/audit/log-key";
    /// The current signed checkpoint.
    pub const AUDIT_CHECKPOINT: &str = "/v1/audit/checkpoint";
    /// An inclusion proof (`?index=&size=`).
    pub const AUDIT_INCLUSION: &str = "/v1/audit/proof/inclusion";
    /// A consistency proof (`?from=&to=`).
    pub const AUDIT_CONSISTENCY: &str = "/v1/audit/proof/consistency";
    /// A receipt with checkpoint and inclusion proof (`?index=`).
    pub const AUDIT_RECEIPT: &str = "/v1/audit/receipt";
    /// A witness's cosignature of a checkpoint (POST).
    pub const AUDIT_COSIGNATURES: &str = "/v1/audit/cosignatures";
    /// Each witness's newest cosigned checkpoint.
    pub const AUDIT_WITNESSED: &str = "/v1/audit/witnessed";
    /// Liveness.
    pub const LIVEZ: &str = "/livez";
    /// Readiness.
    pub const READYZ: &str = "/readyz";
    /// Prometheus metrics.
    pub const METRICS: &str = "/metrics";
    /// The OpenAPI document.
    pub const OPENAPI: &str = "/openapi.json";
    /// The document as a page.
    pub const DOCS: &str = "/docs";
    /// The portal's page.
    pub const PORTAL: &str = "/";
    /// The portal's script and style.
    pub const PORTAL_FILE: &str = "/portal/{file}";
    /// The interactive viewer's page and assets.
    pub const DOCS_FILE: &str = "/docs/{file}";

    /// Every route, for checking the document covers them all.
    pub const ALL: [&str; 41] = [
        COMMANDS,
        TENDERS,
        TENDER,
        TENDER_BIDS,
        TENDER_KEY_GENERATION,
        TENDER_WARNINGS,
        TENDER_OCDS,
        PARTICIPANTS,
        CALENDARS,
        PERFORMANCE,
        NOTICES,
        CHANGES,
        NOTICES_ATOM,
        OCDS_RELEASES,
        SUPERVISION_ENTRIES,
        SUPERVISION_SOURCES,
        SUPERVISION_TENDER_BIDS,
        SUPERVISION_CORRECTIONS,
        SUPERVISION_WARNINGS,
        SUPERVISION_TENDER_WARNINGS,
        SUPERVISION_STREAM,
        SUPERVISION_TENDER_TIMELINE,
        REGISTRY,
        ME,
        AUDIT_ENTRIES,
        AUDIT_HEAD,
        AUDIT_LOG_KEY,
        AUDIT_CHECKPOINT,
        AUDIT_INCLUSION,
        AUDIT_CONSISTENCY,
        AUDIT_RECEIPT,
        AUDIT_COSIGNATURES,
        AUDIT_WITNESSED,
        LIVEZ,
        READYZ,
        METRICS,
        OPENAPI,
        DOCS,
        DOCS_FILE,
        PORTAL,
        PORTAL_FILE,
    ];
}

/// What every handler shares.
#[derive(Debug)]
pub struct ApiState {
    /// This node.
    pub replica: Arc<Replica>,
    /// The API's metrics.
    pub metrics: Metrics,
    /// Signs checkpoints of the audit log.
    pub log: audit::LogSigner,
    /// The bound on supervisors' live streams.
    pub watchers: watch::Watchers,
}

/// Registers every route of the API on `config`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .app_data(
            web::JsonConfig::default()
                .limit(commands::COMMAND_BYTES_MAX)
                .error_handler(problem::json_error),
        )
        .app_data(web::QueryConfig::default().error_handler(problem::query_error))
        .service(write_route(paths::COMMANDS, commands::submit))
        .service(read_route(paths::TENDERS, tender_list::tenders))
        .service(read_route(paths::TENDER, queries::tender))
        .service(read_route(paths::TENDER_BIDS, queries::bids))
        .service(read_route(paths::TENDER_KEY_GENERATION, queries::key_generation))
        .service(read_route(paths::TENDER_WARNINGS, queries::warnings))
        .service(read_route(paths::TENDER_OCDS, queries::tender_ocds))
        .service(read_route(paths::PARTICIPANTS, queries::participant_list))
        .service(read_route(paths::CALENDARS, queries::calendars))
        .service(read_route(paths::PERFORMANCE, queries::performance))
        .service(read_route(paths::NOTICES, notices::page))
        .service(read_route(paths::CHANGES, changes::changes))
        .service(read_route(paths::OCDS_RELEASES, queries::ocds_releases))
        .service(read_route(paths::NOTICES_ATOM, notices::atom))
        .service(read_route(paths::SUPERVISION_ENTRIES, signed_reads::entries))
        .service(read_route(paths::SUPERVISION_SOURCES, signed_reads::sources))
        .service(read_route(paths::SUPERVISION_TENDER_BIDS, signed_reads::tender_bids))
        .service(read_route(paths::SUPERVISION_CORRECTIONS, signed_reads::corrections))
        .service(read_route(paths::SUPERVISION_WARNINGS, signed_reads::all_warnings))
        .service(read_route(
            paths::SUPERVISION_TENDER_WARNINGS,
            signed_reads::tender_warnings,
        ))
        .service(read_route(paths::SUPERVISION_STREAM, watch::stream))
        .service(read_route(paths::SUPERVISION_TENDER_TIMELINE, watch::timeline))
        .service(read_route(paths::REGISTRY, signed_reads::registry))
        .service(read_route(paths::ME, signed_reads::me))
        .service(read_route(paths::AUDIT_ENTRIES, audit::entries))
        .service(read_route(paths::AUDIT_HEAD, audit::head))
        .service(read_route(paths::AUDIT_LOG_KEY, audit::log_key))
        .service(read_route(paths::AUDIT_CHECKPOINT, audit::checkpoint))
        .service(read_route(paths::AUDIT_INCLUSION, audit::inclusion))
        .service(read_route(paths::AUDIT_CONSISTENCY, audit::consistency))
        .service(read_route(paths::AUDIT_RECEIPT, audit::receipt))
        .service(write_route(paths::AUDIT_COSIGNATURES, witness::submit))
        .service(read_route(paths::AUDIT_WITNESSED, witness::witnessed))
        .service(read_route(paths::LIVEZ, health::livez))
        .service(read_route(paths::READYZ, health::readyz))
        .service(read_route(paths::METRICS, health::metrics))
        .service(read_route(paths::OPENAPI, openapi::document))
        .service(read_route(paths::PORTAL, portal::page))
        .service(read_route(paths::PORTAL_FILE, portal::asset))
        .service(read_route(paths::DOCS, openapi::page))
        // Any tail, the empty one (the page) included; documented as `paths::DOCS_FILE`.
        .service(read_route("/docs/{file:.*}", openapi::viewer))
        .default_service(web::to(not_found));
}

/// A route that reads: `GET`, and `HEAD` answered by the same handler without the body; any
/// other method answers 405 with `Allow: GET, HEAD`.
fn read_route<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args> + Clone,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(|request: actix_web::HttpRequest| {
            method_not_allowed(request, "GET, HEAD")
        }))
}

/// A route that writes: `POST`; any other method answers 405 with `Allow: POST`.
fn write_route<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(|request: actix_web::HttpRequest| {
            method_not_allowed(request, "POST")
        }))
}

/// A method the path does not take: a problem, with the methods it takes in `Allow`.
async fn method_not_allowed(request: actix_web::HttpRequest, allow: &'static str) -> actix_web::HttpResponse {
    let problem = Problem::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!(
            "{} does not take {}; it takes {allow}",
            request.path(),
            request.method()
        ),
    );
    let mut response = actix_web::ResponseError::error_response(&problem);
    response.headers_mut().insert(
        actix_web::http::header::ALLOW,
        actix_web::http::header::HeaderValue::from_static(allow),
    );
    response
}

/// Any other path.
async fn not_found(request: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, Problem> {
    Err(Problem::not_found(format!(
        "{} {} is not a route of this API",
        request.method(),
        request.path()
    )))
}
