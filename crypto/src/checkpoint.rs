//! The C2SP tlog-checkpoint body: the log's origin, its size and its root hash, one per line,
//! then optional extension lines. It is the text of a signed note ([`crate::note`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::merkle::Hash;

/// Why a checkpoint body was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    /// The body is not origin, size and root lines (with optional extension lines).
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
}

/// A log's state at one size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's unique name, e.g. `sealbid.example/city-trading-centre`.
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// Root hash of the tree of those entries.
    pub root: Hash,
    /// Extension lines, each non-empty, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The body text, the note text that node keys sign.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root.0));
        self.extensions.iter().for_each(|line| {
            text.push_str(line);
            text.push('\n');
        });
        text
    }

    /// Parses a body; the size must be canonical decimal and the root 32 bytes of base64.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("the body must end with a newline"))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
            return Err(CheckpointError::Malformed("origin, size and root lines are required"));
        };
        if origin.is_empty() {
            return Err(CheckpointError::Malformed("the origin is empty"));
        }
        let canonical_decimal = !size.is_empty()
            && size.bytes().all(|byte| byte.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size = size
            .parse::<u64>()
            .ok()
            .filter(|_| canonical_decimal)
            .ok_or(CheckpointError::Malformed("the size is not a decimal number"))?;
        let root = STANDARD
            .decode(root)
            .ok()
            .and_then(|bytes| Hash::from_slice(&bytes).ok())
            .ok_or(CheckpointError::Malformed("the root is not 32 bytes of base64"))?;
        let extensions: Vec<String> = lines.map(String::from).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("an extension line is empty"));
        }
        Ok(Self {
            origin: origin.into(),
            size,
            root,
            extensions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_round_trips_and_matches_the_c2sp_layout() {
        let checkpoint = Checkpoint::new("example.com/log", 8, Hash([0xab; 32]));
        let text = checkpoint.to_text();
        assert_eq!(
            text,
            "example.com/log\n8\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n"
        );
        assert_eq!(Checkpoint::parse(&text), Ok(checkpoint));
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let root = "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=";
        for body in [
            String::new(),
            format!("log\n8\n{root}"),
            format!("\n8\n{root}\n"),
            format!("log\n08\n{root}\n"),
            format!("log\n-8\n{root}\n"),
            "log\n8\nq6ur\n".into(),
            format!("log\n8\n{root}\n\n"),
            "log\n8\n".into(),
        ] {
            assert!(Checkpoint::parse(&body).is_err(), "{body:?}");
        }
    }
}
