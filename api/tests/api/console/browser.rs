//! The console's screens in headless Chromium (Debian's `chromium` and `chromium-driver`, which
//! `make test` installs through scripts/tools.sh), against the api, a scheduler and a worker on the
//! simulator. Screenshots of every screen land in `target/tmp/console-screenshots/`.

use fantoccini::Locator;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{ACCOUNTS, ADMIN_TOKEN, TestApp};

mod driver;
mod tiktok_shop;

use driver::{Browser, PATIENCE};

fn card(id: i64) -> String {
    format!(r#"article[data-account-id="{id}"]"#)
}

async fn account_id(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM integration_accounts WHERE account_name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("account {name}: {e}"))
}

async fn sync_count(pool: &PgPool, id: i64) -> i32 {
    sqlx::query_scalar("SELECT sync_count FROM integration_accounts WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The walk a merchant takes: sign in, add an account with Test Connection, watch it sync to Active,
/// Sync Now, Set as Primary, edit the interval, change settings, read the dashboard and history, remove
/// an account; then a viewer who finds the editing buttons disabled; then the same screens at phone width.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_merchant_manages_accounts_in_the_browser(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    api.spawn_scheduler().await;
    let jakarta = api.sim.config.apps[0].clone();
    let surabaya = api.sim.config.apps[1].clone();

    let mut b = Browser::start(&api.url, "merchant").await;

    // Sign in.
    b.open("/").await;
    b.find("#token").await;
    assert_eq!(
        b.path().await,
        "/sign-in?next=%2Fintegrations",
        "back to the page after signing in"
    );
    b.screenshot("sign-in").await;
    b.type_into("#token", ADMIN_TOKEN).await;
    b.click("form[action='/sign-in'] button").await;
    assert_eq!(b.text("#tokopedia-status").await, "Not connected");
    b.screenshot("integrations-empty").await;

    // Add an account: empty Connect shows the errors by the fields; Test Connection; Connect.
    b.open("/integrations/tokopedia/accounts").await;
    b.click("a[href='/integrations/tokopedia/accounts/new']").await;
    b.find("#account_name").await;
    b.press("form.account-form", "Connect").await;
    assert!(b.text("#account_name-error").await.contains("Account Name"));
    b.find("#credentials-client_secret-error").await;
    b.screenshot("add-account-errors").await;
    b.type_into("#account_name", "Main Store - Jakarta").await;
    b.type_into("#credentials-fs_id", &jakarta.fs_id.to_string()).await;
    b.type_into("#credentials-shop_id", &jakarta.shops[0].shop_id.to_string())
        .await;
    b.type_into("#credentials-client_id", &jakarta.client_id).await;
    b.type_into("#credentials-client_secret", &jakarta.client_secret).await;
    b.press("form.account-form", "Test Connection").await;
    let report = b.wait_for_text("#connection-result", "Connection works").await;
    assert!(report.contains("Fashion Store Jakarta"), "{report}");
    let kept = b.find("#credentials-client_secret").await.prop("value").await.unwrap();
    assert_eq!(
        kept.as_deref(),
        Some(jakarta.client_secret.as_str()),
        "the typed secret stays in its field"
    );
    b.screenshot("add-account-tested").await;
    b.press("form.account-form", "Connect").await;
    b.wait_for_text("p.notice", "Account connected").await;
    let main = account_id(&pool, "Main Store - Jakarta").await;
    assert!(
        b.text(&card(main)).await.contains("(Primary)"),
        "the first account is primary"
    );

    // No worker runs yet, so the page shows the account waiting; once one starts, the card turns Active
    // while the page stays open: the list refreshes itself.
    assert!(
        b.text(&format!("{} .state", card(main)))
            .await
            .contains("Waiting for first sync")
    );
    b.client.execute("window.__notReloaded = true;", vec![]).await.unwrap();
    let worker = api.spawn_worker().await;

    b.wait_for_text(&format!("{} .state", card(main)), "Active").await;
    let still = b
        .client
        .execute("return window.__notReloaded === true;", vec![])
        .await
        .unwrap();
    assert_eq!(still, json!(true), "the status changed without a reload");
    b.screenshot("accounts-active").await;

    // A second account (through the API), then Sync Now and Set as Primary from the page.
    let (status, body) = api
        .post(
            ACCOUNTS,
            json!({ "account_name": "Surabaya Branch", "sync_interval_minutes": 15, "credentials": {
                "fs_id": surabaya.fs_id, "shop_id": surabaya.shops[0].shop_id,
                "client_id": surabaya.client_id, "client_secret": surabaya.client_secret } }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let branch = body["data"]["id"].as_i64().unwrap();
    b.open("/integrations/tokopedia/accounts").await;
    b.wait_for_text(&format!("{} .state", card(branch)), "Active").await;
    let before = sync_count(&pool, main).await;
    b.press(&card(main), "Sync Now").await;
    b.wait_for_text("p.notice", "Sync requested").await;
    ocean_testkit::wait_for("the Sync Now run", PATIENCE, || async {
        (sync_count(&pool, main).await > before).then_some(())
    })
    .await;
    b.wait_for_text(&format!("{} .last-sync", card(main)), "just now").await;
    b.press(&card(branch), "Set as Primary").await;
    b.wait_for_text("p.notice", "Primary account changed").await;
    assert!(b.text(&card(branch)).await.contains("(Primary)"));
    assert!(!b.text(&card(main)).await.contains("(Primary)"));
    b.screenshot("accounts-primary-changed").await;

    // Edit the interval.
    b.press(&card(main), "Edit").await;
    b.find("#sync_interval_minutes")
        .await
        .select_by_value("30")
        .await
        .unwrap();
    b.screenshot("edit-account").await;
    b.press("form.account-form", "Save").await;
    b.wait_for_text("p.notice", "Account saved").await;
    assert!(b.text(&card(main)).await.contains("Every 30 minutes"));
    let interval: i32 = sqlx::query_scalar("SELECT sync_interval_minutes FROM integration_accounts WHERE id = $1")
        .bind(main)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(interval, 30);
    // The detail page shows the sync history from the logs.
    let history = b.text("table").await;
    assert!(history.contains("success") && history.contains("manual"), "{history}");
    b.screenshot("account-detail").await;

    // Platform settings.
    b.open("/integrations/tokopedia/settings").await;
    b.click("#sync_all_simultaneously").await;
    b.press("form.card", "Save Settings").await;
    b.wait_for_text("p.notice", "Settings saved").await;
    let simultaneous: bool =
        sqlx::query_scalar("SELECT sync_all_simultaneously FROM integrations WHERE integration_id = 'tokopedia'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(simultaneous);
    b.screenshot("platform-settings").await;

    // The consolidated dashboard and the integrations card.
    b.open("/integrations/tokopedia/dashboard").await;
    assert!(b.text("#revenue-today").await.starts_with("Rp "));
    assert_eq!(
        b.client
            .find_all(Locator::Css("article.performance"))
            .await
            .unwrap()
            .len(),
        2
    );
    let chart = b
        .find("figure.chart svg")
        .await
        .attr("aria-label")
        .await
        .unwrap()
        .unwrap();
    assert!(chart.contains("syncs"), "{chart}");
    b.screenshot("dashboard").await;
    b.open("/integrations").await;
    assert_eq!(b.text("#tokopedia-status").await, "Active");
    assert!(b.text("ul.accounts-summary").await.contains("orders/day"));
    b.screenshot("integrations").await;

    // Remove, with its confirmation step.
    b.open("/integrations/tokopedia/accounts").await;
    b.press(&card(branch), "Remove").await;
    b.wait_for_text("h1", "Remove Surabaya Branch?").await;
    b.screenshot("remove-confirm").await;
    b.press("div.card", "Remove account").await;
    b.wait_for_text("p.notice", "Account removed").await;
    assert!(
        b.client.find(Locator::Css(&card(branch))).await.is_err(),
        "its card is gone"
    );
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM integration_accounts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 1);

    // A viewer: sign out, sign in with a viewer's token; the editing buttons are disabled.
    let (viewer, token) = api.create_user("viewer", false).await;
    api.grant(main, viewer, "viewer").await;
    b.click("form.signout button").await;
    b.wait_for_text("p.notice", "signed out").await;
    b.type_into("#token", &token).await;
    b.click("form[action='/sign-in'] button").await;
    b.find("#tokopedia-status").await;
    b.open("/integrations/tokopedia/accounts").await;
    for label in ["Edit", "Sync Now", "Remove"] {
        let button = b.button(&card(main), label).await;
        assert!(!button.is_enabled().await.unwrap(), "{label} is disabled for a viewer");
    }
    for label in ["+ Add New Tokopedia Account", "Sync All"] {
        let button = b.button("main", label).await;
        assert!(!button.is_enabled().await.unwrap(), "{label} is disabled for a viewer");
    }
    assert!(b.text("#role-note").await.contains("disabled"), "the page says why");
    b.screenshot("viewer-accounts").await;

    // Phone width: nothing wider than the screen.
    b.client.set_window_size(390, 844).await.unwrap();
    for (path, name) in [
        ("/integrations/tokopedia/accounts", "phone-accounts"),
        ("/integrations/tokopedia/dashboard", "phone-dashboard"),
        ("/integrations", "phone-integrations"),
        ("/integrations/tokopedia/settings", "phone-settings"),
        (
            &format!("/integrations/tokopedia/accounts/{main}") as &str,
            "phone-account-detail",
        ),
    ] {
        b.open(path).await;
        b.find("main h1, main article").await;
        assert!(!b.overflows().await, "{path} fits a phone screen");
        b.screenshot(name).await;
    }

    b.client.clone().close().await.expect("close the browser");
    api.stop();
    worker.await.expect("worker task").expect("worker shut down cleanly");
}
