//! Every account, integration, access and user endpoint: happy path, validation, 404/409/422, paging.

use std::time::Duration;

use ocean_core::domain::OrderStatus;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{ACCOUNTS, SECRET, TestApp, account_body, fields};

/// Inserts order `n` of account `id` with Tokopedia status `code`, created at the SQL expression `created`
/// of `$6` (`at`).
async fn insert_order(pool: &PgPool, id: i64, n: usize, code: i32, amount: i64, created: &str, at: f64) {
    sqlx::query(&format!(
        r#"INSERT INTO marketplace_orders (account_id, external_id, invoice, status, marketplace_status, total_amount,
                                           order_created_at, raw)
           VALUES ($1, $2, 'INV', $3, $4, $5, {created}, '{{}}')"#
    ))
    .bind(id)
    .bind(n.to_string())
    .bind(OrderStatus::from_tokopedia(code).as_str())
    .bind(code.to_string())
    .bind(amount)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
}

fn names(list: &serde_json::Value) -> Vec<String> {
    list["data"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account_name"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn the_list_pages_sorts_and_filters(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    for (i, name) in ["Delta", "alpha", "Echo", "charlie", "Bravo"].iter().enumerate() {
        api.create_account(name, 100 + i as u64).await;
    }
    let (status, page) = api.get(&format!("{ACCOUNTS}?per_page=2&page=3")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&page), ["Bravo"]);
    assert_eq!(
        page["data"]["pagination"],
        json!({ "page": 3, "per_page": 2, "total": 5 })
    );
    assert_eq!(
        page["data"]["summary"]["total_accounts"], 5,
        "the summary covers every page"
    );

    let (_, sorted) = api
        .get(&format!("{ACCOUNTS}?sort=account_name&order=desc&per_page=3"))
        .await;
    assert_eq!(names(&sorted), ["Echo", "Delta", "charlie"]);

    let (_, created) = api
        .post(
            ACCOUNTS,
            json!({ "account_name": "Off", "enabled": false,
        "credentials": { "fs_id": 1, "shop_id": 999, "client_id": "c", "client_secret": SECRET } }),
        )
        .await;
    assert_eq!(created["data"]["status"], "inactive");
    let (_, disabled) = api.get(&format!("{ACCOUNTS}?enabled=false")).await;
    assert_eq!(names(&disabled), ["Off"]);
    let (_, inactive) = api.get(&format!("{ACCOUNTS}?status=inactive")).await;
    assert_eq!(names(&inactive), ["Off"]);

    for (query, field) in [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("sort=bogus", "sort"),
        ("order=up", "order"),
        ("status=sleeping", "status"),
        ("enabled=maybe", "enabled"),
    ] {
        let (status, body) = api.get(&format!("{ACCOUNTS}?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(fields(&body), [field], "{query}");
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn update_changes_only_given_fields_and_keeps_the_secret_without_credentials(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main", 1).await;
    api.create_account("Other", 2).await;
    let sealed = |pool: PgPool| async move {
        sqlx::query_scalar::<_, Vec<u8>>("SELECT secret_ciphertext FROM integration_accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = sealed(pool.clone()).await;

    let (status, body) = api
        .put(
            &format!("{ACCOUNTS}/{id}"),
            json!({ "account_name": "Main Store", "sync_interval_minutes": 5 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["account_name"], "Main Store");
    assert_eq!(body["data"]["sync_interval_minutes"], 5);
    assert_eq!(
        body["data"]["account_identifier"], "shop_1",
        "untouched fields keep their values"
    );

    let creds = json!({ "credentials": { "fs_id": 12345, "shop_id": 1, "client_id": "client-new" } });
    let (status, body) = api.put(&format!("{ACCOUNTS}/{id}"), creds).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["credentials"]["client_id"], "client-new");
    assert_eq!(
        sealed(pool.clone()).await,
        before,
        "credentials without a secret keep the sealed secret"
    );

    let new_secret = json!({ "credentials": { "fs_id": 12345, "shop_id": 1, "client_id": "client-new", "client_secret": "another-secret-value" } });
    assert_eq!(api.put(&format!("{ACCOUNTS}/{id}"), new_secret).await.0, StatusCode::OK);
    assert_ne!(sealed(pool.clone()).await, before, "a new secret is sealed");

    let (_, body) = api.put(&format!("{ACCOUNTS}/{id}"), json!({ "enabled": false })).await;
    assert_eq!(
        (body["data"]["enabled"].clone(), body["data"]["status"].clone()),
        (json!(false), json!("inactive"))
    );
    let (_, body) = api.put(&format!("{ACCOUNTS}/{id}"), json!({ "enabled": true })).await;
    assert_eq!(body["data"]["status"], "pending");

    let (status, body) = api
        .put(&format!("{ACCOUNTS}/{id}"), json!({ "account_identifier": "shop_2" }))
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("account_exists"))
    );
    let bad = json!({ "account_name": " ", "sync_interval_minutes": 20000, "features": ["nope"], "metadata": [1],
                      "credentials": { "fs_id": "x", "shop_id": 1, "client_id": "c", "client_secret": "" } });
    let (status, body) = api.put(&format!("{ACCOUNTS}/{id}"), bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut got = fields(&body);
    got.sort();
    assert_eq!(
        got,
        [
            "account_name",
            "credentials.client_secret",
            "credentials.fs_id",
            "features",
            "metadata",
            "sync_interval_minutes"
        ]
    );
    assert_eq!(
        api.put(&format!("{ACCOUNTS}/999"), json!({ "enabled": true })).await.0,
        StatusCode::NOT_FOUND
    );

    let audit: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT details FROM integration_logs WHERE account_id = $1 AND action = 'account.update' ORDER BY id",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 5, "one audit entry per successful update");
    assert_eq!(audit[2]["secret_replaced"], true);
    assert!(!audit.iter().any(|a| a.to_string().contains("another-secret-value")));
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn set_primary_is_exclusive_and_deleting_the_primary_promotes_the_oldest(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let first = api.create_account("First", 1).await;
    let second = api.create_account("Second", 2).await;
    let third = api.create_account("Third", 3).await;
    let (status, body) = api.post(&format!("{ACCOUNTS}/{third}/set-primary"), json!({})).await;
    assert_eq!(
        (status, body["data"]["is_primary"].clone()),
        (StatusCode::OK, json!(true))
    );
    let primaries: Vec<i64> = sqlx::query_scalar("SELECT id FROM integration_accounts WHERE is_primary")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(primaries, [third]);
    assert_eq!(
        api.post(&format!("{ACCOUNTS}/999/set-primary"), json!({})).await.0,
        StatusCode::NOT_FOUND
    );

    // Synced data and mappings go with the account; its logs stay.
    sqlx::query("INSERT INTO integration_mappings (integration_id, account_id, entity_type, external_id) VALUES ('tokopedia', $1, 'shop', '3')")
        .bind(third)
        .execute(&pool)
        .await
        .unwrap();
    let (status, body) = api.delete(&format!("{ACCOUNTS}/{third}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!({ "deleted": third, "new_primary": first }));
    let mappings: i64 = sqlx::query_scalar("SELECT count(*) FROM integration_mappings")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mappings, 0);
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM integration_logs WHERE account_id IS NULL AND details->>'account_id' = $1::text",
    )
    .bind(third)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept, 1, "the delete is audited and the entry survives");
    assert!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM integration_logs WHERE account_id IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap()
            >= 3
    );
    assert_eq!(api.get(&format!("{ACCOUNTS}/{third}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.delete(&format!("{ACCOUNTS}/{third}")).await.0,
        StatusCode::NOT_FOUND
    );

    let (_, body) = api.delete(&format!("{ACCOUNTS}/{second}")).await;
    assert_eq!(
        body["data"]["new_primary"],
        json!(null),
        "deleting a non-primary promotes nobody"
    );
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn stats_compare_today_with_yesterday(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main", 1).await;
    for (n, (age_days, amount, status)) in [
        (0.0, 100_000, 700),
        (0.0, 50_000, 220),
        (1.0, 100_000, 700),
        (0.0, 999_999, 0),
    ]
    .into_iter()
    .enumerate()
    {
        insert_order(&pool, id, n, status, amount, "now() - $6 * interval '1 day'", age_days).await;
    }
    let (status, body) = api.get(&format!("{ACCOUNTS}/{id}/stats")).await;
    assert_eq!(status, StatusCode::OK);
    let stats = &body["data"];
    assert_eq!(stats["total_orders"], 4);
    assert_eq!(stats["pending_orders"], 1);
    assert_eq!(stats["orders_today"], 3);
    assert_eq!(stats["revenue_today"], 150_000, "cancelled orders bring no revenue");
    assert_eq!(stats["revenue_yesterday"], 100_000);
    assert_eq!(stats["revenue_change_percent"], 50.0);
    assert_eq!(stats["sync_count"], 0);
    assert_eq!(api.get(&format!("{ACCOUNTS}/999/stats")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.get(&format!("{ACCOUNTS}/x/stats")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// Today so far is compared with yesterday until the same time of day (Asia/Jakarta), not with all of
/// yesterday: otherwise every morning shows a steep fall. Orders sit halfway through today so far, halfway
/// through yesterday's same hours, and halfway through the rest of yesterday, so that the two comparisons
/// differ at any time of day.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn stats_and_dashboard_compare_the_same_hours_of_yesterday(pool: PgPool) {
    const DAY: f64 = 86_400.0;
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main", 1).await;
    let db = &pool;
    let elapsed = move || async move {
        sqlx::query_scalar::<_, f64>(
            "SELECT extract(epoch FROM now() - date_trunc('day', now() AT TIME ZONE 'Asia/Jakarta') \
             AT TIME ZONE 'Asia/Jakarta')::float8",
        )
        .fetch_one(db)
        .await
        .unwrap()
    };
    // Keep clear of midnight, where "today" turns into "yesterday" between inserting and asking: near it,
    // wait (by the database's clock) until the new day is 10 s old.
    let since_midnight =
        ocean_testkit::wait_for("a time of day clear of midnight", Duration::from_secs(120), || async {
            let since_midnight = elapsed().await;
            (10.0..=DAY - 70.0).contains(&since_midnight).then_some(since_midnight)
        })
        .await;
    // Seconds from the start of today (Jakarta), and the amount.
    let orders = [
        (since_midnight / 2.0, 150_000),
        (-DAY + since_midnight / 2.0, 100_000),
        (-(DAY - since_midnight) / 2.0, 200_000),
    ];
    let start_of_today = "date_trunc('day', now() AT TIME ZONE 'Asia/Jakarta') AT TIME ZONE 'Asia/Jakarta'";
    for (n, (offset, amount)) in orders.into_iter().enumerate() {
        let created = format!("{start_of_today} + $6 * interval '1 second'");
        insert_order(&pool, id, n, 700, amount, &created, offset).await;
    }
    let (status, body) = api.get(&format!("{ACCOUNTS}/{id}/stats")).await;
    assert_eq!(status, StatusCode::OK);
    let stats = &body["data"];
    assert_eq!(stats["revenue_today"], 150_000);
    assert_eq!(stats["revenue_yesterday"], 300_000, "all of yesterday");
    assert_eq!(
        stats["revenue_change_percent"], 50.0,
        "150 000 against 100 000, not 300 000"
    );
    assert_eq!(stats["orders_change_percent"], 0.0);
    assert_eq!(stats["revenue_yesterday_until_now"], 100_000, "{stats}");
    assert_eq!(stats["orders_yesterday_until_now"], 1, "{stats}");

    let clock = move || async move {
        sqlx::query_scalar::<_, String>("SELECT to_char(now() AT TIME ZONE 'Asia/Jakarta', 'HH24:MI')")
            .fetch_one(db)
            .await
            .unwrap()
    };
    let console = crate::console::ConsoleClient::sign_in(&api, crate::helpers::ADMIN_TOKEN).await;
    let before = clock().await;
    let (status, page) = console.get("/integrations/tokopedia/dashboard").await;
    let after = clock().await;
    assert_eq!(status, StatusCode::OK);
    let card = page.split("data-account-id").nth(1).expect("the account's card");
    assert!(card.contains("+50%"), "{card}");
    assert!(
        [before, after]
            .iter()
            .any(|hhmm| page.contains(&format!("vs yesterday until {hhmm}"))),
        "{page}"
    );
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn logs_are_paged_newest_first_and_filtered(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Main", 1).await;
    for outcome in ["success", "failure", "success", "skipped"] {
        sqlx::query("INSERT INTO integration_logs (integration_id, account_id, kind, trigger, outcome) VALUES ('tokopedia', $1, 'sync', 'manual', $2)")
            .bind(id)
            .bind(outcome)
            .execute(&pool)
            .await
            .unwrap();
    }
    let (status, body) = api.get(&format!("{ACCOUNTS}/{id}/logs?per_page=2")).await;
    assert_eq!(status, StatusCode::OK);
    let logs = body["data"]["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0]["outcome"], "skipped", "newest first");
    assert_eq!(
        body["data"]["pagination"]["total"], 5,
        "four syncs and the creation audit"
    );
    let (_, failures) = api.get(&format!("{ACCOUNTS}/{id}/logs?outcome=failure")).await;
    assert_eq!(failures["data"]["pagination"]["total"], 1);
    let (_, audits) = api.get(&format!("{ACCOUNTS}/{id}/logs?kind=audit")).await;
    assert_eq!(audits["data"]["logs"][0]["action"], "account.create");
    for (query, field) in [("outcome=meh", "outcome"), ("kind=x", "kind"), ("page=0", "page")] {
        let (status, body) = api.get(&format!("{ACCOUNTS}/{id}/logs?{query}")).await;
        assert_eq!(
            (status, fields(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_owned()]),
            "{query}"
        );
    }
    assert_eq!(api.get(&format!("{ACCOUNTS}/999/logs")).await.0, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn sync_all_queues_enabled_accounts_only(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    api.create_account("On", 1).await;
    let mut off = account_body("Off", 2);
    off["enabled"] = json!(false);
    api.post(ACCOUNTS, off).await;
    let (status, body) = api.post(&format!("{ACCOUNTS}/sync-all"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body["data"]["queued"], 1);
    // Recorded as intents for the scheduler to feed; nothing is pushed to Redis by sync-all itself.
    let intents: Vec<String> = sqlx::query_scalar(
        "SELECT account_name FROM integration_accounts WHERE sync_requested_at IS NOT NULL AND sync_enqueued_at IS NULL",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(intents, ["On"]);
    assert_eq!(api.queue.depth().await.unwrap(), 0);
    assert_eq!(
        api.post("/api/integrations/nope/accounts/sync-all", json!({})).await.0,
        StatusCode::NOT_FOUND
    );
}

/// A change and its audit entry commit together: when the audit write fails, the change is rolled back
/// (here the audit table refuses sync entries, as a full disk or a broken constraint would).
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_sync_request_whose_audit_entry_fails_is_rolled_back(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let id = api.create_account("Audited", 100).await;
    sqlx::raw_sql(
        r#"CREATE FUNCTION refuse_sync_audit() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit unavailable'; END $$ LANGUAGE plpgsql;
           CREATE TRIGGER refuse_sync_audit BEFORE INSERT ON integration_logs
           FOR EACH ROW WHEN (NEW.action IN ('account.sync', 'accounts.sync_all'))
           EXECUTE FUNCTION refuse_sync_audit();"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    let requests = || async {
        sqlx::query_scalar::<_, i64>("SELECT sync_request_seq FROM integration_accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = requests().await;
    let (status, _) = api.post(&format!("{ACCOUNTS}/{id}/sync"), json!({})).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, _) = api.post(&format!("{ACCOUNTS}/sync-all"), json!({})).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(requests().await, before, "no request recorded without its audit entry");
}
