//! The portal (`/`): the public pages (open and finished tenders, each tender's page with its
//! timeline, opening record, candidates and results, the latest notices) and the desks of
//! bidders, offices, committee members and supervisors, in Chinese and English. The page, its
//! scripts and its style are built into the binary. The scripts read and write this node's API
//! only: `portal.js` the public pages, `wire.js` what a participant seals, signs and checks
//! (WebCrypto), `reasons.js` what a refusal or a failed check says in Chinese, `desks.js` the
//! participants' pages. A content security policy lets the page load nothing from elsewhere.

use actix_web::HttpResponse;

use crate::problem::Problem;

/// The page.
const PAGE: &str = include_str!("../portal/index.html");
/// Its public pages' script.
const SCRIPT: &str = include_str!("../portal/portal.js");
/// What the participants' pages sign, seal and check (WebCrypto).
const WIRE: &str = include_str!("../portal/wire.js");
/// What refusals and failed checks say in Chinese.
const REASONS: &str = include_str!("../portal/reasons.js");
/// The participants' pages.
const DESKS: &str = include_str!("../portal/desks.js");
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
    params(("file" = String, Path, description = "`portal.js`, `wire.js`, `reasons.js`, `desks.js` or `portal.css`")),
    responses(
        (status = 200, description = "The script or the style", body = String, content_type = "text/javascript"),
        (status = 404, description = "No such file", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn asset(file: actix_web::web::Path<String>) -> Result<HttpResponse, Problem> {
    match file.as_str() {
        "portal.js" => Ok(served("text/javascript; charset=utf-8", SCRIPT)),
        "wire.js" => Ok(served("text/javascript; charset=utf-8", WIRE)),
        "reasons.js" => Ok(served("text/javascript; charset=utf-8", REASONS)),
        "desks.js" => Ok(served("text/javascript; charset=utf-8", DESKS)),
        "portal.css" => Ok(served("text/css; charset=utf-8", STYLE)),
        other => Err(Problem::not_found(format!(
            "the portal has no file {}",
            sealbid_ledger::types::excerpt(other)
        ))),
    }
}
