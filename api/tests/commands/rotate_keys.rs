//! `rotate-keys` through its library entry point, and its failure through the binary.

use ocean_api::commands::rotate_keys;
use ocean_core::domain::AccountId;
use sqlx::PgPool;

use super::{K1, K2, K9, account_with_secret, keyring, ocean_api, secret_of};

async fn key_ids(pool: &PgPool) -> Vec<(AccountId, String, Vec<u8>)> {
    sqlx::query_as("SELECT id, secret_key_id, secret_ciphertext FROM integration_accounts ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn rotate_keys_reseals_every_secret_under_the_active_key_once(pool: PgPool) {
    let old = keyring(K1);
    // More than two batches of 100.
    let secrets: Vec<String> = (0..205).map(|i| format!("rotate-secret-{i}")).collect();
    let mut ids = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        ids.push(account_with_secret(&pool, &old, 100 + i as u64, secret).await);
    }
    let rotated = keyring(&format!("{K2},{K1}"));
    let sealed_under_k1 = key_ids(&pool).await;

    let dry = rotate_keys::run(&pool, &rotated, true).await.unwrap();
    assert_eq!(dry.resealed, 205);
    assert!(
        dry.to_string().contains("would re-seal 205 secrets under `k2`"),
        "{dry}"
    );
    assert_eq!(key_ids(&pool).await, sealed_under_k1, "the dry run changed secrets");

    let first = rotate_keys::run(&pool, &rotated, false).await.unwrap();
    first.ensure_complete().unwrap();
    assert_eq!(first.resealed, 205);
    let after = key_ids(&pool).await;
    assert!(after.iter().all(|(_, key_id, _)| key_id == "k2"), "{after:?}");
    let k2_only = keyring(K2);
    for (id, secret) in ids.iter().zip(&secrets) {
        assert_eq!(&secret_of(&pool, &k2_only, *id).await, secret);
    }

    let second = rotate_keys::run(&pool, &rotated, false).await.unwrap();
    second.ensure_complete().unwrap();
    assert_eq!(second.resealed, 0);
    assert_eq!(key_ids(&pool).await, after, "a second run re-sealed again");
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn rotate_keys_leaves_secrets_under_unknown_keys_untouched_and_fails(pool: PgPool) {
    let k1_account = account_with_secret(&pool, &keyring(K1), 201, "under-k1").await;
    let orphan = account_with_secret(&pool, &keyring(K9), 202, "under-k9").await;
    let orphan_before = key_ids(&pool).await.into_iter().find(|(id, ..)| *id == orphan);
    let rotated = keyring(&format!("{K2},{K1}"));

    let report = rotate_keys::run(&pool, &rotated, false).await.unwrap();

    assert_eq!(report.resealed, 1);
    assert_eq!(report.unknown, vec![(orphan, Some("k9".to_owned()))]);
    let error = report.ensure_complete().unwrap_err().to_string();
    assert!(error.contains("`k9`") && error.contains(&orphan.to_string()), "{error}");
    assert_eq!(
        key_ids(&pool).await.into_iter().find(|(id, ..)| *id == orphan),
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
