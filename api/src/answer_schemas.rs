//! Schemas of answers the API builds as JSON values rather than from types: the OCDS packages
//! (whose full schema is the OCDS 1.1 standard's: release-package-schema.json and
//! record-package-schema.json with the bid extension) and the OpenAPI document itself. They
//! give each such answer its shape in the OpenAPI document; nothing constructs them.

#![expect(
    dead_code,
    reason = "schemas only: the answers they describe are built as JSON values"
)]

/// Who publishes an OCDS package.
#[derive(utoipa::ToSchema)]
pub(crate) struct OcdsPublisher {
    /// The platform's name.
    name: String,
}

/// One tender's OCDS record: its releases and the compiled release.
#[derive(utoipa::ToSchema)]
pub(crate) struct OcdsRecord {
    /// The tender's OCID: the platform's prefix, `-` and the tender id.
    ocid: String,
    /// Every release, oldest first (OCDS release schema).
    releases: Vec<serde_json::Value>,
    /// The releases merged (OCDS release schema).
    #[schema(rename = "compiledRelease")]
    compiled_release: serde_json::Value,
}

/// An OCDS 1.1 record package of one tender.
#[derive(utoipa::ToSchema)]
pub(crate) struct OcdsRecordPackage {
    /// This package's URL.
    uri: String,
    /// `1.1`.
    version: String,
    /// The OCDS bid extension's URL.
    extensions: Vec<String>,
    /// The platform.
    publisher: OcdsPublisher,
    /// RFC 3339, UTC.
    #[schema(rename = "publishedDate")]
    published_date: String,
    /// The tender's record.
    records: Vec<OcdsRecord>,
}

/// An OCDS 1.1 release package.
#[derive(utoipa::ToSchema)]
pub(crate) struct OcdsReleasePackage {
    /// This page's URL.
    uri: String,
    /// `1.1`.
    version: String,
    /// The OCDS bid extension's URL.
    extensions: Vec<String>,
    /// The platform.
    publisher: OcdsPublisher,
    /// The newest release's date, RFC 3339, UTC.
    #[schema(rename = "publishedDate")]
    published_date: String,
    /// The releases of the page's tenders, by tender number (OCDS release schema).
    releases: Vec<serde_json::Value>,
}

/// An OpenAPI 3.1 document (its schema is the OpenAPI Initiative's).
#[derive(utoipa::ToSchema)]
pub(crate) struct OpenApiDocument {
    /// `3.1.x`.
    openapi: String,
    /// Title, version and description.
    info: serde_json::Value,
    /// Every route.
    paths: serde_json::Value,
    /// The schemas the routes refer to.
    components: serde_json::Value,
}
