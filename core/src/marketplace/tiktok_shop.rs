//! The TikTok Shop Partner API, Ocean Sync's second marketplace: Tokopedia shops are moving onto it, and
//! a merged Tokopedia shop is a TikTok Shop shop with `seller_base_region: "ID"`.
//!
//! Every call to the API host is signed, and every webhook is verified, with [`sign`].

pub mod sign;
