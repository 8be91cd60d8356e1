//! Reading one Option A `config` into the account it describes. Field names in problems are paths inside
//! `config` (`credentials.client_id` when the row nests its credentials), and never carry values.

use std::fmt;

use ocean_core::{
    db::{accounts::NewAccount, legacy::LegacyIntegration},
    domain::{AccountCredentials, AccountSecrets, Feature},
    marketplace::tokopedia::{self, TokopediaCredentials},
};
use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::validation;

/// The platform Option A rows are converted to.
pub const PLATFORM: &str = tokopedia::ID;

const DEFAULT_FEATURES: [Feature; 3] = [
    Feature::ProductManagement,
    Feature::OrderManagement,
    Feature::InventorySync,
];
const DEFAULT_INTERVAL_MINUTES: i64 = 15;
/// One week, as the API allows.
const MAX_INTERVAL_MINUTES: i64 = 10_080;

/// Why one field of a legacy row cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Path inside the row's `config` (or `name`, the row's column).
    pub field: String,
    /// What is wrong with it, e.g. `is missing`.
    pub reason: String,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.reason)
    }
}

/// What the row says about its migration: `Some(Ok(id))` once migrated, `Some(Err(_))` when the marker is
/// not an account id, `None` when not migrated yet.
pub fn migrated_to(row: &LegacyIntegration) -> Option<Result<i64, FieldProblem>> {
    match row.config.get("migrated_to_account_id") {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.as_i64().filter(|id| *id > 0).ok_or_else(|| FieldProblem {
            field: "migrated_to_account_id".into(),
            reason: "must be an account id".into(),
        })),
    }
}

/// Whether the row still holds a plaintext client secret.
pub fn has_plaintext_secret(row: &LegacyIntegration) -> bool {
    row.config.get("client_secret").is_some()
        || row
            .config
            .get("credentials")
            .and_then(|c| c.get("client_secret"))
            .is_some()
}

/// The account a legacy row describes, or every problem found in it.
pub fn new_account(row: &LegacyIntegration) -> Result<NewAccount, Vec<FieldProblem>> {
    let mut p = Problems::default();
    let config = &row.config;
    let nested = match config.get("credentials") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => {
            p.push("credentials", "must be a JSON object");
            None
        }
    };
    // A nested credentials object is where the row keeps them; a field missing there may still be flat.
    let cred = |key: &str| {
        let field = match nested {
            Some(_) => format!("credentials.{key}"),
            None => key.to_owned(),
        };
        let value = nested
            .and_then(|c| c.get(key))
            .filter(|v| !v.is_null())
            .or_else(|| config.get(key));
        (field, value)
    };
    let (field, value) = cred("fs_id");
    let fs_id = p.marketplace_id(&field, value);
    let (field, value) = cred("shop_id");
    let shop_id = p.marketplace_id(&field, value);
    let (field, value) = cred("client_id");
    let client_id = p.text(&field, value, 255);
    let (field, value) = cred("client_secret");
    let client_secret = p.text(&field, value, 1024).map(SecretString::from);
    let account_name = match config.get("account_name") {
        None | Some(Value::Null) => p.text("name", Some(&Value::String(row.name.clone())), 255),
        given => p.text("account_name", given, 255),
    };
    let interval = p.interval(config.get("sync_interval_minutes"));
    let enabled = p.flag("enabled", config.get("enabled"), row.status == "active");
    let auto_sync = p.flag("auto_sync", config.get("auto_sync"), true);
    let features = p.features(config.get("features"));
    let mut metadata = match config.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            p.push("metadata", "must be a JSON object");
            Map::new()
        }
    };
    metadata.insert(
        "legacy_integration_id".into(),
        Value::String(row.integration_id.clone()),
    );
    match (fs_id, shop_id, client_id, client_secret, account_name) {
        (Some(fs_id), Some(shop_id), Some(client_id), Some(client_secret), Some(account_name)) if p.0.is_empty() => {
            Ok(NewAccount {
                integration_id: PLATFORM.to_owned(),
                account_name,
                account_identifier: format!("shop_{shop_id}"),
                credentials: AccountCredentials::Tokopedia(TokopediaCredentials {
                    fs_id,
                    shop_id,
                    client_id,
                }),
                secrets: AccountSecrets::Tokopedia { client_secret },
                enabled,
                auto_sync,
                sync_interval_minutes: interval,
                features,
                is_primary: false,
                metadata: Value::Object(metadata),
            })
        }
        _ => Err(p.0),
    }
}

#[derive(Default)]
struct Problems(Vec<FieldProblem>);

impl Problems {
    fn push(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push(FieldProblem {
            field: field.to_owned(),
            reason: reason.into(),
        });
    }

    /// Required trimmed text of at most `max` characters, without control characters.
    fn text(&mut self, field: &str, value: Option<&Value>, max: usize) -> Option<String> {
        let checked = match value {
            None | Some(Value::Null) => Err("is missing".to_owned()),
            Some(Value::String(s)) if s.trim().is_empty() => Err("is empty".to_owned()),
            Some(Value::String(s)) => validation::text(s, max),
            Some(_) => Err("must be a string".to_owned()),
        };
        checked.map_err(|reason| self.push(field, reason)).ok()
    }

    /// A positive marketplace id, as a number or a string of digits.
    fn marketplace_id(&mut self, field: &str, value: Option<&Value>) -> Option<u64> {
        match value {
            None | Some(Value::Null) => {
                self.push(field, "is missing");
                None
            }
            Some(value) => validation::marketplace_id(value)
                .map_err(|reason| self.push(field, reason))
                .ok(),
        }
    }

    fn interval(&mut self, value: Option<&Value>) -> i32 {
        let minutes = match value {
            None | Some(Value::Null) => Some(DEFAULT_INTERVAL_MINUTES),
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(_) => None,
        };
        match minutes
            .filter(|m| (1..=MAX_INTERVAL_MINUTES).contains(m))
            .and_then(|m| i32::try_from(m).ok())
        {
            Some(m) => m,
            None => {
                self.push(
                    "sync_interval_minutes",
                    format!("must be a whole number of minutes between 1 and {MAX_INTERVAL_MINUTES}"),
                );
                0
            }
        }
    }

    fn flag(&mut self, field: &str, value: Option<&Value>, default: bool) -> bool {
        match value {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.push(field, "must be true or false");
                default
            }
        }
    }

    /// Known feature names; duplicates are dropped (harmless in a legacy row).
    fn features(&mut self, value: Option<&Value>) -> Vec<Feature> {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return DEFAULT_FEATURES.to_vec();
        };
        let Some(names) = value.as_array() else {
            self.push("features", "must be a list of feature names");
            return Vec::new();
        };
        let mut out = Vec::new();
        for name in names {
            match name.as_str().and_then(Feature::parse) {
                Some(f) if !out.contains(&f) => out.push(f),
                Some(_) => {}
                None => self.push("features", format!("has an unknown feature {name}")),
            }
        }
        out
    }
}
