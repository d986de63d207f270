//! Sealed envelopes: an offer encrypted to a tender's opening key so that nobody can read it
//! before the committee rebuilds that key after the close.
//!
//! Suite 1 (`p256-hkdf-sha256-aes256gcm`): an ephemeral P-256 key from ring agrees a secret with
//! the opening key Y; HKDF-SHA256 (salt: ephemeral key ‖ Y, info: label ‖ 0x00 ‖ context)
//! derives a 32-byte AES-256-GCM key and a 12-byte nonce; the context's canonical JSON is also
//! the AEAD's associated data. A fresh ephemeral key per envelope makes every key and nonce
//! single-use. Changing the tender, lot, bidder or kind makes [`open`] fail.
//!
//! Offers (a bid, a reserve price) are padded to the suite's fixed length before they are sealed
//! ([`seal_offer`], [`open_offer`]; the scheme is in [`crate::padding`]), and a ledger accepts an
//! offer's envelope only at exactly that length ([`Envelope::check_offer_form`]).
//!
//! The envelope carries a version and a suite id, so that other suites (a national SM2/SM3/SM4
//! suite is planned) can be added without breaking envelopes already in the log.

use ring::rand::SecureRandom;
use ring::{aead, agreement, hkdf};
use serde::{Deserialize, Serialize};

use crate::curve::{CurvePoint, CurveScalar, batch};
use crate::encoding::{EncodingError, from_canonical, to_canonical};
use crate::padding::{PaddingError, pad, unpad};

/// The HKDF info label of suite 1.
const SUITE_1_LABEL: &[u8] = b"sealbid/envelope/v1";
/// The envelope format version this code writes and reads.
pub const ENVELOPE_VERSION: u8 = 1;
/// Bytes of key material HKDF derives: a 32-byte AES key then a 12-byte nonce.
const DERIVED_KEY_BYTES: usize = 32;
const DERIVED_NONCE_BYTES: usize = 12;
/// Bytes of AES-GCM tag appended to every ciphertext.
pub const TAG_BYTES: usize = 16;
/// Suite 1's padded offer length: the longest offer the ledger can write (a coal/coke bid with
/// 32-character tender and lot ids and 16-digit price and quantity) is 213 bytes.
const SUITE_1_PADDED_OFFER_BYTES: usize = 256;

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
    /// An offer's envelope whose ciphertext is not the suite's padded length plus the tag.
    #[error("the offer's ciphertext has {bytes} bytes; under its suite it has exactly {expected}")]
    OfferLength {
        /// The ciphertext's length.
        bytes: usize,
        /// The padded offer length plus the tag.
        expected: usize,
    },
    /// The offer could not be padded, or its padding did not read back.
    #[error(transparent)]
    Padding(#[from] PaddingError),
    /// Decryption failed: wrong key, wrong context, or the envelope was altered.
    #[error("the envelope does not open with this key and context")]
    Rejected,
    /// The context or envelope could not be encoded or parsed.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
}

/// The cipher suites an envelope can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Suite {
    /// Ephemeral ECDH P-256, HKDF-SHA256, AES-256-GCM.
    #[serde(rename = "p256-hkdf-sha256-aes256gcm")]
    P256HkdfSha256Aes256Gcm,
}

impl Suite {
    /// The length every offer is padded to before it is sealed under this suite.
    pub const fn padded_offer_bytes(self) -> usize {
        match self {
            Self::P256HkdfSha256Aes256Gcm => SUITE_1_PADDED_OFFER_BYTES,
        }
    }

    /// The exact ciphertext length of an offer's envelope under this suite.
    pub const fn offer_ciphertext_bytes(self) -> usize {
        self.padded_offer_bytes() + TAG_BYTES
    }
}

/// What an envelope holds; part of the context, so an envelope cannot be replayed as another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    ///
    /// Every opened envelope needs them, so they are written directly: members in RFC 8785's
    /// order, strings escaped as RFC 8785 escapes them (serde_json's escaping is the same set:
    /// `"`, `\`, and control characters as `\b \f \n \r \t` or `\u00xx`), the version a small
    /// integer. A test holds them equal to [`to_canonical`]'s bytes for any strings.
    pub fn associated_data(&self, suite: Suite) -> Result<Vec<u8>, EncodingError> {
        /// The context's members in RFC 8785 order.
        #[derive(Serialize)]
        struct Context<'a> {
            bidder: &'a str,
            kind: EnvelopeKind,
            lot: &'a str,
            tender: &'a str,
        }
        /// The bound members in RFC 8785 order.
        #[derive(Serialize)]
        struct Bound<'a> {
            context: Context<'a>,
            suite: Suite,
            version: u8,
        }
        serde_json::to_vec(&Bound {
            context: Context {
                bidder: &self.bidder,
                kind: self.kind,
                lot: &self.lot,
                tender: &self.tender,
            },
            suite,
            version: ENVELOPE_VERSION,
        })
        .map_err(|error| EncodingError::Encode(error.to_string()))
    }
}

/// A sealed offer: only the holder of the opening key can read it, and only under its context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Format version; [`ENVELOPE_VERSION`] today.
    pub version: u8,
    /// The cipher suite.
    pub suite: Suite,
    /// The sender's ephemeral P-256 public key, SEC1 uncompressed (65 bytes).
    #[serde(with = "crate::encoding::base64url")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub ephemeral_key: Vec<u8>,
    /// AES-256-GCM ciphertext with its 16-byte tag appended.
    #[serde(with = "crate::encoding::base64url")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
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

    /// SHA-256 of the envelope's canonical JSON bytes: what a bid signs instead of the envelope,
    /// so that the envelope can be erased and the signed bid still proves what it committed to.
    pub fn sha256(&self) -> Result<crate::merkle::Hash, SealError> {
        let bytes = self.to_canonical()?;
        let mut hash = [0u8; 32];
        hash.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref());
        Ok(crate::merkle::Hash(hash))
    }

    /// The checks possible on an offer's envelope without the key: the version is known, the
    /// ephemeral key is a valid P-256 point and the ciphertext is exactly the suite's padded
    /// offer length plus the tag. A ledger runs them when it accepts a bid or a reserve price.
    pub fn check_offer_form(&self) -> Result<(), SealError> {
        self.offer_ephemeral_key().map(|_| ())
    }

    /// [`Envelope::check_offer_form`]'s checks, returning the parsed ephemeral key.
    fn offer_ephemeral_key(&self) -> Result<CurvePoint, SealError> {
        let ephemeral = parse_ephemeral_key(self)?;
        let expected = self.suite.offer_ciphertext_bytes();
        if self.ciphertext.len() != expected {
            return Err(SealError::OfferLength {
                bytes: self.ciphertext.len(),
                expected,
            });
        }
        Ok(ephemeral)
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

    /// The ECDH shared secrets (x coordinates of `secret · ephemeral`) for many ephemeral keys,
    /// in order. A disclosed key multiplies them together when there are enough of them
    /// (`curve::batch`: one scalar recoding and one field inversion per step for all of them);
    /// otherwise, and always for a key that must stay secret, one by one as [`open`] does.
    pub(crate) fn shared_secrets(&self, ephemerals: &[CurvePoint]) -> Vec<Result<[u8; 32], SealError>> {
        if self.variable_time && ephemerals.len() >= BATCH_POINTS_MIN {
            let batched = batch::Plan::new(&self.secret).and_then(|plan| batch::multiply_all(&plan, ephemerals).ok());
            if let Some(secrets) = batched {
                return secrets.into_iter().map(Ok).collect();
            }
        }
        ephemerals
            .iter()
            .map(|ephemeral| Ok(self.shared_point(ephemeral)?.x_coordinate()))
            .collect()
    }
}

/// Below this many envelopes a batch's per-step inversion costs more than it saves (measured in
/// crypto/BENCHMARKS.md); they are opened one by one.
const BATCH_POINTS_MIN: usize = 16;

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

/// Seals an offer (a bid, a reserve price): pads it to the suite's fixed length, then seals it.
/// An offer with no room left for the padding's end marker is refused.
pub fn seal_offer(
    offer: &[u8],
    context: &SealContext,
    recipient: &CurvePoint,
    random: &dyn SecureRandom,
) -> Result<Envelope, SealError> {
    let padded = pad(offer, Suite::P256HkdfSha256Aes256Gcm.padded_offer_bytes())?;
    seal(&padded, context, recipient, random)
}

/// Opens an offer's envelope: checks its length, opens it and removes the padding.
pub fn open_offer(envelope: &Envelope, context: &SealContext, key: &OpeningKey) -> Result<Vec<u8>, SealError> {
    let ephemeral = envelope.offer_ephemeral_key()?;
    let shared = key.shared_point(&ephemeral)?;
    let plaintext = open_with_shared_secret(
        envelope,
        context,
        &key.public_point().to_uncompressed(),
        &shared.x_coordinate(),
    )?;
    Ok(unpad(plaintext)?)
}

/// Opens many offers' envelopes sealed to one key, each under its own context: what
/// [`open_offer`] returns for each, in order, for less work than one call each (an opening key's
/// multiplications are shared, see [`OpeningKey::shared_secrets`]). An envelope that fails its
/// checks fails alone.
pub fn open_offers(envelopes: &[(&Envelope, &SealContext)], key: &OpeningKey) -> Vec<Result<Vec<u8>, SealError>> {
    let ephemerals: Vec<Result<CurvePoint, SealError>> = envelopes
        .iter()
        .map(|(envelope, _)| envelope.offer_ephemeral_key())
        .collect();
    let valid: Vec<CurvePoint> = ephemerals
        .iter()
        .filter_map(|point| point.as_ref().ok().copied())
        .collect();
    let recipient = key.public_point().to_uncompressed();
    let mut secrets = key.shared_secrets(&valid).into_iter();
    envelopes
        .iter()
        .zip(ephemerals)
        .map(|((envelope, context), ephemeral)| {
            ephemeral?;
            let secret = secrets.next().ok_or(SealError::BadEphemeralKey)??;
            Ok(unpad(open_with_shared_secret(envelope, context, &recipient, &secret)?)?)
        })
        .collect()
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
    open_with_shared_secret(
        envelope,
        context,
        &key.public_point().to_uncompressed(),
        &shared.x_coordinate(),
    )
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
    open_with_shared_secret(envelope, context, &recipient.to_uncompressed(), &shared.x_coordinate())
}

/// Suite 1's decryption once the ECDH shared secret is known; the caller parsed the ephemeral
/// key (once: [`open`], [`open_offer`] and [`open_offers`] each parse it a single time).
fn open_with_shared_secret(
    envelope: &Envelope,
    context: &SealContext,
    recipient_bytes: &[u8; 65],
    shared_secret: &[u8; 32],
) -> Result<Vec<u8>, SealError> {
    let context_bytes = context.associated_data(envelope.suite)?;
    let (key, nonce) = derive_key(shared_secret, &envelope.ephemeral_key, recipient_bytes, &context_bytes)?;
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
        assert_eq!(envelope.ciphertext.len(), 9 + TAG_BYTES);
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
    fn offers_of_any_length_seal_to_envelopes_of_one_length() {
        let key = key();
        let context = SealContext::bid("T-1", "1", "ed25519:bidder");
        let short = seal_offer(
            b"{\"price_fen\":9}",
            &context,
            &key.public_point(),
            &SystemRandom::new(),
        )
        .unwrap();
        let long_offer = [b'9'; SUITE_1_PADDED_OFFER_BYTES - 1];
        let long = seal_offer(&long_offer, &context, &key.public_point(), &SystemRandom::new()).unwrap();
        assert_eq!(short.ciphertext.len(), SUITE_1_PADDED_OFFER_BYTES + TAG_BYTES);
        assert_eq!(long.ciphertext.len(), short.ciphertext.len());
        assert_eq!(short.check_offer_form(), Ok(()));
        assert_eq!(open_offer(&short, &context, &key).unwrap(), b"{\"price_fen\":9}");
        assert_eq!(open_offer(&long, &context, &key).unwrap(), long_offer);
    }

    #[test]
    fn an_offer_too_long_to_pad_is_refused() {
        let key = key();
        let context = SealContext::bid("T-1", "1", "b");
        let result = seal_offer(
            &[b'9'; SUITE_1_PADDED_OFFER_BYTES],
            &context,
            &key.public_point(),
            &SystemRandom::new(),
        );
        assert_eq!(
            result,
            Err(SealError::Padding(PaddingError::TooLong {
                bytes: SUITE_1_PADDED_OFFER_BYTES,
                bytes_max: SUITE_1_PADDED_OFFER_BYTES - 1
            }))
        );
    }

    #[test]
    fn an_offer_envelope_of_another_length_is_refused_before_opening() {
        let key = key();
        let context = SealContext::bid("T-1", "1", "b");
        for length in [0, 8, 16, 17, 100, SUITE_1_PADDED_OFFER_BYTES + TAG_BYTES + 1] {
            let unpadded = seal(
                &vec![1; length.saturating_sub(TAG_BYTES)],
                &context,
                &key.public_point(),
                &SystemRandom::new(),
            )
            .unwrap();
            let mut envelope = unpadded;
            envelope.ciphertext.resize(length, 0);
            let refusal = || SealError::OfferLength {
                bytes: length,
                expected: SUITE_1_PADDED_OFFER_BYTES + TAG_BYTES,
            };
            assert_eq!(envelope.check_offer_form(), Err(refusal()), "length {length}");
            assert_eq!(open_offer(&envelope, &context, &key), Err(refusal()), "length {length}");
        }
    }

    #[test]
    fn an_envelope_of_the_right_length_without_padding_does_not_open_as_an_offer() {
        let key = key();
        let context = SealContext::bid("T-1", "1", "b");
        let envelope = seal(
            &[0; SUITE_1_PADDED_OFFER_BYTES],
            &context,
            &key.public_point(),
            &SystemRandom::new(),
        )
        .unwrap();
        assert_eq!(envelope.check_offer_form(), Ok(()));
        assert_eq!(
            open_offer(&envelope, &context, &key),
            Err(SealError::Padding(PaddingError::Malformed))
        );
    }

    /// A batch of `count` envelopes with every kind of failure mixed in, opened by `key`.
    fn mixed_batch(key: &OpeningKey, count: usize) -> (Vec<Envelope>, Vec<SealContext>) {
        let random = SystemRandom::new();
        let stranger = self::key();
        let mut envelopes = Vec::new();
        let mut contexts = Vec::new();
        for index in 0..count {
            let context = SealContext::bid("T-1", "1", &format!("bidder-{index}"));
            let offer = format!("{{\"price_fen\":{index}}}");
            let mut envelope = seal_offer(offer.as_bytes(), &context, &key.public_point(), &random).unwrap();
            match index % 7 {
                // Sealed to another key, under another context, cut short, altered, and an
                // ephemeral key off the curve.
                1 => envelope = seal_offer(offer.as_bytes(), &context, &stranger.public_point(), &random).unwrap(),
                2 => {
                    envelope = seal_offer(
                        offer.as_bytes(),
                        &SealContext::bid("T-1", "2", "x"),
                        &key.public_point(),
                        &random,
                    )
                    .unwrap()
                }
                3 => envelope.ciphertext.truncate(10),
                4 => envelope.ciphertext[0] ^= 1,
                5 => envelope.ephemeral_key[64] ^= 1,
                _ => {}
            }
            envelopes.push(envelope);
            contexts.push(context);
        }
        (envelopes, contexts)
    }

    #[test]
    fn a_batch_opens_each_envelope_as_open_offer_does() {
        let secret = CurveScalar::random(&SystemRandom::new()).unwrap();
        // Below and above the batch threshold, with a disclosed key and a secret one.
        for key in [OpeningKey::disclosed(secret), OpeningKey::new(secret)] {
            for count in [0, 1, BATCH_POINTS_MIN - 1, BATCH_POINTS_MIN, 3 * BATCH_POINTS_MIN + 5] {
                let (envelopes, contexts) = mixed_batch(&key, count);
                let requests: Vec<(&Envelope, &SealContext)> = envelopes.iter().zip(&contexts).collect();
                let expected: Vec<Result<Vec<u8>, SealError>> = requests
                    .iter()
                    .map(|(envelope, context)| open_offer(envelope, context, &key))
                    .collect();
                assert_eq!(open_offers(&requests, &key), expected, "{count} envelopes");
                let opened = expected.iter().filter(|result| result.is_ok()).count();
                assert_eq!(
                    opened,
                    count.div_ceil(7) + count.saturating_sub(6).div_ceil(7),
                    "{count} envelopes"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn associated_data_is_the_canonical_encoding(tender in ".*", lot in "\\PC*|[\\x00-\\x1f\"\\\\/]*", bidder in proptest::prelude::any::<String>()) {
            #[derive(Serialize)]
            struct Bound<'a> {
                context: &'a SealContext,
                suite: Suite,
                version: u8,
            }
            for kind in [EnvelopeKind::Bid, EnvelopeKind::ReservePrice, EnvelopeKind::CommitteeShare] {
                let context = SealContext { kind, tender: tender.clone(), lot: lot.clone(), bidder: bidder.clone() };
                let suite = Suite::P256HkdfSha256Aes256Gcm;
                let canonical = to_canonical(&Bound { context: &context, suite, version: ENVELOPE_VERSION }).unwrap();
                proptest::prop_assert_eq!(context.associated_data(suite).unwrap(), canonical);
            }
        }
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
