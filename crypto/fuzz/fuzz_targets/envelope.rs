//! Envelope parsing: any input either fails to parse or is canonical (re-encodes to itself),
//! and opening a parsed envelope never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::seal::{Envelope, OpeningKey, SealContext, open};

fuzz_target!(|bytes: &[u8]| {
    let Ok(envelope) = Envelope::from_canonical(bytes) else { return };
    assert_eq!(envelope.to_canonical().ok().as_deref(), Some(bytes), "a parsed envelope is canonical");
    if let Ok(secret) = CurveScalar::from_bytes(&[0x11; 32]) {
        let _ = open(&envelope, &SealContext::bid("T", "1", "b"), &OpeningKey::new(secret));
    }
});
