//! Products in the Partner API's wire shape (see product_search-ok.json):
//! string ids and money in IDR, one SKU per product, stock per warehouse.
//! Fields an Indonesian fixed-price listing has no use for (auctions,
//! deposits, pre-sale) keep the sample's keys with empty values.

use serde_json::{Map, Value, json};

use super::text;
use crate::catalog::Product;
use crate::tiktok_shop::ids;
use crate::tiktok_shop::world::Shop;

/// Product status as the platform names it.
pub(super) fn status(product: &Product) -> &'static str {
    if product.status == 1 {
        "ACTIVATE"
    } else {
        "SELLER_DEACTIVATED"
    }
}

/// A product of the search answer.
pub(super) fn search_item(shop: &Shop, index: usize) -> Value {
    let p = &shop.generated.products[index];
    let leaf = p.categories.last();
    let tier = ["GOOD", "FAIR", "POOR"][(p.count_sold % 3) as usize];
    json!({
        "id": text(ids::product(p.product_id)),
        "title": p.name,
        "status": status(p),
        "skus": [sku(shop, index)],
        "sales_regions": [shop.region],
        "create_time": p.category_updated_unix,
        "update_time": p.price_updated_unix,
        "product_sync_fail_reasons": [],
        "is_not_for_sale": false,
        "recommended_categories": leaf.map(|c| json!({"id": text(c.id), "local_name": c.name})).into_iter().collect::<Vec<_>>(),
        "listing_quality_tier": tier,
        "integrated_platform_statuses": [{"platform": "TOKOPEDIA", "status": status(p)}],
        "audit": {"status": "APPROVED", "pre_approved_reasons": []},
        "product_families": [],
        "has_draft": false,
        "scheduled_sale": {"is_enabled_scheduled_sale": false, "schedule_sale_time": 0},
        "product_tags": [],
        "selling_format": "FIXED_PRICE",
    })
}

/// `GET /product/202309/products/{id}`: the search item plus what only the
/// detail page carries (no fixture: from the endpoint's documentation).
pub(super) fn detail(shop: &Shop, index: usize) -> Value {
    let p = &shop.generated.products[index];
    let mut parent = "0".to_owned();
    let chains: Vec<Value> = p
        .categories
        .iter()
        .enumerate()
        .map(|(depth, c)| {
            let node = json!({
                "id": text(c.id),
                "parent_id": parent,
                "local_name": c.name,
                "is_leaf": depth + 1 == p.categories.len(),
            });
            parent = c.id.to_string();
            node
        })
        .collect();
    let images: Vec<Value> = p
        .pictures
        .iter()
        .map(|pic| {
            let url = format!("https://p16-oec-sg.ibyteimg.com/{}/{}", pic.file_path, pic.file_name);
            json!({"uri": pic.file_name, "urls": [url], "thumb_urls": [url], "width": 700, "height": 700})
        })
        .collect();
    let mut item = match search_item(shop, index) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    item.insert("description".into(), json!(format!("<p>{}</p>", p.short_desc)));
    item.insert("category_chains".into(), json!(chains));
    item.insert("main_images".into(), json!(images));
    item.insert(
        "package_weight".into(),
        json!({"value": format!("{:.3}", p.weight_grams as f64 / 1000.0), "unit": "KILOGRAM"}),
    );
    item.insert(
        "package_dimensions".into(),
        json!({"length": "30", "width": "20", "height": "5", "unit": "CENTIMETER"}),
    );
    item.insert("is_cod_allowed".into(), json!(p.cod_eligible));
    Value::Object(item)
}

fn sku(shop: &Shop, index: usize) -> Value {
    let p = &shop.generated.products[index];
    let price = p.price.to_string();
    let active = p.status == 1;
    let inventory: Vec<Value> = shop
        .warehouses
        .iter()
        .zip(&shop.stock[index])
        .map(|(w, quantity)| {
            json!({"warehouse_id": text(w.id), "quantity": quantity, "backorder_quantity": 0, "handling_time": 0})
        })
        .collect();
    json!({
        "id": text(ids::sku(p.product_id)),
        "seller_sku": p.sku,
        "price": {"currency": "IDR", "tax_exclusive_price": price, "sale_price": price, "starting_bid_price": "0"},
        "inventory": inventory,
        "list_price": {"amount": price, "currency": "IDR"},
        "external_list_prices": [],
        "pre_sale": {"type": "NONE", "fulfillment_type": {"handling_duration_days": 0, "release_date": 0}},
        "status_info": {
            "status": if active { "NORMAL" } else { "DEACTIVATED" },
            "deactivation_source": if active { "" } else { "SELLER" },
        },
        "fees": [],
    })
}
