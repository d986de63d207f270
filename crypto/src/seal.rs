//! Sealed envelopes: an offer encrypted to a tender's opening key so that nobody can read it
//! before the committee rebuilds that key after the close.
//!
//! Suite 1 (`p256-hkdf-sha256-aes256gcm`): an ephemeral P-256 key from ring agrees a secret with
//! the opening key Y; HKDF-SHA256 (salt: ephemeral key ‖ Y, info: label ‖ 0x00 ‖ context)
//! derives a 32-byte AES-256-GCM key and a 12-byte nonce; the context's canonical JSON is also
//! the AEAD's associated data. A fresh ephemeral key per envelope makes every key and nonce
//! single-use. Changing the tender, lot, bidder or kind makes [`open`] fail.
//!
//! The envelope carries a version and a suite id, so that other suites (a national SM2/SM3/SM4
//! suite is planned) can be added without breaking envelopes already in the log.

use ring::rand::SecureRandom;
use ring::{aead, agreement, hkdf};
use serde::{Deserialize, Serialize};

use crate::curve::{CurvePoint, CurveScalar};
use crate::encoding::{EncodingError, from_canonical, to_canonical};

/// The HKDF info label of suite 1.
const SUITE_1_LABEL: &[u8] = b"sealbid/envelope/v1";
/// The envelope format version this code writes and reads.
pub const ENVELOPE_VERSION: u8 = 1;
/// Bytes of key material HKDF derives: a 32-byte AES key then a 12-byte nonce.
const DERIVED_KEY_BYTES: usize = 32;
const DERIVED_NONCE_BYTES: usize = 12;
/// Bytes of AES-GCM tag appended to every ciphertext.
pub const TAG_BYTES: usize = 16;

/// Why an envelope could not be sealed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// The random source failed.
    #[error("the random source failed")]
    Random,
    /// The envelope's version is not one this code reads.
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u8),
    /// The ephemeral key is not a valid uncompressed P-256 point.
    #[error("the envelope's ephemeral key is not a valid P-256 point")]
    BadEphemeralKey,
    /// The ciphertext cannot hold its tag and at least one byte of plaintext.
    #[error("the envelope's ciphertext has {0} bytes; it needs the 16-byte tag and at least one byte more")]
    CiphertextTooShort(usize),
    /// Decryption failed: wrong key, wrong context, or the envelope was altered.
    #[error("the envelope does not open with this key and context")]
    Rejected,
    /// The context or envelope could not be encoded or parsed.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
}

/// The cipher suites an envelope can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Suite {
    /// Ephemeral ECDH P-256, HKDF-SHA256, AES-256-GCM.
    #[serde(rename = "p256-hkdf-sha256-aes256gcm")]
    P256HkdfSha256Aes256Gcm,
}

/// What an envelope holds; part of the context, so an envelope cannot be replayed as another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvelopeKind {
    /// A bidder's offer.
    Bid,
    /// The tendering office's reserve price (底价).
    ReservePrice,
    /// One opening-committee share dealt to one member in the key generation.
    CommitteeShare,
}

/// What an envelope is bound to: the key derivation and the associated data both cover it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealContext {
    /// What the envelope holds.
    pub kind: EnvelopeKind,
    /// The tender (or, for a committee share, the key-generation session).
    pub tender: String,
    /// The lot (for a committee share: the receiving member's number).
    pub lot: String,
    /// Who sealed it: the bidder's key text (for a committee share: the dealer's number).
    pub bidder: String,
}

impl SealContext {
    /// The context of a bid by `bidder` on `lot` of `tender`.
    pub fn bid(tender: &str, lot: &str, bidder: &str) -> Self {
        Self {
            kind: EnvelopeKind::Bid,
            tender: tender.into(),
            lot: lot.into(),
            bidder: bidder.into(),
        }
    }

    /// The context of the share that `dealer` deals to `recipient` in key-generation `session`.
    pub fn committee_share(session: &str, dealer: u16, recipient: u16) -> Self {
        Self {
            kind: EnvelopeKind::CommitteeShare,
            tender: session.into(),
            lot: recipient.to_string(),
            bidder: dealer.to_string(),
        }
    }

    /// The canonical bytes bound into the key derivation and used as the associated data:
    /// `{"context":{…},"suite":…,"version":1}` in RFC 8785 form.
    pub fn associated_data(&self, suite: Suite) -> Result<Vec<u8>, EncodingError> {
        #[derive(Serialize)]
        struct Bound<'a> {
            context: &'a SealContext,
            suite: Suite,
            version: u8,
        }
        to_canonical(&Bound {
            context: self,
            suite,
            version: ENVELOPE_VERSION,
        })
    }
}

/// A sealed offer: only the holder of the opening key can read it, and only under its context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Format version; [`ENVELOPE_VERSION`] today.
    pub version: u8,
    /// The cipher suite.
    pub suite: Suite,
    /// The sender's ephemeral P-256 public key, SEC1 uncompressed (65 bytes).
    #[serde(with = "crate::encoding::base64url")]
    pub ephemeral_key: Vec<u8>,
    /// AES-256-GCM ciphertext with its 16-byte tag appended.
    #[serde(with = "crate::encoding::base64url")]
    pub ciphertext: Vec<u8>,
}

impl Envelope {
    /// Parses an envelope from its canonical JSON bytes.
    pub fn from_canonical(bytes: &[u8]) -> Result<Self, SealError> {
        Ok(from_canonical(bytes)?)
    }

    /// The envelope's canonical JSON bytes.
    pub fn to_canonical(&self) -> Result<Vec<u8>, SealError> {
        Ok(to_canonical(self)?)
    }

    /// The checks possible without the key: the version is known, the ephemeral key is a valid
    /// P-256 point and the ciphertext holds its tag and at least one byte more. A ledger runs
    /// them when it accepts an envelope.
    pub fn check_form(&self) -> Result<(), SealError> {
        parse_ephemeral_key(self)?;
        if self.ciphertext.len() <= TAG_BYTES {
            return Err(SealError::CiphertextTooShort(self.ciphertext.len()));
        }
        Ok(())
    }

    /// The length of the sealed plaintext.
    pub fn plaintext_len(&self) -> usize {
        self.ciphertext.len().saturating_sub(TAG_BYTES)
    }
}

/// A decryption key for envelopes sealed to its public point: a committee member's own P-256
/// key, or a tender's opening key once rebuilt. Holds the public point too, which every open
/// needs.
#[derive(Debug, Clone)]
pub struct OpeningKey {
    /// The secret scalar x.
    secret: CurveScalar,
    /// x·G, computed once.
    public: CurvePoint,
    /// Whether multiplications by `secret` may take variable time; see
    /// [`OpeningKey::disclosed`].
    variable_time: bool,
}

impl OpeningKey {
    /// A key whose secret must stay secret (a committee member's key): every multiplication by
    /// it runs in constant time.
    pub fn new(secret: CurveScalar) -> Self {
        Self {
            public: secret.public_point(),
            secret,
            variable_time: false,
        }
    }

    /// A tender's opening key rebuilt after the close. Every bid it protects is published by
    /// the opening, and the key itself may be published so that anyone can re-decrypt, so
    /// there is nothing left for a timing side channel to leak: its multiplications use the
    /// faster variable-time algorithm (see crypto/BENCHMARKS.md for the difference).
    pub fn disclosed(secret: CurveScalar) -> Self {
        Self {
            variable_time: true,
            ..Self::new(secret)
        }
    }

    /// The public point that envelopes are sealed to.
    pub fn public_point(&self) -> CurvePoint {
        self.public
    }

    /// The secret scalar.
    pub fn secret(&self) -> &CurveScalar {
        &self.secret
    }

    /// The ECDH shared point `secret · ephemeral`.
    pub(crate) fn shared_point(&self, ephemeral: &CurvePoint) -> Result<CurvePoint, SealError> {
        let point = ephemeral.projective();
        let product = if self.variable_time {
            point.mul_vartime(&self.secret.0)
        } else {
            point * self.secret.0
        };
        CurvePoint::from_projective(product).map_err(|_| SealError::BadEphemeralKey)
    }
}

/// Seals `plaintext` to `recipient` under `context`, with a fresh ephemeral key from ring.
pub fn seal(
    plaintext: &[u8],
    context: &SealContext,
    recipient: &CurvePoint,
    random: &dyn SecureRandom,
) -> Result<Envelope, SealError> {
    let recipient_bytes = recipient.to_uncompressed();
    let ephemeral =
        agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, random).map_err(|_| SealError::Random)?;
    let ephemeral_key = ephemeral
        .compute_public_key()
        .map_err(|_| SealError::Random)?
        .as_ref()
        .to_vec();
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, recipient_bytes);
    let shared_secret =
        agreement::agree_ephemeral(ephemeral, &peer, |shared| shared.to_vec()).map_err(|_| SealError::Rejected)?;
    encrypt(plaintext, context, &recipient_bytes, ephemeral_key, &shared_secret)
}

/// Seals with an ephemeral secret the caller chose, so that it can also prove it knows that
/// secret (the key generation does, for each share it deals). The secret must be fresh.
pub fn seal_with_ephemeral_secret(
    plaintext: &[u8],
    context: &SealContext,
    recipient: &CurvePoint,
    ephemeral_secret: &CurveScalar,
) -> Result<Envelope, SealError> {
    let ephemeral_key = ephemeral_secret.public_point().to_uncompressed().to_vec();
    let shared = CurvePoint::from_projective(recipient.projective() * ephemeral_secret.0)
        .map_err(|_| SealError::BadEphemeralKey)?;
    encrypt(
        plaintext,
        context,
        &recipient.to_uncompressed(),
        ephemeral_key,
        &shared.x_coordinate(),
    )
}

/// Suite 1's encryption once the ECDH shared secret is known.
fn encrypt(
    plaintext: &[u8],
    context: &SealContext,
    recipient_bytes: &[u8],
    ephemeral_key: Vec<u8>,
    shared_secret: &[u8],
) -> Result<Envelope, SealError> {
    let suite = Suite::P256HkdfSha256Aes256Gcm;
    let context_bytes = context.associated_data(suite)?;
    let (key, nonce) = derive_key(shared_secret, &ephemeral_key, recipient_bytes, &context_bytes)?;
    let mut ciphertext = plaintext.to_vec();
    key.seal_in_place_append_tag(nonce, aead::Aad::from(&context_bytes), &mut ciphertext)
        .map_err(|_| SealError::Rejected)?;
    Ok(Envelope {
        version: ENVELOPE_VERSION,
        suite,
        ephemeral_key,
        ciphertext,
    })
}

/// Opens `envelope` with `key` under `context`, returning the plaintext.
pub fn open(envelope: &Envelope, context: &SealContext, key: &OpeningKey) -> Result<Vec<u8>, SealError> {
    let ephemeral = parse_ephemeral_key(envelope)?;
    let shared = key.shared_point(&ephemeral)?;
    open_with_shared_point(envelope, context, &key.public_point(), &shared)
}

/// Checks the envelope's version and parses its ephemeral key.
pub(crate) fn parse_ephemeral_key(envelope: &Envelope) -> Result<CurvePoint, SealError> {
    if envelope.version != ENVELOPE_VERSION {
        return Err(SealError::UnsupportedVersion(envelope.version));
    }
    if envelope.ephemeral_key.len() != 65 {
        return Err(SealError::BadEphemeralKey);
    }
    CurvePoint::from_sec1(&envelope.ephemeral_key).map_err(|_| SealError::BadEphemeralKey)
}

/// Opens an envelope given the ECDH shared point instead of the secret key: what a published
/// complaint in the key generation reveals (with a proof) so that anyone can check the share.
pub(crate) fn open_with_shared_point(
    envelope: &Envelope,
    context: &SealContext,
    recipient: &CurvePoint,
    shared: &CurvePoint,
) -> Result<Vec<u8>, SealError> {
    parse_ephemeral_key(envelope)?;
    let context_bytes = context.associated_data(envelope.suite)?;
    let (key, nonce) = derive_key(
        &shared.x_coordinate(),
        &envelope.ephemeral_key,
        &recipient.to_uncompressed(),
        &context_bytes,
    )?;
    let mut buffer = envelope.ciphertext.clone();
    let plaintext = key
        .open_in_place(nonce, aead::Aad::from(&context_bytes), &mut buffer)
        .map_err(|_| SealError::Rejected)?;
    Ok(plaintext.to_vec())
}

/// HKDF-SHA256 from the shared secret to the AEAD key and nonce.
fn derive_key(
    shared_secret: &[u8],
    ephemeral_key: &[u8],
    recipient_key: &[u8],
    context_bytes: &[u8],
) -> Result<(aead::LessSafeKey, aead::Nonce), SealError> {
    let salt_bytes = [ephemeral_key, recipient_key].concat();
    let pseudo_random_key = hkdf::Salt::new(hkdf::HKDF_SHA256, &salt_bytes).extract(shared_secret);
    let info = [SUITE_1_LABEL, &[0u8], context_bytes];
    let mut material = [0u8; DERIVED_KEY_BYTES + DERIVED_NONCE_BYTES];
    pseudo_random_key
        .expand(&info, MaterialLength(material.len()))
        .and_then(|okm| okm.fill(&mut material))
        .map_err(|_| SealError::Rejected)?;
    let (key_bytes, nonce_bytes) = material.split_at(DERIVED_KEY_BYTES);
    let key = aead::UnboundKey::new(&aead::AES_256_GCM, key_bytes).map_err(|_| SealError::Rejected)?;
    let nonce = aead::Nonce::try_assume_unique_for_key(nonce_bytes).map_err(|_| SealError::Rejected)?;
    Ok((aead::LessSafeKey::new(key), nonce))
}

/// The output length HKDF is asked for.
struct MaterialLength(usize);

impl hkdf::KeyType for MaterialLength {
    fn len(&self) -> usize {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    fn key() -> OpeningKey {
        OpeningKey::new(CurveScalar::random(&SystemRandom::new()).unwrap())
    }

    #[test]
    fn seal_then_open_returns_the_offer() {
        let key = key();
        let context = SealContext::bid("T-1", "1", "ed25519:bidder");
        let envelope = seal(b"price=100", &context, &key.public_point(), &SystemRandom::new()).unwrap();
        assert_eq!(open(&envelope, &context, &key).unwrap(), b"price=100");
        assert_eq!(envelope.plaintext_len(), 9);
        let parsed = Envelope::from_canonical(&envelope.to_canonical().unwrap()).unwrap();
        assert_eq!(parsed, envelope);
    }

    #[test]
    fn wrong_key_version_or_ephemeral_key_is_refused() {
        let key = key();
        let context = SealContext::bid("T-1", "1", "b");
        let envelope = seal(b"x", &context, &key.public_point(), &SystemRandom::new()).unwrap();
        assert_eq!(open(&envelope, &context, &self::key()), Err(SealError::Rejected));
        let mut future = envelope.clone();
        future.version = 2;
        assert_eq!(open(&future, &context, &key), Err(SealError::UnsupportedVersion(2)));
        let mut compressed = envelope.clone();
        compressed.ephemeral_key = CurvePoint::from_sec1(&envelope.ephemeral_key)
            .unwrap()
            .to_compressed()
            .to_vec();
        assert_eq!(open(&compressed, &context, &key), Err(SealError::BadEphemeralKey));
        let mut identity = envelope;
        identity.ephemeral_key = vec![0];
        assert_eq!(open(&identity, &context, &key), Err(SealError::BadEphemeralKey));
    }

    #[test]
    fn unknown_suite_or_field_does_not_parse() {
        let key = key();
        let envelope = seal(
            b"x",
            &SealContext::bid("T", "1", "b"),
            &key.public_point(),
            &SystemRandom::new(),
        )
        .unwrap();
        let text = String::from_utf8(envelope.to_canonical().unwrap()).unwrap();
        let other_suite = text.replace("p256-hkdf-sha256-aes256gcm", "sm2-sm3-sm4");
        assert!(Envelope::from_canonical(other_suite.as_bytes()).is_err());
        let extra_field = text.replacen('{', r#"{"a":1,"#, 1);
        assert!(Envelope::from_canonical(extra_field.as_bytes()).is_err());
    }
}
