//! `--set KEY=VALUE` and `--sweep KEY=V1,V2,...` on a scenario's TOML table.

use crate::SimError;

/// One override: a dotted key and its new value.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// Dotted key, such as `relays.count`.
    pub key: String,
    /// The value, parsed as TOML (`1e5`, `"1h"`, `true`), or a bare string.
    pub value: toml::Value,
}

impl Override {
    /// `key=value` as the user wrote it, for labels.
    #[must_use]
    pub fn label(&self) -> String {
        match &self.value {
            toml::Value::String(text) => format!("{}={text}", self.key),
            other => format!("{}={other}", self.key),
        }
    }
}

/// Parses `KEY=VALUE`. The value is read as TOML when it parses (`100000`, `1e5`, `0.5`,
/// `true`, `"x"`) and as a string otherwise (`1h`, `pareto`); a float with an integral value
/// becomes an integer, so `clients=1e5` works.
///
/// # Errors
/// [`SimError::ScenarioSyntax`] when there is no `=` or the key is empty.
pub fn parse_override(text: &str) -> Result<Override, SimError> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| SimError::ScenarioSyntax {
            origin: format!("--set {text}"),
            message: "expected KEY=VALUE".into(),
        })?;
    let key = key.trim();
    if key.is_empty() {
        return Err(SimError::ScenarioSyntax {
            origin: format!("--set {text}"),
            message: "empty key".into(),
        });
    }
    Ok(Override {
        key: key.to_owned(),
        value: parse_value(value.trim()),
    })
}

/// Parses `KEY=V1,V2,...` into one override per value.
///
/// # Errors
/// As [`parse_override`], and when no value is given.
pub fn parse_sweep(text: &str) -> Result<Vec<Override>, SimError> {
    let first = parse_override(text)?;
    let (_, values) = text.split_once('=').expect("parse_override found the '='");
    let overrides: Vec<Override> = values
        .split(',')
        .filter(|v| !v.trim().is_empty())
        .map(|v| Override {
            key: first.key.clone(),
            value: parse_value(v.trim()),
        })
        .collect();
    if overrides.is_empty() {
        return Err(SimError::ScenarioSyntax {
            origin: format!("--sweep {text}"),
            message: "no values".into(),
        });
    }
    Ok(overrides)
}

fn parse_value(text: &str) -> toml::Value {
    let parsed = format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"));
    match parsed {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "checked integral and within i64 first"
        )]
        Some(toml::Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
            toml::Value::Integer(f as i64)
        }
        Some(value) => value,
        None => toml::Value::String(text.to_owned()),
    }
}

/// Sets each override's key in `table`, creating intermediate tables.
///
/// # Errors
/// [`SimError::Scenario`] when a key runs through a value that is not a table.
pub fn apply_overrides(table: &mut toml::Table, overrides: &[Override]) -> Result<(), SimError> {
    for item in overrides {
        let mut parts: Vec<&str> = item.key.split('.').collect();
        let leaf = parts.pop().expect("split yields at least one part");
        let mut at = &mut *table;
        for part in parts {
            let entry = at
                .entry(part.to_owned())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            at = entry.as_table_mut().ok_or_else(|| {
                SimError::range(
                    &item.key,
                    format!("`{part}` is not a table, so `{}` cannot be set", item.key),
                )
            })?;
        }
        at.insert(leaf.to_owned(), item.value.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{apply_overrides, parse_override, parse_sweep};

    #[test]
    fn numbers_strings_and_nested_keys() {
        let mut table = toml::Table::new();
        let overrides = [
            parse_override("clients=1e5").unwrap(),
            parse_override("duration=1h").unwrap(),
            parse_override("relays.count=8").unwrap(),
            parse_override("traffic.group_fraction=0.5").unwrap(),
        ];
        apply_overrides(&mut table, &overrides).unwrap();
        assert_eq!(table["clients"].as_integer(), Some(100_000));
        assert_eq!(table["duration"].as_str(), Some("1h"));
        assert_eq!(table["relays"]["count"].as_integer(), Some(8));
        assert_eq!(table["traffic"]["group_fraction"].as_float(), Some(0.5));
        let sweep = parse_sweep("clients=1e3,1e4").unwrap();
        assert_eq!(
            sweep.iter().map(super::Override::label).collect::<Vec<_>>(),
            ["clients=1000", "clients=10000"]
        );
        assert!(parse_override("novalue").is_err());
    }
}
