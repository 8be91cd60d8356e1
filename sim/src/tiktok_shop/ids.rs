//! Wire ids of the TikTok Shop world.
//!
//! The shared generators number things per shop (product `n` of shop `s` is
//! `s * 100_000 + n`, order `n` is `s * 1_000_000 + n`). A TikTok Shop shop is
//! numbered by the last seven digits of its id (its "local" number), and each
//! kind of id adds that number to a base of the platform's length, so ids are
//! 18 or 19 digits like the platform's and never collide across kinds.

/// Shops are numbered by this many low digits of their id.
pub(crate) const LOCAL_MODULUS: u64 = 10_000_000;

const PRODUCT: u64 = 1_729_000_000_000_000_000;
const SKU: u64 = 2_729_000_000_000_000_000;
const ORDER: u64 = 576_000_000_000_000_000;
const LINE_ITEM: u64 = 577_000_000_000_000_000;
const PACKAGE: u64 = 1_152_000_000_000_000_000;
const BUYER: u64 = 7_021_000_000_000_000_000;
const OPEN_ID: u64 = 7_010_000_000_000_000_000;
const WAREHOUSE: u64 = 7_068_000_000_000_000_000;
const SHIPPING_PROVIDER: u64 = 6_617_000_000_000_000_000;
const DELIVERY_OPTION: u64 = 7_091_000_000_000_000_000;

/// The shop's local number.
pub(crate) fn local(shop_id: u64) -> u64 {
    shop_id % LOCAL_MODULUS
}

/// Order numbers of arrivals start above every history order's
/// (`(local + ARRIVALS) * 1_000_000 + n`).
pub(crate) const ARRIVALS: u64 = LOCAL_MODULUS;

pub(crate) fn product(generated: u64) -> u64 {
    PRODUCT + generated
}

/// Every product has one SKU.
pub(crate) fn sku(generated_product: u64) -> u64 {
    SKU + generated_product
}

pub(crate) fn order(generated: u64) -> u64 {
    ORDER + generated
}

/// Line `k` (one per unit) of an order.
pub(crate) fn line_item(generated_order: u64, k: usize) -> u64 {
    LINE_ITEM + generated_order * 100 + k as u64
}

/// Every order ships as one package.
pub(crate) fn package(generated_order: u64) -> u64 {
    PACKAGE + generated_order
}

pub(crate) fn buyer(person: u64) -> u64 {
    BUYER + person
}

pub(crate) fn open_id(shop_id: u64) -> u64 {
    OPEN_ID + local(shop_id)
}

/// The warehouse of a shop configured without any.
pub(crate) fn default_warehouse(shop_id: u64) -> u64 {
    WAREHOUSE + local(shop_id) * 10 + 1
}

pub(crate) fn shipping_provider(shipper: u64) -> u64 {
    SHIPPING_PROVIDER + shipper
}

pub(crate) fn delivery_option(shipper: u64) -> u64 {
    DELIVERY_OPTION + shipper
}

/// `ROW_` and 32 hex digits mixed from the id, for a shop configured without a cipher.
pub(crate) fn default_cipher(shop_id: u64) -> String {
    let mix = |x: u64| {
        let x = (x ^ (x >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        x ^ (x >> 29)
    };
    format!("ROW_{:016x}{:016x}", mix(shop_id), mix(shop_id ^ 0x5bd1_e995))
}

/// The shop code shown in the seller center (`IDLC` + local number).
pub(crate) fn shop_code(region: &str, shop_id: u64) -> String {
    format!("{}LC{:07}", region.to_ascii_uppercase(), local(shop_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_platforms_length() {
        let shop = 7_494_000_000_009_999_999;
        let generated_order = (local(shop) + ARRIVALS) * 1_000_000 + 999_999;
        for id in [
            product(local(shop) * 100_000 + 99_999),
            sku(local(shop) * 100_000 + 99_999),
            order(generated_order),
            line_item(generated_order, 99),
            package(generated_order),
            default_warehouse(shop),
        ] {
            assert!((18..=19).contains(&id.to_string().len()), "{id}");
        }
        assert_ne!(default_cipher(1), default_cipher(2));
        assert_eq!(shop_code("ID", shop), "IDLC9999999");
    }
}
