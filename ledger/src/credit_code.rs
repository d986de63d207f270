//! The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters from a
//! 31-character alphabet (digits and upper-case letters without I, O, S, V, Z), the last one a
//! check character computed from the first 17 with weights 3^i mod 31.

use serde::{Deserialize, Serialize};

/// The code alphabet; a character's value is its position.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1..=17: 3^(i−1) mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/// Code length.
const CODE_LENGTH: usize = 18;

/// Why a credit code was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// A validated unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
        Ok(Self(text.into()))
    }

    /// Completes the first 17 characters of a code with their check character (for tools that
    /// issue or repair codes).
    pub fn from_body(body: &str) -> Result<Self, CreditCodeError> {
        let characters: Vec<char> = body.chars().collect();
        if characters.len() != CODE_LENGTH - 1 {
            return Err(CreditCodeError::Length(characters.len() + 1));
        }
        let check = check_character(&characters)?;
        Ok(Self(format!("{body}{check}")))
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
}
