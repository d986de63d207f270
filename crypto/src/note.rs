//! C2SP signed notes with Ed25519 signatures (signature type 0x01), and the note key formats.
//!
//! A signed note is the text (UTF-8, ending in a newline), a blank line, then one line per
//! signature: `— <key name> <base64(key id ‖ signature)>`. The key id is the first 4 bytes of
//! SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key). Checkpoints are signed by node keys now and
//! co-signed by supervisors acting as witnesses later; [`cosign`] appends signatures.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::digest::{SHA256, digest};

use crate::identity::{IdentityKeyPair, PublicKey, Signature};

/// The signature-type byte of Ed25519 note keys.
const ED25519_TYPE: u8 = 0x01;
/// The start of every signature line: an em dash and a space.
const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";
/// The start of a signer (private) key.
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";
/// The largest signed note accepted.
pub const NOTE_BYTES_MAX: usize = 1_000_000;
/// The most signature lines accepted on one note.
pub const NOTE_SIGNATURES_MAX: usize = 100;

/// Why a note or a note key was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    /// The key text is not in the note key format.
    #[error("malformed note key")]
    MalformedKey,
    /// The key id in the key text does not match its name and public key.
    #[error("the note key's id does not match its name and key")]
    KeyIdMismatch,
    /// The note text is empty, lacks its final newline, or holds control characters.
    #[error("malformed note text: {0}")]
    MalformedText(&'static str),
    /// The signed note is not text, blank line, signature lines.
    #[error("malformed signed note: {0}")]
    MalformedNote(&'static str),
    /// A known key's signature does not verify.
    #[error("the signature by {0} does not verify")]
    BadSignature(String),
    /// Fewer signatures by trusted keys than required.
    #[error("{found} signatures by trusted keys; {required} required")]
    NotEnoughSignatures {
        /// Valid signatures by trusted keys.
        found: usize,
        /// How many the caller requires.
        required: usize,
    },
}

/// A key name: non-empty, no white space, no `+`.
pub(crate) fn check_key_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(NoteError::MalformedKey);
    }
    Ok(())
}

/// The 4-byte key id of an Ed25519 note key.
fn key_id(name: &str, public: &PublicKey) -> u32 {
    typed_key_id(name, ED25519_TYPE, public)
}

/// The 4-byte key id of a key of signature type `signature_type`: the first 4 bytes of
/// SHA-256(name ‖ 0x0A ‖ type ‖ public key).
pub(crate) fn typed_key_id(name: &str, signature_type: u8, public: &PublicKey) -> u32 {
    let mut input = name.as_bytes().to_vec();
    input.push(b'\n');
    input.push(signature_type);
    input.extend_from_slice(&public.0);
    let hash = digest(&SHA256, &input);
    let mut id = [0u8; 4];
    id.copy_from_slice(hash.as_ref().get(..4).unwrap_or(&[0; 4]));
    u32::from_be_bytes(id)
}

/// Splits `name+hexid+base64` and checks the name and the id's form.
fn split_key(text: &str) -> Result<(&str, u32, Vec<u8>), NoteError> {
    split_typed_key(text, ED25519_TYPE)
}

/// Splits `name+hexid+base64(type ‖ 32-byte key)` for keys of `signature_type`.
pub(crate) fn split_typed_key(text: &str, signature_type: u8) -> Result<(&str, u32, Vec<u8>), NoteError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id), Some(encoded)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::MalformedKey);
    };
    check_key_name(name)?;
    if id.len() != 8
        || !id
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    {
        return Err(NoteError::MalformedKey);
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| NoteError::MalformedKey)?;
    let bytes = STANDARD.decode(encoded).map_err(|_| NoteError::MalformedKey)?;
    match bytes.split_first() {
        Some((&found, key)) if found == signature_type && key.len() == 32 => Ok((name, id, key.to_vec())),
        _ => Err(NoteError::MalformedKey),
    }
}

/// A key that verifies note signatures: `name+hexid+base64(0x01 ‖ public key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    /// The key's name (a node's or a witness's).
    pub name: String,
    /// The key id.
    pub key_id: u32,
    /// The Ed25519 public key.
    pub public_key: PublicKey,
}

impl NoteVerifier {
    /// A verifier for `public_key` under `name`.
    pub fn new(name: &str, public_key: PublicKey) -> Result<Self, NoteError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.into(),
            key_id: key_id(name, &public_key),
            public_key,
        })
    }

    /// Parses the verifier key text.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let (name, id, key) = split_key(text)?;
        let public_key = PublicKey(key.try_into().map_err(|_| NoteError::MalformedKey)?);
        let verifier = Self::new(name, public_key)?;
        if verifier.key_id != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(verifier)
    }
}

impl std::fmt::Display for NoteVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&key_text(&self.name, self.key_id, ED25519_TYPE, &self.public_key))
    }
}

/// A verifier key's text: `name+hexid+base64(type ‖ public key)`.
pub(crate) fn key_text(name: &str, key_id: u32, signature_type: u8, public_key: &PublicKey) -> String {
    let mut bytes = vec![signature_type];
    bytes.extend_from_slice(&public_key.0);
    format!("{name}+{key_id:08x}+{}", STANDARD.encode(bytes))
}

/// A key that signs notes.
#[derive(Debug)]
pub struct NoteSigner {
    /// The matching verifier (name, id, public key).
    verifier: NoteVerifier,
    /// The Ed25519 key pair.
    key_pair: IdentityKeyPair,
}

impl NoteSigner {
    /// A signer named `name` with `key_pair` (a node's identity key, say).
    pub fn new(name: &str, key_pair: IdentityKeyPair) -> Result<Self, NoteError> {
        Ok(Self {
            verifier: NoteVerifier::new(name, key_pair.public_key())?,
            key_pair,
        })
    }

    /// Parses the signer key text `PRIVATE+KEY+name+hexid+base64(0x01 ‖ seed)`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let rest = text.strip_prefix(PRIVATE_KEY_PREFIX).ok_or(NoteError::MalformedKey)?;
        let (name, id, seed) = split_key(rest)?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| NoteError::MalformedKey)?;
        let key_pair = IdentityKeyPair::from_seed(&seed).map_err(|_| NoteError::MalformedKey)?;
        let signer = Self::new(name, key_pair)?;
        if signer.verifier.key_id != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(signer)
    }

    /// The key that verifies this signer's signatures.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// This signer's signature line for `text`.
    fn signature_line(&self, text: &str) -> String {
        NoteSignature {
            name: self.verifier.name.clone(),
            key_id: self.verifier.key_id,
            signature: self.key_pair.sign(text.as_bytes()).0.to_vec(),
        }
        .to_line()
    }
}

/// One signature on a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's key name.
    pub name: String,
    /// The signer's key id.
    pub key_id: u32,
    /// The signature bytes (64 for Ed25519; other lengths are other algorithms' and are kept
    /// so that a note can be re-emitted unchanged).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature's line on a note, `— name base64(id ‖ signature)` and a newline, as
    /// [`parse`] read it.
    pub fn to_line(&self) -> String {
        let mut bytes = self.key_id.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.signature);
        format!("{SIGNATURE_LINE_PREFIX}{} {}\n", self.name, STANDARD.encode(bytes))
    }
}

/// A parsed signed note; parsing checks the form, [`Note::verify`] the signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// Its signatures, in order.
    pub signatures: Vec<NoteSignature>,
}

/// Checks that note text is non-empty, ends in a newline and has no other control characters.
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::MalformedText("the text must end with a newline"));
    }
    if text
        .chars()
        .any(|character| character.is_control() && character != '\n')
    {
        return Err(NoteError::MalformedText("the text holds a control character"));
    }
    Ok(())
}

/// Signs `text` with every signer in turn.
pub fn sign(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    check_text(text)?;
    let mut note = format!("{text}\n");
    signers
        .iter()
        .for_each(|signer| note.push_str(&signer.signature_line(text)));
    Ok(note)
}

/// Appends the signatures of `signers` to an already signed note (a witness co-signing).
pub fn cosign(signed_note: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    let note = parse(signed_note)?;
    let mut cosigned = signed_note.to_string();
    signers
        .iter()
        .for_each(|signer| cosigned.push_str(&signer.signature_line(&note.text)));
    parse(&cosigned)?;
    Ok(cosigned)
}

/// Parses a signed note's form without checking any signature.
pub fn parse(signed_note: &str) -> Result<Note, NoteError> {
    if signed_note.len() > NOTE_BYTES_MAX {
        return Err(NoteError::MalformedNote("the note is too large"));
    }
    let split = signed_note
        .rfind("\n\n")
        .ok_or(NoteError::MalformedNote("no blank line before the signatures"))?;
    let (text, signature_block) = signed_note.split_at(split + 1);
    let signature_block = signature_block.strip_prefix('\n').unwrap_or(signature_block);
    check_text(text)?;
    let lines = signature_block
        .strip_suffix('\n')
        .ok_or(NoteError::MalformedNote("the signatures must end with a newline"))?
        .split('\n');
    let signatures = lines.map(parse_signature_line).collect::<Result<Vec<_>, _>>()?;
    if signatures.is_empty() || signatures.len() > NOTE_SIGNATURES_MAX {
        return Err(NoteError::MalformedNote("a note has 1 to 100 signatures"));
    }
    Ok(Note {
        text: text.into(),
        signatures,
    })
}

/// Parses `— name base64(id ‖ signature)`.
fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    let rest = line
        .strip_prefix(SIGNATURE_LINE_PREFIX)
        .ok_or(NoteError::MalformedNote("a signature line must start with an em dash"))?;
    let (name, encoded) = rest
        .split_once(' ')
        .ok_or(NoteError::MalformedNote("a signature line has a name and a signature"))?;
    check_key_name(name).map_err(|_| NoteError::MalformedNote("bad key name on a signature line"))?;
    let bytes = STANDARD
        .decode(encoded)
        .map_err(|_| NoteError::MalformedNote("bad base64 on a signature line"))?;
    if bytes.len() < 5 {
        return Err(NoteError::MalformedNote(
            "a signature is a 4-byte key id and at least one byte",
        ));
    }
    let (id, signature) = bytes.split_at(4);
    let mut id_bytes = [0u8; 4];
    id_bytes.copy_from_slice(id);
    Ok(NoteSignature {
        name: name.into(),
        key_id: u32::from_be_bytes(id_bytes),
        signature: signature.to_vec(),
    })
}

impl Note {
    /// Checks the signatures by `trusted` keys (others are ignored) and returns the keys that
    /// signed. Any trusted key's bad signature is an error, and so are fewer than `required`
    /// distinct trusted signers.
    pub fn verify<'a>(&self, trusted: &'a [NoteVerifier], required: usize) -> Result<Vec<&'a NoteVerifier>, NoteError> {
        let mut signers: Vec<&NoteVerifier> = Vec::new();
        for signature in &self.signatures {
            let Some(key) = trusted
                .iter()
                .find(|key| key.name == signature.name && key.key_id == signature.key_id)
            else {
                continue;
            };
            let bytes: [u8; 64] = signature
                .signature
                .as_slice()
                .try_into()
                .map_err(|_| NoteError::BadSignature(key.name.clone()))?;
            key.public_key
                .verify(self.text.as_bytes(), &Signature(bytes))
                .map_err(|_| NoteError::BadSignature(key.name.clone()))?;
            if !signers.contains(&key) {
                signers.push(key);
            }
        }
        if signers.len() < required.max(1) {
            return Err(NoteError::NotEnoughSignatures {
                found: signers.len(),
                required: required.max(1),
            });
        }
        Ok(signers)
    }
}
