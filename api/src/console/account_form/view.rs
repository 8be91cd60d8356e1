//! The Add / Edit Account page as HTML, and the result of a connection test.

use maud::{Markup, html};
use ocean_core::domain::Feature;

use super::{AccountForm, FIELD_ORDER};
use crate::{
    console::{
        accounts::base,
        layout::{self, Nav, csrf, page},
        session::ConsoleUser,
    },
    routes::accounts::{AccountView, sync::ConnectionReport},
};

/// The interval choices offered; an account's own value is added when it is not one of them.
const INTERVALS: [i32; 9] = [5, 10, 15, 30, 60, 120, 360, 720, 1440];

pub(super) enum Mode<'a> {
    Add,
    Edit(&'a AccountView),
}

pub(super) fn form_page(user: &ConsoleUser, integration_id: &str, mode: Mode<'_>, form: &AccountForm) -> Markup {
    let (title, action, test_action) = match &mode {
        Mode::Add => (
            "Add New Tokopedia Account".to_owned(),
            base(integration_id),
            format!("{}/test-connection", base(integration_id)),
        ),
        Mode::Edit(a) => (
            format!("Edit {}", a.account_name),
            format!("{}/{}", base(integration_id), a.id),
            format!("{}/{}/test", base(integration_id), a.id),
        ),
    };
    // Credentials change only with the account admin role; editors see them read-only.
    let creds_locked = matches!(&mode, Mode::Edit(a) if a.your_role != "admin");
    // After a refused submit, focus goes to the first field to correct.
    let first_invalid = FIELD_ORDER.into_iter().find(|f| form.errors.contains_key(*f));
    let field = |name: &'static str, label: &str, help: Option<&str>, kind: &str, locked: bool| {
        let id = name.replace('.', "-");
        let error = form.errors.get(name);
        let described = [help.map(|_| format!("{id}-help")), error.map(|_| format!("{id}-error"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        html! {
            div.field {
                label for=(id) { (label) @if !locked { " *" } }
                input id=(id) name=(name) type=(kind) value=(form.value(name)) required[!locked] readonly[locked]
                    inputmode=[["credentials.fs_id", "credentials.shop_id"].contains(&name).then_some("numeric")]
                    autofocus[first_invalid == Some(name)]
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[(!described.is_empty()).then_some(described)];
                @if let Some(help) = help { p.help id=(format!("{id}-help")) { (help) } }
                @if let Some(error) = error { p.error id=(format!("{id}-error")) role="alert" { (label) " " (error) } }
            }
        }
    };
    let interval = form.value("sync_interval_minutes").parse::<i32>().ok();
    let content = html! {
        h1 { (title) }
        @if let Some(problem) = &form.problem { p.alert role="alert" { (problem) } }
        @if !form.errors.is_empty() { p.alert role="alert" { "Please correct the fields marked below." } }
        form.card.account-form method="post" action=(action) novalidate {
            (csrf(user))
            fieldset {
                legend { "Account Information" }
                (field("account_name", "Account Name", Some("Used to identify this account in Ocean ERP"), "text", false))
                (field("credentials.fs_id", "FS ID (Fulfillment Service ID)", Some("From Tokopedia Seller Center"), "text", creds_locked))
                (field("credentials.shop_id", "Shop ID", None, "text", creds_locked))
            }
            fieldset {
                legend { "OAuth Credentials" }
                (field("credentials.client_id", "Client ID", None, "text", creds_locked))
                @let error = form.errors.get("credentials.client_secret");
                div.field {
                    label for="credentials-client_secret" { "Client Secret" @if matches!(mode, Mode::Add) { " *" } }
                    // Never filled in: the stored secret is not readable, and a typed one is not sent back.
                    input #credentials-client_secret name="credentials.client_secret" type="password"
                        autocomplete="new-password" required[matches!(mode, Mode::Add)] readonly[creds_locked]
                        autofocus[first_invalid == Some("credentials.client_secret")]
                        placeholder=[(matches!(mode, Mode::Edit(_)) && !creds_locked).then_some("Stored – leave empty to keep it")]
                        aria-invalid=[error.map(|_| "true")]
                        aria-describedby=[error.map(|_| "credentials-client_secret-error")];
                    @if let Some(error) = error {
                        p.error #credentials-client_secret-error role="alert" { "Client Secret " (error) }
                    }
                }
                @if creds_locked { p.help { "Only an admin of this account changes its credentials." } }
            }
            fieldset {
                legend { "Sync Settings" }
                @if matches!(mode, Mode::Edit(_)) {
                    div.field.check {
                        input #enabled type="checkbox" name="enabled" value="on" checked[form.enabled];
                        label for="enabled" { "Account enabled" }
                    }
                } @else {
                    input type="hidden" name="enabled" value="on";
                }
                div.field.check {
                    input #auto_sync type="checkbox" name="auto_sync" value="on" checked[form.auto_sync];
                    label for="auto_sync" { "Enable auto-sync" }
                }
                @let error = form.errors.get("sync_interval_minutes");
                div.field {
                    label for="sync_interval_minutes" { "Interval" }
                    select #sync_interval_minutes name="sync_interval_minutes"
                        autofocus[first_invalid == Some("sync_interval_minutes")]
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "sync_interval_minutes-error")] {
                        @if let Some(own) = interval.filter(|i| !INTERVALS.contains(i)) {
                            option value=(own) selected { (layout::interval(own)) }
                        }
                        @for minutes in INTERVALS {
                            option value=(minutes) selected[interval == Some(minutes)] { (layout::interval(minutes)) }
                        }
                    }
                    @if let Some(error) = error { p.error #sync_interval_minutes-error role="alert" { "Interval " (error) } }
                }
            }
            fieldset {
                legend { "Features" }
                @for feature in Feature::ALL {
                    @let id = format!("feature-{}", feature.as_str());
                    div.field.check {
                        input id=(id) type="checkbox" name="features" value=(feature.as_str())
                            checked[form.features.iter().any(|f| f == feature.as_str())];
                        label for=(id) { (feature_label(feature)) }
                    }
                }
                @if let Some(error) = form.errors.get("features") { p.error role="alert" { "Features " (error) } }
            }
            @if matches!(mode, Mode::Add) {
                div.field.check {
                    input #is_primary type="checkbox" name="is_primary" value="on" checked[form.is_primary];
                    label for="is_primary" { "Set as primary account" }
                }
            }
            div #connection-result aria-live="polite" {
                @if let Some(report) = &form.report { (report) }
            }
            // Connect / Save comes first in the form so that Enter submits it; CSS shows it last.
            div.actions.form-actions {
                button.primary type="submit" {
                    @if matches!(mode, Mode::Add) { "Connect" } @else { "Save" }
                }
                a.button href=(base(integration_id)) { "Cancel" }
                button type="submit" formaction=(test_action) data-test-connection="connection-result" {
                    "Test Connection"
                }
            }
        }
    };
    page(&title, user, Nav::Accounts, content)
}

fn field_label(field: &str) -> &str {
    match field {
        "account_name" => "Account Name",
        "credentials.fs_id" => "FS ID",
        "credentials.shop_id" => "Shop ID",
        "credentials.client_id" => "Client ID",
        "credentials.client_secret" => "Client Secret",
        "sync_interval_minutes" => "Interval",
        "features" => "Features",
        other => other,
    }
}

fn feature_label(feature: Feature) -> &'static str {
    match feature {
        Feature::ProductManagement => "Product Management",
        Feature::OrderManagement => "Order Management",
        Feature::InventorySync => "Inventory Sync",
        Feature::Logistics => "Logistics Integration",
        Feature::ShopInfo => "Shop Information",
        Feature::Webhooks => "Real-time Webhooks",
    }
}

pub(super) fn report_markup(report: &ConnectionReport) -> Markup {
    html! {
        div.report.(if report.ok { "ok" } else { "failed" }) role="status" {
            @if report.ok {
                p { strong { "Connection works" }
                    @if let Some(shop) = &report.shop_name { " – shop “" (shop) "”" } }
            } @else {
                p { strong { "Connection failed" } }
                ul {
                    li { "Access token: " (report.token.message) }
                    li { "Shop: " (report.shop.message) }
                }
            }
        }
    }
}

pub(super) fn field_errors_markup(form: &AccountForm) -> Markup {
    html! {
        div.report.failed role="alert" {
            p { strong { "Fill in the credentials first:" } }
            ul {
                @for field in FIELD_ORDER {
                    @if let Some(reason) = form.errors.get(field) { li { (field_label(field)) " " (reason) } }
                }
            }
            @if let Some(problem) = &form.problem { p { (problem) } }
        }
    }
}
