//! The report of `migrate-legacy`: one outcome per legacy row, printed as one line each plus a summary.

use std::fmt;

use ocean_core::domain::AccountId;

use super::FieldProblem;
use crate::commands::plural;

/// What `migrate-legacy` did (or would do), row by row.
#[derive(Debug, Clone)]
pub struct LegacyReport {
    /// Nothing was written; outcomes say what a real run would do.
    pub dry_run: bool,
    /// One entry per legacy row, oldest row first.
    pub rows: Vec<RowReport>,
}

/// One legacy row and its outcome.
#[derive(Debug, Clone)]
pub struct RowReport {
    /// The legacy `integrations.integration_id`, e.g. `tokopedia-jakarta`.
    pub legacy_integration_id: String,
    pub outcome: RowOutcome,
}

/// What happened to one legacy row. In a dry run, what would happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// A new account was created (its id is `None` in a dry run).
    Created {
        account_id: Option<AccountId>,
        account_name: String,
        account_identifier: String,
    },
    /// An account with the same identifier already existed; the row was linked to it. In a dry run the
    /// id is `None` when that account is one an earlier row of the same run would create.
    Linked {
        account_id: Option<AccountId>,
        account_identifier: String,
    },
    /// The row already names its account. A plaintext secret still on it was removed.
    AlreadyMigrated {
        account_id: AccountId,
        removed_plaintext_secret: bool,
    },
    /// The row cannot be converted; it was left untouched.
    Invalid { problems: Vec<FieldProblem> },
    /// A database error; the row's transaction was rolled back.
    Failed { error: String },
}

impl LegacyReport {
    /// Rows that were not (or would not be) migrated.
    pub fn incomplete(&self) -> impl Iterator<Item = &RowReport> {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, RowOutcome::Invalid { .. } | RowOutcome::Failed { .. }))
    }

    /// `Err` naming the rows left behind, if any.
    pub fn ensure_complete(&self) -> anyhow::Result<()> {
        let left: Vec<&str> = self.incomplete().map(|r| r.legacy_integration_id.as_str()).collect();
        if left.is_empty() {
            return Ok(());
        }
        let verb = if self.dry_run { "cannot be" } else { "were not" };
        anyhow::bail!(
            "{} of {} {verb} migrated: {}",
            left.len(),
            plural(self.rows.len(), "legacy integration"),
            left.join(", ")
        )
    }

    fn count(&self, pick: fn(&RowOutcome) -> bool) -> usize {
        self.rows.iter().filter(|r| pick(&r.outcome)).count()
    }
}

impl fmt::Display for LegacyReport {
    /// One line per row, then a summary line with counts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pick = |dry: &'static str, done: &'static str| if self.dry_run { dry } else { done };
        for row in &self.rows {
            write!(f, "{}: ", row.legacy_integration_id)?;
            match &row.outcome {
                RowOutcome::Created {
                    account_id: Some(id),
                    account_name,
                    account_identifier,
                } => write!(f, "created account {id} '{account_name}' ({account_identifier})")?,
                RowOutcome::Created {
                    account_id: None,
                    account_name,
                    account_identifier,
                } => write!(f, "would create account '{account_name}' ({account_identifier})")?,
                RowOutcome::Linked {
                    account_id: Some(id),
                    account_identifier,
                } => write!(
                    f,
                    "{} to existing account {id} ({account_identifier})",
                    pick("would link", "linked")
                )?,
                RowOutcome::Linked {
                    account_id: None,
                    account_identifier,
                } => write!(
                    f,
                    "would link to the account an earlier row creates ({account_identifier})"
                )?,
                RowOutcome::AlreadyMigrated {
                    account_id,
                    removed_plaintext_secret,
                } => {
                    write!(f, "already migrated to account {account_id}")?;
                    if *removed_plaintext_secret {
                        let verb = pick("would remove", "removed");
                        write!(f, "; {verb} its leftover plaintext client_secret")?;
                    }
                }
                RowOutcome::Invalid { problems } => {
                    let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
                    write!(f, "invalid: {}", problems.join("; "))?
                }
                RowOutcome::Failed { error } => write!(f, "failed: {error}")?,
            }
            writeln!(f)?;
        }
        let created = self.count(|o| matches!(o, RowOutcome::Created { .. }));
        let linked = self.count(|o| matches!(o, RowOutcome::Linked { .. }));
        let already = self.count(|o| matches!(o, RowOutcome::AlreadyMigrated { .. }));
        let invalid = self.count(|o| matches!(o, RowOutcome::Invalid { .. }));
        let failed = self.count(|o| matches!(o, RowOutcome::Failed { .. }));
        writeln!(
            f,
            "{} {}: {created} {}, {linked} {}, {already} already migrated, \
             {invalid} invalid, {failed} failed",
            pick("dry run, nothing changed:", "done:"),
            plural(self.rows.len(), "legacy integration"),
            pick("to create", "created"),
            pick("to link", "linked"),
        )
    }
}
