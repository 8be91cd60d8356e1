//! Console sessions over plain HTTP: sign-in and sign-out, cookies, CSRF and origin checks, the live list.

use reqwest::{StatusCode, header};
use sqlx::PgPool;

use super::{CONSOLE_ACCOUNTS, ConsoleClient, no_redirects};
use crate::helpers::{ACCOUNTS, ADMIN_TOKEN, TestApp};

async fn sync_requested(pool: &PgPool, id: i64) -> bool {
    sqlx::query_scalar("SELECT sync_requested_at IS NOT NULL FROM integration_accounts WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn sign_in_sets_an_http_only_same_site_session_that_sign_out_and_revocation_end(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let http = no_redirects();

    // Signed out, every page leads to the sign-in page, which leads back to it.
    let response = http
        .get(format!("{}/integrations/tokopedia/dashboard", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/sign-in?next=%2Fintegrations%2Ftokopedia%2Fdashboard"
    );
    let response = http
        .post(format!("{}/sign-in", api.url))
        .form(&[("token", ADMIN_TOKEN), ("next", "/integrations/tokopedia/dashboard")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()[header::LOCATION],
        "/integrations/tokopedia/dashboard"
    );

    // Only this console's own paths are followed after sign-in.
    for next in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example/",
        "/\n",
        "javascript:alert(1)",
    ] {
        let response = http
            .post(format!("{}/sign-in", api.url))
            .form(&[("token", ADMIN_TOKEN), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(response.headers()[header::LOCATION], "/", "{next:?}");
    }

    // A wrong token is refused on the page, with no session.
    let response = http
        .post(format!("{}/sign-in", api.url))
        .form(&[("token", "not-a-token"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    assert!(response.text().await.unwrap().contains("unknown or revoked"));

    // A good one opens a session in an HttpOnly, SameSite cookie (Secure behind a TLS proxy).
    sqlx::query("DELETE FROM console_sessions")
        .execute(&pool)
        .await
        .unwrap();
    let response = http
        .post(format!("{}/sign-in", api.url))
        .form(&[("token", ADMIN_TOKEN), ("next", "/")])
        .send()
        .await
        .unwrap();
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP: no Secure flag, or the browser drops the cookie"
    );
    let behind_tls = http
        .post(format!("{}/sign-in", api.url))
        .header("x-forwarded-proto", "https")
        .form(&[("token", ADMIN_TOKEN), ("next", "/")])
        .send()
        .await
        .unwrap();
    let tls_cookie = behind_tls.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(tls_cookie.contains("; Secure"), "{tls_cookie}");
    sqlx::query("DELETE FROM console_sessions WHERE created_at = (SELECT max(created_at) FROM console_sessions)")
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        !cookie.contains(ADMIN_TOKEN),
        "the cookie holds a session id, not the token"
    );
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT id_hash FROM console_sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    let session_id = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0].windows(session_id.len()).any(|w| w == session_id.as_bytes()),
        "only a digest of the session id is stored"
    );

    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let (status, page) = console.get("/integrations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Tokopedia") && page.contains("Not connected"), "{page}");

    // Sign-out ends the session on the server, not only in the browser.
    let csrf = console.csrf().await;
    let (status, location) = console.post("/sign-out", &[("_csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/sign-in?signed_out=1");
    let (status, _) = console.get("/integrations").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the old cookie no longer signs in");

    // Revoking the token ends the sessions opened with it.
    let (user, token) = api.create_user("revoked", false).await;
    let console = ConsoleClient::sign_in(&api, &token).await;
    assert_eq!(console.get("/integrations").await.0, StatusCode::OK);
    let (status, tokens) = api.get(&format!("/api/users/{user}/tokens")).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let token_id = tokens["data"][0]["id"].as_i64().unwrap();
    let (status, body) = api.delete(&format!("/api/users/{user}/tokens/{token_id}")).await;
    assert!(status.is_success(), "{body}");
    assert_eq!(console.get("/integrations").await.0, StatusCode::SEE_OTHER);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn every_console_post_refuses_a_missing_or_foreign_csrf_token(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main Store - Jakarta", 67890).await;
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let before = crate::helpers::dump_tables(&pool).await;
    let account = format!("{CONSOLE_ACCOUNTS}/{id}");
    for path in [
        "/sign-out".to_owned(),
        "/integrations/tokopedia/settings".to_owned(),
        "/integrations/tokopedia/sync-all".to_owned(),
        CONSOLE_ACCOUNTS.to_owned(),
        format!("{CONSOLE_ACCOUNTS}/test-connection"),
        account.clone(),
        format!("{account}/test"),
        format!("{account}/sync"),
        format!("{account}/resume"),
        format!("{account}/set-primary"),
        format!("{account}/remove"),
    ] {
        for fields in [vec![], vec![("_csrf", "forged")]] {
            let (status, page) = console.post(&path, &fields).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} with {fields:?}: {page}");
        }
    }
    assert_eq!(
        before,
        crate::helpers::dump_tables(&pool).await,
        "refused posts changed nothing"
    );
    assert_eq!(console.get("/integrations").await.0, StatusCode::OK, "still signed in");
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn posts_without_the_session_csrf_token_or_from_another_site_change_nothing(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main Store - Jakarta", 67890).await;
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let csrf = console.csrf().await;
    let sync = format!("{CONSOLE_ACCOUNTS}/{id}/sync");

    for fields in [vec![], vec![("_csrf", "forged")]] {
        let (status, page) = console.post(&sync, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        assert!(page.contains("did not come from this console"), "{page}");
    }
    // The right token from another site's page (a cross-site form post).
    let response = console
        .http
        .post(format!("{}{sync}", api.url))
        .header(header::COOKIE, &console.cookie)
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Another session's token does not fit this one.
    let other = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let other_csrf = other.csrf().await;
    assert_ne!(other_csrf, csrf);
    assert_eq!(
        console.post(&sync, &[("_csrf", &other_csrf)]).await.0,
        StatusCode::FORBIDDEN
    );
    assert!(!sync_requested(&pool, id).await, "no refused post requested a sync");

    let (status, location) = console.post(&sync, &[("_csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{CONSOLE_ACCOUNTS}?notice=sync"));
    assert!(sync_requested(&pool, id).await);
}

/// A copy of the database (a backup, a read replica, an SQL injection) must not hand out tokens that pass
/// the CSRF check: the token appears in no column of the session's row.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn the_csrf_token_is_not_stored(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main Store - Jakarta", 67890).await;
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let csrf = console.csrf().await;
    assert_eq!(
        console.csrf().await,
        csrf,
        "the same token on every page of the session"
    );

    let rows: Vec<String> = sqlx::query_scalar("SELECT s::text FROM console_sessions s")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].contains(&csrf), "the CSRF token is stored: {}", rows[0]);
    let hex: String = csrf.bytes().map(|b| format!("{b:02x}")).collect();
    assert!(
        !rows[0].contains(&hex),
        "the CSRF token is stored as bytes: {}",
        rows[0]
    );

    // The forms still work with it.
    let (status, location) = console
        .post(&format!("{CONSOLE_ACCOUNTS}/{id}/sync"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{CONSOLE_ACCOUNTS}?notice=sync"));
    assert!(sync_requested(&pool, id).await);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn the_live_list_answers_not_modified_until_an_account_changes(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main Store - Jakarta", 67890).await;
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let live = format!("{}{CONSOLE_ACCOUNTS}/live", api.url);
    let fetch = |etag: Option<String>| {
        let mut request = console
            .http
            .get(&live)
            .header(header::COOKIE, &console.cookie)
            .header("x-requested-with", "fetch");
        if let Some(etag) = etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        request.send()
    };
    let first = fetch(None).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert!(first.text().await.unwrap().contains("Waiting for first sync"));
    let (_, page) = console.get(CONSOLE_ACCOUNTS).await;
    assert!(
        page.contains(&format!("data-etag=\"{}\"", etag.replace('"', "&quot;"))),
        "the page carries the same tag"
    );

    let again = fetch(Some(etag.clone())).await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.text().await.unwrap().is_empty());

    let (status, body) = api.post(&format!("{ACCOUNTS}/{id}/sync"), serde_json::json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let changed = fetch(Some(etag.clone())).await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()[header::ETAG].to_str().unwrap(), etag);
    assert!(changed.text().await.unwrap().contains("sync queued"));

    // Signed out, the script gets a 401 (and reloads into the sign-in page), not a redirect.
    let signed_out = console
        .http
        .get(&live)
        .header("x-requested-with", "fetch")
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::UNAUTHORIZED);
}
