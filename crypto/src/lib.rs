//! sealbid's cryptographic core. Pure: no I/O, no clock, no async; randomness only through a
//! `ring::rand::SecureRandom` passed in by the caller. No function panics on any input.
//!
//! What it owns, and how data flows through it:
//! - [`identity`]: Ed25519 actor keys (PKCS#8 files, `ed25519:` text form), sign and verify.
//! - [`encoding`]: RFC 8785 canonical JSON, the only encoding anything is signed or hashed in.
//! - [`signed`]: a payload, its signer and the signature over exactly its canonical bytes.
//! - [`seal`]: a bidder seals an offer to a tender's opening key; after the close the rebuilt
//!   key opens it, a whole tender's offers together ([`seal::open_offers`]: one scalar recoding
//!   and one field inversion per step shared by all of them). [`padding`] gives every offer one
//!   length first.
//! - [`dkg`]: the opening committee's distributed key generation: the opening key exists, its
//!   secret exists nowhere until t members release their shares after the close.
//! - [`merkle`]: the RFC 6962 / RFC 9162 audit log over every committed entry, on a node-hash
//!   store the caller provides, with inclusion and consistency proofs.
//! - [`note`] and [`checkpoint`]: the log's size and root in the C2SP tlog-checkpoint format,
//!   inside a C2SP signed note carrying node and witness signatures; [`cosignature`], the
//!   witnesses' timestamped C2SP tlog-cosignature/v1.
//! - [`receipt`]: what a bidder keeps with its entry: the log, the entry's index and leaf hash,
//!   a signed checkpoint and an inclusion proof; one call verifies it against the expected log
//!   and trusted keys.
//! - `schema` (feature `openapi`, off by default): the OpenAPI schemas of the types the API
//!   carries, as utoipa describes them; no behaviour.
//!
//! `docs/protocol.md` at the repository root specifies every byte of these formats.
//!
//! A bidder seals an offer to a tender's opening key; only that key opens it, and only under
//! the same tender, lot and bidder:
//!
//! ```
//! use ring::rand::SystemRandom;
//! use sealbid_crypto::curve::CurveScalar;
//! use sealbid_crypto::seal::{OpeningKey, SealContext, SealError, Suite, open_offer, seal_offer};
//!
//! let random = SystemRandom::new();
//! let opening_key = OpeningKey::new(CurveScalar::random(&random)?);
//! let context = SealContext::bid("T-2026-0042", "1", "ed25519:bidder-key");
//! let envelope = seal_offer(br#"{"price_fen":123456789}"#, &context, &opening_key.public_point(), &random)?;
//! assert_eq!(open_offer(&envelope, &context, &opening_key)?, br#"{"price_fen":123456789}"#);
//! // Padded: a price of any number of digits gives an envelope of the same length.
//! assert_eq!(envelope.ciphertext.len(), Suite::P256HkdfSha256Aes256Gcm.offer_ciphertext_bytes());
//!
//! let other_lot = SealContext::bid("T-2026-0042", "2", "ed25519:bidder-key");
//! assert_eq!(open_offer(&envelope, &other_lot, &opening_key), Err(SealError::Rejected));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod checkpoint;
pub mod cosignature;
pub mod curve;
pub mod dkg;
pub mod encoding;
pub mod identity;
pub mod merkle;
pub mod note;
pub mod padding;
pub mod receipt;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod seal;
pub mod signed;
