//! The binary encodings inside the cluster.
//!
//! - postcard (compact, varint integers, no field names): the Raft log, openraft's RPCs and the
//!   commands forwarded to the leader. A signed command's payload is a string inside it and
//!   travels byte for byte as the bidder signed it.
//! - MessagePack with field names ([`encode_named`]): snapshots and the leader's answers to
//!   forwarded commands. Ledger types leave absent members out (`skip_serializing_if`), which
//!   only a self-describing encoding reads back; it is binary all the same. A reader also takes
//!   the JSON that nodes wrote before (a snapshot file, a peer's answer): a MessagePack map or
//!   array never starts with `{` or `[`.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The media type of a postcard body.
pub const CONTENT_TYPE: &str = "application/x-sealbid-postcard";

/// The media type of a MessagePack body.
pub const NAMED_CONTENT_TYPE: &str = "application/x-sealbid-msgpack";

/// Why a value could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// postcard.
    #[error("postcard: {0}")]
    Postcard(#[from] postcard::Error),
    /// MessagePack, writing.
    #[error("MessagePack: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    /// MessagePack, reading.
    #[error("MessagePack: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
    /// JSON written by an earlier version.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Bytes left after the value.
    #[error("{0} bytes after the value")]
    Trailing(usize),
}

/// `value` in postcard.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, WireError> {
    Ok(postcard::to_stdvec(value)?)
}

/// The value `bytes` encode; every byte must belong to it.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    let (value, rest) = postcard::take_from_bytes(bytes)?;
    if !rest.is_empty() {
        return Err(WireError::Trailing(rest.len()));
    }
    Ok(value)
}

/// `value` in MessagePack, structs as maps by field name.
pub fn encode_named<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, WireError> {
    Ok(rmp_serde::to_vec_named(value)?)
}

/// `value` in MessagePack, structs as maps by field name, written to `writer` as it is encoded
/// (the same bytes as [`encode_named`], without holding them all).
pub fn encode_named_into<W: std::io::Write + ?Sized, T: Serialize + ?Sized>(
    writer: &mut W,
    value: &T,
) -> Result<(), WireError> {
    Ok(rmp_serde::encode::write_named(writer, value)?)
}

/// The value `bytes` encode, in MessagePack (or JSON, as earlier versions wrote); every byte
/// must belong to it.
pub fn decode_named<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    if bytes.first() == Some(&b'{') || bytes.first() == Some(&b'[') {
        return Ok(serde_json::from_slice(bytes)?);
    }
    let mut reader = bytes;
    let value = T::deserialize(&mut rmp_serde::Deserializer::new(&mut reader))?;
    if !reader.is_empty() {
        return Err(WireError::Trailing(reader.len()));
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

    /// `body` with a source address recorded, as a node that received it from a client stamps it.
    fn sourced(body: EntryBody) -> EntryBody {
        let EntryBody::Command(mut received) = body else {
            return body;
        };
        let source = sealbid_ledger::command::Source {
            address: "192.0.2.9".parse().unwrap(),
            salt: [5; 16],
        };
        received.arrival.source = Some(source);
        received.arrival.source_sha256 = Some(source.commitment());
        let key = sealbid_ledger::command::SourceTagKey::derive(b"secret");
        received.arrival.source_tag = Some(source.tag(&key, &TenderId::parse("T-9").unwrap()));
        EntryBody::Command(received)
    }

    /// An envelope, as a bid carries beside its command (the bytes need not open here).
    fn envelope() -> sealbid_crypto::seal::Envelope {
        sealbid_crypto::seal::Envelope {
            version: 1,
            suite: sealbid_crypto::seal::Suite::P256HkdfSha256Aes256Gcm,
            ephemeral_key: vec![4; 65],
            ciphertext: vec![9; 288],
        }
    }

    fn batch() -> EntryBatch {
        let key = IdentityKeyPair::from_seed(&[7; 32]).unwrap();
        let signed = SignedMessage::sign(&key, &serde_json::json!({"nonce": 1, "text": "a \"quoted\" é"})).unwrap();
        let bodies = [
            EntryBody::Genesis(Genesis {
                operator: key.public_key(),
                config: LedgerConfig::default(),
            }),
            EntryBody::command(signed.clone(), 2, 1_800_000_000_123),
            sourced(EntryBody::command(signed, 3, 1_800_000_000_124)).with_envelope(envelope()),
            EntryBody::Close {
                tender: TenderId::parse("T-9").unwrap(),
            },
            EntryBody::Lapse(sealbid_ledger::command::Lapse::ObjectionUnanswered {
                tender: TenderId::parse("T-9").unwrap(),
                objection: sealbid_ledger::types::ObjectionId::numbered(1),
            }),
            EntryBody::Lapse(sealbid_ledger::command::Lapse::ComplaintReviewOverdue {
                tender: TenderId::parse("T-9").unwrap(),
                complaint: sealbid_ledger::types::ComplaintId::numbered(2),
            }),
            EntryBody::Lapse(sealbid_ledger::command::Lapse::ComplaintDecisionOverdue {
                tender: TenderId::parse("T-9").unwrap(),
                complaint: sealbid_ledger::types::ComplaintId::numbered(3),
            }),
            // A genesis with every optional member: the binary encoding writes them all.
            EntryBody::Genesis(Genesis {
                operator: key.public_key(),
                config: LedgerConfig {
                    warning_thresholds: Some(Default::default()),
                    ..LedgerConfig::default()
                },
            }),
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
        let EntryBody::Command(carrying) = &decoded.entries[2].body else {
            panic!("the third entry is the command with an envelope")
        };
        assert_eq!(
            carrying.envelope,
            Some(envelope()),
            "the envelope travels in the binary log"
        );
        assert!(
            bytes.len() < serde_json::to_vec(&batch).unwrap().len(),
            "postcard is smaller than the JSON of the same batch"
        );
    }

    #[test]
    fn a_value_without_its_absent_members_comes_back_equal_from_messagepack_and_from_json() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Sparse {
            present: u64,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            absent: Option<String>,
            batch: EntryBatch,
        }
        let value = Sparse {
            present: 7,
            absent: None,
            batch: batch(),
        };
        let bytes = encode_named(&value).unwrap();
        assert_eq!(decode_named::<Sparse>(&bytes).unwrap(), value);
        let json = serde_json::to_vec(&value).unwrap();
        assert!(bytes.len() < json.len(), "MessagePack is smaller than the JSON");
        assert_eq!(
            decode_named::<Sparse>(&json).unwrap(),
            value,
            "JSON of earlier versions is read"
        );
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(decode_named::<Sparse>(&trailing), Err(WireError::Trailing(1))));
        assert!(decode_named::<Sparse>(&bytes[..bytes.len() / 2]).is_err());
    }

    #[test]
    fn messagepack_written_to_a_writer_is_byte_for_byte_the_encoding_in_memory() {
        let value = vec![batch(), batch()];
        let mut written = Vec::new();
        encode_named_into(&mut written, &value).unwrap();
        assert_eq!(written, encode_named(&value).unwrap());
        assert_eq!(decode_named::<Vec<EntryBatch>>(&written).unwrap(), value);
        // A writer that fails stops the encoding with its error.
        let mut full = [0u8; 8];
        let mut short: &mut [u8] = &mut full;
        assert!(matches!(
            encode_named_into(&mut short, &value),
            Err(WireError::Encode(_))
        ));
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
