//! The TikTok Shop Partner API, Ocean Sync's second marketplace: Tokopedia shops are moving onto it, and
//! a merged Tokopedia shop is a TikTok Shop shop with `seller_base_region: "ID"`.
//!
//! Every call to the API host is signed, and every webhook is verified, with [`sign`]; answers come in
//! one envelope ([`envelope`]) and failures say what to do next ([`ErrorClass`]).

pub mod envelope;
pub mod error;
pub mod sign;
pub mod types;

pub use error::{ErrorClass, TikTokShopError};
