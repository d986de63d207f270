//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa), at
//! `/openapi.json`, and `/docs`: a page that renders it with no assets from elsewhere.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use crate::audit::{AuditEntry, AuditProof, LogKey, TreeHead};
use crate::commands::{CommandBody, Receipt};
use crate::problem::Problem;

/// The API's document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "sealbid",
        description = "Sealed-bid public-resource trading: signed commands, tenders, the audit trail. \
                       Errors are RFC 9457 problem+json with a stable `type` (urn:sealbid:problem:<code>)."
    ),
    paths(
        crate::commands::submit,
        crate::tender_list::tenders,
        crate::queries::tender,
        crate::queries::bids,
        crate::queries::key_generation,
        crate::queries::warnings,
        crate::queries::tender_ocds,
        crate::queries::participant_list,
        crate::queries::calendars,
        crate::queries::performance,
        crate::notices::page,
        crate::queries::ocds_releases,
        crate::notices::atom,
        crate::signed_reads::entries,
        crate::signed_reads::sources,
        crate::signed_reads::tender_bids,
        crate::signed_reads::corrections,
        crate::signed_reads::all_warnings,
        crate::signed_reads::tender_warnings,
        crate::watch::stream,
        crate::watch::timeline,
        crate::signed_reads::registry,
        crate::signed_reads::me,
        crate::audit::entries,
        crate::audit::head,
        crate::audit::log_key,
        crate::audit::checkpoint,
        crate::audit::inclusion,
        crate::audit::consistency,
        crate::audit::receipt,
        crate::witness::submit,
        crate::witness::witnessed,
        crate::health::livez,
        crate::health::readyz,
        crate::health::metrics,
        document,
        page,
    ),
    components(schemas(
        Receipt,
        CommandBody,
        Problem,
        AuditEntry,
        TreeHead,
        LogKey,
        AuditProof,
        crate::signed_reads::CommandSource,
        crate::witness::CosignatureSubmission,
        crate::witness::CosignatureAccepted,
        crate::witness::Witnessed
    ))
)]
pub struct ApiDocument;

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", body = Object)))]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDocument::openapi())
}

/// `GET /docs`: the document rendered as a page.
#[utoipa::path(get, path = "/docs", tag = "operations",
    responses((status = 200, description = "The document as a page", body = String, content_type = "text/html")))]
pub async fn page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(PAGE)
}

/// A page that fetches `/openapi.json` and lists every operation with its parameters, request
/// body and answers.
const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>sealbid API</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h2 { margin-top: 2rem; border-bottom: 1px solid #ccc; }
.op { margin: 1rem 0; padding: .5rem 1rem; border-left: 4px solid #456; background: #f6f7f9; }
.method { font-weight: bold; text-transform: uppercase; margin-right: .5rem; }
code { background: #eceef2; padding: 0 .2rem; }
</style>
</head>
<body>
<h1>sealbid API</h1>
<p id="about"></p>
<div id="operations">Loading <code>/openapi.json</code>…</div>
<script>
fetch("/openapi.json").then(r => r.json()).then(doc => {
  document.getElementById("about").textContent = doc.info.description || "";
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "other";
      (byTag[tag] = byTag[tag] || []).push([method, path, op]);
    }
  }
  const root = document.getElementById("operations");
  root.textContent = "";
  for (const [tag, ops] of Object.entries(byTag)) {
    const heading = document.createElement("h2");
    heading.textContent = tag;
    root.appendChild(heading);
    for (const [method, path, op] of ops) {
      const box = document.createElement("div");
      box.className = "op";
      const title = document.createElement("div");
      title.innerHTML = '<span class="method"></span><code></code>';
      title.querySelector(".method").textContent = method;
      title.querySelector("code").textContent = path;
      box.appendChild(title);
      const list = document.createElement("ul");
      for (const parameter of op.parameters || []) {
        const item = document.createElement("li");
        item.textContent = `${parameter.in} ${parameter.name}: ${parameter.description || ""}`;
        list.appendChild(item);
      }
      if (op.requestBody) {
        const item = document.createElement("li");
        item.textContent = `body: ${op.requestBody.description || Object.keys(op.requestBody.content).join(", ")}`;
        list.appendChild(item);
      }
      for (const [status, answer] of Object.entries(op.responses || {})) {
        const item = document.createElement("li");
        item.textContent = `${status}: ${answer.description}`;
        list.appendChild(item);
      }
      box.appendChild(list);
      root.appendChild(box);
    }
  }
}).catch(error => { document.getElementById("operations").textContent = "Cannot load /openapi.json: " + error; });
</script>
</body>
</html>
"#;
