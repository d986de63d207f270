//! The server side of node-to-node RPC, over mutual-TLS HTTPS (actix-web, rustls with ring):
//! openraft's calls and commands forwarded by followers in postcard ([`crate::wire`]); the
//! answers to forwarded commands, a client's command, operators' calls, the node's status, clock
//! and audit history in JSON.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};

use sealbid_ledger::command::EntryBody;

use crate::forwarder::FORWARD_ENTRIES_MAX;
use crate::network::paths;
use crate::replica::Replica;
use crate::tls::{ClusterTls, TlsError};
use crate::types::TypeConfig;
use crate::wire;

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
            .app_data(web::PayloadConfig::new(RPC_BYTES_MAX))
            .route(paths::APPEND, web::post().to(append))
            .route(paths::VOTE, web::post().to(vote))
            .route(paths::SNAPSHOT, web::post().to(snapshot))
            .service(
                web::resource(paths::SUBMIT)
                    .app_data(web::JsonConfig::default().limit(SUBMIT_BYTES_MAX))
                    .route(web::post().to(submit)),
            )
            .route(paths::FORWARD, web::post().to(forward))
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
async fn append(replica: web::Data<Replica>, body: web::Bytes) -> HttpResponse {
    match decoded::<AppendEntriesRequest<TypeConfig>>(&body) {
        Ok(request) => encoded(&replica.raft.append_entries(request).await),
        Err(refused) => *refused,
    }
}

/// RequestVote from a candidate.
async fn vote(replica: web::Data<Replica>, body: web::Bytes) -> HttpResponse {
    match decoded::<VoteRequest<u64>>(&body) {
        Ok(request) => encoded(&replica.raft.vote(request).await),
        Err(refused) => *refused,
    }
}

/// A snapshot chunk from the leader.
async fn snapshot(replica: web::Data<Replica>, body: web::Bytes) -> HttpResponse {
    match decoded::<InstallSnapshotRequest<TypeConfig>>(&body) {
        Ok(request) => encoded(&replica.raft.install_snapshot(request).await),
        Err(refused) => *refused,
    }
}

/// A postcard request body, or the 400 answer that refuses it.
fn decoded<T: serde::de::DeserializeOwned>(body: &web::Bytes) -> Result<T, Box<HttpResponse>> {
    wire::decode(body).map_err(|error| Box::new(HttpResponse::BadRequest().body(error.to_string())))
}

/// `value` as a postcard answer.
fn encoded<T: serde::Serialize>(value: &T) -> HttpResponse {
    match wire::encode(value) {
        Ok(bytes) => HttpResponse::Ok().content_type(wire::CONTENT_TYPE).body(bytes),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
}

/// A command from a client, forwarded to the leader if this node is a follower.
async fn submit(replica: web::Data<Replica>, body: web::Json<EntryBody>) -> HttpResponse {
    HttpResponse::Ok().json(replica.submit(body.into_inner(), true).await)
}

/// Commands forwarded by a follower, postcard-encoded ([`crate::wire`]): proposed here, never
/// forwarded again; one answer each, in order, in MessagePack ([`crate::wire::encode_named`]).
/// A body that does not decode, or holds more than [`FORWARD_ENTRIES_MAX`] commands, is
/// answered 400 with nothing proposed.
async fn forward(replica: web::Data<Replica>, body: web::Bytes) -> HttpResponse {
    let bodies: Vec<EntryBody> = match decoded(&body) {
        Ok(bodies) => bodies,
        Err(refused) => return *refused,
    };
    if bodies.len() > FORWARD_ENTRIES_MAX {
        return HttpResponse::BadRequest().body(format!("at most {FORWARD_ENTRIES_MAX} commands per request"));
    }
    // The answers are MessagePack by field name: the ledger's responses omit absent members,
    // which only a self-describing encoding reads back.
    let answers = replica.into_inner().submit_forwarded(bodies).await;
    match crate::wire::encode_named(&answers) {
        Ok(bytes) => HttpResponse::Ok()
            .content_type(crate::wire::NAMED_CONTENT_TYPE)
            .body(bytes),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
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
