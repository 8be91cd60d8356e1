//! Hostile input at the edges: NUL characters, header-breaking form fields, bytes that are not UTF-8 in a
//! path and oversized bodies. Each gets a clear 4xx in the usual shape (JSON on `/api`, a page in the
//! console), never a 5xx, and nothing is stored.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    console::{CONSOLE_ACCOUNTS, ConsoleClient},
    helpers::{ACCOUNTS, ADMIN_TOKEN, TestApp, account_body, fields},
};

/// A 4xx in the API's error envelope.
fn assert_envelope(status: StatusCode, body: &Value, context: &str) {
    assert!(status.is_client_error(), "{context}: {status} {body}");
    assert_eq!(body["success"], false, "{context}: {body}");
    assert!(body["error"]["code"].is_string(), "{context}: {body}");
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn nul_characters_in_text_are_refused_by_field_name(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main Store - Jakarta", 67890).await;
    let (user, _) = api.create_user("ann", false).await;
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let before = crate::helpers::dump_tables(&pool).await;

    let (status, body) = api
        .post("/api/users", json!({ "username": "bob", "display_name": "Bob\u{0}" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["display_name"]);

    let (status, body) = api
        .post(&format!("/api/users/{user}/tokens"), json!({ "name": "ci\u{0}" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["name"]);

    for (case, metadata) in [
        ("key", json!({ "note\u{0}": "x" })),
        ("value", json!({ "note": "a\u{0}b" })),
        ("nested", json!({ "a": { "b": ["ok", "\u{0}"] } })),
    ] {
        let mut create = account_body("Surabaya Branch", 12346);
        create["metadata"] = metadata.clone();
        let (status, body) = api.post(ACCOUNTS, create).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "create, {case}: {body}");
        assert_eq!(fields(&body), ["metadata"], "create, {case}");

        let (status, body) = api
            .put(&format!("{ACCOUNTS}/{id}"), json!({ "metadata": metadata }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "update, {case}: {body}");
        assert_eq!(fields(&body), ["metadata"], "update, {case}");
    }

    let mut create = account_body("Shop\u{0}", 12346);
    create["credentials"]["client_id"] = json!("client\u{0}");
    let (status, body) = api.post(ACCOUNTS, create).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["account_name", "credentials.client_id"]);

    // A NUL in a path id is named like any other bad field.
    for path in [
        "/api/integrations/%00".to_owned(),
        "/api/integrations/%00/accounts".to_owned(),
        format!("/api/integrations/%00/accounts/{id}"),
        "/api/integrations/tokopedia%00/accounts".to_owned(),
    ] {
        let (status, body) = api.get(&path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(fields(&body), ["integration_id"], "{path}");
    }
    let (status, body) = api.put("/api/integrations/%00", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = api.get(&format!("{ACCOUNTS}/{id}%00")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["id"]);

    // In the console such a page does not exist.
    for path in [
        "/integrations/%00/accounts".to_owned(),
        "/integrations/%00/dashboard".to_owned(),
        "/integrations/%00/settings".to_owned(),
        format!("/integrations/%00/accounts/{id}"),
    ] {
        let (status, page) = console.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {page}");
        assert!(page.contains("<html"), "{path}: an HTML page: {page}");
    }

    assert_eq!(
        before,
        crate::helpers::dump_tables(&pool).await,
        "refused requests stored nothing"
    );
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn console_actions_with_a_bad_back_field_return_to_the_account_list(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let first = api.create_account("Main Store - Jakarta", 67890).await;
    let second = api.create_account("Surabaya Branch", 12346).await;
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let csrf = console.csrf().await;
    let detail = format!("{CONSOLE_ACCOUNTS}/{first}");
    let injected = format!("{detail}\r\nSet-Cookie: ocean_session=stolen");

    for (action, account, notice) in [
        ("sync", first, "sync"),
        ("resume", first, "resumed"),
        ("set-primary", second, "primary"),
    ] {
        let path = format!("{CONSOLE_ACCOUNTS}/{account}/{action}");
        for bad in [
            injected.as_str(),
            "/integrations/tokopedia/accounts/\n",
            "/integrations/tokopedia/accounts/1\u{0}",
            "/integrations/tokopedia/accounts/../../sign-out",
            "/integrations/tokopedia/accounts/\\\\evil.example",
        ] {
            let response = console
                .http
                .post(format!("{}{path}", api.url))
                .header(header::COOKIE, &console.cookie)
                .form(&[("_csrf", csrf.as_str()), ("_back", bad)])
                .send()
                .await
                .expect("console reachable");
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{action} with {bad:?}");
            assert!(
                response.headers().get(header::SET_COOKIE).is_none(),
                "{action}: no header from the form"
            );
            assert_eq!(
                response.headers()[header::LOCATION],
                format!("{CONSOLE_ACCOUNTS}?notice={notice}").as_str(),
                "{action} with {bad:?}"
            );
        }
        // A page of the console is still where the action returns.
        let (status, location) = console.post(&path, &[("_csrf", &csrf), ("_back", &detail)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{action}");
        assert_eq!(location, format!("{detail}?notice={notice}"));
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn bytes_that_are_not_utf8_in_a_path_answer_in_the_usual_shape(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    for (path, field) in [
        (format!("{ACCOUNTS}/%FF"), "id"),
        (format!("{ACCOUNTS}/%C3%28/stats"), "id"),
        ("/api/integrations/%FF/accounts".to_owned(), "integration_id"),
        ("/api/users/%FF/tokens".to_owned(), "id"),
    ] {
        let (status, body) = api.get(&path).await;
        assert_envelope(status, &body, &path);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(fields(&body), [field], "{path}");
    }

    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    for path in [
        format!("{CONSOLE_ACCOUNTS}/%FF"),
        "/integrations/%FF/dashboard".to_owned(),
    ] {
        let response = console
            .http
            .get(format!("{}{path}", api.url))
            .header(header::COOKIE, &console.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_body_over_the_limit_answers_413(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let mut create = account_body("Main Store - Jakarta", 67890);
    create["metadata"] = json!({ "note": "x".repeat(3 * 1024 * 1024) });
    for path in [ACCOUNTS.to_owned(), "/api/users".to_owned()] {
        let response = api
            .http
            .post(format!("{}{path}", api.url))
            .bearer_auth(ADMIN_TOKEN)
            .json(&create)
            .send()
            .await
            .expect("an answer, not a reset connection");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("2 MB"), "the message names the limit: {message}");
    }
    let (status, _) = api.get(ACCOUNTS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM integration_accounts")
            .fetch_one(&pool)
            .await
            .unwrap(),
        0
    );
}
