//! Reading and building test cases (CONV-5, CONV-6).

use serde_json::{Map, Value};

/// What a test case expects of an implementation (CONV-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    /// Must succeed and reproduce every output.
    Valid,
    /// Must be rejected, with the error code the case names.
    Invalid,
    /// May be rejected; if accepted, outputs must match.
    Acceptable,
}

/// A field of a case is missing or not of the form its file documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The offending field.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Malformed {
    /// A malformed-field report.
    #[must_use]
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

/// One test case, read-only.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a>(pub &'a Map<String, Value>);

impl<'a> Case<'a> {
    /// The case's `tcId`, or 0 when it has none.
    #[must_use]
    pub fn tc_id(&self) -> u64 {
        self.0.get("tcId").and_then(Value::as_u64).unwrap_or(0)
    }

    /// Whether the case has `field`.
    #[must_use]
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The raw value of `field`.
    ///
    /// # Errors
    /// When the field is missing.
    pub fn value(&self, field: &str) -> Result<&'a Value, Malformed> {
        self.0
            .get(field)
            .ok_or_else(|| Malformed::new(field, "missing"))
    }

    /// A string field.
    ///
    /// # Errors
    /// When the field is missing or not a string.
    pub fn str(&self, field: &str) -> Result<&'a str, Malformed> {
        self.value(field)?
            .as_str()
            .ok_or_else(|| Malformed::new(field, "not a string"))
    }

    /// A lowercase-hex field as bytes (CONV-1).
    ///
    /// # Errors
    /// When the field is missing, not a string, or not lowercase hex.
    pub fn hex(&self, field: &str) -> Result<Vec<u8>, Malformed> {
        let text = self.str(field)?;
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(Malformed::new(field, "hex must be lowercase"));
        }
        hex::decode(text).map_err(|e| Malformed::new(field, format!("not hex: {e}")))
    }

    /// An unsigned integer field.
    ///
    /// # Errors
    /// When the field is missing or not an unsigned integer.
    pub fn u64(&self, field: &str) -> Result<u64, Malformed> {
        self.value(field)?
            .as_u64()
            .ok_or_else(|| Malformed::new(field, "not an unsigned integer"))
    }

    /// The `result` field.
    ///
    /// # Errors
    /// When it is missing or not one of `valid`, `invalid`, `acceptable`.
    pub fn expectation(&self) -> Result<Expectation, Malformed> {
        match self.str("result")? {
            "valid" => Ok(Expectation::Valid),
            "invalid" => Ok(Expectation::Invalid),
            "acceptable" => Ok(Expectation::Acceptable),
            other => Err(Malformed::new("result", format!("unknown result {other:?}"))),
        }
    }

    /// The `flags` of the case.
    #[must_use]
    pub fn flags(&self) -> Vec<&'a str> {
        string_list(self.0.get("flags"))
    }

    /// The `specRefs` of the case.
    #[must_use]
    pub fn spec_refs(&self) -> Vec<&'a str> {
        string_list(self.0.get("specRefs"))
    }
}

fn string_list(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Builds one case in the canonical key order: `tcId`, `comment`, `flags`, `specRefs`, the
/// inputs and outputs in the order given, then `result` and, for invalid cases, `error`.
#[derive(Debug, Clone)]
pub struct CaseBuilder {
    fields: Map<String, Value>,
}

impl CaseBuilder {
    /// Starts a case; the file assigns its `tcId`.
    #[must_use]
    pub fn new(comment: &str, flags: &[&str], spec_refs: &[&str]) -> Self {
        let mut fields = Map::new();
        fields.insert("comment".into(), comment.into());
        fields.insert("flags".into(), flags.into());
        fields.insert("specRefs".into(), spec_refs.into());
        Self { fields }
    }

    /// Adds a byte-string field as lowercase hex.
    #[must_use]
    pub fn hex(mut self, field: &str, bytes: impl AsRef<[u8]>) -> Self {
        self.fields
            .insert(field.into(), hex::encode(bytes.as_ref()).into());
        self
    }

    /// Adds any JSON value.
    #[must_use]
    pub fn value(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(field.into(), value.into());
        self
    }

    /// Finishes a case that must succeed.
    #[must_use]
    pub fn valid(mut self) -> Map<String, Value> {
        self.fields.insert("result".into(), "valid".into());
        self.fields
    }

    /// Finishes a case that must be rejected with `error` (CONV-7).
    #[must_use]
    pub fn invalid(mut self, error: &str) -> Map<String, Value> {
        self.fields.insert("result".into(), "invalid".into());
        self.fields.insert("error".into(), error.into());
        self.fields
    }
}
