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
