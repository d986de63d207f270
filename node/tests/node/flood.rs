//! Connections under a flood, from one address: a thousand TCP connections that never say
//! hello and a thousand requests whose bodies stall do not shut a normal client out; a stalled
//! body, and a head that stalls, are answered 408 with a problem once their timeout has passed;
//! past the per-address bound a request is answered 429 at once, and past the bound on
//! connections per address a new connection is closed while other addresses are served; and the
//! node serves as before once the flood is gone. The normal client comes from 127.0.0.2.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use sealbid_consensus::clock::SystemClock;
use sealbid_node::Layer;
use sealbid_node::client_limits::ClientLimitsLayer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::support::Platform;

/// Connections of each kind the flood opens.
const FLOOD: usize = 1_000;

/// A TLS connector that trusts the platform's authority.
fn connector(platform: &Platform) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&platform.authority) {
        roots.add(certificate.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// A TLS connection that has sent the head of a command and one byte of its 1,000-byte body,
/// and sends no more.
async fn stalled_body(platform: &Platform, connector: &TlsConnector) -> TlsStream<TcpStream> {
    stalled_body_to(platform.application.as_ref().unwrap().api_address, connector).await
}

/// [`stalled_body`] to the API at `address`.
async fn stalled_body_to(address: std::net::SocketAddr, connector: &TlsConnector) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(address).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    let head = "POST /v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                Content-Length: 1000\r\n\r\n{";
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    tls
}

/// The status line of what `connection` reads next (within 30 s).
async fn status_line(connection: &mut TlsStream<TcpStream>) -> String {
    let mut buffer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(30), connection.read(&mut buffer))
        .await
        .expect("an answer within 30 s")
        .unwrap();
    String::from_utf8_lossy(&buffer[..read])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A TLS connection to the API at `address` that has sent `bytes`, or as much of them as the
/// node read: it may answer an oversized head and close the connection before the rest is
/// written (the write then fails with a broken pipe), and what it answered is still there to
/// read.
async fn sent(address: std::net::SocketAddr, connector: &TlsConnector, bytes: &[u8]) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(address).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    let written = tls.write_all(bytes).await.and(tls.flush().await);
    if let Err(error) = written {
        assert!(
            matches!(
                error.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "{error}"
        );
    }
    tls
}

/// Everything `connection` reads until the node closes it (within 30 s): the status lines of
/// every answer, and the head (lower case) and body of the last.
async fn until_closed(connection: &mut TlsStream<TcpStream>) -> (Vec<String>, String, serde_json::Value) {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        let mut buffer = vec![0u8; 4096];
        loop {
            match connection.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => answer.extend_from_slice(&buffer[..read]),
            }
        }
    })
    .await
    .expect("the node answers and closes within 30 s");
    let text = String::from_utf8(answer).unwrap();
    let statuses: Vec<String> = text
        .match_indices("HTTP/1.1 ")
        .map(|(start, _)| text[start..].lines().next().unwrap_or_default().to_string())
        .collect();
    let last = text.rfind("HTTP/1.1 ").map_or("", |start| &text[start..]);
    let (head, body) = last.split_once("\r\n\r\n").unwrap_or((last, ""));
    (
        statuses,
        head.to_ascii_lowercase(),
        serde_json::from_str(body).unwrap_or_default(),
    )
}

/// A head's end: a stalled head's answer is a retryable `408 request-timeout` problem.
fn assert_head_timeout_problem(head: &str, body: &serde_json::Value) {
    assert!(head.starts_with("http/1.1 408"), "{head}");
    assert!(head.contains("content-type: application/problem+json"), "{head}");
    assert!(head.contains("retry-after: 1"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    assert!(head.contains("\r\nx-request-id: "), "{head}");
    assert_eq!(body["code"], "request-timeout", "{body}");
    assert_eq!(body["status"], 408, "{body}");
    assert_eq!(body["retry_after_seconds"], 1, "{body}");
}

/// [`FLOOD`] stalled-body connections, then [`FLOOD`] idle TCP connections, to the API at
/// `address`.
async fn flood(address: std::net::SocketAddr, connector: &TlsConnector) -> (Vec<TlsStream<TcpStream>>, Vec<TcpStream>) {
    let mut stalled = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        stalled.push(stalled_body_to(address, connector).await);
    }
    let mut idle = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        idle.push(TcpStream::connect(address).await.unwrap());
    }
    (stalled, idle)
}

/// An in-process platform with `limits` over the defaults.
async fn platform_within(limits: ClientLimitsLayer) -> Platform {
    let overrides = Layer {
        client_limits: Some(limits),
        ..Layer::default()
    };
    Platform::start_with(overrides, Arc::new(SystemClock)).await
}

/// The source address of the normal client: another loopback address than the flood's.
const NORMAL_CLIENT_ADDRESS: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 2);

/// An HTTPS client that trusts the platform's authority, from [`NORMAL_CLIENT_ADDRESS`].
fn normal_client(platform: &Platform) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&platform.authority) {
        roots.add(certificate.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .local_address(std::net::IpAddr::V4(NORMAL_CLIENT_ADDRESS))
        .build()
        .unwrap()
}

/// `GET /readyz` from another address answers 200 (the wait is bounded; how long it takes is a
/// benchmark figure).
async fn a_normal_client_is_answered(platform: &Platform) {
    let client = normal_client(platform);
    let answer = tokio::time::timeout(
        Duration::from_secs(30),
        client.get(format!("{}/readyz", platform.base)).send(),
    )
    .await
    .expect("a normal client is answered")
    .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_does_not_shut_a_normal_client_out() {
    let platform = platform_within(ClientLimitsLayer {
        request_body_timeout_ms: Some(3_000),
        ..ClientLimitsLayer::default()
    })
    .await;
    let address = platform.application.as_ref().unwrap().api_address;
    let (mut stalled, idle) = flood(address, &connector(&platform)).await;
    a_normal_client_is_answered(&platform).await;

    // Once the body timeout has passed, a stalled body is answered 408, a problem to retry.
    let answer = status_line(&mut stalled[0]).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    drop(stalled);
    drop(idle);
    a_normal_client_is_answered(&platform).await;
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_that_stalls_is_answered_a_retryable_408_problem_and_a_whole_one_is_served() {
    let platform = platform_within(ClientLimitsLayer {
        request_head_timeout_ms: Some(1_000),
        ..ClientLimitsLayer::default()
    })
    .await;
    let address = platform.application.as_ref().unwrap().api_address;
    let connector = connector(&platform);
    let state_hash = platform.state_hash().await;

    // Half a head, and no head at all after the handshake: both are answered with the problem.
    let mut half = sent(
        address,
        &connector,
        b"POST /v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-",
    )
    .await;
    let mut silent = sent(address, &connector, b"").await;
    // A whole request on the same kind of connection; once it is answered, half of a second.
    let mut kept = sent(address, &connector, b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await;
    let first = status_line(&mut kept).await;
    assert!(
        first.starts_with("HTTP/1.1 200"),
        "the whole request is served: {first}"
    );
    kept.write_all(b"GET /readyz HTTP/1.1\r\nHo").await.unwrap();
    kept.flush().await.unwrap();
    for connection in [&mut half, &mut silent] {
        let (statuses, head, body) = until_closed(connection).await;
        assert_eq!(statuses.len(), 1, "{statuses:?}");
        assert_head_timeout_problem(&head, &body);
    }
    let (statuses, head, body) = until_closed(&mut kept).await;
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert_head_timeout_problem(&head, &body);
    assert_eq!(platform.state_hash().await, state_hash, "nothing was logged");
    a_normal_client_is_answered(&platform).await;
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_the_server_cannot_parse_is_answered_with_a_problem_and_changes_nothing() {
    let platform = Platform::start().await;
    let address = platform.application.as_ref().unwrap().api_address;
    let connector = connector(&platform);
    let state_hash = platform.state_hash().await;
    let many_headers: Vec<u8> = (0..200)
        .flat_map(|index| format!("X-{index}: 1\r\n").into_bytes())
        .collect();
    let huge_header = [
        &b"GET /v1/tenders HTTP/1.1\r\nHost: a\r\nX-Huge: "[..],
        &vec![b'a'; 200_000],
        b"\r\n\r\n",
    ]
    .concat();
    let cases: [(&str, Vec<u8>, u16, &str); 7] = [
        (
            "a Content-Length that is not a number",
            b"POST /v1/commands HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n".to_vec(),
            400,
            "malformed-request",
        ),
        (
            "two Content-Lengths",
            b"POST /v1/commands HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}".to_vec(),
            400,
            "malformed-request",
        ),
        (
            "a path with a space",
            b"GET /v1/ten ders HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(),
            400,
            "malformed-request",
        ),
        (
            "a header line without a colon",
            b"GET /v1/tenders HTTP/1.1\r\nHost a\r\n\r\n".to_vec(),
            400,
            "malformed-request",
        ),
        (
            "an unknown version",
            b"GET /v1/tenders HTTP/9.9\r\nHost: a\r\n\r\n".to_vec(),
            400,
            "malformed-request",
        ),
        (
            "too many headers",
            [&b"GET /v1/tenders HTTP/1.1\r\nHost: a\r\n"[..], &many_headers, b"\r\n"].concat(),
            431,
            "headers-too-large",
        ),
        ("a head of 200 kB", huge_header, 431, "headers-too-large"),
    ];
    for (what, request, status, code) in cases {
        let mut connection = sent(address, &connector, &request).await;
        let (statuses, head, body) = until_closed(&mut connection).await;
        assert_eq!(statuses.len(), 1, "{what}: {statuses:?}");
        assert!(head.starts_with(&format!("http/1.1 {status}")), "{what}: {head}");
        assert!(
            head.contains("content-type: application/problem+json"),
            "{what}: {head}"
        );
        assert!(head.contains("connection: close"), "{what}: {head}");
        assert!(head.contains("\r\nx-request-id: "), "{what}: {head}");
        assert_eq!(
            (body["status"].as_u64(), body["code"].as_str()),
            (Some(u64::from(status)), Some(code)),
            "{what}: {body}"
        );
        assert!(
            body["detail"].as_str().unwrap().ends_with("nothing was done"),
            "{what}: {body}"
        );
    }
    assert_eq!(platform.state_hash().await, state_hash, "nothing was logged");
    a_normal_client_is_answered(&platform).await;
    platform.stop().await;
}

/// A TCP connection from `source` to `address` completes a TLS handshake and is answered.
async fn served_from(source: std::net::Ipv4Addr, address: std::net::SocketAddr, connector: &TlsConnector) -> bool {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::new(source.into(), 0)).unwrap();
    let Ok(tcp) = socket.connect(address).await else {
        return false;
    };
    let attempt = async {
        let mut tls = connector
            .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
            .await
            .ok()?;
        tls.write_all(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        let _ = tls.read_to_end(&mut answer).await;
        answer.starts_with(b"HTTP/1.1 200").then_some(())
    };
    tokio::time::timeout(Duration::from_secs(30), attempt)
        .await
        .ok()
        .flatten()
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_bound_on_connections_per_address_a_new_one_is_closed_and_other_addresses_are_served() {
    let platform = platform_within(ClientLimitsLayer {
        connections_per_address_max: Some(3),
        request_head_timeout_ms: Some(60_000),
        ..ClientLimitsLayer::default()
    })
    .await;
    let address = platform.application.as_ref().unwrap().api_address;
    let connector = connector(&platform);
    // Three connections from 127.0.0.1, past their handshakes, that send nothing more hold
    // the address's places.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(sent(address, &connector, b"").await);
    }
    // A fourth from the address is closed before its handshake; another address is served.
    assert!(
        !served_from(std::net::Ipv4Addr::LOCALHOST, address, &connector).await,
        "a fourth connection from the address is closed"
    );
    assert!(served_from(NORMAL_CLIENT_ADDRESS, address, &connector).await);
    // Once they close, the address is served again.
    drop(held);
    let mut served = false;
    for _ in 0..50 {
        if served_from(std::net::Ipv4Addr::LOCALHOST, address, &connector).await {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "the address's places were given back");
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_bound_per_address_a_request_is_answered_429_at_once() {
    let platform = platform_within(ClientLimitsLayer {
        requests_per_address_max: Some(2),
        ..ClientLimitsLayer::default()
    })
    .await;
    let connector = connector(&platform);
    let held = [
        stalled_body(&platform, &connector).await,
        stalled_body(&platform, &connector).await,
    ];
    // The two stalled requests are in flight once the server has read their heads.
    let mut answer = None;
    for _ in 0..50 {
        let response = platform
            .http
            .get(format!("{}/readyz", platform.base))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            answer = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = answer.expect("a third request from the address is refused");
    assert_eq!(answer.headers()["retry-after"], "1");
    let problem: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(problem["code"], "too-many-requests", "{problem}");
    drop(held);
    // The places are given back as the stalled requests end.
    let mut ready = false;
    for _ in 0..100 {
        if platform.get("/readyz").await.0 == StatusCode::OK {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the address's places were given back");
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_started_with_a_low_open_file_limit_raises_it_and_serves_through_a_flood() {
    use std::io::{BufRead, BufReader};
    let folder = tempfile::tempdir().unwrap();
    // `sealbid serve` as a shell with a soft limit of 1,024 open files starts it.
    let child = std::process::Command::new("sh")
        .args([
            "-c",
            "ulimit -Sn 1024 && exec \"$0\" serve",
            env!("CARGO_BIN_EXE_sealbid"),
        ])
        .current_dir(folder.path())
        .env_remove("SEALBID_CONFIG")
        .env("SEALBID_LISTEN", "127.0.0.1:0")
        .env("SEALBID_CLUSTER_LISTEN", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut child = crate::support::KillOnDrop(Some(child));
    let stdout = child.0.as_mut().unwrap().stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    while !printed.contains("open files:") {
        let line = receiver
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("sealbid serve did not start within 30 s: {printed}"));
        printed.push_str(&line);
        printed.push('\n');
    }
    let field = |prefix: &str| -> String {
        let line = printed.lines().find(|line| line.contains(prefix)).unwrap();
        line.split(prefix)
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    let address: std::net::SocketAddr = field("serving https://").parse().unwrap();
    let open_files: u64 = field("open files:").parse().unwrap();
    assert!(
        open_files > 1_024 + 2 * FLOOD as u64,
        "the node raised its limit: {printed}"
    );

    let authority = std::fs::read(folder.path().join("sealbid-data/tls/authority.pem")).unwrap();
    let platform = Platform::remote(
        format!("https://{address}"),
        authority,
        sealbid_crypto::identity::IdentityKeyPair::from_seed(&[0; 32]).unwrap(),
        0,
    );
    let (stalled, idle) = flood(address, &connector(&platform)).await;
    // Over the 1,024 files it started with, the node still takes a normal client.
    a_normal_client_is_answered(&platform).await;
    drop(stalled);
    drop(idle);
    a_normal_client_is_answered(&platform).await;
    let status = child.stop("TERM");
    assert!(status.success(), "sealbid serve exited with {status}");
}
