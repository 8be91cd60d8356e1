//! Operator commands of `ocean-api` besides `serve` and `migrate`.

pub mod legacy;
pub mod rotate_keys;

/// `1 thing`, `2 things`, for command output.
pub(crate) fn plural(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}
