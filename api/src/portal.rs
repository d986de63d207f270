//! The portal's public pages (`/`): open and finished tenders, each tender's page with its
//! timeline, opening record, candidates and results, and the latest notices, in Chinese and
//! English. The page and its script and style are built into the binary; the script reads this
//! node's API, and a content security policy lets the page load nothing from elsewhere.

use actix_web::HttpResponse;

use crate::problem::Problem;

/// The page.
const PAGE: &str = include_str!("../portal/index.html");
/// Its script.
const SCRIPT: &str = include_str!("../portal/portal.js");
/// Its style.
const STYLE: &str = include_str!("../portal/portal.css");

/// Only this node: the page, its script and style, and the API they read.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `body` as `content_type`, with the portal's security headers.
fn served(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("content-security-policy", CONTENT_SECURITY_POLICY))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("cache-control", "no-cache"))
        .body(body)
}

/// `GET /`: the portal.
#[utoipa::path(get, path = "/", tag = "portal",
    responses((status = 200, description = "The portal's page (its script shows the tenders, notices and results)", body = String, content_type = "text/html")))]
pub async fn page() -> HttpResponse {
    served("text/html; charset=utf-8", PAGE)
}

/// `GET /portal/{file}`: the portal's script and style.
#[utoipa::path(get, path = "/portal/{file}", tag = "portal",
    params(("file" = String, Path, description = "`portal.js` or `portal.css`")),
    responses(
        (status = 200, description = "The script or the style", body = String, content_type = "text/javascript"),
        (status = 404, description = "No such file", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn asset(file: actix_web::web::Path<String>) -> Result<HttpResponse, Problem> {
    match file.as_str() {
        "portal.js" => Ok(served("text/javascript; charset=utf-8", SCRIPT)),
        "portal.css" => Ok(served("text/css; charset=utf-8", STYLE)),
        other => Err(Problem::not_found(format!(
            "the portal has no file {}",
            sealbid_ledger::types::excerpt(other)
        ))),
    }
}
