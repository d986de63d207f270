//! The ledger's value types, parsed at the edge (deserialisation) and trusted afterwards.

use serde::{Deserialize, Serialize};

use sealbid_crypto::encoding::INTEGER_MAGNITUDE_MAX;

/// Why a value was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ValueError {
    /// An identifier with characters or a length outside its rules.
    #[error("{kind} {text:?} must be 1 to {length_max} characters of A-Z, a-z, 0-9, '-' and '_'")]
    Identifier {
        /// What kind of identifier.
        kind: &'static str,
        /// The text given ([`excerpt`]: cut short when long).
        text: String,
        /// The longest allowed.
        length_max: usize,
    },
    /// An amount outside 1 ..= 2^53 − 1 fen.
    #[error("{0} fen is not an amount between 1 and 2^53 - 1 fen")]
    Amount(u64),
}

/// Money: an integer number of fen (0.01 CNY), positive and at most 2^53 − 1 so that every
/// JSON reader carries it exactly. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "u64", into = "u64")]
pub struct Fen(u64);

impl Fen {
    /// An amount of fen.
    pub fn new(fen: u64) -> Result<Self, ValueError> {
        if fen == 0 || fen > INTEGER_MAGNITUDE_MAX {
            return Err(ValueError::Amount(fen));
        }
        Ok(Self(fen))
    }

    /// The number of fen.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl TryFrom<u64> for Fen {
    type Error = ValueError;
    fn try_from(fen: u64) -> Result<Self, ValueError> {
        Self::new(fen)
    }
}

impl From<Fen> for u64 {
    fn from(fen: Fen) -> u64 {
        fen.0
    }
}

/// Checks an identifier's characters and length.
/// The most characters of a refused text an error repeats.
const EXCERPT_CHARACTERS_MAX: usize = 48;

/// `text` as an error repeats it: whole when short, else its first characters and how long it
/// was (an error never echoes a flood of input).
pub fn excerpt(text: &str) -> String {
    if text.chars().count() <= EXCERPT_CHARACTERS_MAX {
        return text.to_owned();
    }
    let start: String = text.chars().take(EXCERPT_CHARACTERS_MAX).collect();
    format!("{start}… ({} bytes)", text.len())
}

fn check_identifier(kind: &'static str, text: &str, length_max: usize) -> Result<(), ValueError> {
    let allowed = |character: char| character.is_ascii_alphanumeric() || character == '-' || character == '_';
    if text.is_empty() || text.len() > length_max || !text.chars().all(allowed) {
        return Err(ValueError::Identifier {
            kind,
            text: excerpt(text),
            length_max,
        });
    }
    Ok(())
}

/// Declares a string identifier newtype with its validation.
macro_rules! identifier {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $length_max:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates the identifier.
            pub fn parse(text: &str) -> Result<Self, ValueError> {
                check_identifier($kind, text, $length_max)?;
                Ok(Self(text.into()))
            }

            /// The identifier's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValueError;
            fn try_from(text: String) -> Result<Self, ValueError> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(identifier: $name) -> String {
                identifier.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// A tender's id, assigned by the ledger when the tender is published (`T-000001`, …).
    TenderId,
    "tender id",
    32
);

identifier!(
    /// A lot's id within its tender, chosen by the office (`1`, `north-plot`, …).
    LotId,
    "lot id",
    32
);

identifier!(
    /// A supervisor's correction order, assigned by the ledger when it is ordered (`C-000001`, …).
    CorrectionId,
    "correction id",
    32
);

identifier!(
    /// A bidder's objection (异议) to a tender's office, assigned by the ledger when it is filed
    /// (`O-000001`, …).
    ObjectionId,
    "objection id",
    32
);

identifier!(
    /// A bidder's complaint (投诉) to a supervisor, assigned by the ledger when it is filed
    /// (`CP-000001`, …).
    ComplaintId,
    "complaint id",
    32
);

identifier!(
    /// An early warning, assigned by the ledger when it is raised (`W-000001`, …).
    WarningId,
    "warning id",
    32
);

impl WarningId {
    /// The id of the `number`th warning raised on this ledger.
    pub fn numbered(number: u64) -> Self {
        Self(format!("W-{number:06}"))
    }

    /// The number of the warning, the order it was raised in; `None` for an id not of the
    /// ledger's form.
    pub fn number(&self) -> Option<u64> {
        let digits = self.0.strip_prefix("W-")?;
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }
}

impl TenderId {
    /// The id of the `number`th tender published on this ledger.
    pub fn numbered(number: u64) -> Self {
        Self(format!("T-{number:06}"))
    }

    /// The number of the tender, the order it was published in; `None` for an id not of the
    /// ledger's form.
    pub fn number(&self) -> Option<u64> {
        let digits = self.0.strip_prefix("T-")?;
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }
}

impl ObjectionId {
    /// The id of the `number`th objection filed on this ledger.
    pub fn numbered(number: u64) -> Self {
        Self(format!("O-{number:06}"))
    }
}

impl ComplaintId {
    /// The id of the `number`th complaint filed on this ledger.
    pub fn numbered(number: u64) -> Self {
        Self(format!("CP-{number:06}"))
    }
}

impl CorrectionId {
    /// The id of the `number`th correction ordered on this ledger.
    pub fn numbered(number: u64) -> Self {
        Self(format!("C-{number:06}"))
    }
}

/// The markets of a public-resource trading centre, each with its default award rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Market {
    /// Government procurement (政府采购): lowest valid price.
    Procurement,
    /// Construction tendering (工程建设招投标): lowest valid price.
    Construction,
    /// Land-use-right transfer (土地使用权出让): highest price at or above the reserve.
    LandUseRight,
    /// State property-rights transfer (产权交易): highest price at or above the reserve.
    PropertyRights,
    /// Coal and coke (煤焦交易): multi-unit, descending price, pay-as-bid.
    CoalCoke,
}

impl Market {
    /// The market's rules ([`crate::market`]).
    pub fn rules(self) -> crate::market::MarketRules {
        crate::market::MarketRules::of(self)
    }

    /// Whether the office seals a reserve price (底价) for each lot.
    pub fn has_reserve_price(self) -> bool {
        self.rules().reserve_price
    }

    /// Whether bids carry a quantity in tonnes.
    pub fn is_multi_unit(self) -> bool {
        self.rules().multi_unit
    }
}

/// What an actor may do beyond bidding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The operator: grants roles.
    Admin,
    /// A tendering office or agency (招标人/代理机构): publishes and runs tenders.
    Office,
    /// A member of opening committees (开标/监标): holds shares of opening keys.
    CommitteeMember,
    /// A supervisor (监督/电子监察): reads everything, co-signs checkpoints.
    Supervisor,
    /// A bidder whose registration a registrar approved.
    Bidder,
    /// The trading centre's registrar (the registration desk): checks a company's documents,
    /// then approves, rejects or revokes its registration as a bidder.
    Registrar,
}

/// Where a bidder's registration stands, without its reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Applied; waits for a registrar.
    Pending,
    /// Approved by a registrar: the key holds the bidder role.
    Approved,
    /// Refused by a registrar.
    Rejected,
    /// Approved, then withdrawn by a registrar.
    Revoked,
}

impl std::fmt::Display for RegistrationStatus {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            RegistrationStatus::Pending => "pending",
            RegistrationStatus::Approved => "approved",
            RegistrationStatus::Rejected => "rejected",
            RegistrationStatus::Revoked => "revoked",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_identifiers_are_checked() {
        assert_eq!(Fen::new(0), Err(ValueError::Amount(0)));
        assert!(Fen::new(INTEGER_MAGNITUDE_MAX).is_ok());
        assert!(Fen::new(INTEGER_MAGNITUDE_MAX + 1).is_err());
        assert!(serde_json::from_str::<Fen>("0").is_err());
        assert!(LotId::parse("north-plot_2").is_ok());
        for bad in ["", "lot 1", "地块", &"x".repeat(33)] {
            assert!(LotId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(TenderId::numbered(42).as_str(), "T-000042");
    }
}
