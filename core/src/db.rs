//! The Postgres data layer. Functions take an executor (`&PgPool` or a transaction) so callers decide
//! transaction boundaries; SQL lives here and nowhere else.

pub mod accounts;
pub mod catalog;
pub mod consent;
pub mod integrations;
pub mod intents;
pub mod inventory;
pub mod keys;
pub mod leases;
pub mod legacy;
pub mod logs;
pub mod reports;
pub mod roles;
pub mod sessions;
pub mod users;

/// Name of the unique constraint or index behind a failed statement, for mapping it to 409/422.
pub fn violated_constraint(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}
