//! Wire types of the TikTok Shop endpoints Ocean Sync uses: typed for the fields we read, strict about
//! their types (an id is a JSON string, a count a number) and silent about fields we do not read.
//!
//! Ids stay `String`: they are 19-digit strings on the wire and only ever compared or sent back.
//! Money arrives as decimal strings (`"5000"`, `"21.3"`) and is read into whole units of its `currency`
//! (rupiah for `IDR`) as `i64`, rounding half away from zero: rupiah has no minor unit in use, and the
//! rule matches how the Tokopedia client rounds. A number, an exponent or any other text where money
//! belongs fails the decode.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};

pub mod order;
pub mod product;

pub use order::{LineItem, Order, OrderDetails, OrderPage, OrderPayment, OrderStatus, PackageRef};
pub use product::{
    InventoryLevels, InventoryUpdate, Product, ProductFilter, ProductInventory, ProductPage, Sku, SkuInventory,
    SkuInventoryLevel, SkuPrice, WarehouseInventory, WarehouseStock,
};

/// `GET /api/v2/token/get` and `/api/v2/token/refresh`. The `*_expire_in` fields are absolute unix
/// timestamps, not durations; they are read as instants.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenGrant {
    pub access_token: SecretString,
    /// When the access token stops working (about 7 days after issue).
    #[serde(rename = "access_token_expire_in", with = "chrono::serde::ts_seconds")]
    pub access_token_expires_at: DateTime<Utc>,
    /// A refresh may rotate this token too: store both tokens in one write.
    pub refresh_token: SecretString,
    #[serde(rename = "refresh_token_expire_in", with = "chrono::serde::ts_seconds")]
    pub refresh_token_expires_at: DateTime<Utc>,
    /// The seller's id across shops.
    pub open_id: String,
    #[serde(default)]
    pub seller_name: String,
    /// `ID` for an Indonesian (merged Tokopedia) seller.
    #[serde(default)]
    pub seller_base_region: String,
    #[serde(default)]
    pub user_type: Option<i64>,
    #[serde(default)]
    pub granted_scopes: Vec<String>,
}

/// `GET /authorization/202309/shops`.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthorizedShops {
    #[serde(default)]
    pub shops: Vec<AuthorizedShop>,
}

/// One shop the seller authorized; `cipher` goes with every call made for it.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthorizedShop {
    pub id: String,
    pub cipher: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub seller_type: String,
    #[serde(default)]
    pub code: String,
}

/// `GET /logistics/202309/warehouses`.
#[derive(Debug, Clone, Deserialize)]
pub struct Warehouses {
    #[serde(default)]
    pub warehouses: Vec<Warehouse>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Warehouse {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `ENABLED`, `DISABLED`, ...
    #[serde(default)]
    pub effect_status: Option<String>,
    /// `SALES_WAREHOUSE` or `RETURN_WAREHOUSE`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub is_default: bool,
}

/// Answer of a batch write (inventory or price update). The call can succeed while single SKUs or
/// warehouses are refused; those come back in `errors`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WriteResult {
    #[serde(default)]
    pub errors: Vec<ItemError>,
}

/// One refused item of a batch write.
#[derive(Debug, Clone, Deserialize)]
pub struct ItemError {
    pub code: i64,
    pub message: String,
    #[serde(default)]
    pub detail: Option<ItemErrorDetail>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ItemErrorDetail {
    #[serde(default)]
    pub sku_id: Option<String>,
    #[serde(default)]
    pub extra_errors: Vec<WarehouseError>,
}

/// A refusal for one warehouse of a SKU (e.g. `12052097`, the warehouse does not exist).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WarehouseError {
    #[serde(default)]
    pub warehouse_id: Option<String>,
    pub code: i64,
    pub message: String,
}

/// Reads a decimal amount into whole units, rounding half away from zero: `"21.3"` → 21, `"0.5"` → 1,
/// `"-1.5"` → -2. Accepts an optional `-`, digits, and an optional `.` followed by digits.
pub fn parse_whole_units(text: &str) -> Result<i64, String> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return Err(format!("`{text}` is not a decimal amount"));
    }
    let out_of_range = || format!("`{text}` is out of range");
    let mut units: i64 = whole.parse().map_err(|_| out_of_range())?;
    if fraction.as_bytes()[0] >= b'5' {
        units = units.checked_add(1).ok_or_else(out_of_range)?;
    }
    Ok(if negative { -units } else { units })
}

/// A required money field: a decimal string, in whole units.
pub(crate) fn money<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    parse_whole_units(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// An optional money field: absent, `null` or `""` is `None`.
pub(crate) fn optional_money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => parse_whole_units(&text).map(Some).map_err(serde::de::Error::custom),
    }
}

/// The cursor of the next page: absent or empty means this was the last page.
pub(crate) fn next_token(token: &Option<String>) -> Option<&str> {
    token.as_deref().filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_half_away_from_zero() {
        let cases = [
            ("5000", 5000),
            ("21.3", 21),
            ("1.28", 1),
            ("0.01", 0),
            ("0.5", 1),
            ("117.5", 118),
            ("-1.5", -2),
            ("-0.4", 0),
            ("1.00", 1),
        ];
        for (text, want) in cases {
            assert_eq!(parse_whole_units(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn text_that_is_not_an_amount_is_refused() {
        for text in [
            "",
            "-",
            "1.",
            ".5",
            "1e3",
            "1,000",
            " 1",
            "+1",
            "Rp1000",
            "99999999999999999999",
        ] {
            assert!(parse_whole_units(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn token_expiries_are_absolute_instants() {
        let body = r#"{"access_token":"a","access_token_expire_in":1660556783,"refresh_token":"r",
            "refresh_token_expire_in":1691487031,"open_id":"o"}"#;
        let grant: TokenGrant = serde_json::from_str(body).unwrap();
        assert_eq!(grant.access_token_expires_at.timestamp(), 1_660_556_783);
        assert_eq!(grant.refresh_token_expires_at.to_rfc3339(), "2023-08-08T09:30:31+00:00");
    }

    #[test]
    fn money_must_be_a_string() {
        #[derive(Deserialize)]
        struct Amount {
            #[serde(deserialize_with = "money")]
            value: i64,
        }
        let amount = serde_json::from_str::<Amount>(r#"{"value":"12.5"}"#).map(|a| a.value);
        assert_eq!(amount.ok(), Some(13));
        assert!(serde_json::from_str::<Amount>(r#"{"value":12}"#).is_err());
    }
}
