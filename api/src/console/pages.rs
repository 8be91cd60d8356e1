//! Sign-in, the Integrations page, the consolidated dashboard and platform settings.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;
use maud::{Markup, html};
use ocean_core::{
    db::reports,
    marketplace::{Marketplace, adapter::Connect},
};
use serde::Deserialize;

use super::{
    ConsoleError,
    form::FormData,
    layout::{self, Nav, ago, change, csrf, page, rupiah, rupiah_short, thousands},
    session::{self, ConsoleUser, CsrfForm},
};
use crate::{
    AppState,
    extract::AppJson,
    routes::{
        accounts::{AccountView, Summary, summary, view_list},
        integrations::{self as integration_routes, IntegrationView, SettingsRequest},
    },
    throttle::ClientAddr,
};

#[derive(Debug, Default, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

pub async fn sign_in_page(Query(q): Query<SignInQuery>) -> Markup {
    let notice = q.signed_out.is_some().then_some("You are signed out.");
    sign_in_form(q.next.as_deref().unwrap_or("/integrations"), notice, None)
}

fn sign_in_form(next: &str, notice: Option<&str>, error: Option<&str>) -> Markup {
    layout::shell(
        "Sign in",
        html! {
            main.narrow id="main" {
                h1 { "Ocean Sync" }
                p { "Sign in with your API token. An administrator issues tokens with "
                    code { "POST /api/users/{id}/tokens" } "." }
                @if let Some(notice) = notice { p.notice role="status" { (notice) } }
                form.card method="post" action="/sign-in" {
                    input type="hidden" name="next" value=(session::safe_next(next));
                    div.field {
                        label for="token" { "API token" }
                        input #token name="token" type="password" required autocomplete="current-password"
                            aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "token-error")];
                        @if let Some(error) = error { p.error #token-error role="alert" { (error) } }
                    }
                    button.primary type="submit" { "Sign in" }
                }
            }
        },
    )
}

pub async fn sign_in(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    if let Err(e) = session::check_origin(&headers) {
        return e.into_response();
    }
    let next = form.get("next").to_owned();
    let token = form.get("token");
    if token.trim().is_empty() {
        let page = sign_in_form(&next, None, Some("Enter your API token."));
        return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
    }
    match session::sign_in(&state, client, &headers, token, &next).await {
        Ok(response) => response,
        Err(ConsoleError::Throttled(throttled)) => {
            let secs = throttled.retry_after_secs();
            let message = format!("Too many wrong tokens from your address; try again in {secs} seconds.");
            let page = sign_in_form(&next, None, Some(&message));
            (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, secs)], page).into_response()
        }
        Err(ConsoleError::BadToken) => {
            let page = sign_in_form(&next, None, Some("That token is unknown or revoked."));
            (StatusCode::UNAUTHORIZED, page).into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap, _form: CsrfForm) -> Response {
    match session::sign_out(&state, &headers).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

/// The Integrations page: one card per marketplace, as the design draws the first.
pub async fn integrations(State(state): State<AppState>, user: ConsoleUser) -> Result<Markup, ConsoleError> {
    let mut cards = Vec::new();
    for marketplace in Marketplace::ALL {
        cards.push(integration_card(&state, &user, marketplace).await?);
    }
    let content = html! {
        h1 { "Integrations" }
        @for card in cards { (card) }
    };
    Ok(page("Integrations", &user, Nav::Integrations, content))
}

/// One integration's card: its accounts, their state, and what the user may do.
async fn integration_card(
    state: &AppState,
    user: &ConsoleUser,
    marketplace: Marketplace,
) -> Result<Markup, ConsoleError> {
    let integration_id = marketplace.id();
    let integration = integration_view(state, user, integration_id).await?;
    let list = view_list(state, &user.auth(), integration_id, 1).await?;
    let summary = reports::totals(&state.pool, integration_id, list.visible.as_deref()).await?;
    let (total, with_errors, last_sync) = (summary.total_accounts, summary.error_accounts, summary.last_sync_at);
    let now = Utc::now();
    let status = match () {
        _ if total == 0 => "Not connected".to_owned(),
        _ if with_errors > 0 => format!("{with_errors} of {total} need attention"),
        _ if summary.active_accounts == total => "Active".to_owned(),
        _ => format!("{} of {total} active", summary.active_accounts),
    };
    let base = format!("/integrations/{integration_id}");
    let can_sync = total > 0 && super::accounts::can_sync_any(state, user, integration_id).await?;
    let card = html! {
        section.card.integration aria-labelledby=(format!("{integration_id}-title")) {
            h2 id=(format!("{integration_id}-title")) { (integration.name) }
            @if let Some(description) = &integration.description { p.muted { (description) } }
            p { "Connected: " strong { (total) " account" @if total != 1 { "s" } } }
            p { "Status: " span.integration-status id=(format!("{integration_id}-status")) { (status) }
                " | Last sync: " (ago(last_sync, now)) }
            @if !list.accounts.is_empty() {
                h3 { "Accounts:" }
                ul.accounts-summary {
                    @for a in &list.accounts {
                        li {
                            a href=(format!("{base}/accounts/{}", a.id)) { (a.account_name) }
                            @if a.is_primary { " (Primary)" }
                            " – " (a.stats.daily_order_average) " orders/day"
                        }
                    }
                }
                @if list.pagination.total > list.accounts.len() as i64 {
                    p.muted { "and " (list.pagination.total - list.accounts.len() as i64) " more" }
                }
            }
            div.actions {
                a.button href=(format!("{base}/accounts")) { "Manage Accounts" }
                @if marketplace.connect() == Connect::Consent {
                    (layout::action_button(user, &format!("{base}/connect"), &format!("Connect {}", integration.name),
                        user.user.is_admin, "Only global admins connect shops", &format!("{base}/accounts")))
                }
                (layout::action_button(user, &format!("{base}/sync-all"), "Sync All", can_sync,
                    "Needs the editor role on at least one account", &format!("{base}/accounts")))
                a.button href=(format!("{base}/settings")) { "Settings" }
                a.button href=(format!("{base}/dashboard")) { "Dashboard" }
            }
        }
    };
    Ok(card)
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

/// The consolidated dashboard: today's totals, each account against yesterday, and the last 24 hours of
/// syncs and failures.
pub async fn dashboard(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(integration_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Markup, ConsoleError> {
    let integration = integration_view(&state, &user, &integration_id).await?;
    let list = view_list(
        &state,
        &user.auth(),
        &integration_id,
        layout::page_number(q.page.as_deref()),
    )
    .await?;
    let summary = summary(&state, list.visible.as_deref(), &integration_id).await?;
    let hours = reports::hourly_activity(&state.pool, &integration_id, list.visible.as_deref()).await?;
    let clock = reports::report_clock(&state.pool).await?;
    let content = html! {
        h1 { (integration.name) " Overview – All Accounts" }
        (totals(&summary))
        section aria-labelledby="per-account" {
            h2 #per-account { "Performance by Account" }
            @if list.accounts.is_empty() { p.muted { "No accounts yet." } }
            div.grid {
                @for a in &list.accounts { (performance(&integration_id, a, &clock)) }
            }
            (super::accounts::pager(&format!("/integrations/{integration_id}/dashboard"), &list.pagination))
        }
        section aria-labelledby="activity" {
            h2 #activity { "Syncs in the last 24 hours" }
            (activity_chart(&hours))
        }
    };
    Ok(page("Dashboard", &user, Nav::Dashboard, content))
}

fn totals(s: &Summary) -> Markup {
    let figure = |label: &str, value: String, id: &str| {
        html! { div.figure { span.label { (label) } strong id=(id) { (value) } } }
    };
    html! {
        section.figures aria-label="Today across all accounts" {
            (figure("Total Revenue Today", rupiah(s.revenue_today), "revenue-today"))
            (figure("Total Orders Today", thousands(s.total_orders_today), "orders-today"))
            (figure("Pending Orders", thousands(s.pending_orders), "pending-orders"))
            (figure("Active Products", thousands(s.active_products), "active-products"))
        }
    }
}

/// Today so far against yesterday until the same time of day (`clock`, Asia/Jakarta), so that a morning is
/// not compared with a whole day.
fn performance(integration_id: &str, a: &AccountView, clock: &str) -> Markup {
    html! {
        article.card.performance data-account-id=(a.id) {
            h3 { a href=(format!("/integrations/{integration_id}/accounts/{}", a.id)) { (a.account_name) } }
            p {
                "Revenue: " (rupiah_short(a.stats.revenue_today))
                " | Orders: " (a.stats.orders_today)
                " | " (change(a.stats.revenue_change_percent))
                " " span.muted { "vs yesterday until " (clock) }
            }
        }
    }
}

/// Bars per hour: all syncs, and failures in front of them.
fn activity_chart(hours: &[reports::HourlyActivity]) -> Markup {
    const W: f64 = 720.0;
    const H: f64 = 160.0;
    let max = hours.iter().map(|h| h.syncs).max().unwrap_or(0).max(1) as f64;
    let slot = W / hours.len().max(1) as f64;
    let syncs: i64 = hours.iter().map(|h| h.syncs).sum();
    let failures: i64 = hours.iter().map(|h| h.failures).sum();
    let bar_height = |n: i64| (n as f64 / max) * (H - 20.0);
    let summary = format!("{syncs} syncs and {failures} failures in the last 24 hours, by hour");
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(summary) preserveAspectRatio="none" {
                @for (i, h) in hours.iter().enumerate() {
                    @let x = i as f64 * slot;
                    g {
                        title { (h.hour.format("%H:00 UTC")) ": " (h.syncs) " syncs, " (h.failures) " failed" }
                        rect.syncs x=(x + 2.0) y=(H - 16.0 - bar_height(h.syncs)) width=(slot - 4.0)
                            height=(bar_height(h.syncs)) {}
                        rect.failures x=(x + 2.0) y=(H - 16.0 - bar_height(h.failures)) width=(slot - 4.0)
                            height=(bar_height(h.failures)) {}
                        @if i % 6 == 0 {
                            text x=(x + 2.0) y=(H - 2.0) { (h.hour.format("%H:00")) }
                        }
                    }
                }
            }
            figcaption {
                span.key.syncs-key { "Syncs" } " " (syncs) " · "
                span.key.failures-key { "Failures" } " " (failures)
                " (hours in UTC)"
            }
        }
    }
}

/// Platform settings: the design's three switches.
pub async fn settings(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(integration_id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Markup, ConsoleError> {
    let integration = integration_view(&state, &user, &integration_id).await?;
    Ok(settings_page(&user, &integration, q.notice.as_deref()))
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

fn settings_page(user: &ConsoleUser, integration: &IntegrationView, notice: Option<&str>) -> Markup {
    let admin = user.user.is_admin;
    let s = &integration.settings;
    let switch = |name: &str, label: &str, on: bool, help: &str| {
        html! {
            div.field.check {
                input type="checkbox" id=(name) name=(name) value="on" checked[on] disabled[!admin]
                    aria-describedby=(format!("{name}-help"));
                label for=(name) { (label) }
                p.help id=(format!("{name}-help")) { (help) }
            }
        }
    };
    let content = html! {
        h1 { "Platform Settings" }
        @if notice == Some("saved") { p.notice role="status" { "Settings saved." } }
        @if !admin { p.muted { "Only global admins change platform settings." } }
        form.card method="post" action=(format!("/integrations/{}/settings", integration.integration_id)) {
            (csrf(user))
            fieldset {
                legend { (integration.name) " platform settings" }
                (switch("sync_all_simultaneously", "Sync all accounts simultaneously", s.sync_all_simultaneously,
                    "Off: Sync All releases the accounts one after another, at most a second apart."))
                (switch("share_product_catalog", "Share product catalog across accounts", s.share_product_catalog,
                    "Products with the same SKU in several accounts map to one ERP product."))
                (switch("consolidated_order_notifications", "Consolidated order notifications",
                    s.consolidated_order_notifications, "One order notification stream for all accounts."))
            }
            div.actions {
                a.button href=(format!("/integrations/{}/accounts", integration.integration_id)) { "Cancel" }
                button.primary type="submit" disabled[!admin] { "Save Settings" }
            }
        }
    };
    page("Platform Settings", user, Nav::Settings, content)
}

pub async fn save_settings(
    State(state): State<AppState>,
    Path(integration_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, ConsoleError> {
    let request = SettingsRequest {
        sync_all_simultaneously: Some(form.checked("sync_all_simultaneously")),
        share_product_catalog: Some(form.checked("share_product_catalog")),
        consolidated_order_notifications: Some(form.checked("consolidated_order_notifications")),
    };
    let _ = integration_routes::update_settings(
        State(state),
        user.auth(),
        Path(integration_id.clone()),
        AppJson(request),
    )
    .await?;
    Ok(Redirect::to(&format!("/integrations/{integration_id}/settings?notice=saved")).into_response())
}

async fn integration_view(
    state: &AppState,
    user: &ConsoleUser,
    integration_id: &str,
) -> Result<IntegrationView, ConsoleError> {
    let Json(response) =
        integration_routes::get_integration(State(state.clone()), user.auth(), Path(integration_id.to_owned())).await?;
    Ok(response.data)
}
