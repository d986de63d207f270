//! Receipt parsing: any input either fails to parse or is canonical, and verifying a parsed
//! receipt never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::note::NoteVerifier;
use sealbid_crypto::receipt::Receipt;

fuzz_target!(|bytes: &[u8]| {
    let Ok(receipt) = Receipt::from_canonical(bytes) else { return };
    assert_eq!(receipt.to_canonical().ok().as_deref(), Some(bytes), "a parsed receipt is canonical");
    let Ok(key) = IdentityKeyPair::from_seed(&[2; 32]) else { return };
    if let Ok(verifier) = NoteVerifier::new("node-1", key.public_key()) {
        let _ = receipt.verify("sealbid.test/log", &[verifier], 1);
    }
});
