//! The API's routes as the OpenAPI document names them, for the tables that call every route.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};

use crate::helpers::TestApp;

pub const INTEGRATION: &str = "/api/integrations/{integration_id}";
pub const LIST: &str = "/api/integrations/{integration_id}/accounts";
pub const SYNC_ALL: &str = "/api/integrations/{integration_id}/accounts/sync-all";
pub const TEST_CONNECTION: &str = "/api/integrations/{integration_id}/accounts/test-connection";
pub const ONE: &str = "/api/integrations/{integration_id}/accounts/{id}";
pub const STATS: &str = "/api/integrations/{integration_id}/accounts/{id}/stats";
pub const LOGS: &str = "/api/integrations/{integration_id}/accounts/{id}/logs";
pub const SYNC: &str = "/api/integrations/{integration_id}/accounts/{id}/sync";
pub const TEST: &str = "/api/integrations/{integration_id}/accounts/{id}/test";
pub const RESUME: &str = "/api/integrations/{integration_id}/accounts/{id}/resume";
pub const SET_PRIMARY: &str = "/api/integrations/{integration_id}/accounts/{id}/set-primary";
pub const ACCESS: &str = "/api/integrations/{integration_id}/accounts/{id}/access";
pub const ACCESS_OF_USER: &str = "/api/integrations/{integration_id}/accounts/{id}/access/{user_id}";
pub const AUTHORIZATIONS: &str = "/api/integrations/{integration_id}/authorizations";
pub const AUTHORIZATION_CALLBACK: &str = "/api/integrations/{integration_id}/authorizations/callback";
pub const USERS: &str = "/api/users";
pub const TOKENS: &str = "/api/users/{id}/tokens";
pub const TOKEN: &str = "/api/users/{id}/tokens/{token_id}";

/// Every (method, path) the served OpenAPI document lists, the method in capitals.
pub async fn documented(api: &TestApp) -> BTreeSet<(String, String)> {
    let (status, doc) = api.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let paths = doc["paths"].as_object().expect("the document lists paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().expect("a path item is an object");
            ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
                .into_iter()
                .filter(|m| methods.contains_key(*m))
                .map(|m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}
