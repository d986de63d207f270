//! Server-Sent Events (the WHATWG format) as the live stream uses them: [`event`] writes one,
//! [`EventReader`] reads them back out of a stream's bytes however they are cut. Pure: the
//! stream's handler ([`crate::watch`]) and the client do the I/O.

use bytes::Bytes;

/// A comment: no event, just a sign that the connection is alive.
pub const KEEP_ALIVE_COMMENT: &[u8] = b": keep-alive\n\n";

/// One Server-Sent Event: `event: <name>`, an `id` if given, and `data` on one line.
pub fn event(name: &str, id: Option<u64>, data: &str) -> Bytes {
    debug_assert!(!data.contains('\n'), "JSON without pretty printing has no line break");
    let id = id.map(|id| format!("id: {id}\n")).unwrap_or_default();
    Bytes::from(format!("event: {name}\n{id}data: {data}\n\n"))
}

/// One Server-Sent Event as a client reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// The `event` field (`message` when absent, as in the SSE standard).
    pub name: String,
    /// The `id` field, when it is a number.
    pub id: Option<u64>,
    /// The `data` fields, joined by line breaks.
    pub data: String,
}

/// Reads Server-Sent Events out of the bytes of a stream as they come, in any pieces; comments
/// and fields other than `event`, `id` and `data` are skipped.
#[derive(Debug, Default)]
pub struct EventReader {
    /// Bytes of an event not yet complete.
    pending: Vec<u8>,
}

impl EventReader {
    /// The events that `bytes` completes.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.pending.windows(2).position(|pair| pair == b"\n\n") {
            let block: Vec<u8> = self.pending.drain(..end + 2).collect();
            if let Some(event) = parse_block(&String::from_utf8_lossy(&block)) {
                events.push(event);
            }
        }
        events
    }
}

/// One event's lines; `None` for a block of comments only.
fn parse_block(block: &str) -> Option<StreamEvent> {
    let mut name = None;
    let mut id = None;
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines().filter(|line| !line.is_empty() && !line.starts_with(':')) {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => name = Some(value.to_owned()),
            "id" => id = value.parse().ok(),
            "data" => data.push(value),
            _ => {}
        }
    }
    if name.is_none() && data.is_empty() {
        return None;
    }
    Some(StreamEvent {
        name: name.unwrap_or_else(|| "message".into()),
        id,
        data: data.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::{EventReader, StreamEvent, event};

    #[test]
    fn events_are_read_back_whatever_the_pieces() {
        let mut written = event("entry", Some(7), r#"{"index":7}"#).to_vec();
        written.extend_from_slice(super::KEEP_ALIVE_COMMENT);
        written.extend_from_slice(&event("end", None, r#"{"next":8}"#));
        for piece in [1, 2, 5, written.len()] {
            let mut reader = EventReader::default();
            let events: Vec<StreamEvent> = written.chunks(piece).flat_map(|chunk| reader.push(chunk)).collect();
            assert_eq!(
                events,
                vec![
                    StreamEvent {
                        name: "entry".into(),
                        id: Some(7),
                        data: r#"{"index":7}"#.into()
                    },
                    StreamEvent {
                        name: "end".into(),
                        id: None,
                        data: r#"{"next":8}"#.into()
                    },
                ],
                "in pieces of {piece}"
            );
        }
    }
}
