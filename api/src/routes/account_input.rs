//! The create-account body and its validation: every bad field is reported at once, by name.

use ocean_shared::{
    db::accounts::NewAccount,
    domain::{AccountCredentials, AccountSecrets, Feature},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// Accepted as typed loosely (ids as numbers or numeric strings) so validation can name each bad field.
#[derive(Debug, Deserialize)]
pub struct CreateAccount {
    pub account_name: Option<String>,
    pub account_identifier: Option<String>,
    pub credentials: Option<CredentialsInput>,
    pub enabled: Option<bool>,
    pub auto_sync: Option<bool>,
    pub sync_interval_minutes: Option<i64>,
    pub features: Option<Vec<String>>,
    pub is_primary: Option<bool>,
    pub metadata: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct CredentialsInput {
    pub fs_id: Option<Value>,
    pub shop_id: Option<Value>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
}

const DEFAULT_FEATURES: [Feature; 3] = [
    Feature::ProductManagement,
    Feature::OrderManagement,
    Feature::InventorySync,
];
/// One week.
const MAX_INTERVAL_MINUTES: i64 = 10_080;

impl CreateAccount {
    pub fn validate(self, integration_id: &str) -> Result<NewAccount, ApiError> {
        let mut errors = Vec::new();
        let account_name = text(
            &mut errors,
            "account_name",
            self.account_name.as_deref(),
            255,
        );
        let creds = self.credentials.unwrap_or(CredentialsInput {
            fs_id: None,
            shop_id: None,
            client_id: None,
            client_secret: None,
        });
        let fs_id = marketplace_id(&mut errors, "credentials.fs_id", creds.fs_id.as_ref());
        let shop_id = marketplace_id(&mut errors, "credentials.shop_id", creds.shop_id.as_ref());
        let client_id = text(
            &mut errors,
            "credentials.client_id",
            creds.client_id.as_deref(),
            255,
        );
        let secret = creds
            .client_secret
            .as_ref()
            .map(|s| s.expose_secret().trim().to_owned());
        let client_secret = match secret.as_deref() {
            None | Some("") => {
                errors.push(FieldError::new("credentials.client_secret", "is required"));
                None
            }
            Some(s) if s.len() > 1024 => {
                errors.push(FieldError::new(
                    "credentials.client_secret",
                    "must be at most 1024 characters",
                ));
                None
            }
            Some(s) => Some(SecretString::from(s.to_owned())),
        };
        let account_identifier = match (self.account_identifier.as_deref(), shop_id) {
            (Some(given), _) => text(&mut errors, "account_identifier", Some(given), 255),
            (None, Some(shop)) => Some(format!("shop_{shop}")),
            (None, None) => None,
        };
        let interval = self.sync_interval_minutes.unwrap_or(15);
        if !(1..=MAX_INTERVAL_MINUTES).contains(&interval) {
            errors.push(FieldError::new(
                "sync_interval_minutes",
                format!("must be between 1 and {MAX_INTERVAL_MINUTES}"),
            ));
        }
        let features = self.features.map_or_else(
            || DEFAULT_FEATURES.to_vec(),
            |names| features(&mut errors, &names),
        );
        let metadata = self
            .metadata
            .unwrap_or_else(|| Value::Object(Default::default()));
        if !metadata.is_object() {
            errors.push(FieldError::new("metadata", "must be a JSON object"));
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let missing = || ApiError::Internal(anyhow::anyhow!("validated field missing"));
        Ok(NewAccount {
            integration_id: integration_id.to_owned(),
            account_name: account_name.ok_or_else(missing)?,
            account_identifier: account_identifier.ok_or_else(missing)?,
            credentials: AccountCredentials {
                fs_id: fs_id.ok_or_else(missing)?,
                shop_id: shop_id.ok_or_else(missing)?,
                client_id: client_id.ok_or_else(missing)?,
            },
            secrets: AccountSecrets {
                client_secret: client_secret.ok_or_else(missing)?,
            },
            enabled: self.enabled.unwrap_or(true),
            auto_sync: self.auto_sync.unwrap_or(true),
            sync_interval_minutes: interval as i32,
            features,
            is_primary: self.is_primary.unwrap_or(false),
            metadata,
        })
    }
}

/// Required trimmed text of at most `max` characters, without control characters.
fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = value.map(str::trim).unwrap_or_default();
    let reason = if value.is_empty() {
        "is required"
    } else if value.chars().count() > max {
        return {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
            None
        };
    } else if value.chars().any(char::is_control) {
        "must not contain control characters"
    } else {
        return Some(value.to_owned());
    };
    errors.push(FieldError::new(field, reason));
    None
}

/// A positive marketplace id, given as a number or a string of digits.
fn marketplace_id(errors: &mut Vec<FieldError>, field: &str, value: Option<&Value>) -> Option<u64> {
    let parsed = match value {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(field, "is required"));
            return None;
        }
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    match parsed.filter(|id| *id > 0) {
        Some(id) => Some(id),
        None => {
            errors.push(FieldError::new(
                field,
                "must be a positive integer (number or digits)",
            ));
            None
        }
    }
}

fn features(errors: &mut Vec<FieldError>, names: &[String]) -> Vec<Feature> {
    let mut out = Vec::new();
    for name in names {
        match Feature::parse(name) {
            Some(f) if !out.contains(&f) => out.push(f),
            Some(_) => errors.push(FieldError::new(
                "features",
                format!("`{name}` is listed twice"),
            )),
            None => {
                let known: Vec<&str> = Feature::ALL.iter().map(|f| f.as_str()).collect();
                errors.push(FieldError::new(
                    "features",
                    format!("unknown feature `{name}`; known: {}", known.join(", ")),
                ));
            }
        }
    }
    out
}
