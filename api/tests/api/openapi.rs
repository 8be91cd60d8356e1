//! The OpenAPI document is valid OpenAPI 3 and lists exactly what the router serves.

use std::path::Path;

use reqwest::{Method, StatusCode};
use sqlx::PgPool;

use crate::helpers::TestApp;

/// Routes that answer without a token.
const PUBLIC: [&str; 3] = ["/healthz", "/readyz", "/api/openapi.json"];

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn the_document_is_openapi_3_and_every_documented_route_is_served(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (status, _) = api.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let text = api
        .http
        .get(format!("{}/api/openapi.json", api.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let spec = oas3::from_json(&text).expect("the document parses as OpenAPI 3.1");
    assert_eq!(spec.validate_version().expect("a valid version").major, 3);

    let operations: Vec<(String, reqwest::Method)> = spec
        .operations()
        .map(|(path, method, _)| (path, reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap()))
        .collect();
    assert!(
        operations.len() >= 25,
        "every route is documented: {}",
        operations.len()
    );
    for (path, method, op) in spec.operations() {
        assert!(
            !op.responses(&spec).is_empty(),
            "{method} {path} documents its responses"
        );
        for (code, response) in op.responses(&spec) {
            for (media, content) in &response.content {
                if let Some(schema) = &content.schema {
                    schema
                        .resolve(&spec)
                        .unwrap_or_else(|e| panic!("{method} {path} {code} {media}: {e}"));
                }
            }
        }
        if let Some(body) = &op.request_body {
            let body = body
                .resolve(&spec)
                .unwrap_or_else(|e| panic!("{method} {path} body: {e}"));
            for content in body.content.values() {
                if let Some(schema) = &content.schema {
                    schema
                        .resolve(&spec)
                        .unwrap_or_else(|e| panic!("{method} {path} body schema: {e}"));
                }
            }
        }
    }

    // Documented ⇒ served: without a token every documented /api route answers 401 (public ones 200),
    // never "no route" (404) or "method not allowed" (405).
    for (path, method) in &operations {
        let concrete = path
            .replace("{integration_id}", "tokopedia")
            .replace("{id}", "1")
            .replace("{user_id}", "1")
            .replace("{token_id}", "1");
        let (status, body) = api.send(method.clone(), &concrete, None, None).await;
        let expected = if PUBLIC.contains(&path.as_str()) {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(status, expected, "{method} {path}: {body}");
    }
}

/// A client generated from the document sends only what the API accepts: the bounds the handlers enforce
/// (ids, paging, usernames, the sync interval) are in the schema, not only in the 422 answers.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn the_document_states_the_enforced_bounds(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (status, doc) = api.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let bound = |schema: &serde_json::Value, key: &str| schema[key].as_f64();

    let mut ids = 0;
    let mut paged = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                let schema = &param["schema"];
                let at = format!("{method} {path} {name}");
                match name {
                    "id" | "user_id" | "token_id" => {
                        ids += 1;
                        assert_eq!(bound(schema, "minimum"), Some(1.0), "{at}: {schema}");
                    }
                    "page" => {
                        paged += 1;
                        assert_eq!(bound(schema, "minimum"), Some(1.0), "{at}: {schema}");
                        assert_eq!(bound(schema, "maximum"), Some(1_000_000.0), "{at}: {schema}");
                    }
                    "per_page" => {
                        assert_eq!(bound(schema, "minimum"), Some(1.0), "{at}: {schema}");
                        assert_eq!(bound(schema, "maximum"), Some(100.0), "{at}: {schema}");
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(ids >= 15, "every id path parameter is checked: {ids}");
    assert_eq!(paged, 2, "the account list and the log are paged");

    let schemas = &doc["components"]["schemas"];
    let username = &schemas["CreateUser"]["properties"]["username"];
    assert_eq!(username["pattern"], "^[a-z0-9._@-]{1,100}$", "{username}");
    assert_eq!(bound(username, "maxLength"), Some(100.0), "{username}");
    for body in ["CreateAccount", "UpdateAccount"] {
        let interval = &schemas[body]["properties"]["sync_interval_minutes"];
        assert_eq!(bound(interval, "minimum"), Some(1.0), "{body}: {interval}");
        assert_eq!(bound(interval, "maximum"), Some(10_080.0), "{body}: {interval}");
        let name = &schemas[body]["properties"]["account_name"];
        assert_eq!(bound(name, "maxLength"), Some(255.0), "{body}: {name}");
    }
}

/// Every operation that needs a token documents the throttle's 429 and the 503 of a database outage, both
/// with `Retry-After` and in the error envelope; the public ones document neither.
#[test]
fn authenticated_operations_document_the_throttle_and_outages() {
    let doc = serde_json::to_value(ocean_api::api_routes().1).expect("the document as JSON");
    let components = &doc["components"];
    assert_eq!(
        components["headers"]["Retry-After"]["schema"]["type"], "integer",
        "{components}"
    );
    let refusals = [("429", "TooManyRequests"), ("503", "DatabaseUnavailable")];
    for (_, name) in refusals {
        let response = &components["responses"][name];
        assert_eq!(
            response["headers"]["Retry-After"]["$ref"], "#/components/headers/Retry-After",
            "{name}: {response}"
        );
        assert_eq!(
            response["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
            "{name}: {response}"
        );
    }
    let mut authenticated = 0;
    for (path, item) in doc["paths"].as_object().expect("the document lists paths") {
        for (method, op) in item.as_object().expect("a path item is an object") {
            let public = PUBLIC.contains(&path.as_str());
            authenticated += usize::from(!public);
            for (status, name) in refusals {
                let documented = op["responses"][status]["$ref"] == format!("#/components/responses/{name}");
                assert_eq!(documented, !public, "{method} {path} documents {status}: {op}");
            }
        }
    }
    assert!(
        authenticated >= 22,
        "every authenticated operation is checked: {authenticated}"
    );

    // Every reference resolves: the shared responses, and their header and schema.
    let spec = oas3::from_json(doc.to_string()).expect("the document parses as OpenAPI 3.1");
    for (path, method, op) in spec.operations() {
        let responses = op.responses(&spec);
        assert_eq!(
            responses.len(),
            op.responses.as_ref().map_or(0, |r| r.len()),
            "{method} {path}: every response resolves"
        );
        for (status, response) in responses {
            for (name, header) in &response.headers {
                header
                    .resolve(&spec)
                    .unwrap_or_else(|e| panic!("{method} {path} {status} header {name}: {e}"));
            }
            for (media, content) in &response.content {
                if let Some(schema) = &content.schema {
                    schema
                        .resolve(&spec)
                        .unwrap_or_else(|e| panic!("{method} {path} {status} {media}: {e}"));
                }
            }
        }
    }
}

/// Served ⇒ documented: API routes are only ever registered through `utoipa_axum::routes!`, which
/// documents them; a plain axum `.route(...)` anywhere in the api would serve an undocumented route. The
/// web console (`src/console`) serves HTML pages, not API routes: it registers plain routes, none under
/// `/api`.
#[test]
fn no_route_bypasses_the_document() {
    let mut offenders = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![src];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("console") {
                // `src/console/`: the console's pages and forms.
                continue;
            }
            if path.ends_with("console.rs") {
                let router = std::fs::read_to_string(&path).unwrap();
                assert!(!router.contains("\"/api"), "the console registers no /api route");
            } else if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    if line.contains(".route(") || line.contains(".route_service(") || line.contains(".nest(") {
                        offenders.push(format!("{}:{}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "routes registered outside `routes!`: {offenders:?}"
    );
}

/// What a call creates links to the calls that use it (reading, changing, syncing an account; issuing and
/// revoking a token), so a generated client fills their path parameters from the answer instead of
/// guessing. Every link names an operation of the document and only that operation's path parameters.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn created_things_link_to_the_operations_that_use_them(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (status, doc) = api.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let mut operations = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if let Some(id) = op["operationId"].as_str() {
                operations.insert(id.to_owned(), (method.clone(), path.clone()));
            }
        }
    }
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            for (status, response) in responses {
                let Some(links) = response["links"].as_object() else {
                    continue;
                };
                for (name, link) in links {
                    let target = link["operationId"].as_str().expect("a link names an operationId");
                    let (_, target_path) = operations
                        .get(target)
                        .unwrap_or_else(|| panic!("{name} links to the unknown operation {target}"));
                    for (parameter, expression) in link["parameters"].as_object().expect("link parameters") {
                        assert!(
                            target_path.contains(&format!("{{{parameter}}}")),
                            "{name}: {target_path} has no path parameter {parameter}"
                        );
                        let expression = expression.as_str().unwrap();
                        assert!(
                            expression.starts_with("$response.body#/data/") || expression.starts_with("$request.path.")
                        );
                    }
                    found.push(format!("{method} {path} {status} -> {name}"));
                }
            }
        }
    }
    for expected in [
        "post /api/integrations/{integration_id}/accounts 201 -> GetAccount",
        "post /api/integrations/{integration_id}/accounts 201 -> SyncAccount",
        "post /api/users 201 -> IssueToken",
        "post /api/users/{id}/tokens 201 -> RevokeToken",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "missing link {expected}: {found:?}"
        );
    }
}
