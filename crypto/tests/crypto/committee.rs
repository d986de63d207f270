//! The opening committee's key generation and the rebuilding of the key.

use proptest::prelude::*;
use ring::rand::SystemRandom;
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{
    CommitteeOutcome, CommitteeParameters, Complaint, Dealing, DkgError, DkgMessage, Fault, ReleasedShare, Response,
    finish, member_share,
};
use sealbid_crypto::seal::{OpeningKey, SealContext, open, seal};

/// A committee with fresh member keys.
struct Committee {
    parameters: CommitteeParameters,
    keys: Vec<OpeningKey>,
}

impl Committee {
    fn new(threshold: u16, members: u16) -> Self {
        let random = SystemRandom::new();
        let keys: Vec<OpeningKey> = (0..members)
            .map(|_| OpeningKey::new(CurveScalar::random(&random).unwrap()))
            .collect();
        let parameters = CommitteeParameters {
            session: "tender-2026-0042".into(),
            threshold,
            member_keys: keys.iter().map(OpeningKey::public_point).collect(),
        };
        Self { parameters, keys }
    }

    fn key(&self, member: u16) -> &OpeningKey {
        &self.keys[usize::from(member) - 1]
    }

    fn deal(&self) -> Vec<Dealing> {
        self.parameters
            .members()
            .map(|dealer| Dealing::create(&self.parameters, dealer, &SystemRandom::new()).unwrap())
            .collect()
    }

    fn respond(&self, dealings: &[Dealing]) -> Vec<Response> {
        self.parameters
            .members()
            .map(|member| {
                Response::create(
                    &self.parameters,
                    member,
                    self.key(member),
                    dealings,
                    &SystemRandom::new(),
                )
                .unwrap()
            })
            .collect()
    }

    fn shares(&self, outcome: &CommitteeOutcome, dealings: &[Dealing]) -> Vec<ReleasedShare> {
        self.parameters
            .members()
            .map(|member| member_share(&self.parameters, outcome, dealings, member, self.key(member)).unwrap())
            .collect()
    }
}

/// Replaces dealer `dealer`'s sealed share for `recipient` with a wrong value, sealed and proven
/// as an honest share would be: only the recipient can tell.
fn corrupt_share(committee: &Committee, dealings: &mut [Dealing], dealer: u16, recipient: u16) {
    let wrong = CurveScalar::random(&SystemRandom::new()).unwrap().to_bytes();
    let (envelope, proof) =
        Dealing::seal_share(&committee.parameters, dealer, recipient, &wrong, &SystemRandom::new()).unwrap();
    let dealing = &mut dealings[usize::from(dealer) - 1];
    dealing.shares[usize::from(recipient) - 1] = envelope;
    dealing.share_proofs[usize::from(recipient) - 1] = proof;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn any_t_shares_rebuild_the_key_and_t_minus_1_do_not(
        (threshold, members) in (1u16..=7).prop_flat_map(|members| (1..=members, Just(members))),
        order in any::<prop::sample::Index>(),
    ) {
        let committee = Committee::new(threshold, members);
        let dealings = committee.deal();
        let responses = committee.respond(&dealings);
        prop_assert!(responses.iter().all(|response| response.complaints.is_empty()));
        let outcome = finish(&committee.parameters, &dealings, &responses).unwrap();
        prop_assert!(outcome.faults.is_empty());
        prop_assert_eq!(outcome.qualified_dealers.len(), usize::from(members));
        let shares = committee.shares(&outcome, &dealings);

        // Two different subsets of t shares (rotated by a random offset) give the same key.
        let rotation = order.index(usize::from(members));
        let mut rotated = shares.clone();
        rotated.rotate_left(rotation);
        let first = outcome.rebuild(&shares[..usize::from(threshold)]).unwrap();
        let second = outcome.rebuild(&rotated[..usize::from(threshold)]).unwrap();
        prop_assert_eq!(first.public_point(), outcome.opening_key);
        prop_assert_eq!(first.secret(), second.secret());

        // A bid sealed to Y opens with the rebuilt key.
        let context = SealContext::bid(&committee.parameters.session, "1", "bidder");
        let envelope = seal(b"price=42", &context, &outcome.opening_key, &SystemRandom::new()).unwrap();
        prop_assert_eq!(open(&envelope, &context, &second).unwrap(), b"price=42".to_vec());

        // t-1 shares are refused, and even interpolated as if they sufficed they miss the key.
        let too_few = &rotated[..usize::from(threshold) - 1];
        prop_assert_eq!(
            outcome.rebuild(too_few).unwrap_err(),
            DkgError::NotEnoughShares { valid: usize::from(threshold) - 1, threshold }
        );
        if threshold >= 2 {
            let mut pretend = outcome.clone();
            pretend.threshold = threshold - 1;
            prop_assert_eq!(pretend.rebuild(too_few).unwrap_err(), DkgError::KeyMismatch);
        }
    }

    #[test]
    fn a_corrupted_share_is_detected_and_attributed(
        (threshold, members) in (2u16..=6).prop_flat_map(|members| (1..members, Just(members))),
        dealer_pick in any::<prop::sample::Index>(),
        recipient_pick in any::<prop::sample::Index>(),
    ) {
        let committee = Committee::new(threshold, members);
        let mut dealings = committee.deal();
        let dealer = dealer_pick.index(usize::from(members)) as u16 + 1;
        let recipient = recipient_pick.index(usize::from(members)) as u16 + 1;
        corrupt_share(&committee, &mut dealings, dealer, recipient);
        let responses = committee.respond(&dealings);
        let complaints: Vec<(u16, u16)> = responses
            .iter()
            .flat_map(|response| response.complaints.iter().map(move |complaint| (response.member, complaint.dealer)))
            .collect();
        prop_assert_eq!(complaints, vec![(recipient, dealer)]);
        let outcome = finish(&committee.parameters, &dealings, &responses).unwrap();
        prop_assert_eq!(outcome.faults.clone(), vec![Fault::BadShare { dealer, recipient }]);
        prop_assert!(!outcome.qualified_dealers.contains(&dealer));
        let shares = committee.shares(&outcome, &dealings);
        let key = outcome.rebuild(&shares[..usize::from(threshold)]).unwrap();
        prop_assert_eq!(key.public_point(), outcome.opening_key);
    }

    #[test]
    fn a_corrupted_released_share_is_named(
        (threshold, members) in (1u16..=6).prop_flat_map(|members| (1..=members, Just(members))),
        culprit_pick in any::<prop::sample::Index>(),
    ) {
        let committee = Committee::new(threshold, members);
        let dealings = committee.deal();
        let outcome = finish(&committee.parameters, &dealings, &committee.respond(&dealings)).unwrap();
        let mut shares = committee.shares(&outcome, &dealings);
        let culprit = culprit_pick.index(usize::from(members));
        shares[culprit].share = CurveScalar::random(&SystemRandom::new()).unwrap();
        let member = shares[culprit].member;
        prop_assert_eq!(outcome.verify_share(&shares[culprit]), Err(DkgError::InvalidShare { member }));
        prop_assert_eq!(outcome.rebuild(&shares).unwrap_err(), DkgError::InvalidShare { member });
    }
}

#[test]
fn a_malformed_dealing_is_attributed_to_its_dealer() {
    let committee = Committee::new(2, 4);
    let mut dealings = committee.deal();
    dealings[2].commitments.pop();
    dealings[3].shares.pop();
    let responses = committee.respond(&dealings);
    assert!(
        responses.iter().all(|response| response.complaints.is_empty()),
        "malformed dealings are public, no complaint needed"
    );
    let outcome = finish(&committee.parameters, &dealings, &responses).unwrap();
    let at_fault: Vec<u16> = outcome.faults.iter().map(Fault::member).collect();
    assert_eq!(at_fault, vec![3, 4]);
    assert!(matches!(outcome.faults[0], Fault::MalformedDealing { dealer: 3, .. }));
    assert_eq!(outcome.qualified_dealers, vec![1, 2]);
}

#[test]
fn a_copied_ephemeral_key_or_a_rogue_commitment_is_refused_before_any_complaint() {
    let committee = Committee::new(2, 3);
    // Dealer 1 copies dealer 3's envelope for member 2, hoping member 2's complaint would
    // reveal dealer 3's share: the envelope's proof is bound to dealer 3.
    let mut dealings = committee.deal();
    dealings[0].shares[1] = dealings[2].shares[1].clone();
    dealings[0].share_proofs[1] = dealings[2].share_proofs[1].clone();
    let error = dealings[0].check_form(&committee.parameters).unwrap_err();
    assert!(
        matches!(
            error,
            DkgError::Faulty {
                fault: Fault::MalformedDealing { dealer: 1, .. }
            }
        ),
        "{error}"
    );

    // Dealer 1 replaces its constant term to cancel the others' (a rogue key): it cannot
    // prove knowledge of the new one.
    let mut dealings = committee.deal();
    dealings[0].commitments[0] = CurveScalar::random(&SystemRandom::new()).unwrap().public_point();
    let responses = committee.respond(&dealings);
    assert!(responses.iter().all(|response| response.complaints.is_empty()));
    let outcome = finish(&committee.parameters, &dealings, &responses).unwrap();
    assert!(
        matches!(outcome.faults[..], [Fault::MalformedDealing { dealer: 1, .. }]),
        "{:?}",
        outcome.faults
    );
    assert_eq!(outcome.qualified_dealers, vec![2, 3]);

    // A share envelope of the wrong length is malformed too.
    let mut dealings = committee.deal();
    dealings[1].shares[0].ciphertext.push(0);
    assert!(dealings[1].check_form(&committee.parameters).is_err());
}

#[test]
fn altered_commitments_convict_the_dealer_through_every_complaint() {
    let committee = Committee::new(2, 3);
    let mut dealings = committee.deal();
    dealings[0].commitments[1] = CurveScalar::random(&SystemRandom::new()).unwrap().public_point();
    let responses = committee.respond(&dealings);
    let outcome = finish(&committee.parameters, &dealings, &responses).unwrap();
    let expected: Vec<Fault> = (1..=3)
        .map(|recipient| Fault::BadShare { dealer: 1, recipient })
        .collect();
    assert_eq!(outcome.faults, expected);
    assert_eq!(outcome.qualified_dealers, vec![2, 3]);
}

#[test]
fn a_false_complaint_convicts_the_accuser_and_the_dealing_stands() {
    let committee = Committee::new(2, 3);
    let dealings = committee.deal();
    let mut responses = committee.respond(&dealings);
    // Member 3 complains about dealer 1's share, which is in fact valid: the revealed shared
    // point and its proof are genuine, so anyone can open the share and see it matches.
    let complaint = Complaint::create(&dealings[0], 3, committee.key(3), &SystemRandom::new()).unwrap();
    responses[2].complaints.push(complaint);
    let outcome = finish(&committee.parameters, &dealings, &responses).unwrap();
    assert_eq!(outcome.faults, vec![Fault::FalseComplaint { accuser: 3, dealer: 1 }]);
    assert_eq!(outcome.qualified_dealers, vec![1, 2, 3]);

    // A complaint about a really bad share, but whose proof is altered, is the accuser's fault.
    let mut forged = dealings.clone();
    corrupt_share(&committee, &mut forged, 1, 3);
    let mut responses = committee.respond(&forged);
    let mut complaint = responses[2].complaints.remove(0);
    complaint.proof.challenge = CurveScalar::random(&SystemRandom::new()).unwrap();
    responses[2].complaints.push(complaint);
    let outcome = finish(&committee.parameters, &forged, &responses).unwrap();
    assert_eq!(outcome.faults, vec![Fault::FalseComplaint { accuser: 3, dealer: 1 }]);
}

#[test]
fn equivocation_and_too_few_qualified_dealers() {
    let committee = Committee::new(3, 3);
    let mut dealings = committee.deal();
    dealings.push(Dealing::create(&committee.parameters, 2, &SystemRandom::new()).unwrap());
    let outcome = finish(&committee.parameters, &dealings, &[]);
    assert_eq!(
        outcome.unwrap_err(),
        DkgError::NotEnoughQualifiedDealers {
            qualified: 2,
            threshold: 3
        }
    );
    let committee = Committee::new(2, 3);
    let mut dealings = committee.deal();
    dealings.push(Dealing::create(&committee.parameters, 2, &SystemRandom::new()).unwrap());
    let outcome = finish(&committee.parameters, &dealings, &[]).unwrap();
    assert_eq!(outcome.faults, vec![Fault::Equivocation { dealer: 2 }]);
    assert_eq!(outcome.qualified_dealers, vec![1, 3]);
}

#[test]
fn bad_parameters_and_foreign_messages_are_refused() {
    let committee = Committee::new(2, 3);
    for (threshold, members) in [(0u16, 3usize), (4, 3), (1, 0), (1, 65)] {
        let mut parameters = committee.parameters.clone();
        parameters.threshold = threshold;
        parameters.member_keys = (0..members).map(|index| parameters.member_keys[index % 3]).collect();
        assert!(
            matches!(parameters.validate(), Err(DkgError::BadParameters(_))),
            "t={threshold} n={members}"
        );
    }
    assert_eq!(
        Dealing::create(&committee.parameters, 4, &SystemRandom::new()).unwrap_err(),
        DkgError::NotAMember(4)
    );
    let mut other = committee.parameters.clone();
    other.session = "another-tender".into();
    let foreign = Dealing::create(&other, 1, &SystemRandom::new()).unwrap();
    assert!(matches!(
        foreign.check_form(&committee.parameters),
        Err(DkgError::WrongSession { .. })
    ));
}

#[test]
fn thirty_two_members_threshold_seventeen() {
    let committee = Committee::new(17, 32);
    let dealings = committee.deal();
    let responses = committee.respond(&dealings);
    let outcome = finish(&committee.parameters, &dealings, &responses).unwrap();
    let shares = committee.shares(&outcome, &dealings);
    let key = outcome.rebuild(&shares[15..]).unwrap();
    assert_eq!(key.public_point(), outcome.opening_key);
}

#[test]
fn messages_round_trip_through_canonical_json() {
    let committee = Committee::new(2, 3);
    let dealings = committee.deal();
    let responses = committee.respond(&dealings);
    let outcome = finish(&committee.parameters, &dealings, &responses).unwrap();
    let share = member_share(&committee.parameters, &outcome, &dealings, 2, committee.key(2)).unwrap();
    for message in [
        DkgMessage::Dealing(dealings[0].clone()),
        DkgMessage::Response(responses[0].clone()),
        DkgMessage::ReleasedShare(share),
    ] {
        let bytes = message.to_canonical().unwrap();
        assert_eq!(DkgMessage::from_canonical(&bytes).unwrap(), message);
    }
    assert!(DkgMessage::from_canonical(br#"{"dealing":{}}"#).is_err());
}

#[test]
fn a_member_proves_it_holds_its_share_and_a_forged_or_foreign_proof_is_refused() {
    use sealbid_crypto::dkg::ReadinessProof;
    let committee = Committee::new(2, 3);
    let dealings = committee.deal();
    let outcome = finish(&committee.parameters, &dealings, &committee.respond(&dealings)).unwrap();
    let shares = committee.shares(&outcome, &dealings);
    let random = SystemRandom::new();
    let deadline_ms = 1_800_000_000_000;
    for share in &shares {
        let proof = ReadinessProof::create(share, deadline_ms, &random).unwrap();
        outcome.verify_readiness(&proof, deadline_ms).unwrap();
        // Bound to the deadline and the member: not valid for another of either.
        assert_eq!(
            outcome.verify_readiness(&proof, deadline_ms + 1),
            Err(DkgError::BadReadinessProof { member: share.member })
        );
        let mut other_member = proof.clone();
        other_member.member = share.member % 3 + 1;
        assert_eq!(
            outcome.verify_readiness(&other_member, deadline_ms),
            Err(DkgError::BadReadinessProof {
                member: other_member.member
            })
        );
    }
    // A member that lost its share cannot prove with another secret.
    let mut lost = shares[0].clone();
    lost.share = CurveScalar::random(&random).unwrap();
    let forged = ReadinessProof::create(&lost, deadline_ms, &random).unwrap();
    assert_eq!(
        outcome.verify_readiness(&forged, deadline_ms),
        Err(DkgError::BadReadinessProof { member: 1 })
    );
    let mut foreign = ReadinessProof::create(&shares[1], deadline_ms, &random).unwrap();
    foreign.session = "another-tender".into();
    assert!(matches!(
        outcome.verify_readiness(&foreign, deadline_ms),
        Err(DkgError::WrongSession { .. })
    ));
    foreign.session = outcome.session.clone();
    foreign.member = 4;
    assert_eq!(
        outcome.verify_readiness(&foreign, deadline_ms),
        Err(DkgError::NotAMember(4))
    );
}
