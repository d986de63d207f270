//! The OpenAPI document: valid against the OpenAPI Initiative's schema of 3.1 documents, a typed
//! schema (never a bare `object`) for every JSON answer and request body; and [`conforms`], with
//! which other tests check an answer against the schema the document gives its route.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::Platform;

/// The document the platform serves.
pub(crate) async fn document(platform: &Platform) -> Value {
    let (status, _, document) = platform.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK, "{document}");
    document
}

/// Checks `body`, the answer of `GET route` (the route as the document names it, such as
/// `/v1/tenders/{id}`) with `status`, against the schema the document gives that answer.
pub(crate) fn conforms(document: &Value, route: &str, status: StatusCode, body: &Value) {
    let errors = violations(document, route, status, body);
    assert!(
        errors.is_empty(),
        "GET {route} {status} does not match its schema: {errors:#?}\n{body}"
    );
}

/// How `body` breaks the schema the document gives the answer of `GET route` with `status`.
fn violations(document: &Value, route: &str, status: StatusCode, body: &Value) -> Vec<String> {
    let media = if status.is_success() {
        "application~1json"
    } else {
        "application~1problem+json"
    };
    let escaped = route.replace('~', "~0").replace('/', "~1");
    let pointer = format!(
        "/paths/{escaped}/get/responses/{}/content/{media}/schema",
        status.as_u16()
    );
    assert!(
        document.pointer(&pointer).is_some(),
        "the document gives no schema for GET {route} {status}"
    );
    // The document is the root: the answer's schema and the components it refers to resolve in it.
    let mut root = document.clone();
    // As a URI fragment, the pointer's braces are percent-encoded.
    let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
    root["$ref"] = Value::String(format!("#{fragment}"));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .unwrap_or_else(|error| panic!("the schema of GET {route} {status} does not build: {error}"));
    validator
        .iter_errors(body)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

/// Whether `schema` says nothing of its instance's shape: `{}`, or an object with no
/// properties, no additional-properties schema and no alternatives.
fn bare(schema: &Value) -> bool {
    let Some(members) = schema.as_object() else {
        return false;
    };
    let shaping = [
        "$ref",
        "properties",
        "additionalProperties",
        "items",
        "oneOf",
        "anyOf",
        "allOf",
        "enum",
        "const",
    ];
    let typed_otherwise = members
        .get("type")
        .is_some_and(|kind| kind != "object" && kind.as_array().is_none_or(|kinds| !kinds.contains(&"object".into())));
    !typed_otherwise && !shaping.iter().any(|keyword| members.contains_key(*keyword))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_valid_openapi_and_types_every_answer_and_body() {
    let platform = Platform::start().await;
    let document = document(&platform).await;
    let meta: Value = serde_json::from_str(include_str!("../vectors/openapi-3.1-schema.json")).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&meta)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let mut typed = 0;
    for (route, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let mut schemas: Vec<(String, &Value)> = Vec::new();
            for (status, answer) in operation["responses"].as_object().unwrap() {
                for (media, content) in answer["content"].as_object().into_iter().flatten() {
                    if media.contains("json") {
                        schemas.push((format!("{status} {media}"), &content["schema"]));
                    }
                }
            }
            for (media, content) in operation["requestBody"]["content"].as_object().into_iter().flatten() {
                schemas.push((format!("request {media}"), &content["schema"]));
            }
            for (what, schema) in schemas {
                assert!(!bare(schema), "{method} {route} {what} has a bare schema: {schema}");
                typed += 1;
            }
        }
    }
    assert!(typed > 60, "{typed} JSON schemas");
    // The command a body's payload holds is typed too: every action is one of its variants.
    let actions = document["components"]["schemas"]["Action"]["oneOf"].as_array().unwrap();
    assert!(actions.len() >= 35, "{} actions", actions.len());

    // The schemas constrain: answers of the wrong shape break them.
    let (_, _, tenders) = platform.get("/v1/tenders").await;
    conforms(&document, "/v1/tenders", StatusCode::OK, &tenders);
    for (route, wrong) in [
        ("/v1/tenders", serde_json::json!({"tenders": []})),
        ("/v1/tenders", serde_json::json!([{"id": 7}])),
        (
            "/v1/tenders/{id}",
            serde_json::json!({"tender": {"id": "T-000001"}, "results": null}),
        ),
        ("/v1/audit/head", serde_json::json!({"size": "13"})),
        (
            "/v1/participants",
            serde_json::json!([{"key": "ed25519:short", "name": "x", "roles": []}]),
        ),
    ] {
        let errors = violations(&document, route, StatusCode::OK, &wrong);
        assert!(!errors.is_empty(), "{wrong} passes as GET {route}'s answer");
    }
    platform.stop().await;
}
