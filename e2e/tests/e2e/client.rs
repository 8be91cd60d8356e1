//! The production Tokopedia client against the simulator: paging, order windows, the token cache,
//! renewal on 401, waiting out 429s, and typed errors.

use ocean_core::marketplace::{
    AppCredentials, MarketplaceError, TokopediaClient, client::PRODUCTS_PER_PAGE, order_windows,
};
use ocean_sim::{RateLimit, SimConfig};
use ocean_testkit::SimServer;
use secrecy::SecretString;

fn app(sim: &SimServer) -> (AppCredentials, u64) {
    let app = &sim.config.apps[0];
    let creds = AppCredentials {
        fs_id: app.fs_id,
        client_id: app.client_id.clone(),
        client_secret: SecretString::from(app.client_secret.clone()),
    };
    (creds, app.shops[0].shop_id)
}

async fn demo_sim() -> SimServer {
    let mut config = SimConfig::demo();
    config.rate_limit = RateLimit {
        rate_per_sec: 1000.0,
        burst: 1000,
    };
    for shop in config.apps.iter_mut().flat_map(|a| a.shops.iter_mut()) {
        shop.latency_ms = 0;
    }
    SimServer::start(config).await
}

#[tokio::test]
async fn products_are_paged_until_a_short_page_and_one_token_serves_every_call() {
    let sim = demo_sim().await;
    let client = TokopediaClient::new(&sim.marketplace_settings()).unwrap();
    let (creds, shop_id) = app(&sim);
    let products = client.all_products(&creds, shop_id).await.unwrap();
    let expected = sim.sim.products(shop_id);
    assert_eq!(products.len(), expected.len());
    assert!(
        expected.len() % PRODUCTS_PER_PAGE as usize != 0,
        "the catalog ends on a short page"
    );
    let mut ids: Vec<u64> = products.iter().map(|p| p.item.basic.product_id).collect();
    ids.dedup();
    assert_eq!(ids.len(), expected.len(), "no product twice");
    // Some products carry `Name` instead of `name`; all decoded with their name.
    assert!(products.iter().all(|p| !p.item.basic.name.is_empty()));
    assert!(products.iter().any(|p| p.raw["basic"].get("Name").is_some()));
    assert_eq!(sim.sim.stats().token_grants, 1, "the token is cached");
}

#[tokio::test]
async fn thirty_days_of_orders_arrive_through_windows_under_three_days() {
    let sim = demo_sim().await;
    let client = TokopediaClient::new(&sim.marketplace_settings()).unwrap();
    let (creds, shop_id) = app(&sim);
    let now = sim.sim.anchor() + 60;
    let mut seen = std::collections::BTreeSet::new();
    for window in order_windows(now - 31 * 86_400, now) {
        for order in client.window_orders(&creds, shop_id, window).await.unwrap() {
            assert_eq!(order.item.fs_id, creds.fs_id, "fs_id arrives as a string and decodes");
            seen.insert(order.item.order_id);
        }
    }
    assert_eq!(seen.len(), sim.sim.orders(shop_id).len());
    assert_eq!(sim.sim.stats().rate_limited.values().sum::<u64>(), 0);
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_the_call_succeeds() {
    let sim = demo_sim().await;
    let client = TokopediaClient::new(&sim.marketplace_settings()).unwrap();
    let (creds, shop_id) = app(&sim);
    client.shop_info(&creds, shop_id).await.unwrap();
    sim.sim.expire_tokens();
    let shops = client.shop_info(&creds, shop_id).await.unwrap();
    assert_eq!(shops[0].shop_id, shop_id);
    assert_eq!(sim.sim.stats().tokens_issued, 2);
}

#[tokio::test]
async fn rate_limited_calls_wait_and_then_succeed() {
    let sim = demo_sim().await;
    // No burst and one request per second: each page comes right after the one before, long before the
    // bucket has a token again (a page takes milliseconds, even on a loaded machine), so every page after
    // the first is refused once whatever the machine's speed.
    assert!(sim.sim.set_rate_limit(
        Some("product-info"),
        RateLimit {
            rate_per_sec: 1.0,
            burst: 1
        }
    ));
    let client = TokopediaClient::new(&sim.marketplace_settings()).unwrap();
    let (creds, shop_id) = app(&sim);
    let products = client.all_products(&creds, shop_id).await.unwrap();
    let expected = sim.sim.products(shop_id).len();
    assert_eq!(products.len(), expected);
    // Pages until a short one. A client that waits the header's time gets each refused page on its first
    // retry: at most one 429 per page after the first (fewer only if the machine stalled a whole second
    // between two pages).
    let pages = expected / PRODUCTS_PER_PAGE as usize + 1;
    assert!(pages > 2, "the shop must have several pages");
    let limited = sim.sim.stats().rate_limited.get("product-info").copied().unwrap_or(0);
    assert!(
        (1..pages as u64).contains(&limited),
        "{limited} refusals over {pages} pages"
    );
}

#[tokio::test]
async fn bad_credentials_and_unlinked_shops_are_permanent_typed_errors() {
    let sim = demo_sim().await;
    let client = TokopediaClient::new(&sim.marketplace_settings()).unwrap();
    let (mut creds, shop_id) = app(&sim);
    let other_shop = sim.config.apps[1].shops[0].shop_id;
    let err = client.shop_info(&creds, other_shop).await.unwrap_err();
    assert!(
        matches!(&err, MarketplaceError::Api { http_status: 403, error_code, .. } if error_code == "RBAC_MDLW_001"),
        "{err:?}"
    );
    assert!(!err.is_transient());

    creds.client_secret = SecretString::from("wrong".to_owned());
    let client = TokopediaClient::new(&sim.marketplace_settings()).unwrap();
    let err = client.shop_info(&creds, shop_id).await.unwrap_err();
    assert!(matches!(err, MarketplaceError::InvalidCredentials), "{err:?}");
    assert!(!err.is_transient());

    sim.sim.set_failure_rate(shop_id, 1.0);
    let (creds, _) = app(&sim);
    let err = client.shop_info(&creds, shop_id).await.unwrap_err();
    assert_eq!(err.error_code(), Some("ORD_API_006"));
    assert!(err.is_transient(), "upstream failures are worth retrying");
}

#[tokio::test]
async fn after_a_429_the_client_waits_the_announced_time_before_the_next_call() {
    let sim = demo_sim().await;
    // One request per second: every immediate follow-up is refused with Reset-After ≈ 1 s (long next to a
    // page's own handling, so the count below holds on a loaded machine too).
    assert!(sim.sim.set_rate_limit(
        Some("product-info"),
        RateLimit {
            rate_per_sec: 1.0,
            burst: 1
        }
    ));
    let client = TokopediaClient::new(&sim.marketplace_settings()).unwrap();
    let (creds, shop_id) = app(&sim);
    let pages = 3;
    for page in 1..=pages {
        let items = client
            .products_page(&creds, shop_id, page, PRODUCTS_PER_PAGE)
            .await
            .unwrap();
        assert_eq!(items.len(), PRODUCTS_PER_PAGE as usize);
    }
    // A client that retried at once would be refused again and again; one that waits the header's time
    // gets through on its first retry: exactly one 429 per page after the first.
    let limited = sim.sim.stats().rate_limited.get("product-info").copied().unwrap_or(0);
    assert_eq!(limited, u64::from(pages) - 1);
}
