//! The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters from a
//! 31-character alphabet (digits and upper-case letters without I, O, S, V, Z), checked in full:
//!
//! - position 1, the registration authority (登记管理部门): 1 机构编制, 2 外交, 3 司法行政, 4 文化,
//!   5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商 (market regulation), A 中央军委改革和编制办公室,
//!   N 农业, Y 其他;
//! - position 2, the organisation type that authority registers (机构类别, [`TYPES`]);
//! - positions 3-8, the registering office's administrative division (GB/T 2260): six digits,
//!   the first two a province-level code, or 100000 for the national level;
//! - positions 9-17, the organisation code of GB 11714: eight characters and a check character
//!   11 − (Σ value·weight mod 11) with weights 3 7 9 10 5 8 4 2 (10 is X, 11 is 0);
//! - position 18, the check character of the first 17 with weights 3^i mod 31 (GB/T 17710).

use serde::{Deserialize, Serialize};

/// The code alphabet; a character's value is its position.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1..=17: 3^(i−1) mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/// Code length.
const CODE_LENGTH: usize = 18;
/// Each registration authority and the organisation types it registers.
pub const TYPES: [(char, &str); 12] = [
    ('1', "1239"),
    ('2', "19"),
    ('3', "123459"),
    ('4', "19"),
    ('5', "1239"),
    ('6', "129"),
    ('7', "129"),
    ('8', "19"),
    ('9', "123"),
    ('A', "19"),
    ('N', "1239"),
    ('Y', "1"),
];
/// The province-level division codes of GB/T 2260 (the first two digits of a division).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44",
    "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
];
/// The national-level division code.
const NATIONAL: &str = "100000";
/// GB 11714's weights for the organisation code's eight characters.
const ORGANISATION_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Why a credit code was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CreditCodeError {
    /// Not 18 characters.
    #[error("a unified social credit code has 18 characters, this one has {0}")]
    Length(usize),
    /// A character outside the code alphabet.
    #[error("character {character:?} at position {position} is not in the code alphabet (0-9, A-Y without I O S V Z)")]
    Character {
        /// 1-based position.
        position: usize,
        /// The offending character.
        character: char,
    },
    /// The check character does not match.
    #[error("check character is {found:?}, expected {expected:?}: the code is mistyped")]
    CheckCharacter {
        /// What the first 17 characters call for.
        expected: char,
        /// What the code has.
        found: char,
    },
    /// The first character names no registration authority.
    #[error("{0:?} is not a registration authority code (1-9, A, N or Y)")]
    RegistrationAuthority(char),
    /// The second character is not a type that authority registers.
    #[error("{found:?} is not an organisation type registered by authority {authority:?} (it registers {types})")]
    OrganisationType {
        /// The registration authority.
        authority: char,
        /// The type found.
        found: char,
        /// The types it registers.
        types: String,
    },
    /// Positions 3-8 are not an administrative division code.
    #[error("{0:?} (positions 3-8) is not an administrative division code of GB/T 2260")]
    Division(String),
    /// The organisation code's check character (position 17) does not match.
    #[error("the organisation code's check character (position 17) is {found:?}, GB 11714 calls for {expected:?}")]
    OrganisationCheck {
        /// What the organisation code's first eight characters call for.
        expected: char,
        /// What the code has.
        found: char,
    },
}

/// A validated unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

impl CreditCode {
    /// Validates `text` (upper case; surrounding white space is not trimmed).
    pub fn parse(text: &str) -> Result<Self, CreditCodeError> {
        let characters: Vec<char> = text.chars().collect();
        if characters.len() != CODE_LENGTH {
            return Err(CreditCodeError::Length(characters.len()));
        }
        let (body, check) = characters.split_at(CODE_LENGTH - 1);
        let expected = check_character(body)?;
        let found = check.first().copied().unwrap_or('?');
        if alphabet_value(found).is_none() {
            return Err(CreditCodeError::Character {
                position: CODE_LENGTH,
                character: found,
            });
        }
        if found != expected {
            return Err(CreditCodeError::CheckCharacter { expected, found });
        }
        check_structure(body)?;
        Ok(Self(text.into()))
    }

    /// The code of an organisation registered by `authority` as `organisation_type` at the
    /// division `division`, with the eight characters `organisation` of its organisation code:
    /// both check characters computed (for tools that issue codes, and tests).
    pub fn from_parts(
        authority: char,
        organisation_type: char,
        division: &str,
        organisation: &str,
    ) -> Result<Self, CreditCodeError> {
        let characters: Vec<char> = organisation.chars().collect();
        if characters.len() != ORGANISATION_WEIGHTS.len() {
            return Err(CreditCodeError::Length(characters.len() + 10));
        }
        let check = organisation_check(&characters, 9)?;
        Self::from_body(&format!(
            "{authority}{organisation_type}{division}{organisation}{check}"
        ))
    }

    /// Completes the first 17 characters of a code with their check character (for tools that
    /// issue or repair codes).
    pub fn from_body(body: &str) -> Result<Self, CreditCodeError> {
        let characters: Vec<char> = body.chars().collect();
        if characters.len() != CODE_LENGTH - 1 {
            return Err(CreditCodeError::Length(characters.len() + 1));
        }
        let check = check_character(&characters)?;
        Self::parse(&format!("{body}{check}"))
    }

    /// The code text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The check character of a 17-character body: (31 − Σ value·weight mod 31) mod 31.
fn check_character(body: &[char]) -> Result<char, CreditCodeError> {
    let mut sum = 0u32;
    for (position, (&character, weight)) in body.iter().zip(WEIGHTS).enumerate() {
        let value = alphabet_value(character).ok_or(CreditCodeError::Character {
            position: position + 1,
            character,
        })?;
        sum += value * weight;
    }
    let value = (31 - sum % 31) % 31;
    Ok(ALPHABET.get(value as usize).map_or('?', |&byte| char::from(byte)))
}

/// Checks the authority, type, division and organisation code of a 17-character body.
fn check_structure(body: &[char]) -> Result<(), CreditCodeError> {
    let authority = body.first().copied().unwrap_or('?');
    let types = TYPES
        .iter()
        .find(|(code, _)| *code == authority)
        .map(|(_, types)| *types)
        .ok_or(CreditCodeError::RegistrationAuthority(authority))?;
    let organisation_type = body.get(1).copied().unwrap_or('?');
    if !types.contains(organisation_type) {
        return Err(CreditCodeError::OrganisationType {
            authority,
            found: organisation_type,
            types: types.into(),
        });
    }
    let division: String = body.iter().skip(2).take(6).collect();
    let is_division = division.chars().all(|character| character.is_ascii_digit())
        && (division == NATIONAL || PROVINCES.iter().any(|province| division.starts_with(province)));
    if !is_division {
        return Err(CreditCodeError::Division(division));
    }
    let organisation: Vec<char> = body.iter().skip(8).take(8).copied().collect();
    let expected = organisation_check(&organisation, 9)?;
    let found = body.get(16).copied().unwrap_or('?');
    if found != expected {
        return Err(CreditCodeError::OrganisationCheck { expected, found });
    }
    Ok(())
}

/// GB 11714's check character of an organisation code's eight characters (`first_position`
/// is the first one's position in the credit code, for errors): 11 − (Σ value·weight mod 11),
/// 10 written X and 11 written 0; a letter's value is 10 for A up to 35 for Z.
fn organisation_check(characters: &[char], first_position: usize) -> Result<char, CreditCodeError> {
    let mut sum = 0u32;
    for (offset, (&character, weight)) in characters.iter().zip(ORGANISATION_WEIGHTS).enumerate() {
        let value = match character {
            '0'..='9' | 'A'..='Z' => character.to_digit(36),
            _ => None,
        }
        .ok_or(CreditCodeError::Character {
            position: first_position + offset,
            character,
        })?;
        sum += value * weight;
    }
    Ok(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        digit => char::from_digit(digit, 10).unwrap_or('?'),
    })
}

/// A character's value in the code alphabet.
fn alphabet_value(character: char) -> Option<u32> {
    let byte = u8::try_from(character).ok()?;
    ALPHABET
        .iter()
        .position(|&candidate| candidate == byte)
        .and_then(|position| u32::try_from(position).ok())
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;
    fn try_from(text: String) -> Result<Self, CreditCodeError> {
        Self::parse(&text)
    }
}

impl From<CreditCode> for String {
    fn from(code: CreditCode) -> String {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_validate() {
        // Codes printed on Chinese business licences (public registrations).
        for code in ["91350100M000100Y43", "91110000802100433B", "91440300708461136T"] {
            assert_eq!(
                CreditCode::parse(code).map(|parsed| parsed.as_str().to_string()),
                Ok(code.to_string()),
                "{code}"
            );
        }
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(CreditCode::parse("91350100M000100Y4"), Err(CreditCodeError::Length(17)));
        assert_eq!(
            CreditCode::parse("91350100M000100Y4I"),
            Err(CreditCodeError::Character {
                position: 18,
                character: 'I'
            })
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::CheckCharacter {
                expected: '3',
                found: '4'
            })
        );
        assert!(matches!(
            CreditCode::parse("91350100m000100Y43"),
            Err(CreditCodeError::Character { position: 9, .. })
        ));
        // A swap of two characters changes the check character.
        assert!(CreditCode::parse("91351000M000100Y43").is_err());
        assert_eq!(
            CreditCode::from_body("91350100M000100Y4").map(|code| code.0),
            Ok("91350100M000100Y43".into())
        );
        assert_eq!(
            CreditCode::from_body("91350100M000100Y"),
            Err(CreditCodeError::Length(17))
        );
    }

    #[test]
    fn the_authority_type_division_and_organisation_code_are_checked() {
        // Codes whose last check character is right but whose structure is not.
        let refused = |body: &str| CreditCode::parse(&CreditCode::body_with_check(body)).unwrap_err();
        assert_eq!(
            refused("00000000000000000"),
            CreditCodeError::RegistrationAuthority('0')
        );
        assert_eq!(
            refused("B1350100M000100Y4"),
            CreditCodeError::RegistrationAuthority('B')
        );
        assert!(matches!(
            refused("94350100M000100Y4"),
            CreditCodeError::OrganisationType {
                authority: '9',
                found: '4',
                ..
            }
        ));
        assert!(matches!(
            refused("Y2350100M000100Y4"),
            CreditCodeError::OrganisationType { .. }
        ));
        assert_eq!(refused("91990100M000100Y4"), CreditCodeError::Division("990100".into()));
        assert_eq!(refused("91000000M000100Y4"), CreditCodeError::Division("000000".into()));
        assert_eq!(
            refused("91350100M000100Y5"),
            CreditCodeError::OrganisationCheck {
                expected: '4',
                found: '5'
            }
        );
        // The national level, and the check characters 10 (X) and 11 (0) of GB 11714.
        assert!(CreditCode::parse("91100000100003962T").is_ok());
        assert!(CreditCode::parse("91110000710925462X").is_ok());
        let issued = CreditCode::from_parts('9', '1', "350100", "MA000001").unwrap();
        assert!(CreditCode::parse(issued.as_str()).is_ok());
        assert_eq!(
            CreditCode::from_parts('9', '1', "350100", "MA00001"),
            Err(CreditCodeError::Length(17))
        );
    }

    impl CreditCode {
        /// A 17-character body and its 18th check character, structure unchecked.
        fn body_with_check(body: &str) -> String {
            let characters: Vec<char> = body.chars().collect();
            format!("{body}{}", check_character(&characters).unwrap())
        }
    }
}
