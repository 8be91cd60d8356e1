//! Operator commands of `ocean-api` besides `serve` and `migrate`.
