//! Errors as RFC 9457 problem details (`application/problem+json`). Every failure has a stable
//! `type` (`urn:sealbid:problem:<code>`, the same `code` as a field for convenience), a short
//! `title`, the HTTP `status` and a `detail` that says what to do about it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

use sealbid_ledger::RejectionKind;

/// The media type of a problem.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem detail, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, utoipa::ToSchema)]
#[error("{status} {code}: {detail}")]
pub struct Problem {
    /// `urn:sealbid:problem:<code>`: stable, match on it.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// The stable code alone.
    pub code: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened here and what to do.
    pub detail: String,
    /// For a problem worth retrying (every 408, 429 and 503): after how many seconds; the same
    /// as the `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// How long a client waits before it sends again what a node could not take now.
pub const RETRY_AFTER_SECONDS: u64 = 1;

impl Problem {
    /// A problem with `status`, stable `code`, `title` and `detail`.
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("urn:sealbid:problem:{code}"),
            code: code.to_owned(),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            retry_after_seconds: matches!(
                status,
                StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT
            )
            .then_some(RETRY_AFTER_SECONDS),
        }
    }

    /// The ledger refused a command: its code, and a status from its kind.
    pub fn rejected(code: &str, kind: RejectionKind, reason: &str) -> Self {
        let (status, title) = match kind {
            RejectionKind::Malformed => (StatusCode::BAD_REQUEST, "The command cannot be read"),
            RejectionKind::Unauthenticated => (StatusCode::UNAUTHORIZED, "The signature does not verify"),
            RejectionKind::Forbidden => (StatusCode::FORBIDDEN, "The signer may not do this"),
            RejectionKind::Unknown => (StatusCode::NOT_FOUND, "What the command refers to does not exist"),
            RejectionKind::Conflict => (StatusCode::CONFLICT, "The command conflicts with the ledger's state"),
            RejectionKind::Invalid => (StatusCode::UNPROCESSABLE_ENTITY, "The command breaks a rule"),
            RejectionKind::Transient => (StatusCode::SERVICE_UNAVAILABLE, "The platform cannot take this now"),
        };
        Self::new(status, code, title, reason)
    }

    /// A request body that is not JSON of the expected shape.
    pub fn malformed_json(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "The body is not valid JSON of the expected shape",
            detail,
        )
    }

    /// A query parameter that does not parse, as `detail` says.
    pub fn malformed_query(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-query",
            "The query string is not valid",
            detail,
        )
    }

    /// Something this API does not have.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", what)
    }

    /// A fault on this side that retrying will not cure (damaged storage, a bug): report it.
    pub fn internal(code: &str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code,
            "Something is wrong on the platform",
            detail,
        )
    }

    /// A passing failure on this side; the detail says when to retry.
    pub fn unavailable(code: &str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            "The platform cannot take this now",
            detail,
        )
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        if let Some(seconds) = self.retry_after_seconds {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(self)
    }
}

/// Turns actix-web's JSON extractor failures into problems: too large, wrong media type,
/// unreadable or of the wrong shape (unknown fields included).
pub fn json_error(error: actix_web::error::JsonPayloadError, _: &actix_web::HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    let problem = match &error {
        JsonPayloadError::OverflowKnownLength { length, limit } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "The body is too large",
            format!("the body has {length} bytes; at most {limit} are accepted"),
        ),
        JsonPayloadError::Overflow { limit } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "The body is too large",
            format!("at most {limit} bytes are accepted"),
        ),
        JsonPayloadError::ContentType => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "The body must be JSON",
            "send the body with Content-Type: application/json",
        ),
        other => Problem::malformed_json(other.to_string()),
    };
    problem.into()
}

/// Turns query-string failures into problems.
pub fn query_error(error: actix_web::error::QueryPayloadError, _: &actix_web::HttpRequest) -> actix_web::Error {
    Problem::malformed_query(error.to_string()).into()
}
