//! End-to-end tests: the real api, scheduler and worker code in one process, against real Postgres (one
//! database per test), real Redis (one queue namespace per test) and the simulator on an ephemeral port.

mod client;
mod engine;
mod feeding;
mod helpers;
mod intents;
mod marketplaces;
mod order_status;
mod pruning;
mod scheduler;
mod settings;
mod sync_flow;
mod tiktok_shop;
mod tiktok_shop_client;
