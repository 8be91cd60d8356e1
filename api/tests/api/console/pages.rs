//! Console pages over plain HTTP: what each role may do, form errors, odd paths, and no secret in a page.

use reqwest::StatusCode;
use sqlx::PgPool;

use super::{CONSOLE_ACCOUNTS, ConsoleClient, csrf_in};
use crate::helpers::{ACCOUNTS, ADMIN_TOKEN, SECRET, TestApp};

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_viewer_sees_disabled_editing_buttons_and_is_refused_the_actions(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let seen = api.create_account("Main Store - Jakarta", 67890).await;
    let hidden = api.create_account("Client Shop - Hidden", 12346).await;
    let (user, token) = api.create_user("viewer", false).await;
    api.grant(seen, user, "viewer").await;
    let console = ConsoleClient::sign_in(&api, &token).await;

    let (status, page) = console.get(CONSOLE_ACCOUNTS).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Main Store - Jakarta"));
    assert!(
        !page.contains("Client Shop - Hidden"),
        "an account without a role stays hidden"
    );
    for label in ["Edit", "Sync Now", "Remove", "+ Add New Tokopedia Account"] {
        let button = page
            .split("<button")
            .find(|b| b.contains(&format!(">{label}</button>")))
            .unwrap_or_else(|| panic!("a {label} button"));
        assert!(
            button.contains("disabled"),
            "{label} is disabled for a viewer: {button}"
        );
    }

    let csrf = console.csrf().await;
    let before = crate::helpers::dump_tables(&pool).await;
    for action in ["sync", "set-primary", "remove", "resume"] {
        let (status, page) = console
            .post(&format!("{CONSOLE_ACCOUNTS}/{seen}/{action}"), &[("_csrf", &csrf)])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {page}");
    }
    let (status, _) = console
        .post(
            &format!("{CONSOLE_ACCOUNTS}/{seen}"),
            &[
                ("_csrf", &csrf),
                ("account_name", "Renamed"),
                ("sync_interval_minutes", "30"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        console.get(&format!("{CONSOLE_ACCOUNTS}/{seen}/edit")).await.0,
        StatusCode::FORBIDDEN
    );
    // The hidden account answers exactly like one that does not exist.
    for path in [
        format!("{CONSOLE_ACCOUNTS}/{hidden}"),
        format!("{CONSOLE_ACCOUNTS}/999999"),
    ] {
        let (status, page) = console.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.contains("Client Shop - Hidden"));
    }
    assert_eq!(
        console
            .post("/integrations/tokopedia/settings", &[("_csrf", &csrf)])
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        before,
        crate::helpers::dump_tables(&pool).await,
        "refused actions changed nothing"
    );
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn the_add_form_reports_each_bad_field_next_to_it_and_never_echoes_the_secret(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let csrf = console.csrf().await;

    let (status, page) = console
        .post(
            CONSOLE_ACCOUNTS,
            &[
                ("_csrf", &csrf),
                ("account_name", ""),
                ("credentials.fs_id", "12x"),
                ("credentials.shop_id", ""),
                ("credentials.client_id", "client-abc"),
                ("credentials.client_secret", SECRET),
                ("sync_interval_minutes", "15"),
                ("features", "teleportation"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in [
        "account_name-error",
        "credentials-fs_id-error",
        "credentials-shop_id-error",
    ] {
        assert!(page.contains(&format!(r#"id="{id}""#)), "an error next to {id}: {page}");
    }
    assert!(page.contains("unknown feature"), "{page}");
    assert!(page.contains(r#"value="client-abc""#), "typed values are kept");
    assert!(!page.contains(SECRET), "the typed secret is not sent back");
    assert!(csrf_in(&page).is_some());

    // Test Connection without the console's script answers the whole form again, without the secret.
    let (status, page) = console
        .post(
            &format!("{CONSOLE_ACCOUNTS}/test-connection"),
            &[
                ("_csrf", &csrf),
                ("account_name", "Main Store"),
                ("credentials.fs_id", "12345"),
                ("credentials.shop_id", "67890"),
                ("credentials.client_id", "jakarta-client"),
                ("credentials.client_secret", SECRET),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Connection failed") && page.contains(r#"value="Main Store""#),
        "{page}"
    );
    assert!(!page.contains(SECRET), "the typed secret is not sent back");

    // A non-number interval is refused without creating anything.
    let (status, page) = console
        .post(
            CONSOLE_ACCOUNTS,
            &[
                ("_csrf", &csrf),
                ("account_name", "Main Store"),
                ("credentials.fs_id", "12345"),
                ("credentials.shop_id", "67890"),
                ("credentials.client_id", "jakarta-client"),
                ("credentials.client_secret", SECRET),
                ("sync_interval_minutes", "soon"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("must be a whole number of minutes"), "{page}");
    let (status, body) = api.get(ACCOUNTS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["pagination"]["total"], 0, "nothing was created");
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn no_console_page_shows_a_client_secret(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main Store - Jakarta", 67890).await;
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let account = format!("{CONSOLE_ACCOUNTS}/{id}");
    for path in [
        "/integrations".to_owned(),
        CONSOLE_ACCOUNTS.to_owned(),
        format!("{CONSOLE_ACCOUNTS}/live"),
        format!("{CONSOLE_ACCOUNTS}/new"),
        account.clone(),
        format!("{account}?kind=audit"),
        format!("{account}/edit"),
        format!("{account}/remove"),
        "/integrations/tokopedia/dashboard".to_owned(),
        "/integrations/tokopedia/settings".to_owned(),
    ] {
        let (status, page) = console.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        assert!(!page.contains(SECRET), "{path} shows the client secret");
        assert!(
            page.contains("Main Store - Jakarta") || path.ends_with("/new") || path.ends_with("/settings"),
            "{path}"
        );
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn odd_ids_and_pages_get_pages_not_errors_of_the_server(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main Store - Jakarta", 67890).await;
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    for (path, want) in [
        (format!("{CONSOLE_ACCOUNTS}/abc"), StatusCode::NOT_FOUND),
        (format!("{CONSOLE_ACCOUNTS}/0/edit"), StatusCode::NOT_FOUND),
        (format!("{CONSOLE_ACCOUNTS}/-5/remove"), StatusCode::NOT_FOUND),
        (
            format!("{CONSOLE_ACCOUNTS}/99999999999999999999"),
            StatusCode::NOT_FOUND,
        ),
        ("/integrations/shopee/accounts".to_owned(), StatusCode::NOT_FOUND),
        (format!("{CONSOLE_ACCOUNTS}?page=abc"), StatusCode::OK),
        (format!("{CONSOLE_ACCOUNTS}?page=0"), StatusCode::OK),
        (format!("{CONSOLE_ACCOUNTS}?page=500"), StatusCode::OK),
        (
            format!("{CONSOLE_ACCOUNTS}?page=9223372036854775807"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("{CONSOLE_ACCOUNTS}/{id}?page=9223372036854775807&kind=x"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/integrations/tokopedia/dashboard?page=-1".to_owned(), StatusCode::OK),
    ] {
        let (status, page) = console.get(&path).await;
        assert_eq!(status, want, "{path}: {page}");
        assert!(page.contains("</html>"), "{path} answers a console page: {page}");
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn an_editor_edits_settings_but_not_credentials(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main Store - Jakarta", 67890).await;
    let other = api.create_account("Surabaya Branch", 12346).await;
    let (user, token) = api.create_user("editor", false).await;
    api.grant(id, user, "editor").await;
    api.grant(other, user, "editor").await;
    let console = ConsoleClient::sign_in(&api, &token).await;

    let (_, page) = console.get(CONSOLE_ACCOUNTS).await;
    let card = page
        .split(&format!(r#"data-account-id="{id}""#))
        .nth(1)
        .unwrap()
        .split("</article>")
        .next()
        .unwrap();
    let button = |label: &str| {
        card.split("<button")
            .find(|b| b.contains(&format!(">{label}</button>")))
            .unwrap_or_else(|| panic!("a {label} button in {card}"))
            .to_owned()
    };
    for label in ["Edit", "Sync Now"] {
        assert!(!button(label).contains("disabled"), "{label} is enabled for an editor");
    }
    for label in ["Set as Primary", "Remove"]
        .iter()
        .filter(|l| card.contains(&format!(">{l}</button>")))
    {
        assert!(
            button(label).contains("disabled"),
            "{label} needs the account admin role"
        );
    }
    assert!(button("Remove").contains("disabled"));

    let (status, form) = console.get(&format!("{CONSOLE_ACCOUNTS}/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    for field in [
        "credentials.fs_id",
        "credentials.shop_id",
        "credentials.client_id",
        "credentials.client_secret",
    ] {
        let input = form
            .split(&format!(r#"name="{field}""#))
            .nth(1)
            .unwrap()
            .split('>')
            .next()
            .unwrap();
        assert!(
            input.contains("readonly"),
            "{field} is read-only for an editor: {input}"
        );
    }
    let csrf = csrf_in(&form).unwrap();
    let save = |shop_id: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("account_name", "Main Store - Jakarta".to_owned()),
            ("credentials.fs_id", "12345".to_owned()),
            ("credentials.shop_id", shop_id.to_owned()),
            ("credentials.client_id", "client-abc".to_owned()),
            ("credentials.client_secret", String::new()),
            ("enabled", "on".to_owned()),
            ("auto_sync", "on".to_owned()),
            ("sync_interval_minutes", "60".to_owned()),
            ("features", "product_management".to_owned()),
        ]
    };
    let fields = save("67890");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location) = console.post(&format!("{CONSOLE_ACCOUNTS}/{id}"), &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let interval: i32 = sqlx::query_scalar("SELECT sync_interval_minutes FROM integration_accounts WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(interval, 60, "the editor's change is saved");

    // A changed credential sent anyway (the fields are read-only) is refused, not silently dropped.
    let fields = save("99999");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) = console.post(&format!("{CONSOLE_ACCOUNTS}/{id}"), &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn enter_in_the_add_form_connects(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let (status, page) = console.get(&format!("{CONSOLE_ACCOUNTS}/new")).await;
    assert_eq!(status, StatusCode::OK);
    // A form's first submit button is the one Enter presses.
    let form = page.split("account-form").nth(1).expect("the account form");
    let first = form
        .split(r#"type="submit""#)
        .nth(1)
        .unwrap()
        .split("</button>")
        .next()
        .unwrap();
    assert!(
        first.ends_with(">Connect"),
        "the first submit button is Connect: {first}"
    );
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn the_integration_card_counts_failing_accounts_and_the_last_sync_over_what_the_user_sees(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let steady = api.create_account("Main Store - Jakarta", 67890).await;
    let failing = api.create_account("Surabaya Branch", 12346).await;
    let hidden = api.create_account("Client Shop - Hidden", 12347).await;
    for (id, status, synced_ago) in [
        (steady, "active", "2 hours"),
        (failing, "error", "5 minutes"),
        (hidden, "error", "10 seconds"),
    ] {
        sqlx::query("UPDATE integration_accounts SET status = $2, last_sync_at = now() - $3::interval WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(synced_ago)
            .execute(&pool)
            .await
            .unwrap();
    }
    let (user, token) = api.create_user("viewer", false).await;
    api.grant(steady, user, "viewer").await;
    api.grant(failing, user, "viewer").await;

    let (_, page) = ConsoleClient::sign_in(&api, ADMIN_TOKEN)
        .await
        .get("/integrations")
        .await;
    assert!(page.contains(">2 of 3 need attention<"), "{page}");
    assert!(page.contains("Last sync: just now"), "{page}");
    let (_, page) = ConsoleClient::sign_in(&api, &token).await.get("/integrations").await;
    assert!(page.contains(">1 of 2 need attention<"), "{page}");
    assert!(page.contains("Last sync: 5 mins ago"), "{page}");
}
