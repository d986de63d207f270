//! sealbid's public HTTPS API (actix-web over rustls with the ring provider).
//!
//! Data flow: a request is parsed at the edge into the ledger's types (a [`SignedMessage`]
//! command, a [`sealbid_ledger::types::TenderId`]); a bad one is answered at once with a
//! [`Problem`] (RFC 9457). Commands go to this node's [`Replica`], which forwards them to the
//! leader, and are answered after commit and apply with a [`commands::Receipt`]; refusals become
//! problems with the ledger's stable code. Reads answer from the ledger this node has applied, the
//! archive and the audit history on disk. `/metrics`, `/livez` and `/readyz` serve operators.
//!
//! The caller (the `sealbid` node) builds the [`Replica`] and calls [`serve`] with a bound
//! listener and a TLS configuration: this crate opens no files and picks no ports.
//!
//! [`SignedMessage`]: sealbid_crypto::signed::SignedMessage

pub mod audit;
#[cfg(feature = "client")]
pub mod client;
pub mod commands;
mod health;
pub mod metrics;
pub mod problem;
mod queries;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{App, HttpServer, web};

use sealbid_consensus::Replica;

pub use metrics::{Metrics, MetricsError};
pub use problem::Problem;

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
    /// Registered participants.
    pub const PARTICIPANTS: &str = "/v1/participants";
    /// Audit entries by range (`?from=&count=`).
    pub const AUDIT_ENTRIES: &str = "/v1/audit/entries";
    /// The audit log's size and root.
    pub const AUDIT_HEAD: &str = "/v1/audit/head";
    /// Liveness.
    pub const LIVEZ: &str = "/livez";
    /// Readiness.
    pub const READYZ: &str = "/readyz";
    /// Prometheus metrics.
    pub const METRICS: &str = "/metrics";
}

/// HTTP worker threads.
const WORKERS: usize = 2;

/// What every handler shares.
#[derive(Debug)]
pub struct ApiState {
    /// This node.
    pub replica: Arc<Replica>,
    /// The API's metrics.
    pub metrics: Metrics,
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
        .app_data(web::PathConfig::default().error_handler(problem::path_error))
        .route(paths::COMMANDS, web::post().to(commands::submit))
        .route(paths::TENDERS, web::get().to(queries::tenders))
        .route(paths::TENDER, web::get().to(queries::tender))
        .route(paths::TENDER_BIDS, web::get().to(queries::bids))
        .route(paths::PARTICIPANTS, web::get().to(queries::participant_list))
        .route(paths::AUDIT_ENTRIES, web::get().to(audit::entries))
        .route(paths::AUDIT_HEAD, web::get().to(audit::head))
        .route(paths::LIVEZ, web::get().to(health::livez))
        .route(paths::READYZ, web::get().to(health::readyz))
        .route(paths::METRICS, web::get().to(health::metrics))
        .default_service(web::to(not_found));
}

/// Any other path.
async fn not_found(request: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, Problem> {
    Err(Problem::not_found(format!(
        "{} {} is not a route of this API",
        request.method(),
        request.path()
    )))
}

/// Serves the API on `listener` over TLS with `tls` until the returned server stops.
pub fn serve(
    state: ApiState,
    listener: TcpListener,
    tls: rustls::ServerConfig,
) -> std::io::Result<actix_web::dev::Server> {
    let state = web::Data::new(state);
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(configure))
        .workers(WORKERS)
        .listen_rustls_0_23(listener, tls)?
        .run();
    Ok(server)
}
