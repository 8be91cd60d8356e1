//! Order-list items in Tokopedia's wire shape (unix times, `fs_id` as a
//! string), plus helpers shared with the single-order shape.

use chrono::{DateTime, SecondsFormat};
use serde_json::{Value, json};

use crate::orders::Order;

pub(super) fn rfc3339(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn kg(grams: i64) -> f64 {
    grams as f64 / 1000.0
}

/// How many units were delivered / rejected, by the order's fate.
pub(super) fn fulfilled(order: &Order, quantity: u32) -> (u32, u32) {
    match order.order_status {
        0 | 10 => (0, quantity),
        s if s >= 400 => (quantity, 0),
        _ => (0, 0),
    }
}

/// An item of `GET /v2/order/list` (see order_get-all-orders-ok.json).
pub(crate) fn list_item(order: &Order, fs_id: u64) -> Value {
    let products: Vec<Value> = order
        .items
        .iter()
        .map(|it| {
            json!({
                "id": it.product_id,
                "name": it.name,
                "quantity": it.quantity,
                "notes": it.notes,
                "weight": kg(it.weight_grams),
                "total_weight": kg(it.weight_grams * i64::from(it.quantity)),
                "price": it.price,
                "total_price": it.total_price(),
                "currency": "Rp",
                "sku": it.sku,
                "is_wholesale": false,
            })
        })
        .collect();
    let products_fulfilled: Vec<Value> = order
        .items
        .iter()
        .map(|it| {
            let (deliver, reject) = fulfilled(order, it.quantity);
            json!({"product_id": it.product_id, "quantity_deliver": deliver, "quantity_reject": reject})
        })
        .collect();
    let a = &order.address;
    let voucher = order.voucher_amount;
    json!({
        "fs_id": fs_id.to_string(),
        "order_id": order.order_id,
        "is_cod_mitra": false,
        "accept_partial": false,
        "invoice_ref_num": order.invoice_ref_num,
        "products": products,
        "products_fulfilled": products_fulfilled,
        "device_type": "",
        "buyer": {
            "id": order.buyer.id,
            "name": order.buyer.name,
            "phone": order.buyer.phone,
            "email": order.buyer.email,
        },
        "shop_id": order.shop_id,
        "payment_id": order.payment_id,
        "recipient": {
            "name": order.recipient.name,
            "phone": order.recipient.phone,
            "address": {
                "address_full": a.full(),
                "district": a.district,
                "city": a.city,
                "province": a.province,
                "country": "Indonesia",
                "postal_code": a.postal_code,
                "district_id": a.district_id,
                "city_id": a.city_id,
                "province_id": a.province_id,
                "geo": a.geo,
            },
        },
        "logistics": {
            "shipping_id": order.shipping.shipper_id,
            "district_id": a.district_id,
            "city_id": a.city_id,
            "province_id": a.province_id,
            "geo": a.geo,
            "shipping_agency": order.shipping.agency,
            "service_type": order.shipping.service,
        },
        "amt": {
            "ttl_product_price": order.product_total(),
            "shipping_cost": order.shipping_cost,
            "insurance_cost": order.insurance_cost,
            "ttl_amount": order.total_amount(),
            "voucher_amount": voucher,
            "toppoints_amount": 0,
        },
        "dropshipper_info": {},
        "voucher_info": {
            "voucher_code": if voucher > 0 { "HEMATFASHION" } else { "" },
            "voucher_type": i32::from(voucher > 0),
        },
        "order_status": order.order_status,
        "warehouse_id": order.warehouse_id,
        "fulfill_by": 0,
        "create_time": order.create_time,
        "custom_fields": {"awb": order.awb},
        "promo_order_detail": promo(order),
    })
}

fn promo(order: &Order) -> Value {
    let voucher = order.voucher_amount;
    let (details, summary) = if voucher > 0 {
        (
            json!([{"amount": voucher, "type": "discount_product"}]),
            json!([{
                "name": "Voucher Toko",
                "is_coupon": true,
                "show_cashback_amount": false,
                "show_discount_amount": true,
                "cashback_amount": 0,
                "cashback_points": 0,
                "type": "discount",
                "discount_amount": voucher,
                "discount_details": [{"amount": voucher, "type": "discount_product"}],
                "invoice_desc": "HEMATFASHION",
            }]),
        )
    } else {
        (json!([]), json!([]))
    };
    json!({
        "order_id": order.order_id,
        "total_cashback": 0,
        "total_discount": voucher,
        "total_discount_product": voucher,
        "total_discount_shipping": 0,
        "total_discount_details": details,
        "summary_promo": summary,
    })
}
