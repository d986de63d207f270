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

/// One put of `frame` (from [`put_request`]) to the member at `client_url`.
pub async fn put(http: &reqwest::Client, client_url: &str, frame: Vec<u8>) -> Attempt {
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
    if !answer.status().is_success() {
        return Attempt::Retry(format!("HTTP {}", answer.status()));
    }
    // A refusal without a message comes as a "trailers-only" answer: grpc-status in the headers.
    let status = answer
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if let Some(code) = status.filter(|code| code != "0") {
        return Attempt::Answered(Outcome::Refused {
            code: format!("grpc-{code}"),
        });
    }
    match answer.bytes().await {
        // A PutResponse carries at least its header: a frame of 5 bytes and a message.
        Ok(body) if body.len() > 5 => Attempt::Answered(Outcome::Accepted {
            audit_index: 0,
            leaf_hash: sealbid_crypto::merkle::Hash::empty_tree(),
        }),
        Ok(_) => Attempt::Retry("an empty answer".into()),
        Err(error) => Attempt::Retry(error.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::put_request;

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
