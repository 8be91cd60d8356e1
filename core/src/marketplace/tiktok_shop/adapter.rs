//! The TikTok Shop adapter: the Partner API client behind the marketplace boundary, with what the
//! client leaves to its caller: connecting shops from a consent code, keeping each shop's tokens fresh
//! (one refresh per shop across the fleet), and the shop's products and orders as the neutral catalog.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::RwLock;

use super::types::{Order, Product, SkuInventory, WarehouseStock};
use super::{ErrorClass, ShopAuthorization, TikTokShopClient, TikTokShopError, TikTokShopSettings};
use crate::crypto::Keyring;
use crate::db::{accounts, inventory::StockLevel};
use crate::domain::{Account, AccountId, CatalogOrder, CatalogProduct, OrderStatus, ProductStatus};
use crate::marketplace::adapter::{
    AccountCredentials, AccountSecrets, AdapterError, ProductsPage, Shop, StockPush, timestamp,
};
use crate::marketplace::coordination::Coordination;
use crate::marketplace::types::WithRaw;

/// `integrations.integration_id` of TikTok Shop.
pub const ID: &str = "tiktok-shop";

/// SKUs per stock write round (one inventory update call per product among them).
pub const STOCK_ROWS_PER_CALL: usize = 50;

/// How long one process waits for another's refresh of the same shop's tokens.
const REFRESH_WAIT: Duration = Duration::from_secs(15);

/// A TikTok Shop account's public credentials: which shop, and when its tokens expire. The tokens
/// themselves are sealed ([`AccountSecrets::TikTokShop`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TikTokShopCredentials {
    /// The shop's id (a string of up to 19 digits).
    pub shop_id: String,
    /// Names the shop in every call made for it.
    pub shop_cipher: String,
    /// The app the seller authorized.
    pub app_key: String,
    #[serde(default)]
    pub shop_name: String,
    /// `ID` for an Indonesian shop (a merged Tokopedia shop).
    #[serde(default)]
    pub region: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token_expires_at: DateTime<Utc>,
}

/// A shop the seller authorized in one consent, ready to become (or renew) an account.
#[derive(Debug, Clone)]
pub struct Connection {
    pub credentials: TikTokShopCredentials,
    pub secrets: AccountSecrets,
}

/// The adapter: the client plus what refreshing tokens needs. Cheap to clone.
#[derive(Clone)]
pub struct Adapter {
    pub client: TikTokShopClient,
    coordination: Option<Coordination>,
    refresh_margin: chrono::Duration,
    authorize_url: String,
    service_id: String,
    redirect_url: String,
}

impl Adapter {
    /// `None` when the settings name no app.
    pub fn new(settings: &TikTokShopSettings, coordination: Option<Coordination>) -> anyhow::Result<Option<Self>> {
        if !settings.has_app() {
            return Ok(None);
        }
        let mut client = TikTokShopClient::new(settings)?;
        if let Some(coordination) = &coordination {
            client = client.with_coordination(coordination.clone());
        }
        Ok(Some(Self {
            client,
            coordination,
            refresh_margin: chrono::Duration::seconds(settings.refresh_margin_secs.min(i64::MAX as u64) as i64),
            authorize_url: settings.authorize_url.clone(),
            service_id: settings.service_id.clone(),
            redirect_url: settings.redirect_url.clone(),
        }))
    }

    /// The consent page for `state`: the seller signs in there and is sent back with a one-time code, to
    /// the configured redirect URL, else to `callback` (when not empty), else to the app's registered one.
    pub fn authorize_url(&self, state: &str, callback: &str) -> String {
        let mut url = reqwest::Url::parse(&self.authorize_url).expect("validated at start");
        {
            let mut query = url.query_pairs_mut();
            if self.service_id.is_empty() {
                query.append_pair("app_key", self.client.app_key());
            } else {
                query.append_pair("service_id", &self.service_id);
            }
            query.append_pair("state", state);
            let redirect = if self.redirect_url.is_empty() {
                callback
            } else {
                &self.redirect_url
            };
            if !redirect.is_empty() {
                query.append_pair("redirect_uri", redirect);
            }
        }
        url.into()
    }

    /// Exchanges a consent code and lists the shops it authorizes, each with both tokens.
    pub async fn connect(&self, code: &SecretString) -> Result<Vec<Connection>, AdapterError> {
        let grant = self.client.exchange_code(code).await?;
        let shops = self.client.authorized_shops(&grant.access_token).await?;
        Ok(shops
            .into_iter()
            .map(|shop| Connection {
                credentials: TikTokShopCredentials {
                    shop_id: shop.id,
                    shop_cipher: shop.cipher,
                    app_key: self.client.app_key().to_owned(),
                    shop_name: shop.name,
                    region: shop.region,
                    access_token_expires_at: grant.access_token_expires_at,
                    refresh_token_expires_at: grant.refresh_token_expires_at,
                },
                secrets: AccountSecrets::TikTokShop {
                    access_token: grant.access_token.clone(),
                    refresh_token: grant.refresh_token.clone(),
                },
            })
            .collect())
    }

    /// A sync's session: the stored tokens, renewed first when they expire within the margin.
    pub(crate) async fn session(
        &self,
        pool: &PgPool,
        keyring: &Keyring,
        account: &Account,
    ) -> Result<Session, AdapterError> {
        let (creds, access_token) = self.tokens(pool, keyring, account.id, None).await?;
        Ok(Session {
            adapter: self.clone(),
            pool: pool.clone(),
            keyring: keyring.clone(),
            account_id: account.id,
            shop_id: creds.shop_id,
            auth: RwLock::new(ShopAuthorization {
                access_token,
                shop_cipher: creds.shop_cipher,
            }),
        })
    }

    /// The account's live access token. Renews both tokens when the stored access token expires within
    /// the margin, or when it is `refused` (the marketplace said it expired). One process at a time
    /// renews a shop (a Redis lock); the others wait and read what it stored.
    async fn tokens(
        &self,
        pool: &PgPool,
        keyring: &Keyring,
        id: AccountId,
        refused: Option<&SecretString>,
    ) -> Result<(TikTokShopCredentials, SecretString), AdapterError> {
        let holder = format!("{}-{}", std::process::id(), rand::random::<u32>());
        let lock = format!("{ID}:shop-tokens:{id}");
        let deadline = tokio::time::Instant::now() + REFRESH_WAIT;
        loop {
            let (creds, access, refresh) = stored_tokens(pool, keyring, id).await?;
            let refused_now = refused.is_some_and(|r| r.expose_secret() == access.expose_secret());
            if !refused_now && creds.access_token_expires_at - Utc::now() > self.refresh_margin {
                return Ok((creds, access));
            }
            let locked = match &self.coordination {
                None => true,
                Some(c) => c
                    .lock_token_refresh(&lock, &holder)
                    .await
                    .map_err(|e| AdapterError::Store(e.to_string()))?,
            };
            if locked {
                let renewed = self
                    .renew(pool, keyring, id, creds, &access, &refresh, refused_now)
                    .await;
                if let Some(c) = &self.coordination {
                    let _ = c.unlock_token_refresh(&lock).await;
                }
                return renewed;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(AdapterError::Store(
                    "another process is renewing this shop's tokens".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Under the lock: read again (another process may have just renewed), then refresh and store both
    /// tokens and their expiries in one write.
    #[allow(clippy::too_many_arguments)]
    async fn renew(
        &self,
        pool: &PgPool,
        keyring: &Keyring,
        id: AccountId,
        seen: TikTokShopCredentials,
        seen_access: &SecretString,
        refresh: &SecretString,
        refused: bool,
    ) -> Result<(TikTokShopCredentials, SecretString), AdapterError> {
        let (creds, access, _) = stored_tokens(pool, keyring, id).await?;
        let renewed_meanwhile = access.expose_secret() != seen_access.expose_secret();
        if renewed_meanwhile || (!refused && creds.access_token_expires_at - Utc::now() > self.refresh_margin) {
            return Ok((creds, access));
        }
        let grant = self.client.refresh_token(refresh).await?;
        let creds = TikTokShopCredentials {
            access_token_expires_at: grant.access_token_expires_at,
            refresh_token_expires_at: grant.refresh_token_expires_at,
            ..seen
        };
        let secrets = AccountSecrets::TikTokShop {
            access_token: grant.access_token.clone(),
            refresh_token: grant.refresh_token,
        };
        accounts::store_tokens(
            pool,
            keyring,
            id,
            &AccountCredentials::TikTokShop(creds.clone()),
            &secrets,
        )
        .await
        .map_err(|e| AdapterError::Store(format!("database: {e}")))?;
        tracing::info!(account_id = %id, expires_at = %creds.access_token_expires_at, "shop tokens renewed");
        Ok((creds, grant.access_token))
    }
}

/// The account's credentials and both tokens as stored now.
async fn stored_tokens(
    pool: &PgPool,
    keyring: &Keyring,
    id: AccountId,
) -> Result<(TikTokShopCredentials, SecretString, SecretString), AdapterError> {
    let account = accounts::get(pool, id)
        .await
        .map_err(|e| AdapterError::Store(format!("database: {e}")))?
        .ok_or_else(|| AdapterError::Setup("the account no longer exists".into()))?;
    let AccountCredentials::TikTokShop(creds) = account.credentials.0 else {
        return Err(AdapterError::Setup(
            "the account holds no TikTok Shop credentials".into(),
        ));
    };
    match accounts::secrets(pool, keyring, id).await? {
        Some(AccountSecrets::TikTokShop {
            access_token,
            refresh_token,
        }) => Ok((creds, access_token, refresh_token)),
        _ => Err(AdapterError::Setup(
            "no TikTok Shop tokens are stored for this account".into(),
        )),
    }
}

/// A sync's connection to one TikTok Shop shop.
pub struct Session {
    adapter: Adapter,
    pool: PgPool,
    keyring: Keyring,
    account_id: AccountId,
    shop_id: String,
    auth: RwLock<ShopAuthorization>,
}

impl Session {
    /// Runs `call`; when the marketplace says the access token expired, renews it once and runs it again.
    async fn with_token<T, Fut>(&self, call: impl Fn(ShopAuthorization) -> Fut) -> Result<T, AdapterError>
    where
        Fut: Future<Output = Result<T, TikTokShopError>>,
    {
        let auth = self.auth.read().await.clone();
        match call(auth.clone()).await {
            Err(e) if e.class() == ErrorClass::TokenExpired => {
                let (_, access_token) = self
                    .adapter
                    .tokens(&self.pool, &self.keyring, self.account_id, Some(&auth.access_token))
                    .await?;
                let auth = ShopAuthorization {
                    access_token,
                    shop_cipher: auth.shop_cipher,
                };
                *self.auth.write().await = auth.clone();
                Ok(call(auth).await?)
            }
            other => Ok(other?),
        }
    }

    /// The shop among those the token is authorized for; missing means the seller withdrew it.
    pub(crate) async fn shop(&self) -> Result<Shop, AdapterError> {
        let client = &self.adapter.client;
        let shops = self
            .with_token(|auth| async move { client.authorized_shops(&auth.access_token).await })
            .await?;
        let shop = shops
            .into_iter()
            .find(|s| s.id == self.shop_id)
            .ok_or_else(|| TikTokShopError::Api {
                http_status: 200,
                code: 105_001,
                message: format!("shop {} is no longer authorized for this app", self.shop_id),
                request_id: String::new(),
                retry_after: None,
            })?;
        Ok(Shop {
            external_id: shop.id.clone(),
            metadata: json!({
                "shop_id": shop.id, "shop_name": shop.name, "region": shop.region,
                "seller_type": shop.seller_type, "code": shop.code,
            }),
        })
    }

    pub(crate) async fn products_page(&self, cursor: Option<&str>) -> Result<ProductsPage, AdapterError> {
        let client = &self.adapter.client;
        let filter = &Default::default();
        let page = self
            .with_token(|auth| async move { client.products_page(&auth, filter, cursor).await })
            .await?;
        let next = page.next_cursor().map(str::to_owned);
        Ok(ProductsPage {
            products: page.products.iter().map(catalog_product).collect(),
            next,
        })
    }

    /// Orders whose last change falls in `window`, so status changes of old orders are seen.
    pub(crate) async fn orders(&self, window: (i64, i64)) -> Result<Vec<CatalogOrder>, AdapterError> {
        let client = &self.adapter.client;
        let orders = self
            .with_token(|auth| async move { client.orders_updated(&auth, window).await })
            .await?;
        Ok(orders.iter().map(catalog_order).collect())
    }

    /// Sets the stock of each SKU (by seller SKU) in the warehouse that stocks it, product by product.
    /// SKUs not in the synced catalog are refused with that reason.
    pub(crate) async fn push_stock(&self, pool: &PgPool, levels: &[StockLevel]) -> Result<StockPush, AdapterError> {
        let skus: Vec<String> = levels.iter().map(|l| l.sku.clone()).collect();
        let places = crate::db::catalog::sku_places(pool, self.account_id, &skus)
            .await
            .map_err(|e| AdapterError::Store(format!("database: {e}")))?;
        let mut push = StockPush::default();
        let mut by_product: BTreeMap<&str, Vec<(&StockLevel, &crate::db::catalog::SkuPlace)>> = BTreeMap::new();
        for level in levels {
            match places.iter().find(|p| p.seller_sku == level.sku) {
                Some(place) => by_product
                    .entry(place.product_id.as_str())
                    .or_default()
                    .push((level, place)),
                None => push
                    .refused
                    .push((level.sku.clone(), "SKU not found in the shop's synced catalog".into())),
            }
        }
        let client = &self.adapter.client;
        for (product_id, rows) in by_product {
            let body: Vec<SkuInventory> = rows
                .iter()
                .map(|(level, place)| SkuInventory {
                    id: place.sku_id.clone(),
                    inventory: vec![WarehouseStock {
                        warehouse_id: place.warehouse_id.clone(),
                        quantity: level.quantity,
                    }],
                })
                .collect();
            let body = &body;
            let result = self
                .with_token(|auth| async move { client.update_inventory(&auth, product_id, body).await })
                .await?;
            for (level, place) in rows {
                let refusal = result
                    .errors
                    .iter()
                    .find(|e| e.detail.as_ref().and_then(|d| d.sku_id.as_deref()) == Some(place.sku_id.as_str()));
                match refusal {
                    None => push.pushed.push(level.sku.clone()),
                    Some(e) => push
                        .refused
                        .push((level.sku.clone(), format!("{} {}", e.code, e.message))),
                }
            }
        }
        Ok(push)
    }

    /// The shop's warehouses.
    pub(crate) async fn logistics(&self) -> Result<Value, AdapterError> {
        let client = &self.adapter.client;
        let warehouses = self
            .with_token(|auth| async move { client.warehouses(&auth).await })
            .await?;
        Ok(json!({
            "warehouses": warehouses.iter().map(|w| json!({
                "id": w.id, "name": w.name, "type": w.kind, "is_default": w.is_default,
            })).collect::<Vec<_>>()
        }))
    }
}

/// A product as the neutral catalog: the first SKU's seller SKU and price, stock over every SKU and
/// warehouse, and the stock per warehouse.
fn catalog_product(p: &WithRaw<Product>) -> CatalogProduct {
    let first = p.skus.first();
    let mut warehouses: BTreeMap<&str, i64> = BTreeMap::new();
    for stock in p.skus.iter().flat_map(|s| &s.inventory) {
        *warehouses.entry(&stock.warehouse_id).or_default() += stock.quantity;
    }
    CatalogProduct {
        external_id: p.id.clone(),
        name: p.title.clone(),
        sku: first.and_then(|s| s.seller_sku.clone()).filter(|s| !s.is_empty()),
        price: first
            .and_then(|s| s.price.as_ref())
            .and_then(|p| p.sale_price)
            .unwrap_or(0),
        stock: warehouses.values().sum(),
        warehouse_stock: warehouses
            .into_iter()
            .map(|(warehouse_id, quantity)| crate::domain::WarehouseStock {
                warehouse_id: warehouse_id.to_owned(),
                quantity,
            })
            .collect(),
        status: ProductStatus::from_tiktok_shop(&p.status),
        marketplace_status: p.status.clone(),
        raw: p.raw.clone(),
    }
}

fn catalog_order(o: &WithRaw<Order>) -> CatalogOrder {
    CatalogOrder {
        external_id: o.id.clone(),
        invoice: o.id.clone(),
        status: OrderStatus::from_tiktok_shop(o.status.as_str()),
        marketplace_status: o.status.as_str().to_owned(),
        total: o.payment.total_amount,
        created_at: timestamp(o.create_time),
        updated_at: Some(timestamp(o.update_time)),
        warehouse_id: o.warehouse_id.clone(),
        raw: o.raw.clone(),
    }
}
