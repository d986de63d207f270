//! A request head that does not arrive in time is answered `408 request-timeout` as a problem
//! (with `Retry-After`), and its connection closed.
//!
//! The HTTP server's own head timeout answers a bare `408` without a body, which a client
//! cannot tell from a refusal; so it is switched off and this wrapper around each connection's
//! decrypted stream keeps the time instead. It reads only as much of HTTP/1.1 as it must: a
//! head ends at its first empty line ([`HeadEnd`]). The clock runs from the end of the TLS
//! handshake for a connection's first request, and from a later request's first byte once the
//! server has answered the one before; an idle kept-alive connection is the server's keep-alive
//! timeout's to close, and so is a head sent (pipelined) before the answer to the request ahead
//! of it.
//! When the time is up before the head's end, the wrapper writes the answer itself and the
//! server reads the end of the stream.
//!
//! The server also refuses a head it cannot parse (a bad `Content-Length`, a malformed header
//! or request line, too many headers) with a bare answer: a status, no body, and the connection
//! closed. The wrapper writes a problem in that answer's place ([`problem_for_bare`]), so that
//! every refusal a client sees names its reason. Both answers carry a request id of their own,
//! as every answer does.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use actix_web::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::limits::AddressPlace;
use crate::problem::{PROBLEM_JSON, Problem};

/// Where a scan for the end of a head stands: the end is an empty line (`\r\n\r\n`, or a bare
/// `\n\n` as the HTTP parser also accepts). A scan starts inside a line, so one empty line
/// before a request line (which the parser skips) does not end its head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadEnd {
    /// Inside a line.
    InLine,
    /// At the start of a line.
    LineStart,
    /// At the start of a line, after a `\r`.
    LineStartReturn,
    /// The head has ended.
    Ended,
}

impl HeadEnd {
    /// The scan after `bytes`; with the head's end among them, how many of them belong to it.
    pub(crate) fn scan(mut self, bytes: &[u8]) -> (Self, Option<usize>) {
        for (position, byte) in bytes.iter().enumerate() {
            self = match (self, byte) {
                (Self::Ended, _) => return (self, Some(position)),
                (Self::LineStart | Self::LineStartReturn, b'\n') => Self::Ended,
                (Self::LineStart, b'\r') => Self::LineStartReturn,
                (_, b'\n') => Self::LineStart,
                _ => Self::InLine,
            };
            if self == Self::Ended {
                return (self, Some(position + 1));
            }
        }
        (self, None)
    }
}

/// Where a connection stands.
#[derive(Debug)]
enum Phase {
    /// A head is arriving, due by the deadline.
    Head { deadline: Pin<Box<Sleep>>, scan: HeadEnd },
    /// A head has arrived; `answered` once the server has written since.
    Served { answered: bool },
    /// The time was up: writing the answer (`written` of its bytes).
    Answering { answer: Vec<u8>, written: usize },
    /// The answer is written and the stream shut: reads see its end.
    Closed,
}

/// A connection's stream with a deadline on each request head.
#[derive(Debug)]
pub struct HeadDeadline<Io> {
    /// The decrypted stream.
    io: Io,
    /// How long a head may take.
    timeout: Duration,
    /// Where the connection stands.
    phase: Phase,
    /// The connection's place among its source address's, given back when it closes.
    _address_place: AddressPlace,
}

impl<Io> HeadDeadline<Io> {
    /// `io`, holding `address_place`, whose first head is due within `timeout` from now.
    pub fn new(io: Io, timeout: Duration, address_place: AddressPlace) -> Self {
        Self {
            io,
            timeout,
            _address_place: address_place,
            phase: Phase::Head {
                deadline: Box::pin(tokio::time::sleep(timeout)),
                scan: HeadEnd::InLine,
            },
        }
    }
}

/// The whole answer to a head that did not arrive within `timeout`, as bytes on the wire.
fn timeout_answer(timeout: Duration) -> Vec<u8> {
    let problem = Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "request-timeout",
        "The request did not arrive in time",
        format!(
            "the request's head did not arrive within {} ms; send the request again (a signed command sent again is never applied twice)",
            timeout.as_millis()
        ),
    );
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let retry_after = problem
        .retry_after_seconds
        .unwrap_or(crate::problem::RETRY_AFTER_SECONDS);
    let mut answer = format!(
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: {PROBLEM_JSON}\r\nretry-after: {retry_after}\r\nconnection: close\r\n{}: {}\r\ncontent-length: {}\r\n\r\n",
        crate::request_id::HEADER,
        crate::request_id::new_id(),
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

/// The problem to send instead of `bytes`, when they are the server's bare refusal of a head it
/// could not parse: a whole `HTTP/1.1 4xx` head with `content-length: 0` and no content type
/// (every answer of the API's own carries one). `None` for anything else.
pub(crate) fn problem_for_bare(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let status_code: u16 = head.strip_prefix("HTTP/1.1 4")?.get(..2)?.parse().ok()?;
    let status = StatusCode::from_u16(400 + status_code).ok()?;
    let lines: Vec<String> = head.lines().skip(1).map(str::to_ascii_lowercase).collect();
    let bare = rest.is_empty()
        && lines.iter().any(|line| line == "content-length: 0")
        && !lines.iter().any(|line| line.starts_with("content-type:"));
    if !bare {
        return None;
    }
    let problem = match status {
        StatusCode::BAD_REQUEST => Problem::new(
            status,
            "malformed-request",
            "The request cannot be read",
            "the request line or a header is not valid HTTP (such as a Content-Length that is not one \
             decimal number, a header line without a colon, a path with spaces or control characters, or an \
             unknown version); nothing was done",
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => Problem::new(
            status,
            "headers-too-large",
            "The request's headers are too many or too large",
            "the request has more headers, or larger ones, than the node reads; nothing was done",
        ),
        _ => Problem::new(
            status,
            "malformed-request",
            "The request cannot be read",
            format!("the node refused the request's head ({status}); nothing was done"),
        ),
    };
    let body = serde_json::to_vec(&problem).ok()?;
    let mut answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {PROBLEM_JSON}\r\nconnection: close\r\n{}: {}\r\ncontent-length: {}\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default(),
        crate::request_id::HEADER,
        crate::request_id::new_id(),
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

impl<Io: AsyncRead + AsyncWrite + Unpin> HeadDeadline<Io> {
    /// Writes what is left of the answer, flushes and shuts the stream.
    fn poll_answer(&mut self, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Phase::Answering { answer, written } = &mut self.phase {
            if let Some(rest) = answer.get(*written..).filter(|rest| !rest.is_empty()) {
                let count = ready!(Pin::new(&mut self.io).poll_write(context, rest))?;
                if count == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                *written += count;
            } else {
                ready!(Pin::new(&mut self.io).poll_flush(context))?;
                ready!(Pin::new(&mut self.io).poll_shutdown(context))?;
                self.phase = Phase::Closed;
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Follows the head through the bytes just read into `buffer` after `before` of them.
    fn observe(&mut self, buffer: &ReadBuf<'_>, before: usize) {
        let Some(read) = buffer.filled().get(before..).filter(|read| !read.is_empty()) else {
            return;
        };
        if let Phase::Served { answered: true } = self.phase {
            self.phase = Phase::Head {
                deadline: Box::pin(tokio::time::sleep_until(Instant::now() + self.timeout)),
                scan: HeadEnd::InLine,
            };
        }
        if let Phase::Head { scan, .. } = &mut self.phase {
            let (after, end) = scan.scan(read);
            *scan = after;
            if end.is_some() {
                self.phase = Phase::Served { answered: false };
            }
        }
    }
}

impl<Io: AsyncRead + AsyncWrite + Unpin> AsyncRead for HeadDeadline<Io> {
    fn poll_read(self: Pin<&mut Self>, context: &mut Context<'_>, buffer: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Phase::Head { deadline, .. } = &mut this.phase
            && deadline.as_mut().poll(context).is_ready()
        {
            this.phase = Phase::Answering {
                answer: timeout_answer(this.timeout),
                written: 0,
            };
        }
        match this.phase {
            Phase::Answering { .. } => {
                // Whether the answer got out or not, the server sees the end of the stream.
                let _ = ready!(this.poll_answer(context));
                Poll::Ready(Ok(()))
            }
            Phase::Closed => Poll::Ready(Ok(())),
            Phase::Head { .. } | Phase::Served { .. } => {
                let before = buffer.filled().len();
                ready!(Pin::new(&mut this.io).poll_read(context, buffer))?;
                this.observe(buffer, before);
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl<Io: AsyncRead + AsyncWrite + Unpin> AsyncWrite for HeadDeadline<Io> {
    fn poll_write(self: Pin<&mut Self>, context: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // The server's bare refusal of a head becomes a problem; the server is told it wrote.
        if matches!(this.phase, Phase::Head { .. } | Phase::Served { answered: false })
            && let Some(answer) = problem_for_bare(bytes)
        {
            this.phase = Phase::Answering { answer, written: 0 };
        }
        match &mut this.phase {
            Phase::Answering { .. } => {
                ready!(this.poll_answer(context))?;
                Poll::Ready(Ok(bytes.len()))
            }
            Phase::Closed => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
            // The server answers before the head is whole only to refuse it (it then closes).
            Phase::Head { .. } => {
                this.phase = Phase::Served { answered: true };
                Pin::new(&mut this.io).poll_write(context, bytes)
            }
            Phase::Served { answered } => {
                let count = ready!(Pin::new(&mut this.io).poll_write(context, bytes))?;
                *answered |= count > 0;
                Poll::Ready(Ok(count))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Phase::Answering { .. } = this.phase {
            let _ = ready!(this.poll_answer(context));
            return Poll::Ready(Ok(()));
        }
        if let Phase::Closed = this.phase {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_shutdown(context)
    }
}

#[cfg(test)]
mod tests {
    use super::{HeadEnd, problem_for_bare};

    #[test]
    fn a_bare_refusal_becomes_a_problem_and_nothing_else_does() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: Mon, 07 Dec 2026 16:25:32 GMT\r\n\r\n";
        let answer = String::from_utf8(problem_for_bare(bare).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json"),
            "{head}"
        );
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            (problem["status"].as_u64(), problem["code"].as_str()),
            (Some(400), Some("malformed-request"))
        );
        let too_many =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        let answer = String::from_utf8(problem_for_bare(too_many).unwrap()).unwrap();
        assert!(answer.contains("\"code\":\"headers-too-large\""), "{answer}");
        // The API's own answers, a success, a partial head and a body are left as they are.
        for other in [
            &b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\ncontent-type: application/problem+json\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}",
            b"{\"not\": \"a head\"}",
        ] {
            assert_eq!(problem_for_bare(other), None, "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn a_head_ends_at_its_first_empty_line_however_it_is_split() {
        let head = b"POST /v1/commands HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}";
        let end = head.len() - 2;
        for split in 0..head.len() {
            let (scan, first) = HeadEnd::InLine.scan(&head[..split]);
            let (_, second) = scan.scan(&head[split..]);
            let found = first.or(second.map(|position| position + split));
            assert_eq!(found, Some(end), "split at {split}");
        }
    }

    #[test]
    fn bare_line_feeds_end_a_head_and_a_partial_head_does_not_end() {
        assert_eq!(HeadEnd::InLine.scan(b"GET / HTTP/1.1\nHost: a\n\n").1, Some(24));
        assert_eq!(HeadEnd::InLine.scan(b"GET / HTTP/1.1\r\nHost: a\r\n").1, None);
        assert_eq!(
            HeadEnd::InLine.scan(b"GET / HTTP/1.1\r\nHost: a\r\n\r").0,
            HeadEnd::LineStartReturn
        );
        assert_eq!(HeadEnd::InLine.scan(b"GET / HTTP/1.1\r\nX: \r\r\n").1, None);
    }
}
