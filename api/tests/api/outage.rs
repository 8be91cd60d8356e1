//! Postgres going away and coming back, through a proxy the test cuts.

use ocean_testkit::proxy::TcpProxy;
use reqwest::{StatusCode, header::RETRY_AFTER};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ACCOUNTS, ADMIN_TOKEN, TestApp};

/// The test's database, reached through `proxy`.
fn url_through(proxy: &TcpProxy, pool: &PgPool) -> String {
    let mut url = reqwest::Url::parse(&ocean_testkit::database_url_for(pool)).expect("a database URL");
    let address = proxy.addr();
    let (host, port) = address.rsplit_once(':').expect("host:port");
    url.set_host(Some(host)).expect("a host");
    url.set_port(Some(port.parse().expect("a port"))).expect("a port");
    url.to_string()
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn sync_now_answers_503_with_retry_after_while_postgres_is_down(pool: PgPool) {
    let options = pool.connect_options();
    let proxy = TcpProxy::start(&format!("{}:{}", options.get_host(), options.get_port())).await;
    let api = TestApp::builder(&pool)
        .database_url(url_through(&proxy, &pool))
        .start()
        .await;
    let id = api.create_account("Outage Shop", 1).await;
    let sync = format!("{ACCOUNTS}/{id}/sync");

    proxy.cut().await;
    let response = api
        .http
        .post(format!("{}{sync}", api.url))
        .bearer_auth(ADMIN_TOKEN)
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
}
