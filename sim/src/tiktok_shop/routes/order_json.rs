//! Orders in the Partner API's wire shape (see order_search-ok.json), as
//! they stand at a moment of world time. One line item per unit bought, as
//! the platform splits them; ids and money are strings, money in IDR.
//! Fields for other regions and programmes (taxes, deposits, Brazil's CPF,
//! gifts, auctions) keep the sample's keys with empty values.

use serde_json::{Map, Value, json};

use super::text;
use crate::orders::Order as Generated;
use crate::tiktok_shop::ids;
use crate::tiktok_shop::order::{Order, Status};
use crate::tiktok_shop::world::Shop;

const DAY: i64 = 86_400;
const PAYMENT_METHODS: [&str; 5] = ["DANA", "GoPay", "OVO", "BCA Virtual Account", "Bayar di Tempat"];
/// The one method that is cash on delivery.
const COD: &str = "Bayar di Tempat";

/// What an order looks like at `now`, to the renderers below.
struct Moment<'a> {
    shop: &'a Shop,
    order: &'a Order,
    status: Status,
    paid: Option<i64>,
    ready: Option<i64>,
    tracking_number: String,
    cancel_reason: &'static str,
    cancelled_by: &'static str,
}

/// The order at `now`; the caller has checked it exists by then.
pub(super) fn order(shop: &Shop, order: &Order, now: i64) -> Value {
    let g = &order.generated;
    let (status, update_time) = order.state_at(now).unwrap_or((Status::Unpaid, g.create_time));
    let cancelled = order.reached(Status::Cancelled, now);
    let (cancel_reason, cancelled_by) = match (cancelled, order.cancelled_by_buyer()) {
        (None, _) => ("", ""),
        (Some(_), true) => ("No longer needed", "BUYER"),
        (Some(_), false) => ("Out of stock", "SELLER"),
    };
    let ready = order.reached(Status::AwaitingCollection, now);
    let m = Moment {
        shop,
        order,
        status,
        paid: order.reached(Status::AwaitingShipment, now),
        ready,
        tracking_number: ready.map(|_| tracking_number(g)).unwrap_or_default(),
        cancel_reason,
        cancelled_by,
    };
    // Deadlines count from payment; an unpaid order has none yet.
    let after_paid = |days: i64| m.paid.map_or(0, |t| t + days * DAY);
    let method = PAYMENT_METHODS[(g.payment_id % PAYMENT_METHODS.len() as u64) as usize];
    let shipping_provider_id = text(ids::shipping_provider(g.shipping.shipper_id));
    let packages: Vec<Value> = m
        .paid
        .map(|_| json!({"id": text(ids::package(g.order_id))}))
        .into_iter()
        .collect();
    let times = json!({
        "create_time": g.create_time,
        "update_time": update_time,
        "paid_time": m.paid.unwrap_or_default(),
        "rts_time": ready.unwrap_or_default(),
        "collection_time": order.reached(Status::InTransit, now).unwrap_or_default(),
        "delivery_time": order.reached(Status::Delivered, now).unwrap_or_default(),
        "cancel_time": cancelled.unwrap_or_default(),
        "request_cancel_time": 0,
        "release_date": 0,
        "rts_sla_time": after_paid(2),
        "tts_sla_time": after_paid(3),
        "shipping_due_time": after_paid(2),
        "collection_due_time": after_paid(3),
        "delivery_sla_time": after_paid(7),
        "delivery_due_time": after_paid(7),
        "recommended_shipping_time": after_paid(1),
        "cancel_order_sla_time": g.create_time + DAY,
        "delivery_option_required_delivery_time": 0,
        "pick_up_cut_off_time": 0,
        "fast_dispatch_sla_time": 0,
        "instore_pickup_sla_time": 0,
    });
    let flags = json!({
        "has_updated_recipient_address": false,
        "is_cod": method == COD,
        "is_sample_order": false,
        "is_on_hold_order": false,
        "is_replacement_order": false,
        "is_subscription_order": false,
        "is_refundable_sample": false,
        "authentication_required": false,
        "is_buyer_request_cancel": false,
        "is_exchange_order": false,
    });
    let delivery = json!({
        "shipping_provider_id": shipping_provider_id,
        "shipping_provider": g.shipping.agency,
        "shipping_type": "TIKTOK",
        "fulfillment_type": "FULFILLMENT_BY_SELLER",
        "delivery_type": "HOME_DELIVERY",
        "delivery_option_id": text(ids::delivery_option(g.shipping.shipper_id)),
        "delivery_option_name": g.shipping.service,
        "handling_duration": {"days": "2", "type": "BUSINESS_DAY"},
        "fast_delivery_program": "",
        "fulfillment_priority_level": 0,
        "warehouse_id": text(shop.warehouses[0].id),
        "tracking_number": m.tracking_number,
        "packages": packages,
        "split_or_combine_tag": "",
        "auto_combine_group_id": "",
        "recipient_address": recipient_address(g),
    });
    let rest = json!({
        "id": text(order.id),
        "status": status.as_str(),
        "buyer_message": g.items.iter().map(|it| it.notes.as_str()).find(|n| !n.is_empty()).unwrap_or_default(),
        "cancellation_initiator": cancelled_by,
        "cancel_reason": cancel_reason,
        "payment": payment(g),
        "payment_method_name": method,
        "user_id": text(ids::buyer(g.buyer.id)),
        "buyer_email": format!("b{:x}@chat.seller.tiktok.com", g.buyer.id),
        "buyer_nickname": format!("{}{}", g.buyer.name.split(' ').next().unwrap_or("user").to_lowercase(), g.buyer.id % 1_000),
        "buyer_avatar": "",
        "seller_note": "",
        "need_upload_invoice": "NO_NEED",
        "cpf": "",
        "cpf_name": "",
        "line_items": line_items(&m),
        "replaced_order_id": "",
        "exchange_source_order_id": "",
        "consultation_id": "",
        // A merged Tokopedia shop sells on both storefronts.
        "commerce_platform": if g.payment_id.is_multiple_of(2) { "TIKTOK_SHOP" } else { "TOKOPEDIA" },
        "order_type": "NORMAL",
        "order_rights": [],
    });
    merge([rest, times, delivery, flags])
}

/// One object with the keys of all `parts`.
fn merge<const N: usize>(parts: [Value; N]) -> Value {
    let mut all = Map::new();
    for part in parts {
        if let Value::Object(map) = part {
            all.extend(map);
        }
    }
    Value::Object(all)
}

/// Products + shipping + insurance − the seller's voucher.
fn payment(g: &Generated) -> Value {
    let zero = "0";
    json!({
        "currency": "IDR",
        "sub_total": text(g.product_total()),
        "shipping_fee": text(g.shipping_cost),
        "seller_discount": text(g.voucher_amount),
        "platform_discount": zero,
        "payment_platform_discount": zero,
        "payment_discount_service_fee": zero,
        "total_amount": text(g.total_amount()),
        "original_total_product_price": text(g.product_total()),
        "original_shipping_fee": text(g.shipping_cost),
        "shipping_fee_seller_discount": zero,
        "shipping_fee_platform_discount": zero,
        "shipping_fee_cofunded_discount": zero,
        "tax": zero,
        "small_order_fee": zero,
        "shipping_fee_tax": zero,
        "product_tax": zero,
        "retail_delivery_fee": zero,
        "buyer_service_fee": zero,
        "handling_fee": zero,
        "shipping_insurance_fee": text(g.insurance_cost),
        "item_insurance_fee": zero,
        "item_insurance_tax": zero,
        "distance_shipping_fee": zero,
        "distance_fee": zero,
    })
}

fn recipient_address(g: &Generated) -> Value {
    let a = &g.address;
    let r = &g.recipient;
    let (first_name, last_name) = r.name.split_once(' ').unwrap_or((&r.name, ""));
    let phone = &r.phone;
    let masked = format!(
        "(+62){}****{}",
        phone.get(2..5).unwrap_or_default(),
        phone.get(phone.len().saturating_sub(4)..).unwrap_or_default()
    );
    let level = |name: &str, value: &str, level: &str, iso: &str| json!({"address_level_name": name, "address_name": value, "address_level": level, "iso_code": iso});
    json!({
        "full_address": a.full(),
        "phone_number": masked,
        "name": r.name,
        "first_name": first_name,
        "last_name": last_name,
        "first_name_local_script": "",
        "last_name_local_script": "",
        "address_detail": a.street,
        "address_line1": a.street,
        "address_line2": a.district,
        "address_line3": a.city,
        "address_line4": a.province,
        "district_info": [
            level("Country", "Indonesia", "L0", "ID"),
            level("Province", &a.province, "L1", ""),
            level("City", &a.city, "L2", ""),
            level("District", &a.district, "L3", ""),
        ],
        "delivery_preferences": {"drop_off_location": ""},
        "postal_code": a.postal_code,
        "region_code": "ID",
        "post_town": a.city,
    })
}

/// One line per unit.
fn line_items(m: &Moment<'_>) -> Vec<Value> {
    let g = &m.order.generated;
    let package_status = match m.status {
        Status::Unpaid | Status::OnHold | Status::AwaitingShipment => "TO_FULFILL",
        Status::PartiallyShipping | Status::AwaitingCollection => "PROCESSING",
        Status::InTransit => "FULFILLING",
        Status::Delivered | Status::Completed => "COMPLETED",
        Status::Cancelled => "CANCELLED",
    };
    let units = g
        .items
        .iter()
        .flat_map(|it| std::iter::repeat_n(it, it.quantity as usize));
    units
        .enumerate()
        .map(|(k, it)| {
            let price = text(it.price);
            let image = m
                .shop
                .generated
                .product(it.product_id)
                .and_then(|p| p.pictures.first())
                .map(|pic| format!("https://p16-oec-sg.ibyteimg.com/{}/{}", pic.file_path, pic.file_name))
                .unwrap_or_default();
            let item = json!({
                "id": text(ids::line_item(g.order_id, k)),
                "sku_id": text(ids::sku(it.product_id)),
                "product_id": text(ids::product(it.product_id)),
                "product_name": it.name,
                "seller_sku": it.sku,
                "sku_image": image,
                "sku_name": it.name.rsplit_once(" - ").map_or("", |(_, variant)| variant),
                "sku_type": "NORMAL",
                "display_status": m.status.as_str(),
                "cancel_reason": m.cancel_reason,
                "cancel_user": m.cancelled_by,
                "combined_listing_skus": [],
                "sub_item_info": [],
                "unboxing_case_list": [],
                "unboxing_sku_code": "",
                "is_unboxing_item": false,
                "is_gift": false,
                "is_dangerous_good": false,
                "needs_prescription": false,
                "is_pod_customized": false,
                "pod_info_id": "",
                "room_id": "",
                "product_listing_type": "",
            });
            let money = json!({
                "currency": "IDR",
                "sale_price": price,
                "original_price": price,
                "platform_discount": "0",
                "seller_discount": "0",
                "pfand_fee": "0",
                "gift_retail_price": "0",
                "retail_delivery_fee": "0",
                "buyer_service_fee": "0",
                "small_order_fee": "0",
                "distance_shipping_fee": "0",
                "distance_fee": "0",
                "shipping_vat_amount": "0",
                "shipping_vat_rate": "0",
                "item_tax": [],
            });
            let package = json!({
                "package_id": text(ids::package(g.order_id)),
                "package_status": package_status,
                "rts_time": m.ready.unwrap_or_default(),
                "tracking_number": m.tracking_number,
                "shipping_provider_name": g.shipping.agency,
                "shipping_provider_id": text(ids::shipping_provider(g.shipping.shipper_id)),
                "handling_duration_days": "2",
            });
            merge([item, money, package])
        })
        .collect()
}

/// The courier's airway bill, issued when the seller arranges shipment.
fn tracking_number(g: &Generated) -> String {
    let prefix: String = g
        .shipping
        .agency
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(2)
        .collect();
    format!("{}{:010}", prefix.to_ascii_uppercase(), g.order_id % 10_000_000_000)
}
