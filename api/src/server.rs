//! The HTTPS server: TLS (rustls) on each accepted connection, a [`HeadDeadline`] on its
//! decrypted stream, then HTTP/1.1 into the API's routes, within the [`ClientLimits`].
//!
//! The server is put together from actix's parts instead of `actix_web::HttpServer` for one
//! reason: the head deadline must sit between TLS and HTTP, where `HttpServer` leaves no room.
//! The bounds are the ones `HttpServer` would set (connections per worker, TLS handshakes under
//! way, the handshake timeout, the listen backlog) and one more: connections per source
//! address, counted from the accept, so that one address cannot take every connection.

use std::net::TcpListener;
use std::time::Duration;

use actix_http::{HttpService, KeepAlive};
use actix_server::Server;
use actix_service::{Service, ServiceFactoryExt, apply_fn_factory, map_config};
use actix_tls::accept::rustls_0_23::{Acceptor, TlsStream};
use actix_web::dev::AppConfig;
use actix_web::{App, web};
use tokio::net::TcpStream;

use crate::head_deadline::HeadDeadline;
use crate::limits::{AddressCounts, ClientLimits, PerAddress};
use crate::{ApiState, configure};

/// HTTP worker threads.
const WORKERS: usize = 2;

/// How long a kept-alive connection may stay idle between requests.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// How long a connection may take to shut once it is answered.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Serves the API on `listener` over TLS with `tls`, within `limits`, until the returned
/// server stops.
pub fn serve(
    state: ApiState,
    listener: TcpListener,
    mut tls: rustls::ServerConfig,
    limits: &ClientLimits,
) -> std::io::Result<Server> {
    // The kernel's queue of connections not yet accepted: the listener was bound with the
    // platform's default; listening again sets the bound.
    let backlog = i32::try_from(limits.listen_backlog).unwrap_or(i32::MAX);
    socket2::SockRef::from(&listener).listen(backlog)?;
    let mut protocols = vec![b"http/1.1".to_vec()];
    protocols.append(&mut tls.alpn_protocols);
    tls.alpn_protocols = protocols;
    actix_tls::accept::max_concurrent_tls_connect(limits.tls_handshakes_max.div_ceil(WORKERS));

    let state = web::Data::new(state);
    let limits_data = web::Data::new(limits.clone());
    let per_address = PerAddress::new(limits.requests_per_address_max);
    let connections = AddressCounts::new(limits.connections_per_address_max);
    let address = listener.local_addr()?;
    let head_timeout = limits.request_head_timeout;
    let handshake_timeout = limits.tls_handshake_timeout;
    // The node decides when to stop (it stops this server, then Raft); the server must not act
    // on signals by itself.
    let server = Server::build()
        .workers(WORKERS)
        .max_concurrent_connections(limits.connections_max.div_ceil(WORKERS))
        .disable_signals()
        .listen("sealbid-api", listener, move || {
            let app = App::new()
                .app_data(state.clone())
                .app_data(limits_data.clone())
                .wrap(per_address.clone())
                .wrap(actix_web::middleware::from_fn(crate::request_id::middleware))
                .configure(configure);
            // The HTTP server's own head timeout is off (zero): its bare 408 has no problem.
            let http = HttpService::build()
                .keep_alive(KeepAlive::Timeout(KEEP_ALIVE))
                .client_request_timeout(Duration::ZERO)
                .client_disconnect_timeout(DISCONNECT_TIMEOUT)
                .local_addr(address)
                .secure()
                .h1(map_config(app, |()| AppConfig::default()))
                .map_err(|_| ());
            let mut acceptor = Acceptor::new(tls.clone());
            acceptor.set_handshake_timeout(handshake_timeout);
            let connections = connections.clone();
            // A connection takes its address's place before the handshake; past the bound it
            // is closed at once (dropped), before any TLS work.
            let acceptor = acceptor.map_init_err(|_| ()).map_err(|_| ());
            let counted = apply_fn_factory(acceptor, move |tcp: TcpStream, acceptor| {
                let peer = tcp.peer_addr().ok();
                let place = peer.and_then(|peer| connections.enter(peer.ip()));
                let handshake = place.is_some().then(|| acceptor.call(tcp));
                async move {
                    match (handshake, place) {
                        (Some(handshake), Some(place)) => match handshake.await {
                            Ok(stream) => Ok((stream, place, peer)),
                            Err(_) => Err(()),
                        },
                        _ => Err(()),
                    }
                }
            });
            counted
                .map(move |(stream, place, peer): (TlsStream<TcpStream>, _, _)| {
                    (HeadDeadline::new(stream, head_timeout, place), peer)
                })
                .and_then(http)
        })?
        .run();
    Ok(server)
}
