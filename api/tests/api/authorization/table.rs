//! The table: every route, the body that makes only authorization decide, and what each caller gets.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Account, CREATED_NAME, CREATED_SHOP, Caller, Fixture, Restore, Row, Setup};
use crate::{
    helpers::account_body,
    routes::{
        ACCESS, ACCESS_OF_USER, AUTHORIZATION_CALLBACK, AUTHORIZATIONS, INTEGRATION, LIST, LOGS, ONE, RESUME,
        SET_PRIMARY, STATS, SYNC, SYNC_ALL, TEST, TEST_CONNECTION, TOKEN, TOKENS,
    },
};

/// The table. Rows that delete something come last; within a row the callers run from the least to the
/// most privileged, so denied calls meet the fixture before anything is removed.
pub(super) fn table() -> Vec<Row> {
    use Method as M;
    //                 global  account  editor  viewer  no      no     revoked
    //                 admin   admin                    access  token
    let public = [200, 200, 200, 200, 200, 200, 200];
    let signed_in = [200, 200, 200, 200, 200, 401, 401];
    let global_admin = |ok| [ok, 403, 403, 403, 403, 401, 401];
    let viewer = [200, 200, 200, 200, 404, 401, 401];
    let editor = |ok| [ok, ok, ok, 403, 404, 401, 401];
    let account_admin = [200, 200, 403, 403, 404, 401, 401];
    let sync_all = [202, 202, 202, 403, 403, 401, 401];
    vec![
        Row::new(M::GET, "/healthz", public),
        Row::new(M::GET, "/readyz", public),
        Row::new(M::GET, "/api/openapi.json", public),
        Row::new(M::GET, "/api/users/me", signed_in).check(me_is_the_caller),
        Row::new(M::GET, INTEGRATION, signed_in),
        Row::new(M::GET, LIST, signed_in).check(list_shows_only_visible_accounts),
        Row::new(M::GET, ONE, viewer),
        Row::new(M::GET, STATS, viewer),
        Row::new(M::GET, LOGS, viewer),
        Row::new(M::GET, "/api/users", global_admin(200)),
        Row::new(M::GET, TOKENS, global_admin(200)),
        Row::new(M::PUT, INTEGRATION, global_admin(200)).body(platform_settings),
        Row::new(M::POST, TEST_CONNECTION, global_admin(200)).body(probe_credentials),
        Row::new(M::POST, LIST, global_admin(201)).body(new_account),
        // Shops connect by consent on TikTok Shop: global admins start it; a state nobody issued is
        // refused for everyone signed in. Reconnecting an account (its admins) is in e2e `tiktok_shop`.
        Row::new(M::POST, AUTHORIZATIONS, global_admin(201))
            .on("tiktok-shop")
            .body(|_, _| Some(json!({}))),
        Row::new(M::POST, AUTHORIZATION_CALLBACK, [400, 400, 400, 400, 400, 401, 401])
            .on("tiktok-shop")
            .body(|_, _| Some(json!({ "state": "unknown", "code": "unknown" }))),
        Row::new(M::POST, "/api/users", global_admin(201)).body(new_user),
        Row::new(M::POST, TOKENS, global_admin(201)).body(new_token),
        Row::new(M::PUT, ONE, editor(200)).body(settings_only),
        Row::new(M::POST, SYNC, editor(202)),
        Row::new(M::POST, TEST, editor(200)),
        Row::new(M::POST, RESUME, editor(200)),
        Row::new(M::POST, SYNC_ALL, sync_all).check(sync_all_queues_only_syncable_accounts),
        Row::new(M::PUT, ONE, account_admin).body(identifiers_only),
        Row::new(M::PUT, ONE, account_admin).body(identifiers_and_secret),
        Row::new(M::POST, SET_PRIMARY, account_admin),
        Row::new(M::GET, ACCESS, account_admin),
        Row::new(M::PUT, ACCESS, account_admin).body(bystander_viewer),
        Row::new(M::DELETE, ACCESS_OF_USER, account_admin).restore(Restore::BystanderRole),
        Row::new(M::DELETE, TOKEN, global_admin(200)).restore(Restore::SpareToken),
        Row::new(M::DELETE, ONE, account_admin)
            .setup(Setup::OwnIsPrimary)
            .restore(Restore::Account)
            .check(delete_names_no_hidden_account),
    ]
}

fn platform_settings(_: &Fixture, _: Account) -> Option<Value> {
    Some(json!({ "consolidated_order_notifications": true }))
}

fn probe_credentials(_: &Fixture, _: Account) -> Option<Value> {
    Some(json!({ "credentials": account_body("probe", 67890)["credentials"] }))
}

fn new_account(_: &Fixture, _: Account) -> Option<Value> {
    Some(account_body(CREATED_NAME, CREATED_SHOP))
}

fn new_user(_: &Fixture, _: Account) -> Option<Value> {
    Some(json!({ "username": "made-by-the-table" }))
}

fn new_token(_: &Fixture, _: Account) -> Option<Value> {
    Some(json!({ "name": "table" }))
}

fn settings_only(_: &Fixture, _: Account) -> Option<Value> {
    Some(json!({ "sync_interval_minutes": 45, "metadata": { "note": "settings only" } }))
}

/// Identifiers alone (the stored secret is kept) already need the account admin role.
fn identifiers_only(_: &Fixture, account: Account) -> Option<Value> {
    Some(json!({ "credentials": { "fs_id": "12345", "shop_id": account.shop_id, "client_id": "client-abc" } }))
}

fn identifiers_and_secret(_: &Fixture, account: Account) -> Option<Value> {
    Some(json!({ "credentials": account_body("same", account.shop_id)["credentials"] }))
}

fn bystander_viewer(fixture: &Fixture, _: Account) -> Option<Value> {
    Some(json!({ "user_id": fixture.bystander, "role": "viewer" }))
}

fn me_is_the_caller(fixture: &Fixture, caller: Caller, body: &Value) -> Result<(), String> {
    let expected = match caller {
        Caller::GlobalAdmin => fixture.admin,
        Caller::AccountAdmin => fixture.account_admin.0,
        Caller::Editor => fixture.editor.0,
        Caller::Viewer => fixture.viewer.0,
        Caller::NoAccess => fixture.no_access.0,
        Caller::NoToken | Caller::Revoked => return Err("signed in without a live token".into()),
    };
    let got = &body["data"]["id"];
    if got.as_i64() == Some(expected) {
        Ok(())
    } else {
        Err(format!("`me` is user {got}, not the caller ({expected})"))
    }
}

fn list_shows_only_visible_accounts(fixture: &Fixture, caller: Caller, body: &Value) -> Result<(), String> {
    let mut listed: Vec<i64> = body["data"]["accounts"]
        .as_array()
        .map(|a| a.iter().filter_map(|a| a["id"].as_i64()).collect())
        .unwrap_or_default();
    listed.sort_unstable();
    let mut visible = fixture.visible_to(caller);
    visible.sort_unstable();
    let total = body["data"]["summary"]["total_accounts"].as_u64();
    if listed != visible || total != Some(visible.len() as u64) {
        return Err(format!(
            "listed {listed:?} (summary total {total:?}); the caller may see {visible:?}"
        ));
    }
    Ok(())
}

fn sync_all_queues_only_syncable_accounts(fixture: &Fixture, caller: Caller, body: &Value) -> Result<(), String> {
    let expected = match caller {
        Caller::GlobalAdmin => fixture.all_accounts.len() as u64,
        // Both hold the editor role or more on the own account only.
        Caller::AccountAdmin | Caller::Editor => 1,
        _ => return Err("sync-all accepted a caller who may sync nothing".into()),
    };
    match body["data"]["queued"].as_u64() {
        Some(queued) if queued == expected => Ok(()),
        other => Err(format!("queued {other:?}, expected {expected}")),
    }
}

fn delete_names_no_hidden_account(fixture: &Fixture, caller: Caller, body: &Value) -> Result<(), String> {
    let promoted = &body["data"]["new_primary"];
    let visible = fixture.visible_to(caller);
    match promoted.as_i64() {
        Some(id) if caller != Caller::GlobalAdmin && !visible.contains(&id) => Err(format!(
            "the answer names account {id} as the new primary, which the caller holds no role on"
        )),
        _ => Ok(()),
    }
}
