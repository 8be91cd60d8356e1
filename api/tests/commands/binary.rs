//! The real `ocean-api` binary: exit codes and output.

use sqlx::PgPool;

use super::{JAKARTA_SECRET, K1, SURABAYA_SECRET, ocean_api, seed_legacy, snapshot};

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
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
        stdout.contains("tokopedia-jakarta: would create account 'Main Store - Jakarta' (shop_67890)"),
        "{stdout}"
    );
    assert!(stdout.contains("tokopedia-surabaya: would create account"), "{stdout}");
    assert!(!stdout.contains(JAKARTA_SECRET) && !stdout.contains(SURABAYA_SECRET));
    assert_eq!(snapshot(&pool).await, before);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
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

/// `serve` checks every setting before it connects anything and names each bad one, so an operator fixes
/// them in one round.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn serve_names_every_bad_setting_at_once_and_exits_one(pool: PgPool) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_ocean-api"))
        .arg("serve")
        .env("DATABASE_URL", ocean_testkit::database_url_for(&pool))
        .env("OCEAN_ENCRYPTION_KEYS", "not-a-key-spec")
        .env("OCEAN_ADMIN_TOKEN", "too-short")
        .env("OCEAN_MARKETPLACE_HEADROOM", "2")
        .env("OCEAN_MARKETPLACE_ENDPOINT_LIMITS", "order-list=fast")
        .env("OCEAN_TOKOPEDIA_BASE_URL", "fs.tokopedia.net")
        .env("OCEAN_METRICS_ADDR", "off")
        .env_remove("RUST_LOG")
        .output()
        .await
        .expect("run ocean-api");

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for variable in [
        "OCEAN_ENCRYPTION_KEYS",
        "OCEAN_ADMIN_TOKEN",
        "OCEAN_MARKETPLACE_HEADROOM",
        "OCEAN_MARKETPLACE_ENDPOINT_LIMITS",
        "OCEAN_TOKOPEDIA_BASE_URL",
    ] {
        assert!(stderr.contains(variable), "{variable} is not named: {stderr}");
    }
    assert!(!stderr.contains("too-short"), "the token is never echoed: {stderr}");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 0, "nothing is written before the settings are good");
}
