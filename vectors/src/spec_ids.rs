//! The stable paragraph IDs of `spec/` (CONV-4) and where code and vectors cite them.

use std::collections::BTreeMap;
use std::path::Path;

/// Every ID defined in the spec: ID to `file:line`.
///
/// A paragraph defines an ID by opening with it in bold: `**PRIM-3** ...` (CONV-4).
///
/// # Errors
/// When the spec folder cannot be read.
pub fn defined_ids(spec_dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut ids = BTreeMap::new();
    let mut paths: Vec<_> = std::fs::read_dir(spec_dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        for (number, line) in text.lines().enumerate() {
            if let Some(id) = line.strip_prefix("**").and_then(|rest| rest.split("**").next())
                && is_id(id)
            {
                let place = format!("{}:{}", path.display(), number + 1);
                ids.entry(id.to_owned()).or_insert(place);
            }
        }
    }
    Ok(ids)
}

/// Whether `text` has the shape of an ID: an uppercase prefix, a dash, a number.
#[must_use]
pub fn is_id(text: &str) -> bool {
    let Some((prefix, number)) = text.split_once('-') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && prefix.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// Every `PREFIX-N` in `text` whose prefix is one of `prefixes`.
#[must_use]
pub fn citations<'t>(text: &'t str, prefixes: &[&str]) -> Vec<&'t str> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    for prefix in prefixes {
        let mut start = 0;
        while let Some(offset) = text[start..].find(prefix) {
            let begin = start + offset;
            let after_prefix = begin + prefix.len();
            start = after_prefix;
            let boundary_before = begin == 0 || !bytes[begin - 1].is_ascii_alphanumeric();
            if !boundary_before || bytes.get(after_prefix) != Some(&b'-') {
                continue;
            }
            let digits = bytes[after_prefix + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let end = after_prefix + 1 + digits;
            let boundary_after = bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
            if digits > 0 && boundary_after {
                found.push(&text[begin..end]);
            }
        }
    }
    found
}
