//! Operator commands of `ocean-api` besides `serve`.

pub mod legacy;
pub mod migrate;
pub mod rotate_keys;

use clap::Args;
use ocean_core::{
    config::{CryptoSettings, DatabaseSettings},
    crypto::Keyring,
};
use sqlx::PgPool;

/// What the operator commands take: the database, the credential keys, and a dry-run switch.
#[derive(Args, Debug)]
pub struct OperatorArgs {
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// The first key seals; the others must include every key in use.
    #[command(flatten)]
    pub crypto: CryptoSettings,
    /// Report what would be done and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl OperatorArgs {
    /// Parses the keys before connecting, so a malformed key fails without touching the database.
    pub async fn open(&self) -> anyhow::Result<(PgPool, Keyring)> {
        let keyring = self.crypto.keyring()?;
        Ok((self.database.connect().await?, keyring))
    }
}

/// `1 thing`, `2 things`, for command output.
pub(crate) fn plural(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}
