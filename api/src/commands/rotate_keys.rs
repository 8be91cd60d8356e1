//! `ocean-api rotate-keys`: re-seals every account secret sealed under an older key with the active one
//! (the first of `OCEAN_ENCRYPTION_KEYS`), so the old keys can then be removed.
//!
//! Rows are claimed in batches with `FOR UPDATE SKIP LOCKED`, one transaction per batch, so the command
//! runs safely next to the fleet: a row a worker holds is skipped and picked up by a later pass. Rows
//! under a key id that is not configured are reported and left untouched.

use std::{fmt, time::Duration};

use anyhow::Context;
use ocean_core::{
    crypto::Keyring,
    db::keys::{self, KeyUsage},
    domain::AccountId,
};

use crate::commands::plural;
use sqlx::PgPool;

/// Rows re-sealed per transaction.
const BATCH_SIZE: i64 = 100;
/// When every remaining row is held by someone else, wait this long before the next pass...
const BUSY_WAIT: Duration = Duration::from_millis(200);
/// ...this many times (about 10 s) before reporting them as busy.
const MAX_BUSY_WAITS: u32 = 50;

/// Command line of `rotate-keys`.
pub type RotateKeysArgs = super::OperatorArgs;

/// Runs the command: prints the report and fails (exit code 1) when a secret could not be re-sealed.
pub async fn execute(args: RotateKeysArgs) -> anyhow::Result<()> {
    let (pool, keyring) = args.open().await?;
    let report = run(&pool, &keyring, args.dry_run).await?;
    print!("{report}");
    report.ensure_complete()
}

/// Re-seals (or, with `dry_run`, counts) every secret not under the active key. Secrets that cannot be
/// re-sealed are reported in the result; `Err` means the database failed.
pub async fn run(pool: &PgPool, keyring: &Keyring, dry_run: bool) -> anyhow::Result<RotateReport> {
    let active = keyring.active_key_id().to_owned();
    let usage = keys::usage(pool).await.context("Failed to count secrets per key")?;
    let (stale, missing): (Vec<String>, Vec<String>) = usage
        .iter()
        .filter_map(|u| u.key_id.clone())
        .filter(|id| *id != active)
        .partition(|id| keyring.has_key(id));
    let without_key_id = usage.iter().any(|u| u.key_id.is_none());
    let unknown = keys::accounts_under(pool, &missing, without_key_id)
        .await
        .context("Failed to list secrets under unknown keys")?;
    let mut report = RotateReport {
        dry_run,
        active_key_id: active,
        usage,
        resealed: 0,
        unknown,
        unreadable: Vec::new(),
        busy: 0,
    };
    if dry_run {
        report.resealed = report
            .usage
            .iter()
            .filter(|u| u.key_id.as_ref().is_some_and(|id| stale.contains(id)))
            .map(|u| u.accounts as u64)
            .sum();
        return Ok(report);
    }
    let mut skip: Vec<AccountId> = Vec::new();
    let mut busy_waits = 0;
    loop {
        let mut tx = pool.begin().await.context("Failed to begin a transaction")?;
        let batch = keys::claim_stale(&mut tx, &stale, &skip, BATCH_SIZE)
            .await
            .context("Failed to claim secrets to re-seal")?;
        if batch.is_empty() {
            drop(tx);
            let left = keys::count_stale(pool, &stale, &skip)
                .await
                .context("Failed to count secrets left to re-seal")?;
            if left == 0 {
                break;
            }
            if busy_waits >= MAX_BUSY_WAITS {
                report.busy = left as u64;
                break;
            }
            busy_waits += 1;
            tokio::time::sleep(BUSY_WAIT).await;
            continue;
        }
        let mut resealed = Vec::with_capacity(batch.len());
        for secret in batch {
            match keyring.open(&secret.key_id, &secret.ciphertext) {
                Ok(plaintext) => resealed.push((secret.id, keyring.seal(&plaintext).bytes)),
                Err(e) => {
                    skip.push(secret.id);
                    report.unreadable.push((secret.id, secret.key_id, e.to_string()));
                }
            }
        }
        let stored = keys::store_resealed(&mut tx, &report.active_key_id, &resealed)
            .await
            .context("Failed to store re-sealed secrets")?;
        tx.commit().await.context("Failed to commit re-sealed secrets")?;
        report.resealed += stored;
    }
    Ok(report)
}

/// What `rotate-keys` did (or would do).
#[derive(Debug, Clone)]
pub struct RotateReport {
    /// Nothing was written; `resealed` counts what a real run would re-seal.
    pub dry_run: bool,
    /// The key every secret is re-sealed under.
    pub active_key_id: String,
    /// Sealed secrets per key id before the run.
    pub usage: Vec<KeyUsage>,
    /// Secrets re-sealed (in a dry run: that would be).
    pub resealed: u64,
    /// Accounts sealed under a key id that is not configured (or under none), left untouched.
    pub unknown: Vec<(AccountId, Option<String>)>,
    /// Accounts whose secret did not open with its configured key (account, key id, reason), untouched.
    pub unreadable: Vec<(AccountId, String, String)>,
    /// Secrets still under an old key because other transactions held their rows; run again.
    pub busy: u64,
}

impl RotateReport {
    /// `Err` naming what was left behind, if anything.
    pub fn ensure_complete(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        for key_id in self.unknown_key_ids() {
            let ids = self.unknown_accounts(key_id.as_deref());
            problems.push(format!(
                "{} is not configured (accounts {ids}); add it to OCEAN_ENCRYPTION_KEYS and run again",
                key_label(key_id.as_deref())
            ));
        }
        for (id, key_id, reason) in &self.unreadable {
            problems.push(format!("account {id} does not open with key `{key_id}`: {reason}"));
        }
        if self.busy > 0 {
            problems.push(format!(
                "{} still locked by other transactions; run again",
                plural(self.busy as usize, "secret")
            ));
        }
        if problems.is_empty() {
            return Ok(());
        }
        let left = self.unknown.len() + self.unreadable.len() + self.busy as usize;
        anyhow::bail!(
            "Failed to re-seal {} under `{}`: {}",
            plural(left, "secret"),
            self.active_key_id,
            problems.join("; ")
        )
    }

    /// Distinct key ids of [`Self::unknown`], in order.
    fn unknown_key_ids(&self) -> Vec<Option<String>> {
        let mut ids: Vec<Option<String>> = Vec::new();
        for (_, key_id) in &self.unknown {
            if !ids.contains(key_id) {
                ids.push(key_id.clone());
            }
        }
        ids
    }

    fn unknown_accounts(&self, key_id: Option<&str>) -> String {
        let ids: Vec<String> = self
            .unknown
            .iter()
            .filter(|(_, k)| k.as_deref() == key_id)
            .map(|(id, _)| id.to_string())
            .collect();
        ids.join(", ")
    }
}

fn key_label(key_id: Option<&str>) -> String {
    match key_id {
        Some(id) => format!("key id `{id}`"),
        None => "no key id".to_owned(),
    }
}

impl fmt::Display for RotateReport {
    /// One line per key id in use, then a summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let active = &self.active_key_id;
        for KeyUsage { key_id, accounts } in &self.usage {
            let count = plural(*accounts as usize, "secret");
            write!(f, "{}: {count}, ", key_label(key_id.as_deref()))?;
            match key_id.as_deref() {
                Some(id) if id == active => writeln!(f, "already under the active key")?,
                _ if self.unknown.iter().any(|(_, k)| k == key_id) => writeln!(
                    f,
                    "not in OCEAN_ENCRYPTION_KEYS, left untouched (accounts {})",
                    self.unknown_accounts(key_id.as_deref())
                )?,
                _ if self.dry_run => writeln!(f, "old key, would be re-sealed under `{active}`")?,
                _ => writeln!(f, "old key, re-sealed under `{active}`")?,
            }
        }
        for (id, key_id, reason) in &self.unreadable {
            writeln!(
                f,
                "account {id}: does not open with key `{key_id}` ({reason}), left untouched"
            )?;
        }
        let untouched = self.unknown.len() + self.unreadable.len() + self.busy as usize;
        let (prefix, verb) = if self.dry_run {
            ("dry run, nothing changed: ", "would re-seal")
        } else {
            ("done: ", "re-sealed")
        };
        let resealed = plural(self.resealed as usize, "secret");
        write!(f, "{prefix}{verb} {resealed} under `{active}`")?;
        write!(f, ", {untouched} left untouched")?;
        if self.busy > 0 {
            write!(f, " ({} busy; run again)", self.busy)?;
        }
        writeln!(f)
    }
}
