//! One module per benchmark phase. Each exposes `run(&Phase, &Settings)` returning its serializable result;
//! the harness gives it a fresh database and Redis namespace and cleans both up.

pub mod bullmq;
pub mod copy;
pub mod crash;
pub mod emission;
pub mod kills;
pub mod limits;
pub mod listing;
pub mod queue;
pub mod tiktok_limits;
pub mod writes;
