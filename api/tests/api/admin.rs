//! Connection tests, platform settings, users and tokens, and per-account access.

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{ACCOUNTS, TestApp, fields};

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn connection_tests_say_what_worked_and_what_did_not(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let app = api.sim.config.apps[0].clone();
    let other_shop = api.sim.config.apps[1].shops[0].shop_id;
    let creds = |secret: &str, shop: u64| json!({ "credentials": { "fs_id": app.fs_id, "shop_id": shop, "client_id": app.client_id, "client_secret": secret } });
    let path = format!("{ACCOUNTS}/test-connection");
    let (status, good) = api.post(&path, creds(&app.client_secret, app.shops[0].shop_id)).await;
    assert_eq!(status, StatusCode::OK, "{good}");
    assert_eq!(good["data"]["ok"], true);
    assert_eq!(good["data"]["shop_name"], app.shops[0].name);

    let (_, bad_secret) = api.post(&path, creds("wrong-secret", app.shops[0].shop_id)).await;
    assert_eq!(
        (
            bad_secret["data"]["ok"].clone(),
            bad_secret["data"]["token"]["ok"].clone()
        ),
        (json!(false), json!(false))
    );
    assert!(
        bad_secret["data"]["token"]["message"]
            .as_str()
            .unwrap()
            .contains("rejected the client id or secret")
    );

    let (_, unlinked) = api.post(&path, creds(&app.client_secret, other_shop)).await;
    assert_eq!(
        (
            unlinked["data"]["token"]["ok"].clone(),
            unlinked["data"]["shop"]["ok"].clone()
        ),
        (json!(true), json!(false))
    );
    assert!(
        unlinked["data"]["shop"]["message"]
            .as_str()
            .unwrap()
            .contains("not linked")
    );

    let (status, body) = api.post(&path, json!({ "credentials": { "fs_id": 1 } })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&body),
        [
            "credentials.shop_id",
            "credentials.client_id",
            "credentials.client_secret"
        ]
    );

    // The stored credentials of an account.
    let mut body = creds(&app.client_secret, app.shops[0].shop_id);
    body["account_name"] = json!("Jakarta");
    let (_, created) = api.post(ACCOUNTS, body).await;
    let id = created["data"]["id"].as_i64().unwrap();
    let (status, stored) = api.post(&format!("{ACCOUNTS}/{id}/test"), json!({})).await;
    assert_eq!((status, stored["data"]["ok"].clone()), (StatusCode::OK, json!(true)));
    assert_eq!(
        api.post(&format!("{ACCOUNTS}/999/test"), json!({})).await.0,
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn platform_settings_are_read_and_changed(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (status, body) = api.get("/api/integrations/tokopedia").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["data"]["settings"],
        json!({ "sync_all_simultaneously": false, "share_product_catalog": false, "consolidated_order_notifications": false })
    );
    let (status, body) = api
        .put("/api/integrations/tokopedia", json!({ "share_product_catalog": true }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["settings"]["share_product_catalog"], true);
    assert_eq!(
        body["data"]["settings"]["sync_all_simultaneously"], false,
        "omitted switches keep their value"
    );
    let (status, body) = api
        .put(
            "/api/integrations/tokopedia",
            json!({ "sync_all_simultaneously": "yes" }),
        )
        .await;
    assert_eq!(
        (status, fields(&body)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["sync_all_simultaneously".to_owned()]
        )
    );
    assert_eq!(api.get("/api/integrations/lazada").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.put("/api/integrations/lazada", json!({})).await.0,
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn users_get_tokens_that_work_until_revoked(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let (id, token) = api.create_user("siti@agency", false).await;
    let (status, me) = api.send(Method::GET, "/api/users/me", Some(&token), None).await;
    assert_eq!(
        (status, me["data"]["username"].clone()),
        (StatusCode::OK, json!("siti@agency"))
    );

    let (status, body) = api.post("/api/users", json!({ "username": "siti@agency" })).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("user_exists"))
    );
    let (status, body) = api.post("/api/users", json!({ "username": "Not Valid!" })).await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["username".to_owned()])
    );
    let (_, all) = api.get("/api/users").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);

    let (_, tokens) = api.get(&format!("/api/users/{id}/tokens")).await;
    let listed = tokens["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("token").is_none(), "token values are never listed");
    let token_id = listed[0]["id"].as_i64().unwrap();
    let (status, _) = api.delete(&format!("/api/users/{id}/tokens/{token_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        api.send(Method::GET, "/api/users/me", Some(&token), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.delete(&format!("/api/users/{id}/tokens/{token_id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get("/api/users/999/tokens").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.post("/api/users/abc/tokens", json!({})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let stored_plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE token_hash = convert_to($1, 'UTF8') OR length(token_hash) <> 32",
    )
    .bind(&token)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored_plain, 0, "tokens are stored as SHA-256 digests only");
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn access_is_granted_listed_and_revoked(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let account = api.create_account("Main", 1).await;
    let (user, token) = api.create_user("budi", false).await;
    assert_eq!(
        api.send(Method::GET, &format!("{ACCOUNTS}/{account}"), Some(&token), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    api.grant(account, user, "viewer").await;
    let (status, seen) = api
        .send(Method::GET, &format!("{ACCOUNTS}/{account}"), Some(&token), None)
        .await;
    assert_eq!(
        (status, seen["data"]["your_role"].clone()),
        (StatusCode::OK, json!("viewer"))
    );
    let (_, grants) = api.get(&format!("{ACCOUNTS}/{account}/access")).await;
    assert_eq!(
        grants["data"],
        json!([{ "user_id": user, "username": "budi", "role": "viewer", "created_at": grants["data"][0]["created_at"] }])
    );

    let path = format!("{ACCOUNTS}/{account}/access");
    let (status, body) = api.put(&path, json!({ "user_id": user, "role": "owner" })).await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["role".to_owned()])
    );
    let (status, body) = api.put(&path, json!({ "user_id": 999, "role": "viewer" })).await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["user_id".to_owned()])
    );

    assert_eq!(api.delete(&format!("{path}/{user}")).await.0, StatusCode::OK);
    assert_eq!(api.delete(&format!("{path}/{user}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.send(Method::GET, &format!("{ACCOUNTS}/{account}"), Some(&token), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

/// `GET /api/users` refuses an account admin; granting must not list users either: an id of a user the
/// caller cannot see answers exactly like an id of nobody, and names no one.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn an_account_admin_learns_nothing_about_users_they_cannot_see_by_granting(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let own = api.create_account("Own", 1).await;
    let elsewhere = api.create_account("Elsewhere", 2).await;
    let (admin, token) = api.create_user("shop-admin", false).await;
    api.grant(own, admin, "admin").await;
    let (colleague, _) = api.create_user("colleague", false).await;
    api.grant(own, colleague, "viewer").await;
    let (stranger, _) = api.create_user("secret-stranger", false).await;
    api.grant(elsewhere, stranger, "viewer").await;
    let (loner, _) = api.create_user("secret-loner", false).await;
    let unknown = loner + 1000;

    let path = format!("{ACCOUNTS}/{own}/access");
    let (api_ref, path_ref, token_ref) = (&api, &path, &token);
    let as_account_admin = move |user_id: i64| async move {
        let body = json!({ "user_id": user_id, "role": "viewer" });
        api_ref.send(Method::PUT, path_ref, Some(token_ref), Some(body)).await
    };
    let refusal = as_account_admin(unknown).await;
    assert_eq!(
        (refusal.0, fields(&refusal.1)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["user_id".to_owned()])
    );
    for hidden in [stranger, loner] {
        let (status, body) = as_account_admin(hidden).await;
        assert_eq!(
            (status, &body),
            (refusal.0, &refusal.1),
            "user {hidden} answers like nobody"
        );
        assert!(!body.to_string().contains("secret-"), "{body}");
    }
    let (_, grants) = api.get(&path).await;
    assert_eq!(
        grants["data"].as_array().unwrap().len(),
        2,
        "nothing was granted: {grants}"
    );

    // Users the account admin already sees on their accounts: their role changes.
    let (status, body) = as_account_admin(colleague).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The global admin gives roles to anyone.
    let (status, body) = api.put(&path, json!({ "user_id": stranger, "role": "viewer" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn only_global_admins_change_account_identifiers(pool: PgPool) {
    let api = TestApp::start(&pool).await;
    let own = api.create_account("Own", 1).await;
    api.create_account("Hidden", 2).await;
    let (user, token) = api.create_user("agency-admin", false).await;
    api.grant(own, user, "admin").await;
    // A 409 here would reveal that the hidden account's identifier exists.
    let body = json!({ "account_identifier": "shop_2" });
    let (status, answer) = api
        .send(Method::PUT, &format!("{ACCOUNTS}/{own}"), Some(&token), Some(body))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, _) = api
        .put(
            &format!("{ACCOUNTS}/{own}"),
            json!({ "account_identifier": "shop_own" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
