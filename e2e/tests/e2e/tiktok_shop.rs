//! TikTok Shop shops, connected through the marketplace's consent page, sync beside Tokopedia shops in
//! one fleet: status changes of old orders are seen, a revoked shop waits for its seller while the app's
//! other shops keep syncing, and Reconnect brings it back.

use ocean_core::{
    db::{accounts, catalog, reports},
    domain::{Account, AccountId},
};
use ocean_sim::SimConfig;
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, two_shops};

const CALLBACK: &str = "https://erp.example.com/tiktok-shop/callback";

/// The demo's TikTok Shop app with a second shop, both small and quick, beside the two Tokopedia shops.
pub(crate) fn world() -> SimConfig {
    let mut config = two_shops();
    let tts = &mut config.tiktok_shop;
    let mut second = tts.apps[0].shops[0].clone();
    second.shop_id = 7_494_000_000_000_067_890;
    second.name = "Fashion Store Jakarta".into();
    second.seed = 5;
    tts.apps[0].shops.push(second);
    for shop in tts.apps.iter_mut().flat_map(|a| &mut a.shops) {
        shop.products = 60;
        shop.orders = 120;
        shop.order_days = 20;
        shop.latency_ms = 0;
    }
    tts.rate_limit = ocean_sim::RateLimit {
        rate_per_sec: 1000.0,
        burst: 1000,
    };
    config
}

/// Starts a flow over the API and consents on the simulator's page as the seller's browser would: the
/// callback's `state` and `code`.
async fn consent(app: &TestApp, account: Option<AccountId>) -> (String, String) {
    consent_to(app, account, &[]).await
}

/// Like [`consent`], for a seller who holds only `shops` of the app (none given: every shop).
pub(crate) async fn consent_to(app: &TestApp, account: Option<AccountId>, shops: &[u64]) -> (String, String) {
    let body = json!({ "account_id": account.map(|a| a.0), "redirect_url": CALLBACK });
    let (status, started) = app.post("/api/integrations/tiktok-shop/authorizations", body).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let mut url = Url::parse(started["data"]["authorize_url"].as_str().expect("a consent URL")).expect("URL");
    if !shops.is_empty() {
        let held: Vec<String> = shops.iter().map(u64::to_string).collect();
        url.query_pairs_mut().append_pair("shop_id", &held.join(","));
    }
    let back = ocean_testkit::consent(url.as_str()).await;
    let param = |key| ocean_testkit::consent_param(&back, key);
    (param("state"), param("code"))
}

pub(crate) async fn finish(app: &TestApp, state: &str, code: &str) -> (StatusCode, Value) {
    let body = json!({ "state": state, "code": code });
    app.post("/api/integrations/tiktok-shop/authorizations/callback", body)
        .await
}

async fn tiktok_accounts(pool: &PgPool) -> Vec<Account> {
    accounts::list(pool, "tiktok-shop").await.expect("accounts")
}

async fn sync_now(app: &TestApp, id: AccountId) {
    let (status, body) = app
        .post(&format!("/api/integrations/tiktok-shop/accounts/{id}/sync"), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

async fn order_status(pool: &PgPool, id: AccountId, order: &str) -> Option<(String, String)> {
    sqlx::query_as(
        "SELECT status, marketplace_status FROM marketplace_orders WHERE account_id = $1 AND external_id = $2",
    )
    .bind(id)
    .bind(order)
    .fetch_optional(pool)
    .await
    .expect("order row")
}

async fn pending(pool: &PgPool, id: AccountId) -> i64 {
    let stats = reports::account_stats(pool, "tiktok-shop", Some(&[id]))
        .await
        .expect("stats");
    stats.first().map_or(0, |s| s.pending_orders)
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn shops_connected_by_consent_sync_follow_order_changes_and_come_back_after_revocation(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(world()).start().await;
    app.spawn_scheduler().await;
    app.spawn_worker().await;
    let tokopedia = app.connect_shop(0, "Main Store - Jakarta").await;
    let (status, body) = app
        .post(
            &format!("/api/integrations/tokopedia/accounts/{tokopedia}/sync"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    // Consent: one account per authorized shop; the state is spent.
    let (state, code) = consent(&app, None).await;
    let (status, connected) = finish(&app, &state, &code).await;
    assert_eq!(status, StatusCode::CREATED, "{connected}");
    assert_eq!(connected["data"].as_array().map(Vec::len), Some(2), "{connected}");
    let (status, reused) = finish(&app, &state, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a spent state is refused: {reused}");
    assert_eq!(tiktok_accounts(&pool).await.len(), 2, "a reused state creates nothing");

    let shops = &app.sim.config.tiktok_shop.apps[0].shops;
    let mut ids = Vec::new();
    for shop in shops {
        let account = accounts::find_by_identifier(&pool, "tiktok-shop", &format!("shop_{}", shop.shop_id))
            .await
            .unwrap()
            .expect("an account per shop");
        ids.push(account.id);
    }
    for (shop, &id) in shops.iter().zip(&ids) {
        let account = app.wait_for_outcome(id, 1, 0).await;
        assert_eq!(account.status, "active", "{:?}", account.last_error);
        let counts = catalog::counts(&pool, id).await.unwrap();
        let products = app.sim.sim.tiktok_shop().product_ids(shop.shop_id).len() as i64;
        assert_eq!(counts.products, products);
        assert!(counts.orders > 0);
    }
    assert_eq!(
        app.wait_for_outcome(tokopedia, 1, 0).await.status,
        "active",
        "side by side"
    );

    // An order awaiting shipment moves on in the marketplace; the next sync sees each step.
    let (shop, id) = (shops[0].shop_id, ids[0]);
    let controls = app.sim.sim.tiktok_shop();
    let order = controls
        .order_ids(shop)
        .into_iter()
        .find(|&o| {
            controls
                .order_state(shop, o)
                .is_some_and(|(s, _)| s == "AWAITING_SHIPMENT")
        })
        .expect("an order awaiting shipment");
    let before = pending(&pool, id).await;
    let mut syncs = 1;
    while let Some((status, _)) = controls.advance_order(shop, order) {
        sync_now(&app, id).await;
        syncs += 1;
        app.wait_for_outcome(id, syncs, 0).await;
        let stored = order_status(&pool, id, &order.to_string()).await.expect("stored");
        assert_eq!(stored.1, status, "the marketplace's status is stored");
        if status == "COMPLETED" {
            assert_eq!(stored.0, "completed");
            break;
        }
    }
    assert_eq!(pending(&pool, id).await, before - 1, "pending orders follow the change");

    // The seller revokes the first shop: it waits for them; the app's other shop keeps syncing.
    controls.revoke(shop, None);
    sync_now(&app, id).await;
    let revoked = ocean_testkit::wait_for(
        "the revoked shop to need reauthorization",
        std::time::Duration::from_secs(60),
        || async {
            let a = accounts::get(&pool, id).await.ok().flatten()?;
            (a.status == "needs_reauthorization").then_some(a)
        },
    )
    .await;
    assert!(revoked.paused_at.is_some(), "the scheduler leaves it alone");
    let other = accounts::get(&pool, ids[1]).await.unwrap().unwrap();
    sync_now(&app, ids[1]).await;
    let other = app.wait_for_outcome(ids[1], other.sync_count + 1, 0).await;
    assert_eq!(other.status, "active");

    // A Reconnect whose consent leaves the account's shop out renews nothing.
    let (state, code) = consent_to(&app, Some(id), &[shops[1].shop_id]).await;
    let (status, body) = finish(&app, &state, &code).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("did not include shop"), "{body}");
    let waiting = accounts::get(&pool, id).await.unwrap().unwrap();
    assert_eq!(waiting.status, "needs_reauthorization");

    // Reconnect: the seller consents again and the account syncs.
    let (state, code) = consent(&app, Some(id)).await;
    let (status, renewed) = finish(&app, &state, &code).await;
    assert_eq!(status, StatusCode::CREATED, "{renewed}");
    assert!(
        renewed["data"].as_array().unwrap().iter().all(|s| s["renewed"] == true),
        "{renewed}"
    );
    let back = ocean_testkit::wait_for(
        "the reconnected shop to sync",
        std::time::Duration::from_secs(60),
        || async {
            let a = accounts::get(&pool, id).await.ok().flatten()?;
            (a.status == "active" && a.sync_count > revoked.sync_count).then_some(a)
        },
    )
    .await;
    assert!(back.paused_at.is_none());
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_refused_consent_or_a_rejected_code_connects_nothing(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(world()).start().await;
    // Refused: the callback carries an error instead of a code.
    let (state, _) = consent(&app, None).await;
    let body = json!({ "state": state, "error": "access_denied" });
    let (status, refused) = app
        .post("/api/integrations/tiktok-shop/authorizations/callback", body)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    // A code the marketplace does not know.
    let (state, _) = consent(&app, None).await;
    let (status, rejected) = finish(&app, &state, "not-a-code").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rejected}");
    assert!(rejected.to_string().contains("rejected"), "{rejected}");
    // A state nobody issued.
    let (_, code) = consent(&app, None).await;
    assert_eq!(finish(&app, "forged", &code).await.0, StatusCode::BAD_REQUEST);
    assert!(tiktok_accounts(&pool).await.is_empty());
    // Form credentials are refused for a consent integration.
    let body = json!({ "account_name": "x", "credentials": { "fs_id": 1, "shop_id": 2, "client_id": "c", "client_secret": "s" } });
    let (status, form) = app.post("/api/integrations/tiktok-shop/accounts", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form}");
}

/// A sync finds the shop's access token expired (the marketplace expired it early) while another worker
/// holds the shop's refresh lock: it does not refresh too, but waits, and goes on with the tokens that
/// worker stored. One refresh per shop across the fleet.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_sync_waits_for_the_refresh_another_worker_holds_the_lock_for(pool: PgPool) {
    use ocean_core::{
        domain::{AccountCredentials, AccountSecrets},
        marketplace::{Marketplaces, TokopediaClient, coordination::Coordination, tiktok_shop},
    };

    let app = TestApp::builder(&pool).sim(world()).start().await;
    let (state, code) = consent(&app, None).await;
    assert_eq!(finish(&app, &state, &code).await.0, StatusCode::CREATED);
    let account = tiktok_accounts(&pool).await.remove(0);
    let coordination = Coordination::new(app.queue.connection(), app.queue.name(), app.keyring.clone());
    let adapter = tiktok_shop::Adapter::new(&app.sim.tiktok_shop_settings(), Some(coordination.clone()))
        .unwrap()
        .expect("the simulator's app");
    let fleet = Marketplaces::new(
        TokopediaClient::new(&app.sim.marketplace_settings()).unwrap(),
        Some(adapter.clone()),
    );
    let controls = app.sim.sim.tiktok_shop();
    let shop: u64 = account.credentials.0.shop_id().parse().unwrap();
    assert!(controls.expire_tokens(Some(shop), false) > 0);
    let (refreshes, calls) = (
        controls.stats().refreshes,
        controls.stats().requests.get("authorized-shops").copied(),
    );

    // Another worker is renewing this shop's tokens.
    let lock = format!("tiktok-shop:shop-tokens:{}", account.id);
    assert!(coordination.lock_token_refresh(&lock, "another-worker").await.unwrap());
    let session = fleet.open(&pool, &app.keyring, &account).await.expect("a session");
    let sync = tokio::spawn(async move { session.shop().await.map(|s| s.external_id) });
    ocean_testkit::wait_for(
        "the sync's call to meet the expired token",
        std::time::Duration::from_secs(30),
        || async { (controls.stats().requests.get("authorized-shops").copied() > calls).then_some(()) },
    )
    .await;

    // That worker's refresh, stored as the adapter stores it; then it lets go of the lock.
    let Some(AccountSecrets::TikTokShop { refresh_token, .. }) =
        ocean_core::db::accounts::secrets(&pool, &app.keyring, account.id)
            .await
            .unwrap()
    else {
        panic!("stored tokens");
    };
    let grant = adapter.client.refresh_token(&refresh_token).await.expect("a refresh");
    let AccountCredentials::TikTokShop(mut creds) = account.credentials.0.clone() else {
        panic!("TikTok Shop credentials");
    };
    creds.access_token_expires_at = grant.access_token_expires_at;
    creds.refresh_token_expires_at = grant.refresh_token_expires_at;
    let secrets = AccountSecrets::TikTokShop {
        access_token: grant.access_token,
        refresh_token: grant.refresh_token,
    };
    ocean_core::db::accounts::store_tokens(
        &pool,
        &app.keyring,
        account.id,
        &AccountCredentials::TikTokShop(creds),
        &secrets,
    )
    .await
    .unwrap();
    coordination.unlock_token_refresh(&lock).await.unwrap();

    assert_eq!(sync.await.unwrap().expect("shop info"), shop.to_string());
    assert_eq!(
        controls.stats().refreshes,
        refreshes + 1,
        "only the lock holder refreshed"
    );
}
