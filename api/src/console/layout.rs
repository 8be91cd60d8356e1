//! The page shell and the small formatting helpers every page shares.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use super::session::ConsoleUser;

/// Top-level sections, for the navigation's current marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Integrations,
    Accounts,
    Dashboard,
    Settings,
}

/// A full page for a signed-in user.
pub fn page(title: &str, user: &ConsoleUser, current: Nav, content: Markup) -> Markup {
    let link = |nav: Nav, href: &str, label: &str| {
        html! {
            a href=(href) aria-current=[(nav == current).then_some("page")] { (label) }
        }
    };
    shell(
        title,
        html! {
            header.top {
                a.brand href="/integrations" { "Ocean Sync" }
                nav aria-label="Main" {
                    (link(Nav::Integrations, "/integrations", "Integrations"))
                    (link(Nav::Accounts, "/integrations/tokopedia/accounts", "Accounts"))
                    (link(Nav::Dashboard, "/integrations/tokopedia/dashboard", "Dashboard"))
                    (link(Nav::Settings, "/integrations/tokopedia/settings", "Settings"))
                }
                form.signout method="post" action="/sign-out" {
                    (csrf(user))
                    span.who { (user.user.username) @if user.user.is_admin { " (admin)" } }
                    button.link type="submit" { "Sign out" }
                }
            }
            main id="main" { (content) }
        },
    )
}

/// The document around any body, signed in or not.
pub fn shell(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Ocean Sync" }
                link rel="stylesheet" href="/assets/console.css";
                script src="/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                (body)
            }
        }
    }
}

/// A page for a refused or failed request.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    shell(
        status.canonical_reason().unwrap_or("Error"),
        html! {
            main.narrow id="main" {
                h1 { (status.canonical_reason().unwrap_or("Error")) }
                p.alert role="alert" { (message) }
                p { a href="/integrations" { "Back to the console" } }
            }
        },
    )
}

/// The hidden field every POST form carries.
pub fn csrf(user: &ConsoleUser) -> Markup {
    html! { input type="hidden" name="_csrf" value=(user.csrf); }
}

/// A POST form holding one button; `enabled` false renders the button disabled with `why` as its hint.
/// After the action the console returns to `back`.
pub fn action_button(user: &ConsoleUser, action: &str, label: &str, enabled: bool, why: &str, back: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf(user))
            input type="hidden" name="_back" value=(back);
            @if enabled {
                button type="submit" { (label) }
            } @else {
                button type="submit" disabled title=(why) { (label) }
            }
        }
    }
}

/// A `?page=` value: a page number, or the first page for anything that is not one (links are ours; a
/// hand-typed value should not cost an error page). Numbers past the last page show an empty page.
pub fn page_number(raw: Option<&str>) -> i64 {
    raw.and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

/// "just now", "2 mins ago", "3 hours ago", "4 days ago", or "never".
pub fn ago(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(at) = at else {
        return "never".to_owned();
    };
    let secs = (now - at).num_seconds().max(0);
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match secs {
        0..60 => "just now".to_owned(),
        60..3_600 => plural(secs / 60, "min"),
        3_600..86_400 => plural(secs / 3_600, "hour"),
        _ => plural(secs / 86_400, "day"),
    }
}

/// Whole rupiah with thousands separators, as the design writes it: "Rp 45,670,000".
pub fn rupiah(amount: i64) -> String {
    format!("Rp {}", thousands(amount))
}

/// Short rupiah for per-account lines: "Rp 28M", "Rp 5.6M", "Rp 950K".
pub fn rupiah_short(amount: i64) -> String {
    let short = |value: f64, unit: &str| {
        let text = if value < 10.0 {
            format!("{value:.1}")
        } else {
            format!("{value:.0}")
        };
        format!("Rp {}{unit}", text.trim_end_matches(".0"))
    };
    match amount.unsigned_abs() {
        0..1_000 => format!("Rp {amount}"),
        1_000..1_000_000 => short(amount as f64 / 1e3, "K"),
        1_000_000..1_000_000_000 => short(amount as f64 / 1e6, "M"),
        _ => short(amount as f64 / 1e9, "B"),
    }
}

pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// "▲ +15%" / "▼ -3%" / "–" against yesterday.
pub fn change(percent: Option<f64>) -> Markup {
    match percent {
        Some(p) if p > 0.0 => html! { span.up aria-label=(format!("up {p}% on yesterday")) { "▲ +" (p) "%" } },
        Some(p) if p < 0.0 => html! { span.down aria-label=(format!("down {}% on yesterday", -p)) { "▼ " (p) "%" } },
        Some(_) => html! { span.flat { "± 0%" } },
        None => html! { span.flat title="no orders yesterday until this time to compare with" { "–" } },
    }
}

/// "Every 15 minutes", "Every hour", "Every 6 hours".
pub fn interval(minutes: i32) -> String {
    match minutes {
        1 => "Every minute".to_owned(),
        60 => "Every hour".to_owned(),
        m if m % 1440 == 0 && m > 1440 => format!("Every {} days", m / 1440),
        1440 => "Every day".to_owned(),
        m if m % 60 == 0 => format!("Every {} hours", m / 60),
        m => format!("Every {m} minutes"),
    }
}
