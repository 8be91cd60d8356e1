//! The Tokopedia Open API: wire types with the marketplace's quirks, the envelope decoder, and the HTTP
//! client (tokens, paging, order windows, rate-limit handling), and how its products and orders become the
//! neutral catalog. The TikTok Shop Partner API, which Tokopedia shops are moving onto, has its own
//! self-contained client in [`tiktok_shop`].

pub mod adapter;
pub mod adaptive;
pub mod catalog;
pub mod client;
pub mod coordination;
pub mod endpoint;
pub mod envelope;
pub mod error;
pub mod tiktok_shop;
pub mod tokopedia;
pub mod types;

pub use adapter::{AccountCredentials, AccountSecrets, AdapterError, ErrorClass, Marketplace, Marketplaces, Session};
pub use client::{AppCredentials, TokopediaClient, order_windows};
pub use endpoint::Endpoint;
pub use error::MarketplaceError;
