//! sealbid's ledger: the pure, deterministic state machine that the cluster replicates and
//! that a supervisor replays. No I/O, no clock, no randomness: time comes from each entry's
//! leader timestamp, so the same log gives the same state, byte for byte, on every replica.
//!
//! Data flow: a log [`command::Entry`] (genesis, a signed [`command::Command`], or the leader's
//! unsigned close) goes into [`Ledger::apply`], which checks the signature, freshness and
//! nonce, routes the action to its handler ([`handlers`]) and, if it is accepted, appends the
//! entry to the audit log (the crypto crate's Merkle tree) and answers with an [`Applied`]: the
//! response, audit events for supervisors, and the final record of a tender that was awarded,
//! failed or cancelled, which leaves memory for storage. A refused command is a typed
//! [`Rejection`] and changes nothing; a [`Fatal`] error means the log itself is wrong.
//!
//! Tenders go through key generation (the committee's DKG), bidding, close, share release,
//! opening (rebuild the key, decrypt and check every bid) and award, by the rules of their
//! market ([`market`] says which, [`award`] applies them). [`query`] reads the state, and [`disclosure`] says which entries the
//! public may not read yet; [`Ledger::snapshot`] and
//! [`Ledger::state_hash`] serve replication and audit.
//!
//! With the feature `openapi` the commands and the views [`query`] builds also describe
//! themselves as OpenAPI schemas (utoipa derives, no behaviour); the API enables it, and the
//! ledger's own builds stay without it.
//!
//! A bid's command signs its envelope's digest, and the envelope travels beside it, outside the
//! leaf: a replaced or withdrawn offer leaves the state and can be erased everywhere while its
//! signed entry still proves it was made ([`envelopes`] says where a bid's envelope is; a
//! [`Ledger::replaying`] ledger takes bids without theirs).
//!
//! Supervisors hold tenders and order corrections ([`supervision`]): a suspended tender refuses
//! every command that would move it, and its deadline is held until it resumes. The ledger
//! raises early warnings for them at a tender's close, opening and award ([`warnings`]), from
//! the log alone, by thresholds set in the genesis and changed only by a supervisor; also when
//! a tender's committee has not proved it can open by the set time before the deadline, and
//! when a supervisor's witness reports a fork of the log. Supervisors decide on each warning,
//! and a red one holds the award until they do.
//!
//! Statutory periods are computed on the official working-day calendar the operator publishes
//! ([`calendar`]), in China Standard Time. Bidders object to an office about a tender's
//! documents, opening or evaluation result, and the office answers, on those periods ([`objections`]); an
//! unanswered objection holds its tender, and when a period ends without its act the leader
//! commits the consequence (a [`command::Lapse`]), as it commits the close. In construction
//! and government procurement the office publishes the ranked candidates before the award,
//! which waits for the publicity ([`publicity`]). Bidders complain to supervisors about a
//! tender, after an objection where the law requires one, and supervisors review and decide
//! on the same clock ([`complaints`]); an open complaint holds the award. Each timed step is
//! tallied against its period by office and month ([`performance`]). What the information
//! service publishes is derived here too: a notice per public act, handed out with each applied
//! entry ([`notices`]), and a tender's OCDS releases and record ([`ocds`]).
//!
//! The award rules are plain functions of a lot's valid bids; ties go to the earlier log
//! position:
//!
//! ```
//! use sealbid_crypto::identity::IdentityKeyPair;
//! use sealbid_ledger::award::{Candidate, LotOutcome, award_lot};
//! use sealbid_ledger::command::LotSpec;
//! use sealbid_ledger::types::{Fen, LotId, Market};
//!
//! let bidder = |seed: u8| IdentityKeyPair::from_seed(&[seed; 32]).map(|key| key.public_key());
//! let candidate = |seed: u8, audit_index: u64, price: u64| -> Result<Candidate, Box<dyn std::error::Error>> {
//!     Ok(Candidate { bidder: bidder(seed)?, audit_index, price_fen: Fen::new(price)?, quantity_tonnes: None })
//! };
//! let lot = LotSpec { id: LotId::parse("1")?, title: "road works".into(), quantity_tonnes: None, lot_size_tonnes_min: None, ceiling_price_fen: None };
//! let bids = [candidate(1, 10, 900)?, candidate(2, 11, 800)?, candidate(3, 12, 800)?];
//! let LotOutcome::Awarded { winners } = award_lot(Market::Construction, &lot, 3, None, &bids) else {
//!     panic!("three valid bids meet the minimum of three");
//! };
//! assert_eq!(winners[0].bidder, bidder(2)?);
//! assert_eq!(winners[0].pay_fen, 800);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod award;
pub mod calendar;
pub mod command;
pub mod complaints;
pub mod credit_code;
pub mod disclosure;
pub mod envelopes;
pub mod events;
mod handlers;
pub mod market;
pub mod notices;
pub mod objections;
pub mod ocds;
pub mod performance;
pub mod publicity;
pub mod query;
pub mod rejection;
#[cfg(feature = "openapi")]
mod schema;
pub mod state;
pub mod subject;
pub mod supervision;
pub mod tender;
pub mod types;
pub mod warnings;

pub use rejection::{ApplyError, Fatal, Rejection, RejectionKind};
pub use state::{Applied, Ledger, Snapshot, State};
