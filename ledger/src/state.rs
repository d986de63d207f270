//! The ledger's state and the one entry point that changes it: [`Ledger::apply`].
//!
//! Every handler checks everything first and changes the state only once nothing can fail, so
//! a rejected command leaves the state (and its hash) exactly as it was.

use std::collections::{BTreeMap, BTreeSet};

use ring::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::encoding::to_canonical;
use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::merkle::{Hash, MerkleTree, NodeStore, leaf_hash};
use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::{SignedError, SignedMessage};

use crate::command::{Arrival, Command, Entry, EntryBody, Genesis, Lapse, LedgerConfig};
use crate::credit_code::CreditCode;
use crate::events::{AuditEvent, Response};
use crate::handlers;
use crate::rejection::{ApplyError, Fatal, Rejection};
use crate::subject::Subject;
use crate::supervision::Correction;
use crate::tender::{ArchiveRecord, Phase, Tender};
use crate::types::{CorrectionId, RegistrationStatus, Role, TenderId, WarningId};
use crate::warnings::history::History;
use crate::warnings::thresholds::ThresholdsInForce;
use crate::warnings::{Finding, WARNINGS_HELD_MAX, Warning};

/// A registered actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Participant {
    /// Its signing key.
    pub key: PublicKey,
    /// Its name (a bidder's registered organisation name).
    pub name: String,
    /// What it may do.
    pub roles: BTreeSet<Role>,
    /// A bidder's unified social credit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<CreditCode>,
    /// A committee member's P-256 encryption key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key: Option<CurvePoint>,
    /// Where its registration as a bidder stands, once it applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<Registration>,
}

/// Where a bidder's registration stands. Only an approved registration holds the bidder role and
/// its credit code; a pending one holds neither, so a key that applies first with another
/// company's code blocks nobody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Registration {
    /// Applied; waits for a registrar.
    Pending,
    /// A registrar checked the documents and approved it.
    Approved,
    /// A registrar refused it.
    Rejected {
        /// Why.
        reason: String,
    },
    /// A registrar withdrew an approved registration (a squatter's, say), freeing its code.
    Revoked {
        /// Why.
        reason: String,
    },
}

impl Registration {
    /// The status, without its reason.
    pub fn status(&self) -> RegistrationStatus {
        match self {
            Registration::Pending => RegistrationStatus::Pending,
            Registration::Approved => RegistrationStatus::Approved,
            Registration::Rejected { .. } => RegistrationStatus::Rejected,
            Registration::Revoked { .. } => RegistrationStatus::Revoked,
        }
    }
}

/// The nonces of commands that have not expired yet: a replay is refused, and a nonce is
/// forgotten once its command has expired (it could not be applied again anyway).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NonceBook {
    /// (signer, nonce, audit index of the command that used it), in use.
    used: BTreeSet<(PublicKey, u64, u64)>,
    /// The same by expiry, for forgetting.
    by_expiry: BTreeSet<(u64, PublicKey, u64, u64)>,
}

impl NonceBook {
    /// The audit index of the command that used the signer's nonce, if it has not expired.
    fn used_at(&self, signer: &PublicKey, nonce: u64) -> Option<u64> {
        self.used
            .range((*signer, nonce, 0)..=(*signer, nonce, u64::MAX))
            .next()
            .map(|(_, _, audit_index)| *audit_index)
    }

    /// Records a nonce, used by the command at `audit_index`, until the command's expiry.
    fn insert(&mut self, signer: PublicKey, nonce: u64, expires_at_ms: u64, audit_index: u64) {
        self.used.insert((signer, nonce, audit_index));
        self.by_expiry.insert((expires_at_ms, signer, nonce, audit_index));
    }

    /// Forgets nonces whose commands expired before `timestamp_ms`.
    fn forget_expired(&mut self, timestamp_ms: u64) {
        while let Some(&(expires_at_ms, signer, nonce, audit_index)) = self.by_expiry.first() {
            if expires_at_ms >= timestamp_ms {
                break;
            }
            self.by_expiry.pop_first();
            self.used.remove(&(signer, nonce, audit_index));
        }
    }

    /// How many nonces are remembered.
    pub fn len(&self) -> usize {
        self.used.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.used.is_empty()
    }
}

/// Everything the ledger knows in memory. Final tenders leave it (see [`ArchiveRecord`]); the
/// archive digest keeps them covered by the state hash.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The genesis entry, once applied.
    pub genesis: Option<Genesis>,
    /// Registered actors by key.
    pub participants: BTreeMap<PublicKey, Participant>,
    /// Registered bidders by credit code (one key per organisation).
    pub credit_codes: BTreeMap<CreditCode, PublicKey>,
    /// Tenders not yet final.
    pub tenders: BTreeMap<TenderId, Tender>,
    /// How many tenders were ever published (numbers the next id).
    pub tenders_published: u64,
    /// Replay protection.
    pub nonces: NonceBook,
    /// The timestamp of the last applied entry.
    pub last_timestamp_ms: u64,
    /// SHA-256 chain over every archive record: H(previous ‖ canonical record).
    pub archive_digest: Option<Hash>,
    /// How many tenders were archived.
    pub archived_count: u64,
    /// Supervisors' correction orders, open or awaiting their tender's end
    /// ([`crate::supervision::Correction`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub corrections: BTreeMap<CorrectionId, Correction>,
    /// How many correction orders were ever made (numbers the next id).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub corrections_ordered: u64,
    /// The early warnings of open tenders, by their number (the order raised;
    /// [`crate::warnings`]), up to [`crate::warnings::WARNINGS_HELD_MAX`]; a final tender's
    /// leave memory in its archive record.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub warnings: BTreeMap<u64, Warning>,
    /// How many warnings were ever raised (numbers the next id).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warnings_raised: u64,
    /// The thresholds a supervisor set last; the genesis configuration's until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning_thresholds: Option<ThresholdsInForce>,
    /// What the history indicators remember of final tenders.
    #[serde(default, skip_serializing_if = "History::is_empty")]
    pub history: History,
    /// How many objections were ever filed (numbers the next id).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub objections_filed: u64,
    /// The performance tallies, by month, actor and step ([`crate::performance`]).
    #[serde(default, skip_serializing_if = "crate::performance::Performance::is_empty")]
    pub performance: crate::performance::Performance,
    /// How many complaints were ever filed (numbers the next id).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub complaints_filed: u64,
    /// The official calendars published, by year ([`crate::calendar`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub calendars: BTreeMap<i32, crate::calendar::YearCalendar>,
}

/// Whether a counter is still zero (left out of the state document, so a state from before
/// the counter existed hashes the same).
fn is_zero(count: &u64) -> bool {
    *count == 0
}

impl State {
    /// The configuration (defaults before genesis, which accepts nothing else anyway).
    pub fn config(&self) -> LedgerConfig {
        self.genesis
            .as_ref()
            .map(|genesis| genesis.config.clone())
            .unwrap_or_default()
    }

    /// The early-warning thresholds in force, and the entry that set them.
    pub fn thresholds(&self) -> ThresholdsInForce {
        self.warning_thresholds.unwrap_or_else(|| ThresholdsInForce {
            thresholds: self.config().warning_thresholds.unwrap_or_default(),
            set_at_audit_index: 0,
        })
    }

    /// Numbers `findings` on `tender` (none: on the log itself) into warnings raised by the entry
    /// of `context`. Past the bound, the oldest warnings that hold no award leave (a tender's
    /// are raised at its close, opening and award, a handful per lot, so only a state of
    /// thousands of open many-lot tenders comes near it).
    pub(crate) fn raise(&mut self, tender: Option<&TenderId>, context: &EntryContext, findings: Vec<Finding>) {
        let set_at_audit_index = self.thresholds().set_at_audit_index;
        for finding in findings {
            self.warnings_raised += 1;
            self.warnings.insert(
                self.warnings_raised,
                Warning {
                    id: WarningId::numbered(self.warnings_raised),
                    indicator: finding.indicator,
                    level: finding.level,
                    tender: tender.cloned(),
                    lot: finding.lot,
                    raised_at_ms: context.timestamp_ms,
                    audit_index: context.audit_index,
                    thresholds_set_at_audit_index: set_at_audit_index,
                    evidence: finding.evidence,
                    dispositions: Vec::new(),
                },
            );
        }
        // The oldest leave first, but never one that holds an award: a supervisor must decide on
        // it, and it leaves with its tender.
        while self.warnings.len() > WARNINGS_HELD_MAX {
            let Some(oldest) = self
                .warnings
                .iter()
                .find(|(_, warning)| !warning.holds_award())
                .map(|(number, _)| *number)
            else {
                break;
            };
            self.warnings.remove(&oldest);
        }
    }

    /// The warning `id` of open tender `tender`, or about the log itself (`None`).
    pub(crate) fn warning_mut(&mut self, tender: Option<&TenderId>, id: &WarningId) -> Result<&mut Warning, Rejection> {
        id.number()
            .and_then(|number| self.warnings.get_mut(&number))
            .filter(|warning| &warning.id == id && warning.tender.as_ref() == tender)
            .ok_or_else(|| Rejection::UnknownWarning {
                tender: tender.cloned(),
                warning: id.clone(),
            })
    }

    /// The first warning that holds `tender`'s award ([`Warning::holds_award_of`]), if any.
    pub fn award_hold(&self, tender: &TenderId) -> Option<&Warning> {
        self.warnings.values().find(|warning| warning.holds_award_of(tender))
    }

    /// Refuses a signer without `role`.
    /// A bidder whose registration is not approved is told where it stands.
    pub(crate) fn require_role(&self, signer: &PublicKey, role: Role) -> Result<&Participant, Rejection> {
        let participant = self.participants.get(signer);
        if let Some(participant) = participant
            && participant.roles.contains(&role)
        {
            return Ok(participant);
        }
        match participant.and_then(|participant| participant.registration.as_ref()) {
            Some(registration) if role == Role::Bidder => Err(Rejection::RegistrationNotApproved {
                status: registration.status(),
            }),
            _ => Err(Rejection::MissingRole(role)),
        }
    }

    /// An open tender.
    pub(crate) fn tender(&self, id: &TenderId) -> Result<&Tender, Rejection> {
        self.tenders.get(id).ok_or_else(|| Rejection::UnknownTender(id.clone()))
    }

    /// An open tender, to change.
    pub(crate) fn tender_mut(&mut self, id: &TenderId) -> Result<&mut Tender, Rejection> {
        self.tenders
            .get_mut(id)
            .ok_or_else(|| Rejection::UnknownTender(id.clone()))
    }
}

/// What the handler of an entry knows about it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryContext {
    /// The leader's timestamp.
    pub timestamp_ms: u64,
    /// When a command arrived at the node that received it (a command's arrival stamp; the
    /// timestamp for the leader's own entries): what decides whether a bid is on time.
    pub arrived_at_ms: u64,
    /// A command's source tag ([`crate::command::Arrival::source_tag`]).
    pub source_tag: Option<Hash>,
    /// The audit-log index this entry gets if it is applied.
    pub audit_index: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
}

/// What a handler changed.
#[derive(Debug, Default)]
pub(crate) struct Effect {
    /// The answer to the caller.
    pub response: Option<Response>,
    /// Audit events for supervisors.
    pub events: Vec<AuditEvent>,
    /// A tender that became final and must be archived.
    pub finished: Option<TenderId>,
    /// What the entry concerns; set by [`Ledger::apply`], not by the handlers.
    pub subject: Subject,
}

impl Effect {
    /// An effect with just a response.
    pub fn respond(response: Response) -> Self {
        Self {
            response: Some(response),
            ..Self::default()
        }
    }
}

/// The result of applying one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The answer to the command's sender.
    pub response: Response,
    /// Events for supervisors' monitoring.
    pub events: Vec<AuditEvent>,
    /// A tender that became final: the caller stores this record; it left memory.
    pub archived: Option<ArchiveRecord>,
    /// The entry's position in the audit log.
    pub audit_index: u64,
    /// The entry's leaf hash.
    pub leaf_hash: Hash,
    /// The entry's canonical bytes, the audit log's leaf: what the caller keeps as history.
    pub entry_bytes: Vec<u8>,
    /// What the entry concerns (its tender, market and office), for supervisors' filters.
    pub subject: crate::subject::Subject,
    /// What the entry publishes in the information service ([`crate::notices`]).
    pub notices: Vec<crate::notices::Notice>,
}

/// The ledger: its state and the audit log of every applied entry.
#[derive(Debug)]
pub struct Ledger<S> {
    /// What the entries built.
    state: State,
    /// RFC 6962 tree over the canonical bytes of every applied entry.
    audit: MerkleTree<S>,
    /// The latest timestamp of any entry seen, refused ones included: timestamps never
    /// decrease along the log. Not part of the state (a refused entry changes no state).
    last_seen_timestamp_ms: u64,
    /// Whether a bid may come without its envelope: only in a replay of the audit log, which
    /// serves no envelope for bids replaced or withdrawn (erased on every node). A replica
    /// refuses such a bid.
    erased_envelopes_accepted: bool,
}

/// What the state hash covers, as RFC 8785 canonical JSON.
#[derive(Serialize)]
struct StateDocument<'a> {
    /// The audit log's root.
    audit_root: Hash,
    /// The audit log's size.
    audit_size: u64,
    /// The whole state.
    state: &'a State,
}

/// A ledger snapshot: the state, how many entries the audit log holds, and the latest entry
/// timestamp seen (refused entries included), so that a restored ledger refuses exactly what
/// one that applied the whole log refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The whole state.
    pub state: State,
    /// The audit log's size; its nodes live in the node store.
    pub audit_size: u64,
    /// The latest timestamp of any entry applied or refused.
    pub last_seen_timestamp_ms: u64,
}

impl<S: NodeStore> Ledger<S> {
    /// An empty ledger over an empty audit store; the first entry must be the genesis.
    pub fn new(store: S) -> Self {
        Self {
            state: State::default(),
            audit: MerkleTree::new(store),
            last_seen_timestamp_ms: 0,
            erased_envelopes_accepted: false,
        }
    }

    /// A ledger for replaying the audit log, as a supervisor does: it takes a bid whose envelope
    /// was erased (the bid was later replaced or withdrawn) and refuses to open a tender whose
    /// live bids lack theirs.
    pub fn replaying(store: S) -> Self {
        Self {
            erased_envelopes_accepted: true,
            ..Self::new(store)
        }
    }

    /// Rebuilds a ledger from a snapshot and a node store holding its audit log.
    pub fn restore(snapshot: Snapshot, store: S) -> Result<Self, Fatal> {
        let audit =
            MerkleTree::open(store, snapshot.audit_size).map_err(|error| Fatal::AuditStore(error.to_string()))?;
        Ok(Self {
            last_seen_timestamp_ms: snapshot.last_seen_timestamp_ms,
            state: snapshot.state,
            audit,
            erased_envelopes_accepted: false,
        })
    }

    /// The snapshot of this ledger.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            state: self.state.clone(),
            audit_size: self.audit.size(),
            last_seen_timestamp_ms: self.last_seen_timestamp_ms,
        }
    }

    /// The latest timestamp of any entry applied or refused: a leader stamps no lower.
    pub fn last_seen_timestamp_ms(&self) -> u64 {
        self.last_seen_timestamp_ms
    }

    /// The state, for queries.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The audit log.
    pub fn audit(&self) -> &MerkleTree<S> {
        &self.audit
    }

    /// SHA-256 over the RFC 8785 bytes of the state document (the audit log's root and size,
    /// and the state; docs/protocol.md §6.1): equal on every replica that applied the same log,
    /// and unchanged by a refused entry. It costs a pass over the whole state.
    pub fn state_hash(&self) -> Hash {
        let document = StateDocument {
            audit_root: self.audit.root(),
            audit_size: self.audit.size(),
            state: &self.state,
        };
        // Every number in the state came through a canonical command or counts entries, so it
        // is within 2^53 and the encoding cannot fail; were it to, the hash would differ from
        // every verifier's and `audit verify` would say so.
        let bytes = to_canonical(&document).unwrap_or_default();
        debug_assert!(!bytes.is_empty(), "the state document encodes");
        let mut hash = [0u8; 32];
        hash.copy_from_slice(ring::digest::digest(&SHA256, &bytes).as_ref());
        Hash(hash)
    }

    /// Applies one log entry. A rejection leaves the ledger unchanged; a fatal error means
    /// the log is wrong and the replica must stop.
    pub fn apply(&mut self, entry: &Entry) -> Result<Applied, ApplyError> {
        if entry.timestamp_ms < self.last_seen_timestamp_ms {
            return Err(Fatal::TimestampWentBackwards {
                previous_ms: self.last_seen_timestamp_ms,
                found_ms: entry.timestamp_ms,
            }
            .into());
        }
        self.last_seen_timestamp_ms = entry.timestamp_ms;
        if let EntryBody::Command(received) = &entry.body
            && let Some(source) = received.arrival.source
            && received.arrival.source_sha256 != Some(source.commitment())
        {
            return Err(Rejection::Malformed("the command's source does not match its commitment".into()).into());
        }
        let leaf = entry.leaf_form();
        let bytes = to_canonical(leaf.as_ref().unwrap_or(entry)).map_err(|error| Fatal::Encoding(error.to_string()))?;
        let (arrived_at_ms, source_tag) = match &entry.body {
            EntryBody::Command(received) => (received.arrival.received_at_ms, received.arrival.source_tag),
            EntryBody::Genesis(_) | EntryBody::Close { .. } | EntryBody::Lapse(_) => (entry.timestamp_ms, None),
        };
        let context = EntryContext {
            timestamp_ms: entry.timestamp_ms,
            arrived_at_ms,
            source_tag,
            audit_index: self.audit.size(),
            leaf_hash: leaf_hash(&bytes),
        };
        let effect = self.dispatch(&entry.body, &context)?;
        self.audit
            .append_leaf_hashes(&[context.leaf_hash])
            .map_err(|error| Fatal::AuditStore(error.to_string()))?;
        self.state.last_timestamp_ms = entry.timestamp_ms;
        self.state.nonces.forget_expired(entry.timestamp_ms);
        let archived = effect
            .finished
            .and_then(|tender| self.archive(&tender, entry.timestamp_ms));
        let response = effect.response.unwrap_or(Response::Applied);
        let notices = crate::notices::of_applied(
            &self.state,
            &response,
            &effect.events,
            archived.as_ref(),
            effect.subject.tender.as_ref(),
            context.audit_index,
            entry.timestamp_ms,
        );
        Ok(Applied {
            response,
            events: effect.events,
            archived,
            audit_index: context.audit_index,
            leaf_hash: context.leaf_hash,
            entry_bytes: bytes,
            subject: effect.subject,
            notices,
        })
    }

    /// Routes an entry to its handler.
    fn dispatch(&mut self, body: &EntryBody, context: &EntryContext) -> Result<Effect, Rejection> {
        match (body, self.state.genesis.is_some()) {
            (EntryBody::Genesis(genesis), false) => {
                let mut participant = Participant {
                    key: genesis.operator,
                    name: "operator".into(),
                    roles: BTreeSet::new(),
                    credit_code: None,
                    encryption_key: None,
                    registration: None,
                };
                participant.roles.insert(Role::Admin);
                self.state.participants.insert(genesis.operator, participant);
                self.state.genesis = Some(genesis.clone());
                Ok(Effect::respond(Response::Initialised))
            }
            (EntryBody::Genesis(_), true) => Err(Rejection::AlreadyInitialised),
            (_, false) => Err(Rejection::NotInitialised),
            (EntryBody::Close { tender }, true) => {
                let subject = Subject::of_tender(&self.state, tender);
                let effect = handlers::tenders::close(&mut self.state, context, tender)?;
                Ok(Effect { subject, ..effect })
            }
            (EntryBody::Lapse(lapse), true) => {
                let tender = lapse.tender();
                let subject = Subject::of_tender(&self.state, tender);
                let effect = match lapse {
                    Lapse::ObjectionUnanswered { tender, objection } => {
                        handlers::objections::lapse(&mut self.state, context, tender, objection)
                    }
                    Lapse::ComplaintReviewOverdue { tender, complaint } => handlers::complaints::lapse(
                        &mut self.state,
                        context,
                        tender,
                        complaint,
                        crate::complaints::Period::Review,
                    ),
                    Lapse::ComplaintDecisionOverdue { tender, complaint } => handlers::complaints::lapse(
                        &mut self.state,
                        context,
                        tender,
                        complaint,
                        crate::complaints::Period::Decision,
                    ),
                }?;
                Ok(Effect { subject, ..effect })
            }
            (EntryBody::Command(received), true) => {
                self.check_arrival(&received.arrival, context.timestamp_ms)?;
                let message = &received.signed;
                let command = verify_command(message)?;
                self.check_freshness(&message.signer, &command, context.timestamp_ms)?;
                let envelope = handlers::bids::carried_envelope(
                    &command.action,
                    received.envelope.as_ref(),
                    self.erased_envelopes_accepted,
                )?;
                let subject = Subject::of_action(&self.state, &command.action);
                let effect = handlers::dispatch(&mut self.state, context, message, &command.action, envelope)?;
                let subject = match &effect.response {
                    Some(Response::TenderPublished { tender }) => Subject::of_tender(&self.state, tender),
                    _ => subject,
                };
                let effect = Effect { subject, ..effect };
                self.state.nonces.insert(
                    message.signer,
                    command.nonce,
                    command.expires_at_ms,
                    context.audit_index,
                );
                Ok(effect)
            }
        }
    }

    /// Refuses an arrival stamp more than the arrival window ahead of the entry's timestamp: the
    /// receiving node's clock runs fast. A stamp behind the timestamp is the time the command
    /// waited on its way, however long: a bid is on time by its arrival (and none is accepted
    /// after the close, which bounds how far back a node could date one).
    fn check_arrival(&self, arrival: &Arrival, timestamp_ms: u64) -> Result<(), Rejection> {
        let window_ms = self.state.config().arrival_window_ms;
        if arrival.received_at_ms > timestamp_ms.saturating_add(window_ms) {
            return Err(Rejection::ArrivalOutOfWindow {
                received_at_ms: arrival.received_at_ms,
                timestamp_ms,
                window_ms,
            });
        }
        Ok(())
    }

    /// The checks a node makes before it proposes a signed `command` (already verified with
    /// [`verify_command`]) that arrived at `now_ms` by its clock with `envelope` beside it,
    /// against the state it has applied: the ledger exists, its nonce is unused, a bid carries
    /// the envelope whose digest it signs (and nothing else carries one), the command has not
    /// expired (by the arrival window before `now_ms`, the earliest timestamp the leader could
    /// give it), its signer holds the role the action needs
    /// ([`crate::command::Action::required_role`]), a bid's tender has not closed, and an
    /// offer's envelope is well formed. Every
    /// one of them is checked again by [`Ledger::apply`], so a command refused here would be
    /// refused in the log too; refusing it here keeps it out of the log.
    ///
    /// A state that lags the leader's can refuse wrongly only where a later entry could change
    /// the answer: a missing role, a registration not yet approved, or a missing genesis (see [`Rejection::may_change`]).
    pub fn admit(
        &self,
        signer: &PublicKey,
        command: &Command,
        envelope: Option<&Envelope>,
        now_ms: u64,
    ) -> Result<(), Rejection> {
        if self.state.genesis.is_none() {
            return Err(Rejection::NotInitialised);
        }
        // A used nonce first: a command sent again is answered with its receipt, expired or not.
        if let Some(first_audit_index) = self.state.nonces.used_at(signer, command.nonce) {
            return Err(Rejection::ReplayedNonce {
                nonce: command.nonce,
                first_audit_index,
            });
        }
        let envelope = handlers::bids::carried_envelope(&command.action, envelope, false)?;
        // The leader stamps the entry no earlier than the arrival window before `now_ms` (and
        // any time later): a command expired by then is expired at every timestamp it could
        // get. How far ahead it expires is left to the log, which judges it at its timestamp.
        let window_ms = self.state.config().arrival_window_ms;
        if command.expires_at_ms.saturating_add(window_ms) < now_ms {
            return Err(Rejection::Expired {
                expires_at_ms: command.expires_at_ms,
                timestamp_ms: now_ms,
            });
        }
        if let Some(role) = command.action.required_role() {
            self.state.require_role(signer, role)?;
        }
        if let Some(id) = command.action.bidding_tender()
            && let Some(tender) = self.state.tenders.get(id)
            && tender.phase.is_past_close()
        {
            return Err(Rejection::Late {
                tender: id.clone(),
                deadline_ms: tender.deadline_ms,
                arrived_at_ms: now_ms,
            });
        }
        // After the lateness check, as the log checks them: a late bid is refused as late.
        if let Some(envelope) = command.action.reserve_envelope().or(envelope) {
            handlers::bids::check_envelope(envelope)?;
        }
        Ok(())
    }

    /// The tenders still taking bids, not suspended or held by an objection, whose deadline plus
    /// the arrival window has passed at `now_ms`: the leader closes them (an [`EntryBody::Close`] each).
    pub fn tenders_due_to_close(&self, now_ms: u64) -> Vec<TenderId> {
        let window_ms = self.state.config().arrival_window_ms;
        self.state
            .tenders
            .values()
            .filter(|tender| {
                tender.phase == Phase::Bidding
                    && tender.suspension.is_none()
                    && tender.deadline_ms.saturating_add(window_ms) <= now_ms
                    && handlers::objections::require_none_holding(tender, crate::objections::Hold::Close).is_ok()
            })
            .map(|tender| tender.id.clone())
            .collect()
    }

    /// The statutory periods that ended by `now_ms` without their act and that no lapse entry
    /// recorded yet: the leader records each (an [`EntryBody::Lapse`]).
    pub fn lapses_due(&self, now_ms: u64) -> Vec<Lapse> {
        let mut due = handlers::objections::lapses_due(&self.state, now_ms);
        due.extend(handlers::complaints::lapses_due(&self.state, now_ms));
        due
    }

    /// Refuses expired, too-long-lived and replayed commands, at `timestamp_ms`.
    fn check_freshness(&self, signer: &PublicKey, command: &Command, timestamp_ms: u64) -> Result<(), Rejection> {
        if command.expires_at_ms < timestamp_ms {
            return Err(Rejection::Expired {
                expires_at_ms: command.expires_at_ms,
                timestamp_ms,
            });
        }
        let lifetime_ms_max = self.state.config().command_lifetime_ms_max;
        if command.expires_at_ms - timestamp_ms > lifetime_ms_max {
            return Err(Rejection::ExpiryTooFar { lifetime_ms_max });
        }
        if let Some(first_audit_index) = self.state.nonces.used_at(signer, command.nonce) {
            return Err(Rejection::ReplayedNonce {
                nonce: command.nonce,
                first_audit_index,
            });
        }
        Ok(())
    }

    /// Moves a final tender out of memory and chains its record into the archive digest.
    fn archive(&mut self, id: &TenderId, timestamp_ms: u64) -> Option<ArchiveRecord> {
        let tender = self.state.tenders.remove(id)?;
        debug_assert!(tender.phase.is_final(), "only final tenders are archived");
        // Answered orders about it leave with it; the log keeps them.
        self.state
            .corrections
            .retain(|_, correction| correction.reply.is_none() || correction.tender.as_ref() != Some(id));
        // Its warnings leave with it, in the order raised; the archive record holds them.
        let warnings = self
            .state
            .warnings
            .extract_if(.., |_, warning| warning.tender.as_ref() == Some(id))
            .map(|(_, warning)| warning)
            .collect();
        let record = ArchiveRecord {
            archived_at_ms: timestamp_ms,
            tender,
            warnings,
        };
        let mut context = Context::new(&SHA256);
        if let Some(previous) = &self.state.archive_digest {
            context.update(&previous.0);
        }
        // The record's RFC 8785 bytes (protocol.md §6.1). Encoding cannot fail: every integer in
        // a tender was checked to be below 2^53 when it entered the log.
        let bytes = to_canonical(&record);
        debug_assert!(bytes.is_ok(), "an archive record encodes");
        context.update(&bytes.unwrap_or_default());
        let mut digest = [0u8; 32];
        digest.copy_from_slice(context.finish().as_ref());
        self.state.archive_digest = Some(Hash(digest));
        self.state.archived_count += 1;
        Some(record)
    }
}

/// Checks a signed command's signature, then decodes its payload, which must be a canonical
/// [`Command`]. Pure and independent of the state: a node runs it on the command's arrival, off
/// its async threads, and [`Ledger::apply`] runs it again.
pub fn verify_command(message: &SignedMessage) -> Result<Command, Rejection> {
    message.verify().map_err(|error| match error {
        SignedError::BadSignature => Rejection::BadSignature,
        SignedError::Payload(error) => Rejection::Malformed(error.to_string()),
    })
}

/// Whether `phase` is the phase a command needs.
pub(crate) fn require_phase(tender: &Tender, phase: Phase, needed: &'static str) -> Result<(), Rejection> {
    if tender.phase != phase {
        return Err(Rejection::WrongPhase {
            tender: tender.id.clone(),
            phase: tender.phase,
            needed,
        });
    }
    Ok(())
}

/// Refuses any command that would move a suspended tender.
pub(crate) fn require_not_suspended(tender: &Tender) -> Result<(), Rejection> {
    match &tender.suspension {
        Some(suspension) => Err(Rejection::TenderSuspended {
            tender: tender.id.clone(),
            since_ms: suspension.suspended_at_ms,
        }),
        None => Ok(()),
    }
}

/// Refuses a signer that is not the tender's office.
pub(crate) fn require_office(tender: &Tender, signer: &PublicKey) -> Result<(), Rejection> {
    if &tender.office != signer {
        return Err(Rejection::NotTheTendersOffice(tender.id.clone()));
    }
    Ok(())
}

/// Refuses text longer than the configured bound, empty (or only white space), or holding a
/// control or bidirectional-control character.
pub(crate) fn check_text(config: &LedgerConfig, text: &str, what: &'static str) -> Result<(), Rejection> {
    if text.len() > config.text_bytes_max {
        return Err(Rejection::Limit {
            what,
            limit: config.text_bytes_max,
        });
    }
    if text.trim().is_empty() {
        return Err(Rejection::EmptyText { what });
    }
    if let Some(character) = text.chars().find(|&character| is_hidden_control(character)) {
        return Err(Rejection::ControlCharacter {
            what,
            code_point: u32::from(character),
        });
    }
    Ok(())
}

/// Whether `character` is a control character (Unicode category Cc: C0, DEL, C1) or a
/// bidirectional control (the marks ALM, LRM, RLM, the embeddings and overrides U+202A-U+202E,
/// the isolates U+2066-U+2069).
fn is_hidden_control(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}
