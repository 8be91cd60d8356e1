//! The TikTok Shop Partner API, Ocean Sync's second marketplace: Tokopedia shops are moving onto it, and
//! a merged Tokopedia shop is a TikTok Shop shop with `seller_base_region: "ID"`.
//!
//! Credentials are two-level: the app (key and secret, from [`TikTokShopSettings`]) serves many shops,
//! and each shop holds its own access and refresh tokens from the seller's consent plus the `cipher`
//! that names it ([`ShopAuthorization`]). Every call to the API host is signed ([`sign`]); answers come
//! in one envelope ([`envelope`]) and failures say what to do next ([`ErrorClass`]).
//!
//! The client shares no type with the Tokopedia client; [`Adapter`] puts it behind the marketplace
//! boundary ([`crate::marketplace::adapter`]) with what the client leaves to its caller: connecting shops
//! from a consent code, keeping each shop's tokens fresh, and the neutral catalog.

mod adapter;
mod client;
pub mod envelope;
pub mod error;
mod settings;
pub mod sign;
pub mod types;

pub use adapter::{Adapter, Connection, ID, STOCK_ROWS_PER_CALL, Session, TikTokShopCredentials};
pub(crate) use client::ApiEndpoint;
pub use client::{PAGE_SIZE, ShopAuthorization, TikTokShopClient};
pub use error::{ErrorClass, TikTokShopError};
pub use settings::TikTokShopSettings;
