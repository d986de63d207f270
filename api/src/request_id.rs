//! A request id on every answer: the `X-Request-Id` the client sent, when it is 1 to 64
//! characters of `A-Z a-z 0-9 . _ -`, or else one the node makes (32 hexadecimal digits from
//! the system's random source). Each request is handled in a `request` span carrying the id, its
//! method and path, so that whatever the node logs while handling it names the request; the
//! answer is logged in that span with its status and duration (at debug, a 5xx at warn), so a
//! client and an operator can name the same request.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use ring::rand::{SecureRandom, SystemRandom};
use tracing::Instrument;

/// The header, in requests and answers.
pub const HEADER: &str = "x-request-id";
/// The longest id taken from a client.
const CLIENT_ID_LENGTH_MAX: usize = 64;

/// The client's id, if it is one the node echoes.
fn client_id(request: &ServiceRequest) -> Option<String> {
    let value = request.headers().get(HEADER)?.to_str().ok()?;
    let allowed = |character: char| character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-');
    (!value.is_empty() && value.len() <= CLIENT_ID_LENGTH_MAX && value.chars().all(allowed)).then(|| value.to_owned())
}

/// A new id: 16 random bytes in hexadecimal.
pub(crate) fn new_id() -> String {
    let mut bytes = [0u8; 16];
    // The system's random source does not fail on the platforms the node runs on; an id of
    // zeros would still be an id.
    let _ = SystemRandom::new().fill(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Handles the request in its span, sets the request id on the answer, and logs the answer.
pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = client_id(&request).unwrap_or_else(new_id);
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.path());
    let started = std::time::Instant::now();
    let mut response = next.call(request).instrument(span.clone()).await?;
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1_000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, duration_ms, "answered");
        } else {
            tracing::debug!(status, duration_ms, "answered");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HeaderName::from_static(HEADER), value);
    }
    Ok(response)
}
