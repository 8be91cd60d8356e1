//! Postgres going away and coming back, through a proxy the test cuts.

use std::time::Duration;

use ocean_testkit::proxy::TcpProxy;
use reqwest::{StatusCode, header::RETRY_AFTER};
use serde_json::{Value, json};
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::helpers::{ACCOUNTS, ADMIN, TestApi};

/// A pool on the test's database that reaches Postgres through `proxy`. A short acquire timeout: while
/// the proxy is cut, a call must fail within seconds rather than hang the test.
async fn pool_through(proxy: &TcpProxy, pool: &PgPool) -> PgPool {
    let (host, port) = proxy
        .addr()
        .rsplit_once(':')
        .map(|(h, p)| (h.to_owned(), p.to_owned()))
        .unwrap();
    let options = (*pool.connect_options())
        .clone()
        .host(&host)
        .port(port.parse().unwrap());
    PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(options)
        .await
        .expect("connect through the proxy")
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn sync_now_answers_503_with_retry_after_while_postgres_is_down(pool: PgPool) {
    let options = pool.connect_options();
    let proxy = TcpProxy::start(&format!("{}:{}", options.get_host(), options.get_port())).await;
    let proxied = pool_through(&proxy, &pool).await;
    let api = TestApi::start(&proxied).await;
    let id = api.create_account("Outage Shop", 1).await;
    let sync = format!("{ACCOUNTS}/{id}/sync");

    proxy.cut().await;
    let response = api
        .http
        .post(format!("{}{sync}", api.url))
        .bearer_auth(ADMIN)
        .json(&json!({}))
        .send()
        .await
        .expect("the api answers while Postgres is down");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after = response.headers().get(RETRY_AFTER).expect("a Retry-After header");
    assert!(retry_after.to_str().unwrap().parse::<u64>().unwrap() > 0);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
    // Any call that needs the database answers the same.
    let (status, body) = api.get(ACCOUNTS).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "database_unavailable", "{body}");

    proxy.restore();
    let (status, body) = api.post(&sync, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    api.stop().await;
    proxied.close().await;
}
