//! Guessing tokens: wrong bearer tokens and console sign-ins are throttled per client address, while
//! tokens already in use from that address keep working. A revoked bootstrap token stays revoked.

use reqwest::{Method, StatusCode, header};
use sqlx::PgPool;

use crate::{
    console::no_redirects,
    helpers::{ADMIN_TOKEN, TestApp},
};

/// Wrong guesses an address may make per window before it is throttled (the default budget).
const BUDGET: usize = 10;

/// Sends a bearer request and returns its status, `Retry-After` and body.
async fn bearer(api: &TestApp, token: &str) -> (StatusCode, Option<u64>, serde_json::Value) {
    let response = api
        .http
        .get(format!("{}/api/users/me", api.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("api reachable");
    let status = response.status();
    let retry_after = retry_after(response.headers());
    (status, retry_after, response.json().await.unwrap_or_default())
}

async fn sign_in(api: &TestApp, token: &str) -> (StatusCode, Option<u64>, String) {
    let response = no_redirects()
        .post(format!("{}/sign-in", api.url))
        .form(&[("token", token), ("next", "/integrations")])
        .send()
        .await
        .expect("console reachable");
    let status = response.status();
    let retry_after = retry_after(response.headers());
    (status, retry_after, response.text().await.unwrap_or_default())
}

fn retry_after(headers: &header::HeaderMap) -> Option<u64> {
    headers
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().parse().expect("Retry-After in seconds"))
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn wrong_bearer_tokens_are_throttled_per_address_after_the_budget(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    // Requests without a token are no guesses and spend nothing.
    for _ in 0..2 * BUDGET {
        let (status, _) = api.send(Method::GET, "/api/users/me", None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    for i in 0..BUDGET {
        let (status, retry, _) = bearer(&api, &format!("wrong-token-{i}")).await;
        assert_eq!((status, retry), (StatusCode::UNAUTHORIZED, None), "guess {i}");
    }

    let (status, retry, body) = bearer(&api, "wrong-token-over-budget").await;

    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(matches!(retry, Some(1..=60)), "Retry-After {retry:?}");
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "too_many_requests", "{body}");
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_token_in_use_from_a_throttled_address_is_still_served(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (_, fresh_token) = api.create_user("newcomer", false).await;
    let (status, _, _) = bearer(&api, ADMIN_TOKEN).await;
    assert_eq!(status, StatusCode::OK);

    // A guessing attack from the same address as the valid caller.
    let guesses = {
        let (url, http) = (format!("{}/api/users/me", api.url), api.http.clone());
        tokio::spawn(async move {
            let mut answers = Vec::new();
            for i in 0..2000 {
                let response = http.get(&url).bearer_auth(format!("guess-{i}")).send().await.unwrap();
                answers.push(response.status());
            }
            answers
        })
    };
    let mut tries = 0;
    while bearer(&api, "wrong").await.0 != StatusCode::TOO_MANY_REQUESTS {
        tries += 1;
        assert!(tries < 100, "the address is never throttled");
    }
    for _ in 0..50 {
        let (status, retry, body) = bearer(&api, ADMIN_TOKEN).await;
        assert_eq!((status, retry), (StatusCode::OK, None), "{body}");
    }
    let answers = guesses.await.unwrap();

    let refused = answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(refused >= answers.len() - BUDGET, "only {refused} guesses refused");
    // A token never used from the throttled address waits like a guess: letting it through would tell a
    // guesser which of their guesses was right.
    let (status, retry, _) = bearer(&api, &fresh_token).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some());
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn console_sign_in_is_throttled_but_a_token_in_use_still_signs_in(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (status, _, page) = sign_in(&api, ADMIN_TOKEN).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    for i in 0..BUDGET {
        let (status, retry, _) = sign_in(&api, &format!("wrong-token-{i}")).await;
        assert_eq!((status, retry), (StatusCode::UNAUTHORIZED, None), "guess {i}");
    }

    let (status, retry, page) = sign_in(&api, "wrong-token-over-budget").await;

    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{page}");
    assert!(matches!(retry, Some(1..=60)), "Retry-After {retry:?}");
    assert!(page.contains("Too many"), "{page}");
    let (status, _, page) = sign_in(&api, ADMIN_TOKEN).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    // Bearer guesses and sign-ins spend one budget.
    assert_eq!(bearer(&api, "wrong").await.0, StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_revoked_bootstrap_token_stays_revoked_after_a_restart(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (status, me) = api.get("/api/users/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let admin_id = me["data"]["id"].as_i64().unwrap();
    let (_, tokens) = api.get(&format!("/api/users/{admin_id}/tokens")).await;
    let bootstrap = tokens["data"][0]["id"].as_i64().unwrap();
    let (status, body) = api.delete(&format!("/api/users/{admin_id}/tokens/{bootstrap}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // What every start of the api does with OCEAN_ADMIN_TOKEN.
    ocean_core::db::users::ensure_admin(&pool, "admin", ADMIN_TOKEN)
        .await
        .expect("ensure admin");

    let (status, body) = api.get("/api/users/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}
