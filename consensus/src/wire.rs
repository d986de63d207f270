//! The binary encoding inside the cluster: postcard (compact, varint integers, no field names).
//! Commands forwarded to the leader and its answers travel in it. A signed command's payload is
//! a string inside it and travels byte for byte as the bidder signed it.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The media type of a postcard body.
pub const CONTENT_TYPE: &str = "application/x-sealbid-postcard";

/// Why a value could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[error("postcard: {0}")]
pub struct WireError(#[from] postcard::Error);

/// `value` in postcard.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, WireError> {
    Ok(postcard::to_stdvec(value)?)
}

/// The value `bytes` encode; every byte must belong to it.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    let (value, rest) = postcard::take_from_bytes(bytes)?;
    if !rest.is_empty() {
        return Err(WireError(postcard::Error::DeserializeBadEncoding));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sealbid_crypto::identity::IdentityKeyPair;
    use sealbid_crypto::signed::SignedMessage;
    use sealbid_ledger::command::{Entry, EntryBody, Genesis, LedgerConfig};
    use sealbid_ledger::types::TenderId;

    use super::*;
    use crate::types::EntryBatch;

    fn batch() -> EntryBatch {
        let key = IdentityKeyPair::from_seed(&[7; 32]).unwrap();
        let signed = SignedMessage::sign(&key, &serde_json::json!({"nonce": 1, "text": "a \"quoted\" é"})).unwrap();
        let bodies = [
            EntryBody::Genesis(Genesis {
                operator: key.public_key(),
                config: LedgerConfig::default(),
            }),
            EntryBody::command(signed, 2, 1_800_000_000_123),
            EntryBody::Close {
                tender: TenderId::parse("T-9").unwrap(),
            },
        ];
        EntryBatch {
            entries: bodies
                .into_iter()
                .map(|body| Entry {
                    timestamp_ms: 1_800_000_000_500,
                    body,
                })
                .collect(),
        }
    }

    #[test]
    fn a_batch_comes_back_equal_with_its_signed_bytes_untouched() {
        let batch = batch();
        let bytes = encode(&batch).unwrap();
        let decoded: EntryBatch = decode(&bytes).unwrap();
        assert_eq!(decoded, batch);
        let EntryBody::Command(received) = &decoded.entries[1].body else {
            panic!("the second entry is the command")
        };
        assert!(received.signed.verify::<serde_json::Value>().is_ok());
        assert!(
            bytes.len() < serde_json::to_vec(&batch).unwrap().len(),
            "postcard is smaller than the JSON of the same batch"
        );
    }

    #[test]
    fn trailing_bytes_and_a_cut_off_body_are_refused() {
        let mut bytes = encode(&batch()).unwrap();
        bytes.push(0);
        assert!(decode::<EntryBatch>(&bytes).is_err());
        bytes.truncate(bytes.len() / 2);
        assert!(decode::<EntryBatch>(&bytes).is_err());
    }
}
