//! The operator commands `migrate-legacy` and `rotate-keys` on a real Postgres (a database per test),
//! through their library entry points and through the real binary.

mod binary;
mod migrate_legacy;
mod rotate_keys;

use ocean_core::{
    crypto::Keyring,
    db::accounts::{self, NewAccount},
    domain::{AccountCredentials, AccountId, AccountSecrets, Feature},
    marketplace::tokopedia::TokopediaCredentials,
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

async fn insert_legacy(pool: &PgPool, integration_id: &str, name: &str, status: &str, config: Value) {
    sqlx::query("INSERT INTO integrations (integration_id, name, status, config) VALUES ($1, $2, $3, $4)")
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
    insert_legacy(pool, "tokopedia-jakarta", "Tokopedia Jakarta", "active", jakarta).await;
    let surabaya = json!({
        "fs_id": 12345, "shop_id": 11111, "client_id": "client-sby", "client_secret": SURABAYA_SECRET,
        "auto_sync": false
    });
    insert_legacy(pool, "tokopedia-surabaya", "Surabaya Branch", "inactive", surabaya).await;
    if with_invalid {
        let broken = json!({"credentials": {"fs_id": 1, "shop_id": 2, "client_secret": BROKEN_SECRET}});
        insert_legacy(pool, "tokopedia-broken", "Broken Shop", "active", broken).await;
    }
    insert_legacy(pool, "shopee-main", "Shopee", "active", json!({"client_secret": "x"})).await;
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
                map.retain(|k, _| !k.ends_with("_at") && k != "orders_cursor" && k != "secret_ciphertext");
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

async fn secret_of(pool: &PgPool, keyring: &Keyring, id: AccountId) -> String {
    let secrets = accounts::secrets(pool, keyring, id)
        .await
        .expect("open secret")
        .expect("sealed secret");
    match secrets {
        AccountSecrets::Tokopedia { client_secret } => client_secret.expose_secret().to_owned(),
        other => panic!("not a client secret: {other:?}"),
    }
}

/// An enabled account under `tokopedia` for `shop_<shop_id>`, its secret sealed with `keys`.
async fn account_with_secret(pool: &PgPool, keys: &Keyring, shop_id: u64, secret: &str) -> AccountId {
    let new = NewAccount {
        integration_id: "tokopedia".into(),
        account_name: format!("Shop {shop_id}"),
        account_identifier: format!("shop_{shop_id}"),
        credentials: AccountCredentials::Tokopedia(TokopediaCredentials {
            fs_id: 1,
            shop_id,
            client_id: "client".into(),
        }),
        secrets: AccountSecrets::Tokopedia {
            client_secret: SecretString::from(secret.to_owned()),
        },
        enabled: true,
        auto_sync: true,
        sync_interval_minutes: 15,
        features: vec![Feature::ProductManagement],
        is_primary: false,
        metadata: json!({}),
    };
    accounts::insert(&mut pool.acquire().await.unwrap(), keys, &new)
        .await
        .unwrap()
        .id
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
