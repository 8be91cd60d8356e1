//! The Add / Edit Account form: the design's fields with each refusal next to its field, Test Connection
//! in place, and saving through the API's own create and update handlers.

mod view;

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use maud::{Markup, html};
use secrecy::SecretString;
use serde_json::Value;

use super::{
    ConsoleError,
    accounts::{EDITOR_NEEDED, account_view, base},
    form::FormData,
    session::{ConsoleUser, CsrfForm, is_fetch},
};
use crate::{
    AppState,
    error::ApiError,
    extract::AppJson,
    routes::accounts::{
        AccountView, CredentialsView,
        input::{CreateAccount, CredentialsInput, TestConnection, UpdateAccount},
        sync, write,
    },
};
use view::{Mode, field_errors_markup, form_page, report_markup};

/// What the Add / Edit form shows: typed values (never a secret), errors by API field name, and the
/// result of a connection test.
#[derive(Debug, Default)]
struct AccountForm {
    values: HashMap<&'static str, String>,
    enabled: bool,
    auto_sync: bool,
    is_primary: bool,
    features: Vec<String>,
    errors: HashMap<String, String>,
    /// A refusal that is not about one field (e.g. a taken shop).
    problem: Option<String>,
    report: Option<Markup>,
}

/// Every field that can carry an error, in the order the form shows them.
const FIELD_ORDER: [&str; 7] = [
    "account_name",
    "credentials.fs_id",
    "credentials.shop_id",
    "credentials.client_id",
    "credentials.client_secret",
    "sync_interval_minutes",
    "features",
];

const TEXT_FIELDS: [&str; 5] = [
    "account_name",
    "credentials.fs_id",
    "credentials.shop_id",
    "credentials.client_id",
    "sync_interval_minutes",
];

impl AccountForm {
    fn blank() -> Self {
        let mut form = Self {
            enabled: true,
            auto_sync: true,
            features: ["product_management", "order_management", "inventory_sync"]
                .map(str::to_owned)
                .to_vec(),
            ..Self::default()
        };
        form.values.insert("sync_interval_minutes", "15".into());
        form
    }

    fn from_account(a: &AccountView) -> Self {
        let mut form = Self {
            enabled: a.enabled,
            auto_sync: a.auto_sync,
            is_primary: a.is_primary,
            features: a.features.clone(),
            ..Self::default()
        };
        form.values.insert("account_name", a.account_name.clone());
        // Only form-connected shops have credentials to edit; the others renew theirs by Reconnect.
        if let CredentialsView::Tokopedia(c) = &a.credentials {
            form.values.insert("credentials.fs_id", c.fs_id.to_string());
            form.values.insert("credentials.shop_id", c.shop_id.to_string());
            form.values.insert("credentials.client_id", c.client_id.clone());
        }
        form.values
            .insert("sync_interval_minutes", a.sync_interval_minutes.to_string());
        form
    }

    fn from_post(form: &FormData) -> Self {
        let mut values = HashMap::new();
        for name in TEXT_FIELDS {
            values.insert(name, form.get(name).trim().to_owned());
        }
        Self {
            values,
            enabled: form.checked("enabled"),
            auto_sync: form.checked("auto_sync"),
            is_primary: form.checked("is_primary"),
            features: form.all("features"),
            ..Self::default()
        }
    }

    fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    fn credentials(&self, secret: &str) -> CredentialsInput {
        let id = |name| {
            Some(self.value(name))
                .filter(|v| !v.is_empty())
                .map(|v| Value::String(v.to_owned()))
        };
        CredentialsInput {
            fs_id: id("credentials.fs_id"),
            shop_id: id("credentials.shop_id"),
            client_id: Some(self.value("credentials.client_id").to_owned()),
            client_secret: (!secret.is_empty()).then(|| SecretString::from(secret.to_owned())),
        }
    }

    /// The interval as a number, or a field error.
    fn interval(&mut self) -> Option<i64> {
        let parsed = self.value("sync_interval_minutes").parse::<i64>().ok();
        if parsed.is_none() {
            self.errors.insert(
                "sync_interval_minutes".into(),
                "must be a whole number of minutes".into(),
            );
        }
        parsed
    }

    /// Takes the API's refusal: field errors go next to their fields, anything else above the form.
    fn refused(mut self, error: ApiError) -> Result<Self, ConsoleError> {
        match error {
            ApiError::Validation(fields) => {
                for f in fields {
                    self.errors.entry(f.field).or_insert(f.reason);
                }
            }
            ApiError::Conflict { message, .. } | ApiError::BadRequest(message) => self.problem = Some(message),
            other => return Err(other.into()),
        }
        Ok(self)
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(integration_id): Path<String>,
) -> Result<Markup, ConsoleError> {
    crate::routes::accounts::known_integration(&state, &integration_id).await?;
    crate::permissions::require_global_admin(&user.auth())?;
    Ok(form_page(&user, &integration_id, Mode::Add, &AccountForm::blank()))
}

pub async fn create(
    State(state): State<AppState>,
    Path(integration_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, ConsoleError> {
    let mut typed = AccountForm::from_post(&form);
    let interval = typed.interval();
    let body = CreateAccount {
        account_name: Some(typed.value("account_name").to_owned()),
        account_identifier: None,
        credentials: Some(typed.credentials(form.get("credentials.client_secret"))),
        enabled: Some(true),
        auto_sync: Some(typed.auto_sync),
        sync_interval_minutes: interval,
        features: Some(typed.features.clone()),
        is_primary: Some(typed.is_primary),
        metadata: None,
    };
    if !typed.errors.is_empty() {
        // Not sent: the API would create the account with a default interval. Its own checks still run,
        // so every bad field is reported at once.
        if let Err(e) = body.validate(&integration_id) {
            typed = typed.refused(e)?;
        }
        let page = form_page(&user, &integration_id, Mode::Add, &typed);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    match write::create(State(state), user.auth(), Path(integration_id.clone()), AppJson(body)).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?notice=created", base(&integration_id))).into_response()),
        Err(e) => {
            let typed = typed.refused(e)?;
            let page = form_page(&user, &integration_id, Mode::Add, &typed);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// Test Connection on the Add form: the typed credentials, nothing saved. Our script gets the result
/// alone; without it the whole form comes back (the secret must be typed again: it is never echoed).
pub async fn test_new(
    State(state): State<AppState>,
    Path(integration_id): Path<String>,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, ConsoleError> {
    let mut typed = AccountForm::from_post(&form);
    let body = TestConnection {
        credentials: Some(typed.credentials(form.get("credentials.client_secret"))),
    };
    let tested = sync::test_connection(State(state), user.auth(), Path(integration_id.clone()), AppJson(body)).await;
    let fragment = match tested {
        Ok(Json(response)) => report_markup(&response.data),
        Err(e) => {
            typed = typed.refused(e)?;
            field_errors_markup(&typed)
        }
    };
    if is_fetch(&headers) {
        return Ok(fragment.into_response());
    }
    typed.errors.clear();
    typed.report = Some(fragment);
    Ok(form_page(&user, &integration_id, Mode::Add, &typed).into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<Markup, ConsoleError> {
    let account = account_view(&state, &user, &integration_id, &id).await?;
    if account.your_role == "viewer" {
        return Err(ApiError::Forbidden(format!("{EDITOR_NEEDED}.")).into());
    }
    Ok(form_page(
        &user,
        &integration_id,
        Mode::Edit(&account),
        &AccountForm::from_account(&account),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    Path((integration_id, id)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, ConsoleError> {
    let account = account_view(&state, &user, &integration_id, &id).await?;
    let mut typed = AccountForm::from_post(&form);
    let interval = typed.interval();
    let secret = form.get("credentials.client_secret");
    // Credentials are sent only when changed, so editors (who may not change them) save everything else.
    let stored = AccountForm::from_account(&account);
    let creds_changed = !secret.is_empty()
        || ["credentials.fs_id", "credentials.shop_id", "credentials.client_id"]
            .iter()
            .any(|f| typed.value(f) != stored.value(f));
    let body = UpdateAccount {
        account_name: Some(typed.value("account_name").to_owned()),
        account_identifier: None,
        // Editors' credential fields are read-only; a changed value sent anyway is refused by the API (403).
        credentials: creds_changed.then(|| typed.credentials(secret)),
        enabled: Some(typed.enabled),
        auto_sync: Some(typed.auto_sync),
        sync_interval_minutes: interval,
        features: Some(typed.features.clone()),
        metadata: None,
    };
    if typed.errors.is_empty() {
        let updated = write::update(
            State(state),
            user.auth(),
            Path((integration_id.clone(), id.clone())),
            AppJson(body),
        )
        .await;
        match updated {
            Ok(_) => {
                let target = format!("{}/{}?notice=updated", base(&integration_id), account.id);
                return Ok(Redirect::to(&target).into_response());
            }
            Err(e) => typed = typed.refused(e)?,
        }
    } else if let Err(e) = body.validate() {
        // Not sent (a bad interval); the API's own checks still report every other bad field now.
        typed = typed.refused(e)?;
    }
    let page = form_page(&user, &integration_id, Mode::Edit(&account), &typed);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Test Connection on the Edit form: the account's stored credentials.
pub async fn test_stored(
    State(state): State<AppState>,
    Path((integration_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, ConsoleError> {
    let Json(response) = sync::test_account(
        State(state.clone()),
        user.auth(),
        Path((integration_id.clone(), id.clone())),
    )
    .await?;
    let fragment = html! {
        (report_markup(&response.data))
        p.help { "This tested the stored credentials; save new ones first to test them." }
    };
    if is_fetch(&headers) {
        return Ok(fragment.into_response());
    }
    let account = account_view(&state, &user, &integration_id, &id).await?;
    let mut form = AccountForm::from_account(&account);
    form.report = Some(fragment);
    Ok(form_page(&user, &integration_id, Mode::Edit(&account), &form).into_response())
}
