//! The boundary between Ocean Sync and the marketplaces (architecture decision 9). Everything
//! marketplace-specific lives behind it: the kind of credentials and their check, how a shop connects
//! (a form, or the marketplace's consent page), shop info, products page by page, orders changed in a
//! time window, stock writes, and what a failure means ([`ErrorClass`]). The sync engine, the scheduler,
//! the api, the console and the reports speak only these types.
//!
//! It is an enum over the adapters, not a trait object: the set of marketplaces is closed and compiled
//! in, each adapter's calls are async and return its own wire types, and a `match` makes the compiler
//! point at every place a new marketplace must be handled. Adding one is a variant of [`Marketplace`],
//! [`AccountCredentials`], [`AccountSecrets`] and [`Session`], plus its module.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;

use super::tiktok_shop::{self, TikTokShopError};
use super::{MarketplaceError, TokopediaClient, coordination::Coordination, tokopedia};
use crate::crypto::Keyring;
use crate::db::{accounts, inventory::StockLevel};
use crate::domain::{Account, CatalogOrder, CatalogProduct};

/// What to do after a failed marketplace call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Passing trouble (internal error, timeout, unreachable host): retry with backoff.
    Transient,
    /// Too many requests: wait (`Retry-After` when sent), then retry slower.
    RateLimited,
    /// The access token expired: refresh it once and retry.
    TokenExpired,
    /// The shop's authorization is invalid or revoked: the seller must consent again.
    NeedsReauthorization,
    /// Retrying will not help: a defect on our side, a setting a person must change, or an answer we
    /// cannot read.
    Permanent,
}

/// The marketplaces Ocean Sync has an adapter for. The `integrations` table lists which are offered;
/// a row without an adapter here cannot hold accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Marketplace {
    /// The legacy Tokopedia Open API: one client secret per app, typed into a form.
    Tokopedia,
    /// The TikTok Shop Partner API: per-shop tokens from the seller's consent.
    TikTokShop,
}

/// How a seller connects a shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connect {
    /// Credentials typed into the account form (API body or console form).
    Form,
    /// The marketplace's consent page, which redirects back with a one-time code.
    Consent,
}

impl Marketplace {
    pub const ALL: [Marketplace; 2] = [Self::Tokopedia, Self::TikTokShop];

    /// The `integrations.integration_id` of the marketplace.
    pub fn id(self) -> &'static str {
        match self {
            Self::Tokopedia => tokopedia::ID,
            Self::TikTokShop => tiktok_shop::ID,
        }
    }

    /// The adapter of `integration_id`, if there is one.
    pub fn of(integration_id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.id() == integration_id)
    }

    pub fn connect(self) -> Connect {
        match self {
            Self::Tokopedia => Connect::Form,
            Self::TikTokShop => Connect::Consent,
        }
    }
}

/// The public half of an account's credentials, stored as plain JSONB: identifiers, never secrets. The
/// shape tells the marketplace apart, so rows stored before there were two need no migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AccountCredentials {
    Tokopedia(tokopedia::TokopediaCredentials),
    TikTokShop(tiktok_shop::TikTokShopCredentials),
}

impl AccountCredentials {
    /// The marketplace's id of the shop, as text.
    pub fn shop_id(&self) -> String {
        match self {
            Self::Tokopedia(c) => c.shop_id.to_string(),
            Self::TikTokShop(c) => c.shop_id.clone(),
        }
    }
}

/// The secret half, sealed with [`crate::crypto::Keyring`] before it reaches Postgres.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AccountSecrets {
    Tokopedia {
        client_secret: SecretString,
    },
    TikTokShop {
        access_token: SecretString,
        refresh_token: SecretString,
    },
}

impl AccountSecrets {
    /// The plaintext to seal. Only [`crate::db::accounts`] calls this, right before sealing.
    pub fn to_plaintext(&self) -> Vec<u8> {
        use secrecy::ExposeSecret;
        let json = match self {
            Self::Tokopedia { client_secret } => serde_json::json!({ "client_secret": client_secret.expose_secret() }),
            Self::TikTokShop {
                access_token,
                refresh_token,
            } => serde_json::json!({
                "access_token": access_token.expose_secret(),
                "refresh_token": refresh_token.expose_secret(),
            }),
        };
        json.to_string().into_bytes()
    }
}

/// A failed marketplace call, with the adapter's own error inside. The Display text is safe to store in
/// `last_error` and to log: no adapter puts secrets, tokens or codes in it.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    #[error(transparent)]
    Tokopedia(#[from] MarketplaceError),
    #[error(transparent)]
    TikTokShop(#[from] TikTokShopError),
    /// The account cannot be synced as stored (no secret, credentials of another marketplace, the
    /// marketplace's app not configured); a person must act.
    #[error("{0}")]
    Setup(String),
    /// Stored tokens could not be read or written.
    #[error("stored credentials could not be used: {0}")]
    Store(String),
}

impl AdapterError {
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Tokopedia(e) => e.class(),
            Self::TikTokShop(e) => e.class(),
            Self::Setup(_) => ErrorClass::Permanent,
            Self::Store(_) => ErrorClass::Transient,
        }
    }
}

impl From<accounts::SecretsError> for AdapterError {
    fn from(e: accounts::SecretsError) -> Self {
        match e {
            accounts::SecretsError::Db(e) => Self::Store(format!("database: {e}")),
            other => Self::Setup(other.to_string()),
        }
    }
}

/// The shop an account syncs, as its marketplace describes it.
#[derive(Debug, Clone)]
pub struct Shop {
    pub external_id: String,
    /// Merged into the account's metadata as `shop_info`.
    pub metadata: Value,
}

/// One page of a catalog pass and the cursor of the next (`None` on the last page).
#[derive(Debug, Clone)]
pub struct ProductsPage {
    pub products: Vec<CatalogProduct>,
    pub next: Option<String>,
}

/// What a stock write did with each SKU.
#[derive(Debug, Clone, Default)]
pub struct StockPush {
    /// SKUs the marketplace took.
    pub pushed: Vec<String>,
    /// SKUs refused for good, with the marketplace's reason (an unknown SKU).
    pub refused: Vec<(String, String)>,
    /// SKUs refused for lack of budget: send them again after a pause.
    pub throttled: Vec<String>,
}

/// One step of a connection test.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub ok: bool,
    pub message: String,
}

/// What a connection test found: credentials (a token issued or renewed), then the shop.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionReport {
    pub ok: bool,
    pub token: Check,
    pub shop: Check,
    pub shop_name: Option<String>,
}

impl ConnectionReport {
    pub(crate) fn failed_at_token(message: String) -> Self {
        Self {
            ok: false,
            token: Check { ok: false, message },
            shop: Check {
                ok: false,
                message: "not tried: no token".into(),
            },
            shop_name: None,
        }
    }
}

/// Every adapter, as configured for this process. Cheap to clone.
#[derive(Clone)]
pub struct Marketplaces {
    pub tokopedia: TokopediaClient,
    /// `None` when no TikTok Shop app is configured: its accounts fail with a clear message.
    pub tiktok_shop: Option<tiktok_shop::Adapter>,
}

impl Marketplaces {
    pub fn new(tokopedia: TokopediaClient, tiktok_shop: Option<tiktok_shop::Adapter>) -> Self {
        Self { tokopedia, tiktok_shop }
    }

    /// The adapters of a fleet process (api or worker): every one keeps to the budgets, tokens and locks
    /// the processes on the same queue share.
    pub fn for_fleet(
        tokopedia: TokopediaClient,
        tiktok_shop: &tiktok_shop::TikTokShopSettings,
        coordination: Coordination,
    ) -> anyhow::Result<Self> {
        let tiktok_shop = tiktok_shop::Adapter::new(tiktok_shop, Some(coordination.clone()))?;
        Ok(Self::new(tokopedia.with_coordination(coordination), tiktok_shop))
    }

    /// The TikTok Shop adapter, or why there is none.
    pub fn tiktok_shop(&self) -> Result<&tiktok_shop::Adapter, AdapterError> {
        self.tiktok_shop.as_ref().ok_or_else(|| {
            AdapterError::Setup(
                "no TikTok Shop app is configured (OCEAN_TIKTOK_SHOP_APP_KEY and OCEAN_TIKTOK_SHOP_APP_SECRET)".into(),
            )
        })
    }

    /// Opens the account's secrets and, for a marketplace with expiring tokens, renews them first when
    /// they are close to expiry.
    pub async fn open(&self, pool: &PgPool, keyring: &Keyring, account: &Account) -> Result<Session, AdapterError> {
        match &account.credentials.0 {
            AccountCredentials::Tokopedia(creds) => match accounts::secrets(pool, keyring, account.id).await? {
                Some(AccountSecrets::Tokopedia { client_secret }) => Ok(Session::Tokopedia(Box::new(
                    tokopedia::Session::new(self.tokopedia.clone(), creds, client_secret),
                ))),
                _ => Err(AdapterError::Setup(
                    "no client secret is stored for this account".into(),
                )),
            },
            // The adapter reads the tokens itself, under its refresh lock when they need renewing.
            AccountCredentials::TikTokShop(_) => Ok(Session::TikTokShop(Box::new(
                self.tiktok_shop()?.session(pool, keyring, account).await?,
            ))),
        }
    }
}

impl Marketplaces {
    /// Tests a stored account: its credentials, then its shop. Nothing is written, apart from tokens a
    /// marketplace renewed on the way.
    pub async fn test(&self, pool: &PgPool, keyring: &Keyring, account: &Account) -> ConnectionReport {
        let session = match self.open(pool, keyring, account).await {
            Ok(session) => session,
            Err(e) => return ConnectionReport::failed_at_token(e.to_string()),
        };
        match session {
            Session::Tokopedia(s) => s.test().await,
            Session::TikTokShop(s) => {
                let token = Check {
                    ok: true,
                    message: "the shop's access token is valid".into(),
                };
                match s.shop().await {
                    Ok(shop) => ConnectionReport {
                        ok: true,
                        token,
                        shop: Check {
                            ok: true,
                            message: format!("shop {} is authorized for this app", shop.external_id),
                        },
                        shop_name: shop.metadata["shop_name"].as_str().map(str::to_owned),
                    },
                    Err(e) => ConnectionReport {
                        ok: false,
                        token,
                        shop: Check {
                            ok: false,
                            message: e.to_string(),
                        },
                        shop_name: None,
                    },
                }
            }
        }
    }
}

/// A sync's connection to one shop.
pub enum Session {
    // Boxed: both hold a client (hundreds of bytes), and a sync opens one session.
    Tokopedia(Box<tokopedia::Session>),
    TikTokShop(Box<tiktok_shop::Session>),
}

impl Session {
    /// The shop; reading it proves the shop is still linked to the app.
    pub async fn shop(&self) -> Result<Shop, AdapterError> {
        match self {
            Self::Tokopedia(s) => s.shop().await,
            Self::TikTokShop(s) => s.shop().await,
        }
    }

    /// A page of the catalog from `cursor` (`None`: the first page).
    pub async fn products_page(&self, cursor: Option<&str>) -> Result<ProductsPage, AdapterError> {
        match self {
            Self::Tokopedia(s) => s.products_page(cursor).await,
            Self::TikTokShop(s) => s.products_page(cursor).await,
        }
    }

    /// Orders in `window` (unix seconds, from [`super::order_windows`]): those created in it for a
    /// marketplace that cannot search by update time (Tokopedia), those changed in it otherwise.
    pub async fn orders(&self, window: (i64, i64)) -> Result<Vec<CatalogOrder>, AdapterError> {
        match self {
            Self::Tokopedia(s) => s.orders(window).await,
            Self::TikTokShop(s) => s.orders(window).await,
        }
    }

    /// Whether [`Session::orders`] finds orders by their last change; otherwise by their creation, and a
    /// status change is seen only by reading the order's window again.
    pub fn orders_by_update_time(&self) -> bool {
        match self {
            Self::Tokopedia(_) => false,
            Self::TikTokShop(_) => true,
        }
    }

    /// Most SKUs one stock write takes.
    pub fn stock_rows_per_call(&self) -> usize {
        match self {
            Self::Tokopedia(_) => tokopedia::STOCK_ROWS_PER_CALL,
            Self::TikTokShop(_) => tiktok_shop::STOCK_ROWS_PER_CALL,
        }
    }

    /// Sets the stock of `levels` (absolute quantities).
    pub async fn push_stock(&self, pool: &PgPool, levels: &[StockLevel]) -> Result<StockPush, AdapterError> {
        match self {
            Self::Tokopedia(s) => s.push_stock(levels).await,
            Self::TikTokShop(s) => s.push_stock(pool, levels).await,
        }
    }

    /// The shop's couriers or warehouses, merged into the account's metadata as `logistics`.
    pub async fn logistics(&self) -> Result<Value, AdapterError> {
        match self {
            Self::Tokopedia(s) => s.logistics().await,
            Self::TikTokShop(s) => s.logistics().await,
        }
    }
}

/// Unix seconds as a time; out of range reads as the epoch.
pub(crate) fn timestamp(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default()
}
