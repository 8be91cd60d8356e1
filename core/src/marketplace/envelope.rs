//! Decoding of the marketplace's response envelopes.
//!
//! Most endpoints answer `{"header": {process_time, messages, reason?, error_code?}, "data": ...}`;
//! older ones answer `{"data": ..., "status": "200 Ok", "error_message": []}`. `error_code` is a string
//! on most endpoints, an integer on some (`0` on shop-info success, `6` on logistic errors), and absent on
//! most successes. An error can arrive with HTTP 200, and a success page may carry `data: null`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{MarketplaceError, RowFailure};
use super::types::BulkUpdateResult;

/// Decodes a response body into its `data`, or into the error the envelope reports.
/// `Ok(None)` means a successful envelope whose `data` is null or absent (e.g. past the last page).
pub fn decode<T: DeserializeOwned>(http_status: u16, body: &[u8]) -> Result<Option<T>, MarketplaceError> {
    let Ok(Value::Object(mut envelope)) = serde_json::from_slice::<Value>(body) else {
        return Err(if http_status >= 400 {
            MarketplaceError::Http { status: http_status }
        } else {
            MarketplaceError::Decode("body is not a JSON object".into())
        });
    };
    if let Some(header) = envelope.get("header") {
        check_header(http_status, header)?;
    } else if let Some(status) = envelope.get("status") {
        check_legacy(http_status, status, envelope.get("error_message"))?;
    } else {
        return Err(if http_status >= 400 {
            MarketplaceError::Http { status: http_status }
        } else {
            MarketplaceError::Decode("response has neither `header` nor `status`".into())
        });
    }
    match envelope.remove("data") {
        None | Some(Value::Null) => Ok(None),
        Some(data) => serde_json::from_value(data)
            .map(Some)
            .map_err(|e| MarketplaceError::Decode(e.to_string())),
    }
}

/// Decodes a bulk write answer and turns refused rows into [`MarketplaceError::PartialFailure`].
pub fn decode_bulk(http_status: u16, body: &[u8]) -> Result<BulkUpdateResult, MarketplaceError> {
    let result: BulkUpdateResult =
        decode(http_status, body)?.ok_or_else(|| MarketplaceError::Decode("bulk answer without data".into()))?;
    if result.failed_rows_data.is_empty() && result.failed_rows == 0 {
        return Ok(result);
    }
    Err(MarketplaceError::PartialFailure {
        succeeded: result.succeed_rows,
        failed: result
            .failed_rows_data
            .into_iter()
            .map(|row| RowFailure {
                product_id: row.product_id,
                sku: row.sku.filter(|s| !s.is_empty()),
                message: row.message,
            })
            .collect(),
    })
}

/// `error_code` as text: `"ORD_DLV_013"`, `6` → `"6"`, absent → `None`.
fn error_code(header: &Value) -> Option<String> {
    match header.get("error_code")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Array(items) => {
            let joined: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (!joined.is_empty()).then(|| joined.join("; "))
        }
        _ => None,
    }
}

fn check_header(http_status: u16, header: &Value) -> Result<(), MarketplaceError> {
    let code = error_code(header);
    let success_code = matches!(code.as_deref(), None | Some("" | "0" | "200"));
    if http_status < 400 && success_code {
        return Ok(());
    }
    Err(MarketplaceError::Api {
        http_status,
        error_code: code
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| http_status.to_string()),
        reason: text(header.get("reason")),
        messages: text(header.get("messages").or_else(|| header.get("Messages"))).unwrap_or_default(),
    })
}

fn check_legacy(http_status: u16, status: &Value, errors: Option<&Value>) -> Result<(), MarketplaceError> {
    let status = status.as_str().unwrap_or_default();
    let reason = text(errors);
    if http_status < 400 && status.starts_with("200") && reason.is_none() {
        return Ok(());
    }
    let code = status
        .split_whitespace()
        .next()
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    Err(MarketplaceError::Api {
        http_status,
        error_code: code.unwrap_or_else(|| http_status.to_string()),
        reason,
        messages: status.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_error_code_zero_is_success() {
        let body = br#"{"header":{"process_time":0,"messages":"ok","reason":"","error_code":0},"data":[1,2]}"#;
        assert_eq!(decode::<Vec<u8>>(200, body).unwrap(), Some(vec![1, 2]));
    }

    #[test]
    fn integer_error_code_is_an_error_with_its_code() {
        let body =
            br#"{"header":{"process_time":0.1,"messages":"problem processing request","error_code":6},"data":null}"#;
        let err = decode::<Value>(200, body).unwrap_err();
        assert!(
            matches!(err, MarketplaceError::Api { ref error_code, .. } if error_code == "6"),
            "{err:?}"
        );
    }

    #[test]
    fn null_data_is_none() {
        let body = br#"{"header":{"process_time":0.1,"messages":"ok"},"data":null}"#;
        assert_eq!(decode::<Vec<u8>>(200, body).unwrap(), None);
    }

    #[test]
    fn legacy_error_keeps_status_and_messages() {
        let body = br#"{"data":null,"status":"400 Bad Request","error_message":["Invalid FS ID Format"]}"#;
        match decode::<Value>(400, body).unwrap_err() {
            MarketplaceError::Api { error_code, reason, .. } => {
                assert_eq!(error_code, "400");
                assert_eq!(reason.as_deref(), Some("Invalid FS ID Format"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn html_error_page_is_an_http_error() {
        assert!(matches!(
            decode::<Value>(502, b"<html>bad gateway</html>"),
            Err(MarketplaceError::Http { status: 502 })
        ));
    }
}
