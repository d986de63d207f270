//! Signed-note parsing and verification never panic; a parsed note's text is well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::note::{self, NoteVerifier};

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let _ = NoteVerifier::parse(text);
    let Ok(parsed) = note::parse(text) else { return };
    assert!(parsed.text.ends_with('\n'));
    assert!(!parsed.signatures.is_empty());
    let verifier = IdentityKeyPair::from_seed(&[2; 32]).ok().and_then(|key| NoteVerifier::new("node-1", key.public_key()).ok());
    if let Some(verifier) = verifier {
        let _ = parsed.verify(&[verifier], 1);
    }
    if let Ok(checkpoint) = Checkpoint::parse(&parsed.text) {
        assert_eq!(checkpoint.to_text(), parsed.text, "a parsed checkpoint re-encodes to itself");
    }
});
