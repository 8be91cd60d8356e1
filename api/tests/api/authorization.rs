//! Who may call what: every route of the OpenAPI document, for every kind of caller, on an account the
//! caller holds a role on ("own") and on one they hold nothing on ("other"), as one table.
//!
//! Besides each cell's status, the loop checks that a denied call changes nothing (the whole database and
//! the queue are compared before and after) and that no answer to a caller who cannot see the other
//! account mentions it.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ACCOUNTS, ADMIN_TOKEN, TestApp, account_body, dump_tables};

mod table;

use table::table;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    GlobalAdmin,
    AccountAdmin,
    Editor,
    Viewer,
    /// Signed in, with no role on any account.
    NoAccess,
    NoToken,
    /// A global admin's token, issued and then revoked.
    Revoked,
}

/// The order of the expected statuses in [`Row::own`].
const CALLERS: [Caller; 7] = [
    Caller::GlobalAdmin,
    Caller::AccountAdmin,
    Caller::Editor,
    Caller::Viewer,
    Caller::NoAccess,
    Caller::NoToken,
    Caller::Revoked,
];

/// The other account and the account the table creates: only the global admin may ever read these.
const OTHER_NAME: &str = "Hidden Outlet Bandung";
const OTHER_IDENTIFIER: &str = "hidden-outlet-bandung";
const OTHER_SHOP: u64 = 7_319_046_285;
const CREATED_NAME: &str = "Outlet Created By The Table";
const CREATED_SHOP: u64 = 9_184_720_263;
const HIDDEN: [&str; 6] = [
    OTHER_NAME,
    OTHER_IDENTIFIER,
    "7319046285",
    CREATED_NAME,
    "shop_9184720263",
    "9184720263",
];

const OWN_NAME: &str = "Toko Sendiri Medan";
const OWN_SHOP: u64 = 5_550_001;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Own,
    Other,
}

/// An account the table works on; recreated (with a new id) after a successful delete.
#[derive(Debug, Clone, Copy)]
struct Account {
    id: i64,
    shop_id: u64,
}

/// Everyone and everything the cells refer to.
struct Fixture {
    /// The bootstrap global admin's user id.
    admin: i64,
    own: Account,
    other: Account,
    account_admin: (i64, String),
    editor: (i64, String),
    viewer: (i64, String),
    no_access: (i64, String),
    revoked: String,
    /// Holds the viewer role on both accounts: the target of access and token routes.
    bystander: i64,
    /// A live token of the bystander's, for the revoke-token route.
    spare_token: i64,
    /// Ids of every account, refreshed before each cell.
    all_accounts: Vec<i64>,
}

impl Fixture {
    fn token(&self, caller: Caller) -> Option<&str> {
        match caller {
            Caller::GlobalAdmin => Some(ADMIN_TOKEN),
            Caller::AccountAdmin => Some(&self.account_admin.1),
            Caller::Editor => Some(&self.editor.1),
            Caller::Viewer => Some(&self.viewer.1),
            Caller::NoAccess => Some(&self.no_access.1),
            Caller::NoToken => None,
            Caller::Revoked => Some(&self.revoked),
        }
    }

    fn account(&self, side: Side) -> Account {
        match side {
            Side::Own => self.own,
            Side::Other => self.other,
        }
    }

    /// Accounts the caller holds a role on (the global admin: all).
    fn visible_to(&self, caller: Caller) -> Vec<i64> {
        match caller {
            Caller::GlobalAdmin => self.all_accounts.clone(),
            Caller::AccountAdmin | Caller::Editor | Caller::Viewer => vec![self.own.id],
            Caller::NoAccess | Caller::NoToken | Caller::Revoked => vec![],
        }
    }
}

/// What to put back after a call that succeeded, so later cells find the fixture as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Restore {
    Nothing,
    /// The account was deleted: create it again and grant the roles again.
    Account,
    /// The bystander's role was removed: grant it again.
    BystanderRole,
    /// The spare token was revoked: issue another.
    SpareToken,
}

/// Done before each cell of the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Nothing,
    /// Makes the own account primary, so deleting it promotes another account.
    OwnIsPrimary,
}

type Check = fn(&Fixture, Caller, &Value) -> Result<(), String>;

struct Row {
    method: Method,
    /// As in the OpenAPI document.
    path: &'static str,
    /// `{id}` is an account: the row runs on the own account and on the other one. Otherwise `{id}` is
    /// the bystander's user id and the row runs once.
    on_account: bool,
    body: fn(&Fixture, Account) -> Option<Value>,
    /// Expected status per caller (in [`CALLERS`] order): on the own account, or the only run.
    own: [u16; 7],
    setup: Setup,
    restore: Restore,
    /// More to verify on a successful answer.
    check: Option<Check>,
    /// The integration in the path.
    integration: &'static str,
}

impl Row {
    fn new(method: Method, path: &'static str, own: [u16; 7]) -> Self {
        Self {
            method,
            on_account: path.starts_with("/api/integrations/{integration_id}/accounts/{id}"),
            path,
            body: |_, _| None,
            own,
            setup: Setup::Nothing,
            restore: Restore::Nothing,
            check: None,
            integration: "tokopedia",
        }
    }

    /// Runs the row on another integration than the fixture's.
    fn on(mut self, integration: &'static str) -> Self {
        self.integration = integration;
        self
    }

    fn body(mut self, body: fn(&Fixture, Account) -> Option<Value>) -> Self {
        self.body = body;
        self
    }

    fn setup(mut self, setup: Setup) -> Self {
        self.setup = setup;
        self
    }

    fn restore(mut self, restore: Restore) -> Self {
        self.restore = restore;
        self
    }

    fn check(mut self, check: Check) -> Self {
        self.check = Some(check);
        self
    }

    /// On an account the caller holds no role on, every signed-in caller but the global admin gets 404,
    /// exactly as for an account that does not exist.
    fn expected(&self, side: Side) -> [u16; 7] {
        match side {
            Side::Own => self.own,
            Side::Other => [self.own[0], 404, 404, 404, 404, self.own[5], self.own[6]],
        }
    }

    fn concrete_path(&self, fixture: &Fixture, account: Account) -> String {
        let id = if self.on_account { account.id } else { fixture.bystander };
        self.path
            .replace("{integration_id}", self.integration)
            .replace("{user_id}", &fixture.bystander.to_string())
            .replace("{token_id}", &fixture.spare_token.to_string())
            .replace("{id}", &id.to_string())
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn every_route_answers_each_caller_exactly_as_their_role_allows(pool: PgPool) {
    // The revoked token is tried on every route: far more wrong tokens than one address may send.
    let api = TestApp::builder(&pool)
        .auth_failures(u32::MAX, std::time::Duration::from_secs(60))
        .start()
        .await;
    let mut fixture = build_fixture(&api).await;
    let rows = table();
    assert_table_covers_the_document(&api, &rows).await;

    let mut failures = Vec::new();
    let mut cells = 0;
    for row in &rows {
        let sides: &[Side] = if row.on_account {
            &[Side::Own, Side::Other]
        } else {
            &[Side::Own]
        };
        for &side in sides {
            let expected = row.expected(side);
            for (&caller, &status) in CALLERS.iter().zip(&expected).rev() {
                cells += 1;
                failures.extend(run_cell(&api, &mut fixture, row, side, caller, status).await);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Calls one route as one caller and returns what went wrong.
async fn run_cell(
    api: &TestApp,
    fixture: &mut Fixture,
    row: &Row,
    side: Side,
    caller: Caller,
    status: u16,
) -> Vec<String> {
    let mut failures = Vec::new();
    if row.setup == Setup::OwnIsPrimary {
        let (status, body) = api
            .post(&format!("{ACCOUNTS}/{}/set-primary", fixture.own.id), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "setup: own account primary: {body}");
    }
    fixture.all_accounts = all_accounts(&api.pool).await;
    let account = fixture.account(side);
    let path = row.concrete_path(fixture, account);
    let body = (row.body)(fixture, account);
    let cell = if row.on_account {
        let side = format!("{side:?}").to_lowercase();
        format!(
            "{caller:?} {} {path} ({}, the {side} account {})",
            row.method, row.path, account.id
        )
    } else {
        format!("{caller:?} {} {path} ({})", row.method, row.path)
    };

    let before = (status >= 300).then_some(snapshot(api).await);
    let (got, text) = api
        .send_text(row.method.clone(), &path, fixture.token(caller), body.clone())
        .await;
    if got.as_u16() != status {
        failures.push(format!(
            "{cell}: expected {status}, got {got}\n  request: {body:?}\n  answer: {text}"
        ));
    }
    if let Some(before) = before
        && before != snapshot(api).await
    {
        failures.push(format!(
            "{cell}: a denied call ({got}) changed the database or the queue"
        ));
    }
    if caller != Caller::GlobalAdmin
        && let Some(hidden) = HIDDEN.iter().find(|h| text.contains(*h))
    {
        failures.push(format!(
            "{cell}: the answer mentions `{hidden}` of an account the caller cannot see: {text}"
        ));
    }
    if got.is_success() {
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(check) = row.check
            && let Err(why) = check(fixture, caller, &answer)
        {
            failures.push(format!("{cell}: {why}\n  answer: {text}"));
        }
        restore(api, fixture, row.restore, side).await;
    }
    failures
}

/// Every (method, path) of the OpenAPI document has a row, and every row is a documented route.
async fn assert_table_covers_the_document(api: &TestApp, rows: &[Row]) {
    let documented = crate::routes::documented(api).await;
    let covered: BTreeSet<(String, String)> = rows.iter().map(|r| (r.method.to_string(), r.path.to_owned())).collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    let unknown: Vec<_> = covered.difference(&documented).collect();
    assert!(missing.is_empty(), "routes without a row in the table: {missing:?}");
    assert!(
        unknown.is_empty(),
        "rows for routes the document does not list: {unknown:?}"
    );
}

/// Everything a call could change: the whole database and the queue's depth.
pub(crate) async fn snapshot(api: &TestApp) -> (String, u64) {
    let depth = api.queue.depth().await.expect("queue depth");
    (dump_tables(&api.pool).await, depth)
}

async fn all_accounts(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM integration_accounts ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("account ids")
}

async fn build_fixture(api: &TestApp) -> Fixture {
    let own = create_account(api, Side::Own).await;
    let other = create_account(api, Side::Other).await;
    let account_admin = api.create_user("account-admin", false).await;
    let editor = api.create_user("editor", false).await;
    let viewer = api.create_user("viewer", false).await;
    let no_access = api.create_user("no-access", false).await;
    let (bystander, _) = api.create_user("bystander", false).await;
    let revoked = revoked_token(api).await;
    let admin = sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'")
        .fetch_one(&api.pool)
        .await
        .expect("the bootstrap admin");
    let mut fixture = Fixture {
        admin,
        own,
        other,
        account_admin,
        editor,
        viewer,
        no_access,
        revoked,
        bystander,
        spare_token: 0,
        all_accounts: Vec::new(),
    };
    grant_roles(api, &fixture, Side::Own).await;
    grant_roles(api, &fixture, Side::Other).await;
    fixture.spare_token = issue_spare_token(api, bystander).await;
    fixture
}

async fn create_account(api: &TestApp, side: Side) -> Account {
    let body = match side {
        Side::Own => account_body(OWN_NAME, OWN_SHOP),
        Side::Other => {
            let mut body = account_body(OTHER_NAME, OTHER_SHOP);
            body["account_identifier"] = json!(OTHER_IDENTIFIER);
            body
        }
    };
    let shop_id = body["credentials"]["shop_id"].as_u64().expect("numeric shop id");
    let (status, created) = api.post(ACCOUNTS, body).await;
    assert_eq!(status, StatusCode::CREATED, "create the {side:?} account: {created}");
    Account {
        id: created["data"]["id"].as_i64().expect("account id"),
        shop_id,
    }
}

/// The own account: one user per role plus the bystander; the other account: the bystander only.
async fn grant_roles(api: &TestApp, fixture: &Fixture, side: Side) {
    let account = fixture.account(side).id;
    if side == Side::Own {
        api.grant(account, fixture.account_admin.0, "admin").await;
        api.grant(account, fixture.editor.0, "editor").await;
        api.grant(account, fixture.viewer.0, "viewer").await;
    }
    api.grant(account, fixture.bystander, "viewer").await;
}

/// A global admin's token that was revoked: the strongest caller a revoked token could sign in as.
async fn revoked_token(api: &TestApp) -> String {
    let (user, token) = api.create_user("revoked-admin", true).await;
    let (status, tokens) = api.get(&format!("/api/users/{user}/tokens")).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let token_id = tokens["data"][0]["id"].as_i64().expect("token id");
    let (status, body) = api.delete(&format!("/api/users/{user}/tokens/{token_id}")).await;
    assert_eq!(status, StatusCode::OK, "revoke: {body}");
    token
}

async fn issue_spare_token(api: &TestApp, user: i64) -> i64 {
    let (status, issued) = api
        .post(&format!("/api/users/{user}/tokens"), json!({ "name": "spare" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    issued["data"]["id"].as_i64().expect("token id")
}

async fn restore(api: &TestApp, fixture: &mut Fixture, what: Restore, side: Side) {
    match what {
        Restore::Nothing => {}
        Restore::Account => {
            let account = create_account(api, side).await;
            match side {
                Side::Own => fixture.own = account,
                Side::Other => fixture.other = account,
            }
            grant_roles(api, fixture, side).await;
        }
        Restore::BystanderRole => {
            api.grant(fixture.account(side).id, fixture.bystander, "viewer").await;
        }
        Restore::SpareToken => fixture.spare_token = issue_spare_token(api, fixture.bystander).await,
    }
}
