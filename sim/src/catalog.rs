//! Deterministic fashion catalogs.
//!
//! A catalog depends only on the shop's id, seed and size: names, SKUs,
//! prices (IDR), stocks and timestamps never depend on the clock, so two sims
//! built from the same config serve byte-identical products.

use serde::Serialize;

use crate::config::MAX_PRODUCTS;
use crate::data::{COLOURS, MODIFIERS, PRODUCT_TYPES, SIZES};
use crate::rng::DetRng;

/// RNG stream of the catalog (see [`DetRng::new`]).
const STREAM: u64 = 1;
/// Product timestamps are spread over the year after this instant (2024-01-01).
const EPOCH: i64 = 1_704_067_200;

/// One product as the sim stores it. The wire shape (Tokopedia's camelCase
/// product info) is rendered from this by the product routes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    pub product_id: u64,
    pub shop_id: u64,
    pub name: String,
    /// Unique within the shop.
    pub sku: String,
    /// Price in rupiah.
    pub price: i64,
    /// Sellable stock (`stock.value`); overwritten by stock updates.
    pub stock: u32,
    /// Part of `stock` held for unpaid carts (`reserve_stock`).
    pub reserve_stock: u32,
    /// 1 active, 3 inactive ("gudang").
    pub status: i32,
    /// 1 new, 2 used.
    pub condition: i32,
    pub weight_grams: i64,
    pub short_desc: String,
    /// Showcase ("etalase") id and name.
    pub menu: (u64, String),
    /// Root-to-leaf category path.
    pub categories: Vec<Category>,
    pub pictures: Vec<Picture>,
    pub price_updated_unix: i64,
    pub category_updated_unix: i64,
    pub count_sold: u64,
    pub count_view: u64,
    pub transaction_reject: u64,
    pub cod_eligible: bool,
    /// Web URL of the product page (`other.url`).
    pub url: String,
    /// Renders `basic.Name` instead of `basic.name` (a real API quirk).
    pub capitalized_name_key: bool,
}

/// A node of the category tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Category {
    pub id: u64,
    pub name: String,
    /// Slug path below `/p/`, e.g. `fashion-pria/celana`.
    pub path: String,
}

/// A product picture (only the parts that vary).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Picture {
    pub pic_id: u64,
    pub file_name: String,
    pub file_path: String,
}

/// Generates `count` products for a shop whose web domain is `domain`.
pub(crate) fn generate(shop_id: u64, seed: u64, count: usize, domain: &str) -> Vec<Product> {
    let mut rng = DetRng::new(seed, STREAM);
    (0..count.min(MAX_PRODUCTS))
        .map(|i| product(&mut rng, shop_id, i, domain))
        .collect()
}

fn product(rng: &mut DetRng, shop_id: u64, index: usize, domain: &str) -> Product {
    let kind = rng.pick(PRODUCT_TYPES);
    let modifier = rng.pick(MODIFIERS);
    let (colour, colour_code) = *rng.pick(COLOURS);
    let size = rng.pick(SIZES);
    let product_id = shop_id.wrapping_mul(100_000).wrapping_add(index as u64 + 1);

    let name = format!("{} {modifier} - {colour} {size}", kind.name);
    let size_code = if *size == "All Size" { "AS" } else { size };
    let sku = format!("{}-{colour_code}-{size_code}-{:04}", kind.code, index + 1);

    let (lo, hi) = kind.price_k;
    let thousands = rng.range(lo, hi);
    // Half the prices end in ...900, the usual "psychological" pricing.
    let price = if rng.chance(0.5) {
        thousands * 1000 - 100
    } else {
        thousands * 1000
    };

    let stock = match rng.weighted(&[10, 25, 65]) {
        0 => 0,
        1 => rng.range(1, 19),
        _ => rng.range(20, 500),
    } as u32;
    let reserve_stock = (rng.range(0, 3) as u32).min(stock);

    let mut categories = Vec::with_capacity(3);
    let mut path = String::new();
    for (id, cat_name, slug) in kind.categories {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(slug);
        categories.push(Category {
            id,
            name: cat_name.to_owned(),
            path: path.clone(),
        });
    }

    let created = EPOCH + rng.range(0, 200 * 86_400);
    let price_updated_unix = created + rng.range(0, 150 * 86_400);
    let picture_count = rng.range(1, 3) as usize;
    let date = chrono::DateTime::from_timestamp(created, 0).unwrap_or_default();
    let file_path = format!("product-1/{}/{shop_id}", date.format("%Y/%-m/%-d"));
    let pictures = (0..picture_count)
        .map(|p| {
            let pic_id = product_id.wrapping_mul(10).wrapping_add(p as u64);
            Picture {
                pic_id,
                file_name: format!("{shop_id}_{:016x}_700_700.jpg", rng.next_u64()),
                file_path: file_path.clone(),
            }
        })
        .collect();

    let count_sold = rng.range(0, 2_000) as u64;
    Product {
        product_id,
        shop_id,
        url: format!("https://www.tokopedia.com/{domain}/{}", slug(&name)),
        short_desc: format!(
            "{} {modifier} warna {colour}, ukuran {size}. Bahan nyaman dipakai seharian.",
            kind.name
        ),
        name,
        sku,
        price,
        stock,
        reserve_stock,
        status: if rng.chance(0.05) { 3 } else { 1 },
        condition: 1,
        weight_grams: kind.weight_grams,
        menu: (menu_id(shop_id, kind.menu), kind.menu.to_owned()),
        categories,
        pictures,
        price_updated_unix,
        category_updated_unix: created,
        count_sold,
        count_view: count_sold * 20 + rng.range(0, 5_000) as u64,
        transaction_reject: rng.range(0, 20) as u64,
        cod_eligible: rng.chance(0.7),
        capitalized_name_key: rng.below(7) == 0,
    }
}

/// Showcase ids are stable per (shop, showcase name).
fn menu_id(shop_id: u64, menu: &str) -> u64 {
    let hash = menu
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    1_000_000 + (shop_id.wrapping_mul(97).wrapping_add(hash) % 9_000_000)
}

/// Lowercase URL slug: letters and digits joined by single dashes.
pub(crate) fn slug(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn same_seed_same_catalog() {
        assert_eq!(generate(1, 9, 50, "d"), generate(1, 9, 50, "d"));
        assert_ne!(generate(1, 9, 50, "d"), generate(1, 10, 50, "d"));
    }

    #[test]
    fn skus_are_unique_and_short() {
        let products = generate(67890, 1, 500, "d");
        let skus: HashSet<_> = products.iter().map(|p| p.sku.as_str()).collect();
        assert_eq!(skus.len(), products.len());
        assert!(products.iter().all(|p| p.sku.len() <= 50));
    }

    #[test]
    fn about_one_in_seven_uses_capital_name() {
        let products = generate(5, 3, 700, "d");
        let quirky = products.iter().filter(|p| p.capitalized_name_key).count();
        assert!((50..=150).contains(&quirky), "{quirky}");
    }

    #[test]
    fn slug_collapses_punctuation() {
        assert_eq!(slug("Kaos - Navy  XL"), "kaos-navy-xl");
    }
}
