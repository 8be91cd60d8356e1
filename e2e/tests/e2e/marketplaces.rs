//! The marketplaces the sync-engine cases run against, one fixture per adapter: the simulated world, how a
//! shop connects (Tokopedia: the account form; TikTok Shop: the consent page), what the simulator holds for
//! a shop, and how to make it fail. A case is one `async fn(Adapter, PgPool)`; [`both_marketplaces!`] gives
//! it a `#[sqlx::test]` per marketplace.
//!
//! A TikTok Shop connection asks for its shop's first sync itself, and no worker runs yet when a case
//! connects. So a case connects its shops, sets their faults and asks for the first sync before it starts
//! its workers: the case's request then joins the connection's and one sync serves both, as one sync serves
//! a Tokopedia shop's first request.

use chrono::Utc;
use ocean_core::{
    db::{accounts, leases},
    domain::AccountId,
    marketplace::{Marketplace, order_windows},
};
use ocean_sim::SimConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, two_shops};
use crate::tiktok_shop;

/// What `TestApp::connect_shop` turns on for a Tokopedia shop; TikTok Shop accounts get the same.
const FEATURES: [&str; 4] = ["product_management", "order_management", "shop_info", "logistics"];

/// A marketplace adapter under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    Tokopedia,
    TikTokShop,
}

/// What [`Adapter::orders_arrive`] did at the marketplace since the last sync.
#[derive(Debug)]
pub struct News {
    /// Orders the next sync must add.
    pub added: i64,
    /// Orders already synced that moved on: (external id, marketplace status now).
    pub changed: Vec<(String, String)>,
}

impl Adapter {
    fn marketplace(self) -> Marketplace {
        match self {
            Self::Tokopedia => Marketplace::Tokopedia,
            Self::TikTokShop => Marketplace::TikTokShop,
        }
    }

    /// `/api/integrations/{integration}/accounts`.
    pub fn accounts(self) -> String {
        format!("/api/integrations/{}/accounts", self.marketplace().id())
    }

    /// `/api/integrations/{integration}/accounts/{id}`.
    pub fn account(self, id: AccountId) -> String {
        format!("{}/{id}", self.accounts())
    }

    /// Two shops, small enough to sync in well under a second. TikTok Shop's world clock stands still
    /// unless a case moves it, so what the simulator holds does not change while a case runs.
    pub fn world(self) -> SimConfig {
        match self {
            Self::Tokopedia => two_shops(),
            Self::TikTokShop => {
                let mut config = tiktok_shop::world();
                config.tiktok_shop.frozen_clock = true;
                config
            }
        }
    }

    /// Every call for shop `n` waits `ms` before it is answered.
    pub fn set_latency(self, config: &mut SimConfig, n: usize, ms: u64) {
        match self {
            Self::Tokopedia => config.apps[n].shops[0].latency_ms = ms,
            Self::TikTokShop => config.tiktok_shop.apps[0].shops[n].latency_ms = ms,
        }
    }

    /// Shop `n`'s order history spans the last `days`.
    pub fn set_order_days(self, config: &mut SimConfig, n: usize, days: u32) {
        match self {
            Self::Tokopedia => config.apps[n].shops[0].order_days = days,
            Self::TikTokShop => config.tiktok_shop.apps[0].shops[n].order_days = days,
        }
    }

    /// The marketplace's id of shop `n`: the first shop of Tokopedia app `n`, shop `n` of the TikTok Shop app.
    pub fn shop_id(self, app: &TestApp, n: usize) -> u64 {
        match self {
            Self::Tokopedia => app.sim.config.apps[n].shops[0].shop_id,
            Self::TikTokShop => app.sim.config.tiktok_shop.apps[0].shops[n].shop_id,
        }
    }

    /// Connects shops `0..count` as the global admin, with [`FEATURES`] and no automatic syncs; their
    /// accounts in shop order. See the module header for the first sync a TikTok Shop connection asks for.
    pub async fn connect(self, app: &TestApp, count: usize) -> Vec<AccountId> {
        match self {
            Self::Tokopedia => {
                let mut ids = Vec::new();
                for (n, name) in ["Main Store - Jakarta", "Surabaya Branch"]
                    .into_iter()
                    .enumerate()
                    .take(count)
                {
                    ids.push(app.connect_shop(n, name).await);
                }
                ids
            }
            Self::TikTokShop => {
                let shops: Vec<u64> = (0..count).map(|n| self.shop_id(app, n)).collect();
                let (state, code) = tiktok_shop::consent_to(app, None, &shops).await;
                let (status, connected) = tiktok_shop::finish(app, &state, &code).await;
                assert_eq!(status, StatusCode::CREATED, "{connected}");
                let mut ids = Vec::new();
                for shop in shops {
                    let identifier = format!("shop_{shop}");
                    let account = accounts::find_by_identifier(&app.pool, self.marketplace().id(), &identifier)
                        .await
                        .expect("account lookup")
                        .expect("an account per consented shop");
                    let settings = json!({ "auto_sync": false, "features": FEATURES });
                    let (status, body) = app.put(&self.account(account.id), settings).await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    ids.push(account.id);
                }
                ids
            }
        }
    }

    /// Products and orders the simulator holds for shop `n` now.
    pub fn expected(self, app: &TestApp, n: usize) -> (i64, i64) {
        let shop = self.shop_id(app, n);
        let sim = &app.sim.sim;
        let (products, orders) = match self {
            Self::Tokopedia => (sim.products(shop).len(), sim.orders(shop).len()),
            Self::TikTokShop => {
                let controls = sim.tiktok_shop();
                (controls.product_ids(shop).len(), controls.order_ids(shop).len())
            }
        };
        (products as i64, orders as i64)
    }

    /// The trigger the first sync of a freshly connected shop records when a case asked for it with `asked`:
    /// a TikTok Shop connection's own request (a manual one) was waiting, and a later request joins it.
    pub fn first_trigger(self, asked: &'static str) -> &'static str {
        match self {
            Self::Tokopedia => asked,
            Self::TikTokShop => "manual",
        }
    }

    /// Checks that the logistics stream stored the shop's couriers (Tokopedia) or warehouses (TikTok Shop).
    pub fn assert_logistics(self, metadata: &Value) {
        let (list, name) = match self {
            Self::Tokopedia => ("couriers", "shipper_name"),
            Self::TikTokShop => ("warehouses", "name"),
        };
        let stored = metadata["logistics"][list].as_array().cloned().unwrap_or_default();
        assert!(
            !stored.is_empty() && stored[0][name].is_string(),
            "logistics stream stored: {metadata}"
        );
    }

    /// Every call for shop `n` fails with the marketplace's internal error.
    pub fn fail_every_call(self, app: &TestApp, n: usize) {
        let shop = self.shop_id(app, n);
        let known = match self {
            Self::Tokopedia => app.sim.sim.set_failure_rate(shop, 1.0),
            Self::TikTokShop => app.sim.sim.tiktok_shop().set_failure_rate(shop, 1.0),
        };
        assert!(known, "shop {shop} is in the simulator");
    }

    /// Shop `n`'s order list answers `calls` more calls (one per window of a few orders), then fails with
    /// the marketplace's internal error until [`Adapter::end_outages`].
    pub fn fail_orders_after(self, app: &TestApp, n: usize, calls: u64) {
        let shop = self.shop_id(app, n);
        match self {
            Self::Tokopedia => app.sim.sim.fail_endpoint_after(shop, "order-list", calls),
            Self::TikTokShop => assert!(
                app.sim
                    .sim
                    .tiktok_shop()
                    .fail_endpoint_after(shop, "order-search", calls)
            ),
        }
    }

    pub fn end_outages(self, app: &TestApp) {
        match self {
            Self::Tokopedia => app.sim.sim.end_outages(),
            Self::TikTokShop => app.sim.sim.tiktok_shop().end_outages(),
        }
    }

    /// Order-list calls the simulator has answered so far.
    pub fn order_list_calls(self, app: &TestApp) -> u64 {
        let (requests, endpoint) = match self {
            Self::Tokopedia => (app.sim.sim.stats().requests, "order-list"),
            Self::TikTokShop => (app.sim.sim.tiktok_shop().stats().requests, "order-search"),
        };
        requests.get(endpoint).copied().unwrap_or(0)
    }

    /// What `last_error` names after the marketplace's internal errors.
    pub fn internal_error(self) -> &'static str {
        match self {
            Self::Tokopedia => "ORD_API_006",
            Self::TikTokShop => "36009003",
        }
    }

    /// Most order windows a sync reads after [`Adapter::orders_arrive`]. TikTok Shop finds orders by their
    /// last change: one window from the cursor. Tokopedia lists them by creation only, so a sync reads
    /// again from its oldest order of the status horizon that can still change (a week by default).
    pub fn incremental_windows(self) -> i64 {
        match self {
            Self::Tokopedia => {
                let horizon = i64::from(ocean_testkit::worker_settings().order_status_horizon_days) * 86_400;
                order_windows(0, horizon).len() as i64
            }
            Self::TikTokShop => 1,
        }
    }

    /// Makes account `id` (of shop `n`) fail for good until [`Adapter::repair`]. Tokopedia: the account's
    /// client secret is replaced by one the marketplace rejects. TikTok Shop: the app loses a scope the
    /// shop's endpoints need (105005).
    pub async fn break_for_good(self, app: &TestApp, n: usize, id: AccountId) {
        match self {
            Self::Tokopedia => {
                let (status, body) = app
                    .put(&self.account(id), tokopedia_credentials(app, n, "revoked-secret"))
                    .await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
            Self::TikTokShop => {
                let shop = self.shop_id(app, n);
                assert_eq!(app.sim.sim.tiktok_shop().withdraw_scope(shop, None), 1);
            }
        }
    }

    /// What `last_error` says after [`Adapter::break_for_good`].
    pub fn permanent_error(self) -> &'static str {
        match self {
            Self::Tokopedia => "rejected the app credentials",
            Self::TikTokShop => "105005",
        }
    }

    /// Calls that met the error of [`Adapter::break_for_good`] so far: token requests (Tokopedia), product
    /// searches (TikTok Shop, whose first shop call of a sync is one).
    pub fn permanent_attempts(self, app: &TestApp) -> u64 {
        let (requests, endpoint) = match self {
            Self::Tokopedia => (app.sim.sim.stats().requests, "token"),
            Self::TikTokShop => (app.sim.sim.tiktok_shop().stats().requests, "product-search"),
        };
        requests.get(endpoint).copied().unwrap_or(0)
    }

    /// A person answers [`Adapter::break_for_good`]: the right client secret is typed in (Tokopedia), the
    /// seller consents again and the new grant has every scope (TikTok Shop).
    pub async fn repair(self, app: &TestApp, n: usize, id: AccountId) {
        let (status, body) = match self {
            Self::Tokopedia => {
                let secret = app.sim.config.apps[n].client_secret.clone();
                app.put(&self.account(id), tokopedia_credentials(app, n, &secret)).await
            }
            Self::TikTokShop => {
                let shop = self.shop_id(app, n);
                let (state, code) = tiktok_shop::consent_to(app, Some(id), &[shop]).await;
                tiktok_shop::finish(app, &state, &code).await
            }
        };
        assert!(status.is_success(), "{body}");
    }

    /// Orders come in and change at shop 0 after account `id`'s last sync. TikTok Shop: the world clock
    /// catches up with the wall clock, three buyers order, and two synced orders move on. Tokopedia: an
    /// open order is finished; and as its simulated history is fixed when it starts (nothing arrives
    /// later), the last day stands in for new orders: our copy of them goes and the orders cursor moves
    /// back a day, to before they came.
    pub async fn orders_arrive(self, app: &TestApp, id: AccountId) -> News {
        match self {
            Self::Tokopedia => tokopedia_news(app, self.shop_id(app, 0), id).await,
            Self::TikTokShop => {
                let shop = self.shop_id(app, 0);
                let controls = app.sim.sim.tiktok_shop();
                let synced = controls.order_ids(shop);
                // A second short of the wall clock: a sync starting within this second still sees them.
                let behind = Utc::now().timestamp() - 1 - controls.now();
                controls.advance_clock(u64::try_from(behind).unwrap_or(0));
                for _ in 0..3 {
                    controls.place_order(shop).expect("an order still to arrive");
                }
                let added = controls.order_ids(shop).len() - synced.len();
                let mut changed = Vec::new();
                for order in synced.into_iter().rev() {
                    if changed.len() == 2 {
                        break;
                    }
                    if let Some((status, _)) = controls.advance_order(shop, order) {
                        changed.push((order.to_string(), status));
                    }
                }
                News {
                    added: added as i64,
                    changed,
                }
            }
        }
    }
}

impl Adapter {
    /// One shop connected and synced once by a worker that keeps running: the app, the account and the
    /// path that asks for its next sync.
    pub async fn synced_shop(self, pool: &sqlx::PgPool) -> (TestApp, AccountId, String) {
        let app = TestApp::builder(pool).sim(self.world()).start().await;
        let id = self.connect(&app, 1).await[0];
        let sync = format!("{}/sync", self.account(id));
        assert_eq!(app.post(&sync, json!({})).await.0, 202);
        app.spawn_worker().await;
        app.wait_for_outcome(id, 1, 0).await;
        (app, id, sync)
    }

    /// Moves `order` (a stored order of shop 0 awaiting shipment) one step on at the marketplace, as the
    /// seller and the courier would: shipped, then completed. Returns its new status as the marketplace
    /// spells it, `None` once it is completed.
    pub fn move_order_on(self, app: &TestApp, order: &str) -> Option<String> {
        let (shop, id) = (self.shop_id(app, 0), order.parse::<u64>().expect("a numeric order id"));
        match self {
            Self::Tokopedia => {
                let stored = app.sim.sim.orders(shop).into_iter().find(|o| o.order_id == id)?;
                // 400 accepted → 500 shipped → 700 finished.
                let next = match stored.order_status {
                    ..500 => 500,
                    500..700 => 700,
                    _ => return None,
                };
                assert!(app.sim.sim.set_order_status(shop, id, next));
                Some(next.to_string())
            }
            Self::TikTokShop => {
                let controls = app.sim.sim.tiktok_shop();
                // The frozen world clock catches up with the wall clock, so the change falls in the window
                // the next sync reads.
                let behind = Utc::now().timestamp() - 1 - controls.now();
                controls.advance_clock(u64::try_from(behind).unwrap_or(0));
                let (status, _) = controls.order_state(shop, id)?;
                if status == "COMPLETED" {
                    return None;
                }
                controls.advance_order(shop, id).map(|(status, _)| status)
            }
        }
    }
}

/// A Tokopedia account update with shop `n`'s credentials and `secret`.
fn tokopedia_credentials(app: &TestApp, n: usize, secret: &str) -> Value {
    let creds = &app.sim.config.apps[n];
    json!({ "credentials": { "fs_id": creds.fs_id, "shop_id": creds.shops[0].shop_id,
                             "client_id": creds.client_id, "client_secret": secret } })
}

/// [`Adapter::orders_arrive`] for Tokopedia: the newest open order created before the last day is
/// finished (700), then our copy of the orders created since a day before the account's orders cursor
/// goes and the cursor moves back there.
async fn tokopedia_news(app: &TestApp, shop: u64, id: AccountId) -> News {
    let pool = &app.pool;
    let cursor = leases::orders_cursor(pool, id)
        .await
        .unwrap()
        .expect("a synced account");
    let since = cursor - chrono::Duration::days(1);
    let open: String = sqlx::query_scalar(
        r#"SELECT external_id FROM marketplace_orders
           WHERE account_id = $1 AND order_created_at < $2 AND order_created_at > now() - interval '6 days'
             AND status NOT IN ('completed', 'cancelled')
           ORDER BY order_created_at DESC LIMIT 1"#,
    )
    .bind(id)
    .bind(since)
    .fetch_one(pool)
    .await
    .expect("an open order of the last days");
    assert!(app.sim.sim.set_order_status(shop, open.parse().unwrap(), 700));
    let forgotten = sqlx::query("DELETE FROM marketplace_orders WHERE account_id = $1 AND order_created_at >= $2")
        .bind(id)
        .bind(since)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected();
    sqlx::query("UPDATE integration_accounts SET orders_cursor = $2 WHERE id = $1")
        .bind(id)
        .bind(since)
        .execute(pool)
        .await
        .unwrap();
    News {
        added: forgotten as i64,
        changed: vec![(open, "700".into())],
    }
}

/// `both_marketplaces!(case)`: a module named like the async fn `case(Adapter, PgPool)` with one
/// `#[sqlx::test]` per marketplace, `case::tokopedia` and `case::tiktok_shop`.
macro_rules! both_marketplaces {
    ($case:ident) => {
        mod $case {
            #[sqlx::test(migrator = "ocean_core::MIGRATOR")]
            async fn tokopedia(pool: sqlx::PgPool) {
                super::$case($crate::marketplaces::Adapter::Tokopedia, pool).await
            }

            #[sqlx::test(migrator = "ocean_core::MIGRATOR")]
            async fn tiktok_shop(pool: sqlx::PgPool) {
                super::$case($crate::marketplaces::Adapter::TikTokShop, pool).await
            }
        }
    };
}
pub(crate) use both_marketplaces;
