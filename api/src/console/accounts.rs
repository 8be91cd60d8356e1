//! Manage Accounts, the account detail page and the per-account actions.
//! Every action goes through the API's handler for it, so roles, validation and audit are the API's.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    ConsoleError,
    form::FormData,
    layout::{self, Nav, action_button, ago, csrf, page},
    session::{self, ConsoleUser, CsrfForm},
};
use crate::{
    AppState,
    openapi::Pagination,
    routes::accounts::{AccountView, LogView, input::LogParams, read, sync, view_list, write},
};

pub(super) const EDITOR_NEEDED: &str = "Needs the editor role on this account";
const ADMIN_NEEDED: &str = "Needs the admin role on this account";

pub(super) fn base(integration_id: &str) -> String {
    format!("/integrations/{integration_id}/accounts")
}

/// Messages for `?notice=` after an action's redirect (fixed texts: nothing from the URL is echoed).
fn notice_text(key: &str) -> Option<&'static str> {
    Some(match key {
        "created" => "Account connected. Its first sync is on the way.",
        "updated" => "Account saved.",
        "sync" => "Sync requested.",
        "sync_all" => "Sync requested for every account you can edit.",
        "primary" => "Primary account changed.",
        "removed" => "Account removed.",
        "resumed" => "Account resumed; it syncs again now.",
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    page: Option<String>,
    notice: Option<String>,
}

/// Manage Accounts: every account as a card with its actions, refreshed live while the page is open.
pub async fn manage(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(integration_id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Markup, ConsoleError> {
    let page_no = layout::page_number(q.page.as_deref());
    let list = view_list(&state, &user.auth(), &integration_id, page_no).await?;
    let base = base(&integration_id);
    let can_sync_any = can_sync_any(&state, &user, &integration_id).await?;
    let cards = account_cards(&user, &integration_id, &list.accounts, Utc::now());
    let read_only = list.accounts.iter().any(|a| a.your_role != "admin");
    let content = html! {
        h1 { "Connected Accounts (" (list.pagination.total) ")" }
        @if let Some(text) = q.notice.as_deref().and_then(notice_text) { p.notice role="status" { (text) } }
        div.actions {
            @if user.user.is_admin {
                a.button.primary href=(format!("{base}/new")) { "+ Add New Tokopedia Account" }
            } @else {
                button type="button" disabled title="Only global admins add accounts" { "+ Add New Tokopedia Account" }
            }
            (action_button(&user, &format!("/integrations/{integration_id}/sync-all"), "Sync All", can_sync_any,
                "Needs the editor role on at least one account", &base))
            a.button href=(format!("/integrations/{integration_id}/settings")) { "Platform Settings" }
        }
        @if read_only {
            p.muted #role-note {
                "Buttons that need a role you do not hold on an account are disabled: editors sync and edit, "
                "account admins also change credentials, set the primary account and remove accounts."
            }
        }
        // Not a live region itself: the script announces status changes in #live-announcer instead of
        // having every card read out again on each refresh.
        div #account-list data-live=(format!("{base}/live?page={page_no}")) data-etag=(etag(&cards)) {
            (cards)
        }
        (pager(&base, &list.pagination))
        p.visually-hidden #live-announcer aria-live="polite" {}
    };
    Ok(page("Manage Accounts", &user, Nav::Accounts, content))
}

/// Whether Sync All does anything for this user: admins sync every account, others those they edit.
pub async fn can_sync_any(state: &AppState, user: &ConsoleUser, integration_id: &str) -> Result<bool, ConsoleError> {
    if user.user.is_admin {
        return Ok(true);
    }
    let roles = ocean_core::db::roles::roles_in_integration(&state.pool, user.user.id, integration_id).await?;
    Ok(roles
        .iter()
        .any(|(_, role)| *role >= ocean_core::db::roles::Role::Editor))
}

/// The account cards alone, for the page's live refresh.
/// Answers 304 when the cards are what the page already shows (`If-None-Match`), so a quiet poll moves no
/// HTML and the page swaps nothing.
pub async fn live(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(integration_id): Path<String>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ConsoleError> {
    let list = view_list(
        &state,
        &user.auth(),
        &integration_id,
        layout::page_number(q.page.as_deref()),
    )
    .await?;
    let cards = account_cards(&user, &integration_id, &list.accounts, Utc::now());
    let tag = etag(&cards);
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == tag.as_bytes())
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    Ok(([(header::ETAG, tag)], cards).into_response())
}

/// A strong validator of rendered HTML.
fn etag(markup: &Markup) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(markup.0.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn account_cards(user: &ConsoleUser, integration_id: &str, accounts: &[AccountView], now: DateTime<Utc>) -> Markup {
    html! {
        @if accounts.is_empty() { p.muted { "No accounts yet." } }
        @for a in accounts { (account_card(user, integration_id, a, now, &base(integration_id))) }
    }
}

/// `back`: the page the card's actions return to.
fn account_card(user: &ConsoleUser, integration_id: &str, a: &AccountView, now: DateTime<Utc>, back: &str) -> Markup {
    let url = format!("{}/{}", base(integration_id), a.id);
    let editor = a.your_role != "viewer";
    let admin = a.your_role == "admin";
    let title_id = format!("account-{}-name", a.id);
    html! {
        article.card.account data-account-id=(a.id) aria-labelledby=(title_id) {
            h2 id=(title_id) {
                span.dot.(status_class(a)) aria-hidden="true" { "●" }
                " " a href=(url) { (a.account_name) }
                @if a.is_primary { " " span.primary-marker { "(Primary)" } }
            }
            p.meta { "Shop ID: " (a.credentials.shop_id()) " · " (layout::interval(a.sync_interval_minutes)) }
            p.status {
                "Status: " span.state.badge.(status_class(a)) { (status_text(a)) }
                " | Last sync: " span.last-sync { (ago(a.last_sync_at, now)) }
                " | " span.freshness { (freshness_text(&a.freshness)) }
            }
            @if let Some(error) = &a.last_error {
                @if a.status == "error" || a.paused_at.is_some() {
                    p.last-error role="note" { "Last error: " (plain_error(error)) }
                }
            }
            div.actions {
                form.inline method="get" action=(format!("{url}/edit")) {
                    button type="submit" disabled[!editor] title=[(!editor).then_some(EDITOR_NEEDED)] { "Edit" }
                }
                @if a.status == "needs_reauthorization" {
                    (action_button(user, &format!("{url}/reconnect"), "Reconnect", admin,
                        "Needs the admin role on this account: the seller consents again", back))
                } @else if a.paused_at.is_some() {
                    (action_button(user, &format!("{url}/resume"), "Resume", editor, EDITOR_NEEDED, back))
                } @else {
                    (action_button(user, &format!("{url}/sync"), "Sync Now", editor && a.enabled,
                        if a.enabled { EDITOR_NEEDED } else { "Enable the account to sync it" }, back))
                }
                @if !a.is_primary {
                    (action_button(user, &format!("{url}/set-primary"), "Set as Primary", admin, ADMIN_NEEDED, back))
                }
                form.inline method="get" action=(format!("{url}/remove")) {
                    button.danger type="submit" disabled[!admin] title=[(!admin).then_some(ADMIN_NEEDED)] { "Remove" }
                }
            }
        }
    }
}

fn status_class(a: &AccountView) -> &'static str {
    match a.status.as_str() {
        _ if a.paused_at.is_some() => "bad",
        "active" if a.enabled => "good",
        "error" => "bad",
        _ => "idle",
    }
}

/// What the account is doing, in words: a running or queued sync comes first.
fn status_text(a: &AccountView) -> String {
    if a.sync_running_since.is_some() {
        return "Syncing…".into();
    }
    if a.status == "needs_reauthorization" {
        return "Needs reauthorization: reconnect the shop".into();
    }
    if a.paused_at.is_some() {
        return "Paused after repeated failures".into();
    }
    if !a.enabled {
        return "Disabled".into();
    }
    let state = match a.status.as_str() {
        "active" => "Active",
        "error" => "Error",
        "pending" => "Waiting for first sync",
        _ => "Inactive",
    };
    if a.sync_requested_at.is_some() {
        format!("{state} · sync queued")
    } else {
        state.into()
    }
}

fn freshness_text(freshness: &str) -> &'static str {
    match freshness {
        "on_time" => "Up to date",
        "delayed" => "Delayed",
        _ => "Stale",
    }
}

/// The worker's error text with what to do about it.
fn plain_error(error: &str) -> String {
    let hint = if error.contains("rejected the app credentials") {
        " Check the client ID and client secret under Edit."
    } else if error.contains("refused the access token") || error.contains("not linked") {
        " Check that this shop is linked to the app in Tokopedia Seller Center."
    } else if error.contains("unreachable") {
        " Tokopedia could not be reached; the next sync retries."
    } else if error.contains("rate limited") {
        " Tokopedia asked us to slow down; the next sync retries."
    } else {
        ""
    };
    format!("{}{hint}", error.trim_end_matches('.'))
}

pub fn pager(base: &str, p: &Pagination) -> Markup {
    let pages = (p.total + p.per_page - 1) / p.per_page.max(1);
    let joiner = if base.contains('?') { '&' } else { '?' };
    html! {
        @if pages > 1 {
            nav.pager aria-label="Pages" {
                @if p.page > 1 { a href=(format!("{base}{joiner}page={}", p.page - 1)) { "← Previous" } }
                span { "Page " (p.page) " of " (pages) }
                @if p.page < pages { a href=(format!("{base}{joiner}page={}", p.page + 1)) { "Next →" } }
            }
        }
    }
}

// ---- account detail -------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    page: Option<String>,
    kind: Option<String>,
    notice: Option<String>,
}

/// One account: its figures and its sync history (or, with `?kind=audit`, who changed what).
pub async fn detail(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path((integration_id, id)): Path<(String, String)>,
    Query(q): Query<DetailQuery>,
) -> Result<Markup, ConsoleError> {
    let account = account_view(&state, &user, &integration_id, &id).await?;
    let kind = if q.kind.as_deref() == Some("audit") {
        "audit"
    } else {
        "sync"
    };
    let params = LogParams {
        page: Some(layout::page_number(q.page.as_deref())),
        per_page: Some(25),
        outcome: None,
        kind: Some(kind.to_owned()),
    };
    let Json(logs) = read::logs(
        State(state.clone()),
        user.auth(),
        Path((integration_id.clone(), id.clone())),
        crate::query::Query(params),
    )
    .await?;
    let logs = logs.data;
    let url = format!("{}/{}", base(&integration_id), account.id);
    let s = &account.stats;
    let now = Utc::now();
    let content = html! {
        p { a href=(base(&integration_id)) { "← All accounts" } }
        h1.visually-hidden { (account.account_name) }
        @if let Some(text) = q.notice.as_deref().and_then(notice_text) { p.notice role="status" { (text) } }
        div #account-detail {
            (account_card(&user, &integration_id, &account, now, &url))
        }
        section.figures aria-label="This account today" {
            div.figure { span.label { "Revenue today" } strong { (layout::rupiah(s.revenue_today)) } }
            div.figure { span.label { "Orders today" } strong { (s.orders_today) } }
            div.figure { span.label { "Pending orders" } strong { (s.pending_orders) } }
            div.figure { span.label { "Active products" } strong { (s.active_products) } }
        }
        p.muted {
            (account.sync_count) " syncs, " (account.error_count) " failed · next sync "
            @if let Some(next) = account.next_sync_at { (next.format("%Y-%m-%d %H:%M UTC")) } @else { "not planned" }
        }
        section aria-labelledby="history" {
            h2 #history { @if kind == "sync" { "Sync history" } @else { "Changes" } }
            p {
                @if kind == "sync" { a href=(format!("{url}?kind=audit")) { "Show changes made to this account" } }
                @else { a href=(url.clone()) { "Show sync history" } }
            }
            @if logs.logs.is_empty() { p.muted { "Nothing yet." } } @else {
                div.table-wrap {
                    table {
                        thead { tr {
                            th scope="col" { "When" }
                            @if kind == "sync" {
                                th scope="col" { "Trigger" } th scope="col" { "Outcome" } th scope="col" { "Duration" }
                                th scope="col" { "Products" } th scope="col" { "Orders" }
                            } @else {
                                th scope="col" { "Action" } th scope="col" { "Outcome" }
                            }
                            th scope="col" { "Message" }
                        } }
                        tbody {
                            @for log in &logs.logs { (log_row(log, kind, now)) }
                        }
                    }
                }
            }
            (pager(&format!("{url}?kind={kind}"), &logs.pagination))
        }
    };
    Ok(page(&account.account_name, &user, Nav::Accounts, content))
}

fn log_row(log: &LogView, kind: &str, now: DateTime<Utc>) -> Markup {
    html! {
        tr.(format!("outcome-{}", log.outcome)) {
            td { time datetime=(log.created_at.to_rfc3339()) title=(log.created_at.to_rfc3339()) { (ago(Some(log.created_at), now)) } }
            @if kind == "sync" {
                td { (log.trigger.as_deref().unwrap_or("")) }
                td { (log.outcome) }
                td { @if let Some(ms) = log.duration_ms { (format!("{:.1} s", ms as f64 / 1000.0)) } }
                td { (log.products_synced) }
                td { (log.orders_synced) }
            } @else {
                td { (log.action.as_deref().unwrap_or("")) }
                td { (log.outcome) }
            }
            td { (log.message.as_deref().unwrap_or("")) }
        }
    }
}

pub(super) async fn account_view(
    state: &AppState,
    user: &ConsoleUser,
    integration_id: &str,
    id: &str,
) -> Result<AccountView, ConsoleError> {
    let Json(response) = read::get_account(
        State(state.clone()),
        user.auth(),
        Path((integration_id.to_owned(), id.to_owned())),
    )
    .await?;
    Ok(response.data)
}

// ---- actions --------------------------------------------------------------------------------------

/// Where an action returns: the page its button was on (`_back`: the detail page or the list) when that is
/// one of this integration's account pages written in plain URL characters, else the account list. Worked
/// out before the action runs, so a bad `_back` (line breaks would break the `Location` header) can neither
/// fail an action that has already happened nor inject a header.
fn back_target(integration_id: &str, form: &FormData) -> String {
    let from = form.get("_back");
    let ours = from.starts_with(&format!("{}/", base(integration_id)))
        && session::safe_next(from) == from
        && !from.contains("//")
        && !from.split(['/', '?']).any(|segment| segment == "..");
    if ours { from.to_owned() } else { base(integration_id) }
}

/// After an action: back to `target` (from [`back_target`]), with a notice.
fn back(target: &str, notice: &str) -> Response {
    let joiner = if target.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{target}{joiner}notice={notice}")).into_response()
}

pub async fn sync_now(
    State(state): State<AppState>,
    Path((integration_id, id)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, ConsoleError> {
    let target = back_target(&integration_id, &form);
    let _ = sync::sync_one(State(state), user.auth(), Path((integration_id.clone(), id))).await?;
    Ok(back(&target, "sync"))
}

pub async fn resume(
    State(state): State<AppState>,
    Path((integration_id, id)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, ConsoleError> {
    let target = back_target(&integration_id, &form);
    let _ = sync::resume(State(state), user.auth(), Path((integration_id.clone(), id))).await?;
    Ok(back(&target, "resumed"))
}

pub async fn set_primary(
    State(state): State<AppState>,
    Path((integration_id, id)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, ConsoleError> {
    let target = back_target(&integration_id, &form);
    let _ = write::set_primary(State(state), user.auth(), Path((integration_id.clone(), id))).await?;
    Ok(back(&target, "primary"))
}

pub async fn sync_all(
    State(state): State<AppState>,
    Path(integration_id): Path<String>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, ConsoleError> {
    let _ = sync::sync_all(State(state), user.auth(), Path(integration_id.clone())).await?;
    Ok(Redirect::to(&format!("{}?notice=sync_all", base(&integration_id))).into_response())
}

/// The confirmation step of Remove.
pub async fn remove_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<Markup, ConsoleError> {
    let account = account_view(&state, &user, &integration_id, &id).await?;
    let url = format!("{}/{}", base(&integration_id), account.id);
    let content = html! {
        h1 { "Remove " (account.account_name) "?" }
        div.card {
            p { "This disconnects shop " (account.credentials.shop_id()) " from Ocean ERP and deletes its synced
                 products, orders and mappings. Its sync history is kept. This cannot be undone." }
            @if account.is_primary { p { "Another account becomes primary." } }
            div.actions {
                a.button href=(base(&integration_id)) { "Cancel" }
                form.inline method="post" action=(format!("{url}/remove")) {
                    (csrf(&user))
                    button.danger type="submit" { "Remove account" }
                }
            }
        }
    };
    Ok(page("Remove account", &user, Nav::Accounts, content))
}

pub async fn remove(
    State(state): State<AppState>,
    Path((integration_id, id)): Path<(String, String)>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, ConsoleError> {
    let _ = write::delete(State(state), user.auth(), Path((integration_id.clone(), id))).await?;
    Ok(Redirect::to(&format!("{}?notice=removed", base(&integration_id))).into_response())
}
