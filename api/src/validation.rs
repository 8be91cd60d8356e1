//! Field rules shared by the account API and the legacy migration, so both accept exactly the same values.

use serde_json::Value;

/// Why trimmed text is not acceptable (empty, longer than `max` characters, control characters), or the
/// trimmed text.
pub fn text(value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err("is required".into())
    } else if value.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else if value.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else {
        Ok(value.to_owned())
    }
}

/// Postgres cannot store U+0000 in `text` or `jsonb`, so free text that may hold any other character
/// (display names, token names, metadata) is refused when it holds that one.
pub fn no_nul(value: &str) -> Result<(), String> {
    if value.contains('\0') {
        Err(NUL_REASON.into())
    } else {
        Ok(())
    }
}

pub const NUL_REASON: &str = "must not contain NUL characters (U+0000)";

/// Whether any key or string anywhere in `value` holds U+0000 (which `jsonb` cannot store).
pub fn json_has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// A positive marketplace id given as a JSON number or a string of digits (the design's samples use both).
pub fn marketplace_id(value: &Value) -> Result<u64, &'static str> {
    let parsed = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    parsed
        .filter(|id| *id > 0)
        .ok_or("must be a positive integer (number or digits)")
}
