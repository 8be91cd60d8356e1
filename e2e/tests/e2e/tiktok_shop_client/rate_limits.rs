//! The client under the simulator's rate limits: a refusal and how it is classified, and the fleet-wide
//! adaptive limit (waiting refusals out, or handing them back when no retries are allowed).

use super::*;

/// One token in product detail's bucket and a refill far slower than any test: the first call of a
/// product's detail passes, the second is refused, and its error comes back.
async fn second_detail_refused(
    sim: &SimServer,
    client: &TikTokShopClient,
    shop: &ShopAuthorization,
) -> TikTokShopError {
    let tts = sim.sim.tiktok_shop();
    let limit = RateLimit {
        rate_per_sec: 0.0001,
        burst: 1,
    };
    assert!(tts.set_rate_limit(Some("product-detail"), limit));
    let product_id = tts.product_ids(SHOP)[0].to_string();
    client.product(shop, &product_id).await.expect("the bucket's one token");
    let err = client.product(shop, &product_id).await.expect_err("rate limited");
    assert_failure(&err, 36009002, ErrorClass::RateLimited);
    err
}

#[tokio::test]
async fn tiktok_shop_client_rate_limited() {
    let mut config = world();
    config.tiktok_shop.retry_after = true;
    let (sim, client, Connected { shop, .. }) = start_connected(config).await;
    let tts = sim.sim.tiktok_shop();
    let err = second_detail_refused(&sim, &client, &shop).await;
    assert!(matches!(err, TikTokShopError::Api { http_status: 429, .. }), "{err}");
    assert!(err.retry_after().is_some_and(|wait| wait.as_secs() >= 1), "{err:?}");
    assert_eq!(tts.stats().rate_limited.get("product-detail"), Some(&1));
    // The client leaves the wait to its caller: no retry behind its back.
    assert_eq!(tts.stats().requests.get("product-detail"), Some(&2));
}

/// The fleet's shared state on a Redis namespace of its own (deleted when the queue drops) and a client
/// keeping to its adaptive limit, allowed `max_429_retries` retries of a refusal.
async fn coordinated(
    sim: &SimServer,
    max_429_retries: u32,
) -> (ocean_testkit::TestQueue, Coordination, TikTokShopClient) {
    let queue = ocean_testkit::fresh_queue().await;
    let coordination = Coordination::new(queue.connection(), queue.name(), ocean_testkit::keyring());
    let settings = TikTokShopSettings {
        max_429_retries,
        ..settings(sim, APP_SECRET)
    };
    let client = TikTokShopClient::new(&settings)
        .expect("client")
        .with_coordination(coordination.clone());
    (queue, coordination, client)
}

/// The adaptive key of a shop's endpoint: the app, the shop's cipher and the endpoint's name.
fn adaptive_key(shop: &ShopAuthorization, endpoint: &str) -> AdaptiveKey {
    AdaptiveKey::new(APP_KEY, &shop.shop_cipher, endpoint)
}

#[tokio::test]
async fn tiktok_shop_client_waits_out_refusals_under_the_fleet_limit() {
    let mut config = world();
    config.tiktok_shop.retry_after = true;
    for shop in config.tiktok_shop.apps.iter_mut().flat_map(|app| &mut app.shops) {
        shop.products = 1500;
    }
    let sim = SimServer::start(config).await;
    let (_queue, coordination, client) = coordinated(&sim, 5).await;
    let Connected { shop, .. } = connect(&sim, &client).await;
    let tts = sim.sim.tiktok_shop();

    // Far below the ceiling the fleet starts from: the search's 15 pages run into refusals.
    let limit = RateLimit {
        rate_per_sec: 5.0,
        burst: 5,
    };
    assert!(tts.set_rate_limit(Some("product-search"), limit));
    let products = client
        .all_products(&shop, &ProductFilter::default())
        .await
        .expect("every page, despite refusals");
    let ids: BTreeSet<String> = products.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids.len(), products.len(), "no product twice");
    let world_ids: BTreeSet<String> = tts.product_ids(SHOP).iter().map(u64::to_string).collect();
    assert_eq!(ids, world_ids);

    let refused = tts.stats().rate_limited.get("product-search").copied().unwrap_or(0);
    assert!(refused >= 1, "the limit refused some pages");
    let policy = settings(&sim, APP_SECRET).adaptive.policy();
    let rate = coordination
        .adaptive_rate(&adaptive_key(&shop, "product-search"), &policy)
        .await
        .expect("the learnt rate");
    assert!(rate < policy.ceiling, "the fleet lowered the rate: {rate}");
}

#[tokio::test]
async fn tiktok_shop_client_without_429_retries_returns_the_refusal() {
    let (sim, _, Connected { shop, .. }) = start_connected(world()).await;
    let (_queue, coordination, client) = coordinated(&sim, 0).await;
    let tts = sim.sim.tiktok_shop();
    second_detail_refused(&sim, &client, &shop).await;
    // Returned at once, without a retry: two requests, one refused.
    assert_eq!(tts.stats().requests.get("product-detail"), Some(&2));
    assert_eq!(tts.stats().rate_limited.get("product-detail"), Some(&1));

    let policy = settings(&sim, APP_SECRET).adaptive.policy();
    let rate = coordination
        .adaptive_rate(&adaptive_key(&shop, "product-detail"), &policy)
        .await
        .expect("the learnt rate");
    assert_eq!(rate, policy.ceiling * policy.decrease, "one decrease");
}
