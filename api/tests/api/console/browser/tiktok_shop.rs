//! Connecting a TikTok Shop shop from the console: "Connect TikTok Shop" goes to the marketplace's consent
//! page, which sends the browser back with a code; the shop's account turns Active with products and
//! orders. A refused consent, a rejected code and a reused state each end on a page that says nothing was
//! connected, and create nothing.
//!
//! The app's redirect URL points at a recorder, standing in for the seller's browser being handed back:
//! the test reads `state` and `code` there and opens the console's callback with them, or with a code the
//! marketplace never issued.

use std::sync::{Arc, Mutex};

use axum::{Router, extract::RawQuery, routing::get};
use sqlx::PgPool;

use super::driver::Browser;
use crate::helpers::{ADMIN_TOKEN, TestApp};

/// The last query string the consent page sent back.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Option<String>>>);

impl Recorder {
    async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/callback", listener.local_addr().unwrap());
        let seen = self.clone();
        let app = Router::new().route(
            "/callback",
            get(move |RawQuery(query): RawQuery| async move {
                *seen.0.lock().unwrap() = query;
                "handed back"
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    fn take(&self) -> String {
        self.0
            .lock()
            .unwrap()
            .take()
            .expect("the consent page sent the browser back")
    }
}

async fn tiktok_accounts(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM integration_accounts WHERE integration_id = 'tiktok-shop'")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Presses "Connect TikTok Shop" and returns what the consent page handed back.
async fn consent(b: &Browser, recorder: &Recorder) -> String {
    b.open("/integrations").await;
    b.press("section[aria-labelledby='tiktok-shop-title']", "Connect TikTok Shop")
        .await;
    b.wait_for_text("body", "handed back").await;
    recorder.take()
}

/// The query's value for `key`.
fn param(query: &str, key: &str) -> String {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("`{key}` in {query}"))
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_seller_connects_a_tiktok_shop_shop_through_the_consent_page(pool: PgPool) {
    let recorder = Recorder::default();
    let redirect = recorder.serve().await;
    let api = TestApp::builder(&pool)
        .tiktok_shop_redirect_url(&redirect)
        .start()
        .await;
    api.spawn_scheduler().await;
    api.spawn_worker().await;
    let controls = api.sim.sim.tiktok_shop();
    // The demo world throttles like the marketplace; this walk needs no throttle.
    controls.set_rate_limit(
        None,
        ocean_sim::RateLimit {
            rate_per_sec: 1000.0,
            burst: 1000,
        },
    );
    let mut b = Browser::start(&api.url, "tiktok-shop").await;
    b.open("/").await;
    b.type_into("#token", ADMIN_TOKEN).await;
    b.click("form[action='/sign-in'] button").await;
    assert_eq!(b.text("#tiktok-shop-status").await, "Not connected");
    b.screenshot("integrations-two-cards").await;

    // The seller refuses.
    controls.refuse_consent(None, true);
    let refused = consent(&b, &recorder).await;
    controls.refuse_consent(None, false);
    b.open(&format!("/integrations/tiktok-shop/callback?{refused}")).await;
    b.wait_for_text("p.alert", "did not consent").await;
    b.screenshot("consent-refused").await;

    // A code the marketplace never issued.
    let handed = consent(&b, &recorder).await;
    let state = param(&handed, "state");
    b.open(&format!(
        "/integrations/tiktok-shop/callback?state={state}&code=not-a-code"
    ))
    .await;
    b.wait_for_text("p.alert", "rejected").await;
    b.screenshot("code-rejected").await;
    assert_eq!(tiktok_accounts(&pool).await, 0, "nothing was connected");

    // Consent: the shop's account appears and syncs.
    let handed = consent(&b, &recorder).await;
    b.open(&format!("/integrations/tiktok-shop/callback?{handed}")).await;
    b.wait_for_text("#connected-shops", "new account").await;
    b.screenshot("shop-connected").await;
    assert!(b.text("#connected-shops").await.contains("Fashion Store Bandung"));
    // The first sync runs at once (the live refresh itself is the merchant walk's to check).
    ocean_testkit::wait_for(
        "the connected shop's first sync",
        std::time::Duration::from_secs(60),
        || async {
            let status: String =
                sqlx::query_scalar("SELECT status FROM integration_accounts WHERE integration_id = 'tiktok-shop'")
                    .fetch_one(&pool)
                    .await
                    .ok()?;
            (status == "active").then_some(())
        },
    )
    .await;
    b.open("/integrations/tiktok-shop/accounts").await;
    assert!(b.text("article.account .state").await.contains("Active"));
    b.screenshot("tiktok-shop-account").await;
    let (products, orders): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM marketplace_products), (SELECT count(*) FROM marketplace_orders)")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        products > 0 && orders > 0,
        "synced {products} products and {orders} orders"
    );
    b.open("/integrations").await;
    assert_eq!(b.text("#tiktok-shop-status").await, "Active");

    // The same callback again: the state is spent.
    b.open(&format!("/integrations/tiktok-shop/callback?{handed}")).await;
    b.wait_for_text("p.alert", "already used").await;
    assert_eq!(tiktok_accounts(&pool).await, 1, "a reused state creates nothing");
}
