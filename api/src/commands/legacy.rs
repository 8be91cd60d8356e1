//! `ocean-api migrate-legacy`: converts the design's Option A rows (`integrations` rows named
//! `tokopedia-<suffix>`, each holding one shop's credentials in `config`) into accounts under
//! `tokopedia`, sealing the client secret and removing its plaintext from the legacy row.
//!
//! Each row is migrated in its own transaction and marked with `migrated_to_account_id`, so a second run
//! changes nothing and an interrupted run resumes where it stopped.

mod parse;
mod report;

use std::collections::HashSet;

use anyhow::Context;
use ocean_core::{
    crypto::Keyring,
    db::{
        accounts::{self, NewAccount},
        legacy::{self, LegacyIntegration},
    },
    domain::AccountId,
};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

pub use parse::{FieldProblem, PLATFORM};
pub use report::{LegacyReport, RowOutcome, RowReport};

/// Command line of `migrate-legacy`.
pub type MigrateLegacyArgs = super::OperatorArgs;

/// Runs the command: prints one line per legacy row and a summary, and fails (exit code 1) when a row
/// could not be migrated.
pub async fn execute(args: MigrateLegacyArgs) -> anyhow::Result<()> {
    let (pool, keyring) = args.open().await?;
    let report = run(&pool, &keyring, args.dry_run).await?;
    print!("{report}");
    report.ensure_complete()
}

/// Migrates (or, with `dry_run`, plans) every legacy row. Rows that cannot be migrated are reported in
/// the result, not as an error; `Err` means the legacy rows could not even be listed.
pub async fn run(pool: &PgPool, keyring: &Keyring, dry_run: bool) -> anyhow::Result<LegacyReport> {
    let rows = legacy::list(pool, PLATFORM)
        .await
        .context("Failed to list legacy integrations")?;
    let mut report = LegacyReport {
        dry_run,
        rows: Vec::with_capacity(rows.len()),
    };
    // A dry run creates nothing, so it remembers what earlier rows would create: a later row for the
    // same shop would then be linked, as in the real run.
    let mut would_create = HashSet::new();
    for row in rows {
        let outcome = if dry_run {
            let mut conn = pool.acquire().await.context("Failed to connect")?;
            plan(&mut conn, &row)
                .await
                .map(|plan| Some(plan.dry(&mut would_create)))
        } else {
            migrate_row(pool, keyring, row.id).await
        };
        let outcome = match outcome {
            Ok(Some(outcome)) => outcome,
            // Deleted since the listing: nothing left to migrate.
            Ok(None) => continue,
            Err(e) => RowOutcome::Failed {
                error: format!("{e:#}"),
            },
        };
        report.rows.push(RowReport {
            legacy_integration_id: row.integration_id,
            outcome,
        });
    }
    Ok(report)
}

/// What one legacy row needs.
enum Plan {
    Already { account_id: AccountId, strip: bool },
    Invalid(Vec<FieldProblem>),
    Link { account_id: AccountId, identifier: String },
    Create(Box<NewAccount>),
}

impl Plan {
    /// The outcome a dry run reports, given the identifiers earlier rows would create.
    fn dry(self, would_create: &mut HashSet<String>) -> RowOutcome {
        match self {
            Self::Already { account_id, strip } => RowOutcome::AlreadyMigrated {
                account_id,
                removed_plaintext_secret: strip,
            },
            Self::Invalid(problems) => RowOutcome::Invalid { problems },
            Self::Link { account_id, identifier } => RowOutcome::Linked {
                account_id: Some(account_id),
                account_identifier: identifier,
            },
            Self::Create(new) if !would_create.insert(new.account_identifier.clone()) => RowOutcome::Linked {
                account_id: None,
                account_identifier: new.account_identifier,
            },
            Self::Create(new) => RowOutcome::Created {
                account_id: None,
                account_name: new.account_name,
                account_identifier: new.account_identifier,
            },
        }
    }
}

async fn plan(conn: &mut PgConnection, row: &LegacyIntegration) -> anyhow::Result<Plan> {
    match parse::migrated_to(row) {
        Some(Ok(id)) => {
            return Ok(Plan::Already {
                account_id: AccountId(id),
                strip: parse::has_plaintext_secret(row),
            });
        }
        Some(Err(problem)) => return Ok(Plan::Invalid(vec![problem])),
        None => {}
    }
    let new = match parse::new_account(row) {
        Ok(new) => new,
        Err(problems) => return Ok(Plan::Invalid(problems)),
    };
    let existing = legacy::account_by_identifier(conn, PLATFORM, &new.account_identifier)
        .await
        .context("Failed to look up the account")?;
    Ok(match existing {
        Some(account_id) => Plan::Link {
            account_id,
            identifier: new.account_identifier,
        },
        None => Plan::Create(Box::new(new)),
    })
}

/// Migrates one row in its own transaction, holding the row's lock so concurrent runs cannot both
/// migrate it. `None` when the row disappeared.
async fn migrate_row(pool: &PgPool, keyring: &Keyring, id: i64) -> anyhow::Result<Option<RowOutcome>> {
    let mut tx = pool.begin().await.context("Failed to begin a transaction")?;
    let Some(row) = legacy::lock(&mut tx, id)
        .await
        .context("Failed to lock the legacy row")?
    else {
        return Ok(None);
    };
    let outcome = match plan(&mut tx, &row).await? {
        Plan::Already { account_id, strip } => {
            if strip {
                legacy::strip_plaintext_secret(&mut tx, id)
                    .await
                    .context("Failed to remove the plaintext secret")?;
            }
            RowOutcome::AlreadyMigrated {
                account_id,
                removed_plaintext_secret: strip,
            }
        }
        Plan::Invalid(problems) => return Ok(Some(RowOutcome::Invalid { problems })),
        Plan::Link { account_id, identifier } => {
            finish(&mut tx, &row, account_id, true).await?;
            RowOutcome::Linked {
                account_id: Some(account_id),
                account_identifier: identifier,
            }
        }
        Plan::Create(new) => {
            let account = accounts::insert(&mut tx, keyring, &new)
                .await
                .context("Failed to create the account")?;
            finish(&mut tx, &row, account.id, false).await?;
            RowOutcome::Created {
                account_id: Some(account.id),
                account_name: account.account_name,
                account_identifier: account.account_identifier,
            }
        }
    };
    tx.commit().await.context("Failed to commit")?;
    Ok(Some(outcome))
}

/// Marks the legacy row migrated (stripping its plaintext secret) and records the audit row.
async fn finish(
    conn: &mut PgConnection,
    row: &LegacyIntegration,
    account_id: AccountId,
    linked_existing: bool,
) -> anyhow::Result<()> {
    legacy::mark_migrated(conn, row.id, account_id)
        .await
        .context("Failed to mark the legacy row as migrated")?;
    let details = json!({
        "legacy_integration_id": row.integration_id,
        "account_id": account_id,
        "linked_existing_account": linked_existing,
    });
    legacy::insert_audit(conn, PLATFORM, account_id, &details)
        .await
        .context("Failed to record the audit log")
}
