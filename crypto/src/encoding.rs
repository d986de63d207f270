//! The one canonical encoding for everything that is signed or hashed: RFC 8785 JSON (JCS).
//!
//! Why JCS and not deterministic CBOR: every sealbid message already travels as JSON over
//! HTTPS, a supervisor can read a signed command with any text tool, and JCS libraries exist
//! for every language an independent client is likely to be written in. Its one weakness,
//! numbers as IEEE 754 doubles, is closed by a rule of the protocol: every number is an
//! integer of magnitude at most 2^53 − 1, and binary data travels as base64url text.
//!
//! [`to_canonical`] writes the canonical bytes; [`from_canonical`] parses bytes and refuses
//! any that are not exactly the canonical form of what they decode to, so that two different
//! byte strings can never carry the same signed meaning.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The largest integer magnitude JCS carries exactly (2^53 − 1).
pub const INTEGER_MAGNITUDE_MAX: u64 = (1 << 53) - 1;

/// Why bytes could not be encoded or decoded canonically.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncodingError {
    /// The value could not be written as JSON (a map with non-string keys, say).
    #[error("cannot encode as canonical JSON: {0}")]
    Encode(String),
    /// The bytes are not JSON of the expected shape.
    #[error("malformed JSON: {0}")]
    Malformed(String),
    /// The bytes are valid JSON of the right shape but not in RFC 8785 canonical form
    /// (white space, key order, escapes, duplicate keys or number spelling differ).
    #[error("JSON is not in RFC 8785 canonical form")]
    NotCanonical,
    /// A number is fractional or larger in magnitude than 2^53 − 1.
    #[error("number {0} is not an integer of magnitude at most 2^53 - 1")]
    NumberOutOfRange(String),
    /// Base64url text that does not decode.
    #[error("invalid base64url: {0}")]
    Base64(String),
}

/// Encodes `value` as RFC 8785 canonical JSON bytes.
pub fn to_canonical<T: Serialize>(value: &T) -> Result<Vec<u8>, EncodingError> {
    let tree = serde_json::to_value(value).map_err(|error| EncodingError::Encode(error.to_string()))?;
    check_numbers(&tree)?;
    serde_json_canonicalizer::to_vec(&tree).map_err(|error| EncodingError::Encode(error.to_string()))
}

/// Decodes canonical JSON bytes, refusing any input that is not byte for byte the canonical
/// encoding of the value it decodes to: first the text must be canonical JSON, then the decoded
/// value must encode back to the same bytes (which refuses, say, an explicit `null` for an
/// optional member that a writer leaves out).
pub fn from_canonical<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, EncodingError> {
    let tree: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|error| EncodingError::Malformed(error.to_string()))?;
    check_numbers(&tree)?;
    let canonical =
        serde_json_canonicalizer::to_vec(&tree).map_err(|error| EncodingError::Encode(error.to_string()))?;
    if canonical != bytes {
        return Err(EncodingError::NotCanonical);
    }
    let value = T::deserialize(&tree).map_err(|error| EncodingError::Malformed(error.to_string()))?;
    // The same JSON tree back means the same canonical bytes back.
    let encoded = serde_json::to_value(&value).map_err(|error| EncodingError::Encode(error.to_string()))?;
    if encoded != tree {
        return Err(EncodingError::NotCanonical);
    }
    Ok(value)
}

/// Refuses fractional numbers and integers that a double cannot carry exactly.
fn check_numbers(tree: &serde_json::Value) -> Result<(), EncodingError> {
    match tree {
        serde_json::Value::Number(number) => {
            let magnitude = number
                .as_u64()
                .or_else(|| number.as_i64().map(i64::unsigned_abs))
                .filter(|magnitude| *magnitude <= INTEGER_MAGNITUDE_MAX);
            match magnitude {
                Some(_) => Ok(()),
                None => Err(EncodingError::NumberOutOfRange(number.to_string())),
            }
        }
        serde_json::Value::Array(items) => items.iter().try_for_each(check_numbers),
        serde_json::Value::Object(fields) => fields.values().try_for_each(check_numbers),
        _ => Ok(()),
    }
}

/// Encodes bytes as unpadded base64url (RFC 4648 §5), the protocol's form for binary in JSON.
pub fn base64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url; padding, other alphabets and non-zero trailing bits are refused,
/// so each byte string has exactly one text form.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, EncodingError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|error| EncodingError::Base64(error.to_string()))
}

/// Serde adapter: `Vec<u8>` as unpadded base64url text.
pub mod base64url {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes bytes as base64url text.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::base64url_encode(bytes))
    }

    /// Reads base64url text into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::base64url_decode(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter: a fixed-size byte array as unpadded base64url text of exactly that length.
pub mod base64url_array {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the array as base64url text.
    pub fn serialize<S: Serializer, const N: usize>(bytes: &[u8; N], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::base64url_encode(bytes))
    }

    /// Reads base64url text that must decode to exactly `N` bytes.
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(deserializer: D) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = super::base64url_decode(&text).map_err(serde::de::Error::custom)?;
        let length = bytes.len();
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom(format!("expected {N} bytes, got {length}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Sample {
        zeta: u64,
        alpha: String,
        #[serde(with = "base64url")]
        blob: Vec<u8>,
    }

    #[test]
    fn keys_are_sorted_and_white_space_removed() {
        let sample = Sample {
            zeta: 7,
            alpha: "é\n".into(),
            blob: vec![0xfb, 0xff],
        };
        let bytes = to_canonical(&sample).unwrap();
        assert_eq!(bytes, "{\"alpha\":\"é\\n\",\"blob\":\"-_8\",\"zeta\":7}".as_bytes());
        assert_eq!(from_canonical::<Sample>(&bytes).unwrap(), sample);
    }

    #[test]
    fn rfc8785_example_strings_and_order() {
        // RFC 8785 §3.2.3 sorts by UTF-16 code units: "\u20ac" (€) sorts before "\ud83d\ude00" (😀)
        // though its UTF-8 is larger, and "\r" (U+000D) before "1".
        let input = r#"{"😀":"emoji","€":"euro","1":"one","\r":"cr"}"#;
        let tree: serde_json::Value = serde_json::from_str(input).unwrap();
        let bytes = to_canonical(&tree).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"\r":"cr","1":"one","€":"euro","😀":"emoji"}"#
        );
    }

    #[test]
    fn non_canonical_inputs_are_refused() {
        for input in [
            r#"{ "alpha":"a","blob":"","zeta":1}"#,
            r#"{"zeta":1,"alpha":"a","blob":""}"#,
            r#"{"alpha":"\u0061","blob":"","zeta":1}"#,
            r#"{"alpha":"a","alpha":"a","blob":"","zeta":1}"#,
        ] {
            assert_eq!(
                from_canonical::<Sample>(input.as_bytes()),
                Err(EncodingError::NotCanonical),
                "{input}"
            );
        }
    }

    #[test]
    fn a_value_that_encodes_back_differently_is_refused() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Optional {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            limit: Option<u64>,
            name: String,
        }
        let written = to_canonical(&Optional {
            limit: None,
            name: "a".into(),
        })
        .unwrap();
        assert_eq!(written, br#"{"name":"a"}"#);
        assert!(from_canonical::<Optional>(&written).is_ok());
        // Canonical text, and it decodes to the same value, but a writer never writes it.
        let explicit_null = br#"{"limit":null,"name":"a"}"#;
        assert_eq!(
            from_canonical::<Optional>(explicit_null),
            Err(EncodingError::NotCanonical)
        );
    }

    #[test]
    fn numbers_beyond_double_precision_are_refused() {
        let big = serde_json::json!({ "n": INTEGER_MAGNITUDE_MAX + 1 });
        assert!(matches!(to_canonical(&big), Err(EncodingError::NumberOutOfRange(_))));
        for fraction in [r#"{"n":1.5}"#, r#"{"n":1.0}"#, r#"{"n":1e3}"#] {
            let result = from_canonical::<serde_json::Value>(fraction.as_bytes());
            assert!(
                matches!(result, Err(EncodingError::NumberOutOfRange(_))),
                "{fraction}: {result:?}"
            );
        }
        let edge = serde_json::json!({ "n": INTEGER_MAGNITUDE_MAX, "m": -(INTEGER_MAGNITUDE_MAX as i64) });
        assert!(to_canonical(&edge).is_ok());
    }

    #[test]
    fn base64url_has_one_text_form_per_byte_string() {
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert!(base64url_decode("-_8=").is_err(), "padding refused");
        assert!(base64url_decode("+/8").is_err(), "standard alphabet refused");
        assert!(base64url_decode("-_9").is_err(), "non-zero trailing bits refused");
    }
}
