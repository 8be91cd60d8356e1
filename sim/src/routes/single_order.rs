//! The `GET /v2/fs/{fs_id}/order` object in Tokopedia's shape (see
//! order_get-single-order-ok.json): RFC3339 times, Go zero times for unset
//! ones, newest-first history.

use chrono::DateTime;
use serde_json::{Value, json};

use super::order_json::{fulfilled, kg, rfc3339};
use super::shop::warehouse_json;
use crate::orders::{Order, reference};
use crate::registry::Shop;

/// Go's zero `time.Time`, which Tokopedia prints for unset times.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";
const GATEWAYS: [&str; 5] = [
    "BCA Virtual Account",
    "GoPay",
    "OVO",
    "Mandiri Virtual Account",
    "Kartu Kredit",
];
const DAY: i64 = 86_400;

/// Renders the order; `shop` is the shop that owns it.
pub(crate) fn single_order(order: &Order, shop: &Shop) -> Value {
    let paid = order.status_time(220).unwrap_or(order.create_time);
    let updated = order.history.last().map_or(order.create_time, |&(_, t)| t);
    let status = order.order_status;
    let pdf = format!(
        "Invoice-{}-{}-{}-{:x}.pdf",
        order.buyer.id,
        shop.shop_id(),
        DateTime::from_timestamp(order.create_time, 0)
            .unwrap_or_default()
            .format("%Y%m%d%H%M%S"),
        order.order_id.wrapping_mul(0x9E37_79B9)
    );
    let invoice_url = format!(
        "https://www.tokopedia.com/invoice.pl?id={}&pdf={}",
        order.order_id,
        pdf.trim_end_matches(".pdf")
    );
    let voucher_code = if order.voucher_amount > 0 { "HEMATFASHION" } else { "" };
    json!({
        "order_id": order.order_id,
        "buyer_id": order.buyer.id,
        "seller_id": shop.shop_id(),
        "payment_id": order.payment_id,
        "is_affiliate": false,
        "is_fulfillment": false,
        "order_warehouse": {"warehouse_id": order.warehouse_id, "fulfill_by": 0, "meta_data": warehouse_json(shop)},
        "order_status": status,
        "invoice_number": order.invoice_ref_num,
        "invoice_pdf": pdf,
        "invoice_url": invoice_url,
        "open_amt": order.total_amount(),
        "lp_amt": 0,
        "cashback_amt": 0,
        "info": "",
        "comment": "",
        "item_price": order.product_total(),
        "buyer_info": {
            "buyer_id": order.buyer.id,
            "buyer_fullname": order.buyer.name,
            "buyer_email": order.buyer.email,
            "buyer_phone": order.buyer.phone,
        },
        "shop_info": {
            "shop_owner_id": shop.user_id,
            "shop_owner_email": format!("owner@{}.example.com", shop.domain),
            "shop_owner_phone": format!("62811{:07}", shop.user_id % 10_000_000),
            "shop_name": shop.config.name,
            "shop_domain": shop.domain,
            "shop_id": shop.shop_id(),
        },
        "shipment_fulfillment": {
            "id": 0,
            "order_id": order.order_id,
            "payment_date_time": rfc3339(paid),
            "is_same_day": false,
            "accept_deadline": rfc3339(paid + 2 * DAY),
            "confirm_shipping_deadline": rfc3339(paid + 4 * DAY),
            "item_delivered_deadline": {"Time": ZERO_TIME, "Valid": false},
            "is_accepted": status >= 400,
            "is_confirm_shipping": status >= 500,
            "is_item_delivered": status >= 600,
            "fulfillment_status": 0,
        },
        "preorder": {
            "order_id": 0,
            "preorder_type": 0,
            "preorder_process_time": 0,
            "preorder_process_start": rfc3339(order.create_time),
            "preorder_deadline": ZERO_TIME,
            "shop_id": 0,
            "customer_id": 0,
        },
        "order_info": order_info(order, shop),
        "origin_info": origin_info(order, shop),
        "payment_info": {
            "payment_id": order.payment_id,
            "payment_ref_num": reference("PYM", paid, order.payment_id),
            "payment_date": rfc3339(paid),
            "payment_method": 0,
            "payment_status": "Verified",
            "payment_status_id": 2,
            "create_time": rfc3339(order.create_time),
            "pg_id": order.payment_id % 20,
            "gateway_name": GATEWAYS[(order.payment_id % GATEWAYS.len() as u64) as usize],
            "discount_amount": 0,
            "voucher_code": voucher_code,
            "voucher_id": 0,
        },
        "insurance_info": {"insurance_type": i32::from(order.insurance_cost > 0)},
        "hold_info": null,
        "cancel_request_info": null,
        "create_time": rfc3339(order.create_time),
        "shipping_date": order.status_time(500).map(rfc3339),
        "update_time": rfc3339(updated),
        "payment_date": rfc3339(paid),
        "delivered_date": order.status_time(600).map(rfc3339),
        "est_shipping_date": null,
        "est_delivery_date": null,
        "related_invoices": null,
        "custom_fields": null,
    })
}

fn order_info(order: &Order, shop: &Shop) -> Value {
    let now = chrono::Utc::now().timestamp();
    let age_days = |t: Option<i64>| t.map_or(0, |t| (now - t).max(0) / DAY);
    let a = &order.address;
    json!({
        "order_detail": order_details(order, shop),
        "order_history": history(order),
        "order_age_day": age_days(Some(order.create_time)),
        "shipping_age_day": age_days(order.status_time(500)),
        "delivered_age_day": age_days(order.status_time(600)),
        "partial_process": false,
        "shipping_info": {
            "sp_id": order.shipping.shipper_id,
            "shipping_id": order.shipping.shipper_id,
            "logistic_name": order.shipping.agency,
            "logistic_service": order.shipping.service,
            "shipping_price": order.shipping_cost,
            "shipping_price_rate": order.shipping_cost,
            "shipping_fee": 0,
            "insurance_price": order.insurance_cost,
            "fee": 0,
            "is_change_courier": false,
            "second_sp_id": 0,
            "second_shipping_id": 0,
            "second_logistic_name": "",
            "second_logistic_service": "",
            "second_agency_fee": 0,
            "second_insurance": 0,
            "second_rate": 0,
            "awb": order.awb,
            "autoresi_cashless_status": 0,
            "autoresi_awb": "",
            "autoresi_shipping_price": 0,
            "count_awb": i32::from(!order.awb.is_empty()),
            "isCashless": false,
            "is_fake_delivery": false,
        },
        "destination": {
            "receiver_name": order.recipient.name,
            "receiver_phone": order.recipient.phone,
            "address_street": a.street,
            "address_district": a.district,
            "address_city": a.city,
            "address_province": a.province,
            "address_postal": a.postal_code,
            "customer_address_id": order.recipient.id.wrapping_mul(3),
            "district_id": a.district_id,
            "city_id": a.city_id,
            "province_id": a.province_id,
        },
        "is_replacement": false,
        "replacement_multiplier": 0,
    })
}

fn order_details(order: &Order, shop: &Shop) -> Vec<Value> {
    order
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let (deliver, reject) = fulfilled(order, it.quantity);
            let detail_id = order.order_id.wrapping_mul(10).wrapping_add(i as u64);
            let child_cat_id = shop
                .product(it.product_id)
                .and_then(|p| p.categories.last())
                .map_or(0, |c| c.id);
            json!({
                "order_detail_id": detail_id,
                "product_id": it.product_id,
                "product_name": it.name,
                "product_desc_pdp": "",
                "product_desc_atc": "",
                "product_price": it.price,
                "subtotal_price": it.total_price(),
                "weight": kg(it.weight_grams),
                "total_weight": kg(it.weight_grams * i64::from(it.quantity)),
                "quantity": it.quantity,
                "quantity_deliver": deliver,
                "quantity_reject": reject,
                "is_free_returns": false,
                "insurance_price": 0,
                "normal_price": it.price,
                "currency_id": 2,
                "currency_rate": 0,
                "min_order": 1,
                "child_cat_id": child_cat_id,
                "campaign_id": "",
                "product_picture": format!("https://images.tokopedia.net/img/product/{}/product_detail/desktop", it.product_id),
                "snapshot_url": format!("https://www.tokopedia.com/snapshot_product?order_id={}&dtl_id={detail_id}", order.order_id),
                "sku": it.sku,
            })
        })
        .collect()
}

/// Status changes, newest first like the fixture.
fn history(order: &Order) -> Vec<Value> {
    order
        .history
        .iter()
        .rev()
        .map(|&(code, at)| {
            let (action_by, update_by) = match code {
                100 | 220 => ("buyer", "tokopedia"),
                600 | 700 => ("system-automatic", "system"),
                _ => ("seller", "seller"),
            };
            json!({
                "action_by": action_by,
                "hist_status_code": code,
                "message": "",
                "timestamp": rfc3339(at),
                "comment": if code == 0 { "Penjual membatalkan pesanan" } else { "" },
                "create_by": 0,
                "update_by": update_by,
            })
        })
        .collect()
}

fn origin_info(order: &Order, shop: &Shop) -> Value {
    let (a, area) = (&order.address, shop.area);
    let (lat, lon) = a.geo.split_once(',').unwrap_or(("0", "0"));
    json!({
        "sender_name": shop.config.name,
        "origin_province": area.province_id,
        "origin_province_name": area.province,
        "origin_city": area.city_id,
        "origin_city_name": area.city,
        "origin_address": format!("Jl. Gudang Raya No. 1, {}", area.district),
        "origin_district": area.district_id,
        "origin_district_name": area.district,
        "origin_postal_code": area.postal_code,
        "origin_geo": area.geo,
        "receiver_name": order.recipient.name,
        "destination_address": a.street,
        "destination_province": a.province_id,
        "destination_city": a.city_id,
        "destination_district": a.district_id,
        "destination_postal_code": a.postal_code,
        "destination_geo": a.geo,
        "destination_loc": {
            "lat": lat.parse::<f64>().unwrap_or(0.0),
            "lon": lon.parse::<f64>().unwrap_or(0.0),
        },
    })
}
