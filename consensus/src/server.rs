//! The server side of node-to-node RPC, over mutual-TLS HTTPS (actix-web, rustls with ring):
//! openraft's calls, commands forwarded by followers, and the node's status.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};

use sealbid_ledger::command::EntryBody;

use crate::network::paths;
use crate::replica::Replica;
use crate::tls::{ClusterTls, TlsError};
use crate::types::TypeConfig;

/// The largest RPC body accepted: a batch of entries or a snapshot chunk (openraft's default
/// chunk is 3 MiB).
pub const RPC_BYTES_MAX: usize = 16 * 1024 * 1024;
/// The largest forwarded command: far below [`RPC_BYTES_MAX`], so that entries always fit in
/// an AppendEntries batch.
pub const SUBMIT_BYTES_MAX: usize = 1024 * 1024;
/// Worker threads for the RPC server.
const WORKERS: usize = 2;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// TLS.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The listener.
    #[error("cannot serve: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves `replica`'s RPC on `listener` until the returned server is stopped.
pub fn serve(
    replica: Arc<Replica>,
    listener: TcpListener,
    tls: &ClusterTls,
) -> Result<actix_web::dev::Server, ServeError> {
    let data = web::Data::from(replica);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::JsonConfig::default().limit(RPC_BYTES_MAX))
            .route(paths::APPEND, web::post().to(append))
            .route(paths::VOTE, web::post().to(vote))
            .route(paths::SNAPSHOT, web::post().to(snapshot))
            .service(
                web::resource(paths::SUBMIT)
                    .app_data(web::JsonConfig::default().limit(SUBMIT_BYTES_MAX))
                    .route(web::post().to(submit)),
            )
            .route("/cluster/status", web::get().to(status))
            .route(paths::LEARNERS, web::post().to(add_learner))
            .route(paths::VOTERS, web::post().to(change_voters))
            .route(paths::REMOVE, web::post().to(remove))
            .route(paths::HISTORY, web::get().to(history))
            .route(paths::CLOCK, web::get().to(clock))
    })
    // The process that embeds the server decides when to stop; actix must not act on signals.
    .disable_signals()
    .workers(WORKERS)
    .listen_rustls_0_23(listener, tls.server_config()?)?
    .run();
    Ok(server)
}

/// AppendEntries from the leader.
async fn append(replica: web::Data<Replica>, request: web::Json<AppendEntriesRequest<TypeConfig>>) -> HttpResponse {
    HttpResponse::Ok().json(replica.raft.append_entries(request.into_inner()).await)
}

/// RequestVote from a candidate.
async fn vote(replica: web::Data<Replica>, request: web::Json<VoteRequest<u64>>) -> HttpResponse {
    HttpResponse::Ok().json(replica.raft.vote(request.into_inner()).await)
}

/// A snapshot chunk from the leader.
async fn snapshot(replica: web::Data<Replica>, request: web::Json<InstallSnapshotRequest<TypeConfig>>) -> HttpResponse {
    HttpResponse::Ok().json(replica.raft.install_snapshot(request.into_inner()).await)
}

/// A command from a client (forwarded to the leader if this node is a follower) or from a
/// follower (proposed here, never forwarded again).
async fn submit(
    replica: web::Data<Replica>,
    request: actix_web::HttpRequest,
    body: web::Json<EntryBody>,
) -> HttpResponse {
    let forwarded = request.headers().contains_key(paths::FORWARDED_HEADER);
    HttpResponse::Ok().json(replica.submit(body.into_inner(), !forwarded).await)
}

/// A node joining as a learner.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct Learner {
    /// Its id.
    pub node_id: u64,
    /// Its `host:port`.
    pub address: String,
}

/// Operator, on the leader: add a learner (answers once it has caught up).
async fn add_learner(replica: web::Data<Replica>, learner: web::Json<Learner>) -> HttpResponse {
    let learner = learner.into_inner();
    HttpResponse::Ok().json(replica.add_learner(learner.node_id, learner.address).await)
}

/// Operator, on the leader: set the voting members.
async fn change_voters(
    replica: web::Data<Replica>,
    voters: web::Json<std::collections::BTreeSet<u64>>,
) -> HttpResponse {
    HttpResponse::Ok().json(replica.change_voters(voters.into_inner()).await)
}

/// The node an operator removes.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct Removal {
    /// Its id.
    pub node_id: u64,
}

/// Operator, on the leader: remove a node.
async fn remove(replica: web::Data<Replica>, removal: web::Json<Removal>) -> HttpResponse {
    HttpResponse::Ok().json(replica.remove_node(removal.node_id).await)
}

/// This node's view.
async fn status(replica: web::Data<Replica>) -> HttpResponse {
    HttpResponse::Ok().json(replica.status().await)
}

/// A node's clock, as a peer reads it.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct ClockReading {
    /// The node's clock when it answered, ms since the Unix epoch.
    pub clock_ms: u64,
}

/// This node's clock.
async fn clock(replica: web::Data<Replica>) -> HttpResponse {
    HttpResponse::Ok().json(ClockReading {
        clock_ms: replica.now_ms(),
    })
}

/// Which history entries a peer asks for.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct HistoryRange {
    /// The first audit index.
    pub from: u64,
    /// How many (at most [`crate::history::ENTRIES_PER_FETCH_MAX`] are sent).
    pub count: u64,
}

/// Audit history entries held here: `[(index, canonical entry text)]`.
async fn history(replica: web::Data<Replica>, range: web::Query<HistoryRange>) -> HttpResponse {
    match replica.history(range.from, range.count).await {
        Ok(entries) => HttpResponse::Ok().json(entries),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
}
