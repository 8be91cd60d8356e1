//! Every mutating endpoint writes its change and its audit entry in one transaction: when the audit entry
//! cannot be written, nothing of the change is kept and the caller is answered an error, not a success.
//!
//! A trigger in the test's database refuses every audit row of `integration_logs`. Each row of the table
//! is called with the trigger on (a 5xx, and the whole database and the queue as they were) and then with
//! it off (a success that does change them), so a row cannot pass by failing for some other reason.
//! Console sign-in and sign-out open and close sessions, which are not audited: they are not rows.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    authorization::snapshot,
    console::{CONSOLE_ACCOUNTS, ConsoleClient},
    helpers::{ADMIN_TOKEN, TestApp, account_body},
    routes::{
        ACCESS, ACCESS_OF_USER, AUTHORIZATION_CALLBACK, AUTHORIZATIONS, INTEGRATION, LIST, ONE, RESUME, SET_PRIMARY,
        SYNC, SYNC_ALL, TEST, TEST_CONNECTION, TOKEN, TOKENS, USERS,
    },
};

const CONSOLE_ACCOUNT: &str = "/integrations/tokopedia/accounts/{id}";

/// Refuses every audit entry while enabled; sync logs still pass.
const REFUSE_AUDIT: &str = r#"
    CREATE FUNCTION refuse_audit() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit entries cannot be written'; END $$ LANGUAGE plpgsql;
    CREATE TRIGGER refuse_audit BEFORE INSERT ON integration_logs
    FOR EACH ROW WHEN (NEW.kind = 'audit') EXECUTE FUNCTION refuse_audit();"#;

/// What the rows act on. Nothing changes it while the trigger is on; the calls with the trigger off run
/// in the table's order, so rows that remove something come last.
struct Fixture {
    main: i64,
    branch: i64,
    spare: i64,
    ann: i64,
    bob: i64,
    ann_token: i64,
}

enum Body {
    None,
    Json(Value),
    /// A console form; the session's CSRF token is added.
    Form(Vec<(&'static str, String)>),
}

struct Row {
    method: Method,
    /// The route as the OpenAPI document, or the console's router, names it.
    route: String,
    /// The path called.
    path: String,
    body: Body,
    /// Whether the call writes an audit entry; a call that does not must change nothing at all.
    audited: bool,
    /// Whether the API refuses the call (4xx) rather than answering it.
    refused: bool,
    /// SQL run before each call, e.g. to pause the account a resume lifts.
    setup: Option<String>,
}

impl Row {
    /// A call of `route`, whose `{id}` is `id` (an account or a user, as the route has it).
    fn api(method: Method, route: &'static str, body: Option<Value>, f: &Fixture, id: i64) -> Self {
        let path = route
            .replace("{integration_id}", "tokopedia")
            .replace("{id}", &id.to_string())
            .replace("{user_id}", &f.ann.to_string())
            .replace("{token_id}", &f.ann_token.to_string());
        Self {
            method,
            route: route.to_owned(),
            path,
            body: body.map_or(Body::None, Body::Json),
            audited: true,
            refused: false,
            setup: None,
        }
    }

    /// A console form posted to `route`, whose `{id}` is the account `id`.
    fn console(route: &str, id: i64, fields: &[(&'static str, &str)]) -> Self {
        let path = route.replace("{id}", &id.to_string());
        Self {
            method: Method::POST,
            route: route.to_owned(),
            path,
            body: Body::Form(fields.iter().map(|(n, v)| (*n, (*v).to_owned())).collect()),
            audited: true,
            refused: false,
            setup: None,
        }
    }

    fn writes_nothing(mut self) -> Self {
        self.audited = false;
        self
    }

    /// A call its input makes the API refuse (4xx): it changes nothing and audits nothing.
    fn refused(mut self) -> Self {
        self.audited = false;
        self.refused = true;
        self
    }

    fn on(mut self, integration: &str) -> Self {
        self.path = self.path.replacen("/tokopedia", &format!("/{integration}"), 1);
        self
    }

    fn paused_first(mut self, account: i64) -> Self {
        self.setup = Some(format!(
            "UPDATE integration_accounts SET paused_at = now(), paused_reason = 'failed 5 times in a row', \
             consecutive_failures = 5 WHERE id = {account}"
        ));
        self
    }
}

/// The fields of the console's account form for a shop of the fixture (as stored, so that an update
/// changes no credentials).
fn account_form<'a>(name: &'a str, shop_id: &'a str, secret: &'a str) -> [(&'static str, &'a str); 9] {
    [
        ("account_name", name),
        ("credentials.fs_id", "12345"),
        ("credentials.shop_id", shop_id),
        ("credentials.client_id", "client-abc"),
        ("credentials.client_secret", secret),
        ("sync_interval_minutes", "30"),
        ("features", "product_management"),
        ("enabled", "on"),
        ("auto_sync", "on"),
    ]
}

fn table(f: &Fixture) -> Vec<Row> {
    use Method as M;
    let probe = json!({ "credentials": account_body("probe", 100)["credentials"] });
    vec![
        Row::api(
            M::PUT,
            INTEGRATION,
            Some(json!({ "sync_all_simultaneously": true })),
            f,
            0,
        ),
        Row::api(M::POST, USERS, Some(json!({ "username": "carol" })), f, 0),
        Row::api(M::POST, TOKENS, Some(json!({ "name": "ci" })), f, f.ann),
        Row::api(M::POST, LIST, Some(account_body("Medan Outlet", 102)), f, 0),
        Row::api(M::PUT, ONE, Some(json!({ "account_name": "Renamed" })), f, f.main),
        Row::api(M::POST, RESUME, None, f, f.main).paused_first(f.main),
        Row::api(M::POST, SYNC, None, f, f.branch),
        Row::api(M::POST, SYNC_ALL, None, f, 0),
        Row::api(M::POST, TEST, None, f, f.main),
        Row::api(M::POST, TEST_CONNECTION, Some(probe), f, 0).writes_nothing(),
        // Consent (TikTok Shop): starting is audited; a callback with a state nobody issued is refused and
        // changes nothing. A connecting callback audits each shop in its transaction (e2e `tiktok_shop`).
        Row::api(M::POST, AUTHORIZATIONS, Some(json!({})), f, 0).on("tiktok-shop"),
        Row::api(
            M::POST,
            AUTHORIZATION_CALLBACK,
            Some(json!({ "state": "unknown", "code": "unknown" })),
            f,
            0,
        )
        .on("tiktok-shop")
        .refused(),
        Row::api(
            M::PUT,
            ACCESS,
            Some(json!({ "user_id": f.bob, "role": "editor" })),
            f,
            f.main,
        ),
        Row::api(M::DELETE, ACCESS_OF_USER, None, f, f.main),
        Row::api(M::DELETE, TOKEN, None, f, f.ann),
        // The console's forms, which go through the same handlers.
        Row::console(
            "/integrations/tokopedia/settings",
            0,
            &[("share_product_catalog", "on")],
        ),
        Row::console(
            CONSOLE_ACCOUNTS,
            0,
            &account_form("Malang Outlet", "103", "another-secret"),
        ),
        Row::console(CONSOLE_ACCOUNT, f.main, &account_form("Renamed Again", "100", "")),
        Row::console(&format!("{CONSOLE_ACCOUNT}/resume"), f.main, &[]).paused_first(f.main),
        Row::console(&format!("{CONSOLE_ACCOUNT}/sync"), f.branch, &[]),
        Row::console("/integrations/tokopedia/sync-all", 0, &[]),
        Row::console(&format!("{CONSOLE_ACCOUNT}/test"), f.main, &[]),
        Row::console(
            &format!("{CONSOLE_ACCOUNTS}/test-connection"),
            0,
            &account_form("probe", "100", "s"),
        )
        .writes_nothing(),
        // Rows that move the primary or remove an account last.
        Row::api(M::POST, SET_PRIMARY, None, f, f.branch),
        Row::console(&format!("{CONSOLE_ACCOUNT}/set-primary"), f.main, &[]),
        Row::api(M::DELETE, ONE, None, f, f.branch),
        Row::console(&format!("{CONSOLE_ACCOUNT}/remove"), f.spare, &[]),
    ]
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn every_mutating_endpoint_rolls_back_when_its_audit_entry_fails(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let main = api.create_account("Main Store - Jakarta", 100).await;
    let branch = api.create_account("Surabaya Branch", 101).await;
    let spare = api.create_account("Bandung Outlet", 104).await;
    let (ann, _) = api.create_user("ann", false).await;
    let (bob, _) = api.create_user("bob", false).await;
    api.grant(main, ann, "viewer").await;
    let ann_token: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE user_id = $1")
        .bind(ann)
        .fetch_one(&pool)
        .await
        .unwrap();
    let fixture = Fixture {
        main,
        branch,
        spare,
        ann,
        bob,
        ann_token,
    };
    let console = ConsoleClient::sign_in(&api, ADMIN_TOKEN).await;
    let csrf = console.csrf().await;
    sqlx::raw_sql(REFUSE_AUDIT).execute(&pool).await.unwrap();
    let rows = table(&fixture);
    assert_table_covers_the_mutating_operations(&api, &rows).await;

    let mut failures = Vec::new();
    for row in &rows {
        let name = format!("{} {}", row.method, row.path);
        if let Some(setup) = &row.setup {
            sqlx::raw_sql(setup).execute(&pool).await.unwrap();
        }
        let before = snapshot(&api).await;
        let (status, text) = call(&api, &console, &csrf, row).await;
        let after = snapshot(&api).await;
        if after != before {
            failures.push(format!(
                "{name}: changed the database or the queue without its audit entry"
            ));
        }
        let refused = if row.refused {
            status.is_client_error()
        } else if !row.audited {
            status.is_success()
        } else if row.path.starts_with("/api") {
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            status == StatusCode::INTERNAL_SERVER_ERROR
                && body["success"] == false
                && body["error"]["code"] == "internal_error"
        } else {
            status == StatusCode::INTERNAL_SERVER_ERROR && text.contains("<html")
        };
        if !refused {
            failures.push(format!("{name}: answered {status} with the audit refused: {text}"));
        }
        if !row.audited {
            continue;
        }

        sqlx::raw_sql("ALTER TABLE integration_logs DISABLE TRIGGER refuse_audit")
            .execute(&pool)
            .await
            .unwrap();
        let (status, text) = call(&api, &console, &csrf, row).await;
        if !(status.is_success() || status == StatusCode::SEE_OTHER) {
            failures.push(format!("{name}: answered {status} with the audit allowed: {text}"));
        }
        if snapshot(&api).await == before {
            failures.push(format!("{name}: changed nothing with the audit allowed"));
        }
        sqlx::raw_sql("ALTER TABLE integration_logs ENABLE TRIGGER refuse_audit")
            .execute(&pool)
            .await
            .unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn call(api: &TestApp, console: &ConsoleClient, csrf: &str, row: &Row) -> (StatusCode, String) {
    match &row.body {
        Body::None => {
            api.send_text(row.method.clone(), &row.path, Some(ADMIN_TOKEN), None)
                .await
        }
        Body::Json(body) => {
            api.send_text(row.method.clone(), &row.path, Some(ADMIN_TOKEN), Some(body.clone()))
                .await
        }
        Body::Form(fields) => {
            let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf)];
            form.extend(fields.iter().map(|(n, v)| (*n, v.as_str())));
            let response = console
                .http
                .post(format!("{}{}", api.url, row.path))
                .header(header::COOKIE, &console.cookie)
                .form(&form)
                .send()
                .await
                .expect("console reachable");
            (response.status(), response.text().await.expect("answer body"))
        }
    }
}

/// Every operation of the OpenAPI document that can change something has a row.
async fn assert_table_covers_the_mutating_operations(api: &TestApp, rows: &[Row]) {
    let covered: BTreeSet<(String, String)> = rows.iter().map(|r| (r.method.to_string(), r.route.clone())).collect();
    let missing: Vec<_> = crate::routes::documented(api)
        .await
        .into_iter()
        .filter(|(method, _)| !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS" | "TRACE"))
        .filter(|operation| !covered.contains(operation))
        .collect();
    assert!(missing.is_empty(), "mutating operations without a row: {missing:?}");
}
