//! `migrate-legacy` through its library entry point.

use ocean_api::commands::legacy::{self, FieldProblem, RowOutcome};
use ocean_core::{
    db::accounts,
    domain::{AccountCredentials, AccountId},
    marketplace::tokopedia::TokopediaCredentials,
};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::{
    BROKEN_SECRET, JAKARTA_SECRET, K1, SURABAYA_SECRET, account_with_secret, insert_legacy, keyring, rows_containing,
    secret_of, seed_legacy, snapshot,
};

async fn legacy_config(pool: &PgPool, integration_id: &str) -> (String, Value) {
    sqlx::query_as("SELECT status, config FROM integrations WHERE integration_id = $1")
        .bind(integration_id)
        .fetch_one(pool)
        .await
        .expect("legacy row")
}

fn outcome<'a>(report: &'a legacy::LegacyReport, integration_id: &str) -> &'a RowOutcome {
    &report
        .rows
        .iter()
        .find(|r| r.legacy_integration_id == integration_id)
        .expect("row reported")
        .outcome
}

fn created_id(report: &legacy::LegacyReport, integration_id: &str) -> AccountId {
    match outcome(report, integration_id) {
        RowOutcome::Created {
            account_id: Some(id), ..
        } => *id,
        other => panic!("{integration_id} was not created: {other:?}"),
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn migration_converts_option_a_rows_once_and_seals_their_secrets(pool: PgPool) {
    seed_legacy(&pool, true).await;
    let keys = keyring(K1);
    let (_, broken_before) = legacy_config(&pool, "tokopedia-broken").await;

    let first = legacy::run(&pool, &keys, false).await.unwrap();
    assert_eq!(
        first.rows.len(),
        3,
        "only tokopedia-<suffix> rows are legacy rows: {first}"
    );
    let jakarta = created_id(&first, "tokopedia-jakarta");
    let surabaya = created_id(&first, "tokopedia-surabaya");
    let invalid = RowOutcome::Invalid {
        problems: vec![FieldProblem {
            field: "credentials.client_id".into(),
            reason: "is missing".into(),
        }],
    };
    assert_eq!(outcome(&first, "tokopedia-broken"), &invalid);
    let error = first.ensure_complete().unwrap_err().to_string();
    assert!(error.contains("tokopedia-broken"), "{error}");
    assert!(
        first
            .to_string()
            .contains("tokopedia-broken: invalid: credentials.client_id is missing")
    );

    let jkt = accounts::get(&pool, jakarta).await.unwrap().unwrap();
    assert_eq!(
        (jkt.integration_id.as_str(), jkt.account_name.as_str()),
        ("tokopedia", "Main Store - Jakarta")
    );
    assert_eq!(jkt.account_identifier, "shop_67890");
    assert_eq!(
        jkt.credentials.0,
        AccountCredentials::Tokopedia(TokopediaCredentials {
            fs_id: 12345,
            shop_id: 67890,
            client_id: "client-jkt".into()
        })
    );
    assert!(jkt.enabled && jkt.auto_sync && jkt.is_primary);
    assert_eq!(jkt.sync_interval_minutes, 30);
    assert_eq!(
        jkt.features,
        ["product_management", "order_management", "inventory_sync"]
    );
    assert_eq!(
        jkt.metadata.0,
        json!({"region": "jakarta", "legacy_integration_id": "tokopedia-jakarta"})
    );
    let sby = accounts::get(&pool, surabaya).await.unwrap().unwrap();
    assert_eq!(
        (sby.account_name.as_str(), sby.account_identifier.as_str()),
        ("Surabaya Branch", "shop_11111")
    );
    assert!(
        !sby.enabled && !sby.auto_sync && !sby.is_primary,
        "status inactive → disabled"
    );
    assert_eq!(sby.sync_interval_minutes, 15);

    for (legacy_id, account) in [("tokopedia-jakarta", jakarta), ("tokopedia-surabaya", surabaya)] {
        let (status, config) = legacy_config(&pool, legacy_id).await;
        assert_eq!(status, "inactive");
        assert_eq!(config["migrated_to_account_id"], json!(account.0));
        assert!(config.get("client_secret").is_none() && config["credentials"].get("client_secret").is_none());
    }
    assert_eq!(
        legacy_config(&pool, "tokopedia-broken").await,
        ("active".to_owned(), broken_before)
    );
    assert_eq!(secret_of(&pool, &keys, jakarta).await, JAKARTA_SECRET);
    assert_eq!(secret_of(&pool, &keys, surabaya).await, SURABAYA_SECRET);
    for secret in [JAKARTA_SECRET, SURABAYA_SECRET] {
        assert_eq!(
            rows_containing(&pool, secret).await,
            0,
            "plaintext {secret} is still stored"
        );
    }
    let audits: Vec<(Option<AccountId>, Option<i64>, String, Value)> = sqlx::query_as(
        "SELECT account_id, actor_user_id, outcome, details FROM integration_logs
         WHERE kind = 'audit' AND action = 'account.migrate_legacy' ORDER BY account_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audits.len(), 2, "one audit row per migrated account: {audits:?}");
    assert_eq!(
        (audits[0].0, audits[0].1, audits[0].2.as_str()),
        (Some(jakarta), None, "success")
    );
    assert_eq!(audits[0].3["legacy_integration_id"], "tokopedia-jakarta");

    let before = snapshot(&pool).await;
    let second = legacy::run(&pool, &keys, false).await.unwrap();
    assert_eq!(snapshot(&pool).await, before, "a second run changed the database");
    let already = |id| RowOutcome::AlreadyMigrated {
        account_id: id,
        removed_plaintext_secret: false,
    };
    assert_eq!(outcome(&second, "tokopedia-jakarta"), &already(jakarta));
    assert_eq!(outcome(&second, "tokopedia-surabaya"), &already(surabaya));
    assert_eq!(outcome(&second, "tokopedia-broken"), &invalid);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn dry_run_reports_what_it_would_do_and_writes_nothing(pool: PgPool) {
    seed_legacy(&pool, true).await;
    let before = snapshot(&pool).await;

    let report = legacy::run(&pool, &keyring(K1), true).await.unwrap();

    assert_eq!(snapshot(&pool).await, before);
    assert_eq!(
        outcome(&report, "tokopedia-jakarta"),
        &RowOutcome::Created {
            account_id: None,
            account_name: "Main Store - Jakarta".into(),
            account_identifier: "shop_67890".into()
        }
    );
    let printed = report.to_string();
    for line in [
        "tokopedia-jakarta: would create account 'Main Store - Jakarta' (shop_67890)",
        "tokopedia-surabaya: would create account 'Surabaya Branch' (shop_11111)",
        "tokopedia-broken: invalid: credentials.client_id is missing",
        "dry run, nothing changed: 3 legacy integrations: 2 to create, 0 to link, 0 already migrated, 1 invalid",
    ] {
        assert!(printed.contains(line), "missing `{line}` in:\n{printed}");
    }
    for secret in [JAKARTA_SECRET, SURABAYA_SECRET, BROKEN_SECRET] {
        assert!(!printed.contains(secret));
    }
    assert!(
        report.ensure_complete().is_err(),
        "the dry run predicts the real run's failure"
    );
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn an_existing_account_for_the_same_shop_is_linked_not_duplicated(pool: PgPool) {
    let keys = keyring(K1);
    let existing = account_with_secret(&pool, &keys, 67890, "hand-made-secret").await;
    seed_legacy(&pool, false).await;

    let report = legacy::run(&pool, &keys, false).await.unwrap();

    report.ensure_complete().unwrap();
    let linked = RowOutcome::Linked {
        account_id: Some(existing),
        account_identifier: "shop_67890".into(),
    };
    assert_eq!(outcome(&report, "tokopedia-jakarta"), &linked);
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM integration_accounts WHERE account_identifier = 'shop_67890'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(count, 1);
    let (status, config) = legacy_config(&pool, "tokopedia-jakarta").await;
    assert_eq!(
        (status.as_str(), &config["migrated_to_account_id"]),
        ("inactive", &json!(existing.0))
    );
    assert_eq!(rows_containing(&pool, JAKARTA_SECRET).await, 0);
    assert_eq!(secret_of(&pool, &keys, existing).await, "hand-made-secret");
    let audits: i64 =
        sqlx::query_scalar("SELECT count(*) FROM integration_logs WHERE account_id = $1 AND kind = 'audit'")
            .bind(existing)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audits, 1);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn dry_run_links_a_second_row_for_the_same_shop_as_the_real_run_does(pool: PgPool) {
    seed_legacy(&pool, false).await;
    let same_shop =
        json!({"fs_id": 12345, "shop_id": 67890, "client_id": "client-jkt", "client_secret": "copy-secret-31f0"});
    insert_legacy(&pool, "tokopedia-jakarta-copy", "Copy", "active", same_shop).await;
    let keys = keyring(K1);

    let dry = legacy::run(&pool, &keys, true).await.unwrap();
    let real = legacy::run(&pool, &keys, false).await.unwrap();

    let planned = RowOutcome::Linked {
        account_id: None,
        account_identifier: "shop_67890".into(),
    };
    assert_eq!(outcome(&dry, "tokopedia-jakarta-copy"), &planned);
    let jakarta = created_id(&real, "tokopedia-jakarta");
    let done = RowOutcome::Linked {
        account_id: Some(jakarta),
        account_identifier: "shop_67890".into(),
    };
    assert_eq!(outcome(&real, "tokopedia-jakarta-copy"), &done);
    assert_eq!(
        rows_containing(&pool, "copy-secret-31f0").await,
        0,
        "the copy's plaintext secret stayed"
    );
}
