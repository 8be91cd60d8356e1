//! First contact: authentication, probes, creation, validation, sync requests.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{ACCOUNTS, ADMIN_TOKEN, SECRET, TestApp, account_body as account, fields};

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn every_api_route_requires_a_valid_bearer_token(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    for token in [None, Some("not-a-real-token")] {
        let (status, body) = api.send(reqwest::Method::GET, ACCOUNTS, token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["code"], "unauthorized");
        let (status, _) = api
            .send(reqwest::Method::POST, &format!("{ACCOUNTS}/sync-all"), token, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn health_probes_answer(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (status, _) = api.send(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api.send(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "postgres": "ok", "redis": "ok" }));
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn create_reports_every_bad_field_by_name(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (status, body) = api.post(ACCOUNTS, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "validation_failed");
    let mut got = fields(&body);
    got.sort();
    assert_eq!(
        got,
        [
            "account_name",
            "credentials.client_id",
            "credentials.client_secret",
            "credentials.fs_id",
            "credentials.shop_id"
        ]
    );

    let mut bad = account("Shop", 1);
    bad["sync_interval_minutes"] = json!(0);
    bad["features"] = json!(["product_management", "teleportation"]);
    bad["credentials"]["fs_id"] = json!("12a");
    let (status, body) = api.post(ACCOUNTS, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&body),
        ["credentials.fs_id", "sync_interval_minutes", "features"]
    );

    let mut wrong_type = account("Shop", 1);
    wrong_type["sync_interval_minutes"] = json!("soon");
    let (status, body) = api.post(ACCOUNTS, wrong_type).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["sync_interval_minutes"]);

    let response = api
        .http
        .post(format!("{}{ACCOUNTS}", api.url))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn created_accounts_are_listed_without_secrets_and_the_first_is_primary(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (status, first) = api.post(ACCOUNTS, account("Main Store - Jakarta", 67890)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let first = &first["data"];
    assert_eq!(first["account_identifier"], "shop_67890");
    assert_eq!(first["is_primary"], true);
    assert_eq!(first["status"], "pending");
    assert_eq!(
        first["credentials"],
        json!({ "fs_id": 12345, "shop_id": 67890, "client_id": "client-abc", "client_secret_set": true })
    );
    let (status, second) = api.post(ACCOUNTS, account("Surabaya Branch", 12346)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(second["data"]["is_primary"], false);

    let (status, duplicate) = api.post(ACCOUNTS, account("Again", 67890)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(duplicate["error"]["code"], "account_exists");

    let (status, list) = api.get(ACCOUNTS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["success"], true);
    assert_eq!(list["data"]["accounts"].as_array().unwrap().len(), 2);
    assert_eq!(list["data"]["summary"]["total_accounts"], 2);

    // At rest: no plaintext secret in any column.
    let dump: String = sqlx::query_scalar(
        "SELECT string_agg(row_to_json(a)::text || encode(coalesce(secret_ciphertext, ''), 'escape'), ' ') FROM integration_accounts a",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!dump.contains(SECRET), "the client secret is stored in plain text");
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn unknown_things_are_404_and_bad_ids_422(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (status, body) = api.get("/api/integrations/shopee/accounts").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"]["message"].as_str().unwrap().contains("shopee"));
    assert_eq!(api.get(&format!("{ACCOUNTS}/999")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.post(&format!("{ACCOUNTS}/999/sync"), json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = api.get(&format!("{ACCOUNTS}/abc")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["id"]);
    assert_eq!(api.get("/api/nothing-here").await.0, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn sync_now_records_the_request_and_enqueues_it_once(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (_, created) = api.post(ACCOUNTS, account("Main", 67890)).await;
    let id = created["data"]["id"].as_i64().unwrap();
    for _ in 0..3 {
        let (status, body) = api.post(&format!("{ACCOUNTS}/{id}/sync"), json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    assert_eq!(
        api.queue.depth().await.unwrap(),
        1,
        "clicks on a pending request enqueue it once"
    );
    let requested: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT sync_requested_at FROM integration_accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(requested.is_some(), "the request is recorded in Postgres before Redis");

    let (status, body) = api.post(&format!("{ACCOUNTS}/sync-all"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body["data"]["queued"], 1);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_disabled_account_refuses_sync_with_a_reason(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let mut disabled = account("Paused", 5);
    disabled["enabled"] = json!(false);
    let (status, created) = api.post(ACCOUNTS, disabled).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["data"]["status"], "inactive");
    let id = created["data"]["id"].as_i64().unwrap();
    let (status, body) = api.post(&format!("{ACCOUNTS}/{id}/sync"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "account_disabled");
    assert_eq!(api.queue.depth().await.unwrap(), 0);
}
