//! Wire types of the endpoints Ocean Sync uses, typed for the fields we read and tolerant of the
//! marketplace's quirks: ids that are strings or numbers, `Name` or `name`, money as int or float.
//! Every list item can be decoded together with its raw JSON ([`WithRaw`]) so nothing is lost.

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize, de::DeserializeOwned};
use serde_json::Value;

/// A decoded item plus the exact JSON object it came from.
#[derive(Debug, Clone)]
pub struct WithRaw<T> {
    pub item: T,
    pub raw: Value,
}

impl<T> std::ops::Deref for WithRaw<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.item
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for WithRaw<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        let item = T::deserialize(&raw).map_err(serde::de::Error::custom)?;
        Ok(Self { item, raw })
    }
}

/// Accepts `13004` and `"13004"` (the order list sends `fs_id` as a string).
pub fn u64_from_str_or_num<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Num(u64),
        Str(String),
    }
    match Either::deserialize(d)? {
        Either::Num(n) => Ok(n),
        Either::Str(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}

fn opt_u64_from_str_or_num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Num(u64),
        Str(String),
    }
    match Option::<Either>::deserialize(d)? {
        None => Ok(None),
        Some(Either::Num(n)) => Ok(Some(n)),
        Some(Either::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(Either::Str(s)) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// Money in whole rupiah; the marketplace sends integers, sometimes floats.
pub fn rupiah<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = f64::deserialize(d)?;
    Ok(v.round() as i64)
}

/// `POST /token` answer (not enveloped).
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: SecretString,
    pub expires_in: u64,
    #[serde(default)]
    pub token_type: String,
}

/// One shop of `GET /v1/shop/fs/{fs_id}/shop-info`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShopInfo {
    pub shop_id: u64,
    #[serde(default)]
    pub user_id: Option<u64>,
    pub shop_name: String,
    #[serde(default)]
    pub logo: Option<String>,
    #[serde(default)]
    pub shop_url: Option<String>,
    #[serde(default)]
    pub is_open: Option<i64>,
    #[serde(default)]
    pub status: Option<i64>,
    #[serde(default)]
    pub date_shop_created: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub province_name: Option<String>,
}

/// `basic` block of a product.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductBasic {
    #[serde(rename = "productID")]
    pub product_id: u64,
    #[serde(rename = "shopID")]
    pub shop_id: u64,
    pub status: i32,
    /// Documented as `Name` on some pages and `name` on others.
    #[serde(alias = "Name")]
    pub name: String,
    #[serde(default)]
    pub condition: Option<i32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProductPrice {
    #[serde(deserialize_with = "rupiah")]
    pub value: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProductStock {
    #[serde(default)]
    pub value: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProductOther {
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// One product of `GET /inventory/v1/fs/{fs_id}/product/info`.
#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub basic: ProductBasic,
    pub price: ProductPrice,
    #[serde(default)]
    pub stock: Option<ProductStock>,
    #[serde(default)]
    pub main_stock: Option<i64>,
    #[serde(default)]
    pub other: Option<ProductOther>,
}

impl Product {
    /// Sellable stock: `stock.value`, else `main_stock`.
    pub fn stock_level(&self) -> i64 {
        self.stock.as_ref().map(|s| s.value).or(self.main_stock).unwrap_or(0)
    }

    pub fn sku(&self) -> Option<&str> {
        self.other
            .as_ref()
            .and_then(|o| o.sku.as_deref())
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderAmount {
    #[serde(deserialize_with = "rupiah")]
    pub ttl_amount: i64,
    #[serde(default, deserialize_with = "rupiah")]
    pub ttl_product_price: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderProduct {
    pub id: u64,
    #[serde(alias = "Name")]
    pub name: String,
    pub quantity: i64,
    #[serde(default)]
    pub sku: Option<String>,
}

/// One order of `GET /v2/order/list`.
#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    #[serde(deserialize_with = "u64_from_str_or_num")]
    pub fs_id: u64,
    pub order_id: u64,
    pub invoice_ref_num: String,
    #[serde(default)]
    pub shop_id: Option<u64>,
    pub order_status: i32,
    /// Unix seconds.
    pub create_time: i64,
    pub amt: OrderAmount,
    #[serde(default)]
    pub products: Vec<OrderProduct>,
}

/// `GET /v2/fs/{fs_id}/order` (times are RFC3339 strings here, unlike the list).
#[derive(Debug, Clone, Deserialize)]
pub struct SingleOrder {
    pub order_id: u64,
    pub invoice_number: String,
    pub order_status: i32,
    #[serde(default)]
    pub buyer_id: Option<u64>,
    #[serde(default)]
    pub seller_id: Option<u64>,
    #[serde(default, deserialize_with = "rupiah_opt")]
    pub open_amt: Option<i64>,
    #[serde(default)]
    pub create_time: Option<String>,
}

fn rupiah_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.map(|v| v.round() as i64))
}

/// One row of a stock update request: `sku` wins over `product_id` when both are set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockUpdateRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<u64>,
    pub new_stock: i64,
}

/// One row of a price update request: `sku` wins over `product_id` when both are set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceUpdateRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<u64>,
    pub new_price: f64,
}

/// One refused row of a bulk write (stock or price update).
#[derive(Debug, Clone, Deserialize)]
pub struct FailedRow {
    #[serde(default, deserialize_with = "opt_u64_from_str_or_num")]
    pub product_id: Option<u64>,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub new_stock: Option<i64>,
    #[serde(default)]
    pub new_price: Option<f64>,
    pub message: String,
}

/// Answer of the bulk write endpoints (HTTP 200 even when rows fail).
#[derive(Debug, Clone, Deserialize)]
pub struct BulkUpdateResult {
    #[serde(default)]
    pub failed_rows: u32,
    #[serde(default)]
    pub failed_rows_data: Vec<FailedRow>,
    #[serde(default)]
    pub succeed_rows: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShipmentService {
    pub service_id: u64,
    pub service_name: String,
    #[serde(default)]
    pub service_desc: Option<String>,
}

/// One courier of `GET /v2/logistic/fs/{fs_id}/info`.
#[derive(Debug, Clone, Deserialize)]
pub struct ShipmentInfo {
    pub shipper_id: u64,
    pub shipper_name: String,
    #[serde(default)]
    pub logo: Option<String>,
    #[serde(default)]
    pub services: Vec<ShipmentService>,
}

/// `GET /v1/fs/{fs_id}`: the app's registered webhook URLs.
#[derive(Debug, Deserialize)]
pub struct WebhookRegistration {
    #[serde(default, deserialize_with = "opt_u64_from_str_or_num")]
    pub fs_id: Option<u64>,
    #[serde(default)]
    pub order_notification_url: Option<String>,
    #[serde(default)]
    pub order_cancellation_url: Option<String>,
    #[serde(default)]
    pub order_status_url: Option<String>,
    #[serde(default)]
    pub order_request_cancellation_url: Option<String>,
    #[serde(default)]
    pub product_changes_url: Option<String>,
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
}

/// `POST /v1/fs/{fs_id}/register` answers `data: "success"`.
pub type WebhookRegisterResult = String;
