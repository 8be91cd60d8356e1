//! The Tokopedia adapter: the legacy Open API ([`TokopediaClient`]) behind the marketplace boundary.
//! An app (`fs_id`, client id and secret) serves many shops; the secret is typed into the account form.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::adapter::{AdapterError, Check, ConnectionReport, ErrorClass, ProductsPage, Shop, StockPush};
use super::client::{PRODUCTS_PER_PAGE, is_last_page};
use super::types::StockUpdateRow;
use super::{AppCredentials, MarketplaceError, TokopediaClient, catalog};
use crate::db::inventory::StockLevel;
use crate::domain::CatalogOrder;

/// `integrations.integration_id` of Tokopedia.
pub const ID: &str = "tokopedia";

/// Most rows one stock update call accepts.
pub const STOCK_ROWS_PER_CALL: usize = 100;

/// What the marketplace says about a row refused for lack of budget.
const THROTTLED_ROW: &str = "ERR_TOO_MANY_REQUEST";

/// A Tokopedia account's public credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokopediaCredentials {
    /// Tokopedia app id (Fulfillment Service id).
    pub fs_id: u64,
    /// The shop this account syncs.
    pub shop_id: u64,
    /// OAuth client id of the app.
    pub client_id: String,
}

impl MarketplaceError {
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::RateLimited { .. } => ErrorClass::RateLimited,
            e if e.is_transient() => ErrorClass::Transient,
            _ => ErrorClass::Permanent,
        }
    }
}

/// A sync's connection to one Tokopedia shop.
pub struct Session {
    client: TokopediaClient,
    app: AppCredentials,
    shop_id: u64,
}

impl Session {
    pub(super) async fn test(&self) -> ConnectionReport {
        let creds = TokopediaCredentials {
            fs_id: self.app.fs_id,
            shop_id: self.shop_id,
            client_id: self.app.client_id.clone(),
        };
        test_connection(&self.client, &creds, self.app.client_secret.clone()).await
    }

    pub(super) fn new(client: TokopediaClient, creds: &TokopediaCredentials, client_secret: SecretString) -> Self {
        Self {
            client,
            app: AppCredentials {
                fs_id: creds.fs_id,
                client_id: creds.client_id.clone(),
                client_secret,
            },
            shop_id: creds.shop_id,
        }
    }

    pub(super) async fn shop(&self) -> Result<Shop, AdapterError> {
        let shops = self.client.shop_info(&self.app, self.shop_id).await?;
        let shop = shops
            .into_iter()
            .find(|s| s.shop_id == self.shop_id)
            .ok_or_else(|| MarketplaceError::Api {
                http_status: 200,
                error_code: "SHOP_NOT_LINKED".into(),
                reason: Some(format!("shop {} is not linked to app {}", self.shop_id, self.app.fs_id)),
                messages: String::new(),
            })?;
        Ok(Shop {
            external_id: shop.shop_id.to_string(),
            metadata: serde_json::to_value(&shop).unwrap_or(Value::Null),
        })
    }

    /// Pages are numbered from 1; the cursor is the page number.
    pub(super) async fn products_page(&self, cursor: Option<&str>) -> Result<ProductsPage, AdapterError> {
        let page = cursor.and_then(|c| c.parse::<u32>().ok()).unwrap_or(1).max(1);
        let items = self
            .client
            .products_page(&self.app, self.shop_id, page, PRODUCTS_PER_PAGE)
            .await?;
        let last = is_last_page(items.len(), PRODUCTS_PER_PAGE);
        Ok(ProductsPage {
            products: catalog::products(&items),
            next: (!last).then(|| (page + 1).to_string()),
        })
    }

    /// Orders created in `window` (the order list cannot search by update time).
    pub(super) async fn orders(&self, window: (i64, i64)) -> Result<Vec<CatalogOrder>, AdapterError> {
        let orders = self.client.window_orders(&self.app, self.shop_id, window).await?;
        Ok(catalog::orders(&orders))
    }

    pub(super) async fn push_stock(&self, levels: &[StockLevel]) -> Result<StockPush, AdapterError> {
        let rows: Vec<StockUpdateRow> = levels
            .iter()
            .map(|l| StockUpdateRow {
                sku: Some(l.sku.clone()),
                product_id: None,
                new_stock: l.quantity,
            })
            .collect();
        let failed = match self.client.update_stock(&self.app, self.shop_id, &rows).await {
            Ok(_) => Vec::new(),
            Err(MarketplaceError::PartialFailure { failed, .. }) => failed,
            Err(e) => return Err(e.into()),
        };
        let mut push = StockPush::default();
        for level in levels {
            match failed.iter().find(|f| f.sku.as_deref() == Some(level.sku.as_str())) {
                None => push.pushed.push(level.sku.clone()),
                Some(f) if f.message == THROTTLED_ROW => push.throttled.push(level.sku.clone()),
                Some(f) => push.refused.push((level.sku.clone(), f.message.clone())),
            }
        }
        Ok(push)
    }

    pub(super) async fn logistics(&self) -> Result<Value, AdapterError> {
        let couriers = self.client.shipment_info(&self.app, self.shop_id).await?;
        Ok(json!({
            "couriers": couriers
                .iter()
                .map(|c| json!({ "shipper_id": c.shipper_id, "shipper_name": c.shipper_name,
                                 "services": c.services.iter().map(|s| &s.service_name).collect::<Vec<_>>() }))
                .collect::<Vec<_>>()
        }))
    }
}

/// Token, then shop info; each step says in plain words what went wrong.
pub async fn test_connection(
    client: &TokopediaClient,
    creds: &TokopediaCredentials,
    secret: SecretString,
) -> ConnectionReport {
    let app = AppCredentials {
        fs_id: creds.fs_id,
        client_id: creds.client_id.clone(),
        client_secret: secret,
    };
    if let Err(e) = client.request_token(&app).await {
        return ConnectionReport::failed_at_token(explain(&e, creds));
    }
    let token = Check {
        ok: true,
        message: "the marketplace issued an access token".into(),
    };
    match client.shop_info(&app, creds.shop_id).await {
        Ok(shops) => match shops.into_iter().find(|s| s.shop_id == creds.shop_id) {
            Some(shop) => ConnectionReport {
                ok: true,
                token,
                shop: Check {
                    ok: true,
                    message: format!("shop {} is linked to app {}", creds.shop_id, creds.fs_id),
                },
                shop_name: Some(shop.shop_name),
            },
            None => ConnectionReport {
                ok: false,
                token,
                shop: Check {
                    ok: false,
                    message: format!("shop {} is not linked to app {}", creds.shop_id, creds.fs_id),
                },
                shop_name: None,
            },
        },
        Err(e) => ConnectionReport {
            ok: false,
            token,
            shop: Check {
                ok: false,
                message: explain(&e, creds),
            },
            shop_name: None,
        },
    }
}

fn explain(e: &MarketplaceError, creds: &TokopediaCredentials) -> String {
    match e {
        MarketplaceError::InvalidCredentials => "the marketplace rejected the client id or secret".into(),
        MarketplaceError::Api {
            http_status: 403,
            error_code,
            ..
        } => {
            format!(
                "shop {} is not linked to app {} ({error_code})",
                creds.shop_id, creds.fs_id
            )
        }
        MarketplaceError::Transport(why) => format!("the marketplace is unreachable: {why}"),
        other => other.to_string(),
    }
}
