//! Bounds on what clients hold of a node, so that one client cannot shut everyone else out:
//! connections, TLS handshakes and the time each may take, the time a request's head and body
//! may take to arrive, and the requests in flight from one source address.
//!
//! The server applies the connection bounds and the head timeout ([`serve`](crate::serve)),
//! and closes a connection past its source address's bound on connections at once
//! ([`AddressCounts`]); [`TimedJson`] bounds a body's arrival (a body that stalls is answered
//! `408 request-timeout` and its connection closed); [`PerAddress`] counts requests in flight by
//! source address and answers `429 too-many-requests` past its bound.

use std::collections::HashMap;
use std::future::{Future, Ready, ready};
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, ResponseError, web};
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// Every bound on what clients hold. The defaults suit one node on a trading centre's site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientLimits {
    /// The most connections open at once, all workers together; past it the node stops
    /// accepting until one closes.
    pub connections_max: usize,
    /// The most TLS handshakes under way at once, all workers together.
    pub tls_handshakes_max: usize,
    /// How long a TLS handshake may take: a connection that sends no hello is closed then.
    pub tls_handshake_timeout: Duration,
    /// How long a request's head may take to arrive; past it the node answers a `408
    /// request-timeout` problem and closes the connection (see the `head_deadline` module).
    pub request_head_timeout: Duration,
    /// How long a request's body may take to arrive once its head has.
    pub request_body_timeout: Duration,
    /// The most requests in flight from one source address.
    pub requests_per_address_max: usize,
    /// The most connections open at once from one source address (a TLS handshake under way
    /// counts); past it a new connection from the address is closed at once.
    pub connections_per_address_max: usize,
    /// Connections the kernel queues before the node accepts them.
    pub listen_backlog: u32,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self {
            connections_max: 16_384,
            tls_handshakes_max: 2_048,
            tls_handshake_timeout: Duration::from_secs(1),
            request_head_timeout: Duration::from_secs(5),
            request_body_timeout: Duration::from_secs(10),
            requests_per_address_max: 2_048,
            connections_per_address_max: 1_024,
            listen_backlog: 4_096,
        }
    }
}

impl ClientLimits {
    /// The open files these bounds can need at once: a socket per connection, and a margin for
    /// the database, the node-to-node connections and the log.
    pub fn open_files_needed(&self) -> u64 {
        u64::try_from(self.connections_max)
            .unwrap_or(u64::MAX)
            .saturating_add(1_024)
    }
}

/// A JSON body that must arrive within the request body timeout (from the [`ClientLimits`] in
/// the app data; the default without one). It decodes like `web::Json`, with the same size
/// bound and problems.
#[derive(Debug)]
pub struct TimedJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for TimedJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let timeout = request.app_data::<web::Data<ClientLimits>>().map_or_else(
            || ClientLimits::default().request_body_timeout,
            |limits| limits.request_body_timeout,
        );
        let body = web::Json::<T>::from_request(request, payload);
        Box::pin(async move {
            match tokio::time::timeout(timeout, body).await {
                Ok(json) => json.map(|json| TimedJson(json.into_inner())),
                Err(_) => Err(body_timeout(timeout).into()),
            }
        })
    }
}

/// The problem for a body that did not arrive in time.
fn body_timeout(timeout: Duration) -> BodyTimeout {
    BodyTimeout(Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "request-timeout",
        "The request did not arrive in time",
        format!(
            "the body did not arrive within {} s; send the request again (a signed command sent again is never applied twice)",
            timeout.as_secs()
        ),
    ))
}

/// A body timeout: its problem, answered with the connection closed (the rest of the body may
/// still come, and must not be read as a new request).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BodyTimeout(Problem);

impl ResponseError for BodyTimeout {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let mut response = self.0.error_response();
        response
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        response
    }
}

/// Counts of something held by source address (requests in flight, open connections), each
/// address at most `limit`. Cloning shares the counts.
#[derive(Debug, Clone)]
pub struct AddressCounts {
    /// The bound per address.
    limit: usize,
    /// Counts by source address (an address leaves the map at zero).
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl AddressCounts {
    /// At most `limit` per address.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            counts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The bound per address.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Takes a place for `address`, if one is free.
    pub fn enter(&self, address: IpAddr) -> Option<AddressPlace> {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(address).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(AddressPlace {
            address,
            counts: Arc::clone(&self.counts),
        })
    }
}

/// A place among its address's; given back when dropped.
#[derive(Debug)]
pub struct AddressPlace {
    /// The source address.
    address: IpAddr,
    /// The shared counts.
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for AddressPlace {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

/// Middleware: at most `limit` requests in flight from one source address; past it `429
/// too-many-requests` at once, with `Retry-After`.
#[derive(Debug, Clone)]
pub struct PerAddress {
    /// Requests in flight by source address.
    in_flight: AddressCounts,
}

impl PerAddress {
    /// At most `limit` requests in flight from one address.
    pub fn new(limit: usize) -> Self {
        Self {
            in_flight: AddressCounts::new(limit),
        }
    }
}

impl<S> Transform<S, ServiceRequest> for PerAddress
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = actix_web::Error> + 'static,
{
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Transform = PerAddressService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(PerAddressService {
            service: Rc::new(service),
            limits: self.clone(),
        }))
    }
}

/// [`PerAddress`] around a service.
pub struct PerAddressService<S> {
    /// The service.
    service: Rc<S>,
    /// The shared counts.
    limits: PerAddress,
}

impl<S> Service<ServiceRequest> for PerAddressService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse, Error = actix_web::Error> + 'static,
{
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let place = match request.peer_addr() {
            Some(peer) => match self.limits.in_flight.enter(peer.ip()) {
                Some(place) => Some(place),
                None => {
                    let problem = Problem::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "too-many-requests",
                        "Too many requests from this address",
                        format!(
                            "{} requests from {} are in flight already; send this one again when they are answered",
                            self.limits.in_flight.limit(),
                            peer.ip()
                        ),
                    );
                    let response = request.error_response(problem);
                    return Box::pin(async move { Ok(response) });
                }
            },
            None => None,
        };
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let response = service.call(request).await;
            drop(place);
            response
        })
    }
}
