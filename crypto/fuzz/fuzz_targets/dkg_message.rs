//! Key-generation message parsing: any input either fails to parse or is canonical, and the
//! public checks on a parsed message never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{CommitteeOutcome, CommitteeParameters, DkgMessage};

fuzz_target!(|bytes: &[u8]| {
    let Ok(message) = DkgMessage::from_canonical(bytes) else { return };
    assert_eq!(message.to_canonical().ok().as_deref(), Some(bytes), "a parsed message is canonical");
    let points: Vec<_> = (1u8..=3)
        .filter_map(|seed| CurveScalar::from_bytes(&[seed; 32]).ok())
        .map(|scalar| scalar.public_point())
        .collect();
    let parameters = CommitteeParameters { session: "T".into(), threshold: 2, member_keys: points.clone() };
    match message {
        DkgMessage::Dealing(dealing) => {
            let _ = dealing.check_form(&parameters);
        }
        DkgMessage::Response(response) => {
            let _ = sealbid_crypto::dkg::finish(&parameters, &[], &[response]);
        }
        DkgMessage::ReleasedShare(share) => {
            let outcome = CommitteeOutcome {
                session: "T".into(),
                threshold: 2,
                member_count: 3,
                opening_key: points[0],
                qualified_dealers: vec![1, 2, 3],
                commitments: points[..2].to_vec(),
                faults: vec![],
            };
            let _ = outcome.verify_share(&share);
            let _ = outcome.rebuild(&[share.clone(), share]);
        }
    }
});
