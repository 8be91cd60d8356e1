//! Client secrets go in and never come out: not in an answer, not in the database in plain text, not in a
//! log line at any level, along a realistic life of an account (create, edit, rotate the secret, test,
//! sync with a real worker, fail a sync on rejected credentials).

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::STANDARD};
use ocean_sim::{AppConfig, RateLimit};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use tracing_subscriber::util::SubscriberInitExt;

use crate::helpers::{ACCOUNTS, ADMIN_TOKEN, SECRET, TestApp, dump_tables};

/// A secret the marketplace never issued; sent only to be rejected.
const WRONG_SECRET: &str = "wrong-secret-the-marketplace-rejects-7c1e";

/// Log output, shared between the subscriber and the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().expect("log buffer lock").clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures this thread's log lines at TRACE until the guard drops.
fn capture() -> (Captured, (tracing::Dispatch, tracing::subscriber::DefaultGuard)) {
    let every_dispatcher_is_asked = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    ocean_testkit::init_tracing();
    let logs = Captured::default();
    let writer = logs.clone();
    let guard = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish()
        .set_default();
    (logs, (every_dispatcher_is_asked, guard))
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn client_secrets_never_reach_answers_the_database_or_the_logs(pool: PgPool) {
    // The capture is this thread's default subscriber, not the global one: `#[sqlx::test]` runs the test on
    // a current-thread Tokio runtime, so the api's connection tasks, the worker and the simulator, all
    // spawned on it, log on this thread and land here, while the other tests of this binary, running on
    // their own threads at the same time, do not. A global subscriber could be installed only once per
    // process (and `init_tracing` may already have taken it with TEST_LOG) and would mix in every other
    // test's lines. `set_default` also forwards `log` records.
    //
    // While it is the only registered dispatcher, tracing-core decides whether a callsite is enabled by
    // asking the default of whichever thread reaches it first; when that is another test's thread (no
    // subscriber), the callsite is switched off for good and our thread's events from it are lost
    // (tokio-rs/tracing#3611). An inert second dispatcher makes it ask every registered dispatcher.
    // The assertions on lines of the api, tower-http, sqlx and the worker below prove the capture works.
    // [`capture`] does both.
    let (logs, _capture) = capture();

    let api = TestApp::start(&pool).await;
    let app = api.sim.config.apps[0].clone();
    let shop_id = app.shops[0].shop_id;
    // The demo world is throttled and slowed like the real marketplace; this flow needs neither.
    api.sim.sim.set_rate_limit(
        None,
        RateLimit {
            rate_per_sec: 1000.0,
            burst: 1000,
        },
    );
    let original = app.client_secret.clone();
    let credentials = |secret: &str| {
        json!({
            "fs_id": app.fs_id,
            "shop_id": shop_id,
            "client_id": app.client_id,
            "client_secret": secret,
        })
    };

    let (status, created) = call(
        &api,
        Method::POST,
        ACCOUNTS,
        Some(json!({
            "account_name": "Fashion Store Jakarta",
            "credentials": credentials(&original),
            "features": ["product_management", "order_management", "shop_info"],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "create: {created}");
    let id = created["data"]["id"].as_i64().expect("account id");
    let account = format!("{ACCOUNTS}/{id}");

    let (status, body) = call(
        &api,
        Method::PUT,
        &account,
        Some(json!({ "sync_interval_minutes": 20 })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "settings update: {body}");

    // The shop owner rotates the secret at the marketplace, then in Ocean Sync.
    api.sim.sim.add_app(AppConfig {
        client_secret: SECRET.into(),
        ..app.clone()
    });
    // (Replacing the app rebuilt its shop, with the demo's delay.)
    api.sim.sim.set_latency(shop_id, Duration::ZERO);
    let (status, body) = call(
        &api,
        Method::PUT,
        &account,
        Some(json!({ "credentials": credentials(SECRET) })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "secret rotation: {body}");

    let (status, report) = call(
        &api,
        Method::POST,
        &format!("{ACCOUNTS}/test-connection"),
        Some(json!({ "credentials": credentials(SECRET) })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["data"]["ok"], true, "the rotated secret works: {report}");
    let (status, report) = call(
        &api,
        Method::POST,
        &format!("{ACCOUNTS}/test-connection"),
        Some(json!({ "credentials": credentials(WRONG_SECRET) })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["data"]["ok"], false, "a wrong secret is rejected: {report}");
    let (status, report) = call(&api, Method::POST, &format!("{account}/test"), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["data"]["ok"], true, "the stored secret works: {report}");

    let worker = api.spawn_worker().await;
    let (status, body) = call(&api, Method::POST, &format!("{account}/sync"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "sync: {body}");
    api.wait_for_outcome(ocean_core::domain::AccountId(id), 1, 0).await;

    // A secret the marketplace rejects. The token the fleet shares stays valid until it expires; expiring
    // it makes the next sync ask for a new one with the wrong secret.
    let (status, body) = call(
        &api,
        Method::PUT,
        &account,
        Some(json!({ "credentials": credentials(WRONG_SECRET) })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "wrong secret stored: {body}");
    api.sim.sim.expire_tokens();
    let (status, report) = call(&api, Method::POST, &format!("{account}/test"), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["data"]["ok"], false, "{report}");
    let (status, body) = call(&api, Method::POST, &format!("{account}/sync"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "sync: {body}");
    api.wait_for_outcome(ocean_core::domain::AccountId(id), 1, 1).await;
    let (status, failed) = call(&api, Method::GET, &account, None).await;
    assert_eq!(status, StatusCode::OK, "{failed}");
    assert!(
        failed["data"]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("rejected")),
        "the sync failed on the rejected secret: {failed}"
    );

    for path in [
        ACCOUNTS.to_owned(),
        account.clone(),
        format!("{account}/stats"),
        format!("{account}/logs"),
        format!("{account}/access"),
    ] {
        let (status, body) = call(&api, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    api.stop();
    worker.await.expect("worker task").expect("worker shut down cleanly");

    let secrets = [original.as_str(), SECRET, WRONG_SECRET];
    // The marketplace gets the secret as HTTP Basic credentials; that encoding must not show up either.
    let needles: Vec<String> = secrets
        .iter()
        .flat_map(|s| [s.to_string(), STANDARD.encode(format!("{}:{s}", app.client_id))])
        .collect();

    let lines = [
        "account created",
        "finished processing request",
        "db.statement",
        "sync finished",
        "sync failed",
    ];
    assert_nowhere(&pool, &logs, &needles, &lines).await;
}

/// `TestApp::send` as the global admin; it checks answers for the original and rotated secrets, this adds
/// the wrong one.
async fn call(api: &TestApp, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let (status, answer) = api.send(method, path, Some(ADMIN_TOKEN), body).await;
    assert!(
        !answer.to_string().contains(WRONG_SECRET),
        "an answer leaked the wrong secret: {answer}"
    );
    (status, answer)
}

/// The TikTok Shop side: the app secret (it signs every call and travels in the token URLs), the auth
/// code and every access and refresh token the shop is issued, along connect, sync, token expiry and
/// refresh, connection test and revocation.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn tiktok_shop_tokens_codes_and_the_app_secret_never_reach_answers_the_database_or_the_logs(pool: PgPool) {
    let (logs, _capture) = capture();
    let api = TestApp::start(&pool).await;
    let controls = api.sim.sim.tiktok_shop();
    controls.set_rate_limit(
        None,
        RateLimit {
            rate_per_sec: 1000.0,
            burst: 1000,
        },
    );
    let tts = api.sim.config.tiktok_shop.apps[0].clone();
    let shop_id = tts.shops[0].shop_id;
    let callback = "https://erp.example.com/tiktok-shop/callback";
    let (status, started) = call(
        &api,
        Method::POST,
        "/api/integrations/tiktok-shop/authorizations",
        Some(json!({ "redirect_url": callback })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let back = ocean_testkit::consent(started["data"]["authorize_url"].as_str().expect("consent URL")).await;
    let (state, code) = (
        ocean_testkit::consent_param(&back, "state"),
        ocean_testkit::consent_param(&back, "code"),
    );
    let (status, connected) = call(
        &api,
        Method::POST,
        "/api/integrations/tiktok-shop/authorizations/callback",
        Some(json!({ "state": state, "code": code })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{connected}");
    let id = ocean_core::domain::AccountId(connected["data"][0]["account_id"].as_i64().expect("account id"));
    let account = format!("/api/integrations/tiktok-shop/accounts/{id}");
    let mut tokens = vec![tokens_of(&api, id).await];

    let worker = api.spawn_worker().await;
    let (status, body) = call(&api, Method::POST, &format!("{account}/sync"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "sync: {body}");
    api.wait_for_outcome(id, 1, 0).await;

    // The marketplace expires the access token early: the next sync refreshes both tokens and goes on.
    assert!(controls.expire_tokens(Some(shop_id), false) > 0);
    let (status, body) = call(&api, Method::POST, &format!("{account}/sync"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "sync: {body}");
    api.wait_for_outcome(id, 2, 0).await;
    tokens.push(tokens_of(&api, id).await);
    assert_ne!(tokens[0].0, tokens[1].0, "the access token was renewed");
    let (status, report) = call(&api, Method::POST, &format!("{account}/test"), None).await;
    assert_eq!(
        (status, report["data"]["ok"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{report}"
    );

    controls.revoke(shop_id, None);
    let (status, body) = call(&api, Method::POST, &format!("{account}/sync"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "sync: {body}");
    api.wait_for_outcome(id, 2, 1).await;
    for path in [
        account.clone(),
        format!("{account}/logs"),
        "/api/integrations/tiktok-shop/accounts".into(),
    ] {
        let (status, body) = call(&api, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        for needle in tokens.iter().flat_map(|(a, r)| [a, r]).chain([&code, &tts.app_secret]) {
            assert!(!body.to_string().contains(needle.as_str()), "{path} leaks `{needle}`");
        }
    }
    api.stop();
    worker.await.expect("worker task").expect("worker shut down cleanly");

    let mut needles: Vec<String> = tokens.into_iter().flat_map(|(a, r)| [a, r]).collect();
    needles.extend([code, tts.app_secret.clone()]);
    let lines = [
        "shop tokens renewed",
        "sync finished",
        "shop authorization lapsed",
        "db.statement",
    ];
    assert_nowhere(&pool, &logs, &needles, &lines).await;
}

/// No needle in the database (sealed columns read as text too) or in a captured log line; the capture
/// holds each of `lines`, so it saw the flow.
async fn assert_nowhere(pool: &PgPool, logs: &Captured, needles: &[String], lines: &[&str]) {
    let mut database = dump_tables(pool).await;
    let sealed: Option<String> =
        sqlx::query_scalar("SELECT string_agg(encode(secret_ciphertext, 'escape'), ' ') FROM integration_accounts")
            .fetch_one(pool)
            .await
            .expect("sealed secrets");
    database.push_str(&sealed.expect("sealed secrets are stored"));
    for needle in needles {
        assert!(
            !database.contains(needle.as_str()),
            "the database holds `{needle}` in plain text"
        );
    }
    let captured = logs.text();
    for line in lines {
        assert!(
            captured.contains(line),
            "the capture misses `{line}`, so it proves nothing; captured {} bytes",
            captured.len()
        );
    }
    for needle in needles {
        if let Some(line) = captured.lines().find(|l| l.contains(needle.as_str())) {
            panic!("a log line carries `{needle}`: {line}");
        }
    }
}

/// The account's access and refresh tokens as sealed now.
async fn tokens_of(api: &TestApp, id: ocean_core::domain::AccountId) -> (String, String) {
    use secrecy::ExposeSecret;
    match ocean_core::db::accounts::secrets(&api.pool, &api.keyring, id).await {
        Ok(Some(ocean_core::domain::AccountSecrets::TikTokShop {
            access_token,
            refresh_token,
        })) => (
            access_token.expose_secret().to_owned(),
            refresh_token.expose_secret().to_owned(),
        ),
        other => panic!("no TikTok Shop tokens: {other:?}"),
    }
}
