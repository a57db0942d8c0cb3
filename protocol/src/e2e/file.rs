//! The file message (type 0x17, group 0x46): a JSON object describing an encrypted blob
//! (E2E-13 to E2E-15).

use serde_json::{Map, Value};

use super::E2eError;
use super::blob::MAX_BLOB_LEN;
use super::bodies::BLOB_ID_LEN;
use super::json::{hex_array, optional, parse_object, to_canonical_json};

/// How a receiver shows a file (E2E-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderingType {
    /// 0: a file.
    File,
    /// 1: media (image, video, audio shown inline).
    Media,
    /// 2: a sticker.
    Sticker,
}

/// A file message: the JSON object with every field it arrived with, in its order (E2E-13,
/// E2E-14). Known fields are checked; unknown fields are kept and written back on re-encoding.
#[derive(Clone, PartialEq, Eq)]
pub struct FileMessage {
    fields: Map<String, Value>,
}

fn invalid(field: &'static str) -> E2eError {
    E2eError::InvalidFileMessage { field }
}

fn optional_string(map: &Map<String, Value>, key: &'static str) -> Result<(), E2eError> {
    match optional(map, key) {
        None | Some(Value::String(_)) => Ok(()),
        Some(_) => Err(invalid(key)),
    }
}

impl FileMessage {
    /// Checks the fields of a file message (E2E-13) and keeps all of them.
    ///
    /// # Errors
    /// [`E2eError::InvalidFileMessage`] naming the first field that is missing or malformed, in
    /// the order `b k m s n t p d c j i x`.
    pub fn from_fields(fields: Map<String, Value>) -> Result<Self, E2eError> {
        let required = |key| fields.get(key).filter(|v| !v.is_null());
        required("b")
            .and_then(hex_array::<BLOB_ID_LEN>)
            .ok_or(invalid("b"))?;
        required("k")
            .and_then(hex_array::<32>)
            .ok_or(invalid("k"))?;
        required("m").and_then(Value::as_str).ok_or(invalid("m"))?;
        let size = required("s").and_then(Value::as_u64).ok_or(invalid("s"))?;
        if size > MAX_BLOB_LEN as u64 {
            // E2E-33: no blob is larger than 100 MiB.
            return Err(invalid("s"));
        }
        optional_string(&fields, "n")?;
        if let Some(t) = optional(&fields, "t") {
            hex_array::<BLOB_ID_LEN>(t).ok_or(invalid("t"))?;
        }
        for key in ["p", "d", "c"] {
            optional_string(&fields, key)?;
        }
        for key in ["j", "i"] {
            if optional(&fields, key).is_some_and(|v| v.as_u64().is_none()) {
                return Err(invalid(key));
            }
        }
        if optional(&fields, "x").is_some_and(|v| !v.is_object()) {
            return Err(invalid("x"));
        }
        Ok(Self { fields })
    }

    /// Parses a file body (E2E-13).
    ///
    /// # Errors
    /// [`E2eError::InvalidJson`] when the body is not a JSON object, else as [`Self::from_fields`].
    pub fn decode(body: &[u8]) -> Result<Self, E2eError> {
        Self::from_fields(parse_object(body, "file message")?)
    }

    /// The canonical JSON body (E2E-14).
    #[must_use]
    pub fn encode(&self) -> String {
        to_canonical_json(&Value::Object(self.fields.clone()))
    }

    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.encode().as_bytes());
    }

    /// Every field, known and unknown, in order.
    #[must_use]
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    fn hex_field<const N: usize>(&self, key: &str) -> Option<[u8; N]> {
        optional(&self.fields, key).and_then(hex_array)
    }

    fn str_field(&self, key: &str) -> Option<&str> {
        optional(&self.fields, key).and_then(Value::as_str)
    }

    /// `b`: the file's blob ID.
    #[must_use]
    pub fn blob_id(&self) -> [u8; BLOB_ID_LEN] {
        self.hex_field("b").unwrap_or_default()
    }

    /// `k`: the blob key (E2E-32), as the zeroized [`BlobKey`](super::BlobKey) type; the
    /// bytes decoded on the way are wiped too.
    #[must_use]
    pub fn blob_key(&self) -> super::BlobKey {
        let bytes = zeroize::Zeroizing::new(self.hex_field::<32>("k").unwrap_or_default());
        super::BlobKey::from_bytes(*bytes)
    }

    /// `m`: the file's media type.
    #[must_use]
    pub fn media_type(&self) -> &str {
        self.str_field("m").unwrap_or_default()
    }

    /// `s`: the file's size in bytes.
    #[must_use]
    pub fn size(&self) -> u64 {
        optional(&self.fields, "s")
            .and_then(Value::as_u64)
            .unwrap_or_default()
    }

    /// `n`: the file name.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.str_field("n")
    }

    /// `d`: the caption.
    #[must_use]
    pub fn caption(&self) -> Option<&str> {
        self.str_field("d")
    }

    /// `t`: the thumbnail's blob ID.
    #[must_use]
    pub fn thumbnail_blob_id(&self) -> Option<[u8; BLOB_ID_LEN]> {
        self.hex_field("t")
    }

    /// `p`: the thumbnail's media type, `image/jpeg` when absent.
    #[must_use]
    pub fn thumbnail_media_type(&self) -> &str {
        self.str_field("p").unwrap_or("image/jpeg")
    }

    /// `c`: the correlation ID.
    #[must_use]
    pub fn correlation_id(&self) -> Option<&str> {
        self.str_field("c")
    }

    /// `j`, or `i` when `j` is absent; unknown values read as a file (E2E-15). The two fields
    /// need not agree.
    #[must_use]
    pub fn rendering_type(&self) -> RenderingType {
        let code = optional(&self.fields, "j")
            .or_else(|| optional(&self.fields, "i"))
            .and_then(Value::as_u64);
        match code {
            Some(1) => RenderingType::Media,
            Some(2) => RenderingType::Sticker,
            _ => RenderingType::File,
        }
    }
}

impl core::fmt::Debug for FileMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The key `k` is secret: show everything else.
        let shown: Vec<&String> = self.fields.keys().collect();
        f.debug_struct("FileMessage")
            .field("keys", &shown)
            .field("media_type", &self.media_type())
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDK_STYLE: &str = r#"{"b":"00112233445566778899aabbccddeeff","k":"0000000000000000000000000000000000000000000000000000000000000001","m":"text/plain","n":"a.txt","s":5,"i":0,"future":{"z":1}}"#;

    #[test]
    fn keeps_unknown_fields_and_order() {
        let file = FileMessage::decode(SDK_STYLE.as_bytes()).unwrap();
        assert_eq!(file.encode(), SDK_STYLE);
        assert_eq!(file.rendering_type(), RenderingType::File);
        assert_eq!(file.thumbnail_media_type(), "image/jpeg");
    }

    #[test]
    fn sticker_by_j_even_when_i_disagrees() {
        let body = SDK_STYLE.replace(r#""i":0"#, r#""j":2,"i":0"#);
        let file = FileMessage::decode(body.as_bytes()).unwrap();
        assert_eq!(file.rendering_type(), RenderingType::Sticker);
    }

    #[test]
    fn names_the_bad_field() {
        let bad = SDK_STYLE.replace(r#""s":5"#, r#""s":"5""#);
        assert_eq!(FileMessage::decode(bad.as_bytes()), Err(invalid("s")));
        assert_eq!(
            FileMessage::decode(b"[1]"),
            Err(E2eError::InvalidJson {
                what: "file message"
            })
        );
    }
}
