//! Where two JSON values first differ (IOP-14): the *step* shown for a failure, so a long
//! transcript or byte string points at the place that went wrong.

use std::fmt::Write as _;

use serde_json::Value;

/// The first place `actual` differs from `expected`, as a path below the field: `[3]` for an
/// array index, `.name` for an object key, `byte N` inside a hex string. `None` when the
/// values differ as a whole (different types, numbers, short text).
#[must_use]
pub fn first_difference(expected: &Value, actual: &Value) -> Option<String> {
    let mut path = String::new();
    walk(expected, actual, &mut path).then_some(path)
}

/// Appends the path of the first difference to `path`; false when there is nothing finer to
/// say than "the values differ".
fn walk(expected: &Value, actual: &Value, path: &mut String) -> bool {
    match (expected, actual) {
        (Value::Array(e), Value::Array(a)) => {
            let at = e.iter().zip(a).position(|(x, y)| x != y);
            let index = at.unwrap_or(e.len().min(a.len()));
            let _ = write!(path, "[{index}]");
            if let Some(index) = at {
                walk(&e[index], &a[index], path);
            }
            true
        }
        (Value::Object(e), Value::Object(a)) => {
            let key = e
                .iter()
                .find(|(k, v)| a.get(*k) != Some(v))
                .map(|(k, _)| k)
                .or_else(|| a.keys().find(|k| !e.contains_key(*k)));
            let Some(key) = key else { return false };
            path.push('.');
            path.push_str(key);
            if let (Some(x), Some(y)) = (e.get(key), a.get(key)) {
                walk(x, y, path);
            }
            true
        }
        (Value::String(e), Value::String(a)) if is_hex(e) && is_hex(a) => {
            let offset = e
                .as_bytes()
                .chunks(2)
                .zip(a.as_bytes().chunks(2))
                .position(|(x, y)| x != y)
                .unwrap_or(e.len().min(a.len()) / 2);
            if path.is_empty() {
                let _ = write!(path, "byte {offset}");
            } else {
                let _ = write!(path, " byte {offset}");
            }
            if e.len() != a.len() {
                let _ = write!(path, " (lengths {} and {})", e.len() / 2, a.len() / 2);
            }
            true
        }
        _ => !path.is_empty(),
    }
}

fn is_hex(text: &str) -> bool {
    text.len().is_multiple_of(2)
        && !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn points_into_arrays_objects_and_hex() {
        let expected = json!([{"sent": "00aa"}, {"received": {"type": "echo", "data": "0102"}}]);
        let actual = json!([{"sent": "00aa"}, {"received": {"type": "echo", "data": "0103"}}]);
        assert_eq!(
            first_difference(&expected, &actual).as_deref(),
            Some("[1].received.data byte 1")
        );
        assert_eq!(
            first_difference(&json!("aabbcc"), &json!("aabb")).as_deref(),
            Some("byte 2 (lengths 3 and 2)")
        );
        assert_eq!(
            first_difference(&json!([1, 2]), &json!([1, 2, 3])).as_deref(),
            Some("[2]")
        );
        assert_eq!(first_difference(&json!(1), &json!(2)), None);
        assert_eq!(first_difference(&json!("auth_failed"), &json!("x")), None);
    }
}
