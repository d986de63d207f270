//! Every refusal is typed, and leaves the ledger exactly as it was: same state hash, same
//! audit log.

use std::rc::Rc;

use ring::rand::SystemRandom;
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{KnowledgeProof, ReleasedShare, member_share};
use sealbid_crypto::identity::{IdentityKeyPair, Signature};
use sealbid_crypto::seal::{SealContext, Suite, seal_offer};
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Action, Command, EntryBody, Genesis, LedgerConfig};
use sealbid_ledger::credit_code::CreditCodeError;
use sealbid_ledger::tender::Phase;
use sealbid_ledger::types::{LotId, Market, Role, TenderId};
use sealbid_ledger::{ApplyError, Fatal, Rejection};

use crate::support::{HOUR_MS, Harness, credit_code, lot};

/// Applies `body`, expects a rejection matching `expected`, and checks nothing changed.
pub(crate) fn refused(harness: &mut Harness, body: EntryBody, expected: impl Fn(&Rejection) -> bool) {
    let hash = harness.ledger.state_hash();
    let size = harness.ledger.audit().size();
    match harness.apply(body) {
        Err(ApplyError::Rejected(rejection)) => assert!(expected(&rejection), "unexpected rejection: {rejection}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(harness.ledger.state_hash(), hash, "a rejection changed the state");
    assert_eq!(harness.ledger.audit().size(), size, "a rejection reached the audit log");
}

/// Signs and applies `action` as `key`, expecting a refusal.
pub(crate) fn refused_command(
    harness: &mut Harness,
    key: &IdentityKeyPair,
    action: Action,
    expected: impl Fn(&Rejection) -> bool,
) {
    let message = harness.sign(key, action);
    let body = harness.received(message);
    refused(harness, body, expected);
}

/// A harness with one procurement tender in bidding, lot "1", committee 3, threshold 2.
fn bidding() -> (Harness, TenderId) {
    let mut harness = Harness::new(3, 3);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    (harness, tender)
}

fn lot_one() -> LotId {
    LotId::parse("1").unwrap()
}

#[test]
fn signatures_payloads_and_freshness() {
    let (mut harness, tender) = bidding();
    let bidder = Rc::clone(&harness.bidders[0]);
    let envelope = harness.seal_offer(&tender, "1", 0, 100, None);
    let action = Action::SubmitBid {
        tender: tender.clone(),
        lot: lot_one(),
        envelope_sha256: harness.carry(envelope),
    };

    let mut unsigned = harness.sign(&bidder, action.clone());
    unsigned.signature = Signature([0; 64]);
    let body = harness.received(unsigned);
    refused(&mut harness, body, |rejection| *rejection == Rejection::BadSignature);

    let mut wrong_signer = harness.sign(&bidder, action.clone());
    wrong_signer.signer = harness.bidders[1].public_key();
    let body = harness.received(wrong_signer);
    refused(&mut harness, body, |rejection| *rejection == Rejection::BadSignature);

    let not_a_command = SignedMessage::sign(&bidder, &serde_json::json!({ "hello": "ledger" })).unwrap();
    let body = harness.received(not_a_command);
    refused(&mut harness, body, |rejection| {
        matches!(rejection, Rejection::Malformed(_))
    });

    let expired = Command {
        nonce: 77,
        expires_at_ms: harness.now_ms - 1,
        action: action.clone(),
    };
    let expired = SignedMessage::sign(&bidder, &expired).unwrap();
    let body = harness.received(expired);
    refused(&mut harness, body, |rejection| {
        matches!(rejection, Rejection::Expired { .. })
    });

    let far = Command {
        nonce: 78,
        expires_at_ms: harness.now_ms + 2 * HOUR_MS,
        action: action.clone(),
    };
    let far = SignedMessage::sign(&bidder, &far).unwrap();
    let body = harness.received(far);
    refused(&mut harness, body, |rejection| {
        matches!(rejection, Rejection::ExpiryTooFar { .. })
    });

    let once = harness.sign(&bidder, action);
    let first = harness.apply(harness.received(once.clone())).unwrap();
    let body = harness.received(once);
    refused(&mut harness, body, |rejection| {
        matches!(rejection, Rejection::ReplayedNonce { first_audit_index, .. } if *first_audit_index == first.audit_index)
            && rejection.code() == "replayed-nonce"
            && rejection.kind() == sealbid_ledger::RejectionKind::Conflict
    });
}

#[test]
fn genesis_rules_and_backwards_time() {
    let mut harness = Harness::new(1, 0);
    let genesis = Genesis {
        operator: harness.operator.public_key(),
        config: LedgerConfig::default(),
    };
    refused(&mut harness, EntryBody::Genesis(genesis), |rejection| {
        *rejection == Rejection::AlreadyInitialised
    });

    let mut fresh = sealbid_ledger::Ledger::new(sealbid_crypto::merkle::MemoryNodeStore::new());
    let entry = harness.entry(EntryBody::Close {
        tender: TenderId::numbered(1),
    });
    assert_eq!(
        fresh.apply(&entry).unwrap_err(),
        ApplyError::Rejected(Rejection::NotInitialised)
    );

    let hash = harness.ledger.state_hash();
    let past = sealbid_ledger::command::Entry {
        timestamp_ms: harness.now_ms - 1,
        body: entry.body,
    };
    assert!(matches!(
        harness.ledger.apply(&past),
        Err(ApplyError::Fatal(Fatal::TimestampWentBackwards { .. }))
    ));
    assert_eq!(harness.ledger.state_hash(), hash);
}

#[test]
fn roles_and_registration() {
    let (mut harness, tender) = bidding();
    let bidder = Rc::clone(&harness.bidders[0]);
    let outsider = IdentityKeyPair::from_seed(&[99; 32]).unwrap();

    let grant = Action::GrantRole {
        actor: outsider.public_key(),
        role: Role::Office,
        name: "x".into(),
    };
    refused_command(&mut harness, &bidder, grant, |rejection| {
        *rejection == Rejection::MissingRole(Role::Admin)
    });
    let spec = harness.spec(Market::Procurement, vec![lot("1")], 2);
    refused_command(&mut harness, &bidder, Action::PublishTender(spec), |rejection| {
        *rejection == Rejection::MissingRole(Role::Office)
    });
    let envelope = harness.seal_offer(&tender, "1", 0, 100, None);
    let bid = Action::SubmitBid {
        tender: tender.clone(),
        lot: lot_one(),
        envelope_sha256: harness.carry(envelope),
    };
    refused_command(&mut harness, &outsider, bid, |rejection| {
        *rejection == Rejection::MissingRole(Role::Bidder)
    });
    let cancel = Action::CancelTender {
        tender: tender.clone(),
        reason: "mine now".into(),
    };
    refused_command(&mut harness, &bidder, cancel, |rejection| {
        matches!(rejection, Rejection::NotTheTendersOffice(_))
    });

    let again = Action::RegisterBidder {
        organisation: "Again Co.".into(),
        credit_code: credit_code(50),
    };
    refused_command(&mut harness, &bidder, again, |rejection| {
        matches!(rejection, Rejection::DuplicateRegistration(_))
    });
    let taken = Action::RegisterBidder {
        organisation: "Copy Co.".into(),
        credit_code: credit_code(0),
    };
    refused_command(&mut harness, &outsider, taken, |rejection| {
        matches!(rejection, Rejection::DuplicateRegistration(_))
    });
    let mut bad_code = credit_code(7);
    bad_code.replace_range(17.., if bad_code.ends_with('0') { "1" } else { "0" });
    let bad = Action::RegisterBidder {
        organisation: "Typo Co.".into(),
        credit_code: bad_code,
    };
    refused_command(&mut harness, &outsider, bad, |rejection| {
        matches!(
            rejection,
            Rejection::InvalidCreditCode(CreditCodeError::CheckCharacter { .. })
        )
    });
    // A committee member's encryption key: only the member registers it, with a proof, once,
    // and no two members share one.
    let operator = Rc::clone(&harness.operator);
    let registration = harness.encryption_key_registration(0);
    refused_command(&mut harness, &operator, registration.clone(), |rejection| {
        *rejection == Rejection::MissingRole(Role::CommitteeMember)
    });
    let member = Rc::clone(&harness.members[0].0);
    refused_command(&mut harness, &member, registration, |rejection| {
        matches!(rejection, Rejection::DuplicateRegistration(_))
    });
    let newcomer = Rc::new(IdentityKeyPair::from_seed(&[98; 32]).unwrap());
    let grant = Action::GrantRole {
        actor: newcomer.public_key(),
        role: Role::CommitteeMember,
        name: "new".into(),
    };
    harness.run(&operator, grant).unwrap();
    let Action::RegisterEncryptionKey { encryption_key, proof } = harness.encryption_key_registration(1) else {
        unreachable!()
    };
    let copied = Action::RegisterEncryptionKey {
        encryption_key,
        proof: proof.clone(),
    };
    refused_command(&mut harness, &newcomer, copied, |rejection| {
        matches!(rejection, Rejection::Invalid(_))
    });
    let own_secret = CurveScalar::from_bytes(&[97; 32]).unwrap();
    let statement = sealbid_ledger::command::encryption_key_statement(&newcomer.public_key()).unwrap();
    let wrong_statement = KnowledgeProof::create(&own_secret, b"another statement", &SystemRandom::new()).unwrap();
    let unproven = Action::RegisterEncryptionKey {
        encryption_key: own_secret.public_point(),
        proof: wrong_statement,
    };
    refused_command(&mut harness, &newcomer, unproven, |rejection| {
        matches!(rejection, Rejection::Invalid(_))
    });
    let proven = KnowledgeProof::create(&own_secret, &statement, &SystemRandom::new()).unwrap();
    harness
        .run(
            &newcomer,
            Action::RegisterEncryptionKey {
                encryption_key: own_secret.public_point(),
                proof: proven,
            },
        )
        .unwrap();
}

#[test]
fn bids_only_on_open_tenders_and_lots_before_the_deadline_by_their_owner() {
    let (mut harness, tender) = bidding();
    let bidder = Rc::clone(&harness.bidders[0]);
    let other = Rc::clone(&harness.bidders[1]);
    let envelope = harness.seal_offer(&tender, "1", 0, 100, None);

    let unknown = Action::SubmitBid {
        tender: TenderId::numbered(9),
        lot: lot_one(),
        envelope_sha256: harness.carry(envelope.clone()),
    };
    refused_command(&mut harness, &bidder, unknown, |rejection| {
        matches!(rejection, Rejection::UnknownTender(_))
    });
    let no_lot = Action::SubmitBid {
        tender: tender.clone(),
        lot: LotId::parse("7").unwrap(),
        envelope_sha256: harness.carry(envelope.clone()),
    };
    refused_command(&mut harness, &bidder, no_lot, |rejection| {
        matches!(rejection, Rejection::UnknownLot { .. })
    });
    let mut broken = envelope.clone();
    broken.ephemeral_key = vec![4; 65];
    let broken = Action::SubmitBid {
        tender: tender.clone(),
        lot: lot_one(),
        envelope_sha256: harness.carry(broken),
    };
    refused_command(&mut harness, &bidder, broken, |rejection| {
        matches!(rejection, Rejection::Invalid(_))
    });
    // Every offer is padded to one length: a ciphertext of any other length (including one too
    // short to hold its tag, which could never open) is refused, for a bid and a reserve price.
    let padded = Suite::P256HkdfSha256Aes256Gcm.offer_ciphertext_bytes();
    assert_eq!(envelope.ciphertext.len(), padded);
    for length in [0, 8, 16, 17, padded - 1, padded + 1] {
        let mut other_length = envelope.clone();
        other_length.ciphertext.resize(length, 7);
        let bid = Action::SubmitBid {
            tender: tender.clone(),
            lot: lot_one(),
            envelope_sha256: harness.carry(other_length.clone()),
        };
        let bytes = format!("has {length} bytes; under its suite it has exactly {padded}");
        let wrong_length =
            |rejection: &Rejection| matches!(rejection, Rejection::Invalid(reason) if reason.contains(&bytes));
        refused_command(&mut harness, &bidder, bid, wrong_length);
        let reserve = Action::SealReservePrice {
            tender: tender.clone(),
            lot: lot_one(),
            envelope: other_length,
        };
        let office = Rc::clone(&harness.office);
        refused_command(&mut harness, &office, reserve, wrong_length);
    }

    harness.bid(&tender, "1", 0, 100, None).unwrap();
    let duplicate = Action::SubmitBid {
        tender: tender.clone(),
        lot: lot_one(),
        envelope_sha256: harness.carry(envelope.clone()),
    };
    refused_command(&mut harness, &bidder, duplicate, |rejection| {
        matches!(rejection, Rejection::DuplicateBid { .. })
    });
    let replace_other = Action::ReplaceBid {
        tender: tender.clone(),
        lot: lot_one(),
        envelope_sha256: harness.carry(envelope.clone()),
    };
    refused_command(&mut harness, &other, replace_other, |rejection| {
        matches!(rejection, Rejection::NoBid { .. })
    });
    let withdraw_other = Action::WithdrawBid {
        tender: tender.clone(),
        lot: lot_one(),
    };
    refused_command(&mut harness, &other, withdraw_other, |rejection| {
        matches!(rejection, Rejection::NoBid { .. })
    });

    let close = Action::CloseTender { tender: tender.clone() };
    let office = Rc::clone(&harness.office);
    refused_command(&mut harness, &office, close, |rejection| {
        matches!(rejection, Rejection::BeforeDeadline { .. })
    });
    refused(&mut harness, EntryBody::Close { tender: tender.clone() }, |rejection| {
        matches!(rejection, Rejection::BeforeDeadline { .. })
    });

    // One millisecond before the deadline a bid is on time; at the deadline it is late, even
    // before the close entry is ordered.
    harness.now_ms = harness.ledger.state().tenders[&tender].deadline_ms - 1;
    harness.bid(&tender, "1", 1, 90, None).unwrap();
    harness.now_ms += 1;
    let late = harness.seal_offer(&tender, "1", 2, 80, None);
    let late_bidder = Rc::clone(&harness.bidders[2]);
    let late = Action::SubmitBid {
        tender: tender.clone(),
        lot: lot_one(),
        envelope_sha256: harness.carry(late),
    };
    refused_command(&mut harness, &late_bidder, late.clone(), |rejection| {
        matches!(rejection, Rejection::Late { .. })
    });
    harness.close(&tender);
    refused_command(&mut harness, &late_bidder, late, |rejection| {
        matches!(rejection, Rejection::Late { .. })
    });
    let withdraw = Action::WithdrawBid {
        tender: tender.clone(),
        lot: lot_one(),
    };
    refused_command(&mut harness, &bidder, withdraw, |rejection| {
        matches!(rejection, Rejection::Late { .. })
    });
}

#[test]
fn bids_wait_for_the_committee_key() {
    let mut harness = Harness::new(3, 1);
    let spec = harness.spec(Market::Procurement, vec![lot("1")], 2);
    let applied = harness.office_runs(Action::PublishTender(spec)).unwrap();
    let sealbid_ledger::events::Response::TenderPublished { tender } = applied.response else {
        panic!()
    };
    let somebody_else = CurveScalar::random(&SystemRandom::new()).unwrap().public_point();
    let context = SealContext::bid(tender.as_str(), "1", &harness.bidders[0].public_key().to_string());
    let envelope = seal_offer(b"{}", &context, &somebody_else, &SystemRandom::new()).unwrap();
    let bidder = Rc::clone(&harness.bidders[0]);
    let bid = Action::SubmitBid {
        tender,
        lot: lot_one(),
        envelope_sha256: harness.carry(envelope),
    };
    refused_command(&mut harness, &bidder, bid, |rejection| {
        matches!(
            rejection,
            Rejection::WrongPhase {
                phase: Phase::KeyGeneration,
                ..
            }
        )
    });
}

#[test]
fn shares_and_the_opening() {
    let (mut harness, tender) = bidding();
    harness.bid(&tender, "1", 0, 100, None).unwrap();
    let state_tender = &harness.ledger.state().tenders[&tender];
    let (parameters, outcome, dealings) = (
        state_tender.committee.clone(),
        state_tender.committee_key.clone().unwrap(),
        state_tender.dealings.clone(),
    );
    let share_of = |harness: &Harness, member: u16| {
        member_share(
            &parameters,
            &outcome,
            &dealings,
            member,
            &harness.members[usize::from(member) - 1].1,
        )
        .unwrap()
    };
    let member1 = Rc::clone(&harness.members[0].0);
    let member2 = Rc::clone(&harness.members[1].0);

    let early = Action::ReleaseShare {
        tender: tender.clone(),
        share: share_of(&harness, 1),
    };
    refused_command(&mut harness, &member1, early, |rejection| {
        matches!(
            rejection,
            Rejection::WrongPhase {
                phase: Phase::Bidding,
                ..
            }
        )
    });
    let open = Action::OpenTender { tender: tender.clone() };
    let office = Rc::clone(&harness.office);
    refused_command(&mut harness, &office, open.clone(), |rejection| {
        matches!(rejection, Rejection::WrongPhase { .. })
    });

    harness.close(&tender);
    let forged = ReleasedShare {
        share: CurveScalar::random(&SystemRandom::new()).unwrap(),
        ..share_of(&harness, 1)
    };
    let forged = Action::ReleaseShare {
        tender: tender.clone(),
        share: forged,
    };
    refused_command(
        &mut harness,
        &member1,
        forged,
        |rejection| matches!(rejection, Rejection::Committee(message) if message.contains("member 1")),
    );
    let impersonation = Action::ReleaseShare {
        tender: tender.clone(),
        share: share_of(&harness, 2),
    };
    refused_command(&mut harness, &member1, impersonation, |rejection| {
        matches!(rejection, Rejection::NotThatCommitteeMember { member: 2, .. })
    });

    harness
        .run(
            &member1,
            Action::ReleaseShare {
                tender: tender.clone(),
                share: share_of(&harness, 1),
            },
        )
        .unwrap();
    let twice = Action::ReleaseShare {
        tender: tender.clone(),
        share: share_of(&harness, 1),
    };
    refused_command(&mut harness, &member1, twice, |rejection| {
        matches!(rejection, Rejection::Invalid(_))
    });
    refused_command(&mut harness, &office, open.clone(), |rejection| {
        *rejection == Rejection::NotEnoughShares { valid: 1, threshold: 2 }
    });
    harness
        .run(
            &member2,
            Action::ReleaseShare {
                tender: tender.clone(),
                share: share_of(&harness, 2),
            },
        )
        .unwrap();
    let outsider_office = Rc::clone(&harness.bidders[0]);
    refused_command(&mut harness, &outsider_office, open.clone(), |rejection| {
        matches!(rejection, Rejection::NotTheTendersOffice(_))
    });
    harness.run(&office, open).unwrap();
    let disqualify_nobody = Action::DisqualifyBid {
        tender: tender.clone(),
        lot: lot_one(),
        bidder: harness.bidders[2].public_key(),
        reason: "no such bid".into(),
    };
    refused_command(&mut harness, &office, disqualify_nobody, |rejection| {
        matches!(rejection, Rejection::NoSuchOpenedBid { .. })
    });
}

#[test]
fn tender_specs_are_checked() {
    let mut harness = Harness::new(3, 0);
    let office = Rc::clone(&harness.office);
    let now = harness.now_ms;
    let base = harness.spec(Market::Procurement, vec![lot("1")], 2);
    let cases = vec![
        (
            "no lots",
            sealbid_ledger::command::TenderSpec {
                lots: vec![],
                ..base.clone()
            },
        ),
        (
            "same lot twice",
            sealbid_ledger::command::TenderSpec {
                lots: vec![lot("1"), lot("1")],
                ..base.clone()
            },
        ),
        (
            "deadline passed",
            sealbid_ledger::command::TenderSpec {
                deadline_ms: now,
                ..base.clone()
            },
        ),
        (
            "threshold above committee",
            sealbid_ledger::command::TenderSpec {
                threshold: 4,
                ..base.clone()
            },
        ),
        (
            "threshold zero",
            sealbid_ledger::command::TenderSpec {
                threshold: 0,
                ..base.clone()
            },
        ),
        (
            "tonnes outside coal",
            sealbid_ledger::command::TenderSpec {
                lots: vec![crate::support::coal_lot("1", 5, 1)],
                ..base.clone()
            },
        ),
        (
            "coal without tonnes",
            sealbid_ledger::command::TenderSpec {
                market: Market::CoalCoke,
                ..base.clone()
            },
        ),
        (
            "committee member twice",
            sealbid_ledger::command::TenderSpec {
                committee: vec![base.committee[0]; 2],
                threshold: 1,
                ..base.clone()
            },
        ),
        (
            "a stranger on the committee",
            sealbid_ledger::command::TenderSpec {
                committee: vec![harness.office.public_key()],
                threshold: 1,
                ..base.clone()
            },
        ),
        (
            "empty title",
            sealbid_ledger::command::TenderSpec {
                title: " ".into(),
                ..base.clone()
            },
        ),
        (
            "a deadline more than 731 days ahead",
            sealbid_ledger::command::TenderSpec {
                deadline_ms: harness.now_ms + 732 * 24 * HOUR_MS,
                ..base.clone()
            },
        ),
        (
            "the largest deadline there is",
            sealbid_ledger::command::TenderSpec {
                deadline_ms: (1 << 53) - 1,
                ..base.clone()
            },
        ),
        (
            "a notice period over 731 days",
            sealbid_ledger::command::TenderSpec {
                notice_period_ms: 732 * 24 * HOUR_MS,
                ..base.clone()
            },
        ),
        (
            "fewer than three valid bids allowed",
            sealbid_ledger::command::TenderSpec {
                valid_bids_min: 2,
                ..base.clone()
            },
        ),
        (
            "coal lot size above the lot",
            sealbid_ledger::command::TenderSpec {
                market: Market::CoalCoke,
                lots: vec![crate::support::coal_lot("1", 5, 6)],
                ..base.clone()
            },
        ),
    ];
    for (name, spec) in cases {
        let message = harness.sign(&office, Action::PublishTender(spec));
        let hash = harness.ledger.state_hash();
        let result = harness.apply(harness.received(message));
        assert!(
            matches!(
                result,
                Err(ApplyError::Rejected(
                    Rejection::Invalid(_) | Rejection::EmptyText { .. }
                ))
            ),
            "{name}: {result:?}"
        );
        assert_eq!(harness.ledger.state_hash(), hash, "{name}");
    }
}

#[test]
fn configured_bounds_are_enforced() {
    let config = LedgerConfig {
        bids_per_tender_max: 1,
        ..LedgerConfig::default()
    };
    let mut harness = Harness::with_config(3, 2, config);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    harness.bid(&tender, "1", 0, 100, None).unwrap();
    let envelope = harness.seal_offer(&tender, "1", 1, 100, None);
    let bidder = Rc::clone(&harness.bidders[1]);
    let second = Action::SubmitBid {
        tender: tender.clone(),
        lot: lot_one(),
        envelope_sha256: harness.carry(envelope),
    };
    refused_command(&mut harness, &bidder, second, |rejection| {
        matches!(
            rejection,
            Rejection::Limit {
                what: "bids per tender",
                ..
            }
        )
    });
}

#[test]
fn key_generation_rounds_are_kept_apart() {
    let mut harness = Harness::new(3, 1);
    let spec = harness.spec(Market::Procurement, vec![lot("1")], 2);
    let applied = harness.office_runs(Action::PublishTender(spec)).unwrap();
    let sealbid_ledger::events::Response::TenderPublished { tender } = applied.response else {
        panic!()
    };
    let parameters = harness.ledger.state().tenders[&tender].committee.clone();
    let random = SystemRandom::new();
    let dealing = |dealer: u16| sealbid_crypto::dkg::Dealing::create(&parameters, dealer, &random).unwrap();
    let member = |harness: &Harness, index: usize| Rc::clone(&harness.members[index].0);

    // Round 1 open: a response is refused.
    let first = member(&harness, 0);
    harness
        .run(
            &first,
            Action::Deal {
                tender: tender.clone(),
                dealing: dealing(1),
            },
        )
        .unwrap();
    let early = sealbid_crypto::dkg::Response {
        session: tender.to_string(),
        member: 1,
        complaints: vec![],
    };
    refused_command(
        &mut harness,
        &first,
        Action::Respond {
            tender: tender.clone(),
            response: early.clone(),
        },
        |rejection| matches!(rejection, Rejection::Invalid(message) if message.contains("round 1")),
    );
    // A member deals once, under its own number only.
    refused_command(
        &mut harness,
        &first,
        Action::Deal {
            tender: tender.clone(),
            dealing: dealing(2),
        },
        |rejection| matches!(rejection, Rejection::NotThatCommitteeMember { member: 2, .. }),
    );
    refused_command(
        &mut harness,
        &first,
        Action::Deal {
            tender: tender.clone(),
            dealing: dealing(1),
        },
        |rejection| matches!(rejection, Rejection::Invalid(_)),
    );
    // The office closes round 1 with two of three dealings; member 3 can no longer deal.
    let second = member(&harness, 1);
    harness
        .run(
            &second,
            Action::Deal {
                tender: tender.clone(),
                dealing: dealing(2),
            },
        )
        .unwrap();
    harness
        .office_runs(Action::FinishKeyGeneration { tender: tender.clone() })
        .unwrap();
    let third = member(&harness, 2);
    refused_command(
        &mut harness,
        &third,
        Action::Deal {
            tender: tender.clone(),
            dealing: dealing(3),
        },
        |rejection| matches!(rejection, Rejection::Invalid(message) if message.contains("over")),
    );
    // Round 2: responses are taken; a complaint naming one dealer twice is refused.
    let twice = {
        let dealings = harness.ledger.state().tenders[&tender].dealings.clone();
        let mut forged = dealings.clone();
        let wrong = CurveScalar::random(&random).unwrap().to_bytes();
        let (envelope, proof) = sealbid_crypto::dkg::Dealing::seal_share(&parameters, 1, 3, &wrong, &random).unwrap();
        forged[0].shares[2] = envelope;
        forged[0].share_proofs[2] = proof;
        let mut response =
            sealbid_crypto::dkg::Response::create(&parameters, 3, &harness.members[2].1, &forged, &random).unwrap();
        let complaint = response.complaints[0].clone();
        response.complaints.push(complaint);
        response
    };
    refused_command(
        &mut harness,
        &third,
        Action::Respond {
            tender: tender.clone(),
            response: twice,
        },
        |rejection| matches!(rejection, Rejection::Invalid(_)),
    );
    harness
        .run(
            &first,
            Action::Respond {
                tender: tender.clone(),
                response: early,
            },
        )
        .unwrap();
    harness
        .office_runs(Action::FinishKeyGeneration { tender: tender.clone() })
        .unwrap();
    let state_tender = &harness.ledger.state().tenders[&tender];
    assert_eq!(state_tender.phase, Phase::Bidding);
    assert_eq!(
        state_tender.committee_key.as_ref().unwrap().qualified_dealers,
        vec![1, 2]
    );
}

#[test]
fn the_office_and_the_committee_may_not_bid() {
    let mut harness = Harness::new(3, 0);
    let tender = harness.publish(harness.spec(Market::Procurement, vec![lot("1")], 2));
    for (index, key) in [Rc::clone(&harness.members[0].0), Rc::clone(&harness.office)]
        .into_iter()
        .enumerate()
    {
        let register = Action::RegisterBidder {
            organisation: format!("Insider {index}"),
            credit_code: crate::support::credit_code(900 + index),
        };
        harness.run(&key, register).unwrap();
        harness
            .registrar_runs(Action::ApproveBidder {
                bidder: key.public_key(),
            })
            .unwrap();
        let context = SealContext::bid(tender.as_str(), "1", &key.public_key().to_string());
        let opening_key = harness.ledger.state().tenders[&tender]
            .committee_key
            .as_ref()
            .unwrap()
            .opening_key;
        let envelope = seal_offer(b"{}", &context, &opening_key, &SystemRandom::new()).unwrap();
        let bid = Action::SubmitBid {
            tender: tender.clone(),
            lot: lot_one(),
            envelope_sha256: harness.carry(envelope),
        };
        refused_command(&mut harness, &key, bid, |rejection| {
            matches!(rejection, Rejection::ConflictOfInterest(_))
        });
    }
}

#[test]
fn time_never_goes_backwards_even_across_refused_entries() {
    let (mut harness, tender) = bidding();
    harness.now_ms += 10_000;
    // A refused entry (closing before the deadline) still sets the clock's floor.
    refused(&mut harness, EntryBody::Close { tender: tender.clone() }, |rejection| {
        matches!(rejection, Rejection::BeforeDeadline { .. })
    });
    let earlier = sealbid_ledger::command::Entry {
        timestamp_ms: harness.now_ms - 1,
        body: EntryBody::Close { tender },
    };
    // A ledger restored from a snapshot remembers that floor too.
    let mut restored =
        sealbid_ledger::Ledger::restore(harness.ledger.snapshot(), harness.ledger.audit().store().clone()).unwrap();
    assert_eq!(restored.last_seen_timestamp_ms(), harness.now_ms);
    assert!(matches!(
        restored.apply(&earlier),
        Err(ApplyError::Fatal(Fatal::TimestampWentBackwards { .. }))
    ));
    assert!(matches!(
        harness.ledger.apply(&earlier),
        Err(ApplyError::Fatal(Fatal::TimestampWentBackwards { .. }))
    ));
}

#[test]
fn entries_with_unknown_members_do_not_parse() {
    for text in [
        r#"{"body":{"close":{"tender":"T-000001","x":1}},"timestamp_ms":1}"#,
        r#"{"body":{"close":{"tender":"T-000001"}},"extra":true,"timestamp_ms":1}"#,
        r#"{"body":{"open":{"tender":"T-000001"}},"timestamp_ms":1}"#,
    ] {
        assert!(
            serde_json::from_str::<sealbid_ledger::command::Entry>(text).is_err(),
            "{text}"
        );
    }
    let good = r#"{"body":{"close":{"tender":"T-000001"}},"timestamp_ms":1}"#;
    assert!(serde_json::from_str::<sealbid_ledger::command::Entry>(good).is_ok());
}

/// `body` (17 characters) with its 18th check character (GB 32100-2015: weights 3^i mod 31 over
/// the code alphabet), whatever its structure.
fn with_check_character(body: &str) -> String {
    const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let (sum, _) = body.chars().fold((0, 1), |(sum, weight), character| {
        let value = ALPHABET.find(character).expect("in the alphabet");
        (sum + value * weight, weight * 3 % 31)
    });
    let check = ALPHABET.chars().nth((31 - sum % 31) % 31).unwrap();
    format!("{body}{check}")
}

#[test]
fn credit_codes_are_checked_in_full_and_texts_refuse_control_and_bidi_characters() {
    let (mut harness, tender) = bidding();
    let outsider = IdentityKeyPair::from_seed(&[61; 32]).unwrap();
    let register = |organisation: &str, credit_code: String| Action::RegisterBidder {
        organisation: organisation.into(),
        credit_code,
    };
    let valid = credit_code(60);
    // Each code below has a right 18th character; what is wrong is inside it.
    let codes = [
        (
            with_check_character("00000000000000000"),
            CreditCodeError::RegistrationAuthority('0'),
        ),
        (
            with_check_character(&format!("B{}", &valid[1..17])),
            CreditCodeError::RegistrationAuthority('B'),
        ),
        (
            with_check_character(&format!("97{}", &valid[2..17])),
            CreditCodeError::OrganisationType {
                authority: '9',
                found: '7',
                types: "123".into(),
            },
        ),
        (
            with_check_character(&format!("91000000{}", &valid[8..17])),
            CreditCodeError::Division("000000".into()),
        ),
    ];
    for (code, error) in codes {
        refused_command(
            &mut harness,
            &outsider,
            register("Real Co.", code.clone()),
            |rejection| *rejection == Rejection::InvalidCreditCode(error.clone()),
        );
    }
    // The organisation code's own check character (GB 11714, position 17) mistyped.
    let organisation_check = valid.chars().nth(16).unwrap();
    let other = if organisation_check == '1' { '2' } else { '1' };
    let mistyped = with_check_character(&format!("{}{other}", &valid[..16]));
    refused_command(&mut harness, &outsider, register("Real Co.", mistyped), |rejection| {
        matches!(
            rejection,
            Rejection::InvalidCreditCode(CreditCodeError::OrganisationCheck { .. })
        )
    });
    refused_command(
        &mut harness,
        &outsider,
        register("Real Co.", valid.to_lowercase()),
        |rejection| {
            matches!(
                rejection,
                Rejection::InvalidCreditCode(CreditCodeError::Character { .. })
            )
        },
    );

    // Names that are empty or hold a control or bidirectional-control character.
    for (name, code_point) in [
        ("NUL\u{0} Co.", Some(0x00)),
        ("\u{1b}[31mRed Co.", Some(0x1b)),
        ("Line\r\nBreak Co.", Some(0x0d)),
        ("Two\nLines Co.", Some(0x0a)),
        ("Safe \u{202e}.oC eliveD", Some(0x202e)),
        ("Mark\u{200f} Co.", Some(0x200f)),
        ("Isolate\u{2067} Co.", Some(0x2067)),
        ("", None),
        ("   ", None),
    ] {
        refused_command(
            &mut harness,
            &outsider,
            register(name, valid.clone()),
            |rejection| match code_point {
                Some(code_point) => {
                    *rejection
                        == Rejection::ControlCharacter {
                            what: "organisation name",
                            code_point,
                        }
                }
                None => {
                    *rejection
                        == Rejection::EmptyText {
                            what: "organisation name",
                        }
                }
            },
        );
    }
    // The same rule for titles (lot titles too), notices and reasons.
    let office = Rc::clone(&harness.office);
    let mut spec = harness.spec(Market::Procurement, vec![lot("1")], 2);
    spec.title = "Road \u{202e}works".into();
    refused_command(&mut harness, &office, Action::PublishTender(spec), |rejection| {
        *rejection
            == Rejection::ControlCharacter {
                what: "title",
                code_point: 0x202e,
            }
    });
    let mut untitled_lot = lot("2");
    untitled_lot.title = String::new();
    let spec = harness.spec(Market::Procurement, vec![untitled_lot], 2);
    refused_command(&mut harness, &office, Action::PublishTender(spec), |rejection| {
        *rejection == Rejection::EmptyText { what: "lot title" }
    });
    let amend = Action::AmendTender {
        tender: tender.clone(),
        notice: "New\u{0}text".into(),
        deadline_ms: None,
    };
    refused_command(&mut harness, &office, amend, |rejection| {
        *rejection
            == Rejection::ControlCharacter {
                what: "notice",
                code_point: 0,
            }
    });
    let cancel = Action::CancelTender {
        tender: tender.clone(),
        reason: " ".into(),
    };
    refused_command(&mut harness, &office, cancel, |rejection| {
        *rejection == Rejection::EmptyText { what: "reason" }
    });
    // Every refusal is a rule break: 422 at the API.
    assert_eq!(
        Rejection::ControlCharacter {
            what: "name",
            code_point: 0
        }
        .kind(),
        sealbid_ledger::RejectionKind::Invalid
    );
    // A good registration still goes through.
    harness.run(&outsider, register("Real Co.", valid)).unwrap();
}

#[test]
fn an_amendment_may_not_move_the_deadline_beyond_the_horizon() {
    let (mut harness, tender) = bidding();
    let office = Rc::clone(&harness.office);
    let far = Action::AmendTender {
        tender: tender.clone(),
        notice: "Postponed".into(),
        deadline_ms: Some(harness.now_ms + 732 * 24 * HOUR_MS),
    };
    refused_command(
        &mut harness,
        &office,
        far,
        |rejection| matches!(rejection, Rejection::Invalid(reason) if reason.contains("731 days")),
    );
    let within = Action::AmendTender {
        tender,
        notice: "Postponed".into(),
        deadline_ms: Some(harness.now_ms + 730 * 24 * HOUR_MS),
    };
    harness.run(&office, within).unwrap();
}
