//! The production TikTok Shop client against the simulator, over HTTP: consent and tokens, the authorized
//! shop and its cipher, products and per-warehouse stock, orders by update time, and how failures are
//! classified. No database: these tests only need the simulator.
//!
//! The simulator's world clock is frozen and moved by the tests, so token expiries and order updates are
//! exact and nothing depends on how fast the machine is.

mod rate_limits;

use std::collections::BTreeSet;

use ocean_core::config::Validate;
use ocean_core::marketplace::adaptive::AdaptiveKey;
use ocean_core::marketplace::coordination::Coordination;
use ocean_core::marketplace::tiktok_shop::types::{
    OrderStatus, ProductFilter, ProductPage, SkuInventory, TokenGrant, WarehouseStock,
};
use ocean_core::marketplace::tiktok_shop::{
    ErrorClass, ShopAuthorization, TikTokShopClient, TikTokShopError, TikTokShopSettings,
};
use ocean_sim::{RateLimit, SimConfig};
use ocean_testkit::SimServer;
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};

const APP_KEY: &str = "6demotiktokapp";
const APP_SECRET: &str = "demo-tiktok-secret";
const SERVICE_ID: &str = "7312000000000000001";
/// The demo's one shop, stocked in two warehouses.
const SHOP: u64 = 7_494_000_000_000_054_321;
const CALLBACK: &str = "http://127.0.0.1:9/tiktok-shop/callback";
/// Order ids per order detail request, small so a few dozen ids take several requests.
const DETAIL_BATCH: usize = 7;

/// The demo world with a frozen clock, no latency and limits no functional call reaches.
fn world() -> SimConfig {
    let mut config = SimConfig::demo();
    let tts = &mut config.tiktok_shop;
    tts.frozen_clock = true;
    tts.rate_limit = RateLimit {
        rate_per_sec: 1000.0,
        burst: 1000,
    };
    for shop in tts.apps.iter_mut().flat_map(|app| &mut app.shops) {
        shop.latency_ms = 0;
    }
    config
}

fn settings(sim: &SimServer, app_secret: &str) -> TikTokShopSettings {
    let settings = TikTokShopSettings {
        app_key: APP_KEY.into(),
        app_secret: SecretString::from(app_secret.to_owned()),
        retries: 0,
        order_detail_batch: DETAIL_BATCH,
        max_429_retries: 5,
        ..sim.tiktok_shop_settings()
    };
    assert!(settings.problems().is_empty(), "{:?}", settings.problems());
    settings
}

fn client(sim: &SimServer) -> TikTokShopClient {
    TikTokShopClient::new(&settings(sim, APP_SECRET)).expect("client")
}

/// Follows the consent page as a browser would, without following the redirect: the callback URL.
async fn consent(sim: &SimServer, state: &str) -> Url {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    let response = http
        .get(format!("{}/tiktok-shop/auth/open/authorize", sim.base_url))
        .query(&[("service_id", SERVICE_ID), ("state", state), ("redirect_uri", CALLBACK)])
        .send()
        .await
        .expect("consent page");
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().expect("ascii location");
    Url::parse(location).expect("callback URL")
}

fn query_value(url: &Url, key: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// A code from the consent page, checked to come back with the caller's `state`.
async fn auth_code(sim: &SimServer) -> SecretString {
    let callback = consent(sim, "connect-42").await;
    assert!(callback.as_str().starts_with(CALLBACK), "{callback}");
    assert_eq!(query_value(&callback, "state").as_deref(), Some("connect-42"));
    SecretString::from(query_value(&callback, "code").expect("a code"))
}

/// A consented shop: its tokens and what calls for it carry.
struct Connected {
    grant: TokenGrant,
    shop: ShopAuthorization,
}

async fn connect(sim: &SimServer, client: &TikTokShopClient) -> Connected {
    let grant = client.exchange_code(&auth_code(sim).await).await.expect("tokens");
    let shops = client
        .authorized_shops(&grant.access_token)
        .await
        .expect("authorized shops");
    let [shop] = <[_; 1]>::try_from(shops).expect("one authorized shop");
    assert_eq!(shop.id, SHOP.to_string());
    let shop = ShopAuthorization {
        access_token: grant.access_token.clone(),
        shop_cipher: shop.cipher,
    };
    Connected { grant, shop }
}

/// New stock of one SKU: `(warehouse id, quantity)` per warehouse.
fn sku_stock(sku_id: &str, rows: &[(&str, i64)]) -> SkuInventory {
    let inventory = rows.iter().map(|&(warehouse_id, quantity)| WarehouseStock {
        warehouse_id: warehouse_id.to_owned(),
        quantity,
    });
    SkuInventory {
        id: sku_id.to_owned(),
        inventory: inventory.collect(),
    }
}

/// A simulator of `config`, the client pointed at it, and the demo shop connected through it.
async fn start_connected(config: SimConfig) -> (SimServer, TikTokShopClient, Connected) {
    let sim = SimServer::start(config).await;
    let client = client(&sim);
    let connected = connect(&sim, &client).await;
    (sim, client, connected)
}

/// The first page of every product: a call for the shop.
async fn first_products(client: &TikTokShopClient, shop: &ShopAuthorization) -> Result<ProductPage, TikTokShopError> {
    client.products_page(shop, &ProductFilter::default(), None).await
}

#[track_caller]
fn assert_failure(err: &TikTokShopError, code: i64, class: ErrorClass) {
    assert_eq!((err.code(), err.class()), (Some(code), class), "{err}");
}

#[tokio::test]
async fn tiktok_shop_client_consent_code_exchange_and_refresh() {
    let sim = SimServer::start(world()).await;
    let tts = sim.sim.tiktok_shop();
    let lifetimes = &sim.config.tiktok_shop;
    let client = client(&sim);

    let code = auth_code(&sim).await;
    let issued_at = tts.now();
    let grant = client.exchange_code(&code).await.expect("tokens for the code");
    // Expiries are absolute instants, in the future of both the world clock and the wall clock.
    let access_ttl = i64::try_from(lifetimes.access_token_ttl_secs).expect("ttl");
    let refresh_ttl = i64::try_from(lifetimes.refresh_token_ttl_secs).expect("ttl");
    assert_eq!(grant.access_token_expires_at.timestamp(), issued_at + access_ttl);
    assert_eq!(grant.refresh_token_expires_at.timestamp(), issued_at + refresh_ttl);
    assert!(grant.access_token_expires_at > chrono::Utc::now());
    assert_eq!(grant.seller_base_region, "ID");
    client
        .authorized_shops(&grant.access_token)
        .await
        .expect("the token works");

    // A code is single use: only a new consent brings tokens.
    let again = client.exchange_code(&code).await.expect_err("a spent code");
    assert_failure(&again, 36004004, ErrorClass::NeedsReauthorization);

    // An hour later: a refresh hands out a later expiry and, rotating, a new refresh token.
    let refreshed_at = tts.advance_clock(3_600);
    let refreshed = client.refresh_token(&grant.refresh_token).await.expect("refreshed");
    assert_eq!(refreshed.access_token_expires_at.timestamp(), refreshed_at + access_ttl);
    assert!(refreshed.access_token_expires_at > grant.access_token_expires_at);
    assert_ne!(
        refreshed.refresh_token.expose_secret(),
        grant.refresh_token.expose_secret()
    );
    client
        .authorized_shops(&refreshed.access_token)
        .await
        .expect("the new token works");
    let stale = client
        .refresh_token(&grant.refresh_token)
        .await
        .expect_err("a retired refresh token");
    assert_failure(&stale, 36004004, ErrorClass::NeedsReauthorization);
    client
        .refresh_token(&refreshed.refresh_token)
        .await
        .expect("the rotated token refreshes");
    assert_eq!(tts.stats().refreshes, 2);
}

#[tokio::test]
async fn tiktok_shop_client_products_and_per_warehouse_stock() {
    let (sim, client, Connected { shop, .. }) = start_connected(world()).await;
    let tts = sim.sim.tiktok_shop();
    assert_eq!(Some(&shop.shop_cipher), tts.cipher(SHOP).as_ref());

    // Every product exactly once, over several pages.
    let products = client
        .all_products(&shop, &ProductFilter::default())
        .await
        .expect("products");
    let ids: Vec<String> = products.iter().map(|p| p.id.clone()).collect();
    let world_ids: Vec<String> = tts.product_ids(SHOP).iter().map(u64::to_string).collect();
    assert!(world_ids.len() > 100, "more than one page");
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len(), "no product twice");
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>(),
        world_ids.iter().collect::<BTreeSet<_>>()
    );
    let first_page = first_products(&client, &shop).await.expect("a page");
    assert_eq!(first_page.total_count, world_ids.len() as u64);

    // One product's detail, its stock per warehouse as the world holds it.
    let product_id = ids[0].clone();
    let product = client.product(&shop, &product_id).await.expect("product detail");
    assert_eq!(product.id, product_id);
    let [sku] = <[_; 1]>::try_from(product.skus).expect("one SKU");
    let stock = |q: &[(u64, u32)]| -> Vec<WarehouseStock> {
        q.iter()
            .map(|&(warehouse, quantity)| WarehouseStock {
                warehouse_id: warehouse.to_string(),
                quantity: i64::from(quantity),
            })
            .collect()
    };
    let numeric_id = product_id.parse().expect("numeric id");
    assert_eq!(sku.inventory, stock(&tts.stock(SHOP, numeric_id)));

    let warehouses = client.warehouses(&shop).await.expect("warehouses");
    let [first, second] = <[_; 2]>::try_from(warehouses).expect("two warehouses");

    // Absolute quantities, one per warehouse, land in the world and in the inventory search.
    let update = [sku_stock(&sku.id, &[(&first.id, 7), (&second.id, 3)])];
    let written = client
        .update_inventory(&shop, &product_id, &update)
        .await
        .expect("stock written");
    assert!(written.errors.is_empty(), "{:?}", written.errors);
    let expected = vec![(first.id.parse().expect("id"), 7), (second.id.parse().expect("id"), 3)];
    assert_eq!(tts.stock(SHOP, numeric_id), expected);
    let levels = client
        .inventory(&shop, std::slice::from_ref(&product_id))
        .await
        .expect("inventory");
    let [level] = <[_; 1]>::try_from(levels).expect("one product");
    assert_eq!(level.product_id, product_id);
    let sku_level = &level.skus[0];
    assert_eq!(sku_level.id, sku.id);
    assert_eq!(sku_level.total_available_quantity, Some(10));
    let per_warehouse: Vec<(String, i64)> = sku_level
        .warehouse_inventory
        .iter()
        .map(|w| (w.warehouse_id.clone(), w.available_quantity))
        .collect();
    assert_eq!(per_warehouse, vec![(first.id.clone(), 7), (second.id.clone(), 3)]);

    // Leaving out a warehouse of a multi-warehouse SKU is refused, and nothing changes.
    let partial = [sku_stock(&sku.id, &[(&first.id, 1)])];
    let refused = client
        .update_inventory(&shop, &product_id, &partial)
        .await
        .expect_err("a warehouse left out");
    assert_failure(&refused, 12019028, ErrorClass::Permanent);
    assert_eq!(tts.stock(SHOP, numeric_id), expected);
}

#[tokio::test]
async fn tiktok_shop_client_orders_by_update_time() {
    let (sim, client, Connected { shop, .. }) = start_connected(world()).await;
    let tts = sim.sim.tiktok_shop();

    // A first pass up to now sees every order of the shop once, as it stands.
    let first_end = tts.now() + 1;
    let orders = client.orders_updated(&shop, (0, first_end)).await.expect("first pass");
    let world_ids: BTreeSet<String> = tts.order_ids(SHOP).iter().map(u64::to_string).collect();
    assert!(world_ids.len() > 100, "more than one page");
    let ids: BTreeSet<String> = orders.iter().map(|o| o.id.clone()).collect();
    assert_eq!(ids.len(), orders.len(), "no order twice");
    assert_eq!(ids, world_ids);
    assert!(
        orders.windows(2).all(|w| w[0].update_time <= w[1].update_time),
        "oldest update first"
    );
    for order in &orders {
        let id = order.id.parse().expect("numeric id");
        let (status, updated) = tts.order_state(SHOP, id).expect("an order of the world");
        assert_eq!((order.status.as_str(), order.update_time), (status.as_str(), updated));
    }

    // A minute later an order moves on; the pass over the later window returns it with its new status.
    let moved_at = tts.advance_clock(60);
    let (moved, (status, updated)) = tts
        .order_ids(SHOP)
        .into_iter()
        .rev()
        .find_map(|id| Some((id, tts.advance_order(SHOP, id)?)))
        .expect("an order with a status left to reach");
    assert_eq!(updated, moved_at);
    let second_end = moved_at + 1;
    let later = client
        .orders_updated(&shop, (first_end, second_end))
        .await
        .expect("second pass");
    let later_ids: BTreeSet<u64> = later.iter().map(|o| o.id.parse().expect("numeric id")).collect();
    assert_eq!(later_ids.len(), later.len(), "no order twice");
    assert_eq!(
        later_ids,
        tts.orders_updated(SHOP, first_end, second_end).into_iter().collect()
    );
    let seen = later
        .iter()
        .find(|o| o.id == moved.to_string())
        .expect("the moved order in the later window");
    assert_eq!(seen.status, OrderStatus::from(status.clone()));
    assert_eq!(seen.update_time, moved_at);
    assert!(orders.iter().any(|o| o.id == seen.id && o.status != seen.status));

    // Details of a list of ids, asked in batches, return every one of them.
    let wanted: Vec<String> = orders.iter().take(3 * DETAIL_BATCH + 2).map(|o| o.id.clone()).collect();
    let before = tts.stats().requests.get("order-detail").copied().unwrap_or_default();
    let details = client.order_details(&shop, &wanted).await.expect("order details");
    let detailed: Vec<String> = details.iter().map(|o| o.id.clone()).collect();
    assert_eq!(detailed, wanted);
    let requests = tts.stats().requests.get("order-detail").copied().unwrap_or_default() - before;
    assert_eq!(requests, 4, "batches of {DETAIL_BATCH}");
}

#[tokio::test]
async fn tiktok_shop_client_revoked_shop_needs_reauthorization() {
    let (sim, client, Connected { grant, shop }) = start_connected(world()).await;
    let tts = sim.sim.tiktok_shop();

    assert_eq!(tts.revoke(SHOP, Some(APP_KEY)), 1);
    let err = first_products(&client, &shop).await.expect_err("revoked");
    assert_failure(&err, 105001, ErrorClass::NeedsReauthorization);
    let err = client.authorized_shops(&grant.access_token).await.expect_err("revoked");
    assert_failure(&err, 105001, ErrorClass::NeedsReauthorization);
    let err = client.refresh_token(&grant.refresh_token).await.expect_err("revoked");
    assert_failure(&err, 105001, ErrorClass::NeedsReauthorization);
}

#[tokio::test]
async fn tiktok_shop_client_expired_token_then_refresh() {
    let (sim, client, Connected { grant, shop }) = start_connected(world()).await;
    let tts = sim.sim.tiktok_shop();

    assert_eq!(tts.expire_tokens(Some(SHOP), false), 1);
    let err = first_products(&client, &shop).await.expect_err("expired");
    assert_failure(&err, 105002, ErrorClass::TokenExpired);

    // What the class says to do: refresh once, and the call goes through.
    let refreshed = client.refresh_token(&grant.refresh_token).await.expect("refreshed");
    let shop = ShopAuthorization {
        access_token: refreshed.access_token,
        ..shop
    };
    first_products(&client, &shop).await.expect("the refreshed token works");

    // Once the world passes the access token's expiry, the same answer.
    let lifetime = sim.config.tiktok_shop.access_token_ttl_secs;
    tts.advance_clock(lifetime);
    let err = client.warehouses(&shop).await.expect_err("expired by time");
    assert_failure(&err, 105002, ErrorClass::TokenExpired);

    // A refresh token past its expiry: the authorization has lapsed and the seller must consent again.
    assert!(tts.expire_tokens(Some(SHOP), true) > 0);
    let err = client
        .refresh_token(&grant.refresh_token)
        .await
        .expect_err("refresh token expired");
    assert_failure(&err, 36004004, ErrorClass::NeedsReauthorization);
}

#[tokio::test]
async fn tiktok_shop_client_bad_app_secret() {
    let (sim, _, Connected { grant, shop }) = start_connected(world()).await;
    let wrong = TikTokShopClient::new(&settings(&sim, "not-the-secret")).expect("client");

    // Signed with the wrong secret: the signature does not verify.
    let err = wrong.authorized_shops(&grant.access_token).await.expect_err("bad sign");
    assert_failure(&err, 106001, ErrorClass::Permanent);
    let err = first_products(&wrong, &shop).await.expect_err("bad sign");
    assert_failure(&err, 106001, ErrorClass::Permanent);
    // The token endpoints check the secret itself.
    let err = wrong.refresh_token(&grant.refresh_token).await.expect_err("bad secret");
    assert_failure(&err, 36009004, ErrorClass::Permanent);
}
