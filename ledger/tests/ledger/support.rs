//! A harness that drives a real ledger through whole tenders with real keys and real sealing.

use ring::rand::SystemRandom;
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{Dealing, KnowledgeProof, Response as DkgResponse, member_share};
use sealbid_crypto::encoding::to_canonical;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::merkle::MemoryNodeStore;
use sealbid_crypto::seal::{Envelope, EnvelopeKind, OpeningKey, SealContext, seal_offer};
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::award::LotOutcome;
use sealbid_ledger::command::{
    Action, Command, Entry, EntryBody, Genesis, LedgerConfig, LotSpec, Offer, ReserveOffer, TenderSpec,
    encryption_key_statement,
};
use sealbid_ledger::events::Response;
use sealbid_ledger::types::{Fen, LotId, Market, Role, TenderId};
use sealbid_ledger::{Applied, ApplyError, Ledger, Rejection};
use std::collections::BTreeMap;
use std::rc::Rc;

/// One hour, in milliseconds.
pub const HOUR_MS: u64 = 60 * 60 * 1000;

/// A ledger with an operator, an office, a committee and registered bidders.
pub struct Harness {
    pub ledger: Ledger<MemoryNodeStore>,
    /// The leader's clock for the next entry.
    pub now_ms: u64,
    pub operator: Rc<IdentityKeyPair>,
    pub office: Rc<IdentityKeyPair>,
    /// The trading centre's registrar, who approves the bidders.
    pub registrar: Rc<IdentityKeyPair>,
    /// Committee members: signing key and P-256 encryption key.
    pub members: Vec<(Rc<IdentityKeyPair>, OpeningKey)>,
    pub bidders: Vec<Rc<IdentityKeyPair>>,
    /// Every entry applied, accepted or not, in order: a replica's log.
    pub log: Vec<Entry>,
    /// The envelopes of bids signed so far, by digest: what travels beside a bid's command.
    pub envelopes: std::cell::RefCell<BTreeMap<sealbid_crypto::merkle::Hash, Envelope>>,
    /// The record of every tender that became final, as storage would keep it.
    pub archived: Vec<sealbid_ledger::tender::ArchiveRecord>,
    next_nonce: u64,
}

/// A unified social credit code for test bidder `index`: a company registered in Fuzhou, its
/// organisation code numbered by `index`, both check characters computed.
pub fn credit_code(index: usize) -> String {
    sealbid_ledger::credit_code::CreditCode::from_parts('9', '1', "350100", &format!("MA{index:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

impl Harness {
    /// Genesis, an office, `members` committee members and `bidders` registered bidders.
    pub fn new(members: usize, bidders: usize) -> Self {
        Self::with_config(members, bidders, LedgerConfig::default())
    }

    pub fn with_config(members: usize, bidders: usize, config: LedgerConfig) -> Self {
        Self::starting_at(1_800_000_000_000, members, bidders, config)
    }

    /// As [`Harness::with_config`], its genesis and set-up entries stamped `start_ms`.
    pub fn starting_at(start_ms: u64, members: usize, bidders: usize, config: LedgerConfig) -> Self {
        let operator = Rc::new(IdentityKeyPair::from_seed(&[1; 32]).unwrap());
        let mut harness = Harness {
            ledger: Ledger::new(MemoryNodeStore::new()),
            now_ms: start_ms,
            office: Rc::new(IdentityKeyPair::from_seed(&[2; 32]).unwrap()),
            registrar: Rc::new(IdentityKeyPair::from_seed(&[5; 32]).unwrap()),
            members: (0..members)
                .map(|index| {
                    let mut seed = [3u8; 32];
                    seed[0] = index as u8;
                    (
                        Rc::new(IdentityKeyPair::from_seed(&seed).unwrap()),
                        OpeningKey::new(CurveScalar::from_bytes(&seed).unwrap()),
                    )
                })
                .collect(),
            bidders: (0..bidders)
                .map(|index| {
                    let mut seed = [4u8; 32];
                    seed[..8].copy_from_slice(&(index as u64).to_be_bytes());
                    Rc::new(IdentityKeyPair::from_seed(&seed).unwrap())
                })
                .collect(),
            operator,
            log: Vec::new(),
            envelopes: Default::default(),
            archived: Vec::new(),
            next_nonce: 1,
        };
        let genesis = Genesis {
            operator: harness.operator.public_key(),
            config,
        };
        harness.apply(EntryBody::Genesis(genesis)).unwrap();
        let office = harness.office.public_key();
        harness.admin(Action::GrantRole {
            actor: office,
            role: Role::Office,
            name: "交易中心".into(),
        });
        let registrar = harness.registrar.public_key();
        harness.admin(Action::GrantRole {
            actor: registrar,
            role: Role::Registrar,
            name: "registration desk".into(),
        });
        for index in 0..members {
            let actor = harness.members[index].0.public_key();
            let name = format!("member {index}");
            harness.admin(Action::GrantRole {
                actor,
                role: Role::CommitteeMember,
                name,
            });
            let action = harness.encryption_key_registration(index);
            let member = Rc::clone(&harness.members[index].0);
            harness.run(&member, action).unwrap();
        }
        for index in 0..bidders {
            let action = Action::RegisterBidder {
                organisation: format!("Bidder {index} Co."),
                credit_code: credit_code(index),
            };
            let bidder = Rc::clone(&harness.bidders[index]);
            harness.run(&bidder, action).unwrap();
            harness
                .registrar_runs(Action::ApproveBidder {
                    bidder: bidder.public_key(),
                })
                .unwrap();
        }
        harness
    }

    /// A supervisor (seed 6 × 32), granted its role by the operator.
    pub fn grant_supervisor(&mut self) -> Rc<IdentityKeyPair> {
        let supervisor = Rc::new(IdentityKeyPair::from_seed(&[6; 32]).unwrap());
        self.admin(Action::GrantRole {
            actor: supervisor.public_key(),
            role: Role::Supervisor,
            name: "监察".into(),
        });
        supervisor
    }

    /// The registrar signs `action`.
    pub fn registrar_runs(&mut self, action: Action) -> Result<Applied, ApplyError> {
        let registrar = Rc::clone(&self.registrar);
        self.run(&registrar, action)
    }

    /// Member `index` registering its own encryption key, with the proof of its secret.
    pub fn encryption_key_registration(&self, index: usize) -> Action {
        let (identity, key) = &self.members[index];
        let statement = encryption_key_statement(&identity.public_key()).unwrap();
        let proof = KnowledgeProof::create(key.secret(), &statement, &SystemRandom::new()).unwrap();
        Action::RegisterEncryptionKey {
            encryption_key: key.public_point(),
            proof,
        }
    }

    fn admin(&mut self, action: Action) {
        let operator = Rc::clone(&self.operator);
        self.run(&operator, action).unwrap();
    }

    /// An entry for `body` at the current time.
    pub fn entry(&self, body: EntryBody) -> Entry {
        Entry {
            timestamp_ms: self.now_ms,
            body,
        }
    }

    /// `key` signs `action` with a fresh nonce.
    pub fn sign(&mut self, key: &IdentityKeyPair, action: Action) -> SignedMessage {
        let command = Command {
            nonce: self.next_nonce,
            expires_at_ms: self.now_ms + 60_000,
            action,
        };
        self.next_nonce += 1;
        SignedMessage::sign(key, &command).unwrap()
    }

    /// Applies an entry body at the current time, recording it in the log.
    pub fn apply(&mut self, body: EntryBody) -> Result<Applied, ApplyError> {
        let entry = self.entry(body);
        self.log.push(entry.clone());
        let applied = self.ledger.apply(&entry);
        if let Ok(Applied {
            archived: Some(record), ..
        }) = &applied
        {
            self.archived.push(record.clone());
        }
        applied
    }

    /// Signs and applies.
    pub fn run(&mut self, key: &IdentityKeyPair, action: Action) -> Result<Applied, ApplyError> {
        let message = self.sign(key, action);
        let body = self.received(message);
        self.apply(body)
    }

    /// `message` as node 1 received it, now, with the envelope its bid signs beside it (one
    /// [`Harness::carry`] registered).
    pub fn received(&self, message: SignedMessage) -> EntryBody {
        self.received_at(message, 1, self.now_ms)
    }

    /// `message` as node `node_id` received it at `received_at_ms`, with the envelope its bid
    /// signs beside it.
    pub fn received_at(&self, message: SignedMessage, node_id: u64, received_at_ms: u64) -> EntryBody {
        let digest = serde_json::from_str::<Command>(&message.payload)
            .ok()
            .and_then(|command| command.action.envelope_sha256().copied());
        let envelope = digest.and_then(|digest| self.envelopes.borrow().get(&digest).cloned());
        let body = EntryBody::command(message, node_id, received_at_ms);
        match envelope {
            Some(envelope) => body.with_envelope(envelope),
            None => body,
        }
    }

    /// The digest a bid signs for `envelope`, which will travel beside the bid's command.
    pub fn carry(&self, envelope: Envelope) -> sealbid_crypto::merkle::Hash {
        let digest = envelope.sha256().unwrap();
        self.envelopes.borrow_mut().insert(digest, envelope);
        digest
    }

    /// Signs and applies, expecting a rejection.
    pub fn refuse(&mut self, key: &IdentityKeyPair, action: Action) -> Rejection {
        match self.run(key, action) {
            Err(ApplyError::Rejected(rejection)) => rejection,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    /// The office's action.
    pub fn office_runs(&mut self, action: Action) -> Result<Applied, ApplyError> {
        let office = Rc::clone(&self.office);
        self.run(&office, action)
    }

    /// A tender spec with sensible defaults.
    pub fn spec(&self, market: Market, lots: Vec<LotSpec>, threshold: u16) -> TenderSpec {
        TenderSpec {
            title: format!("{market:?} tender"),
            market,
            lots,
            deadline_ms: self.now_ms + 2 * HOUR_MS,
            notice_period_ms: HOUR_MS / 2,
            valid_bids_min: 3,
            committee: self.members.iter().map(|(key, _)| key.public_key()).collect(),
            threshold,
            bid_validity_days: None,
        }
    }

    /// Publishes `spec` and runs the committee's key generation to the end.
    pub fn publish(&mut self, spec: TenderSpec) -> TenderId {
        let applied = self.office_runs(Action::PublishTender(spec)).unwrap();
        let Response::TenderPublished { tender } = applied.response else {
            panic!("{applied:?}")
        };
        self.generate_key(&tender);
        tender
    }

    /// Every member deals, then every member responds.
    pub fn generate_key(&mut self, tender: &TenderId) {
        let parameters = self.ledger.state().tenders[tender].committee.clone();
        let random = SystemRandom::new();
        for dealer in parameters.members() {
            let dealing = Dealing::create(&parameters, dealer, &random).unwrap();
            let key = Rc::clone(&self.members[usize::from(dealer) - 1].0);
            self.run(
                &key,
                Action::Deal {
                    tender: tender.clone(),
                    dealing,
                },
            )
            .unwrap();
        }
        let dealings = self.ledger.state().tenders[tender].dealings.clone();
        for member in parameters.members() {
            let (key, encryption) = &self.members[usize::from(member) - 1];
            let response = DkgResponse::create(&parameters, member, encryption, &dealings, &random).unwrap();
            let key = Rc::clone(key);
            self.run(
                &key,
                Action::Respond {
                    tender: tender.clone(),
                    response,
                },
            )
            .unwrap();
        }
    }

    /// Bidder `bidder` seals an offer on `lot`.
    pub fn seal_offer(
        &self,
        tender: &TenderId,
        lot: &str,
        bidder: usize,
        price_fen: u64,
        quantity: Option<u64>,
    ) -> Envelope {
        let key = self.bidders[bidder].public_key();
        let offer = Offer {
            tender: tender.clone(),
            lot: LotId::parse(lot).unwrap(),
            bidder: key,
            price_fen: Fen::new(price_fen).unwrap(),
            quantity_tonnes: quantity,
        };
        self.seal_bytes(
            tender,
            lot,
            &key.to_string(),
            &to_canonical(&offer).unwrap(),
            EnvelopeKind::Bid,
        )
    }

    /// Seals any bytes to the tender's opening key, padded like an offer.
    pub fn seal_bytes(&self, tender: &TenderId, lot: &str, author: &str, bytes: &[u8], kind: EnvelopeKind) -> Envelope {
        let opening_key = self.ledger.state().tenders[tender]
            .committee_key
            .as_ref()
            .unwrap()
            .opening_key;
        let context = SealContext {
            kind,
            tender: tender.to_string(),
            lot: lot.into(),
            bidder: author.into(),
        };
        seal_offer(bytes, &context, &opening_key, &SystemRandom::new()).unwrap()
    }

    /// Bidder `bidder` submits `envelope` on `lot`, whatever it holds.
    pub fn submit_envelope(&mut self, tender: &TenderId, lot: &str, bidder: usize, envelope: Envelope) -> Applied {
        let key = Rc::clone(&self.bidders[bidder]);
        let action = Action::SubmitBid {
            tender: tender.clone(),
            lot: LotId::parse(lot).unwrap(),
            envelope_sha256: self.carry(envelope),
        };
        self.run(&key, action).unwrap()
    }

    /// Bidder `bidder` bids.
    pub fn bid(
        &mut self,
        tender: &TenderId,
        lot: &str,
        bidder: usize,
        price_fen: u64,
        quantity: Option<u64>,
    ) -> Result<Applied, ApplyError> {
        let envelope = self.seal_offer(tender, lot, bidder, price_fen, quantity);
        let key = Rc::clone(&self.bidders[bidder]);
        self.run(
            &key,
            Action::SubmitBid {
                tender: tender.clone(),
                lot: LotId::parse(lot).unwrap(),
                envelope_sha256: self.carry(envelope),
            },
        )
    }

    /// The office seals a lot's reserve price.
    pub fn seal_reserve(&mut self, tender: &TenderId, lot: &str, price_fen: u64) {
        let reserve = ReserveOffer {
            tender: tender.clone(),
            lot: LotId::parse(lot).unwrap(),
            price_fen: Fen::new(price_fen).unwrap(),
        };
        let opening_key = self.ledger.state().tenders[tender]
            .committee_key
            .as_ref()
            .unwrap()
            .opening_key;
        let envelope = reserve
            .seal(&self.office.public_key(), &opening_key, &SystemRandom::new())
            .unwrap();
        self.office_runs(Action::SealReservePrice {
            tender: tender.clone(),
            lot: LotId::parse(lot).unwrap(),
            envelope,
        })
        .unwrap();
    }

    /// Moves the clock to the deadline plus the arrival window and lets the leader close the
    /// tender.
    pub fn close(&mut self, tender: &TenderId) {
        let window_ms = self.ledger.state().config().arrival_window_ms;
        self.now_ms = self
            .now_ms
            .max(self.ledger.state().tenders[tender].deadline_ms + window_ms);
        self.apply(EntryBody::Close { tender: tender.clone() }).unwrap();
    }

    /// The first `count` members release their shares.
    pub fn release_shares(&mut self, tender: &TenderId, count: usize) {
        let state_tender = &self.ledger.state().tenders[tender];
        let parameters = state_tender.committee.clone();
        let outcome = state_tender.committee_key.clone().unwrap();
        let dealings = state_tender.dealings.clone();
        for member in 1..=count as u16 {
            let (key, encryption) = &self.members[usize::from(member) - 1];
            let share = member_share(&parameters, &outcome, &dealings, member, encryption).unwrap();
            let key = Rc::clone(key);
            self.run(
                &key,
                Action::ReleaseShare {
                    tender: tender.clone(),
                    share,
                },
            )
            .unwrap();
        }
    }

    /// Member `member`'s proof that it holds its share of `tender`'s key, for the deadline in
    /// force.
    pub fn readiness_proof(&self, tender: &TenderId, member: u16) -> sealbid_crypto::dkg::ReadinessProof {
        let state_tender = &self.ledger.state().tenders[tender];
        let outcome = state_tender.committee_key.clone().unwrap();
        let encryption = &self.members[usize::from(member) - 1].1;
        let share = member_share(
            &state_tender.committee,
            &outcome,
            &state_tender.dealings,
            member,
            encryption,
        )
        .unwrap();
        sealbid_crypto::dkg::ReadinessProof::create(&share, state_tender.deadline_ms, &SystemRandom::new()).unwrap()
    }

    /// Member `member` proves it holds its share of `tender`'s key.
    pub fn prove_readiness(&mut self, tender: &TenderId, member: u16) -> Applied {
        let readiness = self.readiness_proof(tender, member);
        let key = Rc::clone(&self.members[usize::from(member) - 1].0);
        self.run(
            &key,
            Action::ProveReadiness {
                tender: tender.clone(),
                readiness,
            },
        )
        .unwrap()
    }

    /// Close, release t shares, open.
    pub fn close_and_open(&mut self, tender: &TenderId) -> Applied {
        self.close(tender);
        let threshold = self.ledger.state().tenders[tender].spec.threshold;
        self.release_shares(tender, usize::from(threshold));
        self.office_runs(Action::OpenTender { tender: tender.clone() }).unwrap()
    }

    /// Award; returns each lot's outcome. Where the market publishes candidates, the office
    /// publishes them first, unless it did, and the clock moves to the end of the publicity (on
    /// a test calendar of the year's weekends, published for the years concerned if the official
    /// one is not).
    pub fn award(&mut self, tender: &TenderId) -> (Applied, BTreeMap<LotId, LotOutcome>) {
        let held = &self.ledger.state().tenders[tender];
        if held.spec.market.rules().candidate_publicity && held.phase == sealbid_ledger::tender::Phase::Opened {
            self.publish_candidates(tender);
        }
        let applied = self
            .office_runs(Action::AwardTender { tender: tender.clone() })
            .unwrap();
        let Response::TenderAwarded { results } = applied.response.clone() else {
            panic!("{applied:?}")
        };
        (applied, results)
    }

    /// The office publishes the candidates, and the clock moves to when the award may be made.
    pub fn publish_candidates(&mut self, tender: &TenderId) -> Applied {
        let year = sealbid_ledger::calendar::CalendarDate::of_timestamp(self.now_ms)
            .0
            .year();
        for year in [year, year + 1] {
            self.publish_test_calendar(year);
        }
        let applied = self
            .office_runs(Action::PublishCandidates { tender: tender.clone() })
            .unwrap();
        let Response::CandidatesPublished { award_from_ms, .. } = applied.response else {
            panic!("{applied:?}")
        };
        self.now_ms = award_from_ms;
        applied
    }

    /// The operator publishes a test calendar for `year` (weekends off, no holidays) unless a
    /// calendar of that year is published.
    pub fn publish_test_calendar(&mut self, year: i32) {
        if self.ledger.state().calendars.contains_key(&year) {
            return;
        }
        let spec = sealbid_ledger::calendar::CalendarSpec {
            year,
            holidays: Default::default(),
            working_days: Default::default(),
        };
        self.admin(Action::PublishCalendar(spec));
    }
}

/// A lot with an id and no quantities.
pub fn lot(id: &str) -> LotSpec {
    LotSpec {
        id: LotId::parse(id).unwrap(),
        title: format!("lot {id}"),
        quantity_tonnes: None,
        lot_size_tonnes_min: None,
        ceiling_price_fen: None,
    }
}

/// A coal/coke lot.
pub fn coal_lot(id: &str, tonnes: u64, lot_size_min: u64) -> LotSpec {
    LotSpec {
        quantity_tonnes: Some(tonnes),
        lot_size_tonnes_min: Some(lot_size_min),
        ..lot(id)
    }
}
