//! Worked examples in docs/protocol.md.
