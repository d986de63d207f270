//! The opening committee's distributed key generation (Pedersen's joint-Feldman protocol over
//! P-256), and the rebuilding of a tender's opening key from released shares after the close.
//!
//! Data flow, for n members numbered 1..=n and threshold t:
//! 1. Round 1: every member deals ([`Dealing::create`]): Feldman commitments to a random
//!    polynomial of degree t−1 with a proof of knowledge of its constant term, and one share
//!    per member, sealed to that member's P-256 key with a proof of knowledge of the envelope's
//!    ephemeral secret. Round 2 starts only once round 1 is over (the ledger enforces it).
//! 2. Round 2: every member checks what it was dealt against the commitments and publishes a
//!    [`Response`]: it accepts every dealing it does not complain about; a complaint reveals the
//!    ECDH shared point with a Chaum–Pedersen proof, so anyone can open the disputed share and
//!    see who lied.
//! 3. Finish ([`finish`]): the qualified dealers are the well-formed ones with no upheld
//!    complaint; the opening key Y is the sum of their constant-term commitments; member j's
//!    share x_j is the sum of the shares they dealt it ([`member_share`]). No one ever holds x.
//! 4. After the close, members release shares ([`ReleasedShare`]); each is checked against the
//!    public commitments ([`CommitteeOutcome::verify_share`]); any t valid ones rebuild x and it
//!    is checked against Y ([`CommitteeOutcome::rebuild`]).
//!
//! Every message is plain serialisable data, so the ledger can carry it, and every failure
//! names the member at fault ([`Fault`]). Known limit of joint-Feldman (Gennaro et al., 1999):
//! a dishonest dealer can bias the distribution of Y slightly; this does not help anyone read
//! a bid, since that needs t shares.

mod complaint;
mod dealing;
mod knowledge;
mod outcome;
mod polynomial;

use serde::{Deserialize, Serialize};

pub use complaint::{Complaint, EqualityProof, Response};
pub use dealing::Dealing;
pub use knowledge::KnowledgeProof;
pub use outcome::{CommitteeOutcome, ReadinessProof, ReleasedShare, finish, member_share, readiness_statement};

use crate::curve::{CurveError, CurvePoint};
use crate::encoding::{EncodingError, from_canonical, to_canonical};
use crate::seal::SealError;

/// The largest committee this code accepts (the design asks for at least 32).
pub const COMMITTEE_MEMBERS_MAX: u16 = 64;

/// A member's number in its committee: 1..=n.
pub type MemberNumber = u16;

/// Who did what wrong in the key generation or the opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The dealer's message is malformed (wrong counts, bad points, wrong session).
    MalformedDealing {
        /// The dealer.
        dealer: MemberNumber,
        /// What is wrong with it.
        reason: String,
    },
    /// The dealer published two different dealings.
    Equivocation {
        /// The dealer.
        dealer: MemberNumber,
    },
    /// The dealer's share for `recipient` does not open or does not match its commitments,
    /// as the recipient's complaint proved.
    BadShare {
        /// The dealer.
        dealer: MemberNumber,
        /// The member that complained.
        recipient: MemberNumber,
    },
    /// The accuser's complaint is unproven or the share it disputes is in fact valid.
    FalseComplaint {
        /// The member that complained.
        accuser: MemberNumber,
        /// The dealer it accused.
        dealer: MemberNumber,
    },
}

impl Fault {
    /// The member at fault.
    pub fn member(&self) -> MemberNumber {
        match self {
            Fault::MalformedDealing { dealer, .. }
            | Fault::Equivocation { dealer }
            | Fault::BadShare { dealer, .. } => *dealer,
            Fault::FalseComplaint { accuser, .. } => *accuser,
        }
    }
}

/// Why a key-generation step or an opening failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DkgError {
    /// The committee parameters are unusable.
    #[error("bad committee parameters: {0}")]
    BadParameters(String),
    /// A member number outside 1..=n.
    #[error("member {0} is not in the committee")]
    NotAMember(MemberNumber),
    /// A message is for another key-generation session.
    #[error("message is for session {found:?}, expected {expected:?}")]
    WrongSession {
        /// The session this committee runs.
        expected: String,
        /// The session the message names.
        found: String,
    },
    /// A member's misbehaviour stops this step; the fault names the member.
    #[error("member {} is at fault: {fault:?}", fault.member())]
    Faulty {
        /// What the member did.
        fault: Fault,
    },
    /// Fewer qualified dealers than the threshold: the key would not be safe.
    #[error("only {qualified} qualified dealers; at least {threshold} are needed")]
    NotEnoughQualifiedDealers {
        /// How many dealers qualified.
        qualified: usize,
        /// The threshold t.
        threshold: u16,
    },
    /// A released share does not match the public commitments.
    #[error("the share released by member {member} does not match the commitments")]
    InvalidShare {
        /// The member whose share is invalid.
        member: MemberNumber,
    },
    /// A member's readiness proof does not prove knowledge of its share.
    #[error("member {member}'s readiness proof does not verify against its public share")]
    BadReadinessProof {
        /// The member.
        member: MemberNumber,
    },
    /// The same member's share was given twice.
    #[error("member {member}'s share was given more than once")]
    DuplicateShare {
        /// The member.
        member: MemberNumber,
    },
    /// Fewer valid shares than the threshold.
    #[error("{valid} valid shares; the threshold is {threshold}")]
    NotEnoughShares {
        /// How many valid shares were given.
        valid: usize,
        /// The threshold t.
        threshold: u16,
    },
    /// The rebuilt key does not match the opening key (cannot happen with verified shares).
    #[error("the rebuilt key does not match the opening key")]
    KeyMismatch,
    /// The random source failed.
    #[error("the random source failed")]
    Random,
    /// Sealing a share failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// A message could not be encoded or parsed.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
}

impl From<CurveError> for DkgError {
    fn from(error: CurveError) -> Self {
        match error {
            CurveError::Random => DkgError::Random,
            other => DkgError::BadParameters(other.to_string()),
        }
    }
}

/// What the committee agreed before the key generation: who the members are and how many of
/// them must release shares to open the bids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CommitteeParameters {
    /// Names this key generation (the tender's id); bound into every sealed share.
    pub session: String,
    /// t: how many valid shares rebuild the key; t−1 learn nothing.
    pub threshold: u16,
    /// Member j's P-256 encryption key is at position j−1.
    pub member_keys: Vec<CurvePoint>,
}

impl CommitteeParameters {
    /// Checks 1 ≤ t ≤ n ≤ [`COMMITTEE_MEMBERS_MAX`] and a non-empty session.
    pub fn validate(&self) -> Result<(), DkgError> {
        let members = self.member_keys.len();
        if self.session.is_empty() {
            return Err(DkgError::BadParameters("the session name is empty".into()));
        }
        if members == 0 || members > usize::from(COMMITTEE_MEMBERS_MAX) {
            return Err(DkgError::BadParameters(format!(
                "{members} members; a committee has 1 to {COMMITTEE_MEMBERS_MAX}"
            )));
        }
        if self.threshold == 0 || usize::from(self.threshold) > members {
            return Err(DkgError::BadParameters(format!(
                "threshold {} with {members} members; it must be 1 to {members}",
                self.threshold
            )));
        }
        Ok(())
    }

    /// n, the number of members.
    pub fn member_count(&self) -> MemberNumber {
        MemberNumber::try_from(self.member_keys.len()).unwrap_or(MemberNumber::MAX)
    }

    /// Member numbers 1..=n.
    pub fn members(&self) -> impl Iterator<Item = MemberNumber> {
        1..=self.member_count()
    }

    /// Member `member`'s encryption key.
    pub fn member_key(&self, member: MemberNumber) -> Result<&CurvePoint, DkgError> {
        usize::from(member)
            .checked_sub(1)
            .and_then(|position| self.member_keys.get(position))
            .ok_or(DkgError::NotAMember(member))
    }

    /// Refuses messages of another session.
    fn check_session(&self, session: &str) -> Result<(), DkgError> {
        if session != self.session {
            return Err(DkgError::WrongSession {
                expected: self.session.clone(),
                found: session.into(),
            });
        }
        Ok(())
    }
}

/// Any key-generation or opening message, as the ledger carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DkgMessage {
    /// Round 1.
    Dealing(Dealing),
    /// Round 2.
    Response(Response),
    /// After the close.
    ReleasedShare(ReleasedShare),
}

impl DkgMessage {
    /// Parses a message from its canonical JSON bytes.
    pub fn from_canonical(bytes: &[u8]) -> Result<Self, DkgError> {
        Ok(from_canonical(bytes)?)
    }

    /// The message's canonical JSON bytes.
    pub fn to_canonical(&self) -> Result<Vec<u8>, DkgError> {
        Ok(to_canonical(self)?)
    }
}
