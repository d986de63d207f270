//! The etcd baseline: three etcd members on loopback (Debian's `etcd-server`, installed by
//! `loadtest/install-etcd`), written to through etcd's gRPC API (`etcdserverpb.KV/Put` over
//! HTTP/2 without TLS), not its slower JSON gateway. The burst's schedule and concurrency are
//! replayed with puts of values the size of the burst's signed bids. etcd is a yardstick for
//! the benchmark, not a part of the platform.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::driver::Attempt;
use crate::record::Outcome;

/// How long a member may take to answer its health check.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one put may take.
const PUT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the baseline could not run.
#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    /// A process or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A member did not become healthy.
    #[error("etcd member {member} was not healthy within {READY_TIMEOUT:?}; see {log}")]
    NotReady {
        /// The member (1–3).
        member: usize,
        /// Its log.
        log: String,
    },
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Three etcd members; killed on drop.
#[derive(Debug)]
pub struct EtcdCluster {
    /// Data folders and logs; removed on drop.
    _folder: tempfile::TempDir,
    /// The member processes.
    members: Vec<Child>,
    /// Each member's client URL.
    pub client_urls: Vec<String>,
}

/// A free loopback port.
fn free_port() -> Result<u16, EtcdError> {
    let io = |source| EtcdError::Io {
        what: "find a free port".into(),
        source,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io)?;
    Ok(listener.local_addr().map_err(io)?.port())
}

impl EtcdCluster {
    /// Starts three members of `binary` (`etcd`) and waits until each is healthy.
    pub async fn start(binary: &Path) -> Result<Self, EtcdError> {
        let io = |what: &str| {
            let what = what.to_string();
            move |source| EtcdError::Io { what, source }
        };
        let folder = tempfile::Builder::new()
            .prefix("sealbid-etcd-")
            .tempdir()
            .map_err(io("make the etcd folder"))?;
        let mut peers = Vec::new();
        let mut client_urls = Vec::new();
        for _ in 0..3 {
            peers.push(format!("http://127.0.0.1:{}", free_port()?));
            client_urls.push(format!("http://127.0.0.1:{}", free_port()?));
        }
        let initial_cluster = peers
            .iter()
            .enumerate()
            .map(|(index, peer)| format!("member-{}={peer}", index + 1))
            .collect::<Vec<_>>()
            .join(",");
        let mut cluster = Self {
            _folder: folder,
            members: Vec::new(),
            client_urls: client_urls.clone(),
        };
        for (index, (peer, client)) in peers.iter().zip(&client_urls).enumerate() {
            let name = format!("member-{}", index + 1);
            let log = std::fs::File::create(cluster._folder.path().join(format!("{name}.log")))
                .map_err(io("open a member's log"))?;
            let log_too = log.try_clone().map_err(io("open a member's log"))?;
            let child = Command::new(binary)
                .args(["--name", &name])
                .arg("--data-dir")
                .arg(cluster._folder.path().join(&name))
                .args(["--listen-client-urls", client, "--advertise-client-urls", client])
                .args(["--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer])
                .args(["--initial-cluster", &initial_cluster, "--initial-cluster-state", "new"])
                .args(["--initial-cluster-token", "sealbid-baseline"])
                .stdout(Stdio::from(log))
                .stderr(Stdio::from(log_too))
                .spawn()
                .map_err(io("start etcd (install it with loadtest/install-etcd)"))?;
            cluster.members.push(child);
        }
        let http = plain_http()?.timeout(Duration::from_secs(2)).build()?;
        for (index, client) in client_urls.iter().enumerate() {
            let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
            loop {
                let health = http.get(format!("{client}/health")).send().await;
                if health.is_ok_and(|answer| answer.status().is_success()) {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(EtcdError::NotReady {
                        member: index + 1,
                        log: cluster
                            ._folder
                            .path()
                            .join(format!("member-{}.log", index + 1))
                            .display()
                            .to_string(),
                    });
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Ok(cluster)
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for member in &mut self.members {
            let _ = member.kill();
            let _ = member.wait();
        }
    }
}

/// A client builder for plain HTTP. reqwest builds a TLS configuration even for plain HTTP;
/// it gets ring's (the only provider in the tree), with no roots.
fn plain_http() -> Result<reqwest::ClientBuilder, EtcdError> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| EtcdError::Io {
            what: "configure TLS".into(),
            source: std::io::Error::other(error),
        })?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    Ok(reqwest::Client::builder().tls_backend_preconfigured(config))
}

/// An HTTP/2 (prior knowledge, no TLS) client for etcd's gRPC API.
pub fn grpc_client() -> Result<reqwest::Client, EtcdError> {
    Ok(plain_http()?.http2_prior_knowledge().timeout(PUT_TIMEOUT).build()?)
}

/// The protobuf bytes of `PutRequest { key = 1, value = 2 }`.
pub fn put_request(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(key.len() + value.len() + 12);
    for (tag, field) in [(0x0A_u8, key), (0x12, value)] {
        message.push(tag);
        let mut length = field.len() as u64;
        // Varint: seven bits at a time, low first, the high bit set on all but the last byte.
        while length >= 0x80 {
            message.push(u8::try_from(length & 0x7F).unwrap_or(0) | 0x80);
            length >>= 7;
        }
        message.push(u8::try_from(length).unwrap_or(0));
        message.extend_from_slice(field);
    }
    // The gRPC frame: not compressed, then the message length as 4 bytes big-endian.
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap_or(u32::MAX).to_be_bytes());
    frame.extend_from_slice(&message);
    frame
}

/// One put of `frame` (from [`put_request`]) to the member at `client_url`: the whole answer
/// read, trailers included, and judged by [`put_outcome`].
pub async fn put(http: &reqwest::Client, client_url: &str, frame: Vec<u8>) -> Attempt {
    use http_body_util::BodyExt;
    let answer = http
        .post(format!("{client_url}/etcdserverpb.KV/Put"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(frame)
        .send()
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => return Attempt::Retry(error.to_string()),
    };
    let http_status = answer.status().as_u16();
    let header_status = grpc_status(answer.headers());
    let response: http::Response<reqwest::Body> = answer.into();
    let collected = match response.into_body().collect().await {
        Ok(collected) => collected,
        Err(error) => return Attempt::Retry(error.to_string()),
    };
    let trailer_status = collected.trailers().and_then(grpc_status);
    let body = collected.to_bytes();
    put_outcome(http_status, header_status.as_deref(), &body, trailer_status.as_deref())
}

/// The `grpc-status` in `headers` (or trailers), if any.
fn grpc_status(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// gRPC's UNAVAILABLE: the member cannot serve now (no leader, shutting down); another may.
const GRPC_UNAVAILABLE: &str = "14";

/// What a put's answer means. It is done only when its gRPC status is 0 (in the trailers, or
/// in the headers of a trailers-only answer) and its body is exactly one uncompressed gRPC
/// message that is a `PutResponse` (whose first field is its `ResponseHeader`, field 1). Any
/// other status is a refusal, but UNAVAILABLE, which is retried on the next member like an
/// answer cut short or not of that shape.
pub fn put_outcome(
    http_status: u16,
    header_status: Option<&str>,
    body: &[u8],
    trailer_status: Option<&str>,
) -> Attempt {
    if http_status != 200 {
        return Attempt::Retry(format!("HTTP {http_status}"));
    }
    let Some(status) = trailer_status.or(header_status) else {
        return Attempt::Retry("no grpc-status: the answer was cut short".into());
    };
    if status == GRPC_UNAVAILABLE {
        return Attempt::Retry("grpc-14 (unavailable)".into());
    }
    if status != "0" {
        return Attempt::Answered(Outcome::Refused {
            code: format!("grpc-{status}"),
        });
    }
    // One frame: not compressed (0), the message's length (4 bytes, big-endian), the message.
    let message = body
        .split_first()
        .filter(|(compressed, rest)| **compressed == 0 && rest.len() >= 4)
        .map(|(_, rest)| rest.split_at(4))
        .filter(|(length, message)| {
            <[u8; 4]>::try_from(*length)
                .map(u32::from_be_bytes)
                .is_ok_and(|length| usize::try_from(length).is_ok_and(|length| length == message.len()))
        })
        .map(|(_, message)| message);
    match message {
        Some(message) if message.first() == Some(&0x0A) => Attempt::Answered(Outcome::Accepted {
            audit_index: 0,
            leaf_hash: sealbid_crypto::merkle::Hash::empty_tree(),
        }),
        _ => Attempt::Retry("status 0 but not one PutResponse message".into()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
mod tests {
    use super::{put_outcome, put_request};
    use crate::driver::Attempt;
    use crate::record::Outcome;

    /// A PutResponse as etcd sends it: one frame around `{header: {cluster_id, member_id,
    /// revision, raft_term}}` (the values do not matter here).
    fn put_response() -> Vec<u8> {
        let header = [0x08, 0x01, 0x10, 0x02, 0x18, 0x03, 0x20, 0x04];
        let mut message = vec![0x0A, header.len() as u8];
        message.extend_from_slice(&header);
        let mut frame = vec![0];
        frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
        frame.extend_from_slice(&message);
        frame
    }

    #[test]
    fn only_status_zero_with_a_put_response_counts_as_done() {
        let done = put_outcome(200, None, &put_response(), Some("0"));
        assert!(matches!(done, Attempt::Answered(Outcome::Accepted { .. })), "{done:?}");
        // A refused put, trailers-only (the status in the headers, no message), as etcd answers
        // a value over its request size limit (INVALID_ARGUMENT) or a full database
        // (RESOURCE_EXHAUSTED).
        for code in ["3", "8"] {
            let refused = put_outcome(200, Some(code), &[], None);
            assert!(
                matches!(&refused, Attempt::Answered(Outcome::Refused { code: refused }) if *refused == format!("grpc-{code}")),
                "{refused:?}"
            );
        }
        // A status in the trailers wins over a message before it.
        let refused = put_outcome(200, None, &put_response(), Some("9"));
        assert!(
            matches!(refused, Attempt::Answered(Outcome::Refused { .. })),
            "{refused:?}"
        );
    }

    #[test]
    fn an_answer_cut_short_unavailable_or_of_another_shape_is_sent_again() {
        // (what, HTTP status, grpc-status in the headers, body, grpc-status in the trailers)
        type Case<'a> = (&'a str, u16, Option<&'a str>, Vec<u8>, Option<&'a str>);
        let cases: [Case; 6] = [
            ("no trailers", 200, None, put_response(), None),
            ("unavailable", 200, None, Vec::new(), Some("14")),
            ("an HTTP error", 503, None, Vec::new(), None),
            ("status 0 and no message", 200, None, Vec::new(), Some("0")),
            // Six bytes were enough for the old check; they are not a PutResponse.
            ("six bytes", 200, None, vec![0, 0, 0, 0, 1, 0x12], Some("0")),
            ("a length that lies", 200, None, vec![0, 0, 0, 0, 9, 0x0A, 0], Some("0")),
        ];
        for (name, http_status, header, body, trailer) in cases {
            let outcome = put_outcome(http_status, header, &body, trailer);
            assert!(matches!(outcome, Attempt::Retry(_)), "{name}: {outcome:?}");
        }
    }

    #[test]
    fn a_put_request_is_a_grpc_frame_around_the_protobuf_message() {
        let frame = put_request(b"k", &[7u8; 300]);
        // Not compressed; message length 1 + 1 + 1 (key) + 1 + 2 + 300 (value) = 306.
        assert_eq!(frame[0], 0);
        assert_eq!(u32::from_be_bytes(frame[1..5].try_into().unwrap()), 306);
        assert_eq!(&frame[5..8], &[0x0A, 1, b'k']);
        // 300 = 0b10_0101100: varint 0xAC 0x02.
        assert_eq!(&frame[8..11], &[0x12, 0xAC, 0x02]);
        assert_eq!(frame.len(), 5 + 306);
    }
}
