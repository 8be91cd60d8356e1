//! What the api tests share besides the harness (`ocean_testkit::TestApp`): reading 422 answers and
//! dumping the database.

pub use ocean_testkit::{ACCOUNTS, ADMIN_TOKEN, SECRET, TestApp, app::account_body};
use serde_json::Value;
use sqlx::PgPool;

/// Names of the fields a 422 reports.
pub fn fields(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Every table of the public schema as text (`<table>: <row>` per line, rows sorted), for comparing the
/// whole database before and after a call or searching it.
pub async fn dump_tables(pool: &PgPool) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
    )
    .fetch_all(pool)
    .await
    .expect("list tables");
    let mut dump = String::new();
    for table in tables {
        let rows: Option<String> = sqlx::query_scalar(&format!(
            r#"SELECT string_agg('{table}: ' || t::text, E'\n' ORDER BY t::text) FROM "{table}" t"#
        ))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("dump table {table}: {e}"));
        dump.push_str(&rows.unwrap_or_default());
        dump.push('\n');
    }
    dump
}
