//! The operator commands `migrate-legacy` and `rotate-keys` on a real Postgres (a database per test),
//! through their library entry points and through the real binary.

use ocean_api::commands::{
    legacy::{self, FieldProblem, RowOutcome},
    rotate_keys,
};
use ocean_shared::{
    crypto::Keyring,
    db::accounts::{self, NewAccount},
    domain::{AccountCredentials, AccountId, AccountSecrets, Feature},
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sqlx::PgPool;

const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const K2: &str = "k2:HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";
const K9: &str = "k9:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const JAKARTA_SECRET: &str = "legacy-secret-jakarta-5b1e";
const SURABAYA_SECRET: &str = "legacy-secret-surabaya-9c4f";
const BROKEN_SECRET: &str = "legacy-secret-broken-77aa";

fn keyring(spec: &str) -> Keyring {
    Keyring::parse(&SecretString::from(spec.to_owned())).expect("valid keyring")
}

async fn insert_legacy(
    pool: &PgPool,
    integration_id: &str,
    name: &str,
    status: &str,
    config: Value,
) {
    sqlx::query(
        "INSERT INTO integrations (integration_id, name, status, config) VALUES ($1, $2, $3, $4)",
    )
    .bind(integration_id)
    .bind(name)
    .bind(status)
    .bind(config)
    .execute(pool)
    .await
    .expect("insert legacy integration");
}

/// Two valid Option A rows (nested credentials with string ids; flat with numeric ids), optionally an
/// invalid one, and a row of another platform that must be ignored.
async fn seed_legacy(pool: &PgPool, with_invalid: bool) {
    let jakarta = json!({
        "account_name": "Main Store - Jakarta",
        "credentials": {"fs_id": "12345", "shop_id": "67890", "client_id": "client-jkt", "client_secret": JAKARTA_SECRET},
        "sync_interval_minutes": 30,
        "metadata": {"region": "jakarta"}
    });
    insert_legacy(
        pool,
        "tokopedia-jakarta",
        "Tokopedia Jakarta",
        "active",
        jakarta,
    )
    .await;
    let surabaya = json!({
        "fs_id": 12345, "shop_id": 11111, "client_id": "client-sby", "client_secret": SURABAYA_SECRET,
        "auto_sync": false
    });
    insert_legacy(
        pool,
        "tokopedia-surabaya",
        "Surabaya Branch",
        "inactive",
        surabaya,
    )
    .await;
    if with_invalid {
        let broken =
            json!({"credentials": {"fs_id": 1, "shop_id": 2, "client_secret": BROKEN_SECRET}});
        insert_legacy(pool, "tokopedia-broken", "Broken Shop", "active", broken).await;
    }
    insert_legacy(
        pool,
        "shopee-main",
        "Shopee",
        "active",
        json!({"client_secret": "x"}),
    )
    .await;
}

/// Every row of the tables the commands touch, without timestamps and ciphertext bytes.
async fn snapshot(pool: &PgPool) -> Vec<Value> {
    let mut rows = Vec::new();
    for table in ["integrations", "integration_accounts", "integration_logs"] {
        let sql = format!("SELECT to_jsonb(t) FROM {table} t ORDER BY id");
        for mut row in sqlx::query_scalar::<_, Value>(&sql)
            .fetch_all(pool)
            .await
            .expect("snapshot")
        {
            if let Some(map) = row.as_object_mut() {
                map.retain(|k, _| {
                    !k.ends_with("_at") && k != "orders_cursor" && k != "secret_ciphertext"
                });
            }
            rows.push(json!({ table: row }));
        }
    }
    rows
}

/// Rows of any table whose text holds `needle`.
async fn rows_containing(pool: &PgPool, needle: &str) -> i64 {
    sqlx::query_scalar(
        r#"SELECT (SELECT count(*) FROM integrations t WHERE t::text LIKE '%' || $1 || '%')
                + (SELECT count(*) FROM integration_accounts t WHERE t::text LIKE '%' || $1 || '%')
                + (SELECT count(*) FROM integration_logs t WHERE t::text LIKE '%' || $1 || '%')"#,
    )
    .bind(needle)
    .fetch_one(pool)
    .await
    .expect("search")
}

async fn legacy_config(pool: &PgPool, integration_id: &str) -> (String, Value) {
    sqlx::query_as("SELECT status, config FROM integrations WHERE integration_id = $1")
        .bind(integration_id)
        .fetch_one(pool)
        .await
        .expect("legacy row")
}

async fn secret_of(pool: &PgPool, keyring: &Keyring, id: AccountId) -> String {
    let secrets = accounts::secrets(pool, keyring, id)
        .await
        .expect("open secret")
        .expect("sealed secret");
    secrets.client_secret.expose_secret().to_owned()
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
            account_id: Some(id),
            ..
        } => *id,
        other => panic!("{integration_id} was not created: {other:?}"),
    }
}

#[sqlx::test(migrator = "ocean_shared::MIGRATOR")]
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
        AccountCredentials {
            fs_id: 12345,
            shop_id: 67890,
            client_id: "client-jkt".into()
        }
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

    for (legacy_id, account) in [
        ("tokopedia-jakarta", jakarta),
        ("tokopedia-surabaya", surabaya),
    ] {
        let (status, config) = legacy_config(&pool, legacy_id).await;
        assert_eq!(status, "inactive");
        assert_eq!(config["migrated_to_account_id"], json!(account.0));
        assert!(
            config.get("client_secret").is_none()
                && config["credentials"].get("client_secret").is_none()
        );
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
    assert_eq!(
        audits.len(),
        2,
        "one audit row per migrated account: {audits:?}"
    );
    assert_eq!(
        (audits[0].0, audits[0].1, audits[0].2.as_str()),
        (Some(jakarta), None, "success")
    );
    assert_eq!(audits[0].3["legacy_integration_id"], "tokopedia-jakarta");

    let before = snapshot(&pool).await;
    let second = legacy::run(&pool, &keys, false).await.unwrap();
    assert_eq!(
        snapshot(&pool).await,
        before,
        "a second run changed the database"
    );
    let already = |id| RowOutcome::AlreadyMigrated {
        account_id: id,
        removed_plaintext_secret: false,
    };
    assert_eq!(outcome(&second, "tokopedia-jakarta"), &already(jakarta));
    assert_eq!(outcome(&second, "tokopedia-surabaya"), &already(surabaya));
    assert_eq!(outcome(&second, "tokopedia-broken"), &invalid);
}

#[sqlx::test(migrator = "ocean_shared::MIGRATOR")]
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

#[sqlx::test(migrator = "ocean_shared::MIGRATOR")]
async fn an_existing_account_for_the_same_shop_is_linked_not_duplicated(pool: PgPool) {
    let keys = keyring(K1);
    let hand_made = NewAccount {
        integration_id: "tokopedia".into(),
        account_name: "Jakarta (by hand)".into(),
        account_identifier: "shop_67890".into(),
        credentials: AccountCredentials {
            fs_id: 12345,
            shop_id: 67890,
            client_id: "client-jkt".into(),
        },
        secrets: AccountSecrets {
            client_secret: SecretString::from("hand-made-secret"),
        },
        enabled: true,
        auto_sync: true,
        sync_interval_minutes: 15,
        features: vec![Feature::ProductManagement],
        is_primary: false,
        metadata: json!({}),
    };
    let existing = accounts::insert(&mut *pool.acquire().await.unwrap(), &keys, &hand_made)
        .await
        .unwrap();
    seed_legacy(&pool, false).await;

    let report = legacy::run(&pool, &keys, false).await.unwrap();

    report.ensure_complete().unwrap();
    let linked = RowOutcome::Linked {
        account_id: Some(existing.id),
        account_identifier: "shop_67890".into(),
    };
    assert_eq!(outcome(&report, "tokopedia-jakarta"), &linked);
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM integration_accounts WHERE account_identifier = 'shop_67890'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(count, 1);
    let (status, config) = legacy_config(&pool, "tokopedia-jakarta").await;
    assert_eq!(
        (status.as_str(), &config["migrated_to_account_id"]),
        ("inactive", &json!(existing.id.0))
    );
    assert_eq!(rows_containing(&pool, JAKARTA_SECRET).await, 0);
    assert_eq!(
        secret_of(&pool, &keys, existing.id).await,
        "hand-made-secret"
    );
    let audits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM integration_logs WHERE account_id = $1 AND kind = 'audit'",
    )
    .bind(existing.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audits, 1);
}

async fn account_with_secret(
    pool: &PgPool,
    keys: &Keyring,
    shop_id: u64,
    secret: &str,
) -> AccountId {
    let new = NewAccount {
        integration_id: "tokopedia".into(),
        account_name: format!("Shop {shop_id}"),
        account_identifier: format!("shop_{shop_id}"),
        credentials: AccountCredentials {
            fs_id: 1,
            shop_id,
            client_id: "client".into(),
        },
        secrets: AccountSecrets {
            client_secret: SecretString::from(secret.to_owned()),
        },
        enabled: true,
        auto_sync: true,
        sync_interval_minutes: 15,
        features: vec![Feature::ProductManagement],
        is_primary: false,
        metadata: json!({}),
    };
    accounts::insert(&mut *pool.acquire().await.unwrap(), keys, &new)
        .await
        .unwrap()
        .id
}

async fn key_ids(pool: &PgPool) -> Vec<(AccountId, String, Vec<u8>)> {
    sqlx::query_as(
        "SELECT id, secret_key_id, secret_ciphertext FROM integration_accounts ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "ocean_shared::MIGRATOR")]
async fn rotate_keys_reseals_every_secret_under_the_active_key_once(pool: PgPool) {
    let old = keyring(K1);
    let secrets = ["rotate-secret-1", "rotate-secret-2", "rotate-secret-3"];
    let mut ids = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        ids.push(account_with_secret(&pool, &old, 100 + i as u64, secret).await);
    }
    let rotated = keyring(&format!("{K2},{K1}"));
    let sealed_under_k1 = key_ids(&pool).await;

    let dry = rotate_keys::run(&pool, &rotated, true).await.unwrap();
    assert_eq!(dry.resealed, 3);
    assert!(
        dry.to_string()
            .contains("would re-seal 3 secrets under `k2`"),
        "{dry}"
    );
    assert_eq!(
        key_ids(&pool).await,
        sealed_under_k1,
        "the dry run changed secrets"
    );

    let first = rotate_keys::run(&pool, &rotated, false).await.unwrap();
    first.ensure_complete().unwrap();
    assert_eq!(first.resealed, 3);
    let after = key_ids(&pool).await;
    assert!(
        after.iter().all(|(_, key_id, _)| key_id == "k2"),
        "{after:?}"
    );
    let k2_only = keyring(K2);
    for (id, secret) in ids.iter().zip(secrets) {
        assert_eq!(secret_of(&pool, &k2_only, *id).await, secret);
    }

    let second = rotate_keys::run(&pool, &rotated, false).await.unwrap();
    second.ensure_complete().unwrap();
    assert_eq!(second.resealed, 0);
    assert_eq!(key_ids(&pool).await, after, "a second run re-sealed again");
}

#[sqlx::test(migrator = "ocean_shared::MIGRATOR")]
async fn rotate_keys_leaves_secrets_under_unknown_keys_untouched_and_fails(pool: PgPool) {
    let k1_account = account_with_secret(&pool, &keyring(K1), 201, "under-k1").await;
    let orphan = account_with_secret(&pool, &keyring(K9), 202, "under-k9").await;
    let orphan_before = key_ids(&pool)
        .await
        .into_iter()
        .find(|(id, ..)| *id == orphan);
    let rotated = keyring(&format!("{K2},{K1}"));

    let report = rotate_keys::run(&pool, &rotated, false).await.unwrap();

    assert_eq!(report.resealed, 1);
    assert_eq!(report.unknown, vec![(orphan, Some("k9".to_owned()))]);
    let error = report.ensure_complete().unwrap_err().to_string();
    assert!(
        error.contains("`k9`") && error.contains(&orphan.to_string()),
        "{error}"
    );
    assert_eq!(
        key_ids(&pool)
            .await
            .into_iter()
            .find(|(id, ..)| *id == orphan),
        orphan_before
    );
    assert_eq!(secret_of(&pool, &keyring(K2), k1_account).await, "under-k1");

    let output = ocean_api(&pool, &["rotate-keys"], &format!("{K2},{K1}")).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.trim().starts_with("error: ") && stderr.contains("k9"),
        "{stderr}"
    );
}

/// Runs the real binary against the test's database.
async fn ocean_api(pool: &PgPool, args: &[&str], keys: &str) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ocean-api"))
        .args(args)
        .env("DATABASE_URL", ocean_testkit::database_url_for(pool))
        .env("OCEAN_ENCRYPTION_KEYS", keys)
        .env_remove("RUST_LOG")
        .env_remove("OCEAN_LOG_FORMAT")
        .output()
        .await
        .expect("run ocean-api")
}

#[sqlx::test(migrator = "ocean_shared::MIGRATOR")]
async fn binary_dry_run_names_each_legacy_row_and_exits_zero(pool: PgPool) {
    seed_legacy(&pool, false).await;
    let before = snapshot(&pool).await;

    let output = ocean_api(&pool, &["migrate-legacy", "--dry-run"], K1).await;

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(
            "tokopedia-jakarta: would create account 'Main Store - Jakarta' (shop_67890)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("tokopedia-surabaya: would create account"),
        "{stdout}"
    );
    assert!(!stdout.contains(JAKARTA_SECRET) && !stdout.contains(SURABAYA_SECRET));
    assert_eq!(snapshot(&pool).await, before);
}

#[sqlx::test(migrator = "ocean_shared::MIGRATOR")]
async fn binary_refuses_malformed_encryption_keys_with_one_error_line(pool: PgPool) {
    seed_legacy(&pool, false).await;

    let output = ocean_api(&pool, &["migrate-legacy"], "not-a-key-spec").await;

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("error: Failed to parse OCEAN_ENCRYPTION_KEYS"),
        "{stderr}"
    );
    let migrated: i64 = sqlx::query_scalar("SELECT count(*) FROM integration_accounts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(migrated, 0);
}
