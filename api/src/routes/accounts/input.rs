//! Request bodies and query strings of the account routes, and their validation: every bad field is
//! reported at once, by name.

use ocean_core::{
    db::accounts::{AccountUpdate, ListQuery, NewAccount, SortKey},
    domain::{AccountCredentials, AccountSecrets, Feature},
    marketplace::tokopedia::TokopediaCredentials,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::{
    error::{ApiError, FieldError},
    validation,
};

/// Credentials as sent. Ids may be numbers or strings of digits.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CredentialsInput {
    /// Tokopedia app id (Fulfillment Service id).
    #[schema(value_type = Option<String>, example = "12345", pattern = "^[0-9]*[1-9][0-9]*$")]
    pub fs_id: Option<Value>,
    #[schema(value_type = Option<String>, example = "67890", pattern = "^[0-9]*[1-9][0-9]*$")]
    pub shop_id: Option<Value>,
    #[schema(min_length = 1, max_length = 255)]
    pub client_id: Option<String>,
    /// Write-only: stored sealed, never returned.
    #[schema(value_type = Option<String>, format = Password, min_length = 1, max_length = 1024)]
    pub client_secret: Option<SecretString>,
}

/// Body of `POST .../accounts`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateAccount {
    /// Required, at most 255 characters.
    #[schema(min_length = 1, max_length = 255)]
    pub account_name: Option<String>,
    /// Unique within the integration; defaults to `shop_<shop_id>`.
    #[schema(min_length = 1, max_length = 255)]
    pub account_identifier: Option<String>,
    /// Required: fs_id, shop_id, client_id and client_secret.
    pub credentials: Option<CredentialsInput>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Default true.
    pub auto_sync: Option<bool>,
    /// 1 to 10080; default 15.
    #[schema(minimum = 1, maximum = 10080)]
    pub sync_interval_minutes: Option<i64>,
    /// Default product_management, order_management, inventory_sync.
    pub features: Option<Vec<String>>,
    /// Make this the integration's primary account (the first account always is).
    pub is_primary: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// Body of `PUT .../accounts/{id}`: only the fields given change. Credentials need the account admin role;
/// a credentials object without `client_secret` keeps the stored secret.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateAccount {
    #[schema(min_length = 1, max_length = 255)]
    pub account_name: Option<String>,
    #[schema(min_length = 1, max_length = 255)]
    pub account_identifier: Option<String>,
    pub credentials: Option<CredentialsInput>,
    pub enabled: Option<bool>,
    pub auto_sync: Option<bool>,
    #[schema(minimum = 1, maximum = 10080)]
    pub sync_interval_minutes: Option<i64>,
    pub features: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// Body of `POST .../accounts/test-connection`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TestConnection {
    pub credentials: Option<CredentialsInput>,
}

const DEFAULT_FEATURES: [Feature; 3] = [
    Feature::ProductManagement,
    Feature::OrderManagement,
    Feature::InventorySync,
];
/// One week.
const MAX_INTERVAL_MINUTES: i64 = 10_080;

/// Collects field errors while parsing.
#[derive(Default)]
struct Check(Vec<FieldError>);

impl Check {
    fn fail(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push(FieldError::new(field, reason));
    }

    /// Trimmed text of 1..=max characters without control characters.
    fn text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        validation::text(value.unwrap_or_default(), max)
            .map_err(|reason| self.fail(field, reason))
            .ok()
    }

    /// A positive marketplace id, given as a number or a string of digits.
    fn marketplace_id(&mut self, field: &str, value: Option<&Value>) -> Option<u64> {
        match value {
            None | Some(Value::Null) => {
                self.fail(field, "is required");
                None
            }
            Some(value) => validation::marketplace_id(value)
                .map_err(|reason| self.fail(field, reason))
                .ok(),
        }
    }

    fn secret(&mut self, field: &str, value: Option<&SecretString>) -> Option<SecretString> {
        let secret = value.map(|s| s.expose_secret().trim().to_owned());
        match secret {
            None => self.fail(field, "is required"),
            Some(s) if s.is_empty() => self.fail(field, "must not be empty"),
            Some(s) if s.len() > 1024 => self.fail(field, "must be at most 1024 characters"),
            Some(s) => return Some(SecretString::from(s)),
        }
        None
    }

    fn interval(&mut self, value: i64) -> i32 {
        if !(1..=MAX_INTERVAL_MINUTES).contains(&value) {
            self.fail(
                "sync_interval_minutes",
                format!("must be between 1 and {MAX_INTERVAL_MINUTES}"),
            );
        }
        value.clamp(1, MAX_INTERVAL_MINUTES) as i32
    }

    fn features(&mut self, names: &[String]) -> Vec<Feature> {
        let mut out = Vec::new();
        for name in names {
            match Feature::parse(name) {
                Some(f) if !out.contains(&f) => out.push(f),
                Some(_) => self.fail("features", format!("`{name}` is listed twice")),
                None => {
                    let known: Vec<&str> = Feature::ALL.iter().map(|f| f.as_str()).collect();
                    self.fail(
                        "features",
                        format!("unknown feature `{name}`; known: {}", known.join(", ")),
                    );
                }
            }
        }
        out
    }

    fn metadata(&mut self, value: Option<Value>) -> Option<Value> {
        let value = value?;
        if !value.is_object() {
            self.fail("metadata", "must be a JSON object");
            None
        } else if validation::json_has_nul(&value) {
            self.fail("metadata", format!("keys and values {}", validation::NUL_REASON));
            None
        } else {
            Some(value)
        }
    }

    fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, ApiError> {
        if !self.0.is_empty() {
            return Err(ApiError::Validation(self.0));
        }
        value().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("validated input incomplete")))
    }
}

/// Validated credentials: identifiers plus the secret when one was given.
pub struct ParsedCredentials {
    pub public: TokopediaCredentials,
    pub secret: Option<SecretString>,
}

fn credentials(
    check: &mut Check,
    input: Option<&CredentialsInput>,
    secret_required: bool,
) -> Option<ParsedCredentials> {
    let empty = CredentialsInput::default();
    let input = input.unwrap_or(&empty);
    let fs_id = check.marketplace_id("credentials.fs_id", input.fs_id.as_ref());
    let shop_id = check.marketplace_id("credentials.shop_id", input.shop_id.as_ref());
    let client_id = check.text("credentials.client_id", input.client_id.as_deref(), 255);
    let secret = if secret_required || input.client_secret.is_some() {
        check.secret("credentials.client_secret", input.client_secret.as_ref())
    } else {
        None
    };
    Some(ParsedCredentials {
        public: TokopediaCredentials {
            fs_id: fs_id?,
            shop_id: shop_id?,
            client_id: client_id?,
        },
        secret,
    })
}

impl CreateAccount {
    pub fn validate(self, integration_id: &str) -> Result<NewAccount, ApiError> {
        let mut check = Check::default();
        let account_name = check.text("account_name", self.account_name.as_deref(), 255);
        let creds = credentials(&mut check, self.credentials.as_ref(), true);
        let account_identifier = match (&self.account_identifier, &creds) {
            (Some(given), _) => check.text("account_identifier", Some(given), 255),
            (None, Some(c)) => Some(format!("shop_{}", c.public.shop_id)),
            (None, None) => None,
        };
        let interval = check.interval(self.sync_interval_minutes.unwrap_or(15));
        let features = self
            .features
            .as_deref()
            .map_or_else(|| DEFAULT_FEATURES.to_vec(), |f| check.features(f));
        let metadata = check.metadata(self.metadata);
        check.finish(|| {
            let creds = creds?;
            Some(NewAccount {
                integration_id: integration_id.to_owned(),
                account_name: account_name?,
                account_identifier: account_identifier?,
                credentials: AccountCredentials::Tokopedia(creds.public),
                secrets: AccountSecrets::Tokopedia {
                    client_secret: creds.secret?,
                },
                enabled: self.enabled.unwrap_or(true),
                auto_sync: self.auto_sync.unwrap_or(true),
                sync_interval_minutes: interval,
                features,
                is_primary: self.is_primary.unwrap_or(false),
                metadata: metadata.unwrap_or_else(|| Value::Object(Default::default())),
            })
        })
    }
}

impl UpdateAccount {
    /// Whether this update touches credentials (which needs the account admin role).
    pub fn changes_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    pub fn validate(self) -> Result<AccountUpdate, ApiError> {
        let mut check = Check::default();
        let account_name = self
            .account_name
            .as_deref()
            .map(|n| check.text("account_name", Some(n), 255));
        let account_identifier = self
            .account_identifier
            .as_deref()
            .map(|i| check.text("account_identifier", Some(i), 255));
        let creds = self
            .credentials
            .as_ref()
            .map(|c| credentials(&mut check, Some(c), false));
        let interval = self.sync_interval_minutes.map(|i| check.interval(i));
        let features = self.features.as_deref().map(|f| check.features(f));
        let metadata = self
            .metadata
            .and_then(|m| check.metadata(Some(m)).map(Some))
            .unwrap_or(None);
        check.finish(|| {
            let (credentials, secret) = match creds {
                Some(c) => {
                    let c = c?;
                    (Some(AccountCredentials::Tokopedia(c.public)), c.secret)
                }
                None => (None, None),
            };
            Some(AccountUpdate {
                account_name: account_name.flatten(),
                account_identifier: account_identifier.flatten(),
                credentials,
                secrets: secret.map(|client_secret| AccountSecrets::Tokopedia { client_secret }),
                enabled: self.enabled,
                auto_sync: self.auto_sync,
                sync_interval_minutes: interval,
                features,
                metadata,
            })
        })
    }
}

impl TestConnection {
    pub fn validate(self) -> Result<(TokopediaCredentials, SecretString), ApiError> {
        let mut check = Check::default();
        let creds = credentials(&mut check, self.credentials.as_ref(), true);
        check.finish(|| {
            let c = creds?;
            Some((c.public, c.secret?))
        })
    }
}

/// Paging, sorting and filters of the account list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1-based page, default 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
    /// `id` (default), `account_name`, `status`, `last_sync_at` or `created_at`.
    #[param(pattern = "^(id|account_name|status|last_sync_at|created_at)$")]
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    #[param(pattern = "^(asc|desc)$")]
    pub order: Option<String>,
    /// Only accounts with this status.
    #[param(pattern = "^(active|inactive|error|pending)$")]
    pub status: Option<String>,
    /// Only enabled (true) or disabled (false) accounts.
    pub enabled: Option<bool>,
}

const MAX_PAGE: i64 = 1_000_000;

/// `page`/`per_page` as validated numbers.
pub fn paging(
    check_page: Option<i64>,
    check_per_page: Option<i64>,
    default_per_page: i64,
) -> Result<(i64, i64), ApiError> {
    let mut errors = Vec::new();
    let page = check_page.unwrap_or(1);
    let per_page = check_per_page.unwrap_or(default_per_page);
    // The cap keeps the row offset far from overflow; no listing here has a million pages.
    if !(1..=MAX_PAGE).contains(&page) {
        errors.push(FieldError::new("page", format!("must be between 1 and {MAX_PAGE}")));
    }
    if !(1..=100).contains(&per_page) {
        errors.push(FieldError::new("per_page", "must be between 1 and 100"));
    }
    if errors.is_empty() {
        Ok((page, per_page))
    } else {
        Err(ApiError::Validation(errors))
    }
}

impl ListParams {
    pub fn validate(self) -> Result<ListQuery, ApiError> {
        let (page, per_page) = paging(self.page, self.per_page, 50)?;
        let mut check = Check::default();
        let sort = match self.sort.as_deref() {
            None => SortKey::Id,
            Some(s) => SortKey::parse(s).unwrap_or_else(|| {
                check.fail("sort", format!("must be one of {}", SortKey::NAMES.join(", ")));
                SortKey::Id
            }),
        };
        let descending = match self.order.as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => {
                check.fail("order", "must be asc or desc");
                false
            }
        };
        if let Some(status) = self.status.as_deref()
            && !["active", "inactive", "error", "pending"].contains(&status)
        {
            check.fail("status", "must be active, inactive, error or pending");
        }
        check.finish(|| {
            Some(ListQuery {
                page,
                per_page,
                sort,
                descending,
                status: self.status,
                enabled: self.enabled,
                only: None,
            })
        })
    }
}

/// Paging and filters of an account's log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// 1-based page, default 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
    /// Only `success`, `failure` or `skipped` entries.
    #[param(pattern = "^(success|failure|skipped)$")]
    pub outcome: Option<String>,
    /// Only `sync` or `audit` entries.
    #[param(pattern = "^(sync|audit)$")]
    pub kind: Option<String>,
}

impl LogParams {
    pub fn validate(self) -> Result<ocean_core::db::logs::LogQuery, ApiError> {
        let (page, per_page) = paging(self.page, self.per_page, 50)?;
        let mut check = Check::default();
        if let Some(o) = self.outcome.as_deref()
            && !["success", "failure", "skipped"].contains(&o)
        {
            check.fail("outcome", "must be success, failure or skipped");
        }
        if let Some(k) = self.kind.as_deref()
            && !["sync", "audit"].contains(&k)
        {
            check.fail("kind", "must be sync or audit");
        }
        check.finish(|| {
            Some(ocean_core::db::logs::LogQuery {
                outcome: self.outcome,
                kind: self.kind,
                page,
                per_page,
            })
        })
    }
}
