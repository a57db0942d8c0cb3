//! The canonical JSON writer for JSON bodies (file, poll, call signalling) (E2E-14): compact, keys in
//! their stored order, every character outside printable ASCII escaped.

use core::fmt::Write as _;

use serde_json::{Map, Value};

use super::E2eError;

/// Writes `value` as canonical JSON (E2E-14): no whitespace; object keys in insertion order;
/// strings escape `"` and `\` with a backslash, 0x08, 0x0c, 0x0a, 0x0d, 0x09 as `\b \f \n \r \t`,
/// and every other character below 0x20 or above 0x7e as `\uXXXX` in lowercase hex (UTF-16
/// surrogate pairs above U+FFFF). This equals Python's `json.dumps(v, separators=(',', ':'))`,
/// which the Threema Gateway SDK uses, for the values these bodies hold.
#[must_use]
pub fn to_canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

/// Integers as plain decimals; other numbers in the shortest form that reads back as the same
/// double, in plain notation with at least one fractional digit when 1e-4 <= |x| < 1e16, as
/// Python's `repr` prints it (E2E-14).
fn write_number(n: &serde_json::Number, out: &mut String) {
    if n.is_u64() || n.is_i64() {
        write!(out, "{n}").expect("writing to a String cannot fail");
        return;
    }
    let x = n.as_f64().unwrap_or_default();
    let magnitude = x.abs();
    if magnitude == 0.0 || (1e-4..1e16).contains(&magnitude) {
        // Rust's Display is the shortest round-trip decimal without exponent.
        let text = x.to_string();
        out.push_str(&text);
        if !text.contains('.') {
            out.push_str(".0");
        }
    } else {
        // Exponent form as Python writes it: mantissa, 'e', sign, at least two digits.
        let text = format!("{x:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let (sign, digits) = exponent
            .strip_prefix('-')
            .map_or(("+", exponent), |d| ("-", d));
        write!(out, "{mantissa}e{sign}{digits:0>2}").expect("writing to a String cannot fail");
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(out, "\\u{unit:04x}").expect("writing to a String cannot fail");
                }
            }
        }
    }
    out.push('"');
}

/// Parses a JSON body (E2E-14): UTF-8, one JSON value, surrounding whitespace allowed.
pub(crate) fn parse(body: &[u8], what: &'static str) -> Result<Value, E2eError> {
    serde_json::from_slice(body).map_err(|_| E2eError::InvalidJson { what })
}

/// Parses a JSON body that must be an object.
pub(crate) fn parse_object(
    body: &[u8],
    what: &'static str,
) -> Result<Map<String, Value>, E2eError> {
    match parse(body, what)? {
        Value::Object(map) => Ok(map),
        _ => Err(E2eError::InvalidJson { what }),
    }
}

/// A field that is absent or `null` reads as absent (E2E-13).
pub(crate) fn optional<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

/// Decodes a fixed-length hex string, either case (E2E-13).
pub(crate) fn hex_array<const N: usize>(value: &Value) -> Option<[u8; N]> {
    let text = value.as_str()?;
    let bytes = hex::decode(text).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_python_json_dumps() {
        let value: Value = serde_json::from_str(
            r#"{"n":"a\"b\\c\n\u0001\u007fé😀/","s":12,"f":[2.5,0.0001,1e-05,1e16,-3.0]}"#,
        )
        .unwrap();
        assert_eq!(
            to_canonical_json(&value),
            r#"{"n":"a\"b\\c\n\u0001\u007f\u00e9\ud83d\ude00/","s":12,"f":[2.5,0.0001,1e-05,1e+16,-3.0]}"#
        );
    }
}
